"""The audit of scenario sections that several engines share (see :mod:`metacascade.engines.base`).

What counts as *inactive* (a value an engine may ignore because it changes nothing) is decided here
once: a field at its schema default; the sections of the cascade model under the power model only
at their defaults; a dormancy section whose two fractions are zero; systemic signals that are all
zero. Each function returns the :class:`~metacascade.engines.base.Problem` records of one concern
for an engine that does not model it, with the command that does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel

from metacascade.biology.bone import DRUGS as BONE_DRUGS
from metacascade.biology.dosing import ADJUVANT_DRUGS
from metacascade.engines.base import Problem
from metacascade.scenario import Scenario, resolve

#: Commands named in hints (``{scenario}`` is the scenario's name).
COHORT = "metacascade cohort {scenario}"
RUN = "metacascade run {scenario}"
ORGANISM = "metacascade run {scenario} --engine organism"
SPREAD = "metacascade run {scenario} --engine spread --set dissemination.model=cascade"
STOCHASTIC = "metacascade run {scenario} --engine stochastic"

#: Every drug some engine understands, and where it acts.
KNOWN_DRUGS: dict[str, str] = {
    **{d: "the bone lesion (a [bone] section; engines organism and spread)" for d in BONE_DRUGS},
    **{d: "cohort patients (metacascade cohort)" for d in ADJUVANT_DRUGS},
}
#: The sections only the cascade model uses.
CASCADE_SECTIONS = ("cascade", "niche", "lymphatics", "stem_cells")


def changed(section: BaseModel, prefix: str, skip: Collection[str] = ()) -> list[tuple[str, Any]]:
    """(dotted key, value) of every field of ``section`` that differs from its schema default."""
    out = []
    for name, info in type(section).model_fields.items():
        if name in skip:
            continue
        value = getattr(section, name)
        if value != info.get_default(call_default_factory=True):
            out.append((f"{prefix}.{name}", value))
    return out


def dormancy_active(sc: Scenario) -> bool:
    """Some new metastases are dormant (the other dormancy values then matter)."""
    return sc.dormancy.single_cell_fraction > 0 or sc.dormancy.avascular_fraction > 0


def dormancy_key(sc: Scenario) -> tuple[str, float]:
    """The dormancy fraction that makes the section active (for messages)."""
    d = sc.dormancy
    if d.single_cell_fraction > 0:
        return "dormancy.single_cell_fraction", d.single_cell_fraction
    return "dormancy.avascular_fraction", d.avascular_fraction


def systemic_active(sc: Scenario) -> bool:
    """Systemic signals change metastatic growth (angiogenesis model, or a non-zero signal)."""
    return sc.systemic.model == "angiogenesis" or resolve.systemic(sc).active


def systemic_key(sc: Scenario) -> tuple[str, Any]:
    """The systemic value that makes the section active (for messages)."""
    s = sc.systemic
    if s.model != "none":
        return "systemic.model", s.model
    for key in ("stimulation_per_cell", "surge_amplitude"):
        if getattr(s, key) > 0:
            return f"systemic.{key}", getattr(s, key)
    return "systemic.model", s.model


def power_model(sc: Scenario, engine: str) -> list[Problem]:
    """Values of the cascade model's sections under ``dissemination.model = "power"``: the power
    model's single rate mu V^gamma does not use them."""
    if sc.dissemination.model == "cascade":
        return []
    out = []
    for name in CASCADE_SECTIONS:
        for key, value in changed(getattr(sc, name), name):
            out.append(Problem(key, value, f"the {engine} engine runs the power model "
                               f"(dissemination.model = 'power'), which does not use {name}.*",
                               SPREAD))
    for organ, o in sc.organs.items():
        for field in resolve.ORGAN_FIELDS:
            if getattr(o, field) is not None:
                out.append(Problem(f"organs.{organ}.{field}", getattr(o, field),
                                   f"the {engine} engine runs the power model, which splits "
                                   "metastases by organs.*.seeding_fraction only", SPREAD))
    return out


def cell_scale(sc: Scenario, engine: str) -> list[Problem]:
    """Values only the cell-scale engine follows: drivers, a metastatic trait, founding clusters
    other than the birth size."""
    out = []
    m = sc.mutation
    if m.driver_rate_per_division > 0:
        out.append(Problem("mutation.driver_rate_per_division", m.driver_rate_per_division,
                           f"the {engine} engine does not follow driver mutations (their fitness "
                           "changes growth)", STOCHASTIC))
    if m.metastatic_trait != "none":
        out.append(Problem("mutation.metastatic_trait", m.metastatic_trait,
                           f"the {engine} engine does not follow clones with a metastatic trait",
                           STOCHASTIC))
    c = sc.dissemination.cluster_size
    if c != 1 and c != sc.metastasis.initial_cells:
        out.append(Problem("dissemination.cluster_size", c,
                           f"the {engine} engine founds every metastasis with "
                           f"metastasis.initial_cells = {sc.metastasis.initial_cells:g} cells; "
                           "set both equal", None))
    return out


def drugs(sc: Scenario, engine: str, understood: Collection[str]) -> list[Problem]:
    """Treatment events whose drug the engine does not follow (an unknown drug for every engine;
    a bone drug needs a ``[bone]`` section and the proteasome inhibitor a power-law bone model)."""
    out = []
    for i, ev in enumerate(sc.treatment.events):
        key = f"treatment.events[{i}].drug"
        if ev.drug not in KNOWN_DRUGS:
            out.append(Problem(key, ev.drug, "unknown drug for every engine (known: "
                               + ", ".join(KNOWN_DRUGS) + ")", None))
        elif ev.drug not in understood:
            out.append(Problem(key, ev.drug, f"the {engine} engine does not follow {ev.drug}, "
                               f"which acts on {KNOWN_DRUGS[ev.drug]}",
                               COHORT if ev.drug in ADJUVANT_DRUGS else RUN))
        elif ev.drug in BONE_DRUGS and sc.bone is None:
            out.append(Problem(key, ev.drug, f"{ev.drug} acts on the bone lesion and the scenario "
                               "has no [bone] section", None,
                               advice="add a [bone] section (as in the scenario 'breast-bone')"))
        elif ev.drug == "proteasome_inhibitor" and sc.bone is not None \
                and sc.bone.model == "vicious_cycle":
            out.append(Problem(key, ev.drug, "the proteasome inhibitor (Ayati 2010) acts only in "
                               "the bone models 'komarova' and 'ayati', not in bone.model = "
                               "'vicious_cycle'", None))
    return out


def screening(sc: Scenario, engine: str) -> list[Problem]:
    """Screening visits: only cohorts diagnose at visits."""
    v = sc.detection.screening_interval_days
    if v is None:
        return []
    return [Problem("detection.screening_interval_days", v,
                    f"the {engine} engine diagnoses when the primary reaches "
                    "detection.primary_cells, not at screening visits", COHORT)]


def no_dormancy(sc: Scenario, engine: str, handler: str | None = COHORT) -> list[Problem]:
    """The dormancy section for an engine without dormancy."""
    if not dormancy_active(sc):
        return []
    key, value = dormancy_key(sc)
    return [Problem(key, value, f"the {engine} engine does not follow dormant metastases",
                    handler)]


def no_systemic(sc: Scenario, engine: str, handler: str | None = ORGANISM) -> list[Problem]:
    """The systemic section for an engine without systemic signals."""
    if not systemic_active(sc):
        return []
    key, value = systemic_key(sc)
    return [Problem(key, value, f"the {engine} engine does not follow systemic signals acting on "
                    "metastatic growth", handler)]


def no_bone(sc: Scenario, engine: str) -> list[Problem]:
    """A bone section for an engine without the bone lesion."""
    if sc.bone is None:
        return []
    return [Problem("bone.model", sc.bone.model, f"the {engine} engine does not simulate the "
                    "representative bone lesion", RUN)]
