"""The independent targets of issue 17 part 2: the measures behind them, each against an
independent reference (closed form, quadrature or a hand-made case)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from metacascade.claims._common import cells_shed
from metacascade.claims.s01_cause_of_death import share_with_metastases
from metacascade.claims.s03_inefficiency import COUMANS_EFFICIENCY, human_efficiency
from metacascade.claims.s07_resection import PEAK_WINDOW_DAYS, transient
from metacascade.claims.s12_bone_vicious_cycle import BENNETT_OB, _fold
from metacascade.claims.s14_dormancy import YEAR, late_risk, median_relapse_years
from metacascade.engines.organism import patients_from_scenarios
from metacascade.scenario import load_scenario, resolve


def test_cells_shed_matches_quadrature() -> None:
    sc = load_scenario("breast-cascade")
    t = np.arange(0.0, 2500.0 + 0.25, 0.25)
    vp, cum = cells_shed(sc, t)
    pat = patients_from_scenarios([sc])
    rate = resolve.cascade(sc).blood_shedding_rate_per_cell_day

    def size(s: float) -> float:
        return float(np.asarray(pat.primary(1).size(np.array([s]), pat.vp0)).ravel()[0])

    ref = quad(lambda s: rate * size(s), 0.0, 2000.0, limit=200)[0]
    assert cum[int(2000 / 0.25)] == pytest.approx(ref, rel=1e-5)
    assert np.all(np.diff(cum) >= 0) and vp[0] == pytest.approx(1.0)


def test_human_efficiency_is_metastases_over_shed_cells() -> None:
    h = human_efficiency()
    assert h["metastases_per_disseminated_cell"] == pytest.approx(
        h["breast_cascade_distant_metastases_at_diagnosis"]
        / h["breast_cascade_cells_shed_into_blood_by_diagnosis"])
    # EBCTCG calibration: 0.357 expected distant metastases at diagnosis (tolerance: the grid)
    assert h["breast_cascade_distant_metastases_at_diagnosis"] == pytest.approx(0.357, rel=0.02)
    assert pytest.approx(1 / 6e7) == COUMANS_EFFICIENCY


def _fake_run(multiplier: np.ndarray, t: np.ndarray, resection: float) -> SimpleNamespace:
    ts = pd.DataFrame({"time_days": t, "growth_multiplier": multiplier})
    return SimpleNamespace(summary={"resection_day": resection},
                           timeseries={k: SimpleNamespace(values=v.to_numpy())
                                       for k, v in ts.items()})


def test_transient_finds_a_peak_and_a_permanent_step() -> None:
    t = np.arange(0.0, 80.0, 0.05)
    tr = 10.0
    after = np.clip(t - tr, 0.0, None)
    # a transient rise peaking on day 3 (gamma-shaped): peak day 3, gone by day 20
    bump = 0.5 + 0.5 * (after / 3.0) * np.exp(1.0 - after / 3.0)
    out = transient(_fake_run(bump, t, tr))
    assert out["days_to_peak_growth_rate_after_resection"] == pytest.approx(3.0, abs=0.06)
    assert out["rise_day_20_over_peak_rise"] == pytest.approx(
        (20 / 3) * np.exp(1 - 20 / 3), rel=1e-3)
    # an exponential approach to a new level: no peak, the window's end, all of it kept
    step = 0.5 + 0.5 * (1.0 - np.exp(-0.38 * after))
    out = transient(_fake_run(step, t, tr))
    assert out["days_to_peak_growth_rate_after_resection"] == pytest.approx(PEAK_WINDOW_DAYS,
                                                                            abs=0.06)
    assert out["rise_day_20_over_peak_rise"] == pytest.approx(
        (1 - np.exp(-0.38 * 20)) / (1 - np.exp(-0.38 * 30)), rel=1e-3)


def test_fold_error_propagation() -> None:
    f, se = _fold(*BENNETT_OB)
    assert f == pytest.approx(3.512 / 21.07)
    rng = np.random.default_rng(1)
    (m0, s0), (m1, s1) = BENNETT_OB
    # first order against a small-error Monte Carlo of the same ratio (errors scaled by 0.01)
    x = (m1 + 0.01 * s1 * rng.standard_normal(200_000)) / (m0 + 0.01 * s0 * rng.standard_normal(
        200_000))
    assert 0.01 * se == pytest.approx(float(np.std(x)), rel=0.02)


def test_late_risk_matches_the_exponential_closed_form() -> None:
    rng = np.random.default_rng(7)
    n, lam = 20_000, 0.03 / YEAR  # 3 % a year
    rel = rng.exponential(1 / lam, n)
    table = pd.DataFrame({"resection_day": np.zeros(n), "death_day": np.full(n, np.nan),
                          "relapse_after_surgery_days": np.where(rel < 30 * YEAR, rel, np.nan)})
    got = late_risk(table, duration=30 * YEAR)
    expect = 1 - np.exp(-lam * 15 * YEAR)
    # binomial standard error of ~n exp(-5 lam) patients at risk, 4 of them
    se = np.sqrt(expect * (1 - expect) / (n * np.exp(-lam * 5 * YEAR)))
    assert abs(got - expect) < 4 * se
    med = median_relapse_years(table, within_y=20.0)
    # median of an exponential truncated at 20 years
    q = -np.log(1 - 0.5 * (1 - np.exp(-lam * 20 * YEAR))) / lam / YEAR
    assert med == pytest.approx(q, rel=0.03)


def test_share_with_metastases_counts_visible_metastases_before_death() -> None:
    table = pd.DataFrame({
        "death_cause": ["primary", "primary", "metastasis", None],
        "relapse_day": [50.0, np.nan, 10.0, 5.0],
        "death_day": [100.0, 80.0, 20.0, np.nan],
        "metastatic_at_diagnosis": [False, False, False, True]})
    assert share_with_metastases(table) == pytest.approx(2 / 3)
    assert share_with_metastases(table.iloc[3:]) is None
