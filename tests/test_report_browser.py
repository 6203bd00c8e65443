"""Open the HTML reports in headless Chromium (Debian package, never a browser download).

Checks: the page renders, the verdict table is there, every image loads (naturalWidth > 0),
nothing is fetched from the network (resource timing and the DevTools network log), and the page
fits a phone-sized viewport without horizontal scrolling. A screenshot of the first screen is kept
under tests/artifacts/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("headless Chromium not installed (/usr/bin/chromium and /usr/bin/chromedriver; "
                "Debian packages chromium and chromium-driver)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = Options()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def claims_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from metacascade.claims.runner import run_claims

    out = tmp_path_factory.mktemp("claims")
    run_claims(["S1", "S13", "S15"], out_dir=out, quick=True, seed=0, parallel=1)
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from metacascade.cli import app

    out = tmp_path_factory.mktemp("run") / "breast"
    res = CliRunner().invoke(app, ["run", "breast", "--out", str(out), "--quiet",
                                   "--set", "simulation.duration_days=3000"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    return out


def _network_requests(driver: object) -> list[str]:
    """URLs requested over the network according to the DevTools log (data: and file: excluded)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if not url.startswith(("data:", "file:", "about:", "chrome:")):
                urls.append(url)
    return urls


def _open(driver: object, page: Path) -> None:
    driver.get_log("performance")  # type: ignore[attr-defined]  # drop earlier entries
    driver.set_window_size(1280, 900)  # type: ignore[attr-defined]
    driver.get(page.resolve().as_uri())  # type: ignore[attr-defined]


def _check_page(driver: object, table_id: str, min_images: int) -> None:
    from selenium.webdriver.common.by import By

    d = driver
    assert d.execute_script("return document.readyState") == "complete"  # type: ignore[attr-defined]
    table = d.find_element(By.ID, table_id)  # type: ignore[attr-defined]
    assert table.is_displayed()
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert rows, "the table has no rows"
    images = d.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth]);")
    assert len(images) >= min_images
    broken = [alt for alt, complete, width in images if not complete or width <= 0]
    assert not broken, f"images that did not load: {broken}"
    resources = d.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith('data:'));")
    assert resources == [], f"resources fetched: {resources}"
    assert _network_requests(d) == []


def test_claims_report_in_chromium(browser: object, claims_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    page = claims_dir / "claims.html"
    _open(browser, page)
    _check_page(browser, "verdicts", min_images=2)
    ids = [r.find_element(By.CSS_SELECTOR, "td").text
           for r in browser.find_elements(By.CSS_SELECTOR, "#verdicts tbody tr")]  # type: ignore[attr-defined]
    assert ids == ["S1", "S13", "S15"]
    status = browser.find_element(By.CSS_SELECTOR, "#S13 .badge").text  # type: ignore[attr-defined]
    assert status in ("reproduced", "not reproduced")
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "claims_report_first_screen.png"))  # type: ignore[attr-defined]
    # a phone: the page reflows instead of scrolling sideways
    browser.set_window_size(390, 844)  # type: ignore[attr-defined]
    overflow = browser.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollWidth - window.innerWidth;")
    assert overflow <= 1
    browser.save_screenshot(str(ARTIFACTS / "claims_report_phone.png"))  # type: ignore[attr-defined]


def test_claims_report_with_missing_figure_in_chromium(browser: object, claims_dir: Path,
                                                       tmp_path: Path) -> None:
    """A missing and a corrupt figure show as placeholders; the other images still load."""
    from selenium.webdriver.common.by import By

    from metacascade.report import write_claims_html

    folder = tmp_path / "broken"
    shutil.copytree(claims_dir, folder)
    doc = json.loads((folder / "claims.json").read_text())
    figs = doc["claims"][1]["figures"]
    (folder / figs[0]).unlink()
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    doc["claims"][1]["figures"] = [*figs, "corrupt.png"]
    page = write_claims_html(doc, folder)
    _open(browser, page)
    _check_page(browser, "verdicts", min_images=1)
    holders = browser.find_elements(By.CSS_SELECTOR, ".placeholder")  # type: ignore[attr-defined]
    assert len(holders) >= 2 and all(h.is_displayed() for h in holders)


def test_run_report_in_chromium(browser: object, run_dir: Path) -> None:
    _open(browser, run_dir / "report.html")
    _check_page(browser, "summary", min_images=3)
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "run_report_first_screen.png"))  # type: ignore[attr-defined]


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
#: One output folder of every command: the command, its main table id and images it must show.
KINDS = {
    "run": (["run", "breast-bone", "--quiet", "--set", "simulation.duration_days=400"],
            "summary", 1),
    "cohort": (["cohort", "breast", "-n", "30", "--executor", "serial"], "summary", 3),
    "injection": (["cascade", "inject", "--cells", "2000", "--days", "3"], "summary", 1),
    "fit": (["fit", str(EXAMPLE), "--fit", "dissemination.mu", "--ids", "1,2",
             "--interval", "profile"], "summary", 3),
    "prediction": (["predict", "{fit}", "--id", "1", "--times", "0:60:10", "--n-samples", "5"],
                   "summary", 1),
    "claims": (["claims", "--only", "S3", "--quick", "--jobs", "1"], "verdicts", 1),
}


@pytest.fixture(scope="module")
def kind_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``metacascade report DIR`` of the output folder of every command."""
    from typer.testing import CliRunner

    from metacascade.cli import app

    root = tmp_path_factory.mktemp("kinds")
    pages: dict[str, Path] = {}
    for kind, (argv, _, _) in KINDS.items():
        folder = root / kind
        args = [a.replace("{fit}", str(root / "fit")) for a in argv]
        res = CliRunner().invoke(app, [*args, "--out", str(folder)])
        assert res.exit_code in ((0, 1) if kind == "claims" else (0,)), (kind, res.output)
        res = CliRunner().invoke(app, ["report", str(folder)])
        assert res.exit_code == 0, (kind, res.output)
        pages[kind] = folder / "report.html"
    return pages


@pytest.mark.parametrize("kind", list(KINDS))
def test_report_of_every_kind_in_chromium(browser: object, kind_reports: dict[str, Path],
                                          kind: str) -> None:
    """The report of each command's folder renders, shows its table and every figure, fetches
    nothing, and reflows on a phone."""
    from selenium.webdriver.common.by import By

    _, table, images = KINDS[kind]
    _open(browser, kind_reports[kind])
    _check_page(browser, table, min_images=images)
    title = browser.find_element(By.TAG_NAME, "h1").text  # type: ignore[attr-defined]
    assert title.startswith("metacascade")
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / f"{kind}_report_first_screen.png"))  # type: ignore[attr-defined]
    browser.set_window_size(390, 844)  # type: ignore[attr-defined]
    overflow = browser.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollWidth - window.innerWidth;")
    assert overflow <= 1
