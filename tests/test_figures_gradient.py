"""weight_gradient: the drawn sums are the gradient torch's autograd gives.

The reference is the discrete definition ``s_t = sum_a x_a w_{t-a}`` written
in torch here, cut to scipy's 'valid'/'same' windows, differentiated by
autograd with the loss ``sum(g * s)``.
"""

import matplotlib
import numpy as np
import pytest

from toeplitz_conv import figures as F
from toeplitz_conv.figures._gradient import _check_sums
from toeplitz_conv.figures._points import MIN_PT, SLIDE_AREAS, text_sizes

matplotlib.use("Agg")
torch = pytest.importorskip("torch")


def autograd_grad(w, x, g, mode, correlate):
    wt = torch.tensor(np.asarray(w, float), requires_grad=True)
    k, n = len(w), len(x)
    ker = wt.flip(0) if correlate else wt
    full = [sum(x[a] * ker[t - a] for a in range(n) if 0 <= t - a < k)
            for t in range(n + k - 1)]
    start = {"full": 0, "valid": k - 1, "same": (k - 1) // 2}[mode]
    size = {"full": n + k - 1, "valid": n - k + 1, "same": n}[mode]
    s = torch.stack([torch.as_tensor(v, dtype=torch.float64)
                     for v in full[start:start + size]])
    (s * torch.tensor(np.asarray(g, float))).sum().backward()
    return wt.grad.numpy()


@pytest.mark.parametrize("seed", range(6))
def test_weight_gradient_is_autograd(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    n = int(rng.integers(k, 6))
    mode = ("full", "valid", "same")[seed % 3]
    w = rng.integers(-4, 5, k)
    x = rng.integers(-4, 5, n)
    m = {"full": n + k - 1, "valid": n - k + 1, "same": n}[mode]
    g = rng.integers(-3, 4, m)
    correlate = bool(seed % 2)
    d = F.figure_data(F.weight_gradient(w, n, mode, x=x, grad_out=g, correlate=correlate))
    ref = autograd_grad(w, x, g, mode, correlate)
    np.testing.assert_allclose(d["grad"], ref)
    np.testing.assert_allclose([v for _, _, v in d["sums"]], ref)
    # Each sum lists one product per tied position: as many as the weight's cells.
    tie = d["matrix"].toarray() != 0
    assert sum(len(terms) for _, terms, _ in d["sums"]) == len(d["matrix"].taps[0]) >= tie.sum()


def test_the_worked_example_and_the_check_can_fail():
    d = F.figure_data(F.weight_gradient())          # x = [1, 2, 3, 4], w = [5, 6, 7], full
    assert d["x"].tolist() == [1, 2, 3, 4]
    assert [len(t) for _, t, _ in d["sums"]] == [4, 4, 4]
    np.testing.assert_allclose(d["grad"], autograd_grad([5, 6, 7], [1, 2, 3, 4],
                                                        d["grad_out"], "full", False))
    with pytest.raises(RuntimeError, match="weight_grad gives"):
        _check_sums(d["sums"], d["grad"] + np.array([0, 1, 0]),
                    {j: [float(product_value(t)) for t in terms] for j, terms, _ in d["sums"]})


def product_value(term):
    a, b = term.replace("(", "").replace(")", "").replace("−", "-").split("·")
    return float(a) * float(b)


@pytest.mark.parametrize("slide", list(SLIDE_AREAS))
def test_weight_gradient_slide_text(slide):
    fig = F.weight_gradient(slide=slide, title=False)
    assert tuple(fig.get_size_inches() * 72) == pytest.approx(SLIDE_AREAS[slide])
    assert min(pt for _, pt in text_sizes(fig)) >= MIN_PT


def test_bad_input_is_one_clear_error():
    with pytest.raises(ValueError, match="overflow"):
        F.weight_gradient([1, 1], 4, x=[1e308] * 4, grad_out=[1e308] * 5)
    with pytest.raises(ValueError, match="grad_out must be finite"):
        F.weight_gradient(grad_out=[np.nan] * 6)
    with pytest.raises(ValueError, match="1-D"):
        F.weight_gradient([[1, 2]])
    with pytest.raises(TypeError, match="labels must be"):
        F.spatial(labels=5)
    with pytest.raises(ValueError, match="x must be finite"):
        F.spatial(3, 4, x=[np.inf, 1, 2, 3])
    with pytest.raises(TypeError, match="out must be a directory path"):
        F.lecture_deck(5)
