"""
A machine-checked proof
=======================

:mod:`toeplitz_conv.symbolic` writes the matrix with symbols and lets sympy check the
identity behind it. Here: for *every* input length ``n`` (a sympy symbol, not samples), the
matrix product ``(A x)_i`` equals the convolution sum ``sum_m w_m x_{i-m}``.
"""

from toeplitz_conv.figures import FIGURES
from toeplitz_conv.symbolic import (
    prove_data_matrix_general,
    prove_equivalence_general,
    prove_layer_equivalence_general,
    prove_transposed_layer_general,
    symbolic_matrix,
)

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
# The same "for every size" claim for the other builders: the transposed layer (PyTorch's
# ``ConvTranspose``: column ``(ci, i)`` of the matrix is torch's scatter, with stride,
# crops and ``output_padding``), the data (im2col) matrix, and mirrored boundaries in 2-D,
# proved axis by axis -- whose notes say what the step to N-D rests on.

print(prove_transposed_layer_general((1, 1, 3), stride=2, padding=1, output_padding=1).holds)
print(prove_data_matrix_general((2, 1, 3), stride=2, padding=1).holds)
mirrored = prove_layer_equivalence_general((1, 1, 3, 3), padding=1, padding_mode="reflect")
print(mirrored.holds)
print(next(note for note in mirrored.notes if note.startswith("product structure")))

# %%
# The matrix the proof is about, with its symbols: each tied weight keeps its colour.

fig = FIGURES["matrix_1d_symbols"]()
