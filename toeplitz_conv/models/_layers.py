"""One PyTorch layer as its :class:`~toeplitz_conv.TiedMatrix`, read from the module itself.

Every reader takes the module's own configuration (stride, padding,
dilation, groups, ...) and weight, and hands them to the builder that owns
that layer's geometry (:func:`~toeplitz_conv.layer_matrix`,
:func:`~toeplitz_conv.transposed_layer_matrix`, the pooling builders); the
bias becomes the matrix's constant offset, so ``A.apply(x)`` is
``module(x)``.  torch is never imported here: a module is read through its
attributes only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._limits import check_dense
from ..layers import layer_matrix, transposed_layer_matrix
from ..pooling import avg_pool_matrix, max_pool_matrix
from ..tied import TiedMatrix

__all__ = ["LAYER_KINDS", "describe", "diagonal", "identity", "is_layer", "layer_of", "numpy_of",
           "with_offset"]


def numpy_of(t: Any) -> np.ndarray:
    """A torch tensor (or array-like) as a numpy array, detached and on the CPU."""
    if hasattr(t, "detach"):
        return np.asarray(t.detach().cpu().numpy())
    return np.asarray(t)


def describe(module: Any) -> str:
    """``'Conv2d'``-style name of a module (its class), for tables and errors."""
    return type(module).__name__


def with_offset(A: TiedMatrix, offset: np.ndarray | None, info: dict[str, Any] | None = None
                ) -> TiedMatrix:
    """``A`` with a constant offset (a bias), sharing its structure and weight.

    Built from ``A``'s public CSR arrays and taps: the entries stay tied to
    the same weight, and ``apply`` adds the offset.
    """
    if offset is None and info is None:
        return A
    s = A.sparse
    _, _, widx = A.taps
    tap_entry = None if A.n_taps == A.nnz else A.tap_entry
    old = A.offset
    if old is not None and offset is not None:
        offset = offset + old
    elif offset is None:
        offset = old
    return TiedMatrix(A.shape, s.indptr, s.indices, widx, A.weight, tap_entry=tap_entry,
                      in_shape=A.in_shape, out_shape=A.out_shape,
                      info={**A.info, **(info or {})}, data=s.data, constant=offset)


def _bias(module: Any, A: TiedMatrix) -> np.ndarray | None:
    b = getattr(module, "bias", None)
    if b is None:
        return None
    return A.bias_vector(numpy_of(b))


def _torch_padding(module: Any) -> Any:
    p = module.padding
    return p if isinstance(p, str) else tuple(int(v) for v in p)


def _conv(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    A = layer_matrix(numpy_of(module.weight), shape, stride=tuple(module.stride),
                     padding=_torch_padding(module), dilation=tuple(module.dilation),
                     groups=int(module.groups), padding_mode=module.padding_mode)
    return with_offset(A, _bias(module, A))


def _conv_transpose(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    if module.padding_mode != "zeros":
        raise ValueError(f"{describe(module)} supports only padding_mode='zeros' (as torch), "
                         f"got {module.padding_mode!r}")
    A = transposed_layer_matrix(numpy_of(module.weight), shape, stride=tuple(module.stride),
                                padding=tuple(module.padding),
                                output_padding=tuple(module.output_padding),
                                dilation=tuple(module.dilation), groups=int(module.groups))
    return with_offset(A, _bias(module, A))


def _avg_pool(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    return avg_pool_matrix(module.kernel_size, shape, stride=module.stride,
                           padding=module.padding, ceil_mode=bool(module.ceil_mode),
                           count_include_pad=bool(module.count_include_pad),
                           divisor_override=getattr(module, "divisor_override", None))


def _max_pool(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    if x is None:
        raise ValueError(f"{describe(module)} is piecewise linear: pass x= (an input of shape "
                         f"{shape}) to get its exact selection matrix at that point")
    if module.return_indices:
        raise ValueError(f"{describe(module)}(return_indices=True) returns a tuple; use "
                         f"return_indices=False")
    return max_pool_matrix(x, module.kernel_size, stride=module.stride, padding=module.padding,
                           dilation=module.dilation, ceil_mode=bool(module.ceil_mode))


def _linear(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    w = numpy_of(module.weight)
    n_out, n_in = w.shape
    if shape[-1] != n_in:
        raise ValueError(f"{describe(module)} has in_features={n_in}, but the input's last "
                         f"axis has {shape[-1]} (input_shape {shape})")
    # torch applies the layer to the last axis of every leading position: a
    # block-diagonal matrix with one copy of W per position.  scipy's kron
    # lays the blocks out; its entries carry each tap's weight number + 1.
    lead = int(np.prod(shape[:-1], dtype=np.int64))
    check_dense((lead, n_out * n_in), 8 * 3)
    numbers = np.arange(1, n_out * n_in + 1, dtype=np.float64).reshape(n_out, n_in)
    blocks = sp.csr_array(sp.kron(sp.identity(lead, format="csr"), sp.csr_array(numbers),
                                  format="csr"))
    rows = np.repeat(np.arange(blocks.shape[0], dtype=np.int64), np.diff(blocks.indptr))
    out_shape = (*shape[:-1], n_out)
    A = TiedMatrix.from_taps(blocks.shape, rows, blocks.indices.astype(np.int64),
                             blocks.data.astype(np.int64) - 1, w, in_shape=shape,
                             out_shape=out_shape, info={"convention": "linear"})
    b = getattr(module, "bias", None)
    offset = None if b is None else np.tile(numpy_of(b), lead)
    return with_offset(A, offset)


def diagonal(scale: np.ndarray, shape: tuple[int, ...], offset: np.ndarray | None,
              convention: str) -> TiedMatrix:
    """``y = scale * x + offset`` elementwise, one weight per element."""
    n = int(np.prod(shape, dtype=np.int64))
    idx = np.arange(n, dtype=np.int64)
    A = TiedMatrix.from_taps((n, n), idx, idx, idx, np.ascontiguousarray(scale).reshape(n),
                             in_shape=shape, out_shape=shape,
                             info={"convention": convention})
    return with_offset(A, offset)


def identity(shape: tuple[int, ...], out_shape: tuple[int, ...] | None = None,
             convention: str = "identity") -> TiedMatrix:
    """The identity on ``shape`` (read as ``out_shape``): every entry tied to one weight, 1."""
    n = int(np.prod(shape, dtype=np.int64))
    idx = np.arange(n, dtype=np.int64)
    return TiedMatrix.from_taps((n, n), idx, idx, np.zeros(n, dtype=np.int64), np.ones(1),
                                in_shape=shape, out_shape=out_shape or shape,
                                info={"convention": convention})


def _flatten(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    # torch's dims count the batch axis, which input_shape leaves out.
    nd = len(shape) + 1
    start, end = module.start_dim % nd, module.end_dim % nd
    if start == 0:
        raise ValueError("nn.Flatten(start_dim=0) merges the batch axis; use start_dim >= 1")
    s, e = start - 1, end - 1
    merged = int(np.prod(shape[s:e + 1], dtype=np.int64))
    return identity(shape, (*shape[:s], merged, *shape[e + 1:]), "flatten")


def _identity(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    return identity(shape)


def _eval_only(module: Any) -> None:
    if module.training:
        raise ValueError(f"{describe(module)} is in training mode, where it is not a fixed "
                         f"linear map (dropout is random, batch norm uses the batch's "
                         f"statistics); call model.eval() first")


def _dropout(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    _eval_only(module)
    return identity(shape, convention="dropout (eval)")


def _batch_norm(module: Any, shape: tuple[int, ...], x: Any) -> TiedMatrix:
    _eval_only(module)
    if module.running_mean is None:
        raise ValueError(f"{describe(module)}(track_running_stats=False) normalises with the "
                         f"batch's own statistics even in eval mode: not a fixed linear map")
    if shape[0] != module.num_features:
        raise ValueError(f"{describe(module)} has num_features={module.num_features}, but "
                         f"input_shape[0] = {shape[0]}")
    mean, var = numpy_of(module.running_mean), numpy_of(module.running_var)
    gamma = numpy_of(module.weight) if module.weight is not None else np.ones_like(mean)
    beta = numpy_of(module.bias) if module.bias is not None else np.zeros_like(mean)
    scale = gamma / np.sqrt(var + module.eps)
    spatial = int(np.prod(shape[1:], dtype=np.int64))
    per = np.repeat(scale, spatial)
    offset = np.repeat(beta - mean * scale, spatial)
    A = diagonal(per, shape, offset, "batch_norm (eval)")
    return A


#: torch.nn class name -> reader; matched on the exact class from ``torch.nn``.
_READERS = {
    **{f"Conv{d}d": _conv for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": _conv_transpose for d in (1, 2, 3)},
    **{f"AvgPool{d}d": _avg_pool for d in (1, 2, 3)},
    **{f"MaxPool{d}d": _max_pool for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": _batch_norm for d in (1, 2, 3)},
    **{f"Dropout{d}": _dropout for d in ("", "1d", "2d", "3d")},
    "AlphaDropout": _dropout,
    "Linear": _linear,
    "Flatten": _flatten,
    "Identity": _identity,
}

#: The layers :func:`layer_of` reads (class names in ``torch.nn``).
LAYER_KINDS = tuple(sorted(_READERS))


def _reader(module: Any) -> Any:
    import torch

    name = type(module).__name__
    cls = getattr(torch.nn, name, None)
    # The exact torch class: a user's subclass may override forward.
    if name in _READERS and cls is not None and type(module) is cls:
        return _READERS[name]
    return None


def is_layer(module: Any) -> bool:
    """Whether :func:`layer_of` reads this module directly (not by tracing it)."""
    return _reader(module) is not None


def layer_of(module: Any, shape: tuple[int, ...], x: np.ndarray | None = None) -> TiedMatrix:
    """The :class:`TiedMatrix` of one torch layer on inputs of ``shape`` (no batch axis).

    ``x`` (natural shape, numpy) is needed by max pooling only.
    """
    reader = _reader(module)
    if reader is None:
        raise TypeError(f"{describe(module)} is not a layer from_torch reads directly; "
                        f"supported: {', '.join(LAYER_KINDS)}")
    A = reader(module, shape, x)
    A.info["module"] = describe(module)
    return A
