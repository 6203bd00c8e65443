"""Systemic inhibition: Hahnfeldt plateau, exact reduction to independent growth, inhibitor decay
after resection, and the time change used for time-varying growth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import metacascade as mc
from metacascade.biology.growth import Gompertz
from metacascade.biology.systemic import (
    LEWIS_LUNG,
    SystemicSignals,
    growth_clock,
    hahnfeldt_plateau,
    hahnfeldt_rhs,
)
from metacascade.engines._timevarying import solve_timevarying
from metacascade.engines.organism import patients_from_scenarios, solve


def test_hahnfeldt_lewis_lung_plateau():
    """(b/d)^(3/2) = 17,347 mm^3 (Hahnfeldt 1999; science.md §2.2), and the ODE converges to it."""
    ll = LEWIS_LUNG
    assert hahnfeldt_plateau(ll["b"], ll["d"]) == pytest.approx(17347, abs=1.0)
    sol = solve_ivp(lambda t, y: hahnfeldt_rhs(y, **ll), (0, 400), [180.0, 625.0], method="LSODA",
                    rtol=1e-10, atol=1e-8)
    v, k = sol.y[:, -1]
    assert v == pytest.approx(17347, rel=1e-3) and k == pytest.approx(17347, rel=1e-3)


def test_zero_inhibition_is_exactly_independent_growth():
    base = mc.load_scenario("breast", ["simulation.duration_days=4000"])
    zero = mc.load_scenario(base, ["systemic.model=proliferation",
                                   "systemic.inhibition_per_cell=0"])
    a, b = mc.simulate(base), mc.simulate(zero)
    for k in ("n_metastases", "metastatic_burden_cells", "n_visible"):
        np.testing.assert_array_equal(a.timeseries[k].values, b.timeseries[k].values)


@pytest.mark.parametrize("name,over,tol", [
    ("breast", ["simulation.duration_days=5000", "dissemination.mu=1e-10"], 2e-3),
    ("iwata-hcc", ["simulation.duration_days=1300"], 1.5e-2),  # with secondary seeding
])
def test_timevarying_path_matches_fft_path_when_f_is_one(name, over, tol):
    """The cohort-marching path with f = 1 against the FFT path (independent algorithms);
    tolerance: discretisation of 1-day cohorts."""
    sc = mc.load_scenario(name, over)
    pat = patients_from_scenarios([sc])
    ref = solve(pat, sc.simulation.duration_days, 1.0, sc.dissemination.secondary)
    tv = solve_timevarying(pat, sc.simulation.duration_days, 1.0, SystemicSignals(),
                           secondary=sc.dissemination.secondary)
    for k in ("n_metastases", "metastatic_burden_cells", "n_visible", "visible_burden_cells"):
        a, b = ref.series[k][0], tv[k][0]
        m = a > 1e-3 * a.max()
        assert np.max(np.abs(a[m] - b[m]) / a[m]) < tol, k


def test_inhibitor_decays_with_its_clearance_after_resection():
    sc = mc.load_scenario("breast", ["systemic.model=proliferation",
                                     "systemic.inhibition_per_cell=1e-9",
                                     "simulation.duration_days=3000"])
    r = mc.simulate(sc)
    tr = r.summary["resection_day"]
    t = r.timeseries["time_days"].values
    inh = r.timeseries["inhibitor"].values
    k0 = int(np.ceil(tr))
    after = t >= k0
    c = sc.systemic.clearance_per_day
    expected = inh[k0] * np.exp(-c * (t[after] - t[k0]))
    np.testing.assert_allclose(inh[after], expected, rtol=1e-9, atol=1e-300)
    # before resection the inhibitor follows the primary: I -> V_p within a few 1/c
    vp = r.timeseries["primary_cells"].values
    assert inh[k0 - 1] == pytest.approx(vp[k0 - 1], rel=0.05)
    # metastases accelerate: the multiplier rises from 1/(1 + theta V_p) to ~1 within days
    f = r.timeseries["growth_multiplier"].values
    assert f[k0 - 1] < 0.6 and f[k0 + 10] > 0.95


def test_time_change_matches_direct_integration():
    """A lesion under dV/dt = f(t) a V ln(K/V) has size X(tau(t) - tau(s)) (tau = int f):
    compared with scipy's solve_ivp on the same f."""
    t = np.linspace(0, 3000, 30001)
    vp = 1e9 * np.exp(t / 2000.0)[None, :]
    vp = np.where(t[None, :] < 1500, vp, 0.0)
    sig = SystemicSignals(inhibition_per_cell=2e-9, clearance_per_day=0.38, surge_amplitude=0.5,
                          surge_decay_days=7.0)
    f = sig.multiplier(t, vp, np.array([1500.0]))[0]
    tau = growth_clock(t, f[None, :])[0]
    g = Gompertz(6.39e-4, 1e12)
    s = 400.0
    ode = solve_ivp(lambda x, y: np.interp(x, t, f) * g.rhs(y), (s, 3000), [1.0],
                    t_eval=[1000, 1499, 1510, 2000, 3000], rtol=1e-10, atol=1e-12, max_step=1.0)
    clock = g.size(np.interp(ode.t, t, tau) - np.interp(s, t, tau), 1.0)
    np.testing.assert_allclose(clock, ode.y[0], rtol=2e-3)


def test_global_inhibition_total_burden_plateau_and_release():
    """Benzekry, Gandolfi & Hahnfeldt 2014: with inhibition driven by the total burden, three
    lesions converge to a total of (b/d)^(3/2) = 17,347 mm^3 (global dormancy); removing the
    largest lesion ("primary") lets the others grow back to the same total (acceleration)."""
    from metacascade.biology.systemic import hahnfeldt_lesions_rhs

    ll = LEWIS_LUNG
    y0 = np.array([200.0, 1.0, 0.5, 625.0, 5.0, 3.0])
    alive = np.ones(3, dtype=bool)
    sol = solve_ivp(lambda t, y: hahnfeldt_lesions_rhs(y, alive, **ll), (0, 3000), y0,
                    method="LSODA", rtol=1e-9, atol=1e-9)
    v = sol.y[:3, -1]
    assert v.sum() == pytest.approx(17347, rel=2e-3)
    # mets are held far below the single-lesion plateau while the primary is present
    assert v[1] < 0.5 * 17347
    cut = alive.copy()
    cut[0] = False
    after = solve_ivp(lambda t, y: hahnfeldt_lesions_rhs(y, cut, **ll), (0, 3000), sol.y[:, -1],
                      method="LSODA", rtol=1e-9, atol=1e-9, dense_output=True)
    mets = after.y[1:3, -1].sum()
    assert mets == pytest.approx(17347, rel=2e-3)
    grown_10d = after.sol(10.0)[1:3].sum()
    assert grown_10d > 1.05 * v[1:3].sum()  # metastases grow within days of the resection


def test_total_burden_inhibitor_exceeds_primary_only():
    sc = mc.load_scenario("iwata-hcc", ["simulation.duration_days=1300",
                                        "treatment.resection_day=800"])
    pat = patients_from_scenarios([sc])
    sig = SystemicSignals(inhibition_per_cell=1e-10, clearance_per_day=0.38)
    a = solve_timevarying(pat, 1300.0, 1.0, sig, "primary")
    b = solve_timevarying(pat, 1300.0, 1.0, sig, "total_burden")
    assert np.all(b["inhibitor"][0] >= a["inhibitor"][0] - 1e-6)
    assert b["metastatic_burden_cells"][0, -1] < a["metastatic_burden_cells"][0, -1]
    # after resection the primary-only inhibitor decays to ~0, the total-burden one does not
    assert a["inhibitor"][0, -1] < 1e-6 * b["inhibitor"][0, -1]


def test_angiogenesis_model_global_plateau_and_release():
    """systemic.model = angiogenesis: after resection the metastases alone converge to the total
    burden (b/d)^(3/2) mm^3 = 1.7347e10 cells (Benzekry 2014 global dormancy; analytic), and they
    grow faster than with the primary in place."""
    base = ["primary.rate_per_day=0.05", "primary.carrying_capacity_cells=1e10",
            "systemic.model=angiogenesis", "dissemination.mu=1e-8",
            "simulation.duration_days=400", "simulation.output_step_days=0.25"]
    a = mc.simulate(mc.load_scenario("breast", base))
    b = mc.simulate(mc.load_scenario("breast", base + ["treatment.resection_at_detection=false"]))
    m = a.timeseries["metastatic_burden_cells"].values
    assert m[-1] == pytest.approx(hahnfeldt_plateau(5.85, 0.00873) * 1e6, rel=5e-3)
    t = a.timeseries["time_days"].values
    tr = a.summary["resection_day"]
    i7 = int(np.searchsorted(t, tr + 7))
    assert m[i7] > 1.5 * b.timeseries["metastatic_burden_cells"].values[i7]
