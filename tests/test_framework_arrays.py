"""Arrays from any framework (issue 27, item 6): torch tensors and Parameters (also
``requires_grad``), JAX arrays and nested lists give the same matrix as the numpy array."""

import importlib.util

import numpy as np

import toeplitz_conv as tc
from toeplitz_conv._validation import to_numpy

from .conftest import requires_torch

HAS_JAX = importlib.util.find_spec("jax") is not None


def _forms(a):
    """``a`` as every framework's array the builders must accept."""
    yield "list", a.tolist()
    if importlib.util.find_spec("torch") is not None:
        import torch

        t = torch.tensor(a)
        yield "tensor", t
        yield "requires_grad", t.clone().requires_grad_(True)
        yield "Parameter", torch.nn.Parameter(t.clone())
        yield "non-contiguous", torch.tensor(np.swapaxes(a, 0, -1).copy()).transpose(0, -1)
    if HAS_JAX:
        import jax.numpy as jnp

        yield "jax", jnp.asarray(a)


def _same(A, B):
    assert A.shape == B.shape and A.in_shape == B.in_shape and A.out_shape == B.out_shape
    np.testing.assert_array_equal(A.toarray(), B.toarray())
    for ta, tb in zip(A.taps, B.taps):
        np.testing.assert_array_equal(ta, tb)


def test_every_builder_takes_every_framework_array(rng):
    w = rng.standard_normal((2, 3, 3))
    x = rng.standard_normal((3, 6))
    k = rng.standard_normal((2, 3))
    builders = [
        (lambda v: tc.layer_matrix(v, (3, 6), padding=1), w),
        (lambda v: tc.transposed_layer_matrix(v, (2, 6), stride=2), w),
        (lambda v: tc.data_matrix(v, (2, 3, 3)), x),
        (lambda v: tc.max_pool_matrix(v, 2), x),
        (lambda v: tc.conv_matrix(v, (4, 5), "same"), k),
        (lambda v: tc.ndimage_matrix(v, (4, 5)), k),
    ]
    for build, a in builders:
        want = build(a)
        for name, form in _forms(a):
            got = build(form)
            # JAX computes in float32 unless x64 is enabled: compare with numpy's
            # own conversion of the same array.
            _same(got, build(np.asarray(form)) if name == "jax" else want)
            assert isinstance(got.weight, np.ndarray), name


@requires_torch
def test_products_and_gradients_take_tensors(rng):
    import torch

    A = tc.layer_matrix(rng.standard_normal((2, 1, 3)), (1, 5))
    x = rng.standard_normal(5)
    g = rng.standard_normal(6)
    xt = torch.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(A @ xt, A @ x)
    np.testing.assert_array_equal(A.apply(xt.reshape(1, 5)), A.apply(x.reshape(1, 5)))
    np.testing.assert_array_equal(A.weight_grad(xt, torch.tensor(g)), A.weight_grad(x, g))
    np.testing.assert_array_equal(A.with_weight(torch.nn.Parameter(torch.ones(2, 1, 3))).weight,
                                  np.ones((2, 1, 3)))


@requires_torch
def test_torch_views_and_dtypes_convert_exactly():
    import torch

    z = torch.tensor([1 + 2j, 3 - 1j])
    np.testing.assert_array_equal(to_numpy(z.conj()), np.array([1 - 2j, 3 + 1j]))
    np.testing.assert_array_equal(to_numpy(-z.conj()), np.array([-1 + 2j, -3 - 1j]))
    assert to_numpy(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32
    # A numpy array passes through untouched (no copy), anything else unchanged.
    a = np.ones(3)
    assert to_numpy(a) is a and to_numpy((1, 2)) == (1, 2)


@requires_torch
def test_checker_and_figures_take_a_parameter(rng):
    import torch

    w = torch.nn.Parameter(torch.tensor(rng.standard_normal((2, 1, 3))))

    def forward(x, weight):          # numpy code: the checker hands it numpy arrays
        return np.stack([np.correlate(x[0], k[0], "valid") for k in weight])

    assert tc.check.check_layer(forward, w, (1, 6)).ok
    from toeplitz_conv.figures import matrix_equation

    fig = matrix_equation(torch.tensor([5.0, 6.0, 7.0], requires_grad=True), 4, "full",
                          x=torch.tensor([1.0, 2.0, 3.0, 4.0]))
    # The worked example's output, drawn from the tensors.
    assert [float(v) for v in fig._toeplitz_data["y"]["labels"]] == [5, 16, 34, 52, 45, 28]
