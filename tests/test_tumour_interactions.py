"""Two-tumour interaction models (biology/tumour_interactions.py) against independent references:
the Gompertz closed form, Hahnfeldt 1999 integrated on its own, the competition invariant and the
analytic stability threshold of the symmetric state."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from metacascade.biology.systemic import LEWIS_LUNG, hahnfeldt_rhs
from metacascade.biology.tumour_interactions import (
    AngiogenesisInhibition,
    Competition,
    ProliferationInhibition,
    asymmetry_growth_rate,
    gompertz_volume,
    instability_threshold,
    simulate,
)

DAYS = np.array([1.0, 5.0, 10.0, 15.0])


@pytest.mark.parametrize("model", [
    ProliferationInhibition(lambda1=0.192, b=0.0, d=0.0, theta=0.0),
    AngiogenesisInhibition(lambda1=0.192, b=0.0, d=0.0, distant_weight=1.0),
])
def test_no_interaction_is_closed_form_gompertz(model):
    """b = d = 0 freezes K; without inhibition each tumour is Gompertz: rel. error < 1e-6."""
    v0 = np.array([[1.0, 30.0], [5.0, 0.2]])
    k0 = np.full_like(v0, 17347.0)
    rate = np.array([[1.0, 0.8], [1.3, 1.1]])
    run = simulate(model, v0, k0, DAYS, rate=rate, rtol=1e-11)
    exact = gompertz_volume(DAYS[None, None, :], v0[..., None], 17347.0, 0.192 * rate[..., None])
    np.testing.assert_allclose(run.volumes, exact, rtol=1e-6)


@pytest.mark.parametrize("model", [Competition(), AngiogenesisInhibition(),
                                   ProliferationInhibition(theta=0.01)])
def test_single_tumour_is_hahnfeldt_1999(model):
    """With one tumour per host every family reduces to Hahnfeldt 1999 (self_weight = 0 for
    proliferation inhibition), integrated here directly in (V, K) with the package's own rhs."""
    ref = solve_ivp(lambda t, y: hahnfeldt_rhs(y, **LEWIS_LUNG), (0, 15), [1.0, 3.47],
                    t_eval=DAYS, rtol=1e-11, atol=1e-12)
    run = simulate(model, np.array([[1.0]]), np.array([[3.47]]), DAYS, rtol=1e-10)
    np.testing.assert_allclose(run.volumes[0, 0], ref.y[0], rtol=1e-6)


def test_competition_conserves_the_volume_ratio():
    """Equal rates: ln(V1/V2) is an exact invariant of competition for a shared capacity, and the
    total follows a single Hahnfeldt tumour started from the summed volumes and capacities."""
    v0 = np.array([[2.0, 1.0], [0.5, 1.0]])
    run = simulate(Competition(), v0, 3.47 * v0, DAYS, rtol=1e-11)
    ratio = run.volumes[0] / run.volumes[1]
    np.testing.assert_allclose(ratio, np.repeat((v0[0] / v0[1])[:, None], DAYS.size, 1), rtol=1e-7)
    ref = solve_ivp(lambda t, y: hahnfeldt_rhs(y, **LEWIS_LUNG), (0, 15), [2.5, 3.47 * 2.5],
                    t_eval=DAYS, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(run.volumes[:, 0].sum(axis=0), ref.y[0], rtol=1e-6)


def _measured_asymmetry_rate(theta: float, v: float, eps: float) -> float:
    """d ln(V1/V2)/dt of the simulation started at V1 = V2 (1 +- 1e-6) v, Gompertz core."""
    delta = 1e-6
    model = ProliferationInhibition(lambda1=0.192, b=0.0, d=0.0, theta=theta, self_weight=eps)
    v0 = np.array([[v * (1 + delta)], [v * (1 - delta)]])
    h = 1e-3
    run = simulate(model, v0, np.full_like(v0, 17347.0), [h], rtol=1e-12)
    x0 = np.log(v0[0, 0] / v0[1, 0])
    x1 = np.log(run.volumes[0, 0, -1] / run.volumes[1, 0, -1])
    return float(np.log(x1 / x0) / h)


@pytest.mark.parametrize("v,eps", [(100.0, 0.0), (1000.0, 0.0), (100.0, 0.3)])
def test_symmetric_state_instability_threshold(v, eps):
    """Analytic threshold theta_c: below it identical tumours converge, above it they drift apart,
    and the simulated rate matches the linearised sigma (1 %)."""
    theta_c = instability_threshold(v, 17347.0, eps)
    assert np.isfinite(theta_c)
    for f in (0.5, 0.9, 1.1, 3.0):
        th = f * theta_c
        sim = _measured_asymmetry_rate(th, v, eps)
        ana = asymmetry_growth_rate(th, v, 17347.0, 0.192, eps)
        assert np.sign(sim) == np.sign(f - 1.0)
        assert sim == pytest.approx(ana, rel=1e-2, abs=1e-5)


def test_fully_shared_inhibition_is_never_unstable():
    assert instability_threshold(100.0, 17347.0, self_weight=1.0) == float("inf")
    assert asymmetry_growth_rate(10.0, 100.0, 17347.0, 0.192, self_weight=1.0) < 0


def test_two_tumour_cohort_fixed_seed():
    """Virtual cohort (quick, seed 0): theta is calibrated to the 61 % within the brentq tolerance;
    the bootstrap CI contains it; the larger tumour is not suppressed (ratio > 0.8 and rarely
    significant); selection alone gives well under 61 %. Tolerances: the quick cohort's 300 mice
    put the reduction CI at about +-0.03."""
    from metacascade.claims._two_tumours import run_study

    m = run_study(0, quick=True).measured
    assert m["two_tumour_size_reduction_day_15"] == pytest.approx(0.61, abs=1e-3)
    assert m["reduction_ci95_low"] < 0.61 < m["reduction_ci95_high"]
    assert m["reduction_ci95_high"] - m["reduction_ci95_low"] < 0.1
    assert m["smaller_vs_control_mannwhitney_p"] < 1e-6
    assert m["larger_over_control"] > 0.8 and m["replicates_larger_significant_fraction"] < 0.2
    assert m["no_interaction_reduction_smaller"] < 0.4
    assert m["competition_symmetry_gain"] == pytest.approx(1.0, abs=1e-6)
    assert m["proliferation_symmetry_gain"] > 1.0 > m["no_interaction_symmetry_gain"]
