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
# What "for every n" rests on is in the notes: sympy's part (the geometry core at a
# symbolic size against the definition) and the builder's part -- its rows, taps and
# stored values checked against the same independent definition on each write path, at
# every residue of the stride and on both sides of each size threshold where the
# assembler changes how it writes (e.g. ``n = 21835`` for ``k = 3``, where its chunks
# reach their cap) -- and what is still assumed.

for note in proof.notes:
    print("-", note)

# %%
# A proof can fail: pose a wrong claim (an unflipped kernel) and it does not hold.

wrong = prove_equivalence_general(3, claim="unflipped")
print("wrong claim holds:", wrong.holds)

# %%
# The matrix the proof is about, with its symbols: each tied weight keeps its colour.

fig = FIGURES["matrix_1d_symbols"]()
