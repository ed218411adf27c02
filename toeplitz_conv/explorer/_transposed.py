"""Transposed layers in the explorer: the input drawn zero-inserted.

A transposed convolution is drawn the way conv_arithmetic draws it: the input
with ``stride - 1`` zeros between its samples and ``dilation * (k - 1) - padding``
zeros around them, and a stride-1 window (dilated like the kernel) sliding
over that grid, one output per place.  The matrix is the builder's
:func:`~toeplitz_conv.transposed_layer_matrix`; the grid and the windows come
from the geometry core (the forward correlation's
:meth:`~toeplitz_conv.geometry.AxisGeometry.positions`,
:func:`~toeplitz_conv.geometry.full_padding`, and the stride-1 correlation
over the grid).  :func:`~._variants.variant_data` then checks that the windows
read, with their weights, exactly the matrix's taps, so a wrong grid cannot be
drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_int_tuple
from ..geometry import (
    Geometry,
    full_padding,
    layer_geometry,
    resolve_padding,
    transposed_out_size,
)
from ..layers import transposed_layer_matrix
from ._variants import (
    Family,
    GradFor,
    Selection,
    ZeroInserted,
    _check_side,
    _compact,
    _int_choices,
    _pairs_label,
    _Switch,
    variant_data,
    window_weights,
)

__all__ = ["transposed_family", "zero_inserted"]


def zero_inserted(kernel: tuple[int, ...], spatial: tuple[int, ...], *,
                  stride: tuple[int, ...], padding: tuple[tuple[int, int], ...],
                  output_padding: tuple[int, ...], dilation: tuple[int, ...]
                  ) -> tuple[Geometry, ZeroInserted]:
    """The zero-inserted grid of a transposed layer and the stride-1 window over it.

    Input sample ``i`` sits where its forward window starts (the forward
    correlation on the output's shape, whose transpose the layer is), moved
    by the full padding ``dilation * (k - 1)``; every other cell is a zero.

    >>> g, v = zero_inserted((3,), (3,), stride=(2,), padding=((0, 0),),
    ...                      output_padding=(0,), dilation=(1,))
    >>> g.in_shape, g.out_shape, v.z_input.tolist()
    ((9,), (7,), [-1, -1, 0, -1, 1, -1, 2, -1, -1])
    """
    out = tuple(transposed_out_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)
                for n, k, s, p, op, d in zip(spatial, kernel, stride, padding, output_padding,
                                             dilation))
    fwd = layer_geometry(kernel, out, stride=stride, padding=padding, dilation=dilation)
    full = [full_padding(k, d) for k, d in zip(kernel, dilation)]
    z_shape = tuple(o + f for o, f in zip(out, full))
    view = layer_geometry(kernel, z_shape, dilation=dilation)
    at = [ax.positions(np.arange(n))[:, 0] + f for ax, n, f in zip(fwd.axes, spatial, full)]
    if any(np.any((z < 0) | (z >= size)) for z, size in zip(at, z_shape)):
        raise ValueError(f"padding {padding} crops inputs off the output entirely: not drawn "
                         f"zero-inserted")
    cells = np.ravel_multi_index(np.meshgrid(*at, indexing="ij"), z_shape).ravel()
    z_input = np.full(int(np.prod(z_shape)), -1, dtype=np.int64)
    z_input[cells] = np.arange(cells.size)
    return view, ZeroInserted(tuple(spatial), z_input)


def transposed_family(w: np.ndarray, shape: tuple[int, ...], stride: Any, dilation: Any,
                      padding: Any, output_padding: Any, groups: int, max_side: int,
                      x: np.ndarray | None = None, grad_for: GradFor | None = None) -> Family:
    """Variants of :func:`~toeplitz_conv.transposed_layer_matrix`.

    Switches: padding (0, asked), stride (1, 2, asked) and dilation (1, 2,
    asked); ``output_padding`` as given (a variant it does not fit is
    unavailable, with PyTorch's reason).
    """
    nd = w.ndim - 2
    kernel = w.shape[2:]
    s0 = as_int_tuple(stride, nd, "stride", minimum=1)
    d0 = as_int_tuple(dilation, nd, "dilation", minimum=1)
    op0 = as_int_tuple(output_padding, nd, "output_padding", minimum=0)
    pairs = resolve_padding(padding, kernel, allow_strings=False)
    if all(b == a for b, a in pairs):
        sym = tuple(b for b, _ in pairs)
        asked = (_compact(sym), _compact(sym), pairs)
    else:
        asked = (_pairs_label(pairs), _pairs_label(pairs), pairs)
    switches = [
        _Switch("padding", "padding", [("0", "0", ((0, 0),) * nd), asked]),
        _Switch("stride", "stride", _int_choices(nd, s0)),
        _Switch("dilation", "dilation", _int_choices(nd, d0)),
    ]
    initial = {"padding": asked[0], "stride": _compact(s0), "dilation": _compact(d0)}
    c_out = w.shape[1] * groups

    def kwargs(sel: Selection) -> dict[str, Any]:
        values = {sw.name: sw.value(sel[sw.name]) for sw in switches}
        return {"stride": values["stride"], "dilation": values["dilation"],
                "padding": values["padding"], "output_padding": op0}

    def sizes(sel: Selection, in_shape: tuple[int, ...]) -> tuple[int, int]:
        kw = kwargs(sel)
        out = [transposed_out_size(n, k, stride=s, padding=p, output_padding=op, dilation=d)
               for n, k, s, p, op, d in zip(in_shape[1:], kernel, kw["stride"], kw["padding"],
                                            kw["output_padding"], kw["dilation"])]
        if min(out) <= 0:
            raise ValueError(f"padding {kw['padding']} leaves no output")
        return c_out * int(np.prod(out)), in_shape[0] * int(np.prod(in_shape[1:]))

    def build(sel: Selection) -> dict[str, Any]:
        kw = kwargs(sel)
        _check_side(*sizes(sel, shape), max_side)
        mat = transposed_layer_matrix(w, shape, groups=groups, **kw)
        geom, view = zero_inserted(kernel, shape[1:], **kw)
        title = (f"transposed layer (conv_transpose), padding={_pairs_label(kw['padding'])}, "
                 f"output_padding {_compact(op0)}, stride {sel['stride']}, "
                 f"dilation {sel['dilation']}")
        params = {"transposed": True, "stride": list(kw["stride"]),
                  "dilation": list(kw["dilation"]),
                  "padding": [list(p) for p in kw["padding"]],
                  "output_padding": list(op0), "groups": groups}

        def probe(chans: np.ndarray) -> np.ndarray:
            # stride 1, no padding: every tap meets an input somewhere
            plain = {"stride": (1,) * nd, "padding": ((0, 0),) * nd,
                     "output_padding": (0,) * nd, "dilation": kw["dilation"]}
            pg, pv = zero_inserted(kernel, shape[1:], **plain)
            pa = transposed_layer_matrix(w, shape, groups=groups, **plain)
            return window_weights(pa, pv.read(pg.table), int(np.prod(shape[1:])), chans)
        return variant_data(mat, geom, flip=False, c_out=c_out, c_in=shape[0], groups=groups,
                            title=title, params=params, x=x,
                            grad_out=None if grad_for is None else grad_for(mat.shape[0]),
                            probe=probe, view=view)

    return Family([sw.json() for sw in switches], initial, build, sizes)
