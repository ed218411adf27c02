"""Fuzzing the core and the builders: every bad input is refused cleanly, fast and small.

Each public function starts from a valid call; hypothesis replaces one or two
of its arguments with junk (wrong types, NaN, huge or negative sizes, odd
arrays).  The call runs in a budgeted subprocess (see ``tests/_fuzz.py``) and
must succeed, or raise ``ValueError``/``TypeError`` naming a replaced
parameter, or ``DenseTooLargeError`` -- within the time budget and without
allocating past the memory budget.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import _fuzz
from ._fuzz import HUGE, sizes
from .conftest import HAS_TORCH

# The worker caps its address space with setrlimit and reads /proc/self/status.
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the fuzz worker's memory budget needs Linux")

W1 = np.arange(6.0).reshape(2, 1, 3) - 2           # (C_out, C_in, k), 1-D layer
MODES = ["zeros", "reflect", "replicate", "circular", "", "ZEROS", "wrap"]


def _also(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(list(values))


def _kernel_like(ndim: int = 1) -> st.SearchStrategy[Any]:
    return st.one_of(
        _also([1, 2, 3], [1.0, np.nan], [[1, 2], [3]], np.ones(3, np.int8), np.ones(3, np.float16),
              np.ones((0, 3)), np.ones((2,) * ndim, bool), [1 + 2j, 3], np.full(3, 1e308),
              np.full(3, 1e-320), np.array(["1", "2"]), np.array([1, None], dtype=object)),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=4))


def _ints(ndim: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(-3, 6), st.sampled_from(HUGE), sizes(ndim),
                     _also(1.0, True, "1", (1,) * (ndim + 1), np.int64(2), [np.int32(1)] * ndim))


# Each spec: the name the worker knows the call by, a valid call, and per
# parameter the extra (near-valid) values to mix into the junk.  ``names``:
# words that may stand for the parameter in a message.
SPECS: dict[str, dict[str, Any]] = {
    "conv_matrix": {
        "base": {"kernel": [1.0, -2.0, 3.0], "input_shape": 5},
        "params": {"kernel": _kernel_like(), "input_shape": _ints(1),
                   "mode": _also("full", "same", "valid", "circular", "FULL", ""),
                   "correlate": _also(True, np.bool_(False), 1),
                   "boundary": _also("fill", "wrap", "symm", "reflect"),
                   "stride": _ints(1), "fillvalue": _also(0, 1.5, 1j, np.nan, "0", 2**62),
                   "convention": _also("scipy", "numpy", "matlab", "convolve2d", "octave"),
                   "order": _also("C", "F", "K", 0)}},
    "layer_matrix": {
        "base": {"weight": W1, "input_shape": (1, 6)},
        "params": {"weight": _kernel_like(3), "input_shape": _ints(2),
                   "stride": _ints(1), "padding": st.one_of(_ints(1), _also("same", "valid",
                                                                            "SAME", "full")),
                   "dilation": _ints(1), "groups": _ints(1), "padding_mode": _also(*MODES)}},
    "transposed_layer_matrix": {
        "base": {"weight": W1.reshape(1, 2, 3), "input_shape": (1, 5)},
        "params": {"weight": _kernel_like(3), "input_shape": _ints(2), "stride": _ints(1),
                   "padding": _ints(1), "output_padding": _ints(1), "dilation": _ints(1),
                   "groups": _ints(1), "output_size": _ints(1)}},
    "avg_pool_matrix": {
        "base": {"kernel_size": 2, "input_shape": (1, 6)},
        "params": {"kernel_size": _ints(1), "input_shape": _ints(2), "stride": _ints(1),
                   "padding": _ints(1), "count_include_pad": _also(False, 0),
                   "ceil_mode": _also(True, "yes"), "divisor_override": _ints(1)}},
    "max_pool_matrix": {
        "base": {"x": np.arange(6.0).reshape(1, 6), "kernel_size": 2},
        "params": {"x": _kernel_like(2), "kernel_size": _ints(1), "stride": _ints(1),
                   "padding": _ints(1), "dilation": _ints(1), "ceil_mode": _also(True, 1)}},
    "maxout_matrix": {
        "base": {"x": np.arange(12.0).reshape(4, 3), "pieces": 2},
        "params": {"x": _kernel_like(2), "pieces": _ints(1)}},
    "lp_pool": {
        "base": {"x": np.arange(6.0).reshape(1, 6), "norm_type": 2.0, "kernel_size": 2},
        "params": {"x": _kernel_like(2), "norm_type": _also(1, 0, -1, np.inf, np.nan, "2"),
                   "kernel_size": _ints(1), "stride": _ints(1), "ceil_mode": _also(True, 1)}},
    "tiled_conv_matrix": {
        "base": {"weight": np.ones((2, 1, 1, 3)), "input_shape": (1, 6)},
        "params": {"weight": _kernel_like(4), "input_shape": _ints(2), "stride": _ints(1),
                   "padding": _ints(1), "dilation": _ints(1), "padding_mode": _also(*MODES)}},
    "locally_connected_matrix": {
        "base": {"weight": np.ones((4, 1, 1, 3)), "input_shape": (1, 6)},
        "params": {"weight": _kernel_like(4), "input_shape": _ints(2), "stride": _ints(1),
                   "padding": _ints(1), "dilation": _ints(1), "padding_mode": _also(*MODES)}},
    "ndimage_matrix": {
        "base": {"weights": [1.0, 2.0, 1.0], "input_shape": 6},
        "params": {"weights": _kernel_like(), "input_shape": _ints(1),
                   "mode": _also("reflect", "wrap", "grid-wrap", "nearest", "bogus"),
                   "cval": _also(0.0, np.nan, 1j, "0"), "origin": _ints(1),
                   "correlate": _also(True, 1)}},
    "singular_values": {
        "base": {"weight": W1, "input_shape": (1, 6)},
        "params": {"weight": _kernel_like(3), "input_shape": _ints(2),
                   "padding_mode": _also("circular", "zeros"), "dilation": _ints(1),
                   "groups": _ints(1)}},
    "spectral_norm": {
        "base": {"weight": W1, "input_shape": (1, 6)},
        "params": {"weight": _kernel_like(3), "input_shape": _ints(2),
                   "method": _also("svds", "fft", "power"),
                   "tol": _also(0.0, 1e-3, -1.0, np.nan, np.inf, "0", 1e300),
                   "stride": _ints(1), "padding": _ints(1), "groups": _ints(1)}},
    "clip_singular_values": {
        "base": {"weight": W1, "input_shape": (1, 6), "bound": 1.0},
        "params": {"weight": _kernel_like(3), "input_shape": _ints(2),
                   "bound": _also(0.0, -1.0, np.nan, "1"), "dilation": _ints(1),
                   "groups": _ints(1)}},
    "frequency_matrices": {
        "base": {"weight": W1, "input_shape": (1, 6)},
        "params": {"weight": _kernel_like(3), "input_shape": _ints(2), "dilation": _ints(1),
                   "groups": _ints(1)}},
    "from_taps": {
        "base": {"shape": (3, 3), "rows": [0, 1, 2], "cols": [0, 1, 2], "weight_index": [0, 1, 0],
                 "weight": [1.0, 2.0]},
        "params": {"shape": _ints(2), "rows": _kernel_like(), "cols": _kernel_like(),
                   "weight_index": _kernel_like(), "weight": _kernel_like()}},
    "A.matmul": {
        "base": {"v": np.ones(10)},
        "params": {"v": st.one_of(_kernel_like(2), _also(np.ones((10, 2)), np.ones((10, 2, 2)),
                                                         np.ones(10, bool), np.ones(9)))},
        "names": {"v": ("operand",)}},
    "A.rmatmul": {
        "base": {"u": np.ones(10)},
        "params": {"u": st.one_of(_kernel_like(2), _also(np.ones((2, 10)), np.ones(9)))},
        "names": {"u": ("left operand",)}},
    "A.weight_grad": {
        "base": {"x": np.ones((2, 5)), "grad_out": np.ones((2, 5))},
        "params": {"x": _kernel_like(2), "grad_out": _kernel_like(2)}},
    "A.weight_grad (int, wrap)": {
        "call": "A.weight_grad",
        "base": {"matrix": "int_wrap", "x": np.arange(6), "grad_out": np.ones(8, np.int8)},
        "params": {"x": _kernel_like(), "grad_out": _kernel_like()}},
    "A.weight_grad (affine)": {
        "call": "A.weight_grad",
        "base": {"matrix": "affine", "x": np.ones((3, 4)), "grad_out": np.ones((3, 5))},
        "params": {"x": _kernel_like(2), "grad_out": _kernel_like(2)}},
    "A.with_weight": {
        "base": {"weight": np.ones((2, 2, 3))},
        "params": {"weight": _kernel_like(3)}},
    "A.apply": {
        "base": {"x": np.ones((2, 5))},
        "params": {"x": _kernel_like(2), "bias": _kernel_like()}},
    "A.bias_vector": {
        "base": {"bias": [1.0, 2.0]},
        "params": {"bias": _kernel_like()}},
    "A.toarray": {
        "base": {},
        "params": {"max_bytes": _also(0, 10, -1, np.nan, np.inf, None, 2**70, 1e3)}},
    "A.array": {
        "base": {},
        "params": {"dtype": _also(np.float32, "float32", "bogus", object, "U2", None),
                   "copy": _also(True, False, None)}},
    "as_operator": {
        "base": {"matrix": "layer"},
        "params": {"matrix": _also(np.eye(2), None, 3)}},
    "limits.set": {
        "base": {"name": "max_dense_bytes", "value": 2**20},
        "params": {"value": _also(0, -1, np.nan, None, "1", 2**70, 1e9, np.int64(5), True)},
        "names": {"value": ("max_dense_bytes",)}},
    "limits.override": {
        "base": {"max_build_bytes": 2**20},
        "params": {"max_build_bytes": _also(0, -1, np.nan, None, "1", 2**70, 1e9),
                   "max_dense_bytes": _also(0, -1, np.nan, None, "1"),
                   "bogus": _also(1)},
        "names": {"bogus": ("bogus",)}},
}
if HAS_TORCH:
    SPECS["A.to_torch"] = {
        "base": {},
        "params": {"layout": _also("csr", "coo", "csc", None),
                   "dtype": _also("float32", np.float32, np.int8, "float", "bogus", float, 3)}}
    SPECS["to_torch"] = {
        "base": {"matrix": "layer"},
        "params": {"matrix": _also(np.ones((2, 2)), None, 3), "layout": _also("csr", "bsr"),
                   "dtype": _also("float64", np.complex128, "bogus")}}


#: Words a message may use for a parameter ("the dilated kernel ...").
ALIASES = {"dilation": ("dilated",)}


@pytest.fixture(scope="module")
def worker():
    w = _fuzz.Worker()
    yield w
    w.close()


@pytest.mark.parametrize("call", list(SPECS))
@_fuzz.SETTINGS
@given(data=st.data())
def test_bad_input_is_refused_cleanly(worker, call, data):
    spec = SPECS[call]
    params = spec["params"]
    chosen, kwargs = _fuzz.draw_call(data, spec["base"], params, spec.get("pure", ()))
    names = tuple(n for p in chosen
                  for n in (p, *spec.get("names", {}).get(p, ()), *ALIASES.get(p, ())))
    # A relational error (a kernel that does not fit the input) may name the
    # other side of the relation: any parameter of the call, never none.
    related = tuple(p for p in [*spec["base"], *params] if p not in names and p != "matrix")
    name = spec.get("call", call)
    _fuzz.judge(worker.call(name, **kwargs), names + related, name)


# ---------------------------------------------------------- the harness can fail
def test_the_budgets_and_verdicts_can_fail():
    # Each deliberately wrong outcome is caught: the judge and the budgets can fail.
    worker = _fuzz.Worker(torch=False)
    try:
        over = worker.call("selftest.allocate", mib=2 * _fuzz.BUDGET_MIB)
        assert over["type"] == "MemoryError"            # numpy's, not DenseTooLargeError
        with pytest.raises(AssertionError, match="undocumented"):
            _fuzz.judge(over, ("mib",), "selftest.allocate")
        assert worker.call("selftest.allocate", mib=8)["ok"]   # well inside the budget
        wrong = worker.call("selftest.raise", kind="IndexError", message="mib")
        with pytest.raises(AssertionError, match="undocumented"):
            _fuzz.judge(wrong, ("mib",), "selftest.raise")
        vague = worker.call("selftest.raise", kind="ValueError", message="bad value")
        with pytest.raises(AssertionError, match="does not name"):
            _fuzz.judge(vague, ("mib",), "selftest.raise")
        _fuzz.judge(vague, ("value",), "selftest.raise")        # named: allowed
        slow = worker.call("selftest.sleep", seconds=0.3)
        with pytest.raises(AssertionError, match="slower"):
            _fuzz.judge(slow, ("seconds",), "selftest.sleep", call_seconds=0.2)
        worker.hang_seconds = 0.5
        hang = worker.call("selftest.sleep", seconds=30)
        assert hang["type"] == "Hang" and worker.proc is None   # killed
        worker.hang_seconds = _fuzz.HANG_SECONDS
        assert worker.call("selftest.allocate", mib=1)["ok"]   # a fresh worker took over
    finally:
        worker.close()
