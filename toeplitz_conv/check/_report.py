"""The result of :func:`~toeplitz_conv.check.check_layer`: one entry per check."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Entry", "Report", "largest", "measured", "worst_difference"]


@dataclass
class Entry:
    """One check: the user's result against the matrix reference.

    Attributes
    ----------
    name : str
        ``"forward"``, ``"input_grad"``, ``"weight_grad"``, ``"bias_grad"``, ...
    ok : bool
    max_abs_error, max_rel_error : float
        Over all trial inputs; the relative error is the absolute error over
        the largest reference magnitude of the trial (``nan`` when the user's
        result could not be compared at all).
    worst_index : tuple of int or None
        Where the largest error is, as a multi-index in the natural shape of
        the checked quantity: ``(c_out, row, col)`` for a 2-D layer's output,
        ``(c_in, row, col)`` for the input gradient, the weight's shape for the
        weight gradient.
    diagnosis : str or None
        The likely cause, when a hypothesis tested against the reference fits.
    message : str
        What was compared, or what went wrong (raised, wrong shape, NaN, ...).
    trial : str or None
        The trial input on which the worst error occurred.
    checked : bool
        False for a check that could not be made (e.g. no bias gradient
        returned); such an entry does not fail the report, and says why in
        its message.
    """

    name: str
    ok: bool
    max_abs_error: float = float("nan")
    max_rel_error: float = float("nan")
    worst_index: tuple[int, ...] | None = None
    diagnosis: str | None = None
    message: str = ""
    trial: str | None = None
    checked: bool = True

    def _cells(self) -> list[str]:
        def num(v: float) -> str:
            return "-" if v != v else f"{v:.2e}"
        idx = "-" if self.worst_index is None else str(tuple(int(i) for i in self.worst_index))
        result = "not checked" if not self.checked else ("ok" if self.ok else "FAIL")
        return [self.name, result, num(self.max_abs_error),
                num(self.max_rel_error), idx]


_MD_SPECIAL = "\\`*_{}[]()<>#+!|~"


def _md(text: str) -> str:
    """Text (possibly from user code: exception messages) safe inside a markdown table cell.

    Every markdown and HTML metacharacter is backslash-escaped and line
    breaks become spaces, so an exception text cannot inject markup.

    >>> _md("<script>|x*")
    '\\\\<script\\\\>\\\\|x\\\\*'
    """
    out = []
    for ch in " ".join(str(text).splitlines()):
        out.append("\\" + ch if ch in _MD_SPECIAL else ch)
    return "".join(out)


_HEAD = ["check", "result", "max abs err", "max rel err", "worst index"]


@dataclass
class Report:
    """The outcome of a layer check: ``.ok`` and one :class:`Entry` per check.

    ``str(report)`` is a plain-text table followed by the diagnoses and
    messages of failed checks; Jupyter shows it as HTML.

    Examples
    --------
    >>> r = Report([Entry("forward", True, 0.0, 0.0, (0, 0), None, "5 inputs")])
    >>> r.ok
    True
    >>> print(r)                                  # doctest: +NORMALIZE_WHITESPACE
    layer check: all 1 checks pass (forward)
    check    result  max abs err  max rel err  worst index
    forward  ok      0.00e+00     0.00e+00     (0, 0)
    """

    entries: list[Entry] = field(default_factory=list)
    title: str = "layer check"
    #: Remarks that are no failure, shown after the table (e.g. ties in a max-pool window).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every entry passed (and there is at least one)."""
        return bool(self.entries) and all(e.ok for e in self.entries)

    def __getitem__(self, name: str) -> Entry:
        """The entry called ``name``."""
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(f"no check named {name!r}; checks: {[e.name for e in self.entries]}")

    def __contains__(self, name: object) -> bool:
        """Whether there is an entry called ``name`` (``"weight_grad" in report``)."""
        return any(e.name == name for e in self.entries)

    def __iter__(self) -> Iterator[Entry]:
        """The entries, in order."""
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON-serialisable): title, ok and one dict per entry.

        >>> r = Report([Entry("forward", False, 1.5, 0.5, (0, 1), "kernel is flipped", "")])
        >>> d = r.to_dict()
        >>> d["ok"], d["entries"][0]["worst_index"], "forward" in r, [e.name for e in r]
        (False, [0, 1], True, ['forward'])
        """
        def num(v: float) -> float | None:
            return None if v != v else float(v)
        return {"title": self.title, "ok": self.ok, "summary": self.summary(),
                "notes": list(self.notes),
                "entries": [{"name": e.name, "ok": bool(e.ok), "checked": bool(e.checked),
                             "max_abs_error": num(e.max_abs_error),
                             "max_rel_error": num(e.max_rel_error),
                             "worst_index": None if e.worst_index is None
                             else [int(i) for i in e.worst_index],
                             "diagnosis": e.diagnosis, "message": e.message,
                             "trial": e.trial} for e in self.entries]}

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    @property
    def checked(self) -> list[str]:
        """Names of the checks that ran."""
        return [e.name for e in self.entries if e.checked]

    @property
    def not_checked(self) -> list[str]:
        """Names of the checks that could not be made (see their messages)."""
        return [e.name for e in self.entries if not e.checked]

    def summary(self) -> str:
        bad = [e.name for e in self.entries if not e.ok]
        ran = self.checked
        skipped = self.not_checked
        tail = f"; not checked: {', '.join(skipped)}" if skipped else ""
        if not bad:
            return f"{self.title}: all {len(ran)} checks pass ({', '.join(ran)}){tail}"
        return (f"{self.title}: {len(bad)} of {len(ran)} checks FAIL ({', '.join(bad)})"
                f"{tail}")

    def __str__(self) -> str:
        rows = [_HEAD] + [e._cells() for e in self.entries]
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEAD))]
        lines = [self.summary()]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        for e in self.entries:
            if e.ok and e.checked:
                continue
            lines.append("")
            lines.append(f"{e.name}: {e.message}" if e.message else f"{e.name}:")
            if e.diagnosis:
                lines.append(f"  likely cause: {e.diagnosis}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Report ok={self.ok} checks={self.names}>"

    def _repr_markdown_(self) -> str:
        lines = [f"**{_md(self.summary())}**", "",
                 "| " + " | ".join(_HEAD + ["diagnosis / message"]) + " |",
                 "|" + "---|" * (len(_HEAD) + 1)]
        for e in self.entries:
            note = e.diagnosis or ("" if e.ok and e.checked else e.message)
            lines.append("| " + " | ".join(_md(c) for c in e._cells() + [note]) + " |")
        lines += ["", *(f"note: {_md(n)}" for n in self.notes)] if self.notes else []
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in _HEAD + ["diagnosis / message"])
        body = []
        for e in self.entries:
            colour = "#1a7f37" if e.ok else "#cf222e"
            cells = e._cells()
            cells_html = [f"<td>{esc(cells[0])}</td>",
                          f"<td style='color:{colour};font-weight:bold'>{esc(cells[1])}</td>"]
            cells_html += [f"<td>{esc(c)}</td>" for c in cells[2:]]
            note = ""
            if e.diagnosis:
                note = f"<b>{esc(e.diagnosis)}</b>"
            if (not e.ok or not e.checked) and e.message:
                note += ("<br>" if note else "") + esc(e.message)
            cells_html.append(f"<td style='text-align:left'>{note}</td>")
            body.append("<tr>" + "".join(cells_html) + "</tr>")
        notes = "".join(f"<p>note: {esc(n)}</p>" for n in self.notes)
        return (f"<div><p><b>{esc(self.summary())}</b></p><table><thead><tr>{head}</tr>"
                f"</thead><tbody>{''.join(body)}</tbody></table>{notes}</div>")


def largest(a: np.ndarray) -> float:
    """``max |a|`` (0 for an empty array) without an array of absolute values.

    >>> largest(np.array([-3.0, 2.0])), largest(np.zeros(0))
    (3.0, 0.0)
    """
    if a.size == 0:
        return 0.0
    return max(float(np.max(a)), -float(np.min(a)), 0.0)


def worst_difference(got: np.ndarray, want: np.ndarray) -> tuple[float, int, float]:
    """``(max |got - want|, its flat index, max |want|)``: one difference array, no ``|want|``.

    >>> worst_difference(np.array([1.0, 5.0]), np.array([1.5, -2.0]))
    (7.0, 1, 2.0)
    """
    d = np.subtract(got, want, dtype=np.float64)
    np.abs(d, out=d)
    flat = int(np.argmax(d)) if d.size else 0
    return (float(d.flat[flat]) if d.size else 0.0), flat, largest(want)


def measured(name: str, got: list[np.ndarray], want: list[np.ndarray], names: list[str],
             tol: tuple[float, float], what: str) -> Entry:
    """One entry from ``got`` against ``want``, trial by trial (the weightless kinds' measure).

    It passes when ``|got - want| <= atol + rtol * max|want|`` on every
    trial, and names the worst element and its trial.
    """
    rtol, atol = tol
    e = Entry(name, True, 0.0, 0.0, None, None, "")
    for a, b, tname in zip(got, want, names):
        dmax, worst, scale = worst_difference(a, b)
        if not dmax <= atol + rtol * scale:                # NaN fails too
            e.ok = False
        e.max_rel_error = max(e.max_rel_error, dmax / scale if scale else float(dmax > 0))
        if dmax > e.max_abs_error or e.worst_index is None:
            e.max_abs_error = dmax
            e.worst_index = tuple(int(i) for i in np.unravel_index(worst, np.shape(a)))
            e.trial = tname
    e.message = (f"{what} on {len(got)} inputs (rtol={rtol:.2g}, atol={atol:.2g})"
                 + ("" if e.ok else f": largest error {e.max_abs_error:.3g} at "
                    f"{e.worst_index} for input '{e.trial}'"))
    return e
