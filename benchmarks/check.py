"""``check_layer`` of ResNet-sized torch layers against one torch forward+backward of each.

The layer is ``torch.nn.Conv2d(64, 64, 3, padding=1)`` with bias on a 56x56
input (no batch axis), checked with every check (forward, input, weight and
bias gradients).  Its explicit matrix would hold 115 million taps; the
checker computes its reference matrix-free (an im2col product from the same
geometry), so the check costs a few forward passes.  The baseline is one
forward and backward pass of the same module through torch autograd, timed
in the same run; the ratio check/torch is the issue's target (<= 6).  The
row's peak memory is compared with the size of the explicit matrix (which
the check must stay below).  The same ratio is measured for a
``torch.nn.MaxPool2d(3, stride=2, padding=1)`` on the same input, checked
with ``kind="max_pool"`` (forward and input gradient against the selection
matrix at each trial input), and for a ``torch.nn.ConvTranspose2d(64, 64, 3,
padding=1)`` with bias checked with ``kind="transposed"`` (its row says "not
available" in a build without that kind).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .measure import Result, Settings, gib, measure_inline, timed

WORKLOAD = "check layer"
CASES = [(64, 56)]
QUICK_CASES = [(8, 12)]
METHODS = ["ours check_layer", "torch forward+backward"]


def run(settings: Settings) -> list[Result]:
    """One row per method; the ratio is check_layer's time over torch's forward+backward."""
    try:
        import torch
    except ImportError:
        return [Result(WORKLOAD, "torch missing", m, status="missing") for m in METHODS]
    results = []
    for c, n in (QUICK_CASES if settings.quick else CASES):
        results += _case(torch, c, n, settings)
        results += _transposed_case(torch, c, n, settings)
        results += _pool_case(torch, c, n, settings)
    return results


def _explicit_taps(c: int, n: int) -> int:
    """Stored taps of the layer's explicit matrix (windows clipped at the padded border)."""
    from toeplitz_conv.layers import layer_geometry

    return c * c * int(layer_geometry((3, 3), (n, n), padding=1).row_counts().sum())


def _explicit_bytes(c: int, n: int) -> int:
    """Bytes of the explicit TiedMatrix: values, column indices and the tap-to-weight index."""
    return _explicit_taps(c, n) * (8 + 4 + 4)


def _case(torch: Any, c: int, n: int, settings: Settings) -> list[Result]:
    from toeplitz_conv.check import check_layer

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(c, c, 3, padding=1, bias=True)
    case = f"{c}->{c} {n}x{n} 3x3 pad 1, bias"
    extra = {"c": c, "n": n, "explicit_matrix_bytes": _explicit_bytes(c, n)}
    row = {m: Result(WORKLOAD, case, m, nnz=_explicit_taps(c, n), extra=dict(extra))
           for m in METHODS}
    x = torch.randn(1, c, n, n, requires_grad=True)

    def baseline() -> Any:
        conv.zero_grad(set_to_none=True)
        y = conv(x)
        y.backward(torch.ones_like(y))
        return y

    def ours() -> Any:
        return check_layer(conv, None, (c, n, n), padding=1)

    def report_ok(out: Any) -> tuple[bool, str]:
        return bool(out.ok), f"checks {', '.join(out.checked)}: {'pass' if out.ok else 'FAIL'}"

    def ran(out: Any) -> tuple[bool, str]:
        return True, ""

    measure_inline(row[METHODS[0]], ours, report_ok, settings, size=None)
    measure_inline(row[METHODS[1]], baseline, ran, settings, size=None)
    mine, torch_row = row[METHODS[0]], row[METHODS[1]]
    _interleaved(mine, torch_row, ours, baseline, settings)
    if mine.time_s and torch_row.time_s:
        # The table's ratio is a method's time over ours; the target is ours over torch's.
        torch_row.ratio = torch_row.time_s / mine.time_s
        mine.extra["ratio_to_torch"] = mine.time_s / torch_row.time_s
    if mine.peak_bytes is not None:
        ratio = mine.extra.get("ratio_to_torch")
        shown = "n/a" if ratio is None else f"{ratio:.3g}"
        mine.note = (f"reference; {mine.note}; check/torch = {shown}; peak "
                     f"{gib(mine.peak_bytes)} vs explicit matrix "
                     f"{gib(extra['explicit_matrix_bytes'])}")
    torch_row.note = "baseline (one forward+backward, same run)"
    return list(row.values())


def _pool_case(torch: Any, c: int, n: int, settings: Settings) -> list[Result]:
    from toeplitz_conv.check import check_layer

    pool = torch.nn.MaxPool2d(3, stride=2, padding=1)
    case = f"max-pool {c} ch {n}x{n} 3x3 stride 2 pad 1"
    from toeplitz_conv.pooling import max_pool_matrix

    # The selection matrix's entries: one per output value.
    nnz = max_pool_matrix(np.zeros((c, n, n)), 3, stride=2, padding=1).nnz

    def ours() -> Any:
        return check_layer(pool, None, (c, n, n), kind="max_pool", kernel_size=3, stride=2,
                           padding=1)

    return _versus_torch(torch, pool, ours, case, nnz, {"c": c, "n": n, "layer": "max_pool"},
                         settings)


def _transposed_case(torch: Any, c: int, n: int, settings: Settings) -> list[Result]:
    """``kind="transposed"``: a ``ConvTranspose2d(64, 64, 3, padding=1)`` with bias."""
    from toeplitz_conv.check import check_layer

    torch.manual_seed(0)
    layer = torch.nn.ConvTranspose2d(c, c, 3, padding=1, bias=True)
    case = f"transposed {c}->{c} {n}x{n} 3x3 pad 1, bias"
    extra = {"c": c, "n": n, "layer": "transposed"}
    try:
        check_layer(layer, None, (c, 4, 4), kind="transposed", padding=1)
    except (TypeError, ValueError) as exc:       # a build without kind="transposed"
        return [Result(WORKLOAD, case, m, status=f"not available ({exc})", extra=dict(extra))
                for m in METHODS]

    def ours() -> Any:
        return check_layer(layer, None, (c, n, n), kind="transposed", padding=1)

    return _versus_torch(torch, layer, ours, case, _explicit_taps(c, n), extra, settings)


def _versus_torch(torch: Any, layer: Any, ours: Callable[[], Any], case: str, nnz: int,
                  extra: dict[str, Any], settings: Settings) -> list[Result]:
    """Rows for ``ours`` (a check of ``layer``) and one torch forward+backward of it."""
    row = {m: Result(WORKLOAD, case, m, nnz=nnz, extra=dict(extra)) for m in METHODS}
    x = torch.randn(1, extra["c"], extra["n"], extra["n"], requires_grad=True)

    def baseline() -> Any:
        layer.zero_grad(set_to_none=True)
        y = layer(x)
        y.backward(torch.ones_like(y))
        return y

    def report_ok(out: Any) -> tuple[bool, str]:
        return bool(out.ok), f"checks {', '.join(out.checked)}: {'pass' if out.ok else 'FAIL'}"

    measure_inline(row[METHODS[0]], ours, report_ok, settings, size=None)
    measure_inline(row[METHODS[1]], baseline, lambda out: (True, ""), settings, size=None)
    mine, torch_row = row[METHODS[0]], row[METHODS[1]]
    _interleaved(mine, torch_row, ours, baseline, settings)
    if mine.time_s and torch_row.time_s:
        torch_row.ratio = torch_row.time_s / mine.time_s
        mine.extra["ratio_to_torch"] = mine.time_s / torch_row.time_s
        mine.note = f"reference; check/torch = {mine.extra['ratio_to_torch']:.3g}"
    torch_row.note = "baseline (one forward+backward, same run)"
    return list(row.values())


def _interleaved(mine: Result, torch_row: Result, ours: Callable[[], Any],
                 baseline: Callable[[], Any], settings: Settings) -> None:
    """Both rows' times again, as medians of calls taken in turns (ours, then torch's).

    This machine has slow spells (a torch forward+backward measured 30 times
    its usual time for a second or two at a process's start): timed one
    after the other, a spell falls on one side of the ratio only.  Taken in
    turns, each pair of calls sees the same machine.
    """
    if not (mine.time_s and torch_row.time_s) or mine.status != "ok":
        return
    if not _settled(baseline):
        torch_row.note = (f"the machine did not settle in {_SETTLE_LIMIT_S:g} s: times taken "
                          f"in a slow spell")
    n = max(settings.repeats, 31 if not settings.quick else 1)
    t_ours, t_torch = [], []
    for _ in range(n):
        t, out = timed(ours)
        del out
        t_ours.append(t)
        t, out = timed(baseline)
        del out
        t_torch.append(t)
    mine.time_s, torch_row.time_s = float(np.median(t_ours)), float(np.median(t_torch))
    mine.repeats = torch_row.repeats = n


_STARTED: list[float] = []      # when this process first ran a baseline
_SPELL_S = 6.0                  # a process's slow spell was seen to last up to 5.2 s
_SETTLE_LIMIT_S = 15.0


def _settled(baseline: Callable[[], Any]) -> bool:
    """Run ``baseline`` past a process's slow spell, until five calls in a row are calm.

    In a slow spell (see :func:`_interleaved`) torch's worker thread was seen
    sharing a core with the main thread: every call then takes tens of
    times its usual time, evenly, for up to about five seconds after a
    process's first torch calls, so calm calls alone do not show its end.
    The first baseline of a process therefore also runs for ``_SPELL_S``.
    """
    start, best, calm = time.perf_counter(), float("inf"), 0
    if not _STARTED:
        _STARTED.append(start)
    while time.perf_counter() - start < _SETTLE_LIMIT_S:
        t, out = timed(baseline)
        del out
        best = min(best, t)
        calm = calm + 1 if t <= 2 * best else 0
        if calm >= 5 and time.perf_counter() - _STARTED[0] >= _SPELL_S:
            return True
    return False
