"""Virtual sequencing and summary statistics (fixed seeds, stated tolerances).

References: the binomial read model (expected VAF = CCF x purity / 2 for diploid loci), the
negative-binomial depth law (SCIMET: size 2, mean 100; scipy.stats.nbinom), counts built by hand
from a designed table, and science.md §11.5 G12 (neutral tail M(f) ~ (mu/beta)/f).
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from metacascade.analysis.sequencing import (
    READ_COLUMNS,
    ccf_from_vaf,
    draw_depth,
    neutral_tail,
    pair_summary_statistics,
    site_calls,
    summary_statistics,
    vaf_from_ccf,
    virtual_sequencing,
)
from metacascade.biology.growth import Exponential
from metacascade.engines.stochastic import CellScaleParameters, simulate_patient
from metacascade.errors import DataError, MetacascadeError


def table(rows):
    """mutation_id, primary, met1 true CCFs."""
    return pd.DataFrame(rows, columns=["mutation_id", "primary", "met1"])


DESIGN = table([
    ("clonal", 1.0, 1.0),          # shared clonal
    ("p_hi", 0.8, 0.0),            # primary-private, VAF 0.4, clonal (Lp)
    ("p_mid", 0.3, 0.0),           # primary-private, VAF 0.15
    ("p_lo", 0.15, 0.0),           # primary-private, VAF 0.075
    ("m_hi", 0.0, 0.9),            # metastasis-private, VAF 0.45, clonal (Lm)
    ("m_hi2", 0.0, 0.7),           # metastasis-private, VAF 0.35, clonal (Lm)
    ("m_lo", 0.0, 0.25),           # metastasis-private, VAF 0.125
    ("s9", 0.4, 0.8),              # met VAF 0.4, primary VAF 0.2 -> S9
    ("none", 0.05, 0.05),          # VAF 0.025: never called
])


def exact_reads(muts, regions=None, purity=1.0):
    return virtual_sequencing(muts, regions or {"primary": 2, "met1": 2},
                              np.random.default_rng(0), depth=math.inf, purity=purity,
                              cells_per_region=math.inf, min_true_ccf=0.0)


def test_read_table_has_exactly_the_pyclone_columns():
    reads = exact_reads(DESIGN)
    assert list(reads.columns) == READ_COLUMNS
    assert len(reads) == len(DESIGN) * 4
    assert set(reads["sample_id"]) == {"primary_R1", "primary_R2", "met1_R1", "met1_R2"}


def test_infinite_depth_purity_one_recovers_the_true_ccf():
    calls = site_calls(exact_reads(DESIGN))
    called = calls[calls["called"]]
    assert len(called) > 0
    assert np.allclose(called["ccf"], called["true_ccf"], atol=1e-5)


def test_ccf_from_reads_with_purity_and_copy_number():
    # CCF 1, purity 0.5, copy number 2 + 1 over a diploid normal: VAF = 0.5 / (1.5 + 1) = 0.2
    assert vaf_from_ccf(1.0, 0.5, 2, 1, 2) == pytest.approx(0.2)
    x = np.array([0.1, 0.5, 1.0])
    assert np.allclose(ccf_from_vaf(vaf_from_ccf(x, 0.7, 2, 1, 2), 0.7, 2, 1, 2), x)


def test_expected_vaf_is_ccf_times_purity_over_two():
    muts = table([("a", 0.2, 0.2), ("b", 0.5, 0.5), ("c", 1.0, 1.0)])
    reads = virtual_sequencing(muts, {"primary": 3000}, np.random.default_rng(4), depth=100,
                               purity=0.7, cells_per_region=math.inf)
    depth = reads["ref_counts"] + reads["alt_counts"]
    for mid, ccf in (("a", 0.2), ("b", 0.5), ("c", 1.0)):
        here = reads["mutation_id"] == mid
        vaf = reads.loc[here, "alt_counts"].sum() / depth[here].sum()
        expect = ccf * 0.7 / 2
        se = math.sqrt(expect * (1 - expect) / depth[here].sum()) * 3  # NB depth inflation
        assert abs(vaf - expect) < 4 * se


def test_depth_follows_its_negative_binomial():
    d = draw_depth(np.random.default_rng(12), 20000)
    dist = stats.nbinom(2, 2 / (2 + 100))
    assert abs(d.mean() - 100) < 4 * dist.std() / math.sqrt(d.size)
    # chi-square over 20 equiprobable bins of the reference law
    edges = np.unique(dist.ppf(np.linspace(0, 1, 21)[1:-1]))
    obs = np.bincount(np.searchsorted(edges, d, side="left"), minlength=edges.size + 1)
    cdf = dist.cdf(np.concatenate([edges - 1, [np.inf]]))
    probs = np.diff(np.concatenate([[0.0], cdf]))
    chi = stats.chisquare(obs, probs * d.size)
    assert chi.pvalue > 0.001
    # and the KS distance is within the discrete law's jump size
    assert stats.kstest(d, dist.cdf).statistic < 0.03


def test_summary_statistics_of_a_designed_table():
    s = summary_statistics(exact_reads(DESIGN), "primary", "met1")
    # primary-private: p_hi (VAF 0.4), p_mid (0.15), p_lo (0.075)
    assert [s["S1"], s["S2"], s["S3"], s["S4"]] == [3, 2, 1, 1]
    # metastasis-private: m_hi (0.45), m_hi2 (0.35), m_lo (0.125)
    assert [s["S5"], s["S6"], s["S7"], s["S8"]] == [3, 3, 2, 2]
    assert s["S9"] == 1  # s9: met VAF 0.4, primary VAF 0.2
    assert s["Lp"] == 1 and s["Lm"] == 2 and s["H"] == pytest.approx(2 / 2)
    assert s["shared"] == 2 and s["shared_clonal"] == 1
    assert s["private_primary"] == 3 and s["private_metastasis"] == 3


def test_real_data_without_true_ccf_gives_the_same_statistics():
    reads = exact_reads(DESIGN).drop(columns="true_ccf")
    a = summary_statistics(reads, "primary", "met1")
    b = summary_statistics(exact_reads(DESIGN), "primary", "met1")
    assert a.equals(b)


def test_batch_statistics_equal_the_table_statistics():
    """Two code paths (read table vs flat pair arrays) on the same exact data."""
    pair = np.zeros(len(DESIGN), dtype=np.int64)
    batch = pair_summary_statistics(pair, DESIGN["primary"], DESIGN["met1"], 1,
                                    np.random.default_rng(0), depth=math.inf,
                                    cells_per_region=math.inf, min_true_ccf=0.0)
    table_stats = summary_statistics(exact_reads(DESIGN, {"primary": 1, "met1": 1}), "primary",
                                     "met1")
    for k, v in table_stats.items():
        assert batch.loc[0, k] == v, k


@pytest.mark.parametrize("exact_below", [1e4, 2e5])  # switch at 1e4 cells / exact to 1e5
def test_g12_neutral_tail_slope_is_mu_over_beta(exact_below):
    """G12: mean M(f) of 60 neutral tumours (b = 1, d = 0.7, mu = 1, N = 1e5, exact depth)
    against 1/f: slope mu/beta within 10 %, R^2 > 0.98. The fit range is VAF 0.025-0.1
    (CCF 0.05-0.2): over Williams' 0.12-0.24 few mutations lie, mostly from each tumour's first
    divisions, and 60 tumours leave the slope within -16 % to +8 % (docs/cellscale.md)."""
    law = Exponential(0.3)
    p = CellScaleParameters(primary_law=law, metastasis_law=law, beta=0.3, mutation_rate=1.0,
                            seeding_rate=0.0, duration_days=200, step_days=1.0,
                            detection_cells=math.inf, stop_primary_at_cells=1e5,
                            exact_below_cells=exact_below)
    rng = np.random.default_rng(4)
    ms = []
    for _ in range(60):
        pt = simulate_patient(p, rng)
        reads = virtual_sequencing(pt.mutations(), {"primary": 1}, rng, depth=math.inf,
                                   cells_per_region=math.inf)
        tail = neutral_tail(reads, "primary", f_range=(0.025, 0.1), min_vaf=0.01)
        ms.append(tail["M"])
    m = np.mean(ms, axis=0)
    x = 1.0 / tail["f"]
    slope, intercept = np.polyfit(x, m, 1)
    r2 = 1 - np.sum((m - (slope * x + intercept)) ** 2) / np.sum((m - m.mean()) ** 2)
    assert abs(slope / (1.0 / 0.3) - 1) < 0.10
    assert r2 > 0.98


@pytest.mark.parametrize("kw, match", [
    (dict(regions={"liver": 2}), "does not exist"),
    (dict(depth=0), "depth"),
    (dict(purity=1.5), "purity"),
    (dict(purity=0.0), "purity"),
    (dict(regions={"primary": 0}), "regions"),
])
def test_bad_sequencing_input(kw, match):
    args = dict(regions={"primary": 2}, depth=100.0, purity=1.0)
    args.update(kw)
    with pytest.raises(MetacascadeError, match=match) as err:
        virtual_sequencing(DESIGN, args["regions"], np.random.default_rng(0), depth=args["depth"],
                           purity=args["purity"])
    assert "\n" not in str(err.value)


def test_bad_read_tables():
    reads = exact_reads(DESIGN)
    with pytest.raises(DataError, match="missing column"):
        summary_statistics(reads.drop(columns="alt_counts"))
    bad = reads.copy()
    bad.loc[0, "alt_counts"] = -1
    with pytest.raises(DataError, match="alt_counts"):
        summary_statistics(bad)
    bad = reads.copy()
    bad["tumour_content"] = 1.2
    with pytest.raises(DataError, match="tumour_content"):
        summary_statistics(bad)
    with pytest.raises(DataError, match="not in the read table"):
        summary_statistics(reads, "primary", "met7")


def test_pair_simulator_gives_one_row_of_statistics_per_theta():
    """The seam of the seeding inference: theta (seeding_cells, mutation_rate) -> S1..S9 rows;
    later seeding gives more metastasis-private mutations (S5), a higher rate more of all."""
    from metacascade.analysis.sequencing import PairSimulator

    sim = PairSimulator("NN")
    theta = np.array([[1e3, 0.3]] * 30 + [[1e8, 0.3]] * 30 + [[1e8, 3.0]] * 10)
    out = sim(theta, np.random.default_rng(5))
    assert out.shape == (70, 9)
    early, late, fast = out[:30].mean(0), out[30:60].mean(0), out[60:].mean(0)
    assert late[4] > early[4] + 10  # S5: about (2 mu/beta) ln(1e8/1e3) = 23 more
    assert fast[4] > 5 * late[4]
    with pytest.raises(DataError):
        sim(np.ones((2, 3)), np.random.default_rng(0))
