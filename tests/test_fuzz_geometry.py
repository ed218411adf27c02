"""Fuzzing the low-level API: the geometry core's functions and classes and the raw
``TiedMatrix`` constructor get the builders' treatment -- every bad input is one
``ValueError``/``TypeError`` naming the parameter (or the limits error), fast and small.

The harness, budgets and verdicts are ``tests/_fuzz.py``'s (see ``test_fuzz_core.py``).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toeplitz_conv.geometry import AxisGeometry

from . import _fuzz
from ._fuzz import HUGE, junk, sizes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the fuzz worker's memory budget needs Linux")


def _also(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(list(values))


def _int() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(-3, 7), st.sampled_from(HUGE),
                     _also(1.0, 2.5, True, "1", np.int64(2), None, (1,)))


def _pair() -> st.SearchStrategy[Any]:
    return st.one_of(st.tuples(_int(), _int()), _int(), _also((1,), (1, 2, 3), "same"))


SPECS: dict[str, dict[str, Any]] = {
    "conv_out_size": {"base": {"size": 8, "kernel": 3},
                      "params": {"size": _int(), "kernel": _int(), "stride": _int(),
                                 "padding": _pair(), "dilation": _int()}},
    "transposed_out_size": {"base": {"size": 4, "kernel": 3},
                            "params": {"size": _int(), "kernel": _int(), "stride": _int(),
                                       "padding": _pair(), "output_padding": _int(),
                                       "dilation": _int()}},
    "transposed_output_padding": {"base": {"size": 8, "out_size": 4, "kernel": 3,
                                           "stride": 2},
                                  "params": {"size": _int(), "out_size": _int(),
                                             "kernel": _int(), "stride": _int(),
                                             "padding": _pair(), "dilation": _int()}},
    "layer_padding_range": {"base": {"size": 8, "out_size": 8, "kernel": 3},
                            "params": {"size": _int(), "out_size": _int(), "kernel": _int(),
                                       "stride": _int(), "dilation": _int()}},
    "layer_symmetric_paddings": {"base": {"size": 8, "out_size": 8, "kernel": 3},
                                 "params": {"size": _int(), "out_size": _int(),
                                            "kernel": _int(), "stride": _int(),
                                            "dilation": _int()}},
    "signal_kernel_size": {"base": {"size": 8, "out_size": 10, "mode": "full"},
                           "params": {"size": _int(), "out_size": _int(),
                                      "mode": _also("full", "same", "valid", "bogus", 1)}},
    "layer_min_size": {"base": {"kernel": 3},
                       "params": {"kernel": _int(), "padding": _pair(), "dilation": _int()}},
    "strided_count": {"base": {"count": 7, "stride": 2},
                      "params": {"count": _int(), "stride": _int()}},
    "full_padding": {"base": {"kernel": 3}, "params": {"kernel": _int(), "dilation": _int()}},
    "same_padding": {"base": {"kernel": 3}, "params": {"kernel": _int(), "dilation": _int()}},
    "tf_same_padding": {"base": {"size": 7, "kernel": 3},
                        "params": {"size": _int(), "kernel": _int(), "stride": _int(),
                                   "dilation": _int()}},
    "split_padding": {"base": {"total": 3}, "params": {"total": _int()}},
    "resolve_padding": {"base": {"padding": 1, "kernel": (3, 3)},
                        "params": {"padding": st.one_of(_pair(), _also("same", "SAME", "x")),
                                   "kernel": sizes(2), "stride": sizes(2),
                                   "dilation": sizes(2), "sizes": sizes(2)}},
    "signal_padding": {"base": {"kernel": 3, "mode": "same"},
                       "params": {"kernel": _int(), "mode": _also("full", "valid", "x", 0)}},
    "same_origins": {"base": {"kernel": 4}, "params": {"kernel": _int()}},
    "ndimage_origins": {"base": {"kernel": 4}, "params": {"kernel": _int()}},
    "circular_same_fits": {"base": {"size": 6, "kernel": 3},
                           "params": {"size": _int(), "kernel": _int(), "dilation": _int()}},
    "map_boundary": {"base": {"p": np.arange(-3, 6), "n": 3, "boundary": "symm"},
                     "params": {"p": st.one_of(junk, _also(np.arange(3.0), [1, 2])),
                                "n": _int(),
                                "boundary": _also("zeros", "wrap", "reflect", "bogus", 3)}},
    "signal_axis": {"base": {"size": 6, "kernel": 3, "mode": "same"},
                    "params": {"size": _int(), "kernel": _int(),
                               "mode": _also("full", "valid", "bogus"),
                               "boundary": _also("zeros", "wrap", "bogus"),
                               "stride": _int(), "origin": _int()}},
    "ndimage_axis": {"base": {"size": 6, "kernel": 3},
                     "params": {"size": _int(), "kernel": _int(), "origin": _int(),
                                "boundary": _also("symm", "zeros", "bogus")}},
    "circular_axis": {"base": {"size": 6, "kernel": 3},
                      "params": {"size": _int(), "kernel": _int()}},
    "pool_axis": {"base": {"size": 6, "kernel": 2, "stride": 2},
                  "params": {"size": _int(), "kernel": _int(), "stride": _int(),
                             "padding": _pair(), "dilation": _int(),
                             "ceil_mode": _also(True, 1, "yes")}},
    "pool_padding_limit": {"base": {"kernel": 3}, "params": {"kernel": _int()}},
    "channel_map": {"base": {"c_out": 4, "c_in": 6, "groups": 2},
                    "params": {"c_out": _int(), "c_in": _int(), "groups": _int()}},
    "tile_map": {"base": {"out_shape": (4, 6), "tiles": (2, 3)},
                 "params": {"out_shape": sizes(2), "tiles": sizes(2),
                            "axes": st.one_of(sizes(2), _also((0,), (5,), None))}},
    "axes_first_map": {"base": {"shape": (2, 3, 4), "first": (2,)},
                       "params": {"shape": sizes(3), "first": st.one_of(sizes(1), _also(()))}},
    "layer_geometry": {"base": {"kernel": (3,), "spatial": (8,)},
                       "params": {"kernel": sizes(1), "spatial": sizes(1), "stride": _int(),
                                  "padding": st.one_of(_pair(), _also("same", "SAME")),
                                  "dilation": _int(),
                                  "padding_mode": _also("zeros", "circular", "bogus")}},
    "signal_geometry": {"base": {"kernel_shape": (3,), "input_shape": (8,), "mode": "full"},
                        "params": {"kernel_shape": sizes(1), "input_shape": sizes(1),
                                   "mode": _also("same", "valid", "bogus"),
                                   "boundary": _also("fill", "wrap", "bogus")}},
    "AxisGeometry": {"base": {"size": 6, "kernel": 3},
                     "params": {"size": _int(), "kernel": _int(), "stride": _int(),
                                "dilation": _int(), "pad_before": _int(), "pad_after": _int(),
                                "boundary": _also("zeros", "wrap", "bogus", 3),
                                "out_limit": _int()}},
    "Geometry": {"base": {"axes": (AxisGeometry(6, 3),)},
                 "params": {"axes": st.one_of(junk, _also((), [AxisGeometry(4, 2)], (3,)))}},
}


_I = np.int64
#: The raw constructor, from the canonical arrays of conv_matrix([1., 2.], 3, "full").
TIED = {"shape": (4, 3), "indptr": np.array([0, 1, 3, 5, 6], _I),
        "indices": np.array([0, 0, 1, 1, 2, 2], _I), "tap_weight": np.array([0, 1, 0, 1, 0, 1], _I),
        "weight": np.array([1.0, 2.0])}
_index = st.one_of(junk, _also(np.array([0, 2, 1, 1, 2, 2], _I), np.array([0, 0, 1, 1, 2, 9], _I),
                               np.array([0, 1, 3, 5, 7], _I), np.array([0, 3, 1, 5, 6], _I),
                               np.array([0, 1, 0, 1, 0, 5], _I), np.arange(6.0)))


@pytest.fixture(scope="module")
def worker():
    w = _fuzz.Worker(torch=False)
    yield w
    w.close()


@pytest.mark.parametrize("call", list(SPECS))
@_fuzz.SETTINGS
@given(data=st.data())
def test_bad_input_to_the_geometry_core_is_refused_cleanly(worker, call, data):
    spec = SPECS[call]
    params = spec["params"]
    chosen, kwargs = _fuzz.draw_call(data, spec["base"], params)
    related = tuple(p for p in [*spec["base"], *params] if p not in chosen)
    _fuzz.judge(worker.call(f"geometry.{call}", **kwargs), (*chosen, *related),
                f"geometry.{call}")


@settings(_fuzz.SETTINGS, max_examples=4 * _fuzz.EXAMPLES)
@given(data=st.data())
def test_the_raw_tied_matrix_constructor_refuses_non_canonical_arrays(worker, data):
    params = {"shape": st.one_of(sizes(2), _also((4, 2), (3, 3), (4,))), "indptr": _index,
              "indices": _index, "tap_weight": _index,
              "weight": st.one_of(junk, _also(np.ones(1), np.array([np.nan, 1.0]))),
              "tap_entry": _index, "in_shape": sizes(1), "out_shape": sizes(2),
              "data": _index, "constant": _index}
    chosen, kwargs = _fuzz.draw_call(data, TIED, params, pure=tuple(params))
    related = tuple(p for p in params if p not in chosen)
    _fuzz.judge(worker.call("TiedMatrix", **kwargs), (*chosen, *related), "TiedMatrix")


def test_the_raw_constructor_accepts_a_builders_arrays_and_gives_its_matrix():
    import toeplitz_conv as tc

    A = tc.TiedMatrix(**TIED)
    np.testing.assert_array_equal(A.toarray(), tc.conv_matrix([1.0, 2.0], 3, "full").toarray())
    bad = dict(TIED, indices=np.array([0, 1, 0, 1, 2, 2], _I))     # row 1 unsorted
    with pytest.raises(ValueError, match="indices"):
        tc.TiedMatrix(**bad)


def test_the_raw_constructor_names_weight_for_a_mix_of_str_and_bytes():
    """Found by the fuzz run: numpy's own decode error escaped, naming no parameter."""
    import toeplitz_conv as tc

    with pytest.raises(ValueError, match="weight must be a finite numeric array"):
        tc.TiedMatrix(**dict(TIED, weight=("", b"\x80")))
