"""Deliberately wrong builders make the proofs fail (issue 18's mutation tests).

Each mutation is made through a private hook -- replacing one method of the
geometry core, the assembler call, or the symbolic matrix's entry sum with
pytest's ``monkeypatch`` -- so that the numeric builder *and* everything the
proofs read from the core become wrong together, as a real bug would.  The
proofs that held before must then return ``holds == False``.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import sympy

from toeplitz_conv import conv_matrix, signal
from toeplitz_conv._assemble import forced_write_path
from toeplitz_conv.geometry import AxisGeometry, Geometry
from toeplitz_conv.symbolic import (
    prove_associativity,
    prove_commutativity,
    prove_convolution_theorem,
    prove_equivalence,
    prove_equivalence_general,
    prove_layer_equivalence,
    prove_layer_equivalence_general,
    prove_layer_weight_gradient,
    prove_shift_equivariance,
    prove_weight_gradient,
)
from toeplitz_conv.symbolic._matrix import SymbolicTaps

_OUT_SIZE = AxisGeometry.__dict__["out_size"].func


def _patch_out_size(monkeypatch, change):
    monkeypatch.setattr(AxisGeometry, "out_size", property(lambda ax: change(ax, _OUT_SIZE(ax))))


def test_the_proofs_hold_on_the_real_builder():
    assert prove_equivalence_general(3, "full").holds
    assert prove_equivalence_general((2, 3), "same", stride=2).holds
    assert prove_layer_equivalence_general((2, 1, 3), stride=2, padding=1).holds
    assert prove_weight_gradient(3, 5).holds
    assert prove_associativity().holds and prove_commutativity().holds
    assert prove_shift_equivariance(3, 5, 1).holds


def test_full_mode_missing_its_last_rows(monkeypatch):
    # 'full' (pad k-1 after) loses its last k-1 rows.
    _patch_out_size(monkeypatch, lambda ax, m: m - (ax.kernel - 1)
                    if ax.pad_after == ax.kernel - 1 and ax.pad_before == ax.kernel - 1 else m)
    assert conv_matrix([1.0, 2.0, 3.0], 5).shape == (5, 5)        # the mutation is live
    p = prove_equivalence_general(3, "full")
    assert not p.holds and any("row count" in str(f) for f in p.failures)
    assert not prove_equivalence_general(sympy.Symbol("k", integer=True, positive=True),
                                         "full").holds
    assert not prove_weight_gradient(3, 5).holds                  # g has the definition's 7
    assert not prove_equivalence(3, 5).holds
    assert not prove_associativity().holds
    assert not prove_commutativity().holds


def test_one_output_too_few(monkeypatch):
    _patch_out_size(monkeypatch, lambda ax, m: m - 1)
    assert not prove_equivalence_general(3, "same").holds
    assert not prove_equivalence_general((2, 2), "valid").holds
    assert not prove_layer_equivalence_general((1, 1, 3), padding=1).holds
    assert not prove_layer_weight_gradient((1, 1, 2), (1, 4)).holds
    assert not prove_weight_gradient(3, 4, "valid").holds
    assert not prove_layer_equivalence((1, 1, 3), (1, 5)).holds


@pytest.mark.parametrize("path", ["lines", "chunks"])
def test_off_by_one_on_the_large_build_path(monkeypatch, path):
    # row_base is used only when full rows are written region by region, the
    # path large matrices take; the assembler's forced_write_path forces it.
    real = Geometry.row_base
    monkeypatch.setattr(Geometry, "row_base", lambda g, rows: real(g, rows) + 1)
    with forced_write_path("table"):
        good = conv_matrix(np.ones(3), 9, "full")
    with forced_write_path(path):
        bad = conv_matrix(np.ones(3), 9, "full")
    assert (good.toarray() != bad.toarray()).any()                # the mutation is live
    assert conv_matrix(np.ones(3), 9, "full").toarray().tolist() == good.toarray().tolist()
    p = prove_equivalence_general(3, "full")
    assert not p.holds and any(path in str(f) for f in p.failures)
    assert not prove_layer_equivalence_general((1, 1, 3), padding=1).holds
    # A large input takes the region path by default: the sized proof sees it too.
    assert not prove_equivalence(3, 3000).holds


def test_an_unflipped_builder(monkeypatch):
    real = signal.assemble
    monkeypatch.setattr(signal, "assemble", lambda *a, **kw: real(*a, **{**kw, "flip": False}))
    assert not prove_equivalence_general(3, "full").holds
    assert not prove_equivalence(3, 4).holds
    assert not prove_weight_gradient(3, 4).holds
    # Property proofs compare with the definitions, not only matrix with matrix.
    assert not prove_associativity(2, 3, 3).holds
    assert not prove_commutativity(3, 4).holds
    assert not prove_shift_equivariance(3, 5, 1).holds
    assert not prove_shift_equivariance(3, 5, 1, boundary="fill", mode="full").holds


def _zeros_reading_past_the_end(monkeypatch, from_n):
    # The zero boundary lets the position just past the end read the last sample.
    from toeplitz_conv import geometry
    real = geometry.map_boundary

    def wrong(p, n, b):
        q = real(p, n, b)
        if b == "zeros" and n >= from_n:
            q = np.where(np.asarray(p) == n, n - 1, q)
        return q
    monkeypatch.setattr(geometry, "map_boundary", wrong)


def test_a_zero_boundary_off_by_one(monkeypatch):
    _zeros_reading_past_the_end(monkeypatch, 0)
    p = prove_equivalence_general(3, "full")
    assert not p.holds and any("zero boundary" in f for f in p.failures)
    assert not prove_equivalence_general((2, 3), "same", stride=2).holds
    assert not prove_layer_equivalence_general((1, 1, 3), padding=1).holds


def test_a_zero_boundary_wrong_only_for_large_inputs(monkeypatch):
    # Right at every sample size: only the map evaluated at symbolic n sees it.
    _zeros_reading_past_the_end(monkeypatch, 40)
    for p in (prove_equivalence_general(3, "same"),
              prove_layer_equivalence_general((2, 1, 3), stride=2, padding=1)):
        assert not p.holds
        assert p.failures == ["the core's zero boundary at symbolic n"]


def test_an_unflipped_circulant(monkeypatch):
    from toeplitz_conv.symbolic import _fixed_size as _proofs
    real = _proofs.assemble
    monkeypatch.setattr(_proofs, "assemble", lambda *a, **kw: real(*a, **{**kw, "flip": False}))
    assert not prove_convolution_theorem(3, 5).holds


def test_a_displayed_matrix_that_drops_repeated_taps(monkeypatch):
    # With wrap-around and a kernel longer than the input, entries are sums of
    # weights; a symbolic matrix keeping only the first tap is wrong.
    def first_only(self):
        out = {}
        for r, c, k in zip(self.rows.tolist(), self.cols.tolist(), self.widx.tolist()):
            out.setdefault((r, c), self.values[k])
        return out
    assert prove_equivalence(5, 2, "same", boundary="wrap").holds
    monkeypatch.setattr(SymbolicTaps, "entries", first_only)
    assert not prove_equivalence(5, 2, "same", boundary="wrap").holds


def test_the_product_shortcut_is_sympys_own_product():
    from toeplitz_conv.symbolic._fixed_size import _product_cache
    times = _product_cache()
    a, b = sympy.symbols("x_1 w_0", real=True)
    c = sympy.Symbol("g_3")
    for u, v in [(a, b), (b, a), (a, c), (c, b)]:
        got = times(u, v)
        assert got == u * v and got.args == (u * v).args and hash(got) == hash(u * v)


def test_the_sum_shortcut_is_sympys_own_sum():
    from toeplitz_conv.symbolic._fixed_size import _product_cache, _sum_cache

    times, plus = _product_cache(), _sum_cache()
    rng = np.random.default_rng(5)
    w = sympy.symbols("w_0:6")
    x = sympy.symbols("x_0:9", real=True)
    for _ in range(50):
        idx = rng.choice(54, size=int(rng.integers(1, 8)), replace=False)
        terms = [times(w[i % 6], x[i // 6]) for i in idx]
        got = plus(terms)
        assert got == sympy.Add(*terms) and got.args == sympy.Add(*terms).args
        assert hash(got) == hash(sympy.Add(*terms))
    # repeated terms are collected by sympy itself
    t = times(w[0], x[0])
    assert plus([t, t]) == 2 * t


# --------------------------------------------------------------- LaTeX compiles
def _proofs_for_latex():
    k = sympy.Symbol("k", integer=True, positive=True)
    return [
        prove_equivalence(3, 4), prove_equivalence((2, 2), (3, 3), "same"),
        prove_equivalence(3, 300), prove_equivalence(3, 4, claim="unflipped"),
        prove_equivalence_general(3), prove_equivalence_general(k, "same"),
        prove_equivalence_general(3, claim="unflipped"),
        prove_layer_equivalence_general((2, 1, 3), stride=2, padding=1),
        prove_equivalence_general(3, "same", stride=2, boundary="symm"),
        prove_layer_equivalence_general((2, 1, 3), padding=1, padding_mode="reflect"),
        prove_weight_gradient(3, 4), prove_layer_weight_gradient((1, 1, 2), (1, 4)),
        prove_shift_equivariance(3, 5, 2),
        prove_shift_equivariance(3, 5, 1, boundary="fill", mode="full"),
        prove_convolution_theorem(3, 4), prove_associativity(), prove_commutativity(),
        prove_layer_equivalence((2, 2, 3), (2, 5)),
    ]


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed (.ci/run installs "
                                           "Debian's TeX)")


@needs_pdflatex
def test_every_proof_latex_compiles_with_pdflatex(tmp_path):
    proofs = _proofs_for_latex()
    assert any(not p.holds for p in proofs)
    body = []
    for p in proofs:
        tex = p.to_latex()
        assert (r"\text{REFUTED" in tex) == (not p.holds)
        body.append(r"\[" + tex + r"\]")
    # One document with every proof as display maths (amsmath only), and one
    # complete document from to_latex(document=True).
    doc = ("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
           + "\n\n".join(body) + "\n\\end{document}\n")
    (tmp_path / "all.tex").write_text(doc)
    (tmp_path / "one.tex").write_text(proofs[4].to_latex(document=True))
    for name in ("all.tex", "one.tex"):
        r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, [ln for ln in r.stdout.splitlines() if ln.startswith("!")]


@needs_pdflatex
def test_a_bad_latex_would_be_caught(tmp_path):
    # The compile check can fail: a bare underscore in text mode is an error.
    (tmp_path / "bad.tex").write_text("\\documentclass{article}\\begin{document}"
                                      "\\[\\text{conv_matrix}\\]\\end{document}")
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "bad.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0


def test_the_sum_cache_is_sympys_own_sum():
    from toeplitz_conv.symbolic._fixed_size import _sum_cache
    plus = _sum_cache()
    a, b, c = sympy.symbols("a b c")
    assert plus([a * b, c]) == sympy.Add(a * b, c)
    assert plus([c, a * b]) is plus([a * b, c])          # same multiset, one object
    assert plus([a, a, b]) == 2 * a + b and plus([a, b]) == a + b
    assert plus([a, a, b]) != plus([a, b, b])
