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


def test_run_report_draws_its_figures_afresh(run_dir: Path, tmp_path: Path) -> None:
    """The figures come from metacascade.plotting and the loaded result, not from PNG files in
    the folder: a copy without them (or a result saved from Python) still gets them all."""
    import shutil

    from metacascade.report import write_report

    folder = tmp_path / "copy"
    shutil.copytree(run_dir, folder)
    for png in folder.glob("*.png"):
        png.unlink()
    html = write_report(folder).read_text()
    names = json.loads((run_dir / "figures.json").read_text())
    assert html.count("<img ") == len(names) >= 3
    assert all(f'alt="{n}"' in html for n in names)


def test_report_of_a_folder_that_is_not_an_output(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   run_cli) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert run_cli(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a metacascade output folder" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "report.html").exists()
    assert run_cli(["report", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert run_cli(["report", str(tmp_path / "notes.txt")]) == 2  # a file: said so
    err = capsys.readouterr().err
    assert "notes.txt' is a file, not a folder" in err and len(err.strip().splitlines()) == 1


# ---- the report of every output kind ----------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
SEEDING_DATA = (Path(__file__).resolve().parents[1] / "src" / "metacascade" / "datasets"
                / "crc_metastases_summary_statistics_hu2019.tsv")
#: The command of each kind, its output folder, the id of its main table and the figures.
COMMANDS = {
    "run": (["run", "prostate-bone", "--quiet", "--set", "simulation.duration_days=400"],
            "summary", ["bone.png"]),
    "cohort": (["cohort", "breast", "-n", "30", "--executor", "serial", "--seed", "2"],
               "summary", ["survival.png", "relapse_hazard.png", "causes_of_death.png"]),
    "injection": (["cascade", "inject", "--cells", "2000", "--days", "3"], "summary",
                  ["fates.png"]),
    "fit": (["fit", str(EXAMPLE), "--fit", "dissemination.mu", "--ids", "1,2,3",
             "--interval", "profile"], "summary",
            ["fit_curves.png", "residuals.png", "profiles.png"]),
    "prediction": (["predict", "{fit}", "--id", "2", "--times", "0:60:10", "--n-samples", "5"],
                   "summary", ["prediction.png"]),
    "claims": (["claims", "--only", "S3", "--quick", "--jobs", "1"], "verdicts", ["s3"]),
    "seeding": (["infer-seeding", str(SEEDING_DATA), "--summary-statistics", "--cancer-type",
                 "colorectal", "--metastases", "V402_BM", "--population-size", "20",
                 "--max-simulations", "1000", "--models", "NN", "--executor", "serial"],
                "seeding", ["seeding_posterior.png", "predictive.png"]),
}


@pytest.fixture(scope="module")
def kind_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from metacascade.cli import app

    root = tmp_path_factory.mktemp("kinds")
    out: dict[str, Path] = {}
    for kind, (argv, _, _) in COMMANDS.items():
        folder = root / kind
        args = [a.replace("{fit}", str(out.get("fit", ""))) for a in argv]
        res = CliRunner().invoke(app, [*args, "--out", str(folder)])
        assert res.exit_code in ((0, 1) if kind == "claims" else (0,)), (kind, res.output)
        out[kind] = folder
    return out


@pytest.mark.parametrize("kind", list(COMMANDS))
def test_report_of_every_kind(kind: str, kind_dirs: dict[str, Path], tmp_path: Path,
                              run_cli, capsys: pytest.CaptureFixture[str]) -> None:
    _, table, figures = COMMANDS[kind]
    page = tmp_path / f"{kind}.html"
    assert run_cli(["report", str(kind_dirs[kind]), "--out", str(page)]) == 0, \
        capsys.readouterr().err
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and f'id="{table}"' in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("data:image/png;base64,") >= len(figures)
    for name in figures:
        assert name in html, name
    assert 'class="placeholder"' not in html  # every figure could be drawn
    prov = json.loads((kind_dirs[kind] / "provenance.json").read_text())
    assert prov["version"] in html and prov["created"] in html
    if kind != "claims":
        assert f"metacascade {kind}:" in html and 'id="provenance"' in html
        assert " ".join(prov["command"][:2]) in html  # the command that made the folder


def test_kind_pages_show_their_numbers(kind_dirs: dict[str, Path]) -> None:
    """Each page shows the numbers of its kind (the cohort report used to crash, the injection
    report to be empty)."""
    from metacascade.report import render_report

    cohort = json.loads((kind_dirs["cohort"] / "summary.json").read_text())
    html = render_report(kind_dirs["cohort"])
    assert "died of metastasis" in html and "30" in html and 'id="patients"' in html
    assert f"{cohort['relapse_fraction']:.4g}" in html
    inj = json.loads((kind_dirs["injection"] / "summary.json").read_text())
    html = render_report(kind_dirs["injection"])
    assert "portal-vein" in html and "dormant single" in html and 'id="fates"' in html
    assert f"{inj['expected_final_fractions']['dead']:.4g}" in html
    html = render_report(kind_dirs["fit"])
    assert "Goodness of fit" in html and "dissemination.mu" in html and 'id="estimates"' in html
    html = render_report(kind_dirs["prediction"])
    assert "metastatic_burden_cells" in html and 'id="prediction"' in html
    html = render_report(kind_dirs["run"])
    assert "bone mass, minimum" in html and 'id="events"' in html


def test_report_of_a_fit_without_its_data_says_so(kind_dirs: dict[str, Path],
                                                  tmp_path: Path) -> None:
    """A fit folder of an older version (no observations in estimates.json) still gets a page;
    it says why the fitted curves are missing."""
    import shutil

    from metacascade.report import render_report

    folder = tmp_path / "old-fit"
    shutil.copytree(kind_dirs["fit"], folder)
    doc = json.loads((folder / "estimates.json").read_text())
    del doc["observations"]
    (folder / "estimates.json").write_text(json.dumps(doc))
    (folder / "provenance.json").unlink()
    html = render_report(folder)
    assert "holds no data" in html and "<img " not in html
    assert "not recorded: written before provenance.json existed" in html


def test_report_does_not_replace_a_file_it_did_not_write(kind_dirs: dict[str, Path],
                                                         tmp_path: Path, run_cli,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    mine = tmp_path / "mine.html"
    mine.write_text("my notes")
    assert run_cli(["report", str(kind_dirs["injection"]), "--out", str(mine)]) == 2
    assert "did not write" in capsys.readouterr().err and mine.read_text() == "my notes"


def test_run_report_says_when_the_patient_would_die(tmp_path: Path) -> None:
    """neuroblastoma reaches its lethal burden (5e12 cells) on day 95: the report's summary has
    the death row and the sentence, and marks the values at the end as after death."""
    import metacascade as mc
    from metacascade.report import write_report

    res = mc.simulate(mc.load_scenario("neuroblastoma", ["simulation.duration_days=120"]))
    res.save(tmp_path / "nb")
    html = write_report(tmp_path / "nb").read_text()
    lethal = res.summary["lethal_burden_day"]
    assert "death: total burden reaches 5e+12 cells" in html
    assert f"The patient would die on day {lethal:,.1f}" in html
    assert "cells (after death)" in html
    assert "after_lethal_burden" in html  # the events table's new column
