"""Regenerate docs/explorer.png: the worked example's page with numbers, y[3] pointed at.

Run from the repository root: ``python docs/explorer_screenshot.py``
(needs chromium, chromium-driver and selenium; no network: selenium's
telemetry is off and the system chromedriver is passed explicitly).
"""

import os
import shutil
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from toeplitz_conv import explore

HERE = Path(__file__).resolve().parent


def main() -> None:
    os.environ.setdefault("SE_AVOID_STATS", "true")
    page = explore([5, 6, 7], 4, x=[1, 2, 3, 4])
    with tempfile.TemporaryDirectory() as tmp:
        path = page.save(Path(tmp) / "explorer.html")
        # No network: no selenium statistics, and the system browser and driver
        # given explicitly, so Selenium Manager never resolves (or downloads) them.
        os.environ["SE_AVOID_STATS"] = "true"
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--window-size=1040,780", "--hide-scrollbars",
                    f"--user-data-dir={Path(tmp) / 'profile'}"):
            opts.add_argument(arg)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        try:
            driver.get(path.as_uri())
            cell = driver.find_element(
                By.CSS_SELECTOR, '#tcx-natural-svg [data-kind=out][data-row="3"]')
            ActionChains(driver, duration=0).move_to_element(cell).perform()
            driver.save_screenshot(str(HERE / "explorer.png"))
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
