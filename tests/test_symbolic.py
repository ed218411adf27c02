"""The symbolic module: tap-built sympy matrices against scipy/numpy/torch, and proofs
that hold for many configurations and fail for deliberately wrong statements."""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import sympy

from toeplitz_conv import conv_matrix, layer_matrix
from toeplitz_conv.symbolic import (
    Proof,
    latex,
    prove_associativity,
    prove_commutativity,
    prove_convolution_theorem,
    prove_equivalence,
    prove_equivalence_general,
    prove_layer_equivalence,
    prove_layer_weight_gradient,
    prove_shift_equivariance,
    prove_weight_gradient,
    symbol_array,
    symbolic_layer_matrix,
    symbolic_matrix,
)

from ._cli import run_cli
from .conftest import requires_torch

MODES = ("full", "valid", "same")
K_SYM = sympy.Symbol("k", integer=True, positive=True)


def numeric(expr_matrix, symbols, values):
    sub = dict(zip(symbols, values))
    return np.array(expr_matrix.subs(sub).tolist(), dtype=float)


# ------------------------------------------------------------------ matrices
def test_seed_matrix_is_the_6x4_toeplitz():
    a = symbolic_matrix(3, 4)
    w0, w1, w2 = sympy.symbols("w_0 w_1 w_2", real=True)
    expected = sympy.Matrix([[w0, 0, 0, 0], [w1, w0, 0, 0], [w2, w1, w0, 0],
                             [0, w2, w1, w0], [0, 0, w2, w1], [0, 0, 0, w2]])
    assert a == expected


def test_substituted_matrix_equals_conv_matrix_and_scipy_1d():
    rng = np.random.default_rng(0)
    for _ in range(40):
        k = int(rng.integers(1, 6))
        n = int(rng.integers(k, k + 6))
        mode = MODES[rng.integers(3)]
        correlate = bool(rng.integers(2))
        boundary = ("fill", "wrap", "symm")[rng.integers(3)]
        kern = rng.integers(-9, 10, size=k).astype(float)
        w = symbol_array("w", (k,))
        a = symbolic_matrix(k, n, mode, correlate=correlate, boundary=boundary)
        num = numeric(a, w, kern)
        ref = conv_matrix(kern, n, mode, correlate=correlate, boundary=boundary).toarray()
        np.testing.assert_array_equal(num, ref)
        x = rng.standard_normal(n)
        if boundary == "fill":
            f = scipy.signal.correlate if correlate else scipy.signal.convolve
            want = f(x, kern, mode)
        else:
            kk = kern[::-1] if correlate else kern
            want = scipy.signal.convolve2d(x[None], kk[None], mode, boundary=boundary)[0]
        np.testing.assert_allclose(num @ x, want, atol=1e-9)


def test_substituted_matrix_equals_scipy_2d_and_strided():
    rng = np.random.default_rng(1)
    for _ in range(12):
        ks = tuple(int(v) for v in rng.integers(1, 4, size=2))
        ns = tuple(int(k + rng.integers(0, 3)) for k in ks)
        mode = MODES[rng.integers(3)]
        correlate = bool(rng.integers(2))
        kern = rng.integers(-5, 6, size=ks).astype(float)
        a = symbolic_matrix(ks, ns, mode, correlate=correlate)
        num = numeric(a, symbol_array("w", ks).ravel(), kern.ravel())
        x = rng.standard_normal(ns)
        f = scipy.signal.correlate if correlate else scipy.signal.convolve
        np.testing.assert_allclose(num @ x.ravel(), f(x, kern, mode).ravel(), atol=1e-9)
        s = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        a_s = symbolic_matrix(ks, ns, mode, correlate=correlate, stride=s)
        num_s = numeric(a_s, symbol_array("w", ks).ravel(), kern.ravel())
        np.testing.assert_allclose(num_s @ x.ravel(),
                                   f(x, kern, mode)[::s[0], ::s[1]].ravel(), atol=1e-9)


def test_user_symbols_numbers_and_sparse():
    a, b = sympy.symbols("a b")
    m = symbolic_matrix([a, 2 * b, 3], 3, "same")
    assert m[1, 1] == 2 * b and m[0, 0] == 2 * b and m[1, 0] == 3
    # plain symbols stand for real weights: a student's correlation has no conjugate
    mc = symbolic_matrix([a, b], 2, "valid", correlate=True)
    assert mc[0, 0] == a
    # conjugated when sympy knows the weight is not real, or when asked for
    z = sympy.I * sympy.Symbol("r", positive=True)
    assert symbolic_matrix([z, b], 2, "valid", correlate=True)[0, 0] == -z
    assert symbolic_matrix([a, b], 2, "valid", correlate=True,
                           conjugate=True)[0, 0] == sympy.conjugate(a)
    assert prove_equivalence([a, z], 3, correlate=True).holds
    assert prove_equivalence([a, b], 3, correlate=True, conjugate=True).holds
    sp_m = symbolic_matrix(3, 50, sparse=True)
    assert isinstance(sp_m, sympy.SparseMatrix) and sp_m.shape == (52, 50)
    assert sp_m == sympy.Matrix(symbolic_matrix(3, 50))


def test_layer_matrix_symbolic_equals_numeric_block_matrix():
    rng = np.random.default_rng(2)
    for kw in ({}, {"stride": 2, "padding": 1}, {"dilation": 2, "padding": "same"},
               {"groups": 2}, {"padding": 1, "padding_mode": "circular"}):
        wshape = (2, 1 if kw.get("groups") else 2, 3)
        weight = rng.integers(-5, 6, size=wshape).astype(float)
        a = symbolic_layer_matrix(wshape, (2, 6), **kw)
        num = numeric(a, symbol_array("w", wshape).ravel(), weight.ravel())
        np.testing.assert_array_equal(num, layer_matrix(weight, (2, 6), **kw).toarray())


@requires_torch
def test_layer_matrix_symbolic_matches_torch():
    import torch

    rng = np.random.default_rng(3)
    weight = rng.standard_normal((2, 3, 2, 2))
    x = rng.standard_normal((3, 4, 5))
    a = symbolic_layer_matrix(weight.shape, x.shape, stride=(1, 2), padding=1)
    num = numeric(a, symbol_array("w", weight.shape).ravel(), weight.ravel())
    want = torch.nn.functional.conv2d(torch.tensor(x)[None], torch.tensor(weight),
                                      stride=(1, 2), padding=1)[0].numpy()
    np.testing.assert_allclose(num @ x.ravel(), want.ravel(), atol=1e-9)


def test_latex_helper():
    text = latex(symbolic_matrix(2, 2))
    assert text.startswith(r"\begin{bmatrix}") and r"\cdot" in text and "w_{0}" in text
    assert r"\cdot" not in latex(symbolic_matrix(2, 2), zero="0")
    assert latex(symbolic_matrix(2, 2), zero="·") == text
    assert latex(conv_matrix([1, 2], 2), zero="0") == latex(np.array([[1, 0], [2, 1], [0, 2]]),
                                                           zero="0")


# ----------------------------------------------------------- equivalence
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("correlate", [False, True])
def test_equivalence_holds_and_unflipped_fails(mode, correlate):
    rng = np.random.default_rng(2 * MODES.index(mode) + correlate)
    for _ in range(6):
        k = int(rng.integers(2, 6))
        # n > k: for k = n = 2 the mirrored boundary makes both sums coincide
        n = int(rng.integers(k + 1, k + 8))
        boundary = ("fill", "wrap", "symm")[rng.integers(3)]
        stride = int(rng.integers(1, 3))
        p = prove_equivalence(k, n, mode, correlate=correlate, boundary=boundary, stride=stride)
        assert p.holds, (k, n, boundary, stride, p.text())
        assert p.residual == 0 and p.failures == []
        bad = prove_equivalence(k, n, mode, correlate=correlate, boundary=boundary,
                                stride=stride, claim="unflipped")
        assert bad.holds is False and bad.failures and bad.residual != 0


def test_equivalence_2d_and_large():
    assert prove_equivalence((2, 3), (4, 4), "same").holds
    assert prove_equivalence((2, 2), (3, 3), "full", correlate=True, stride=2).holds
    assert not prove_equivalence((2, 2), (3, 3), "valid", claim="unflipped").holds
    p = prove_equivalence(5, 300)
    assert p.holds and len(p.details["rows"]) == 304


def test_equivalence_rows_with_numbers_match_scipy():
    rng = np.random.default_rng(4)
    kern = rng.integers(-9, 10, size=4)
    x = rng.integers(-9, 10, size=7)
    p = prove_equivalence(4, 7, "same")
    sub = dict(zip(symbol_array("w", (4,)), kern.tolist()))
    sub.update(zip(p.details["x"], x.tolist()))
    got = [int(r.subs(sub)) for r in p.details["rows"]]
    assert got == scipy.signal.convolve(x, kern, "same").tolist()


# ------------------------------------------------------ layer equivalence
LAYER_CASES = [({}, "zeros"), ({"stride": 2, "padding": 1}, "circular"),
               ({"padding": "same", "dilation": 2}, "replicate"),
               ({"groups": 2, "padding": 2}, "reflect"), ({"padding": "valid"}, "zeros")]


@pytest.mark.parametrize("kw,padding_mode", LAYER_CASES)
def test_layer_equivalence_holds_and_flipped_fails(kw, padding_mode):
    wshape = (2, 1 if kw.get("groups") else 2, 3)
    assert prove_layer_equivalence(wshape, (2, 7), padding_mode=padding_mode, **kw).holds
    assert not prove_layer_equivalence(wshape, (2, 7), padding_mode=padding_mode,
                                       claim="flipped", **kw).holds


@pytest.mark.parametrize("kw,padding_mode", LAYER_CASES)
def test_layer_weight_gradient_holds_and_wrong_claims_fail(kw, padding_mode):
    wshape = (2, 1 if kw.get("groups") else 2, 3)
    args = (wshape, (2, 7))
    assert prove_layer_weight_gradient(*args, padding_mode=padding_mode, **kw).holds
    for claim in ("no-sum", "flipped"):
        assert not prove_layer_weight_gradient(*args, padding_mode=padding_mode, claim=claim,
                                               **kw).holds


@requires_torch
def test_layer_weight_gradient_with_numbers_matches_torch_autograd():
    import torch

    rng = np.random.default_rng(10)
    wshape, kw = (2, 1, 2, 2), {"stride": (1, 2), "padding": 1, "groups": 2,
                                "padding_mode": "circular"}
    p = prove_layer_weight_gradient(wshape, (2, 3, 4), **kw)
    assert p.holds
    weight = torch.tensor(rng.standard_normal(wshape), requires_grad=True)
    x = rng.standard_normal((2, 3, 4))
    layer = torch.nn.Conv2d(2, 2, 2, bias=False, dtype=torch.float64, **kw)
    with torch.no_grad():
        layer.weight.copy_(weight)
    y = layer(torch.tensor(x)[None])[0]
    g = rng.standard_normal(tuple(y.shape))
    (y * torch.tensor(g)).sum().backward()
    sub = dict(zip(p.details["x"], x.ravel().tolist()))
    sub.update(zip(p.details["g"], g.ravel().tolist()))
    got = np.array([float(e.subs(sub)) for e in p.details["gradient"]])
    np.testing.assert_allclose(got, layer.weight.grad.numpy().ravel(), atol=1e-9)


def test_layer_equivalence_2d():
    assert prove_layer_equivalence((2, 1, 2, 3), (1, 4, 5), stride=(2, 1), padding=(1, 2),
                                   padding_mode="reflect").holds


@requires_torch
@pytest.mark.parametrize("kw,padding_mode", LAYER_CASES)
def test_layer_equivalence_rows_with_numbers_match_torch(kw, padding_mode):
    import torch

    rng = np.random.default_rng(9)
    wshape = (2, 1 if kw.get("groups") else 2, 3)
    weight = rng.standard_normal(wshape)
    x = rng.standard_normal((2, 7))
    p = prove_layer_equivalence(wshape, (2, 7), padding_mode=padding_mode, **kw)
    sub = dict(zip(symbol_array("w", wshape).ravel(), weight.ravel().tolist()))
    sub.update(zip(p.details["x"], x.ravel().tolist()))
    got = np.array([float(r.subs(sub)) for r in p.details["definition"]])
    layer = torch.nn.Conv1d(2, 2, 3, bias=False, padding_mode=padding_mode,
                            dtype=torch.float64, **{"padding": 0, **kw})
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        want = layer(torch.tensor(x)[None])[0].numpy().ravel()
    np.testing.assert_allclose(got, want, atol=1e-9)


# ------------------------------------------------------------- general n
def test_general_n_holds_for_all_modes_and_kernel_lengths():
    for k in (2, 3, 4, K_SYM):
        for mode in MODES:
            for correlate in (False, True):
                p = prove_equivalence_general(k, mode, correlate=correlate)
                assert p.holds, (k, mode, correlate, p.text())
                n = sympy.Symbol("n", integer=True, positive=True)
                assert any(isinstance(e, sympy.Basic) and e.has(n) for _, e in p.steps)
    assert prove_equivalence_general(3, "same", stride=2).holds
    assert prove_equivalence_general([sympy.Symbol("a"), 2, 5], "valid").holds


def test_general_n_wrong_claim_is_refuted():
    for k in (2, 3, K_SYM):
        for mode in ("full", "same"):
            p = prove_equivalence_general(k, mode, claim="unflipped")
            assert p.holds is False, (k, mode)
            assert p.residual != 0


def test_general_n_renders_latex():
    p = prove_equivalence_general(3)
    text = p._repr_latex_()
    assert text.startswith("$$") and r"\mathrm{True}" in text and r"\tilde x" in text


# -------------------------------------------------------- weight gradient
def test_weight_gradient_holds_and_wrong_claims_fail():
    rng = np.random.default_rng(5)
    for _ in range(10):
        k = int(rng.integers(2, 5))
        n = int(rng.integers(k, k + 5))
        mode = MODES[rng.integers(3)]
        correlate = bool(rng.integers(2))
        stride = int(rng.integers(1, 3))
        kw = {"correlate": correlate, "stride": stride}
        assert prove_weight_gradient(k, n, mode, **kw).holds
        assert not prove_weight_gradient(k, n, mode, claim="convolution", **kw).holds
        p = prove_weight_gradient(k, n, mode, claim="no-sum", **kw)
        # dropping the sum is only wrong when some weight sits at several positions
        tied = max(len(e.args) if isinstance(e, sympy.Add) else 1
                   for e in p.details["gradient"])
        assert p.holds is (tied == 1)
    assert prove_weight_gradient((2, 2), (3, 3), "same", boundary="wrap").holds


def test_weight_gradient_with_numbers_matches_numpy_correlation():
    rng = np.random.default_rng(6)
    x = rng.integers(-5, 6, size=5)
    g = rng.integers(-5, 6, size=7)
    p = prove_weight_gradient(3, 5, "full")
    sub = dict(zip(p.details["x"], x.tolist()))
    sub.update(zip(p.details["g"], g.tolist()))
    got = [int(e.subs(sub)) for e in p.details["gradient"]]
    assert got == np.correlate(g, x, "valid").tolist()


# ----------------------------------------------------- shift equivariance
def test_circular_shift_equivariance():
    for k, n, s in [(1, 3, 1), (3, 5, 2), (4, 6, 3), (2, 4, -1), (5, 3, 1)]:
        for correlate in (False, True):
            assert prove_shift_equivariance(k, n, s, correlate=correlate).holds
            assert not prove_shift_equivariance(k, n, s, correlate=correlate,
                                                claim="wrong-shift").holds


def test_zero_padding_affected_rows_match_a_numeric_experiment():
    rng = np.random.default_rng(7)
    for _ in range(12):
        k = int(rng.integers(2, 5))
        n = int(rng.integers(k, k + 5))
        s = int(rng.integers(1, n))
        mode = MODES[rng.integers(3)]
        p = prove_shift_equivariance(k, n, s, boundary="fill", mode=mode)
        assert p.holds, p.text()
        kern = rng.standard_normal(k)
        x = rng.standard_normal(n)
        shifted_in = np.r_[np.zeros(s), x[:n - s]]
        y = scipy.signal.convolve(x, kern, mode)
        shifted_out = np.r_[np.zeros(s), y[:len(y) - s]][:len(y)]
        differ = np.flatnonzero(~np.isclose(scipy.signal.convolve(shifted_in, kern, mode),
                                            shifted_out, atol=1e-12))
        assert differ.tolist() == p.details["affected_rows"], (k, n, s, mode)
        if p.details["affected_rows"]:
            assert not prove_shift_equivariance(k, n, s, boundary="fill", mode=mode,
                                                claim="no-rows-affected").holds


# ----------------------------------------------------- convolution theorem
def test_convolution_theorem_holds_and_matches_numpy_fft():
    rng = np.random.default_rng(8)
    for k, n in [(1, 1), (2, 2), (3, 4), (3, 5), (2, 6), (4, 3)]:
        p = prove_convolution_theorem(k, n)
        assert p.holds, (k, n)
        kern = rng.standard_normal(k)
        sub = dict(zip(symbol_array("w", (k,)), kern.tolist()))
        c = np.array(p.details["matrix"].subs(sub).tolist(), dtype=float)
        padded = np.zeros(n)
        np.add.at(padded, np.arange(k) % n, kern)           # kernels longer than n wrap
        np.testing.assert_allclose(c, scipy.linalg.circulant(padded), atol=1e-12)
        eig = np.array([complex(sympy.N(e.subs(sub))) for e in p.details["eigenvalues"]])
        np.testing.assert_allclose(eig, np.fft.fft(padded), atol=1e-9)
    for k, n in [(2, 3), (3, 4), (3, 5)]:
        assert not prove_convolution_theorem(k, n, claim="inverse-dft").holds


# ------------------------------------------------ associativity, commutativity
def test_associativity_and_commutativity():
    for a, b, n in [(1, 1, 1), (2, 3, 3), (3, 2, 4), (4, 4, 2)]:
        assert prove_associativity(a, b, n).holds
        if a > 1 and b > 1:
            assert not prove_associativity(a, b, n, claim="correlation").holds
    for a, n in [(1, 1), (2, 3), (3, 4), (5, 2)]:
        assert prove_commutativity(a, n).holds
        if a > 1 and n > 1:
            assert not prove_commutativity(a, n, claim="correlation").holds
    assert prove_associativity([1, 2], [3, sympy.Symbol("t")], 2).holds


# -------------------------------------------------- independent references
REFERENCE_ALLOWED = {"toeplitz_conv._validation", "toeplitz_conv._typing"}


def _imported_modules(path, package):
    """Every module a file imports, relative imports resolved against ``package``."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            found.add(mod)
            # ``from .. import signal`` imports a module through its package.
            found.update(f"{mod}.{alias.name}" for alias in node.names)
    return found


def test_reference_module_never_imports_the_core_or_a_builder():
    from pathlib import Path

    import toeplitz_conv.symbolic._reference as ref

    mods = _imported_modules(Path(ref.__file__), "toeplitz_conv.symbolic")
    ours = {m for m in mods if m == "toeplitz_conv" or m.startswith("toeplitz_conv.")}
    assert not ours - REFERENCE_ALLOWED, sorted(ours - REFERENCE_ALLOWED)
    assert "written from the definitions" in " ".join(ref.__doc__.split())


def test_import_walker_sees_core_imports(tmp_path):
    # The guard above is only as good as the walker: it must see each form.
    f = tmp_path / "m.py"
    for line, hit in [("from ..geometry import signal_axis", "toeplitz_conv.geometry"),
                      ("from .. import signal", "toeplitz_conv.signal"),
                      ("from .._assemble import assemble", "toeplitz_conv._assemble"),
                      ("import toeplitz_conv.layers", "toeplitz_conv.layers"),
                      ("from toeplitz_conv import conv_matrix", "toeplitz_conv")]:
        f.write_text("def g():\n    " + line + "\n")
        assert hit in _imported_modules(f, "toeplitz_conv.symbolic"), line


def test_valid_with_a_longer_kernel_is_proved():
    from toeplitz_conv.symbolic import prove_equivalence, prove_weight_gradient

    assert prove_equivalence(5, 3, "valid").holds
    assert prove_equivalence(5, 3, "valid", correlate=True).holds
    assert prove_equivalence((3, 4), (2, 3), "valid", boundary="wrap").holds
    assert prove_weight_gradient(4, 2, "valid").holds


def test_references_match_scipy_with_numbers():
    from toeplitz_conv.symbolic._reference import direct_outputs

    rng = np.random.default_rng(3)
    for _ in range(30):
        # kernels longer than the input too: 'valid' then swaps, as scipy
        k, n = int(rng.integers(1, 9)), int(rng.integers(4, 8))
        mode, correlate = MODES[rng.integers(3)], bool(rng.integers(2))
        w, x = rng.integers(-5, 6, size=k), rng.integers(-5, 6, size=n)
        got = direct_outputs(w.astype(object), x.astype(object), mode, correlate=correlate)
        fn = scipy.signal.correlate if correlate else scipy.signal.convolve
        assert [int(v) for v in got] == fn(x, w, mode).tolist(), (k, n, mode, correlate)
    w, x = rng.integers(-5, 6, size=(2, 3)), rng.integers(-5, 6, size=(4, 5))
    for boundary in ("wrap", "symm"):
        got = direct_outputs(w.astype(object), x.astype(object), "same", boundary=boundary)
        want = scipy.signal.convolve2d(x, w, "same", boundary=boundary)
        assert np.array_equal(got.astype(int), want), boundary
        # convolve2d ignores the boundary in 'valid', also with the operands swapped
        got = direct_outputs(x.astype(object), w.astype(object), "valid", boundary=boundary)
        want = scipy.signal.convolve2d(w, x, "valid", boundary=boundary)
        assert np.array_equal(got.astype(int), want), boundary


@requires_torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize("padding", [((0, 2),), ((2, 1),), "same"])
def test_layer_reference_matches_torch_with_per_side_padding(padding):
    import torch

    from toeplitz_conv.symbolic._reference import layer_outputs, torch_pads

    rng = np.random.default_rng(4)
    w, x = rng.integers(-5, 6, size=(2, 2, 4)), rng.integers(-5, 6, size=(2, 6))
    pads = torch_pads(padding, (4,), (1,))
    got = layer_outputs(w.astype(object), x.astype(object), stride=(1,), pads=pads,
                        dilation=(1,), groups=1, padding_mode="zeros")
    xt = torch.tensor(x, dtype=torch.float64)[None]
    if padding == "same":
        want = torch.nn.functional.conv1d(xt, torch.tensor(w, dtype=torch.float64),
                                          padding="same")
    else:
        want = torch.nn.functional.conv1d(torch.nn.functional.pad(xt, padding[0]),
                                          torch.tensor(w, dtype=torch.float64))
    np.testing.assert_array_equal(got.astype(float), want[0].numpy())


@pytest.mark.parametrize("padding_mode", ["zeros", "circular", "reflect", "replicate"])
def test_layer_proofs_with_per_side_padding(padding_mode):
    kw = {"padding": ((2, 0),), "stride": 2, "padding_mode": padding_mode}
    assert prove_layer_equivalence((1, 2, 3), (2, 6), **kw).holds
    assert not prove_layer_equivalence((1, 2, 3), (2, 6), claim="flipped", **kw).holds
    assert prove_layer_weight_gradient((1, 2, 3), (2, 6), **kw).holds


def test_a_wrong_reference_makes_the_proofs_fail(monkeypatch):
    # Each proof must depend on its independent side: give the reference
    # PyTorch's 'same' split the wrong way round (extra pad before) and an
    # unflipped gradient, and the proofs that held must now fail.
    from toeplitz_conv.symbolic import _fixed_size as _proofs
    from toeplitz_conv.symbolic import _reference

    assert prove_layer_equivalence((1, 1, 4), (1, 6), padding="same").holds
    assert prove_weight_gradient(3, 4).holds
    monkeypatch.setattr(_proofs, "torch_pads",
                        lambda *a: tuple(p[::-1] for p in _reference.torch_pads(*a)))
    assert not prove_layer_equivalence((1, 1, 4), (1, 6), padding="same").holds

    def unflipped(w_shape, x, g, mode, boundary, stride, flip, times=None):
        return _reference.gradient_definition(w_shape, x, g, mode, boundary, stride, not flip,
                                               times)
    monkeypatch.setattr(_proofs, "gradient_definition", unflipped)
    assert not prove_weight_gradient(3, 4).holds


# ------------------------------------------------------------ Proof object
def test_proof_object_renders_and_refuses_truthiness():
    p = prove_equivalence(3, 4)
    assert isinstance(p, Proof)
    assert isinstance(p.statement, sympy.Eq)
    assert all(isinstance(c, str) for c, _ in p.steps)
    assert "holds = True" in str(p) and "holds = True" in p.text()
    assert p.to_latex() in p._repr_latex_()
    with pytest.raises(TypeError, match="holds"):
        bool(p)
    bad = prove_equivalence(3, 4, claim="unflipped")
    assert "holds = False" in bad.text() and r"\mathrm{False}" in bad.to_latex()


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize("call,exc,word", [
    (lambda: symbolic_matrix(0, 4), ValueError, "positive"),
    (lambda: symbolic_matrix(-2, 4), ValueError, "positive"),
    (lambda: symbolic_matrix("w", 4), TypeError, "kernel_size_or_symbols"),
    (lambda: symbolic_matrix(True, 4), TypeError, "kernel_size_or_symbols"),
    (lambda: symbolic_matrix([[1, 2], [3]], (2, 2)), ValueError, "rectangular"),
    (lambda: symbolic_matrix([1, sympy.nan], 4), ValueError, "finite"),
    (lambda: symbolic_matrix(["a", 1], 4), TypeError, "entries"),
    (lambda: symbolic_matrix([], 4), ValueError, "empty"),
    (lambda: symbolic_matrix(3, (4, 4)), ValueError, "input_shape"),
    (lambda: symbolic_matrix(3, 4, "fll"), ValueError, "mode"),
    (lambda: symbolic_matrix((1, 3), (2, 2), "valid"), ValueError, "valid"),
    (lambda: symbolic_matrix(3, 4, stride=0), ValueError, "stride"),
    (lambda: symbolic_matrix(2, 2000), ValueError, "sparse=True"),
    (lambda: prove_equivalence([sympy.Symbol("x_0"), 1], 3), ValueError, "symbol names"),
    (lambda: prove_equivalence(3, 4, claim="nonsense"), ValueError, "claim"),
    (lambda: prove_equivalence(3, 4, correlate="yes"), TypeError, "correlate"),
    (lambda: prove_equivalence_general(3, n=sympy.Symbol("n")), ValueError, "integer=True"),
    (lambda: prove_equivalence_general(3, n=5), TypeError, "Symbol"),
    (lambda: prove_equivalence_general(sympy.Symbol("k")), ValueError, "integer=True"),
    (lambda: prove_equivalence_general(sympy.Symbol("n", integer=True, positive=True)),
     ValueError, "different symbol"),
    (lambda: prove_equivalence_general(3, "fll"), ValueError, "mode"),
    (lambda: prove_equivalence_general(3, stride=0), ValueError, "stride"),
    (lambda: prove_weight_gradient([1, 2], 3), ValueError, "symbols"),
    (lambda: prove_weight_gradient([sympy.Symbol("a"), sympy.Symbol("b")], 3), ValueError,
     "real"),
    (lambda: prove_shift_equivariance(3, 5, boundary="wrap", mode="full"), ValueError, "same"),
    (lambda: prove_shift_equivariance(3, 5, 7, boundary="fill"), ValueError, "shift"),
    (lambda: prove_shift_equivariance(3, 0), ValueError, "n must"),
    (lambda: prove_shift_equivariance((2, 2), 4), ValueError, "1-D"),
    (lambda: prove_convolution_theorem(3, 2.5), TypeError, "n must be an int"),
    (lambda: prove_convolution_theorem(3, True), TypeError, "n must be an int"),
    (lambda: prove_shift_equivariance(3, 5, 1.5), TypeError, "shift must be an int"),
    (lambda: prove_equivalence_general(3, stride=1.0), TypeError, "stride"),
    (lambda: prove_equivalence_general(3, correlate=1), TypeError, "correlate"),
    (lambda: prove_associativity(2, 0, 3), ValueError, "positive"),
    (lambda: prove_commutativity(2, -1), ValueError, "n must"),
    (lambda: symbolic_layer_matrix((2, 3), (3, 5)), ValueError, "C_out"),
    (lambda: latex(symbolic_matrix(2, 2), zero=0), TypeError, "zero"),
])
def test_bad_input_raises_clear_errors(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


# ------------------------------------------------------------------- CLI
def run(*args):
    return run_cli("prove", *args)


def test_cli_prove_success_paths():
    r = run("equivalence", "--kernel-size", "3", "--n", "4", "--mode", "full")
    assert r.returncode == 0, r.stderr
    assert "holds = True" in r.stdout
    r = run("general", "--latex")
    assert r.returncode == 0 and r.stdout.startswith(r"\begin{array}")
    assert r"\mathrm{True}" in r.stdout
    r = run("gradient", "--kernel-size", "2", "--n", "3", "--correlate")
    assert r.returncode == 0 and "holds = True" in r.stdout
    r = run("layer", "--weight-shape", "2,2,3", "--n", "2,7", "--stride", "2", "--padding", "1")
    assert r.returncode == 0 and "holds = True" in r.stdout
    r = run("equivalence", "--claim", "unflipped")
    assert r.returncode == 1 and "holds = False" in r.stdout


@pytest.mark.parametrize("args,word", [
    (("equivalence", "--kernel-size", "0"), "--kernel-size"),
    (("equivalence", "--kernel-size", "three"), "--kernel-size"),
    (("equivalence", "--mode", "fll"), "mode"),
    (("theorem", "--n", "-3"), "--n"),
    (("equivalence", "--claim", "nonsense"), "claim"),
    (("shift", "--boundary", "symm"), "boundary"),
    (("layer", "--padding", "one"), "--padding"),
    (("layer", "--weight-shape", "2,2,3", "--n", "3,7"), "channels"),
    (("gradient", "--kernel", "5,6,7"), "symbols"),
])
def test_cli_prove_bad_input_is_one_line(args, word):
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]
