"""Discovering a black box's footprint from a few one-hot probes.

A convolution's footprint (which outputs an input element reaches) is a
product over the axes of 1-D footprints, and each 1-D footprint moves with
the input position: by one output per input on a stride-1 axis, by one
output per ``s`` inputs on a stride-``s`` axis (one pattern per residue
``i mod s``), by ``u`` outputs per input on an upsampling axis, not at all on
a channel axis that every output channel reads.  Two one-hot probes far
apart tell, per axis, which of these holds; ``s - 1`` more give the residues
of a strided axis.  The model is an *assumption* (shift invariance): the
caller colours the pattern, probes, and verifies the result on random
inputs, falling back when the assumption was wrong.  An axis whose probes
fit no model is taken as dense (every output of that axis), which is always
a superset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["AxisModel", "Discovery", "discover_footprint"]

# Past this many pattern entries colouring costs more than it saves.
_MAX_PATTERN = 50_000_000


@dataclass
class AxisModel:
    """How one axis's footprint moves with the input position.

    ``kind`` is ``"dense"`` (every output of the axis) or ``"periodic"``:
    input ``anchor + r + q * step`` (``0 <= r < step``) reaches
    ``reached[r] + q * shift``.  A stride-1 axis has ``step = shift = 1``, a
    stride-``s`` axis ``step = s, shift = 1``, an upsampling one ``step = 1,
    shift = u``, a grouped channel axis ``step = C_in/g, shift = C_out/g``.
    """

    kind: str
    step: int = 1
    shift: int = 1
    reached: tuple[np.ndarray, ...] = ()
    anchor: int = 0
    # Fewer than two periods between the probes: the model rests on little
    # evidence (typically a small channel axis), so it is dropped first.
    uncertain: bool = False

    def reach(self, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(outputs, inputs)`` pairs for the inputs ``i`` (unclipped)."""
        r = (i - self.anchor) % self.step
        q = (i - self.anchor - r) // self.step
        rows, cols = [], []
        for res in range(self.step):
            sel = r == res
            base = self.reached[res]
            rows.append((base[None, :] + q[sel][:, None] * self.shift).ravel())
            cols.append(np.repeat(i[sel], len(base)))
        return np.concatenate(rows), np.concatenate(cols)

    def matrix(self, n_in: int, n_out: int, wrap: bool = False) -> sp.csr_array:
        """Boolean ``(n_out, n_in)``: which outputs of this axis input ``i`` reaches."""
        if self.kind == "dense":
            return sp.csr_array(np.ones((n_out, n_in), dtype=bool))
        row, col = self.reach(np.arange(n_in))
        if wrap:
            row = row % n_out
        keep = (row >= 0) & (row < n_out)
        m = sp.csr_array((np.ones(int(keep.sum()), dtype=bool), (row[keep], col[keep])),
                         shape=(n_out, n_in))
        m.sum_duplicates()
        return m


@dataclass
class Discovery:
    """The per-axis models found, or why none was."""

    axes: list[AxisModel]
    calls: int
    reason: str = ""

    @property
    def found(self) -> bool:
        return bool(self.axes)

    @property
    def uncertain(self) -> bool:
        return any(a.uncertain for a in self.axes)

    @property
    def can_wrap(self) -> bool:
        return any(a.kind == "periodic" and a.step == a.shift == 1 for a in self.axes)

    def pattern(self, in_shape: tuple[int, ...], out_shape: tuple[int, ...],
                wrap: bool = False, certain: bool = False) -> sp.csr_array | None:
        """The Kronecker product of the axis footprints (C order), or None if too big.

        ``wrap``: stride-1 axes also reach around the edge (a circular
        boundary); ``certain``: uncertain axes are taken as dense.
        """
        axes = [AxisModel("dense") if certain and a.uncertain else a for a in self.axes]
        # Count before building: a dense axis of a long signal is n^2 entries.
        nnz = 1
        for a, n, m in zip(axes, in_shape, out_shape):
            nnz *= n * m if a.kind == "dense" else n * max(len(r) for r in a.reached)
        if nnz > _MAX_PATTERN:
            return None
        mats = [a.matrix(n, m, wrap=wrap and a.kind == "periodic" and a.step == a.shift == 1
                         and n == m)
                for a, n, m in zip(axes, in_shape, out_shape)]
        p = sp.csr_array(np.ones((1, 1), dtype=bool))
        for mat in mats:
            p = sp.csr_array(sp.kron(p, mat, format="csr"))
        return p


def _projections(r: np.ndarray, out_shape: tuple[int, ...], zero: float) -> list[np.ndarray] | None:
    nz = np.flatnonzero(np.abs(r) > zero)
    if not len(nz):
        return None
    coords = np.unravel_index(nz, out_shape)
    return [np.unique(c) for c in coords]


def _steps(o1: np.ndarray, o2: np.ndarray, delta: int, max_stride: int) -> list[int]:
    """Input periods ``s`` under which the footprint ``o1`` of ``i`` can move to ``o2`` of
    ``i + delta`` by a whole number of shifts per period (smallest first)."""
    if delta <= 0:
        return []
    d_lo, d_hi = int(o2[0] - o1[0]), int(o2[-1] - o1[-1])
    if d_lo <= 0 or d_hi <= 0:
        return []                       # a channel axis read everywhere, or a flip
    out = []
    for s in range(1, max_stride + 1):
        q_lo, q_hi = delta // s, -(-delta // s)
        # Each end moved by q * shift with q one of the two whole periods.
        if any(d % q == 0 for q in {q_lo, q_hi} if q for d in (d_lo, d_hi)):
            out.append(s)
    return out


def _shifts(model_reached: list[np.ndarray], step: int, anchor: int, o2: np.ndarray,
            p2: int, n_out: int) -> int | None:
    """The shift per period that predicts ``o2`` (the footprint of ``p2``) exactly."""
    r = (p2 - anchor) % step
    q = (p2 - anchor - r) // step
    base = model_reached[r]
    if not q or not len(base):
        return None
    for u in range(1, n_out + 1):
        pred = base + q * u
        pred = pred[(pred >= 0) & (pred < n_out)]
        if np.array_equal(pred, o2):
            return u
        if len(pred) == 0 or pred[0] > o2[-1]:
            break
    return None


def discover_footprint(probe: Callable[[tuple[int, ...]], np.ndarray],
                       in_shape: tuple[int, ...], out_shape: tuple[int, ...],
                       zero: Callable[[np.ndarray], float], max_stride: int = 8) -> Discovery:
    """Per-axis footprint models from one-hot probes (``probe(index) -> response``).

    Parameters
    ----------
    probe : callable
        ``probe(index)`` returns ``forward(e_index) - forward(0)``, flattened.
    in_shape, out_shape : tuple of int
        Same number of axes (else nothing is discovered).
    zero : callable
        ``zero(response)``: magnitudes at or below it are rounding noise.
    max_stride : int
        Largest input period (stride, channels per group) whose residues are probed.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import convolve
    >>> k = np.array([1.0, 2.0, 3.0])
    >>> probe = lambda i: convolve(np.eye(40)[i[0]], k, "same")
    >>> d = discover_footprint(probe, (40,), (40,), lambda r: 0.0)
    >>> d.axes[0].kind, d.axes[0].step, d.calls, d.pattern((40,), (40,)).nnz
    ('periodic', 1, 2, 118)
    """
    nd = len(in_shape)
    if len(out_shape) != nd:
        return Discovery([], 0, f"the output has {len(out_shape)} axes, the input {nd}: "
                                f"no per-axis model")
    p1 = tuple(n // 4 for n in in_shape)
    p2 = tuple(n - 1 - n // 4 for n in in_shape)
    calls = 0
    projections = []
    for p in dict.fromkeys([p1, p2]):
        first = probe(p)
        calls += 1
        proj = _projections(first, out_shape, zero(first))
        if proj is None:
            return Discovery([], calls, f"a one-hot at {p} reaches no output")
        projections.append(proj)
    if len(projections) == 1:                        # every axis has size 1 or 2
        projections.append(projections[0])
    steps = []
    for a in range(nd):
        cands = _steps(projections[0][a], projections[1][a], p2[a] - p1[a], max_stride)
        # The period's residues must all lie before p2 to be probed and checked.
        cands = [s for s in cands if p1[a] + s - 1 < p2[a]]
        steps.append(cands[0] if cands else 0)       # 0: dense
    # Residues: one probe serves every axis at once (the footprint is a
    # product, so each axis's projection is its own).
    residues: list[list[np.ndarray]] = [[projections[0][a]] for a in range(nd)]
    for r in range(1, max(steps, default=1)):
        idx = tuple(p + r if r < s else p for p, s in zip(p1, steps))
        resp = probe(idx)
        calls += 1
        proj = _projections(resp, out_shape, zero(resp))
        probed = [a for a in range(nd) if r < steps[a]]
        for a in probed:
            if proj is not None:
                residues[a].append(proj[a])
            elif len(probed) == 1:
                # This residue reaches nothing (e.g. a 1-tap kernel with stride 2).
                residues[a].append(np.zeros(0, dtype=np.int64))
            else:                        # which axis is empty cannot be told apart
                steps[a] = 0
    axes = []
    for a in range(nd):
        u = None
        if steps[a]:
            u = _shifts(residues[a], steps[a], p1[a], projections[1][a], p2[a], out_shape[a])
        if u is None:
            axes.append(AxisModel("dense"))
        else:
            axes.append(AxisModel("periodic", steps[a], u, tuple(residues[a]), p1[a],
                                  uncertain=p2[a] - p1[a] < 2 * steps[a]))
    return Discovery(axes, calls)
