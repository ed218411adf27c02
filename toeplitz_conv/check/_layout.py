"""The user's array layouts: data and weight formats, batch axis, bias shape.

The checker works internally in one canonical layout: data ``(N, C, *spatial)``
(``N = 1`` when the user's layer has no batch axis) and weights
``(C_out, C_in // groups, *kernel)``.  A :class:`Layout` converts between
that and the user's layout, written with the letters JAX and TensorFlow use
(``"NHWC"``, ``"HWIO"``, ...), so that report indices can be given back in
the user's own axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_kernel, as_positive_int

__all__ = ["DATA_FORMATS", "WEIGHT_FORMATS", "Layout"]

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}

DATA_FORMATS = ("NCW", "NWC", "NCHW", "NHWC", "NCDHW", "NDHWC", "CW", "WC", "CHW", "HWC",
                "CDHW", "DHWC")
WEIGHT_FORMATS = ("OIW", "WIO", "OWI", "IOW", "OIHW", "HWIO", "OHWI", "IOHW",
                  "OIDHW", "DHWIO", "ODHWI", "IODHW")


def _perm(fmt: str, canonical: str) -> tuple[int, ...]:
    """User axis ``i`` holds canonical axis ``perm[i]``."""
    return tuple(canonical.index(ch) for ch in fmt)


def _choose_format(value: Any, default: str, known: tuple[str, ...], name: str, nd: int,
                   hint: Any = None) -> str:
    """``value`` (None: ``default``) if it is a known format with ``default``'s letters."""
    fmt = default if value is None else value
    allowed = [f for f in known if len(f) == len(default) and sorted(f) == sorted(default)]
    if not isinstance(fmt, str):
        raise TypeError(f"{name} must be a string such as {allowed}, got {type(fmt).__name__}")
    if fmt not in allowed:
        extra = hint(fmt, allowed) if hint is not None else ""
        raise ValueError(f"{name} must be one of {allowed} for a layer with {nd} "
                         f"spatial dims, got {fmt!r}{extra}")
    return fmt


class Layout:
    """Conversions between the canonical layout and the user's.

    Examples
    --------
    >>> lay = Layout(2, data_format="NHWC", weight_format="HWIO", batch=2)
    >>> lay.data_shape((2, 3, 5, 7))               # canonical (N, C, H, W) -> user's
    (2, 5, 7, 3)
    >>> lay.weight_shape((4, 3, 2, 1))              # (O, I, H, W) -> (H, W, I, O)
    (2, 1, 3, 4)
    >>> lay.data_index((1, 2, 3, 4))                # an index, likewise
    (1, 3, 4, 2)
    """

    def __init__(self, nd: int, *, data_format: str | None = None,
                 weight_format: str | None = None, batch: int | None = None) -> None:
        self.nd = nd
        sp = _SPATIAL[nd]
        self.batch = None if batch is None else as_positive_int(batch, "batch")
        default = ("N" if self.batch is not None else "") + "C" + sp
        fmt = _choose_format(data_format, default, DATA_FORMATS, "data_format", nd,
                             self._batch_hint)
        self.data_format = fmt
        canon = "NC" + sp
        self.dperm = _perm(fmt if self.batch is not None else "N" + fmt, canon)
        wdefault = "OI" + sp
        wfmt = _choose_format(weight_format, wdefault, WEIGHT_FORMATS, "weight_format", nd)
        self.weight_format = wfmt
        self.wperm = _perm(wfmt, wdefault)
        self.bias_shape: tuple[int, ...] | None = None

    def _batch_hint(self, fmt: str, allowed: list[str]) -> str:
        """Why a data format of the other kind (with or without N) was refused."""
        if self.batch is None and fmt.replace("N", "", 1) in allowed:
            return " (without the N: batch is None, so the layer has no batch axis)"
        if self.batch is not None and "N" + fmt in allowed:
            return " (with the N: batch= gives the layer a batch axis)"
        return ""

    @property
    def n(self) -> int:
        """The canonical batch size (1 without a batch axis)."""
        return 1 if self.batch is None else self.batch

    @property
    def default(self) -> bool:
        return (self.dperm == tuple(range(self.nd + 2))
                and self.wperm == tuple(range(self.nd + 2)))

    # ------------------------------------------------------------ data
    def sample_shape(self, canon: tuple[int, ...]) -> tuple[int, ...]:
        """One sample's canonical shape ``(C, *spatial)`` in the user's order (no batch axis).

        >>> Layout(2, data_format="NHWC", batch=2).sample_shape((3, 5, 7))
        (5, 7, 3)
        """
        full = (1, *canon)
        return tuple(full[p] for p in self.dperm)[1:]

    def sample_from_user(self, shape: tuple[int, ...], c_in: int) -> tuple[int, ...]:
        """The canonical ``(C, *spatial)`` of an ``input_shape`` given in the user's order.

        A shape whose channel count sits only where the canonical order has
        it is refused with the order expected.

        >>> Layout(2, data_format="NHWC", batch=2).sample_from_user((5, 7, 3), 3)
        (3, 5, 7)
        """
        full = (1, *shape)
        canon = [0] * len(full)
        if len(full) == len(self.dperm):
            for i, p in enumerate(self.dperm):
                canon[p] = full[i]
        else:
            return tuple(shape)
        out = tuple(canon[1:])
        user_order = self.data_format.replace("N", "", 1)
        if out[0] != c_in and shape[0] == c_in and user_order[0] != "C":
            names = ", ".join(user_order)
            raise ValueError(
                f"input_shape is in data_format={self.data_format!r} order ({names}), "
                f"without the batch axis, like the arrays the layer receives; "
                f"{tuple(shape)} fits the ({', '.join('C' + user_order.replace('C', ''))}) "
                f"order instead (the weight has {c_in} input channels): pass "
                f"{self.sample_shape(tuple(shape))}")
        return out

    def data_shape(self, canon: tuple[int, ...]) -> tuple[int, ...]:
        shape = tuple(canon[p] for p in self.dperm)
        return shape if self.batch is not None else shape[1:]

    def data_to_user(self, x: np.ndarray) -> np.ndarray:
        y = np.transpose(x, self.dperm)
        return np.ascontiguousarray(y if self.batch is not None else y[0])

    def data_from_user(self, arr: np.ndarray) -> np.ndarray:
        """A user's data array (any shape with the right number of axes) in canonical order."""
        if self.batch is None:
            arr = arr[None]
        return np.transpose(arr, np.argsort(self.dperm))

    def data_index(self, idx: tuple[int, ...]) -> tuple[int, ...]:
        user = tuple(idx[p] for p in self.dperm)
        return user if self.batch is not None else user[1:]

    # ------------------------------------------------------------ weight
    def weight_shape(self, canon: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(canon[p] for p in self.wperm)

    def weight_to_user(self, w: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.transpose(w, self.wperm))

    def weight_from_user(self, arr: np.ndarray) -> np.ndarray:
        return np.transpose(arr, np.argsort(self.wperm))

    def weight_index(self, idx: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(idx[p] for p in self.wperm)

    # ------------------------------------------------------------ bias
    def bias_to_user(self, b: np.ndarray) -> np.ndarray:
        shape = self.bias_shape if self.bias_shape is not None else b.shape
        return np.array(b.reshape(shape), copy=True)

    def bias_index(self, idx: tuple[int, ...]) -> tuple[int, ...]:
        shape = self.bias_shape if self.bias_shape is not None else None
        if shape is None or not idx:
            return idx
        return tuple(int(i) for i in np.unravel_index(idx[0], shape))


def as_bias(bias: Any, c_out: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """A bias of any shape with ``c_out`` entries: ``(flat float64 copy, its shape)``.

    >>> b, shape = as_bias(np.zeros((1, 1, 1, 4)), 4)
    >>> b.shape, shape
    ((4,), (1, 1, 1, 4))
    """
    arr = as_kernel(bias, "bias", min_ndim=0)
    if arr.dtype.kind == "c":
        raise TypeError("bias must be real, got a complex array")
    if arr.size != c_out:
        raise ValueError(f"bias must have {c_out} entries (one per output channel, any shape "
                         f"such as ({c_out},), ({c_out}, 1) or (1, 1, 1, {c_out})), got shape "
                         f"{arr.shape}")
    return arr.astype(np.float64).reshape(c_out), tuple(arr.shape)
