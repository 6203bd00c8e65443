"""The cell scale: one stochastic patient whose metastases are founded by real cells (issue 15).

Model (docs/cellscale.md; units: days, cells)
---------------------------------------------
Every tumour (the primary, each metastasis) is a **linear multi-type birth-death process** whose
types are clones. A cell of clone c divides at rate ``b(t) f_c`` and dies at rate ``d(t)``, where
``f_c`` is the product of its drivers' fitness multipliers (``mutation.driver_fitness``). The rates
follow the scenario's growth law X (Gompertz, exponential, logistic, power law): with r(V) the law's
specific growth rate,

    b = r(V0) / beta,    d(t) = b - r(X(t)),

piecewise constant on the time grid (on each step the death rate is the one that reproduces the
law's exact growth over the step, ``ln X(t_{k+1}) - ln X(t_k)``). ``beta = (b - d)/b`` at the start
(``mutation.net_growth_fraction``) sets how many divisions a unit of growth costs, hence mutation
counts (each daughter gets Poisson(mu) new mutations; docs/cellscale.md). Because rates depend on
time and not on the state, the expected size of a tumour is exactly the law's X(t) at the grid
times (Kendall 1948, Ann Math Stat 19:1, the generalized birth-and-death process), so the mean of
many stochastic patients equals the organism engine's primary, N(t) and M(t) (tested). A tumour
started from one cell dies out with probability d/b (constant rates); with
``condition_on_survival`` a patient whose primary dies out is redrawn (rejection: the exact
conditional law).

Dissemination is an inhomogeneous Poisson process over the primary's cells: a cell of clone c seeds
at rate ``kappa V^(gamma - 1) w_c``, so that the total is the scenario's d(V) = mu V^gamma (power
model) when every ``w_c = 1``. ``w_c`` is 1 for cells carrying the metastatic trait and
``1 / mutation.metastatic_trait_factor`` for the others when a trait is modelled (S17: 'early' =
the founding clone carries it, 'late' = clones acquire it at a rate per division). The cascade model
(``dissemination.model = "cascade"``) uses the cascade's per-cell founding rate by organ
(shedding x survival x arrest x extravasation x initiation x progression x stem-like fraction x
cluster factor, :func:`metacascade.engines.spread.organ_factors`, naive organs). Only stem-like
cells found metastases (S9, :mod:`metacascade.biology.stemcells`): with ``stem_cells.fraction = 0``
no metastasis is founded; in the power model mu already counts founding (stem-like) cells. Each
metastasis is founded by ``dissemination.cluster_size`` cells of the primary (their clones, hence
their mutations, are inherited), may stay dormant (single-cell latency with the surgery pulse,
:mod:`metacascade.biology.dormancy`), then grows by the metastatic law on a clock slowed by
primary-derived systemic inhibition (:mod:`metacascade.biology.systemic`, driven by this patient's
simulated primary; both per-cell rates are multiplied by the signal, a time change, so the mean is
X(tau(t) - tau(s)) as in the other engines). Resection (a day, or at detection plus a delay) ends the primary and its
seeding.

Numerics (:mod:`metacascade.engines._branching`): exact Gillespie while the tumour is below
``exact_below_cells`` (default 1e4), then each clone grows deterministically ("frozen fractions",
the law of large numbers of the linear process) except small clones with a driver or trait, which
stay exact until ``clone_exact_below_cells``. Neutral mutations are tracked as clones while the
tumour is below ``track_mutations_below_cells`` (default 1e4): later mutations have expected
cancer-cell fractions below 2/(beta 1e4) and are never detectable (docs/cellscale.md); a metastasis
founder's lineage mutations acquired after that size are drawn analytically (a compound Poisson
with mean 2 mu int b dt, = (2 mu/beta) ln(N_s/N_cut) for exponential growth; docs/cellscale.md) and are
private to the metastasis. docs/cellscale.md gives the measured errors of both approximations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.biology.dormancy import latency_from_uniform, surgery_pulse
from metacascade.biology.growth import GrowthLaw, make_growth_law
from metacascade.biology.systemic import SystemicSignals, growth_clock
from metacascade.engines import _branching as br
from metacascade.engines import sections
from metacascade.engines.base import Problem, Support, raise_problems
from metacascade.errors import ScenarioError
from metacascade.scenario import Scenario

if TYPE_CHECKING:
    from metacascade.result.cellscale import CellScaleResult

Array = npt.NDArray[np.float64]

PRIMARY = "primary"
TRAITS = ("none", "early", "late")


@dataclass(frozen=True)
class CellScaleParameters:
    """Everything the cell-scale engine needs, in biology units (days, cells, per-cell rates).

    Growth: ``primary_law`` / ``metastasis_law`` (from :func:`make_growth_law`), the primary's
    founding cells, ``metastasis_cells`` (the law's birth size V0 of a metastasis) and ``beta``
    (1; b = r(V0)/beta). Mutations: ``mutation_rate`` (new neutral mutations per daughter cell),
    ``driver_rate`` (per daughter cell), ``driver_fitness`` (birth-rate multiplier), ``trait``
    ('none' | 'early' | 'late'), ``trait_factor`` (1), ``trait_rate`` (per daughter cell).
    Seeding: ``seeding_rate`` kappa (cell^-gamma day^-1; founding events per cell^gamma per day),
    ``seeding_gamma``, ``organs`` and ``organ_weights`` (share of metastases per organ),
    ``cluster_size`` (cells), ``seeding_from_cells`` / ``seeding_from_day`` (gates),
    ``latency_days`` (every metastasis waits this long). Dormancy: ``dormant_fraction`` (1),
    ``dormancy_latency`` ('exponential' | 'lognormal' | 'fixed'), ``dormancy_median_days``,
    ``dormancy_sigma``, ``surgery_escape_probability``. Treatment: ``resection_day`` (inf = none),
    ``resection_delay_days`` after detection at ``detection_cells`` (inf = not at detection).
    ``systemic``: signals acting on metastatic growth (None = none). Numerics: ``duration_days``,
    ``step_days`` (rate grid), ``exact_below_cells``, ``track_mutations_below_cells`` (primary),
    ``metastasis_track_mutations_below_cells`` (1e3: a metastasis' own later mutations have
    expected CCF below 2/(beta 1e3) ~ 7e-3 in it, under the 0.01 kept by virtual sequencing),
    ``clone_exact_below_cells``, ``stop_primary_at_cells`` (stop growing the primary there),
    ``stop_metastases_at_cells`` (each metastasis stops growing there: SCIMET's design of
    tumours grown to a final size; its grid of cells ends there),
    ``condition_on_survival``, ``max_attempts``, ``max_metastases``. History (the Muller plot):
    the primary's clones are recorded at ``history_records`` evenly spaced grid times (0 = none),
    and the clones whose subtree reaches ``history_min_share`` of the primary at one of them are
    kept (:attr:`CellScalePatient.clone_history`).
    """

    primary_law: GrowthLaw
    metastasis_law: GrowthLaw
    primary_cells: int = 1
    metastasis_cells: float = 1.0
    beta: float = 0.3
    mutation_rate: float = 0.3
    driver_rate: float = 0.0
    driver_fitness: float = 1.1
    trait: str = "none"
    trait_factor: float = 10.0
    trait_rate: float = 1e-4
    seeding_rate: float = 1e-11
    seeding_gamma: float = 1.0
    organs: tuple[str, ...] = ("distant",)
    organ_weights: tuple[float, ...] = (1.0,)
    cluster_size: int = 1
    seeding_from_cells: float = 0.0
    seeding_from_day: float = 0.0
    latency_days: float = 0.0
    dormant_fraction: float = 0.0
    dormancy_latency: str = "exponential"
    dormancy_median_days: float = 1000.0
    dormancy_sigma: float = 1.0
    surgery_escape_probability: float = 0.0
    detection_cells: float = 1e9
    resection_day: float = math.inf
    resection_delay_days: float = math.inf
    systemic: SystemicSignals | None = None
    duration_days: float = 3650.0
    step_days: float = 1.0
    exact_below_cells: float = 1e4
    track_mutations_below_cells: float = 1e4
    metastasis_track_mutations_below_cells: float = 1e3
    clone_exact_below_cells: float = 100.0
    stop_primary_at_cells: float = math.inf
    stop_metastases_at_cells: float = math.inf
    condition_on_survival: bool = True
    max_attempts: int = 1000
    max_metastases: int = 10_000
    history_records: int = 100
    history_min_share: float = 0.01

    def __post_init__(self) -> None:
        nonneg = {"mutation_rate": self.mutation_rate, "driver_rate": self.driver_rate,
                  "trait_rate": self.trait_rate, "seeding_rate": self.seeding_rate,
                  "trait_factor": self.trait_factor, "latency_days": self.latency_days,
                  "seeding_from_cells": self.seeding_from_cells,
                  "seeding_from_day": self.seeding_from_day}
        for name, v in nonneg.items():
            if not (math.isfinite(v) and v >= 0):
                raise ScenarioError(f"cell scale: {name} = {v!r} must be finite and >= 0")
        for name, v in (("beta", self.beta), ("dormant_fraction", self.dormant_fraction),
                        ("surgery_escape_probability", self.surgery_escape_probability)):
            lo_ok = v > 0 if name == "beta" else v >= 0
            if not (lo_ok and v <= 1):
                raise ScenarioError(f"cell scale: {name} = {v!r} must be in "
                                    f"{'(0, 1]' if name == 'beta' else '[0, 1]'}")
        if self.driver_rate > 1 or self.trait_rate > 1:
            raise ScenarioError("cell scale: driver_rate and trait_rate are probabilities "
                                "per daughter cell (<= 1)")
        if self.driver_fitness < 1 or not math.isfinite(self.driver_fitness):
            raise ScenarioError(f"cell scale: driver_fitness = {self.driver_fitness!r} must be "
                                ">= 1")
        if self.trait not in TRAITS:
            raise ScenarioError(f"cell scale: trait = {self.trait!r}; allowed {', '.join(TRAITS)}")
        if self.primary_cells < 1 or self.cluster_size < 1:
            raise ScenarioError("cell scale: primary_cells and cluster_size must be >= 1")
        if not (0 <= self.seeding_gamma <= 1):
            raise ScenarioError(f"cell scale: seeding_gamma = {self.seeding_gamma!r} must be in "
                                "[0, 1]")
        if len(self.organs) != len(self.organ_weights) or not self.organs:
            raise ScenarioError("cell scale: organs and organ_weights must have the same length")
        w = np.asarray(self.organ_weights, dtype=np.float64)
        if np.any(~np.isfinite(w)) or np.any(w < 0) or (w.sum() <= 0 and self.seeding_rate > 0):
            raise ScenarioError("cell scale: organ_weights must be >= 0 with a positive sum")
        if not (self.duration_days > 0 and self.step_days > 0
                and self.step_days <= self.duration_days):
            raise ScenarioError(f"cell scale: step_days = {self.step_days!r} must be positive and "
                                f"at most duration_days = {self.duration_days!r}")
        if self.metastasis_track_mutations_below_cells < 1:
            raise ScenarioError("cell scale: metastasis_track_mutations_below_cells must be >= 1")
        if not (1 <= self.track_mutations_below_cells <= self.exact_below_cells):
            raise ScenarioError(
                f"cell scale: track_mutations_below_cells = {self.track_mutations_below_cells:g} "
                f"must be in [1, exact_below_cells = {self.exact_below_cells:g}]")
        if not math.isfinite(min(self.exact_below_cells, self.stop_primary_at_cells)):
            raise ScenarioError("cell scale: exact_below_cells may be infinite only with a finite "
                                "stop_primary_at_cells")
        if self.clone_exact_below_cells < 1:
            raise ScenarioError("cell scale: clone_exact_below_cells must be >= 1")
        if self.history_records < 0 or not (0 < self.history_min_share <= 1):
            raise ScenarioError("cell scale: history_records must be >= 0 and history_min_share "
                                "in (0, 1]")

    def expected_metastases(self) -> float:
        """Expected number of metastases founded, int kappa X^gamma dt over the primary's life
        (the law's mean path, gates included; for trait carriers only at most this)."""
        law = self.primary_law
        n0 = float(self.primary_cells)
        end = min(self.duration_days, self.resection_day)
        for level, delay in ((self.detection_cells, self.resection_delay_days),
                             (self.stop_primary_at_cells, 0.0)):
            if math.isfinite(level) and math.isfinite(delay):
                end = min(end, float(np.asarray(law.age_at_size(level, n0))) + delay)
        t = np.linspace(0.0, max(end, 0.0), 4001)
        x = np.asarray(law.size(t, n0), dtype=np.float64)
        on = (t >= self.seeding_from_day) & (x >= self.seeding_from_cells)
        rate = np.where(on, self.seeding_rate * x**self.seeding_gamma, 0.0)
        return float(np.sum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t)))

    @property
    def trait_weight_off(self) -> float:
        """Seeding weight of cells without the trait (1 when no trait is modelled)."""
        if self.trait == "none":
            return 1.0
        return 1.0 / self.trait_factor if self.trait_factor > 0 else math.inf


def specific_rate(law: GrowthLaw, v: float) -> float:
    """r(V) = (dV/dt)/V of a growth law (day^-1)."""
    return float(np.asarray(law.rhs(np.asarray(v, dtype=np.float64))) / v)


def rate_schedule(law: GrowthLaw, v0: float, beta: float, age_start: Array,
                  age_end: Array) -> tuple[Array, Array]:
    """Per-cell birth and death rates (day^-1) on steps whose growth ages (days of the law's clock)
    run from ``age_start`` to ``age_end``; real step lengths are ``age_end - age_start`` only
    without a clock, so rates are returned per unit of *age*: multiply by the clock speed.

    b = r(V0)/beta; over each step the death rate is the one giving the law's exact growth
    ln X(age_end) - ln X(age_start) (the mean then equals the law at the grid points)."""
    b0 = specific_rate(law, v0) / beta
    lx0 = np.log(np.asarray(law.size(age_start, v0), dtype=np.float64))
    lx1 = np.log(np.asarray(law.size(age_end, v0), dtype=np.float64))
    h = np.asarray(age_end, dtype=np.float64) - np.asarray(age_start, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where(h > 0, (lx1 - lx0) / np.where(h > 0, h, 1.0), 0.0)
    b = np.maximum(b0, g)
    return np.asarray(b, dtype=np.float64), np.asarray(b - g, dtype=np.float64)


@dataclass
class CellScalePatient:
    """One simulated patient.

    ``clones``: one row per clone (node of the clone tree) with ``clone_id`` (= row), ``site``,
    ``parent`` (-1 for the founder), ``birth_day``, ``n_mutations`` (new mutations of the clone),
    ``fitness``, ``trait``, ``cells`` (final cells of the clone itself at its site).
    ``metastases``: ``met_id, organ, founding_day, primary_cells_at_seeding, founder_clone,
    cluster_size, cells_final, dormant, growth_start_day``. ``times`` and ``cells`` (site -> cells on
    the grid, nan before the site exists). Days of ``detection_day``, ``primary_end_day``
    (resection or end of the primary), ``attempts`` (primaries drawn until one survived).

    Made by :func:`metacascade.simulate_cell_scale` (and the ``stochastic`` engine of
    :func:`metacascade.simulate`); the clone tree is the input of genealogies and of
    :func:`metacascade.virtual_sequencing` (through :meth:`mutations`).

    Parameters
    ----------
    clones : pandas.DataFrame
        One row per clone (node of the clone tree; the primary's clones first, then each
        metastasis' in the order of ``sites``): ``clone_id`` (= row), ``site``, ``parent`` (row
        of the parent clone, -1 for the primary's founder; a metastasis' founder points at the
        primary clone it came from), ``birth_day`` (days), ``n_mutations`` (count of new
        mutations of the clone; for a metastasis' founder, its lineage mutations acquired after
        ``track_cut_day``), ``fitness`` (birth-rate multiplier, dimensionless), ``trait``
        (carries the metastatic trait) and ``cells`` (final cells of the clone itself at its
        site, counted on ``sample_day``).
    metastases : pandas.DataFrame
        One row per metastasis: ``met_id`` (``met1``, ``met2``, ...), ``organ``,
        ``founding_day`` (days), ``primary_cells_at_seeding`` (cells), ``founder_clone`` (row
        of ``clones`` of the first founding cell), ``cluster_size`` (founding cells, count),
        ``cells_final`` (cells), ``dormant`` (still not growing at the end of the run) and
        ``growth_start_day`` (days; after the latency and any dormancy).
    times : numpy.ndarray
        The time grid (days), from 0 to the run's ``duration_days`` by ``step_days``.
    cells : dict of str to numpy.ndarray
        Site -> cells of the tumour on the grid ``times`` (cells; nan before the site exists,
        and for the primary after ``primary_end_day``).
    detection_day : float
        Day (days) the primary reached the detection size (``inf``: never).
    primary_end_day : float
        Day (days) the primary ended: resection, extinction, its stopping size, or the end of
        the run.
    primary_status : str
        How the primary ended: ``"end"`` (still growing at the end of the run), ``"extinct"``,
        ``"stopped_at_size"`` or ``"resected"``.
    attempts : int
        Primaries drawn (count) until one survived (1 without ``condition_on_survival``; at
        most ``max_attempts``).
    track_cut_day : float
        Day (days) the primary reached ``track_mutations_below_cells`` (``inf``: never); later
        neutral mutations are not made into clones (their expected CCFs are too small to be
        detected).
    sites : list of str
        ``"primary"``, then the metastases ``met1``, ``met2``, ... (the rows of
        ``metastases``).
    birth_rate : dict of str to numpy.ndarray
        Site -> per-cell birth rate (per day) of a fitness-1 cell on each step of ``times``
        (``len(times) - 1`` values; 0 while a metastasis is not growing).
    sample_day : dict of str to float
        Site -> day (days) its final cells (``clones.cells``) are counted: ``primary_end_day``
        for the primary, the last day of ``times`` for a metastasis.
    clone_history : pandas.DataFrame, optional
        The primary's large clones over time (the Muller plot): ``day`` (days), ``clone_id``,
        ``parent``, ``cells`` (the clone's own cells) and ``subtree_cells`` (it and its
        descendants, cells), one row per record and kept clone; None when no history was
        recorded.

    Examples
    --------
    >>> import numpy as np
    >>> import metacascade as mc
    >>> sc = mc.load_scenario("breast", ["simulation.duration_days=200"])
    >>> patient = mc.simulate_cell_scale(sc, np.random.default_rng(1))
    >>> patient.sites[0], patient.primary_status
    ('primary', 'end')
    >>> float(patient.ccf().loc[0, "primary"])  # the founder's subtree is the whole primary
    1.0
    """

    clones: pd.DataFrame
    metastases: pd.DataFrame
    times: Array
    cells: dict[str, Array]
    detection_day: float
    primary_end_day: float
    primary_status: str
    attempts: int
    track_cut_day: float
    sites: list[str]
    birth_rate: dict[str, Array]  # per-cell birth rate (fitness 1) on each grid step, day^-1
    sample_day: dict[str, float]  # when each site's final cells are counted
    #: The primary's large clones over time: ``day, clone_id, parent, cells`` (the clone's own
    #: cells) and ``subtree_cells`` (it and its descendants), one row per record and kept clone.
    clone_history: pd.DataFrame | None = None

    def site_cells(self) -> dict[str, float]:
        """Final cells per site.

        Returns
        -------
        dict of str to float
            Site -> its final cells (cells; the sum of ``clones.cells`` there), in the order of
            ``sites``.
        """
        by = self.clones.groupby("site", sort=False)["cells"].sum()
        return {s: float(by.get(s, 0.0)) for s in self.sites}

    def ccf(self, sites: list[str] | None = None) -> pd.DataFrame:
        """Cancer-cell fraction of every clone (its subtree) in every site (or in ``sites``):
        (clones x sites).

        Parameters
        ----------
        sites : list of str, optional
            Names of the sites (columns) to compute (None: every site of ``sites``).

        Returns
        -------
        pandas.DataFrame
            One row per clone (the index of ``clones``), one column per site: the fraction of
            the site's final cells in the clone's subtree (fraction, 0 to 1; 0 in a site
            without cells).
        """
        return clone_ccf(self.clones, self.sites if sites is None else sites)

    def own_site_ccf(self) -> Array:
        """The CCF of every clone in its own site (one pass: edges between sites cut).

        Returns
        -------
        numpy.ndarray
            Per clone (row of ``clones``): the fraction (0 to 1) of its site's final cells in
            its subtree within that site (a metastasis founded from it is not counted).
        """
        return own_site_ccf(self.clones)

    def mutations(self, sites: list[str] | None = None) -> pd.DataFrame:
        """One row per mutation: ``mutation_id``, ``clone_id`` and its true CCF in every site (or
        in ``sites``).

        Parameters
        ----------
        sites : list of str, optional
            Names of the sites (columns) to compute (None: every site of ``sites``).

        Returns
        -------
        pandas.DataFrame
            One row per mutation (``n_mutations`` rows per clone): ``mutation_id`` (``m0``,
            ``m1``, ...), ``clone_id`` (the clone where it arose) and one column per site with
            its true cancer-cell fraction there (fraction, 0 to 1; the CCF of its clone, see
            :meth:`ccf`); the input of :func:`metacascade.virtual_sequencing`.
        """
        return mutation_ccfs(self.clones, self.sites if sites is None else sites)


def clone_ccf(clones: pd.DataFrame, sites: list[str]) -> pd.DataFrame:
    """Cancer-cell fraction of every clone (the share of a site's cells in its subtree) in every
    site, from a clone table (``parent``, ``site``, ``cells``; ``clones.csv``): (clones x sites)."""
    parent = clones["parent"].to_numpy(np.int64)
    cells = clones["cells"].to_numpy(np.float64)
    site = clones["site"].to_numpy()
    out = {}
    for s in sites:  # one vectorised pass per site
        here = np.where(site == s, cells, 0.0)
        sub = br.subtree_counts(parent, here)
        tot = here.sum()
        out[s] = sub / tot if tot > 0 else np.zeros_like(sub)
    return pd.DataFrame(out, index=clones.index)


def own_site_ccf(clones: pd.DataFrame) -> Array:
    """The CCF of every clone in its own site: the subtree counted without the edges that lead
    into another site (a metastasis' founder below its primary clone), over the site's cells."""
    parent = clones["parent"].to_numpy(np.int64)
    site = pd.factorize(clones["site"])[0]
    cells = clones["cells"].to_numpy(np.float64)
    cross = (parent >= 0) & (site[np.maximum(parent, 0)] != site)
    sub = br.subtree_counts(np.where(cross, -1, parent), cells)
    tot = np.bincount(site, weights=cells)[site]
    return np.asarray(np.divide(sub, tot, out=np.zeros_like(sub), where=tot > 0),
                      dtype=np.float64)


def mutation_ccfs(clones: pd.DataFrame, sites: list[str]) -> pd.DataFrame:
    """One row per mutation of a clone table: ``mutation_id``, ``clone_id`` and its true CCF in
    every site (the input of :func:`metacascade.analysis.sequencing.virtual_sequencing`)."""
    nm = clones["n_mutations"].to_numpy(np.int64)
    clone = np.repeat(np.arange(nm.size), nm)
    ccf = clone_ccf(clones, sites).to_numpy()[clone]
    df = pd.DataFrame(ccf, columns=sites)
    df.insert(0, "clone_id", clone)
    df.insert(0, "mutation_id", [f"m{i}" for i in range(clone.size)])
    return df


def clone_history(days: Array, offsets: npt.NDArray[np.int64], flat: Array,
                  parent: npt.NDArray[np.int64], final: Array, end_day: float,
                  min_share: float) -> pd.DataFrame:
    """The recorded clone sizes (``flat``: the clones existing at ``days[i]`` in
    ``flat[offsets[i]:offsets[i+1]]``) and the final ones at ``end_day`` as a long table of the
    clones whose subtree reaches ``min_share`` of the tumour at one of these times (the Muller
    plot's clones; the others are counted in their nearest kept ancestor's own cells). Shares
    count at the times the tumour holds at least ``100 / min_share`` cells, and at the end."""
    n_cl = parent.size
    n_rec = days.size
    dense = np.zeros((n_rec + 1, n_cl))
    rows = np.repeat(np.arange(n_rec), np.diff(offsets))
    cols = np.arange(flat.size) - np.repeat(offsets[:-1], np.diff(offsets))
    dense[rows, cols] = flat
    dense[n_rec] = final
    par = np.where(parent < 0, -1, parent)
    sub = np.stack([br.subtree_counts(par, row) for row in dense])  # one call per record
    tot = dense.sum(axis=1, keepdims=True)
    share = np.divide(sub, tot, out=np.zeros_like(sub), where=tot > 0)
    # a share counts once the tumour is large enough for it to be 100 cells (no single-cell
    # clones of a 10-cell tumour)
    big = (tot[:, 0] >= 100.0 / min_share)
    big[-1] = True
    keep = np.flatnonzero((share[big] >= min_share).any(axis=0))
    # own cells of a kept clone: its subtree minus its kept descendants' subtrees
    kept_parent = np.full(n_cl, -1, np.int64)
    is_kept = np.zeros(n_cl, bool)
    is_kept[keep] = True
    anc = par.copy()
    nearest = np.where(is_kept[np.maximum(anc, 0)] & (anc >= 0), anc, -1)
    todo = (anc >= 0) & (nearest < 0)
    while todo.any():  # climbs the clone tree (depth: tens), all clones at once
        anc = np.where(todo, par[np.maximum(anc, 0)], anc)
        hit = todo & (anc >= 0) & is_kept[np.maximum(anc, 0)]
        nearest = np.where(hit, anc, nearest)
        todo = todo & ~hit & (anc >= 0)
    kept_parent[:] = nearest
    k = keep.size
    own = sub[:, keep].copy()
    kp = kept_parent[keep]
    idx = {int(c): i for i, c in enumerate(keep)}
    parent_cols = np.array([idx[int(c)] for c in kp if c >= 0], dtype=np.int64)
    kids = np.flatnonzero(kp >= 0)
    own -= sub[:, keep[kids]] @ (parent_cols[:, None] == np.arange(k)[None, :])
    all_days = np.concatenate([days, [end_day]])
    return pd.DataFrame({
        "day": np.repeat(all_days, k),
        "clone_id": np.tile(keep, n_rec + 1),
        "parent": np.tile(kp, n_rec + 1),
        "cells": np.maximum(own, 0.0).reshape(-1),
        "subtree_cells": sub[:, keep].reshape(-1),
    })


_STATUS = {br.GROWING: "end", br.EXTINCT: "extinct", br.STOPPED_AT_SIZE: "stopped_at_size",
           br.RESECTED: "resected"}


def simulate_patient(params: CellScaleParameters, rng: np.random.Generator) -> CellScalePatient:
    """Simulate one patient: the primary, its seeds, and every metastasis (see the module doc)."""
    p = params
    expected = p.expected_metastases()
    if expected > p.max_metastases / 2:
        raise ScenarioError(
            f"cell scale: about {expected:.3g} metastases would be founded (int of d(V) over the "
            f"primary's life), more than max_metastases / 2 = {p.max_metastases / 2:g}: the "
            "cell-scale engine follows every metastasis; use the organism or cohort engine, or "
            "a smaller dissemination.mu")
    n_steps = max(1, int(math.ceil(p.duration_days / p.step_days - 1e-9)))
    times = np.linspace(0.0, p.duration_days, n_steps + 1)
    b_p, d_p = rate_schedule(p.primary_law, float(p.primary_cells), p.beta, times[:-1], times[1:])
    kappa = np.full(n_steps, p.seeding_rate)
    w_off = p.trait_weight_off
    root_trait = p.trait == "early"
    p_trait = p.trait_rate if p.trait == "late" else 0.0
    init = np.array([float(p.primary_cells)])
    n_rec = min(p.history_records, n_steps)
    record_k = (np.unique(np.linspace(0, n_steps, n_rec + 1).round().astype(np.int64))[1:-1]
                if n_rec else np.zeros(0, np.int64))
    attempts = 0
    while True:
        attempts += 1
        out = br.grow(rng, times, b_p, d_p, 0, 0.0, init, np.ones(1), np.array([root_trait]),
                      p.mutation_rate, p.driver_rate, p.driver_fitness, p_trait, w_off,
                      p.track_mutations_below_cells, p.exact_below_cells,
                      p.clone_exact_below_cells, p.stop_primary_at_cells, kappa, p.seeding_gamma,
                      p.seeding_from_cells, p.seeding_from_day, p.cluster_size, p.detection_cells,
                      p.resection_delay_days, p.resection_day, p.max_metastases, record_k)
        if out[0] != br.EXTINCT or not p.condition_on_survival or attempts >= p.max_attempts:
            break
    (status, parent, t_birth, n_mut, fit, trait, count, total, t_cut, t_detect, t_end,
     seed_t, seed_clone, seed_n, hist_k, hist_off, hist_cells) = out
    n_seed = seed_t.size
    if n_seed >= p.max_metastases:
        raise ScenarioError(
            f"cell scale: this patient founded max_metastases = {p.max_metastases} metastases "
            f"(expected {expected:.3g}); use the organism or cohort engine, or a smaller "
            "dissemination.mu")
    k = p.cluster_size
    founders = seed_clone.reshape(n_seed, k)
    # organs
    w = np.asarray(p.organ_weights, dtype=np.float64)
    organ_idx = np.minimum(np.searchsorted(np.cumsum(w / w.sum()), rng.random(n_seed),
                                           side="right"), len(w) - 1)
    # founders' lineage mutations after the tracking cut (private to the metastasis)
    cum_b = np.concatenate([[0.0], np.cumsum(b_p * np.diff(times))])
    fit_f = fit[founders] if n_seed else np.zeros((0, k))
    if n_seed and np.isfinite(t_cut):
        # every lineage mutation after the cut is unrecorded (neutral clones are no longer made)
        span = np.maximum(np.interp(seed_t, times, cum_b) - np.interp(t_cut, times, cum_b), 0.0)
        span = np.broadcast_to(span[:, None], (n_seed, k))
        divisions = rng.poisson(2.0 * fit_f * span)
        lineage_mut = rng.poisson(p.mutation_rate * divisions)
    elif n_seed:
        lineage_mut = np.zeros((n_seed, k), dtype=np.int64)
    else:
        lineage_mut = np.zeros((0, k), dtype=np.int64)
    # dormancy (single-cell latency with the surgery pulse) and the start of growth
    kind_u, lat_u, surg_u = rng.random(n_seed), rng.random(n_seed), rng.random(n_seed)
    single = kind_u < p.dormant_fraction
    latency = np.where(single, latency_from_uniform(lat_u, p.dormancy_latency,
                                                     p.dormancy_median_days, p.dormancy_sigma),
                       0.0)
    res_day = t_end if status == br.RESECTED else math.inf
    if n_seed:
        latency = np.where(single, surgery_pulse(seed_t, latency, np.full(n_seed, res_day),
                                                  p.surgery_escape_probability, surg_u), latency)
    start = seed_t + p.latency_days + latency
    # metastatic growth: clock (systemic signals driven by this primary) and rate tables
    primary_grid = np.where(np.isnan(total), 0.0, total)
    primary_grid = np.where(times <= t_end, primary_grid, 0.0)
    if p.systemic is not None and p.systemic.active:
        f = p.systemic.multiplier(times, primary_grid[None, :], np.array([res_day]))[0]
        tau = growth_clock(times, f[None, :])[0]
    else:
        tau = times.copy()
    # growth starts inside step k_start (clock by linear interpolation)
    k_start = np.clip(np.searchsorted(times, start, side="right") - 1, 0, n_steps).astype(np.int64)
    tau_start = np.interp(np.minimum(start, times[-1]), times, tau)
    age0 = np.maximum(tau[None, :-1] - tau_start[:, None], 0.0)
    age1 = np.maximum(tau[None, 1:] - tau_start[:, None], 0.0)
    b_age, d_age = rate_schedule(p.metastasis_law, p.metastasis_cells, p.beta, age0, age1)
    speed = np.diff(tau) / np.diff(times)  # clock ticks per day
    b_m = np.ascontiguousarray(b_age * speed[None, :])
    d_m = np.ascontiguousarray(d_age * speed[None, :])
    if n_seed:
        b_m = np.where(age1 > age0, b_m, 0.0)  # dormant / not yet growing: frozen
        d_m = np.where(age1 > age0, d_m, 0.0)
    mets = br.grow_many(rng, times, np.ascontiguousarray(b_m.reshape(n_seed, n_steps)),
                        np.ascontiguousarray(d_m.reshape(n_seed, n_steps)), k_start,
                        np.minimum(start, times[-1]),
                        np.ascontiguousarray(fit_f), np.ascontiguousarray(trait[founders]),
                        p.mutation_rate, p.driver_rate, p.driver_fitness, p_trait, w_off,
                        min(p.metastasis_track_mutations_below_cells, p.exact_below_cells),
                        p.exact_below_cells, p.clone_exact_below_cells,
                        p.stop_metastases_at_cells)
    m_status, offsets, m_parent, m_tb, m_nmut, m_fit, m_trait, m_count, m_totals = mets
    # assemble the global clone tree: primary clones, then each metastasis' clones
    n_p = parent.size
    met_of = np.repeat(np.arange(n_seed), np.diff(offsets))
    is_founder = m_parent < 0
    founder_col = np.where(is_founder, -1 - m_parent, 0)
    g_parent = np.where(is_founder, founders[met_of, founder_col] if n_seed else 0,
                        n_p + offsets[met_of] + np.maximum(m_parent, 0))
    g_nmut = np.where(is_founder, lineage_mut[met_of, founder_col] if n_seed else 0, m_nmut)
    g_tb = np.where(is_founder, seed_t[met_of] if n_seed else 0.0, m_tb)
    names = [f"met{i + 1}" for i in range(n_seed)]
    clones = pd.DataFrame({
        "clone_id": np.arange(n_p + m_parent.size),
        "site": np.concatenate([np.full(n_p, PRIMARY, dtype=object),
                                np.asarray(names, dtype=object)[met_of]]),
        "parent": np.concatenate([np.where(parent < 0, -1, parent), g_parent]).astype(np.int64),
        "birth_day": np.concatenate([t_birth, g_tb]),
        "n_mutations": np.concatenate([n_mut, g_nmut]).astype(np.int64),
        "fitness": np.concatenate([fit, m_fit]),
        "trait": np.concatenate([trait, m_trait]),
        "cells": np.concatenate([count, m_count]),
    })
    final = m_totals[:, -1] if n_seed else np.zeros(0)
    if n_seed:  # a metastasis stopped at its size keeps its cells (its grid ends there)
        final = np.where(np.isnan(final) & (m_status == br.STOPPED_AT_SIZE),
                         np.bincount(met_of, weights=m_count, minlength=n_seed), final)
    metastases = pd.DataFrame({
        "met_id": names,
        "organ": np.asarray(p.organs, dtype=object)[organ_idx] if n_seed else [],
        "founding_day": seed_t,
        "primary_cells_at_seeding": seed_n,
        "founder_clone": founders[:, 0] if n_seed else np.zeros(0, np.int64),
        "cluster_size": np.full(n_seed, k, dtype=np.int64),
        "cells_final": np.where(np.isnan(final), 0.0, final),
        "dormant": start > p.duration_days,
        "growth_start_day": start,
    })
    cells = {PRIMARY: np.where(times <= t_end, total, np.nan)}
    cells.update({n: m_totals[i] for i, n in enumerate(names)})
    rates = {PRIMARY: b_p}
    rates.update({n: b_m[i] for i, n in enumerate(names)})
    sample_day = {PRIMARY: float(t_end)}
    sample_day.update({n: float(times[-1]) for n in names})
    history = (clone_history(times[hist_k], hist_off, hist_cells, parent, count, float(t_end),
                             p.history_min_share) if p.history_records else None)
    return CellScalePatient(
        clones=clones, metastases=metastases, times=times, cells=cells, clone_history=history,
        detection_day=float(t_detect), primary_end_day=float(t_end),
        primary_status=_STATUS[int(status)], attempts=attempts, track_cut_day=float(t_cut),
        sites=[PRIMARY, *names], birth_rate=rates, sample_day=sample_day)


# ---------------------------------------------------------------------------------------------
# Scenario adapter


def problems(scenario: Scenario) -> list[str]:
    """Scenario settings the cell-scale engine cannot honour (empty when it can run it): the
    lines of :func:`check_scenario`."""
    return [p.line() for p in check_scenario(scenario)]


def check_scenario(sc: Scenario, engine: str = "stochastic") -> list[Problem]:
    """Every section or value of ``sc`` the cell-scale engine cannot honour (:data:`SUPPORTS`)."""
    out: list[Problem] = []
    if sc.dissemination.secondary:
        out.append(Problem("dissemination.secondary", True, f"the {engine} engine does not follow "
                           "metastases seeding metastases", sections.ORGANISM))
    out += sections.power_model(sc, engine)
    d = sc.dormancy
    if d.avascular_fraction > 0:
        out.append(Problem("dormancy.avascular_fraction", d.avascular_fraction, f"the {engine} "
                           "engine does not follow avascular micrometastases", sections.COHORT))
    if d.single_cell_fraction > 0 and d.single_cells_become_micrometastases:
        out.append(Problem("dormancy.single_cells_become_micrometastases", True, f"the {engine} "
                           "engine does not follow two-stage dormancy", sections.COHORT))
    sy = sc.systemic
    if sy.model == "angiogenesis":
        out.append(Problem("systemic.model", "angiogenesis", f"the {engine} engine does not follow "
                           "the angiogenesis model (use 'proliferation')", sections.ORGANISM))
    elif sections.systemic_active(sc) and sy.inhibitor_source != "primary":
        out.append(Problem("systemic.inhibitor_source", sy.inhibitor_source, f"the {engine} engine "
                           "follows an inhibitor made by the primary only", sections.ORGANISM))
    out += sections.drugs(sc, engine, ())
    out += sections.screening(sc, engine)
    out += sections.no_bone(sc, engine)
    if sc.dissemination.model == "cascade":
        n = sc.niche
        if n.priming_rate_per_day > 0 and n.gain > 0:
            out.append(Problem("niche.gain", n.gain, f"the {engine} engine keeps organs naive (no "
                               "niche priming); set niche.gain = 0",
                               "metacascade run {scenario} --engine spread"))
        if sc.lymphatics.reseeding_rate_per_cell_day > 0:
            out.append(Problem("lymphatics.reseeding_rate_per_cell_day",
                               sc.lymphatics.reseeding_rate_per_cell_day, f"the {engine} engine "
                               "does not follow re-seeding by lymph-node metastases; set it to 0",
                               "metacascade run {scenario} --engine spread"))
    if sc.metastasis.initial_cells != sc.dissemination.cluster_size:
        out.append(Problem("metastasis.initial_cells", sc.metastasis.initial_cells,
                           f"differs from dissemination.cluster_size = "
                           f"{sc.dissemination.cluster_size}: the {engine} engine founds each "
                           "metastasis with cluster_size cells; set both equal", None))
    if sc.primary.initial_cells != round(sc.primary.initial_cells):
        out.append(Problem("primary.initial_cells", sc.primary.initial_cells, f"the {engine} "
                           "engine needs a whole number of cells", None))
    return out


SUPPORTS: tuple[Support, ...] = (
    Support("primary", "partly", "a whole number of initial cells"),
    Support("metastasis", "partly", "initial_cells equal to dissemination.cluster_size"),
    Support("dissemination", "yes", "power or cascade model, cluster_size"),
    Support("dissemination.secondary", "no", "refused (organism)"),
    Support("cascade", "yes", "cascade model; power model: defaults"),
    Support("niche", "partly", "cascade model, naive organs: priming with a gain refused"),
    Support("lymphatics", "partly", "cascade model: node re-seeding refused"),
    Support("stem_cells", "yes", "cascade model; power model: defaults"),
    Support("organs", "yes", "seeding fractions (power) or the organ table (cascade); "
            "lethal_cells"),
    Support("detection", "partly", "detection and visibility sizes; screening visits refused "
            "(cohort)"),
    Support("treatment", "partly", "resection (day, at detection, delay); drug events refused"),
    Support("bone", "no", "refused (run)"),
    Support("simulation", "yes", "the seed draws the patient"),
    Support("death", "yes", "lethal_burden_day of the simulated burden"),
    Support("systemic", "partly", "primary-derived signals; angiogenesis and a total-burden "
            "inhibitor refused (organism)"),
    Support("dormancy", "partly", "single cells with the surgery pulse; avascular and two-stage "
            "refused (cohort)"),
    Support("mutation", "yes"),
)


#: Cells sampled per site for the genealogy of a run (``genealogy.trees``): the primary and the
#: :data:`GENEALOGY_SITES` - 1 largest metastases.
GENEALOGY_CELLS_PER_SITE = 10
GENEALOGY_SITES = 10


def genealogy_samples(patient: CellScalePatient, per_site: int = GENEALOGY_CELLS_PER_SITE,
                      n_sites: int = GENEALOGY_SITES) -> dict[str, int]:
    """The cells sampled for a run's genealogy: ``per_site`` from the primary (if it has cells)
    and from each of the ``n_sites - 1`` largest metastases that have cells."""
    final = patient.site_cells()
    mets = sorted((s for s in patient.sites[1:] if final[s] >= 1), key=lambda s: -final[s])
    chosen = ([PRIMARY] if final[PRIMARY] >= 1 else []) + mets[: max(n_sites - 1, 0)]
    return {s: per_site for s in chosen}


def shared_events(summary: dict[str, Any], times: Array, founding: Array, met: Array,
                  visible: float) -> dict[str, Any]:
    """The summary keys the other engines report, for one stochastic patient: ``resection_day``
    (the primary's end when it was resected), ``lead_time_days``/``_years`` (diagnosis minus the
    first founding), and at diagnosis ``n_metastases_at_detection`` (founded by then),
    ``p_any_metastasis_at_detection`` (1 if any, else 0), ``n_visible_at_detection``,
    ``burden_at_detection_cells`` and ``visible_burden_at_detection_cells`` (each metastasis'
    cells interpolated linearly between the output days around diagnosis). None where the event
    never happens. ``founding``: the founding day of each row of ``met`` (cells on ``times``)."""
    det, first = summary["detection_day"], summary["first_metastasis_day"]
    lead = det - first if det is not None and first is not None else None
    out: dict[str, Any] = {
        "resection_day": summary["primary_end_day"] if summary["primary_status"] == "resected"
        else None,
        "lead_time_days": lead,
        "lead_time_years": lead / 365.25 if lead is not None else None,
    }
    at = ("n_metastases_at_detection", "p_any_metastasis_at_detection", "n_visible_at_detection",
          "burden_at_detection_cells", "visible_burden_at_detection_cells")
    if det is None:
        return {**out, **dict.fromkeys(at)}
    by_then = founding <= det
    n = float(by_then.sum())
    cells = np.array([np.interp(det, times, row) if f else 0.0
                      for row, f in zip(met, by_then, strict=True)], dtype=np.float64)
    seen = cells >= visible
    return {**out, **dict(zip(at, (n, float(n > 0), float(seen.sum()), float(cells.sum()),
                                   float(cells[seen].sum())), strict=True))}


def patient_result(patient: CellScalePatient, scenario: Scenario,
                   rng: np.random.Generator | None = None) -> CellScaleResult:
    """The :class:`~metacascade.result.cellscale.CellScaleResult` of one simulated patient: cells
    of the primary and of every metastasis over time, founded and visible metastases, burden by
    organ, key events, the clone and metastasis tables, the primary's clone history and (with
    ``rng``) the genealogy of the cells of :func:`genealogy_samples`."""
    import xarray as xr

    from metacascade._version import __version__
    from metacascade.biology.growth import cells_from_diameter_mm
    from metacascade.engines.checks import check_physical
    from metacascade.engines.organism import lethal_burden
    from metacascade.result.cellscale import METASTASIS_COLUMNS, CellScaleResult

    times = patient.times
    names = patient.sites[1:]
    primary = np.nan_to_num(patient.cells[PRIMARY], nan=0.0)
    met = np.array([np.nan_to_num(patient.cells[n], nan=0.0) for n in names]).reshape(-1,
                                                                                      times.size)
    visible = float(cells_from_diameter_mm(scenario.detection.visible_diameter_mm))
    seen = met >= visible
    founded = np.sort(patient.metastases["founding_day"].to_numpy(np.float64))
    organs = list(dict.fromkeys([*scenario.organs, *patient.metastases["organ"]]))
    of = patient.metastases["organ"].to_numpy()
    by_organ = np.array([met[of == o].sum(axis=0) for o in organs]).reshape(len(organs), -1)
    n_by_organ = np.array([np.searchsorted(np.sort(patient.metastases["founding_day"]
                                                   .to_numpy(np.float64)[of == o]), times,
                                           side="right") for o in organs],
                          dtype=np.float64).reshape(len(organs), -1)
    dims = ("time_days",)
    ts = xr.Dataset(
        {"primary_cells": (dims, primary, {"units": "cells", "long_name": "primary tumour size"}),
         "n_metastases": (dims, np.searchsorted(founded, times, side="right").astype(np.float64),
                          {"units": "metastases", "long_name": "metastases founded"}),
         "metastatic_burden_cells": (dims, met.sum(axis=0),
                                     {"units": "cells", "long_name": "metastatic burden"}),
         "n_visible": (dims, seen.sum(axis=0).astype(np.float64),
                       {"units": "metastases", "long_name": "visible metastases"}),
         "visible_burden_cells": (dims, np.where(seen, met, 0.0).sum(axis=0),
                                  {"units": "cells", "long_name": "burden in visible metastases"}),
         "p_any_metastasis": (dims, (np.searchsorted(founded, times, side="right") > 0)
                              .astype(np.float64), {"units": "1", "long_name":
                                                    "1 once a metastasis is founded (one patient)"}),
         "cells_by_site": (("time_days", "site"), np.column_stack([primary, *met]) if names
                           else primary[:, None], {"units": "cells",
                                                   "long_name": "cells of each tumour"}),
         "metastatic_burden_cells_by_organ": (("time_days", "organ"), by_organ.T,
                                              {"units": "cells",
                                               "long_name": "metastatic burden, by organ"}),
         "n_metastases_by_organ": (("time_days", "organ"), n_by_organ.T,
                                   {"units": "metastases", "long_name": "metastases, by organ"})},
        coords={"time_days": ("time_days", times, {"units": "day"}),
                "site": ("site", np.array(patient.sites, dtype=object)),
                "organ": ("organ", np.array(organs, dtype=object))},
        attrs={"engine": "stochastic cell-scale patient (engines/stochastic.py)"})
    vis_day = [float(times[np.argmax(seen[i])]) for i in range(len(names)) if seen[i].any()]
    summary: dict[str, Any] = {
        "detection_day": patient.detection_day if math.isfinite(patient.detection_day) else None,
        "primary_end_day": patient.primary_end_day,
        "primary_status": patient.primary_status,
        "attempts": patient.attempts,
        "first_metastasis_day": float(founded[0]) if founded.size else None,
        "first_visible_metastasis_day": min(vis_day) if vis_day else None,
        "n_metastases_final": float(founded.size),
        "n_visible_final": float(seen[:, -1].sum()) if names else 0.0,
        "metastatic_burden_cells_final": float(met[:, -1].sum()) if names else 0.0,
    }
    summary.update(shared_events(summary, times, patient.metastases["founding_day"]
                                 .to_numpy(np.float64), met, visible))
    summary.update(lethal_burden(times, primary, {o: by_organ[i] for i, o in enumerate(organs)},
                                 scenario))
    check_physical(ts, "stochastic engine", "the scenario's growth and seeding values")
    tree = None
    samples = genealogy_samples(patient)
    if rng is not None and samples:
        from metacascade.engines.evolution import genealogy

        tree = genealogy(patient, samples, rng)
    summary["n_clones"] = float(len(patient.clones))
    return CellScaleResult(timeseries=ts, summary=summary, scenario=scenario, version=__version__,
                           seed=scenario.simulation.seed,
                           created=datetime.now(UTC).isoformat(timespec="seconds"),
                           clones=patient.clones,
                           metastases=patient.metastases[METASTASIS_COLUMNS],
                           clone_history=patient.clone_history, genealogy=tree)


class StochasticEngine:
    """The cell-scale engine as an :class:`~metacascade.engines.base.Engine`."""

    name = "stochastic"
    supports = SUPPORTS

    def check(self, scenario: Scenario) -> list[Problem]:
        return check_scenario(scenario, self.name)

    def run(self, scenario: Scenario, rng: np.random.Generator) -> CellScaleResult:
        patient = simulate_patient(cell_scale_parameters(scenario), rng)
        return patient_result(patient, scenario, rng)


ENGINE = StochasticEngine()


def _law(law: str, g: Any) -> GrowthLaw:
    return make_growth_law(law, g.rate_per_day, g.carrying_capacity_cells, g.power_law_exponent)


def cell_scale_parameters(scenario: Scenario, **numerics: Any) -> CellScaleParameters:
    """The cell-scale parameters of a scenario (``numerics`` overrides engine settings such as
    ``exact_below_cells``). Sections read: primary, metastasis, dissemination (+ cascade, stem_cells,
    lymphatics and organs for the cascade model), mutation, dormancy, detection, treatment,
    systemic, simulation."""
    sc = scenario
    if sc.primary.initial_cells != round(sc.primary.initial_cells):
        raise ScenarioError(f"primary.initial_cells = {sc.primary.initial_cells:g}: the cell-scale "
                            "engine needs a whole number of cells")
    mg = sc.metastasis_growth()
    stem = sc.stem_cells.fraction
    organs = tuple(sc.organs)
    if sc.dissemination.model == "cascade":
        from metacascade.engines.spread import organ_factors

        f = organ_factors([sc])
        p_col = f.colonisation(np.zeros((1, len(f.organs))))[0]
        per_organ = f.multiplier[0] * (f.d_blood[0] * f.q_blood[0] + f.d_lymph[0] * f.q_lymph[0]) \
            * p_col  # founding events per cell^gamma per day, by organ
        kappa = float(per_organ.sum())
        organs = tuple(f.organs)
        weights = tuple(float(x) for x in (per_organ / kappa if kappa > 0
                                           else np.ones(len(organs)) / len(organs)))
    else:
        kappa = sc.dissemination.mu if stem > 0 else 0.0
        weights = tuple(sc.organs[o].seeding_fraction for o in organs)
    tr = sc.treatment
    sim = sc.simulation
    dm = sc.dormancy
    from metacascade.scenario import resolve

    signals = resolve.systemic(sc)
    mu = sc.mutation
    kw: dict[str, Any] = dict(
        primary_law=_law(sc.primary.growth, sc.primary),
        metastasis_law=_law(sc.metastasis_growth_law(), mg),
        primary_cells=int(round(sc.primary.initial_cells)),
        metastasis_cells=float(mg.initial_cells),
        beta=mu.net_growth_fraction, mutation_rate=mu.rate_per_division,
        driver_rate=mu.driver_rate_per_division, driver_fitness=mu.driver_fitness,
        trait=mu.metastatic_trait, trait_factor=mu.metastatic_trait_factor,
        trait_rate=mu.metastatic_trait_rate_per_division,
        seeding_rate=kappa, seeding_gamma=sc.dissemination.gamma, organs=organs,
        organ_weights=weights, cluster_size=sc.dissemination.cluster_size,
        seeding_from_cells=sc.dissemination.size_threshold_cells,
        seeding_from_day=sc.dissemination.start_day, latency_days=sc.dissemination.latency_days,
        dormant_fraction=dm.single_cell_fraction, dormancy_latency=dm.single_cell_latency,
        dormancy_median_days=dm.single_cell_median_days, dormancy_sigma=dm.single_cell_sigma,
        surgery_escape_probability=dm.surgery_escape_probability,
        detection_cells=sc.detection.primary_cells,
        resection_day=math.inf if tr.resection_day is None else tr.resection_day,
        resection_delay_days=tr.resection_delay_days if tr.resection_at_detection else math.inf,
        systemic=signals if signals.active else None,
        duration_days=sim.duration_days, step_days=sim.output_step_days)
    kw.update(numerics)
    return CellScaleParameters(**kw)


def simulate_scenario(scenario: Scenario, rng: np.random.Generator,
                      **numerics: Any) -> CellScalePatient:
    """One patient of the stochastic cell-scale engine, with its clone tree (Hu et al. 2019).

    The primary and every metastasis grow cell by cell as birth-death branching processes
    (exact below ``exact_below_cells``), with neutral mutations, drivers and a metastatic trait
    (the scenario's ``mutation`` section), seeding, dormancy and treatment as the scenario says.
    What :func:`metacascade.simulate` runs for ``engine="stochastic"``, without the Result: the
    patient's tables, for genealogies and virtual sequencing.

    Parameters
    ----------
    scenario : Scenario
        The patient; a section the engine cannot honour raises a ``ScenarioError`` naming it.
    rng : numpy.random.Generator
        The random stream (the same seed gives the same patient).
    **numerics : object
        Engine settings (and any other field of the engine's parameters) that override the
        scenario's, e.g. ``exact_below_cells`` (cells) or ``stop_primary_at_cells`` (cells).

    Returns
    -------
    CellScalePatient
        ``clones`` (one row per clone: site, parent, birth day, new mutations, fitness, final
        cells), ``metastases`` (founding day, primary cells at seeding, final cells, ...), the
        cell counts per site over time; ``ccf(sites)`` and ``mutations(sites)`` give the
        cancer-cell fractions of every clone and mutation.

    Examples
    --------
    >>> import numpy as np
    >>> import metacascade as mc
    >>> sc = mc.load_scenario("breast", ["simulation.duration_days=200"])
    >>> patient = mc.simulate_cell_scale(sc, np.random.default_rng(1))
    >>> reads = mc.virtual_sequencing(patient.mutations(), {"primary": 1},
    ...                               np.random.default_rng(2))
    """
    raise_problems("stochastic", check_scenario(scenario), scenario.name)
    return simulate_patient(cell_scale_parameters(scenario, **numerics), rng)
