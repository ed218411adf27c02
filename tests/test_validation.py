"""Bad input gets one clear ValueError/TypeError naming the parameter."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toeplitz_conv import conv_matrix, layer_matrix, transposed_layer_matrix


def test_bool_weights_are_refused_by_layers_as_torch():
    # conv_matrix takes a boolean kernel as scipy does; torch's conv does not.
    with pytest.raises(TypeError, match="weight"):
        layer_matrix(np.ones((1, 1, 3), dtype=bool), (1, 5))


@pytest.mark.parametrize("kernel,exc,word", [
    ("abc", TypeError, "kernel"),
    (None, TypeError, "kernel"),
    ([], ValueError, "empty"),
    ([[1, 2], [3]], ValueError, "rectangular"),
    ([1.0, np.nan], ValueError, "finite"),
    ([1.0, np.inf], ValueError, "finite"),
    ([object()], TypeError, "kernel"),
    (np.float64(3.0), ValueError, "dimensions"),
])
def test_bad_kernels(kernel, exc, word):
    with pytest.raises(exc, match=word):
        conv_matrix(kernel, 4)


@pytest.mark.parametrize("shape,exc,word", [
    (0, ValueError, "positive"),
    (-3, ValueError, "positive"),
    (2.5, TypeError, "input_shape"),
    ((4, 4), ValueError, "match the kernel"),
    ("4", TypeError, "input_shape"),
    (True, TypeError, "input_shape"),
])
def test_bad_shapes(shape, exc, word):
    with pytest.raises(exc, match=word):
        conv_matrix([1, 2], shape)


def test_bad_mode_boundary_correlate():
    with pytest.raises(ValueError, match="mode must be one of 'full', 'valid', 'same', 'circular'"):
        conv_matrix([1, 2], 4, "periodic")
    with pytest.raises(ValueError, match="boundary must be one of 'fill', 'wrap', 'symm'"):
        conv_matrix([1, 2], 4, boundary="reflect")
    with pytest.raises(TypeError, match="correlate"):
        conv_matrix([1, 2], 4, correlate="yes")
    with pytest.raises(TypeError, match="mode"):
        conv_matrix([1, 2], 4, 3)


def test_valid_with_kernel_larger_on_one_axis_only():
    # scipy refuses it too: neither array fits inside the other.
    with pytest.raises(ValueError, match="kernel to fit inside the input"):
        conv_matrix(np.ones((5, 1)), (3, 3), "valid")


def test_layer_rules():
    w = np.ones((4, 2, 3))
    with pytest.raises(ValueError, match="groups=3 must divide"):
        layer_matrix(w, (6, 8), groups=3)
    with pytest.raises(ValueError, match="input channels"):
        layer_matrix(w, (3, 8))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        layer_matrix(w, (2, 8), stride=0)
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        layer_matrix(w, (2, 8), dilation=-1)
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        layer_matrix(w, (2, 8), padding="same", stride=2)
    with pytest.raises(ValueError, match="reflect"):
        layer_matrix(w, (2, 3), padding=3, padding_mode="reflect")
    with pytest.raises(ValueError, match="circular"):
        layer_matrix(w, (2, 3), padding=4, padding_mode="circular")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        layer_matrix(w, (2, 8), padding_mode="wrap")
    with pytest.raises(ValueError, match="can't be greater than the padded input"):
        layer_matrix(w, (2, 2))
    with pytest.raises(ValueError, match="weight must have"):
        layer_matrix(np.ones((2, 3)), (3, 8))
    with pytest.raises(ValueError, match="output_padding"):
        transposed_layer_matrix(np.ones((2, 1, 3)), (2, 5), stride=2, output_padding=2)


_junk = st.one_of(st.none(), st.text(max_size=3), st.floats(allow_nan=True),
                  st.integers(-5, 0), st.lists(st.integers(-3, 3), max_size=3),
                  st.just([[1, 2], [3]]), st.just(object()), st.booleans(),
                  st.just(np.array([np.nan])), st.just(()))


@settings(max_examples=300, deadline=None)
@given(kernel=st.one_of(_junk, st.just([1.0, 2.0, 3.0])),
       shape=st.one_of(_junk, st.just(5)),
       mode=st.one_of(_junk, st.sampled_from(["full", "valid", "same"])),
       correlate=st.one_of(_junk, st.booleans()),
       boundary=st.one_of(_junk, st.sampled_from(["fill", "wrap", "symm"])))
def test_fuzz_conv_matrix_errors_are_clear(kernel, shape, mode, correlate, boundary):
    try:
        conv_matrix(kernel, shape, mode, correlate=correlate, boundary=boundary)
    except (ValueError, TypeError) as exc:
        # Our messages name a parameter; numpy's internal ones do not.
        assert any(p in str(exc) for p in
                   ("kernel", "input_shape", "mode", "correlate", "boundary")), str(exc)


@settings(max_examples=300, deadline=None)
@given(stride=st.one_of(_junk, st.integers(1, 3)), padding=st.one_of(_junk, st.integers(0, 2),
       st.sampled_from(["same", "valid", "other"])), dilation=st.one_of(_junk, st.integers(1, 2)),
       groups=st.one_of(_junk, st.integers(1, 4)),
       padding_mode=st.one_of(_junk, st.sampled_from(["zeros", "reflect", "circular"])))
def test_fuzz_layer_errors_are_clear(stride, padding, dilation, groups, padding_mode):
    try:
        layer_matrix(np.ones((4, 2, 3, 3)), (4, 6, 6), stride=stride, padding=padding,
                     dilation=dilation, groups=groups, padding_mode=padding_mode)
    except (ValueError, TypeError) as exc:
        assert any(p in str(exc) for p in
                   ("stride", "padding", "dilation", "groups", "padding_mode", "kernel",
                    "channels")), str(exc)
