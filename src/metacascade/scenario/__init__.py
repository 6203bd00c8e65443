"""The scenario: every input of a simulation as validated pydantic models, with TOML in and out.

Every field carries a description, a unit (``json_schema_extra["unit"]``), bounds and the source of
its default (``json_schema_extra["source"]``). Models are strict (``extra="forbid"``): a misspelt key
is an error, never silently ignored. Time is in days and sizes in cells (docs/scenarios.md).

Types are strict too (pydantic strict mode), for TOML files, ``--set`` overrides and mappings
alike: a number field takes a number (an integer is an exact number and is accepted, ``2`` for
``2.0``), never a string (``"2"``) or a boolean (``true``); a boolean field takes ``true`` or
``false``, never ``1`` or ``"yes"``; an integer field (``simulation.seed``) takes an integer, never
``"7"`` or ``7.5``. Infinite and NaN numbers are refused. ``none``/``null`` (only possible in an
override) unsets a value and is accepted only by fields that are optional in the schema (their
description says what unset means); elsewhere it is an error, never a silent reset to the default.

The package, by job: :mod:`.fields` (the field helpers: unit, bounds, default and source written
once), :mod:`.model` (the sections and :class:`Scenario`), :mod:`.io` (TOML, built-ins, overrides
and the one dotted-key helper), :mod:`.messages` (one-line validation errors) and :mod:`.resolve`
(the biology parameter objects of a scenario).
"""

from pydantic import BaseModel

from metacascade.scenario import resolve
from metacascade.scenario.fields import Integer, ShortName, Strict, cited, param
from metacascade.scenario.io import (
    MAX_FILE_BYTES,
    NONE_WORDS,
    UnknownKeyError,
    apply_overrides,
    builtin_names,
    builtin_text,
    dump_toml,
    get_dotted,
    load_scenario,
    parse_override,
    scenario_from_dict,
    scenario_from_toml,
    scenario_json_schema,
    set_dotted,
    split_key,
)
from metacascade.scenario.messages import MAX_PROBLEMS, format_validation_error
from metacascade.scenario.model import (
    Bone,
    BoneModelName,
    BonePowerLaw,
    BoneViciousCycle,
    Cascade,
    Death,
    Detection,
    Dissemination,
    Dormancy,
    GrowthName,
    GrowthParameters,
    Lymphatics,
    Metastasis,
    Mutation,
    Niche,
    Organ,
    Primary,
    Scenario,
    Simulation,
    StemCells,
    Systemic,
    Treatment,
    TreatmentEvent,
    field_at,
)
from metacascade.scenario.resolve import cascade as cascade_parameters
from metacascade.scenario.resolve import lymphatics as lymphatic_parameters
from metacascade.scenario.resolve import niche as niche_parameters

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PROBLEMS",
    "NONE_WORDS",
    "BaseModel",
    "Bone",
    "BoneModelName",
    "BonePowerLaw",
    "BoneViciousCycle",
    "Cascade",
    "Death",
    "Detection",
    "Dissemination",
    "Dormancy",
    "Mutation",
    "GrowthName",
    "GrowthParameters",
    "Integer",
    "Lymphatics",
    "Metastasis",
    "Niche",
    "Organ",
    "Primary",
    "Scenario",
    "ShortName",
    "Simulation",
    "StemCells",
    "Strict",
    "Systemic",
    "Treatment",
    "TreatmentEvent",
    "UnknownKeyError",
    "apply_overrides",
    "builtin_names",
    "builtin_text",
    "cascade_parameters",
    "cited",
    "dump_toml",
    "field_at",
    "format_validation_error",
    "get_dotted",
    "load_scenario",
    "lymphatic_parameters",
    "niche_parameters",
    "param",
    "parse_override",
    "resolve",
    "scenario_from_dict",
    "scenario_from_toml",
    "scenario_json_schema",
    "set_dotted",
    "split_key",
]
