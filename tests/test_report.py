"""HTML reports without a browser: self-contained output, placeholders for bad figures, run report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from typer.testing import CliRunner

from metacascade.claims.base import Calibration, Check, Target, Verdict, below, interval
from metacascade.claims.runner import claims_document
from metacascade.report import embed_figure, render_claims_html, write_claims_html


def _png(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path, dpi=50)
    plt.close(fig)


def _doc(figures: list[str]) -> dict:
    v = Verdict.assess(
        "S13", validation={"lead_years": Target(1.25, 3.0, interval(2.0, 4.0, "Hu 2020 range"),
                                                "Hu Z et al. Nat Genet 2020 <b>bold</b>")},
        checks={"efficiency": Check(2e-4, 1e-3, below())},
        calibration={"doubling_days": Calibration(157.0, "Hu Z et al. Nat Genet 2020",
                                                  how="sampled around the median")},
        measured={"extra": 3e9}, figures=figures, summary="median lead & more")
    return claims_document([v, Verdict.not_modelled("S1", "no mechanism")], seed=1, quick=True)


def test_claims_html_is_self_contained(tmp_path: Path) -> None:
    _png(tmp_path / "good.png")
    html = render_claims_html(_doc(["good.png"]), tmp_path)
    assert 'id="verdicts"' in html and "S13" in html and "not reproduced" in html
    assert "data:image/png;base64," in html
    # nothing external: no http(s) URLs in src/href, no scripts, no external stylesheets
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # text is escaped
    assert "in [2, 4]" in html and "1.25" in html and "3.000e+09" in html
    # each compared number shows its rule and pass/fail; calibration data are listed apart
    assert 'class="mark bad">FAIL' in html and 'class="mark ok">pass' in html
    assert "Validation: numbers the model was not fitted to" in html
    assert "Calibration: 1 number(s) used to set parameters" in html
    assert "lead_years = 1.25 (in [2, 4]): FAIL" in html
    assert "Metastases are generally thought of" in html  # the statement text


def test_missing_and_broken_figures_become_placeholders(tmp_path: Path) -> None:
    _png(tmp_path / "good.png")
    (tmp_path / "truncated.png").write_bytes((tmp_path / "good.png").read_bytes()[:200])
    (tmp_path / "text.png").write_text("hello")
    doc = _doc(["good.png", "missing.png", "truncated.png", "text.png", "../../etc/passwd"])
    out = write_claims_html(doc, tmp_path)
    html = out.read_text()
    assert html.count("<img ") == 1
    assert html.count('class="placeholder"') == 4
    assert "missing.png (file not found)" in html
    assert "truncated.png (unreadable image" in html
    assert "text.png (not a PNG image)" in html
    assert "passwd (file not found)" in html  # names are confined to the figure folder


def test_embed_figure_reports_size(tmp_path: Path) -> None:
    _png(tmp_path / "a.png")
    f = embed_figure(tmp_path / "a.png")
    assert f.data_uri and (f.width, f.height) == (100, 75)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from metacascade.cli import app

    out = tmp_path_factory.mktemp("run") / "breast"
    res = CliRunner().invoke(app, ["run", "breast", "--out", str(out), "--quiet",
                                   "--set", "simulation.duration_days=3000"])
    assert res.exit_code == 0, res.output
    return out


def test_run_report(run_dir: Path, tmp_path: Path) -> None:
    from metacascade.cli import app

    res = CliRunner().invoke(app, ["report", str(run_dir), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert 'id="summary"' in html and "breast" in html
    assert html.count("data:image/png;base64,") == len(json.loads(
        (run_dir / "figures.json").read_text()))
    assert summary["version"] in html and summary["created"] in html
    assert "mu = 1.778e-12" in html  # the scenario TOML
    assert "<script" not in html


def test_run_report_with_missing_figure(run_dir: Path, tmp_path: Path) -> None:
    import shutil

    from metacascade.report import write_run_report

    folder = tmp_path / "copy"
    shutil.copytree(run_dir, folder)
    (folder / "burden.png").unlink()
    html = write_run_report(folder).read_text()
    assert "burden.png (file not found)" in html and html.count("<img ") >= 2


def test_report_of_a_folder_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              run_cli) -> None:
    assert run_cli(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "summary.json is missing" in err and "Traceback" not in err
    assert not (tmp_path / "report.html").exists()
