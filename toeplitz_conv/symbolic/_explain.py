"""`explain_matrix`: name the convention of a matrix someone wrote down.

Candidates are the builders' own conventions: ``conv_matrix`` (modes,
correlation, boundaries, stride, the numpy/MATLAB/convolve2d conventions,
C/F order), ``layer_matrix`` and ``transposed_layer_matrix`` on one channel.
Output sizes come from the geometry core (nothing is built for a candidate of
the wrong size); each remaining candidate is built with a kernel of ones and
its taps say which kernel entry sits where.  Numbers: the kernel is read off
the matrix through the taps (the value most entries agree on, least squares
for entries seen only in sums) and the candidate fits when the rebuilt
matrix equals the given one.  Symbols: ``w0, w1, w2`` are ``kernel[0],
kernel[1], kernel[2]`` (natural order of their names), so a correlation
written for a convolution is told apart.
"""

from __future__ import annotations

import html
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from .._validation import as_positive_int, as_shape
from ..geometry import conv_out_size, signal_axis, transposed_out_size
from ..layers import layer_matrix, transposed_layer_matrix
from ..signal import conv_matrix
from ..tied import TiedMatrix
from ._proof_result import as_sympy

__all__ = ["MAX_EXPLAIN_ENTRIES", "Difference", "Explanation", "MatrixFit", "explain_matrix"]

#: Matrices with more entries are refused (numbers; symbols: a tenth of it).
MAX_EXPLAIN_ENTRIES = 40_000

_MODES = ("full", "valid", "same", "circular")


@dataclass
class Difference:
    """Where a matrix differs from a convention's: the first entry in row-major order."""

    row: int
    column: int
    given: Any          # the matrix's value there (None: the matrix has no such row)
    expected: Any       # the convention's value there (None: it has no such row)
    note: str = ""

    def __str__(self) -> str:
        def show(v: Any) -> str:
            return "no such row" if v is None else _fmt(v)
        s = (f"entry ({self.row}, {self.column}): the matrix has {show(self.given)}, "
             f"the convention has {show(self.expected)}")
        return s + (f" ({self.note})" if self.note else "")


@dataclass
class MatrixFit:
    """One convention: the builder's call that makes it, and the kernel."""

    call: str
    builder: str
    params: dict[str, Any]
    kernel: Any
    equivalent: list[str] = field(default_factory=list)
    mismatches: int = 0

    def __str__(self) -> str:
        return self.call


@dataclass
class Explanation:
    """What :func:`explain_matrix` found.

    Attributes
    ----------
    fits : list of MatrixFit
        The conventions whose matrix equals the given one (simplest first),
        each with ``.call`` (the builder call as a string), ``.kernel`` and
        ``.equivalent`` (other calls giving the same matrix and kernel).
    nearest : MatrixFit or None
        When nothing fits: the closest convention (fewest differing entries).
    first_difference : Difference or None
        When nothing fits: the first entry where the matrix differs from
        ``nearest``.
    flipped : tuple of (str, Difference) or None
        For a ``conv_matrix`` fit: the same call with convolution and
        correlation swapped, and the first entry where it differs (None when
        that fits too).
    """

    fits: list[MatrixFit]
    nearest: MatrixFit | None
    first_difference: Difference | None
    flipped: tuple[str, Difference] | None
    shape: tuple[int, int]
    input_shape: tuple[int, ...]

    def __str__(self) -> str:
        head = f"a {self.shape[0]} x {self.shape[1]} matrix on input shape {self.input_shape}"
        lines = []
        if self.fits:
            lines.append(f"{head} is:")
            for f in self.fits:
                lines.append(f"  {f.call}")
                lines.extend(f"    = {e}" for e in f.equivalent[:4])
            if self.flipped is not None:
                call, d = self.flipped
                lines.append(f"  not {call}: {d}")
        elif self.nearest is not None:
            lines.append(f"{head} fits no convention; nearest: {self.nearest.call} "
                         f"({self.nearest.mismatches} entries or rows differ)")
            lines.append(f"  first difference at {self.first_difference}")
        else:
            lines.append(f"{head} fits no convention, and none has nearly its shape")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(str(self)) + "</pre>"


# ---------------------------------------------------------------- input
def _as_matrix(M: Any) -> tuple[np.ndarray, bool]:
    """``(dense array, symbolic)``: float/complex for numbers, expanded sympy objects else."""
    if isinstance(M, (str, bytes, bytearray)):
        raise TypeError("M must be a matrix (numpy array, sympy Matrix, list of lists), "
                        "got a string: strings are never parsed")
    if isinstance(M, TiedMatrix):
        M = M.sparse
    if hasattr(M, "toarray") and not isinstance(M, sympy.MatrixBase):
        M = M.toarray()
    if isinstance(M, (list, tuple)):
        # Plain numbers take the numeric path; anything else goes through as_sympy,
        # which refuses strings.
        try:
            plain = np.asarray(M)
        except ValueError:
            raise ValueError("M must be a rectangular matrix (rows of equal length)") from None
        if plain.dtype.kind in "biufc":
            M = plain
    shape = (M.rows, M.cols) if isinstance(M, sympy.MatrixBase) else np.shape(M)
    if len(shape) != 2:
        raise ValueError(f"M must be 2-D (rows x columns), got shape {tuple(shape)}")
    size = int(shape[0]) * int(shape[1])
    if size > MAX_EXPLAIN_ENTRIES:
        raise ValueError(f"M has {size} entries, more than MAX_EXPLAIN_ENTRIES = "
                         f"{MAX_EXPLAIN_ENTRIES}: explain a smaller instance")
    if isinstance(M, np.ndarray) and M.dtype.kind in "biuf":
        return M.astype(np.float64), False
    if isinstance(M, np.ndarray) and M.dtype.kind == "c":
        return M.astype(np.complex128), False
    if size > MAX_EXPLAIN_ENTRIES // 10:
        raise ValueError(f"M has {size} entries, more than {MAX_EXPLAIN_ENTRIES // 10} "
                         "(MAX_EXPLAIN_ENTRIES / 10) for a matrix of objects or symbols")
    s = as_sympy(M, "M")
    arr = np.empty(shape, dtype=object)
    for i, j in itertools.product(range(shape[0]), range(shape[1])):
        arr[i, j] = sympy.expand(s[i, j])
    if not any(getattr(e, "free_symbols", None) for e in arr.ravel()):
        try:
            return np.array(arr.tolist(), dtype=np.complex128).real.astype(np.float64) \
                if all(sympy.im(e) == 0 for e in arr.ravel()) \
                else np.array(arr.tolist(), dtype=np.complex128), False
        except TypeError:
            raise TypeError("M's entries must be numbers or sympy expressions") from None
    return arr, True


def _natural(sym: sympy.Symbol) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", sym.name))


# ---------------------------------------------------------------- candidates
def _signal_params(n: tuple[int, ...], rows: set[int], max_kernel: int,
                   max_stride: int) -> list[dict[str, Any]]:
    nd = len(n)
    conventions = ["scipy", "matlab", "numpy" if nd == 1 else "convolve2d"]
    out = []
    for mode, conv, corr, s in itertools.product(_MODES, conventions, (False, True),
                                                 range(1, max_stride + 1)):
        if mode == "circular" and conv != "scipy":
            continue
        for k in itertools.product(range(1, max_kernel + 1), repeat=nd):
            try:
                size = math.prod(signal_axis(a, b, mode, stride=s, convention=conv,
                                             correlate=corr).out_size for a, b in zip(n, k))
            except ValueError:
                continue
            if size not in rows:
                continue
            for b in ("fill",) if mode == "circular" else ("fill", "wrap", "symm"):
                for order in ("C", "F") if nd == 2 else ("C",):
                    out.append({"kernel_shape": k, "mode": mode, "correlate": corr,
                                "boundary": b, "stride": s, "convention": conv,
                                "order": order})
    return out


def _layer_params(n: tuple[int, ...], rows: set[int], max_kernel: int, max_stride: int,
                  max_dilation: int) -> list[dict[str, Any]]:
    out = []
    nd = len(n)
    for k in itertools.product(range(1, max_kernel + 1), repeat=nd):
        for s, d in itertools.product(range(1, max_stride + 1), range(1, max_dilation + 1)):
            if d > 1 and max(k) == 1:
                continue
            for p in range(0, d * (max(k) - 1) + 1):
                size = math.prod(conv_out_size(a, b, stride=s, padding=(p, p), dilation=d)
                                 for a, b in zip(n, k))
                if size in rows:
                    out.append({"builder": "layer_matrix", "kernel_shape": k, "stride": s,
                                "padding": p, "dilation": d})
            for p in range(0, max(k)):
                for op in range(s):
                    try:
                        size = math.prod(transposed_out_size(a, b, stride=s, padding=(p, p),
                                                             output_padding=op, dilation=d)
                                         for a, b in zip(n, k))
                    except ValueError:
                        continue
                    if size in rows:
                        out.append({"builder": "transposed_layer_matrix", "kernel_shape": k,
                                    "stride": s, "padding": p, "output_padding": op,
                                    "dilation": d})
    return out


def _build(params: dict[str, Any], kernel: Any, n: tuple[int, ...]) -> TiedMatrix:
    p = {key: v for key, v in params.items() if key not in ("kernel_shape", "builder")}
    k = np.asarray(kernel)
    if params.get("builder") == "layer_matrix":
        return layer_matrix(k.reshape(1, 1, *k.shape), (1, *n), **p)
    if params.get("builder") == "transposed_layer_matrix":
        return transposed_layer_matrix(k.reshape(1, 1, *k.shape), (1, *n), **p)
    return conv_matrix(k, n[0] if len(n) == 1 else n, **p)


# ---------------------------------------------------------------- formatting
def _fmt(v: Any) -> str:
    if isinstance(v, sympy.Basic):
        return str(v)
    if isinstance(v, (complex, np.complexfloating)) and v.imag != 0:
        return repr(complex(v))
    v = float(np.real(v))
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


def _fmt_array(a: Any) -> str:
    if isinstance(a, np.ndarray) and a.ndim > 0:
        return "[" + ", ".join(_fmt_array(x) for x in a) + "]"
    return _fmt(a)


def _call(params: dict[str, Any], kernel: np.ndarray, n: tuple[int, ...]) -> str:
    builder = params.get("builder", "conv_matrix")
    if builder != "conv_matrix":
        w = _fmt_array(kernel.reshape(1, 1, *kernel.shape))
        shape = "(1, " + ", ".join(map(str, n)) + ")"
        opts = [f"{key}={params[key]}" for key in ("stride", "padding", "output_padding",
                                                  "dilation")
                if params.get(key, 0 if key in ("padding", "output_padding") else 1)
                != (0 if key in ("padding", "output_padding") else 1)]
        return f"{builder}({', '.join([w, shape, *opts])})"
    shape = str(n[0]) if len(n) == 1 else str(tuple(n))
    opts = [f'"{params["mode"]}"']
    if params["correlate"]:
        opts.append("correlate=True")
    if params["boundary"] != "fill":
        opts.append(f'boundary="{params["boundary"]}"')
    if params["stride"] != 1:
        opts.append(f"stride={params['stride']}")
    if params["convention"] != "scipy":
        opts.append(f'convention="{params["convention"]}"')
    if params["order"] != "C":
        opts.append(f'order="{params["order"]}"')
    return f"conv_matrix({', '.join([_fmt_array(kernel), shape, *opts])})"


def _rank(params: dict[str, Any]) -> tuple[Any, ...]:
    builder = ("conv_matrix", "layer_matrix", "transposed_layer_matrix").index(
        params.get("builder", "conv_matrix"))
    return (builder, params.get("convention", "scipy") != "scipy",
            params.get("order", "C") != "C", params.get("boundary", "fill") != "fill",
            params.get("stride", 1), params.get("dilation", 1),
            _MODES.index(params.get("mode", "full")), bool(params.get("correlate")),
            params.get("padding", 0), params.get("output_padding", 0))


# ---------------------------------------------------------------- matching
class _Target:
    """The given matrix and how its entries compare."""

    def __init__(self, M: np.ndarray, symbolic: bool, tol: float) -> None:
        self.M, self.symbolic, self.tol = M, symbolic, tol
        if symbolic:
            self.nonzero = np.vectorize(lambda e: e != 0, otypes=[bool])(M)
        else:
            self.nonzero = np.abs(M) > tol

    def differ(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.symbolic:
            return np.vectorize(lambda x, y: x != y and sympy.expand(x - y) != 0,
                                otypes=[bool])(a, b)
        return np.abs(a - b) > self.tol

    def dense(self, taps: tuple[np.ndarray, ...], kernel: np.ndarray,
              shape: tuple[int, int]) -> np.ndarray:
        rows, cols, widx = taps
        if self.symbolic:
            out = np.full(shape, sympy.Integer(0), dtype=object)
            for r, c, w in zip(rows.tolist(), cols.tolist(), widx.tolist()):
                out[r, c] = out[r, c] + kernel.ravel()[w]
            return out
        out = np.zeros(shape, dtype=np.result_type(kernel.dtype, np.float64))
        np.add.at(out, (rows, cols), kernel.ravel()[widx])
        return out


def _alignment(long: np.ndarray, short: np.ndarray) -> int:
    """The row of ``long`` (one row more) whose deletion best matches ``short``'s pattern."""
    a = np.sum(long[:-1] != short, axis=1)
    b = np.sum(long[1:] != short, axis=1)
    cost = np.concatenate([[0], np.cumsum(a)]) + np.concatenate([np.cumsum(b[::-1])[::-1], [0]])
    return int(np.argmin(cost))


def _row_map(pattern: np.ndarray, target: _Target) -> np.ndarray:
    """For each candidate row, the given matrix's row it is compared with (-1: none)."""
    rc, r = pattern.shape[0], target.M.shape[0]
    if rc == r:
        return np.arange(r)
    if rc == r + 1:
        i = _alignment(pattern, target.nonzero)
        return np.array([j if j < i else (-1 if j == i else j - 1) for j in range(rc)])
    i = _alignment(target.nonzero, pattern)
    return np.array([j if j < i else j + 1 for j in range(rc)])


def _vote(values: list[Any], symbolic: bool, tol: float) -> Any:
    """The value most entries agree on (ties: the earliest)."""
    best, count = values[0], 0
    for v in values:
        c = sum(1 for u in values if (u == v if symbolic else abs(u - v) <= tol))
        if c > count:
            best, count = v, c
    return best


def _fit_kernel(A: TiedMatrix, rmap: np.ndarray, target: _Target) -> np.ndarray:
    rows, cols, widx = A.taps
    size = A.weight.size
    entry = rows * A.shape[1] + cols
    _, inverse, counts = np.unique(entry, return_inverse=True, return_counts=True)
    single = counts[inverse] == 1
    M = target.M
    kernel = np.zeros(size, dtype=object if target.symbolic else M.dtype)
    missing = []
    for w in range(size):
        sel = single & (widx == w) & (rmap[rows] >= 0)
        vals = [M[rmap[r], c] for r, c in zip(rows[sel], cols[sel])]
        if vals:
            kernel[w] = _vote(vals, target.symbolic, target.tol)
        else:
            missing.append(w)
    if missing and not target.symbolic:
        # Kernel entries seen only in sums (wrap-around on tiny inputs): least squares.
        ok = rmap[rows] >= 0
        keys, inv = np.unique(entry[ok], return_inverse=True)
        B = np.zeros((len(keys), size))
        np.add.at(B, (inv, widx[ok]), 1.0)
        rhs = M[rmap[keys // A.shape[1]], keys % A.shape[1]]
        sol, *_ = np.linalg.lstsq(B, rhs, rcond=None)
        kernel[missing] = sol[missing]
    if missing and target.symbolic:
        kernel[missing] = sympy.Integer(0)
    return kernel


def _first_difference(target: _Target, C: np.ndarray) -> Difference | None:
    M = target.M
    r = min(M.shape[0], C.shape[0])
    bad = target.differ(M[:r], C[:r])
    if bad.any():
        flat = int(np.argmax(bad.ravel()))
        i, j = divmod(flat, bad.shape[1])
        note = ""
        if M.shape[0] != C.shape[0]:
            note = (f"the matrix has {M.shape[0]} rows, the convention {C.shape[0]}")
        return Difference(i, j, M[i, j], C[i, j], note)
    if M.shape[0] == C.shape[0]:
        return None
    longer = M if M.shape[0] > r else C
    col = int(np.argmax(target.differ(longer[r], np.zeros_like(longer[r]))))
    given = M[r, col] if M.shape[0] > r else None
    expected = C[r, col] if C.shape[0] > r else None
    return Difference(r, col, given, expected, f"the matrix has {M.shape[0]} rows, the "
                      f"convention {C.shape[0]}")


def _tight(kernel: np.ndarray) -> bool:
    """No all-zero edge slice: a kernel padded with zeros only repeats a smaller fit."""
    nz = np.vectorize(lambda e: e != 0, otypes=[bool])(kernel)
    for a in range(kernel.ndim):
        if kernel.shape[a] > 1 and (not np.take(nz, 0, a).any()
                                    or not np.take(nz, -1, a).any()):
            return False
    return True


def _expected(target: _Target, kernel: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    if kernel is not None:
        return kernel if kernel.shape == shape else None
    if target.symbolic:
        syms = sorted(set().union(*(getattr(e, "free_symbols", set())
                                    for e in target.M.ravel())), key=_natural)
        if len(syms) == math.prod(shape):
            return np.array(syms, dtype=object).reshape(shape)
    return None


def _try(params: dict[str, Any], n: tuple[int, ...], target: _Target,
         kernel: Any) -> tuple[int, np.ndarray, np.ndarray] | None:
    """``(differing entries, kernel, candidate matrix)``, or None if it cannot be built."""
    shape = params["kernel_shape"]
    try:
        A = _build(params, np.ones(shape), n)
    except ValueError:
        return None
    if A.shape[1] != target.M.shape[1]:
        return None
    pattern = A.toarray() != 0
    rmap = _row_map(pattern, target)
    k = _expected(target, kernel, shape)
    if k is None and kernel is not None:
        return None
    if k is None:
        k = _fit_kernel(A, rmap, target).reshape(shape)
    C = target.dense(A.taps, k, A.shape)
    keep = rmap >= 0
    aligned = target.differ(target.M[rmap[keep]], C[keep])
    # A row missing or added counts as one difference, so the aligned rest decides.
    extra = abs(A.shape[0] - target.M.shape[0])
    return int(aligned.sum()) + extra, k, C


def explain_matrix(M: Any, input_shape: Any, *, kernel: Any = None, max_kernel: int = 5,
                   max_stride: int = 2, max_dilation: int = 2) -> Explanation:
    """Name the convention of a convolution matrix someone wrote down.

    Parameters
    ----------
    M : array_like or sympy.Matrix
        The matrix: numbers (numpy array, list of lists, sparse) or sympy
        expressions.  Symbols are read in the natural order of their names:
        ``w0, w1, w2`` (or ``a, b, c``) are ``kernel[0], kernel[1],
        kernel[2]`` (C order for a 2-D kernel); pass ``kernel=`` to say
        otherwise.  Strings are refused, never parsed.
    input_shape : int or tuple of int
        The input's shape, 1-D ``n`` or 2-D ``(h, w)``; a layer candidate has
        one channel (``(1, *input_shape)``).
    kernel : array_like, optional
        The kernel the matrix is meant to have (numbers or sympy symbols):
        only conventions with exactly that kernel fit.  By default a
        numeric kernel is read off the matrix.
    max_kernel, max_stride, max_dilation : int
        Search limits per axis.

    Returns
    -------
    Explanation
        ``.fits`` (each with ``.call`` and ``.kernel``), or ``.nearest`` and
        ``.first_difference`` (``.row``, ``.column``, ``.given``,
        ``.expected``); ``.flipped``: where the other of convolution and
        correlation differs.

    Raises
    ------
    TypeError, ValueError
        For a string, a non-2-D matrix, more than
        :data:`MAX_EXPLAIN_ENTRIES` entries, or an input shape whose size is
        not the number of columns.

    Examples
    --------
    The worked example's full convolution:

    >>> r = explain_matrix([[5, 0, 0, 0], [6, 5, 0, 0], [7, 6, 5, 0], [0, 7, 6, 5],
    ...                     [0, 0, 7, 6], [0, 0, 0, 7]], 4)
    >>> r.fits[0].call
    'conv_matrix([5, 6, 7], 4, "full")'

    A correlation written down as a convolution:

    >>> import sympy
    >>> w0, w1, w2 = sympy.symbols("w0 w1 w2")
    >>> r = explain_matrix(sympy.Matrix([[w0, w1, w2, 0], [0, w0, w1, w2]]), 4)
    >>> r.fits[0].call
    'conv_matrix([w0, w1, w2], 4, "valid", correlate=True)'
    >>> print(r.flipped[1])
    entry (0, 0): the matrix has w0, the convention has w2
    """
    n = as_shape(input_shape)
    if len(n) not in (1, 2):
        raise ValueError(f"input_shape must be 1-D or 2-D, got {n}")
    limits = [as_positive_int(v, name) for name, v in (
        ("max_kernel", max_kernel), ("max_stride", max_stride), ("max_dilation", max_dilation))]
    arr, symbolic = _as_matrix(M)
    if arr.shape[1] != math.prod(n):
        raise ValueError(f"M has {arr.shape[1]} columns but input_shape {n} has "
                         f"{math.prod(n)} entries")
    scale = 1.0 if symbolic else float(np.max(np.abs(arr), initial=0.0)) or 1.0
    target = _Target(arr, symbolic, 1e-9 * scale)
    want = None
    if kernel is not None:
        want = np.asarray(kernel, dtype=object) if symbolic or any(
            isinstance(e, sympy.Basic) for e in np.ravel(np.asarray(kernel, dtype=object))) \
            else np.asarray(kernel, dtype=np.float64)
        if want.dtype == object:
            want = np.array([sympy.expand(as_sympy(e, "kernel")) for e in want.ravel()],
                            dtype=object).reshape(want.shape)
    R = arr.shape[0]
    found: list[tuple[int, dict[str, Any], np.ndarray, np.ndarray]] = []
    for rows in ({R}, {R - 1, R + 1}):
        cands = (_signal_params(n, rows, limits[0], limits[1])
                 + _layer_params(n, rows, limits[0], limits[1], limits[2]))
        for params in sorted(cands, key=_rank):
            got = _try(params, n, target, want)
            if got is not None and (want is not None or _tight(got[1])):
                found.append((got[0], params, got[1], got[2]))
        if any(f[0] == 0 for f in found):
            break
    exact = [f for f in found if f[0] == 0 and _verified(f, n, target)]
    fits: list[MatrixFit] = []
    for _, params, k, _c in exact:
        call = _call(params, k, n)
        key = (k.shape, tuple(map(str, k.ravel())))
        for f in fits:
            if (f.kernel.shape, tuple(map(str, f.kernel.ravel()))) == key:
                f.equivalent.append(call)
                break
        else:
            fits.append(MatrixFit(call, params.get("builder", "conv_matrix"), params, k))
    if fits:
        return Explanation(fits, None, None, _flipped(fits[0], n, target), arr.shape, n)
    if not found:
        return Explanation([], None, None, None, arr.shape, n)
    miss, params, k, C = min(found, key=lambda f: f[0])
    near = MatrixFit(_call(params, k, n), params.get("builder", "conv_matrix"), params, k,
                     mismatches=miss)
    return Explanation([], near, _first_difference(target, C), None, arr.shape, n)


def _verified(found: tuple[int, dict[str, Any], np.ndarray, np.ndarray], n: tuple[int, ...],
              target: _Target) -> bool:
    """A numeric fit is rebuilt by the builder call it names (a complex correlation
    conjugates its kernel: the kernel is stored so that the call gives the matrix)."""
    _, params, k, _c = found
    if target.symbolic:
        return True
    for kern in (k, np.conj(k)) if np.iscomplexobj(k) else (k,):
        if not target.differ(_build(params, kern, n).toarray(), target.M).any():
            found[2][...] = kern
            return True
    return False


def _flipped(fit: MatrixFit, n: tuple[int, ...], target: _Target
             ) -> tuple[str, Difference] | None:
    if fit.builder != "conv_matrix":
        return None
    params = {**fit.params, "correlate": not fit.params["correlate"]}
    try:
        A = _build(params, np.ones(fit.kernel.shape), n)
    except ValueError:
        return None
    C = target.dense(A.taps, fit.kernel, A.shape)
    d = _first_difference(target, C)
    return None if d is None else (_call(params, fit.kernel, n), d)
