"""Individual maximum-likelihood fits: analytic optima, published fits, intervals, warnings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import chi2, norm

from metacascade.errors import ScenarioError
from metacascade.inference.data import from_frame, load_observations
from metacascade.inference.fit import (
    FitSettings,
    IdentifiabilityWarning,
    Objective,
    fit_subject,
)
from metacascade.inference.likelihood import ErrorModel, loglik_rows, loglik_terms
from metacascade.inference.reference import RATE, fit_published
from metacascade.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
KEYS = ("dissemination.mu", "detection.visible_diameter_mm")
PUBLISHED = {"1": (3.0321405e-4, 3.3564731), "2": (3.6405262e-2, 15.472636),
             "8": (1.1617631, 12.573282)}  # science.md §1.4, df_fit_indiv.csv


@pytest.fixture(scope="module")
def nb() -> tuple:
    return load_observations(EXAMPLE), load_scenario("neuroblastoma")


def analytic_mle(vp: float, siopen: float, ldh: float, sigma: float = 0.1) -> tuple[float, float]:
    """Interior ML optimum of two proportional-error observations matched by two parameters:
    d/df [((y - f)/(s f))^2 / 2 + log f] = 0 gives f = y/u, u = (1 + sqrt(1 + 4 s^2))/2;
    then mu from LDH = phi (mu T Vp + Vp) and tau from N_vis = mu (e^(a (T - tau)) - 1)/a."""
    u = (1 + math.sqrt(1 + 4 * sigma ** 2)) / 2
    a = RATE
    t = math.log(vp) / a
    mu = (ldh / u / 1e-9 - vp) / (t * vp)
    tau = t - math.log1p(siopen / u * a / mu) / a
    v_vis = math.exp(a * tau)
    return mu, (v_vis * 6 / (math.pi * 1e6)) ** (1 / 3)


@pytest.mark.parametrize("sid", ["1", "2", "3", "8", "10"])
def test_fit_equals_analytic_optimum(nb: tuple, sid: str) -> None:
    data, sc = nb
    s = data[sid]
    fit = fit_subject(sc, s, FitSettings(keys=KEYS, interval="none"))
    mu, d = analytic_mle(s.diagnosis_primary_cells, s.value[0], s.value[1])
    assert fit.converged
    assert fit.estimate[0] == pytest.approx(mu, rel=1e-5)
    assert fit.estimate[1] == pytest.approx(d, rel=1e-5)
    u = (1 + math.sqrt(1.04)) / 2
    np.testing.assert_allclose(fit.fitted, s.value / u, rtol=1e-6)


@pytest.mark.parametrize("sid", ["1", "2", "8"])
def test_published_fits(nb: tuple, sid: str) -> None:
    """The published estimates are recovered (1) exactly by the published discretisation
    (reference re-implementation) and (2) within the size of its burden bias by our exact model:
    the published M(T) is e^(a T/1000) (+2.3-2.8 %) too large, so our mu is larger by about
    that factor: both fits reach the same predicted LDH (y/u, see analytic_mle), so
    mu_exact T Vp = bias mu_published T Vp."""
    data, sc = nb
    s = data[sid]
    mu_pub, d_pub = PUBLISHED[sid]
    mu_ref, d_ref, _ = fit_published(s.diagnosis_primary_cells, s.value[0], s.value[1],
                                     start=(mu_pub * 3, d_pub * 1.5))
    assert mu_ref == pytest.approx(mu_pub, rel=2e-4)
    assert d_ref == pytest.approx(d_pub, rel=2e-4)
    fit = fit_subject(sc, s, FitSettings(keys=KEYS, interval="none"))
    t = math.log(s.diagnosis_primary_cells) / RATE
    bias = math.exp(RATE * t / 1000)  # published M / exact M
    assert fit.estimate[0] == pytest.approx(mu_pub * bias, rel=1e-4)
    assert abs(fit.estimate[0] / mu_pub - 1) < 0.035
    assert abs(fit.estimate[1] / d_pub - 1) < 0.01


def test_profile_interval_against_brute_force(nb: tuple) -> None:
    """Second algorithm: profile of mu on a grid, the threshold optimised by bounded Brent."""
    data, sc = nb
    fit = fit_subject(sc, data["2"], FitSettings(keys=KEYS))
    obj = Objective(sc, data["2"], FitSettings(keys=KEYS))
    thr = chi2.ppf(0.95, 1) / 2

    def prof(log_mu: float) -> float:
        r = minimize_scalar(lambda ld: obj.nll(np.array([log_mu, ld])),
                            bounds=(math.log(0.05), math.log(200)), method="bounded",
                            options={"xatol": 1e-10})
        return -float(r.fun)

    grid = np.linspace(math.log(fit.estimate[0]) - 1, math.log(fit.estimate[0]) + 1, 2001)
    pl = np.array([prof(g) for g in grid])
    inside = grid[pl >= fit.loglik - thr]
    assert math.exp(inside[0]) == pytest.approx(fit.lower[0], rel=2e-3)
    assert math.exp(inside[-1]) == pytest.approx(fit.upper[0], rel=2e-3)
    assert fit.lower[0] < fit.estimate[0] < fit.upper[0]
    assert fit.lower[1] < fit.estimate[1] < fit.upper[1]


def test_flat_profile_warns(nb: tuple) -> None:
    data, sc = nb
    with pytest.warns(IdentifiabilityWarning, match="visible_diameter_mm.*lower bound"):
        fit = fit_subject(sc, data["1"], FitSettings(keys=KEYS))
    assert math.isnan(fit.lower[1]) and fit.upper[1] > fit.estimate[1]
    assert any("not identifiable" in w for w in fit.warnings)


def test_engine_path_gives_same_fit(nb: tuple) -> None:
    data, sc = nb
    a = fit_subject(sc, data["8"], FitSettings(keys=KEYS, interval="none"))
    b = fit_subject(sc, data["8"], FitSettings(keys=KEYS, interval="none", engine="organism",
                                               n_starts=16, n_local=1))
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-4)


def growth_data(rate: float, sigma: float, seed: int, times: np.ndarray) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = np.exp(rate * times) * 1e3
    y = f * (1 + sigma * rng.standard_normal(len(times)))
    return pd.DataFrame({"id": "g", "time": times.astype(str), "observable": "primary_cells",
                         "value": y})


def test_profile_and_bootstrap_match_linearised_theory() -> None:
    """y = Vp0 e^(a t) (1 + s eps): the ML estimate of a has sd ~ s/(sqrt(2 + 1/...)); here we
    check against the exact observed information computed analytically for this model,
    I(a) = sum t_i^2 (1/s^2 + 2) at y = f (expected information of the proportional model)."""
    times = np.linspace(5, 40, 8)
    sc = load_scenario("neuroblastoma", ["primary.initial_cells=1000"])
    rate, sigma = 0.2, 0.1
    data = from_frame(growth_data(rate, sigma, 3, times))
    st = FitSettings(keys=("primary.rate_per_day",), bounds={"primary.rate_per_day": (0.01, 1)})
    fit = fit_subject(sc, data["g"], st)
    info = np.sum(times ** 2) * (1 / sigma ** 2 + 2)  # Fisher information of a
    se = 1 / math.sqrt(info)
    a_hat = fit.estimate[0]
    z = norm.ppf(0.975)
    assert fit.lower[0] == pytest.approx(a_hat - z * se, rel=2e-3)
    assert fit.upper[0] == pytest.approx(a_hat + z * se, rel=2e-3)
    bs = fit_subject(sc, data["g"], FitSettings(keys=st.keys, bounds=st.bounds,
                                                interval="bootstrap", n_bootstrap=400, seed=1))
    assert bs.bootstrap is not None
    sd = float(np.std(bs.bootstrap[:, 0], ddof=1))
    # bootstrap sd of 400 replicates: relative sampling error ~ 1/sqrt(2 x 399) = 3.5 %
    assert sd == pytest.approx(se, rel=0.12)


def test_error_models_and_compiled_likelihood() -> None:
    rng = np.random.default_rng(0)
    y = rng.uniform(1, 10, 6)
    f = rng.uniform(1, 10, (3, 6))
    a = np.array([0.0, 0, 1, 1, 0.5, 0.5])
    b = np.array([0.1, 0.1, 0, 0, 0.2, 0.2])
    cens = np.array([False, True, False, True, False, True])
    sd = np.sqrt(a ** 2 + (b * f) ** 2)
    ref = np.where(cens, norm.logcdf(y, f, sd), norm.logpdf(y, f, sd))
    np.testing.assert_allclose(loglik_terms(y, f, a, b, cens), ref, rtol=1e-12)
    np.testing.assert_allclose(loglik_rows(y, f, a, b, cens), ref.sum(1), rtol=1e-10)
    # a zero prediction under a proportional error: certain if censored above it, else impossible
    f0 = np.zeros((1, 2))
    one = np.ones(2)
    z2 = np.zeros(2)
    both = np.array([True, False])
    assert loglik_terms(one, f0, z2, one * 0.1, both)[0, 0] == 0.0
    assert loglik_terms(one, f0, z2, one * 0.1, both)[0, 1] < -1e11
    assert loglik_rows(one, f0, z2, one * 0.1, both)[0] < -1e11
    assert loglik_rows(one, f0, z2, one * 0.1, np.array([True, True]))[0] == 0.0
    assert ErrorModel.parse("combined:2,0.1") == ErrorModel("combined", 2.0, 0.1)
    assert ErrorModel.parse("additive:3").a == 3.0
    with pytest.raises(ScenarioError, match="allowed"):
        ErrorModel.parse("poisson")
    with pytest.raises(ScenarioError, match="not a scenario key"):
        Objective(load_scenario("neuroblastoma"), from_frame(growth_data(0.2, 0.1, 0, np.array(
            [1.0, 2.0])))["g"], FitSettings(keys=("dissemination.nope",)))


def test_engine_fit_gompertz_secondary_dissemination() -> None:
    """General path: Iwata's Gompertz model with metastases from metastases (iwata-hcc); noise-free
    data simulated by the engine at the published mu, gamma (science.md §1.1) are recovered
    (additive error: the optimum of noise-free data is exactly the truth). The fitted gamma is
    kept inside the range the scenario allows (<= 1)."""
    sc = load_scenario("iwata-hcc", ["simulation.output_step_days=10"])
    rows = [{"id": "h", "time": t, "observable": o, "value": 1.0}
            for t in ("500", "654", "900") for o in ("n_metastases", "n_visible")]
    data = from_frame(pd.DataFrame(rows))
    keys = ("dissemination.mu", "dissemination.gamma")
    from metacascade.inference.model import make_predictor

    pred = make_predictor(sc, data["h"], keys)
    assert type(pred).__name__ == "EnginePredictor"
    data["h"].value = pred.predict(np.array([[5.3e-8, 0.663]]))[0]
    fit = fit_subject(sc, data["h"], FitSettings(
        keys=keys, interval="none", n_starts=8, n_local=1,
        default_error=ErrorModel("additive", 0.5, 0.0),
        bounds={"dissemination.mu": (1e-9, 1e-6), "dissemination.gamma": (0.4, 1.0)}))
    np.testing.assert_allclose(fit.estimate, [5.3e-8, 0.663], rtol=1e-3)


def test_process_pool_gives_same_fits(nb: tuple) -> None:
    from metacascade.inference.fit import fit_individuals

    data, sc = nb
    st = FitSettings(keys=KEYS, interval="none")
    a = fit_individuals(data, sc, st, ["2", "8", "3"], workers=1)
    b = fit_individuals(data, sc, st, ["2", "8", "3"], workers=2)
    for x, y in zip(a, b, strict=True):
        assert x.id == y.id
        np.testing.assert_array_equal(x.estimate, y.estimate)


@pytest.mark.parametrize("how", ["workers=2", "serial", "processes"])
def test_same_fits_on_every_executor_and_worker_count(how: str) -> None:
    """The public fit with bootstrap intervals (random resampling from the fit's seed): the same
    estimates and intervals, bit for bit, in-process and on every local executor."""
    from metacascade import fit
    from metacascade.parallel import make_executor

    args = dict(interval="bootstrap", n_bootstrap=12, ids=["2", "8", "3"], seed=4, n_starts=16)
    ref = fit(EXAMPLE, "neuroblastoma", KEYS, **args)
    if how == "workers=2":
        got = fit(EXAMPLE, "neuroblastoma", KEYS, workers=2, **args)
    else:
        with make_executor(how, workers=2) as ex:
            got = fit(EXAMPLE, "neuroblastoma", KEYS, executor=ex, **args)
    assert [f.id for f in got.fits] == ["2", "8", "3"]
    for x, y in zip(ref.fits, got.fits, strict=True):
        for name in ("estimate", "lower", "upper", "bootstrap"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
        assert x.loglik == y.loglik
    assert np.isfinite(ref.fits[0].lower).all()  # the comparison covers real intervals
