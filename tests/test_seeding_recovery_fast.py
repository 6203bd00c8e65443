"""Fast recovery checks of the seeding inference (science.md §11.5 G5, G10, 95 % coverage; G7).

The thorough versions (16 replicates per size for G4, a 30-metastasis cohort, populations of 100)
are in ``tests/test_seeding_recovery.py``; these run the same pipeline small enough for every
test run: neutral pairs (primary and metastasis to 1e9 cells, beta = 0.3, exome mu = 0.3 per
daughter cell, SCIMET's sequencing) inferred under the neutral model with populations of 40 and
at most 400 simulations per metastasis after a pilot of 400 (the semi-automatic summary), mu
inferred, fixed seeds, 2 worker processes.

* G10: a cohort of 24 metastases at the 24 quantiles of log-uniform N_s on 1e3..1e9 (exactly
  20 of 24 = 5/6 below 1e8 cells): the share called early by "posterior Q3 < 1e8 cells" within
  0.1 of 5/6 (science.md's tolerance; not met, strict xfail), and the mean posterior probability
  of early seeding within 0.1 of 5/6.
* Coverage: the 95 % credible intervals of log10 N_s cover the truth in 90-99 % of metastases;
  with 24 this is asserted as at least 22 of 24 covered (0.917) and an exact binomial interval
  reaching below 0.99 (24 of 24 is consistent with 95 %).
* G5: E[Lm] and E[H] rise with N_s over 1e3..1e9 (Spearman > 0.9 on the means of 30 pairs per
  grid size).
* G7 (gated: set ``METACASCADE_SLOW_SEEDING=1``; a few minutes): the full claims settings on the
  23 published colorectal metastases, at least 15 of 21 patients seeded early.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy import stats

from metacascade.analysis.sequencing import PairSimulator
from metacascade.inference.seeding import hu2020_timing_law
from metacascade.inference.seeding_abc import SeedingSettings, infer_metastasis
from metacascade.parallel import make_executor

MU = 0.3
COHORT = 24
SETTINGS = SeedingSettings(models=("NN",), population_size=40, max_simulations=400,
                           predictive_draws=0, pilot_simulations=400)


def _infer(task: tuple[float, int]) -> dict[str, float]:
    """One metastasis (module level: runs in a worker process)."""
    log10_cells, i = task
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(20261202, spawn_key=(i,))))
    obs = PairSimulator("NN")(np.array([[10 ** log10_cells, MU]]), rng)[0]
    inf = infer_metastasis(obs, hu2020_timing_law("colorectal"), settings=SETTINGS,
                           seed=int(np.random.SeedSequence(8, spawn_key=(i,)).generate_state(1)[0]))
    theta, w = inf.result.posterior(0)
    q = np.quantile(np.log10(theta[:, 0]), [0.025, 0.975], weights=w, method="inverted_cdf")
    return {"truth": log10_cells, "q025": q[0], "q975": q[1], "early": float(inf.early),
            "p_early": float(inf.summary["p_early"])}


@pytest.fixture(scope="module")
def cohort() -> list[dict[str, float]]:
    truths = 3.0 + 6.0 * (np.arange(COHORT) + 0.5) / COHORT
    with make_executor("processes", workers=2) as ex:
        return ex.map(_infer, [(float(t), i) for i, t in enumerate(truths)])


#: The Q3 rule is conservative once posteriors are informative (tests/test_seeding_recovery.py,
#: G10_Q3_NOT_MET): measured 17 of 24 called early (0.708) against 20 of 24.
G10_Q3_NOT_MET = pytest.mark.xfail(strict=True, reason=(
    "G10 by the Q3 rule not met: 0.708 called early against 0.833 (limit 0.1)"))


@G10_Q3_NOT_MET
def test_g10_early_fraction_within_0_1(cohort: list[dict[str, float]]) -> None:
    truth = np.array([r["truth"] for r in cohort])
    true_early = float(np.mean(truth < 8.0))
    assert true_early == pytest.approx(5 / 6)
    called = float(np.mean([r["early"] for r in cohort]))
    assert abs(called - true_early) <= 0.1, (called, true_early)


def test_g10_mean_p_early_within_0_1(cohort: list[dict[str, float]]) -> None:
    """The posterior probability of early seeding, averaged over the cohort, against 5/6."""
    mean_p = float(np.mean([r["p_early"] for r in cohort]))
    assert abs(mean_p - 5 / 6) <= 0.1, mean_p


def test_95_percent_intervals_cover_the_truth(cohort: list[dict[str, float]]) -> None:
    k = int(sum(r["q025"] <= r["truth"] <= r["q975"] for r in cohort))
    assert k >= 22, f"{k} of {len(cohort)} covered"
    assert stats.binomtest(k, len(cohort)).proportion_ci().low <= 0.99


def test_g5_clonal_counts_rise_with_the_seeding_size() -> None:
    grid = np.arange(3.0, 9.5, 1.0)
    sim = PairSimulator("NN", statistics=("Lm", "H"))
    rng = np.random.default_rng(56)
    means = np.array([sim(np.tile([[10 ** g, MU]], (30, 1)), rng).mean(axis=0) for g in grid])
    assert stats.spearmanr(grid, means[:, 0]).statistic > 0.9
    assert stats.spearmanr(grid, means[:, 1]).statistic > 0.9


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("METACASCADE_SLOW_SEEDING"),
                    reason="ABC on all 23 published metastases (a few minutes on 2 cores): set "
                           "METACASCADE_SLOW_SEEDING=1")
def test_g7_published_colorectal_patients_mostly_early() -> None:
    from metacascade.claims._genomic_seeding import genomic_measures, infer_published

    with make_executor("processes", workers=2) as ex:
        m = genomic_measures(infer_published(False, 0, executor=ex))
    assert m["genomic_colorectal_patients"] == 21
    assert m["genomic_colorectal_early_patients"] >= 15  # science.md G7 (published 17 of 21)
