"""The explorer's embedded data against independent references (no browser).

Every variant the page can show is checked: its taps reproduce
scipy.signal (or torch) on random inputs, and its kernel windows, read from
an input padded by ``numpy.pad``, reproduce the same outputs.
"""

import html
import re

import numpy as np
import pytest
import scipy.signal as ss

from toeplitz_conv import conv_matrix, explore, layer_matrix

from ._circular import circular_reference
from ._cli import run_cli
from .conftest import requires_torch

NP_PAD = {"zeros": "constant", "fill": "constant", "wrap": "wrap", "circular": "wrap",
          "symm": "symmetric", "reflect": "reflect", "replicate": "edge"}


def dense(variant, weight):
    rows, cols, w = np.array(variant["taps"]).T
    a = np.zeros((variant["m"], variant["n"]))
    np.add.at(a, (rows, cols), np.asarray(weight, float).ravel()[w])
    return a


def signal_reference(x, k, params):
    """scipy's result for a signal variant (the DFT's if circular), subsampled by the stride."""
    kk = k if not params["correlate"] else np.flip(k)
    if params["mode"] == "circular":
        y = circular_reference(x, k, params["correlate"])
    elif params["boundary"] == "fill":
        y = ss.convolve(x, kk, params["mode"])
    else:
        x2, k2 = (x[None, :], kk[None, :]) if x.ndim == 1 else (x, kk)
        y = ss.convolve2d(x2, k2, params["mode"], boundary=params["boundary"])
        y = y[0] if x.ndim == 1 else y
    return y[tuple(slice(None, None, s) for s in params["stride"])]


def window_outputs(variant, x, weight, boundary):
    """Each output as the sum over its window, reading an input padded by numpy.pad."""
    nd = variant["nd"]
    win = np.array(variant["win"])                     # (rows, entries, 3 + nd)
    pos = win[:, :, 1:1 + nd]
    x = x.reshape((-1,) + x.shape[-nd:])               # (channels, *spatial)
    before = [max(0, -int(pos[..., d].min())) for d in range(nd)]
    after = [max(0, int(pos[..., d].max()) - x.shape[1 + d] + 1) for d in range(nd)]
    xpad = np.pad(x, [(0, 0)] + list(zip(before, after)), mode=NP_PAD[boundary])
    idx = (win[:, :, 0],) + tuple(pos[..., d] + before[d] for d in range(nd))
    read = xpad[idx]
    # A window's "src" must name the very input numpy.pad put there.
    src = win[:, :, 1 + nd]
    assert np.allclose(read[src >= 0], x.ravel()[src[src >= 0]])
    assert np.all(read[src < 0] == 0)
    return (read * np.asarray(weight, float).ravel()[win[:, :, 2 + nd]]).sum(axis=1)


def windows_match_taps(variant):
    for r, entries in enumerate(variant["win"]):
        nd = variant["nd"]
        from_win = sorted((e[1 + nd], e[2 + nd]) for e in entries if e[1 + nd] >= 0)
        from_taps = sorted((c, w) for rr, c, w in variant["taps"] if rr == r)
        assert from_win == from_taps, r


@pytest.mark.parametrize("kernel,shape,boundary", [
    ([5, 6, 7], 4, "fill"), ([1, -2, 3, 4], 7, "wrap"), ([2, 3], 5, "symm"),
    ([[1, 2], [3, 4]], (3, 4), "fill"), ([[1, 2, 3], [4, 5, 6]], (4, 3), "wrap"),
    ([[1, 2], [3, 5], [7, 11]], (4, 4), "symm"),
])
def test_signal_variants_match_scipy(kernel, shape, boundary, rng):
    k = np.array(kernel, float)
    page = explore(kernel, shape, "same", boundary=boundary, stride=2)
    assert len(page.variants) >= 12
    for key, v in page.variants.items():
        p = v["params"]
        x = rng.standard_normal(shape)
        ref = signal_reference(x, k, p)
        assert dense(v, k) @ x.ravel() == pytest.approx(ref.ravel()), key
        pad = "wrap" if p["mode"] == "circular" else p["boundary"]
        assert window_outputs(v, x, k, pad) == pytest.approx(ref.ravel()), key
        windows_match_taps(v)
        rows, cols, w = conv_matrix(k, shape, p["mode"], correlate=p["correlate"],
                                    boundary=p["boundary"], stride=p["stride"]).taps
        assert sorted(map(tuple, v["taps"])) == sorted(zip(rows, cols, w)), key


def test_every_switch_is_offered(rng):
    page = explore([1, 2, 3], 6)
    keys = set(page.variants)
    for mode in ("full", "valid", "same", "circular"):
        for op in ("conv", "corr"):
            for stride in ("1", "2"):
                assert f"{mode}|{op}|{stride}|fill" in keys
    # the circular mode takes no boundary, and the page says why
    page = explore([1, 2, 3], 6, boundary="wrap")
    assert "mode='circular'" in page.data["unavailable"]["circular|conv|1|wrap"]
    # 'valid' with a kernel longer than the input swaps the operands, as scipy
    page = explore([1, 2, 3, 4], 3)
    taps = np.array(page.variants["valid|conv|1|fill"]["taps"]).T
    for got, want in zip(taps, conv_matrix([1, 2, 3, 4], 3, "valid").taps):
        np.testing.assert_array_equal(got, want)
    # ... but a kernel longer on one axis and shorter on the other is not
    # defined, and the page says so
    page = explore(np.ones((1, 3)), (2, 2))
    assert "valid|conv|1|fill" in page.data["unavailable"]
    assert "valid" in page.data["unavailable"]["valid|conv|1|fill"]


def padding_pairs(padding, dilation, kernel):
    """A variant's ``params["padding"]`` as (before, after) pairs, written from torch's rules."""
    if padding == "same":
        tot = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return [(t // 2, t - t // 2) for t in tot]
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    return [tuple(q) if isinstance(q, list) else (q, q) for q in padding]


@requires_torch
@pytest.mark.parametrize("weight_shape,shape,padding_mode,groups,padding", [
    ((1, 1, 3), (1, 6), "circular", 1, None),
    ((2, 2, 3), (2, 7), "reflect", 1, None),
    ((2, 1, 2, 3), (2, 4, 5), "replicate", 2, None),
    ((1, 1, 3, 3), (1, 5, 5), "circular", 1, None),
    ((1, 1, 3), (1, 6), "zeros", 1, ((2, 0),)),
    ((2, 1, 3), (1, 5), "reflect", 1, ((0, 2),)),
    ((1, 2, 2, 3), (2, 4, 5), "replicate", 1, ((0, 1), (2, 0))),
    ((2, 1, 3, 2), (2, 4, 4), "circular", 2, ((1, 2), (0, 1))),
])
def test_layer_variants_match_torch(weight_shape, shape, padding_mode, groups, padding, rng):
    import torch
    import torch.nn.functional as F

    w = rng.standard_normal(weight_shape)
    page = explore(w, shape, padding_mode=padding_mode, groups=groups, padding=padding)
    assert len(page.variants) >= 12
    nd = len(shape) - 1
    conv = (F.conv1d, F.conv2d)[nd - 1]
    torch_mode = {"zeros": "constant", "circular": "circular", "reflect": "reflect",
                  "replicate": "replicate"}
    for key, v in page.variants.items():
        p = v["params"]
        x = rng.standard_normal(shape)
        xt = torch.tensor(x)[None]
        pairs = padding_pairs(p["padding"], p["dilation"], weight_shape[2:])
        flat = [v_ for pr in reversed(pairs) for v_ in pr]
        xt = F.pad(xt, flat, mode=torch_mode[p["padding_mode"]])
        ref = conv(xt, torch.tensor(w), stride=p["stride"], dilation=p["dilation"],
                   groups=groups)[0].numpy()
        assert dense(v, w) @ x.ravel() == pytest.approx(ref.ravel()), key
        assert window_outputs(v, x, w, p["padding_mode"]) == pytest.approx(ref.ravel()), key
        windows_match_taps(v)
    blocks = page.variants[page.initial]["blocks"]
    n_blocks = weight_shape[0] * shape[0]
    assert len(blocks) == (n_blocks if n_blocks > 1 else 0)


def test_layer_windows_match_numpy_pad_without_torch(rng):
    w = rng.standard_normal((2, 1, 3))
    page = explore(w, (1, 6), "same", padding_mode="reflect", dilation=1)
    for v in page.variants.values():
        windows_match_taps(v)
        x = rng.standard_normal((1, 6))
        assert window_outputs(v, x, w, v["params"]["padding_mode"]) == \
            pytest.approx(dense(v, w) @ x.ravel())


@pytest.mark.parametrize("weight_shape,shape,padding,padding_mode", [
    ((1, 1, 3), (1, 6), ((2, 0),), "zeros"),
    ((2, 2, 3), (2, 5), ((0, 2),), "reflect"),
    ((1, 1, 2, 3), (1, 4, 5), ((0, 1), (2, 0)), "zeros"),
    ((2, 1, 3, 2), (1, 4, 4), ((1, 3), (2, 1)), "circular"),
    ((1, 1, 2, 2), (1, 3, 4), ((1, 0), (0, 2)), "replicate"),
])
def test_per_side_padding_is_layer_matrix_with_pairs(weight_shape, shape, padding,
                                                     padding_mode, rng):
    w = rng.standard_normal(weight_shape)
    page = explore(w, shape, padding=padding, padding_mode=padding_mode)
    label = ",".join(f"({b},{a})" for b, a in padding)
    assert page.initial == f"{label}|1|1|{padding_mode}"
    shown = [v["label"] for a in page.data["axes"] if a["name"] == "padding"
             for v in a["values"]]
    assert label in shown
    v = page.variants[page.initial]
    assert f"padding={label}," in v["title"]
    assert v["params"]["padding"] == [list(p) for p in padding]
    rows, cols, widx = layer_matrix(w, shape, padding=padding, padding_mode=padding_mode).taps
    assert sorted(map(tuple, v["taps"])) == sorted(zip(rows, cols, widx))
    windows_match_taps(v)
    x = rng.standard_normal(shape)
    assert window_outputs(v, x, w, padding_mode) == pytest.approx(dense(v, w) @ x.ravel())

    # The drawn grid: before/after padding cells on the right sides of every axis,
    # the same for every channel, and "inside" exactly on the input.
    nd = len(padding)
    grid = v["grid"]
    assert len(grid) == shape[0] * np.prod([n + b + a for n, (b, a) in zip(shape[1:], padding)])
    for ch in range(shape[0]):
        cells = [g for g in grid if g[0] == ch]
        coords = np.array([g[1:1 + nd] for g in cells])
        inside = np.array([g[2 + nd] for g in cells], dtype=bool)
        for d, (n, (b, a)) in enumerate(zip(shape[1:], padding)):
            along = np.unique(coords[:, d])
            assert (along < 0).sum() == b and (along >= n).sum() == a, (d, along)
            assert along.min() == -b and along.max() == n - 1 + a
        expect = np.all((coords >= 0) & (coords < np.array(shape[1:])), axis=1)
        assert np.array_equal(inside, expect)
    # ... and each is drawn at its own position
    at = v["natural"]["grid"]
    assert len(at) == len(grid) and len({tuple(p) for p in at}) == len(at)


@pytest.mark.parametrize("kernel,shape", [
    ([5, 6, 7], 9), ([1, -2, 3, 4], 8), ([[1, 2], [3, 5], [7, 11]], (5, 6)),
])
@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_signal_stride_2_is_conv_matrix_and_scipy(kernel, shape, mode, rng):
    k = np.array(kernel, float)
    page = explore(k, shape, mode, stride=2)
    v = page.variants[page.initial]
    assert v["params"]["stride"] == [2] * k.ndim
    a = conv_matrix(k, shape, mode, stride=2)
    rows, cols, w = a.taps
    assert sorted(map(tuple, v["taps"])) == sorted(zip(rows, cols, w))
    x = rng.standard_normal(shape)
    ref = ss.convolve(x, k, mode)[(slice(None, None, 2),) * k.ndim]
    assert a @ x.ravel() == pytest.approx(ref.ravel())
    assert dense(v, k) @ x.ravel() == pytest.approx(ref.ravel())


def test_layout_is_in_the_data():
    """The page draws at pixels given by Python: one position per drawn cell."""
    page = explore(np.ones((2, 1, 2, 2)), (1, 3, 3), padding=1)
    assert len(page.data["kernel"]["at"]) == 8
    for v in page.variants.values():
        nat, mat = v["natural"], v["matrix"]
        assert len(nat["grid"]) == len(v["grid"]) and len(nat["outs"]) == v["m"]
        assert len(mat["x"]) == v["n"] and len(mat["y"]) == v["m"]
        assert np.all(np.diff(mat["x"]) == mat["cell"]) and np.all(np.diff(mat["y"]) == mat["cell"])
        assert len(mat["blocks"]) == len(v["blocks"]) == 2
        assert mat["width"] > mat["out_x"] and mat["height"] > mat["y"][-1]
    js = page.html[page.html.index("use strict"):]
    for formula in ("natural_w", "natural_h", "Math.max(", "720", "640"):
        assert formula not in js, formula


def test_narrow_layout_fits_a_400px_window():
    """Every variant has a narrow layout whose panels fit 356 px at their own pixel size."""
    from toeplitz_conv.explorer._page import (
        MATRIX_CELL,
        NARROW_NATURAL_MIN,
        NARROW_WIDTH,
        NATURAL_CELL,
    )

    assert NARROW_WIDTH <= 400 - 2 * 12 - 15     # less the page margins and a scrollbar
    pages = [explore([5, 6, 7], 4, x=[1, 2, 3, 4]), explore([1, 2, 3], 24),
             explore(np.ones(5), 24), explore(np.ones((2, 2, 3)), (2, 24), padding=2)]
    pages += [explore(np.ones((k, k)), (5, 5)) for k in (1, 2, 3)]
    pages += [explore(np.ones((2, 2, 3, 3)), (2, 5, 5), padding=1),
              explore(np.ones((1, 2, 2, 2)), (2, 5, 5), padding=1)]
    for page in pages:
        assert page.data["kernel"]["width"] <= NARROW_WIDTH
        for v in page.variants.values():
            narrow = v["narrow"]
            assert narrow["below"] >= 400
            for panel in ("natural", "matrix"):
                lay, wide = narrow[panel], v[panel]
                assert lay["width"] <= NARROW_WIDTH, (v["title"], panel, lay["width"])
                # the same cells, in the cell range
                assert len(lay["grid" if panel == "natural" else "x"]) == len(
                    wide["grid" if panel == "natural" else "x"])
                lo, hi = (NARROW_NATURAL_MIN, NATURAL_CELL[1]) if panel == "natural" \
                    else MATRIX_CELL
                assert lo - 1 <= lay["cell"] <= hi
            mat = narrow["matrix"]
            assert np.all(np.diff(mat["x"]) == mat["cell"]) and mat["out_x"] > mat["x"][-1]
            # drawn labels are never below the minimum font
            for font in (mat["vec_font"], mat["cell_font"]):
                assert font == 0 or font >= page.data["min_font"]
    # where the wide layout already fits, the narrow one is the same
    seed = pages[0].variants[pages[0].initial]
    assert seed["narrow"]["matrix"] == seed["matrix"]
    # the iframe is tall enough for either layout
    for page in pages:
        tallest = max(v[k][p]["height"] for v in page.variants.values()
                      for k, p in (("narrow", "natural"), ("narrow", "matrix")))
        assert page.data["height"] > tallest + page.data["kernel"]["height"]


def test_page_is_self_contained():
    for page in (explore([5, 6, 7], 4), explore(np.ones((2, 2, 2, 2)), (2, 3, 3), padding=1)):
        text = page.html
        assert text.startswith("<!DOCTYPE html>")
        low = text.lower()
        for bad in ("http://", "https://", "//cdn", "ftp://", "@import", "url("):
            assert bad not in low, bad
        for m in re.finditer(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", low):
            # nothing outside the page: at most a reference to one of its own elements
            assert m.group(1) in ("", "#") or re.fullmatch(r"#tcx-[a-z-]+", m.group(1)), \
                m.group(0)
        assert "<script src" not in low and "<link" not in low


def test_repr_html_renders_the_page(tmp_path):
    page = explore([[1, 2], [3, 4]], (3, 3), "valid")
    out = page._repr_html_()
    assert out.startswith("<iframe ")
    srcdoc = re.search(r'srcdoc="([^"]*)"', out).group(1)
    assert html.unescape(srcdoc) == page.html
    path = page.save(tmp_path / "page.html")
    assert path.read_text(encoding="utf-8") == page.html
    assert "A is 4 x 9" in repr(page)


def test_too_large_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match=r"484 x 400.*smaller input") as info:
        explore(np.ones((3, 3)), (20, 20))
    suggested = re.search(r"input_shape=\((\d+), (\d+)\)", str(info.value)).groups()
    n = int(suggested[0])
    assert explore(np.ones((3, 3)), (n, n)).variants     # the suggestion fits ...
    with pytest.raises(ValueError, match="smaller input"):
        explore(np.ones((3, 3)), (n + 1, n + 1))       # ... and is the largest that does
    with pytest.raises(ValueError, match="max_side"):
        explore([1, 2, 3], 40, max_side=20)
    # too large variants are listed, not drawn
    page = explore([1, 2, 3], 399, "valid")
    assert "full|conv|1|fill" in page.data["unavailable"]


@pytest.mark.parametrize("kwargs,err,word", [
    ({"kernel": np.ones((2, 2, 2)), "input_shape": (3, 3, 3)}, ValueError, "2-D"),
    ({"kernel": [1j, 2], "input_shape": 4}, TypeError, "real"),
    ({"kernel": [1, 2], "input_shape": 4, "mode": "ful"}, ValueError, "mode"),
    ({"kernel": [1, 2], "input_shape": 4, "boundary": "wrap", "padding": 1}, ValueError,
     "padding_mode"),
    ({"kernel": [1, 2], "input_shape": 4, "padding_mode": "mirror"}, ValueError,
     "padding_mode"),
    ({"kernel": [1, 2], "input_shape": 4, "stride": 0}, ValueError, "stride"),
    ({"kernel": np.ones((1, 3)), "input_shape": (2, 2), "mode": "valid"}, ValueError,
     "valid"),
    ({"kernel": [1, 2], "input_shape": 4, "max_side": 0}, ValueError, "max_side"),
    ({"kernel": np.ones((16, 16, 2)), "input_shape": (16, 3)}, ValueError, "smaller kernel"),
])
def test_bad_input(kwargs, err, word):
    with pytest.raises(err, match=word):
        explore(**kwargs)


def test_cli_writes_the_page(tmp_path):
    out = tmp_path / "page.html"
    r = run_cli("explore", "--kernel", "1,2,3", "--n", "6", "--mode", "same", "--stride", "2",
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stdout
    assert out.read_text(encoding="utf-8") == explore([1, 2, 3], 6, "same", stride=2).html
    r = run_cli("explore", "--kernel", "1,2;3,4", "--n", "3,3", "--padding", "1",
                "--padding-mode", "circular", "--out", str(out), "--force")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args,word", [
    (("--kernel", "1,2,3", "--n", "500"), "smaller"),
    (("--kernel", "1,x", "--n", "5"), "--kernel"),
    (("--kernel", "1,2", "--n", "5", "--padding-mode", "mirror"), "--padding-mode"),
    (("--kernel", "1,2", "--n", "5", "--stride", "two"), "--stride"),
])
def test_cli_bad_input_is_one_line(args, word, tmp_path):
    r = run_cli("explore", *args, "--out", str(tmp_path / "p.html"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert word in r.stderr


# --------------------------------------------------------------------------- numbers (x=)
def _sum_value(text):
    """Evaluate '7·2 + 6·(-3) + 5·4 = 52' -> (sum of the products, number of terms, 52)."""
    lhs, rhs = text.rsplit(" = ", 1)
    terms = [] if lhs == "0" else lhs.split(" + ")
    total = sum(float(a.strip("()")) * float(b.strip("()"))
                for a, b in (t.split("·") for t in terms))
    return total, len(terms), float(rhs)


def test_seed_numbers_are_numpy_convolve():
    page = explore([5, 6, 7], 4, x=[1, 2, 3, 4])
    num = page.variants[page.initial]["numbers"]
    y = np.convolve([1, 2, 3, 4], [5, 6, 7])
    assert [float(v) for v in num["y"]] == y.tolist() == [5, 16, 34, 52, 45, 28]
    assert num["x"] == ["1", "2", "3", "4"]
    assert num["sums"][3] == "7·2 + 6·3 + 5·4 = 52"
    # the check discriminates: the correlation (an unflipped kernel) gives other numbers
    assert np.convolve([1, 2, 3, 4], [7, 6, 5]).tolist() != y.tolist()
    corr = page.variants["full|corr|1|fill"]["numbers"]["y"]
    assert [float(v) for v in corr] == np.convolve([1, 2, 3, 4], [7, 6, 5]).tolist()


@pytest.mark.parametrize("kernel,n,boundary", [([3, -1, 2, 5], 9, "wrap"), ([2, 7, 1], 6, "fill"),
                                               ([1.5, -2], 5, "symm")])
def test_numbers_match_numpy_in_every_variant(kernel, n, boundary, rng):
    """y = A x in every variant against numpy.convolve (fill, stride 1) or scipy; sums add up."""
    x = rng.integers(-9, 10, size=n).astype(float)
    k = np.array(kernel, float)
    page = explore(kernel, n, "same", boundary=boundary, x=x)
    for key, v in page.variants.items():
        p = v["params"]
        got = np.array([float(t) for t in v["numbers"]["y"]])
        if p["boundary"] == "fill" and p["stride"] == [1] and p["mode"] != "circular":
            kk = np.flip(k) if p["correlate"] else k
            ref = np.convolve(x, kk, "full")
            if p["mode"] != "full":
                ref = ss.convolve(x, kk, p["mode"])
        else:
            ref = signal_reference(x, k, p)
        assert got == pytest.approx(ref, rel=1e-5, abs=1e-9), key
        taps_per_row = np.bincount(np.array(v["taps"])[:, 0], minlength=v["m"])
        for r, text in enumerate(v["numbers"]["sums"]):
            total, n_terms, shown = _sum_value(text)
            assert n_terms == taps_per_row[r] and total == pytest.approx(got[r]) == shown, text


def test_layer_numbers_match_numpy_pad_windows(rng):
    w = rng.integers(-3, 4, size=(2, 2, 3))
    x = rng.integers(-5, 6, size=(2, 6))
    page = explore(w, (2, 6), padding=1, padding_mode="reflect", x=x)
    for v in page.variants.values():
        ref = window_outputs(v, x.astype(float), w, v["params"]["padding_mode"])
        assert [float(t) for t in v["numbers"]["y"]] == pytest.approx(ref)
    assert page.data["has_numbers"] and "5·" not in explore([5, 6], 3).html


@pytest.mark.parametrize("x,err,word", [
    ([1, 2, 3], ValueError, "x must have"), ([[1, 2], [3, 4]], ValueError, "x must have"),
    ([1, 2, np.nan, 4], ValueError, "finite"), ([1j, 2, 3, 4], TypeError, "real"),
    ("1234", TypeError, "x must"),
])
def test_bad_x(x, err, word):
    with pytest.raises(err, match=word):
        explore([5, 6, 7], 4, x=x)


def test_cli_x_shows_the_numbers(tmp_path):
    out = tmp_path / "p.html"
    r = run_cli("explore", "--kernel", "5,6,7", "--n", "4", "--x", "1,2,3,4", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == explore([5, 6, 7], 4, x=[1, 2, 3, 4]).html
    r = run_cli("explore", "--kernel", "5,6,7", "--n", "4", "--x", "1,2,3", "--out", str(out))
    assert r.returncode == 2 and "--x" in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- hardening (issue 20)
def test_numpy_scalars_are_accepted():
    page = explore(np.array([1, 2, 3], np.float32), np.int64(5), stride=np.int64(2),
                   max_side=np.int64(100))
    assert page.data["max_side"] == 100 and page.initial == "full|conv|2|fill"
    assert '"max_side":100' in page.html


@pytest.mark.parametrize("kwargs,err,word", [
    ({"groups": True}, TypeError, "groups"), ({"groups": 1.0}, TypeError, "groups"),
    ({"groups": 0}, ValueError, "groups"), ({"padding_mode": ""}, ValueError, "padding_mode"),
    ({"max_side": 401}, ValueError, "max_side"), ({"max_side": 10.0}, TypeError, "max_side"),
])
def test_explore_refuses_lookalikes(kwargs, err, word):
    with pytest.raises(err, match=word):
        explore([1, 2, 3], 5, **kwargs)


@pytest.mark.parametrize("kernel,shape", [([1, 2, 3], 10**12), (np.ones((3, 3)), (10**9, 10**9)),
                                          (np.ones((1, 1, 3)), (1, 10**12))])
def test_huge_inputs_are_refused_before_building(kernel, shape):
    """Sizes come from the geometry: no variant is built and the suggestion is found at once."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"smaller input, e\.g\. input_shape="):
            explore(kernel, shape)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_cli_huge_n_is_one_line(tmp_path):
    r = run_cli("explore", "--kernel", "1,2,3", "--n", "1000000000000", "--out",
                str(tmp_path / "p.html"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "smaller input" in r.stderr and not (tmp_path / "p.html").exists()


# --------------------------------------------------------------------------- contrast
def _contrast(a, b):
    """WCAG 2 contrast ratio of two #RRGGBB colours (written from the WCAG definition)."""
    def lum(h):
        c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _hex6(c):
    return "#" + "".join(ch * 2 for ch in c[1:]) if len(c) == 4 else c


@pytest.mark.parametrize("n_weights", [3, 12, 25, 60])
def test_weight_labels_read_on_their_fills(n_weights):
    w = explore(np.arange(1, n_weights + 1), max(n_weights, 2) + 1).data["weights"]
    for fill, text in zip(w["colors"], w["text"]):
        assert _contrast(fill, text) >= 4.5, (fill, text)
    # the check can fail: a luma threshold picked white on this green (3.3:1)
    assert _contrast("#009E73", "#FFFFFF") < 4.5


def test_page_text_and_outline_contrast():
    """Text colours >= 4.5:1 on their backgrounds, outlines >= 3:1 on white (read from the CSS)."""
    from toeplitz_conv.explorer._page import _asset
    from toeplitz_conv.palette import PAD_COLOR

    css = _asset("explorer.css")

    def rule(selector):
        m = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
        assert m, selector
        return dict((k.strip(), v.strip()) for k, v in
                    (d.split(":", 1) for d in m.group(1).split(";") if ":" in d))

    text = [("body", "color", "#ffffff"), ("h2", "color", "#ffffff"),
            (".note", "color", "#ffffff"), (".axis-name", "color", "#ffffff"),
            ("svg .cap", "fill", "#ffffff"), ("svg .idx", "fill", "#ffffff"),
            (".axis button.na", "color", "#f6f6f6"), ("#tcx-legend", "color", "#ffffff")]
    for sel, prop, bg in text:
        assert _contrast(_hex6(rule(sel)[prop]), bg) >= 4.5, sel
    assert _contrast("#555555", PAD_COLOR) >= 4.5          # padded cells' labels
    for sel in ('[data-kind] > rect', '[data-kind="pad"] > rect', ".sub", ".block", ".frame"):
        assert _contrast(_hex6(rule(sel)["stroke"]), "#ffffff") >= 3, sel
