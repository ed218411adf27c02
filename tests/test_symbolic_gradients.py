"""Input gradient, transposed adjoint, general layers and the new `prove` subcommands."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from toeplitz_conv.symbolic import (
    prove_equivalence_general,
    prove_input_gradient,
    prove_layer_equivalence_general,
    prove_transposed_adjoint,
    symbolic_matrix,
)
from toeplitz_conv.symbolic._reference import input_gradient_definition, transposed_layer_outputs

from ._cli import run_cli
from .conftest import requires_torch


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("correlate", [False, True])
def test_input_gradient_holds_and_the_wrong_flip_fails(mode, correlate):
    assert prove_input_gradient(3, 5, mode, correlate=correlate).holds
    assert prove_input_gradient((2, 3), (3, 4), mode, correlate=correlate, stride=2).holds
    assert not prove_input_gradient(3, 5, mode, correlate=correlate,
                                    claim="convolution").holds


def test_input_gradient_reference_matches_numpy():
    # The definition's A^T g with numbers: scipy's full convolution's adjoint is
    # numpy's correlation of g with w ('valid' of g against the kernel).
    rng = np.random.default_rng(3)
    for n, k in [(5, 3), (4, 4), (6, 2)]:
        w, g = rng.standard_normal(k), rng.standard_normal(n + k - 1)
        got = input_gradient_definition(w.astype(object), (n,), g.astype(object), "full",
                                        "fill", (1,), True)
        np.testing.assert_allclose(got.astype(float), np.correlate(g, w, "valid"))


@requires_torch
def test_input_gradient_matches_torch_autograd():
    import torch
    rng = np.random.default_rng(0)
    w = rng.integers(-3, 4, size=3).tolist()
    m = symbolic_matrix(w, 6, "full")
    g = rng.integers(-3, 4, size=8)
    x = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv1d(x[None, None], torch.tensor(w[::-1], dtype=torch.float64)
                                   [None, None], padding=2)[0, 0]
    (y * torch.tensor(g, dtype=torch.float64)).sum().backward()
    want = x.grad.numpy()
    np.testing.assert_allclose(np.array(m.T * sympy.Matrix(g), dtype=float).ravel(), want)
    assert prove_input_gradient(w, 6).holds


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2),
                                dict(stride=(2, 1), padding=(1, 0), groups=2)])
def test_transposed_adjoint(kw):
    if "groups" in kw:
        assert prove_transposed_adjoint((2, 1, 2, 2), (2, 5, 4), **kw).holds
        assert not prove_transposed_adjoint((2, 1, 2, 2), (2, 5, 4), claim="flipped", **kw).holds
    else:
        assert prove_transposed_adjoint((2, 2, 3), (2, 7), **kw).holds
        assert not prove_transposed_adjoint((2, 2, 3), (2, 7), claim="flipped", **kw).holds


@requires_torch
def test_transposed_reference_matches_torch():
    import torch
    rng = np.random.default_rng(1)
    for stride, pad, dil, groups in [(1, 0, 1, 1), (2, 1, 1, 1), (3, 2, 2, 2)]:
        w = rng.standard_normal((2, 2 // groups, 3))
        g = rng.standard_normal((2, 4))
        want = torch.nn.functional.conv_transpose1d(
            torch.tensor(g)[None], torch.tensor(w), stride=stride, padding=pad,
            dilation=dil, groups=groups)[0].numpy()
        got = transposed_layer_outputs(w.astype(object), g.astype(object), want.shape[1:],
                                       stride=(stride,), pads=((pad, pad),), dilation=(dil,),
                                       groups=groups)
        np.testing.assert_allclose(got.astype(float), want, atol=1e-12)


def test_general_n_in_2d_with_stride_wrap_and_layers():
    assert prove_equivalence_general((2, 3), "full", stride=(1, 2)).holds
    assert prove_equivalence_general((3, 2), "valid", correlate=True).holds
    assert prove_equivalence_general(3, "same", boundary="wrap").holds
    assert not prove_equivalence_general((2, 2), "same", claim="unflipped").holds
    assert prove_layer_equivalence_general((2, 2, 2, 3), stride=(2, 1), padding=(1, 0),
                                           dilation=(1, 2)).holds
    assert prove_layer_equivalence_general((2, 1, 3), groups=2, padding="same").holds
    assert prove_layer_equivalence_general((1, 1, 3), padding=1,
                                           padding_mode="circular").holds
    assert not prove_layer_equivalence_general((1, 1, 2, 2), padding=1, claim="flipped").holds
    # 'symm' in N-D is proved for every size now (tests/test_symbolic_alln.py).
    assert prove_equivalence_general((2, 2), "same", boundary="symm").holds


def test_correlation_of_plain_symbols_has_no_conjugate_in_general_proofs():
    a, b = sympy.symbols("a b")
    p = prove_equivalence_general([a, b], "full", correlate=True)
    assert p.holds and not any(isinstance(e, sympy.Basic) and e.has(sympy.conjugate)
                               for _, e in p.steps)


@pytest.mark.parametrize("args", [
    ("layer",),
    ("layer-gradient",),
    ("layer-general", "--weight-shape", "2,1,3", "--stride", "2", "--padding", "1"),
    ("input-gradient", "--n", "5", "--stride", "2"),
    ("adjoint", "--n", "7", "--stride", "2"),
    ("general", "--kernel-size", "2,2", "--mode", "same", "--stride", "2"),
    ("general", "--n", "m", "--boundary", "wrap", "--mode", "same"),
])
def test_cli_new_prove_kinds(args):
    r = run_cli("prove", *args)
    assert r.returncode == 0, r.stderr
    assert "holds = True" in r.stdout


def test_cli_general_uses_n_and_refuses_a_number():
    r = run_cli("prove", "general", "--n", "m")
    assert r.returncode == 0 and "(m)" in r.stdout
    r = run_cli("prove", "general", "--n", "5")
    assert r.returncode != 0 and "--n" in r.stderr and "Traceback" not in r.stderr


def test_chain_rule_through_two_layers():
    from toeplitz_conv.symbolic import prove_chain_rule
    assert prove_chain_rule((2, 1, 3), (1, 2, 2), (1, 6), first={"stride": 2, "padding": 1}).holds
    assert prove_chain_rule((2, 2, 2, 2), (1, 2, 2, 1), (2, 4, 3), first={"padding": 1},
                            second={"stride": 2}).holds
    assert not prove_chain_rule((1, 1, 2), (1, 1, 3), (1, 6), claim="wrong-order").holds


def test_chain_rule_fails_when_the_second_layer_is_unflipped(monkeypatch):
    # A builder bug in layer_matrix (kernel reversed) must break the chain-rule proof.
    from toeplitz_conv import layers
    from toeplitz_conv.symbolic import prove_chain_rule
    real = layers.assemble
    monkeypatch.setattr(layers, "assemble", lambda *a, **kw: real(*a, **{**kw, "flip": True}))
    assert not prove_chain_rule((1, 1, 2), (1, 1, 3), (1, 6)).holds


@pytest.mark.parametrize("call,exc,word", [
    (lambda: __import__("toeplitz_conv.symbolic").symbolic.latex(None), TypeError, "matrix"),
    (lambda: symbolic_matrix(3, 4, name=None), TypeError, "name"),
    (lambda: symbolic_matrix(3, 4, name="w x"), ValueError, "name"),
    (lambda: symbolic_matrix(3, 4, sparse="False"), TypeError, "sparse"),
    (lambda: symbolic_matrix(3, 4, correlate=True, conjugate="yes"), TypeError, "conjugate"),
    (lambda: symbolic_matrix(10**12, 4), ValueError, "kernel_size_or_symbols"),
    (lambda: symbolic_matrix((10**6, 10**6), (3, 3)), ValueError, "kernel_size_or_symbols"),
    (lambda: symbolic_matrix(3, 10**7), ValueError, "input_shape"),
    (lambda: __import__("toeplitz_conv.symbolic").symbolic.prove_equivalence(3, 10**6),
     ValueError, "input_shape"),
    (lambda: __import__("toeplitz_conv.symbolic").symbolic.prove_layer_equivalence(
        (1, 1, 3), (1, 10**7)), ValueError, "input_shape"),
])
def test_symbolic_bad_input_and_huge_sizes_are_refused_at_once(call, exc, word):
    # The huge sizes would take hours (10**12 symbols never finish): they can only
    # pass by being refused before anything is built.
    with pytest.raises(exc, match=word):
        call()
