"""From a :class:`~metacascade.scenario.Scenario` to the biology parameter objects, in one place.

Every engine, command and experiment that needs a mechanism's parameters takes them from here:
the cascade (:class:`~metacascade.biology.cascade.CascadeParameters`, with the stem-like fraction
and the organ table), the niche, the lymphatics, the growth laws, the systemic signals and the
Hahnfeldt angiogenesis model, the dormancy of new metastases and the bone lesion. Fields whose
default comes from a biology dataclass carry that link (:func:`~metacascade.scenario.fields.cited`)
and are translated through it, so a scenario name that differs from the biology name (e.g.
``bone.power_law.tumour_rate_per_day`` for ``gamma_t``) is mapped where the field is defined.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from metacascade.biology import cascade as _cascade
from metacascade.biology.bone import LemaireParameters, PowerLawBoneParameters
from metacascade.biology.dissemination import PowerDissemination
from metacascade.biology.dormancy import DormancyParameters
from metacascade.biology.growth import GrowthLaw, make_growth_law
from metacascade.biology.lymphatics import LymphaticParameters
from metacascade.biology.niche import NicheParameters
from metacascade.biology.systemic import HahnfeldtParameters, SystemicSignals
from metacascade.errors import ScenarioError
from metacascade.scenario.fields import cited_values

if TYPE_CHECKING:  # the sections import this module (validation uses lymphatics)
    from metacascade.scenario.model import BonePowerLaw, BoneViciousCycle, Scenario

#: Organ fields that override the organ table of :mod:`metacascade.biology.cascade`.
ORGAN_FIELDS = ("blood_flow_fraction", "retention", "cxcl12", "intravascular_death_rate_per_day",
                "niche_affinity")


def cascade(scenario: Scenario, all_organs: bool = False) -> _cascade.CascadeParameters:
    """The cascade parameters of a scenario: ``cascade.*``, ``stem_cells.fraction`` and the
    per-organ fields (organ-table defaults where unset). With ``all_organs`` every known organ
    is included (the scenario's organs override the table); otherwise only the scenario's organs,
    plus ``other`` (the rest of the body) when the blood-flow fractions come from the table."""
    table = dict(_cascade.ORGAN_TABLE)
    names = list(table) if all_organs else list(scenario.organs)
    explicit_flow = any(o.blood_flow_fraction is not None for o in scenario.organs.values())
    if not all_organs and not explicit_flow and "other" not in names:
        names.append("other")
    if _cascade.LYMPH_NODE not in names:
        names.append(_cascade.LYMPH_NODE)  # the regional node is always a compartment
    organs = {}
    unknown = [name for name in names if name not in table]
    if unknown:
        raise ScenarioError(f"organs.{unknown[0]}: the cascade model has no organ "
                            f"{unknown[0]!r}; organs: {', '.join(table)}")
    for name in names:
        site = table[name]
        o = scenario.organs.get(name)
        if o is not None:
            upd = {f: getattr(o, f) for f in ORGAN_FIELDS if getattr(o, f) is not None}
            site = replace(site, **upd)
        organs[name] = site
    if not all_organs and not explicit_flow:
        rest = 1.0 - sum(s.blood_flow_fraction for k, s in organs.items() if k != "other")
        organs["other"] = replace(organs["other"], blood_flow_fraction=max(rest, 0.0))
    return _cascade.CascadeParameters(
        stem_fraction=scenario.stem_cells.fraction, organs=organs,
        **cited_values(scenario.cascade, _cascade.CascadeParameters))


def niche(scenario: Scenario) -> NicheParameters:
    """Pre-metastatic niche parameters (``niche.*``)."""
    return NicheParameters(**cited_values(scenario.niche, NicheParameters))


def lymphatics(scenario: Scenario) -> LymphaticParameters:
    """Lymphatic vessels and node re-seeding (``lymphatics.*``)."""
    return LymphaticParameters(**cited_values(scenario.lymphatics, LymphaticParameters))


def primary_growth(scenario: Scenario) -> GrowthLaw:
    """The growth law of the primary (``primary.*``)."""
    p = scenario.primary
    return make_growth_law(p.growth, p.rate_per_day, p.carrying_capacity_cells,
                           p.power_law_exponent)


def metastasis_growth(scenario: Scenario) -> GrowthLaw:
    """The growth law of every metastasis (``metastasis.*``; ``same_as_primary`` resolved)."""
    m = scenario.metastasis_growth()
    return make_growth_law(scenario.metastasis_growth_law(), m.rate_per_day,
                           m.carrying_capacity_cells, m.power_law_exponent)


def dissemination(scenario: Scenario) -> PowerDissemination:
    """The seeding rate mu V^gamma of the power model (``dissemination.mu``, ``.gamma``)."""
    return PowerDissemination(scenario.dissemination.mu, scenario.dissemination.gamma)


def systemic(scenario: Scenario) -> SystemicSignals:
    """The primary-derived signals (``systemic.*``); the inhibitor acts only with
    ``systemic.model = "proliferation"``."""
    s = scenario.systemic
    kw = cited_values(s, SystemicSignals)
    if s.model != "proliferation":
        kw["inhibition_per_cell"] = 0.0
    return SystemicSignals(**kw)


def hahnfeldt(scenario: Scenario) -> HahnfeldtParameters:
    """The Hahnfeldt 1999 model of every metastasis with ``systemic.model = "angiogenesis"``
    (``systemic.hahnfeldt_*``)."""
    return HahnfeldtParameters(**cited_values(scenario.systemic, HahnfeldtParameters))


def dormancy(scenario: Scenario) -> DormancyParameters:
    """The dormancy of new metastases (``dormancy.*``)."""
    return DormancyParameters(**cited_values(scenario.dormancy, DormancyParameters))


def power_law_bone(section: BonePowerLaw) -> PowerLawBoneParameters:
    """Komarova 2003 / Ayati 2010 parameters from a ``bone.power_law`` section."""
    return PowerLawBoneParameters(**cited_values(section, PowerLawBoneParameters))


def vicious_cycle_bone(section: BoneViciousCycle) -> LemaireParameters:
    """Lemaire 2004 + tumour parameters from a ``bone.vicious_cycle`` section."""
    return LemaireParameters(**cited_values(section, LemaireParameters),
                             tgf_feedback=1.0 if section.tgf_feedback else 0.0)


def bone(scenario: Scenario) -> PowerLawBoneParameters | LemaireParameters | None:
    """The bone lesion's parameters for its ``bone.model`` (None without a ``[bone]`` section)."""
    section = scenario.bone
    if section is None:
        return None
    if section.model in ("komarova", "ayati"):
        return power_law_bone(section.power_law)
    return vicious_cycle_bone(section.vicious_cycle)


@dataclass(frozen=True)
class Biology:
    """Every biology parameter object of one scenario (:func:`biology`)."""

    primary_growth: GrowthLaw
    metastasis_growth: GrowthLaw
    dissemination: PowerDissemination
    cascade: _cascade.CascadeParameters | None  # dissemination.model = "cascade" only
    niche: NicheParameters
    lymphatics: LymphaticParameters
    systemic: SystemicSignals
    hahnfeldt: HahnfeldtParameters | None  # systemic.model = "angiogenesis" only
    dormancy: DormancyParameters
    bone: PowerLawBoneParameters | LemaireParameters | None


def biology(scenario: Scenario) -> Biology:
    """All of the above for one scenario (the cascade only for the cascade model, whose organs
    are those of the organ table; Hahnfeldt only for the angiogenesis model)."""
    sy = scenario.systemic
    return Biology(
        primary_growth=primary_growth(scenario), metastasis_growth=metastasis_growth(scenario),
        dissemination=dissemination(scenario),
        cascade=cascade(scenario) if scenario.dissemination.model == "cascade" else None,
        niche=niche(scenario), lymphatics=lymphatics(scenario), systemic=systemic(scenario),
        hahnfeldt=hahnfeldt(scenario) if sy.model == "angiogenesis" else None,
        dormancy=dormancy(scenario), bone=bone(scenario))
