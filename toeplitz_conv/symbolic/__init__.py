"""Symbolic convolution matrices and machine-checked proofs (sympy).

The matrices are placed from the numeric builders' taps (the same index
maps as :func:`~toeplitz_conv.conv_matrix` and
:func:`~toeplitz_conv.layer_matrix`); each proof compares them with the
textbook definition and lets sympy decide ``left - right == 0``.

Examples
--------
>>> from toeplitz_conv.symbolic import symbolic_matrix, prove_equivalence_general
>>> symbolic_matrix(3, 4).shape
(6, 4)
>>> prove_equivalence_general(3).holds
True
"""

from ._adjoint import (
    prove_chain_rule,
    prove_data_matrix,
    prove_input_gradient,
    prove_transposed_adjoint,
)
from ._fixed_size import (
    prove_associativity,
    prove_commutativity,
    prove_convolution_theorem,
    prove_equivalence,
    prove_layer_equivalence,
    prove_layer_weight_gradient,
    prove_shift_equivariance,
    prove_weight_gradient,
)
from ._general_layer import prove_layer_equivalence_general
from ._general_signal import prove_equivalence_general
from ._matrix import MAX_DENSE_ENTRIES, latex, symbolic_layer_matrix, symbolic_matrix
from ._proof_result import Proof, difference_is_zero
from ._symbols import symbol_array

__all__ = [
    "MAX_DENSE_ENTRIES",
    "Proof",
    "difference_is_zero",
    "latex",
    "prove_associativity",
    "prove_chain_rule",
    "prove_commutativity",
    "prove_convolution_theorem",
    "prove_data_matrix",
    "prove_equivalence",
    "prove_equivalence_general",
    "prove_input_gradient",
    "prove_layer_equivalence",
    "prove_layer_equivalence_general",
    "prove_layer_weight_gradient",
    "prove_shift_equivariance",
    "prove_transposed_adjoint",
    "prove_weight_gradient",
    "symbol_array",
    "symbolic_layer_matrix",
    "symbolic_matrix",
]
