"""The :class:`Proof` object and the one place where "left == right" is decided."""

from __future__ import annotations

import itertools
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

__all__ = ["MAX_EXPRESSION_NODES", "Proof", "as_sympy", "difference_is_zero", "rows_agree"]

#: Statements and steps larger than this are shown abbreviated.
_SHOW_ROWS = 12
#: :func:`difference_is_zero` refuses operands with more sympy nodes (or matrix
#: entries) than this, before any simplification: ``simplify`` on a larger
#: difference can run for hours.
MAX_EXPRESSION_NODES = 100_000

_NOT_PARSED = ("strings are never parsed (sympy.sympify would evaluate them as Python); "
               "build the expression with sympy.Symbol / sympy.symbols")


def _refuse_text(value: Any, name: str) -> None:
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a sympy expression, a number or a matrix of them, "
                        f"got the string {value!r}: {_NOT_PARSED}")


def _nodes(expr: sympy.Basic, budget: int) -> int:
    """The number of nodes of ``expr``, counted up to ``budget + 1`` at most."""
    return sum(1 for _ in itertools.islice(sympy.preorder_traversal(expr), budget + 1))


def as_sympy(value: Any, name: str, *, max_nodes: int = MAX_EXPRESSION_NODES) -> Any:
    """``value`` as a sympy object, never parsing a string, with its size checked.

    Accepts sympy objects, numbers (Python and numpy), and numpy arrays,
    lists or tuples of them (returned as a sympy ``Array``).  Strings, bytes
    and arrays of strings are refused with a TypeError naming ``name``
    (``sympy.sympify`` would run them as Python code); more than
    ``max_nodes`` sympy nodes or entries in all is a ValueError, raised
    before anything is simplified.

    >>> as_sympy(2, "left")
    2
    >>> as_sympy("__import__('os')", "left")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: left must be a sympy expression, a number or a matrix of them, got the string ...
    """
    out, entries = _converted(value, name, max_nodes)
    _check_nodes(entries, name, max_nodes)
    return out


def _converted(value: Any, name: str, max_nodes: int) -> tuple[Any, list[Any]]:
    """:func:`as_sympy`'s conversion and entry count, and the entries, without their nodes."""
    _refuse_text(value, name)
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
        if arr.dtype.kind in "USV":
            raise TypeError(f"{name} must not be an array of strings: {_NOT_PARSED}")
        if arr.size > max_nodes:
            raise ValueError(f"{name} has {arr.size} entries, more than the symbolic limit "
                             f"{max_nodes}; compare such arrays numerically (numpy)")
        flat = []
        for v in arr.ravel().tolist():
            _refuse_text(v, f"{name}'s entries")
            flat.append(_scalar(v, f"{name}'s entries"))
        out: Any = sympy.ImmutableDenseNDimArray(flat, arr.shape)
        entries: list[Any] = flat
    else:
        out = _scalar(value, name)
        size = out.rows * out.cols if isinstance(out, sympy.MatrixBase) else 1
        if size > max_nodes:
            raise ValueError(f"{name} has {size} entries, more than the symbolic "
                             f"limit {max_nodes}; compare such matrices numerically (numpy)")
        entries = list(out) if isinstance(out, sympy.MatrixBase) else [out]
    return out, entries


def _check_nodes(entries: list[Any], name: str, max_nodes: int) -> None:
    budget = max_nodes
    for e in entries:
        budget -= _nodes(e, budget) if isinstance(e, sympy.Basic) else 1
        if budget < 0:
            raise ValueError(f"{name} has more than {max_nodes} sympy nodes (the symbolic "
                             f"limit, MAX_EXPRESSION_NODES): simplifying it could take hours")


def _scalar(value: Any, name: str) -> Any:
    if isinstance(value, (sympy.Basic, sympy.MatrixBase)):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Number,
                                                                      np.generic)):
        # Objects with a ``_sympy_`` method convert themselves; nothing is parsed.
        if not hasattr(value, "_sympy_"):
            raise TypeError(f"{name} must be a sympy expression, a number or a matrix of "
                            f"them, got {type(value).__name__}")
    try:
        return sympy.sympify(value, strict=True)
    except sympy.SympifyError:
        raise TypeError(f"{name} must be a sympy expression, a number or a matrix of them, "
                        f"got {type(value).__name__}") from None


def _rational_polynomial(expr: sympy.Expr) -> bool:
    """True for a polynomial with rational coefficients: its expanded form is canonical,
    so a non-zero expansion is a non-zero polynomial and ``simplify`` has nothing to add."""
    return (all(isinstance(a, (sympy.Symbol, sympy.Rational)) for a in expr.atoms())
            and expr.is_polynomial())


def difference_is_zero(left: Any, right: Any, *, simplify: bool = True
                       ) -> tuple[bool, sympy.Expr]:
    """Decide ``left == right`` by sympy's simplification of ``left - right``.

    Expressions sympy already built in the same canonical form are equal
    (their difference evaluates to 0 without further work: the fast path);
    otherwise ``expand`` settles polynomial identities, and anything it
    leaves non-zero goes through ``simplify`` before it is declared
    different (``simplify=False`` stops after ``expand``, for a quick first
    try whose failure proves nothing).  Returns ``(holds, residual)``.

    Examples
    --------
    >>> a, b = sympy.symbols("a b")
    >>> difference_is_zero((a + b) ** 2, a**2 + 2 * a * b + b**2)
    (True, 0)
    >>> difference_is_zero(a * b, b)
    (False, a*b - b)
    """
    if not isinstance(simplify, (bool, np.bool_)):
        raise TypeError(f"simplify must be a bool, got {simplify!r}")
    limit = MAX_EXPRESSION_NODES
    (left, lhs), (right, rhs) = _converted(left, "left", limit), _converted(right, "right", limit)
    if left == right:
        # Equal trees: nothing is simplified, so no size needs counting (the
        # count cost a proof of 4096 rows a sixth of its time).
        return True, sympy.S.Zero
    _check_nodes(lhs, "left", limit)
    _check_nodes(rhs, "right", limit)
    residual = sympy.expand(left - right)
    if simplify and residual != 0 and not _rational_polynomial(residual):
        residual = sympy.simplify(residual)
    return residual == 0, residual


def rows_agree(left: Sequence[Any], right: Sequence[Any], *, stop_after: int | None = None
               ) -> tuple[bool, list[int], sympy.Expr]:
    """Compare two equal-length sequences entry by entry with :func:`difference_is_zero`.

    Returns ``(holds, failing_indices, first_residual)``; different lengths never hold.
    ``stop_after`` failing entries end the comparison early (one already refutes).
    """
    if len(left) != len(right):
        return False, [], sympy.S.Zero
    failing: list[int] = []
    first: sympy.Expr = sympy.S.Zero
    for i, (lhs, rhs) in enumerate(zip(left, right)):
        ok, res = difference_is_zero(lhs, rhs)
        if not ok:
            if not failing:
                first = res
            failing.append(i)
            if stop_after is not None and len(failing) >= stop_after:
                break
    return not failing, failing, first


#: A sum with more terms than this is typeset as its first and last terms and a
#: count; a matrix larger than _SHOW_ROWS is summarised, and any expression of
#: more than _LATEX_NODES nodes is named, not typeset -- so every line of a
#: proof's LaTeX stays far below TeX's input buffer (and sympy.latex fast).
_SHOW_TERMS = 6
_LATEX_NODES = 400


def _tex(expr: Any) -> str:
    """``sympy.latex(expr)``, with long sums shortened and huge expressions summarised."""
    if isinstance(expr, sympy.MatrixBase):
        if expr.rows > _SHOW_ROWS or expr.cols > _SHOW_ROWS:
            return _text(f"[{expr.rows} x {expr.cols} matrix]")
        rows = [" & ".join(_tex(expr[r, c]) for c in range(expr.cols)) for r in range(expr.rows)]
        return r"\left[\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}\right]"
    if isinstance(expr, sympy.Eq):
        return _tex(expr.lhs) + " = " + _tex(expr.rhs)
    if isinstance(expr, sympy.Add) and len(expr.args) > _SHOW_TERMS:
        terms = expr.args
        shown = " + ".join(_tex(t) for t in terms[:3])
        return (r"\left(" + shown + r" + \dots + " + _tex(terms[-1]) + r"\right)_{"
                + f"{len(terms)}" + r"\ \mathrm{terms}}")
    if isinstance(expr, sympy.Basic) and _nodes(expr, _LATEX_NODES) > _LATEX_NODES:
        return _text(f"[{type(expr).__name__} of more than {_LATEX_NODES} nodes]")
    return sympy.latex(expr)


def _small(expr: Any) -> bool:
    if isinstance(expr, sympy.MatrixBase):
        return expr.rows <= _SHOW_ROWS and expr.cols <= _SHOW_ROWS
    if isinstance(expr, sympy.Eq) and any(isinstance(a, sympy.MatrixBase) for a in expr.args):
        return all(_small(a) for a in expr.args)
    return True


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$",
                "%": r"\%", "&": r"\&", "~": r"\textasciitilde{}", "^": r"\^{}",
                "_": r"\_", "<": r"\textless{}", ">": r"\textgreater{}"}
# Characters pdflatex cannot typeset in \text{} without extra packages, as maths.
_UNICODE_MATH = {"≥": r"\geq", "≤": r"\leq", "·": r"\cdot", "−": "-", "×": r"\times",
                 "→": r"\to", "⋆": r"\star", "ᵀ": r"^{T}", "∑": r"\sum", "≠": r"\neq",
                 "…": r"\dots", "⊗": r"\otimes"}
_MATH_TOKEN = re.compile(r"^[A-Za-z/]{1,6}_(?:[A-Za-z0-9]|\{[A-Za-z0-9,+\- ]*\})$")


def _escape(s: str) -> str:
    out = []
    for ch in s:
        if ch in _TEX_SPECIAL:
            out.append(_TEX_SPECIAL[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _text(s: str) -> str:
    r"""Caption text as LaTeX that compiles with pdflatex and renders in MathJax.

    Words go in ``\text{}`` with LaTeX's special characters escaped; short
    tokens with a subscript (``g_i``, ``w_{0,1}``) are maths; other names
    with underscores (``conv_matrix``) are ``\mathtt`` maths (MathJax shows
    ``\text{}`` verbatim, so an escaped underscore must not be inside it);
    ``≥`` and friends are their maths symbols.

    >>> _text("sum g_i x_j now")
    '\\text{sum }g_i\\text{ }x_j\\text{ now}'
    >>> _text("taps of conv_matrix")
    '\\text{taps of }\\mathtt{conv\\_matrix}'
    >>> _text("n ≥ k, 50% & more")
    '\\text{n }\\geq\\text{ k, 50\\% \\& more}'
    """
    parts: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if "".join(buf):
            parts.append(r"\text{" + _escape("".join(buf)) + "}")
        buf.clear()

    for word in re.split(r"(\s+)", s):
        core = word.strip("(),.:;[]'\"")
        lead = word[:len(word) - len(word.lstrip("(),.:;[]'\""))]
        trail = word[len(lead) + len(core):]
        if core and "_" in core and _MATH_TOKEN.match(core):
            buf.append(lead)
            flush()
            parts.append(core)
            buf.append(trail)
        elif core and "_" in core and re.fullmatch(r"[A-Za-z0-9_.]+", core):
            buf.append(lead)
            flush()
            parts.append(r"\mathtt{" + core.replace("_", r"\_") + "}")
            buf.append(trail)
        else:
            for ch in word:
                if ch in _UNICODE_MATH:
                    flush()
                    parts.append(_UNICODE_MATH[ch])
                else:
                    buf.append(ch)
    flush()
    return "".join(parts)


def _wrap(text: str, width: int = 110) -> list[str]:
    """``text`` in lines of about ``width`` characters (long notes fit the page)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


@dataclass
class Proof:
    """A machine-checked identity.

    Attributes
    ----------
    title : str
        What is proved, in words.
    statement : sympy object
        The claim, usually a sympy ``Eq`` (left-hand side, right-hand side).
    steps : list of (str, sympy object)
        The derivation: a caption and an expression per step.
    holds : bool
        The outcome of sympy simplifying "left - right" to zero, for every
        entry the statement covers (never assumed).
    residual : sympy object
        The simplified difference of the first failing entry (0 when it holds).
    failures : list
        Which entries (rows, weight indices, ...) failed.
    claim_latex : str
        A short LaTeX form of the statement, shown instead of a large one.
    notes : list of str
        Assumptions and the scope of what was checked.
    details : dict
        Named intermediate objects (e.g. ``"matrix"``, ``"affected_rows"``,
        ``"eigenvalues"``) for further use.

    Examples
    --------
    >>> from toeplitz_conv.symbolic import prove_equivalence
    >>> p = prove_equivalence(3, 4)
    >>> p.holds
    True
    >>> print(p.text().splitlines()[0])
    Proof: matrix times input equals the direct convolution sum (mode='full')
    """

    title: str
    statement: Any
    steps: list[tuple[str, Any]]
    holds: bool
    residual: Any = sympy.S.Zero
    failures: list[Any] = field(default_factory=list)
    claim_latex: str = ""
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        raise TypeError("use proof.holds, not the truth value of a Proof")

    def text(self) -> str:
        """A readable plain-text account of the proof."""
        lines = [f"Proof: {self.heading}"]
        stmt = self.statement if _small(self.statement) else None
        lines.append("  claim: " + (sympy.sstr(stmt) if stmt is not None
                                    else self.claim_latex or "(large statement)"))
        for note in self.notes:
            lines.append(f"  note: {note}")
        for i, (caption, expr) in enumerate(self.steps, 1):
            shown = sympy.sstr(expr) if _small(expr) else f"<{type(expr).__name__} {expr.shape}>"
            lines.append(f"  step {i}. {caption}: {shown}")
        lines.append(f"  holds = {self.holds}")
        if not self.holds:
            lines.append(f"  failing entries: {self.failures[:10]}"
                         + (" ..." if len(self.failures) > 10 else ""))
            lines.append(f"  first non-zero residual: {sympy.sstr(self.residual)}")
        return "\n".join(lines)

    __str__ = text

    def __repr__(self) -> str:
        return f"Proof({self.title!r}, holds={self.holds})"

    @property
    def heading(self) -> str:
        """The title, marked as refuted when the claim does not hold."""
        return self.title if self.holds else f"REFUTED claim: {self.title}"

    def to_latex(self, document: bool = False) -> str:
        r"""The proof as LaTeX: heading, the general formula, the claim, steps, verdict.

        An ``array`` for a display-math block (amsmath; compiles with
        pdflatex), or with ``document=True`` a complete ``article`` to
        compile as it is.
        """
        rows = [_text(self.heading + ":")]
        if self.claim_latex:
            rows.append(self.claim_latex)
        if _small(self.statement):
            rows.append(_tex(self.statement))
        for note in self.notes:
            rows += [_text(part) for part in _wrap("(" + note + ")")]
        for i, (caption, expr) in enumerate(self.steps, 1):
            body = _tex(expr) if _small(expr) else _text(
                f"[{type(expr).__name__} of shape {getattr(expr, 'shape', '?')}]")
            rows.append(_text(f"{i}. {caption}:") + r"\quad " + body)
        verdict = r"\text{holds} = " + (r"\mathrm{True}" if self.holds else r"\mathrm{False}")
        if not self.holds:
            verdict += r"\quad\text{residual: } " + _tex(self.residual)
        rows.append(verdict)
        # One row per line: no line comes near TeX's input buffer.
        body = "\\begin{array}{l}\n" + " \\\\\n".join(rows) + "\n\\end{array}"
        if not document:
            return body
        return ("\\documentclass{article}\n\\usepackage{amsmath}\n"
                "\\usepackage[margin=1cm,paperwidth=60cm,paperheight=200cm]{geometry}\n"
                "\\setcounter{MaxMatrixCols}{64}\n\\begin{document}\n\\[" + body
                + "\\]\n\\end{document}\n")

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"
