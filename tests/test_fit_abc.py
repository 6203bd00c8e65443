"""``fit --method abc`` on the neuroblastoma example (Benzekry et al. 2021; fixed seeds).

Two independent references:

1. The exact posterior. The error model gives the likelihood in closed form, so the posterior
   under the same prior (uniform in log theta on the search box) is tabulated on a fine grid of
   log theta without any ABC; the ABC particles' marginals are compared with it by the weighted
   Kolmogorov-Smirnov distance (Kish's effective sample size as n, level 0.01). At the tolerance
   the ABC stops at (<= 0.4 noise sd for these ids, two observations) the ABC posterior's
   variance exceeds the exact one by about eps^2 / (d + 2) < 4 %, far below the test's
   resolution at ESS ~1500.
2. The profile-likelihood interval of the maximum-likelihood fit. Rule for "overlap
   substantially": on the log scale the intersection of the 95 % ABC credible interval and the
   95 % profile interval covers at least 75 % of each, the ML estimate lies inside the credible
   interval and the posterior median inside the profile interval. Ids 2, 3 and 4 have closed
   profile intervals for both parameters.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from metacascade.errors import MetacascadeError
from metacascade.inference.api import fit
from metacascade.inference.data import load_observations
from metacascade.inference.fit import FitSettings, Objective
from metacascade.inference.fit_abc import ABCFitSettings, abc_fit_subject
from metacascade.inference.likelihood import ErrorModel
from metacascade.inference.result import load_fit
from metacascade.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
KEYS = ["dissemination.mu", "detection.visible_diameter_mm"]
IDS = ["2", "3", "4"]
pytestmark = pytest.mark.filterwarnings(
    "ignore::metacascade.inference.fit.IdentifiabilityWarning")


def weighted_ks(x, w, cdf):
    o = np.argsort(x)
    x, w = x[o], w[o] / w.sum()
    cw = np.cumsum(w)
    f = cdf(x)
    d = max(np.max(cw - f), np.max(f - (cw - w)))
    return d, stats.kstwo.sf(d, int(1.0 / np.sum(w ** 2)))


@pytest.fixture(scope="module")
def fits():
    ml = fit(EXAMPLE, "neuroblastoma", KEYS, ids=IDS, seed=3)
    abc = fit(EXAMPLE, "neuroblastoma", KEYS, ids=IDS, seed=3, method="abc", workers=2)
    return ml, abc


def test_abc_marginals_match_the_exact_grid_posterior():
    obs = load_observations(EXAMPLE)
    sc = load_scenario("neuroblastoma")
    st = FitSettings(keys=tuple(KEYS), default_error=ErrorModel("proportional", 0.0, 0.1))
    fit_, post, res = abc_fit_subject(sc, obs["2"], st, ABCFitSettings(), seed=5)
    assert res.epsilon <= 0.4
    obj = Objective(sc, obs["2"], st)
    # the grid [ML / 5, 5 ML] in both parameters holds all the posterior's mass: the density on
    # its edges is below 1e-6 of the peak (checked below)
    centre = np.log(fit_.estimate)
    g = [np.linspace(c - math.log(5), c + math.log(5), 601) for c in centre]
    mesh = np.stack(np.meshgrid(*g, indexing="ij"), axis=-1).reshape(-1, 2)
    ll = obj.loglik(np.exp(mesh)).reshape(601, 601)
    dens = np.exp(ll - ll.max())
    assert max(dens[0].max(), dens[-1].max(), dens[:, 0].max(), dens[:, -1].max()) < 1e-6
    for j, axis in enumerate(g):
        marg = dens.sum(axis=1 - j)
        c = np.concatenate([[0.0], np.cumsum(0.5 * (marg[1:] + marg[:-1]))])
        c /= c[-1]
        x = np.log(post[KEYS[j]].to_numpy())
        d, p = weighted_ks(x, post["weight"].to_numpy(), lambda v, a=axis, c=c: np.interp(v, a, c))
        assert p > 0.01, (KEYS[j], d)


def test_abc_credible_intervals_overlap_the_profile_intervals(fits):
    ml, abc = fits
    assert abc.method == "abc" and ml.method == "ml"
    for f_ml, f_abc in zip(ml.reported, abc.reported, strict=True):
        assert f_ml.id == f_abc.id
        for j, k in enumerate(KEYS):
            lo1, hi1 = math.log(f_ml.lower[j]), math.log(f_ml.upper[j])
            lo2, hi2 = math.log(f_abc.lower[j]), math.log(f_abc.upper[j])
            inter = max(0.0, min(hi1, hi2) - max(lo1, lo2))
            assert inter >= 0.75 * (hi1 - lo1) and inter >= 0.75 * (hi2 - lo2), (f_ml.id, k)
            assert f_abc.lower[j] <= f_ml.estimate[j] <= f_abc.upper[j]
            assert f_ml.lower[j] <= f_abc.estimate[j] <= f_ml.upper[j]


def test_abc_fit_folder_has_posterior_samples(fits, tmp_path):
    _, abc = fits
    out = abc.save(tmp_path / "nb-abc")
    post = pd.read_csv(out / "posterior.csv", dtype={"id": str})
    assert list(post.columns) == ["id", "weight", *KEYS]
    assert set(post["id"]) == set(IDS)
    assert np.allclose(post.groupby("id")["weight"].sum(), 1.0)
    est = pd.read_csv(out / "estimates.csv", dtype={"id": str})
    assert list(est["id"]) == IDS
    again = load_fit(out)
    assert again.method == "abc"
    np.testing.assert_allclose(again.reported[0].cov_log, abc.reported[0].cov_log)


def test_same_seed_same_posterior_with_one_or_two_workers():
    small = ABCFitSettings(population_size=200, max_generations=4, batch_size=400)
    a = fit(EXAMPLE, "neuroblastoma", KEYS, ids=["2", "3"], seed=9, method="abc", abc=small)
    b = fit(EXAMPLE, "neuroblastoma", KEYS, ids=["2", "3"], seed=9, method="abc", abc=small,
            workers=2)
    pd.testing.assert_frame_equal(a.posterior, b.posterior)


def test_bad_method_arguments():
    with pytest.raises(MetacascadeError, match="--method"):
        fit(EXAMPLE, "neuroblastoma", KEYS, ids=["2"], method="mcmc")
    with pytest.raises(MetacascadeError, match="population"):
        fit(EXAMPLE, "neuroblastoma", KEYS, method="abc", population=True)
