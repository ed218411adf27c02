"""Whole PyTorch models as matrices: each layer's, their exact product, and the network at a point.

:func:`from_torch` reads a torch module's own configuration and weights --
no re-typing of strides, paddings, dilations or groups:

* one layer (``nn.Conv2d``, ``nn.ConvTranspose2d``, ``nn.Linear``, pooling,
  batch norm, ...) gives its :class:`~toeplitz_conv.TiedMatrix`, whose
  ``apply(x)`` equals ``module(x)`` (the bias is its constant offset);
* a model (``nn.Sequential``, or anything ``torch.fx`` traces into those
  layers plus additions, concatenation, reshapes and scalar scaling) gives a
  :class:`ModelMatrix`: its layers chained, ``@`` and ``.T`` through the
  chain, the exact product on request, its spectral norm matrix-free;
* with ``x=``, the piecewise-linear parts (ReLU, LeakyReLU, PReLU,
  Hardtanh, max pooling, abs) become their exact local linear maps at
  ``x``, and smooth elementwise ones (sigmoid, tanh, GELU, SiLU, ...) their
  exact derivative there: the operator is the model's Jacobian at ``x``.

torch is imported only when :func:`from_torch` is called.

Examples
--------
>>> import numpy as np, torch
>>> import toeplitz_conv as tc
>>> conv = torch.nn.Conv1d(1, 1, 3, bias=False)
>>> with torch.no_grad():
...     conv.weight[:] = torch.tensor([[[5.0, 6.0, 7.0]]])
>>> A = tc.from_torch(conv, (1, 4))
>>> A @ np.array([1.0, 2.0, 3.0, 4.0])
array([38., 56.])
"""

from __future__ import annotations

from typing import Any

from .._validation import as_shape
from ..tied import TiedMatrix
from ._compose import ModelMatrix, Step
from ._layers import LAYER_KINDS

__all__ = ["LAYER_KINDS", "ModelMatrix", "Step", "from_torch"]


def _point(x: Any, shape: tuple[int, ...]) -> Any:
    import numpy as np

    from ._layers import numpy_of

    if x is None:
        return None
    arr = numpy_of(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"x must be a real numeric array or tensor, got dtype {arr.dtype}")
    if arr.shape == (1, *shape):
        arr = arr[0]
    if arr.shape != shape:
        raise ValueError(f"x must have shape input_shape = {shape} (no batch axis, or a batch "
                         f"of 1), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("x must be finite (no NaN or infinity)")
    return arr


def from_torch(module: Any, input_shape: tuple[int, ...], *,
               x: Any = None) -> TiedMatrix | ModelMatrix:
    """The matrix of a PyTorch layer, or the composed operator of a whole model.

    Parameters
    ----------
    module : torch.nn.Module
        One layer (one of :data:`LAYER_KINDS`, or an elementwise activation
        with ``x=``), or a model ``torch.fx`` can trace.  Batch norm and
        dropout must be in eval mode (``model.eval()``).
    input_shape : tuple of int
        One input's shape, without the batch axis, e.g. ``(3, 32, 32)``.
    x : array_like or torch.Tensor, optional
        A point of that shape: max pooling and activations are linearised
        there (their exact local linear maps, or the exact derivative of a
        smooth elementwise activation), so the linear part is the model's
        Jacobian at ``x``.  Without it, those operations are refused.

    Returns
    -------
    TiedMatrix or ModelMatrix
        A layer: its ``TiedMatrix`` (weight: the module's weight; the bias
        as the constant offset, so ``A.apply(x)`` is ``module(x)``).  A
        model: a :class:`ModelMatrix` whose ``apply(x)`` is ``model(x)``
        (at the point ``x``) and whose ``@``/``toarray()`` are its linear part.

    Raises
    ------
    ValueError
        For an operation it cannot read (named, with its position in the
        model), training-mode batch norm or dropout, or a bad ``x``.
    DenseTooLargeError
        Before building, when the input or a matrix is over the limits.

    Examples
    --------
    >>> import numpy as np, torch
    >>> import toeplitz_conv as tc
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(),
    ...                           torch.nn.Conv2d(2, 1, 3)).double().eval()
    >>> x = torch.randn(1, 6, 6, dtype=torch.float64)
    >>> A = tc.from_torch(net, (1, 6, 6), x=x)
    >>> [L.info["convention"] for L in A.layers]
    ['layer', 'ReLU at x', 'layer']
    >>> bool(np.allclose(A.apply(x.numpy()), net(x[None])[0].detach().numpy()))
    True
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    shape = as_shape(input_shape, "input_shape")
    point = _point(x, shape)
    from ._layers import describe, is_layer, layer_of
    from ._linearise import elementwise_spec
    from ._trace import trace_model

    if is_layer(module):
        return layer_of(module, shape, point)
    spec = elementwise_spec("call_module", None, module)
    if spec is not None:
        # One activation: its diagonal at x.
        if point is None:
            kind = ("is piecewise linear: pass x= for its exact linear map at that point"
                    if spec.piecewise else "is neither linear nor piecewise linear: pass x= "
                    "for its exact Jacobian (a diagonal) there")
            raise ValueError(f"{describe(module)} {kind}")
        return trace_model(module, shape, point).layers[0]
    return trace_model(module, shape, point)
