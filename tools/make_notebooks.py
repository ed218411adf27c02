"""Write notebooks/01_conv_as_matrix.ipynb and notebooks/03_2d_and_layers.ipynb (no outputs).

Run from the repository root: ``python tools/make_notebooks.py``.  The
notebooks are the source of truth once written; this script only saves
typing JSON by hand.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def notebook(cells):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c.strip())
                for c in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


NB01 = [
    """md:# 1-D convolution as a matrix

A question from the Q&A: *"Convolutional networks are simply neural networks that use
convolution in place of general matrix multiplication"* — so **which** matrix?

The asker's example: $x = [1, 2, 3, 4]$ and weights $w = [5, 6, 7]$, with

$$x * w = [5, 16, 34, 52, 45, 28].$$

This notebook builds the matrix $A$ with $A x = x * w$, shows where each weight sits, and
checks every claim against `numpy` / `scipy`.""",
    """%matplotlib inline
import numpy as np
import scipy.signal
import toeplitz_conv as tc
from toeplitz_conv import figures""",
    """md:## The matrix of the worked example

`conv_matrix(kernel, input_shape, mode)` returns a `TiedMatrix`: a sparse matrix that also
knows which kernel weight each stored entry comes from.""",
    """x = np.array([1, 2, 3, 4])
w = np.array([5, 6, 7])
A = tc.conv_matrix(w, 4, "full")
print(A.toarray())
y = A @ x
print("A @ x       =", y)
print("np.convolve =", np.convolve(x, w))
assert np.array_equal(y, np.convolve(x, w))
assert y.tolist() == [5, 16, 34, 52, 45, 28]""",
    """md:Each row is one output: the kernel, **flipped**, slid one step further along the input.
The figure colours every cell by the weight it holds: $w_0 = 5$ is blue everywhere.""",
    """figures.matrix_equation(w, 4, "full")""",
    """md:## Tied and zero weights

The answer in the Q&A puts it exactly: the layer is a matrix multiplication where *some weights
are tied* and *some weights are zero*. `A.taps` lists the tying: `(row, column, weight index)`
for every stored entry.""",
    """rows, cols, widx = A.taps
for r, c, k in zip(rows, cols, widx):
    print(f"A[{r}, {c}] = w[{k}] = {w[k]}")
print(f"{A.nnz} stored entries out of {A.shape[0] * A.shape[1]}; {w.size} distinct weights")""",
    """figures.parameter_sharing(w, 4, "full", weight=0)""",
    """md:Because a weight is used at several positions, its gradient is the **sum** over those
positions. For a loss $L$ with $\\partial L / \\partial y = g$, the gradient of $A$ is $g x^T$,
and the weight gradient adds up the entries that hold each weight:""",
    """g = np.array([1.0, -1.0, 2.0, 0.5, 0.0, 3.0])
dense_grad = np.outer(g, x)                         # dL/dA, if every entry were free
by_hand = np.zeros(w.size)
for r, c, k_ in zip(rows, cols, widx):
    by_hand[k_] += dense_grad[r, c]
print("A.weight_grad :", A.weight_grad(x, g))
print("summed by hand:", by_hand)
# independent check: the gradient of y = conv(x, w) w.r.t. w is a correlation of g with x
print("scipy         :", scipy.signal.correlate(g, x, "valid"))
assert np.allclose(A.weight_grad(x, g), scipy.signal.correlate(g, x, "valid"))""",
    """md:## full, same and valid are rows of one matrix

The Q&A asks why some tutorials *trim the edges*. `valid` keeps only the outputs where the
kernel fits inside the input; `same` keeps as many outputs as inputs. Both are row ranges of the
`full` matrix.""",
    """for mode in ("full", "same", "valid"):
    B = tc.conv_matrix(w, 4, mode)
    print(f"{mode:5s}: {B.shape}  ->", B @ x, " scipy:", scipy.signal.convolve(x, w, mode))
    assert np.array_equal(B @ x, scipy.signal.convolve(x, w, mode))""",
    """figures.output_modes(w, 4)""",
    """md:## Convolution or cross-correlation?

One answer computes the first output as $1\\cdot 5 + 2\\cdot 6 + 3\\cdot 7 = 38$: that is a
**cross-correlation** (the kernel is not flipped), which is what CNN layers compute.""",
    """C = tc.conv_matrix(w, 4, "valid", correlate=True)
print(C.toarray())
print("C @ x =", C @ x, " scipy.signal.correlate:", scipy.signal.correlate(x, w, "valid"))
assert (C @ x)[0] == 1 * 5 + 2 * 6 + 3 * 7 == 38""",
    """figures.conv_vs_corr(w, 6, "valid")""",
    """md:## One output, one row

The lecture's illustration: input $u = [a, b, c, d, e, f]$, kernel $w = [z, y, x]$. The second
output of the valid convolution is $xb + yc + zd$ — the second row of the matrix.""",
    """figures.sliding_window([1, 2, 3], 6, "valid", row=1, labels=["z", "y", "x"])""",
    """md:## Boundaries

With `boundary="wrap"` the input is treated as circular: the matrix becomes **circulant** and
the entries that fall off one edge come back at the other.""",
    """W = tc.conv_matrix(w, 6, "same", boundary="wrap")
print(W.toarray())
x6 = np.arange(1, 7)
ref = scipy.signal.convolve2d(x6[None, :], w[None, :], "same", boundary="wrap")[0]
assert np.array_equal(W @ x6, ref)""",
    """md:A circulant matrix commutes with shifting: convolving a shifted input gives the shifted
output — the *equivariance* the slides list as an advantage of convolutional layers.""",
    """figures.equivariance(w, 8, shift=2)""",
]

NB03 = [
    """md:# 2-D convolutions and layer matrices

The slides' 2-D illustration: a $3 \\times 4$ input $a, \\dots, l$ and the kernel
$\\begin{bmatrix} w & x \\\\ y & z \\end{bmatrix}$; the first output is $wa + xb + ey + fz$.
Flattened in C order (row by row), the matrix of a 2-D convolution is **doubly block
Toeplitz**: a Toeplitz arrangement of Toeplitz blocks.""",
    """%matplotlib inline
import numpy as np
import scipy.signal
import toeplitz_conv as tc
from toeplitz_conv import figures""",
    """k = np.array([[1.0, 2.0], [3.0, 4.0]])
A = tc.conv_matrix(k, (3, 4), "valid", correlate=True)
print(A.shape, "blocks of", (A.out_shape[1], A.in_shape[1]))
x = np.arange(12.0).reshape(3, 4)
assert np.allclose(A @ x.ravel(), scipy.signal.correlate2d(x, k, "valid").ravel())
figures.doubly_block(k, (3, 4), "valid", correlate=True, labels=["w", "x", "y", "z"])""",
    """md:The same output as the kernel over one window, next to its row of the matrix:""",
    """figures.sliding_window(k, (3, 4), "valid", correlate=True, row=1,
                       labels=["w", "x", "y", "z"])""",
    """md:### All three modes, checked against scipy on random inputs""",
    """rng = np.random.default_rng(0)
for mode in ("full", "same", "valid"):
    for _ in range(20):
        kk = rng.standard_normal(tuple(rng.integers(1, 4, size=2)))
        shape = tuple(rng.integers(3, 7, size=2))
        xx = rng.standard_normal(shape)
        B = tc.conv_matrix(kk, shape, mode)
        assert np.allclose(B @ xx.ravel(), scipy.signal.convolve(xx, kk, mode).ravel())
print("conv_matrix == scipy.signal.convolve for 60 random 2-D cases")""",
    """md:## Why convolutional layers: sparse interaction and a growing receptive field

A fully connected layer from $n$ inputs to $m$ outputs has $m \\times n$ edges; a convolutional
layer with a kernel of size $k$ has at most $m \\times k$, and the same $k$ weights on all of
them. Stacking layers lets a unit see a wider part of the input.""",
    """figures.connectivity([1, 1, 1], 6, "same")""",
    """figures.receptive_field([1, 1, 1], 9, "same", layers=3)""",
    """md:## Layer matrices (PyTorch conventions)

`layer_matrix(weight, input_shape, stride=, padding=, dilation=, groups=, padding_mode=)` is the
matrix of `torch.nn.functional.conv2d` for one sample (no batch axis): rows ordered
`(C_out, *out_spatial)`, columns `(C_in, *spatial)`.""",
    """rng = np.random.default_rng(1)
weight = rng.standard_normal((4, 3, 3, 3))          # C_out=4, C_in=3, 3x3 kernel
L = tc.layer_matrix(weight, (3, 8, 8), stride=2, padding=1)
print(L, f"density {L.nnz / (L.shape[0] * L.shape[1]):.3f}")
xin = rng.standard_normal((3, 8, 8))
try:
    import torch
    ref = torch.nn.functional.conv2d(torch.tensor(xin[None]), torch.tensor(weight),
                                     stride=2, padding=1)[0].numpy()
    assert np.allclose(L @ xin.ravel(), ref.ravel())
    print("matches torch.nn.functional.conv2d")
except ImportError:
    print("torch is not installed; skipping the comparison")""",
    """md:### Stride is row subsampling

A stride-2 layer computes every second output of the stride-1 layer: its matrix keeps every
second row (in 2-D: every second row *and* column of outputs).""",
    """figures.stride_subsampling([1, 1, 1], 7, stride=2, padding=1)""",
    """w1 = rng.standard_normal((1, 1, 3, 3))
S1 = tc.layer_matrix(w1, (1, 6, 6), padding=1).toarray()
S2 = tc.layer_matrix(w1, (1, 6, 6), padding=1, stride=2).toarray()
keep = np.arange(6 * 6).reshape(6, 6)[::2, ::2].ravel()
assert np.array_equal(S2, S1[keep])
figures.stride_subsampling(np.ones((3, 3)), (4, 4), stride=2, padding=1)""",
    """md:### The transposed convolution is the transpose

`conv_transpose` (used to upsample in decoders) has exactly the transposed matrix, which is
also why it computes the input gradient of the convolution.""",
    """figures.transposed([1, 1, 1], 7, stride=2)""",
    """# conv_transpose2d's weight is (C_in, C_out, ...) of *its* input/output: the same
# array as the forward layer's (C_out, C_in, ...) weight.
T = tc.transposed_layer_matrix(weight, (4, 4, 4), stride=2, padding=1, output_padding=1)
print("T:", T.shape, " L:", L.shape)
assert np.array_equal(T.toarray(), L.toarray().T)
try:
    import torch
    g = rng.standard_normal((4, 4, 4))
    ref = torch.nn.functional.conv_transpose2d(torch.tensor(g[None]), torch.tensor(weight),
                                               stride=2, padding=1, output_padding=1)[0]
    assert np.allclose(T @ g.ravel(), ref.numpy().ravel())
    print("matches torch.nn.functional.conv_transpose2d")
except ImportError:
    print("torch is not installed; skipping the comparison")""",
    """md:### Padding modes

With zero padding, taps that fall outside the input are dropped. With circular, reflect or
replicate padding they read a real input sample instead, so extra (hatched) entries appear — and
an entry can even hold the **sum of two weights** (dark grey).""",
    """figures.padding_modes([1, 1, 1], 5, padding=1)""",
    """for mode in ("zeros", "circular", "reflect", "replicate"):
    P = tc.layer_matrix(np.array([[[1.0, 2.0, 3.0]]]), (1, 5), padding=1, padding_mode=mode)
    print(f"{mode:9s}", P.toarray()[0], "...", P.toarray()[-1])""",
]


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    nbformat.write(notebook(NB01), out / "01_conv_as_matrix.ipynb")
    nbformat.write(notebook(NB03), out / "03_2d_and_layers.ipynb")


if __name__ == "__main__":
    main()
