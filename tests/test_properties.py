"""Property tests (hypothesis): monotonicity, positivity, resection, step independence."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import metacascade as mc

LAWS = st.sampled_from(["exponential", "gompertz", "logistic", "power_law"])


@st.composite
def scenarios(draw, with_resection=False):
    law = draw(LAWS)
    rate = draw(st.floats(0.002, 0.08))
    primary = {"growth": law, "rate_per_day": rate, "initial_cells": draw(st.floats(1, 100))}
    if law in ("gompertz", "logistic"):
        primary["carrying_capacity_cells"] = draw(st.floats(1e8, 1e12))
        if law == "gompertz":
            primary["rate_per_day"] = rate / 5
    if law == "power_law":
        primary["power_law_exponent"] = draw(st.floats(0.5, 0.9))
        primary["rate_per_day"] = rate * 10
    data = {
        "primary": primary,
        "dissemination": {"mu": draw(st.floats(1e-10, 1e-5)), "gamma": draw(st.floats(0, 1)),
                          "secondary": draw(st.booleans()),
                          "latency_days": draw(st.sampled_from([0.0, 12.5]))},
        "simulation": {"duration_days": 600.0, "output_step_days": 2.0},
    }
    if with_resection:
        data["treatment"] = {"resection_day": draw(st.floats(10, 590))}
    return mc.Scenario.model_validate(data)


SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_monotone_nonnegative_and_burden_at_least_number(s):
    ts = mc.simulate(s, size_times=[]).timeseries
    n, m = ts["n_metastases"].values, ts["metastatic_burden_cells"].values
    nv, mv = ts["n_visible"].values, ts["visible_burden_cells"].values
    for x in (n, m, nv, mv):
        assert np.all(x >= 0)
        assert np.all(np.diff(x) >= -1e-9 * np.abs(x[1:]))
    v0 = s.metastasis_growth().initial_cells
    assert np.all(m >= v0 * n * (1 - 1e-7))
    assert np.all(nv <= n * (1 + 1e-9))
    p = ts["p_any_metastasis"].values
    assert np.all((p >= 0) & (p <= 1))


@SETTINGS
@given(scenarios(with_resection=True))
def test_resection_never_increases_later_emission(s):
    with_res = mc.simulate(s, size_times=[]).timeseries
    without = mc.simulate(s.model_copy(update={"treatment": mc.scenario.Treatment()}),
                          size_times=[]).timeseries
    assert np.all(with_res["n_metastases"].values <= without["n_metastases"].values * (1 + 1e-9))
    t = with_res["time_days"].values
    tr = s.treatment.resection_day
    if not s.dissemination.secondary:
        n = with_res["n_metastases"].values
        assert np.allclose(n[t > tr + 2.0], n[-1], rtol=1e-12)


@SETTINGS
@given(scenarios())
def test_results_independent_of_the_internal_step(s):
    a = mc.simulate(s, size_times=[]).timeseries
    fine = s.model_copy(update={"simulation": s.simulation.model_copy(
        update={"max_internal_step_days": 0.25})})
    b = mc.simulate(fine, size_times=[]).timeseries
    for name in ("n_metastases", "metastatic_burden_cells", "n_visible"):
        x, y = a[name].values, b[name].values
        scale = np.maximum(np.abs(y), 1e-300)
        big = np.abs(y) > 1e-12 * np.max(np.abs(y))
        assert np.all(np.abs(x - y)[big] / scale[big] < 1e-5), name
