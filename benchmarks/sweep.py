"""``sweep_layer`` over its default grid: how many configurations, and how long in all.

The layer is a hand-written numpy conv (im2col with one einsum per group,
forward and backward) that handles every option of the grid, 3 -> 4
channels with a 3x3 base kernel and a bias.  The sweep must find it correct
in every configuration before it is timed; the row gives the number of
configurations and the total time of the sweep (all checks of all
configurations).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .measure import Result, Settings, measure_inline

WORKLOAD = "layer sweep"
WEIGHT_SHAPE = (4, 3, 3, 3)
METHODS = ["ours sweep_layer"]


def _pads(padding: Any, size: tuple[int, ...], kernel: tuple[int, ...],
          stride: tuple[int, ...], dilation: tuple[int, ...]) -> list[tuple[int, int]]:
    per_axis = [padding] * len(size) if isinstance(padding, (int, str)) else list(padding)
    out = []
    for n, k, s, d, p in zip(size, kernel, stride, dilation, per_axis):
        span = d * (k - 1)
        if p == "same":
            out.append((span // 2, span - span // 2))
        elif p == "SAME":
            total = max((-(-n // s) - 1) * s + span + 1 - n, 0)
            out.append((total // 2, total - total // 2))
        else:
            out.append((p, p))
    return out


def factory(weight: np.ndarray, bias: np.ndarray | None = None, stride: Any = 1,
            padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Any:
    """A 2-D numpy conv layer for one configuration: ``(forward, backward)``."""
    c_out, cg, kh, kw = weight.shape
    s = (stride, stride) if isinstance(stride, int) else tuple(stride)
    d = (dilation, dilation) if isinstance(dilation, int) else tuple(dilation)
    og = c_out // groups

    def index(x: np.ndarray) -> tuple[Any, ...]:
        (pt, pb), (pl, pr) = _pads(padding, x.shape[1:], (kh, kw), s, d)
        ho = (x.shape[1] + pt + pb - d[0] * (kh - 1) - 1) // s[0] + 1
        wo = (x.shape[2] + pl + pr - d[1] * (kw - 1) - 1) // s[1] + 1
        i = (np.arange(ho) * s[0])[:, None] + np.arange(kh) * d[0]
        j = (np.arange(wo) * s[1])[:, None] + np.arange(kw) * d[1]
        xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr)))
        return xp, (pt, pl), (slice(None), i[:, None, :, None], j[None, :, None, :])

    def forward(x: np.ndarray) -> np.ndarray:
        xp, _, at = index(x)
        cols = xp[at]
        y = np.concatenate([np.einsum("ochw,cijhw->oij", weight[g * og:(g + 1) * og],
                                      cols[g * cg:(g + 1) * cg]) for g in range(groups)])
        return y if bias is None else y + bias[:, None, None]

    def backward(x: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, ...]:
        xp, (pt, pl), at = index(x)
        cols = xp[at]
        gw = np.concatenate([np.einsum("oij,cijhw->ochw", gy[g * og:(g + 1) * og],
                                       cols[g * cg:(g + 1) * cg]) for g in range(groups)])
        gcols = np.concatenate([np.einsum("oij,ochw->cijhw", gy[g * og:(g + 1) * og],
                                          weight[g * og:(g + 1) * og]) for g in range(groups)])
        gxp = np.zeros_like(xp)
        np.add.at(gxp, at, gcols)
        gx = gxp[:, pt:pt + x.shape[1], pl:pl + x.shape[2]]
        return gx, gw, gy.sum(axis=(1, 2))
    return forward, backward


def run(settings: Settings) -> list[Result]:
    """One row: the default grid for a 3 -> 4 channel 3x3 layer with a bias."""
    from toeplitz_conv.check import default_grid, sweep_layer

    expected = len(default_grid(WEIGHT_SHAPE))
    res = Result(WORKLOAD, f"3->4 3x3 with bias, default grid ({expected} configurations)",
                 METHODS[0], extra={"configurations": expected})

    def check(report: Any) -> tuple[bool, str]:
        n = len(report.rows)
        return (report.ok and n == expected,
                f"{n} configurations, {len(report.failures)} fail")

    measure_inline(res, lambda: sweep_layer(factory, weight_shape=WEIGHT_SHAPE, bias=True),
                   check, settings, size=None)
    res.equal = True if res.status == "ok" else res.equal
    if res.time_s:
        res.note = (f"{expected} configurations in {res.time_s:.2f} s "
                    f"({1000 * res.time_s / expected:.0f} ms each); {res.note}")
    return [res]
