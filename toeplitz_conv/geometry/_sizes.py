"""Output sizes of every convention, and their inverses.

Each function here is one formula, written once: how many outputs a padded,
strided, dilated correlation has, what a transposed layer produces, which
paddings or kernel lengths give a wanted size, and the smallest input a
PyTorch layer accepts.  The rest of the package reads sizes from here.
"""

from __future__ import annotations

__all__ = [
    "conv_out_size",
    "layer_min_size",
    "layer_padding_range",
    "layer_symmetric_paddings",
    "signal_kernel_size",
    "strided_count",
    "transposed_out_size",
    "transposed_output_padding",
]


def strided_count(count: int, stride: int) -> int:
    """How many of ``count`` consecutive outputs a stride keeps (``[::stride]``).

    ``ceil(count / stride)``, in integer arithmetic (exact for any size).

    >>> strided_count(6, 2), strided_count(7, 2), strided_count(0, 3)
    (3, 4, 0)
    """
    return -(-count // stride)


def conv_out_size(size: int, kernel: int, *, stride: int = 1, padding: tuple[int, int] = (0, 0),
                  dilation: int = 1) -> int:
    """PyTorch's output size of a padded, strided, dilated correlation (0 when it does not fit).

    ``floor((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1``.

    >>> conv_out_size(32, 3, stride=2, padding=(1, 1))
    16
    >>> conv_out_size(2, 3)                 # the window does not fit
    0
    """
    room = size + padding[0] + padding[1] - dilation * (kernel - 1) - 1
    return room // stride + 1 if room >= 0 else 0


def transposed_out_size(size: int, kernel: int, *, stride: int = 1,
                        padding: tuple[int, int] = (0, 0), output_padding: int = 0,
                        dilation: int = 1) -> int:
    """Output size of ``conv_transpose`` with ``padding = (before, after)`` cropped off.

    ``(size - 1) * stride - before - after + dilation * (kernel - 1) + output_padding + 1``
    (PyTorch's formula, with its symmetric ``2 * padding`` split per side).

    >>> transposed_out_size(4, 3, stride=2)
    9
    >>> transposed_out_size(4, 3, stride=2, padding=(1, 0), output_padding=1)
    9
    """
    before, after = padding
    return ((size - 1) * stride - before - after + dilation * (kernel - 1)
            + output_padding + 1)


def transposed_output_padding(size: int, out_size: int, kernel: int, *, stride: int = 1,
                              padding: tuple[int, int] = (0, 0), dilation: int = 1) -> int:
    """The ``output_padding`` that makes ``conv_transpose`` map ``out_size`` back to ``size``.

    A strided correlation maps ``stride`` consecutive input sizes to one
    output size; its transposed layer picks one of them with
    ``output_padding``.  This is :func:`transposed_out_size` solved for it:
    ``size - transposed_out_size(out_size, kernel, stride=..., padding=...)``.
    It lies in ``0 .. stride - 1`` when ``size`` maps to ``out_size`` under
    :func:`conv_out_size` with the same arguments (otherwise PyTorch, and
    :func:`~toeplitz_conv.transposed_layer_matrix`, reject it).

    Examples
    --------
    Inputs of 7 and 8 both give 3 outputs with kernel 3 and stride 2:

    >>> conv_out_size(7, 3, stride=2), conv_out_size(8, 3, stride=2)
    (3, 3)
    >>> transposed_output_padding(7, 3, 3, stride=2), transposed_output_padding(8, 3, 3, stride=2)
    (0, 1)
    >>> transposed_out_size(3, 3, stride=2, output_padding=1)
    8
    """
    return size - transposed_out_size(out_size, kernel, stride=stride, padding=padding,
                                      dilation=dilation)


def layer_padding_range(size: int, out_size: int, kernel: int, *, stride: int = 1,
                        dilation: int = 1) -> range:
    """Total paddings ``before + after`` that give ``out_size`` outputs (the inverse of
    :func:`conv_out_size`); empty when none does.

    >>> layer_padding_range(32, 16, 3, stride=2)        # 1 + 1, or 1 + 2
    range(1, 3)
    >>> layer_padding_range(5, 5, 3)
    range(2, 3)
    """
    low = (out_size - 1) * stride + dilation * (kernel - 1) + 1 - size
    return range(max(low, 0), max(low + stride, 0)) if out_size >= 1 else range(0)


def layer_symmetric_paddings(size: int, out_size: int, kernel: int, *, stride: int = 1,
                             dilation: int = 1) -> range:
    """Symmetric paddings ``p`` (``p`` before and ``p`` after, PyTorch's int ``padding``)
    that give ``out_size`` outputs: the even totals of :func:`layer_padding_range`, halved.

    >>> layer_symmetric_paddings(32, 16, 3, stride=2)     # totals 1 and 2: only 1 + 1
    range(1, 2)
    >>> layer_symmetric_paddings(9, 5, 3, stride=2)       # totals 2, 3: p = 1
    range(1, 2)
    >>> len(layer_symmetric_paddings(5, 6, 3))            # total 3 only: none symmetric
    0
    """
    totals = layer_padding_range(size, out_size, kernel, stride=stride, dilation=dilation)
    # 2 p in [start, stop)  <=>  ceil(start / 2) <= p < ceil(stop / 2)
    return range((totals.start + 1) // 2, (totals.stop + 1) // 2)


def signal_kernel_size(size: int, out_size: int, mode: str) -> int | None:
    """The kernel length that makes ``mode`` map ``size`` inputs to ``out_size`` outputs.

    The inverse of :func:`~toeplitz_conv.geometry.signal_axis`'s output size
    (stride 1): ``None`` for ``"same"``, whose output size does not depend on
    the kernel.

    >>> signal_kernel_size(4, 6, "full"), signal_kernel_size(4, 2, "valid")
    (3, 3)
    """
    if mode == "full":
        return out_size - size + 1
    if mode == "valid":
        return size - out_size + 1
    return None


def layer_min_size(kernel: int, padding: tuple[int, int] = (0, 0), *, dilation: int = 1,
                   padding_mode: str = "zeros") -> int:
    """The smallest input length a PyTorch layer accepts along one axis.

    The padded input must hold one dilated window
    (``size + before + after >= dilation * (kernel - 1) + 1``) and be
    non-empty; ``reflect`` padding must be smaller than the input and
    ``circular`` padding at most the input (torch's rules, which
    :func:`~toeplitz_conv.geometry.layer_geometry` enforces).

    >>> layer_min_size(3), layer_min_size(3, (1, 1)), layer_min_size(3, (1, 1), dilation=3)
    (3, 1, 5)
    >>> layer_min_size(3, (2, 2), padding_mode="reflect"), layer_min_size(3, (2, 2),
    ...                                                                 padding_mode="circular")
    (3, 2)
    """
    before, after = padding
    smallest = max(1, dilation * (kernel - 1) + 1 - before - after)
    if padding_mode == "reflect":
        return max(smallest, before + 1, after + 1)
    if padding_mode == "circular":
        return max(smallest, before, after)
    return smallest
