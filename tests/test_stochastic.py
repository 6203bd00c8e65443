"""The cell-scale engine against birth-death theory and the organism engine (fixed seeds).

References: extinction probability d/b of a linear birth-death process from one cell (Kendall
1948); science.md §11.5 G1 (mutations with CCF >= 0.1: (2 mu/beta)(1/x - 1) = 18 for b = 1,
d = 0.7, mu = 0.3) and G3 (size-biased CCF of a founder's lineage mutations, (2/beta)/n); the
organism engine's expected N(t), M(t) and primary size (the mean of the linear process is exact).
"""

import math

import numpy as np
import pytest
from scipy import stats

from metacascade.biology.growth import Exponential
from metacascade.engines import organism
from metacascade.engines.stochastic import (
    CellScaleParameters,
    cell_scale_parameters,
    problems,
    simulate_patient,
    simulate_scenario,
)
from metacascade.errors import MetacascadeError, ScenarioError
from metacascade.parallel import make_executor
from metacascade.scenario import load_scenario
from metacascade.streams import patient_stream

LAW = Exponential(0.3)  # with beta = 0.3: b = 1, d = 0.7 per day


def params(**kw):
    base = dict(primary_law=LAW, metastasis_law=LAW, beta=0.3, seeding_rate=0.0,
                duration_days=200.0, step_days=1.0, detection_cells=math.inf)
    base.update(kw)
    return CellScaleParameters(**base)


def m_ccf_at_least(patient, x):
    ccf = patient.ccf()["primary"].to_numpy()
    return int(patient.clones["n_mutations"].to_numpy()[ccf >= x].sum())


def test_extinction_probability_is_d_over_b():
    p = params(mutation_rate=0.0, stop_primary_at_cells=200, condition_on_survival=False)
    rng = np.random.default_rng(11)
    runs = 3000
    extinct = sum(simulate_patient(p, rng).primary_status == "extinct" for _ in range(runs))
    se = math.sqrt(0.7 * 0.3 / runs)
    # reaching 200 cells, the lineage survives with probability 1 - 0.7^200 ~ 1
    assert abs(extinct / runs - 0.7) < 4 * se


def _g1(exact_below, n_final, runs, seed):
    p = params(mutation_rate=0.3, stop_primary_at_cells=n_final, exact_below_cells=exact_below,
               track_mutations_below_cells=min(1e4, exact_below))
    rng = np.random.default_rng(seed)
    return np.array([m_ccf_at_least(simulate_patient(p, rng), 0.1) for _ in range(runs)])


def test_g1_mutations_above_ccf_01_hybrid_to_1e6():
    m = _g1(1e5, 1e6, 60, 1)
    theory = 2 * 0.3 / 0.3 * (1 / 0.1 - 1)  # 18
    assert abs(m.mean() - theory) < 0.2 * theory


def test_switch_from_exact_changes_g1_within_tolerance():
    """At N = 1e5: exact Gillespie all the way against the switch to frozen fractions at 1e4."""
    # (seeding from day 20 keeps the burden's tail light: every day of founding contributes the
    # same expected burden, and the earliest metastases would dominate the sample mean)
    exact = _g1(2e5, 1e5, 60, 2)
    hybrid = _g1(1e4, 1e5, 60, 3)
    theory = 18.0
    for m in (exact, hybrid):
        assert abs(m.mean() - theory) < 0.2 * theory
    se = math.sqrt(exact.var(ddof=1) / exact.size + hybrid.var(ddof=1) / hybrid.size)
    assert abs(exact.mean() - hybrid.mean()) < 3.5 * se
    assert stats.ks_2samp(exact, hybrid).pvalue > 0.01


def test_g3_size_biased_ccf_of_a_random_cells_lineage():
    """A random cell's ancestral mutations born at size n have mean primary CCF (2/beta)/n, the
    unconditional mean is 1/n (science.md §11.4 item 4)."""
    p = params(mutation_rate=0.3, stop_primary_at_cells=2e4, exact_below_cells=4e4,
               track_mutations_below_cells=2e4, step_days=0.02)
    rng = np.random.default_rng(5)
    biased, plain = [], []
    for _ in range(120):
        pt = simulate_patient(p, rng)
        cl = pt.clones
        ccf = pt.ccf()["primary"].to_numpy()
        grid = pt.cells["primary"]
        ok = np.isfinite(grid)
        n_birth = np.exp(np.interp(cl["birth_day"], pt.times[ok], np.log(grid[ok])))
        win = (n_birth >= 50) & (n_birth <= 200) & (cl["n_mutations"].to_numpy() > 0)
        nm = cl["n_mutations"].to_numpy()
        plain.append(np.repeat(ccf[win] * n_birth[win], nm[win]))
        cells = cl["cells"].to_numpy()
        cell = rng.choice(len(cl), p=cells / cells.sum())
        path = [cell]
        parent = cl["parent"].to_numpy()
        while parent[path[-1]] >= 0:
            path.append(int(parent[path[-1]]))
        path = np.array(path)
        on = path[win[path]]
        biased.append(np.repeat(ccf[on] * n_birth[on], nm[on]))
    biased = np.concatenate(biased)
    plain = np.concatenate(plain)
    assert biased.size > 150
    assert abs(biased.mean() / (2 / 0.3) - 1) < 0.15
    assert abs(plain.mean() - 1.0) < 0.15


def test_mean_of_patients_equals_organism_engine():
    sc = load_scenario("breast", [
        "primary.growth=exponential", "primary.rate_per_day=0.3", "primary.initial_cells=1",
        "simulation.duration_days=36", "simulation.output_step_days=1",
        "dissemination.mu=1e-4", "dissemination.gamma=1", "dissemination.start_day=20",
        "detection.primary_cells=1e11",
        "treatment.resection_at_detection=false", "mutation.rate_per_division=0"])
    assert sc.systemic.model == "none"
    assert problems(sc) == []
    ref = organism.simulate(sc).timeseries
    p = cell_scale_parameters(sc, condition_on_survival=False)
    rng = np.random.default_rng(8)
    runs = 500
    days = np.array([24.0, 30.0, 36.0])
    n_met = np.zeros((runs, days.size))
    burden = np.zeros(runs)
    primary = np.zeros(runs)
    for i in range(runs):
        pt = simulate_patient(p, rng)
        n_met[i] = np.searchsorted(np.sort(pt.metastases["founding_day"].to_numpy()), days,
                                   side="right")
        burden[i] = pt.metastases["cells_final"].sum()
        grid = pt.cells["primary"]
        primary[i] = 0.0 if np.isnan(grid[-1]) else grid[-1]
    idx = np.searchsorted(ref["time_days"].to_numpy(), days)
    expect_n = ref["n_metastases"].to_numpy()[idx]
    for j in range(days.size):
        se = n_met[:, j].std(ddof=1) / math.sqrt(runs)
        assert abs(n_met[:, j].mean() - expect_n[j]) < 4 * se, (days[j], n_met[:, j].mean(),
                                                                 expect_n[j])
    se_b = burden.std(ddof=1) / math.sqrt(runs)
    assert abs(burden.mean() - float(ref["metastatic_burden_cells"][-1])) < 4 * se_b
    se_p = primary.std(ddof=1) / math.sqrt(runs)
    assert abs(primary.mean() - float(ref["primary_cells"][-1])) < 4 * se_p


def _one(i):
    p = params(mutation_rate=0.3, seeding_rate=1e-5, stop_primary_at_cells=3e5,
               exact_below_cells=3e4, track_mutations_below_cells=1e4, duration_days=60,
               step_days=0.5)
    pt = simulate_patient(p, patient_stream(2026, i))
    return pt.clones, pt.metastases


def test_same_seed_same_patient_on_any_executor():
    with make_executor("serial") as ser:
        a = ser.map(_one, [0, 1, 2])
    with make_executor("processes", workers=2) as pro:
        b = pro.map(_one, [0, 1, 2])
    for (ca, ma), (cb, mb) in zip(a, b, strict=True):
        assert ca.equals(cb) and ma.equals(mb)
    assert not a[0][0].equals(a[1][0])
    assert len(a[0][1]) > 0  # metastases were founded


def test_metastases_inherit_the_founders_mutations():
    p = params(mutation_rate=0.3, seeding_rate=3e-6, stop_primary_at_cells=1e6,
               exact_below_cells=1e5, duration_days=80, step_days=0.5)
    pt = simulate_patient(p, np.random.default_rng(4))
    cl = pt.clones
    assert len(pt.metastases) > 0
    parent = cl["parent"].to_numpy()
    site = cl["site"].to_numpy()
    for met in pt.metastases.itertuples():
        founder_node = np.nonzero((site == met.met_id) & (parent >= 0)
                                  & (site[np.maximum(parent, 0)] == "primary"))[0]
        assert founder_node.size == met.cluster_size
        assert parent[founder_node[0]] == met.founder_clone
    ccf = pt.ccf()
    big = pt.metastases.sort_values("cells_final").iloc[-1]
    if big.cells_final > 0:  # the founder's primary ancestry is clonal in the metastasis
        anc = [int(big.founder_clone)]
        while parent[anc[-1]] >= 0:
            anc.append(int(parent[anc[-1]]))
        assert np.allclose(ccf.loc[anc, big.met_id], 1.0)


def test_no_stem_cells_no_metastasis_and_resection_stops_seeding():
    # stem-like cells are a cascade-model parameter (the power model's mu counts founders)
    cascade = ["niche.gain=0", "lymphatics.reseeding_rate_per_cell_day=0",
               "mutation.rate_per_division=0", "treatment.resection_at_detection=false",
               "simulation.duration_days=5000"]
    with_stem = simulate_scenario(load_scenario("breast-cascade", cascade),
                                  np.random.default_rng(1), exact_below_cells=1e3,
                                  track_mutations_below_cells=1e3)
    assert len(with_stem.metastases) > 0
    sc = load_scenario("breast-cascade", [*cascade, "stem_cells.fraction=0"])
    pt = simulate_scenario(sc, np.random.default_rng(1), exact_below_cells=1e3,
                           track_mutations_below_cells=1e3)
    assert len(pt.metastases) == 0
    sc2 = load_scenario("breast", ["mutation.rate_per_division=0", "dissemination.mu=1e-8",
                                   "simulation.duration_days=2500",
                                   "treatment.resection_at_detection=false",
                                   "treatment.resection_day=1500"])
    pt2 = simulate_scenario(sc2, np.random.default_rng(1), exact_below_cells=1e4,
                            track_mutations_below_cells=1e4)
    assert pt2.primary_status == "resected" and pt2.primary_end_day == pytest.approx(1500)
    assert len(pt2.metastases) > 0
    assert (pt2.metastases["founding_day"] <= 1500).all()


def test_dormancy_delays_growth_start():
    sc = load_scenario("breast", ["mutation.rate_per_division=0", "dissemination.mu=1e-9",
                                  "simulation.duration_days=2000",
                                  "dormancy.single_cell_fraction=1",
                                  "dormancy.single_cell_latency=fixed",
                                  "dormancy.single_cell_median_days=300"])
    pt = simulate_scenario(sc, np.random.default_rng(2), exact_below_cells=1e4,
                           track_mutations_below_cells=1e4)
    m = pt.metastases
    assert len(m) > 0
    assert np.allclose(m["growth_start_day"] - m["founding_day"], 300.0)


def test_trait_late_seeds_from_trait_carriers():
    """S17 'late': cells without the trait seed at 1/factor of the rate; nearly every
    metastasis descends from a trait-carrying clone when the factor is large."""
    p = params(mutation_rate=0.0, seeding_rate=3e-5, trait="late", trait_factor=1e4,
               trait_rate=1e-3, stop_primary_at_cells=1e6, exact_below_cells=1e5,
               duration_days=80, step_days=0.5)
    pt = simulate_patient(p, np.random.default_rng(3))
    trait = pt.clones["trait"].to_numpy()
    m = pt.metastases
    assert len(m) > 5
    assert trait[m["founder_clone"].to_numpy()].mean() > 0.9
    share = pt.clones.loc[trait & (pt.clones["site"] == "primary"), "cells"].sum() \
        / pt.clones.loc[pt.clones["site"] == "primary", "cells"].sum()
    assert share < 0.9  # carriers are a minority of the primary, yet they found the metastases


@pytest.mark.parametrize("bad", [
    {"mutation_rate": -0.1}, {"seeding_rate": -1.0}, {"beta": 0.0}, {"beta": 1.5},
    {"driver_rate": 2.0}, {"trait": "sometimes"}, {"cluster_size": 0},
    {"track_mutations_below_cells": 1e6, "exact_below_cells": 1e5},
])
def test_bad_parameters_raise_one_line_errors(bad):
    with pytest.raises(MetacascadeError) as err:
        params(**bad)
    assert "\n" not in str(err.value)


def test_bad_scenario_values_and_unsupported_sections():
    with pytest.raises(ScenarioError):
        load_scenario("breast", ["mutation.rate_per_division=-1"])
    with pytest.raises(ScenarioError):
        load_scenario("breast", ["dissemination.cluster_size=0"])
    sc = load_scenario("breast", ["dissemination.secondary=true"])
    assert any("secondary" in p for p in problems(sc))
    with pytest.raises(ScenarioError, match="secondary"):
        simulate_scenario(sc, np.random.default_rng(0))


def test_cascade_founding_rates_match_the_spread_engine():
    """The cell-scale seeding rate by organ (cascade model, naive organs) against the organism
    cascade engine's expected number of metastases per organ: N_o(T) = kappa w_o int X dt."""
    from metacascade.engines.spread import solve_cascade

    sc = load_scenario("breast-cascade", ["niche.gain=0", "lymphatics.reseeding_rate_per_cell_day=0",
                                          "simulation.duration_days=1500",
                                          "treatment.resection_at_detection=false"])
    assert problems(sc) == []
    p = cell_scale_parameters(sc)
    cs = solve_cascade([sc])
    t = np.linspace(0.0, 1500.0, 150_001)
    x = p.primary_law.size(t, 1.0)
    integral = float(np.sum(0.5 * (x[1:] + x[:-1]) * np.diff(t)))
    expected = p.seeding_rate * np.asarray(p.organ_weights) * integral
    assert list(p.organs) == cs.organs
    assert np.allclose(cs.series["n_metastases"][0, :, -1], expected, rtol=1e-4)


def test_too_many_metastases_are_refused_not_truncated():
    sc = load_scenario("neuroblastoma")  # mu = 3e-4 per cell per day: ~1e9 metastases
    with pytest.raises(ScenarioError, match="metastases would be founded") as err:
        simulate_scenario(sc, np.random.default_rng(0))
    assert "\n" not in str(err.value)
    p = params(seeding_rate=1e-4, stop_primary_at_cells=1e6, max_metastases=50,
               mutation_rate=0.0, exact_below_cells=1e4)
    assert p.expected_metastases() > 25
    with pytest.raises(ScenarioError, match="max_metastases"):
        simulate_patient(p, np.random.default_rng(0))


def test_stochastic_summary_fills_the_keys_the_run_table_reads():
    """The audit's patient (breast, mu = 1e-9, seed 3): resected at diagnosis on day 1770.9, first
    metastasis on day 1020. The summary has resection_day, the lead time and the values at
    diagnosis the other engines report, so the run table no longer says 'never'."""
    import metacascade as mc

    sc = load_scenario("breast", ["dissemination.mu=1e-9", "simulation.seed=3"])
    r = mc.simulate(sc, engine="stochastic")
    s = r.summary
    assert s["primary_status"] == "resected"
    assert s["resection_day"] == s["primary_end_day"] == s["detection_day"]
    assert s["lead_time_days"] == pytest.approx(s["detection_day"] - s["first_metastasis_day"])
    assert s["lead_time_days"] > 0 and s["lead_time_years"] == pytest.approx(
        s["lead_time_days"] / 365.25)
    founded = r.metastases["founding_day"].to_numpy()
    assert s["n_metastases_at_detection"] == (founded <= s["detection_day"]).sum() > 0
    assert s["p_any_metastasis_at_detection"] == 1.0
    t = r.timeseries["time_days"].to_numpy()
    k = int(np.searchsorted(t, s["detection_day"]))
    burden = r.timeseries["metastatic_burden_cells"].to_numpy()
    assert burden[k - 1] <= s["burden_at_detection_cells"] <= burden[k]
    rows = {row.key: row for row in r.summary_rows()}
    for key in ("resection_day", "lead_time_days", "n_metastases_at_detection",
                "burden_at_detection_cells"):
        assert rows[key].value == s[key], key
    assert rows["first_metastasis_day"].label == "first metastasis founded"
    assert "half_probability_day" not in rows  # one patient: no probability to cross
