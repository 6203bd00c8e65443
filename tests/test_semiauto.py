"""Semi-automatic ABC summaries (Fearnhead & Prangle 2012) and prior simulation tables.

References: a linear-Gaussian model whose posterior mean, R^2 and summary noise are known in
closed form; the variance of a point uniform in a k-ball (h^2 / (k + 2)) by Monte Carlo; the
same prior table serial and on 2 worker processes (bits). Fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from metacascade.inference.abc import InferenceError, Model, Uniform, simulate_prior
from metacascade.inference.semiauto import (
    LinearSummary,
    Summarised,
    fit_linear_summary,
    tolerance_floor,
)
from metacascade.parallel import make_executor


def identity_features(stats: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(stats.shape[0]), stats])


def two_noisy_copies(theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """y1 = theta + N(0, 1), y2 = N(0, 1) (pure noise)."""
    n = theta.shape[0]
    return np.column_stack([theta[:, 0] + rng.standard_normal(n), rng.standard_normal(n)])


def test_linear_gaussian_summary_is_the_posterior_mean():
    """theta ~ N(0, 4), y1 = theta + N(0, 1), y2 pure noise: E[theta | y] = 0.8 y1, so the
    standardised summary is 0.8 y1 / 2 = 0.4 y1, R^2 = 0.8, and the summary's noise given theta
    is 0.4 (sd of 0.4 N(0, 1)); the pure-noise statistic gets a zero weight."""
    rng = np.random.default_rng(1)
    theta = rng.normal(0.0, 2.0, 20_000)
    y = two_noisy_copies(theta[:, None], rng)
    fit = fit_linear_summary(y, theta, identity_features, ["theta"])
    assert fit.coef[1, 0] == pytest.approx(0.4, abs=0.01)
    assert fit.coef[2, 0] == pytest.approx(0.0, abs=0.01)
    assert fit.r2[0] == pytest.approx(0.8, abs=0.01)
    assert fit.noise_sd[0] == pytest.approx(0.4, abs=0.01)
    s = Summarised(two_noisy_copies, fit)(np.array([[1.0], [2.0]]), np.random.default_rng(2))
    assert s.shape == (2, 1)
    np.testing.assert_allclose(fit(y[:3]), identity_features(y[:3]) @ fit.coef)


def test_tolerance_floor_inflates_the_noise_variance_by_the_given_share():
    fit = LinearSummary(identity_features, np.zeros((3, 3)), ("a", "b", "c"), (0.5,) * 3,
                        (0.5, 0.2, 0.8), 100)
    h = tolerance_floor(fit, 0.1, reference=0)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200_000, 3))
    x *= (h * rng.random(200_000) ** (1 / 3) / np.linalg.norm(x, axis=1))[:, None]  # uniform ball
    assert np.var(x[:, 0]) == pytest.approx(0.1 * 0.5 ** 2, rel=0.02)
    assert tolerance_floor(fit, 0.1) == pytest.approx(h * 0.2 / 0.5)
    with pytest.raises(InferenceError, match="inflation"):
        tolerance_floor(fit, 1.5)


def test_too_few_pilot_rows_are_refused():
    with pytest.raises(InferenceError, match="usable pilot rows"):
        fit_linear_summary(np.ones((3, 2)), np.ones(3), identity_features, ["theta"])


def test_prior_table_is_the_same_serial_and_on_two_processes():
    models = [Model(two_noisy_copies, (Uniform("theta", -1, 1),), "a"),
              Model(two_noisy_copies, (Uniform("theta", 5, 6),), "b")]
    serial = simulate_prior(models, 250, seed=11, batch_size=40)
    with make_executor("processes", workers=2) as ex:
        par = simulate_prior(models, 250, seed=11, batch_size=40, executor=ex)
    np.testing.assert_array_equal(serial.stats, par.stats)
    np.testing.assert_array_equal(serial.model_index, par.model_index)
    assert serial.stats.shape == (250, 2)
    b = serial.model_index == 1
    assert 0.3 < b.mean() < 0.7
    assert np.all((serial.theta[b, 0] >= 5) & (serial.theta[b, 0] <= 6))
    with pytest.raises(InferenceError, match="prior simulations"):
        simulate_prior(models, 0, seed=1)
