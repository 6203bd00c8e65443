"""Organism engine against the exact exponential-case formulas (science.md §1.2)."""

import numpy as np
import pytest

import metacascade as mc
from metacascade.engines.organism import patients_from_scenarios, solve

A, B, MU, GAMMA, V0 = 0.02, 0.015, 1e-6, 0.7, 10.0


def exp_scenario(**over):
    data = {
        "primary": {"growth": "exponential", "rate_per_day": A, "initial_cells": V0},
        "metastasis": {"growth": "exponential", "rate_per_day": B},
        "dissemination": {"mu": MU, "gamma": GAMMA},
        "detection": {"primary_cells": 1e12, "visible_diameter_mm": 1.0},
        "simulation": {"duration_days": 1000, "output_step_days": 1},
    }
    for key, value in over.items():
        sect, field = key.split("__")
        data[sect][field] = value
    return mc.Scenario.model_validate(data)


def exact_n(t):
    return MU * V0**GAMMA * np.expm1(GAMMA * A * t) / (GAMMA * A)


def exact_m(t):
    return MU * V0**GAMMA * (np.exp(GAMMA * A * t) - np.exp(B * t)) / (GAMMA * A - B)


def exact_above(t, v):
    return np.maximum(MU * V0**GAMMA * (np.exp(GAMMA * A * t) * v ** (-GAMMA * A / B) - 1)
                      / (GAMMA * A), 0.0)


@pytest.fixture(scope="module")
def result():
    return mc.simulate(exp_scenario())


def test_number_and_burden_on_the_grid(result):
    ts = result.timeseries
    t = ts["time_days"].values[1:]
    np.testing.assert_allclose(ts["n_metastases"].values[1:], exact_n(t), rtol=1e-6)
    np.testing.assert_allclose(ts["metastatic_burden_cells"].values[1:], exact_m(t), rtol=1e-6)


def test_visible_number_and_burden_on_the_grid(result):
    ts = result.timeseries
    t = ts["time_days"].values
    v_vis = np.pi / 6 * 1.0**3 * 1e6
    tau = np.log(v_vis) / B  # metastases are born with 1 cell
    expected = np.where(t > tau, exact_n(np.maximum(t - tau, 0)), 0.0)
    got = ts["n_visible"].values
    np.testing.assert_allclose(got[t > tau + 1], expected[t > tau + 1], rtol=1e-6)
    assert np.all(got[t < tau - 1] == 0)
    # visible burden: births before t - tau, weighted by size
    tv = t[t > tau + 1]
    exact_mv = MU * V0**GAMMA * np.exp(B * tv) * np.expm1((GAMMA * A - B) * (tv - tau)) / (
        GAMMA * A - B)
    np.testing.assert_allclose(ts["visible_burden_cells"].values[t > tau + 1], exact_mv,
                               rtol=1e-6)


def test_number_above_a_size_at_off_grid_times():
    pat = patients_from_scenarios([exp_scenario()])
    sol = solve(pat, 1000, 1.0, False)
    for t in (777.7, 999.3):
        sizes = np.array([10.0, 1e3, 1e5, 1e6])
        got = sol.count_above(t, sizes)[0]
        np.testing.assert_allclose(got, exact_above(t, sizes), rtol=1e-6)


def test_log_log_slope_of_the_size_density():
    """rho(t, v) ~ v^-(1 + gamma a / b): the counts per log bin fall as v^(-gamma a / b)."""
    result = mc.simulate(exp_scenario(), size_times=[1000.0])
    sizes = result.sizes
    counts = sizes["count"].isel(at_day=0).values
    centres = sizes["size_cells"].values
    keep = (centres > 1e2) & (centres < 1e5) & (counts > 0)
    slope = np.polyfit(np.log(centres[keep]), np.log(counts[keep]), 1)[0]
    # counts in logarithmic bins = v * rho(v) ~ v^(-gamma a / b)
    assert slope == pytest.approx(-GAMMA * A / B, rel=2e-3)


def test_first_metastasis_day_is_exact():
    r = mc.simulate(exp_scenario())
    expected = np.log1p(GAMMA * A / (MU * V0**GAMMA)) / (GAMMA * A)
    assert r.summary["first_metastasis_day"] == pytest.approx(expected, rel=1e-9)


def test_equal_rates_limit():
    """gamma a = b: M(t) = mu V0^gamma t e^(b t)."""
    s = exp_scenario(metastasis__rate_per_day=GAMMA * A)
    r = mc.simulate(s)
    t = r.timeseries["time_days"].values[1:]
    exact = MU * V0**GAMMA * t * np.exp(GAMMA * A * t)
    np.testing.assert_allclose(r.timeseries["metastatic_burden_cells"].values[1:], exact,
                               rtol=1e-6)


def test_resection_stops_emission_exactly():
    s = exp_scenario(treatment__resection_day=400.3) if False else exp_scenario()
    s = s.model_copy(update={"treatment": mc.scenario.Treatment(resection_day=400.3)})
    r = mc.simulate(s)
    ts = r.timeseries
    t = ts["time_days"].values
    n = ts["n_metastases"].values
    np.testing.assert_allclose(n[t >= 401], exact_n(400.3), rtol=1e-9)
    np.testing.assert_allclose(n[t <= 400], exact_n(t[t <= 400]), rtol=1e-6, atol=1e-300)
    # burden after resection: births in [0, T_R] growing at rate b
    tr = t[t > 401]
    exact = MU * V0**GAMMA * np.exp(B * tr) * np.expm1((GAMMA * A - B) * 400.3) / (GAMMA * A - B)
    np.testing.assert_allclose(ts["metastatic_burden_cells"].values[t > 401], exact, rtol=1e-6)
    assert np.all(ts["primary_cells"].values[t > 400.3] == 0)


def test_latency_delays_growth():
    tau0 = 30.4
    s = exp_scenario(dissemination__latency_days=tau0)
    r = mc.simulate(s)
    ts = r.timeseries
    t = ts["time_days"].values
    # M(t) = V0_met * [N(t) - N(t - tau0)] + M_nolatency(t - tau0) (born at 1 cell)
    late = t > tau0 + 1
    tt = t[late]
    exact = (exact_n(tt) - exact_n(tt - tau0)) + np.exp(0) * MU * V0**GAMMA * np.exp(
        B * (tt - tau0)) * np.expm1((GAMMA * A - B) * (tt - tau0)) / (GAMMA * A - B)
    np.testing.assert_allclose(ts["metastatic_burden_cells"].values[late], exact, rtol=1e-6)


def test_size_and_time_thresholds():
    t_d0, v_d0 = 50.5, 1e3
    s = exp_scenario(dissemination__start_day=t_d0, dissemination__size_threshold_cells=v_d0)
    r = mc.simulate(s)
    t_thr = np.log(v_d0 / V0) / A  # 230 days > t_d0
    t = r.timeseries["time_days"].values
    n = r.timeseries["n_metastases"].values
    assert np.all(n[t <= t_thr] == 0)
    exact = exact_n(t[t > t_thr + 1]) - exact_n(t_thr)
    np.testing.assert_allclose(n[t > t_thr + 1], exact, rtol=1e-6)
