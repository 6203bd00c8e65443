"""The pair simulator's selection models and its shortcuts, against the exact process.

References: the fully exact Gillespie run of the same model (every cell, every mutation recorded:
``exact_below_cells`` above the final size) is the second algorithm; SCIMET's selection rule
(Hu et al. 2019, ``TumorMetTiming_abc_*.py``: division probability p (1 + s)) for the fitness
mapping. Distributions are compared by two-sample Kolmogorov-Smirnov tests at a family-wise level
of 0.01 (Bonferroni over the statistics compared), fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from metacascade.analysis.sequencing import (
    PairSimulator,
    pair_exact_cut,
    pair_summary_statistics,
)
from metacascade.engines.evolution import scimet_driver_fitness, simulate_pair, simulate_pairs
from metacascade.errors import MetacascadeError


def ccf_counts(pri: np.ndarray, met: np.ndarray) -> list[int]:
    """True-CCF counts that the summary statistics are built from: primary mutations at CCF
    >= 0.1, 0.2, 0.4; metastasis-clonal and metastasis-subclonal ones absent from the primary;
    metastasis mutations at CCF >= 0.2."""
    return [int(np.sum(pri >= 0.1)), int(np.sum(pri >= 0.2)), int(np.sum(pri >= 0.4)),
            int(np.sum((met > 0.6) & (pri < 0.05))), int(np.sum((met >= 0.1) & (pri < 0.05))),
            int(np.sum(met >= 0.2))]


def runs(n: int, seed: int, **kw: float | str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([ccf_counts(*simulate_pair(0.3, rng=rng, **kw)) for _ in range(n)])


def test_scimet_fitness_gives_the_same_growth_exponent():
    # SCIMET: the advantageous lineage grows as the tumour to ln(2p(1+s))/ln(2p) = 2 (p = 0.55,
    # s = 0.1); here (f b - d)/(b - d) with b = 1, d = 1 - beta
    for beta in (0.3, 0.18, 0.5):
        f = scimet_driver_fitness(beta)
        assert (f - (1 - beta)) / beta == pytest.approx(math.log(1.21) / math.log(1.1), rel=1e-12)
    assert scimet_driver_fitness(0.3) == pytest.approx(1.3, rel=1e-12)
    with pytest.raises(MetacascadeError):
        scimet_driver_fitness(0.3, s=0.9)  # p (1 + s) > 1


@pytest.mark.slow
@pytest.mark.parametrize("seeding_cells", [1e3, 1e4])
def test_selection_hybrid_matches_the_exact_process(seeding_cells):
    """Drivers at 1e-3 per daughter with SCIMET's fitness (1.3), pairs grown to 3e4 cells:
    exact to 1e3 cells, then the leap with driver clones, against the exact Gillespie run of
    every cell (150 pairs each). Seeding below and above the 1e3 cut. The neutral model differs
    from both (the comparison has power)."""
    kw = dict(seeding_cells=seeding_cells, model="SS", final_cells=3e4, driver_rate=1e-3)
    exact = runs(150, 1, exact_below_cells=1e7, track_mutations_below_cells=1e7, **kw)
    hybrid = runs(150, 2, exact_below_cells=1e3, track_mutations_below_cells=1e3, **kw)
    neutral = runs(150, 3, exact_below_cells=1e3, track_mutations_below_cells=1e3,
                   **{**kw, "model": "NN"})
    level = 0.01 / exact.shape[1]
    for j in range(exact.shape[1]):
        assert stats.ks_2samp(exact[:, j], hybrid[:, j]).pvalue > level, j
    # the same test rejects the neutral model: selection shows in the primary's spectrum
    assert stats.ks_2samp(exact[:, 1], neutral[:, 1]).pvalue < level
    assert hybrid[:, 2].mean() > 1.4 * neutral[:, 2].mean()


def test_selection_without_drivers_is_the_neutral_model():
    """A selection model whose drivers never arise is the neutral model: the same laws for the
    metastasis-private clonal mutations (the founder's lineage above the cut, seeding at 1e6)
    and the primary's spectrum (the founder-lineage draw was missing on the selection path)."""
    kw = dict(seeding_cells=1e6, final_cells=1e8, driver_rate=0.0)
    neutral = runs(150, 4, model="NN", **kw)
    no_drivers = runs(150, 5, model="SS", **kw)
    level = 0.01 / neutral.shape[1]
    for j in range(neutral.shape[1]):
        assert stats.ks_2samp(neutral[:, j], no_drivers[:, j]).pvalue > level, j
    # the lineage above the 3e3 cut: (2/beta) mu ln(1e6 / 3e3) = 11.6 mutations on average
    assert no_drivers[:, 3].mean() > 8


def test_min_ccf_keeps_exactly_the_mutations_above_it():
    full = simulate_pair(0.5, 1e5, np.random.default_rng(9), model="SN")
    cut = simulate_pair(0.5, 1e5, np.random.default_rng(9), model="SN", min_ccf=0.01)
    keep = (full[0] >= 0.01) | (full[1] >= 0.01)
    assert np.array_equal(np.sort(full[0][keep]), np.sort(cut[0]))
    assert np.array_equal(np.sort(full[1][keep]), np.sort(cut[1]))


@pytest.mark.slow
@pytest.mark.parametrize("model", ["NN", "SS"])
def test_the_default_cut_gives_the_statistics_of_a_3e3_cut(model):
    """The pair simulator records clones below pair_exact_cut(0.3) = 300 cells (PairSimulator's
    default) instead of 3e3: S1..S9, Lp and Lm have the same laws (200 pairs each, mu = 0.3 at
    N_s = 1e5 and mu = 1 at N_s = 1e8)."""
    names = [f"S{i}" for i in range(1, 10)] + ["Lp", "Lm"]
    level = 0.01 / (2 * len(names))
    assert pair_exact_cut(0.3) == pytest.approx(300.0)
    for seed, (mu, ns) in enumerate([(0.3, 1e5), (1.0, 1e8)]):
        out = []
        for k, cut in enumerate((3e3, pair_exact_cut(0.3))):
            rng = np.random.default_rng(100 + 10 * seed + k)
            b = simulate_pairs(mu, ns, model, 200, rng, exact_below_cells=cut,
                               track_mutations_below_cells=cut)
            out.append(pair_summary_statistics(b.pair, b.ccf_primary, b.ccf_metastasis, 200, rng))
        for name in names:
            assert stats.ks_2samp(out[0][name], out[1][name]).pvalue > level, (mu, name)


def test_selection_pair_simulator_rows_and_effect():
    """SCIMET's S models put primary-private mutations at high VAF (hitchhikers of expanding
    driver clones): S3 (VAF >= 0.2) rises under selection in the primary."""
    theta = np.array([[1e6, 0.3]] * 120)
    nn = PairSimulator("NN")(theta, np.random.default_rng(1))
    sn = PairSimulator("SN")(theta, np.random.default_rng(2))
    assert nn.shape == sn.shape == (120, 9)
    assert sn[:, 2].mean() > 2 * nn[:, 2].mean()
    assert stats.mannwhitneyu(sn[:, 2], nn[:, 2], alternative="greater").pvalue < 1e-4
