"""The seeding result (``kind = "seeding"``): ``infer_seeding_table``'s output saves and loads
exactly, the parquet posterior holds the same particles as the CSV, ``metacascade report`` gives a
real page, and a scenario timing law puts its scenario into the provenance.

Runs use tiny ABC settings (populations of 20, at most 1000 simulations, the neutral model): the
files are checked here, not the posterior's accuracy (``tests/test_seeding_recovery.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import metacascade as mc
from metacascade.errors import DataError
from metacascade.inference.seeding import SEEDING_COLUMNS
from metacascade.inference.seeding_abc import SeedingSettings, infer_seeding_table
from metacascade.report.pages import render_report
from metacascade.result import SeedingResult
from metacascade.result.seeding import EXTRAS, POSTERIOR_PARQUET, early_patients, patient_of
from test_result_family import files_of, same

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "src" / "metacascade" / "datasets" / "crc_metastases_summary_statistics_hu2019.tsv"
TINY = SeedingSettings(models=("NN",), population_size=20, max_simulations=1000,
                       predictive_draws=40)


@pytest.fixture(scope="module")
def result() -> SeedingResult:
    run = infer_seeding_table(PUBLISHED, "colorectal", seed=4, settings=TINY,
                              metastases=["V930_LU", "V930_BM", "Lim21_LI"])
    return run.to_result(data=str(PUBLISHED), cancer_type="colorectal")


def test_round_trips_exactly(result: SeedingResult, tmp_path: Path) -> None:
    out = result.save(tmp_path / "a")
    back = SeedingResult.load(out)
    same(result, back)
    again = mc.load_result(out)  # the kind comes from provenance.json
    assert isinstance(again, SeedingResult)
    same(result, again)
    back.save(tmp_path / "b")  # a second save of what was loaded writes the same bytes
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["kind"] == "seeding" and prov["seed"] == 4
    assert [k for k in prov if k in EXTRAS] == list(EXTRAS)
    assert prov["models"] == ["NN"] and prov["detection_cells"] == 1e8


def test_tables_keep_the_contract_and_parquet_matches(result: SeedingResult,
                                                      tmp_path: Path) -> None:
    out = result.save(tmp_path / "a")
    assert tuple(result.seeding.columns) == SEEDING_COLUMNS
    assert list(result.seeding["met"]) == ["V930_LU", "V930_BM", "Lim21_LI"]
    parquet = pd.read_parquet(out / POSTERIOR_PARQUET)
    pd.testing.assert_frame_equal(parquet, result.posterior, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_csv(out / "posterior.csv", float_precision="round_trip"),
                                  result.posterior, check_exact=True)


def test_patients_are_grouped_by_name(result: SeedingResult) -> None:
    assert patient_of("V930_LU") == "V930" and patient_of("C") == "C"
    pts = result.early_patients()
    assert list(pts["patient"]) == ["V930", "Lim21"]
    assert list(pts["metastases"]) == ["V930_LU,V930_BM", "Lim21_LI"]
    early = dict(zip(result.diagnostics["met"], result.diagnostics["early_q3_rule"], strict=True))
    assert bool(pts["early"].iloc[0]) == (early["V930_LU"] or early["V930_BM"])
    hand = early_patients(["a_1", "a_2", "b_1"], [False, True, False])
    assert list(hand["early"]) == [True, False]


def test_report_page_has_the_tables_and_figures(result: SeedingResult, tmp_path: Path) -> None:
    out = result.save(tmp_path / "a")
    html = render_report(out)
    for heading in ("Summary", "Seeding per metastasis", "Diagnostics", "Patients", "Figures",
                    "Provenance"):
        assert f"<h2>{heading}" in html
    assert html.count("data:image/png") == 2  # posterior vs detection; observed vs simulated
    assert "V930_BM" in html and "infer-seeding" in html


def test_a_scenario_law_is_recorded_and_incomplete_folders_refused(tmp_path: Path) -> None:
    settings = SeedingSettings(models=("NN",), population_size=20, max_simulations=1000,
                               predictive_draws=0)
    run = infer_seeding_table(PUBLISHED, "iwata-hcc", seed=1, settings=settings,
                              metastases=["Lim21_LI"])
    res = run.to_result(cancer_type="iwata-hcc")
    out = res.save(tmp_path / "s")
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["scenario_name"] == "iwata-hcc" and prov["scenario"]["name"] == "iwata-hcc"
    same(res, SeedingResult.load(out))
    (out / "observed.csv").unlink()
    with pytest.raises(DataError, match="observed.csv"):
        SeedingResult.load(out)
