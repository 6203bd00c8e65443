"""Population fits: two-stage and SAEM recover the population parameters of simulated cohorts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metacascade.inference.api import fit
from metacascade.inference.data import from_frame
from metacascade.inference.fit import FitSettings
from metacascade.inference.model import make_predictor
from metacascade.scenario import load_scenario

KEYS = ("dissemination.mu", "detection.visible_diameter_mm")
M_TRUE = np.array([math.log(0.05), math.log(12.0)])
OMEGA_TRUE = np.array([0.8, 0.25])
pytestmark = pytest.mark.filterwarnings(
    "ignore::metacascade.inference.fit.IdentifiabilityWarning")


def simulate_cohort(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sc = load_scenario("neuroblastoma")
    phis = M_TRUE + OMEGA_TRUE * rng.standard_normal((n, 2))
    rows = []
    for i in range(n):
        vp = float(np.exp(rng.normal(math.log(4e11), 0.8)))
        base = [{"id": i, "time": "diagnosis", "observable": "primary_cells", "value": vp},
                {"id": i, "time": "diagnosis", "observable": "n_visible", "value": 1.0},
                {"id": i, "time": "diagnosis", "observable": "burden_marker", "value": 1.0}]
        sub = from_frame(pd.DataFrame(base))[str(i)]
        f = make_predictor(sc, sub, KEYS).predict(np.exp(phis[i])[None, :])[0]
        y = f * (1 + 0.1 * rng.standard_normal(2))
        base[1]["value"], base[2]["value"] = float(y[0]), float(y[1])
        rows += base
    return pd.DataFrame(rows), phis


def test_saem_recovers_population_parameters() -> None:
    n = 40
    df, phis = simulate_cohort(n, 11)
    res = fit(df, "neuroblastoma", KEYS, interval="none", population=True, seed=2)
    pop = res.population
    assert pop is not None
    # the sampling error of a mean of n log-normal effects is omega/sqrt(n): allow 3 of them
    assert np.all(np.abs(pop.mean_log - M_TRUE) < 3 * OMEGA_TRUE / math.sqrt(n))
    # sd of an sd estimate ~ omega/sqrt(2n) = 11 %: allow 3 of them (+ the residual error)
    np.testing.assert_allclose(pop.omega, OMEGA_TRUE, rtol=0.35)
    # the individual data nearly determine each id, so SAEM and two-stage agree closely
    np.testing.assert_allclose(pop.mean_log, pop.two_stage_mean_log, atol=0.05)
    # EBEs: close to the simulated individual values, inside their conditional intervals mostly
    ebe = np.log(np.array([f.estimate for f in pop.ebe]))
    assert np.corrcoef(ebe[:, 0], phis[:, 0])[0, 1] > 0.95
    lo = np.log(np.array([f.lower for f in pop.ebe]))
    hi = np.log(np.array([f.upper for f in pop.ebe]))
    inside = np.mean((phis >= lo) & (phis <= hi))
    assert inside > 0.8
    assert math.isfinite(pop.loglik)
    est = res.estimates()
    assert list(est.columns[:3]) == ["id", "dissemination.mu", "dissemination.mu_lower"]


def test_population_needs_three_ids() -> None:
    from metacascade.errors import MetacascadeError

    df, _ = simulate_cohort(2, 0)
    with pytest.raises(MetacascadeError, match="at least 3 ids"):
        fit(df, "neuroblastoma", KEYS, interval="none", population=True)


def test_settings_roundtrip() -> None:
    s = FitSettings(keys=KEYS)
    assert s.to_dict()["keys"] == list(KEYS)


def test_fit_population_cli_lists_individual_estimates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """'results written to' left out individual_estimates.csv, which --population writes."""
    from pathlib import Path

    from typer.testing import CliRunner

    from metacascade.cli import app

    example = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / \
        "observations.csv"
    out = tmp_path / "pop"
    r = CliRunner().invoke(app, ["fit", str(example), "--fit", "dissemination.mu", "--ids",
                                 "1,2,8", "--interval", "none", "--population", "--no-figures",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    listed = " ".join(r.output.split()).split("results written to ")[1]
    written = sorted(p.name for p in out.iterdir())
    assert "individual_estimates.csv" in written
    for name in written:
        assert name in listed, (name, listed)
