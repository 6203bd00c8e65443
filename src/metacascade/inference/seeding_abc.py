"""When was each metastasis seeded? ABC-SMC over the cell-scale pair simulator (issue 16).

For every metastasis, :func:`infer_metastasis` runs :func:`metacascade.inference.abc.abc_smc`
with model choice over SCIMET's four growth/selection models (Hu et al. 2019, Nat Genet
51:1113: NN, NS, SN, SS = neutral or selection in the primary / the metastasis), each a
:class:`metacascade.analysis.sequencing.PairSimulator` (a primary grown from one cell to
``final_cells``, one cell seeding a metastasis when the primary holds ``seeding_cells``, both
sequenced as SCIMET's pooled bulks), on SCIMET's nine statistics S1..S9 (Hu et al. 2019, SCIMET), the
same function computing them for simulated pairs and for read-count tables
(:mod:`metacascade.analysis.sequencing`). Parameters and priors:

- ``seeding_cells`` (cells): log-uniform on SCIMET's range 1e3..1e9 (its grid,
  ``abc_parameters.txt``, made continuous);
- ``mutation_rate`` (mutations per daughter cell per division in the sequenced territory):
  log-uniform on SCIMET's 0.003..3, narrowed to the analytic first guess x/÷ ``window`` (10: two
  decades around it; near an end of SCIMET's range the window keeps its width and slides inside
  it; see :func:`first_guess`), or fixed when it is known;
- the model: uniform over the four.

**The analytic first guess** (docs/seeding.md): the subclonal counts between the
VAF cut-offs 0.05 and 0.3 (CCF 0.1 and 0.6 for a pure diploid sample) in both tumours,
S1 - S4 and S5 - S8, estimate the tail slope K = 2 mu / beta
(M(x) = K (1/x - 1), so each holds K (1/0.1 - 1/0.6)); S8, the metastasis-private mutations at
VAF >= 0.3, is Lm; then N_s = n* exp((Lm - floor) / K) (:func:`~metacascade.inference.seeding.
analytic_seeding_estimate`). The guess bounds the mutation-rate prior and is reported beside
the posterior (``diagnostics``) as a cross-check.

**The distance** (``summary``): by default the semi-automatic summary of Fearnhead & Prangle
2012 (:mod:`metacascade.inference.semiauto`): a pilot of ``pilot_simulations`` (2,000) prior
draws of this metastasis' priors, the least-squares prediction of log10 seeding cells, log10
mutation rate and the two selection indicators from :class:`SeedingFeatures` of S1..S9,
standardised by their pilot sd; the ABC runs on these (at most four) numbers with unit scales,
the same fitted function applied to the observed and the simulated statistics. A Euclidean
distance over the nine MAD-scaled counts (``summary="raw"``, the earlier default) weighs S8,
which carries nearly all the seeding-size information, like the eight others and diluted it.

**Settings and stopping** (:class:`SeedingSettings`): populations of 400 particles, tolerances
the 0.5-quantile of the previous distances, and the stopping rule of
:mod:`metacascade.inference.abc`: at most 10 generations; the tolerance below the floor at which
it adds at most ``tolerance_inflation`` (10 %) to the variance of the seeding-size summary's own
noise (:func:`~metacascade.inference.semiauto.tolerance_floor`); a predicted acceptance rate
below ``min_acceptance_rate`` = 0.1 (a generation that would need more than 10 simulations per
particle is abandoned and the previous population kept); or ``max_simulations`` (20,000) SMC
simulations after the pilot, whichever comes first. On real data the tolerance levels off at the
model's misfit before it reaches the floor, and the generations past an acceptance of 0.1 (the
earlier 0.05 doubled the simulations) left the seeding-size posterior unchanged within its Monte
Carlo error on three published metastases (benchmarks/README.md).

**Output** (:class:`SeedingRun`): the ``seeding.csv`` table (one row per metastasis,
:data:`~metacascade.inference.seeding.SEEDING_COLUMNS`; the model chosen first, as SCIMET), the
weighted posterior particles, diagnostics (model probabilities, first guess, simulations,
tolerance, stop reason) and the posterior predictive check (Gelman, Meng & Stern 1996) of each
statistic. Years before diagnosis follow from the seeding size through a
:class:`~metacascade.inference.seeding.TimingLaw` (Hu 2020's Gompertz per cancer type, or a
scenario's growth law).

**Reproducibility.** Metastasis i runs with the seed ``SeedSequence(seed, spawn_key=(i,))``
(first 32 bits) and its predictive check with ``spawn_key=(i, 1)``; simulations go through the
executor given (serial, processes, Dask), and :func:`abc_smc` makes the result independent of
it. Metastases run one after another, each parallel over its simulation batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.analysis.sequencing import CUTOFFS, PairSimulator, summary_statistics
from metacascade.errors import DataError
from metacascade.inference.abc import (
    ABCResult,
    ABCSettings,
    GenerationRecord,
    InferenceError,
    LogUniform,
    Model,
    Prior,
    abc_smc,
    posterior_predictive,
    simulate_prior,
)
from metacascade.inference.reads import (
    PRIMARY_SITE,
    SeedingData,
    validate_read_counts,
    validate_summary_statistics,
)
from metacascade.inference.seeding import (
    SCIMET_MODELS,
    SEEDING_COLUMNS,
    SUMMARY_STATISTICS,
    TimingLaw,
    analytic_seeding_estimate,
    founder_floor,
    is_early,
    summarise_seeding,
    timing_law,
)
from metacascade.inference.semiauto import (
    LinearSummary,
    Summarised,
    fit_linear_summary,
    tolerance_floor,
)
from metacascade.result.seeding import SeedingResult, early_patients
from metacascade.scenario import Scenario

Array = npt.NDArray[np.float64]

#: SCIMET's ABC range of seeding sizes (cells) and mutation rates (per daughter cell).
SCIMET_SEEDING_RANGE = (1e3, 1e9)
SCIMET_MUTATION_RANGE = (0.003, 3.0)
#: The distances the ABC can use: a semi-automatic summary (Fearnhead & Prangle 2012; default) or
#: SCIMET's nine raw statistics with MAD scales.
SUMMARY_KINDS = ("semi-automatic", "raw")


# ------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class SeedingSettings:
    """Settings of the seeding inference: SCIMET's models and priors, and the ABC-SMC run (Hu et al. 2019).

    Parameters
    ----------
    models : tuple of str
        SCIMET's models to compare (``NN``, ``NS``, ``SN``, ``SS``: neutral or selected primary,
        metastasis).
    seeding_cells_range : tuple of float
        Log-uniform prior of the seeding size (cells).
    mutation_rate_range : tuple of float
        Log-uniform prior of the mutation rate (mutations per daughter cell).
    mutation_rate : float, optional
        A known mutation rate (mutations per daughter cell) instead of inferring it.
    mutation_rate_window : float, optional
        The prior is narrowed to this factor (dimensionless) around the analytic first guess
        (None: the whole range).
    population_size : int
        ABC particles per generation (count).
    alpha : float
        Share (fraction) of particles kept when the tolerance is lowered.
    max_generations : int
        Most ABC-SMC generations (count).
    min_acceptance_rate : float
        Stop when the acceptance rate (fraction) falls below this.
    max_simulations : int, optional
        Most simulations per metastasis (count; None: no limit).
    batch_size : int
        Simulations per batch (count) sent to the executor.
    adaptive_distance : bool
        Rescale the distance by the statistics' spread each generation.
    beta : float
        (birth - death) / birth of both tumours (fraction).
    final_cells : float
        Size of both tumours when sequenced (cells).
    depth : float
        Mean read depth (reads) of the simulated sequencing.
    purity : float
        Tumour fraction (fraction) of the simulated samples.
    predictive_draws : int
        Posterior predictive simulations (count; 0: none).
    summary : str
        ``"semi-automatic"`` (default: a least-squares prediction of log10 N_s, log10 mu and the
        selection indicators from S1..S9, fitted on a pilot; Fearnhead & Prangle 2012) or
        ``"raw"`` (the nine statistics with MAD scales).
    pilot_simulations : int
        Prior draws (count, at least 200) the semi-automatic summary is fitted on; counted in
        the simulations of each metastasis.
    tolerance_inflation : float
        Fraction in (0, 1): the run stops once the ABC tolerance adds at most this fraction to
        the noise variance of the seeding-size summary.

    Examples
    --------
    >>> import metacascade as mc
    >>> settings = mc.SeedingSettings(population_size=100, max_simulations=1500)
    """

    models: tuple[str, ...] = SCIMET_MODELS
    seeding_cells_range: tuple[float, float] = SCIMET_SEEDING_RANGE
    mutation_rate_range: tuple[float, float] = SCIMET_MUTATION_RANGE
    mutation_rate: float | None = None
    mutation_rate_window: float | None = 10.0
    population_size: int = 400
    alpha: float = 0.5
    max_generations: int = 10
    min_acceptance_rate: float = 0.1
    max_simulations: int | None = 20_000
    batch_size: int = 100
    adaptive_distance: bool = True
    beta: float = 0.3
    final_cells: float = 1e9
    depth: float = 100.0
    purity: float = 1.0
    predictive_draws: int = 200
    summary: str = "semi-automatic"
    pilot_simulations: int = 2000
    tolerance_inflation: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(self.models))
        bad = [m for m in self.models if m not in SCIMET_MODELS]
        if not self.models or bad:
            raise InferenceError(f"models = {list(self.models)!r}: choose from "
                                 f"{', '.join(SCIMET_MODELS)}")
        lo, hi = self.seeding_cells_range
        if not (1 <= lo < hi <= self.final_cells):
            raise InferenceError(f"seeding_cells_range = {self.seeding_cells_range!r}: need "
                                 f"1 <= low < high <= final_cells = {self.final_cells:g}")
        mlo, mhi = self.mutation_rate_range
        if not (0 < mlo < mhi and math.isfinite(mhi)):
            raise InferenceError(f"mutation_rate_range = {self.mutation_rate_range!r}: need "
                                 "0 < low < high")
        if self.mutation_rate is not None and not (math.isfinite(self.mutation_rate)
                                                   and self.mutation_rate > 0):
            raise InferenceError(f"mutation_rate = {self.mutation_rate!r}: a known rate must "
                                 "be > 0 (or None to infer it)")
        if self.mutation_rate_window is not None and not self.mutation_rate_window > 1:
            raise InferenceError(f"mutation_rate_window = {self.mutation_rate_window!r}: must "
                                 "be > 1 (or None for the whole range)")
        if not 0 < self.beta <= 1:
            raise InferenceError(f"beta = {self.beta!r}: must be in (0, 1]")
        if not 0 < self.purity <= 1:
            raise InferenceError(f"purity = {self.purity!r}: must be in (0, 1]")
        if not (isinstance(self.predictive_draws, int) and self.predictive_draws >= 0):
            raise InferenceError(f"predictive_draws = {self.predictive_draws!r}: an integer "
                                 ">= 0")
        if self.summary not in SUMMARY_KINDS:
            raise InferenceError(f"summary = {self.summary!r}: choose from "
                                 f"{', '.join(SUMMARY_KINDS)}")
        if not (isinstance(self.pilot_simulations, int) and self.pilot_simulations >= 200):
            raise InferenceError(f"pilot_simulations = {self.pilot_simulations!r}: an integer "
                                 ">= 200 (the regression has 30 features)")
        if not 0 < self.tolerance_inflation < 1:
            raise InferenceError(f"tolerance_inflation = {self.tolerance_inflation!r}: must be "
                                 "in (0, 1)")
        self.abc_settings()  # the ABC settings check themselves

    def abc_settings(self, summary: LinearSummary | None = None) -> ABCSettings:
        """The ABC-SMC settings of one metastasis' inference: on the raw statistics with MAD
        scales (``summary`` None), or on a semi-automatic summary with unit scales and its
        tolerance floor.

        Parameters
        ----------
        summary : LinearSummary or None
            The fitted semi-automatic summary (None: the raw statistics S1..S9).

        Returns
        -------
        ABCSettings
            Population size, quantile, generations and stop rules of
            :mod:`metacascade.inference.abc`.
        """
        if summary is None:
            return ABCSettings(population_size=self.population_size, alpha=self.alpha,
                               max_generations=self.max_generations,
                               min_acceptance_rate=self.min_acceptance_rate,
                               max_simulations=self.max_simulations, batch_size=self.batch_size,
                               adaptive_distance=self.adaptive_distance, predict_acceptance=True)
        return ABCSettings(population_size=self.population_size, alpha=self.alpha,
                           max_generations=self.max_generations,
                           min_acceptance_rate=self.min_acceptance_rate,
                           max_simulations=self.max_simulations, batch_size=self.batch_size,
                           fixed_scales=(1.0,) * len(summary.names),
                           min_epsilon=tolerance_floor(summary, self.tolerance_inflation, 0),
                           predict_acceptance=True)

    def simulator(self, model: str) -> PairSimulator:
        """The simulator of one of SCIMET's models, sequenced as these settings say.

        Parameters
        ----------
        model : str
            ``NN``, ``NS``, ``SN`` or ``SS``.

        Returns
        -------
        PairSimulator
            A picklable primary-metastasis pair simulator giving the summary statistics.
        """
        return PairSimulator(model, SUMMARY_STATISTICS, depth=self.depth, purity=self.purity,
                             beta=self.beta, final_cells=self.final_cells)


@dataclass(frozen=True)
class KnownRate:
    """A simulator of ``(seeding_cells, mutation_rate)`` with the rate fixed: takes
    ``theta = (seeding_cells,)`` (picklable, for the processes and Dask executors)."""

    simulator: Any
    mutation_rate: float

    def __call__(self, theta: Array, rng: np.random.Generator) -> Array:
        th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        full = np.column_stack([th[:, 0], np.full(th.shape[0], self.mutation_rate)])
        return np.asarray(self.simulator(full, rng), dtype=np.float64)


# ---------------------------------------------------------------------------- first guess
@dataclass(frozen=True)
class FirstGuess:
    """The analytic estimate of one metastasis (module docstring): tail slope K (CCF units),
    mutation rate mu = K beta / 2, log10 seeding cells with its Poisson sd (decades);
    ``identifiable`` is False when Lm does not exceed the founder floor or no subclonal
    mutation was seen (then the guess is a bound, not an estimate)."""

    tail_slope: float
    mutation_rate: float
    log10_seeding_cells: float
    sd_log10: float
    identifiable: bool


def first_guess(statistics: npt.ArrayLike, beta: float = 0.3, purity: float = 1.0) -> FirstGuess:
    """The analytic first guess from S1..S9 (module docstring; docs/seeding.md)."""
    s = _statistics_vector(statistics)
    x_lo = min(2 * CUTOFFS[0] / purity, 1.0)
    x_hi = min(2 * CUTOFFS[3] / purity, 1.0)
    span = 1.0 / x_lo - 1.0 / x_hi
    sub = s[0] - s[3] + s[4] - s[7]
    seen = sub > 0
    k = max(sub, 0.5) / (2.0 * span)  # half a count when none was seen
    mu = k * beta / 2.0
    est = analytic_seeding_estimate(s[7], k, beta, floor=founder_floor(mu, beta))
    return FirstGuess(float(k), float(mu), float(est.log10_seeding_cells),
                      float(est.sd_log / math.log(10)), bool(seen and est.identifiable))


def analytic_posterior(statistics: npt.ArrayLike, timing: TimingLaw, *, beta: float = 0.3,
                       purity: float = 1.0,
                       seeding_cells_range: tuple[float, float] = SCIMET_SEEDING_RANGE
                       ) -> dict[str, Any]:
    """The seeding size of one metastasis from the analytic estimator alone (Hu et al. 2019).

    No simulation: log10 N_s ~ Normal(first guess, its Poisson sd) (docs/seeding.md, the analytic
    estimator) times the log-uniform prior on ``seeding_cells_range`` (SCIMET's 1e3..1e9), i.e. a
    normal truncated to the prior's range; quantiles with scipy's ``truncnorm``. The fast
    stand-in of the ABC posterior (quick claims; the analytic cross-check of ``diagnostics.csv``).

    Parameters
    ----------
    statistics : array_like of float
        SCIMET's S1..S9 of the metastasis (each a count of mutations).
    timing : TimingLaw
        Seeding size to years before diagnosis (:func:`metacascade.hu2020_timing_law`).
    beta : float
        (birth - death) / birth of the tumours (fraction).
    purity : float
        Tumour fraction (fraction) of the samples.
    seeding_cells_range : tuple of float
        The prior's range (cells).

    Returns
    -------
    dict
        The ``seeding.csv`` row: log10 seeding cells (median, q1, q3), years before diagnosis
        (median and 95 % bounds), ``p_early`` (probability), ``model`` (``"analytic"``) and
        ``early`` (the Q3 rule: Q3 below ``timing.detection_cells``).

    Examples
    --------
    >>> import metacascade as mc
    >>> row = mc.analytic_seeding_posterior([40, 20, 8, 3, 30, 15, 6, 2, 5],
    ...                                     mc.hu2020_timing_law("colorectal"))
    """
    from scipy.stats import truncnorm

    g = first_guess(statistics, beta, purity)
    lo, hi = (math.log10(x) for x in seeding_cells_range)
    sd = max(g.sd_log10, 1e-3)
    a, b = (lo - g.log10_seeding_cells) / sd, (hi - g.log10_seeding_cells) / sd
    if not a < b or a > 38 or b < -38:  # the estimate is far outside the prior: the nearer end
        a, b = (-38.0, 1e-9) if g.log10_seeding_cells > hi else (-1e-9, 38.0)
    dist = truncnorm(a, b, loc=g.log10_seeding_cells, scale=sd)
    q1, med, q3, q975, q025 = dist.ppf([0.25, 0.5, 0.75, 0.975, 0.025])
    years = timing.years_before_diagnosis(10.0 ** np.array([med, q975, q025]))
    early_p = float(dist.cdf(math.log10(timing.detection_cells)))
    return {"log10_seeding_cells_median": float(med), "log10_seeding_cells_q1": float(q1),
            "log10_seeding_cells_q3": float(q3), "years_before_diagnosis_median": float(years[0]),
            "years_before_diagnosis_lower": float(years[1]),
            "years_before_diagnosis_upper": float(years[2]), "p_early": early_p,
            "model": "analytic", "early": bool(10.0 ** q3 < timing.detection_cells)}


def seeding_priors(settings: SeedingSettings, guess: FirstGuess | None = None) -> tuple[Prior, ...]:
    """The priors of one metastasis: seeding cells, then (unless the rate is known) the mutation
    rate, narrowed to ``guess.mutation_rate`` x/÷ ``settings.mutation_rate_window``."""
    lo, hi = settings.seeding_cells_range
    pri: list[Prior] = [LogUniform("seeding_cells", lo, hi)]
    if settings.mutation_rate is not None:
        return tuple(pri)
    mlo, mhi = settings.mutation_rate_range
    w = settings.mutation_rate_window
    if guess is not None and w is not None:
        centre = min(max(guess.mutation_rate, mlo * w), mhi / w) if mhi / mlo > w * w \
            else math.sqrt(mlo * mhi)
        mlo, mhi = max(mlo, centre / w), min(mhi, centre * w)
    pri.append(LogUniform("mutation_rate", mlo, mhi))
    return tuple(pri)


def seeding_models(settings: SeedingSettings,
                   guess: FirstGuess | None = None) -> list[Model]:
    """One ABC model per growth/selection model of ``settings`` (same priors)."""
    pri = seeding_priors(settings, guess)
    out = []
    for m in settings.models:
        sim: Any = settings.simulator(m)
        if settings.mutation_rate is not None:
            sim = KnownRate(sim, float(settings.mutation_rate))
        out.append(Model(sim, pri, m))
    return out


# ------------------------------------------------------------------ semi-automatic summary
@dataclass(frozen=True)
class SeedingFeatures:
    """Regression features of S1..S9 for the semi-automatic summary (30 columns): 1, S,
    log(1 + S), log(1 + S)^2, and the analytic estimator's two ingredients (:func:`first_guess`):
    Lm / K (S8 over the tail slope K from the subclonal counts) and log K, since
    ln N_s ~ Lm / K + ln n* (docs/seeding.md). ``purity`` shifts the VAF cut-offs as there."""

    purity: float = 1.0

    def __call__(self, stats: Array) -> Array:
        s = np.maximum(np.atleast_2d(np.asarray(stats, dtype=np.float64)), 0.0)
        x_lo = min(2 * CUTOFFS[0] / self.purity, 1.0)
        x_hi = min(2 * CUTOFFS[3] / self.purity, 1.0)
        span = 1.0 / x_lo - 1.0 / x_hi
        k = np.maximum(s[:, 0] - s[:, 3] + s[:, 4] - s[:, 7], 0.5) / (2.0 * span)
        lg = np.log1p(s)
        return np.column_stack([np.ones(s.shape[0]), s, lg, lg ** 2, s[:, 7] / k, np.log(k)])


def summary_targets(model_index: npt.ArrayLike, theta: npt.ArrayLike,
                    settings: SeedingSettings) -> tuple[Array, tuple[str, ...]]:
    """What the semi-automatic summary predicts, per pilot row: log10 seeding cells, log10
    mutation rate (unless known), and, when the models differ in it, selection in the primary and
    in the metastasis (0/1: their regressions estimate the posterior probabilities)."""
    th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    idx = np.asarray(model_index, dtype=np.int64)
    cols, names = [np.log10(th[:, 0])], ["log10_seeding_cells"]
    if settings.mutation_rate is None:
        cols.append(np.log10(th[:, 1]))
        names.append("log10_mutation_rate")
    for site, pos in (("primary", 0), ("metastasis", 1)):
        flag = np.array([m[pos] == "S" for m in settings.models], dtype=np.float64)
        if flag.min() != flag.max():
            cols.append(flag[idx])
            names.append(f"selection_{site}")
    return np.column_stack(cols), tuple(names)


def pilot_summary(models: Sequence[Model], settings: SeedingSettings, *, seed: int,
                  executor: Any = None) -> LinearSummary:
    """Fit the semi-automatic summary of one metastasis (:mod:`metacascade.inference.semiauto`)
    on ``settings.pilot_simulations`` draws from its priors (models uniform), simulated through
    ``executor`` (the same table on any executor: :func:`simulate_prior`)."""
    pilot = simulate_prior(models, settings.pilot_simulations, seed=seed, executor=executor,
                           batch_size=settings.batch_size)
    targets, names = summary_targets(pilot.model_index, pilot.theta, settings)
    return fit_linear_summary(pilot.stats, targets, SeedingFeatures(settings.purity), names)


# ------------------------------------------------------------------------- observed data
def _statistics_vector(statistics: npt.ArrayLike) -> Array:
    s = np.asarray(statistics, dtype=np.float64).ravel()
    if s.size != len(SUMMARY_STATISTICS) or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise DataError(f"summary statistics {s.tolist()!r}: need the nine counts S1..S9 "
                        "(whole numbers >= 0)")
    return s


def observed_statistics(data: SeedingData | pd.DataFrame) -> pd.DataFrame:
    """``Met`` and S1..S9 per metastasis: the SCIMET table as given, or from a read-count table
    through :func:`metacascade.analysis.sequencing.summary_statistics` (the function used for
    simulated pairs), primary against each metastatic site. A DataFrame is taken as a SCIMET
    table if it has a ``Met`` column, else as read counts (both validated)."""
    if isinstance(data, pd.DataFrame):
        if "Met" in data.columns:
            data = SeedingData("summary_statistics", validate_summary_statistics(data),
                               "summary statistics")
        else:
            data = SeedingData("read_counts", validate_read_counts(data), "read counts")
    if data.kind == "summary_statistics":
        return data.table[["Met", *SUMMARY_STATISTICS]].reset_index(drop=True)
    reads = data.table
    primary = next(s for s in pd.unique(reads["site"])
                   if str(s).lower() == data.primary_site.lower())
    rows = []
    for met in data.metastases:  # one call per metastatic site (a few)
        both = reads[reads["site"].isin([primary, met])]
        st = summary_statistics(both, primary, met)
        rows.append({"Met": met, **{k: int(st[k]) for k in SUMMARY_STATISTICS}})
    return pd.DataFrame(rows, columns=["Met", *SUMMARY_STATISTICS])


def data_purity(data: SeedingData) -> float:
    """The purity the simulated pairs are sequenced at: the median ``tumour_content`` of the
    samples of a read-count table (VAF = CCF x purity / 2 shifts the VAF cut-offs of S1..S9);
    1 for a SCIMET table (its statistics were computed as if pure)."""
    if data.kind != "read_counts":
        return 1.0
    per_sample = data.table.groupby("sample_id")["tumour_content"].first()
    return float(np.median(per_sample.to_numpy(np.float64)))


# ---------------------------------------------------------------------------- inference
@dataclass(frozen=True)
class SeedingProgress:
    """Progress of :func:`infer_seeding_table`: metastasis ``index`` (0-based) of ``total``;
    ``generation`` is the SMC generation just finished, or None when the metastasis is done."""

    met: str
    index: int
    total: int
    generation: GenerationRecord | None


@dataclass(frozen=True)
class MetastasisInference:
    """The inference of one metastasis: the ABC result, its ``seeding.csv`` row, the first
    guess, the priors used and the posterior predictive table (one row per statistic)."""

    met: str
    observed: Array
    result: ABCResult
    summary: dict[str, Any]
    guess: FirstGuess
    priors: tuple[Prior, ...]
    predictive: pd.DataFrame
    early: bool
    summary_fit: LinearSummary | None = None

    def posterior_frame(self, timing: TimingLaw) -> pd.DataFrame:
        """Weighted particles: model, weight (summing to one over all models), seeding cells,
        log10 seeding cells, mutation rate and years before diagnosis."""
        df = self.result.to_frame()
        if "mutation_rate" not in df.columns:
            df["mutation_rate"] = np.nan
        cells = df["seeding_cells"].to_numpy(np.float64)
        return pd.DataFrame({
            "met": self.met, "model": df["model"], "weight": df["weight"],
            "seeding_cells": cells, "log10_seeding_cells": np.log10(cells),
            "mutation_rate": df["mutation_rate"],
            "years_before_diagnosis": timing.years_before_diagnosis(cells),
        })

    def diagnostics(self) -> dict[str, Any]:
        r = self.result
        theta, w = r.posterior(self.summary["model"])
        names = r.parameter_names[r.model_names.index(self.summary["model"])]
        mu = theta[:, names.index("mutation_rate")] if "mutation_rate" in names else None
        pred = self.predictive
        worst = float(np.min(np.minimum(pred["quantile_of_observed"],
                                        1 - pred["quantile_of_observed"]))) if len(pred) \
            else float("nan")
        return {
            "met": self.met,
            **{f"p_{m}": float(p) for m, p in zip(r.model_names, r.model_probabilities,
                                                  strict=True)},
            "mutation_rate_median": float(np.quantile(mu, 0.5, weights=w,
                                                      method="inverted_cdf"))
            if mu is not None else float("nan"),
            "analytic_log10_seeding_cells": self.guess.log10_seeding_cells,
            "analytic_sd_log10": self.guess.sd_log10,
            "analytic_mutation_rate": self.guess.mutation_rate,
            "analytic_identifiable": self.guess.identifiable,
            "early_q3_rule": self.early,
            "summary": "raw" if self.summary_fit is None else "semi-automatic",
            "summary_r2_log10_seeding_cells": float("nan") if self.summary_fit is None
            else self.summary_fit.r2[0],
            "pilot_simulations": 0 if self.summary_fit is None else self.summary_fit.pilot_size,
            "generations": len(r.history),
            "simulations": r.n_simulations + (0 if self.summary_fit is None
                                              else self.summary_fit.pilot_size),
            "epsilon": r.epsilon, "ess": r.ess, "predictive_min_tail": worst,
            "stop_reason": r.stop_reason,
        }


def _met_seed(seed: int, index: int, *extra: int) -> int:
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(index), *extra))
    return int(ss.generate_state(1)[0])


def infer_metastasis(statistics: npt.ArrayLike, timing: TimingLaw | str | Scenario | Path,
                     *, seed: int, met: str = "", settings: SeedingSettings | None = None,
                     executor: Any = None,
                     progress: Callable[[GenerationRecord], None] | None = None,
                     predictive_seed: int | None = None) -> MetastasisInference:
    """Infer the seeding size (and mutation rate and model) of one metastasis from its nine
    statistics S1..S9. ``timing``: a :class:`TimingLaw` or what ``--cancer-type`` takes."""
    s = settings if settings is not None else SeedingSettings()
    law = timing if isinstance(timing, TimingLaw) else timing_law(timing)
    obs = _statistics_vector(statistics)
    guess = first_guess(obs, s.beta, s.purity)
    models = seeding_models(s, guess)
    fit: LinearSummary | None = None
    abc_models, abc_obs = models, obs
    if s.summary == "semi-automatic":  # the same fitted function for observed and simulated
        fit = pilot_summary(models, s, seed=_met_seed(seed, 2**20), executor=executor)
        abc_models = [Model(Summarised(m.simulate, fit), m.priors, m.name) for m in models]
        abc_obs = fit(obs)[0]
    res = abc_smc(abc_models, abc_obs, seed=seed, settings=s.abc_settings(fit),
                  executor=executor, progress=progress)
    row = summarise_seeding(res, law, met)
    if s.predictive_draws:  # on the raw statistics S1..S9
        pseed = predictive_seed if predictive_seed is not None else seed + 1
        check = posterior_predictive(replace(res, observed=obs), models, s.predictive_draws,
                                     seed=pseed,
                                     executor=executor, statistic_names=SUMMARY_STATISTICS,
                                     batch_size=s.batch_size)
        pred = check.to_frame()
    else:
        pred = pd.DataFrame(columns=["statistic", "observed", "predictive_median",
                                     "predictive_lower", "predictive_upper",
                                     "quantile_of_observed"])
    theta, w = res.posterior(row["model"])
    early = is_early(theta[:, 0], law.detection_cells, w)
    return MetastasisInference(met, obs, res, row, guess, models[0].priors, pred, early, fit)


@dataclass(frozen=True)
class SeedingRun:
    """The inference of every metastasis of a table (:func:`infer_seeding_table`)."""

    metastases: tuple[MetastasisInference, ...]
    timing: TimingLaw
    settings: SeedingSettings
    seed: int
    observed: pd.DataFrame = field(repr=False)

    @property
    def seeding(self) -> pd.DataFrame:
        """``seeding.csv``: one row per metastasis, exactly :data:`SEEDING_COLUMNS`."""
        return pd.DataFrame([m.summary for m in self.metastases], columns=list(SEEDING_COLUMNS))

    def posterior(self) -> pd.DataFrame:
        """Weighted posterior particles of every metastasis (``posterior.csv``)."""
        return pd.concat([m.posterior_frame(self.timing) for m in self.metastases],
                         ignore_index=True)

    def diagnostics(self) -> pd.DataFrame:
        """Per metastasis: model probabilities, the analytic first guess beside the posterior,
        early by the Q3 rule, the SMC's generations, simulations, tolerance and stop reason."""
        return pd.DataFrame([m.diagnostics() for m in self.metastases])

    def predictive(self) -> pd.DataFrame:
        """Posterior predictive check, one row per metastasis and statistic."""
        return pd.concat([m.predictive.assign(met=m.met) for m in self.metastases],
                         ignore_index=True)[["met", "statistic", "observed", "predictive_median",
                                             "predictive_lower", "predictive_upper",
                                             "quantile_of_observed"]]

    def early_patients(self, patient_of: Callable[[str], str] | None = None) -> pd.DataFrame:
        """Per patient (default: the metastasis name up to its last ``_``, e.g. V930_LU and
        V930_BM are V930): its metastases and ``early`` = at least one seeded early by the Q3
        rule of Hu et al. 2019 (posterior Q3 of the seeding size below the detection
        size); :func:`metacascade.result.seeding.early_patients`."""
        return early_patients([m.met for m in self.metastases],
                              [m.early for m in self.metastases], patient_of)

    def to_result(self, *, data: str = "", cancer_type: str = "",
                  scenario: Scenario | None = None) -> SeedingResult:
        """The saveable :class:`~metacascade.result.SeedingResult` of this run (its tables,
        timing law and settings); ``data`` and ``cancer_type`` are recorded as given, and the
        scenario of a scenario timing law (or ``scenario``) goes into the provenance."""
        return SeedingResult(
            seeding=self.seeding, posterior=self.posterior(), diagnostics=self.diagnostics(),
            predictive=self.predictive(), observed=self.observed.reset_index(drop=True),
            timing=self.timing.label, detection_cells=self.timing.detection_cells,
            diagnosis_cells=self.timing.diagnosis_cells, settings=asdict(self.settings),
            seed=self.seed, data=str(data), cancer_type=str(cancer_type),
            scenario=scenario if scenario is not None else self.timing.scenario)


def infer_seeding_table(data: SeedingData | pd.DataFrame | str | Path,
                        cancer_type: TimingLaw | str | Scenario | Path = "colorectal", *,
                        seed: int, settings: SeedingSettings | None = None,
                        executor: Any = None, summary_statistics: bool | None = None,
                        metastases: Sequence[str] | None = None,
                        progress: Callable[[SeedingProgress], None] | None = None) -> SeedingRun:
    """When each metastasis of a table was seeded: SCIMET's ABC-SMC on every row (Hu et al. 2019).

    ``data`` is a SCIMET summary-statistics table or a read-count table, as a DataFrame, a
    validated ``SeedingData`` or a file (a file is read as summary statistics when
    ``summary_statistics`` is True, or None and it has a ``Met`` column). For read counts of
    impure samples pass ``SeedingSettings(purity=data_purity(data))`` (as the command line does)
    so that the simulated pairs are sequenced alike.

    Parameters
    ----------
    data : pandas.DataFrame, SeedingData, str or Path
        The metastases (one row each, or reads per site).
    cancer_type : TimingLaw, str, Scenario or Path
        The timing law: a Hu 2020 cancer type, a scenario (its primary) or a law.
    seed : int
        The seed (a number) of the random streams (each metastasis gets its own).
    settings : SeedingSettings, optional
        Models, priors and ABC settings (default ``SeedingSettings()``).
    executor : object, optional
        A :mod:`metacascade.parallel` executor for the simulations (default serial).
    summary_statistics : bool, optional
        Whether a file holds summary statistics (None: detected).
    metastases : sequence of str, optional
        Restrict the run to these metastases (names as in ``Met`` or ``site``).
    progress : callable, optional
        Called with a ``SeedingProgress`` after each ABC generation.

    Returns
    -------
    SeedingRun
        ``seeding`` (the ``seeding.csv`` table: log10 seeding cells, years before diagnosis),
        ``metastases`` (each with its posterior and ``early``), ``early_patients()`` and
        ``to_result()``.

    Examples
    --------
    >>> import metacascade as mc
    >>> import metacascade.datasets as datasets
    >>> table = datasets.load("crc_metastases_summary_statistics_hu2019")
    >>> run = mc.infer_seeding_table(table, "colorectal", seed=1,
    ...                              metastases=["V930_LU"])  # doctest: +SKIP
    """
    s = settings if settings is not None else SeedingSettings()
    law = cancer_type if isinstance(cancer_type, TimingLaw) else timing_law(cancer_type)
    if isinstance(data, (str, Path)):
        from metacascade.inference.reads import load_seeding_data, read_table

        if summary_statistics is None:
            summary_statistics = "Met" in read_table(data).columns
        data = load_seeding_data(data, summary_statistics=summary_statistics,
                                 primary_site=PRIMARY_SITE)
    obs = observed_statistics(data)
    if metastases is not None:
        unknown = [m for m in metastases if m not in set(obs["Met"])]
        if unknown:
            raise DataError(f"metastases: {unknown[0]!r} is not in the data (metastases: "
                            f"{', '.join(obs['Met'])})")
        obs = obs[obs["Met"].isin(list(metastases))].reset_index(drop=True)
    out = []
    n = len(obs)
    for i, row in obs.iterrows():  # one metastasis at a time; each parallel over its batches
        idx = int(str(i))
        name = str(row["Met"])

        def gen(rec: GenerationRecord, name: str = name, idx: int = idx) -> None:
            if progress is not None:
                progress(SeedingProgress(name, idx, n, rec))

        inf = infer_metastasis(row[list(SUMMARY_STATISTICS)].to_numpy(np.float64), law,
                               seed=_met_seed(seed, idx), met=name, settings=s,
                               executor=executor, progress=gen,
                               predictive_seed=_met_seed(seed, idx, 1))
        out.append(inf)
        if progress is not None:
            progress(SeedingProgress(name, idx, n, None))
    return SeedingRun(tuple(out), law, s, int(seed), obs)


def with_settings(settings: SeedingSettings, **changes: Any) -> SeedingSettings:
    """A copy of ``settings`` with some fields changed (validated again)."""
    return replace(settings, **changes)


