"""Singular values of a convolution layer, exactly and fast.

A circular, stride-1 convolution layer that keeps the spatial size commutes
with every circular shift, so the multi-dimensional DFT block-diagonalises
it: at each spatial frequency ``f`` it acts on the ``C_in`` channel values by
a ``C_out x C_in`` matrix ``M(f)``, and the singular values of the layer are
those of all the ``M(f)`` together (Sedghi, Gupta & Long, "The Singular
Values of Convolutional Layers", ICLR 2019).  ``M(f)`` is the DFT of the
kernel embedded (wrapped) in the spatial grid, so one FFT and one batched
SVD of ``prod(spatial)`` small matrices replace the SVD of a
``C_out*N x C_in*N`` matrix.

The layer in question is ``layer_matrix(w, input_shape, padding="same",
padding_mode="circular", dilation=..., groups=...)``: stride 1 and output
size equal to input size.  The shift introduced by the padding only
multiplies ``M(f)`` by a phase, but it is kept so that
:func:`clip_singular_values` returns the weight of exactly that layer.

For other layers (zero padding, strides, ...) :func:`spectral_norm` uses
``scipy.sparse.linalg.svds`` on the sparse matrix.

The same block-diagonalisation gives the *eigenvalues* of a square circular
layer (:func:`eigenvalues`: those of the ``M(f)`` together; unlike the
singular values they depend on the padding's shift), and
:func:`padding_gap` bounds how far the circular layer's norm is from the
zero-padded one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._limits import DenseTooLargeError, limits
from ._typing import LayerPadding
from ._validation import as_finite_real, as_groups, as_int_tuple, as_kernel, as_shape, choose
from .geometry import channel_map, circular_same_fits, layer_geometry
from .layers import layer_matrix

__all__ = ["PaddingGap", "clip_singular_values", "eigenvalues", "frequency_matrices",
           "padding_gap", "singular_values", "spectral_norm"]


def _dense_channels(w: np.ndarray, c_in: int, groups: Any) -> np.ndarray:
    """Expand a grouped weight to ``(C_out, C_in, *kernel)`` with zero off-group blocks."""
    c_out, c_ig = w.shape[:2]
    groups = as_groups(groups, [(c_out, "the output channels (weight.shape[0])")])
    if c_ig * groups != c_in:
        raise ValueError(f"weight.shape[1] * groups must equal the input channels: "
                         f"{c_ig} * {groups} != input_shape[0] = {c_in}")
    if groups == 1:
        return w
    full = np.zeros((c_out, c_in, *w.shape[2:]), dtype=w.dtype)
    full[np.arange(c_out)[:, None], channel_map(c_out, c_in, groups)] = w
    return full


def frequency_matrices(weight: ArrayLike, input_shape: tuple[int, ...], *,
                       dilation: Any = 1, groups: int = 1,
                       padding: LayerPadding = "same") -> np.ndarray:
    """The ``C_out x C_in`` matrix ``M(f)`` of the circular "same" layer at each frequency.

    With ``X = fftn(x)`` and ``Y = fftn(y)`` over the spatial axes,
    ``Y[:, f] = M[f] @ X[:, f]`` for ``y`` the output of
    ``layer_matrix(weight, input_shape, padding=padding, padding_mode="circular",
    dilation=dilation, groups=groups)``.  In 1-D, with ``omega = exp(-2 pi i / n)``
    and ``p`` the padding before, ``M(f) = sum_t w[:, :, t] omega^(f (p - d t))``:
    another ``padding`` of the same size multiplies ``M(f)`` by a phase.

    Parameters
    ----------
    padding : int, tuple or pairs, or 'same'
        Any padding of :func:`~toeplitz_conv.layer_matrix` for which the
        output has the input's spatial size (else a ValueError naming it).

    Returns
    -------
    ndarray, complex, shape ``(*spatial, C_out, C_in)``

    See Also
    --------
    singular_values : the singular values of these matrices, all together.
    layer_matrix : the circular layer's sparse matrix.

    Examples
    --------
    >>> import numpy as np
    >>> M = frequency_matrices(np.ones((1, 1, 3)), (1, 4))
    >>> np.round(M[:, 0, 0].real, 12)          # 1 + 2 cos(2 pi f / 4), f = 0..3
    array([ 3.,  1., -1.,  1.])
    """
    h = _wrapped_kernel(weight, input_shape, dilation, groups, padding)
    spatial_axes = tuple(range(h.ndim - 2))
    # sum_j h[j] x[o + j]  has DFT  (sum_j h[j] e^{+2 pi i f j / n}) X[f] = N ifft(h)[f] X[f]
    return np.fft.ifftn(h, axes=spatial_axes) * int(np.prod(h.shape[:-2]))


def _wrapped_kernel(weight: Any, input_shape: Any, dilation: Any, groups: Any,
                    padding: Any = "same") -> np.ndarray:
    """``h`` of shape ``(*spatial, C_out, C_in)``: the layer is ``y[o] = sum_j h[j] x[o + j]``.

    Channels last, so that the per-frequency matrices come out contiguous.
    """
    w = as_kernel(weight, "weight", min_ndim=3, max_ndim=5)
    nd = w.ndim - 2
    shape = as_shape(input_shape, "input_shape", ndim=nd + 1)
    w = _dense_channels(w, shape[0], groups)
    spatial = shape[1:]
    dil = as_int_tuple(dilation, nd, "dilation", minimum=1)
    if isinstance(padding, str) and padding == "same":
        for k, d, n in zip(w.shape[2:], dil, spatial):
            if not circular_same_fits(n, k, d):
                raise ValueError(f"dilation {dilation!r} makes a kernel of size {k} span "
                                 f"{d * (k - 1) + 1} samples, too wide for the circular "
                                 f"'same' layer on an input of size {n} (input_shape {shape})")
    geom = layer_geometry(w.shape[2:], spatial, padding=padding, dilation=dil,
                          padding_mode="circular")
    out = tuple(ax.out_size for ax in geom.axes)
    if out != spatial:
        raise ValueError(f"padding must keep the spatial size (a circular layer is "
                         f"block-diagonalised by the DFT only then): padding {padding!r} "
                         f"gives outputs {out} for inputs {spatial}; use 'same' or a "
                         f"padding adding up to dilation * (kernel - 1) per axis")
    _check_spectrum_memory(spatial, w.shape[0], w.shape[1])
    # Output 0 reads input index[t] with tap t; by shift invariance output o
    # reads o + index[t] (mod n): a circular correlation with h.
    idx = [ax.input_index(np.array([0]))[0] for ax in geom.axes]
    h = np.zeros((*spatial, w.shape[0], w.shape[1]), dtype=np.result_type(w, np.float64))
    # add.at: taps of a kernel wider than the input wrap onto the same sample.
    np.add.at(h, tuple(np.meshgrid(*idx, indexing="ij")), np.moveaxis(w, (0, 1), (-2, -1)))
    return h


#: Working bytes per ``N * C_out * C_in`` (plus 24 per ``N * min(C_out, C_in)``
#: singular value) counted before a spectrum is computed.  Measured peaks
#: (tracemalloc, see tests/test_spectrum.py): up to about 40 for real kernels
#: (the wrapped kernel, its half spectrum, the values repeated and sorted) and
#: 64 for complex ones; clipping holds U, V, the clipped matrices and their
#: FFT at once, up to about 120.
SPECTRUM_BYTES = 64
CLIP_BYTES = 160


def spectrum_need(spatial: tuple[int, ...], c_out: int, c_in: int,
                  per_entry: int = SPECTRUM_BYTES) -> int:
    """Bytes of working memory counted for the spectrum of this layer."""
    n = 1
    for s in spatial:
        n *= int(s)
    return n * c_out * c_in * per_entry + n * min(c_out, c_in) * 24


def _check_spectrum_memory(spatial: tuple[int, ...], c_out: int, c_in: int,
                           per_entry: int = SPECTRUM_BYTES) -> None:
    """Refuse, before any FFT, a spectrum whose working memory exceeds ``max_dense_bytes``."""
    need = spectrum_need(spatial, c_out, c_in, per_entry)
    if need > limits.max_dense_bytes:
        raise DenseTooLargeError(
            f"the spectrum of a {c_out} x {c_in} channel layer on {' x '.join(map(str, spatial))} "
            f"samples needs about {need / 2**30:.3g} GiB of working memory, over "
            f"toeplitz_conv.limits.max_dense_bytes = {limits.max_dense_bytes / 2**30:.3g} GiB; "
            f"use a smaller input_shape or raise the limit")


def singular_values(weight: ArrayLike, input_shape: tuple[int, ...], *,
                    padding_mode: str = "circular", dilation: Any = 1,
                    groups: int = 1) -> np.ndarray:
    """All singular values of a circular conv layer, by FFT block-diagonalisation.

    Exact (to rounding) for ``layer_matrix(weight, input_shape, padding="same",
    padding_mode="circular", dilation=dilation, groups=groups)`` -- stride 1,
    output size equal to input size -- following Sedghi, Gupta & Long (ICLR
    2019): one FFT of the wrapped kernel, then one batched SVD of the
    ``prod(spatial)`` matrices of size ``C_out x C_in``.

    Parameters
    ----------
    weight : array_like
        ``(C_out, C_in // groups, *kernel)``, 1 to 3 spatial dims.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    padding_mode : {'circular'}
        Only the circular layer is diagonalised by the DFT; for other
        paddings use :func:`spectral_norm`.

    Returns
    -------
    ndarray
        ``prod(spatial) * min(C_out, C_in)`` values, in descending order.

    Raises
    ------
    DenseTooLargeError
        Before any work, when the working memory (about 64 bytes per
        ``prod(spatial) * C_out * C_in``, see :data:`SPECTRUM_BYTES`) would exceed
        ``toeplitz_conv.limits.max_dense_bytes``.

    See Also
    --------
    spectral_norm : the largest singular value of any layer.
    frequency_matrices : the per-frequency matrices whose SVDs these are.
    clip_singular_values : bound them.
    layer_matrix : the circular layer's sparse matrix.

    Examples
    --------
    >>> import numpy as np
    >>> s = singular_values(np.array([[[0.0, 1.0, 0.5]]]), (1, 4))   # 1-D, 4 samples
    >>> np.round(s, 12)                      # |1 + 0.5 e^{2 pi i f / 4}|, f = 0..3
    array([1.5       , 1.11803399, 1.11803399, 0.5       ])
    """
    choose(padding_mode, "padding_mode", ("circular",))
    h = _wrapped_kernel(weight, input_shape, dilation, groups)
    if np.iscomplexobj(h):
        s = np.linalg.svd(frequency_matrices(weight, input_shape, dilation=dilation,
                                             groups=groups), compute_uv=False)
        return np.sort(s.ravel())[::-1]
    # Real kernel: M(-f) = conj(M(f)) has the same singular values, so only the
    # half spectrum of rfftn is decomposed; frequencies 0 < f_last < n_last / 2
    # stand for their mirror image too.  (conj(rfftn(h)) = M, dropped: same values.)
    n_last = h.shape[-3]
    half = np.fft.rfftn(h, axes=tuple(range(h.ndim - 2)))
    del h
    s = np.linalg.svd(half, compute_uv=False)
    j = np.arange(half.shape[-3])
    del half
    twice = (j > 0) & (2 * j != n_last)
    count = np.broadcast_to(np.where(twice, 2, 1)[:, None], s.shape[-2:])
    s = np.repeat(s.reshape(-1), np.broadcast_to(count, s.shape).reshape(-1))
    s.sort()       # in place: no second copy of the largest array
    return s[::-1]


def spectral_norm(weight: ArrayLike, input_shape: tuple[int, ...], *, method: str = "svds",
                  tol: float = 0.0, **layer_kwargs: Any) -> float:
    """Largest singular value of ``layer_matrix(weight, input_shape, **layer_kwargs)``.

    Works for any layer (zero padding, strides, groups, ...).

    Parameters
    ----------
    method : {'svds', 'fft'}
        ``'svds'``: ``scipy.sparse.linalg.svds`` (ARPACK, to machine
        precision) on the sparse matrix.  ``'fft'``: the exact FFT value of
        :func:`singular_values`; only for the circular layer it describes
        (``padding="same", padding_mode="circular"``, stride 1), so it serves
        as a check of the first.
    tol : float
        ARPACK's relative tolerance; 0 means machine precision.  The top of a
        conv layer's spectrum is clustered, so for large layers (tens of
        thousands of rows) a looser ``tol`` saves much time.
    **layer_kwargs
        ``stride``, ``padding``, ``dilation``, ``groups``, ``padding_mode``
        as in :func:`~toeplitz_conv.layer_matrix`.

    See Also
    --------
    singular_values : every singular value of a circular layer, by FFT.
    layer_matrix : the matrix whose norm this is.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.random.default_rng(0).standard_normal((4, 3, 3, 3))
    >>> a = spectral_norm(w, (3, 8, 8), padding="same", padding_mode="circular")
    >>> b = spectral_norm(w, (3, 8, 8), method="fft", padding="same", padding_mode="circular")
    >>> bool(abs(a - b) < 1e-10 * b)
    True
    >>> spectral_norm(w, (3, 8, 8), padding=1) <= b     # zero padding: a compression of it
    True
    """
    choose(method, "method", ("svds", "fft"))
    tol = as_finite_real(tol, "tol")
    if not 0 <= tol < 1:
        # A relative tolerance of 1 or more asks for no digit at all (and
        # ARPACK overflows on huge ones).
        raise ValueError(f"tol must be a relative tolerance in [0, 1) "
                         f"(0 means machine precision), got {tol!r}")
    if method == "fft":
        extra = set(layer_kwargs) - {"padding", "padding_mode", "dilation", "groups", "stride"}
        if extra:
            raise TypeError(f"unexpected keyword arguments {sorted(extra)}")
        stride = layer_kwargs.get("stride", 1)
        unit_stride = all(s == 1 for s in (stride if isinstance(stride, (tuple, list))
                                            else (stride,)))
        if layer_kwargs.get("padding") != "same" or not unit_stride \
                or layer_kwargs.get("padding_mode") != "circular":
            raise ValueError("method='fft' is exact only for padding='same', "
                             "padding_mode='circular', stride=1; use method='svds'")
        return float(singular_values(weight, input_shape,
                                     dilation=layer_kwargs.get("dilation", 1),
                                     groups=layer_kwargs.get("groups", 1))[0])
    from scipy.sparse.linalg import svds

    a = layer_matrix(weight, input_shape, **layer_kwargs).sparse
    a = a.astype(np.result_type(a.dtype, np.float64))
    # ARPACK fails on tiny (subnormal) or huge (overflowing) entries: work on
    # the matrix scaled to a largest entry of 1 and scale the norm back.
    scale = float(np.max(np.abs(a.data))) if a.nnz else 0.0
    if scale == 0.0:
        return 0.0
    a = a / scale
    if min(a.shape) <= 2:
        # ARPACK needs k < min(shape); such thin matrices are cheap to densify.
        return float(np.linalg.norm(a.toarray(), 2)) * scale
    v0 = np.ones(min(a.shape), dtype=a.dtype)        # deterministic start
    s = svds(a, k=1, return_singular_vectors=False, tol=tol, v0=v0)
    return float(s[0]) * scale


def clip_singular_values(weight: ArrayLike, input_shape: tuple[int, ...], bound: float, *,
                         dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """Project a circular layer onto the layers with spectral norm <= ``bound``.

    The paper's projection: at each frequency, clip the singular values of
    ``M(f)`` to ``bound`` and transform back.  The result is the Frobenius-
    nearest such layer, but its kernel generally fills the whole spatial
    grid, so it is returned at full size: a weight of shape
    ``(C_out, C_in, *spatial)`` for ``layer_matrix(..., padding="same",
    padding_mode="circular")`` (dilation 1, groups 1, whatever ``dilation``
    and ``groups`` the input layer had), whose singular values are
    ``minimum(singular_values(weight, input_shape, ...), bound)``.  (Sedghi et al.
    then truncate it to the original kernel support, which is no longer exact.)

    See Also
    --------
    singular_values : the singular values that are clipped.
    spectral_norm : the bound's check on any layer.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.random.default_rng(1).standard_normal((2, 2, 3, 3))
    >>> w2 = clip_singular_values(w, (2, 5, 5), 1.0)
    >>> w2.shape
    (2, 2, 5, 5)
    >>> bool(np.isclose(singular_values(w2, (2, 5, 5))[0], 1.0))
    True
    """
    if as_finite_real(bound, "bound") < 0:
        raise ValueError(f"bound must be a non-negative number, got {bound!r}")
    w = as_kernel(weight, "weight", min_ndim=3, max_ndim=5)
    shape = as_shape(input_shape, "input_shape", ndim=w.ndim - 1)
    _check_spectrum_memory(shape[1:], w.shape[0], shape[0], CLIP_BYTES)
    m = frequency_matrices(w, input_shape, dilation=dilation, groups=groups)
    u, s, vh = np.linalg.svd(m, full_matrices=False)
    m2 = (u * np.minimum(s, bound)[..., None, :]) @ vh
    nd = w.ndim - 2
    spatial = tuple(input_shape[1:])
    h = np.moveaxis(np.fft.fftn(m2, axes=tuple(range(nd))), (-2, -1), (0, 1))
    h /= int(np.prod(spatial))
    # A full-size kernel: tap t of the "same" layer reads h at index[t], a bijection.
    geom = layer_geometry(spatial, spatial, padding="same", padding_mode="circular")
    idx = [ax.input_index(np.array([0]))[0] for ax in geom.axes]
    at = (slice(None), slice(None), *np.meshgrid(*idx, indexing="ij"))
    out = h[at]
    return out if np.iscomplexobj(w) else out.real


def eigenvalues(weight: ArrayLike, input_shape: tuple[int, ...],
                padding: LayerPadding = "same", *, dilation: Any = 1,
                groups: int = 1) -> np.ndarray:
    """The (complex) eigenvalues of a square circular conv layer, by the DFT.

    The eigenvalues of ``layer_matrix(weight, input_shape, padding=padding,
    padding_mode="circular", dilation=dilation, groups=groups)``, a
    ``C N x C N`` matrix (``N = prod(spatial)``): the DFT block-diagonalises
    it, so they are the eigenvalues of the ``C x C`` matrices
    :func:`frequency_matrices` gives, all together.

    Unlike the singular values, they depend on the layer's *alignment*: the
    padding before the input shifts the circulant (output ``o`` reads input
    ``o + d t - p``), which multiplies ``M(f)`` by the phase
    ``omega^(f p)``, ``omega = exp(-2 pi i / n)`` in 1-D.  ``padding=1`` and
    ``padding=((2, 0),)`` are layers of the same size and singular values
    but different eigenvalues.

    Parameters
    ----------
    weight : array_like
        ``(C, C // groups, *kernel)``, 1 to 3 spatial dims: the layer must be
        square (as many output channels as input channels).
    input_shape : tuple of int
        ``(C, *spatial)``.
    padding : int, tuple of int, (before, after) pairs or 'same'
        As :func:`~toeplitz_conv.layer_matrix`; the output must have the
        input's spatial size.  The default ``'same'`` is ``k // 2`` on each
        side for an odd kernel (dilation 1), PyTorch's split otherwise.

    Returns
    -------
    ndarray, complex, shape ``(prod(spatial) * C,)``
        Frequency by frequency (C order over the spatial frequencies), the
        ``C`` eigenvalues of each ``M(f)`` (in ``numpy.linalg.eigvals``'
        order); ``.reshape(*spatial, C)`` groups them by frequency.

    Raises
    ------
    ValueError
        For a non-square layer (naming ``weight``) or a padding that changes
        the spatial size (naming ``padding``).
    DenseTooLargeError
        Before any FFT, beyond ``toeplitz_conv.limits.max_dense_bytes``.

    See Also
    --------
    frequency_matrices : the per-frequency blocks.
    singular_values : their singular values (independent of the alignment).
    toeplitz_conv.symbolic.circular_block_diagonalisation : the blocks, written out and proved.

    Examples
    --------
    The symmetric kernel ``[1, 2, 1]``, centred: real eigenvalues
    ``2 + 2 cos(2 pi f / 4)``; shifted by one sample, they turn complex:

    >>> import numpy as np
    >>> w = np.array([[[1.0, 2.0, 1.0]]])
    >>> np.round(eigenvalues(w, (1, 4), padding=1), 12)
    array([4.+0.j, 2.+0.j, 0.+0.j, 2.+0.j])
    >>> np.round(eigenvalues(w, (1, 4), padding=((2, 0),)), 12)
    array([4.+0.j, 0.-2.j, 0.+0.j, 0.+2.j])
    """
    w = as_kernel(weight, "weight", min_ndim=3, max_ndim=5)
    shape = as_shape(input_shape, "input_shape", ndim=w.ndim - 1)
    if w.shape[0] != shape[0]:
        raise ValueError(f"weight must describe a square layer (as many output channels as "
                         f"input channels) to have eigenvalues: weight.shape[0] = {w.shape[0]}"
                         f" != input_shape[0] = {shape[0]}; use singular_values otherwise")
    m = frequency_matrices(w, shape, dilation=dilation, groups=groups, padding=padding)
    return np.linalg.eigvals(m).reshape(-1)


@dataclass(frozen=True)
class PaddingGap:
    """The spectral norms of a layer with circular and with zero padding, and their gap.

    Attributes
    ----------
    circular : float
        ``sigma_max`` of the circular layer (exact, by the FFT).
    zero : float
        ``sigma_max`` of the zero-padded layer (``scipy.sparse.linalg.svds``).
    difference_norm : float
        ``||D||_2`` for ``D = A_circular - A_zero`` (the wrapped taps only).
    bound : float
        ``sqrt(||D||_1 ||D||_inf)``, from the absolute column and row sums of
        ``D``: ``|circular - zero| <= difference_norm <= bound`` (Weyl's
        inequality for singular values, then Hölder's).
    nonzeros : int
        Stored entries of ``D``.
    """

    circular: float
    zero: float
    difference_norm: float
    bound: float
    nonzeros: int

    @property
    def gap(self) -> float:
        """``|circular - zero|``."""
        return abs(self.circular - self.zero)

    @property
    def holds(self) -> bool:
        """Whether ``gap <= difference_norm <= bound`` (up to rounding, 1e-12 relative)."""
        slack = 1e-12 * max(self.circular, self.zero, 1e-300)
        return self.gap <= self.difference_norm + slack and \
            self.difference_norm <= self.bound + slack


def _matrix_norm(a: Any) -> float:
    """``||a||_2`` of a sparse matrix: dense for small ones, ARPACK otherwise."""
    from scipy.sparse.linalg import svds

    if a.nnz == 0:
        return 0.0
    scale = float(np.max(np.abs(a.data)))
    a = a / scale
    if min(a.shape) <= 64:
        return float(np.linalg.norm(a.toarray(), 2)) * scale
    v0 = np.ones(min(a.shape), dtype=a.dtype)
    return float(svds(a, k=1, return_singular_vectors=False, v0=v0)[0]) * scale


def padding_gap(weight: ArrayLike, input_shape: tuple[int, ...],
                padding: LayerPadding = "same", *, dilation: Any = 1,
                groups: int = 1) -> PaddingGap:
    """How far the spectral norm of a zero-padded layer is from the circular one's.

    Compares ``layer_matrix(weight, input_shape, padding=padding,
    padding_mode=m, dilation=dilation, groups=groups)`` for ``m = 'circular'``
    (its ``sigma_max`` exactly by the FFT, :func:`singular_values`) and
    ``m = 'zeros'`` (by ``svds``, :func:`spectral_norm`).  The two matrices
    differ only in the taps that wrap around, ``D = A_circ - A_zero``;
    ``|sigma_circ - sigma_zero| <= ||D||_2 <= sqrt(||D||_1 ||D||_inf)``, the
    last computed exactly from ``D``'s absolute row and column sums.

    Parameters
    ----------
    weight, input_shape, padding, dilation, groups
        As :func:`eigenvalues`, but the layer need not be square; the
        padding must keep the spatial size.

    Returns
    -------
    PaddingGap

    See Also
    --------
    spectral_norm, singular_values

    Examples
    --------
    >>> import numpy as np
    >>> g = padding_gap(np.array([[[1.0, 2.0, 1.0]]]), (1, 8), padding=1)
    >>> round(g.circular, 12), round(g.zero, 6)          # 4, and 2 + 2 cos(pi / 9)
    (4.0, 3.879385)
    >>> g.holds, round(g.bound, 12)                     # D: two corner entries of 1
    (True, 1.0)
    """
    sigma_circ = float(singular_values(weight, input_shape, dilation=dilation, groups=groups)
                       [0]) if padding == "same" else float(np.max(np.linalg.svd(
                           frequency_matrices(weight, input_shape, dilation=dilation,
                                              groups=groups, padding=padding),
                           compute_uv=False), initial=0.0))
    kw: dict[str, Any] = {"padding": padding, "dilation": dilation, "groups": groups}
    a_circ = layer_matrix(weight, input_shape, padding_mode="circular", **kw).sparse
    a_zero = layer_matrix(weight, input_shape, padding_mode="zeros", **kw).sparse
    d = (a_circ.astype(np.result_type(a_circ.dtype, np.float64)) - a_zero).tocsr()
    d.eliminate_zeros()
    sigma_zero = spectral_norm(weight, input_shape, **kw)
    absd = abs(d)
    norm1 = float(absd.sum(axis=0).max(initial=0.0)) if d.nnz else 0.0
    norm_inf = float(absd.sum(axis=1).max(initial=0.0)) if d.nnz else 0.0
    return PaddingGap(circular=sigma_circ, zero=sigma_zero, difference_norm=_matrix_norm(d),
                      bound=float(np.sqrt(norm1 * norm_inf)), nonzeros=int(d.nnz))
