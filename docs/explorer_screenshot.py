"""Regenerate the explorer's screenshots in docs/ with headless Chromium.

* ``explorer.png``: the worked example's page with numbers, y[3] pointed at (1040 px);
* ``explorer-400.png``: a 400 px phone, the worked example in Play, at y[1] = 6·1 + 5·2;
* ``explorer-1280.png``: a laptop, the gradient view, w1's gradient as a sum of four products;
* ``explorer-1920.png``: a projector, a 2-D layer's spatial view stepping with stride 2.

Run from the repository root: ``python docs/explorer_screenshot.py``
(needs chromium, chromium-driver and selenium; no network: selenium's
telemetry is off and the system chromedriver is passed explicitly).
"""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from toeplitz_conv import explore

HERE = Path(__file__).resolve().parent


def _driver(profile: Path) -> webdriver.Chrome:
    # No network: no selenium statistics, and the system browser and driver
    # given explicitly, so Selenium Manager never resolves (or downloads) them.
    os.environ["SE_AVOID_STATS"] = "true"
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1040,780", "--hide-scrollbars",
                f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def _shot(driver: webdriver.Chrome, width: int, height: int, out: Path) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.save_screenshot(str(out))


def _point(driver: webdriver.Chrome, css: str) -> None:
    ActionChains(driver, duration=0).move_to_element(
        driver.find_element(By.CSS_SELECTOR, css)).perform()


def main() -> None:
    worked = explore([5, 6, 7], 4, x=[1, 2, 3, 4])
    rng = np.random.default_rng(3)
    layer = explore(rng.integers(1, 9, size=(1, 1, 3, 3)), (1, 7, 7), padding=1, stride=2,
                    x=rng.integers(-3, 4, size=(1, 7, 7)))
    with tempfile.TemporaryDirectory() as tmp:
        a = worked.save(Path(tmp) / "worked.html")
        b = layer.save(Path(tmp) / "layer.html")
        driver = _driver(Path(tmp) / "profile")
        try:
            driver.get(a.as_uri())
            _point(driver, '#tcx-natural-svg [data-kind=out][data-row="3"]')
            driver.save_screenshot(str(HERE / "explorer.png"))

            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": 400, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            driver.get(a.as_uri())
            for _ in range(2):
                driver.find_element(By.CSS_SELECTOR, '[data-action="step"]').click()
            _shot(driver, 400, 900, HERE / "explorer-400.png")

            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
            driver.get(a.as_uri())
            driver.find_element(By.CSS_SELECTOR, '[data-action="gradient"]').click()
            _point(driver, '#tcx-kernel-svg [data-kind=weight][data-w="1"]')
            _shot(driver, 1280, 800, HERE / "explorer-1280.png")

            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
            driver.get(b.as_uri())
            for _ in range(6):
                driver.find_element(By.CSS_SELECTOR, '[data-action="step"]').click()
            _shot(driver, 1920, 1080, HERE / "explorer-1920.png")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
