"""The public entry point: :func:`explore` builds every variant and the page."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_kernel, choose
from ..layers import PADDING_MODES
from ..palette import PAD_COLOR, ZERO_COLOR
from ..signal import MODES, SIGNAL_BOUNDARIES, validate_signal_args
from ._page import Explorer, _matrix_cell, _natural_cell
from ._variants import _layer_family, _signal_family, _suggest, _TooLarge, _weight_data

#: Largest number of matrix rows or columns drawn (cells get too small beyond).
MAX_SIDE = 100


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

