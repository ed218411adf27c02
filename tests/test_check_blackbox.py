"""Black boxes without hints: footprint discovery, dtype tolerances, call budget, and
identify's per-axis paddings, against torch and JAX as independent references."""

import numpy as np
import pytest

from toeplitz_conv import DenseTooLargeError, layer_matrix, transposed_layer_matrix
from toeplitz_conv.check import NotLinearError, colour_columns, extract_matrix, identify

from .conftest import requires_torch


class Counter:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def torch_layer(w, b=None, *, pad=None, dtype="float64", transposed=False, mode="zeros",
                **kw):
    """torch conv as a numpy black box; ``pad`` = F.pad's (left, right, top, bottom)."""
    import torch
    import torch.nn.functional as F

    tdtype = getattr(torch, dtype)
    wt = torch.from_numpy(w).to(tdtype)
    bt = None if b is None else torch.from_numpy(b).to(tdtype)
    nd = w.ndim - 2

    def f(x):
        with torch.no_grad():
            xt = torch.from_numpy(x).to(tdtype)[None]
            if pad is not None:
                xt = F.pad(xt, pad, mode="constant" if mode == "zeros" else mode)
            if transposed:
                y = getattr(F, f"conv_transpose{nd}d")(xt, wt, bt, **kw)
            else:
                y = getattr(F, f"conv{nd}d")(xt, wt, bt, **kw)
            return y[0].numpy()
    return f


def _agrees(a, f, shape, rng, rtol=1e-12):
    for _ in range(2):
        x = rng.standard_normal(shape)
        y = f(x).ravel()
        assert np.allclose(a @ x.ravel(), y, rtol=rtol, atol=rtol * np.abs(y).max())


# ---------------------------------------------------------------- discovery
@requires_torch
def test_hint_free_extraction_of_a_3_to_16_64x64_layer_takes_at_most_32_calls():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((16, 3, 3, 3))
    f = Counter(torch_layer(w, padding=1))
    a, info = extract_matrix(f, (3, 64, 64), return_info=True)
    assert f.calls == info.calls <= 32 and info.method == "discovered"
    assert info.discovery_calls == 2 and info.probes == 27
    assert abs(a - layer_matrix(w, (3, 64, 64), padding=1).sparse).max() <= 1e-14
    _agrees(a, f, (3, 64, 64), rng)


@requires_torch
@pytest.mark.parametrize("kw,shape,most", [
    ({"stride": 2, "padding": 1}, (3, 17, 20), 40),
    ({"stride": (3, 1), "padding": (0, 2)}, (3, 17, 20), 40),
    ({"dilation": 2, "padding": 2}, (3, 17, 20), 40),
    ({"groups": 2, "padding": 1}, (4, 16, 16), 60),
    ({"groups": 4, "padding": 1}, (4, 16, 16), 30),
    ({"padding": 1, "mode": "circular"}, (3, 12, 12), 90),
    ({"padding": 1, "mode": "reflect"}, (3, 12, 12), 40),
])
def test_discovered_extraction_matches_torch_across_configurations(kw, shape, most):
    rng = np.random.default_rng(len(kw) + shape[1])
    kw = dict(kw)
    g = kw.get("groups", 1)
    w = rng.standard_normal((4, shape[0] // g, 3, 3))
    mode = kw.pop("mode", "zeros")
    if mode != "zeros":                      # torch pads first, then convolves unpadded
        p = kw.pop("padding")
        f = torch_layer(w, pad=(p, p, p, p), mode=mode, **kw)
        ref = layer_matrix(w, shape, padding=p, padding_mode=mode, **kw)
    else:
        f = torch_layer(w, **kw)
        ref = layer_matrix(w, shape, **kw)
    a, info = extract_matrix(f, shape, return_info=True)
    assert info.method == "discovered", info
    assert info.calls <= most < np.prod(shape)
    _agrees(a, f, shape, rng)
    assert abs(a - ref.sparse).max() <= 1e-13


@requires_torch
def test_discovered_extraction_of_a_transposed_layer():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((3, 4, 3, 3))
    f = torch_layer(w, transposed=True, stride=2, padding=1)
    a, info = extract_matrix(f, (3, 10, 11), return_info=True)
    assert info.method == "discovered" and info.calls <= 40
    assert abs(a - transposed_layer_matrix(w, (3, 10, 11), stride=2, padding=1).sparse).max() \
        <= 1e-13


def test_a_stray_long_range_entry_falls_back_to_one_hot_and_stays_exact():
    from scipy.signal import convolve2d

    k = np.arange(1.0, 10.0).reshape(3, 3)

    def f(x):
        y = convolve2d(x, k, "same")
        y[4, 5] += 7.0 * x[0, 0]             # outside any shift-invariant footprint
        return y
    a, info = extract_matrix(f, (9, 10), return_info=True)
    assert info.method == "one-hot"
    assert any("did not reproduce" in n for n in info.notes)
    dense = np.column_stack([f(e.reshape(9, 10)).ravel() for e in np.eye(90)])
    assert np.array_equal(a.toarray(), dense)


def test_max_calls_refuses_the_one_hot_fallback_before_it_starts():
    from scipy.signal import convolve2d

    k = np.ones((3, 3))

    def stray(x):
        y = convolve2d(x, k, "same")
        y[12, 15] += x[0, 0]
        return y
    f = Counter(stray)
    with pytest.raises(ValueError, match="max_calls=100"):
        extract_matrix(f, (30, 30), max_calls=100)
    assert f.calls <= 100
    # A shift-invariant box fits in the same budget.
    g = Counter(lambda x: convolve2d(x, k, "same"))
    a = extract_matrix(g, (30, 30), max_calls=100)
    assert g.calls <= 100 and a.nnz == sum(
        (min(i + 1, 29) - max(i - 1, 0) + 1) * (min(j + 1, 29) - max(j - 1, 0) + 1)
        for i in range(30) for j in range(30))
    # A dense black box on a long input: refused after the zero input and two
    # probes, without building its n^2 conflict graph.
    h = Counter(lambda x: np.full(3, x.sum()))
    with pytest.raises(ValueError, match="one-hot probing of 200000 input elements"):
        extract_matrix(h, 200_000)
    assert h.calls == 3
    with pytest.raises(DenseTooLargeError, match="max_conflicts=100"):
        colour_columns(np.ones((2, 20), dtype=bool), max_conflicts=100)
    with pytest.raises(ValueError, match="max_calls must be >= 1"):
        extract_matrix(g, 5, max_calls=0)
    with pytest.raises(TypeError, match="max_calls must be an int"):
        extract_matrix(g, 5, max_calls=2.5)
    with pytest.raises(ValueError, match="max_calls"):
        identify(stray, (30, 30), max_calls=50)


# ---------------------------------------------------------------- float32
@requires_torch
def test_float32_black_boxes_pass_at_default_tolerances_and_fail_when_wrong():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32).astype(np.float64)
    b = rng.standard_normal(8).astype(np.float32).astype(np.float64)
    f = torch_layer(w, b, dtype="float32", padding=1)
    # The old fixed tolerance calls a float32 layer non-linear.
    with pytest.raises(NotLinearError):
        extract_matrix(f, (3, 20, 20), rtol=1e-9)
    a, info = extract_matrix(f, (3, 20, 20), return_info=True)
    assert info.dtype == np.float32 and 1e-6 < info.rtol < 1e-4
    assert np.allclose(info.bias, np.broadcast_to(b[:, None, None], (8, 20, 20)), rtol=1e-6)
    assert abs(a - layer_matrix(w, (3, 20, 20), padding=1).sparse).max() <= 1e-5
    # One-hot extraction of float32 keeps no rounding noise as entries.
    small = torch_layer(w[:2], dtype="float32", padding=1)
    a1 = extract_matrix(small, (3, 5, 5), discover=False)
    assert a1.nnz == layer_matrix(w[:2], (3, 5, 5), padding=1).nnz
    # A non-linear float32 box is still refused.
    relu = torch_layer(w, dtype="float32", padding=1)
    with pytest.raises(NotLinearError):
        extract_matrix(lambda x: np.maximum(relu(x), 0), (3, 20, 20))
    r = identify(f, (3, 20, 20))
    assert r.fits and r.params["padding"] == (1, 1), str(r)
    assert np.allclose(r.kernel, w, rtol=1e-5, atol=1e-6) and r.bias is not None


# ---------------------------------------------------------------- identify paddings
@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_identify_names_a_per_axis_mix_of_same_and_an_int():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((2, 2, 4, 3))
    # Height: 'same' for k=4 is 1 before, 2 after; width: none.
    f = torch_layer(w, pad=(0, 0, 1, 2))
    r = identify(f, (2, 9, 10))
    assert r.fits, str(r)
    assert r.params["padding_per_axis"] == ("same", 0)
    assert r.params["padding"] == ((1, 2), (0, 0))
    assert r.kernel.shape == w.shape and np.allclose(r.kernel, w, rtol=1e-12)
    # Both axes 'same' is torch's padding='same' and named so.
    r2 = identify(torch_layer(w, padding="same"), (2, 9, 10))
    assert r2.params["padding"] == "same" and r2.params["padding_per_axis"] == ("same", 1)
    x = rng.standard_normal((2, 9, 10))
    again = layer_matrix(r.kernel, (2, 9, 10), padding=r.params["padding"]) @ x.ravel()
    assert np.allclose(again, f(x).ravel(), rtol=1e-12)


def test_identify_names_jax_same_padding_with_stride_2():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    rng = np.random.default_rng(9)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)

    def f(x):
        y = jax.lax.conv_general_dilated(jnp.asarray(x[None], jnp.float32), jnp.asarray(w),
                                         window_strides=(2, 2), padding="SAME",
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return np.asarray(y[0])
    found = {}
    for shape in [(2, 8, 9), (2, 10, 10)]:
        r = found[shape] = identify(f, shape)
        assert r.fits, str(r)
        # TF's split: ceil(n / 2) outputs, the odd extra pad after.
        assert r.params["stride"] == (2, 2)
        assert r.kernel.shape == w.shape and np.allclose(r.kernel, w, rtol=1e-6)
        x = rng.standard_normal(shape)
        mine = layer_matrix(r.kernel, shape, stride=2, padding=r.params["padding"]) @ x.ravel()
        assert np.allclose(mine, f(x).ravel(), rtol=1e-5, atol=1e-5)
    # 8 -> total 1 (0, 1); 9 -> total 2 (1, 1): the mix is TF's 'SAME' per axis.
    r = found[(2, 8, 9)]
    assert r.params["padding_per_axis"] == ("SAME", 1) and r.params["padding"] == "SAME"
