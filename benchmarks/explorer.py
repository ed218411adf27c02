"""The explorer page: building it in Python, loading it and answering a hover in Chromium.

Issues 19 and 26 ask for pages up to 400 x 400 matrix cells that still
answer a hover within 50 ms.  Each case is timed five ways: ``explore(...)``
in Python (every variant built and laid out), the page load in headless
Chromium (navigation start to the end of the load event, the drawing
included), the hover response: a ``mouseover`` dispatched on a matrix cell,
an output or a weight, timed from the dispatch to the next frame (the
highlighting, style, layout and paint), median over a sample of elements;
the same hover in the gradient view (issue 26: dL/dw written as a sum over
the tied positions), and one Play step (a click on Step: the window, its
products and the blank outputs to come).  The ratios are against the
worked example's page (6 x 4) in the same run.  The medians are reported,
not asserted in any test.

Opt-in (``python -m benchmarks --only explorer``): it needs Debian's
``chromium`` and ``chromium-driver`` and selenium; without them the rows say
"missing".  No network: selenium's telemetry is off (``SE_AVOID_STATS``) and
the system chromedriver is passed explicitly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from toeplitz_conv import explore

from .measure import Result, Settings, measure_inline

WORKLOAD = "explorer"
METHODS = ["explore build (Python)", "page load (Chromium)", "hover (Chromium)",
           "hover, gradient view (Chromium)", "Play step (Chromium)"]
#: The rows timed like the hover (a median over dispatched events, the target noted).
_EVENT_ROWS = METHODS[2:]
#: Hover response target for a 400 x 400 page (issue 19), milliseconds.
TARGET_MS = 50.0
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _cases(quick: bool) -> list[tuple[str, Any, Any, dict[str, Any]]]:
    seed = ("worked example 6 x 4 (baseline)", [5, 6, 7], 4, {"x": [1, 2, 3, 4]})
    if quick:
        return [seed, ("1-D 62 x 60", [1, 2, 3], 60, {})]
    rng = np.random.default_rng(0)
    return [
        seed,
        ("1-D 400 x 398", [1, 2, 3], 398, {"x": rng.integers(-9, 10, 398)}),
        ("2-D 400 x 400 (20x20 'same', 3x3)", np.arange(1, 10).reshape(3, 3), (20, 20),
         {"mode": "same"}),
        ("2-D 400 x 400 (20x20 'same', 5x5)", np.arange(1, 26).reshape(5, 5), (20, 20),
         {"mode": "same", "x": rng.integers(-9, 10, (20, 20))}),
    ]


# Time from a dispatched mouseover to the frame after it (highlighting, style,
# layout, paint); resolves with milliseconds.
HOVER_JS = """
const [css, done] = arguments;
const e = document.querySelector(css);
const t0 = performance.now();
e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
"""
# The same for a click on one of the page's actions (Step, Gradient).
CLICK_JS = """
const [action, done] = arguments;
const e = document.querySelector(`[data-action="${action}"]`);
const t0 = performance.now();
e.click();
requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
"""
LOAD_JS = """
const t = performance.getEntriesByType('navigation')[0];
return [t.loadEventEnd - t.startTime,
        performance.memory ? performance.memory.usedJSHeapSize : null];
"""


def _driver(profile: str) -> Any:
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                "--enable-precise-memory-info", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_script_timeout(30)
    return driver


def _targets(page: Any, n: int) -> list[str]:
    """CSS selectors of up to ``n`` matrix cells, 3 outputs and 2 weights, spread evenly."""
    v = page.variants[page.initial]
    cells = sorted({(r, c) for r, c, _ in v["taps"]})
    pick = [cells[i] for i in np.linspace(0, len(cells) - 1, min(n, len(cells))).astype(int)]
    out = [f'#tcx-matrix-svg [data-kind=cell][data-row="{r}"][data-col="{c}"]' for r, c in pick]
    out += [f'#tcx-natural-svg [data-kind=out][data-row="{r}"]'
            for r in np.linspace(0, v["m"] - 1, 3).astype(int).tolist()]
    out += [f'#tcx-kernel-svg [data-kind=weight][data-w="{w}"]'
            for w in (0, len(page.data["weights"]["names"]) - 1)]
    return out


def run(settings: Settings) -> list[Result]:
    """One row per method and case; the browser rows say "missing" without Chromium."""
    results: list[Result] = []
    pages = []
    for case, kernel, shape, kw in _cases(settings.quick):
        row = {m: Result(WORKLOAD, case, m) for m in METHODS}
        page = explore(kernel, shape, **kw)
        v = page.variants[page.initial]
        for r in row.values():
            r.nnz = len(v["taps"])
            r.extra = {"m": v["m"], "n": v["n"], "variants": len(page.variants),
                       "html_bytes": len(page.html)}

        def check(out: Any, ref: str = page.html) -> tuple[bool, str]:
            return out.html == ref, ""
        measure_inline(row["explore build (Python)"],
                       lambda k=kernel, s=shape, a=kw: explore(k, s, **a), check, settings,
                       size=lambda out: float(len(out.html)))
        pages.append((row, page))
        results += row.values()
    _browser(pages, settings)
    base = {m: r.time_s for m, r in pages[0][0].items()}
    for row, _ in pages:
        for m, r in row.items():
            if r.time_s is not None and base[m]:
                r.ratio = r.time_s / base[m]
        for name in _EVENT_ROWS:
            hover = row[name]
            if hover.time_s is None:
                continue
            hover.note = (f"median {hover.time_s * 1e3:.1f} ms, max "
                          f"{hover.extra['max_ms']:.1f} ms; ratio vs the worked example's page")
            if max(hover.extra["m"], hover.extra["n"]) >= 400:
                met = hover.time_s * 1e3 < TARGET_MS
                hover.note += (f"; target median < {TARGET_MS:g} ms at 400 x 400: "
                               f"{'met' if met else 'NOT met'}")
    pages[0][0]["explore build (Python)"].note = "reference (ratios of the rows below)"
    return results


def _browser(pages: list[tuple[dict[str, Result], Any]], settings: Settings) -> None:
    """Fill the Chromium rows (page load, hover) of every case."""
    browser_rows = [r for row, _ in pages for m, r in row.items() if m != METHODS[0]]
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        for r in browser_rows:
            r.status = "missing"
            r.note = "headless Chromium (chromium, chromium-driver) is not installed"
        return
    try:
        import selenium  # noqa: F401
    except ImportError:
        for r in browser_rows:
            r.status, r.note = "missing", "selenium is not installed"
        return
    with tempfile.TemporaryDirectory() as tmp:
        driver = _driver(str(Path(tmp) / "profile"))
        try:
            for i, (row, page) in enumerate(pages):
                path = page.save(Path(tmp) / f"page{i}.html")
                loads, heap = [], None
                for _ in range(max(1, min(settings.repeats, 3))):
                    driver.get(path.as_uri())
                    load_ms, heap = driver.execute_script(LOAD_JS)
                    loads.append(load_ms)
                lr = row["page load (Chromium)"]
                lr.time_s, lr.repeats, lr.equal = float(np.median(loads)) / 1e3, len(loads), True
                lr.peak_bytes, lr.peak_how = heap, "JS heap after load"
                hovers = []
                for _ in range(2 if settings.quick else 5):
                    for css in _targets(page, 6):
                        hovers.append(driver.execute_async_script(HOVER_JS, css))
                _fill(row["hover (Chromium)"], hovers, heap, driver)
                # the gradient view (one click), then the same hovers
                driver.execute_async_script(CLICK_JS, "gradient")
                hovers = []
                for _ in range(2 if settings.quick else 5):
                    for css in _targets(page, 6):
                        hovers.append(driver.execute_async_script(HOVER_JS, css))
                _fill(row["hover, gradient view (Chromium)"], hovers, heap, driver,
                      "return document.getElementById('tcx-info').textContent"
                      ".startsWith('dL/d') || document.querySelectorAll('#tcx .rings path')"
                      ".length > 0")
                steps = [driver.execute_async_script(CLICK_JS, "step")
                         for _ in range(min(page.variants[page.initial]["m"],
                                            6 if settings.quick else 20))]
                _fill(row["Play step (Chromium)"], steps, heap, driver,
                      "return document.getElementById('tcx-info').textContent"
                      ".startsWith('step ')")
        finally:
            driver.quit()


def _fill(r: Result, times_ms: list[float], heap: Any, driver: Any,
          done_js: str = "return document.querySelectorAll('#tcx .rings path').length > 0"
          ) -> None:
    """A row from event timings (ms): the median, the largest, and whether the page answered."""
    r.time_s, r.repeats = float(np.median(times_ms)) / 1e3, len(times_ms)
    r.peak_bytes, r.peak_how = heap, "JS heap after load"
    r.extra["max_ms"] = float(np.max(times_ms))
    # the event did something: the page's own state says so
    r.equal = bool(driver.execute_script(done_js))
