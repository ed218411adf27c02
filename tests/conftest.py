"""Shared test helpers: reference implementations come from scipy, numpy and torch."""

import importlib.util
import os
import shutil

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
