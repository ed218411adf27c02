"""An interactive equivalence explorer: one self-contained HTML page.

The page shows the kernel, the (padded) input, the output and the matrix of a
convolution, coloured by weight index with :mod:`toeplitz_conv.palette`, with
linked highlighting: point at a matrix cell and its weight's tied positions,
its input and its output light up; point at an output and its row and its
kernel window over the input light up; point at a weight and all its
positions light up.

Every variant the page can switch to (mode, convolution/correlation, stride,
padding, ...) is built here, by the package's builders and geometry core, and
embedded as JSON: taps ``(row, col, weight)``, each output's window (padded
coordinates, the input each reads, the weight) and the drawing positions.
The JavaScript only draws and highlights; it never does index arithmetic, so
the page cannot disagree with the builders.
"""

from __future__ import annotations

import html as html_lib
import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._assemble import assemble
from ._validation import as_int_tuple, as_kernel, choose
from .geometry import Geometry, map_boundary
from .layers import PADDING_MODES, layer_geometry, layer_matrix
from .palette import PAD_COLOR, ZERO_COLOR, weight_colors
from .signal import MODES, SIGNAL_BOUNDARIES, signal_geometry, validate_signal_args
from .tied import TiedMatrix

__all__ = ["MAX_SIDE", "Explorer", "explore", "window_positions"]

#: Largest number of matrix rows or columns drawn (cells get too small beyond).
MAX_SIDE = 100


class Explorer:
    """An explorer page: ``.html`` is the whole self-contained page.

    Returned by :func:`explore`; renders inline in Jupyter (an ``iframe``
    whose ``srcdoc`` is the page, so several explorers on one notebook page
    never share ids or scripts).

    Attributes
    ----------
    html : str
        The page: inline CSS, SVG (drawn by inline JavaScript) and data; no
        network access of any kind.
    data : dict
        The embedded data (what the page draws).
    variants : dict
        Variant key -> variant data (taps, windows, layout).
    initial : str
        The key of the variant shown first (the one asked for).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.html = _render(data)

    @property
    def variants(self) -> dict[str, dict[str, Any]]:
        return self.data["variants"]

    @property
    def initial(self) -> str:
        return self.data["initial"]

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        height = self.data["height"]
        return (f'<iframe srcdoc="{html_lib.escape(self.html, quote=True)}" '
                f'style="width:100%;height:{height}px;border:0" '
                f'title="toeplitz_conv explorer"></iframe>')

    def __repr__(self) -> str:
        v = self.variants[self.initial]
        return (f"Explorer({v['title']!r}, variants={len(self.variants)}, "
                f"html={len(self.html)} chars)")


def window_positions(geom: Geometry) -> np.ndarray:
    """Unmapped input coordinates read by every (flat output, flat tap).

    The N-D counterpart of :meth:`AxisGeometry.positions`, shape
    ``(prod(out_shape), prod(kernel_shape), ndim)``, C order like
    :attr:`Geometry.table` (which holds the same reads mapped to flat input
    indices).

    Examples
    --------
    >>> from toeplitz_conv.geometry import signal_axis
    >>> g = Geometry((signal_axis(3, 2, "full"),))
    >>> window_positions(g)[:, :, 0]
    array([[-1,  0],
           [ 0,  1],
           [ 1,  2],
           [ 2,  3]])
    """
    nd = len(geom.axes)
    out = np.empty(geom.out_shape + geom.kernel_shape + (nd,), dtype=np.int64)
    for d, ax in enumerate(geom.axes):
        pos = ax.positions()
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = pos.shape
        out[..., d] = pos.reshape(shape)
    return out.reshape(int(np.prod(geom.out_shape)), int(np.prod(geom.kernel_shape)), nd)


# --------------------------------------------------------------------------- variants
class _TooLarge(ValueError):
    pass


def _value_label(v: Any) -> str:
    if isinstance(v, tuple):
        return ",".join(str(x) for x in v)
    return str(v)


def _compact(t: tuple[int, ...]) -> str:
    """``(2, 2)`` -> ``"2"``, ``(2, 1)`` -> ``"2,1"``: a button value."""
    return _value_label(t if len(set(t)) > 1 else t[0])


def _strides(value: Any, nd: int) -> tuple[int, ...]:
    return as_int_tuple(value, nd, "stride", minimum=1)


def _axis(name: str, label: str, values: list[tuple[str, str]]) -> dict[str, Any]:
    seen: dict[str, str] = {}
    for v, lab in values:
        seen.setdefault(v, lab)
    return {"name": name, "label": label,
            "values": [{"value": v, "label": lab} for v, lab in seen.items()]}


def _check_side(m: int, n: int, max_side: int) -> None:
    if max(m, n) > max_side:
        raise _TooLarge(f"the matrix would be {m} x {n}, more than the explorer draws "
                        f"legibly (max_side={max_side} rows or columns)")


def _signal_family(k: np.ndarray, shape: tuple[int, ...], mode: str, correlate: bool,
                   boundary: str, stride: Any, max_side: int):
    nd = k.ndim
    s0 = _strides(stride, nd)
    axes = [
        _axis("mode", "mode", [(m, m) for m in MODES]),
        _axis("op", "operation", [("conv", "convolution"), ("corr", "cross-correlation")]),
        _axis("stride", "stride", [("1", "1"), ("2", "2"), (_compact(s0), _compact(s0))]),
        _axis("boundary", "boundary", [("fill", "fill (zeros)"), (boundary, boundary)]),
    ]
    initial = {"mode": mode, "op": "corr" if correlate else "conv",
               "stride": _compact(s0),
               "boundary": boundary}

    def geometry(sel: dict[str, str], in_shape: tuple[int, ...]) -> Geometry:
        kk, sh = validate_signal_args(k, in_shape, sel["mode"], sel["op"] == "corr",
                                      sel["boundary"])
        strides = _strides([int(v) for v in sel["stride"].split(",")]
                           if "," in sel["stride"] else int(sel["stride"]), nd)
        geom = signal_geometry(kk.shape, sh, sel["mode"], sel["boundary"])
        return Geometry(tuple(replace(ax, stride=s) for ax, s in zip(geom.axes, strides)))

    def sizes(sel: dict[str, str], in_shape: tuple[int, ...]) -> tuple[int, int]:
        g = geometry(sel, in_shape)
        return int(np.prod(g.out_shape)), int(np.prod(g.in_shape))

    def build(sel: dict[str, str]) -> dict[str, Any]:
        corr = sel["op"] == "corr"
        geom = geometry(sel, shape)
        _check_side(*sizes(sel, shape), max_side)
        info = {"convention": "signal", "mode": sel["mode"], "correlate": corr,
                "boundary": sel["boundary"], "stride": sel["stride"]}
        a = assemble(geom, k, flip=not corr, info=info)
        what = "cross-correlation" if corr else "convolution"
        title = (f"{what}, mode='{sel['mode']}', boundary='{sel['boundary']}', "
                 f"stride {sel['stride']}")
        params = {"mode": sel["mode"], "correlate": corr, "boundary": sel["boundary"],
                  "stride": list(geom.axes[i].stride for i in range(nd))}
        return _variant(a, geom, flip=not corr, c_out=1, c_in=1, groups=1, title=title,
                        params=params)

    return axes, initial, build, sizes


def _layer_family(w: np.ndarray, shape: tuple[int, ...], mode: str, stride: Any,
                  dilation: Any, padding: Any, padding_mode: str, groups: int,
                  max_side: int):
    nd = w.ndim - 2
    s0 = _strides(stride, nd)
    d0 = as_int_tuple(1 if dilation is None else dilation, nd, "dilation", minimum=1)
    kernel = w.shape[2:]
    if padding is None:
        pad_value, pad_label = mode, mode
    elif isinstance(padding, str):
        pad_value = pad_label = choose(padding, "padding", ("valid", "same"))
    else:
        p = as_int_tuple(padding, nd, "padding", minimum=0)
        pad_value = pad_label = _compact(p)

    axes = [
        _axis("padding", "padding", [("valid", "valid (0)"), ("same", "same"),
                                     ("full", "full (k-1)"), (pad_value, pad_label)]),
        _axis("stride", "stride", [("1", "1"), ("2", "2"), (_compact(s0), _compact(s0))]),
        _axis("dilation", "dilation", [("1", "1"), ("2", "2"), (_compact(d0), _compact(d0))]),
        _axis("padding_mode", "padding_mode", [("zeros", "zeros"),
                                               (padding_mode, padding_mode)]),
    ]
    initial = {"padding": pad_value, "stride": _compact(s0), "dilation": _compact(d0),
               "padding_mode": padding_mode}

    def ints(text: str) -> tuple[int, ...]:
        vals = tuple(int(v) for v in text.split(","))
        return vals if len(vals) == nd else vals * nd

    def kwargs(sel: dict[str, str]) -> dict[str, Any]:
        dil = ints(sel["dilation"])
        pad: Any
        if sel["padding"] in ("valid", "same"):
            pad = sel["padding"]
        elif sel["padding"] == "full":
            pad = tuple(d * (kk - 1) for d, kk in zip(dil, kernel))
        else:
            pad = ints(sel["padding"])
        return {"stride": ints(sel["stride"]), "dilation": dil, "padding": pad,
                "padding_mode": sel["padding_mode"]}

    def sizes(sel: dict[str, str], in_shape: tuple[int, ...]) -> tuple[int, int]:
        g = layer_geometry(kernel, in_shape[1:], **kwargs(sel))
        return (w.shape[0] * int(np.prod(g.out_shape)),
                in_shape[0] * int(np.prod(g.in_shape)))

    def build(sel: dict[str, str]) -> dict[str, Any]:
        kw = kwargs(sel)
        geom = layer_geometry(kernel, shape[1:], **kw)
        _check_side(*sizes(sel, shape), max_side)
        a = layer_matrix(w, shape, groups=groups, **kw)
        title = (f"layer (cross-correlation), padding={kw['padding']!r}, "
                 f"padding_mode='{sel['padding_mode']}', stride {sel['stride']}, "
                 f"dilation {sel['dilation']}")
        params = {"stride": list(kw["stride"]), "dilation": list(kw["dilation"]),
                  "padding": kw["padding"] if isinstance(kw["padding"], str)
                  else list(kw["padding"]),
                  "padding_mode": kw["padding_mode"], "groups": groups}
        return _variant(a, geom, flip=False, c_out=w.shape[0], c_in=shape[0], groups=groups,
                        title=title, params=params)

    return axes, initial, build, sizes


def _index_label(prefix: str, idx: tuple[int, ...]) -> str:
    return f"{prefix}[{','.join(str(int(i)) for i in idx)}]"


def _variant(a: TiedMatrix, geom: Geometry, *, flip: bool, c_out: int, c_in: int,
             groups: int, title: str, params: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready data of one variant: taps, windows and drawing positions."""
    nd = len(geom.axes)
    n_out, n_k = int(np.prod(geom.out_shape)), int(np.prod(geom.kernel_shape))
    n_in = int(np.prod(geom.in_shape))
    c_ig = c_in // groups
    m, n = a.shape
    rows, cols, widx = a.taps

    # Windows: for every row (out channel, output), every (in channel, tap).
    pos = window_positions(geom)                              # (n_out, n_k, nd)
    table = geom.table                                        # (n_out, n_k)
    tap_w = np.arange(n_k)[::-1] if flip else np.arange(n_k)
    co = np.arange(c_out)[:, None, None, None]
    cl = np.arange(c_ig)[None, None, :, None]
    ci = (co // (c_out // groups)) * c_ig + cl                # absolute input channel
    t_read = table[None, :, None, :]
    src = np.where(t_read >= 0, ci * n_in + t_read, -1)
    w_of = co * (c_ig * n_k) + cl * n_k + tap_w[None, None, None, :]
    full = (c_out, n_out, c_ig, n_k)
    win = np.concatenate([
        np.broadcast_to(ci, full)[..., None],
        np.broadcast_to(pos[None, :, None, :, :], full + (nd,)),
        np.broadcast_to(src, full)[..., None],
        np.broadcast_to(w_of, full)[..., None]], axis=-1).reshape(m, c_ig * n_k, nd + 3)

    # The drawn input: every channel over its padded extent.
    lo = [-ax.pad_before for ax in geom.axes]
    ext = [ax.padded_size for ax in geom.axes]
    coords = np.stack(np.meshgrid(*[np.arange(a, a + e) for a, e in zip(lo, ext)],
                                  indexing="ij"), axis=-1).reshape(-1, nd)
    mapped = np.stack([map_boundary(coords[:, d], ax.size, ax.boundary)
                       for d, ax in enumerate(geom.axes)], axis=-1)
    inside = np.all((coords >= 0) & (coords < np.array(geom.in_shape)), axis=1)
    flat = np.where(np.all(mapped >= 0, axis=1),
                    np.ravel_multi_index(tuple(np.maximum(mapped, 0).T), geom.in_shape), -1)
    grid = []
    for ch in range(c_in):
        for p, mp, f, ins in zip(coords.tolist(), mapped.tolist(), flat.tolist(),
                                 inside.tolist()):
            col = ch * n_in + f if f >= 0 else -1
            if nd == 1:
                gx, gy = p[0] - lo[0], ch
            else:
                gx, gy = ch * (ext[1] + 1) + p[1] - lo[1], p[0] - lo[0]
            # the channel is in the caption of each channel's grid
            if ins:
                label = _short("x", p)
            else:
                label = "0" if col < 0 else _short("x", mp)
            grid.append([ch, *p, col, int(ins), gx, gy, label])

    # Outputs, placed under (1-D) or beside (2-D) the input.
    outs = []
    out_idx = np.unravel_index(np.arange(m), (c_out, *geom.out_shape))
    for r in range(m):
        o = [int(v[r]) for v in out_idx[1:]]
        ch = int(out_idx[0][r])
        if nd == 1:
            ax = geom.axes[0]
            gx = o[0] * ax.stride + (ax.span - 1) / 2
            gy = c_in + 0.75 + ch
        else:
            gx = c_in * (ext[1] + 1) + 1 + ch * (geom.out_shape[1] + 1) + o[1]
            gy = o[0] + (ext[0] - geom.out_shape[0]) / 2
        outs.append([gx, gy])
    chan_in = c_in > 1
    chan_out = c_out > 1
    row_labels = [_index_label("y", (tuple(int(v[r]) for v in out_idx) if chan_out
                                     else tuple(int(v[r]) for v in out_idx[1:])))
                  for r in range(m)]
    in_idx = np.unravel_index(np.arange(n), (c_in, *geom.in_shape))
    col_labels = [_index_label("x", (tuple(int(v[c]) for v in in_idx) if chan_in
                                     else tuple(int(v[c]) for v in in_idx[1:])))
                  for c in range(n)]
    captions = []
    for ch in range(c_in):
        name = f"x[{ch}]" if chan_in else "x"
        captions.append([-0.25, ch + 0.5, name, "end"] if nd == 1
                        else [ch * (ext[1] + 1), -0.45, name, "start"])
    for ch in range(c_out):
        name = f"y[{ch}]" if chan_out else "y"
        captions.append([-0.25, c_in + 1.25 + ch, name, "end"] if nd == 1 else
                        [c_in * (ext[1] + 1) + 1 + ch * (geom.out_shape[1] + 1),
                         (ext[0] - geom.out_shape[0]) / 2 - 0.45, name, "start"])
    blocks = []
    if chan_in or chan_out:
        blocks = [[o * n_out, i * n_in, n_out, n_in]
                  for o in range(c_out) for i in range(c_in)]
    return {
        "title": f"{title}: A is {m} x {n}",
        "params": params,
        "m": m, "n": n, "nd": nd,
        "taps": np.stack([rows, cols, widx], axis=1).tolist(),
        "win": win.tolist(),
        "grid": grid,
        "outs": outs,
        "row_labels": row_labels,
        "col_labels": col_labels,
        "row_short": [_short("y", lab[2:-1].split(",")) for lab in row_labels],
        "col_short": [_short("x", lab[2:-1].split(",")) for lab in col_labels],
        "out_short": [_short("y", [int(v[r]) for v in out_idx[1:]]) for r in range(m)],
        "captions": captions,
        "blocks": blocks,
        "boundary": geom.axes[0].boundary,
        "natural_w": (ext[0] if nd == 1 else
                      c_in * (ext[1] + 1) + 1 + c_out * (geom.out_shape[1] + 1)),
        "natural_h": (c_in + 0.75 + c_out if nd == 1 else max(ext[0], geom.out_shape[0])),
    }


def _short(prefix: str, idx: list[Any]) -> str:
    """A cell label: ``x3``, ``x1,2``."""
    return prefix + ",".join(str(i) for i in idx)


def _suggest(sizes: Callable[[dict[str, str], tuple[int, ...]], tuple[int, int]],
             sel: dict[str, str], shape: tuple[int, ...], spatial_from: int,
             max_side: int) -> str:
    """The largest input shape (shrinking every spatial size alike) that fits."""
    for t in range(max(shape[spatial_from:]) - 1, 0, -1):
        cand = shape[:spatial_from] + tuple(min(s, t) for s in shape[spatial_from:])
        try:
            if max(sizes(sel, cand)) <= max_side:
                return f"input_shape={cand if len(cand) > 1 else cand[0]}"
        except ValueError:
            continue
    return "a smaller input_shape (and kernel)"


def _weight_data(w: np.ndarray, layer: bool) -> dict[str, Any]:
    values = w.ravel()
    colors = weight_colors(values.size)
    if layer:
        c_out, c_ig, *kernel = w.shape
    else:
        c_out, c_ig, kernel = 1, 1, list(w.shape)
    kh, kw = (1, kernel[0]) if len(kernel) == 1 else kernel
    idx = np.unravel_index(np.arange(values.size), (c_out, c_ig, kh, kw))
    names, layout = [], []
    for i in range(values.size):
        o, c, y, x = (int(v[i]) for v in idx)
        layout.append([c * (kw + 0.5) + x, o * (kh + 0.5) + y])
        names.append(f"w{i}")
    full_idx = np.unravel_index(np.arange(values.size), w.shape)
    return {
        "names": names,
        "values": [_fmt(v) for v in values.tolist()],
        "index": [_index_label("w", tuple(int(v[i]) for v in full_idx))
                  for i in range(values.size)],
        "colors": colors,
        "text": [_text_color(c) for c in colors],
        "layout": layout,
        "w": c_ig * (kw + 0.5) - 0.5, "h": c_out * (kh + 0.5) - 0.5,
    }


def _fmt(v: float) -> str:
    return f"{v:g}"


def _text_color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#FFFFFF"


# --------------------------------------------------------------------------- public
def explore(kernel: ArrayLike, input_shape: int | tuple[int, ...], mode: str = "full", *,
            correlate: bool = False, boundary: str = "fill", stride: Any = 1,
            dilation: Any = None, padding: Any = None, padding_mode: str | None = None,
            groups: int = 1, max_side: int = MAX_SIDE) -> Explorer:
    """Build the interactive explorer page of a convolution's matrix.

    Two conventions, as in the builders:

    * **signal** (default): :func:`~toeplitz_conv.conv_matrix`'s ``mode``,
      ``correlate`` and ``boundary``, plus ``stride`` (the output sampled
      every ``stride`` samples).  The page switches between full/valid/same,
      convolution/cross-correlation, stride 1/2 and fill/``boundary``.
    * **layer**: :func:`~toeplitz_conv.layer_matrix` (PyTorch, a
      cross-correlation), chosen when ``padding``, ``padding_mode``,
      ``dilation`` or ``groups`` is given, or when ``kernel`` is a layer
      weight ``(C_out, C_in // groups, *kernel)`` with
      ``input_shape = (C_in, *spatial)``.  Without ``padding``, ``mode``
      names it ('valid' = 0, 'same', 'full' = ``dilation * (k - 1)``).  The
      page switches padding valid/same/full, stride 1/2, dilation 1/2 and
      zeros/``padding_mode``; channel blocks of the matrix are outlined.

    Every variant is built here and embedded; variants that are invalid
    (e.g. 'valid' with a kernel larger than the input) or too large to draw
    are listed as unavailable in the page.

    Parameters
    ----------
    kernel : array_like
        Real 1-D or 2-D kernel, or a layer weight with 1 or 2 spatial dims.
    input_shape : int or tuple of int
        Input shape (``(C_in, *spatial)`` for a layer weight).
    mode : {'full', 'valid', 'same'}
    correlate : bool
        Signal convention only.
    boundary : {'fill', 'wrap', 'symm'}
        Signal convention only.
    stride, dilation : int or tuple of int
    padding : int, tuple of int, 'valid' or 'same'
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
    groups : int
    max_side : int
        Refuse (``ValueError``) a matrix with more rows or columns than this.

    Returns
    -------
    Explorer
        ``.html`` (the page), ``.save(path)``, and inline display in Jupyter.

    Raises
    ------
    TypeError, ValueError
        For arguments the builders reject, 3-D inputs, complex kernels, or a
        matrix larger than ``max_side`` (the message suggests an input shape
        that fits).

    Examples
    --------
    >>> from toeplitz_conv import explore
    >>> page = explore([5, 6, 7], 4, "full")
    >>> page.variants[page.initial]["title"]
    "convolution, mode='full', boundary='fill', stride 1: A is 6 x 4"
    >>> page.variants[page.initial]["taps"][:3]       # (row, col, weight index)
    [[0, 0, 0], [1, 0, 1], [1, 1, 0]]
    >>> "http://" in page.html or "https://" in page.html
    False
    >>> explore([1, 2, 3], 500)                       # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: the matrix would be 502 x 500, ...; use a smaller input, e.g. input_shape=98
    """
    k = as_kernel(kernel)
    if k.dtype.kind == "c":
        raise TypeError("kernel must be real for the explorer (it labels cells with values)")
    if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) \
            or max_side < 1:
        raise ValueError(f"max_side must be a positive int, got {max_side!r}")
    choose(mode, "mode", MODES)
    shape_t = (input_shape,) if isinstance(input_shape, (int, np.integer)) else input_shape
    layer_weight = (k.ndim >= 3 and isinstance(shape_t, (tuple, list))
                    and len(shape_t) == k.ndim - 1)
    layer = (layer_weight or padding is not None or padding_mode is not None
             or dilation is not None or groups != 1)
    if layer:
        if boundary != "fill" or correlate:
            raise ValueError("boundary and correlate belong to the signal convention; a "
                             "layer is a cross-correlation whose edges are set by "
                             "padding_mode ('zeros', 'reflect', 'replicate', 'circular')")
        w = k if layer_weight else k.reshape((1, 1) + k.shape)
        shape = tuple(shape_t) if layer_weight else (1, *tuple(shape_t))
        if not all(isinstance(s, (int, np.integer)) for s in shape):
            raise TypeError(f"input_shape must be an int or a tuple of ints, got {input_shape!r}")
        shape = tuple(int(s) for s in shape)
        choose(padding_mode or "zeros", "padding_mode", PADDING_MODES)
        spatial_from = 1
        axes, initial, build, sizes = _layer_family(
            w, shape, mode, stride, dilation, padding, padding_mode or "zeros", groups,
            max_side)
        weight = w
    else:
        choose(boundary, "boundary", SIGNAL_BOUNDARIES)
        k, shape = validate_signal_args(k, input_shape, mode, correlate, boundary)
        spatial_from = 0
        axes, initial, build, sizes = _signal_family(k, shape, mode, correlate, boundary,
                                                     stride, max_side)
        weight = k
    n_spatial = weight.ndim - (2 if layer else 0)
    if n_spatial > 2:
        raise ValueError(f"the explorer draws 1-D and 2-D inputs; got {n_spatial} spatial "
                         f"dimensions (kernel shape {k.shape})")

    if weight.size > max_side:
        raise ValueError(f"the kernel has {weight.size} weights, more than the explorer draws "
                         f"legibly (max_side={max_side}); use a smaller kernel")
    try:
        first = build(initial)
    except _TooLarge as exc:
        raise ValueError(f"{exc}; use a smaller input, e.g. "
                         f"{_suggest(sizes, initial, shape, spatial_from, max_side)}") from None
    key0 = "|".join(initial[a["name"]] for a in axes)
    variants = {key0: first}
    unavailable = {}
    for combo in itertools.product(*[[v["value"] for v in a["values"]] for a in axes]):
        key = "|".join(combo)
        if key in variants:
            continue
        try:
            variants[key] = build(dict(zip([a["name"] for a in axes], combo)))
        except _TooLarge as exc:
            unavailable[key] = f"not drawn: {exc}"
        except (ValueError, TypeError) as exc:
            unavailable[key] = f"not defined: {exc}"

    wd = _weight_data(weight, layer)
    biggest = max(variants.values(), key=lambda v: max(v["m"], v["n"]))
    cell = _matrix_cell(biggest["m"], biggest["n"])
    height = int(260 + 40 * wd["h"] + _natural_cell(max(v["natural_w"] for v in
                                                         variants.values()))
                 * max(v["natural_h"] for v in variants.values())
                 + cell * (biggest["m"] + 2))
    data = {
        "axes": axes, "initial": key0, "variants": variants, "unavailable": unavailable,
        "weights": wd, "layer": layer, "pad_color": PAD_COLOR, "zero_color": ZERO_COLOR,
        "height": height,
        "max_side": max_side,
    }
    return Explorer(data)


def _matrix_cell(m: int, n: int) -> int:
    """Pixel size of a matrix cell (mirrors the page's choice, for the iframe height)."""
    return max(6, min(26, 640 // max(m, n)))


def _natural_cell(width_cells: float) -> int:
    return max(10, min(34, int(720 // max(width_cells, 1))))


# --------------------------------------------------------------------------- rendering
def _asset(name: str) -> str:
    return resources.files("toeplitz_conv").joinpath("_explorer_assets", name).read_text(
        encoding="utf-8")


def _render(data: dict[str, Any]) -> str:
    payload = json.dumps(data, separators=(",", ":"))
    # Inside <script>, only "</" can end the element early.
    payload = payload.replace("</", "<\\/")
    page = _asset("page.html")
    v = data["variants"][data["initial"]]
    return (page.replace("{{TITLE}}", html_lib.escape(v["title"]))
                .replace("/*{{CSS}}*/", _asset("explorer.css"))
                .replace("/*{{JS}}*/", _asset("explorer.js"))
                .replace("{{DATA}}", payload))
