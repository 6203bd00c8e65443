"""ABC-SMC against posteriors known in closed form (fixed seeds, stated tolerances).

Why these comparisons are not circular: ABC with tolerance h samples the *ABC posterior*
p(theta | |S_sim - S_obs| <= h), which for the models below is computed here without any ABC
machinery: prior x P(|S_sim - S_obs| <= h | theta), integrated on a fine grid, with
P(...) from the normal or Poisson distribution of the sufficient statistic. That checks the sampler
(proposals, kernels, importance weights) at the tolerance it reached. As h -> 0 the ABC posterior
tends to the exact Bayesian posterior; each test also compares with the exact posterior, after
checking that h is small enough for the difference to be far below the test's resolution.

Weighted samples are compared with a CDF by the Kolmogorov-Smirnov distance between the weighted
empirical CDF and the reference, with Kish's effective sample size as n (level 0.01).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from metacascade.errors import MetacascadeError
from metacascade.inference.abc import (
    ABCSettings,
    DiscreteGrid,
    InferenceError,
    LogUniform,
    Model,
    ScipyPrior,
    Uniform,
    abc_smc,
    posterior_predictive,
)
from metacascade.parallel import ProcessExecutor, SerialExecutor

N_OBS = 10  # observations per simulated data set in the normal models (sd 1)
S_NORMAL = 1.0 / np.sqrt(N_OBS)  # sd of the sample mean
XBAR = 0.8
PRIOR_SD = 2.0
N_POIS = 20
S_POIS = 50  # observed sum of 20 Poisson counts (mean 2.5)


# ------------------------------------------------------------------ models (module level: picklable)
def normal_mean(theta, rng):
    """Sample mean of 10 N(mu, 1) draws: sufficient for mu."""
    return rng.normal(theta[:, :1], 1.0, size=(theta.shape[0], N_OBS)).mean(axis=1, keepdims=True)


def point_null(theta, rng):
    """mu = 0 fixed (a model without parameters)."""
    return rng.normal(0.0, 1.0, size=(theta.shape[0], N_OBS)).mean(axis=1, keepdims=True)


def poisson_mean(theta, rng):
    """Mean of 20 Poisson(lambda) counts: sufficient for lambda."""
    return rng.poisson(theta[:, :1], size=(theta.shape[0], N_POIS)).mean(axis=1, keepdims=True)


# --------------------------------------------------------------------------------- references
def weighted_ks(x, w, cdf):
    o = np.argsort(x)
    x, w = x[o], w[o] / w.sum()
    cw = np.cumsum(w)
    f = cdf(x)
    d = max(np.max(cw - f), np.max(f - (cw - w)))
    ess = 1.0 / np.sum(w ** 2)
    return d, stats.kstwo.sf(d, int(ess))


def grid_cdf(grid, density):
    """CDF of an unnormalised density tabulated on a fine grid (trapezoid rule)."""
    c = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    c /= c[-1]
    return lambda x: np.interp(x, grid, c)


def normal_abc_likelihood(mu, h):
    """P(|xbar_sim - XBAR| <= h | mu), xbar_sim ~ N(mu, 1/10)."""
    return stats.norm.cdf((XBAR + h - mu) / S_NORMAL) - stats.norm.cdf((XBAR - h - mu) / S_NORMAL)


def poisson_abc_likelihood(lam, h_counts):
    """P(|S_sim - S_POIS| <= h | lambda), S_sim ~ Poisson(20 lambda)."""
    lo = np.ceil(S_POIS - h_counts - 1e-9)
    hi = np.floor(S_POIS + h_counts + 1e-9)
    mean = N_POIS * lam
    return stats.poisson.cdf(hi, mean) - stats.poisson.cdf(lo - 1, mean)


# ---------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def normal_run():
    model = Model(normal_mean, (ScipyPrior("mu", stats.norm(0, PRIOR_SD)),), "normal")
    res = abc_smc(model, [XBAR], seed=11,
                  settings=ABCSettings(population_size=2000, min_epsilon=0.015, batch_size=2000))
    return model, res


def test_normal_mean_matches_abc_and_exact_posterior(normal_run):
    _, res = normal_run
    assert res.stop_reason.startswith("tolerance")
    h = res.epsilon * res.scales[0]  # half-width on the sample mean
    theta, w = res.posterior()
    mu = theta[:, 0]
    grid = np.linspace(-4, 5, 40001)
    abc_cdf = grid_cdf(grid, stats.norm.pdf(grid, 0, PRIOR_SD) * normal_abc_likelihood(grid, h))
    d, p = weighted_ks(mu, w, abc_cdf)
    assert p > 0.01, (d, p)
    # exact posterior: N(m, v) with precision 1/4 + 10
    v = 1.0 / (1 / PRIOR_SD ** 2 + N_OBS)
    m = v * N_OBS * XBAR
    # h is small: the ABC posterior's sd exceeds the exact one by a factor sqrt(1 + h^2/(3 v)) - 1
    assert h ** 2 / (3 * v) < 0.01
    d, p = weighted_ks(mu, w, stats.norm(m, np.sqrt(v)).cdf)
    assert p > 0.01, (d, p)
    ess = res.ess
    assert abs(np.sum(w * mu) - m) < 4 * np.sqrt(v / ess)


@pytest.mark.parametrize("prior", [
    ScipyPrior("lambda", stats.gamma(a=2.0, scale=1.0), log_scale=True),
    LogUniform("lambda", 0.5, 10.0),
])
def test_poisson_gamma_matches_abc_and_exact_posterior(prior):
    model = Model(poisson_mean, (prior,), "poisson")
    res = abc_smc(model, [S_POIS / N_POIS], seed=5,
                  settings=ABCSettings(population_size=2000, batch_size=2000, alpha=0.3))
    h_counts = res.epsilon * res.scales[0] * N_POIS
    assert h_counts < 3  # the run got down to a few counts (here usually an exact match)
    theta, w = res.posterior()
    lam = theta[:, 0]
    grid = np.linspace(0.5, 10.0, 40001)
    dens = np.exp(prior.logpdf(grid)) * poisson_abc_likelihood(grid, h_counts)
    d, p = weighted_ks(lam, w, grid_cdf(grid, dens))
    assert p > 0.01, (d, p)
    if h_counts < 1:  # an exact match of the sufficient statistic: ABC posterior = posterior
        if isinstance(prior, ScipyPrior):  # conjugate: Gamma(2 + 50, rate 1 + 20)
            exact = stats.gamma(a=2 + S_POIS, scale=1.0 / (1 + N_POIS)).cdf
        else:  # 1/lambda prior on [0.5, 10]: Gamma(50, rate 20) truncated there
            g = stats.gamma(a=S_POIS, scale=1.0 / N_POIS)

            def exact(x, g=g):
                return (g.cdf(x) - g.cdf(0.5)) / (g.cdf(10.0) - g.cdf(0.5))
        d, p = weighted_ks(lam, w, exact)
        assert p > 0.01, (d, p)


def test_grid_prior_matches_the_exact_grid_posterior():
    values = tuple(np.round(np.arange(1.0, 4.01, 0.25), 2))
    prior = DiscreteGrid("lambda", values)
    res = abc_smc(Model(poisson_mean, (prior,), "poisson-grid"), [S_POIS / N_POIS], seed=3,
                  settings=ABCSettings(population_size=2000, batch_size=2000, alpha=0.3))
    h_counts = res.epsilon * res.scales[0] * N_POIS
    theta, w = res.posterior()
    got = np.array([w[theta[:, 0] == v].sum() for v in values])
    want = poisson_abc_likelihood(np.array(values), h_counts)
    want /= want.sum()
    # Kolmogorov-Smirnov distance between the weighted and the exact CDF on the grid (for a
    # discrete law the kstwo p-value is conservative); and the cells holding most of the mass
    # within 4 binomial standard errors (ESS as n). Tail cells are left to the KS distance:
    # their few particles carry weights far above the average, so ESS understates their error.
    d = np.max(np.abs(np.cumsum(got) - np.cumsum(want)))
    ess = res.ess
    assert stats.kstwo.sf(d, int(ess)) > 0.01, (got, want)
    big = want > 0.05
    assert np.all(np.abs(got - want)[big] <= 4 * np.sqrt(want * (1 - want) / ess)[big])
    assert set(np.unique(theta[:, 0])) <= set(values)


def test_model_choice_recovers_the_bayes_factor():
    """M0: mu = 0 (no parameter) against M1: mu ~ N(0, 1); xbar = 0.5 from 10 N(mu, 1) draws.
    Marginal of xbar: N(0, s^2) under M0, N(0, 1 + s^2) under M1, so the Bayes factor and the
    ABC model posterior at half-width h are closed forms."""
    xbar = 0.5
    models = [Model(point_null, (), "null"),
              Model(normal_mean, (ScipyPrior("mu", stats.norm(0, 1)),), "alternative")]
    res = abc_smc(models, [xbar], seed=2,
                  settings=ABCSettings(population_size=3000, batch_size=3000, min_epsilon=0.02))
    h = res.epsilon * res.scales[0]
    sd = np.array([S_NORMAL, np.sqrt(1 + S_NORMAL ** 2)])
    mass = stats.norm.cdf((xbar + h) / sd) - stats.norm.cdf((xbar - h) / sd)
    p_abc = mass[0] / mass.sum()
    dens = stats.norm.pdf(xbar, 0, sd)
    p_exact = dens[0] / dens.sum()  # Bayes factor B01 = dens[0] / dens[1] (about 1.06)
    assert abs(p_abc - p_exact) < 0.005  # the tolerance reached is small enough
    got = res.model_probabilities[0]
    assert abs(got - p_abc) < 4 * np.sqrt(p_abc * (1 - p_abc) / res.ess), (got, p_abc)
    # the alternative's parameter posterior: prior N(0, 1) x ABC likelihood
    theta, w = res.posterior("alternative")
    grid = np.linspace(-4, 4, 40001)
    lik = stats.norm.cdf((xbar + h - grid) / S_NORMAL) - stats.norm.cdf((xbar - h - grid) / S_NORMAL)
    d, p = weighted_ks(theta[:, 0], w, grid_cdf(grid, stats.norm.pdf(grid) * lik))
    assert p > 0.01, (d, p)


def _choice_run(executor, seed=9):
    models = [Model(point_null, (), "null"),
              Model(normal_mean, (Uniform("mu", -3, 3),), "uniform"),
              Model(poisson_mean, (LogUniform("lambda", 0.1, 5.0),), "poisson")]
    return abc_smc(models, [0.4], seed=seed, executor=executor,
                   settings=ABCSettings(population_size=300, batch_size=150, max_generations=4))


def test_same_seed_same_posterior_on_any_executor():
    ref = _choice_run(None)
    runs = [_choice_run(SerialExecutor()), _choice_run(lambda fn, tasks: map(fn, tasks))]
    with ProcessExecutor(2) as ex:
        runs.append(_choice_run(ex))
    for got in runs:
        for name in ("model_index", "theta", "weights", "distances", "stats"):
            np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)
        assert got.history[-1].epsilon == ref.history[-1].epsilon
    other = _choice_run(None, seed=10)
    assert not np.array_equal(other.weights, ref.weights)


def test_posterior_predictive_matches_the_analytic_predictive(normal_run):
    model, res = normal_run
    check = posterior_predictive(res, model, n=2000, seed=4)
    v = 1.0 / (1 / PRIOR_SD ** 2 + N_OBS)
    m = v * N_OBS * XBAR
    pred = stats.norm(m, np.sqrt(v + 1.0 / N_OBS))  # posterior predictive of the sample mean
    assert stats.kstest(check.statistics[:, 0], pred.cdf).pvalue > 0.01
    again = posterior_predictive(res, model, n=2000, seed=4, executor=SerialExecutor())
    np.testing.assert_array_equal(again.statistics, check.statistics)
    frame = check.to_frame()
    assert list(frame["statistic"]) == ["S1"]
    assert 0.2 < frame["quantile_of_observed"].iloc[0] < 0.8


def test_stopping_rules_are_reported():
    model = Model(normal_mean, (Uniform("mu", -5, 5),), "normal")
    res = abc_smc(model, [XBAR], seed=1, settings=ABCSettings(population_size=200,
                                                              max_generations=3))
    assert len(res.history) == 3 and res.stop_reason.startswith("max_generations")
    res = abc_smc(model, [XBAR], seed=1, settings=ABCSettings(population_size=200,
                                                              min_acceptance_rate=0.2))
    assert "acceptance rate" in res.stop_reason
    assert res.history[-1].acceptance_rate >= 0.2 or "abandoned" not in res.stop_reason
    res = abc_smc(model, [XBAR], seed=1, settings=ABCSettings(population_size=200,
                                                              max_simulations=3000))
    assert "max_simulations" in res.stop_reason and res.n_simulations <= 3000
    # a discrete statistic stalls at an exact match: the tolerance stops falling
    pm = Model(poisson_mean, (Uniform("lambda", 0.5, 5.0),), "poisson")
    res = abc_smc(pm, [S_POIS / N_POIS], seed=1,
                  settings=ABCSettings(population_size=300, min_epsilon_decrease=0.05))
    assert "tolerance" in res.stop_reason
    eps = [g.epsilon for g in res.history]
    assert all(b <= a for a, b in zip(eps, eps[1:], strict=False))


def test_adaptive_distance_runs_and_matches():
    model = Model(normal_mean, (ScipyPrior("mu", stats.norm(0, PRIOR_SD)),), "normal")
    res = abc_smc(model, [XBAR], seed=12, settings=ABCSettings(
        population_size=1000, adaptive_distance=True, max_generations=7))
    h = res.epsilon * res.scales[0]
    theta, w = res.posterior()
    grid = np.linspace(-4, 5, 40001)
    cdf = grid_cdf(grid, stats.norm.pdf(grid, 0, PRIOR_SD) * normal_abc_likelihood(grid, h))
    assert weighted_ks(theta[:, 0], w, cdf)[1] > 0.01


def bad_shape(theta, rng):
    return np.zeros((theta.shape[0], 3))


@pytest.mark.parametrize("make", [
    lambda: ABCSettings(population_size=1),
    lambda: ABCSettings(alpha=1.0),
    lambda: ABCSettings(max_generations=0),
    lambda: ABCSettings(min_acceptance_rate=0),
    lambda: ABCSettings(initial_draws=10, population_size=100),
    lambda: ABCSettings(batch_size=0),
    lambda: Uniform("x", 1.0, 1.0),
    lambda: Uniform("x", 0.0, float("inf")),
    lambda: LogUniform("x", 0.0, 1.0),
    lambda: DiscreteGrid("x", ()),
    lambda: DiscreteGrid("x", (1.0, 1.0)),
    lambda: DiscreteGrid("x", (1.0, 2.0), (0.5, -0.1)),
    lambda: ScipyPrior("x", stats.norm(0, 1), log_scale=True),
    lambda: Model(normal_mean, (Uniform("a", 0, 1), Uniform("a", 0, 2))),
    lambda: abc_smc(Model(normal_mean, (Uniform("mu", 0, 1),)), [np.nan], seed=0),
    lambda: abc_smc(Model(normal_mean, (Uniform("mu", 0, 1),)), [0.5], seed=-1),
    lambda: abc_smc(Model(bad_shape, (Uniform("mu", 0, 1),), "bad"), [0.5], seed=0,
                    settings=ABCSettings(population_size=10)),
    lambda: abc_smc([Model(normal_mean, (Uniform("mu", 0, 1),), "a")] * 2, [0.5], seed=0),
    lambda: abc_smc(Model(normal_mean, (Uniform("mu", 0, 1),)), [0.5], seed=0,
                    model_prior=[0.5, 0.5]),
    lambda: abc_smc(Model(normal_mean, (Uniform("mu", 0, 1),)), [0.5], seed=0, executor=3),
])
def test_bad_arguments_raise_one_line_errors(make):
    with pytest.raises(MetacascadeError) as exc:
        make()
    assert isinstance(exc.value, InferenceError)
    msg = str(exc.value)
    assert msg and "\n" not in msg


@pytest.mark.slow
def test_same_posterior_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    import sys

    import cloudpickle

    from metacascade.parallel import make_executor

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers lack tests/ on the path
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            got = _choice_run(make_executor("dask", scheduler=client))
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ref = _choice_run(None)
    for name in ("model_index", "theta", "weights", "distances", "stats"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)
