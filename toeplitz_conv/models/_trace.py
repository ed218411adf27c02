"""Read a whole model with ``torch.fx``: its graph, node by node, as :class:`Step`\\ s.

The model is traced once (``torch.fx.symbolic_trace``) and its graph is run
on a concrete input of batch size 1 -- the point ``x``, or zeros when no
point is given -- so that every node has a shape (and, at ``x``, the value
an activation is linearised at).  Each node whose value depends on the
input becomes a step:

* a layer module (convolutions, pooling, linear, batch norm, ...): its
  :class:`~toeplitz_conv.TiedMatrix`;
* an elementwise operation (ReLU, sigmoid, ...): its diagonal at ``x``;
* additions, subtractions, scalar scaling, a constant offset or factor;
* a layout operation (reshape, view, flatten, permute, transpose,
  squeeze, indexing, concatenation): a 0/1 selection, found by running the
  operation itself on the inputs' element numbers, so no index arithmetic
  is repeated here.

Anything else is refused with its name and position in the model.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._limits import check_dense
from ._compose import ModelMatrix, Step
from ._layers import describe, diagonal, is_layer, layer_of, numpy_of
from ._linearise import NOT_ELEMENTWISE, elementwise_spec, linearise, pool_ties

__all__ = ["trace_model"]


@dataclass
class _Affine:
    """A value that depends on the model's input: its slot and its value at the point."""

    slot: int
    value: Any


@dataclass
class _Const:
    value: Any


_LAYOUT_METHODS = frozenset({"view", "reshape", "flatten", "permute", "transpose",
                             "contiguous", "squeeze", "unsqueeze", "__getitem__",
                             "unflatten", "movedim", "narrow", "t", "expand", "repeat",
                             "view_as", "reshape_as", "flip", "roll"})
_LAYOUT_MODULES = frozenset({"Flatten", "Unflatten", "Identity", "Dropout", "Dropout1d",
                             "Dropout2d", "Dropout3d", "AlphaDropout"})


def _layout_functions() -> frozenset[Any]:
    import torch

    return frozenset({torch.flatten, torch.reshape, torch.permute, torch.transpose,
                      torch.squeeze, torch.unsqueeze, torch.cat, torch.concat, torch.stack,
                      torch.movedim, torch.narrow, torch.flip, torch.roll, operator.getitem,
                      torch.hstack, torch.vstack})


class _Tracer:
    def __init__(self, model: Any, shape: tuple[int, ...], point: Any | None) -> None:
        import torch
        import torch.fx

        self.torch = torch
        try:
            self.gm = torch.fx.symbolic_trace(model)
        except Exception as exc:        # fx raises many types for untraceable code
            raise TypeError(f"torch.fx could not trace {describe(model)} ({type(exc).__name__}: "
                            f"{exc}); from_torch reads models torch.fx can trace "
                            f"(no data-dependent control flow)") from None
        self.shape = shape
        self.point = point
        self.steps: list[Step] = []
        self.position = 0
        self.layout_functions = _layout_functions()

    # ---------------------------------------------------------------- helpers
    def where(self, node: Any) -> str:
        target = f", module {node.target!r}" if node.op == "call_module" else ""
        return f"at position {self.position} of the model (node {node.name!r}{target})"

    def op_name(self, node: Any) -> str:
        if node.op == "call_module":
            return describe(self.gm.get_submodule(node.target))
        if node.op == "call_function":
            return getattr(node.target, "__name__", str(node.target))
        return str(node.target)

    @staticmethod
    def label(node: Any) -> str:
        # A module's qualified name ("layer1.0.conv") says where it is; fx's
        # node names ("_1") do not.
        return str(node.target) if node.op == "call_module" else node.name

    def add(self, step: Step, value: Any) -> _Affine:
        if value.dim() == 0 or value.shape[0] != 1:
            raise ValueError(f"{step.op} {self.where(self.node)} changes the batch axis "
                             f"(its output has shape {tuple(value.shape)} for a batch of 1); "
                             f"from_torch needs the batch axis to stay first")
        step.position = self.position
        self.steps.append(step)
        return _Affine(len(self.steps), value)

    def concrete(self, a: Any) -> Any:
        from torch.fx.node import map_aggregate

        return map_aggregate(a, lambda v: v.value if isinstance(v, (_Affine, _Const)) else v)

    def lookup(self, a: Any) -> Any:
        from torch.fx.node import Node, map_aggregate

        return map_aggregate(a, lambda v: self.env[v] if isinstance(v, Node) else v)

    @staticmethod
    def affine_of(a: Any) -> list[_Affine]:
        from torch.fx.node import map_aggregate

        found: list[_Affine] = []
        map_aggregate(a, lambda v: found.append(v) if isinstance(v, _Affine) else None)
        return found

    def call(self, node: Any, args: Any, kwargs: Any) -> Any:
        if node.op == "call_module":
            return self.gm.get_submodule(node.target)(*args, **kwargs)
        if node.op == "call_function":
            return node.target(*args, **kwargs)
        obj, *rest = args
        return getattr(obj, node.target)(*rest, **kwargs)

    # ---------------------------------------------------------------- the walk
    def run(self, x0: Any) -> ModelMatrix:
        self.env: dict[Any, Any] = {}
        output = None
        for node in self.gm.graph.nodes:
            self.node = node
            if node.op == "placeholder":
                if any(isinstance(v, _Affine) for v in self.env.values()):
                    raise ValueError(f"the model takes more than one input ({node.name!r}); "
                                     f"from_torch reads models of one tensor input")
                self.env[node] = _Affine(0, x0)
            elif node.op == "get_attr":
                self.env[node] = _Const(_fetch(self.gm, node.target))
            elif node.op == "output":
                output = self.lookup(node.args[0])
            else:
                self.position += 1
                self.env[node] = self.visit(node)
        if not isinstance(output, _Affine):
            raise ValueError("the model's output must be one tensor that depends on its input, "
                             f"got {type(output).__name__}")
        return ModelMatrix(self.steps, self.shape, output=output.slot)

    def visit(self, node: Any) -> Any:
        args, kwargs = self.lookup(node.args), self.lookup(node.kwargs)
        affine = self.affine_of((args, kwargs))
        value = self.call(node, self.concrete(args), self.concrete(kwargs))
        if not affine or self.is_metadata(node, value):
            return _Const(value)
        if not isinstance(value, self.torch.Tensor):
            name = self.op_name(node)
            why = ("it mixes elements" if name in NOT_ELEMENTWISE
                   else "it does not return one tensor")
            raise ValueError(f"{name} {self.where(node)} is not an operation from_torch reads "
                             f"({why})")
        module = self.gm.get_submodule(node.target) if node.op == "call_module" else None
        first = args[0] if args else None
        single = len(affine) == 1 and first is affine[0]
        if module is not None and isinstance(first, _Affine) and single and is_layer(module) \
                and describe(module) not in _LAYOUT_MODULES:
            return self.layer(node, module, first, value)
        spec = elementwise_spec(node.op, node.target, module)
        if spec is not None and single:
            return self.elementwise(node, spec, args, kwargs, value)
        if self.is_layout(node, module):
            return self.layout(node, module, args, kwargs, affine, value)
        step = self.arithmetic(node, args, kwargs, affine, value)
        if step is not None:
            return self.add(step, value)
        name = self.op_name(node)
        why = (" (it mixes elements: its Jacobian is not diagonal, so it is refused even "
               "with x=)" if name in NOT_ELEMENTWISE or str(node.target) in NOT_ELEMENTWISE
               else "")
        raise ValueError(f"{name} {self.where(node)} is not an operation from_torch reads"
                         f"{why}; it reads layers, elementwise activations, additions, scalar "
                         f"scaling, reshapes and concatenation")

    def layer(self, node: Any, module: Any, inp: _Affine, value: Any) -> _Affine:
        shape = tuple(inp.value.shape[1:])
        at = numpy_of(inp.value[0]) if self.point is not None else None
        try:
            A = layer_of(module, shape, at)
        except (ValueError, TypeError) as exc:
            # The layer's own message, with where it sits in the model.
            raise type(exc)(f"{describe(module)} {self.where(node)}: {exc}") from None
        record: dict[str, Any] = {}
        if A.info.get("convention") == "max_pool":
            assert at is not None
            record = {"op": describe(module), "piecewise": True, "kinks": pool_ties(at, module),
                      "windows": A.shape[0]}
        return self.add(Step("matrix", (inp.slot,), tuple(value.shape[1:]), name=self.label(node),
                             op=describe(module), matrix=A, record=record), value)

    def elementwise(self, node: Any, spec: Any, args: Any, kwargs: Any, value: Any) -> _Affine:
        if self.point is None:
            if spec.piecewise:
                raise ValueError(f"{spec.name} {self.where(node)} is piecewise linear: pass "
                                 f"x= to linearise the model at that point")
            raise ValueError(f"{spec.name} {self.where(node)} is neither linear nor piecewise "
                             f"linear: pass x= to use its exact Jacobian (a diagonal) there")
        inp = args[0]
        rest_args, rest_kwargs = self.concrete(args[1:]), self.concrete(kwargs)

        def fn(t: Any) -> Any:
            return self.call(node, (t, *rest_args), rest_kwargs)

        A, record = linearise(fn, inp.value, spec, (None, *rest_args), rest_kwargs)
        return self.add(Step("matrix", (inp.slot,), tuple(value.shape[1:]), name=self.label(node),
                             op=spec.name, matrix=A, record=record), value)

    # ---------------------------------------------------------------- layout
    def is_metadata(self, node: Any, value: Any) -> bool:
        """A shape query (``x.size(0)``, ``x.shape``, ``len(x)``): its value, not a step."""
        if isinstance(value, self.torch.Tensor):
            return False
        if node.op == "call_method":
            return node.target in ("size", "dim", "numel", "stride")
        return node.op == "call_function" and node.target in (getattr, len)

    def is_layout(self, node: Any, module: Any) -> bool:
        if node.op == "call_module":
            return module is not None and describe(module) in _LAYOUT_MODULES \
                and (is_layer(module) or describe(module) == "Unflatten")
        if node.op == "call_method":
            return node.target in _LAYOUT_METHODS
        try:
            return node.op == "call_function" and node.target in self.layout_functions
        except TypeError:
            return False

    def layout(self, node: Any, module: Any, args: Any, kwargs: Any,
               affine: list[_Affine], value: Any) -> _Affine:
        torch = self.torch
        if module is not None and is_layer(module):
            try:    # refuses training-mode dropout
                layer_of(module, tuple(affine[0].value.shape[1:]))
            except ValueError as exc:
                raise ValueError(f"{describe(module)} {self.where(node)}: {exc}") from None
        consts = [v for v in _leaves((args, kwargs)) if isinstance(v, _Const)
                  and isinstance(v.value, torch.Tensor)]
        if consts:
            raise ValueError(f"{self.op_name(node)} {self.where(node)} mixes the input with a "
                             f"constant tensor; from_torch cannot follow it")
        # Run the operation on the inputs' element numbers: where each output
        # element comes from is then read off its result.
        starts = np.cumsum([0] + [a.value.numel() for a in affine])
        numbered = {id(a): torch.arange(int(s), int(s) + a.value.numel(), dtype=torch.float64)
                    .reshape(a.value.shape) for a, s in zip(affine, starts)}
        from torch.fx.node import map_aggregate

        sub = map_aggregate((args, kwargs), lambda v: numbered[id(v)] if isinstance(v, _Affine)
                            else (v.value if isinstance(v, _Const) else v))
        index = self.call(node, *sub)
        src = np.asarray(index.reshape(-1).numpy(), dtype=np.int64)
        total = int(starts[-1])
        select = None
        if not (len(affine) == 1 and src.size == total and np.array_equal(src, np.arange(total))):
            select = sp.csr_array((np.ones(src.size), src, np.arange(src.size + 1)),
                                  shape=(src.size, total))
        return self.add(Step("gather", tuple(a.slot for a in affine), tuple(value.shape[1:]),
                             name=self.label(node), op=self.op_name(node), select=select),
                        value)

    # ---------------------------------------------------------------- arithmetic
    def arithmetic(self, node: Any, args: Any, kwargs: Any, affine: list[_Affine],
                   value: Any) -> Step | None:
        name = node.target if node.op == "call_method" else getattr(node.target, "__name__", "")
        name = str(name).strip("_").rstrip("_")
        shape = tuple(value.shape[1:])
        if name in ("add", "iadd", "sub", "isub") and len(args) >= 2:
            sign = -1.0 if "sub" in name else 1.0
            alpha = float(self.concrete(kwargs.get("alpha", 1.0))) * sign
            a, b = args[0], args[1]
            if isinstance(a, _Affine) and isinstance(b, _Affine):
                self.same_shape(node, a, b, shape)
                return Step("sum", (a.slot, b.slot), shape, name=node.name, op=name,
                            coeffs=(1.0, alpha))
            if isinstance(a, _Affine):
                self.same_shape(node, a, a, shape)
                return Step("sum", (a.slot,), shape, name=node.name, op=name, coeffs=(1.0,),
                            offset=self.broadcast(b, shape, alpha))
            if isinstance(b, _Affine):
                self.same_shape(node, b, b, shape)
                return Step("sum", (b.slot,), shape, name=node.name, op=name, coeffs=(alpha,),
                            offset=self.broadcast(a, shape, 1.0))
        if name in ("mul", "imul", "truediv", "itruediv", "div") and len(args) == 2 \
                and len(affine) == 1:
            a, b = args
            inp, other = (a, b) if isinstance(a, _Affine) else (b, a)
            if name.endswith("div") and inp is not a:
                return None                  # c / f(x) is not linear
            self.same_shape(node, inp, inp, shape)
            factor = self.concrete(other)
            if isinstance(factor, self.torch.Tensor) and factor.numel() > 1:
                f = np.broadcast_to(numpy_of(factor), (1, *shape))[0]
                f = 1.0 / f if name.endswith("div") else f
                return Step("matrix", (inp.slot,), shape, name=node.name, op=name,
                            matrix=diagonal(np.ascontiguousarray(f), shape, None, "scale"))
            c = float(factor)
            return Step("sum", (inp.slot,), shape, name=node.name, op=name,
                        coeffs=(1.0 / c if name.endswith("div") else c,))
        if name == "neg" and len(affine) == 1:
            return Step("sum", (affine[0].slot,), shape, name=node.name, op=name, coeffs=(-1.0,))
        return None

    def same_shape(self, node: Any, a: _Affine, b: _Affine, shape: tuple[int, ...]) -> None:
        for v in (a, b):
            if tuple(v.value.shape[1:]) != shape:
                raise ValueError(f"{self.op_name(node)} {self.where(node)} broadcasts an input of "
                                 f"shape {tuple(v.value.shape[1:])} to {shape}; from_torch "
                                 f"needs inputs of the output's shape")

    def broadcast(self, c: Any, shape: tuple[int, ...], sign: float) -> np.ndarray:
        arr = numpy_of(self.concrete(c)) * sign
        return np.broadcast_to(arr, (1, *shape)).reshape(-1).astype(np.float64)


def _leaves(a: Any) -> list[Any]:
    from torch.fx.node import map_aggregate

    found: list[Any] = []
    map_aggregate(a, lambda v: found.append(v))
    return found


def _fetch(gm: Any, target: str) -> Any:
    obj = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def model_dtype(model: Any, default: Any) -> Any:
    """The dtype of the model's first floating-point parameter (else ``default``)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return default


def trace_model(model: Any, shape: tuple[int, ...], x: Any | None) -> ModelMatrix:
    """The :class:`ModelMatrix` of ``model`` on inputs of ``shape`` (linearised at ``x``)."""
    import torch

    dtype = model_dtype(model, torch.float64)
    check_dense((int(np.prod(shape)),), torch.empty(0, dtype=dtype).element_size())
    if x is None:
        x0 = torch.zeros((1, *shape), dtype=dtype)
    else:
        x0 = torch.as_tensor(np.asarray(x), dtype=dtype).reshape(1, *shape)
    tracer = _Tracer(model, shape, x)
    # Evaluating the graph needs no autograd; a linearisation turns it back on.
    with torch.no_grad():
        return tracer.run(x0)
