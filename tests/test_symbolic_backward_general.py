"""backward_convolutions(...).proof for every input size: it holds on the code, and each
planted bug -- in the numbers apply runs, or in the builder only for large n -- refutes it.

Every bug is planted through ``monkeypatch`` on the function the code really calls
(``_backward.axis_plans``, the assembler's region writer); each test first shows the bug
is live against an independent result, then that the proof for every size fails.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import numpy as np
import pytest

from toeplitz_conv import layer_matrix
from toeplitz_conv.symbolic import _backward, backward_convolutions

from .test_symbolic_soundness import _drop_capped_tails, _first_capped_size

# (weight_shape, input_shape, layer options): a stride with TF's 'SAME' and dilation, a
# pad larger than the kernel's span (the transposed convolution crops), groups with
# 'valid', a 2-D layer with per-axis numbers.
CASES = [
    ((2, 2, 3), (2, 6), {"stride": 3, "padding": "SAME", "dilation": 2}),
    ((1, 1, 2), (1, 4), {"stride": 2, "padding": ((0, 4),)}),
    ((4, 1, 3), (2, 7), {"stride": 2, "padding": "valid", "groups": 2}),
    ((1, 1, 2, 3), (1, 4, 5), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}),
]


def _plant(monkeypatch, change):
    """axis_plans (what backward_convolutions and its proof call) changed per axis."""
    real = _backward.axis_plans

    def wrong(*args, **kwargs):
        return tuple(change(p) for p in real(*args, **kwargs))
    monkeypatch.setattr(_backward, "axis_plans", wrong)


def _numbers(w_shape, x_shape, b, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.integers(-5, 6, w_shape).astype(float)
    x = rng.integers(-5, 6, x_shape).astype(float)
    g = rng.integers(-5, 6, b.input_grad.out_shape).astype(float)
    return w, x, g


def _input_grad_is_wrong(w_shape, x_shape, **kw):
    """True when apply differs from the builder's A.T @ g at this size (the bug is live)."""
    b = backward_convolutions(w_shape, x_shape, **kw)
    w, _, g = _numbers(w_shape, x_shape, b)
    got = b.input_grad.apply(g, weight=w)
    want = (layer_matrix(w, x_shape, **kw).T @ g.ravel()).reshape(x_shape)
    return got.shape != want.shape or not np.array_equal(got, want)


@pytest.mark.parametrize("w_shape, x_shape, kw", CASES)
def test_the_proofs_for_every_size_hold(w_shape, x_shape, kw):
    b = backward_convolutions(w_shape, x_shape, **kw)
    for conv in (b.input_grad, b.weight_grad):
        p = conv.proof
        assert p.holds, p.text()
        assert p.details["scope"] == "every size"
        assert any("product structure in N-D" in n for n in p.notes)
        assert any("write-path thresholds" in n and n.endswith("agree") for n in p.notes)
    # one class per residue of the stride, per axis, each with its plan shown
    s = b.input_grad.params["stride"]
    assert sum("the plan at the symbolic size" in c for c, _ in b.input_grad.proof.steps) \
        == sum(s)


def test_a_transposed_padding_off_by_one_is_refuted(monkeypatch):
    # d (k - 1) - p written one too large before and one too small after: same size.
    _plant(monkeypatch, lambda p: dataclasses.replace(
        p, ig_pad=(p.ig_pad[0] + 1, p.ig_pad[1] - 1)))
    assert _input_grad_is_wrong((1, 1, 3), (1, 6), stride=2, padding=1)
    p = backward_convolutions((1, 1, 3), (1, 6), stride=2, padding=1).input_grad.proof
    assert not p.holds
    assert any("entry j: u = " in f for f in p.failures)        # a concrete counterexample
    assert p.residual != 0


def test_a_crop_missing_for_one_residue_is_refuted_in_that_class_only(monkeypatch):
    def no_crop_at_last_residue(p):
        if p.output_padding != p.g_dilation - 1:
            return p
        return dataclasses.replace(p, output_padding=0,
                                   ig_pad=(p.ig_pad[0], p.ig_pad[1] - p.output_padding))
    _plant(monkeypatch, no_crop_at_last_residue)
    kw = {"stride": 3, "padding": 1}
    # n + 2 p - k = n - 1: output_padding is (n - 1) mod 3, so n = 3, 6, ... are wrong.
    assert [_input_grad_is_wrong((1, 1, 3), (1, n), **kw) for n in range(4, 10)] == \
        [False, False, True, False, False, True]
    p = backward_convolutions((1, 1, 3), (1, 5), **kw).input_grad.proof
    assert not p.holds
    symbolic = [f for f in p.failures if f.startswith("[axis")]
    assert symbolic and all(f.startswith("[axis 0, n = 3 + 3 u]") for f in symbolic)
    assert any("samples, not n = 3*u + 3" in f for f in symbolic)


def test_grad_out_not_dilated_by_the_stride_is_refuted(monkeypatch):
    _plant(monkeypatch, lambda p: dataclasses.replace(p, g_dilation=1))
    assert _input_grad_is_wrong((1, 1, 3), (1, 7), stride=2, padding=1)
    p = backward_convolutions((1, 1, 3), (1, 7), stride=2, padding=1).input_grad.proof
    assert not p.holds and any("entry j" in f for f in p.failures)


def test_stride_and_dilation_not_swapped_in_the_weight_gradient_is_refuted(monkeypatch):
    _plant(monkeypatch, lambda p: dataclasses.replace(
        p, wg_kernel_dilation=p.wg_step, wg_step=p.wg_kernel_dilation))
    kw = {"stride": 3, "padding": 1, "dilation": 2}
    b = backward_convolutions((1, 1, 3), (1, 11), **kw)
    w, x, g = _numbers((1, 1, 3), (1, 11), b)
    assert not np.array_equal(b.weight_grad.apply(g, x=x),
                              layer_matrix(w, (1, 11), **kw).weight_grad(x, g))
    p = b.weight_grad.proof
    assert not p.holds and any("entry t = 0: u = " in f for f in p.failures)


def test_a_builder_bug_only_for_large_n_is_refuted(monkeypatch):
    # The assembler drops a chunk's tail once chunks are at their cap (n >= 21,835 for
    # k = 3): right at every small size, so only the ties by size past the threshold see it.
    _drop_capped_tails(monkeypatch, garbage=False)
    n = _first_capped_size(3)
    rng = np.random.default_rng(1)
    w, g = rng.integers(-5, 6, (1, 1, 3)).astype(float), rng.integers(-5, 6, n).astype(float)
    a = layer_matrix(w, (1, n), padding=1)
    assert not np.array_equal(a.T @ g, np.correlate(np.pad(g, 1), w[0, 0, ::-1], "valid"))
    b = backward_convolutions((1, 1, 3), (1, 5), padding=1)
    assert b.input_grad.proof_at_size.holds and b.weight_grad.proof_at_size.holds
    for conv in (b.input_grad, b.weight_grad):
        p = conv.proof
        assert not p.holds
        assert all("write path 'by size'" in f for f in p.failures)
        assert any(f"sizes ({n},)" in f for f in p.failures)


def test_the_proof_does_not_raise_when_the_code_does(monkeypatch):
    # A plan that cannot take a symbolic size (int() of it) is a failure, not a traceback.
    _plant(monkeypatch, lambda p: dataclasses.replace(p, n=int(p.n)))
    p = backward_convolutions((1, 1, 3), (1, 6), stride=2, padding=1).input_grad.proof
    assert not p.holds and "the plan at the symbolic size" in p.failures[0]


def test_beyond_the_bounds_of_every_size_it_is_the_proof_for_these_sizes():
    b = backward_convolutions((1, 1, 3), (1, 80), stride=20)
    p = b.input_grad.proof
    assert p.holds and p.details.get("scope") != "every size"
    assert "not proved for every size: stride must be at most 16" in p.notes[-1]
    assert not any("not proved for every size" in n for n in b.input_grad.proof_at_size.notes)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_proofs_latex_compiles(tmp_path, monkeypatch):
    from toeplitz_conv.symbolic import circular_block_diagonalisation
    b = backward_convolutions((2, 1, 3), (1, 7), stride=2, padding="SAME")
    proofs = [b.input_grad.proof, b.weight_grad.proof,
              circular_block_diagonalisation((1, 1, 2, 2), (2, 3), padding=((1, 0), (1, 0)))]
    _plant(monkeypatch, lambda p: dataclasses.replace(p, g_dilation=1))
    proofs.append(backward_convolutions((1, 1, 3), (1, 7), stride=2).input_grad.proof)
    assert [p.holds for p in proofs] == [True, True, True, False]
    body = "\n\n".join(r"\[" + p.to_latex() + r"\]" for p in proofs)
    (tmp_path / "p.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath}\n"
                                    "\\begin{document}\n" + body + "\n\\end{document}\n")
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "p.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, [ln for ln in r.stdout.splitlines() if ln.startswith("!")]


def test_a_crop_missing_in_the_array_operation_is_refuted(monkeypatch):
    # The plan is right, but the pad/crop step ignores negative pads: only the ties see it.
    real = _backward._pad_or_crop
    monkeypatch.setattr(_backward, "_pad_or_crop", lambda a, pads: real(
        a, [(max(b, 0), max(e, 0)) for b, e in pads]))
    kw = {"stride": 2, "padding": ((0, 4),)}        # pad after > d (k - 1): a crop
    b = backward_convolutions((1, 1, 2), (1, 4), **kw)
    w, _, g = _numbers((1, 1, 2), (1, 4), b)
    assert b.input_grad.apply(g, weight=w).shape != (1, 4)
    p = b.input_grad.proof
    assert not p.holds and all("apply differs" in f or "tying stopped" in f for f in p.failures)
