"""The explorer page in a real browser: headless Chromium driven by selenium.

Hovering matrix cells, outputs and weights must highlight exactly the
elements the taps and windows say, in 1-D and 2-D, with padding modes and
strides, before and after switching variants in the page.  The taps are the
library builders' own (``conv_matrix`` / ``layer_matrix``); ``tests/test_explorer.py``
checks the embedded data against scipy, torch and numpy.pad.
"""

import io
import os
import shutil

import numpy as np
import pytest

from toeplitz_conv import conv_matrix, explore, layer_matrix

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="headless Chromium is not installed (Debian packages chromium and "
           "chromium-driver; .ci/run installs them)")

STATE_JS = """
const r = document.getElementById('tcx');
const f = (sel, attrs) => Array.from(r.querySelectorAll(sel),
                                     e => attrs.map(a => e.dataset[a]).join('|'));
return {
  tied: f('[data-kind=cell].tied', ['row', 'col']),
  cell_hl: f('[data-kind=cell].hl', ['row', 'col']),
  focus: f('[data-kind=cell].focus', ['row', 'col']),
  in_hl: f('[data-kind=in].hl', ['col']),
  out_hl: f('[data-kind=out].hl', ['row']),
  w_hl: f('[data-kind=weight].hl', ['w']),
  w_focus: f('[data-kind=weight].focus', ['w']),
  win: f('.win', ['ch', 'p']),
  src: f('.src', ['col']),
  variant: r.dataset.variant,
};
"""


# ``browser``: one headless Chromium for every explorer test module (tests/conftest.py).


class Page:
    """A generated page (opened from ``path``, or already shown), with hover and state helpers."""

    def __init__(self, driver, explorer, path=None):
        self.driver = driver
        self.ex = explorer
        if path is None:
            return
        explorer.save(path)
        driver.get(path.as_uri())
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors

    def hover(self, css):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        el = self.driver.find_element(By.CSS_SELECTOR, css)
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', inline: 'center'})", el)
        # duration=0: the default 250 ms pointer glide would dominate the test time
        ActionChains(self.driver, duration=0).move_to_element(el).perform()
        return self.state()

    def state(self):
        raw = self.driver.execute_script(STATE_JS)
        out = {k: {tuple(int(p) for p in v.replace(",", "|").split("|")) for v in vals}
               for k, vals in raw.items() if k != "variant"}
        out["variant"] = raw["variant"]
        return out

    def switch(self, **sel):
        from selenium.webdriver.common.by import By

        for axis, value in sel.items():
            self.driver.find_element(
                By.CSS_SELECTOR, f'button[data-axis="{axis}"][data-value="{value}"]').click()
        return self.state()["variant"]


def reference_taps(kernel, shape, variant, layer):
    """Taps from the library's builders, checked to be the embedded ones."""
    p = variant["params"]
    if layer:
        rows, cols, w = layer_matrix(kernel, shape, stride=p["stride"], padding=p["padding"],
                                     dilation=p["dilation"], padding_mode=p["padding_mode"],
                                     groups=p["groups"]).taps
    else:
        rows, cols, w = conv_matrix(kernel, shape, p["mode"], correlate=p["correlate"],
                                    boundary=p["boundary"], stride=p["stride"]).taps
    got = sorted(tuple(t) for t in variant["taps"])
    ref = sorted(zip(rows.tolist(), cols.tolist(), w.tolist()))
    assert got == ref
    return ref


def t1(values):
    return {(int(v),) for v in values}


def check_variant(page, kernel, shape, layer, rng, n_cells=4, n_outs=3, n_weights=2):
    key = page.state()["variant"]
    v = page.ex.variants[key]
    taps = reference_taps(kernel, shape, v, layer)
    spatial = shape[1:] if layer else ((shape,) if isinstance(shape, int) else shape)
    nd = v["nd"]
    empty = set()

    entries = sorted({(r, c) for r, c, _ in taps})
    for i in rng.choice(len(entries), size=min(n_cells, len(entries)), replace=False):
        r, c = entries[i]
        s = page.hover(f'#tcx-matrix-svg [data-kind=cell][data-row="{r}"][data-col="{c}"]')
        ws = {w for rr, cc, w in taps if (rr, cc) == (r, c)}
        assert s["tied"] == {(rr, cc) for rr, cc, w in taps if w in ws}, (key, r, c)
        assert s["focus"] == {(r, c)}
        assert s["in_hl"] == {(c,)} and s["out_hl"] == {(r,)}
        assert s["w_hl"] == t1(ws)
        assert s["cell_hl"] == empty and s["win"] == empty

    for r in rng.choice(v["m"], size=min(n_outs, v["m"]), replace=False).tolist():
        s = page.hover(f'#tcx-natural-svg [data-kind=out][data-row="{r}"]')
        row = [(c, w) for rr, c, w in taps if rr == r]
        assert s["out_hl"] == {(r,)}
        assert s["cell_hl"] == {(r, c) for c, _ in row}, (key, r)
        assert s["in_hl"] == {(c,) for c, _ in row}
        assert s["w_hl"] == {(w,) for _, w in row}
        win = v["win"][r]
        assert s["win"] == {(e[0], *e[1:1 + nd]) for e in win}, (key, r)
        outside = [e for e in win
                   if any(not 0 <= p < n for p, n in zip(e[1:1 + nd], spatial))]
        assert s["src"] == {(e[1 + nd],) for e in outside if e[1 + nd] >= 0}, (key, r)
        assert s["tied"] == empty

    n_w = np.asarray(kernel).size
    for w in rng.choice(n_w, size=min(n_weights, n_w), replace=False).tolist():
        s = page.hover(f'#tcx-kernel-svg [data-kind=weight][data-w="{w}"]')
        assert s["w_focus"] == {(w,)}
        assert s["tied"] == {(r, c) for r, c, ww in taps if ww == w}, (key, w)
        assert s["in_hl"] == {(c,) for _, c, ww in taps if ww == w}
        # ... and exactly the outputs it feeds
        assert s["out_hl"] == {(r,) for r, _, ww in taps if ww == w}, (key, w)
        assert s["cell_hl"] == empty

    # an input element: its column, the outputs that read it, the weights involved
    for c in rng.choice(v["n"], size=min(2, v["n"]), replace=False).tolist():
        s = page.hover(f'#tcx-natural-svg [data-kind=in][data-col="{c}"]')
        col = [(r, w) for r, cc, w in taps if cc == c]
        assert s["in_hl"] == {(c,)}
        assert s["cell_hl"] == {(r, c) for r, _ in col}, (key, c)
        assert s["out_hl"] == {(r,) for r, _ in col}
        assert s["w_hl"] == {(w,) for _, w in col}
        assert s["tied"] == empty and s["win"] == empty


def test_1d_wrap_stride_2_and_switching(browser, tmp_path, rng):
    kernel, n = np.array([1, 2, 3]), 7
    page = Page(browser, explore(kernel, n, "same", boundary="wrap", stride=2),
                tmp_path / "a.html")
    assert page.state()["variant"] == "same|conv|2|wrap"
    check_variant(page, kernel, n, False, rng)
    # a wrapped read marks its source input
    page.hover('#tcx-natural-svg [data-kind=out][data-row="0"]')
    assert page.state()["src"] == {(n - 1,)}
    for sel in ({"op": "corr"}, {"mode": "full", "stride": "1"}, {"mode": "valid"},
                {"boundary": "fill", "mode": "same"}, {"stride": "2", "op": "conv"}):
        key = page.switch(**sel)
        shown = dict(zip([a["name"] for a in page.ex.data["axes"]], key.split("|")))
        assert {a: shown[a] for a in sel} == sel
        check_variant(page, kernel, n, False, rng, n_cells=3, n_outs=2, n_weights=1)


def test_2d_symm_and_switching(browser, tmp_path, rng):
    kernel, shape = np.array([[1, 2, 3], [4, 5, 6]]), (4, 3)
    page = Page(browser, explore(kernel, shape, "full", boundary="symm"), tmp_path / "b.html")
    check_variant(page, kernel, shape, False, rng)
    for sel in ({"stride": "2"}, {"mode": "same", "op": "corr"}, {"mode": "valid"}):
        page.switch(**sel)
        check_variant(page, kernel, shape, False, rng, n_cells=3, n_outs=2, n_weights=1)


def test_layers_reflect_circular_channels(browser, tmp_path, rng):
    w = rng.integers(1, 9, size=(2, 2, 3))
    page = Page(browser, explore(w, (2, 6), padding=1, padding_mode="reflect", stride=2),
                tmp_path / "c.html")
    assert page.state()["variant"] == "1|2|1|reflect"
    check_variant(page, w, (2, 6), True, rng)
    page.switch(padding="same", stride="1")
    check_variant(page, w, (2, 6), True, rng, n_cells=3, n_outs=2)
    assert len(page.driver.find_elements("css selector", "#tcx-matrix-svg .block")) == 4

    w2 = rng.integers(1, 9, size=(1, 1, 3, 3))
    page = Page(browser, explore(w2, (1, 4, 5), padding_mode="circular", padding=1, stride=2),
                tmp_path / "d.html")
    check_variant(page, w2, (1, 4, 5), True, rng)
    page.switch(dilation="2", padding="full", stride="1")
    check_variant(page, w2, (1, 4, 5), True, rng, n_cells=3, n_outs=2)


def test_screenshot_is_not_blank(browser, tmp_path):
    from PIL import Image

    page = Page(browser, explore([[1, 2], [3, 4]], (3, 3), "full"), tmp_path / "e.html")
    page.hover('#tcx-matrix-svg [data-kind=cell][data-row="5"][data-col="4"]')
    png = browser.get_screenshot_as_png()
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert img.shape[0] > 500 and img.shape[1] > 800
    colours = {tuple(c) for c in img.reshape(-1, 3)[::7]}
    assert len(colours) > 30
    # every weight's colour is on screen (the kernel and the matrix cells)
    for hex_colour in page.ex.data["weights"]["colors"]:
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert np.any(np.all(img == rgb, axis=-1)), hex_colour


def test_two_inline_explorers_in_one_notebook_page(browser, tmp_path, rng):
    """Like an exported notebook: two ``_repr_html_`` outputs on one page, each working."""
    from selenium.webdriver.common.by import By

    first, second = explore([1, 2, 3], 5, "valid"), explore([[1, 2], [3, 4]], (3, 3), "same")
    path = tmp_path / "notebook.html"
    path.write_text("<!DOCTYPE html><html><body><h1>notebook</h1>"
                    f"<div>{first._repr_html_()}</div><div>{second._repr_html_()}</div>"
                    "</body></html>", encoding="utf-8")
    browser.get(path.as_uri())
    frames = browser.find_elements(By.TAG_NAME, "iframe")
    assert len(frames) == 2
    for frame, ex, kernel, shape in ((frames[0], first, [1, 2, 3], 5),
                                     (frames[1], second, [[1, 2], [3, 4]], (3, 3))):
        browser.switch_to.frame(frame)
        try:
            page = Page(browser, ex)
            assert page.state()["variant"] == ex.initial
            check_variant(page, np.array(kernel), shape, False, rng, n_cells=2, n_outs=1,
                          n_weights=1)
            # the frame grew to its page: no inner scrolling needed
            height = browser.execute_script("return document.documentElement.scrollHeight")
        finally:
            browser.switch_to.default_content()
        assert frame.size["height"] >= height


def test_per_side_padding_2d(browser, tmp_path, rng):
    w = rng.integers(1, 9, size=(2, 1, 2, 3))
    shape = (1, 4, 5)
    page = Page(browser, explore(w, shape, padding=((0, 1), (2, 0)), padding_mode="replicate"),
                tmp_path / "f.html")
    assert page.state()["variant"] == "(0,1),(2,0)|1|1|replicate"
    check_variant(page, w, shape, True, rng)
    # the padding button shows the pairs, and switching away and back redraws them
    page.switch(padding="same")
    check_variant(page, w, shape, True, rng, n_cells=2, n_outs=2, n_weights=1)
    assert page.switch(padding="(0,1),(2,0)") == "(0,1),(2,0)|1|1|replicate"
    check_variant(page, w, shape, True, rng, n_cells=2, n_outs=2, n_weights=1)


# --------------------------------------------------------------------------- issue 19
def _texts(driver, css):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)", css)


def _focused(driver):
    return driver.execute_script(
        "const e = document.activeElement; return e && e.dataset ? "
        "[e.dataset.kind || '', e.dataset.row || '', e.dataset.col || ''] : null")


def test_seed_numbers_keyboard_focus_and_escape(browser, tmp_path):
    """The seed with x: y = [5, 16, 34, 52, 45, 28] as sums; arrows step through the matrix."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    kernel, x = [5, 6, 7], [1, 2, 3, 4]
    page = Page(browser, explore(kernel, 4, x=x), tmp_path / "seed.html")
    y = np.convolve(x, kernel)
    assert [float(t) for t in _texts(browser, "#tcx-matrix-svg [data-kind=out]")] == y.tolist()
    assert [float(t) for t in _texts(browser, "#tcx-natural-svg [data-kind=out]")] == y.tolist()
    assert _texts(browser, "#tcx-matrix-svg [data-kind=in]") == ["1", "2", "3", "4"]
    # the weights' values with their names
    assert _texts(browser, "#tcx-kernel-svg [data-kind=weight]") == ["w05", "w16", "w27"]
    page.hover('#tcx-natural-svg [data-kind=out][data-row="3"]')
    info = browser.find_element(By.ID, "tcx-info").text
    assert y[3] == 52 and "y[3] = 7·2 + 6·3 + 5·4 = 52" in info
    assert "x[1], x[2], x[3]" in info          # the hint names the inputs
    # the flip, visibly: the kernel as given and flipped, and over each input of
    # y[3]'s window the weight that meets it (w2 on x1, w1 on x2, w0 on x3)
    by_x = ("return Array.from(document.querySelectorAll(arguments[0]), e => "
            "[e.getBoundingClientRect().left, e.textContent]).sort((a, b) => a[0] - b[0])"
            ".map(p => p[1])")
    assert browser.execute_script(by_x, "#tcx-kernel-svg [data-kind=wflip]") == [
        "w27", "w16", "w05"]
    assert browser.execute_script(by_x, "#tcx .tag") == ["w2", "w1", "w0"]
    assert page.state()["win"] == {(0, 1), (0, 2), (0, 3)}

    # every cell, input, output and weight can take the focus
    for kind in ("cell", "in", "out", "weight"):
        assert browser.execute_script(
            f"return document.querySelectorAll('#tcx [data-kind={kind}]:not([tabindex])')"
            ".length") == 0, kind
    taps = reference_taps(kernel, 4, page.ex.variants[page.ex.initial], False)
    rows = {}
    for r, c, _ in taps:
        rows.setdefault(r, set()).add(c)
    rows = {r: sorted(cs) for r, cs in rows.items()}

    def expected(r, c, key):
        # the documented moves: along the row in reading order, or to the
        # nearest stored entry of the next/previous row
        if key == "Home":
            return r, rows[r][0]
        if key == "End":
            return r, rows[r][-1]
        if key in ("ArrowRight", "ArrowLeft"):
            d = 1 if key == "ArrowRight" else -1
            i = rows[r].index(c) + d
            if 0 <= i < len(rows[r]):
                return r, rows[r][i]
            return r + d, rows[r + d][0 if d > 0 else -1]
        r2 = r + (1 if key == "ArrowDown" else -1)
        return r2, min(rows[r2], key=lambda cc: (abs(cc - c), cc))

    browser.execute_script("arguments[0].focus()", browser.find_element(
        By.CSS_SELECTOR, '#tcx-matrix-svg [data-kind=cell][data-row="0"][data-col="0"]'))
    r, c = 0, 0
    keys = {"ArrowDown": Keys.ARROW_DOWN, "ArrowRight": Keys.ARROW_RIGHT, "ArrowUp": Keys.ARROW_UP,
            "ArrowLeft": Keys.ARROW_LEFT, "Home": Keys.HOME, "End": Keys.END}
    for key in ("ArrowDown", "ArrowRight", "ArrowRight", "ArrowDown", "End", "ArrowUp",
                "ArrowLeft", "Home", "ArrowDown", "ArrowDown", "ArrowRight"):
        ActionChains(browser, duration=0).send_keys(keys[key]).perform()
        r, c = expected(r, c, key)
        assert _focused(browser) == ["cell", str(r), str(c)], key
        s = page.state()
        ws = {w for rr, cc, w in taps if (rr, cc) == (r, c)}
        assert s["focus"] == {(r, c)}
        assert s["tied"] == {(rr, cc) for rr, cc, w in taps if w in ws}
        assert s["in_hl"] == {(c,)} and s["out_hl"] == {(r,)} and s["w_hl"] == t1(ws)
    assert (r, c) == (4, 3)
    ActionChains(browser, duration=0).send_keys(Keys.ESCAPE).perform()
    s = page.state()
    assert all(not s[k] for k in s if k != "variant")
    assert _focused(browser)[0] != "cell"

    # the input grid: arrows move along it; Tab goes on to the next group
    browser.execute_script("arguments[0].focus()", browser.find_element(
        By.CSS_SELECTOR, '#tcx-natural-svg [data-kind=in][data-col="0"]'))
    ActionChains(browser, duration=0).send_keys(Keys.ARROW_RIGHT).perform()
    s = page.state()
    assert _focused(browser) == ["in", "", "1"] and s["in_hl"] == {(1,)}
    assert s["out_hl"] == {(r,) for r, c, _ in taps if c == 1}
    ActionChains(browser, duration=0).send_keys(Keys.TAB).perform()
    assert _focused(browser)[0] == "out"

    # a tap (a click) selects: the element takes the focus and stays lit
    browser.find_element(By.CSS_SELECTOR, '#tcx-natural-svg [data-kind=out][data-row="2"]').click()
    assert _focused(browser) == ["out", "2", ""]
    ActionChains(browser, duration=0).move_to_element(
        browser.find_element(By.CSS_SELECTOR, "#tcx .note")).perform()   # the pointer leaves
    assert page.state()["out_hl"] == {(2,)}
    assert "y[2] = 7·1 + 6·2 + 5·3 = 34" in browser.find_element(By.ID, "tcx-info").text

    # buttons say which is pressed
    def pressed():
        buttons = browser.find_elements(By.CSS_SELECTOR, 'button[data-axis="mode"]')
        return {b.get_attribute("data-value") for b in buttons
                if b.get_attribute("aria-pressed") == "true"}
    assert pressed() == {"full"}
    page.switch(mode="same")
    assert pressed() == {"same"}
    page.switch(op="corr")          # a correlation slides the kernel as given
    assert not browser.find_elements(By.CSS_SELECTOR, "#tcx-kernel-svg [data-kind=wflip]")


def test_fits_a_400px_screen_with_readable_text(browser, tmp_path, rng):
    """No sideways scrolling at 400 px (1-D, 2-D up to 5x5); text >= 12 px; 2-D matrix beside."""
    pages = [explore([5, 6, 7], 4, x=[1, 2, 3, 4]), explore([1, 2, 3], 9, "same", boundary="wrap"),
             explore(np.arange(1, 10).reshape(3, 3), (5, 5), x=np.arange(25)),
             explore(rng.integers(1, 9, size=(2, 2, 3, 3)), (2, 5, 5), padding=1)]
    overflow = ("const d = document.documentElement; return [d.scrollWidth, d.clientWidth, "
                "Math.max(...Array.from(document.querySelectorAll('svg'), "
                "s => s.getBoundingClientRect().right))]")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    try:
        for i, ex in enumerate(pages):
            Page(browser, ex, tmp_path / f"narrow{i}.html")
            scroll, client, right = browser.execute_script(overflow)
            assert client <= 400 and scroll <= client and right <= client, (i, scroll, right)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert "width=device-width" in pages[0].html

    smallest = ("return Math.min(...Array.from(document.querySelectorAll('#tcx *'))"
                ".filter(e => Array.from(e.childNodes)"
                ".some(n => n.nodeType === 3 && n.data.trim()))"
                ".map(e => parseFloat(getComputedStyle(e).fontSize)))")
    for i in (0, 2, 3):
        page = Page(browser, pages[i], tmp_path / f"wide{i}.html")
        page.hover('#tcx-natural-svg [data-kind=out][data-row="0"]')   # tags and rings too
        assert browser.execute_script(smallest) >= 12, i
    # 2-D at 1280 px: the matrix sits beside the grids, block structure outlined and labelled
    beside = ("const m = document.getElementById('tcx-matrix').getBoundingClientRect(), "
              "n = document.getElementById('tcx-natural').getBoundingClientRect(); "
              "return m.left >= n.right && m.top < n.bottom")
    assert browser.execute_script(beside)
    v = page.ex.variants[page.ex.initial]
    # the channel blocks named outside the cells: input channels above, output channels left
    assert _texts(browser, "#tcx-matrix-svg .blocklab") == ["x[0]", "x[1]", "y[0]", "y[1]"]
    assert browser.execute_script(
        "const m = document.querySelector('#tcx-matrix-svg .frame').getBoundingClientRect();"
        "return Array.from(document.querySelectorAll('#tcx-matrix-svg .blocklab'), e => {"
        "  const b = e.getBoundingClientRect();"
        "  return b.bottom <= m.top || b.right <= m.left; }).every(x => x)")
    # (2 out channels x 5 output rows) x (2 in channels x 5 input rows) blocks of 5 x 5
    n_sub = len(browser.find_elements("css selector", "#tcx-matrix-svg .sub"))
    assert n_sub == (v["m"] // 5) * (v["n"] // 5) == 100
    Page(browser, pages[2], tmp_path / "wide2b.html")
    assert browser.execute_script(beside)


# The smallest rendered text: CSS font size times the SVG's current scale
# (its drawn width over its viewBox width), over every element with text
# that is actually drawn (non-empty box, not hidden).
RENDERED_FONTS = """
const out = [];
for (const e of document.querySelectorAll('#tcx *')) {
  if (!Array.from(e.childNodes).some(n => n.nodeType === 3 && n.data.trim())) continue;
  const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
  if (r.width === 0 || r.height === 0) continue;
  if (cs.visibility === 'hidden' || cs.display === 'none') continue;
  let scale = 1;
  const svg = e.closest('svg');
  if (svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
    scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  }
  out.push([parseFloat(cs.fontSize) * scale, e.tagName + ' ' + e.textContent]);
}
return out;
"""


def test_narrow_layout_400px_keeps_text_readable(browser, tmp_path, rng):
    """At 400 px: no sideways page scrolling, every drawn text >= 12 px, exact highlighting."""
    from selenium.webdriver.common.by import By

    w_layer = rng.integers(1, 9, size=(2, 2, 3, 3))
    pages = [(explore([5, 6, 7], 4, x=[1, 2, 3, 4]), [5, 6, 7], 4, False),
             (explore([1, 2, 3], 24, x=np.arange(24)), [1, 2, 3], 24, False),
             (explore(np.arange(1, 10).reshape(3, 3), (5, 5), x=np.arange(25)),
              np.arange(1, 10).reshape(3, 3), (5, 5), False),
             (explore(w_layer, (2, 5, 5), padding=1), w_layer, (2, 5, 5), True)]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    try:
        for i, (ex, kernel, shape, layer) in enumerate(pages):
            page = Page(browser, ex, tmp_path / f"narrow-text{i}.html")
            assert browser.execute_script("return innerWidth") == 400
            # an output pointed at: its window's weight tags are drawn too
            page.hover('#tcx-natural-svg [data-kind=out][data-row="1"]')
            assert browser.find_elements(By.CSS_SELECTOR, "#tcx .tag"), i
            fonts = browser.execute_script(RENDERED_FONTS)
            assert len(fonts) > 10, i
            small = [f for f in fonts if f[0] < 12 - 1e-6]
            assert not small, (i, small[:5])
            scroll = browser.execute_script(
                "return [document.documentElement.scrollWidth, innerWidth]")
            assert scroll[0] <= scroll[1], (i, scroll)
            if i in (1, 3):
                # the highlighting is exact in the narrow layout too
                check_variant(page, np.asarray(kernel), shape, layer, rng, n_cells=2, n_outs=2,
                              n_weights=1)
        assert "narrow" in browser.execute_script(
            "return document.getElementById('tcx').className").split()
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    # widening the window redraws the same page in the wide layout (scaled drawings)
    assert browser.execute_script("return innerWidth") > 600
    from selenium.webdriver.support.ui import WebDriverWait

    # (the media query's change event comes with the next rendered frame)
    WebDriverWait(browser, 5).until(lambda d: "narrow" not in d.execute_script(
        "return document.getElementById('tcx').className").split())
    assert browser.find_element(By.ID, "tcx-matrix-svg").get_attribute("width") == "100%"
    check_variant(page, np.asarray(kernel), shape, layer, rng, n_cells=1, n_outs=1, n_weights=1)
