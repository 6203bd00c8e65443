"""The scenario's sections and :class:`Scenario`.

Fields are made with :func:`~metacascade.scenario.fields.param` (a parameter only the scenario has)
or :func:`~metacascade.scenario.fields.cited` (a biology parameter: its default and source are
read from the dataclass in :mod:`metacascade.biology`); see :mod:`metacascade.scenario.fields`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic.fields import FieldInfo

from metacascade.biology import cascade as _cascade
from metacascade.biology.bone import (
    JOHNSON2011_INOCULUM_CELLS,
    LemaireParameters,
    PowerLawBoneParameters,
)
from metacascade.biology.dormancy import DormancyParameters, LatencyName
from metacascade.biology.growth import GrowthLaw
from metacascade.biology.lymphatics import LymphaticParameters
from metacascade.biology.niche import NicheParameters
from metacascade.biology.stemcells import StemCellReservoir
from metacascade.biology.systemic import HahnfeldtParameters, SystemicSignals
from metacascade.scenario import resolve
from metacascade.scenario.fields import Integer, ShortName, Strict, cited, param

GrowthName = Literal["exponential", "gompertz", "logistic", "power_law"]


class GrowthParameters(Strict):
    """Parameters shared by the primary and the metastatic growth laws."""

    initial_cells: float = param(
        1.0,
        unit="cells",
        gt=0,
        le=1e13,
        description="Size at time zero (primary) or at birth (metastasis).",
        source="One founder cell (Iwata 2000; Benzekry 2021).",
    )
    rate_per_day: float | None = param(
        None,
        unit="day^-1 (power law: cells^(1-p) day^-1)",
        gt=0,
        le=100,
        description=(
            "Growth rate: exponential dV/dt = r V; Gompertz dV/dt = r V ln(K/V); logistic "
            "dV/dt = r V (1 - V/K); power law dV/dt = r V^p. Optional in the schema: required by "
            "every law of the primary; for metastases unset means the primary's (same_as_primary)."
        ),
    )
    carrying_capacity_cells: float | None = param(
        None,
        unit="cells",
        gt=1,
        le=1e14,
        description="Plateau size K of the Gompertz and logistic laws (optional: unset for the "
                    "exponential and power laws, which have none).",
    )
    power_law_exponent: float | None = param(
        None,
        unit="1",
        gt=0,
        lt=1,
        description="Exponent p of the power law dV/dt = r V^p (optional: only the power law "
                    "uses it).",
    )

    def _check_law(self, law: str, where: str) -> None:
        if self.rate_per_day is None:
            raise ValueError(f"{where}.rate_per_day is required for growth {law!r}")
        if law in ("gompertz", "logistic"):
            if self.carrying_capacity_cells is None:
                raise ValueError(f"{where}.carrying_capacity_cells is required for growth {law!r}")
            if self.initial_cells >= self.carrying_capacity_cells:
                raise ValueError(
                    f"{where}.initial_cells = {self.initial_cells:g} must be below "
                    f"{where}.carrying_capacity_cells = {self.carrying_capacity_cells:g}"
                )
        if law == "power_law" and self.power_law_exponent is None:
            raise ValueError(f"{where}.power_law_exponent is required for growth 'power_law'")


class Primary(GrowthParameters):
    """The primary tumour, grown from ``initial_cells`` at day 0."""

    growth: GrowthName = param(
        "gompertz",
        unit="-",
        description="Growth law of the primary tumour.",
        source="Gompertz: Norton 1988; Iwata 2000.",
    )

    @model_validator(mode="after")
    def _laws(self) -> Primary:
        self._check_law(self.growth, "primary")
        return self


class Metastasis(GrowthParameters):
    """Growth of every metastasis from its birth size."""

    growth: GrowthName | Literal["same_as_primary"] = param(
        "same_as_primary",
        unit="-",
        description=(
            "Growth law of metastases; 'same_as_primary' copies the primary's law and parameters "
            "(Iwata 2000; Benzekry 2021)."
        ),
    )

    @model_validator(mode="after")
    def _laws(self) -> Metastasis:
        if self.growth != "same_as_primary":
            self._check_law(self.growth, "metastasis")
        return self


class Dissemination(Strict):
    """Seeding of new metastases at rate d(V) = mu V^gamma (Iwata et al. 2000; Benzekry et al. 2016)."""

    mu: float = param(
        1e-11,
        unit="cell^-gamma day^-1",
        ge=0,
        le=1e3,
        description="Dissemination coefficient mu of d(V) = mu V^gamma.",
        source="~1e-11 for gamma = 1 (Benzekry breast/neuroblastoma fits; Benzekry et al. 2016, 2021).",
    )
    gamma: float = param(
        1.0,
        unit="1",
        ge=0,
        le=1,
        description="Shedding exponent gamma (1: every cell may leave; 2/3: surface shedding).",
        source="Benzekry 2016, 2021 (gamma = 1); Iwata 2000 (0.663).",
    )
    secondary: bool = param(
        False,
        unit="-",
        description="Metastases also seed metastases (renewal equation; Iwata 2000).",
    )
    size_threshold_cells: float = param(
        0.0,
        unit="cells",
        ge=0,
        le=1e14,
        description="The primary seeds only once it holds at least this many cells (V_d0).",
        source="Benzekry model_met_discrete.m; 0 = no threshold.",
    )
    start_day: float = param(
        0.0,
        unit="day",
        ge=0,
        le=1e6,
        description="No seeding before this day (t_d0).",
        source="Benzekry model_met_discrete.m; 0 = no threshold.",
    )
    latency_days: float = param(
        0.0,
        unit="day",
        ge=0,
        le=1e5,
        description="A new metastasis stays at its birth size for this long before growing (tau0).",
        source="Benzekry code; Bilous 2019 fitted 4.4-5.7 months for NSCLC brain metastases.",
    )
    model: Literal["power", "cascade"] = param(
        "power",
        unit="-",
        description=(
            "'power': one rate mu V^gamma split by organs.*.seeding_fraction; 'cascade': per-organ "
            "rate = shedding x survival x arrest x extravasation x colonisation (niche) x stem "
            "fraction, from the cascade, niche, lymphatics and stem_cells sections (gamma is kept "
            "as the shedding exponent; mu is not used)."
        ),
        source="power: Iwata 2000, Benzekry 2016; cascade: Luzzi et al. 1998; Chambers et al. 2002; Kaplan et al. 2005; Müller et al. 2001.",
    )
    cluster_size: Integer = param(
        1, unit="cells", ge=1, le=1000,
        description="Cells founding one metastasis, drawn together from the primary (cell-scale "
                    "engine).",
        source="One cell, as SCIMET (cluster_size = 1; Hu et al., Nat Genet 2019).")


_CP = _cascade.CascadeParameters
_PROB = {"ge": 0, "le": 1}


class Cascade(Strict):
    """The steps of the metastatic cascade (S5, S6; see metacascade.biology.cascade)."""

    detachment_rate_per_cell_day: float = cited(
        _CP, "detachment_rate_per_cell_day", unit="day^-1", ge=0, le=10,
        description="Cells detaching from the primary per tumour cell per day.")
    invasion_probability: float = cited(
        _CP, "invasion_probability", unit="1", **_PROB,
        description="Probability that a detached cell invades the adjacent tissue.")
    intravasation_blood_probability: float = cited(
        _CP, "intravasation_blood_probability", unit="1", **_PROB,
        description="Probability that an invading cell enters a blood vessel.")
    venous_drainage: Literal["caval", "portal"] = param(
        "caval", unit="-",
        description="Venous drainage of the primary: caval (first capillary bed: lung) or portal "
                    "(first bed: liver; e.g. colorectal).",
        source="Weiss's first-organ effect; Chambers et al., Nat Rev Cancer 2002;2:563.")
    ctc_half_life_hours: float = cited(
        _CP, "ctc_half_life_hours", unit="h", gt=0, le=1000,
        description="Half-life of tumour cells in the circulation.")
    mean_time_to_arrest_minutes: float = cited(
        _CP, "mean_time_to_arrest_minutes", unit="min", gt=0, le=1e5,
        description="Mean time from entering the blood to arrest in a capillary bed.")
    cluster_fraction: float = cited(
        _CP, "cluster_fraction", unit="1", **_PROB,
        description="Fraction of shed events that are clusters of cells.")
    cluster_advantage: float = cited(
        _CP, "cluster_advantage", unit="1", ge=1, le=1000,
        description="Metastatic potential of a cluster relative to a single cell.")
    chemotaxis_strength: float = cited(
        _CP, "chemotaxis_strength", unit="1", ge=0, le=10,
        description="Extra capture probability per unit organ chemokine weight (CXCL12/CXCR4); "
                    "0 knocks chemotaxis out.")
    adhesion_efficiency: float = cited(
        _CP, "adhesion_efficiency", unit="1", **_PROB,
        description="Relative attachment to the basement membrane by adhesion molecules "
                    "(0 = knockout).")
    protease_efficiency: float = cited(
        _CP, "protease_efficiency", unit="1", **_PROB,
        description="Relative matrix degradation by proteases and migration (0 = knockout).")
    extravasation_rate_per_day: float = cited(
        _CP, "extravasation_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Rate at which an arrested cell leaves the vessel (times both efficiencies).")
    death_after_extravasation_rate_per_day: float = cited(
        _CP, "death_after_extravasation_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Death rate of an extravasated cell that has not yet become dormant or "
                    "started dividing.")
    dormancy_entry_rate_per_day: float = cited(
        _CP, "dormancy_entry_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Rate at which an extravasated cell becomes a solitary dormant cell.")
    initiation_rate_per_day: float = cited(
        _CP, "initiation_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Rate at which an extravasated stem-like cell starts dividing (naive organ).")
    dormant_death_rate_per_day: float = cited(
        _CP, "dormant_death_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Death rate of solitary dormant cells.")
    dormancy_escape_rate_per_day: float = cited(
        _CP, "dormancy_escape_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Rate at which a dormant stem-like cell starts dividing.")
    micrometastasis_death_rate_per_day: float = cited(
        _CP, "micrometastasis_death_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Regression rate of micrometastases.")
    progression_rate_per_day: float = cited(
        _CP, "progression_rate_per_day", unit="day^-1", ge=0, le=1e4,
        description="Rate at which a micrometastasis switches to progressive growth.")


class Niche(Strict):
    """Pre-metastatic niche readiness (S2, S10, S11; metacascade.biology.niche)."""

    priming_rate_per_day: float = cited(
        NicheParameters, "priming_rate_per_day", unit="day^-1", ge=0, le=1e3,
        description="k': priming rate per unit signal (0 blocks the niche signal).")
    decay_rate_per_day: float = cited(
        NicheParameters, "decay_rate_per_day", unit="day^-1", gt=0, le=1e3,
        description="k_decay: loss of readiness (after resection the only term).")
    secretion_power: float = cited(
        NicheParameters, "secretion_power", unit="1", ge=0, le=2,
        description="S(Vp) = (Vp / reference_cells)^power (1: every cell secretes; 2/3: surface).")
    reference_cells: float = cited(
        NicheParameters, "reference_cells", unit="cells", gt=0, le=1e14,
        description="Primary size giving unit signal.")
    gain: float = cited(
        NicheParameters, "gain", unit="1", ge=0, le=1e4,
        description="A fully primed organ multiplies the progression rate of micrometastases "
                    "by 1 + gain.")


class Lymphatics(Strict):
    """Lymphatic vessels of the primary and the regional lymph node (S4)."""

    intratumoral_lvd_per_mm2: float = cited(
        LymphaticParameters, "intratumoral_lvd_per_mm2", unit="vessels/mm^2", ge=0, le=1e4,
        description="Intratumoral lymphatic vessel density.")
    peritumoral_lvd_per_mm2: float = cited(
        LymphaticParameters, "peritumoral_lvd_per_mm2", unit="vessels/mm^2", ge=0, le=1e4,
        description="Peritumoral lymphatic vessel density.")
    intratumoral_vessel_area_um2: float = cited(
        LymphaticParameters, "intratumoral_vessel_area_um2", unit="um^2", ge=0, le=1e6,
        description="Mean cross-section of intratumoral lymphatics (collapsed).")
    peritumoral_vessel_area_um2: float = cited(
        LymphaticParameters, "peritumoral_vessel_area_um2", unit="um^2", ge=0, le=1e6,
        description="Mean cross-section of peritumoral lymphatics (larger).")
    entry_per_area: float = cited(
        LymphaticParameters, "entry_per_area", unit="1", ge=0, le=1e4,
        description="Lymphatic entry probability per unit lymphatic area fraction.")
    functional_intratumoral: float = cited(
        LymphaticParameters, "functional_intratumoral", unit="1", **_PROB,
        description="Share of intratumoral lymphatics that drain.")
    reseeding_rate_per_cell_day: float = cited(
        LymphaticParameters, "reseeding_rate_per_cell_day", unit="day^-1", ge=0, le=10,
        description="Cells entering the blood per lymph-node metastasis cell per day.")


class StemCells(Strict):
    """The stem-like reservoir of the primary (S9; metacascade.biology.stemcells)."""

    fraction: float = cited(
        StemCellReservoir, "fraction", unit="1", **_PROB,
        description="Share of shed cells that are stem-like and alone can found metastases.")


class Organ(Strict):
    """A site of metastasis and its share of arriving metastases."""

    seeding_fraction: float = param(
        1.0,
        unit="1",
        ge=0,
        le=1,
        description="Fraction of new metastases that settle in this organ (fractions sum to 1).",
    )
    description: str = param("", unit="-", max_length=10_000, description="Free text.")
    blood_flow_fraction: float | None = param(
        None, unit="1", ge=0, le=1,
        description="Share of the arterial cardiac output (cascade model; optional: unset takes "
                    "the organ table's value; when set for one organ, set for all, summing to 1).",
        source="ICRP 89 reference values (Williams & Leggett 1989) [L].")
    retention: float | None = param(
        None, unit="1", ge=0, le=1,
        description="Mechanical capture probability per passage (cascade model; optional: "
                    "unset takes the organ table's value).")
    cxcl12: float | None = param(
        None, unit="1", ge=0, le=1,
        description="Chemokine weight (CXCL12; CCL21 for lymph nodes) (cascade model; optional: "
                    "unset takes the organ table's value).",
        source="Muller et al., Nature 2001;410:50.")
    intravascular_death_rate_per_day: float | None = param(
        None, unit="day^-1", ge=0, le=1e5,
        description="Death rate of cells arrested in the organ's vessels (cascade model; "
                    "optional: unset takes the organ table's value).",
        source="Calibrated: liver to Luzzi 1998, lung to Fidler 1970.")
    niche_affinity: float | None = param(
        None, unit="1", ge=0, le=1e3,
        description="Relative uptake of the primary's niche signals (Hoshino 2015 organotropism; "
                    "optional: unset takes the organ table's value).")
    lethal_cells: float | None = param(
        None, unit="cells", gt=1, le=1e14,
        description="Metastatic burden in this organ that is lethal by itself (optional; unset: "
                    "only the "
                    "total burden of death.lethal_burden_cells counts).")


class Detection(Strict):
    """When lesions are clinically seen."""

    primary_cells: float = param(
        1e9,
        unit="cells",
        gt=1,
        le=1e14,
        description="Size at which the primary tumour is detected (diagnosis).",
        source="About 1 cm^3 = 1e9 cells (Friberg & Mattson 1997; docs/scenarios.md).",
    )
    visible_diameter_mm: float = param(
        5.0,
        unit="mm",
        gt=0,
        le=500,
        description="Diameter above which a metastasis is visible on imaging.",
        source="Order of CT slice thickness, 5 mm (Eisenhauer et al. 2009, RECIST 1.1).",
    )
    screening_interval_days: float | None = param(
        None, unit="day", gt=0, le=1e5,
        description="Screening every this many days (optional; unset: no screening, detection by "
                    "size only).")
    screening_primary_cells: float = param(
        6.5e7, unit="cells", gt=1, le=1e14,
        description="Smallest primary found at a screening visit (default: a 5 mm lesion).",
        source="Mammographic detection threshold of about 5 mm (Michaelson et al. 2003, "
               "Cancer 98:2114) [L].")


class TreatmentEvent(Strict):
    """One drug schedule: doses of ``dose`` every ``interval_days`` from ``start_day``.

    Which drugs an engine understands (and the unit of the dose) is documented by that engine;
    an unknown drug name is reported as an error by the engine that reads the events.
    """

    drug: ShortName = param(..., unit="-",
                            description="Drug name, e.g. denosumab, zoledronic_acid.")
    start_day: float = param(..., unit="day", ge=0, le=1e6, description="Day of the first dose.")
    dose: float = param(1.0, unit="drug-specific (see the engine's documentation)", ge=0,
                        le=1e6, description="Amount per dose.")
    interval_days: float | None = param(
        None, unit="day", gt=0, le=1e5,
        description="Days between doses (optional; unset: a single dose).")
    n_doses: Integer | None = param(
        None, unit="-", ge=1, le=100_000,
        description="Number of doses (optional; unset: until the end of the simulation when an "
                    "interval "
                    "is given, else 1).")


class Treatment(Strict):
    """Treatment events. Resection of the primary stops its seeding."""

    events: list[TreatmentEvent] = param(
        [], unit="-", max_length=1000, description="Drug schedules (each with a drug name, start day, dose and "
                                  "interval).")

    resection_day: float | None = param(
        None,
        unit="day",
        ge=0,
        le=1e6,
        description="Day of resection of the primary tumour (optional; unset: no resection on a "
                    "fixed day).",
    )
    resection_at_detection: bool = param(
        False,
        unit="-",
        description="Resect the primary on the day it reaches detection.primary_cells.",
    )
    resection_delay_days: float = param(
        0.0, unit="day", ge=0, le=1e5,
        description="With resection_at_detection: surgery this many days after diagnosis.")


class Simulation(Strict):
    """Numerical settings."""

    duration_days: float = param(
        3650.0, unit="day", gt=0, le=1e5, description="Simulated time span from the first cell."
    )
    output_step_days: float = param(
        1.0, unit="day", gt=0, le=1e4, description="Spacing of the reported time series."
    )
    max_internal_step_days: float | None = param(
        None,
        unit="day",
        gt=0,
        le=1e4,
        description=(
            "Upper bound on the internal birth-cohort width (optional; unset: chosen from the "
            "fastest growth rate, 0.1 / rate, dividing the output step)."
        ),
    )
    seed: Integer = param(
        0,
        unit="-",
        ge=0,
        le=2**63 - 1,
        description="Random seed (recorded in every output; stochastic engines use it).",
    )

    @model_validator(mode="after")
    def _steps(self) -> Simulation:
        if self.output_step_days > self.duration_days:
            raise ValueError(
                f"simulation.output_step_days = {self.output_step_days:g} exceeds "
                f"simulation.duration_days = {self.duration_days:g}"
            )
        n = self.duration_days / self.output_step_days
        if n > 2_000_000:
            raise ValueError(
                f"simulation.duration_days / output_step_days = {n:.3g} output points; "
                "at most 2e6 are allowed"
            )
        return self


BoneModelName = Literal["komarova", "ayati", "vicious_cycle"]
#: Presets whose values are scenario defaults: the Ayati 2010 tumour rate and the Johnson 2011 fit.
_AYATI2010 = PowerLawBoneParameters.ayati2010()
_JOHNSON2011 = LemaireParameters.johnson2011()


class BonePowerLaw(Strict):
    """Komarova 2003 / Ayati 2010 power-law parameters (models 'komarova' and 'ayati')."""

    alpha1: float = cited(
        PowerLawBoneParameters, "alpha1", unit="cells^(1-g) day^-1", gt=0, le=1e3,
        description="Osteoclast production.")
    alpha2: float = cited(
        PowerLawBoneParameters, "alpha2", unit="cells^(1-g) day^-1", gt=0, le=1e3,
        description="Osteoblast production.")
    beta1: float = cited(
        PowerLawBoneParameters, "beta1", unit="day^-1", gt=0, le=100,
        description="Osteoclast removal.")
    beta2: float = cited(
        PowerLawBoneParameters, "beta2", unit="day^-1", gt=0, le=100,
        description="Osteoblast removal.")
    g11: float = cited(
        PowerLawBoneParameters, "g11", unit="1", ge=-5, le=5,
        description="Osteoclast autocrine exponent.")
    g12: float = cited(
        PowerLawBoneParameters, "g12", unit="1", ge=-5, le=5,
        description="Osteoclast -> osteoblast paracrine exponent.")
    g21: float = cited(
        PowerLawBoneParameters, "g21", unit="1", ge=-5, le=5,
        description="Osteoblast -> osteoclast paracrine exponent.")
    g22: float = cited(
        PowerLawBoneParameters, "g22", unit="1", ge=-5, le=5,
        description="Osteoblast autocrine exponent.")
    k1: float = cited(
        PowerLawBoneParameters, "k1", unit="% cell^-1 day^-1", ge=0, le=100,
        description="Resorption per osteoclast above steady state.")
    k2: float = cited(
        PowerLawBoneParameters, "k2", unit="% cell^-1 day^-1", ge=0, le=100,
        description="Formation per osteoblast above steady state.")
    osteoclasts_initial: float = param(11.0, unit="cells", gt=0, le=1e9,
                                       description="Osteoclasts at day 0.",
                                       source="BIOMD0000000148 (remodelling event)")
    osteoblasts_initial: float = param(212.0, unit="cells", gt=0, le=1e9,
                                       description="Osteoblasts at day 0.",
                                       source="BIOMD0000000148")
    tumour_initial: float = param(0.0, unit="% of tumour capacity", ge=0, le=1e3,
                                  description="Tumour at day 0 (0: no tumour).",
                                  source="Ayati 2010 uses 1")
    tumour_capacity: float = cited(
        PowerLawBoneParameters, "lt", unit="%", gt=0, le=1e3,
        description="Tumour capacity LT (Gompertz).")
    tumour_rate_per_day: float = cited(
        _AYATI2010, "gamma_t", unit="day^-1", ge=0, le=10,
        description="Gompertz rate gammaT of the tumour.")
    r11: float = cited(
        PowerLawBoneParameters, "r11", unit="1", ge=0, le=10,
        description="Tumour effect on g11.")
    r21: float = cited(
        PowerLawBoneParameters, "r21", unit="1", ge=0, le=10,
        description="Tumour effect on g21.")
    r12: float = cited(
        PowerLawBoneParameters, "r12", unit="1", ge=0, le=10,
        description="Tumour effect on g12.")
    r22: float = cited(
        PowerLawBoneParameters, "r22", unit="1", ge=0, le=10,
        description="Tumour effect on g22.")
    treatment_v1: float = cited(
        PowerLawBoneParameters, "v1", unit="day^-1", ge=0, le=10,
        description="Drop of osteoblast removal beta2 per unit level of "
                    "the drug proteasome_inhibitor.")
    treatment_v2: float = cited(
        PowerLawBoneParameters, "v2", unit="day^-1", ge=0, le=10,
        description="Drop of the tumour rate gammaT per unit level of the "
                    "drug proteasome_inhibitor.")
    switch_eps: float = param(0.0, unit="cells", ge=0, le=1e3,
                              description="Width of the smoothed max(., 0) switch (0: exact); "
                                          "bone-mass error <= (k1 + k2) eps/2 % per day.")


class BoneViciousCycle(Strict):
    """Lemaire 2004 RANKL/RANK/OPG model with the tumour (model 'vicious_cycle').

    Lemaire's cell-level constants not listed here keep their published values (Lemaire 2004
    Table 1; see metacascade.biology.bone.LemaireParameters).
    """

    tumour_initial_cells: float = param(JOHNSON2011_INOCULUM_CELLS, unit="cells", ge=0, le=1e12,
                                        description="Tumour cells in the lesion at day 0.")
    tumour_rate_per_day: float = cited(
        _JOHNSON2011, "r_t", unit="day^-1", ge=0, le=10,
        description="Logistic growth rate r_T in healthy bone.")
    tumour_capacity_cells: float = cited(
        _JOHNSON2011, "k_t", unit="cells", gt=0, le=1e13,
        description="Logistic capacity K_T of the lesion.")
    pthrp_per_cell: float = cited(
        _JOHNSON2011, "s_pthrp", unit="pM day^-1 cell^-1", ge=0, le=1e3,
        description="Tumour PTHrP added to the PTH input "
                    "(raises RANKL, lowers OPG).")
    tgf_growth_gain: float = cited(
        _JOHNSON2011, "eps_tgf", unit="1", ge=0, le=100,
        description="eps_tgf: r_T (1 + eps (phi(tgf) - 1/2)), "
                    "phi(x) = x/(1+x).")
    tgf_feedback: bool = param(_JOHNSON2011.tgf_feedback == 1.0, unit="-",
                               description="Resorption-released TGF-beta feeds the tumour "
                                           "(false: the tumour sees healthy-bone TGF-beta).")
    bone_turnover_percent_per_day: float = cited(
        _JOHNSON2011, "kappa", unit="% day^-1", gt=0, le=100,
        description="kappa in dz/dt = kappa (B/B_ss - (C/C_ss) z/100).")
    osteoclast_apoptosis_per_day: float = cited(
        LemaireParameters, "d_a", unit="day^-1", gt=0, le=100,
        description="D_A.")
    osteoblast_apoptosis_per_day: float = cited(
        LemaireParameters, "k_b", unit="day^-1", gt=0, le=100,
        description="k_B.")
    opg_production: float = cited(
        LemaireParameters, "kop", unit="pmol OPG per pmol cells per day", gt=0, le=1e9,
        description="K_O^P.")
    rankl_per_cell: float = cited(
        LemaireParameters, "klp", unit="pmol/pmol cells", gt=0, le=1e10,
        description="K_L^P.")


class Bone(Strict):
    """A representative bone lesion: bone remodelling coupled to the tumour (Komarova et al. 2003; Ayati et al. 2010).

    Drug schedules are ``treatment.events`` with drug denosumab, opg_fc, zoledronic_acid or
    bisphosphonate (dimensionless effect level per dose; see metacascade.engines.bone).
    """

    model: BoneModelName = param("vicious_cycle", unit="-",
                                 description="komarova (Komarova 2003), ayati (Ayati 2010) or "
                                             "vicious_cycle (Lemaire 2004 + tumour).")
    bone_mass_initial_percent: float = param(100.0, unit="%", gt=0, le=1e3,
                                             description="Bone mass at day 0.")
    rtol: float = param(1e-8, unit="1", gt=0, le=1e-2,
                        description="Relative tolerance of solve_ivp.")
    power_law: BonePowerLaw = Field(default_factory=BonePowerLaw,
                                    description="Komarova/Ayati parameters.")
    vicious_cycle: BoneViciousCycle = Field(default_factory=BoneViciousCycle,
                                            description="Lemaire + tumour parameters.")


class Death(Strict):
    """When the disease is lethal (issue 6)."""

    lethal_burden_cells: float = param(
        1e12, unit="cells", gt=1, le=1e14,
        description="Total tumour burden (primary + metastases) at which the patient dies.",
        source="About 1e12 cells (~1 kg) is lethal (Friberg & Mattson 1997, J Surg Oncol 65:284; "
               "Norton 1988).")


class Systemic(Strict):
    """Primary-derived systemic signals acting on the growth of distant lesions (Hahnfeldt et al. 1999; Benzekry et al. 2017).

    ``model = "proliferation"``: an inhibitor I (units: cells of primary at steady state when
    production = clearance) produced by the primary, dI/dt = V_p(t) c - c I, divides the specific
    growth rate of every metastasis by (1 + theta I) (proliferation inhibition, Benzekry et al.
    2017 Cancer Res 77:5183; angiostatin, O'Reilly 1994). Resection removes the source."""

    model: Literal["none", "proliferation", "angiogenesis"] = param(
        "none", unit="-",
        description="Systemic inhibition of metastatic growth: 'proliferation' (inhibitor divides "
                    "the growth rate) or 'angiogenesis' (each metastasis follows Hahnfeldt 1999 "
                    "(V, K) dynamics with endogenous inhibition driven by the total burden, "
                    "Benzekry, Gandolfi & Hahnfeldt 2014; replaces the metastatic growth law; "
                    "single-patient engine only).")
    hahnfeldt_lambda1_per_day: float = cited(
        HahnfeldtParameters, "lambda1", unit="day^-1", gt=0, le=10,
        description="Hahnfeldt tumour growth rate lambda1.")
    hahnfeldt_b_per_day: float = cited(
        HahnfeldtParameters, "b", unit="day^-1", gt=0, le=100,
        description="Hahnfeldt vascular stimulation b.")
    hahnfeldt_d_per_mm2_day: float = cited(
        HahnfeldtParameters, "d", unit="mm^-2 day^-1", gt=0, le=10,
        description="Hahnfeldt endogenous inhibition d (acting through the total burden^(2/3)).")
    initial_vascular_ratio: float = param(
        3.47, unit="1", gt=0, le=1e6,
        description="K/V of a new metastasis (vascular capacity at birth relative to its size).",
        source="625/180 mm^3, the initial condition of the Hahnfeldt 1999 example.")
    inhibition_per_cell: float = cited(
        SystemicSignals, "inhibition_per_cell", unit="cell^-1", ge=0, le=1.0,
        description="theta: relative slowing of metastatic growth per steady-state primary cell.")
    inhibitor_source: Literal["primary", "total_burden"] = param(
        "primary", unit="-",
        description="Who produces the inhibitor: the primary only, or every lesion (total burden; "
                    "Benzekry, Gandolfi & Hahnfeldt 2014). Cohorts support 'primary' only.")
    clearance_per_day: float = cited(
        SystemicSignals, "clearance_per_day", unit="day^-1", gt=0, le=100,
        description="Clearance rate of the inhibitor.")
    stimulation_per_cell: float = cited(
        SystemicSignals, "stimulation_per_cell", unit="cell^-1", ge=0, le=1.0,
        description="sigma: relative acceleration of metastatic growth per steady-state primary "
                    "cell by a primary-derived stimulator (0: none).")
    stimulator_clearance_per_day: float = cited(
        SystemicSignals, "stimulator_clearance_per_day", unit="day^-1", gt=0, le=100,
        description="Clearance rate of the stimulator.")
    surge_amplitude: float = cited(
        SystemicSignals, "surge_amplitude", unit="1", ge=0, le=100,
        description="Post-surgical growth-factor surge: extra relative growth rate right after "
                    "resection, decaying exponentially (Fisher et al. 1989; Retsky et al. 2008).")
    surge_decay_days: float = cited(
        SystemicSignals, "surge_decay_days", unit="day", gt=0, le=1e4,
        description="Decay time of the post-surgical surge.")


class Dormancy(Strict):
    """Dormancy of disseminated cells (Demicheli/Retsky model).

    Each new metastasis is, with ``single_cell_fraction``, a dormant single cell that waits a random
    latency before it grows; with ``avascular_fraction`` it grows to an avascular micrometastasis of
    ``avascular_cells`` and waits for an angiogenic switch. Surgery triggers escape of still-dormant
    lesions with the given probabilities (a pulse at resection). Optional: single cells that escape
    then stall as micrometastases (two-stage dormancy), and a surgery switch that also reaches
    micrometastases still growing toward the plateau."""

    single_cell_fraction: float = cited(
        DormancyParameters, "single_cell_fraction", unit="1", ge=0, le=1,
        description="Fraction of new metastases that are dormant cells.")
    single_cell_latency: LatencyName = cited(
        DormancyParameters, "single_cell_latency", unit="-",
        description="Distribution of the single-cell dormancy time.")
    single_cell_median_days: float = cited(
        DormancyParameters, "single_cell_median_days", unit="day", gt=0, le=1e6,
        description="Median dormancy of a single cell.")
    single_cell_sigma: float = cited(
        DormancyParameters, "single_cell_sigma", unit="1", gt=0, le=10,
        description="Log-sd of a lognormal single-cell latency.")
    avascular_fraction: float = cited(
        DormancyParameters, "avascular_fraction", unit="1", ge=0, le=1,
        description="Fraction of new metastases that stall as avascular micrometastases.")
    avascular_cells: float = cited(
        DormancyParameters, "avascular_cells", unit="cells", gt=1, le=1e9,
        description="Size of an avascular dormant micrometastasis.")
    avascular_switch_median_days: float = cited(
        DormancyParameters, "avascular_switch_median_days", unit="day", gt=0, le=1e6,
        description="Median waiting time of the spontaneous angiogenic switch (exponential).")
    surgery_escape_probability: float = cited(
        DormancyParameters, "surgery_escape_probability", unit="1", ge=0, le=1,
        description="Probability that a dormant single cell escapes at resection.")
    surgery_switch_probability: float = cited(
        DormancyParameters, "surgery_switch_probability", unit="1", ge=0, le=1,
        description="Probability that an avascular micrometastasis switches at resection "
                    "(Retsky, Demicheli et al. 2008 surgery-triggered escape).")
    single_cells_become_micrometastases: bool = cited(
        DormancyParameters, "single_cells_become_micrometastases", unit="-",
        description="Two-stage (serial) dormancy: a dormant single cell that escapes grows to "
                    "avascular_cells and stalls there like an avascular micrometastasis "
                    "(transitions 1 -> 2 -> 3 in series).")
    surgery_switch_before_plateau: bool = cited(
        DormancyParameters, "surgery_switch_before_plateau", unit="-",
        description="Surgery also switches (probability surgery_switch_probability) stalling "
                    "micrometastases still growing toward avascular_cells at resection: they never "
                    "stall (the post-surgical angiogenic stimulus acts whatever the lesion size).")

    @model_validator(mode="after")
    def _fractions(self) -> Dormancy:
        if self.single_cell_fraction + self.avascular_fraction > 1 + 1e-12:
            raise ValueError(
                f"dormancy.single_cell_fraction + dormancy.avascular_fraction = "
                f"{self.single_cell_fraction + self.avascular_fraction:g} must be at most 1")
        return self


# ---- cell scale (issue 15): mutations, clones and their traits --------------------------------
class Mutation(Strict):
    """Mutations and heritable traits of clones (cell-scale engine; docs/cellscale.md)."""

    rate_per_division: float = param(
        0.3, unit="mutations per daughter cell", ge=0, le=1e3,
        description="Mean of the Poisson number of new neutral mutations of each daughter cell "
                    "(infinite sites; the sequenced territory).",
        source="1e-8 per bp per division x 30 Mb exome (docs/cellscale.md; SCIMET mut_rate).")
    net_growth_fraction: float = param(
        0.3, unit="1", gt=0, le=1,
        description="beta = (b - d)/b at the start of growth: b = r(V0)/beta, d(t) = b - r(V(t)); "
                    "mutation counts scale with 1/beta.",
        source="b = 1, d = 0.7 per day of the worked example of docs/cellscale.md [assumption].")
    driver_rate_per_division: float = param(
        0.0, unit="per daughter cell", ge=0, le=1,
        description="Probability that a daughter cell gains a driver (a new clone).",
        source="SCIMET selection models: 1e-5 (Hu et al. 2019, SCIMET); 0 = neutral.")
    driver_fitness: float = param(
        1.1, unit="1", ge=1, le=10,
        description="Multiplier of the birth rate per driver.",
        source="Selection coefficient s = 0.1 of SCIMET (Hu et al. 2019, SCIMET).")
    metastatic_trait: Literal["none", "early", "late"] = param(
        "none", unit="-",
        description="S17: 'early' = the founding clone carries the metastatic trait; 'late' = "
                    "clones acquire it at metastatic_trait_rate_per_division; 'none' = no trait.",
        source="Born to be bad (Sottoriva 2015) vs late acquisition (Yachida 2010).")
    metastatic_trait_factor: float = param(
        10.0, unit="1", ge=0, le=1e6,
        description="Seeding propensity of cells carrying the trait relative to cells without it "
                    "(with a trait, cells without it seed at 1/factor of the scenario's rate).",
        source="Assumption.")
    metastatic_trait_rate_per_division: float = param(
        1e-4, unit="per daughter cell", ge=0, le=1,
        description="'late': probability that a daughter cell acquires the trait.",
        source="Assumption.")


def _default_organs() -> dict[str, Organ]:
    return {"distant": Organ(seeding_fraction=1.0, description="All distant sites together.")}


class Scenario(Strict):
    """A whole simulation input: one patient (or the typical patient of a cohort).

    Every section is a strict model whose keys name their units (``_days``, ``_cells``,
    ``_per_day``, ``_mm``); :doc:`scenarios` lists each key with its unit, default and range.

    Parameters
    ----------
    name : str
        Short identifier (1 to 100 characters).
    description : str
        What the scenario represents.
    references : list of str
        Sources of the parameter values (author, year; see :doc:`bibliography`).
    primary : Primary
        The primary tumour: growth law, rate (per day) and carrying capacity (cells).
    metastasis : Metastasis
        Growth of metastases (``same_as_primary`` or a law of their own).
    dissemination : Dissemination
        Seeding of new metastases: model, ``mu`` (per cell per day) and ``gamma``
        (dimensionless fractal exponent).
    cascade : Cascade
        Steps of the metastatic cascade (probabilities, rates per day).
    niche : Niche
        The pre-metastatic niche.
    lymphatics : Lymphatics
        Lymphatic vessels and the regional node.
    stem_cells : StemCells
        Stem-like reservoir of the primary.
    organs : dict of str to Organ
        Sites of metastasis by name; ``seeding_fraction`` values sum to 1.
    detection : Detection
        Detection thresholds of primary and metastases (cells or mm).
    treatment : Treatment
        Treatment events: resection, drugs (days).
    bone : Bone or None
        A representative bone lesion (unset: no bone model).
    simulation : Simulation
        Numerical settings (duration and output step in days) and seed.
    death : Death
        Lethal burden (cells).
    systemic : Systemic
        Primary-derived systemic inhibition or stimulation.
    dormancy : Dormancy
        Dormancy of metastases (latency in days).
    mutation : Mutation
        Mutations and clone traits (cell-scale engine).

    Examples
    --------
    >>> import metacascade as mc
    >>> s = mc.load_scenario("breast", ["dissemination.mu=2e-11"])
    >>> s.dissemination.mu
    2e-11
    >>> s.metastasis_growth_law()
    'gompertz'
    """

    name: ShortName = param(
        "custom", unit="-",
        description="Short identifier (1 to 100 characters, any characters); output folders use a "
                    "safe slug of it, never the name as a path.")
    description: str = param("", unit="-", max_length=10_000,
                             description="What the scenario represents.")
    references: list[Annotated[str, StringConstraints(max_length=2000)]] = param(
        [], unit="-", max_length=200, description="Sources of the parameter values.")
    primary: Primary = Field(
        default_factory=lambda: Primary(rate_per_day=6.39e-4, carrying_capacity_cells=1e12),
        description="The primary tumour (default: the Gompertz law of the breast scenario).")
    metastasis: Metastasis = Field(default_factory=Metastasis,
                                   description="Growth of metastases.")
    dissemination: Dissemination = Field(default_factory=Dissemination,
                                         description="Seeding of new metastases.")
    cascade: Cascade = Field(default_factory=Cascade, description="Steps of the cascade.")
    niche: Niche = Field(default_factory=Niche, description="Pre-metastatic niche.")
    lymphatics: Lymphatics = Field(default_factory=Lymphatics,
                                   description="Lymphatic vessels and the regional node.")
    stem_cells: StemCells = Field(default_factory=StemCells,
                                  description="Stem-like reservoir of the primary.")
    organs: dict[ShortName, Organ] = Field(default_factory=_default_organs, max_length=64,
                                           description="Sites of metastasis by name.")
    detection: Detection = Field(default_factory=Detection,
                                 description="Detection thresholds of primary and metastases.")
    treatment: Treatment = Field(default_factory=Treatment, description="Treatment events.")
    bone: Bone | None = Field(None, description="A representative bone lesion (optional; unset: "
                                                "no bone model).")
    simulation: Simulation = Field(default_factory=Simulation,
                                   description="Numerical settings and seed.")
    death: Death = Field(default_factory=Death, description="Lethal burden.")
    systemic: Systemic = Field(default_factory=Systemic,
                               description="Primary-derived systemic inhibition/stimulation.")
    dormancy: Dormancy = Field(default_factory=Dormancy, description="Dormancy of metastases.")
    mutation: Mutation = Field(default_factory=Mutation,
                               description="Mutations and clone traits (cell-scale engine).")

    @model_validator(mode="after")
    def _organs(self) -> Scenario:
        if not self.organs:
            raise ValueError("organs: at least one organ is required")
        total = sum(o.seeding_fraction for o in self.organs.values())
        if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
            parts = ", ".join(f"{k} = {o.seeding_fraction:g}" for k, o in self.organs.items())
            raise ValueError(f"organs.*.seeding_fraction must sum to 1, got {total:g} ({parts})")
        cascade_fields = ("blood_flow_fraction", "retention", "cxcl12",
                          "intravascular_death_rate_per_day", "niche_affinity")
        uses_cascade = self.dissemination.model == "cascade" or any(
            getattr(o, f) is not None for o in self.organs.values() for f in cascade_fields)
        if uses_cascade:
            unknown = [k for k in self.organs if k not in _cascade.KNOWN_ORGANS]
            if unknown:
                raise ValueError(
                    f"organs: unknown organ(s) {', '.join(unknown)} for the cascade model; "
                    f"known organs: {', '.join(_cascade.KNOWN_ORGANS)}")
            flows = {k: o.blood_flow_fraction for k, o in self.organs.items()}
            given = {k: v for k, v in flows.items() if v is not None}
            if given:
                missing = [k for k, v in flows.items() if v is None]
                total = sum(given.values())
                parts = ", ".join(f"{k} = {v:g}" for k, v in given.items())
                if missing:
                    raise ValueError(
                        "organs.*.blood_flow_fraction: set for some organs but not for "
                        f"{', '.join(missing)}; set it for all organs (summing to 1) or none")
                if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-6):
                    raise ValueError(
                        f"organs.*.blood_flow_fraction must sum to 1, got {total:g} ({parts})")
        p_lymph = resolve.lymphatics(self).entry_probability()
        p_blood = self.cascade.intravasation_blood_probability
        if p_blood + p_lymph > 1.0 + 1e-12:
            raise ValueError(
                f"cascade.intravasation_blood_probability = {p_blood:g} plus the lymphatic entry "
                f"probability {p_lymph:g} (from lymphatics.*) exceeds 1; an invading cell enters "
                "at most one vessel")
        lethal, seen = self.death.lethal_burden_cells, self.detection.primary_cells
        if lethal < seen:
            raise ValueError(
                f"death.lethal_burden_cells = {lethal:.7g} is below detection.primary_cells "
                f"= {seen:.7g}: the primary alone would kill before it is detected; raise the lethal "
                "burden or lower the detection size")
        if self.dissemination.model == "cascade" and self.dissemination.secondary:
            raise ValueError("dissemination.secondary = true is not supported with "
                             "dissemination.model = 'cascade' (use the power model)")
        return self

    def cascade_parameters(self, all_organs: bool = False) -> _cascade.CascadeParameters:
        """The biology-level cascade parameters (:func:`metacascade.scenario.resolve.cascade`).

        Parameters
        ----------
        all_organs : bool
            Include every organ the cascade model knows, not only those of ``organs``.

        Returns
        -------
        CascadeParameters
            Probabilities (dimensionless) and rates (per day) of each cascade step, per organ.
        """
        return resolve.cascade(self, all_organs)

    def metastasis_growth(self) -> GrowthParameters:
        """The effective metastatic growth parameters (resolving ``same_as_primary``).

        Returns
        -------
        GrowthParameters
            The law, rates (per day), capacity and initial size (cells) metastases grow with.
        """
        if self.metastasis.growth == "same_as_primary":
            return self.primary.model_copy(update={"initial_cells": self.metastasis.initial_cells})
        return self.metastasis

    def metastasis_growth_law(self) -> str:
        """The name of the growth law of metastases (``same_as_primary`` resolved).

        Returns
        -------
        str
            A growth law name, e.g. ``"gompertz"``.
        """
        g = self.metastasis.growth
        return self.primary.growth if g == "same_as_primary" else g

    def primary_law(self) -> GrowthLaw:
        """The growth law of the primary as an object (``primary.*``).

        Returns
        -------
        GrowthLaw
            ``size(age, v0)`` (cells at an age in days from ``v0`` cells) and
            ``age_at_size(v, v0)`` (days from ``v0`` to ``v`` cells).
        """
        return resolve.primary_growth(self)

    def metastasis_law(self) -> GrowthLaw:
        """The growth law of every metastasis as an object (``same_as_primary`` resolved).

        Returns
        -------
        GrowthLaw
            As :meth:`primary_law`; its birth size is ``metastasis_growth().initial_cells``.
        """
        return resolve.metastasis_growth(self)

    def get(self, key: str, default: Any = None) -> Any:
        """The value at a dotted scenario key, as ``load_scenario`` overrides name it.

        Parameters
        ----------
        key : str
            A dotted key such as ``"cascade.adhesion_efficiency"`` or ``"organs.lung"``.
        default : object
            What a key that names no scenario value gives.

        Returns
        -------
        object
            The value (a number, a string, a section), or ``default``.
        """
        from metacascade.scenario.io import get_dotted

        return get_dotted(self, key, default=default)

    def to_toml(self) -> str:
        """The scenario as TOML text (:func:`metacascade.dump_toml`).

        Returns
        -------
        str
            TOML that :func:`metacascade.load_scenario` reads back into an equal scenario.
        """
        from metacascade.scenario.io import dump_toml  # io reads and writes Scenarios

        return dump_toml(self)


def field_at(loc: str | Sequence[Any]) -> FieldInfo | None:
    """The schema field at a location of a scenario: a dotted key, its parts or a pydantic error
    location (organ names and list positions are stepped over); None if there is none."""
    model: Any = Scenario
    info: FieldInfo | None = None
    for part in loc.split(".") if isinstance(loc, str) else loc:
        if isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
            info = model.model_fields[part]
            model = _model_in(info.annotation)
        elif model is Organ or (isinstance(part, str) and model is dict):
            continue
        else:
            model = Organ if model is not None and part not in ("",) else None
    return info


def _model_in(ann: Any) -> Any:
    for cand in (ann, *getattr(ann, "__args__", ())):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
        if getattr(cand, "__origin__", None) is dict:
            return Organ
    return None


