"""Symbolic convolution matrices and machine-checked proofs (sympy).

The matrices are placed from the numeric builders' taps (the same index
maps as :func:`~toeplitz_conv.conv_matrix` and
:func:`~toeplitz_conv.layer_matrix`); each proof compares them with the
textbook definition and lets sympy decide ``left - right == 0``.

What a proof *for every size* (``prove_equivalence_general``,
``prove_layer_equivalence_general``, ``prove_transposed_layer_general``,
``prove_data_matrix_general``) establishes, and what it assumes:

* proved by sympy for every input size: the geometry core, evaluated at
  symbolic sizes (its output length, index formula and boundary map), gives
  row ``i`` of the definition's output, written independently in
  ``_reference.py`` (scipy's and PyTorch's documented formulas, TF's
  ``'SAME'`` per residue class of the stride); for the transposed layer,
  column ``(ci, i)`` of the matrix (the builder's own padding resolution,
  output size and cropped forward geometry) is PyTorch's ``ConvTranspose``
  scatter (TF's / JAX's for ``'SAME'``, ``'VALID'``, ``'SAME_LOWER'``); for
  the data matrix, row ``(o, i)`` of ``X(x)`` times the weight is the
  im2col definition (columns in C order of the weight);
* mirrored and replicated boundaries (``'symm'``, ``'reflect'``,
  ``'replicate'``): the rows are split into edge rows and a middle block,
  proved for every size from a bound on (the smaller sizes one by one); in
  N-D each axis is proved so, and the N-D claim rests on the product
  structure the proof's notes state (the core reads axis by axis, the
  definition's extension is per axis as ``numpy.pad``'s);
* checked at sample sizes against the same independent definition, never the
  core: the builder's rows, taps and stored values (``toarray`` at a random
  integer weight, complex for a correlation, so the conjugation is the
  builder's own) on each write path, at every residue of the stride, where
  rows change shape, and on both sides of each of the assembler's
  write-path thresholds (:func:`toeplitz_conv._assemble.write_path_thresholds`:
  one table / regions, whole lines / chunks, chunks at their cap);
* assumed, and stated in each proof's ``notes``: that between the sampled
  sizes the assembler writes what the core's geometry says (each region
  repeats one pattern at constant steps); positions affine in the tap (for
  a symbolic kernel length); product structure in N-D.

User input is never parsed: strings are refused (``sympy.sympify`` would
run them), and sizes are checked before any work
(:data:`MAX_EXPRESSION_NODES`, the bounds of the proofs for every size).

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
from ._backward import (
    AxisPlan,
    BackwardConvolution,
    BackwardConvolutions,
    axis_plans,
    backward_convolutions,
)
from ._derivation import Derivation, derive_weight_gradient
from ._explain import Explanation, explain_matrix
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
from ._general_data import prove_data_matrix_general
from ._general_layer import prove_layer_equivalence_general
from ._general_signal import prove_equivalence_general
from ._general_transposed import prove_transposed_layer_general
from ._matrix import MAX_DENSE_ENTRIES, latex, symbolic_layer_matrix, symbolic_matrix
from ._proof_result import MAX_EXPRESSION_NODES, Proof, difference_is_zero
from ._spectral import circular_block_diagonalisation
from ._symbols import symbol_array

__all__ = [
    "MAX_DENSE_ENTRIES",
    "MAX_EXPRESSION_NODES",
    "AxisPlan",
    "BackwardConvolution",
    "BackwardConvolutions",
    "Derivation",
    "Explanation",
    "Proof",
    "axis_plans",
    "backward_convolutions",
    "circular_block_diagonalisation",
    "derive_weight_gradient",
    "difference_is_zero",
    "explain_matrix",
    "latex",
    "prove_associativity",
    "prove_chain_rule",
    "prove_commutativity",
    "prove_convolution_theorem",
    "prove_data_matrix",
    "prove_data_matrix_general",
    "prove_equivalence",
    "prove_equivalence_general",
    "prove_input_gradient",
    "prove_layer_equivalence",
    "prove_layer_equivalence_general",
    "prove_layer_weight_gradient",
    "prove_shift_equivariance",
    "prove_transposed_adjoint",
    "prove_transposed_layer_general",
    "prove_weight_gradient",
    "symbol_array",
    "symbolic_layer_matrix",
    "symbolic_matrix",
]
