"""Seeding times against published numbers (Hu 2020 files; science.md §11.1.3, §11.4, G8, G9).

Tolerances: values that science.md or the paper print rounded to d decimals are compared within
half a unit of the last decimal (0.005 for 2 decimals, 0.05 for 1); computations that should be
exact (the formula on the published inputs) within 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from metacascade import datasets
from metacascade.biology.growth import Exponential
from metacascade.errors import MetacascadeError
from metacascade.inference.abc import ABCSettings, LogUniform
from metacascade.inference.seeding import (
    HU2020_DOUBLING_TIME_DAYS,
    SCIMET_MUTATION_RATES,
    SCIMET_SEEDING_CELLS,
    SEEDING_COLUMNS,
    TimingLaw,
    analytic_seeding_estimate,
    canonical_cancer_type,
    detectability_size,
    expected_lm,
    founder_floor,
    hu2020_doubling_time_days,
    hu2020_lm_lp_ratio,
    hu2020_met_timing,
    hu2020_seeding_years,
    hu2020_timing_law,
    infer_seeding,
    is_early,
    p_early,
    scenario_timing_law,
    scimet_priors,
    subclonal_tail_slope,
    timing_law,
    weighted_median,
)
from metacascade.scenario import load_scenario


@pytest.fixture(scope="module")
def timing_table():
    return datasets.load("hu2020_met_timing")


@pytest.fixture(scope="module")
def paired():
    return datasets.load("hu2020_paired_primary_met")


@pytest.fixture(scope="module")
def doubling():
    return datasets.load("hu2020_doubling_times")


# ----------------------------------------------------------------------------------- G8
def test_g8_formula_reproduces_the_published_times(timing_table):
    got = hu2020_seeding_years(timing_table["lm_lp_ratio"], list(timing_table["cancer_type"]))
    assert np.max(np.abs(got - timing_table["seeding_years_before_diagnosis"])) < 1e-12
    med = timing_table.assign(t=got).groupby("cancer_type")["t"].median()
    for ct, want in {"Breast": 2.69, "Colorectal": 4.13, "Lung": 3.56}.items():
        assert abs(med[ct] - want) <= 0.005
    before = timing_table.assign(t=got).groupby("cancer_type")["t"].apply(lambda s: (s > 0).mean())
    for ct, want in {"Breast": 0.81, "Colorectal": 0.98, "Lung": 0.93}.items():
        assert abs(before[ct] - want) <= 0.005


def test_g8_table_rebuilt_from_the_paired_counts(paired, timing_table):
    got = hu2020_met_timing(paired)
    assert list(got["met_sample"]) == list(timing_table["met_sample"])  # same 121, same order
    np.testing.assert_array_equal(got["lm_lp_ratio"], timing_table["lm_lp_ratio"])
    assert np.max(np.abs(got["seeding_years_before_diagnosis"]
                         - timing_table["seeding_years_before_diagnosis"])) < 1e-12
    assert list(got["met_status"]) == list(timing_table["met_status"])
    np.testing.assert_array_equal(got["time_to_relapse_months"],
                                  timing_table["time_to_relapse_months"])
    # the published times used the 2-decimal ratio: the unrounded Lm/Lp misses them by ~3e-3 y
    sel = paired.set_index("met_name").loc[timing_table["met_sample"]]
    raw = sel["m_private_clonal_Lm"] / np.maximum(sel["p_private_clonal_Lp"], 1)
    off = hu2020_seeding_years(raw.to_numpy(), list(timing_table["cancer_type"]))
    assert np.max(np.abs(off - timing_table["seeding_years_before_diagnosis"])) > 1e-3


def test_ratio_rounding_is_half_up():
    np.testing.assert_array_equal(hu2020_lm_lp_ratio([49, 41, 10, 11], [8, 8, 16, 0]),
                                  [6.13, 5.13, 0.63, 11.0])


# ----------------------------------------------------------------------------------- G9
@pytest.mark.parametrize("method", ["step", "interpolated"])
def test_weighted_median_doubling_times_match_the_constants(doubling, method):
    for ct in ("breast", "colorectal", "lung"):
        got = hu2020_doubling_time_days(doubling, ct, method)
        assert got == pytest.approx(HU2020_DOUBLING_TIME_DAYS[method][ct], rel=1e-12)


def test_weighted_median_against_a_hand_example():
    # cumulative weights 0.2, 0.5, 1.0 at 1, 2, 3: step -> 2; interpolated at 0.5 -> 2
    assert weighted_median([3, 1, 2], [5, 2, 3], "step") == 2.0
    # cumulative 0.4, 1.0 at 1, 2: step -> 2; interpolated 1 + (0.5 - 0.4) / 0.6
    assert weighted_median([1, 2], [4, 6], "step") == 2.0
    assert weighted_median([1, 2], [4, 6], "interpolated") == pytest.approx(1 + 1 / 6)


def test_g9_expansion_ages():
    # science.md §11.1.3: step medians 243 / 157 / 161 d -> 5.46 / 4.87 / 4.32 y
    for ct, want in {"colorectal": 5.46, "breast": 4.87, "lung": 4.32}.items():
        assert abs(hu2020_timing_law(ct, method="step").expansion_age_years() - want) <= 0.005
    # the paper's hard-coded T (one decimal) from its interpolated medians
    for ct, want in {"colorectal": 5.2, "breast": 4.6, "lung": 4.3}.items():
        assert abs(hu2020_timing_law(ct).expansion_age_years() - want) <= 0.05


def test_section_11_4_years_before_diagnosis_table():
    ns = np.array([1e4, 1e5, 1e6, 1e8])
    gompertz = {"colorectal": [4.3, 3.9, 3.4, 2.1], "breast": [3.4, 2.9, 2.4, 0.7],
                "lung": [3.3, 2.9, 2.5, 1.3]}
    exponential = {"colorectal": [12.6, 10.4, 8.1, 3.7], "breast": [6.6, 5.2, 3.7, 0.9],
                   "lung": [7.7, 6.2, 4.7, 1.8]}
    for ct in gompertz:
        law = hu2020_timing_law(ct, method="step")
        assert np.all(np.abs(law.years_before_diagnosis(ns) - gompertz[ct]) <= 0.05 + 1e-9)
        dt = HU2020_DOUBLING_TIME_DAYS["step"][ct]
        expo = TimingLaw(Exponential(np.log(2) / dt), law.diagnosis_cells, law.detection_cells,
                         days_per_year=365.0)
        assert np.all(np.abs(expo.years_before_diagnosis(ns) - exponential[ct]) <= 0.05 + 1e-9)
    crc = hu2020_timing_law("colorectal", method="step")
    assert crc.diagnosis_cells == pytest.approx(4.77e9, rel=1e-3)  # "Dx 4.8e9 cells"


def test_seeding_after_diagnosis_is_negative_one_doubling_time():
    law = hu2020_timing_law("lung")
    dt = HU2020_DOUBLING_TIME_DAYS["interpolated"]["lung"]
    assert law.days_before_diagnosis(2 * law.diagnosis_cells) == pytest.approx(-dt, rel=1e-12)
    assert law.days_before_diagnosis(law.diagnosis_cells) == 0.0


@pytest.mark.parametrize("name,overrides", [
    ("colorectal", []),
    ("breast", []),
    ("colorectal", ["primary.growth=exponential", "primary.rate_per_day=0.004"]),
    ("colorectal", ["primary.growth=power_law", "primary.rate_per_day=0.05",
                    "primary.power_law_exponent=0.8"]),
])
def test_scenario_law_matches_quadrature_of_the_growth_rate(name, overrides):
    sc = load_scenario(name, overrides)
    law = scenario_timing_law(sc)
    assert law.diagnosis_cells == sc.detection.primary_cells
    for ns in (1e3, 1e5, 1e8):
        # days = integral of dv / (dv/dt) from N_s to N_D, in log v
        want, _ = integrate.quad(lambda lv: np.exp(lv) / law.law.rhs(np.exp(lv)),
                                 np.log(ns), np.log(law.diagnosis_cells), epsrel=1e-11)
        assert law.days_before_diagnosis(ns) == pytest.approx(want, rel=1e-8)
    assert law.years_before_diagnosis(1e5) == pytest.approx(law.days_before_diagnosis(1e5)
                                                            / 365.25)


def test_timing_law_dispatch_and_errors():
    assert timing_law("CRC").label.startswith("Hu 2020 Gompertz, colorectal")
    assert timing_law("breast-bone").label.startswith("scenario")
    with pytest.raises(MetacascadeError):
        timing_law("no-such-cancer")
    with pytest.raises(MetacascadeError) as exc:
        canonical_cancer_type("prostate")
    assert "\n" not in str(exc.value) and "prostate" in str(exc.value)


# --------------------------------------------------------------------- analytic estimator
def test_estimator_inverts_the_section_11_4_numbers():
    # mu = 0.3 per daughter, b = 1, d = 0.7 -> beta = 0.3, K = 2; x_det = 0.1 -> n* = 66.7
    assert detectability_size(0.3, 0.1) == pytest.approx(66.67, abs=0.005)
    assert abs(expected_lm(1e5, 0.3, 0.3) - 14.6) <= 0.05  # "size-biased Lm ... 14.6, 33.0"
    assert abs(expected_lm(1e9, 0.3, 0.3) - 33.0) <= 0.05
    est = analytic_seeding_estimate([14.6, 33.0], 2.0, 0.3)
    # Lm printed to 0.05 -> ln N_s known to 0.05 / K = 0.025
    assert np.all(np.abs(np.log(est.seeding_cells / [1e5, 1e9])) <= 0.025 + 1e-9)
    assert founder_floor(0.3, 0.3, 0.6) == pytest.approx(0.667 * 2, abs=0.001)  # "0.67 2mu/beta"


def test_estimator_poisson_sd_against_monte_carlo():
    rng = np.random.default_rng(1)
    for ns in (1e5, 1e9):
        lam = expected_lm(ns, 0.3, 0.3)
        lm = rng.poisson(lam, 200_000)
        est = analytic_seeding_estimate(lm, 2.0, 0.3)
        ok = est.identifiable
        mc_sd = np.log(est.seeding_cells[ok]).std()
        assert analytic_seeding_estimate(lam, 2.0, 0.3).sd_log == pytest.approx(mc_sd, rel=0.03)
        # unbiased on the log scale: E[ln N_hat] = ln n* + E[Lm] / K = ln N_s (3 standard errors)
        log_est = np.log(est.seeding_cells)
        assert abs(log_est.mean() - np.log(ns)) < 3 * log_est.std() / np.sqrt(lm.size)


def test_floor_is_subtracted_and_small_counts_are_flagged():
    fl = founder_floor(0.3, 0.3)
    est = analytic_seeding_estimate([fl + 2 * np.log(10), 0.5], 2.0, 0.3, floor=fl)
    assert est.seeding_cells[0] == pytest.approx(10 * est.n_star)
    assert not est.identifiable[1] and est.seeding_cells[1] == est.n_star


def test_tail_slope_recovers_the_neutral_slope():
    # neutral spectrum: #(CCF >= x) = K (1/x - 1) on [0.02, 1], plus 100 clonal mutations
    rng = np.random.default_rng(3)
    k = 200.0
    n = rng.poisson(k * (1 / 0.02 - 1))
    u = rng.random(n)
    ccf = 1.0 / (1.0 + u * (1 / 0.02 - 1))
    ccf = np.concatenate([ccf, np.ones(100)])
    slope, r2 = subclonal_tail_slope(ccf)
    assert slope == pytest.approx(k, rel=0.05)
    assert r2 > 0.98  # science.md G12


# --------------------------------------------------------------------------- early seeding
def test_p_early_is_a_probability_even_when_the_weights_round_above_one():
    """400 weights (seed 22) whose normalised sum is 1.0000000000000002 in floating point: with
    every sample early, p_early is exactly 1, never written above it."""
    w = np.random.default_rng(22).random(400)
    assert np.sum(w / w.sum()) > 1.0  # the rounding this test is about
    assert p_early(np.full(400, 1e5), 1e8, w) == 1.0


def test_p_early_and_q3_rule():
    cells = np.array([1e4, 1e6, 1e7, 1e9])
    w = np.array([0.1, 0.2, 0.3, 0.4])
    assert p_early(cells, 1e8, w) == pytest.approx(0.6)
    assert p_early(cells, 1e8) == pytest.approx(0.75)
    assert is_early(cells, 1e8) is True  # Q3 of 4 equal weights = 1e7
    assert is_early(cells, 1e8, w) is False  # weighted Q3 = 1e9


def test_scimet_priors_are_the_published_grids():
    grid = scimet_priors()
    assert grid[0].values == SCIMET_SEEDING_CELLS and len(grid[0].values) == 7
    assert grid[1].values == SCIMET_MUTATION_RATES and len(grid[1].values) == 10
    cont = scimet_priors(continuous=True)
    assert cont[0].bounds == (1e2, 1e9)


# ------------------------------------------------------ the simulator seam, with a toy model
BETA = 0.3


def toy_lineage(theta, rng):
    """Toy stand-in for the cell-scale simulator: (M(0.1), Lm) as Poisson counts with the §11.4
    means (subclonal tail K (1/0.1 - 1), lineage Lm = K ln(N_s / n*)), K = 2 mu / beta."""
    k = 2 * theta[:, 1] / BETA
    tail = rng.poisson(k * 9.0)
    lm = rng.poisson(expected_lm(theta[:, 0], 1.0, BETA) * theta[:, 1])
    return np.column_stack([tail, lm]).astype(float)


def test_infer_seeding_seam_agrees_with_the_analytic_estimator():
    obs = np.array([40.0, 20.0])  # K_hat = 40 / 9
    law = hu2020_timing_law("colorectal")
    priors = (LogUniform("seeding_cells", 1e2, 1e9), LogUniform("mutation_rate", 0.03, 3.0))
    out = infer_seeding(obs, {"neutral": toy_lineage}, law, seed=3, met="toy_LI", priors=priors,
                        settings=ABCSettings(population_size=1000, max_generations=8))
    row = out.summary
    assert tuple(row) == SEEDING_COLUMNS and row["met"] == "toy_LI" and row["model"] == "neutral"
    assert 0 <= row["p_early"] <= 1
    assert row["log10_seeding_cells_q1"] <= row["log10_seeding_cells_median"] \
        <= row["log10_seeding_cells_q3"]
    assert row["years_before_diagnosis_lower"] <= row["years_before_diagnosis_median"] \
        <= row["years_before_diagnosis_upper"]
    est = analytic_seeding_estimate(obs[1], obs[0] / 9.0, BETA)
    sd10 = est.sd_log[()] / np.log(10)
    assert abs(row["log10_seeding_cells_median"] - est.log10_seeding_cells[()]) < 2 * sd10
    # the posterior median's years follow from its cells through the law
    y = law.years_before_diagnosis(10 ** row["log10_seeding_cells_median"])
    # (a decreasing map: the weighted median of years is the years of a neighbouring particle)
    assert y == pytest.approx(row["years_before_diagnosis_median"], abs=0.05)
