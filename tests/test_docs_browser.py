"""Open the built documentation in headless Chromium (Debian package, never a browser download).

Reuses the browser fixture and the DevTools network check of ``test_report_browser.py`` (skipped
in the same way when /usr/bin/chromium or /usr/bin/chromedriver is missing). Checks, for the
landing page, the API reference and a chapter with figures: the page renders (title, navigation,
content), every image loads, nothing is fetched from the network (resource timing and the
DevTools log), and on a phone-sized screen the page does not scroll sideways. Screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import test_report_browser as report_browser
from docs_site import build_site

pytestmark = pytest.mark.browser

browser = report_browser.browser  # the module-scoped headless Chromium fixture
ARTIFACTS = report_browser.ARTIFACTS


@pytest.fixture(scope="module")
def site() -> Path:
    build = build_site()
    assert build.returncode == 0, build.output
    return build.html


def _open(driver: object, page: Path, width: int = 1280, height: int = 900) -> None:
    driver.get_log("performance")  # type: ignore[attr-defined]  # drop earlier entries
    driver.set_window_size(width, height)  # type: ignore[attr-defined]
    driver.get(page.resolve().as_uri())  # type: ignore[attr-defined]


def _check_rendered(driver: object, min_images: int = 0) -> None:
    """The page is complete, its images loaded and nothing came from the network."""
    d = driver
    assert d.execute_script("return document.readyState") == "complete"  # type: ignore[attr-defined]
    images = d.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('article img'))"
        ".map(i => [i.src, i.complete, i.naturalWidth]);")
    assert len(images) >= min_images
    broken = [src for src, complete, width in images if not complete or width <= 0]
    assert not broken, f"images that did not load: {broken}"
    resources = d.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith('file:') && !n.startsWith('data:'));")
    assert resources == [], f"resources fetched from the network: {resources}"
    assert report_browser._network_requests(d) == []


def _no_sideways_scroll(driver: object) -> int:
    return int(driver.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollWidth - window.innerWidth;"))


def test_index_renders_offline(browser: object, site: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, site / "index.html")
    _check_rendered(browser)
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text.startswith(  # type: ignore[attr-defined]
        "metacascade")
    captions = [c.get_attribute("textContent").strip()  # hidden on a narrow screen, so textContent
                for c in browser.find_elements(By.CSS_SELECTOR, ".sidebar-tree .caption-text")]  # type: ignore[attr-defined]
    for question in ("What happens?", "What fits my data?", "When did it spread?",
                     "Does it reproduce the literature?", "Scaling out", "Model reference"):
        assert question in captions
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "docs_index.png"))  # type: ignore[attr-defined]
    _open(browser, site / "index.html", 390, 844)
    assert _no_sideways_scroll(browser) <= 1
    browser.save_screenshot(str(ARTIFACTS / "docs_index_phone.png"))  # type: ignore[attr-defined]


def test_api_page_of_simulate_renders_offline(browser: object, site: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, site / "api.html")
    _check_rendered(browser)
    entry = browser.find_element(By.ID, "metacascade.simulate")  # type: ignore[attr-defined]
    assert entry.is_displayed() and "simulate" in entry.text
    body = entry.find_element(By.XPATH, "following-sibling::dd")
    assert body.text.strip(), "simulate has no documentation text"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "docs_api.png"))  # type: ignore[attr-defined]
    _open(browser, site / "api.html", 390, 844)
    assert _no_sideways_scroll(browser) <= 1


def test_chapter_with_figures_loads_its_images(browser: object, site: Path) -> None:
    _open(browser, site / "bone.html")
    _check_rendered(browser, min_images=3)


def test_gallery_page_shows_its_figure(browser: object, site: Path) -> None:
    """A gallery example's page: its figure was made by running the example and loads."""
    from selenium.webdriver.common.by import By

    _open(browser, site / "gallery" / "plot_02_cohort_survival.html")
    _check_rendered(browser, min_images=1)
    figures = browser.find_elements(By.CSS_SELECTOR, "article img.sphx-glr-single-img")  # type: ignore[attr-defined]
    assert figures, "the example page has no figure"
    width = browser.execute_script("return arguments[0].naturalWidth;", figures[0])  # type: ignore[attr-defined]
    assert width >= 300
    assert "relapse" in browser.find_element(By.CSS_SELECTOR, "article").text.lower()  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "docs_gallery.png"))  # type: ignore[attr-defined]
