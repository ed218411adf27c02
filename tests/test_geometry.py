"""Property tests of the geometry core against independent references.

Every formula of :mod:`toeplitz_conv.geometry` is checked over seeded random
configurations against what a peer library actually does: torch's output
shapes and acceptance rules (``conv1d``, ``conv_transpose1d``, the pooling
functions, ``padding="same"``), JAX's ``"SAME"`` pads
(``jax.lax.padtype_to_pads``, ``conv_general_dilated``'s shapes),
``numpy.pad`` for the boundary maps, scipy.signal and scipy.ndimage for the
conventions' windows, or a brute-force enumeration written here.  Never
against the core itself.

Each check returns the configurations where the core and the reference
disagree; the tests assert there are none, and the mutation tests assert
that a deliberately wrong formula gives some (so each check can fail).
"""

from __future__ import annotations

import importlib.util
import itertools
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

from tests.conftest import requires_torch
from toeplitz_conv import geometry as g

requires_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                  reason="jax is not installed")

_REFUSED = (RuntimeError, ValueError)


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng(20261207 + salt)


def _gather(table: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``y[o] = sum_t w[t] x[table[o, t]]``, ``-1`` reading zero: the map under test, applied."""
    vals = np.where(table >= 0, x.ravel()[np.maximum(table, 0)], 0.0)
    return vals @ w.ravel()


# --- output sizes -----------------------------------------------------------------------


def _torch_conv_len(n: int, k: int, s: int, d: int, before: int, after: int) -> int:
    """torch's output length of conv1d on an input padded (before, after); 0 if refused."""
    import torch
    import torch.nn.functional as F

    x = F.pad(torch.zeros(1, 1, n), (before, after))
    try:
        return int(F.conv1d(x, torch.zeros(1, 1, k), stride=s, dilation=d).shape[-1])
    except _REFUSED:
        return 0


def check_conv_out_size(impl: Callable[..., int] = g.conv_out_size) -> list[tuple]:
    bad = []
    rng = _rng(1)
    for _ in range(120):
        n, k, s, d = (int(v) for v in rng.integers(1, (13, 6, 5, 4)))
        b, a = (int(v) for v in rng.integers(0, 5, 2))
        want = _torch_conv_len(n, k, s, d, b, a)
        got = impl(n, k, stride=s, padding=(b, a), dilation=d)
        ax = g.AxisGeometry(n, k, s, d, b, a)
        if got != want or ax.out_size != want:
            bad.append((n, k, s, d, b, a, got, want))
    return bad


def check_transposed_out_size(impl: Callable[..., int] = g.transposed_out_size) -> list[tuple]:
    import torch
    import torch.nn.functional as F

    bad = []
    rng = _rng(2)
    for _ in range(100):
        n, k, s, d = (int(v) for v in rng.integers(1, (9, 6, 5, 4)))
        p = int(rng.integers(0, 4))
        op = int(rng.integers(0, max(s, d)))          # torch: op < stride or op < dilation
        try:
            want = F.conv_transpose1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s,
                                      padding=p, output_padding=op, dilation=d).shape[-1]
        except _REFUSED:
            want = None
        got = impl(n, k, stride=s, padding=(p, p), output_padding=op, dilation=d)
        if (want is None and got > 0) or (want is not None and got != want):
            bad.append((n, k, s, d, p, op, got, want))
        # Per side: torch's unpadded output with (before, after) cropped off.
        b, a = (int(v) for v in rng.integers(0, 3, 2))
        full = F.conv_transpose1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s,
                                  output_padding=op, dilation=d).shape[-1]
        got = impl(n, k, stride=s, padding=(b, a), output_padding=op, dilation=d)
        if got != full - b - a:
            bad.append((n, k, s, d, (b, a), op, got, full - b - a))
    return bad


def check_transposed_output_padding(
        impl: Callable[..., int] = g.transposed_output_padding) -> list[tuple]:
    import torch
    import torch.nn.functional as F

    bad = []
    rng = _rng(3)
    for _ in range(80):
        n, k, s, d = (int(v) for v in rng.integers(1, (13, 5, 5, 3)))
        p = int(rng.integers(0, 3))
        m = _torch_conv_len(n, k, s, d, p, p)
        if m < 1:
            continue
        op = impl(n, m, k, stride=s, padding=(p, p), dilation=d)
        try:
            back = F.conv_transpose1d(torch.zeros(1, 1, m), torch.zeros(1, 1, k), stride=s,
                                      padding=p, output_padding=op, dilation=d).shape[-1]
        except _REFUSED:
            back = None
        if not 0 <= op < s or back != n:
            bad.append((n, k, s, d, p, m, op, back))
    return bad


def check_layer_padding_range(impl: Callable[..., range] = g.layer_padding_range,
                              symmetric: Callable[..., range] = g.layer_symmetric_paddings
                              ) -> list[tuple]:
    bad = []
    rng = _rng(4)
    top = 40
    for _ in range(30):
        n, k, s, d = (int(v) for v in rng.integers(1, (10, 5, 5, 3)))
        lengths = [_torch_conv_len(n, k, s, d, t // 2, t - t // 2) for t in range(top)]
        sym = [_torch_conv_len(n, k, s, d, p, p) for p in range(top // 2)]
        for m in range(1, 7):
            want = {t for t, v in enumerate(lengths) if v == m}
            got = set(impl(n, m, k, stride=s, dilation=d))
            want_sym = {p for p, v in enumerate(sym) if v == m}
            got_sym = set(symmetric(n, m, k, stride=s, dilation=d))
            if (got & set(range(top)) != want or max(got, default=0) >= top
                    or got_sym != want_sym):
                bad.append((n, k, s, d, m, sorted(got), sorted(want)))
    return bad


def check_pool_out_size(impl: Callable[..., g.AxisGeometry] = g.pool_axis) -> list[tuple]:
    import torch
    import torch.nn.functional as F

    bad = []
    rng = _rng(5)
    for _ in range(150):
        n, k, s, d = (int(v) for v in rng.integers(1, (12, 6, 5, 3)))
        p = int(rng.integers(0, k // 2 + 1))
        ceil = bool(rng.integers(0, 2))
        x = torch.zeros(1, 1, n)
        try:
            want = int(F.max_pool1d(x, k, s, p, d, ceil_mode=ceil).shape[-1])
        except _REFUSED:
            want = 0
        try:
            got = impl(n, k, stride=s, padding=p, dilation=d, ceil_mode=ceil).out_size
        except ValueError:
            got = 0
        if got != want:
            bad.append(("max", n, k, s, d, p, ceil, got, want))
        if d == 1:
            try:
                want = int(F.avg_pool1d(x, k, s, p, ceil_mode=ceil).shape[-1])
            except _REFUSED:
                want = 0
            if got != want:
                bad.append(("avg", n, k, s, p, ceil, got, want))
    return bad


def check_pool_counts(impl: Callable[..., np.ndarray] = g.pool_counts) -> list[tuple]:
    import torch
    import torch.nn.functional as F

    bad = []
    rng = _rng(6)
    for _ in range(60):
        n, k, s = (int(v) for v in rng.integers(1, (12, 6, 5)))
        p = int(rng.integers(0, k // 2 + 1))
        ceil = bool(rng.integers(0, 2))
        # avg_pool2d over a 1 x n image: only the 2-D pool takes divisor_override.
        ones = torch.ones(1, 1, 1, n, dtype=torch.float64)

        def pool(include: bool, divisor: int | None = None) -> np.ndarray:
            return F.avg_pool2d(ones, (1, k), (1, s), (0, p), ceil_mode=ceil,  # noqa: B023
                                count_include_pad=include,
                                divisor_override=divisor)[0, 0, 0].numpy()
        try:
            inside = pool(False, 1)                  # the window's sum of ones
        except _REFUSED:
            continue
        ax = g.pool_axis(n, k, stride=s, padding=p, ceil_mode=ceil)
        for include in (True, False):
            want = np.rint(inside / pool(include)).astype(int)
            got = impl(ax, count_include_pad=include, ceil_mode=ceil)
            if not np.array_equal(got, want):
                bad.append((n, k, s, p, ceil, include, got.tolist(), want.tolist()))
    return bad


def check_strided_count(impl: Callable[[int, int], int] = g.strided_count) -> list[tuple]:
    return [(c, s) for c in range(30) for s in range(1, 7)
            if impl(c, s) != len(range(0, c, s))]


def check_signal_out_size(impl: Callable[..., g.AxisGeometry] = g.signal_axis) -> list[tuple]:
    bad = []
    for n, k, s, mode in itertools.product(range(1, 7), range(1, 7), (1, 2, 3),
                                           ("full", "valid", "same")):
        want = len(scipy.signal.convolve(np.ones(n), np.ones(k), mode)[::s])
        got = impl(n, k, mode, stride=s).out_size
        if got != want:
            bad.append((n, k, s, mode, got, want))
        if s == 1 and mode != "same" and (mode == "full" or k <= n):
            if g.signal_kernel_size(n, want, mode) != k:
                bad.append(("kernel size", n, k, mode))
    return bad


# --- padding splits ---------------------------------------------------------------------


def check_split_padding(impl: Callable[[int], tuple[int, int]] = g.split_padding
                        ) -> list[tuple]:
    import jax

    # One output of a window of total + 1 samples: 'SAME' pads exactly `total`.
    return [(t, impl(t)) for t in range(25)
            if tuple(impl(t)) != tuple(jax.lax.padtype_to_pads((1,), (t + 1,), (1,),
                                                                 "SAME")[0])]


def check_tf_same(impl: Callable[..., tuple[int, int]] = g.tf_same_padding) -> list[tuple]:
    import jax

    bad = []
    rng = _rng(7)
    for _ in range(120):
        n, k, s, d = (int(v) for v in rng.integers(1, (14, 6, 5, 4)))
        want = tuple(jax.lax.padtype_to_pads((n,), (d * (k - 1) + 1,), (s,), "SAME")[0])
        got = tuple(impl(n, k, s, d))
        resolved = g.resolve_padding("SAME", (k,), stride=(s,), dilation=(d,), sizes=(n,))
        valid = g.resolve_padding("VALID", (k,), stride=(s,), dilation=(d,), sizes=(n,))
        want_valid = tuple(jax.lax.padtype_to_pads((n,), (k,), (s,), "VALID")[0])
        if got != want or resolved != (want,) or valid != (want_valid,):
            bad.append((n, k, s, d, got, want))
    return bad


def check_tf_same_shapes() -> list[tuple]:
    """conv_general_dilated's 'SAME' output shape equals the core's size of its pads."""
    import jax
    import jax.numpy as jnp

    bad = []
    rng = _rng(8)
    for _ in range(12):
        n0, n1, k0, k1 = (int(v) for v in rng.integers(1, (9, 9, 5, 5)))
        s, d = tuple(int(v) for v in rng.integers(1, 4, 2)), tuple(
            int(v) for v in rng.integers(1, 3, 2))
        x = jax.ShapeDtypeStruct((1, 1, n0, n1), jnp.float32)
        w = jax.ShapeDtypeStruct((1, 1, k0, k1), jnp.float32)
        shape = jax.eval_shape(lambda a, b, s=s, d=d: jax.lax.conv_general_dilated(
            a, b, s, "SAME", rhs_dilation=d), x, w).shape[2:]
        pads = g.resolve_padding("SAME", (k0, k1), stride=s, dilation=d, sizes=(n0, n1))
        got = tuple(g.conv_out_size(n, k, stride=ss, padding=p, dilation=dd)
                    for n, k, ss, p, dd in zip((n0, n1), (k0, k1), s, pads, d))
        if got != tuple(shape):
            bad.append(((n0, n1), (k0, k1), s, d, got, shape))
    return bad


def check_torch_same(impl: Callable[..., tuple[int, int]] = g.same_padding) -> list[tuple]:
    """torch's padding='same' equals an explicit pad by the core's split, then 'valid'."""
    import torch
    import torch.nn.functional as F

    bad = []
    rng = _rng(9)
    for _ in range(60):
        n, k, d = (int(v) for v in rng.integers(1, (10, 7, 4)))
        x = torch.from_numpy(rng.standard_normal((1, 1, n)))
        w = torch.from_numpy(rng.standard_normal((1, 1, k)))
        with warnings.catch_warnings():      # torch: even kernels copy the input, as noted
            warnings.simplefilter("ignore", UserWarning)
            want = F.conv1d(x, w, padding="same", dilation=d)
        for before, after in (impl(k, d), *g.resolve_padding("same", (k,), dilation=(d,))):
            got = F.conv1d(F.pad(x, (before, after)), w, dilation=d)
            if got.shape != want.shape or not torch.allclose(got, want):
                bad.append((n, k, d, (before, after)))
    return bad


def check_int_and_pair_padding() -> list[tuple]:
    """Ints and tuples of ints against torch's padding=, per-side pairs against numpy.pad."""
    import torch
    import torch.nn.functional as F

    bad = []
    rng = _rng(10)
    for _ in range(30):
        shape = tuple(int(v) for v in rng.integers(3, 8, 2))
        kshape = tuple(int(v) for v in rng.integers(1, 4, 2))
        x, w = rng.standard_normal(shape), rng.standard_normal(kshape)
        sym = tuple(int(v) for v in rng.integers(0, 3, 2))
        pairs = tuple((int(b), int(a)) for b, a in rng.integers(0, 3, (2, 2)))
        want_sym = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                            padding=sym)[0, 0].numpy()
        want_pairs = scipy.signal.correlate(np.pad(x, pairs), w, "valid")
        for padding, want in ((sym, want_sym), (sym[0], None), (pairs, want_pairs)):
            resolved = g.resolve_padding(padding, kshape)
            geom = g.Geometry(tuple(g.AxisGeometry(n, k, pad_before=b, pad_after=a)
                                    for n, k, (b, a) in zip(shape, kshape, resolved)))
            if want is None:                                       # one int: every side
                want = F.conv2d(torch.from_numpy(x)[None, None],
                                torch.from_numpy(w)[None, None], padding=padding)[0, 0].numpy()
            got = _gather(geom.table, x, w).reshape(geom.out_shape)
            if got.shape != want.shape or not np.allclose(got, want):
                bad.append((shape, kshape, padding))
    return bad


# --- boundaries and windows -------------------------------------------------------------

_NUMPY_MODE = {"zeros": "constant", "wrap": "wrap", "symm": "symmetric",
               "reflect": "reflect", "replicate": "edge"}


def check_map_boundary(impl: Callable[..., np.ndarray] = g.map_boundary) -> list[tuple]:
    bad = []
    for boundary, n in itertools.product(g.BOUNDARIES, range(1, 8)):
        for before, after in ((0, 0), (1, 2), (n, n), (2 * n + 1, 3 * n), (3 * n + 2, 1)):
            kw = {"constant_values": -1} if boundary == "zeros" else {}
            want = np.pad(np.arange(n), (before, after), mode=_NUMPY_MODE[boundary], **kw)
            got = impl(np.arange(-before, n + after), n, boundary)
            if not np.array_equal(got, want):
                bad.append((boundary, n, before, after))
    return bad


def check_signal_windows() -> list[tuple]:
    """scipy's convolve (1-D, strided) and convolve2d (wrap, symm) by the core's maps."""
    bad = []
    rng = _rng(11)
    for n, k, s, mode in itertools.product(range(1, 6), range(1, 6), (1, 2),
                                           ("full", "valid", "same")):
        x, w = rng.standard_normal(n), rng.standard_normal(k)
        want = scipy.signal.convolve(x, w, mode)[::s]
        got = _gather(g.signal_axis(n, k, mode, stride=s).input_index(), x, w[::-1])
        if got.shape != want.shape or not np.allclose(got, want):
            bad.append((n, k, s, mode))
    for _ in range(20):
        shape = tuple(int(v) for v in rng.integers(1, 6, 2))
        kshape = tuple(int(v) for v in rng.integers(1, 4, 2))
        mode = str(rng.choice(["full", "same", "valid"]))
        boundary = str(rng.choice(["fill", "wrap", "symm"]))
        if mode == "valid" and any(k > n for k, n in zip(kshape, shape)):
            continue
        x, w = rng.standard_normal(shape), rng.standard_normal(kshape)
        want = scipy.signal.convolve2d(x, w, mode, boundary)
        geom = g.signal_geometry(kshape, shape, mode, boundary)
        got = _gather(geom.table, x, w[::-1, ::-1]).reshape(geom.out_shape)
        if got.shape != want.shape or not np.allclose(got, want):
            bad.append((shape, kshape, mode, boundary))
    return bad


def check_ndimage_windows() -> list[tuple]:
    """scipy.ndimage.correlate1d / convolve1d by the core's ndimage axis, every origin."""
    bad = []
    rng = _rng(12)
    for mode, boundary in g.NDIMAGE_BOUNDARY.items():
        for n, k in itertools.product((1, 2, 5), (1, 2, 3, 4)):
            x, w = rng.standard_normal(n), rng.standard_normal(k)
            for origin in range(-k, k + 1):
                try:
                    want_c = scipy.ndimage.correlate1d(x, w, mode=mode, origin=origin)
                    want_v = scipy.ndimage.convolve1d(x, w, mode=mode, origin=origin)
                except ValueError:
                    if origin in g.ndimage_origins(k):
                        bad.append(("refused", mode, n, k, origin))
                    continue
                if origin not in g.ndimage_origins(k):
                    bad.append(("accepted", mode, n, k, origin))
                    continue
                corr = g.ndimage_axis(n, k, origin, boundary).input_index()
                conv = g.ndimage_axis(n, k, origin, boundary, convolve=True).input_index()
                if not (np.allclose(_gather(corr, x, w), want_c)
                        and np.allclose(_gather(conv, x, w[::-1]), want_v)):
                    bad.append((mode, n, k, origin))
    return bad


def check_reach(reach: Callable[[g.AxisGeometry], int] = lambda ax: ax.reach,
                tail: Callable[[g.AxisGeometry], int] = lambda ax: ax.unread_tail
                ) -> list[tuple]:
    """Which padded samples torch's strided conv reads: the gradient of its sum."""
    import torch
    import torch.nn.functional as F

    bad = []
    rng = _rng(13)
    for _ in range(60):
        n, k, s, d = (int(v) for v in rng.integers(1, (12, 5, 5, 3)))
        b, a = (int(v) for v in rng.integers(0, 3, 2))
        xp = torch.zeros(1, 1, n + b + a, requires_grad=True)
        try:
            F.conv1d(xp, torch.ones(1, 1, k), stride=s, dilation=d).sum().backward()
        except _REFUSED:
            continue
        last = int(np.flatnonzero(xp.grad[0, 0].numpy())[-1])     # padded coordinates
        ax = g.AxisGeometry(n, k, s, d, b, a)
        if reach(ax) != last + 1 - b or tail(ax) != n + b + a - (last + 1):
            bad.append((n, k, s, d, b, a, reach(ax), tail(ax), last))
    return bad


# --- acceptance rules -------------------------------------------------------------------


def check_layer_min_size(impl: Callable[..., int] = g.layer_min_size) -> list[tuple]:
    """The smallest size torch's F.pad (with the mode) and conv1d accept."""
    import torch
    import torch.nn.functional as F

    def accepted(n: int, k: int, d: int, b: int, a: int, mode: str) -> bool:
        try:
            x = torch.zeros(1, 1, n)
            if b or a:
                x = F.pad(x, (b, a), mode=mode)
            F.conv1d(x, torch.zeros(1, 1, k), dilation=d)
        except _REFUSED:
            return False
        return True

    bad = []
    rng = _rng(14)
    modes = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
             "circular": "circular"}
    for _ in range(40):
        k, d = (int(v) for v in rng.integers(1, (6, 4)))
        b, a = (int(v) for v in rng.integers(0, 5, 2))
        for ours, theirs in modes.items():
            m = impl(k, (b, a), dilation=d, padding_mode=ours)
            if not accepted(m, k, d, b, a, theirs) or (m > 1 and accepted(m - 1, k, d, b, a,
                                                                            theirs)):
                bad.append((k, d, b, a, ours, m))
    return bad


def check_circular_same(impl: Callable[..., bool] = g.circular_same_fits) -> list[tuple]:
    import torch

    bad = []
    for n, k, d in itertools.product(range(1, 6), range(1, 7), (1, 2, 3)):
        conv = torch.nn.Conv1d(1, 1, k, padding="same", padding_mode="circular", dilation=d,
                               bias=False)
        try:
            with torch.no_grad():
                conv(torch.zeros(1, 1, n))
            ok = True
        except _REFUSED:
            ok = False
        if impl(n, k, d) != ok:
            bad.append((n, k, d, ok))
    return bad


def check_pool_padding_limit(impl: Callable[[int], int] = g.pool_padding_limit
                             ) -> list[tuple]:
    import torch
    import torch.nn.functional as F

    bad = []
    x = torch.zeros(1, 1, 30)
    for k, p in itertools.product(range(1, 8), range(5)):
        for pool in (F.max_pool1d, F.avg_pool1d):
            try:
                pool(x, k, 1, p)
                ok = True
            except _REFUSED:
                ok = False
            if (p <= impl(k)) != ok:
                bad.append((pool.__name__, k, p, ok))
    return bad


# --- layouts ----------------------------------------------------------------------------


def check_layouts() -> list[tuple]:
    bad = []
    rng = _rng(15)
    for _ in range(20):
        out = tuple(int(v) for v in rng.integers(1, 5, 3))
        axes = tuple(sorted(rng.choice(3, int(rng.integers(1, 4)), replace=False).tolist()))
        tiles = tuple(int(v) for v in rng.integers(1, 4, len(axes)))
        want = [int(np.ravel_multi_index(tuple(o[a] % t for a, t in zip(axes, tiles)), tiles))
                for o in itertools.product(*map(range, out))]
        if g.tile_map(out, tiles, axes).tolist() != want:
            bad.append(("tile", out, tiles, axes))
        a = np.arange(int(np.prod(out))).reshape(out)
        moved = np.moveaxis(a, axes, tuple(range(len(axes)))).ravel()
        if not np.array_equal(g.axes_first_map(out, axes), moved):
            bad.append(("layout", out, axes))
    return bad


def check_channel_map() -> list[tuple]:
    """Which input channels torch's grouped conv lets each output channel read."""
    import torch
    import torch.nn.functional as F

    bad = []
    for groups, c_out_g, c_in_g in itertools.product((1, 2, 3), (1, 2), (1, 3)):
        c_out, c_in = groups * c_out_g, groups * c_in_g
        w = torch.ones(c_out, c_in_g, 1)
        for o in range(c_out):
            x = torch.zeros(1, c_in, 1, requires_grad=True)
            F.conv1d(x, w, groups=groups)[0, o].sum().backward()
            want = np.flatnonzero(x.grad[0, :, 0].numpy()).tolist()
            if g.channel_map(c_out, c_in, groups)[o].tolist() != want:
                bad.append((groups, c_out, c_in, o))
    return bad


# --- the tests --------------------------------------------------------------------------

TORCH_CHECKS = [check_conv_out_size, check_transposed_out_size,
                check_transposed_output_padding, check_layer_padding_range,
                check_pool_out_size, check_pool_counts, check_torch_same,
                check_int_and_pair_padding, check_reach, check_layer_min_size,
                check_circular_same, check_pool_padding_limit, check_channel_map]
JAX_CHECKS = [check_split_padding, check_tf_same, check_tf_same_shapes]
PLAIN_CHECKS = [check_strided_count, check_signal_out_size, check_map_boundary,
                check_signal_windows, check_ndimage_windows, check_layouts]


@pytest.mark.parametrize("check", PLAIN_CHECKS, ids=lambda c: c.__name__)
def test_core_agrees_with_numpy_and_scipy(check):
    assert check() == []


@requires_torch
@pytest.mark.parametrize("check", TORCH_CHECKS, ids=lambda c: c.__name__)
def test_core_agrees_with_torch(check):
    assert check() == []


@requires_jax
@pytest.mark.parametrize("check", JAX_CHECKS, ids=lambda c: c.__name__)
def test_core_agrees_with_jax(check):
    assert check() == []


# --- each check can fail: deliberately wrong formulas -----------------------------------


def _ceil_out_size(n, k, *, stride=1, padding=(0, 0), dilation=1):
    room = n + padding[0] + padding[1] - dilation * (k - 1) - 1
    return -(-room // stride) + 1 if room >= 0 else 0              # ceil instead of floor


def _swap_mirrors(p, n, boundary):
    swap = {"symm": "reflect", "reflect": "symm"}
    return g.map_boundary(p, n, swap.get(boundary, boundary))


def _extra_before(t):
    return t - t // 2, t // 2


def _no_ceil_drop(n, k, *, stride, padding=0, dilation=1, ceil_mode=False):
    # torch's rule dropped: a ceil_mode window may start in the right padding.
    extra = stride - 1 if ceil_mode else 0
    ax = g.AxisGeometry(n, k, stride, dilation, padding, padding + extra)
    if ax.out_size < 1:
        raise ValueError("does not fit")
    return ax


def _forgets_reflect(k, padding=(0, 0), *, dilation=1, padding_mode="zeros"):
    return g.layer_min_size(k, padding, dilation=dilation,
                            padding_mode="zeros" if padding_mode == "reflect" else padding_mode)


MUTANTS = [
    (check_conv_out_size, _ceil_out_size, "torch"),
    (check_transposed_out_size,
     lambda n, k, *, stride, padding, output_padding, dilation:
     n * stride - sum(padding) + dilation * (k - 1) + output_padding, "torch"),
    (check_transposed_output_padding,
     lambda n, m, k, *, stride, padding, dilation: 0, "torch"),
    (check_layer_padding_range,
     lambda n, m, k, *, stride, dilation: g.layer_padding_range(n, m, k, dilation=dilation),
     "torch"),
    (check_pool_out_size, _no_ceil_drop, "torch"),
    (check_pool_counts, lambda ax, *, count_include_pad, ceil_mode:
     g.pool_counts(ax, count_include_pad=count_include_pad, ceil_mode=False), "torch"),
    (check_torch_same, lambda k, d: _extra_before(d * (k - 1)), "torch"),
    (check_reach, lambda ax: ax.reach + (ax.stride > 1), "torch"),
    (check_layer_min_size, _forgets_reflect, "torch"),
    (check_circular_same, lambda n, k, d: d * (k - 1) // 2 <= n, "torch"),
    (check_pool_padding_limit, lambda k: (k + 1) // 2, "torch"),
    (check_split_padding, _extra_before, "jax"),
    (check_tf_same, lambda n, k, s, d: g.same_padding(k, d), "jax"),
    (check_strided_count, lambda c, s: c // s, ""),
    (check_signal_out_size, lambda n, k, mode, stride:
     g.signal_axis(n, k, "full" if mode == "valid" else mode, stride=stride), ""),
    (check_map_boundary, _swap_mirrors, ""),
]


_NEEDS = {"torch": [requires_torch], "jax": [requires_jax], "": []}


@pytest.mark.parametrize("check,mutant", [
    pytest.param(check, mutant, marks=_NEEDS[needs], id=check.__name__)
    for check, mutant, needs in MUTANTS])
def test_a_wrong_formula_is_caught(check, mutant):
    assert check(mutant) != []
