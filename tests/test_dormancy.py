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


def test_two_stage_dormancy_adds_latency_and_exponential_switch_wait():
    """Two-stage dormancy (single cell -> avascular micrometastasis -> growth) with exponential
    growth: a patient's only metastasis becomes visible L + W later than without dormancy, L the
    fixed single-cell latency and W ~ Exp(median 100 d) the stall at the plateau. Reference: the
    exponential law (Kolmogorov-Smirnov, p > 1e-3, fixed seed)."""
    n = 400
    a = simulate_cohort(_exp(), n, variability={}, seed=5).patients
    b = simulate_cohort(_exp(**{"dormancy.single_cell_fraction": 1.0,
                                "dormancy.single_cell_latency": "fixed",
                                "dormancy.single_cell_median_days": 300.0,
                                "dormancy.single_cells_become_micrometastases": True,
                                "dormancy.avascular_cells": 1e4,
                                "dormancy.avascular_switch_median_days": 100.0}),
                        n, variability={}, seed=5).patients
    one = (a["n_metastases"] == 1) & (a["relapse_day"] > 600.0)
    assert one.sum() > 60
    assert set(b.loc[one, "relapse_route"]) == {"micrometastasis"}
    wait = (b.loc[one, "relapse_day"] - a.loc[one, "relapse_day"]).to_numpy() - 300.0
    assert wait.min() >= 0.0
    assert stats.kstest(wait, stats.expon(scale=100.0 / np.log(2)).cdf).pvalue > 1e-3


def test_surgery_switch_before_plateau_matches_closed_form():
    """Every metastasis an avascular micrometastasis (1e2 cells), no spontaneous switch, surgery
    (day 600) switches all of them, also those still growing toward the plateau. Exponential growth
    (rate b): a lesion stalled at surgery is visible ln(V_vis / 1e2) / b days after surgery; one
    still growing is visible when it would be without dormancy. So a patient whose first lesion
    (without dormancy) would relapse later than that delay relapses on the same day, the others
    exactly at the delay (exact up to the time-grid interpolation)."""
    from metacascade.engines.organism import patients_from_scenarios

    n = 300
    over = {"dissemination.mu": 1e-6}
    a = simulate_cohort(_exp(**over), n, variability={}, seed=3).patients
    dorm = {**over, "dormancy.avascular_fraction": 1.0, "dormancy.avascular_cells": 1e2,
            "dormancy.avascular_switch_median_days": 1e6,
            "dormancy.surgery_switch_probability": 1.0}
    sc = _exp(**dorm, **{"dormancy.surgery_switch_before_plateau": True})
    c = simulate_cohort(sc, n, variability={}, seed=3).patients
    off = simulate_cohort(_exp(**dorm), n, variability={}, seed=3).patients
    vis = float(patients_from_scenarios([sc]).visible_cells[0])
    delay = np.log(vis / 1e2) / 0.03
    assert set(a["relapse_route"].dropna()) <= {"no_dormancy", ""}
    ra = a["relapse_after_surgery_days"]
    later = ra.notna() & (ra > delay + 1e-6)
    early = ra.notna() & (ra < delay - 1e-6)
    assert later.sum() > 20 and early.sum() > 20
    np.testing.assert_allclose(c.loc[later, "relapse_day"], a.loc[later, "relapse_day"], atol=1e-6)
    assert set(c.loc[later, "relapse_route"]) == {"switched_before_plateau_at_surgery"}
    np.testing.assert_allclose(c.loc[early, "relapse_after_surgery_days"], delay, rtol=1e-6)
    assert set(c.loc[early, "relapse_route"]) == {"micrometastasis_at_surgery"}
    # without the option the lesions growing at surgery stall for good: fewer relapses
    assert off["relapse_day"].notna().sum() < c["relapse_day"].notna().sum()
