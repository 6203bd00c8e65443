"""The seeding inference over the pair simulator: pieces, contracts and reproducibility.

Statistical recovery of simulated truths (G4, G5, G10, coverage) is in
``tests/test_seeding_recovery.py``; here each test checks one property with a fixed seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metacascade import datasets
from metacascade.analysis.sequencing import PairSimulator, summary_statistics, virtual_sequencing
from metacascade.errors import MetacascadeError
from metacascade.inference.abc import InferenceError
from metacascade.inference.seeding import SEEDING_COLUMNS, SUMMARY_STATISTICS, hu2020_timing_law
from metacascade.inference.seeding_abc import (
    KnownRate,
    SeedingSettings,
    first_guess,
    infer_metastasis,
    infer_seeding_table,
    observed_statistics,
    seeding_priors,
)
from metacascade.parallel import make_executor

#: Small settings: the properties checked here do not depend on the population size.
SMALL = SeedingSettings(models=("NN", "SN"), population_size=40, max_generations=2,
                        max_simulations=600, batch_size=20, predictive_draws=20,
                        pilot_simulations=200)


@pytest.fixture(scope="module")
def published():
    return datasets.load("crc_metastases_summary_statistics_hu2019")


def test_first_guess_window_holds_the_true_rate():
    """The mutation-rate prior is the first guess x/÷ 10: over pairs from the whole prior
    (N_s log-uniform 1e3..1e9, mu log-uniform 0.01..1, all four models) the true rate lies in
    that window in at least 95 % of 240 pairs (it is the prior's support)."""
    rng = np.random.default_rng(3)
    inside = []
    for model in ("NN", "NS", "SN", "SS"):
        theta = np.column_stack([10 ** rng.uniform(3, 9, 60), 10 ** rng.uniform(-2, 0, 60)])
        stats = PairSimulator(model)(theta, rng)
        for s, mu in zip(stats, theta[:, 1], strict=True):
            g = first_guess(s)
            inside.append(g.mutation_rate / 10 <= mu <= g.mutation_rate * 10)
    assert np.mean(inside) >= 0.95


def test_first_guess_is_the_section_11_4_estimator():
    # S1 - S4 + S5 - S8 = 100 subclonal mutations: K = 100 / (2 (1/0.1 - 1/0.6)) = 6.0,
    # mu = K beta / 2 = 0.9; Lm = S8 = 20, floor (2 mu / beta)(1/0.6 - 1) = 4.0:
    # N_s = (2 / (0.3 x 0.1)) exp((20 - 4) / 6) = 959 cells
    g = first_guess([100, 40, 20, 10, 30, 26, 24, 20, 2])
    assert g.tail_slope == pytest.approx(6.0)
    assert g.mutation_rate == pytest.approx(0.9)
    assert g.log10_seeding_cells == pytest.approx(np.log10(200 / 3 * np.exp(16 / 6)), rel=1e-9)
    assert g.identifiable
    flat = first_guess([3, 3, 3, 3, 0, 0, 0, 0, 0])  # no subclonal mutation seen
    assert not flat.identifiable


def test_priors_window_and_known_rate():
    s = SeedingSettings()
    g = first_guess([100, 40, 20, 10, 30, 26, 24, 20, 2])
    seeding, mu = seeding_priors(s, g)
    assert seeding.bounds == (1e3, 1e9)
    # 0.9 x/÷ 10 would pass SCIMET's upper end 3: the two-decade window slides inside
    assert mu.bounds == pytest.approx((0.03, 3.0))
    mid = first_guess([30, 12, 6, 3, 12, 10, 9, 8, 1])  # K = 31 / (50/3) = 1.86, mu = 0.279
    assert seeding_priors(s, mid)[1].bounds == pytest.approx((0.0279, 2.79), rel=1e-9)
    low = first_guess([2, 2, 2, 2, 1, 1, 1, 1, 0])  # a tiny rate: the window slides up
    assert seeding_priors(s, low)[1].bounds == pytest.approx((0.003, 0.3))
    known = SeedingSettings(mutation_rate=0.3)
    assert len(seeding_priors(known, g)) == 1
    sim = KnownRate(PairSimulator("NN"), 0.3)
    a = sim(np.array([[1e5]]), np.random.default_rng(1))
    b = PairSimulator("NN")(np.array([[1e5, 0.3]]), np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)


def test_observed_statistics_from_reads_are_the_sequencing_functions(published):
    """A read-count table gives S1..S9 through analysis.sequencing.summary_statistics, per
    metastatic site; a SCIMET table is taken as it is."""
    rng = np.random.default_rng(8)
    n = 300
    muts = pd.DataFrame({"mutation_id": [f"m{i}" for i in range(n)],
                         "primary": rng.uniform(0, 1, n), "liver": rng.uniform(0, 1, n),
                         "lung": rng.uniform(0, 1, n)})
    reads = virtual_sequencing(muts, {"primary": 2, "liver": 1, "lung": 2}, rng)
    obs = observed_statistics(reads.drop(columns="true_ccf"))
    assert list(obs["Met"]) == ["liver", "lung"]
    for site in ("liver", "lung"):
        ref = summary_statistics(reads[reads["site"].isin(["primary", site])], "primary", site)
        got = obs.set_index("Met").loc[site]
        assert [int(got[k]) for k in SUMMARY_STATISTICS] == [int(ref[k]) for k in SUMMARY_STATISTICS]
    scimet = observed_statistics(published)
    pd.testing.assert_frame_equal(scimet, published[["Met", *SUMMARY_STATISTICS]])


def test_one_metastasis_end_to_end():
    obs = PairSimulator("NN")(np.array([[1e5, 0.3]]), np.random.default_rng(2))[0]
    law = hu2020_timing_law("colorectal")
    inf = infer_metastasis(obs, law, seed=4, met="sim_LI", settings=SMALL)
    row = inf.summary
    assert tuple(row) == SEEDING_COLUMNS and row["met"] == "sim_LI"
    assert row["model"] in ("NN", "SN")
    assert row["log10_seeding_cells_q1"] <= row["log10_seeding_cells_median"] \
        <= row["log10_seeding_cells_q3"]
    assert row["log10_seeding_cells_q1"] >= 3 and row["log10_seeding_cells_q3"] <= 9
    assert row["years_before_diagnosis_lower"] <= row["years_before_diagnosis_median"] \
        <= row["years_before_diagnosis_upper"]
    assert 0 <= row["p_early"] <= 1
    post = inf.posterior_frame(law)
    assert np.isclose(post["weight"].sum(), 1.0)
    np.testing.assert_allclose(post["years_before_diagnosis"],
                               law.years_before_diagnosis(post["seeding_cells"]))
    pred = inf.predictive
    assert list(pred["statistic"]) == list(SUMMARY_STATISTICS)
    np.testing.assert_array_equal(pred["observed"], obs)
    assert ((pred["quantile_of_observed"] >= 0) & (pred["quantile_of_observed"] <= 1)).all()
    diag = inf.diagnostics()
    assert diag["p_NN"] + diag["p_SN"] == pytest.approx(1.0)
    # the SMC's budget plus the pilot of the semi-automatic summary
    assert diag["simulations"] <= SMALL.max_simulations + SMALL.pilot_simulations
    assert diag["pilot_simulations"] == SMALL.pilot_simulations
    assert np.isfinite(diag["analytic_log10_seeding_cells"])


def test_same_seed_same_posterior_serial_and_two_processes(published):
    """Model choice and parameters, serial against 2 worker processes: the same bits."""
    rows = published[published["Met"] == "V402_BM"]
    with make_executor("serial") as ex:
        a = infer_seeding_table(rows, "colorectal", seed=7, settings=SMALL, executor=ex)
    with make_executor("processes", workers=2) as ex:
        b = infer_seeding_table(rows, "colorectal", seed=7, settings=SMALL, executor=ex)
    pd.testing.assert_frame_equal(a.seeding, b.seeding)
    pd.testing.assert_frame_equal(a.posterior(), b.posterior())
    pd.testing.assert_frame_equal(a.predictive(), b.predictive())


@pytest.mark.slow
def test_same_posterior_on_dask(published):
    rows = published[published["Met"] == "Lim21_LI"]
    a = infer_seeding_table(rows, "colorectal", seed=7, settings=SMALL)
    with make_executor("dask", workers=2) as ex:
        b = infer_seeding_table(rows, "colorectal", seed=7, settings=SMALL, executor=ex)
    pd.testing.assert_frame_equal(a.posterior(), b.posterior())


def test_table_run_patients_and_progress(published):
    rows = published[published["Met"].isin(["V930_LU", "V930_BM", "Kim1_LI"])]
    small = SeedingSettings(models=("NN",), population_size=30, max_generations=2,
                            max_simulations=300, batch_size=30, predictive_draws=0,
                            pilot_simulations=200)
    seen = []
    run = infer_seeding_table(rows, "colorectal", seed=2, settings=small,
                              progress=lambda p: seen.append((p.met, p.generation is None)))
    assert list(run.seeding.columns) == list(SEEDING_COLUMNS)
    assert list(run.seeding["met"]) == ["V930_LU", "V930_BM", "Kim1_LI"]
    pts = run.early_patients()
    assert list(pts["patient"]) == ["V930", "Kim1"]
    assert pts.set_index("patient").loc["V930", "metastases"] == "V930_LU,V930_BM"
    done = [m for m, finished in seen if finished]
    assert done == ["V930_LU", "V930_BM", "Kim1_LI"]
    assert sum(not f for _, f in seen) >= 3  # at least one generation reported per metastasis


def test_bad_settings_and_data(published):
    with pytest.raises(InferenceError, match="models"):
        SeedingSettings(models=("NX",))
    with pytest.raises(InferenceError, match="seeding_cells_range"):
        SeedingSettings(seeding_cells_range=(1e3, 1e10))
    with pytest.raises(MetacascadeError, match="S1..S9"):
        infer_metastasis([1, 2, 3], "colorectal", seed=1, settings=SMALL)
    with pytest.raises(MetacascadeError, match="cancer type|scenario"):
        infer_seeding_table(published.head(1), "pancreas-xyz", seed=1, settings=SMALL)
    with pytest.raises(MetacascadeError, match="not in the data"):
        infer_seeding_table(published, "colorectal", seed=1, settings=SMALL,
                            metastases=["nope"])
