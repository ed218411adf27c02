"""The explorer as a lesson (issue 26) in headless Chromium: Play, Gradient, values, screens.

Every number read back from the page is compared with a reference written
here from the definitions (``np.convolve``, the sums ``y[r] = Σ_j w_j x[r-j]``
and ``dL/dw_j = Σ_c x[c] g[c+j]``) and with the matrix (``A.toarray()``,
``A @ x``, ``A.weight_grad(x, g)``).  The DOM hooks used here are the ones
issue 26 names: ``data-action="play" | "step" | "gradient" | "zoom"``,
``data-panel="spatial"``, ``aria-pressed``, ``role`` and ``aria-label``.
"""

import os
import re

import numpy as np
import pytest

from toeplitz_conv import conv_matrix, explore, layer_matrix
from toeplitz_conv.explorer import Explorer

from .test_explorer_browser import CHROMEDRIVER, CHROMIUM, Page, _texts

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="headless Chromium is not installed (Debian packages chromium and "
           "chromium-driver; .ci/run installs them)")

X, W = [1, 2, 3, 4], [5, 6, 7]          # the worked example (from the Q&A)


def _info(driver):
    return driver.execute_script("return document.getElementById('tcx-info').textContent")


def _key(driver, key):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver, duration=0).send_keys(key).perform()


def _click(driver, css):
    driver.execute_script("document.querySelector(arguments[0]).click()", css)


def _attr(driver, css, name):
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e && e.getAttribute(arguments[1])",
        css, name)


def _sum_value(text):
    """'1·2 + 2·(-3) = -4' -> (sum of the products, the factor pairs, -4.0)."""
    lhs, rhs = text.rsplit(" = ", 1)
    pairs = [tuple(float(f.strip("()")) for f in t.split("·")) for t in lhs.split(" + ")]
    return sum(a * b for a, b in pairs), pairs, float(rhs)


# tags over the input cells, left to right; outputs still shown, in order
TAGS_JS = """
return Array.from(document.querySelectorAll('#tcx-natural .tag'),
                  e => [e.getBoundingClientRect().left, e.textContent])
            .sort((a, b) => a[0] - b[0]).map(p => p[1]);
"""
SHOWN_JS = """
return Array.from(document.querySelectorAll('#tcx-natural-svg [data-kind=out]'), e => {
  const t = e.querySelector('text');
  return t && getComputedStyle(t).visibility !== 'hidden' ? t.textContent : null; });
"""


def test_play_and_step_build_the_worked_example(browser, tmp_path):
    """Step builds 5·1, 6·1 + 5·2, ... up to [5, 16, 34, 52, 45, 28]; Escape stops."""
    from selenium.webdriver.common.keys import Keys

    page = Page(browser, explore(W, 4, x=X), tmp_path / "play.html")
    y = np.convolve(X, W)
    assert y.tolist() == [5, 16, 34, 52, 45, 28]
    _click(browser, '[data-action="step"]')
    for r in range(6):
        if r:
            _key(browser, Keys.ARROW_RIGHT)
        # y[r] = sum_j w_j x[r - j], written in the order of the inputs
        terms = [(W[r - c], X[c]) for c in range(4) if 0 <= r - c < 3]
        expect = " + ".join(f"{a}·{b}" for a, b in terms) + f" = {y[r]}"
        assert f"step {r + 1} of 6: y[{r}] = {expect}" in _info(browser), r
        if r == 1:
            assert "6·1 + 5·2 = 16" in _info(browser)
        # the products over the window's cells: x[p] meets w[r - p] (zeros off the input)
        assert browser.execute_script(TAGS_JS) == [
            f"{W[r - p]}·{X[p] if 0 <= p < 4 else 0}" for p in range(r - 2, r + 1)]
        # the sums land in the outputs one by one, the rest still blank
        assert browser.execute_script(SHOWN_JS) == [str(v) for v in y[:r + 1]] + [None] * (5 - r)
        s = page.state()
        assert s["cell_hl"] == {(r, c) for c in range(4) if 0 <= r - c < 3}
        assert s["out_hl"] == {(r,)}
    assert "so far y = [5, 16, 34, 52, 45, 28]" in _info(browser)
    _key(browser, Keys.ARROW_LEFT)                       # and back
    assert "step 5 of 6" in _info(browser)
    _key(browser, Keys.ESCAPE)
    assert browser.execute_script(SHOWN_JS) == [str(v) for v in y]
    assert "step" not in _info(browser) and not page.state()["out_hl"]

    # Play: pressed while it runs, at the chosen speed, to the last output
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("document.querySelector('[data-action=speed]').value = '5'")
    _click(browser, '[data-action="play"]')
    assert _attr(browser, '[data-action="play"]', "aria-pressed") == "true"
    assert "step 1 of 6" in _info(browser)
    _key(browser, Keys.ESCAPE)                           # Escape stops
    assert _attr(browser, '[data-action="play"]', "aria-pressed") == "false"
    Page(browser, explore([1, 2], 2, x=[3, 1], play=True), tmp_path / "autoplay.html")
    assert _attr(browser, '[data-action="play"]', "aria-pressed") == "true"
    assert "step 1 of 3" in _info(browser)
    # a new speed goes on from where it is, one step at once
    browser.execute_script("const s = document.querySelector('[data-action=speed]');"
                           " s.value = '5'; s.dispatchEvent(new Event('input', {bubbles: true}))")
    assert "step 2 of 3" in _info(browser)
    WebDriverWait(browser, 5, poll_frequency=0.05).until(
        lambda d: _attr(d, '[data-action="play"]', "aria-pressed") == "false")
    assert "step 3 of 3" in _info(browser) and "so far y = [3, 7, 2]" in _info(browser)


def test_gradient_view_shows_the_sum_over_tied_positions(browser, tmp_path):
    """Gradient on w1: four products x[c]·g[c+1]; the numbers are A.weight_grad(x, g)."""
    g = np.array([2.0, -1, 3, 1, -2, 1])
    a = conv_matrix(W, 4)
    page = Page(browser, explore(W, 4, x=X, grad_out=g), tmp_path / "grad.html")
    _click(browser, '[data-action="gradient"]')
    assert _attr(browser, '[data-action="gradient"]', "aria-pressed") == "true"
    ref_w = [sum(X[c] * g[c + j] for c in range(4)) for j in range(3)]
    assert np.allclose(a.weight_grad(np.array(X, float), g), ref_w)
    # the kernel shows dL/dw, the outputs g
    assert [float(t) for t in _texts(browser, "#tcx-kernel-svg [data-kind=weight] .wval")] == ref_w
    assert [float(t) for t in _texts(browser, "#tcx-natural-svg [data-kind=out]")] == g.tolist()

    s = page.hover('#tcx-kernel-svg [data-kind=weight][data-w="1"]')
    m = re.search(r"dL/dw1 = Σ x\[c\]·g\[r\] over the (\d+) positions tied to w1 = (.*)$",
                  _info(browser))
    assert m and m.group(1) == "4"
    total, pairs, shown = _sum_value(m.group(2))
    assert pairs == [(X[c], g[c + 1]) for c in range(4)]
    assert total == shown == ref_w[1]
    rows, cols, widx = a.taps
    assert s["tied"] == {(r, c) for r, c, w in zip(rows, cols, widx) if w == 1}
    assert s["in_hl"] == {(c,) for c in range(4)} and s["out_hl"] == {(r,) for r in range(1, 5)}

    page.hover('#tcx-natural-svg [data-kind=in][data-col="2"]')
    m = re.search(r"dL/dx\[2\] = Σ w·g\[r\] down column 2 of A = (.*)$", _info(browser))
    total, pairs, shown = _sum_value(m.group(1))
    ref_x = sum(W[j] * g[2 + j] for j in range(3))
    assert total == shown == ref_x == (a.T @ g)[2]
    assert pairs == [(W[j], g[2 + j]) for j in range(3)]

    _click(browser, '[data-action="gradient"]')          # and back to y = A x
    assert _attr(browser, '[data-action="gradient"]', "aria-pressed") == "false"
    assert [float(t) for t in _texts(browser, "#tcx-natural-svg [data-kind=out]")] == \
        np.convolve(X, W).tolist()


def test_values_roles_and_labels_match_the_matrix(browser, tmp_path, rng):
    Page(browser, explore(W, 4, x=X), tmp_path / "values.html")
    assert _attr(browser, '#tcx-matrix-svg [data-kind=cell][data-row="3"][data-col="1"]',
                 "aria-label") == "row 3, column 1: w2 = 7"
    # every drawn element has a role and a label for a screen reader
    assert browser.execute_script(
        "return document.querySelectorAll('#tcx [data-kind]:not([role]),"
        " #tcx [data-kind]:not([aria-label])').length") == 0
    a = conv_matrix(W, 4).toarray()
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('#tcx-matrix-svg [data-kind=cell]'),"
        " e => [+e.dataset.row, +e.dataset.col, e.querySelector('.wv').textContent])")
    assert len(cells) == np.count_nonzero(a)
    assert all(float(t) == a[r, c] for r, c, t in cells)

    # a layer with reflect padding: the values (and the sums of tied weights) are A's
    w = rng.integers(1, 9, size=(2, 1, 3, 3))
    x = rng.integers(-3, 4, size=(1, 4, 4))
    Page(browser, explore(w, (1, 4, 4), padding=1, padding_mode="reflect", x=x),
         tmp_path / "values2.html")
    a = layer_matrix(w, (1, 4, 4), padding=1, padding_mode="reflect")
    dense = a.toarray()
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('#tcx-matrix-svg [data-kind=cell]'),"
        " e => [+e.dataset.row, +e.dataset.col, e.getAttribute('aria-label')])")
    assert len(labels) == np.count_nonzero(dense)
    several = 0
    for r, c, label in labels:
        head, values = label.rsplit(" = ", 1)
        assert head.startswith(f"row {r}, column {c}: w")
        several += " + " in values
        assert sum(float(v) for v in values.split(" + ")) == dense[r, c], label
    assert several > 0                      # reflect reads some inputs twice
    outs = _texts(browser, "#tcx-natural-svg [data-kind=out]")
    assert [float(t) for t in outs] == (a @ x.ravel()).tolist()


def test_keyboard_pins_and_follows_the_panels(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = Page(browser, explore(W, 4, x=X), tmp_path / "keys.html")
    browser.execute_script("document.querySelector('[data-action=zoom]').focus()")
    seen = []
    for _ in range(6):
        _key(browser, Keys.TAB)
        seen.append(browser.execute_script(
            "const e = document.activeElement;"
            " return [e.dataset.kind, e.ownerSVGElement && e.ownerSVGElement.id]"))
    assert seen == [["weight", "tcx-kernel-svg"], ["in", "tcx-natural-svg"],
                    ["out", "tcx-natural-svg"], ["in", "tcx-matrix-svg"],
                    ["cell", "tcx-matrix-svg"], ["out", "tcx-matrix-svg"]]

    cell = '#tcx-matrix-svg [data-kind=cell][data-row="3"][data-col="1"]'
    browser.execute_script("document.querySelector(arguments[0]).focus()", cell)
    _key(browser, Keys.ENTER)
    assert _attr(browser, cell, "aria-pressed") == "true"
    s = page.hover('#tcx-matrix-svg [data-kind=cell][data-row="0"][data-col="0"]')
    assert s["focus"] == {(3, 1)}                        # pinned: pointing elsewhere keeps it
    assert "A[3, 1] = w2 = 7" in browser.find_element(By.ID, "tcx-info").text
    _key(browser, Keys.ESCAPE)
    assert _attr(browser, cell, "aria-pressed") == "false"
    assert not page.state()["focus"]


def test_spatial_view_window_stride_and_padding(browser, tmp_path):
    """2-D: the padded input grid, the dilated window, stride steps, linked to the matrix."""
    from selenium.webdriver.common.keys import Keys

    w = np.arange(1, 10).reshape(1, 1, 3, 3)
    page = Page(browser, explore(w, (1, 6, 6), padding=2, dilation=2, stride=2),
                tmp_path / "spatial.html")
    assert browser.execute_script(
        "return document.querySelector('[data-panel=spatial]').id") == "tcx-natural"
    assert len(browser.find_elements("css selector", "#tcx-natural-svg [data-kind=pad]")) == \
        10 * 10 - 6 * 6
    _click(browser, '[data-action="step"]')
    # output (i, j) reads positions i*2 - 2 + 2t (stride 2, padding 2, dilation 2)
    for i, j in ((0, 0), (0, 1)):
        want = {(0, i * 2 - 2 + 2 * a, j * 2 - 2 + 2 * b) for a in range(3) for b in range(3)}
        assert page.state()["win"] == want, (i, j)
        box = browser.execute_script(
            "const f = document.querySelector('#tcx-natural .frame-now').getBoundingClientRect();"
            "const c = Array.from(document.querySelectorAll('#tcx-natural-svg .win'),"
            "  e => e.getBoundingClientRect());"
            "return [c.every(r => r.left >= f.left && r.right <= f.right && r.top >= f.top"
            "  && r.bottom <= f.bottom), f.left]")
        assert box[0]
        if j == 0:
            _key(browser, Keys.ARROW_RIGHT)
            first = box[1]
    prev = browser.execute_script(
        "return document.querySelector('#tcx-natural .frame-prev').getBoundingClientRect().left")
    assert prev == pytest.approx(first, abs=0.5)
    # the window moved by the stride: two cell pitches
    pitch = browser.execute_script(
        "const e = Array.from(document.querySelectorAll('#tcx-natural-svg [data-kind=pad]'))"
        ".slice(0, 2).map(e => e.getBoundingClientRect().left); return e[1] - e[0]")
    assert box[1] - first == pytest.approx(2 * pitch, abs=0.5)
    _key(browser, Keys.ESCAPE)
    # and from the matrix back to the grid (below), and a transposed layer: the input
    # zero-inserted, x0 _ x1 _ x2 with d(k-1) = 2 zeros around, under a stride-1 window
    page_t = Page(browser, explore([5, 6, 7], 3, transposed=True, stride=2, x=[1, 2, 3]),
                  tmp_path / "transposed.html")
    assert browser.execute_script(
        "return document.querySelector('[data-panel=spatial]').id") == "tcx-natural"
    assert _texts(browser, "#tcx-natural-svg [data-kind=in], #tcx-natural-svg [data-kind=pad]") \
        == ["0", "0", "1", "0", "2", "0", "3", "0", "0"]
    _click(browser, '[data-action="step"]')
    _key(browser, Keys.ARROW_RIGHT)
    _key(browser, Keys.ARROW_RIGHT)
    # y[2] = w0·x1 (the flipped kernel over positions 2, 3, 4 of the grid)
    assert page_t.state()["win"] == {(0, 2), (0, 3), (0, 4)}
    assert browser.execute_script(TAGS_JS) == ["7·1", "6·0", "5·2"]
    assert "step 3 of 7: y[2] = 7·1 + 5·2 = 17" in _info(browser)
    _key(browser, Keys.ESCAPE)
    page = Page(browser, explore(w, (1, 6, 6), padding=2, dilation=2, stride=2),
                tmp_path / "spatial2.html")
    s = page.hover('#tcx-matrix-svg [data-kind=cell][data-row="4"][data-col="14"]')
    assert s["in_hl"] == {(14,)}
    assert browser.execute_script(
        "return document.querySelector('#tcx-natural-svg [data-kind=in][data-col=\"14\"]')"
        ".classList.contains('hl')")


def test_every_screen_wide_zoom_lens_and_labels(browser, tmp_path, rng):
    pages = [explore(W, 4, x=X),
             explore(rng.integers(1, 9, size=(2, 2, 3, 3)), (2, 5, 5), padding=1)]
    paths = [p.save(tmp_path / f"screen{i}.html") for i, p in enumerate(pages)]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    try:
        for path in paths:
            browser.get(path.as_uri())
            width = browser.execute_script(
                "return document.getElementById('tcx-matrix-svg').getBoundingClientRect().width")
            assert width >= 960, (path, width)
            if path == paths[0]:
                h1 = browser.execute_script(
                    "return document.querySelector('h1').getBoundingClientRect().height")
        # projector mode: ?zoom=2 doubles every text
        browser.get(paths[0].as_uri() + "?zoom=2")
        h2 = browser.execute_script("return document.querySelector('h1').getBoundingClientRect()"
                                    ".height")
        assert h2 / h1 == pytest.approx(2, rel=0.1)
        assert _attr(browser, '[data-action="zoom"]', "aria-pressed") == "true"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        # the button goes round 1, 1.5, 2
        _click(browser, '[data-action="zoom"]')
        assert _attr(browser, '[data-action="zoom"]', "aria-pressed") == "false"
        _click(browser, '[data-action="zoom"]')
        assert _attr(browser, '[data-action="zoom"]', "aria-pressed") == "true"
        assert browser.execute_script("return document.getElementById('tcx').style.zoom") == \
            "1.5"

    # the magnifier: over 8 px cells, centred on the cell pointed at; none over large cells
    page = Page(browser, explore([1, 2, 3], 60), tmp_path / "lens.html")
    cell = '#tcx-matrix-svg [data-kind=cell][data-row="20"][data-col="19"]'
    page.hover(cell)
    lens = browser.execute_script(
        "const l = document.getElementById('tcx-lens'), v = l.querySelector('svg').viewBox.baseVal;"
        "return [l.hidden, v.x + v.width / 2, v.y + v.height / 2, l.getBoundingClientRect().width,"
        " l.querySelector('.lens-cap').textContent]")
    x, y, w, h = map(float, _attr(browser, cell, "data-box").split(","))
    assert lens[0] is False and lens[1:3] == pytest.approx([x + w / 2, y + h / 2])
    assert lens[3] >= 200 and lens[4] == "row 20, column 19: w1 = 2"

    # 2-D labels of highlighted cells: written again over the rings, inside their cells
    page = Page(browser, explore(np.arange(1, 5).reshape(2, 2), (3, 3)), tmp_path / "lab.html")
    page.hover('#tcx-matrix-svg [data-kind=cell][data-row="5"][data-col="4"]')
    assert browser.execute_script("return document.getElementById('tcx-lens').hidden")
    page.hover('#tcx-natural-svg [data-kind=out][data-row="4"]')
    got = browser.execute_script("""
      const out = [];
      for (const g of document.querySelectorAll('#tcx-natural-svg [data-kind].hl, '
          + '#tcx-natural-svg [data-kind].at, #tcx-natural-svg [data-kind].win')) {
        const t = g.querySelector('text');
        if (!t) continue;
        const [x, y, w, h] = g.dataset.box.split(',').map(Number), b = t.getBBox();
        out.push([t.textContent, b.x >= x && b.x + b.width <= x + w]);
      }
      const re = Array.from(document.querySelectorAll('#tcx-natural .relabel'), e => e.textContent);
      return [out, re];""")
    labels, relabels = got
    assert labels and all(inside for _, inside in labels), labels
    assert sorted(t for t, _ in labels) == sorted(relabels)
    assert "y1,0" in relabels           # the label issue 26 saw clipped


PAYLOADS = ['red" onmouseover="window.__xss=1" x="', '<img src=x onerror="window.__xss=2">',
            "</text><script>window.__xss=3</script>", "'><svg onload='window.__xss=4'>"]


def test_markup_in_the_data_stays_text(browser, tmp_path):
    """Issue 29 item 7: every interpolation is escaped; payloads render as inert text."""
    from selenium.webdriver.common.keys import Keys

    page = explore(W, 4, x=X)
    d = page.data
    v = d["variants"][d["initial"]]
    d["weights"]["colors"][0] = PAYLOADS[0]
    d["weights"]["text"][1] = PAYLOADS[0]
    d["weights"]["names"][1] = PAYLOADS[1]
    d["weights"]["values"][2] = PAYLOADS[2]
    d["pad_color"] = PAYLOADS[0]
    d["axes"][0]["values"][0]["label"] = PAYLOADS[3]
    v["title"] = PAYLOADS[1]
    v["numbers"]["x"][0] = PAYLOADS[3]
    v["numbers"]["y"][0] = PAYLOADS[1]
    v["grad"]["g"][1] = PAYLOADS[2]
    v["col_labels"][0] = PAYLOADS[1]
    v["natural"]["captions"][0][2] = PAYLOADS[3]
    v["natural"]["captions"][0][3] = PAYLOADS[0]
    p = Page(browser, Explorer(d), tmp_path / "xss.html")
    p.hover('#tcx-kernel-svg [data-kind=weight][data-w="1"]')
    p.hover('#tcx-matrix-svg [data-kind=cell][data-row="0"][data-col="0"]')
    p.hover('#tcx-natural-svg [data-kind=in][data-col="0"]')
    _click(browser, '[data-action="step"]')
    _key(browser, Keys.ARROW_RIGHT)
    _click(browser, '[data-action="gradient"]')
    p.hover('#tcx-natural-svg [data-kind=out][data-row="1"]')
    assert browser.execute_script("return window.__xss === undefined")
    assert browser.execute_script(
        "return document.querySelectorAll('img, image, iframe, #tcx script, svg svg svg')"
        ".length") == 0
    assert browser.execute_script("""
      return Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes)
        .some(a => a.name.startsWith('on'))).length""") == 0
    # ... and they are shown as written
    assert _attr(browser, '#tcx-kernel-svg [data-kind=weight][data-w="0"] rect', "fill") == \
        PAYLOADS[0]
    assert PAYLOADS[1] in _texts(browser, "#tcx-kernel-svg [data-kind=weight] text")
    assert browser.find_element("id", "tcx-title").text == PAYLOADS[1]
