"""A step-by-step derivation for a notebook: definition, matrix, gradient, tied sum, convolution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .._typing import Mode
from ._fixed_size import prove_equivalence, prove_weight_gradient
from ._matrix import latex as matrix_latex
from ._matrix import symbolic_matrix
from ._proof_result import Proof, _tex, _text

__all__ = ["Derivation", "derive_weight_gradient"]


@dataclass
class Derivation:
    """Steps ``(title, LaTeX, justification)``, each justified by a machine-checked proof.

    Attributes
    ----------
    steps : list of (str, str, str)
        The step's name, its maths (LaTeX) and why it holds (the proof and its outcome).
    proofs : list of Proof
        The proofs the justifications cite; :attr:`holds` is all of them holding.
    """

    title: str
    steps: list[tuple[str, str, str]]
    proofs: list[Proof]

    @property
    def holds(self) -> bool:
        """Every cited proof holds (sympy decided each, nothing assumed)."""
        return all(p.holds for p in self.proofs)

    def to_latex(self) -> str:
        """The derivation as an ``align*``-free ``array`` (pdflatex and MathJax alike)."""
        rows = [_text(self.title)]
        for i, (name, maths, why) in enumerate(self.steps, 1):
            rows += [_text(f"{i}. {name}:") + r"\quad " + maths,
                     r"\qquad " + _text(f"({why})")]
        return "\\begin{array}{l}\n" + " \\\\\n".join(rows) + "\n\\end{array}"

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"

    def text(self) -> str:
        """Plain text: the step names and their justifications."""
        return "\n".join([self.title] + [f"{i}. {n}: {w}" for i, (n, _, w) in
                                          enumerate(self.steps, 1)])


def derive_weight_gradient(kernel_size: int = 3, n: int = 4, mode: Mode = "full") -> Derivation:
    """Derive ``dL/dw`` of a 1-D convolution step by step, each step proved by sympy.

    definition -> matrix -> gradient (chain rule) -> sum over the tied
    positions -> the convolution form (the correlation of ``g`` with ``x``).

    Examples
    --------
    >>> d = derive_weight_gradient(3, 4)
    >>> d.holds, len(d.steps)
    (True, 5)
    >>> print(d.text().splitlines()[1])
    1. definition: the direct sum, proved equal to A x by prove_equivalence: holds
    """
    eq = prove_equivalence(kernel_size, n, mode)
    grad = prove_weight_gradient(kernel_size, n, mode)
    a = symbolic_matrix(kernel_size, n, mode)
    autodiff, tied, corr = (grad.steps[i][1] for i in (1, 2, 3))
    w = grad.details["weights"]
    dl = [sympy.Symbol(rf"\frac{{\partial L}}{{\partial {sympy.latex(v)}}}") for v in w]

    def column(left: list[Any], right: Any) -> str:
        return r"\begin{aligned}" + r" \\ ".join(
            f"{sympy.latex(lh)} &= {_tex(rh)}" for lh, rh in zip(left, list(right))) \
            + r"\end{aligned}"

    verdict = {True: "holds", False: "REFUTED"}
    steps = [
        ("definition", r"y_i = \sum_{m=0}^{k-1} w_m\, x_{i-m}",
         f"the direct sum, proved equal to A x by prove_equivalence: {verdict[eq.holds]}"),
        ("matrix", r"y = A x,\quad A = " + matrix_latex(a) if a.rows <= 12 and a.cols <= 12
         else r"y = A x",
         "A placed from conv_matrix's taps; each row is the definition's sum (same proof)"),
        ("gradient", r"\frac{\partial L}{\partial w_m} = \sum_i g_i \frac{\partial y_i}"
         r"{\partial w_m},\quad g_i = \frac{\partial L}{\partial y_i}:\quad "
         + column(dl, autodiff),
         f"chain rule; sympy's Jacobian of the rows (prove_weight_gradient: "
         f"{verdict[grad.holds]})"),
        ("sum over tied positions", r"\frac{\partial L}{\partial w_m} = "
         r"\sum_{(r,c)\,:\,A_{rc} = w_m} g_r x_c:\quad " + column(dl, tied),
         "w_m sits at every position tied to it; each position adds g_r x_c "
         "(autodiff = tied sum, the same proof)"),
        ("the convolution form", r"\frac{\partial L}{\partial w_m} = \sum_o g_o\, x_{o-m}"
         r" = (g \star x)_m:\quad " + column(dl, corr),
         "the tied sum is the cross-correlation of g with x, from its definition "
         "(tied sum = correlation, the same proof)"),
    ]
    return Derivation(title=f"the gradient of a {kernel_size}-tap convolution of {n} samples "
                            f"(mode={mode!r}) with respect to its weights",
                      steps=steps, proofs=[eq, grad])
