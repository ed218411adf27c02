"""Kernel and input symbols: turning ``kernel_size_or_symbols`` into sympy objects."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from .._validation import _is_int, as_shape

__all__ = [
    "MAX_SYMBOLIC_TAPS",
    "MAX_SYMBOLS",
    "as_symbolic_kernel",
    "check_symbolic_size",
    "input_symbols",
    "symbol_array",
    "symbolic_size",
]

#: At most this many kernel or input symbols: sympy objects cost about a kilobyte
#: each and every proof step touches each of them, so larger sizes are refused
#: before anything is built.
MAX_SYMBOLS = 100_000
#: At most this many (row, column, weight) taps in a symbolic matrix or proof.
MAX_SYMBOLIC_TAPS = 2_000_000


def check_symbolic_size(what: str, count: int, limit: int = MAX_SYMBOLS) -> None:
    """Refuse a symbolic object of ``count`` entries beyond ``limit``, before building it.

    >>> check_symbolic_size("input_shape", 10**7)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: input_shape: 10000000 symbolic entries is more than the symbolic limit 100000 ...
    """
    if count > limit:
        raise ValueError(f"{what}: {count} symbolic entries is more than the symbolic limit "
                         f"{limit} (a sympy proof at this size would take hours); use the "
                         f"numeric builders (conv_matrix) instead")


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'w', got {type(name).__name__} {name!r}")
    if not name.isidentifier():
        raise ValueError(f"name must be a symbol name such as 'w' (letters, digits, _), "
                         f"got {name!r}")
    return name


def symbol_array(name: str, shape: tuple[int, ...], *, real: bool = True) -> np.ndarray:
    """An object array of symbols ``name_i`` (1-D) or ``name_{i,j,...}`` (N-D).

    Examples
    --------
    >>> symbol_array("w", (3,))
    array([w_0, w_1, w_2], dtype=object)
    >>> symbol_array("w", (1, 2))
    array([[w_{0,0}, w_{0,1}]], dtype=object)
    """
    name = _check_name(name)
    check_symbolic_size(name, int(np.prod(shape, dtype=object)))
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        label = str(idx[0]) if len(shape) == 1 else "{" + ",".join(map(str, idx)) + "}"
        out[idx] = sympy.Symbol(f"{name}_{label}", real=real)
    return out


def _as_element(v: Any, name: str) -> sympy.Expr:
    if isinstance(v, (str, bytes, bool, np.bool_)) or v is None:
        raise TypeError(f"{name} entries must be sympy symbols/expressions or numbers, "
                        f"got {type(v).__name__} {v!r}")
    try:
        e = sympy.sympify(v, strict=True)
    except (sympy.SympifyError, TypeError, ValueError):
        raise TypeError(f"{name} entries must be sympy symbols/expressions or numbers, "
                        f"got {type(v).__name__} {v!r}") from None
    if not isinstance(e, sympy.Expr) or isinstance(e, sympy.MatrixBase) or not e.is_commutative:
        raise TypeError(f"{name} entries must be scalar sympy expressions or numbers, "
                        f"got {e!r}")
    if e.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise ValueError(f"{name} entries must be finite, got {e!r}")
    return e


def as_symbolic_kernel(kernel: Any, *, name: str = "w", ndim: int | None = None,
                       what: str = "kernel_size_or_symbols") -> np.ndarray:
    """Object ndarray of sympy expressions for ``kernel_size_or_symbols``.

    * an int ``K`` -> symbols ``w_0 .. w_{K-1}`` (real);
    * a *tuple* of ints -> that N-D shape of symbols ``w_{i,j,...}``;
    * a list, numpy array or sympy Matrix/Array of symbols or numbers -> those
      entries (a list of plain ints is a kernel of numbers, not a shape).

    ``ndim``, when given, is the number of dimensions the caller needs.

    Examples
    --------
    >>> as_symbolic_kernel(2)
    array([w_0, w_1], dtype=object)
    >>> a, b = sympy.symbols("a b")
    >>> as_symbolic_kernel([a, 2 * b, 3])
    array([a, 2*b, 3], dtype=object)
    """
    if isinstance(kernel, (bool, np.bool_)) or kernel is None or isinstance(kernel, (str, bytes)):
        raise TypeError(f"{what} must be a positive int (kernel size), a tuple of positive "
                        f"ints (N-D size), or a sequence of sympy symbols/numbers; "
                        f"got {type(kernel).__name__} {kernel!r}")
    if _is_int(kernel) or (isinstance(kernel, tuple) and kernel and all(map(_is_int, kernel))):
        shape = as_shape(kernel, what)
        check_symbolic_size(what, int(np.prod(shape, dtype=object)))
        arr = symbol_array(name, shape)
    else:
        if isinstance(kernel, sympy.Basic) and not isinstance(
                kernel, (sympy.MatrixBase, sympy.NDimArray)):
            raise TypeError(f"{what} must be a sequence of symbols, not a single sympy "
                            f"expression {kernel!r}; for a symbolic kernel *length* use "
                            f"prove_equivalence_general")
        if isinstance(kernel, sympy.MatrixBase):
            nested = kernel.tolist()
            if kernel.shape[0] == 1 or kernel.shape[1] == 1:
                nested = list(kernel)
        elif isinstance(kernel, sympy.NDimArray):
            nested = kernel.tolist()
        else:
            nested = kernel
        if hasattr(nested, "__len__"):
            check_symbolic_size(what, len(nested))
        try:
            raw = np.array(nested, dtype=object)
        except ValueError:
            raise ValueError(f"{what} must be rectangular (same length in every row)") from None
        if raw.ndim == 0:
            raise TypeError(f"{what} must be a positive int or a sequence, got "
                            f"{type(kernel).__name__} {kernel!r}")
        if raw.size == 0:
            raise ValueError(f"{what} must not be empty")
        if any(isinstance(v, (list, tuple, np.ndarray)) for v in raw.flat):
            raise ValueError(f"{what} must be rectangular (same length in every row)")
        arr = np.empty(raw.shape, dtype=object)
        for idx in np.ndindex(*raw.shape):
            arr[idx] = _as_element(raw[idx], what)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{what} must describe a {ndim}-D kernel here, got shape {arr.shape}")
    return arr


def input_symbols(shape: tuple[int, ...], kernel: np.ndarray, name: str = "x") -> np.ndarray:
    """Input symbols ``x_...`` of ``shape``, refusing names the kernel already uses."""
    x = symbol_array(name, shape)
    # Compare names, not symbols: an ``x_0`` with other assumptions would be a
    # different sympy symbol but print the same, which makes a proof unreadable.
    used = {s.name for e in kernel.flat for s in sympy.sympify(e).free_symbols}
    clash = used & {s.name for s in x.flat}
    if clash:
        raise ValueError(f"the kernel uses the input's symbol names {sorted(clash)}; "
                         f"name the kernel symbols differently (e.g. w_0, w_1, ...)")
    return x


def symbolic_size(n: Any, name: str = "n") -> sympy.Symbol:
    """A positive integer sympy symbol for a symbolic size, validated.

    ``None`` or a string gives ``Symbol(name, integer=True, positive=True)``.

    Examples
    --------
    >>> symbolic_size(None)
    n
    >>> symbolic_size(sympy.Symbol("n"))
    Traceback (most recent call last):
    ...
    ValueError: n must be a sympy Symbol declared integer=True, positive=True, got n
    """
    if n is None:
        return sympy.Symbol(name, integer=True, positive=True)
    if isinstance(n, str):
        return sympy.Symbol(n, integer=True, positive=True)
    if not isinstance(n, sympy.Symbol):
        raise TypeError(f"{name} must be a sympy Symbol declared integer=True, positive=True "
                        f"(or a name), got {type(n).__name__} {n!r}")
    if not (n.is_integer and n.is_positive):
        raise ValueError(f"{name} must be a sympy Symbol declared integer=True, "
                         f"positive=True, got {n}")
    return n
