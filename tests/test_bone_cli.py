"""Bone scenarios through the API and the command line; the S12 claim; the Johnson 2011 fit."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import metacascade as mc
from metacascade.cli import app
from metacascade.inference.bone_fit import (
    JOHNSON2011_BONE,
    JOHNSON2011_BONE_SE,
    fit_johnson2011,
)
from metacascade.result import TIMESERIES_COLUMNS

runner = CliRunner()
BONE_COLUMNS = ["time_days", "osteoclasts", "osteoblasts", "bone_mass_percent"]


def test_bone_section_is_optional_and_strict():
    assert mc.load_scenario("breast").bone is None
    for name in ("komarova-cycle", "ayati-tumour", "prostate-bone", "breast-bone"):
        assert name in mc.builtin_names()
        assert mc.load_scenario(name).bone is not None
    with pytest.raises(mc.ScenarioError, match="unknown key"):
        mc.load_scenario("prostate-bone", ["bone.vicious_cycle.typo=1"])
    with pytest.raises(mc.ScenarioError, match="bone.model"):
        mc.load_scenario("prostate-bone", ["bone.model=lemaire99"])
    with pytest.raises(mc.ScenarioError, match="bone.vicious_cycle.tumour_rate_per_day"):
        mc.load_scenario("prostate-bone", ["bone.vicious_cycle.tumour_rate_per_day=-1"])
    # every bone field documents its unit
    schema = mc.scenario_json_schema()["$defs"]
    for model in ("Bone", "BonePowerLaw", "BoneViciousCycle"):
        for name, prop in schema[model]["properties"].items():
            assert "description" in prop, (model, name)
            if "$ref" not in prop and "allOf" not in prop:
                assert "unit" in prop, (model, name)


def test_non_bone_outputs_unchanged():
    r = mc.simulate(mc.load_scenario("iwata-hcc", ["simulation.duration_days=300"]))
    assert "bone_mass_percent" not in r.timeseries
    assert "bone_mass_min_percent" not in r.summary


def test_run_komarova_cycle_contract(tmp_path):
    out = tmp_path / "k"
    res = runner.invoke(app, ["run", "komarova-cycle", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "timeseries.csv", float_precision="round_trip")
    assert set(BONE_COLUMNS) <= set(df.columns)
    assert list(df.columns[: len(TIMESERIES_COLUMNS)]) == TIMESERIES_COLUMNS
    assert "bone_tumour_cells" not in df.columns  # no tumour
    i = df["bone_mass_percent"].idxmin()
    assert df["bone_mass_percent"][i] == pytest.approx(89.84, rel=0.005)
    assert df["time_days"][i] == pytest.approx(12.3, rel=0.005)
    assert (out / "bone.png").stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bone_mass_min_percent"] == pytest.approx(89.84, rel=0.005)


def test_run_prostate_bone_contract(tmp_path):
    out = tmp_path / "p"
    res = runner.invoke(app, ["run", "prostate-bone", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "bone mass at the end" in res.output
    df = pd.read_csv(out / "timeseries.csv", float_precision="round_trip")
    for col in [*BONE_COLUMNS, "bone_tumour_cells", "rankl", "opg", "tgf_beta"]:
        assert col in df.columns, col
    # PC3 calibration (Marsilio 2025): 132.57-fold at day 21
    fold = df["bone_tumour_cells"].iloc[-1] / df["bone_tumour_cells"].iloc[0]
    assert fold == pytest.approx(132.57, rel=0.01)
    assert df["bone_mass_percent"].iloc[-1] < 100.0
    assert df["tgf_beta"].iloc[-1] > 1.0
    back = mc.Result.load(out)
    np.testing.assert_array_equal(back.timeseries["bone_mass_percent"].values,
                                  df["bone_mass_percent"].values)


def test_treatment_event_through_override():
    base = mc.simulate(mc.load_scenario("prostate-bone"))
    treated = mc.simulate(mc.load_scenario(
        "prostate-bone",
        ['treatment.events=[{drug = "denosumab", start_day = 0.0, dose = 10.0, '
         'interval_days = 28.0}]']))
    assert treated.summary["bone_mass_final_percent"] > base.summary["bone_mass_final_percent"]
    assert treated.summary["bone_tumour_cells_final"] < base.summary["bone_tumour_cells_final"]


def test_bad_drug_exit_code_2(tmp_path, capsys, run_cli):
    out = tmp_path / "bad"
    code = run_cli(["run", "prostate-bone", "--out", str(out), "--set",
                    'treatment.events=[{drug = "aspirin", start_day = 0.0}]'])
    assert code == 2
    err = capsys.readouterr().err
    assert "aspirin" in err and "denosumab" in err and "Traceback" not in err
    assert not out.exists()


def test_johnson2011_fit_residuals():
    """Weighted fit to the PBS + tumour arm: every residual within 2 standard errors, day-28 bone
    within one standard error of 75.9 %, and the stored scenario values are the optimum."""
    fit = fit_johnson2011()
    assert np.all(np.abs(fit.bone_residuals_se) < 2)
    assert np.all(np.abs(fit.tumour_residuals_se) < 2)
    assert abs(fit.bone_model[-1] - JOHNSON2011_BONE[-1]) < JOHNSON2011_BONE_SE[-1]
    vc = mc.load_scenario("breast-bone").bone.vicious_cycle
    assert fit.values["tumour_rate_per_day"] == pytest.approx(vc.tumour_rate_per_day, rel=0.01)
    assert fit.values["pthrp_per_cell"] == pytest.approx(vc.pthrp_per_cell, rel=0.01)
    assert fit.values["bone_turnover_percent_per_day"] == pytest.approx(
        vc.bone_turnover_percent_per_day, rel=0.01)


def test_s12_claim_quick(tmp_path):
    from metacascade.claims import Context, discover

    exp = discover()["S12"]
    (v,) = exp.func(Context(tmp_path, quick=True))
    assert v.id == "S12"
    # the day-28 ZA + tumour arm is predicted; Bennett 2024's osteoblast fall and the arm's
    # stalled tumour at day 21 are missed (issue 17: the verdict says so)
    missed = {k for k, t in v.validation.items() if not t.passed}
    assert missed == {"bennett_osteoblast_fold_day21", "za_tumour_tumour_day21_rel_pbs_day14"}
    assert v.status == "not reproduced", v.summary
    m = v.measured
    assert m["bone_day28_cycle_percent"] < 100
    for arm in ("no_tgf_feedback", "denosumab", "zoledronic"):
        assert m[f"tumour_day28_{arm}_over_cycle"] < 1
    assert (tmp_path / v.figures[0]).stat().st_size > 10_000


def test_proteasome_inhibitor_only_in_power_law_models():
    ev = 'treatment.events=[{drug = "proteasome_inhibitor", start_day = 5.0}]'
    with pytest.raises(mc.ScenarioError, match="proteasome_inhibitor"):
        mc.simulate(mc.load_scenario("prostate-bone", [ev]))
    r = mc.simulate(mc.load_scenario("ayati-tumour", [ev, "simulation.duration_days=50"]))
    assert r.timeseries["bone_tumour_cells"].values[-1] < 1.0  # shrinks from T(0) = 1


def test_bone_variables_keep_their_units_in_a_run() -> None:
    """docs/bone.md: each bone variable of a run carries its ``units`` (the merge into the run's
    series dropped them); the Ayati tumour is in Ayati's units, not cells."""
    lemaire = mc.simulate(mc.load_scenario("breast-bone")).timeseries
    assert lemaire["osteoclasts"].attrs["units"] == "pM"
    assert lemaire["bone_mass_percent"].attrs["units"] == "%"
    ayati = mc.simulate(mc.load_scenario("ayati-tumour")).timeseries
    assert "Ayati" in ayati["bone_tumour_cells"].attrs["units"]
    assert lemaire["primary_cells"].attrs["units"] == "cells"
