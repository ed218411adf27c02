"""The numbers a variant's page prints: ``y = A x``, each output's sum, and the gradients.

Every number is computed here by the variant's own :class:`~toeplitz_conv.tied.TiedMatrix`
(``A @ x``, ``A.T @ g``, :meth:`~toeplitz_conv.tied.TiedMatrix.weight_grad`) and
formatted once (:func:`fmt_number`); every sum is written term by term from the
matrix's taps, so what the page shows is exactly what the matrix adds up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tied import TiedMatrix

__all__ = ["fmt_number", "gradient", "numbers", "random_grad_out"]


def fmt_number(v: float) -> str:
    """A value as the page prints it: 6 significant digits, ``-0`` as ``0``.

    >>> fmt_number(52.0), fmt_number(-0.0), fmt_number(1 / 3)
    ('52', '0', '0.333333')
    """
    return f"{float(v) + 0.0:.6g}"


def _factor(text: str) -> str:
    """A negative number in a product gets parentheses: ``5·(-1)``."""
    return f"({text})" if text.startswith("-") else text


def numbers(a: TiedMatrix, x: np.ndarray, rows: np.ndarray, cols: np.ndarray,
            widx: np.ndarray) -> dict[str, Any]:
    """Input values, ``y = A x`` (by the matrix) and each output's sum of products.

    One term per tap, ``weight value · input value``, in column order, so the
    sum shown is exactly what the matrix row adds up.

    >>> from toeplitz_conv import conv_matrix
    >>> a = conv_matrix([5, 6, 7], 4)
    >>> numbers(a, np.array([1.0, 2, 3, 4]), *a.taps)["sums"][1]
    '6·1 + 5·2 = 16'
    """
    y = a @ x
    wv = np.asarray(a.weight).ravel()
    xt = [fmt_number(v) for v in x.tolist()]
    # each value formatted (and parenthesised) once, not once per tap
    fx = [_factor(t) for t in xt]
    fw = [_factor(fmt_number(v)) for v in wv.tolist()]
    order = np.lexsort((widx, cols, rows))
    terms: list[list[str]] = [[] for _ in range(a.shape[0])]
    for r, c, w in zip(rows[order].tolist(), cols[order].tolist(), widx[order].tolist()):
        terms[r].append(f"{fw[w]}·{fx[c]}")
    yt = [fmt_number(v) for v in np.asarray(y).tolist()]
    return {"x": xt, "y": yt,
            "sums": [(" + ".join(t) if t else "0") + f" = {yt[r]}" for r, t in enumerate(terms)]}


def random_grad_out(m: int) -> np.ndarray:
    """The ``grad_out`` a page uses when none is given: small nonzero integers, the same every run.

    Integers keep every product and sum of the gradient view easy to check by hand.

    >>> random_grad_out(4).tolist() == random_grad_out(4).tolist()
    True
    >>> bool(np.all(np.isin(np.abs(random_grad_out(50)), [1, 2, 3])))
    True
    """
    gen = np.random.default_rng(2026 + m)
    return (gen.integers(1, 4, size=m) * gen.choice([-1, 1], size=m)).astype(float)


def gradient(a: TiedMatrix, x: np.ndarray | None, g: np.ndarray, rows: np.ndarray,
             cols: np.ndarray, widx: np.ndarray, col_short: list[str],
             random: bool) -> dict[str, Any]:
    """The gradient view's numbers for ``dL/dy = g``.

    ``w_sums[j]`` writes ``dL/dw_j`` as the sum over exactly the taps of
    weight ``j`` (one ``x[c]·g[r]`` per tied position, rows then columns) with
    the total from :meth:`~toeplitz_conv.tied.TiedMatrix.weight_grad`; without
    ``x`` the inputs are named and no total is known.  ``x_sums[c]`` writes
    ``dL/dx_c`` as the column sum ``Σ w·g[r]`` with the total ``(A.T @ g)[c]``.

    >>> from toeplitz_conv import conv_matrix
    >>> a = conv_matrix([5, 6, 7], 4)
    >>> gr = gradient(a, np.array([1.0, 2, 3, 4]), np.array([1.0, 0, -1, 2, 0, 1]),
    ...               *a.taps, ["x0", "x1", "x2", "x3"], False)
    >>> gr["w_sums"][1]
    '1·0 + 2·(-1) + 3·2 + 4·0 = 4'
    >>> gr["w"][1], gr["x_sums"][0]
    ('4', '5·1 + 6·0 + 7·(-1) = -2')
    """
    n = a.shape[1]
    gt = [fmt_number(v) for v in g.tolist()]
    # each value formatted (and parenthesised) once, not once per tap
    fg = [_factor(t) for t in gt]
    fw = [_factor(fmt_number(v)) for v in np.asarray(a.weight).ravel().tolist()]
    fx = col_short if x is None else [_factor(fmt_number(v)) for v in x.tolist()]
    n_w = int(np.asarray(a.weight).size)
    by_w: list[list[str]] = [[] for _ in range(n_w)]
    by_c: list[list[str]] = [[] for _ in range(n)]
    order = np.lexsort((widx, cols, rows))
    for r, c, w in zip(rows[order].tolist(), cols[order].tolist(), widx[order].tolist()):
        by_w[w].append(f"{fx[c]}·{fg[r]}")
    for r, c, w in zip(*(v[np.lexsort((widx, rows, cols))].tolist() for v in (rows, cols, widx))):
        by_c[c].append(f"{fw[w]}·{fg[r]}")
    gx = np.asarray(a.T @ g).ravel()
    xg = [fmt_number(v) for v in gx.tolist()]
    wg = None if x is None else [fmt_number(v) for v in
                                 np.asarray(a.weight_grad(x, g)).ravel().tolist()]
    return {
        "g": gt, "random": bool(random),
        "w": wg,
        "w_sums": [(" + ".join(t) if t else "0") + ("" if wg is None else f" = {wg[j]}")
                   for j, t in enumerate(by_w)],
        "w_terms": [len(t) for t in by_w],
        "x": xg,
        "x_sums": [(" + ".join(t) if t else "0") + f" = {xg[c]}" for c, t in enumerate(by_c)],
    }
