"""Cohort statistics against closed forms, death and cause, and the ``cohort`` command."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from metacascade.analysis.cohort import relapse_hazard
from metacascade.cli import app
from metacascade.cohort import simulate_cohort
from metacascade.engines.organism import patients_from_scenarios, solve
from metacascade.scenario import load_scenario

runner = CliRunner()

# exponential primary and metastases, gamma = 1, resection at a fixed day
A, B, MU, TR = 0.02, 0.03, 1e-7, 600.0


def _exp_scenario(**extra: object):
    over = {"primary.growth": "exponential", "primary.rate_per_day": A,
            "metastasis.growth": "exponential", "metastasis.rate_per_day": B,
            "dissemination.mu": MU, "treatment.resection_day": TR,
            "treatment.resection_at_detection": False, "detection.primary_cells": 1e20 ** 0.5,
            "simulation.duration_days": 1500.0}
    over.update(extra)
    return load_scenario("breast", over)


def test_relapse_distribution_matches_poisson_closed_form():
    """P(relapse by t) = 1 - exp(-N(min(t - a_vis, T_R))), N(s) = mu (e^{a s} - 1)/a
    (science.md §1.2 exponential case, §3 S(t) = E[exp(-N_vis(t))]); 4000 patients, fixed seed,
    tolerance: the DKW bound sqrt(ln(2/alpha)/(2n)) with alpha = 1e-3."""
    sc = _exp_scenario()
    n = 4000
    res = simulate_cohort(sc, n, variability={}, seed=3)
    t = res.patients
    a_vis = np.log(np.pi / 6 * 5.0**3 * 1e6) / B
    grid = np.linspace(TR + 1, 1500, 60)
    s_arg = np.minimum(grid - a_vis, TR)
    n_vis = np.where(s_arg > 0, MU * np.expm1(A * np.maximum(s_arg, 0)) / A, 0.0)
    expected = -np.expm1(-n_vis)
    rel = t["relapse_day"].to_numpy()
    surgery = t["resection_day"].to_numpy()
    assert np.all(surgery == TR)
    empirical = np.array([(np.nan_to_num(rel, nan=np.inf) <= g).mean() for g in grid])
    eps = np.sqrt(np.log(2 / 1e-3) / (2 * n))
    assert np.max(np.abs(empirical - expected)) < eps
    assert 0.2 < expected[-1] < 0.9  # a case where the test has power


def test_birth_process_matches_the_organism_engine():
    """Mean number of metastases seeded by the end equals N from the FFT engine (solve)."""
    sc = load_scenario("breast", ["simulation.duration_days=4000"])
    res = simulate_cohort(sc, 3000, variability={}, seed=5)
    sol = solve(patients_from_scenarios([sc]), 4000.0, 1.0, False)
    n_eng = float(sol.series["n_metastases"][0, -1])
    counts = res.patients["n_metastases"].to_numpy()
    se = np.sqrt(n_eng / counts.size)
    assert abs(counts.mean() - n_eng) < 4 * se


def test_death_by_lethal_burden_and_cause():
    """Without surgery the primary kills (Gompertz plateau 1e12 > lethal 5e11): death when V_p
    reaches the lethal burden, closed form age_at_size."""
    sc = load_scenario("breast", ["treatment.resection_at_detection=false",
                                  "death.lethal_burden_cells=5e11", "dissemination.mu=0"])
    res = simulate_cohort(sc, 20, variability={}, seed=1)
    t = res.patients
    assert set(t["death_cause"]) == {"primary"}
    a = sc.primary.rate_per_day
    k = sc.primary.carrying_capacity_cells
    exact = -np.log(np.log(k / 5e11) / np.log(k)) / a
    assert np.allclose(t["death_day"], exact, rtol=2e-3)
    assert res.summary["death_fraction_primary"] == 1.0


def test_organ_lethal_burden_names_the_organ():
    sc = load_scenario("breast", ["organs.brain.lethal_cells=1e9", "dissemination.mu=2e-11"])
    t = simulate_cohort(sc, 300, variability={}, seed=2).patients
    brain = t[t["death_organ"] == "brain"]
    assert len(brain) > 0 and set(brain["death_cause"]) == {"metastasis"}


def test_hazard_has_a_confidence_band():
    sc = load_scenario("breast", ["dissemination.mu=1e-11"])
    res = simulate_cohort(sc, 1000, seed=4)
    h = relapse_hazard(res.patients, sc.simulation.duration_days, 120.0)
    ok = h["hazard_per_day"] > 0
    assert ok.sum() > 50
    assert (h.loc[ok, "lower"] <= h.loc[ok, "hazard_per_day"]).all()
    assert (h.loc[ok, "hazard_per_day"] <= h.loc[ok, "upper"]).all()
    # the smoothed hazard integrates to the Nelson-Aalen cumulative hazard (up to edge effects)
    from lifelines import NelsonAalenFitter

    from metacascade.analysis.cohort import relapse_free

    tt, ee = relapse_free(res.patients, sc.simulation.duration_days)
    cum = NelsonAalenFitter().fit(tt, ee).cumulative_hazard_at_times([2000.0]).iloc[0]
    integral = float(np.sum(h.loc[h["days"] <= 2000, "hazard_per_day"]) * 7.0)
    assert abs(integral - cum) < 0.1 * cum
    assert h["hazard_per_day"].max() > 0


def test_cli_cohort_contract(tmp_path):
    out = tmp_path / "c"
    r = runner.invoke(app, ["cohort", "breast", "--patients", "300", "--executor", "serial",
                            "--seed", "11", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "patients.csv", keep_default_na=False)
    for col in ("patient", "diagnosis_day", "primary_cells_at_diagnosis", "relapse_day",
                "death_day", "death_cause", "death_organ"):
        assert col in df.columns
    assert len(df) == 300
    assert set(df["death_cause"]) <= {"", "primary", "metastasis"}
    assert (df.loc[df["death_cause"] == "", "death_day"] == "").all()  # empty cells
    s = json.loads((out / "summary.json").read_text())
    for key in ("n_patients", "death_fraction_metastasis", "death_fraction_primary",
                "median_relapse_free_days", "seed", "version"):
        assert key in s
    assert s["n_patients"] == 300 and s["seed"] == 11
    for fig in ("survival.png", "relapse_hazard.png", "causes_of_death.png"):
        assert (out / fig).stat().st_size > 0


@pytest.mark.parametrize("args,needle", [
    (["--patients", "0"], "--patients"),
    (["--executor", "mpi"], "--executor"),
    (["--vary", "dissemination.nope=1"], "dissemination.nope"),
    (["--set", "dissemination.mu=-1"], "dissemination.mu"),
    (["--no-variability", "--vary", "dissemination.mu=1"],
     "--vary 'dissemination.mu=1' and --no-variability conflict"),
    (["--workers", "2"], "--workers 2: not used with --executor serial"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
     "--workers 2: not used with --scheduler"),
])
def test_cli_bad_input_exit_2(tmp_path, args, needle):
    out = tmp_path / "bad"
    r = subprocess.run([sys.executable, "-c", "from metacascade.cli import main; main()",
                        "cohort", "breast", "--out", str(out), "--executor", "serial", *args]
                       if "--executor" not in args else
                       [sys.executable, "-c", "from metacascade.cli import main; main()",
                        "cohort", "breast", "--out", str(out), *args],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and len(lines) <= 2, r.stderr  # (plus one hint)
    assert not out.exists()


def _cohort_cli(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from metacascade.cli import main; main()",
                           "cohort", "breast", "-n", "20", "--executor", "serial", "--out",
                           str(tmp_path / "c"), *args], capture_output=True, text=True)


@pytest.mark.parametrize("args,needle", [
    (["--vary", "dissemination.nope=1"], "dissemination.nope"),  # checked by simulate_cohort
    (["--vary", "dissemination.mu=1e3"], "allowed 0 <= sigma <= 5"),
    (["-n", "1000000000"], "memory"),
])
def test_cli_checks_come_before_the_progress_bar(tmp_path, args, needle):
    r = _cohort_cli(tmp_path, *args)
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert r.stdout.strip() == "", r.stdout  # was the bar "cohort breast ... 0/20" first
    assert not r.stderr.startswith("\n")
    ok = _cohort_cli(tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "20/20" in ok.stdout  # the bar still shows once the patients are simulated


def test_screening_and_surgery_delay():
    """Screening every 365 days finds the primary at the first visit after it holds 6.5e7 cells;
    surgery follows diagnosis by the delay."""
    sc = load_scenario("breast", ["detection.screening_interval_days=365",
                                  "treatment.resection_delay_days=30"])
    t = simulate_cohort(sc, 50, variability={}, seed=1).patients
    law_a = sc.primary.rate_per_day
    k = sc.primary.carrying_capacity_cells
    age = -np.log(np.log(k / 6.5e7) / np.log(k)) / law_a
    age_det = -np.log(np.log(k / 1e9) / np.log(k)) / law_a
    expected = min(np.ceil(age / 365) * 365, age_det)
    np.testing.assert_allclose(t["diagnosis_day"], expected)
    np.testing.assert_allclose(t["resection_day"], expected + 30)


def test_burden_at_diagnosis_matches_closed_form():
    """Exponential metastases: the burden at diagnosis is sum_i exp(b (t_dx - birth_i))."""
    sc = _exp_scenario(**{"detection.primary_cells": 1e5, "treatment.resection_day": 1000.0})
    t = simulate_cohort(sc, 200, variability={}, seed=4).patients
    tdx = float(np.log(1e5) / A)
    assert np.allclose(t["diagnosis_day"], tdx)
    one = t[t["n_metastases_at_diagnosis"] == 1]
    assert len(one) > 5
    expected = np.exp(B * (tdx - one["first_metastasis_day"]))
    np.testing.assert_allclose(one["metastatic_burden_at_diagnosis_cells"], expected, rtol=1e-9)
    np.testing.assert_allclose(one["largest_metastasis_at_diagnosis_cells"], expected, rtol=1e-9)
    none = t[t["n_metastases_at_diagnosis"] == 0]
    assert (none["metastatic_burden_at_diagnosis_cells"] == 0).all()


def test_one_worker_with_the_serial_executor_is_consistent():
    """--workers 1 --executor serial asks for what serial does: accepted (only more workers than
    one process can use are refused)."""
    from metacascade.cli._common import check_executor
    from metacascade.errors import OptionError

    check_executor("serial", 1, None)
    check_executor("serial", None, None)
    with pytest.raises(OptionError, match="--workers 2: not used with --executor serial"):
        check_executor("serial", 2, None)
