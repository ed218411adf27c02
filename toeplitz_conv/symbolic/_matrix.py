"""Symbolic tied matrices, placed from the numeric builders' taps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy

from .._typing import IntOrTuple, LayerPadding, Mode, PaddingMode, SignalBoundary
from .._validation import as_bool, as_shape
from ..layers import layer_matrix
from ..signal import conv_matrix
from ._proof_result import as_sympy
from ._symbols import MAX_SYMBOLIC_TAPS, as_symbolic_kernel, check_symbolic_size

__all__ = ["MAX_DENSE_ENTRIES", "latex", "symbolic_layer_matrix", "symbolic_matrix"]

#: A dense sympy matrix beyond this many entries is refused (``sparse=True`` builds it).
MAX_DENSE_ENTRIES = 1_000_000


class SymbolicTaps:
    """The taps of a numeric builder, with the symbolic weight they point to.

    ``rows, cols, widx`` come straight from :attr:`TiedMatrix.taps` of a
    builder called on a placeholder kernel of the same shape, so the symbolic
    matrix uses exactly the numeric builder's index maps.
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, widx: np.ndarray,
                 weight: np.ndarray, shape: tuple[int, int], in_shape: tuple[int, ...],
                 out_shape: tuple[int, ...], conjugate: bool | list[bool]) -> None:
        self.rows, self.cols, self.widx = rows, cols, widx
        self.weight = weight
        self.shape = shape
        self.in_shape, self.out_shape = in_shape, out_shape
        flat = list(weight.ravel())
        flags = conjugate if isinstance(conjugate, list) else [conjugate] * len(flat)
        self.values = [sympy.conjugate(v) if f else v for v, f in zip(flat, flags)]
        #: (row, col) of taps outside the matrix's shape or tied to no weight (only a
        #: broken builder has any).
        self.outside: list[tuple[int, int]] = []

    def entries(self) -> dict[tuple[int, int], sympy.Expr]:
        """The matrix's non-zero entries ``{(row, col): sum of the tied weights}``.

        Every displayed matrix and every product ``A x`` of a proof is made
        from these, so a proof checks the matrix it shows.
        """
        entries: dict[tuple[int, int], sympy.Expr] = {}
        m, n = self.shape
        n_w = len(self.values)
        self.outside = []
        for r, c, k in zip(self.rows.tolist(), self.cols.tolist(), self.widx.tolist()):
            if not (0 <= r < m and 0 <= c < n and 0 <= k < n_w):
                # A builder bug: kept out of the matrix, and recorded so that
                # every proof reading these taps fails.
                self.outside.append((r, c))
                continue
            if (r, c) in entries:
                entries[r, c] = entries[r, c] + self.values[k]
            else:
                entries[r, c] = self.values[k]
        return entries

    def row_products(self, x: list[sympy.Expr], times: Any = None,
                     entries: dict[tuple[int, int], sympy.Expr] | None = None,
                     plus: Any = None) -> list[sympy.Expr]:
        """``(A x)_r`` for each row, as an explicit sum over the row's entries only.

        ``times(a, b)``, when given, multiplies (a shared cache of products);
        ``plus(terms)`` adds.
        """
        times = times or (lambda a, b: a * b)
        plus = plus or (lambda t: sympy.Add(*t))
        terms: list[list[sympy.Expr]] = [[] for _ in range(self.shape[0])]
        for (r, c), v in (self.entries() if entries is None else entries).items():
            if v != 0:
                terms[r].append(times(v, x[c]))
        return [plus(t) for t in terms]

    def matrix(self, sparse: bool = False,
               entries: dict[tuple[int, int], sympy.Expr] | None = None) -> sympy.MatrixBase:
        m, n = self.shape
        if not sparse and m * n > MAX_DENSE_ENTRIES:
            raise ValueError(f"a dense {m} x {n} sympy matrix has {m * n} entries, more than "
                             f"MAX_DENSE_ENTRIES = {MAX_DENSE_ENTRIES}; pass sparse=True")
        entries = self.entries() if entries is None else entries
        if sparse:
            return sympy.SparseMatrix(m, n, entries)
        out = sympy.zeros(m, n)
        for (r, c), v in entries.items():
            out[r, c] = v
        return out


def _check_sizes(kernel: tuple[int, ...], spatial: tuple[int, ...], channels: int = 1) -> None:
    """The symbolic limits, checked on the sizes before any builder or symbol runs."""
    check_symbolic_size("input_shape", channels * math.prod(spatial))
    # Rows at most (n + k - 1) per axis; each row has at most prod(kernel) taps.
    rows = math.prod(n + k - 1 for n, k in zip(spatial, kernel))
    check_symbolic_size("the matrix's taps", channels * rows * math.prod(kernel),
                        MAX_SYMBOLIC_TAPS)


def conjugate_flags(w: np.ndarray, correlate: bool, conjugate: Any) -> list[bool]:
    """Which weights a correlation conjugates: all with ``conjugate=True``, none with
    ``False``; by default (``None``) only those sympy knows are not real.

    A student's ``[a, b, c]`` (plain symbols, realness unknown) is read as real
    weights: no ``conjugate(a)`` in the matrix of a cross-correlation.
    """
    if conjugate is not None:
        conjugate = as_bool(conjugate, "conjugate")
    if not correlate:
        return [False] * w.size
    return [bool(conjugate) if conjugate is not None else sympy.sympify(v).is_real is False
            for v in w.ravel()]


def signal_taps(kernel_size_or_symbols: Any, input_shape: Any, mode: Mode = "full", *,
                correlate: bool = False, boundary: SignalBoundary = "fill", stride: IntOrTuple = 1,
                name: str = "w", conjugate: bool | None = None) -> SymbolicTaps:
    """Taps of ``conv_matrix`` (optionally keeping every ``stride``-th output).

    The stride goes to the builder, so the strided rows come from the same
    geometry as ``conv_matrix(..., stride=)`` and not from index arithmetic here.
    """
    w = as_symbolic_kernel(kernel_size_or_symbols, name=name)
    shape = as_shape(input_shape, ndim=w.ndim)
    _check_sizes(w.shape, shape)
    # The placeholder's values are irrelevant: the taps do not depend on them.
    a = conv_matrix(np.ones(w.shape, dtype=np.int64), shape, mode, correlate=correlate,
                    boundary=boundary, stride=stride)
    rows, cols, widx = a.taps
    return SymbolicTaps(rows, cols, widx, w, a.shape, shape, tuple(a.out_shape),
                        conjugate=conjugate_flags(w, correlate, conjugate))


def symbolic_matrix(kernel_size_or_symbols: Any, input_shape: Any, mode: Mode = "full", *,
                    correlate: bool = False, boundary: SignalBoundary = "fill",
                    stride: IntOrTuple = 1,
                    sparse: bool = False, name: str = "w",
                    conjugate: bool | None = None) -> sympy.MatrixBase:
    """The convolution matrix with kernel *symbols* as entries.

    Entries are placed from the taps of :func:`~toeplitz_conv.conv_matrix`
    (the numeric builder's own index maps), so substituting numbers gives
    ``conv_matrix(...).toarray()`` exactly.

    Parameters
    ----------
    kernel_size_or_symbols : int, tuple of int, or sequence
        An int ``K`` gives symbols ``w_0 .. w_{K-1}``; a tuple of ints an
        N-D kernel of symbols ``w_{i,j}``; a list / array / sympy Matrix of
        symbols or numbers is used as the kernel (a *list* of ints is a
        numeric kernel, a *tuple* of ints is a shape).
    input_shape : int or tuple of int
        Input shape, as many dimensions as the kernel.
    mode : {'full', 'valid', 'same', 'circular'}
        As :func:`~toeplitz_conv.conv_matrix` (and ``scipy.signal.convolve``).
    correlate : bool
        Cross-correlation (kernel not flipped).  Like ``scipy.signal.correlate``
        the weights are conjugated, but only those sympy knows are not real:
        plain symbols (``sympy.symbols("a b c")``) count as real weights.
    conjugate : bool, optional
        ``True`` conjugates every weight of a correlation, ``False`` none;
        default: only weights sympy knows are not real.
    boundary : {'fill', 'wrap', 'symm'}
        As :func:`~toeplitz_conv.conv_matrix`; with ``'wrap'`` / ``'symm'``
        an entry can be a sum of weights.
    stride : int or tuple of int
        Keep every ``stride``-th output of the mode's output (per axis).
    sparse : bool
        Return a ``sympy.SparseMatrix`` (for large inputs).
    name : str
        Base name of the default symbols.

    Returns
    -------
    sympy.Matrix
        Shape ``(prod(out_shape), prod(input_shape))``, C-order flattening.

    Examples
    --------
    The worked example's shape, a 3-tap kernel on 4 samples, "full" mode:

    >>> symbolic_matrix(3, 4)
    Matrix([
    [w_0,   0,   0,   0],
    [w_1, w_0,   0,   0],
    [w_2, w_1, w_0,   0],
    [  0, w_2, w_1, w_0],
    [  0,   0, w_2, w_1],
    [  0,   0,   0, w_2]])
    >>> symbolic_matrix([5, 6, 7], 4, "valid", correlate=True)
    Matrix([
    [5, 6, 7, 0],
    [0, 5, 6, 7]])
    >>> symbolic_matrix((2, 2), (2, 2), "valid")
    Matrix([[w_{1,1}, w_{1,0}, w_{0,1}, w_{0,0}]])
    """
    sparse = as_bool(sparse, "sparse")
    return signal_taps(kernel_size_or_symbols, input_shape, mode, correlate=correlate,
                       boundary=boundary, stride=stride, name=name,
                       conjugate=conjugate).matrix(sparse)


def layer_taps(weight_shape_or_symbols: Any, input_shape: Any, *, stride: IntOrTuple = 1,
               padding: LayerPadding = 0, dilation: IntOrTuple = 1, groups: int = 1,
               padding_mode: PaddingMode = "zeros", name: str = "w") -> SymbolicTaps:
    """Taps of ``layer_matrix`` with the symbolic weight."""
    w = as_symbolic_kernel(weight_shape_or_symbols, name=name,
                           what="weight_shape_or_symbols")
    if not 3 <= w.ndim <= 5:
        raise ValueError(f"weight_shape_or_symbols must describe a (C_out, C_in // groups, "
                         f"*kernel) weight with 1 to 3 spatial dims, got shape {w.shape}")
    in_shape = as_shape(input_shape, ndim=w.ndim - 1, name="input_shape")
    _check_sizes(w.shape[2:], in_shape[1:], channels=in_shape[0] * w.shape[0])
    a = layer_matrix(np.ones(w.shape, dtype=np.int64), input_shape, stride=stride,
                     padding=padding, dilation=dilation, groups=groups,
                     padding_mode=padding_mode)
    rows, cols, widx = a.taps
    return SymbolicTaps(rows, cols, widx, w, a.shape, a.in_shape, a.out_shape,
                        conjugate=False)


def symbolic_layer_matrix(weight_shape_or_symbols: Any, input_shape: Any, *, stride: IntOrTuple = 1,
                          padding: LayerPadding = 0, dilation: IntOrTuple = 1, groups: int = 1,
                          padding_mode: PaddingMode = "zeros", sparse: bool = False,
                          name: str = "w") -> sympy.MatrixBase:
    """The matrix of a PyTorch conv layer with symbolic weights (a block matrix).

    Placed from the taps of :func:`~toeplitz_conv.layer_matrix`; rows are
    ordered ``(C_out, *out_spatial)`` and columns ``(C_in, *spatial)``, so
    the matrix is a ``C_out x C_in`` grid of (doubly) Toeplitz blocks.

    Parameters
    ----------
    weight_shape_or_symbols : tuple of int or nested sequence
        ``(C_out, C_in // groups, *kernel)``: a shape gives symbols
        ``w_{o,c,i}``; or the weight's entries (symbols or numbers).
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    stride, padding, dilation, groups, padding_mode
        As :func:`~toeplitz_conv.layer_matrix`.

    Examples
    --------
    Two output channels, one input channel, 2 taps, 3 samples:

    >>> symbolic_layer_matrix((2, 1, 2), (1, 3))
    Matrix([
    [w_{0,0,0}, w_{0,0,1},         0],
    [        0, w_{0,0,0}, w_{0,0,1}],
    [w_{1,0,0}, w_{1,0,1},         0],
    [        0, w_{1,0,0}, w_{1,0,1}]])
    """
    sparse = as_bool(sparse, "sparse")
    return layer_taps(weight_shape_or_symbols, input_shape, stride=stride, padding=padding,
                      dilation=dilation, groups=groups, padding_mode=padding_mode,
                      name=name).matrix(sparse)


def latex(matrix: Any, zero: str = r"\cdot", *, env: str = "bmatrix") -> str:
    """LaTeX of a (symbolic or numeric) matrix, zeros drawn as ``zero``.

    Parameters
    ----------
    matrix : sympy matrix, TiedMatrix or 2-D array_like
    zero : str
        How to draw a zero entry: ``"·"`` / ``r"\\cdot"`` (default) or ``"0"``.
    env : str
        The LaTeX matrix environment.

    Examples
    --------
    >>> print(latex(symbolic_matrix(2, 2)))
    \\begin{bmatrix}w_{0} & \\cdot \\\\ w_{1} & w_{0} \\\\ \\cdot & w_{1}\\end{bmatrix}
    >>> print(latex(symbolic_matrix([5, 6], 2), zero="0"))
    \\begin{bmatrix}5 & 0 \\\\ 6 & 5 \\\\ 0 & 6\\end{bmatrix}
    """
    if not isinstance(zero, str):
        raise TypeError(f"zero must be a string such as '·' or '0', got {zero!r}")
    if zero == "·":
        zero = r"\cdot"
    if not isinstance(env, str) or not env.isalpha():
        raise TypeError(f"env must be a LaTeX environment name such as 'bmatrix', got {env!r}")
    if matrix is None or isinstance(matrix, (str, bytes, bool, np.bool_)):
        raise TypeError(f"matrix must be a sympy Matrix, a TiedMatrix, a scipy sparse "
                        f"matrix or a 2-D array, got {type(matrix).__name__} {matrix!r}")
    if isinstance(matrix, sympy.MatrixBase):
        m = matrix
    else:
        shape = getattr(matrix, "shape", None)
        if shape is not None and len(shape) == 2 and shape[0] * shape[1] > MAX_DENSE_ENTRIES:
            raise ValueError(f"a {shape[0]} x {shape[1]} matrix is too large to typeset")
        if hasattr(matrix, "toarray"):
            matrix = matrix.toarray()
        arr = np.asarray(matrix)
        if arr.ndim != 2 or arr.size == 0:
            raise ValueError(f"matrix must be 2-D and non-empty, got shape {arr.shape}")
        if arr.dtype.kind not in "biufc" and arr.dtype != object:
            # Strings would reach sympy.sympify, which evaluates them as Python.
            raise TypeError(f"matrix entries must be numbers or sympy expressions, got dtype "
                            f"{arr.dtype} (strings are never parsed)")
        if arr.dtype == object:
            if any(v is None or isinstance(v, (str, bytes)) for v in arr.flat):
                raise TypeError("matrix entries must be numbers or sympy expressions "
                                "(strings are never parsed)")
            # Strictly: sympify would turn an unknown object into its str() and parse it.
            m = sympy.Matrix(arr.shape[0], arr.shape[1],
                             [as_sympy(v, "matrix entries") for v in arr.ravel().tolist()])
        else:
            m = sympy.Matrix(arr)
    if m.rows * m.cols > MAX_DENSE_ENTRIES:
        raise ValueError(f"a {m.rows} x {m.cols} matrix is too large to typeset")
    lines = []
    for r in range(m.rows):
        cells = [zero if m[r, c] == 0 else sympy.latex(m[r, c]) for c in range(m.cols)]
        lines.append(" & ".join(cells))
    return f"\\begin{{{env}}}" + r" \\ ".join(lines) + f"\\end{{{env}}}"
