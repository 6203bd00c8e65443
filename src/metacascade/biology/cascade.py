"""The metastatic cascade, step by step (seed statements S5 and S6; Luzzi et al. 1998; Chambers et al. 2002; Müller et al. 2001).

A cell that has left the primary tumour goes through these steps; each is a rate (day^-1) or a
probability (dimensionless, in [0, 1]):

1. **Detachment and local invasion** (S5): cells detach at ``detachment_rate_per_cell_day`` and
   invade the adjacent stroma with probability ``invasion_probability``.
2. **Intravasation** (S5: "extravasation into the tumor vasculature" read as intravasation) into
   blood vessels with probability ``intravasation_blood_probability``; into lymphatics with a
   probability proportional to the peritumoral lymphatic area (:mod:`metacascade.biology.lymphatics`).
   The product detachment x invasion x blood intravasation defaults to 3.2e-3 cells per tumour
   cell per day, the rate at which a growing MTW9 mammary carcinoma sheds cells into its efferent
   blood (Butler & Gullino, Cancer Res 1975;35:512); the split between the three factors is an
   assumption of this package.
3. **Survival in the circulation**: circulating cells die at ``ln 2 / ctc_half_life_hours``
   (Meng et al., Clin Cancer Res 2004: 1-2.4 h) and arrest at ``1 / mean_time_to_arrest_minutes``.
   Clusters (fraction ``cluster_fraction`` of the shed events) are ``cluster_advantage`` times more
   likely to found a metastasis (Aceto et al., Cell 2014;158:1110: 23-50 fold).
4. **Arrest in an organ**: the first capillary bed met keeps a fraction ``first_pass_retention`` of
   the cells (lung for venous/caval drainage and tail-vein injection, liver for portal drainage and
   mesenteric/portal injection; Weiss's "first-organ" effect; Chambers, Groom & MacDonald, Nat Rev
   Cancer 2002;2:563). Cells passing it reach the arterial circulation and arrest in organ o with
   probability ``flow_o * a_o`` per pass, ``a_o = min(1, retention_o + chemotaxis x cxcl12_o)``
   (blood-flow fractions of the cardiac output; **chemotaxis** toward CXCL12/CCL21-rich organs,
   Muller et al., Nature 2001;410:50); cells arrested nowhere return by the veins to the lung.
5. **Extravasation** (S6): an arrested cell attaches to the basement membrane through adhesion
   molecules and degrades the matrix with proteases, then migrates out of the vessel: rate
   ``extravasation_rate_per_day x adhesion_efficiency x protease_efficiency`` (both efficiencies
   are 1 by default; 0 is a knockout). While arrested it dies at the organ's
   ``intravascular_death_rate_per_day``.
6. **Fates after arrival** (Luzzi et al., Am J Pathol 1998;153:865): an extravasated cell dies, or
   becomes a solitary dormant cell, or (stem-like cells only, :mod:`metacascade.biology.stemcells`)
   starts dividing into a micrometastasis at ``initiation_rate_per_day``; dormant stem-like cells
   escape into a micrometastasis at ``dormancy_escape_rate_per_day``; a micrometastasis regresses
   at ``micrometastasis_death_rate_per_day`` or switches to progressive growth (a macroscopic
   tumour) at ``progression_rate_per_day`` times the niche factor of the organ
   (:mod:`metacascade.biology.niche`: a primed soil supports the growth of the colony, S11).

The post-arrival rates are calibrated by ``scripts/calibrate_cascade.py`` to Luzzi 1998 and Fidler
1970 (J Natl Cancer Inst 45:773); the calibrated values are stored in ``cascade_calibration.json``
beside this module and are the defaults here. Everything is a continuous-time Markov chain, so the
expected fractions in every state are exact (matrix exponential, :func:`expected_fates`), and the
stochastic injection experiment (``engines/injection.py``) can be checked against them.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from metacascade.biology.stemcells import StemCellReservoir

Array = npt.NDArray[np.float64]
Route = Literal["tail-vein", "portal-vein", "intracardiac", "caval", "portal", "lymph"]

MINUTES_PER_DAY = 1440.0
HOURS_PER_DAY = 24.0

#: Calibrated defaults (written by scripts/calibrate_cascade.py; never edited by hand).
CALIBRATION: dict[str, Any] = json.loads(
    (resources.files("metacascade.biology") / "cascade_calibration.json").read_text("utf-8"))
_CAL: dict[str, float] = CALIBRATION["parameters"]
def cascade_calibration() -> dict[str, Any]:
    """What the cascade defaults were fitted to (Luzzi et al. 1998; Fidler 1970).

    ``scripts/calibrate_cascade.py`` fits nine cascade rates to six fractions of injected cells
    measured by Luzzi 1998 (B16F1 melanoma, mouse liver) and Fidler 1970 (B16 melanoma, lung)
    and writes the result, which the package reads as its defaults.

    Returns
    -------
    dict
        A copy of the calibration record: ``parameters`` (the fitted values, probabilities
        dimensionless and rates per day), ``targets`` (each measured fraction: ``value``,
        ``tolerance`` and its ``scale``), ``measured`` (the model at the fit), ``priors`` and
        ``sources`` (the reference of each target, by the first word of its name).

    Examples
    --------
    >>> import metacascade as mc
    >>> mc.cascade_calibration()["targets"]["luzzi_extravasated_day3"]["value"]
    0.83
    """
    return copy.deepcopy(CALIBRATION)


#: The stem-like fraction is the stem-cell reservoir's (its default and source live there).
_STEM_FRACTION = next(f for f in fields(StemCellReservoir) if f.name == "fraction")


@dataclass(frozen=True)
class OrganSite:
    """One organ as seen by a circulating tumour cell.

    Parameters
    ----------
    blood_flow_fraction : share of the arterial cardiac output reaching the organ (1).
    retention : probability that a cell passing the organ's capillaries is mechanically trapped
        (size restriction) without chemotaxis (1).
    cxcl12 : chemokine weight of the organ (CXCL12, or CCL21 for lymph nodes), 0..1 (1).
    intravascular_death_rate_per_day : death rate of cells arrested in the organ's vessels (day^-1).
    niche_affinity : relative uptake of primary-derived niche signals (exosome integrins; 1).
    """

    blood_flow_fraction: float
    retention: float
    cxcl12: float
    intravascular_death_rate_per_day: float
    niche_affinity: float = 1.0


_LIVER_DEATH = _CAL["liver_intravascular_death_rate_per_day"]

#: Default organ table. Blood-flow fractions of the resting cardiac output follow the ICRP 89
#: reference values (Williams & Leggett, Clin Phys Physiol Meas 1989;10:187) [L]; liver counts the
#: hepatic artery plus the portal flow (which reaches it after the gut). Chemokine weights are the
#: relative CXCL12/CCL21 levels of Muller et al. 2001 (highest in lymph nodes and bone marrow, then
#: lung and liver) on a 0-1 scale [judgement]. Retention (size trapping) is 0.93 in the lung (0.99 with chemotaxis) and the
#: calibrated value in the liver (Luzzi 1998); elsewhere small [assumption]; zero in the bone
#: marrow (wide sinusoids; homing by CXCL12/CXCR4) and in lymph nodes (CCL21/CCR7 homing; Muller
#: 2001), so that these two organs are reached only by chemotaxis.
ORGAN_TABLE: dict[str, OrganSite] = {
    "lung": OrganSite(0.025, _CAL["lung_retention"], 0.6,
                      _CAL["lung_intravascular_death_rate_per_day"], 1.0),
    "liver": OrganSite(0.255, _CAL["liver_retention"], 0.6, _LIVER_DEATH, 1.0),
    "bone": OrganSite(0.05, 0.0, 1.0, _LIVER_DEATH, 1.0),
    "brain": OrganSite(0.12, 0.02, 0.1, _LIVER_DEATH, 1.0),
    "kidney": OrganSite(0.19, 0.05, 0.1, _LIVER_DEATH, 1.0),
    "adrenal": OrganSite(0.003, 0.3, 0.1, _LIVER_DEATH, 1.0),
    "skin": OrganSite(0.05, 0.02, 0.1, _LIVER_DEATH, 1.0),
    "muscle": OrganSite(0.17, 0.01, 0.05, _LIVER_DEATH, 1.0),
    "lymph_node": OrganSite(0.0, 0.0, 1.0, _LIVER_DEATH, 1.0),
    "other": OrganSite(0.137, 0.02, 0.0, _LIVER_DEATH, 1.0),
}
KNOWN_ORGANS: tuple[str, ...] = tuple(ORGAN_TABLE)
LYMPH_NODE = "lymph_node"

#: Names of the organ fates reported by the chain (order of the state blocks).
STAGES = ("arrested", "extravasated", "dormant_single", "micrometastasis", "macrometastasis")


@dataclass(frozen=True)
class CascadeParameters:
    """Rates (day^-1) and probabilities (1) of the cascade steps; see the module docstring."""

    detachment_rate_per_cell_day: float = field(default=0.016, metadata={"source": (
        "With invasion 0.5 and blood intravasation 0.4: 3.2e-3 cells entering the blood per "
        "cell per day (Butler & Gullino, Cancer Res 1975;35:512); split assumed.")})
    invasion_probability: float = field(default=0.5, metadata={"source": (
        "Assumption (see detachment_rate_per_cell_day).")})
    intravasation_blood_probability: float = field(default=0.4, metadata={"source": (
        "Assumption (see detachment_rate_per_cell_day).")})
    ctc_half_life_hours: float = field(default=1.7, metadata={"source": (
        "Meng et al., Clin Cancer Res 2004 (1-2.4 h) [L].")})
    mean_time_to_arrest_minutes: float = field(default=2.0, metadata={"source": (
        "Cells larger than capillaries arrest in the first pass (Chambers 2002) [L].")})
    cluster_fraction: float = field(default=0.03, metadata={"source": (
        "Aceto et al., Cell 2014;158:1110 (clusters are a few % of CTC events) [L].")})
    cluster_advantage: float = field(default=35.0, metadata={"source": (
        "Aceto et al. 2014: 23-50 fold (midpoint 35).")})
    chemotaxis_strength: float = field(default=0.1, metadata={"source": (
        "Muller et al., Nature 2001;410:50 (value assumed).")})
    adhesion_efficiency: float = field(default=1.0, metadata={"source": (
        "S6; 1 = calibrated cells.")})
    protease_efficiency: float = field(default=1.0, metadata={"source": (
        "S6; 1 = calibrated cells.")})
    extravasation_rate_per_day: float = field(
        default=_CAL["extravasation_rate_per_day"],
        metadata={"source": "Calibrated to Luzzi 1998 (scripts/calibrate_cascade.py)."})
    death_after_extravasation_rate_per_day: float = field(
        default=_CAL["death_after_extravasation_rate_per_day"],
        metadata={"source": "Calibrated to Luzzi 1998."})
    dormancy_entry_rate_per_day: float = field(
        default=_CAL["dormancy_entry_rate_per_day"],
        metadata={"source": "Calibrated to Luzzi 1998 (36 % dormant at day 13)."})
    initiation_rate_per_day: float = field(
        default=_CAL["initiation_rate_per_day"],
        metadata={"source": "Calibrated to Luzzi 1998 (2-2.5 % micrometastases at day 3)."})
    dormant_death_rate_per_day: float = field(
        default=_CAL["dormant_death_rate_per_day"],
        metadata={"source": "Calibrated to Luzzi 1998."})
    dormancy_escape_rate_per_day: float = field(default=1e-3, metadata={"source": (
        "Assumption (dormancy lasting years; Demicheli et al. 1997; Retsky et al. 1997).")})
    micrometastasis_death_rate_per_day: float = field(default=0.3, metadata={"source": (
        "Luzzi 1998: most micrometastases disappear by day 13 (value assumed).")})
    progression_rate_per_day: float = field(
        default=_CAL["progression_rate_per_day"],
        metadata={"source": "Calibrated to Luzzi 1998 (0.02 % macroscopic tumours at day 13)."})
    stem_fraction: float = field(default=StemCellReservoir.fraction,
                                 metadata=_STEM_FRACTION.metadata)
    organs: dict[str, OrganSite] = field(default_factory=lambda: dict(ORGAN_TABLE))

    # ---- derived rates ---------------------------------------------------------------------
    @property
    def circulation_death_rate(self) -> float:
        """ln 2 / half-life, day^-1."""
        return math.log(2.0) / (self.ctc_half_life_hours / HOURS_PER_DAY)

    @property
    def arrest_rate(self) -> float:
        return MINUTES_PER_DAY / self.mean_time_to_arrest_minutes

    @property
    def survival_probability(self) -> float:
        """Probability that a circulating cell arrests before it dies."""
        ka, kd = self.arrest_rate, self.circulation_death_rate
        return ka / (ka + kd)

    @property
    def extravasation_rate(self) -> float:
        return self.extravasation_rate_per_day * self.adhesion_efficiency * self.protease_efficiency

    @property
    def blood_shedding_rate_per_cell_day(self) -> float:
        """Cells entering the blood per tumour cell per day (detachment x invasion x intravasation)."""
        return (self.detachment_rate_per_cell_day * self.invasion_probability
                * self.intravasation_blood_probability)

    @property
    def cluster_factor(self) -> float:
        """Mean colonisation multiplier of a shed event, (1 - f_c) + f_c x advantage (Aceto 2014)."""
        return 1.0 - self.cluster_fraction + self.cluster_fraction * self.cluster_advantage

    def with_organs(self, names: list[str] | tuple[str, ...]) -> CascadeParameters:
        missing = [n for n in names if n not in self.organs]
        if missing:
            raise ValueError(f"unknown organ(s) {missing}; known organs: {', '.join(self.organs)}")
        return replace(self, organs={n: self.organs[n] for n in names})

    def organ_arrays(self) -> dict[str, Array]:
        names = list(self.organs)
        return {f: np.array([getattr(self.organs[n], f) for n in names], dtype=np.float64)
                for f in ("blood_flow_fraction", "retention", "cxcl12",
                          "intravascular_death_rate_per_day", "niche_affinity")}


# --------------------------------------------------------------------------------------------
# Arrest: where the surviving cells stop


def trapping(p: CascadeParameters) -> Array:
    """a_o = min(1, retention_o + chemotaxis x cxcl12_o): capture probability per passage."""
    o = p.organ_arrays()
    return np.asarray(np.clip(o["retention"] + p.chemotaxis_strength * o["cxcl12"], 0.0, 1.0))


def arrest_distribution(p: CascadeParameters, route: str) -> Array:
    """Probability that a cell which arrests somewhere arrests in each organ (sums to 1 or 0).

    ``route``: ``tail-vein``/``caval`` (first bed: lung), ``portal-vein``/``portal`` (first bed:
    liver, then lung), ``intracardiac`` (arterial first) or ``lymph`` (first: lymph node, then the
    thoracic duct into the veins). A cell not trapped on an arterial pass returns to the lung by
    the veins (geometric series over passes); organs absent from ``p.organs`` are skipped.
    """
    names = list(p.organs)
    o = p.organ_arrays()
    a = trapping(p)
    flow = o["blood_flow_fraction"]
    n = len(names)
    art = flow * a  # arrest per arterial pass in each organ
    art_total = float(art.sum())
    lung = names.index("lung") if "lung" in names else -1
    a_lung = a[lung] if lung >= 0 else 0.0
    # From the veins: lung first, then arterial; loop back to the veins.
    u = (1.0 - a_lung) * (1.0 - art_total)
    venous = np.zeros(n)
    if 1.0 - u > 1e-15:
        if lung >= 0:
            venous[lung] += a_lung / (1.0 - u)
        venous += (1.0 - a_lung) * art / (1.0 - u)
    if route in ("tail-vein", "caval"):
        out = venous
    elif route in ("portal-vein", "portal"):
        out = np.zeros(n)
        liver = names.index("liver") if "liver" in names else -1
        a_liver = a[liver] if liver >= 0 else 0.0
        if liver >= 0:
            out[liver] += a_liver
        out += (1.0 - a_liver) * venous
    elif route == "intracardiac":
        out = art + (1.0 - art_total) * venous
    elif route == "lymph":
        out = np.zeros(n)
        ln = names.index(LYMPH_NODE) if LYMPH_NODE in names else -1
        a_ln = a[ln] if ln >= 0 else 0.0
        if ln >= 0:
            out[ln] += a_ln
        out += (1.0 - a_ln) * venous
    else:
        raise ValueError(f"unknown route {route!r}; use tail-vein, portal-vein or intracardiac")
    return np.asarray(out, dtype=np.float64)


def arrival_distribution(p: CascadeParameters, route: str) -> Array:
    """Blood routes: arrest distribution, excluding lymph nodes (they are reached by lymph only);
    the lymph route keeps it. Sums to at most 1."""
    q = arrest_distribution(p, route)
    if route != "lymph" and LYMPH_NODE in p.organs:
        q = q.copy()
        q[list(p.organs).index(LYMPH_NODE)] = 0.0
    return q


# --------------------------------------------------------------------------------------------
# The Markov chain of one cell


@dataclass(frozen=True)
class ChainRates:
    """Per-organ rates of the post-arrest chain (arrays over organs, day^-1)."""

    extravasation: Array
    intravascular_death: Array
    death_after_extravasation: float
    dormancy_entry: float
    initiation: float  # for a stem-like cell
    dormant_death: float
    dormancy_escape: float  # for a stem-like cell
    micro_death: float
    progression: Array  # per organ (niche factor included)


def chain_rates(p: CascadeParameters, niche_factor: npt.ArrayLike = 1.0,
                skip_extravasation: npt.ArrayLike = False) -> ChainRates:
    """The per-organ rates; ``niche_factor`` multiplies progression (shape (O,) or scalar);
    ``skip_extravasation`` marks organs entered without crossing a vessel wall (lymph nodes)."""
    o = p.organ_arrays()
    n = len(o["retention"])
    ext = np.full(n, p.extravasation_rate)
    return ChainRates(
        extravasation=np.where(np.asarray(skip_extravasation, bool), np.inf, ext),
        intravascular_death=o["intravascular_death_rate_per_day"],
        death_after_extravasation=p.death_after_extravasation_rate_per_day,
        dormancy_entry=p.dormancy_entry_rate_per_day,
        initiation=p.initiation_rate_per_day,
        dormant_death=p.dormant_death_rate_per_day,
        dormancy_escape=p.dormancy_escape_rate_per_day,
        micro_death=p.micrometastasis_death_rate_per_day,
        progression=p.progression_rate_per_day * np.broadcast_to(
            np.asarray(niche_factor, dtype=np.float64), (n,)).copy(),
    )


def colonisation_probability(r: ChainRates, stem: bool = True, via_dormancy: bool = False) -> Array:
    """Probability that a cell arrested in each organ founds a progressively growing metastasis.

    Direct route A -> E -> micrometastasis -> macrometastasis; with ``via_dormancy`` also through
    the solitary dormant state (eventually, however long it takes). Non-stem cells never initiate.
    """
    if not stem:
        return np.zeros_like(r.intravascular_death)
    with np.errstate(invalid="ignore"):
        p_ext = np.where(np.isinf(r.extravasation), 1.0,
                         r.extravasation / (r.extravasation + r.intravascular_death))
    out_e = r.initiation + r.dormancy_entry + r.death_after_extravasation
    p_m = r.initiation / out_e
    if via_dormancy:
        p_q = r.dormancy_entry / out_e
        p_m = p_m + p_q * r.dormancy_escape / (r.dormancy_escape + r.dormant_death)
    p_big = r.progression / (r.progression + r.micro_death)
    return np.asarray(p_ext * p_m * p_big, dtype=np.float64)


# States of the chain: 0 circulating, then per organ (arrested, extravasated, dormant, micro,
# macro), then dead. Stem-like and other cells are separate chains.


def generator(p: CascadeParameters, route: str, stem: bool,
              niche_factor: npt.ArrayLike = 1.0) -> Array:
    """Transition-rate matrix Q (row = from) of one injected cell (day^-1)."""
    n = len(p.organs)
    r = chain_rates(p, niche_factor)
    q = arrest_distribution(p, route)
    size = 2 + 5 * n
    dead = size - 1
    g = np.zeros((size, size))
    g[0, 1 + 5 * np.arange(n)] = p.arrest_rate * q
    g[0, dead] = p.circulation_death_rate
    for k in range(n):
        a, e, d, m, big = 1 + 5 * k + np.arange(5)
        g[a, e] = r.extravasation[k]
        g[a, dead] = r.intravascular_death[k]
        g[e, dead] = r.death_after_extravasation
        g[e, d] = r.dormancy_entry
        g[e, m] = r.initiation if stem else 0.0
        g[d, m] = r.dormancy_escape if stem else 0.0
        g[d, dead] = r.dormant_death
        g[m, big] = r.progression[k]
        g[m, dead] = r.micro_death
    g[np.diag_indices(size)] = -g.sum(axis=1)
    return g


def expected_fates(p: CascadeParameters, route: str, times: npt.ArrayLike,
                   niche_factor: npt.ArrayLike = 1.0) -> dict[str, Array]:
    """Exact expected fraction of injected cells in each state at ``times`` (days).

    The Markov chain of the cascade (Luzzi et al. 1998's stages) propagated by matrix
    exponentials: a mixture of stem-like (fraction ``stem_fraction``) and other cells. The
    stochastic :func:`metacascade.inject` samples the same chain cell by cell.

    Parameters
    ----------
    p : CascadeParameters
        Probabilities (dimensionless) and rates (per day) of the cascade steps, per organ
        (:meth:`metacascade.Scenario.cascade_parameters`).
    route : str
        ``"tail-vein"``, ``"portal-vein"`` or ``"intracardiac"``.
    times : array of float
        Output times in days after injection.
    niche_factor : float or array of float
        Multiplier (dimensionless) of colonisation per organ by a prepared niche.

    Returns
    -------
    dict of str to ndarray
        Arrays over ``times`` for ``circulating, arrested, extravasated, dead, dormant_single,
        micrometastasis, macrometastasis`` (fractions of the injected cells, summing to 1) and
        ``by_organ`` (times x organs x 5: the stages of :data:`STAGES` per organ).

    Examples
    --------
    >>> import metacascade as mc
    >>> p = mc.Scenario().cascade_parameters(all_organs=True)
    >>> f = mc.expected_fates(p, "portal-vein", [1.5, 7.0])
    >>> bool(abs(sum(f[k][0] for k in ("circulating", "arrested", "extravasated", "dead",
    ...      "dormant_single", "micrometastasis", "macrometastasis")) - 1.0) < 1e-9)
    True
    """
    import scipy.linalg  # here, not at import: most commands never propagate the cascade chain

    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    n = len(p.organs)
    size = 2 + 5 * n
    x0 = np.zeros(size)
    x0[0] = 1.0
    probs = np.zeros((len(t), size))
    order = np.argsort(t)
    for stem, w in ((True, p.stem_fraction), (False, 1.0 - p.stem_fraction)):
        if w <= 0:
            continue
        g = generator(p, route, stem, niche_factor)
        # propagate from one sorted time to the next; equal steps share one matrix exponential
        cache: dict[float, Array] = {}
        x, t_prev = x0.copy(), 0.0
        for i in order:
            dt = round(float(t[i] - t_prev), 12)
            if dt > 0:
                if dt not in cache:
                    cache[dt] = scipy.linalg.expm(g * dt)
                x = x @ cache[dt]
            probs[i] += w * x
            t_prev = float(t[i])
    by_organ = probs[:, 1:-1].reshape(len(t), n, 5)
    out = {"circulating": probs[:, 0], "dead": probs[:, -1], "by_organ": by_organ}
    for k, name in enumerate(STAGES):
        out[name] = by_organ[:, :, k].sum(axis=1)
    return out


def efficiency(p: CascadeParameters, route: str, niche_factor: npt.ArrayLike = 1.0) -> float:
    """Eventual probability that an injected cell founds a macroscopic tumour (direct route and
    through dormancy), Markov-chain absorption."""
    q = arrest_distribution(p, route) * p.survival_probability
    r = chain_rates(p, niche_factor)
    pc = colonisation_probability(r, stem=True, via_dormancy=True)
    return float(p.stem_fraction * np.sum(q * pc))
