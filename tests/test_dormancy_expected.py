"""Dormancy in the organism engine: its expected values against the cohort engine's Monte Carlo.

The organism engine computes E[N_vis(t)], E[visible burden] and E[burden] with latency kernels
(``engines/_dormancy.py``); the cohort engine samples every metastasis (kind, latency, plateau,
switch, surgery pulse) with its own random streams (``engines/patients.lesions``). With identical
patients (no inter-patient variability) the cohort mean must match the expected values within its
standard error; each case also checks that its mechanism moves the expected values by many
standard errors (so the comparison has power). Fixed seeds; tolerance 4 standard errors per time.
"""

from __future__ import annotations

import numpy as np
import pytest

import metacascade as mc
from metacascade.engines import organism
from metacascade.engines.patients import CohortSpec, lesions

#: Gompertz breast-like patient diagnosed at day 400 with ~2.6 metastases by then; resection at
#: diagnosis. Patients: 8,000 (standard errors about 1 % of the mean visible count).
BASE = {"primary.rate_per_day": 3.47e-3, "dissemination.mu": 7e-11,
        "simulation.duration_days": 2000.0, "death.lethal_burden_cells": 1e14}
TIMES = np.array([700.0, 1000.0, 1500.0, 2000.0])
N_PATIENTS = 8000
SINGLE = {"dormancy.single_cell_fraction": 0.6, "dormancy.single_cell_median_days": 600.0}
AVASCULAR = {"dormancy.avascular_fraction": 0.7, "dormancy.avascular_cells": 100.0,
             "dormancy.avascular_switch_median_days": 2000.0}

CASES = {
    # name: (overrides, the mechanism switched off for the power check)
    "exponential latency": ({**SINGLE, "dormancy.single_cell_latency": "exponential"},
                            {"dormancy.single_cell_fraction": 0.0}),
    "lognormal latency": ({**SINGLE, "dormancy.single_cell_latency": "lognormal",
                           "dormancy.single_cell_sigma": 0.7}, {"dormancy.single_cell_fraction": 0.0}),
    "fixed latency": ({**SINGLE, "dormancy.single_cell_latency": "fixed",
                       "dissemination.latency_days": 20.0}, {"dormancy.single_cell_fraction": 0.0}),
    "avascular plateau and switch": (AVASCULAR, {"dormancy.avascular_fraction": 0.0}),
    "surgery escape": ({**SINGLE, "dormancy.single_cell_latency": "lognormal",
                        "dormancy.surgery_escape_probability": 0.4},
                       {"dormancy.surgery_escape_probability": 0.0}),
    "surgery switch": ({**AVASCULAR, "dormancy.surgery_switch_probability": 0.6},
                       {"dormancy.surgery_switch_probability": 0.0}),
    "two-stage with both pulses": (
        {**SINGLE, "dormancy.single_cell_fraction": 0.4, "dormancy.single_cell_latency": "lognormal",
         "dormancy.single_cell_median_days": 300.0, **{k: v for k, v in AVASCULAR.items()
                                                       if k != "dormancy.avascular_fraction"},
         "dormancy.avascular_fraction": 0.3, "dormancy.single_cells_become_micrometastases": True,
         "dormancy.surgery_escape_probability": 0.3, "dormancy.surgery_switch_probability": 0.5},
        {"dormancy.single_cells_become_micrometastases": False}),
}
SERIES = {"n_visible": "n_visible", "visible burden": "visible_burden_cells",
          "burden": "metastatic_burden_cells"}


def _expected(over: dict[str, object]) -> dict[str, np.ndarray]:
    sc = mc.load_scenario("breast", {**BASE, **over})
    assert organism.check_scenario(sc) == []
    ts = organism.simulate(sc, size_times=[]).timeseries
    return {name: ts[key].sel(time_days=TIMES).values for name, key in SERIES.items()}


def _monte_carlo(over: dict[str, object]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    sc = mc.load_scenario("breast", {**BASE, **over})
    spec = CohortSpec(scenario=sc, variability={}, seed=11, max_explicit=64)
    rows: dict[str, list[np.ndarray]] = {name: [] for name in SERIES}
    for a in range(0, N_PATIENTS, 1000):
        les = lesions(spec, a, a + 1000)
        assert les.valid.sum(axis=1).max() < 64  # every metastasis is explicit
        size, seen = les.sizes(TIMES), les.visible(TIMES)
        rows["n_visible"].append(seen.sum(axis=1))
        rows["visible burden"].append((size * seen).sum(axis=1))
        rows["burden"].append(size.sum(axis=1))
    out = {}
    for name, parts in rows.items():
        x = np.concatenate(parts).astype(np.float64)
        out[name] = (x.mean(axis=0), x.std(axis=0, ddof=1) / np.sqrt(x.shape[0]))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_expected_dormancy_matches_cohort_monte_carlo(case):
    over, off = CASES[case]
    expected = _expected(over)
    simulated = _monte_carlo(over)
    without = _expected({**over, **off})
    for name in SERIES:
        mean, se = simulated[name]
        z = (mean - expected[name]) / se
        assert np.all(np.abs(z) < 4.0), (case, name, expected[name], mean, z)
        # power: the mechanism moves the expected values by many standard errors
        assert np.max(np.abs(without[name] - expected[name]) / se) > 10.0, (case, name)


def test_breast_dormancy_acts_on_the_visible_count_and_relapse():
    """The built-in dormancy scenario: fewer visible metastases late and a later visible-count
    crossing than with the dormancy section switched off (issue 14: they were identical)."""
    # mu high enough that the visible count reaches 1 within follow-up with dormancy too
    sc = mc.load_scenario("breast-dormancy", ["dissemination.mu=1e-3"])
    off = mc.load_scenario(sc, ["dormancy.single_cell_fraction=0", "dormancy.avascular_fraction=0"])
    a, b = mc.simulate(sc), mc.simulate(off)
    assert a.summary["first_visible_metastasis_day"] > b.summary["first_visible_metastasis_day"] + 100
    assert a.summary["n_visible_at_detection"] < 0.8 * b.summary["n_visible_at_detection"]
    assert a.summary["n_metastases_final"] == pytest.approx(b.summary["n_metastases_final"],
                                                          rel=1e-12)
    assert "dormancy" in a.timeseries.attrs
