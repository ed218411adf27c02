"""Build speed of layer_matrix against torch's jacobian and the fill floor, in one run.

* 16->16 channels, 32x32, 3x3, padding 1: ``layer_matrix(...).sparse`` vs
  ``torch.autograd.functional.jacobian(..., vectorize=True)`` of the same
  layer (target: >= 200x faster) and vs the fill floor (target: <= 3x).
* 64->64 channels, 56x56, 3x3, padding 1 (a ResNet stage): seconds, nnz, MB.

Usage: ``python benchmarks/bench_layers.py [--quick]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from toeplitz_conv import layer_matrix

try:
    from bench_build import median_time, verdict
except ImportError:  # run as a module from the repository root
    from benchmarks.bench_build import median_time, verdict
from benchmarks.measure import fill_floor, tied_bytes


def torch_jacobian(w, shape, padding):
    import torch

    wt = torch.tensor(w)
    x = torch.zeros(shape, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(
        lambda v: torch.nn.functional.conv2d(v[None], wt, padding=padding)[0], x,
        vectorize=True)
    return J.reshape(-1, x.numel())


def bench_layer(c_in, c_out, n, *, with_torch):
    w = np.random.default_rng(0).standard_normal((c_out, c_in, 3, 3))
    shape = (c_in, n, n)
    A = layer_matrix(w, shape, padding=1)
    t_ours = median_time(lambda: layer_matrix(w, shape, padding=1).sparse, repeat=5)
    t_floor = median_time(fill_floor(A.nnz, A.sparse.data.dtype, A.sparse.indices.dtype),
                          repeat=5)
    out = {"layer": f"{c_in}->{c_out}, {n}x{n}, 3x3, padding 1", "nnz": A.nnz,
           "ours_s": t_ours, "floor_s": t_floor, "ratio_floor": t_ours / t_floor,
           "mb": tied_bytes(A) / 1e6}
    if with_torch:
        try:
            J = torch_jacobian(w, shape, 1)
        except ImportError:
            out["torch"] = "torch not installed"
            return out
        assert np.array_equal(J.numpy(), A.toarray()), "torch jacobian differs from our matrix"
        t0 = time.perf_counter()
        torch_jacobian(w, shape, 1)
        out["torch_s"] = time.perf_counter() - t0
        out["ratio_torch"] = out["torch_s"] / t_ours
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    args = parser.parse_args(argv)
    small = bench_layer(4, 4, 8, with_torch=True) if args.quick else \
        bench_layer(16, 16, 32, with_torch=True)
    print(f"layer {small['layer']}: nnz={small['nnz']:,}")
    print(f"  layer_matrix(...).sparse  {small['ours_s'] * 1e3:9.2f} ms   "
          f"ratio ours/floor = {small['ratio_floor']:.2f} (target <= 3: "
          f"{verdict(small['ratio_floor'] <= 3, args.quick)})")
    if "torch_s" in small:
        print(f"  torch jacobian            {small['torch_s'] * 1e3:9.2f} ms   "
              f"ratio torch/ours = {small['ratio_torch']:.0f} (target >= 200: "
              f"{verdict(small['ratio_torch'] >= 200, args.quick)})")
    else:
        print(f"  torch jacobian            {small.get('torch', 'missing')}")
    big = bench_layer(8, 8, 16, with_torch=False) if args.quick else \
        bench_layer(64, 64, 56, with_torch=False)
    print(f"layer {big['layer']}: nnz={big['nnz']:,}, {big['ours_s']:.3f} s, "
          f"{big['mb']:.0f} MB (csr + taps), ours/floor = {big['ratio_floor']:.2f}")


if __name__ == "__main__":
    main()
