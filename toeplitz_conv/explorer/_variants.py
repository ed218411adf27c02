"""The data of the explorer's variants: taps, windows and drawing positions.

Each *family* (the signal convention of :func:`~toeplitz_conv.conv_matrix`,
the layer convention of :func:`~toeplitz_conv.layer_matrix`) lists the
switches the page offers and builds the JSON-ready data of one combination
of them with the package's builders and geometry core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .._assemble import assemble
from .._validation import as_int_tuple, choose
from ..geometry import Geometry, map_boundary
from ..layers import layer_geometry, layer_matrix
from ..palette import weight_colors
from ..signal import MODES, signal_geometry, validate_signal_args
from ..tied import TiedMatrix


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
    pos = geom.window_positions()                            # (n_out, n_k, nd)
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

