"""All-n proofs with mirrored and replicated boundaries (issue 18, item 2).

scipy's ``boundary='symm'`` for 1-D signals and PyTorch's ``reflect`` /
``replicate`` padding for 1-D layers are proved for every input size by
splitting the rows into edge rows and a middle block.  The definition side
(``_reference._mirrored``) is compared here with numpy's own padding, and
deliberately wrong boundary maps (an off-by-one mirror, replicate for
reflect, a map wrong only for large inputs) must make the proofs fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from toeplitz_conv import geometry
from toeplitz_conv.symbolic import prove_equivalence_general, prove_layer_equivalence_general
from toeplitz_conv.symbolic._reference import read_extended

from ._cli import run_cli

_NP_PAD = {"symm": "symmetric", "reflect": "reflect", "replicate": "edge"}


@pytest.mark.parametrize("boundary", ["symm", "reflect", "replicate"])
def test_the_definition_is_numpys_padding(boundary):
    # One fold on each side: numpy.pad of the symbolic input, read at every position.
    x = sympy.IndexedBase("x")
    for n in range(2, 7):
        pad = n - 1 if boundary == "reflect" else n
        padded = np.pad(np.array([x[j] for j in range(n)], dtype=object), pad,
                        mode=_NP_PAD[boundary])
        got = [read_extended(x, (p,), (n,), boundary) for p in range(-pad, n + pad)]
        assert got == padded.tolist()
    # Beyond one fold the definition is not written: nan, so no claim relies on it.
    assert read_extended(x, (-5,), (2,), "symm") is sympy.nan


@pytest.mark.parametrize("k,mode,stride,correlate", [
    (3, "full", 1, False), (3, "same", 1, True), (4, "same", 2, False),
    (3, "valid", 1, False), (5, "full", 2, True), (2, "same", 3, False)])
def test_symm_signal_holds_for_all_n(k, mode, stride, correlate):
    p = prove_equivalence_general(k, mode, stride=stride, correlate=correlate, boundary="symm")
    assert p.holds, p.failures
    assert any(note.startswith("assumption of the symbolic part: n >=") for note in p.notes)
    assert any("middle block" in caption for caption, _ in p.steps)
    # The wrong sum (correlation for convolution and vice versa) is refuted.
    assert not prove_equivalence_general(k, mode, stride=stride, correlate=correlate,
                                         boundary="symm", claim="unflipped").holds


def test_symm_with_symbols_and_its_latex():
    a, b, c = sympy.symbols("a b c")
    p = prove_equivalence_general([a, b, c], "same", boundary="symm")
    assert p.holds and r"\text" in p.to_latex()


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate"])
@pytest.mark.parametrize("w_shape,kw", [
    ((2, 2, 3), {"padding": 1}), ((1, 1, 3), {"padding": 2, "stride": 2}),
    ((1, 1, 2), {"padding": ((1, 0),)}), ((2, 1, 3), {"padding": "same", "dilation": 2}),
    ((2, 1, 3), {"padding": 1, "stride": 3, "groups": 2})])
def test_layer_reflect_replicate_hold_for_all_n(padding_mode, w_shape, kw):
    p = prove_layer_equivalence_general(w_shape, padding_mode=padding_mode, **kw)
    assert p.holds, p.failures
    assert not prove_layer_equivalence_general(w_shape, padding_mode=padding_mode,
                                               claim="flipped", **kw).holds


def _swap(monkeypatch, table):
    real = geometry.map_boundary
    monkeypatch.setattr(geometry, "map_boundary",
                        lambda p, n, b: real(p, n, table.get(b, b)))


def test_a_mirror_off_by_one_fails(monkeypatch):
    # 'symm' repeats the edge sample; mapping it like 'reflect' is off by one.
    _swap(monkeypatch, {"symm": "reflect"})
    for args in [(3, "same", 1), (3, "full", 2)]:
        p = prove_equivalence_general(args[0], args[1], stride=args[2], boundary="symm")
        assert not p.holds
        assert any("edge row" in f for f in p.failures)


@pytest.mark.parametrize("real_mode,wrong", [("reflect", "replicate"),
                                             ("replicate", "reflect")])
def test_replicate_for_reflect_fails(monkeypatch, real_mode, wrong):
    _swap(monkeypatch, {real_mode: wrong})
    p = prove_layer_equivalence_general((1, 1, 3), padding=1, padding_mode=real_mode)
    assert not p.holds and any("edge row" in f for f in p.failures)
    assert not prove_layer_equivalence_general((2, 1, 3), padding=2, stride=2, groups=2,
                                               padding_mode=real_mode).holds


def test_a_map_wrong_only_for_large_inputs_fails(monkeypatch):
    # Right at every size the sample checks use, wrong from n = 40 on: only the
    # all-n part can see it (sympy cannot even evaluate the map for all n).
    real = geometry.map_boundary

    def late(p, n, b):
        q = real(p, n, b)
        if b == "symm" and n >= 40:
            q = np.where(np.asarray(p) < 0, 0, q)
        return q
    monkeypatch.setattr(geometry, "map_boundary", late)
    p = prove_equivalence_general(3, "same", boundary="symm")
    assert not p.holds
    assert not any("differs" in f for f in p.failures)       # the samples agree


def test_one_output_too_few_fails(monkeypatch):
    from toeplitz_conv.geometry import AxisGeometry
    real = AxisGeometry.__dict__["out_size"].func
    monkeypatch.setattr(AxisGeometry, "out_size", property(lambda ax: real(ax) - 1))
    p = prove_layer_equivalence_general((1, 1, 3), padding=1, padding_mode="reflect")
    assert not p.holds and any("row count" in f for f in p.failures)
    assert not prove_equivalence_general(3, "same", boundary="symm").holds


def test_refusals_name_the_parameter():
    with pytest.raises(ValueError, match="boundary"):
        prove_equivalence_general(sympy.Symbol("k", integer=True, positive=True),
                                  boundary="symm")
    with pytest.raises(ValueError, match="n names"):
        prove_equivalence_general((2, 2), "same", boundary="symm", n="m")


def test_cli_proves_symm_and_reflect_for_all_n():
    r = run_cli("prove", "general", "--boundary", "symm", "--mode", "same")
    assert r.returncode == 0 and "holds = True" in r.stdout, r.stderr
    r = run_cli("prove", "layer-general", "--padding-mode", "reflect", "--padding", "1")
    assert r.returncode == 0 and "middle block" in r.stdout, r.stderr
