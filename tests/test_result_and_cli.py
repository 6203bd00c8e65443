"""Result save/load round trip and the command line (typer runner)."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import metacascade as mc
from metacascade.cli import app
from metacascade.result import TIMESERIES_COLUMNS

runner = CliRunner()


def test_save_load_round_trip_is_exact(tmp_path):
    r = mc.simulate(mc.load_scenario("iwata-hcc", ["simulation.duration_days=900"]))
    r.save(tmp_path / "run")
    back = mc.Result.load(tmp_path / "run")
    xr.testing.assert_identical(back.timeseries, r.timeseries)
    xr.testing.assert_identical(back.sizes, r.sizes)
    assert back.summary == json.loads(json.dumps(r.summary))
    assert back.scenario == r.scenario
    assert (back.version, back.seed, back.created) == (r.version, r.seed, r.created)


def test_run_writes_the_contract(tmp_path):
    out = tmp_path / "nb"
    res = runner.invoke(app, ["run", "neuroblastoma", "--out", str(out), "--set",
                              "simulation.duration_days=120"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "timeseries.csv", float_precision="round_trip")
    assert list(df.columns[: len(TIMESERIES_COLUMNS)]) == TIMESERIES_COLUMNS
    summary = json.loads((out / "summary.json").read_text())
    for key in ("detection_day", "first_metastasis_day", "lead_time_days",
                "n_metastases_at_detection", "burden_at_detection_cells",
                "n_visible_at_detection", "scenario", "version", "seed"):
        assert key in summary
    assert summary["lead_time_days"] == pytest.approx(
        summary["detection_day"] - summary["first_metastasis_day"])
    assert summary["scenario"]["simulation"]["duration_days"] == 120
    for png in ("burden.png", "metastases.png", "size_distribution.png"):
        assert (out / png).stat().st_size > 10_000
    assert (out / "result.zarr").is_dir()
    # the CSV holds the same numbers as the stored result
    back = mc.Result.load(out)
    np.testing.assert_array_equal(df["n_visible"].values, back.timeseries["n_visible"].values)


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["run", "breast", "--set", "dissemination.gamma=1.5"], "dissemination.gamma = 1.5"),
        (["run", "breast", "--set", "dissemination.mu=-2"], "dissemination.mu = -2"),
        (["run", "breast", "--set", "primary.typo=2"], "unknown key"),
        (["run", "breast", "--set", "nokey"], "dotted.key=value"),
        (["run", "missing.toml"], "does not exist"),
        (["run", "nonexistent-scenario"], "unknown scenario"),
    ],
)
def test_bad_input_exit_code_2_no_traceback_no_output(tmp_path, args, fragment, run_cli):
    out = tmp_path / "out"
    assert run_cli([*args, "--out", str(out)]) == 2
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_bad_input_message_on_stderr(tmp_path, capsys, run_cli):
    assert run_cli(["run", "breast", "--set", "dissemination.gamma=7"]) == 2
    err = capsys.readouterr().err
    assert "dissemination.gamma = 7" in err and "<= 1" in err
    assert "Traceback" not in err


def test_malformed_toml_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("primary = [")
    res = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0


def test_scenarios_commands():
    res = runner.invoke(app, ["scenarios", "list"])
    assert res.exit_code == 0 and "iwata-hcc" in res.output
    res = runner.invoke(app, ["scenarios", "show", "breast"])
    assert res.exit_code == 0 and "Norton" in res.output
    res = runner.invoke(app, ["scenarios", "schema"])
    assert res.exit_code == 0 and "cell^-gamma day^-1" in res.output
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and mc.__version__ in res.output
    for cmd in (["--help"], ["run", "--help"], ["scenarios", "--help"]):
        assert runner.invoke(app, cmd).exit_code == 0


def test_python_dash_m_runs_the_cli():
    """``python -m metacascade`` is the same interface as the console script."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "metacascade", "--version"], capture_output=True,
                         text=True, check=True)
    assert mc.__version__ in out.stdout


def _flat(text):
    return " ".join(text.split())


def test_run_reports_death_and_flags_what_comes_after_it(tmp_path):
    """The audit's breast run with secondary seeding: the lethal burden (1e12 cells) is reached on
    day 1809, before diagnosis (2169). The table has a death row and says so; diagnosis and
    resection are marked after death in the table, events.csv and summary.json."""
    out = tmp_path / "b"
    res = runner.invoke(app, ["run", "breast", "--set", "dissemination.secondary=true", "--set",
                              "dissemination.mu=1e-3", "--set", "simulation.duration_days=2500",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    lethal = summary["lethal_burden_day"]
    assert 1800 < lethal < summary["detection_day"]
    text = _flat(res.output)
    assert f"The patient would die on day {lethal:,.1f}" in text
    assert "dies undiagnosed" in text and "after death" in text
    assert set(summary["events_after_lethal_burden"]) >= {"detection", "resection"}
    assert "first_metastasis" not in summary["events_after_lethal_burden"]
    events = pd.read_csv(out / "events.csv").set_index("event")
    assert list(events.reset_index().columns[:2]) == ["event", "day"]
    assert events.loc["detection", "after_lethal_burden"]
    assert events.loc["resection", "after_lethal_burden"]
    assert not events.loc["first_metastasis", "after_lethal_burden"]
    assert not events.loc["lethal_burden", "after_lethal_burden"]
    rows = {r.key: r for r in mc.Result.load(out).summary_rows()}
    assert rows["lethal_burden_day"].value == lethal
    assert rows["lethal_burden_day"].label == "death: total burden reaches 1e+12 cells"
    assert rows["detection_day"].after_death and rows["n_metastases_at_detection"].after_death
    assert rows["metastatic_burden_cells_final"].unit_note == "cells (after death)"
    assert not rows["first_metastasis_day"].after_death


def test_summary_rows_leave_out_what_does_not_apply():
    """No negative lead (breast-cascade's first expected metastasis comes 2,598 days after
    diagnosis), no rows at a diagnosis that never happens, only the bone rows of a bone-only run,
    and the Ayati tumour in its own units (docs/bone.md), not cells."""
    cascade = {r.key: r for r in mc.simulate(mc.load_scenario("breast-cascade")).summary_rows()}
    lead = cascade["lead_time_days"]
    assert lead.label == "first metastasis follows diagnosis (and resection) by"
    assert lead.value == pytest.approx(cascade["first_metastasis_day"].value
                                       - cascade["detection_day"].value)
    assert lead.value > 0 and cascade["lead_time_years"].value > 0
    short = mc.simulate(mc.load_scenario("breast", ["simulation.duration_days=500"]))
    keys = [r.key for r in short.summary_rows()]
    assert short.summary["detection_day"] is None and "detection_day" in keys
    assert not [k for k in keys if "at_detection" in k or k.startswith("lead_time")]
    assert short.death_note() == "" and "lethal_burden_day" in keys
    bone = mc.simulate(mc.load_scenario("ayati-tumour"))
    rows = bone.summary_rows()
    assert [r.key for r in rows] == ["bone_mass_min_percent", "bone_mass_min_day",
                                     "bone_mass_final_percent", "bone_tumour_cells_final"]
    # the variable's own units attribute (Ayati's units, not cells)
    assert rows[-1].unit == bone.timeseries["bone_tumour_cells"].attrs["units"]
    assert "% of the capacity LT" in rows[-1].unit
    vicious = mc.simulate(mc.load_scenario("breast-bone")).summary_rows()
    assert [r.unit for r in vicious if r.key == "bone_tumour_cells_final"] == ["cells"]
