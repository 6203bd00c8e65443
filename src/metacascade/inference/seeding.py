"""When was a metastasis seeded? Timing from the seeding size, and the seams for ABC over the
cell-scale simulator (Hu et al. 2019, 2020).

Three pieces, each usable alone:

1. **Hu 2020's clonal-count formula** (Hu, Li, Ma & Curtis 2020, Nat Genet 52:701, repository
   cancersysbio/pan-metastasis ``src/metTiming.R``): ``t_s = T (1 - 0.13 Lm/Lp)`` years before
   diagnosis, with the primary's expansion age T = 4.6 (breast), 5.2 (colorectal), 4.3 (lung)
   years; negative values mean seeding after diagnosis. :func:`hu2020_met_timing` rebuilds the
   published per-metastasis table from the paired clonal counts.
2. **Years before diagnosis from a seeding size** through a growth law: Hu 2020's Gompertz
   (plateau 1e11 cells, 1e8 cells/cm^3, diagnosis diameters 2.0 / 4.5 / 3.2 cm, patient-weighted
   median volume doubling times; ``src/primaryTumorExpansionAge.R``) or any scenario's primary
   growth law (:class:`TimingLaw`).
3. **The analytic estimator** of docs/seeding.md (``N_s = n* exp((Lm - floor) beta/(2 mu))``
   with a Poisson standard deviation): a fast first guess and a cross-check of the ABC posterior.

The ABC part (:func:`infer_seeding`) runs :func:`metacascade.inference.abc.abc_smc` over any
batched simulator of summary statistics with the parameters ``(seeding_cells, mutation_rate)``;
the cell-scale simulator (issue 15) plugs in there, one simulator per growth/selection model
(SCIMET's NN, NS, SN, SS; Hu et al. 2019, Nat Genet 51:1113).

Units: sizes in cells; time in days inside growth laws, years in outputs. Hu's scripts convert
days to years with 365 days (kept for the Hu 2020 laws so the published numbers reproduce); the
scenario laws use 365.25 days like the rest of metacascade.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.biology.growth import Gompertz, GrowthLaw
from metacascade.inference.abc import (
    ABCResult,
    ABCSettings,
    DiscreteGrid,
    GenerationRecord,
    InferenceError,
    LogUniform,
    Model,
    Prior,
    abc_smc,
)
from metacascade.scenario import Scenario, load_scenario, resolve

Array = npt.NDArray[np.float64]

YEAR_DAYS = 365.25
HU2020_DAYS_PER_YEAR = 365.0  # src/primaryTumorExpansionAge.R: exp_age / 365

CANCER_TYPES = ("breast", "colorectal", "lung")
_ALIASES = {"crc": "colorectal", "colon": "colorectal", "colorectal cancer": "colorectal",
            "breast cancer": "breast", "lung cancer": "lung", "nsclc": "lung"}

#: Hu 2020 ``src/metTiming.R``: expansion ages (years) hard-coded in the seeding-time formula.
HU2020_EXPANSION_AGE_YEARS = {"breast": 4.6, "colorectal": 5.2, "lung": 4.3}
#: Hu 2020: normalised seeding time ``1 - 0.13 Lm/Lp``.
HU2020_LM_LP_COEFFICIENT = 0.13
#: Hu 2020 ``src/primaryTumorExpansionAge.R``: diameter at diagnosis (cm), plateau, density.
HU2020_DIAGNOSIS_DIAMETER_CM = {"breast": 2.0, "colorectal": 4.5, "lung": 3.2}
HU2020_PLATEAU_CELLS = 1e11
HU2020_CELLS_PER_CM3 = 1e8
#: Patient-weighted median volume doubling times (days) of Hu 2020's literature tables
#: (``data/DT_*.txt``): "step" = smallest value with cumulative weight >= 1/2; "interpolated" =
#: the linear interpolation of spatstat's ``weighted.median`` that Hu's script used (it gives the
#: hard-coded T = 5.2 / 4.6 / 4.3 y to their one decimal). Recomputed from the tables by the tests.
HU2020_DOUBLING_TIME_DAYS = {
    "step": {"breast": 157.0, "colorectal": 243.3, "lung": 161.0},
    "interpolated": {"breast": 148.73404255319149, "colorectal": 233.35909090909092,
                     "lung": 158.90268456375838},
}
#: "Clinically detectable": 1 cm^3 = 1e8 cells at Hu's density (Hu 2019 call seeding below
#: 0.01 cm^3 "clinically undetectable"; Hu et al. 2019 classifies early by Q3 < 1e8 cells).
HU2019_DETECTION_CELLS = 1e8

SCIMET_MODELS = ("NN", "NS", "SN", "SS")
#: SCIMET ``ABC_simulation/abc_parameters.txt`` (Hu et al. 2019, SCIMET).
SCIMET_MUTATION_RATES = (0.003, 0.006, 0.015, 0.03, 0.06, 0.15, 0.3, 0.6, 1.5, 3.0)
SCIMET_SEEDING_CELLS = (1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9)
SUMMARY_STATISTICS = tuple(f"S{i}" for i in range(1, 10))

#: Columns of ``seeding.csv`` (issue 16; a contract).
SEEDING_COLUMNS = ("met", "log10_seeding_cells_median", "log10_seeding_cells_q1",
                   "log10_seeding_cells_q3", "years_before_diagnosis_median",
                   "years_before_diagnosis_lower", "years_before_diagnosis_upper", "p_early",
                   "model")


def canonical_cancer_type(name: str) -> str:
    """``breast``, ``colorectal`` or ``lung`` (case-insensitive; CRC, colon also accepted)."""
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in CANCER_TYPES:
        raise InferenceError(f"cancer type {name!r}: unknown; choose one of "
                             f"{', '.join(CANCER_TYPES)}")
    return key


# ------------------------------------------------------------------------ 1. Hu 2020 formula
def hu2020_lm_lp_ratio(lm: npt.ArrayLike, lp: npt.ArrayLike) -> Array:
    """``Lm / max(Lp, 1)`` rounded half up to 2 decimals: how the published ``LmLp_ratio``
    column was made (checked on all 199 rows of the paired table; 6.125 -> 6.13, and Lp = 0 ->
    Lm, e.g. PB0076_BM 11/0 -> 11)."""
    lm_a, lp_a = np.asarray(lm, dtype=float), np.asarray(lp, dtype=float)
    if np.any(lm_a < 0) or np.any(lp_a < 0):
        raise InferenceError("Lm and Lp are mutation counts: they must be >= 0")
    return np.floor(lm_a / np.maximum(lp_a, 1.0) * 100.0 + 0.5) / 100.0


def hu2020_seeding_years(lm_lp_ratio: npt.ArrayLike, cancer_type: str | Sequence[str]) -> Array:
    """Hu 2020's seeding time ``T (1 - 0.13 Lm/Lp)``, years before diagnosis of the primary
    (negative: after), with T from :data:`HU2020_EXPANSION_AGE_YEARS`."""
    r = np.asarray(lm_lp_ratio, dtype=float)
    if isinstance(cancer_type, str):
        t = np.full(r.shape, HU2020_EXPANSION_AGE_YEARS[canonical_cancer_type(cancer_type)])
    else:
        t = np.array([HU2020_EXPANSION_AGE_YEARS[canonical_cancer_type(c)] for c in cancer_type])
    return np.asarray(t * (1.0 - HU2020_LM_LP_COEFFICIENT * r), dtype=float)


def hu2020_met_timing(paired: pd.DataFrame) -> pd.DataFrame:
    """Hu 2020's formula: seeding times of metastases from paired clonal counts (Hu et al. 2020).

    Rebuilds the per-metastasis seeding times from the paired clonal counts
    (``paired_primary_met_data.txt``) as ``src/metTiming.R`` does: monoclonal, non-lymph-node
    metastases; ratio as :func:`hu2020_lm_lp_ratio`; ``t_s`` by :func:`hu2020_seeding_years`;
    metastases whose seeding would fall after their own diagnosis (``12 t_s <= -months to
    relapse``) dropped; synchronous = diagnosed within 3 months of the primary.

    Parameters
    ----------
    paired : pandas.DataFrame
        The paired counts (the data set ``hu2020_paired_primary_met`` of
        :mod:`metacascade.datasets`).

    Returns
    -------
    pandas.DataFrame
        Columns and row order as the published ``met_timing_3cancers_final.txt``: by cancer
        type, synchronous before metachronous, else in input order;
        ``seeding_years_before_diagnosis`` in years.

    Examples
    --------
    >>> import metacascade as mc
    >>> import metacascade.datasets as datasets
    >>> timing = mc.hu2020_met_timing(datasets.load("hu2020_paired_primary_met"))
    """
    need = ("cancer_type", "subtype", "met_name", "met_site", "clonality",
            "time_to_relapse_mons", "p_private_clonal_Lp", "m_private_clonal_Lm")
    missing = [c for c in need if c not in paired.columns]
    if missing:
        raise InferenceError(f"paired table: missing column(s) {', '.join(missing)}")
    mono = paired[(paired["clonality"] == "monoclonal") & (paired["met_site"] != "LN")]
    ratio = hu2020_lm_lp_ratio(mono["m_private_clonal_Lm"], mono["p_private_clonal_Lp"])
    ts = hu2020_seeding_years(ratio, list(mono["cancer_type"]))
    months = mono["time_to_relapse_mons"].to_numpy(dtype=float)
    keep = ts * 12.0 > -months
    out = pd.DataFrame({
        "cancer_type": mono["cancer_type"].to_numpy(), "subtype": mono["subtype"].to_numpy(),
        "met_sample": mono["met_name"].to_numpy(), "lm_lp_ratio": ratio,
        "met_status": np.where(months < 3, "synchronous", "metachronous"),
        "time_to_relapse_months": months, "time_to_relapse_years": months / 12.0,
        "seeding_years_before_diagnosis": ts,
    })
    out = out[keep]
    types = {c: i for i, c in enumerate(dict.fromkeys(out["cancer_type"]))}
    order = np.lexsort((np.arange(len(out)), out["met_status"] != "synchronous",
                        out["cancer_type"].map(types).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


# ------------------------------------------------------------------ 2. growth-law timing
def weighted_median(values: npt.ArrayLike, weights: npt.ArrayLike,
                    method: Literal["step", "interpolated"] = "step") -> float:
    """Weighted median: ``step`` = the smallest value whose cumulative weight reaches 1/2;
    ``interpolated`` = linear interpolation of the weighted CDF at the sorted values (spatstat's
    ``weighted.median``, used by Hu 2020)."""
    x, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    if x.ndim != 1 or x.shape != w.shape or x.size == 0 or np.any(w < 0) or w.sum() <= 0:
        raise InferenceError("weighted_median: need equal-length values and weights >= 0, "
                             "not all zero")
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    cdf = np.cumsum(w) / w.sum()
    if method == "step":
        return float(x[np.searchsorted(cdf, 0.5 - 1e-12)])
    if method == "interpolated":
        return float(np.interp(0.5, cdf, x))
    raise InferenceError(f"method = {method!r}: choose 'step' or 'interpolated'")


def hu2020_doubling_time_days(table: pd.DataFrame, cancer_type: str,
                              method: Literal["step", "interpolated"] = "step") -> float:
    """Patient-weighted median doubling time of one cancer type from Hu 2020's tables (Hu et al. 2020).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``cancer_type, n_patients, doubling_days`` (the data set
        ``hu2020_doubling_times`` of :mod:`metacascade.datasets`).
    cancer_type : str
        ``breast``, ``colorectal`` or ``lung`` (or an alias such as ``crc``).
    method : {"step", "interpolated"}
        ``step``: the smallest value with cumulative weight >= 1/2; ``interpolated``: the linear
        interpolation that Hu's script used.

    Returns
    -------
    float
        Doubling time (days).

    Examples
    --------
    >>> import metacascade as mc
    >>> import metacascade.datasets as datasets
    >>> table = datasets.load("hu2020_doubling_times")
    >>> round(mc.hu2020_doubling_time_days(table, "colorectal", "interpolated"), 1)
    233.4
    """
    ct = canonical_cancer_type(cancer_type)
    rows = table[table["cancer_type"].str.lower() == ct]
    if rows.empty:
        raise InferenceError(f"doubling-time table: no rows for cancer type {ct!r}")
    return weighted_median(rows["doubling_days"], rows["n_patients"], method)


def cells_from_diameter_cm(diameter_cm: npt.ArrayLike,
                           cells_per_cm3: float = HU2020_CELLS_PER_CM3) -> Array:
    """Cells in a sphere of the given diameter at Hu 2020's density (1e8 cells/cm^3; note that
    metacascade scenarios use 1e9 cells/cm^3)."""
    d = np.asarray(diameter_cm, dtype=float)
    return np.asarray(4.0 / 3.0 * np.pi * (d / 2.0) ** 3 * cells_per_cm3, dtype=float)


def gompertz_rate_from_doubling_time(doubling_time_days: float, diagnosis_cells: float,
                                     plateau_cells: float = HU2020_PLATEAU_CELLS) -> float:
    """Gompertz rate a (day^-1) of ``dv/dt = a v ln(K/v)`` whose volume doubles from
    ``diagnosis_cells`` in ``doubling_time_days``: ``a = ln[ln(K/N_D) / ln(K/2N_D)] / DT``
    (Hu 2020 ``primaryTumorExpansionAge.R``: ``beta``)."""
    if not (doubling_time_days > 0 and diagnosis_cells > 1 and 2 * diagnosis_cells < plateau_cells):
        raise InferenceError(f"Gompertz timing: doubling_time_days = {doubling_time_days!r} "
                             f"must be > 0 and 1 < diagnosis_cells = {diagnosis_cells!r} < "
                             f"plateau_cells / 2 = {plateau_cells / 2:g}")
    lk = math.log(plateau_cells)
    return math.log((lk - math.log(diagnosis_cells)) / (lk - math.log(2 * diagnosis_cells))) \
        / doubling_time_days


@dataclass(frozen=True)
class TimingLaw:
    """A primary growth law with its diagnosis and detection sizes: turns seeding sizes into
    years before diagnosis.

    ``detection_cells`` is the clinical detection threshold used to call seeding *early* (before
    the primary could have been detected); ``diagnosis_cells`` the size at diagnosis.

    Made by :func:`hu2020_timing_law` (Hu et al. 2020's Gompertz primaries) and
    :func:`scenario_timing_law` (a scenario's primary growth law), or directly from any growth
    law of :mod:`metacascade.biology.growth`.

    Parameters
    ----------
    law : GrowthLaw
        The primary's growth law (time in days, sizes in cells).
    diagnosis_cells : float
        Size of the primary at diagnosis (cells).
    detection_cells : float
        Clinical detection size (cells): seeding by a smaller primary is called early.
    initial_cells : float
        Size of the primary at its start (cells); the start of :meth:`expansion_age_years`.
    days_per_year : float
        Days in a year (days; 365.25, or 365 for Hu 2020's laws as in Hu's scripts).
    label : str
        A description of the law for reports (e.g. its doubling time and diagnosis size).
    scenario : Scenario, optional
        The scenario the law came from (None for Hu 2020's cancer types); kept for provenance,
        not compared.

    Examples
    --------
    >>> import math
    >>> import metacascade as mc
    >>> from metacascade.biology.growth import Exponential
    >>> law = mc.TimingLaw(Exponential(math.log(2) / 100.0), diagnosis_cells=1e9,
    ...                    detection_cells=1e8)  # doubling every 100 days
    >>> [round(float(d)) for d in law.days_before_diagnosis([1e6, 2e9])]
    [997, -100]
    >>> round(law.expansion_age_years(), 2)  # from 1 cell to 1e9 cells
    8.19
    """

    law: GrowthLaw
    diagnosis_cells: float
    detection_cells: float
    initial_cells: float = 1.0
    days_per_year: float = YEAR_DAYS
    label: str = ""
    #: The scenario the law came from (None for Hu 2020's cancer types); kept for provenance.
    scenario: Scenario | None = field(default=None, compare=False, repr=False)

    def days_before_diagnosis(self, seeding_cells: npt.ArrayLike) -> Array:
        """Days from the primary's size ``seeding_cells`` to ``diagnosis_cells`` (negative when
        the primary was larger than at diagnosis: seeding after diagnosis, had it kept growing;
        ``inf`` where the law never links the two sizes).

        Parameters
        ----------
        seeding_cells : array_like of float
            Size of the primary when the metastasis was seeded (cells, > 0).

        Returns
        -------
        numpy.ndarray
            Days before diagnosis (days), of the shape of ``seeding_cells``.
        """
        n = np.asarray(seeding_cells, dtype=float)
        if np.any(~(n > 0)):
            raise InferenceError("seeding_cells must be > 0")
        d = self.diagnosis_cells
        before = self.law.age_at_size(d, n)
        after = -self.law.age_at_size(n, d)
        return np.asarray(np.where(n <= d, before, after), dtype=float)

    def years_before_diagnosis(self, seeding_cells: npt.ArrayLike) -> Array:
        """Years from the primary's size ``seeding_cells`` to ``diagnosis_cells``:
        :meth:`days_before_diagnosis` over ``days_per_year`` (negative: seeding after diagnosis).

        Parameters
        ----------
        seeding_cells : array_like of float
            Size of the primary when the metastasis was seeded (cells, > 0).

        Returns
        -------
        numpy.ndarray
            Years before diagnosis (years), of the shape of ``seeding_cells``.
        """
        return self.days_before_diagnosis(seeding_cells) / self.days_per_year

    def expansion_age_years(self) -> float:
        """Years from ``initial_cells`` to diagnosis (Hu 2020's T).

        Returns
        -------
        float
            The primary's expansion age at diagnosis (years; ``inf`` if the law never reaches
            ``diagnosis_cells``).
        """
        return float(self.law.age_at_size(self.diagnosis_cells, self.initial_cells)) \
            / self.days_per_year


def hu2020_timing_law(cancer_type: str, doubling_time_days: float | None = None,
                      method: Literal["step", "interpolated"] = "interpolated",
                      detection_cells: float = HU2019_DETECTION_CELLS) -> TimingLaw:
    """Hu 2020's Gompertz primary, which turns a seeding size into years before diagnosis (Hu et al. 2020).

    Plateau 1e11 cells, diagnosis at the type's diameter (1e8 cells/cm^3), rate from the
    weighted median doubling time (default: the interpolated median of Hu's script, which gives
    T = 5.24 / 4.61 / 4.26 y; ``method="step"`` gives 5.46 / 4.87 / 4.32 y), 365 days a year as
    in Hu's script.

    Parameters
    ----------
    cancer_type : str
        ``breast``, ``colorectal`` or ``lung`` (or an alias such as ``crc``).
    doubling_time_days : float, optional
        Doubling time at diagnosis (days) instead of Hu 2020's median.
    method : {"step", "interpolated"}
        How the median doubling time is read (:func:`hu2020_doubling_time_days`).
    detection_cells : float
        Clinical detection size (cells) below which seeding is called early.

    Returns
    -------
    TimingLaw
        ``years_before_diagnosis(seeding_cells)``, ``diagnosis_cells``, ``detection_cells``
        (cells) and the growth ``law``.

    Examples
    --------
    >>> import metacascade as mc
    >>> law = mc.hu2020_timing_law("colorectal")
    >>> years = law.years_before_diagnosis(1e6)  # seeding by a primary of a million cells
    """
    ct = canonical_cancer_type(cancer_type)
    if method not in HU2020_DOUBLING_TIME_DAYS:
        raise InferenceError(f"method = {method!r}: choose 'step' or 'interpolated'")
    dt = HU2020_DOUBLING_TIME_DAYS[method][ct] if doubling_time_days is None \
        else float(doubling_time_days)
    nd = float(cells_from_diameter_cm(HU2020_DIAGNOSIS_DIAMETER_CM[ct]))
    rate = gompertz_rate_from_doubling_time(dt, nd)
    return TimingLaw(Gompertz(rate, HU2020_PLATEAU_CELLS), nd, float(detection_cells), 1.0,
                     HU2020_DAYS_PER_YEAR,
                     f"Hu 2020 Gompertz, {ct}: DT {dt:.4g} d, diagnosis {nd:.3g} cells")


def scenario_timing_law(scenario: Scenario | str | Path) -> TimingLaw:
    """The scenario's primary growth law (``primary.*``), diagnosed and detected at
    ``detection.primary_cells`` (a metacascade scenario has one size for both)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    p = sc.primary
    law = resolve.primary_growth(sc)
    cells = float(sc.detection.primary_cells)
    return TimingLaw(law, cells, cells, float(p.initial_cells), YEAR_DAYS,
                     f"scenario {sc.name!r}: {p.growth}, diagnosis {cells:.3g} cells", sc)


def timing_law(cancer_type_or_scenario: str | Scenario | Path) -> TimingLaw:
    """``--cancer-type``: a cancer type (Hu 2020 Gompertz) or else a scenario (built-in name or
    TOML file). Cancer-type names win over the built-in scenarios of the same name."""
    if isinstance(cancer_type_or_scenario, str):
        try:
            return hu2020_timing_law(canonical_cancer_type(cancer_type_or_scenario))
        except InferenceError:
            pass
    return scenario_timing_law(cancer_type_or_scenario)


# -------------------------------------------------------------- 3. the analytic estimator
def detectability_size(beta: float, ccf_detection: float = 0.1) -> float:
    """n* = 2 / (beta x_det): lineage mutations born before the primary had n* cells are seen in
    it (size-biased CCF 2/(beta n); docs/seeding.md). beta = (b - d)/b."""
    _check_beta(beta)
    if not 0 < ccf_detection < 1:
        raise InferenceError(f"ccf_detection = {ccf_detection!r}: must be in (0, 1)")
    return 2.0 / (beta * ccf_detection)


def founder_floor(mutation_rate: float, beta_met: float, clonal_ccf: float = 0.6) -> float:
    """Expected clonal mutations from the metastasis' own first divisions,
    (2 mu / beta_m)(1/theta - 1) (docs/seeding.md); mu per daughter cell per division."""
    _check_beta(beta_met)
    if not 0 < clonal_ccf < 1:
        raise InferenceError(f"clonal_ccf = {clonal_ccf!r}: must be in (0, 1)")
    return 2.0 * mutation_rate / beta_met * (1.0 / clonal_ccf - 1.0)


def expected_lm(seeding_cells: npt.ArrayLike, mutation_rate: float, beta: float,
                ccf_detection: float = 0.1, floor: float = 0.0) -> Array:
    """E[Lm] = (2 mu / beta) ln(N_s / n*) for N_s > n* (else 0), plus ``floor``
    (docs/seeding.md): the forward model the estimator inverts."""
    n = np.asarray(seeding_cells, dtype=float)
    nstar = detectability_size(beta, ccf_detection)
    return np.asarray(2 * mutation_rate / beta * np.log(np.maximum(n / nstar, 1.0)) + floor,
                      dtype=float)


@dataclass(frozen=True)
class AnalyticEstimate:
    """N_s estimates (cells) with the sd of ln N_s from Poisson Lm; ``identifiable`` is False
    where Lm does not exceed the founder floor (then N_s <= n* and ``seeding_cells`` = n*)."""

    seeding_cells: Array
    sd_log: Array
    n_star: float
    identifiable: npt.NDArray[np.bool_]

    @property
    def log10_seeding_cells(self) -> Array:
        return np.log10(self.seeding_cells)


def analytic_seeding_estimate(lm: npt.ArrayLike, tail_slope: npt.ArrayLike, beta: float,
                              ccf_detection: float = 0.1, floor: float = 0.0) -> AnalyticEstimate:
    """docs/seeding.md: ``ln N_s = ln n* + (Lm - floor) / K`` with K = 2 mu / beta the
    subclonal-tail slope in CCF units (:func:`subclonal_tail_slope`), and
    ``sd(ln N_s) = sqrt(Lm) / K`` (Lm Poisson; at least one count). Vectorised over metastases."""
    lm_a, k = np.broadcast_arrays(np.asarray(lm, dtype=float), np.asarray(tail_slope, dtype=float))
    if np.any(lm_a < 0) or not np.all(np.isfinite(lm_a)):
        raise InferenceError("Lm (metastasis-private clonal mutations) must be finite and >= 0")
    if np.any(~(k > 0)) or not np.all(np.isfinite(k)):
        raise InferenceError("tail_slope = 2 mu / beta must be finite and > 0 (a primary "
                             "without a subclonal tail carries no timing information)")
    nstar = detectability_size(beta, ccf_detection)
    excess = lm_a - floor
    cells = nstar * np.exp(np.maximum(excess, 0.0) / k)
    sd = np.sqrt(np.maximum(lm_a, 1.0)) / k
    return AnalyticEstimate(np.asarray(cells, dtype=float), np.asarray(sd, dtype=float), nstar,
                            np.asarray(excess > 0))


def subclonal_tail_slope(ccf: npt.ArrayLike, ccf_min: float = 0.1, ccf_max: float = 0.5,
                         n_points: int = 20) -> tuple[float, float]:
    """Slope K and R^2 of the cumulative count M(x) = #(CCF >= x) against 1/x on
    ``[ccf_min, ccf_max]`` (least squares with an intercept, which absorbs the clonal
    mutations). Neutral growth gives K = 2 mu / beta (Williams et al. 2016, Nat Genet 48:238,
    in CCF units; docs/seeding.md)."""
    x = np.asarray(ccf, dtype=float)
    if x.ndim != 1 or not np.all(np.isfinite(x)) or np.any(x < 0):
        raise InferenceError("ccf: need a 1-D array of finite cancer-cell fractions >= 0")
    if not 0 < ccf_min < ccf_max <= 1:
        raise InferenceError(f"ccf range [{ccf_min!r}, {ccf_max!r}]: need 0 < min < max <= 1")
    inv = np.linspace(1.0 / ccf_max, 1.0 / ccf_min, n_points)
    grid = 1.0 / inv
    xs = np.sort(x)
    m = xs.size - np.searchsorted(xs, grid, side="left")
    design = np.column_stack([np.ones_like(inv), inv])
    coef, *_ = np.linalg.lstsq(design, m.astype(float), rcond=None)
    resid = m - design @ coef
    tot = np.sum((m - m.mean()) ** 2)
    r2 = 1.0 - float(np.sum(resid ** 2) / tot) if tot > 0 else float("nan")
    return float(coef[1]), r2


def _check_beta(beta: float) -> None:
    if not 0 < beta <= 1:
        raise InferenceError(f"beta = {beta!r}: (birth - death)/birth must be in (0, 1]")


# ---------------------------------------------------------------------- early seeding
def _weights(x: Array, weights: npt.ArrayLike | None) -> Array:
    if weights is None:
        return np.full(x.shape, 1.0 / x.size)
    w = np.asarray(weights, dtype=float)
    if w.shape != x.shape or np.any(w < 0) or w.sum() <= 0:
        raise InferenceError("weights: need one value >= 0 per sample, not all zero")
    return w / w.sum()


def p_early(seeding_cells: npt.ArrayLike, detection_cells: float,
            weights: npt.ArrayLike | None = None) -> float:
    """Posterior probability that seeding happened before the primary reached
    ``detection_cells`` (i.e. N_s < detection_cells)."""
    x = np.asarray(seeding_cells, dtype=float).ravel()
    if x.size == 0:
        raise InferenceError("seeding_cells: no posterior samples")
    # a sum of normalised weights can exceed 1 by rounding (1.0000000000000002): a probability
    # is written in [0, 1]
    return min(1.0, float(np.sum(_weights(x, weights)[x < detection_cells])))


def is_early(seeding_cells: npt.ArrayLike, detection_cells: float = HU2019_DETECTION_CELLS,
             weights: npt.ArrayLike | None = None) -> bool:
    """Early seeding by the rule of Hu et al. 2019: the posterior third quartile of the
    seeding size is below the detection size (default 1e8 cells = 1 cm^3 at Hu's density)."""
    x = np.asarray(seeding_cells, dtype=float).ravel()
    if x.size == 0:
        raise InferenceError("seeding_cells: no posterior samples")
    q3 = np.quantile(x, 0.75, weights=_weights(x, weights), method="inverted_cdf")
    return bool(q3 < detection_cells)


# ------------------------------------------------------------- ABC over a simulator (seam)
class SeedingSimulator(Protocol):
    """What the cell-scale simulator provides per growth/selection model: ``theta`` columns
    ``(seeding_cells, mutation_rate)`` (cells; mutations per daughter cell per division in the
    sequenced territory), one row of summary statistics per row (e.g. SCIMET's S1..S9)."""

    def __call__(self, theta: Array, rng: np.random.Generator) -> Array: ...


def scimet_priors(continuous: bool = False) -> tuple[Prior, Prior]:
    """SCIMET's priors (Hu et al. 2019, SCIMET): grids of 7 seeding sizes 1e3..1e9 cells and 10
    mutation rates 0.003..3; ``continuous=True``: log-uniform 1e2..1e9 cells (its LpLm
    simulation) and log-uniform 0.003..3."""
    if continuous:
        return (LogUniform("seeding_cells", 1e2, 1e9), LogUniform("mutation_rate", 0.003, 3.0))
    return (DiscreteGrid("seeding_cells", SCIMET_SEEDING_CELLS),
            DiscreteGrid("mutation_rate", SCIMET_MUTATION_RATES))


def seeding_models(simulators: Mapping[str, SeedingSimulator],
                   priors: Sequence[Prior] | None = None) -> list[Model]:
    """One ABC model per named simulator (e.g. NN, NS, SN, SS), all with the same priors, whose
    first parameter must be ``seeding_cells``."""
    if not simulators:
        raise InferenceError("simulators: need at least one named simulator")
    pri = tuple(priors) if priors is not None else scimet_priors()
    if not pri or pri[0].name != "seeding_cells":
        raise InferenceError("priors: the first parameter must be 'seeding_cells' (cells)")
    return [Model(sim, pri, name) for name, sim in simulators.items()]


@dataclass(frozen=True)
class SeedingInference:
    """The ABC result of one metastasis and its ``seeding.csv`` row."""

    result: ABCResult
    summary: dict[str, Any]


def summarise_seeding(result: ABCResult, timing: TimingLaw, met: str = "",
                      model: str | None = None) -> dict[str, Any]:
    """The ``seeding.csv`` row of one metastasis (:data:`SEEDING_COLUMNS`): the most probable
    model (as SCIMET: choose the model, then summarise its parameter posterior), the median and
    quartiles of log10 seeding cells, the median and 95 % interval of years before diagnosis,
    and p_early = P(N_s < timing.detection_cells)."""
    k = int(np.argmax(result.model_probabilities)) if model is None else \
        result.model_names.index(model)
    names = result.parameter_names[k]
    if "seeding_cells" not in names:
        raise InferenceError(f"model {result.model_names[k]!r} has no parameter 'seeding_cells'")
    theta, w = result.posterior(k)
    cells = theta[:, names.index("seeding_cells")]
    logc = np.log10(cells)
    years = timing.years_before_diagnosis(cells)
    q = np.quantile(logc, [0.25, 0.5, 0.75], weights=w, method="inverted_cdf")
    y = np.quantile(years, [0.025, 0.5, 0.975], weights=w, method="inverted_cdf")
    return {
        "met": met, "log10_seeding_cells_median": float(q[1]),
        "log10_seeding_cells_q1": float(q[0]), "log10_seeding_cells_q3": float(q[2]),
        "years_before_diagnosis_median": float(y[1]),
        "years_before_diagnosis_lower": float(y[0]), "years_before_diagnosis_upper": float(y[2]),
        "p_early": p_early(cells, timing.detection_cells, w), "model": result.model_names[k],
    }


def infer_seeding(
    observed: npt.ArrayLike,
    simulators: Mapping[str, SeedingSimulator],
    timing: TimingLaw,
    *,
    seed: int,
    met: str = "",
    priors: Sequence[Prior] | None = None,
    settings: ABCSettings | None = None,
    executor: Any = None,
    progress: Callable[[GenerationRecord], None] | None = None,
) -> SeedingInference:
    """ABC-SMC with model choice over ``simulators`` for one metastasis' observed statistics,
    summarised with ``timing``. The cell-scale simulator (issue 15) enters as ``simulators``."""
    models = seeding_models(simulators, priors)
    res = abc_smc(models, observed, seed=seed, settings=settings, executor=executor,
                  progress=progress)
    return SeedingInference(res, summarise_seeding(res, timing, met))
