"""`extract_matrix`: the exact matrix of a black-box linear function, with few calls.

Probing one input element at a time needs one call per input element.  When
the sparsity pattern (the *footprint*: which outputs each input can reach) is
known, input elements whose footprints do not overlap can be probed together:
every output of such a probe then comes from exactly one of them, so one call
recovers many columns (the Curtis-Powell-Reid idea, a colouring of the column
intersection graph).  A conv layer's footprint is a stencil, so the number of
probes is about ``C_in * prod(kernel)`` whatever the image size.  The result
is verified on random inputs, with a fallback to one-hot probing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from .._limits import DenseTooLargeError, check_dense
from .._validation import as_positive_int, as_shape, choose
from ..layers import layer_matrix
from ..signal import conv_matrix
from ..tied import TiedMatrix
from ._footprint import discover_footprint
from ._isolate import black_box
from ._user import ISOLATIONS, as_result, as_timeout, as_tolerance

__all__ = ["DEFAULT_MAX_CALLS", "Extraction", "NotLinearError", "auto_tolerance",
           "colour_columns", "extract_from", "extract_matrix", "recover_weight"]

# One call per input element is O(n) calls of O(n) work each: past this many
# calls extract_matrix refuses (max_calls=None lifts the budget).
DEFAULT_MAX_CALLS = 10_000
# Inputs this small are probed one-hot at once: discovery would not save calls.
_DISCOVER_ABOVE = 16
# A discovered footprint whose colouring needs more conflict pairs than
# max(this, 2000 per input element) is nearly dense (n^2 pairs), or too big to
# colour in reasonable time: one-hot probing (within max_calls) is the honest route.
_MAX_CONFLICTS = 20_000_000
# Probes sent to a worker process in one message: at most this many, and
# about this many input values (16 MB) in all.
_BATCH = 256
_BATCH_VALUES = 2**21


class NotLinearError(ValueError):
    """The black box is not linear (nor affine): it has no matrix."""


@dataclass
class Extraction:
    """How :func:`extract_matrix` obtained the matrix.

    Attributes
    ----------
    calls : int
        Calls of ``forward`` in all (zero input, discovery, probes, verification).
    probes : int
        Probe inputs (colours, or input elements for one-hot probing).
    method : str
        ``"coloured"`` (footprint from ``kernel=``/``footprint=``),
        ``"discovered"`` (footprint found by probing, then coloured) or
        ``"one-hot"``.
    bias : ndarray or None
        ``forward(0)`` when it is not zero: the function is affine and the
        matrix is that of ``x -> forward(x) - forward(0)``.
    in_shape, out_shape : tuple of int
    notes : list of str
        What happened (fallbacks, bias).
    rtol, atol : float
        The tolerances the verification used (derived from the output dtype
        and the fan-in unless given).
    dtype : numpy.dtype or str
        The dtype of ``forward``'s first output.
    discovery_calls : int
        Calls spent finding the footprint (part of ``calls``).
    """

    calls: int
    probes: int
    method: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    bias: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    rtol: float = 0.0
    atol: float = 0.0
    dtype: Any = None
    discovery_calls: int = 0

    def __str__(self) -> str:
        text = (f"{self.method} probing: {self.calls} calls ({self.probes} probes), "
                f"input {self.in_shape} -> output {self.out_shape}")
        return "; ".join([text, *self.notes])


class _Counted:
    """The black box, with a call counter, a call budget and result validation.

    ``box`` is a :class:`~toeplitz_conv.check._user.BlackBox` or its worker
    process (:class:`~toeplitz_conv.check._isolate.ProcessBlackBox`): a call
    that fails (raises, hangs, ends its process) is one ValueError saying so
    and on which call.
    """

    def __init__(self, box: Any, in_shape: tuple[int, ...],
                 max_calls: int | None = None) -> None:
        self.box = box
        self.in_shape = in_shape
        self.calls = 0
        self.max_calls = max_calls
        self.out_shape: tuple[int, ...] | None = None
        self.dtype: Any = None
        self.eps = float(np.finfo(np.float64).eps)

    def afford(self, more: int, what: str) -> None:
        """Refuse, before spending them, ``more`` calls beyond the budget."""
        if self.max_calls is not None and self.calls + more > self.max_calls:
            raise ValueError(f"{what} needs {more} more calls of forward ({self.calls} made "
                             f"so far), over max_calls={self.max_calls}; give kernel= (with "
                             f"the layer options) or footprint=, or raise max_calls")

    def _values(self, xs: list[np.ndarray]) -> list[Any]:
        """What the black box returned for each input (of ``in_shape``); raise on a failure."""
        outs = self.box.many(xs)
        for out in outs:
            self.calls += 1
            if out.error:
                raise ValueError(f"the black box failed on call {self.calls}: "
                                 f"{out.error}") from out.cause
        return [out.value for out in outs]

    def raw(self, x: np.ndarray) -> Any:
        """One call, its result as returned (not validated, not counted against the budget)."""
        return self._values([x])[0]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.afford(1, "extraction")
        return self._result(self._values([x.reshape(self.in_shape)])[0])

    def each(self, count: int, make: Callable[[int], np.ndarray]) -> Iterator[np.ndarray]:
        """The responses to ``make(0), ..., make(count - 1)`` (flat inputs), in batches.

        A batch is one message to a worker process (see :mod:`._isolate`);
        at most about 16 MB of inputs are made at a time.
        """
        self.afford(count, "extraction")
        step = max(1, min(_BATCH, _BATCH_VALUES // max(1, int(np.prod(self.in_shape)))))
        for start in range(0, count, step):
            xs = [make(i).reshape(self.in_shape) for i in range(start, min(count, start + step))]
            for y in self._values(xs):
                yield self._result(y)

    def _result(self, y: Any) -> np.ndarray:
        if self.out_shape is None:
            y = self._first(y)
        if hasattr(y, "detach") and str(getattr(y, "dtype", "")) == "torch.bfloat16":
            y = y.float()                   # numpy has no bfloat16
        arr, msg = as_result(y, self.out_shape or (), "forward")
        if msg or arr is None:              # as_result gives an array whenever msg is ""
            raise ValueError(msg)
        return arr.ravel()

    def _first(self, y: Any) -> np.ndarray:
        """The first output fixes the output shape and the dtype's precision."""
        # A tensor, or one sent back from a worker process (as float32 values
        # with the name of its dtype).
        if str(getattr(y, "dtype", "")) == "torch.bfloat16":
            self.dtype, self.eps = "bfloat16", 2.0 ** -7
            if hasattr(y, "detach"):
                y = y.float()
        if hasattr(y, "detach"):
            y = y.detach().cpu().numpy()
        y = np.asarray(y)
        if self.dtype is None:
            self.dtype = y.dtype
            if y.dtype.kind in "fc":
                self.eps = float(np.finfo(y.dtype).eps)
        self.out_shape = tuple(y.shape)
        return y


def auto_tolerance(eps: float, fan_in: int) -> float:
    """The relative tolerance for outputs of precision ``eps`` summing ``fan_in`` products.

    A sum of ``k`` rounded products is off by at most about ``k * eps`` times
    the sum of their magnitudes; a quarter of that bound, measured against the
    largest output, keeps correct float32 layers passing while a wrong tap
    (an error of the order of a weight) still fails.

    >>> auto_tolerance(np.finfo(np.float32).eps, 27) < 1e-4
    True
    >>> auto_tolerance(np.finfo(np.float64).eps, 27) < 1e-13
    True
    """
    return float(eps) * max(64.0, 4.0 * fan_in)


def colour_columns(pattern: sp.spmatrix | sp.sparray, *,
                   max_conflicts: int | None = None) -> np.ndarray:
    """Greedy colouring of the columns: columns sharing a row get different colours.

    Returns one colour (0, 1, ...) per column.  With ``max_conflicts``, a
    pattern whose conflict graph would hold more pairs than that (rows with
    many columns: a dense pattern is n^2 pairs) raises
    :class:`~toeplitz_conv.DenseTooLargeError` before the graph is built.

    Examples
    --------
    >>> from toeplitz_conv import conv_matrix
    >>> colour_columns(conv_matrix([1, 1, 1], 10, "same").sparse)   # a 3-band matrix
    array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    """
    p = sp.csr_array(pattern, dtype=bool)
    p.sum_duplicates()
    n = p.shape[1]
    # Rows with the same column set (e.g. the output channels of a conv
    # layer) add the same conflicts: keep one of each.
    lengths = np.diff(p.indptr)
    if p.nnz:
        width = int(lengths.max())
        table = np.full((p.shape[0], width), -1, dtype=np.int64)
        pos = np.arange(p.nnz) - np.repeat(p.indptr[:-1], lengths)
        table[np.repeat(np.arange(p.shape[0]), lengths), pos] = p.indices
        table = table[lengths > 0]
        # Hash each row's (sorted) column list; equal lists collapse.
        mult = np.random.default_rng(0).integers(1, 2**62, size=width) | 1
        with np.errstate(over="ignore"):
            key = (table * mult[None, :]).sum(axis=1)
        _, first = np.unique(key, return_index=True)
        table = table[first]
        pairs = int(np.sum(np.sum(table >= 0, axis=1).astype(np.int64) ** 2))
        if max_conflicts is not None and pairs > max_conflicts:
            raise DenseTooLargeError(f"the column conflict graph would hold {pairs} pairs, "
                                     f"over max_conflicts={max_conflicts}")
        rr = np.repeat(np.arange(len(table)), width)
        cc = table.ravel()
        keep = cc >= 0
        p = sp.csr_array((np.ones(int(keep.sum()), dtype=np.int8), (rr[keep], cc[keep])),
                         shape=(len(table), n))
    conflict = (p.T @ p).tocsr()
    # Plain Python lists: per column the work is a few dozen neighbours,
    # far below numpy's per-call overhead.
    ptr, ind = conflict.indptr.tolist(), conflict.indices.tolist()
    colour = [-1] * n
    for j in range(n):
        used = {colour[k] for k in ind[ptr[j]:ptr[j + 1]]}
        c = 0
        while c in used:
            c += 1
        colour[j] = c
    return np.array(colour, dtype=np.int64)


def _footprint(footprint: Any, kernel: Any, in_shape: tuple[int, ...],
               layer_kwargs: dict[str, Any]) -> tuple[sp.csr_array | None, TiedMatrix | None]:
    """The pattern to colour, and the tied structure when the convention is given."""
    if footprint is not None:
        if isinstance(footprint, TiedMatrix):
            return footprint.sparse, footprint
        return sp.csr_array(footprint), None
    if kernel is None:
        if layer_kwargs:
            raise TypeError(f"layer options {sorted(layer_kwargs)} need kernel= (the weight "
                            f"or kernel shape)")
        return None, None
    kshape = tuple(np.shape(kernel)) if not isinstance(kernel, tuple) else kernel
    if len(kshape) == len(in_shape) + 1:
        structure = layer_matrix(np.ones(kshape), in_shape, **layer_kwargs)
    elif len(kshape) == len(in_shape):
        opts = dict(layer_kwargs)
        mode = opts.pop("mode", "full")
        structure = conv_matrix(np.ones(kshape), in_shape, mode, **opts)
    else:
        raise ValueError(f"kernel must be a layer weight (shape (C_out, C_in, *k), "
                         f"{len(in_shape) + 1} dims) or a kernel with {len(in_shape)} dims "
                         f"for input_shape {in_shape}, got shape {kshape}")
    return structure.sparse, structure


def _one_hot_columns(f: _Counted, n: int, y0: np.ndarray,
                     zero: Any) -> sp.csr_array:
    rows, cols, vals = [], [], []

    def one_hot(j: int) -> np.ndarray:
        x = np.zeros(n)
        x[j] = 1.0
        return x
    for j, response in enumerate(f.each(n, one_hot)):
        y = response - y0
        nz = np.flatnonzero(np.abs(y) > zero(y))
        rows.append(nz)
        cols.append(np.full(len(nz), j))
        vals.append(y[nz])
    m = len(y0)
    return sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(m, n))


def _mismatch(a: np.ndarray, b: np.ndarray, rtol: float, atol: float = 0.0) -> float:
    """Relative mismatch of two outputs; 0 when they agree to ``atol + rtol * max|.|``."""
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    d = float(np.max(np.abs(a - b), initial=0.0))
    if d <= atol + rtol * scale or d == 0:
        return 0.0
    return d / scale if scale else float("inf")


def recover_weight(structure: TiedMatrix, matrix: Any, *,
                   rtol: float = 1e-10) -> tuple[TiedMatrix | None, float]:
    """Fit a tied structure's weight to a matrix, reading values through its taps.

    Returns ``(structure.with_weight(w), residual)`` when the matrix is exactly
    of that structure (relative residual <= ``rtol``), else ``(None, residual)``.
    Entries outside the structure's pattern count towards the residual.

    Examples
    --------
    >>> from toeplitz_conv import conv_matrix
    >>> target = conv_matrix([1.0, 2.0, 3.0], 5, "same").sparse
    >>> fit, res = recover_weight(conv_matrix([1.0, 1.0, 1.0], 5, "same"), target)
    >>> fit.weight, res
    (array([1., 2., 3.]), 0.0)
    """
    s = sp.csr_array(matrix, dtype=np.float64)
    s.sum_duplicates()
    s.eliminate_zeros()
    if s.shape != structure.shape:
        return None, float("inf")
    scale = float(np.max(np.abs(s.data), initial=0.0)) or 1.0
    n = s.shape[1]
    t = structure.sparse
    if (t.nnz == s.nnz and np.array_equal(t.indptr, s.indptr)
            and np.array_equal(t.indices, s.indices)):
        return _fit_values(structure, s, s.data, 0.0, scale, rtol)
    t_key = np.repeat(np.arange(t.shape[0], dtype=np.int64), np.diff(t.indptr)) * n + t.indices
    s_key = np.repeat(np.arange(s.shape[0], dtype=np.int64), np.diff(s.indptr)) * n + s.indices
    # Both keys are sorted (canonical CSR): match the entries by binary search.
    at = np.minimum(np.searchsorted(s_key, t_key), max(len(s_key) - 1, 0))
    found = (s_key[at] == t_key) if len(s_key) else np.zeros(len(t_key), dtype=bool)
    vals = np.where(found, s.data[at] if len(s_key) else 0.0, 0.0)
    outside = np.ones(len(s_key), dtype=bool)
    outside[at[found]] = False
    off_err = float(np.max(np.abs(s.data[outside]), initial=0.0)) / scale
    return _fit_values(structure, s, vals, off_err, scale, rtol)


def _fit_values(structure: TiedMatrix, s: sp.csr_array, vals: np.ndarray, off_err: float,
                scale: float, rtol: float) -> tuple[TiedMatrix | None, float]:
    """Weights from the matrix values ``vals`` at the structure's entries."""
    _, _, widx = structure.taps
    entry = structure.tap_entry
    size = structure.weight.size
    single = np.bincount(entry, minlength=structure.nnz)[entry] == 1
    w = np.zeros(size)
    have = np.zeros(size, dtype=bool)
    if single.any():
        w[widx[single]] = vals[entry[single]]
        have[widx[single]] = True
    if not have.all():
        # Weights seen only in sums (wrap-around on tiny inputs): least squares.
        m = sp.csr_array((np.ones(len(widx)), (entry, widx)), shape=(structure.nnz, size))
        mtm = (m.T @ m).toarray()
        sol, *_ = np.linalg.lstsq(mtm, m.T @ vals, rcond=None)
        w[~have] = sol[~have]
    fit = structure.with_weight(w.reshape(structure.weight.shape))
    diff = sp.csr_array(fit.sparse - s)
    err = max(off_err, float(np.max(np.abs(diff.data), initial=0.0)) / scale)
    if err <= rtol:
        return fit, err
    return None, err


def extract_matrix(forward: Any, input_shape: Any, *, footprint: Any = None, kernel: Any = None,
                   verify: int = 2, seed: int = 0, rtol: float | None = None,
                   atol: float | None = None, max_calls: int | None = DEFAULT_MAX_CALLS,
                   discover: bool | None = None, return_info: bool = False,
                   timeout: float | None = 60.0,
                   isolation: Literal["none", "process"] = "none",
                   **layer_kwargs: Any) -> Any:
    """The exact matrix of a black-box linear function ``forward(x) -> y``.

    Without hints the footprint is discovered: a few one-hot probes far
    apart show, per axis, how the reached outputs move with the input
    (shift, stride, upsampling, or a channel axis read everywhere); assuming
    shift invariance, the inputs are coloured and probed together, and the
    result is verified on random inputs.  When the assumption fails (a
    circular boundary is tried next) the matrix is probed one-hot, within
    ``max_calls``.

    Parameters
    ----------
    forward : callable
        Takes an array of ``input_shape`` (numpy), returns an array (any
        fixed shape; a torch tensor is converted).  It is never given the
        caller's arrays.
    input_shape : int or tuple of int
    footprint : sparse matrix, array or TiedMatrix, optional
        A pattern containing the matrix's non-zeros (which outputs each input
        reaches).  Inputs with disjoint footprints are probed together.
    kernel : array_like or tuple, optional
        The weight (or its shape) of the layer, ``(C_out, C_in, *k)``, or a
        kernel (shape) of the signal convention; with ``layer_kwargs``
        (``stride``, ``padding``, ... or ``mode``, ``boundary``) it gives the
        footprint, and the result is a :class:`~toeplitz_conv.TiedMatrix`
        when the black box fits that structure exactly.
    verify : int
        Random inputs on which the coloured result is checked against
        ``forward``; on a mismatch the matrix is probed one-hot instead.
    seed : int
    rtol, atol : float or None
        Tolerances of the verification: ``|A @ x - forward(x)| <= atol +
        rtol * max|forward(x)|``.  ``None`` (the default) derives ``rtol``
        from the dtype of ``forward``'s output and the fan-in (the most
        non-zeros in a row), see :func:`auto_tolerance`, and takes
        ``atol = 0``; float32 black boxes then pass.  Responses below
        ``16 * eps`` of a probe's largest one are rounding noise, not entries.
    max_calls : int or None
        Budget of calls of ``forward``: a route that would exceed it (a
        one-hot fallback needs one call per input element) is refused with a
        ValueError before it starts.  ``None``: no budget.
    discover : bool or None
        Discover the footprint when no hint is given.  ``None``: when the
        input has more than 16 elements (below, one-hot probing is as cheap).
    return_info : bool
        Also return an :class:`Extraction` (calls, probes, method, bias,
        tolerances).
    timeout : float or None
        Seconds allowed per call of ``forward`` (default 60; ``None``: no
        limit).  In-process the call is stopped by a ``SIGALRM`` timer when
        this runs in the main thread (see
        :func:`~toeplitz_conv.check._user.run_user` for the limits); with
        ``isolation="process"`` the worker process is killed.
    isolation : {'none', 'process'}
        ``'none'`` (default): ``forward`` runs in this process (fast).
        ``'process'`` (the CLI's default): it runs in a child process, so
        that ``os._exit``, a signal, a segmentation fault, an allocation
        beyond the address-space cap, a process it starts or an endless loop
        is a ValueError saying what happened, and nothing of it is left
        running.  The probes go to it in batches (no round trip per call).
        The child is forked on Linux; elsewhere it is spawned, which needs a
        picklable ``forward`` (a TypeError says so otherwise).

    Returns
    -------
    scipy.sparse.csr_array or TiedMatrix
        ``(prod(out_shape), prod(input_shape))``, C-order flattening; with
        ``return_info``, a pair ``(matrix, Extraction)``.

    Raises
    ------
    NotLinearError
        If ``forward(a + b) != forward(a) + forward(b) - forward(0)``.
    ValueError
        If ``forward`` fails (raises, calls ``sys.exit``, does not return
        within ``timeout``, or, with ``isolation="process"``, ends or crashes
        its process or starts one): the message says what happened and on
        which call.  Also if it returns NaN/inf or changes its output shape,
        or the extraction would exceed ``max_calls``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import convolve
    >>> f = lambda x: convolve(x, [5.0, 6.0, 7.0], mode="full")
    >>> A, info = extract_matrix(f, 6, return_info=True)       # one-hot: 6 probes
    >>> A.toarray()[:3]
    array([[5., 0., 0., 0., 0., 0.],
           [6., 5., 0., 0., 0., 0.],
           [7., 6., 5., 0., 0., 0.]])
    >>> info.calls, info.method
    (9, 'one-hot')
    >>> A, info = extract_matrix(f, 100, kernel=(3,), return_info=True)
    >>> info.probes, info.calls, type(A).__name__
    (3, 6, 'TiedMatrix')
    >>> A, info = extract_matrix(f, 100, return_info=True)     # footprint discovered
    >>> info.method, info.discovery_calls, info.probes, info.calls
    ('discovered', 2, 3, 8)

    A black box that hangs is stopped, one that ends its process is reported:

    >>> import os, time
    >>> extract_matrix(lambda x: time.sleep(60), 6, timeout=0.1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the black box failed on call 1: forward did not return within timeout=0.1 s ...
    >>> extract_matrix(lambda x: os._exit(3), 6, isolation="process")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the black box failed on call 1: forward ended its process with exit status 3 ...
    """
    timeout_v = as_timeout(timeout)
    choose(isolation, "isolation", ISOLATIONS)
    with black_box(forward, timeout_v, isolation, "extract_matrix") as box:
        return extract_from(box, input_shape, footprint=footprint, kernel=kernel,
                            verify=verify, seed=seed, rtol=rtol, atol=atol,
                            max_calls=max_calls, discover=discover, return_info=return_info,
                            **layer_kwargs)


def extract_from(box: Any, input_shape: Any, *, footprint: Any = None, kernel: Any = None,
                 verify: int = 2, seed: int = 0, rtol: float | None = None,
                 atol: float | None = None, max_calls: int | None = DEFAULT_MAX_CALLS,
                 discover: bool | None = None, return_info: bool = False,
                 **layer_kwargs: Any) -> Any:
    """:func:`extract_matrix` of a black box already open (``identify`` shares its worker).

    ``box``: from :func:`~toeplitz_conv.check._isolate.black_box`.
    """
    in_shape, verify, rtol_v, atol_v, max_calls = _validated(
        input_shape, verify, rtol, atol, max_calls, discover)
    n = int(np.prod(in_shape))
    f = _Counted(box, in_shape, max_calls)
    pattern, structure = _footprint(footprint, kernel, in_shape, layer_kwargs)
    y0 = f(np.zeros(n))
    m = len(y0)
    rng = np.random.default_rng(seed)
    run = _Run(f, y0, in_shape, f.out_shape or (m,), rtol_v, atol_v, verify, rng,
               used_tol=rtol_v or 0.0)
    bias = None
    if np.any(np.abs(y0) > atol_v):
        bias = y0.reshape(run.out_shape)
        run.notes.append("forward(0) != 0: the function has a bias (it is affine); the matrix "
                         "is that of x -> forward(x) - forward(0)")
    run.checks = [rng.standard_normal(n) for _ in range(verify)]
    if pattern is not None and pattern.shape != (m, n):
        raise ValueError(f"footprint has shape {pattern.shape}, but forward maps {n} inputs "
                         f"to {m} outputs")
    attempts, disc_calls = _attempts(run, pattern, discover)
    found = _coloured(run, attempts)
    if disc_calls:
        run.notes.insert(0, f"footprint discovered with {disc_calls} one-hot probes")
    a, method, probes = found if found is not None else (_one_hot_matrix(run), "one-hot", n)
    result = _with_structure(run, a, structure)
    info = Extraction(f.calls, probes, method, in_shape, run.out_shape, bias, run.notes,
                      rtol=run.used_tol, atol=atol_v, dtype=f.dtype, discovery_calls=disc_calls)
    return (result, info) if return_info else result


def _validated(input_shape: Any, verify: Any, rtol: Any, atol: Any, max_calls: Any,
               discover: Any) -> tuple[tuple[int, ...], int, float | None, float, int | None]:
    """:func:`extract_matrix`'s options, checked: ``(in_shape, verify, rtol, atol, max_calls)``."""
    in_shape = as_shape(input_shape)
    # Every probe is one input: refuse before making one that cannot fit.
    try:
        check_dense(in_shape, 8)
    except DenseTooLargeError as exc:
        raise DenseTooLargeError(f"extract_matrix: each probe is an input of shape {in_shape}; "
                                 f"{exc}".replace("; use .sparse, or", "; use a smaller "
                                                  "input_shape, or")) from None
    verify = as_positive_int(verify, "verify")
    rtol_v = None if rtol is None else as_tolerance(rtol, "rtol")
    atol_v = 0.0 if atol is None else as_tolerance(atol, "atol")
    if max_calls is not None:
        max_calls = as_positive_int(max_calls, "max_calls")
    if discover is not None and not isinstance(discover, (bool, np.bool_)):
        raise TypeError(f"discover must be True, False or None, got {discover!r}")
    return in_shape, verify, rtol_v, atol_v, max_calls


@dataclass
class _Run:
    """One extraction: the counted black box, its response to 0 and the verification."""

    f: _Counted
    y0: np.ndarray
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    rtol: float | None
    atol: float
    verify: int
    rng: np.random.Generator
    checks: list[np.ndarray] = field(default_factory=list)
    responses: list[np.ndarray] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    used_tol: float = 0.0

    @property
    def n(self) -> int:
        return int(np.prod(self.in_shape))

    @property
    def m(self) -> int:
        return len(self.y0)

    def zero(self, r: np.ndarray) -> float:
        """Responses at most this are rounding noise, not entries."""
        return self.atol + 16 * self.f.eps * float(np.max(np.abs(r), initial=0.0))

    def tol(self, a: sp.csr_array) -> float:
        if self.rtol is not None:
            return self.rtol
        return auto_tolerance(self.f.eps, int(np.diff(a.indptr).max(initial=0)))

    def reproduces(self, a: sp.csr_array) -> bool:
        """Does ``a`` give ``forward``'s responses to the random inputs (called once)?"""
        if not self.responses:
            self.responses = [y - self.y0 for y in self.f.each(len(self.checks),
                                                                self.checks.__getitem__)]
        self.used_tol = self.tol(a)
        return all(_mismatch(a @ x, y, self.used_tol, self.atol) == 0
                   for x, y in zip(self.checks, self.responses))

    def check_additive(self) -> None:
        _check_additive(self.f, self.checks, self.responses, self.y0, self.used_tol,
                        self.atol, self.rng)


def _attempts(run: _Run, pattern: sp.csr_array | None, discover: bool | None
              ) -> tuple[list[tuple[str, sp.csr_array | None]], int]:
    """The footprints to colour, in order, and the calls their discovery took."""
    if pattern is not None:
        return [("coloured", pattern)], 0
    if not (discover or (discover is None and run.n > _DISCOVER_ABOVE)):
        return [], 0

    def probe(index: tuple[int, ...]) -> np.ndarray:
        x = np.zeros(run.in_shape)
        x[index] = 1.0
        return run.f(x.ravel()) - run.y0
    d = discover_footprint(probe, run.in_shape, run.out_shape, run.zero)
    if not d.found:
        run.notes.append(f"no footprint discovered ({d.reason}): probed one-hot")
        return [], d.calls
    # The model first; then without the axes it rests least on (a small
    # channel axis), then wrapping around (a circular boundary).
    variants = [(False, False)]
    if d.uncertain:
        variants.append((False, True))
    if d.can_wrap:
        variants += [(True, False)] + ([(True, True)] if d.uncertain else [])
    return [("discovered", d.pattern(run.in_shape, run.out_shape, wrap=w, certain=c))
            for w, c in variants], d.calls


def _probe_colours(run: _Run, pat: sp.csr_array, colour: np.ndarray,
                   n_col: int) -> sp.csr_array:
    """One call per colour; each response entry belongs to the one input of its colour."""
    run.f.afford(n_col + (0 if run.responses else run.verify), f"probing {n_col} colours")
    ys = np.empty((n_col, run.m))
    for c, y in enumerate(run.f.each(n_col, lambda c: (colour == c).astype(np.float64))):
        ys[c] = y - run.y0
        ys[c][np.abs(ys[c]) <= run.zero(ys[c])] = 0.0
    coo = sp.coo_array(pat)
    rows, cols = coo.row, coo.col
    cand = sp.csr_array((ys[colour[cols], rows], (rows, cols)), shape=(run.m, run.n))
    cand.sum_duplicates()
    cand.eliminate_zeros()
    return cand


def _coloured(run: _Run, attempts: list[tuple[str, sp.csr_array | None]]
              ) -> tuple[sp.csr_array, str, int] | None:
    """The first footprint whose coloured probes reproduce ``forward``: ``(A, method, probes)``."""
    for attempt, (kind, pat) in enumerate(attempts):
        if pat is None:
            run.notes.append("the discovered footprint is too large to colour: probed one-hot")
            continue
        try:
            colour = colour_columns(pat, max_conflicts=None if kind == "coloured"
                                    else max(_MAX_CONFLICTS, 2000 * run.n))
        except DenseTooLargeError:
            run.notes.append("the discovered footprint is nearly dense: probed one-hot")
            return None
        n_col = int(colour.max()) + 1 if run.n else 0
        if kind == "discovered" and n_col >= run.n:
            run.notes.append("the discovered footprint needs as many probes as one-hot probing")
            return None
        cand = _probe_colours(run, pat, colour, n_col)
        if run.reproduces(cand):
            if attempt and kind == "discovered":
                run.notes.append("found with a wider footprint (the black box is not shift "
                                 "invariant along some axis, or wraps around)")
            return cand, kind, n_col
        if not attempt:
            run.check_additive()
        what = ("footprint too small?" if kind == "coloured" else
                "the black box is not shift invariant?")
        last = attempt == len(attempts) - 1
        run.notes.append(f"the {kind} probes did not reproduce forward on random inputs "
                         f"({what})" + (": probed one-hot instead" if last else ""))
    return None


def _one_hot_matrix(run: _Run) -> sp.csr_array:
    """One call per input element (the route without a usable footprint)."""
    run.f.afford(run.n + (0 if run.responses else run.verify),
                 f"one-hot probing of {run.n} input elements")
    a = _one_hot_columns(run.f, run.n, run.y0, run.zero)
    a.sum_duplicates()
    if not run.reproduces(a):
        run.check_additive()
        raise NotLinearError("forward is not linear: its one-hot responses do not "
                             "reproduce it on random inputs (f(x) != sum_j x_j f(e_j))")
    return a


def _with_structure(run: _Run, a: sp.csr_array, structure: TiedMatrix | None) -> Any:
    """``a`` as a TiedMatrix of ``structure`` when it fits it, else ``a`` itself."""
    if structure is None:
        return a
    fit, _ = recover_weight(structure, a, rtol=max(run.used_tol, 1e-12))
    if fit is None:
        run.notes.append("the matrix does not have the structure of kernel= and the layer "
                         "options: returned as a csr_array")
        return a
    fit.info = {**fit.info, "extracted_calls": run.f.calls}
    return fit


def _check_additive(f: _Counted, checks: list[np.ndarray], responses: list[np.ndarray],
                    y0: np.ndarray, rtol: float, atol: float,
                    rng: np.random.Generator) -> None:
    """Raise :class:`NotLinearError` if ``f(a + b) - f(0) != (f(a) - f(0)) + (f(b) - f(0))``."""
    if len(checks) < 2:
        checks = [*checks, rng.standard_normal(len(checks[0]))]
        responses = [*responses, f(checks[-1]) - y0]
    a, b = checks[0], checks[1]
    both = f(a + b) - y0
    err = _mismatch(both, responses[0] + responses[1], rtol, atol)
    if err:
        raise NotLinearError(f"forward is not linear: f(a + b) != f(a) + f(b) for random a, b "
                             f"(relative difference {err:.3g})")
    twice = f(2 * a) - y0
    err = _mismatch(twice, 2 * responses[0], rtol, atol)
    if err:
        raise NotLinearError(f"forward is not linear: f(2a) != 2 f(a) for a random a "
                             f"(relative difference {err:.3g})")
