"""The symbolic module never evaluates a user's string and checks sizes before working."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from toeplitz_conv.symbolic import (
    difference_is_zero,
    latex,
    prove_convolution_theorem,
    prove_equivalence_general,
    prove_layer_equivalence_general,
)
from toeplitz_conv.symbolic._proof_result import as_sympy


def _payloads(target):
    code = f"__import__('pathlib').Path({str(target)!r}).write_text('owned')"
    return [code, code.encode(), np.array([code]), np.array([code], dtype=object), [code],
            [[1, code]]]


class _Sneaky:
    """An object whose str() is code: non-strict sympify would parse (and run) it."""

    def __init__(self, code):
        self.code = code

    def __str__(self):
        return self.code


def test_strings_are_refused_not_evaluated(tmp_path):
    target = tmp_path / "owned.txt"
    for payload in _payloads(target) + [_Sneaky(_payloads(target)[0])]:
        for args, name in (((payload, 0), "left"), ((0, payload), "right")):
            with pytest.raises(TypeError, match=name):
                difference_is_zero(*args)
    code = _payloads(target)[0]
    for matrix in (np.array([[code]]), np.array([[code]], dtype=object),
                   np.array([[_Sneaky(code)]], dtype=object)):
        with pytest.raises(TypeError, match="matrix"):
            latex(matrix)
    assert not target.exists()
    # The payload is live: sympify itself would have run it.
    sympy.sympify(_payloads(target)[0])
    assert target.read_text() == "owned"


def test_difference_is_zero_still_decides_sympy_and_numbers():
    a, b = sympy.symbols("a b")
    assert difference_is_zero((a + b) ** 2, a**2 + 2 * a * b + b**2)[0]
    assert difference_is_zero(np.float64(2.0), 2)[0]
    assert difference_is_zero(np.array([a, 1], dtype=object), [a, 1])[0]
    assert not difference_is_zero(sympy.Matrix([a, 1]), sympy.Matrix([a, 2]))[0]
    with pytest.raises(TypeError, match="simplify"):
        difference_is_zero(a, a, simplify="yes")


def test_huge_operands_are_refused_at_once():
    with pytest.raises(ValueError, match="left has 1000000 entries"):
        difference_is_zero(np.zeros(10**6), 0)
    with pytest.raises(ValueError, match="right has 1000000 entries"):
        difference_is_zero(0, sympy.ImmutableSparseMatrix(1000, 1000, {}))
    x = sympy.symbols("x_0:600")
    big = sympy.Add(*(xi**2 for xi in x))                 # 1 + 600 * 3 nodes
    assert as_sympy(big, "left", max_nodes=1801) is big
    with pytest.raises(ValueError, match="left has more than 1800 sympy nodes"):
        as_sympy(big, "left", max_nodes=1800)


def test_equal_trees_are_equal_at_any_size_and_only_a_difference_is_size_checked(monkeypatch):
    # Equal trees need no simplification, so the node limit (which guards
    # simplify) is not counted for them; any other pair is refused first.
    from toeplitz_conv.symbolic import _proof_result

    x = sympy.symbols("x_0:600")
    big = sympy.Add(*(xi**2 for xi in x))
    monkeypatch.setattr(_proof_result, "MAX_EXPRESSION_NODES", 1000)
    assert difference_is_zero(big, sympy.Add(*(xi**2 for xi in x))) == (True, 0)
    with pytest.raises(ValueError, match="left has more than 1000 sympy nodes"):
        difference_is_zero(big, big + 1)
    with pytest.raises(TypeError, match="string"):
        difference_is_zero("x", "x")


@pytest.mark.parametrize("call, name", [
    (lambda: prove_layer_equivalence_general((1, 1, 3), padding=10**6), "padding"),
    (lambda: prove_layer_equivalence_general((1, 1, 3), stride=10**9), "stride"),
    (lambda: prove_layer_equivalence_general((1, 1, 3), dilation=10**6), "dilation"),
    (lambda: prove_layer_equivalence_general((1, 1, 10**4)), "kernel"),
    (lambda: prove_equivalence_general(3, stride=10**9), "stride"),
    (lambda: prove_equivalence_general((3, 3), stride=(2, 10**9)), "stride"),
    (lambda: prove_equivalence_general(10**4), "kernel"),
    (lambda: prove_equivalence_general(3, stride=10**9, boundary="symm"), "stride"),
    (lambda: prove_convolution_theorem(3, 10**6), "n must be at most"),
])
def test_general_proofs_refuse_huge_parameters_up_front(call, name):
    with pytest.raises(ValueError, match=name):
        call()
