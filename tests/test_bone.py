"""Bone models against published numbers (science.md §5) and second algorithms."""

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq
from scipy.signal import find_peaks

from metacascade.biology.bone import (
    LemaireParameters,
    PowerLawBoneParameters,
    lemaire_healthy_state,
    lemaire_rhs,
    smooth_max,
)
from metacascade.engines.bone import (
    Dose,
    drug_levels,
    expand_events,
    integrate_power_law,
    integrate_vicious_cycle,
)
from metacascade.errors import ScenarioError
from metacascade.scenario import TreatmentEvent

REL = 0.005  # the 0.5 % tolerance


@pytest.fixture(scope="module")
def komarova():
    p = PowerLawBoneParameters.komarova2003()
    t = np.arange(0.0, 300.0 + 1e-9, 0.01)
    ds = integrate_power_law(p, t, osteoclasts0=11.0, osteoblasts0=212.0, rtol=1e-9,
                             atol=1e-12).isel(system=0)
    return p, ds


def test_komarova_steady_states_published():
    x1, x2 = PowerLawBoneParameters.komarova2003().steady_state()
    assert x1 == pytest.approx(1.0607, rel=REL)
    assert x2 == pytest.approx(212.13, rel=REL)
    # and they are zeros of the right-hand side (second check, independent of the formula)
    p = PowerLawBoneParameters.komarova2003()
    assert p.alpha1 * x1 ** p.g11 * x2 ** p.g21 - p.beta1 * x1 == pytest.approx(0, abs=1e-12)
    assert p.alpha2 * x1 ** p.g12 * x2 ** p.g22 - p.beta2 * x2 == pytest.approx(0, abs=1e-10)


def test_komarova_single_cycle_published(komarova):
    p, ds = komarova
    t = ds.time_days.values
    z = ds.bone_mass_percent.values
    x1 = ds.osteoclasts.values
    x2 = ds.osteoblasts.values
    i = int(np.argmin(z))
    assert z[i] == pytest.approx(89.84, rel=REL)
    assert t[i] == pytest.approx(12.3, rel=REL)
    j = int(np.argmax(x2))
    assert x2[j] == pytest.approx(395.8, rel=REL)
    assert t[j] == pytest.approx(14.1, rel=REL)
    back = t[np.nonzero(x1 < p.steady_state()[0])[0][0]]  # osteoclasts back to steady state
    assert back == pytest.approx(22.9, rel=REL)
    assert z[-1] == pytest.approx(99.97, abs=0.05)  # science.md §5.1: 99.97 % by day 300


def test_komarova_bone_mass_against_event_located_quadrature():
    """Second algorithm: cells by DOP853 in linear variables, bone mass by quadrature of the
    switch with its kinks located by root finding. The engine (exact switch, step-size control
    across the kinks) converges to it as rtol decreases."""
    p = PowerLawBoneParameters.komarova2003()
    x1b, x2b = p.steady_state()
    t_out = np.array([0.0, 5.0, 12.3, 20.0, 40.0, 60.0])
    ds = integrate_power_law(p, t_out, osteoclasts0=11.0, osteoblasts0=212.0, rtol=1e-11,
                             atol=1e-14).isel(system=0)

    def cells(t, y):
        return [p.alpha1 * y[0] ** p.g11 * y[1] ** p.g21 - p.beta1 * y[0],
                p.alpha2 * y[0] ** p.g12 * y[1] ** p.g22 - p.beta2 * y[1]]

    sol = solve_ivp(cells, (0, 60), [11.0, 212.0], method="DOP853", rtol=1e-11, atol=1e-12,
                    dense_output=True)
    grid = np.linspace(0, 60, 6001)
    kinks = []
    for k, bar in ((0, x1b), (1, x2b)):
        g = sol.sol(grid)[k] - bar
        for a in np.nonzero(np.sign(g[:-1]) != np.sign(g[1:]))[0]:
            kinks.append(brentq(lambda s, k=k, bar=bar: sol.sol(s)[k] - bar, grid[a],
                                grid[a + 1], xtol=1e-13))

    def rate(s):
        x = sol.sol(s)
        return -p.k1 * max(x[0] - x1b, 0.0) + p.k2 * max(x[1] - x2b, 0.0)

    for t_end in (5.0, 12.3, 20.0, 40.0, 60.0):
        pts = sorted(k for k in kinks if k < t_end)
        ref = 100.0 + quad(rate, 0, t_end, points=pts or None, limit=400, epsabs=1e-11)[0]
        got = float(ds.bone_mass_percent.sel(time_days=t_end))
        assert got == pytest.approx(ref, abs=1e-7)


def test_smoothed_switch_error_within_documented_bound():
    p = PowerLawBoneParameters.komarova2003()
    t = np.linspace(0, 100, 1001)
    exact = integrate_power_law(p, t, osteoclasts0=11.0, osteoblasts0=212.0, rtol=1e-10,
                                atol=1e-12).bone_mass_percent.values[0]
    eps = 0.01
    smooth = integrate_power_law(p, t, osteoclasts0=11.0, osteoblasts0=212.0, rtol=1e-10,
                                 atol=1e-12, switch_eps=eps).bone_mass_percent.values[0]
    bound = (p.k1 + p.k2) * eps / 2 * t
    assert np.all(np.abs(smooth - exact) <= bound + 1e-7)
    u = np.linspace(-1, 1, 201)
    d = smooth_max(u, eps) - np.maximum(u, 0)
    assert np.all(d >= 0) and np.all(d <= eps / 2 + 1e-15)


@pytest.fixture(scope="module")
def ayati():
    p = PowerLawBoneParameters.ayati2010()
    t = np.arange(0.0, 1200.0 + 1e-9, 0.05)
    ds = integrate_power_law(p, t, osteoclasts0=[15.0, 15.0], osteoblasts0=316.0,
                             tumour0=np.array([0.0, 1.0]), rtol=1e-9, atol=1e-10)
    return p, ds


def test_ayati_constants_match_sbml(ayati):
    p, _ = ayati
    assert p.gamma() == pytest.approx(-0.3734, rel=1e-4)
    c_bar, b_bar = p.steady_state()
    assert c_bar == pytest.approx(4.99380996157, rel=1e-9)  # BIOMD0000000402 computed values
    assert b_bar == pytest.approx(315.901488672, rel=1e-9)


def test_ayati_periodic_without_tumour(ayati):
    _, ds = ayati
    d = ds.isel(system=0)
    oc = d.osteoclasts.values
    t = d.time_days.values
    peaks, _ = find_peaks(oc)
    period = np.diff(t[peaks]).mean()
    assert period == pytest.approx(356.0, rel=0.01)  # science.md §5.2
    assert oc.max() == pytest.approx(15.2, rel=0.01)
    assert d.osteoblasts.values.min() == pytest.approx(1.9, rel=0.02)
    assert d.osteoblasts.values.max() == pytest.approx(904.0, rel=0.01)
    assert np.all(oc > 0)  # positivity (log variables) although OC comes down to ~1e-8


def test_ayati_tumour_shortens_period_and_destroys_bone(ayati):
    _, ds = ayati
    d = ds.isel(system=1)
    t = d.time_days.values
    peaks, _ = find_peaks(d.osteoclasts.values)
    later = np.diff(t[peaks][1:]).mean()  # after the first tumour-free-like cycle
    assert later == pytest.approx(222.0, rel=0.02)  # science.md §5.2 [C]
    assert d.bone_tumour_cells.values[-1] == pytest.approx(98.9, rel=0.005)
    z = d.bone_mass_percent.values
    assert z[t == 600.0][0] == pytest.approx(97.0, abs=0.5)
    assert abs(z[-1]) < 2.0  # ~0 % by day 1,200
    z0 = ds.isel(system=0).bone_mass_percent.values
    assert z[-1] < z0[-1] - 100  # the tumour costs bone


def test_lemaire_steady_states_published():
    h = lemaire_healthy_state(LemaireParameters())
    assert h["R"][0] == pytest.approx(0.7734e-3, rel=1e-3)
    assert h["B"][0] == pytest.approx(0.7282e-3, rel=1e-3)
    assert h["C"][0] == pytest.approx(0.9127e-3, rel=1e-3)
    y = np.array([h["R"], h["B"], h["C"], [100.0], [0.0]])
    dy = lemaire_rhs(0.0, y, LemaireParameters(), h, {}).reshape(5, -1)
    assert np.all(np.abs(dy[:3, 0] / y[:3, 0]) < 1e-9)  # a true steady state


def test_batched_vicious_cycle_equals_per_system_calls():
    r = np.array([0.05, 0.08, 0.12])
    sp = np.array([1e-3, 2e-3, 5e-4])
    p = LemaireParameters(r_t=r, s_pthrp=sp, eps_tgf=1.0, kappa=0.9)
    t = np.linspace(0, 28, 15)
    batch = integrate_vicious_cycle(p, t, tumour0=1e5, rtol=1e-9)
    for i in range(3):
        one = integrate_vicious_cycle(LemaireParameters(r_t=r[i], s_pthrp=sp[i], eps_tgf=1.0,
                                                        kappa=0.9), t, tumour0=1e5, rtol=1e-9)
        for v in ("bone_mass_percent", "bone_tumour_cells", "osteoclasts", "rankl"):
            np.testing.assert_allclose(batch[v].values[i], one[v].values[0], rtol=2e-6)


def test_vicious_cycle_without_tumour_stays_healthy():
    t = np.linspace(0, 100, 11)
    ds = integrate_vicious_cycle(LemaireParameters(s_pthrp=1e-3), t, tumour0=0.0)
    np.testing.assert_allclose(ds.bone_mass_percent.values, 100.0, rtol=1e-9)
    np.testing.assert_allclose(ds.tgf_beta.values, 1.0, rtol=1e-7)


def test_drug_schedules():
    ev = [TreatmentEvent(drug="denosumab", start_day=10, dose=2.0, interval_days=28),
          TreatmentEvent(drug="zoledronic_acid", start_day=0, dose=1.0)]
    doses = expand_events(ev, 100.0)
    assert [d.day for d in doses if d.drug == "denosumab"] == [10.0, 38.0, 66.0, 94.0]
    assert [d.day for d in doses if d.drug == "zoledronic_acid"] == [0.0]
    lv = drug_levels(doses, 36.0)
    assert lv["denosumab"] == pytest.approx(2.0 * 0.5)  # one 26-day half-life
    assert "denosumab" not in drug_levels(doses, 5.0)
    three = expand_events([TreatmentEvent(drug="opg_fc", start_day=1, interval_days=2,
                                          n_doses=3)], 100.0)
    assert [d.day for d in three] == [1.0, 3.0, 5.0]
    with pytest.raises(ScenarioError, match=r"treatment.events\[0\].drug = 'aspirin'.*denosumab"):
        expand_events([TreatmentEvent(drug="aspirin", start_day=0)], 10.0)


def test_treatments_act_on_their_targets():
    p = LemaireParameters(r_t=0.06, s_pthrp=1.4e-3, eps_tgf=1.0, kappa=0.9)
    t = np.linspace(0, 28, 29)
    base = integrate_vicious_cycle(p, t, tumour0=1e5).isel(system=0)
    for drug in ("denosumab", "opg_fc", "zoledronic_acid"):
        tr = integrate_vicious_cycle(p, t, tumour0=1e5,
                                     doses=[Dose(drug, 7.0, 5.0)]).isel(system=0)
        # identical before the dose (the dose day is a segment boundary)
        np.testing.assert_allclose(tr.bone_mass_percent.values[:8],
                                   base.bone_mass_percent.values[:8], rtol=1e-6)
        assert tr.osteoclasts.values[-1] < base.osteoclasts.values[-1]
        assert tr.bone_mass_percent.values[-1] > base.bone_mass_percent.values[-1]
        assert tr.bone_tumour_cells.values[-1] < base.bone_tumour_cells.values[-1]
    dm = integrate_vicious_cycle(p, t, tumour0=1e5, doses=[Dose("denosumab", 7.0, 5.0)])
    assert dm.rankl.values[0, 8] < base.rankl.values[8] / 3
    og = integrate_vicious_cycle(p, t, tumour0=1e5, doses=[Dose("opg_fc", 7.0, 5.0)])
    assert og.opg.values[0, 8] > 3 * base.opg.values[8]


def test_chunked_batches_equal_one_batch():
    rng = np.random.default_rng(1)
    p = PowerLawBoneParameters.ayati2010(alpha1=3.0 * rng.uniform(0.95, 1.05, 7))
    t = np.array([0.0, 50.0, 100.0])
    kw = dict(osteoclasts0=15.0, osteoblasts0=316.0, tumour0=1.0, rtol=1e-10, atol=1e-12)
    one = integrate_power_law(p, t, **kw)
    chunked = integrate_power_law(p, t, chunk_size=3, **kw)
    assert chunked.sizes["system"] == 7
    np.testing.assert_allclose(chunked.bone_mass_percent.values, one.bone_mass_percent.values,
                               rtol=1e-7)


def test_ayati_treatment_biomd403():
    """BIOMD0000000403: treatment from day 600 (v1 = 0.001, v2 = 0.008 > gammaT): the tumour
    shrinks (Gompertz with a negative rate) and bone is no longer lost."""
    p = PowerLawBoneParameters.ayati2010()
    t = np.arange(0.0, 1200.0 + 1e-9, 1.0)
    kw = dict(osteoclasts0=13.0, osteoblasts0=300.0, tumour0=1.0, rtol=1e-9, atol=1e-10)
    untreated = integrate_power_law(p, t, **kw).isel(system=0)
    treated = integrate_power_law(p, t, doses=[Dose("proteasome_inhibitor", 600.0, 1.0)],
                                  **kw).isel(system=0)
    np.testing.assert_allclose(treated.bone_mass_percent.values[:601],
                               untreated.bone_mass_percent.values[:601], rtol=1e-9)
    tum = treated.bone_tumour_cells.values
    assert tum[-1] < tum[600] and np.all(np.diff(tum[601:]) < 0)
    # analytic Gompertz with rate gammaT - v2 after day 600
    rate = p.gamma_t - p.v2
    expected = p.lt * (tum[600] / p.lt) ** np.exp(-rate * (t[600:] - 600.0))
    np.testing.assert_allclose(tum[600:], expected, rtol=1e-6)
    assert treated.bone_mass_percent.values[-1] > untreated.bone_mass_percent.values[-1] + 50


def test_ayati_log_variables_agree_with_linear_variables(ayati):
    """Second algorithm: the SBML equations in linear variables, LSODA, scalar right-hand side."""
    p, ds = ayati
    c_bar, b_bar = p.steady_state()

    def f(t, y):
        c, b, _z, tum = y
        f_t = tum / p.lt
        dc = p.alpha1 * c ** (p.g11 * (1 + p.r11 * f_t)) * b ** (p.g21 * (1 + p.r21 * f_t)) \
            - p.beta1 * c
        db = p.alpha2 * c ** (p.g12 / (1 + p.r12 * f_t)) * b ** (p.g22 - p.r22 * f_t) \
            - p.beta2 * b
        dz = -p.k1 * max(c - c_bar, 0.0) + p.k2 * max(b - b_bar, 0.0)
        dt = p.gamma_t * tum * np.log(p.lt / tum) if tum > 0 else 0.0
        return [dc, db, dz, dt]

    t_chk = np.array([300.0, 600.0, 900.0, 1200.0])
    for k, t0 in enumerate((0.0, 1.0)):
        ref = solve_ivp(f, (0, 1200), [15.0, 316.0, 100.0, t0], method="LSODA", rtol=1e-10,
                        atol=1e-14, t_eval=t_chk)
        got = ds.isel(system=k).sel(time_days=t_chk)
        np.testing.assert_allclose(got.bone_mass_percent.values, ref.y[2], atol=1e-3)
        np.testing.assert_allclose(got.osteoblasts.values, ref.y[1], rtol=1e-4)
