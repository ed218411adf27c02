"""
The matrix of your network
==========================

:func:`toeplitz_conv.from_torch` reads a PyTorch model's own layers -- their strides,
paddings, dilations, groups and weights -- and returns each layer's exact sparse matrix, chained
into one operator. Given an input ``x``, the ReLUs and the max pooling become the exact linear
maps they are near ``x``, so the operator *is* the network's Jacobian at ``x``: formed exactly
and sparsely, and its spectral norm computed without forming it.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

import toeplitz_conv as tc

torch.manual_seed(0)
net = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(),
    nn.Flatten(), nn.Linear(4 * 4 * 4, 3),
).double().eval()

# An 8x8 input: a bright diagonal stroke on a dark background, plus a little noise.
rng = np.random.default_rng(1)
x = np.eye(8)[None] + 0.1 * rng.standard_normal((1, 8, 8))

A = tc.from_torch(net, (1, 8, 8), x=x)
print(A)

# %%
# Every layer, as read from the model: its convention, output shape, stored entries and
# spectral norm. The convolutions are the builders' :func:`~toeplitz_conv.layer_matrix`;
# the ReLUs are diagonal 0/1 matrices at ``x``, the max pooling a 0/1 selection.

for row in A.table():
    shape = "x".join(map(str, row["shape"]))
    print(f"{row['position']}  {row['op']:<10} {row['convention']:<12} {shape:<8} "
          f"nnz={row['nnz']:<6} norm={row['norm']:.4f}")
print(A.pattern[0])

# %%
# The operator reproduces the network at ``x`` (biases are the layers' offsets) and its
# linear part is the Jacobian there -- compared here with torch's own autograd.

xt = torch.from_numpy(x)
y = net(xt[None])[0].detach().numpy()
J_torch = torch.autograd.functional.jacobian(lambda t: net(t[None])[0], xt).reshape(3, 64)
J = A.toarray()
print("apply(x) - net(x):", np.abs(A.apply(x) - y).max())
print("Jacobian - autograd:", np.abs(J - J_torch.numpy()).max())

# %%
# The spectral norm of the whole map at ``x`` -- its local Lipschitz constant -- is found
# matrix-free (ARPACK through the layers); the product of the layers' norms only bounds it.

print(f"spectral norm at x: {A.spectral_norm():.6f} "
      f"(dense check {np.linalg.norm(J, 2):.6f})")
print(f"product of the layers' norms: {A.layer_bound():.6f}")

# %%
# Each output's row of the Jacobian, as an image over the input: which pixels move that
# logit, and by how much, near this ``x``. Beside them, the first convolution's matrix: a
# band per input channel, one 3x3 stencil per row.

fig, axes = plt.subplots(1, 5, figsize=(14, 3))
axes[0].imshow(x[0], cmap="gray")
axes[0].set_title("x")
lim = np.abs(J).max()
for k in range(3):
    axes[k + 1].imshow(J[k].reshape(8, 8), cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[k + 1].set_title(f"d y[{k}] / d x")
axes[4].spy(A.layers[0].sparse, markersize=0.5, aspect="auto")
axes[4].set_title(f"layer 1: {A.layers[0].shape[0]} x {A.layers[0].shape[1]}")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
