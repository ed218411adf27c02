"""The public entry point: :func:`explore` builds every variant and the page."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._typing import IntOrTuple, LayerPadding, Mode, PaddingMode, SignalBoundary
from .._validation import as_bool, as_kernel, as_positive_int, choose
from ..layers import PADDING_MODES
from ..palette import PAD_COLOR, ZERO_COLOR
from ..signal import SIGNAL_BOUNDARIES, SIGNAL_MODES, validate_signal_args
from ._page import LENS_SIZE, MIN_FONT, WIDE_FROM, Explorer, kernel_layout, page_height, with_layout
from ._transposed import transposed_family
from ._variants import Family, TooLarge, layer_family, signal_family, suggest, weight_data

__all__ = ["MAX_SIDE", "explore"]

#: Largest number of matrix rows or columns drawn: the default ``max_side``
#: and its ceiling (beyond 400 x 400 cells are under 2 px on a laptop and
#: the page stops answering promptly; see ``benchmarks/explorer.py``).
MAX_SIDE = 400


def explore(kernel: ArrayLike, input_shape: IntOrTuple, mode: Mode = "full", *,
            correlate: bool = False, boundary: SignalBoundary = "fill",
            stride: IntOrTuple = 1, dilation: IntOrTuple | None = None,
            padding: LayerPadding | None = None, padding_mode: PaddingMode | None = None,
            groups: int = 1, max_side: int = MAX_SIDE, x: ArrayLike | None = None,
            grad_out: ArrayLike | None = None, play: bool = False,
            gradient: bool = False, transposed: bool = False,
            output_padding: IntOrTuple = 0) -> Explorer:
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
      page switches padding valid/same/full/``padding``, stride 1/2,
      dilation 1/2 and zeros/``padding_mode``; channel blocks of the matrix
      are outlined.

    Every variant is built here and embedded; variants that are invalid
    (e.g. 'valid' with a kernel larger than the input) or too large to draw
    are listed as unavailable in the page.

    Parameters
    ----------
    kernel : array_like
        Real 1-D or 2-D kernel, or a layer weight with 1 or 2 spatial dims.
    input_shape : int or tuple of int
        Input shape (``(C_in, *spatial)`` for a layer weight).
    mode : {'full', 'valid', 'same', 'circular'}
    correlate : bool
        Signal convention only.
    boundary : {'fill', 'wrap', 'symm'}
        Signal convention only.
    stride, dilation : int or tuple of int
    padding : int, tuple of int, tuple of (int, int) pairs, 'valid' or 'same'
        Layer convention, as :func:`~toeplitz_conv.layer_matrix` takes it:
        pairs give each spatial axis's ``(before, after)`` padding
        (``((top, bottom), (left, right))`` in 2-D), labelled
        ``(0,1),(2,0)`` on the page.
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}
    groups : int
    max_side : int
        Refuse (``ValueError``) a matrix with more rows or columns than this
        (at most :data:`MAX_SIDE` = 400).  Sizes are computed from the
        geometry before anything is built.
    x : array_like, optional
        Input values (the input's shape, or flat in C order).  The page then
        shows them, the outputs ``y = A x`` computed by each variant's
        matrix, and, when pointing at an output, its sum of products.
    grad_out : array_like, optional
        ``dL/dy`` for the gradient view (one value per row of the first
        variant's matrix, any shape with that many values); variants with
        another number of rows, or every variant without ``grad_out``, use
        random small integers (the same on every run).  Pointing at a weight
        in the gradient view writes ``dL/dw_j`` as the sum of ``x[c]·g[r]``
        over its tied positions, with the total ``A.weight_grad(x, g)``.
    play : bool
        Start the page playing: the window walks over the outputs.
    gradient : bool
        Start the page in the gradient view.
    transposed : bool
        A transposed layer (:func:`~toeplitz_conv.transposed_layer_matrix`,
        PyTorch's ``conv_transpose``): ``kernel`` is ``(C_in, C_out // groups,
        *k)`` (or a bare kernel), ``padding`` crops the output, with
        ``output_padding``; the input is drawn zero-inserted (``stride - 1``
        zeros between samples, ``dilation * (k - 1) - padding`` around) under
        a stride-1 window.  The page switches padding 0/``padding``, stride
        1/2 and dilation 1/2.
    output_padding : int or tuple of int
        Transposed layers only.

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
    ValueError: the matrix would be 502 x 500, ...; use a smaller input, e.g. input_shape=398

    Per-side padding (layer convention), here causal: two zeros before, none after.

    >>> page = explore([1, 2, 3], 5, padding=((2, 0),))
    >>> page.initial, page.variants[page.initial]["m"]
    ('(2,0)|1|1|zeros', 5)

    Numbers: the outputs for an input, and each output's sum written out.

    >>> page = explore([5, 6, 7], 4, x=[1, 2, 3, 4])
    >>> page.variants[page.initial]["numbers"]["y"]
    ['5', '16', '34', '52', '45', '28']
    >>> page.variants[page.initial]["numbers"]["sums"][3]
    '7·2 + 6·3 + 5·4 = 52'

    The gradient view: ``dL/dw1`` is a sum over w1's four tied positions.

    >>> page = explore([5, 6, 7], 4, x=[1, 2, 3, 4], grad_out=[1, 0, -1, 2, 0, 1])
    >>> page.variants[page.initial]["grad"]["w_sums"][1]
    '1·0 + 2·(-1) + 3·2 + 4·0 = 4'

    A transposed layer, its input drawn with a zero between samples:

    >>> page = explore([1, 2, 3], 3, transposed=True, stride=2)
    >>> page.variants[page.initial]["title"][-10:]
    'A is 7 x 3'
    >>> [g[-1] for g in page.variants[page.initial]["grid"]]
    ['0', '0', 'x0', '0', 'x1', '0', 'x2', '0', '0']
    """
    k = as_kernel(kernel)
    if k.dtype.kind == "c":
        raise TypeError("kernel must be real for the explorer (it labels cells with values)")
    max_side = as_positive_int(max_side, "max_side")
    if max_side > MAX_SIDE:
        raise ValueError(f"max_side must be at most {MAX_SIDE} (the largest matrix the page "
                         f"draws and answers promptly), got {max_side}")
    # groups=True or 1.0 must not pass as 1 (nor pick the signal convention)
    groups = as_positive_int(groups, "groups")
    play, gradient = as_bool(play, "play"), as_bool(gradient, "gradient")
    transposed = as_bool(transposed, "transposed")
    g_given: list[np.ndarray] = []

    def grad_for(m: int) -> np.ndarray | None:
        return g_given[0] if g_given and g_given[0].size == m else None

    if padding_mode is not None:
        choose(padding_mode, "padding_mode", PADDING_MODES)
    choose(mode, "mode", SIGNAL_MODES)
    shape_t = (input_shape,) if isinstance(input_shape, (int, np.integer)) else input_shape
    layer_weight = (k.ndim >= 3 and isinstance(shape_t, (tuple, list))
                    and len(shape_t) == k.ndim - 1)
    layer = (transposed or layer_weight or padding is not None or padding_mode is not None
             or dilation is not None or groups != 1)
    if transposed:
        if mode != "full" or padding_mode not in (None, "zeros") or boundary != "fill" \
                or correlate:
            raise ValueError("mode, padding_mode, boundary and correlate do not apply to a "
                             "transposed layer (PyTorch's conv_transpose pads with zeros; "
                             "padding crops its output)")
        w = k if layer_weight else k.reshape((1, 1) + k.shape)
        shape = _int_shape(tuple(shape_t) if layer_weight else (1, *tuple(shape_t)), input_shape)
        spatial_from = 1
        xv = _input_values(x, shape)
        family = transposed_family(w, shape, stride, 1 if dilation is None else dilation,
                                   0 if padding is None else padding, output_padding, groups,
                                   max_side, xv, grad_for)
        weight = w
    elif layer:
        if boundary != "fill" or correlate:
            raise ValueError("boundary and correlate belong to the signal convention; a "
                             "layer is a cross-correlation whose edges are set by "
                             "padding_mode ('zeros', 'reflect', 'replicate', 'circular')")
        w = k if layer_weight else k.reshape((1, 1) + k.shape)
        shape = _int_shape(tuple(shape_t) if layer_weight else (1, *tuple(shape_t)), input_shape)
        spatial_from = 1
        xv = _input_values(x, shape)
        family = layer_family(w, shape, mode, stride, dilation, padding,
                              padding_mode or "zeros", groups, max_side, xv, grad_for)
        weight = w
    else:
        choose(boundary, "boundary", SIGNAL_BOUNDARIES)
        k, shape = validate_signal_args(k, input_shape, mode, correlate, boundary)
        spatial_from = 0
        xv = _input_values(x, shape)
        family = signal_family(k, shape, mode, correlate, boundary, stride, max_side, xv,
                               grad_for)
        weight = k
    n_spatial = weight.ndim - (2 if layer else 0)
    if n_spatial > 2:
        raise ValueError(f"the explorer draws 1-D and 2-D inputs; got {n_spatial} spatial "
                         f"dimensions (kernel shape {k.shape})")

    if weight.size > max_side:
        raise ValueError(f"the kernel has {weight.size} weights, more than the explorer draws "
                         f"legibly (max_side={max_side}); use a smaller kernel")
    if grad_out is not None:
        g_given.append(_grad_values(grad_out, family, shape))
    data = _page_data(family, weight, layer, shape, spatial_from, max_side)
    data["start"] = {"play": play, "gradient": gradient}
    return Explorer(data)


def _grad_values(grad_out: ArrayLike, family: Family, shape: tuple[int, ...]) -> np.ndarray:
    """``grad_out`` as a flat float array with one value per row of the first variant."""
    g = as_kernel(grad_out, "grad_out")
    if g.dtype.kind == "c":
        raise TypeError("grad_out must be real (the page prints its values)")
    try:
        m = family.sizes(family.initial, shape)[0]
    except ValueError:
        m = -1          # the first variant is refused below, with its own message
    if m >= 0 and g.size != m:
        raise ValueError(f"grad_out must have one value per output (the matrix has {m} rows), "
                         f"got shape {g.shape}")
    return g.astype(float).ravel()


def _int_shape(shape: tuple[Any, ...], given: Any) -> tuple[int, ...]:
    """The layer input's shape as ints (a bool or float is refused, naming ``input_shape``)."""
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"input_shape must be an int or a tuple of ints, got {given!r}")
    return tuple(int(s) for s in shape)


def _input_values(x: ArrayLike | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """``x`` as a flat float array of the input's size (its shape, or already flat)."""
    if x is None:
        return None
    size = 1
    for s in shape:
        size *= s
    xv = as_kernel(x, "x")
    if xv.dtype.kind == "c":
        raise TypeError("x must be real (the page prints its values)")
    if xv.shape not in (shape, (size,)):
        raise ValueError(f"x must have the input's shape {shape} (or {size} values in C "
                         f"order), got shape {xv.shape}")
    return xv.astype(float).ravel()


def _page_data(family: Family, weight: np.ndarray, layer: bool, shape: tuple[int, ...],
               spatial_from: int, max_side: int) -> dict[str, Any]:
    """Every variant of ``family`` (or why it is unavailable), laid out, plus the weights."""
    try:
        first = family.build(family.initial)
    except TooLarge as exc:
        hint = suggest(family.sizes, family.initial, shape, spatial_from, max_side)
        raise ValueError(f"{exc}; use a smaller input, e.g. {hint}") from None
    names = [a["name"] for a in family.axes]
    key0 = "|".join(family.initial[name] for name in names)
    variants = {key0: first}
    unavailable = {}
    for combo in itertools.product(*[[v["value"] for v in a["values"]] for a in family.axes]):
        key = "|".join(combo)
        if key in variants:
            continue
        try:
            variants[key] = family.build(dict(zip(names, combo)))
        except TooLarge as exc:
            unavailable[key] = f"not drawn: {exc}"
        except (ValueError, TypeError) as exc:
            unavailable[key] = f"not defined: {exc}"

    laid_out = {key: with_layout(v) for key, v in variants.items()}
    wd = weight_data(weight, layer)
    # a convolution slides the flipped kernel: the signal page shows both
    kernel = kernel_layout(wd.pop("place"), flip=not layer)
    for v in laid_out.values():
        # the kernel and the input/output grids share the page's left column
        v["left_width"] = max(kernel["width"], v["natural"]["width"])
    return {
        "axes": family.axes, "initial": key0, "variants": laid_out,
        "unavailable": unavailable, "weights": wd, "kernel": kernel, "layer": layer,
        "pad_color": PAD_COLOR, "zero_color": ZERO_COLOR,
        "height": page_height(kernel, list(laid_out.values())),
        "max_side": max_side, "min_font": MIN_FONT,
        "has_numbers": first["numbers"] is not None,
        "wide_from": WIDE_FROM, "lens_size": LENS_SIZE,
    }
