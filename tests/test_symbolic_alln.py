"""Issue 31, item 4: proofs for every size of transposed layers, the data (im2col) matrix
and the mirrored boundaries in N-D -- and the planted bugs each must refute.

The proofs' independent side (``_reference.py``) is first compared with torch,
scipy and numpy; then each proof holds on the real builder and fails on a
wrong claim; then bugs are planted through private hooks with ``monkeypatch``
(each shown live first) and the proof that held must fail.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.signal
import scipy.sparse as sp

from toeplitz_conv import (
    TiedMatrix,
    _assemble,
    data,
    data_matrix,
    layers,
    transposed_layer_matrix,
)
from toeplitz_conv._assemble import Ties
from toeplitz_conv.geometry import _conventions
from toeplitz_conv.symbolic import (
    _general_transposed,
    prove_data_matrix_general,
    prove_equivalence_general,
    prove_layer_equivalence_general,
    prove_transposed_layer_general,
)
from toeplitz_conv.symbolic._reference import (
    data_reference_taps,
    layer_reference_taps,
    signal_reference_taps,
    transposed_reference_taps,
)

from ._cli import run_cli
from .conftest import requires_torch
from .test_symbolic_soundness import _drop_capped_tails


def _dense(ref, values, n_cols):
    shape, r, c, idx = ref
    return sp.coo_array((values.ravel()[idx], (r, c)),
                        shape=(int(np.prod(shape)), n_cols)).toarray()


# ------------------------------------------------------ the references, independently
@requires_torch
def test_transposed_and_im2col_references_are_torchs():
    import torch
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    checked = 0
    while checked < 12:
        nd = int(rng.integers(1, 3))
        g = int(rng.integers(1, 3))
        ci, co = g * int(rng.integers(1, 3)), int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, nd))
        s = tuple(int(v) for v in rng.integers(1, 4, nd))
        d = tuple(int(v) for v in rng.integers(1, 3, nd))
        op = tuple(int(rng.integers(0, max(a, b))) for a, b in zip(s, d))
        p = tuple(int(v) for v in rng.integers(0, 3, nd))
        n = tuple(int(v) for v in rng.integers(2, 6, nd))
        w = rng.standard_normal((ci, co, *k))
        x = rng.standard_normal((ci, *n))
        conv_t = (F.conv_transpose1d, F.conv_transpose2d)[nd - 1]
        try:
            y = conv_t(torch.tensor(x)[None], torch.tensor(w), stride=s, padding=p,
                       output_padding=op, dilation=d, groups=g)[0].numpy()
        except RuntimeError:                       # torch: an empty output
            continue
        ref = transposed_reference_taps(w.shape, x.shape, stride=s, padding=p,
                                        output_padding=op, dilation=d, groups=g)
        assert ref[0] == y.shape
        np.testing.assert_allclose(_dense(ref, w, x.size) @ x.ravel(), y.ravel())
        # im2col: X(x) w is torch's conv, so its columns are in C order of the weight.
        wf = rng.standard_normal((co * g, ci // g, *k))
        mode = ("zeros", "reflect", "replicate", "circular")[checked % 4]
        xp = x
        if mode != "zeros":
            if any(v >= m for v, m in zip(p, n)):
                continue
            xp = F.pad(torch.tensor(x)[None], [v for v in p[::-1] for _ in (0, 1)],
                       mode=mode)[0].numpy()
        conv = (F.conv1d, F.conv2d)[nd - 1]
        try:
            want = conv(torch.tensor(xp)[None], torch.tensor(wf), stride=s,
                        padding=p if mode == "zeros" else 0, dilation=d, groups=g)[0].numpy()
        except RuntimeError:                       # torch: the kernel does not fit
            continue
        dref = data_reference_taps(wf.shape, x.shape, stride=s, padding=p, dilation=d,
                                   groups=g, padding_mode=mode)
        np.testing.assert_allclose(_dense(dref, x, wf.size) @ wf.ravel(), want.ravel())
        checked += 1


@requires_torch
@pytest.mark.parametrize("padding", ["SAME", "VALID", "SAME_LOWER"])
def test_transposed_string_padding_reference_is_the_gradient_of_tfs_conv(padding):
    # tf.nn.conv2d_transpose is the gradient of tf.nn.conv2d on the output size (TF's
    # documentation); here torch's autograd of the forward conv with TF's pads.
    import torch
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    for k, s, d, n in ((3, 2, 1, 4), (4, 3, 1, 3), (2, 2, 2, 5), (1, 3, 1, 2)):
        w = rng.standard_normal((1, 1, k))
        g = rng.standard_normal((1, n))
        ref = transposed_reference_taps(w.shape, g.shape, stride=(s,), padding=padding,
                                        output_padding=(0,), dilation=(d,), groups=1)
        m = ref[0][-1]
        extent = d * (k - 1) + 1
        total = 0 if padding == "VALID" else max((n - 1) * s + extent - m, 0)
        before, after = total // 2, total - total // 2
        if padding == "SAME_LOWER":
            before, after = after, before
        x = torch.zeros((1, 1, m), dtype=torch.float64, requires_grad=True)
        y = F.conv1d(F.pad(x, (before, after)), torch.tensor(w), stride=s, dilation=d)
        assert y.shape[-1] == n
        (y * torch.tensor(g)[None]).sum().backward()
        np.testing.assert_allclose(_dense(ref, w, n) @ g.ravel(), x.grad.numpy().ravel())


def test_nd_mirrored_references_are_scipys_and_numpys():
    rng = np.random.default_rng(4)
    w = rng.integers(-4, 5, size=(2, 3)).astype(float)
    x = rng.integers(-4, 5, size=(4, 5)).astype(float)
    for mode in ("full", "same", "valid"):
        ref = signal_reference_taps(w.shape, x.shape, mode, "symm", (1, 1), False)
        want = scipy.signal.convolve2d(x, w, mode, boundary="symm")
        np.testing.assert_allclose(_dense(ref, w, x.size) @ x.ravel(), want.ravel())
    for mode, np_mode in (("reflect", "reflect"), ("replicate", "edge")):
        ref = layer_reference_taps((1, 1, 3, 2), (1, 4, 5), stride=(1, 1), padding=((2, 1), (1, 1)),
                                   dilation=(1, 1), groups=1, padding_mode=mode)
        xp = np.pad(x, ((2, 1), (1, 1)), mode=np_mode)
        wl = w.T[None, None]                      # (1, 1, 3, 2)
        want = scipy.signal.correlate2d(xp, wl[0, 0], "valid")
        np.testing.assert_allclose(_dense(ref, wl, x.size) @ x.ravel(), want.ravel())


# ---------------------------------------------------------- the proofs hold, or refute
@pytest.mark.parametrize("shape, kw", [
    ((2, 2, 3), {"stride": 3, "padding": ((2, 0),), "dilation": 2, "output_padding": 2,
                 "groups": 2}),
    ((1, 1, 3), {"dilation": 2, "output_padding": 1}),          # op >= stride: cropped
    ((1, 1, 4), {"stride": 2, "padding": "SAME"}),
    ((1, 1, 3), {"stride": 2, "padding": "VALID"}),
    ((1, 1, 2, 2), {"stride": (2, 1), "padding": (0, 1), "output_padding": (1, 0)}),
])
def test_transposed_layer_holds_for_every_size(shape, kw):
    p = prove_transposed_layer_general(shape, **kw)
    assert p.holds, p.failures
    assert any("transposed_layer_matrix" in note for note in p.notes)


def test_transposed_wrong_claim_fails():
    p = prove_transposed_layer_general((2, 1, 3), stride=2, padding=1, claim="flipped")
    assert not p.holds and any("column" in f for f in p.failures)


@pytest.mark.parametrize("shape, kw", [
    ((2, 2, 2, 3), {"stride": (1, 2), "padding": (1, 0), "groups": 2}),
    ((1, 1, 3), {"padding": "same", "dilation": 2, "padding_mode": "circular"}),
    ((1, 2, 3), {"padding": 2, "stride": 2, "padding_mode": "replicate"}),
])
def test_data_matrix_holds_for_every_size(shape, kw):
    p = prove_data_matrix_general(shape, **kw)
    assert p.holds, p.failures
    if len(shape) == 3:
        assert not prove_data_matrix_general(shape, claim="flipped", **kw).holds


def test_mirrored_nd_holds_and_says_what_it_assumes():
    p = prove_equivalence_general((2, 3), "same", stride=(1, 2), boundary="symm")
    assert p.holds, p.failures
    assert any(note.startswith("product structure in N-D") for note in p.notes)
    assert any(c.startswith("axis 1: middle block") for c, _ in p.steps)
    assert not prove_equivalence_general((2, 2), "valid", boundary="symm",
                                         claim="unflipped").holds
    for mode, kw in (("reflect", {"padding": 1, "groups": 2}),
                     ("replicate", {"padding": ((2, 0), (1, 1)), "stride": (2, 1)})):
        p = prove_layer_equivalence_general((2, 1, 3, 2), padding_mode=mode, **kw)
        assert p.holds, p.failures
    assert not prove_layer_equivalence_general((1, 1, 3, 2), padding=1, padding_mode="reflect",
                                               claim="flipped").holds
    assert prove_layer_equivalence_general((1, 1, 1, 2, 2), padding=(0, 1, 0),
                                           padding_mode="replicate").holds     # 3-D


# ------------------------------------------------------------------- planted bugs
def test_output_padding_ignored_is_refuted(monkeypatch):
    real = layers.transposed_out_size

    def no_op(size, kernel, *, output_padding=0, **kw):
        return real(size, kernel, **kw)
    monkeypatch.setattr(layers, "transposed_out_size", no_op)
    w = np.ones((1, 1, 3))
    assert transposed_layer_matrix(w, (1, 4), stride=2, output_padding=1).shape[0] == 9  # live
    p = prove_transposed_layer_general((1, 1, 3), stride=2, padding=1, output_padding=1)
    assert not p.holds and all("builder differs" in f for f in p.failures)
    # The same bug in the core the proof evaluates: the symbolic part refutes it too.
    monkeypatch.setattr(_general_transposed, "transposed_out_size", no_op)
    p = prove_transposed_layer_general((1, 1, 3), stride=2, padding=1, output_padding=1)
    assert "row or column count" in p.failures


def test_transposed_chunk_cap_bug_only_for_large_n_is_refuted(monkeypatch):
    _drop_capped_tails(monkeypatch, garbage=False)
    th = _assemble.write_path_thresholds()
    n = th["chunk_split"] * (th["chunk_entries"] // 3 - 1) + 1       # its full rows at the cap
    g = np.arange(n, dtype=float) % 5
    w = np.array([1.0, 2.0, 3.0])
    t = transposed_layer_matrix(w[None, None], (1, n - 1))
    assert np.allclose(t @ g[:-1], np.convolve(g[:-1], w))               # right below ...
    assert not np.allclose(transposed_layer_matrix(w[None, None], (1, n)) @ g,
                           np.convolve(g, w))                            # ... live from n on
    p = prove_transposed_layer_general((1, 1, 3))
    assert not p.holds and any("by size" in f for f in p.failures)


def test_transposed_reversed_stored_values_are_refuted(monkeypatch):
    # The transpose keeps its taps but gathers its values with the kernel reversed.
    real = TiedMatrix.T.fget

    def reversed_values(self):
        t = real(self)
        w = t._weight
        return TiedMatrix._trusted(t.shape, t._indptr, t._indices, t._tap_weight, w,
                                   data=w.ravel()[w.size - 1 - t._tap_weight],
                                   in_shape=t.in_shape, out_shape=t.out_shape)
    monkeypatch.setattr(TiedMatrix, "T", property(reversed_values))
    w = np.array([1.0, 2.0, 4.0])
    t = transposed_layer_matrix(w[None, None], (1, 6), stride=2)
    ref = transposed_reference_taps((1, 1, 3), (1, 6), stride=(2,), padding=0,
                                    output_padding=(0,), dilation=(1,), groups=1)
    assert sorted(zip(*t.taps)) == sorted(zip(*ref[1:]))            # the taps are right ...
    assert not np.allclose(t.toarray(), _dense(ref, w, 6))           # ... the values are not
    p = prove_transposed_layer_general((1, 1, 3), stride=2, padding=1)
    assert not p.holds and any("stored values" in f for f in p.failures)


def test_wrong_im2col_column_order_is_refuted(monkeypatch):
    real = data.assemble
    monkeypatch.setattr(data, "assemble", lambda geom, w, **kw: real(geom, w, flip=True, **kw))
    x, w = np.arange(1.0, 7.0)[None], np.array([[[5.0, 6.0, 7.0]]])
    assert not np.allclose(data_matrix(x, (1, 1, 3)) @ w.ravel(),
                           np.correlate(x[0], w[0, 0], "valid"))          # live
    for shape, kw in (((1, 1, 3), {}), ((2, 1, 2, 2), {"padding": 1, "padding_mode": "reflect"})):
        p = prove_data_matrix_general(shape, **kw)
        assert not p.holds and any(f.endswith(": taps") for f in p.failures), shape


def test_im2col_values_from_the_wrong_sample_are_refuted(monkeypatch):
    monkeypatch.setattr(data, "Ties",
                        lambda **kw: Ties(data_of=np.ascontiguousarray(kw["data_of"][..., ::-1])))
    x = np.arange(1.0, 7.0)[None]
    m = data_matrix(x, (1, 1, 3))
    ref = data_reference_taps((1, 1, 3), (1, 6), stride=(1,), padding=0, dilation=(1,),
                              groups=1, padding_mode="zeros")
    assert sorted(zip(*m.taps)) == sorted(zip(*ref[1:]))            # the taps are right ...
    assert not np.allclose(m.toarray(), _dense(ref[:3] + (ref[3],), x, 3))   # ... not the values
    p = prove_data_matrix_general((2, 1, 3), padding=1)
    assert not p.holds and any("stored values" in f for f in p.failures)


def _swap_one_axis(monkeypatch, table, kernel=3):
    """The core reads the axis whose kernel has ``kernel`` taps with the wrong mirror."""
    real = _conventions.AxisGeometry

    def axis(*args, **kw):
        ax = real(*args, **kw)
        if ax.kernel == kernel and ax.boundary in table:
            ax = replace(ax, boundary=table[ax.boundary])
        return ax
    monkeypatch.setattr(_conventions, "AxisGeometry", axis)


def test_reflect_for_symmetric_in_one_axis_is_refuted(monkeypatch):
    _swap_one_axis(monkeypatch, {"symm": "reflect"})
    x, w = np.arange(20.0).reshape(4, 5), np.ones((2, 3))
    from toeplitz_conv import conv_matrix
    got = conv_matrix(w, (4, 5), "same", boundary="symm") @ x.ravel()
    assert not np.allclose(got, scipy.signal.convolve2d(x, w, "same", boundary="symm").ravel())
    p = prove_equivalence_general((2, 3), "same", boundary="symm")
    assert not p.holds
    axes = {f.split(":")[0] for f in p.failures if f.startswith("axis")}
    assert axes == {"axis 1"}                     # the wrong axis, and only it


def test_symmetric_for_reflect_in_one_axis_is_refuted(monkeypatch):
    _swap_one_axis(monkeypatch, {"reflect": "symm"})
    p = prove_layer_equivalence_general((1, 1, 2, 3), padding=1, padding_mode="reflect")
    assert not p.holds
    assert {f.split(":")[0] for f in p.failures if f.startswith("axis")} == {"axis 1"}
    assert not prove_data_matrix_general((1, 1, 3, 2), padding=1, padding_mode="reflect").holds


def test_refusals_name_the_parameter():
    with pytest.raises(ValueError, match="output_padding"):
        prove_transposed_layer_general((1, 1, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        prove_transposed_layer_general((1, 1, 3), stride=2, padding="SAME", output_padding=1)
    with pytest.raises(ValueError, match="padding"):
        prove_transposed_layer_general((1, 1, 3), padding="same")
    with pytest.raises(ValueError, match="groups"):
        prove_transposed_layer_general((3, 1, 3), groups=2)
    with pytest.raises(ValueError, match="padding='SAME'"):
        prove_data_matrix_general((1, 1, 3), stride=2, padding="SAME")
    with pytest.raises(TypeError, match="weight_shape"):
        prove_data_matrix_general([1, 1, 3])
    with pytest.raises(ValueError, match="padding_mode"):
        prove_data_matrix_general((1, 1, 3), padding_mode="symm")
    with pytest.raises(ValueError, match="stride"):
        prove_transposed_layer_general((1, 1, 3), stride=99)


def test_a_one_tap_reflect_axis_is_decided():
    # The middle block of a one-tap axis reaches n = 1, where reflect's period 2 n - 2 is 0:
    # sympy cannot decide the map there until the sizes are split into cases.
    assert prove_layer_equivalence_general((1, 1, 1), stride=2, padding_mode="reflect").holds
    assert prove_layer_equivalence_general((2, 1, 3, 1), stride=(2, 3), padding=(1, 0),
                                           groups=2, padding_mode="reflect").holds


def test_mirrored_nd_reversed_stored_values_are_refuted(monkeypatch):
    # Mirrored boundaries are written from one table: its values gathered from the
    # kernel reversed while the taps (weight indices) are right.
    real = TiedMatrix.from_taps.__func__

    def reversed_weight(cls, shape, rows, cols, weight_index, weight, **kw):
        w = np.asarray(weight)
        return real(cls, shape, rows, cols, weight_index, w.ravel()[::-1].reshape(w.shape), **kw)
    monkeypatch.setattr(TiedMatrix, "from_taps", classmethod(reversed_weight))
    from toeplitz_conv import layer_matrix
    w = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    a = layer_matrix(w, (1, 4, 5), padding=1, padding_mode="reflect")
    ref = layer_reference_taps((1, 1, 2, 3), (1, 4, 5), stride=(1, 1), padding=1,
                               dilation=(1, 1), groups=1, padding_mode="reflect")
    assert not np.allclose(a.toarray(), _dense(ref, w, 20))              # live
    p = prove_layer_equivalence_general((1, 1, 2, 3), padding=1, padding_mode="reflect")
    assert not p.holds and any("stored values" in f for f in p.failures)
    p = prove_equivalence_general((2, 2), "same", boundary="symm")
    assert not p.holds and any("stored values" in f for f in p.failures)


def test_cli_proves_the_transposed_layer_and_the_data_matrix_for_every_size():
    r = run_cli("prove", "transposed-general", "--stride", "2", "--padding", "1",
                "--output-padding", "1")
    assert r.returncode == 0 and "holds = True" in r.stdout, r.stderr
    r = run_cli("prove", "data-general", "--weight-shape", "1,1,2,2", "--padding", "1",
                "--padding-mode", "reflect", "--claim", "flipped")
    assert r.returncode == 1 and "holds = False" in r.stdout, r.stderr
    r = run_cli("prove", "data-general", "--output-padding", "1")
    assert r.returncode == 2 and "--output-padding" in r.stderr
