"""Shared test helpers: reference implementations come from scipy, numpy and torch."""

import importlib.util
import os
import shutil
import subprocess
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import settings

# ``--hypothesis-profile=thorough``: 10x hypothesis' default example count
# (the fuzz suite, tests/test_fuzz_*.py, scales with it; see tests/_fuzz.py).
settings.register_profile("thorough", max_examples=1000, deadline=None)

HAS_TORCH = importlib.util.find_spec("torch") is not None

# CI installs torch; a developer machine without it skips only these tests.
requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True, scope="session")
def _torch_single_thread():
    # The references are tiny convolutions: torch's thread pool only adds
    # contention on a 2-core machine (seen as ~1000x slower calls).
    if not HAS_TORCH:
        yield
        return
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(params=["table", "lines", "chunks"])
def builder_path(request):
    """Each way the builder writes zero-padded matrices, forced for the whole test.

    Small matrices are written from one index table; larger ones region by
    region, either a whole output line per pattern ("lines") or, for long
    lines, cache-sized chunks of full rows ("chunks", forced with tiny chunks
    so that chunk tails occur).  The tests' inputs are small, so the builder
    would pick the table by itself: a test that takes this fixture builds
    every matrix along the path it names (the assembler's private switch).
    """
    from toeplitz_conv._assemble import forced_write_path

    with forced_write_path(request.param):
        yield request.param


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One headless Chromium (selenium) shared by the explorer's browser tests.

    Tests that change the viewport restore it (``Emulation.clearDeviceMetricsOverride``).
    """
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # No network: selenium's usage statistics off, and with the browser and
    # driver paths given, Selenium Manager never looks for (or downloads) either.
    os.environ["SE_AVOID_STATS"] = "true"
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


# ------------------------------------------------ what a local run skipped, and how to get it

#: The Debian packages of the browser, TeX and animation tests (.ci/run installs
#: the same list; tests/test_docs.py keeps the three in step with the README).
DEBIAN_PACKAGES = ("chromium", "chromium-driver", "texlive-latex-base",
                   "texlive-latex-recommended", "texlive-pictures", "texlive-latex-extra",
                   "poppler-utils", "ffmpeg")

#: need -> (words of a skip reason that name it, the one command that installs it)
INSTALL = {
    "the built site": (("site is not built",),
                       ".venv/bin/python -m sphinx -W -b html docs docs/_build/html"),
    "torch": (("torch",), '.venv/bin/pip install "torch==2.13.0" '
                          "--index-url https://download.pytorch.org/whl/cpu"),
    "jax": (("jax",), '.venv/bin/pip install -e ".[jax]"'),
    "Debian packages (browser, TeX, ffmpeg)": (
        ("chromium", "pdflatex", "texlive", "ffmpeg", "pdftotext"),
        "sudo apt-get install " + " ".join(DEBIAN_PACKAGES)),
    "the docs extra": (("sphinx", "docs extra"), '.venv/bin/pip install -e ".[docs]"'),
    "the widgets extra": (("ipywidgets", "widgets"), '.venv/bin/pip install -e ".[widgets]"'),
    "the test extra": (("nbclient", "nbformat", "pylops", "selenium"),
                       '.venv/bin/pip install -e ".[test]"'),
}


def ffmpeg_problem() -> str | None:
    """Why ffmpeg cannot write an .mp4 here (None when it can): missing, or present but broken."""
    path = shutil.which("ffmpeg")
    if path is None:
        return "ffmpeg is not installed (Debian package ffmpeg)"
    try:
        r = subprocess.run([path, "-hide_banner", "-version"], capture_output=True, text=True,
                           timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"ffmpeg at {path} does not run: {exc}"
    if r.returncode != 0:
        last = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"ffmpeg at {path} is broken (exit {r.returncode}: {last[0]})"
    return None


def _need(reason: str) -> str:
    low = reason.lower()
    for need, (words, _) in INSTALL.items():
        if any(w in low for w in words):
            return need
    return "other"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After the run: which tests were skipped for want of what, and the command to get it.

    A run without torch, jax or the Debian packages passes, but it did not run
    those tests; this says so at the end, where it is read.
    """
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    by_need: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reasons: dict[str, set[str]] = defaultdict(set)
    for rep in skipped:
        longrepr = getattr(rep, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 \
            else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        need = _need(reason)
        by_need[need][rep.nodeid.split("::")[0]] += 1
        reasons[need].add(reason)
    total = sum(sum(files.values()) for files in by_need.values())
    terminalreporter.section(f"{total} tests skipped: what they need and how to install it")
    for need, files in by_need.items():
        count = sum(files.values())
        where = ", ".join(f"{f} ({n})" for f, n in sorted(files.items()))
        if need == "other":
            terminalreporter.line(f"{count} skipped for other reasons: {where}")
            for reason in sorted(reasons[need]):
                terminalreporter.line(f"    {reason}")
            continue
        terminalreporter.line(f"{count} need {need}: {where}")
        terminalreporter.line(f"    get it with: {INSTALL[need][1]}")
