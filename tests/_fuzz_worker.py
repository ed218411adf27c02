"""A subprocess that runs fuzzed calls under a memory budget (see tests/_fuzz.py).

It imports the library once, lowers ``toeplitz_conv.limits`` to small values,
then caps its own address space at (what it uses now) + ``--budget`` MiB, so
that a call which gets past the size guards and allocates more than the
guards promised fails here with numpy's own ``MemoryError`` (reported as a
failure) instead of swapping the machine.  Calls arrive as length-prefixed
pickles ``(name, kwargs)`` on stdin; each answer is a pickled dict on stdout.

Run as ``python -m tests._fuzz_worker --budget 512``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import toeplitz_conv as tc
from toeplitz_conv import TiedMatrix, geometry, interop, limits, spectrum

# The guards are what is tested: with these limits a call may build index
# tables of at most 32 MiB and dense arrays of at most 16 MiB, far under the
# address-space budget the worker sets for itself.
LIMITS = {"max_build_bytes": 32 * 2**20, "max_dense_bytes": 16 * 2**20}


#: The geometry core's public functions and classes the fuzz suite calls directly.
GEOMETRY_CALLS = ("conv_out_size", "transposed_out_size", "transposed_output_padding",
                  "layer_padding_range", "layer_symmetric_paddings", "signal_kernel_size",
                  "layer_min_size", "strided_count", "full_padding", "same_padding",
                  "tf_same_padding", "split_padding", "resolve_padding", "signal_padding",
                  "same_origins", "ndimage_origins", "circular_same_fits", "map_boundary",
                  "signal_axis", "ndimage_axis", "circular_axis", "pool_axis",
                  "pool_padding_limit", "channel_map", "tile_map", "axes_first_map",
                  "layer_geometry", "signal_geometry", "AxisGeometry", "Geometry")


def _import_torch() -> None:
    # Before the address space is capped: torch maps much virtual memory.
    try:  # torch is optional; the to_torch calls are only fuzzed where it exists
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def _matrices() -> dict[str, TiedMatrix]:
    w = np.arange(12.0).reshape(2, 2, 3) - 5
    return {
        "layer": tc.layer_matrix(w, (2, 5), padding=1),
        "int_wrap": tc.conv_matrix(np.array([1, -2, 3], dtype=np.int16), 6, boundary="wrap"),
        "affine": tc.conv_matrix([1.0, 2.0], 4, fillvalue=1.5),
    }


def _calls() -> dict[str, Callable[..., Any]]:
    mats = _matrices()

    def method(name: str) -> Callable[..., Any]:
        def call(matrix: str = "layer", **kw: Any) -> Any:
            return getattr(mats[matrix], name)(**kw)
        return call

    def set_limit(name: str, value: Any) -> Any:
        try:
            setattr(limits, name, value)
            return getattr(limits, name)
        finally:
            _reset_limits()

    def override(**kw: Any) -> Any:
        with limits.override(**kw):
            return repr(limits)

    return {
        "conv_matrix": tc.conv_matrix,
        "layer_matrix": tc.layer_matrix,
        "transposed_layer_matrix": tc.transposed_layer_matrix,
        "avg_pool_matrix": tc.avg_pool_matrix,
        "max_pool_matrix": tc.max_pool_matrix,
        "maxout_matrix": tc.maxout_matrix,
        "lp_pool": tc.lp_pool,
        "tiled_conv_matrix": tc.tiled_conv_matrix,
        "locally_connected_matrix": tc.locally_connected_matrix,
        "ndimage_matrix": tc.ndimage_matrix,
        "singular_values": tc.singular_values,
        "spectral_norm": tc.spectral_norm,
        "clip_singular_values": tc.clip_singular_values,
        "frequency_matrices": spectrum.frequency_matrices,
        "to_torch": lambda matrix="layer", **kw: tc.to_torch(mats.get(matrix, matrix)
                                                             if isinstance(matrix, str)
                                                             else matrix, **kw),
        "from_taps": TiedMatrix.from_taps,
        "A.matmul": lambda matrix="layer", v=None: mats[matrix] @ v,
        "A.rmatmul": lambda matrix="layer", u=None: u @ mats[matrix],
        "A.weight_grad": method("weight_grad"),
        "A.with_weight": method("with_weight"),
        "A.apply": method("apply"),
        "A.bias_vector": method("bias_vector"),
        "A.toarray": method("toarray"),
        "A.to_torch": method("to_torch"),
        # np.asarray(A, dtype) parses the dtype itself first; what reaches A is this:
        "A.array": lambda matrix="layer", **kw: mats[matrix].__array__(**kw),
        "as_operator": lambda matrix="layer": interop.as_operator(mats.get(matrix, matrix)
                                                                  if isinstance(matrix, str)
                                                                  else matrix),
        "limits.set": set_limit,
        "limits.override": override,
        **{f"geometry.{name}": getattr(geometry, name) for name in GEOMETRY_CALLS},
        "TiedMatrix": TiedMatrix,
        # Deliberately wrong calls, to show the harness catches each failure.
        "selftest.allocate": lambda mib: np.ones(mib * 2**20, dtype=np.uint8).sum(),
        "selftest.raise": lambda kind, message: _raise(kind, message),
        "selftest.sleep": lambda seconds: time.sleep(seconds),
    }


def _raise(kind: str, message: str) -> None:
    raise {"IndexError": IndexError, "ValueError": ValueError}[kind](message)


def _reset_limits() -> None:
    for k, v in LIMITS.items():
        setattr(limits, k, v)


def _summary(result: Any) -> str:
    if isinstance(result, TiedMatrix):
        return repr(result)
    if isinstance(result, np.ndarray):
        return f"ndarray {result.dtype} {result.shape}"
    return type(result).__name__


def _vm_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")  # pragma: no cover


def _read(stream: Any) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        return None
    (n,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(n))


def _write(stream: Any, obj: Any) -> None:
    data = pickle.dumps(obj)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=int, default=512, help="MiB above the start-up size")
    parser.add_argument("--no-torch", action="store_true", help="a quicker start")
    args = parser.parse_args()
    if not args.no_torch:
        _import_torch()
    for k, v in LIMITS.items():
        setattr(limits, k, v)
    calls = _calls()
    limit = _vm_bytes() + args.budget * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    # Nothing the library prints may corrupt the answers' stream.
    sys.stdout = sys.stderr
    _write(out, {"ready": True, "pid": os.getpid()})
    while True:
        msg = _read(inp)
        if msg is None:
            return
        name, kwargs = msg
        t = time.perf_counter()
        try:
            res = calls[name](**kwargs)
            answer = {"ok": True, "result": _summary(res)}
            del res
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # everything else is reported, judged by the test
            answer = {"ok": False, "type": type(exc).__name__,
                      "module": type(exc).__module__, "message": str(exc)[:2000]}
        answer["seconds"] = time.perf_counter() - t
        _write(out, answer)


if __name__ == "__main__":
    main()
