"""Padding: every convention's pads, how a total splits over the two sides, and origins.

A convention's padding becomes one ``(before, after)`` pair per axis here:
scipy's modes (:func:`signal_padding`), PyTorch's ints, pairs and
``"same"``, TensorFlow's and JAX's ``"SAME"`` (:func:`resolve_padding`).
An odd total is split by :func:`split_padding`, the extra pad after; the
origins of scipy's ``"same"`` and of scipy.ndimage shift the window.
"""

from __future__ import annotations

from typing import Any

from .._validation import _is_int, as_int_tuple, choose
from ._sizes import strided_count

__all__ = [
    "check_ndimage_origins",
    "circular_same_fits",
    "full_padding",
    "ndimage_origins",
    "resolve_padding",
    "same_origins",
    "same_padding",
    "signal_padding",
    "split_padding",
    "tf_same_padding",
]


def split_padding(total: Any) -> tuple[Any, Any]:
    """Split a total padding over the two sides, the odd extra pad after (right/bottom).

    PyTorch's ``"same"`` and TensorFlow's ``"SAME"`` both split this way.
    ``total`` may be a sympy integer expression (``//`` is then ``floor``).

    >>> split_padding(4), split_padding(5), split_padding(0)
    ((2, 2), (2, 3), (0, 0))
    """
    return total // 2, total - total // 2


def full_padding(kernel: int, dilation: int = 1) -> int:
    """Padding on each side that makes a stride-1 layer give scipy's ``"full"`` output.

    Every placement of the dilated kernel that overlaps the input:
    ``dilation * (kernel - 1)``.

    >>> full_padding(3), full_padding(3, dilation=2)
    (2, 4)
    """
    return dilation * (kernel - 1)


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """PyTorch's ``padding="same"`` split: the odd extra pad goes after.

    >>> same_padding(4), same_padding(3, dilation=2)
    ((1, 2), (2, 2))
    """
    return split_padding(dilation * (kernel - 1))


def tf_same_padding(size: int, kernel: int, stride: int = 1,
                    dilation: int = 1) -> tuple[int, int]:
    """TensorFlow/JAX ``padding="SAME"``: ``ceil(size / stride)`` outputs, extra pad after.

    The total pad is ``max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)``
    with ``out = ceil(size / stride)``; the odd extra goes after (bottom/right).
    It depends on the input size when the stride is above 1, unlike
    :func:`same_padding`.

    >>> tf_same_padding(5, 3), tf_same_padding(6, 3, stride=2), tf_same_padding(5, 3, stride=2)
    ((1, 1), (0, 1), (1, 1))
    """
    out = strided_count(size, stride)
    return split_padding(max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0))


def circular_same_fits(size: int, kernel: int, dilation: int = 1) -> bool:
    """Whether PyTorch's circular ``"same"`` layer accepts an input of ``size`` samples.

    torch's circular padding may not exceed the input, and ``"same"`` pads
    ``dilation * (kernel - 1)`` in total, the larger half after.

    >>> circular_same_fits(2, 5), circular_same_fits(1, 5), circular_same_fits(4, 3, dilation=4)
    (True, False, True)
    """
    return max(same_padding(kernel, dilation)) <= size


def signal_padding(kernel: Any, mode: str) -> tuple[Any, Any]:
    """scipy's ``(before, after)`` pads of ``mode`` in correlation form, as a formula.

    The pads :func:`~toeplitz_conv.geometry.signal_axis` uses, for a kernel
    length that may also be a sympy integer symbol (``//`` is then
    ``floor``), so that a proof for a symbolic kernel length reads them from
    here.  ``"same"`` puts the odd extra pad *before* (the centre of scipy's
    full output), unlike :func:`same_padding`.

    >>> from toeplitz_conv.geometry import signal_axis
    >>> signal_padding(4, "same"), signal_axis(5, 4, "same").pad_before
    ((2, 1), 2)
    >>> import sympy
    >>> signal_padding(sympy.Symbol("k", integer=True, positive=True), "same")
    (k - floor(k/2 - 1/2) - 1, floor(k/2 - 1/2))
    """
    if mode == "full":
        return kernel - 1, kernel - 1
    if mode == "valid":
        return 0, 0
    if mode == "same":
        after, before = split_padding(kernel - 1)
        return before, after
    raise ValueError(f"mode must be one of 'full', 'valid', 'same', got {mode!r}")


def same_origins(kernel: int) -> range:
    """The origins of ``"same"`` whose window stays inside the full output.

    ``"same"`` keeps ``size`` outputs of the ``size + kernel - 1`` of
    ``"full"``, starting at ``(kernel - 1) // 2 + origin``; the start runs
    from ``0`` to ``kernel - 1``.

    >>> same_origins(3), same_origins(4)
    (range(-1, 2), range(-1, 3))
    """
    centre = (kernel - 1) // 2
    return range(-centre, kernel - centre)


def ndimage_origins(kernel: int) -> range:
    """The origins scipy.ndimage allows for a kernel of ``kernel`` taps (the centre stays on it).

    >>> ndimage_origins(3), ndimage_origins(4)
    (range(-1, 2), range(-2, 2))
    """
    return range(-(kernel // 2), (kernel - 1) // 2 + 1)


def check_ndimage_origins(origins: tuple[int, ...], kernel_shape: tuple[int, ...],
                          given: Any = None) -> None:
    """Refuse an ndimage ``origin`` outside :func:`ndimage_origins` along any axis.

    ``given`` is the ``origin`` argument as the user wrote it (for the message).

    >>> check_ndimage_origins((1, 0), (3, 3))
    >>> check_ndimage_origins((2,), (3,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: origin (2,) is out of range for kernel shape (3,): each must satisfy ...
    """
    for o, k in zip(origins, kernel_shape):
        if o not in ndimage_origins(k):
            raise ValueError(f"origin {origins if given is None else given!r} is out of range "
                             f"for kernel shape {kernel_shape}: each must satisfy "
                             f"-(k // 2) <= origin <= (k - 1) // 2")


def resolve_padding(padding: Any, kernel: tuple[int, ...], *,
                    stride: tuple[int, ...] | None = None,
                    dilation: tuple[int, ...] | None = None,
                    sizes: tuple[int, ...] | None = None,
                    allow_strings: bool = True) -> tuple[tuple[int, int], ...]:
    """Every accepted way of writing a padding, as one ``(before, after)`` pair per axis.

    ``padding`` may be an int (every side), a tuple of ints (both sides of
    each axis), a tuple of ``(before, after)`` pairs (JAX's per-side form),
    ``"valid"``/``"VALID"`` (none), ``"same"`` (PyTorch's split, stride 1
    only) or ``"SAME"`` (TensorFlow's and JAX's: ``ceil(size / stride)``
    outputs, any stride; needs the input ``sizes``).

    Examples
    --------
    >>> resolve_padding(1, (3, 3))
    ((1, 1), (1, 1))
    >>> resolve_padding(((0, 1), (2, 0)), (3, 3))
    ((0, 1), (2, 0))
    >>> resolve_padding("same", (4,))
    ((1, 2),)
    >>> resolve_padding("SAME", (3,), stride=(2,), sizes=(6,))
    ((0, 1),)
    """
    nd = len(kernel)
    stride = (1,) * nd if stride is None else stride
    dilation = (1,) * nd if dilation is None else dilation
    if isinstance(padding, str):
        return _named_padding(padding, kernel, stride, dilation, sizes, allow_strings)
    if isinstance(padding, (tuple, list)) and padding and not _is_int(padding[0]):
        if len(padding) != nd or not all(isinstance(p, (tuple, list)) and len(p) == 2
                                         for p in padding):
            raise ValueError(f"padding as pairs must be {nd} (before, after) pairs, one per "
                             f"spatial axis, got {padding!r}")
        flat = as_int_tuple([v for p in padding for v in p], 2 * nd, "padding", minimum=0)
        return tuple((flat[2 * i], flat[2 * i + 1]) for i in range(nd))
    p = as_int_tuple(padding, nd, "padding", minimum=0)
    return tuple((q, q) for q in p)


def _named_padding(padding: str, kernel: tuple[int, ...], stride: tuple[int, ...],
                   dilation: tuple[int, ...], sizes: tuple[int, ...] | None,
                   allow_strings: bool) -> tuple[tuple[int, int], ...]:
    """:func:`resolve_padding` of ``"valid"``, ``"same"``, ``"VALID"`` or ``"SAME"``."""
    nd = len(kernel)
    if not allow_strings:
        raise TypeError(f"padding must be an int, a tuple of ints or a tuple of "
                        f"(before, after) pairs here, got {padding!r}")
    choose(padding, "padding", ("valid", "same", "VALID", "SAME"))
    if padding in ("valid", "VALID"):
        return ((0, 0),) * nd
    if padding == "SAME":
        if sizes is None:
            raise ValueError("padding='SAME' depends on the input size, which is not "
                             "known here; give (before, after) pairs instead")
        return tuple(tf_same_padding(n, k, s, d)
                     for n, k, s, d in zip(sizes, kernel, stride, dilation))
    if any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions "
                         f"(stride={stride}); PyTorch requires stride 1 with 'same' "
                         "(padding='SAME' is TensorFlow's rule, which allows it)")
    return tuple(same_padding(k, d) for k, d in zip(kernel, dilation))
