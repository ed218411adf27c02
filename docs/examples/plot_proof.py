"""
A machine-checked proof
=======================

:mod:`toeplitz_conv.symbolic` writes the matrix with symbols and lets sympy check the
identity behind it. Here: for *every* input length ``n`` (a sympy symbol, not samples), the
matrix product ``(A x)_i`` equals the convolution sum ``sum_m w_m x_{i-m}``.
"""

from toeplitz_conv.figures import FIGURES
from toeplitz_conv.symbolic import prove_equivalence_general, symbolic_matrix

print(symbolic_matrix(3, 4))

# %%
# The proof: ``holds`` is sympy's own simplification of left minus right to zero.

proof = prove_equivalence_general(3)
print(proof.text())
print("holds:", proof.holds)

# %%
# A proof can fail: pose a wrong claim (an unflipped kernel) and it does not hold.

wrong = prove_equivalence_general(3, claim="unflipped")
print("wrong claim holds:", wrong.holds)

# %%
# The matrix the proof is about, with its symbols: each tied weight keeps its colour.

fig = FIGURES["matrix_1d_symbols"]()
