"""Dormancy: latency distributions, surgery pulse, and the exact shift of relapse times."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from metacascade.biology.dormancy import latency_from_uniform, surgery_pulse
from metacascade.cohort import simulate_cohort
from metacascade.scenario import load_scenario


def test_latency_distributions():
    u = np.random.default_rng(0).random(20000)
    exp = latency_from_uniform(u, "exponential", 500.0)
    assert stats.kstest(exp, stats.expon(scale=500 / np.log(2)).cdf).pvalue > 1e-3
    ln = latency_from_uniform(u, "lognormal", 500.0, 0.8)
    assert stats.kstest(ln, stats.lognorm(s=0.8, scale=500).cdf).pvalue > 1e-3
    assert np.all(latency_from_uniform(u[:5], "fixed", 7.0) == 7.0)


def test_surgery_pulse_truncates_only_dormant_lesions():
    start = np.array([0.0, 0.0, 50.0, 0.0])
    lat = np.array([200.0, 200.0, 200.0, 50.0])
    out = surgery_pulse(start, lat, np.full(4, 100.0), 0.5, np.array([0.1, 0.9, 0.1, 0.1]))
    # escapes at T_R; not drawn; dormant since 50 -> escapes; already awake at T_R
    np.testing.assert_array_equal(out, [100.0, 200.0, 50.0, 50.0])


def _exp(**over: object):
    base = {"primary.growth": "exponential", "primary.rate_per_day": 0.02,
            "metastasis.growth": "exponential", "metastasis.rate_per_day": 0.03,
            "dissemination.mu": 1e-7, "treatment.resection_day": 600.0,
            "treatment.resection_at_detection": False, "detection.primary_cells": 1e10,
            "simulation.duration_days": 3000.0}
    base.update(over)
    return load_scenario("breast", base)


def test_fixed_dormancy_shifts_relapse_exactly():
    """Every metastasis dormant for L days: with the same random streams each first visible time
    is shifted by exactly L (metastases grow exponentially from their wake-up)."""
    n = 400
    a = simulate_cohort(_exp(), n, variability={}, seed=9).patients
    b = simulate_cohort(_exp(**{"dormancy.single_cell_fraction": 1.0,
                                "dormancy.single_cell_latency": "fixed",
                                "dormancy.single_cell_median_days": 300.0}),
                        n, variability={}, seed=9).patients
    ok = a["relapse_day"].notna() & (a["relapse_day"] + 300 < 3000)
    assert ok.sum() > 50
    np.testing.assert_allclose(b.loc[ok, "relapse_day"], a.loc[ok, "relapse_day"] + 300.0,
                               atol=1e-6)


def test_surgery_pulse_advances_relapses():
    """With every dormant cell escaping at surgery the relapses come earlier than without."""
    dorm = {"dormancy.single_cell_fraction": 1.0, "dormancy.single_cell_latency": "fixed",
            "dormancy.single_cell_median_days": 2000.0}
    slow = simulate_cohort(_exp(**dorm), 300, variability={}, seed=2).patients
    fast = simulate_cohort(_exp(**dorm, **{"dormancy.surgery_escape_probability": 1.0}), 300,
                           variability={}, seed=2).patients
    assert fast["relapse_day"].median() < slow["relapse_day"].median() - 500


@pytest.mark.parametrize("key", ["dormancy.single_cell_fraction", "dormancy.avascular_fraction"])
def test_dormancy_fraction_bounds(key):
    from metacascade.errors import ScenarioError

    with pytest.raises(ScenarioError, match=key):
        load_scenario("breast", [f"{key}=1.5"])


def test_adjuvant_log_kill_delays_or_eradicates():
    """One dose of 2 logs after surgery: an exponentially growing micrometastasis regrows
    2 ln 10 / b days later, or is eradicated if it held fewer than 100 cells."""
    n = 400
    base = simulate_cohort(_exp(), n, variability={}, seed=9).patients
    sc = _exp(**{"treatment.events": [{"drug": "adjuvant_chemotherapy", "start_day": 30.0,
                                        "dose": 2.0}]})
    chemo = simulate_cohort(sc, n, variability={}, seed=9).patients
    both = base["relapse_day"].notna() & chemo["relapse_day"].notna() \
        & ~base["metastatic_at_diagnosis"]
    shift = 2 * np.log(10) / 0.03
    diff = (chemo.loc[both, "relapse_day"] - base.loc[both, "relapse_day"]).to_numpy()
    assert both.sum() > 30
    assert np.all(diff >= shift - 1e-6)
    assert np.median(diff) == pytest.approx(shift, abs=1e-6)
    assert chemo["relapse_day"].notna().sum() < base["relapse_day"].notna().sum()


def test_unknown_drug_is_an_error():
    from metacascade.errors import ScenarioError

    sc = _exp(**{"treatment.events": [{"drug": "aspirin", "start_day": 1.0}]})
    with pytest.raises(ScenarioError, match="aspirin"):
        simulate_cohort(sc, 5, variability={}, seed=1)
