"""Field helpers of the scenario: each parameter's unit, bounds, default and source, written once.

The rule: a parameter that a mechanism of :mod:`metacascade.biology` has is defined there, in its
parameter dataclass (the default, and its source as ``metadata["source"]``), because the mechanism
must work without a scenario; the scenario field takes both from there with :func:`cited` and adds
the description, the unit and the bounds. A parameter that no mechanism has (sizes at day 0,
thresholds, numerical settings) is defined in its scenario field with :func:`param`. Either way a
value and its source are written in one place; :mod:`metacascade.scenario.resolve` reads the
links back to build the biology objects, so the two sides cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.fields import FieldInfo


class Strict(BaseModel):
    """Unknown keys and coercions are refused (see :mod:`metacascade.scenario`)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, strict=True,
                              allow_inf_nan=False)


def _numpy_integer(value: Any) -> Any:
    """numpy integers are integers (``np.int64(7)``); everything else is left to strict mode."""
    return int(value) if isinstance(value, np.integer) else value


#: An integer field: an ``int`` (or numpy integer); never a bool, a float or a string.
Integer = Annotated[int, BeforeValidator(_numpy_integer)]
#: A short identifier: 1 to 100 characters, any characters.
ShortName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Cited(dict[str, Any]):
    """The JSON-schema extra (unit, source) of a field that takes its default from a biology
    parameter; it also remembers which one (``owner``: the dataclass or a preset instance of it,
    ``name``: the dataclass field), so that :mod:`~metacascade.scenario.resolve` and the tests can
    follow the link. As a dict it writes exactly the ``unit`` and ``source`` keys of
    :func:`param` into the schema."""

    def __init__(self, extra: dict[str, Any], owner: Any, name: str) -> None:
        super().__init__(extra)
        self.owner = owner
        self.name = name

    @property
    def dataclass(self) -> type:
        """The biology parameter dataclass."""
        return self.owner if isinstance(self.owner, type) else type(self.owner)


def _extra(unit: str, source: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"unit": unit}
    if source:
        extra["source"] = source
    return extra


def param(
    default: Any,
    *,
    unit: str,
    description: str,
    source: str = "",
    **bounds: Any,
) -> Any:
    """A scenario field with its unit and the source of its default recorded in the JSON schema."""
    return Field(default, description=description, json_schema_extra=_extra(unit, source),
                 **bounds)


def biology_field(owner: Any, name: str) -> dataclasses.Field[Any]:
    """The dataclass field ``name`` of ``owner`` (a biology parameter dataclass or an instance)."""
    cls = owner if isinstance(owner, type) else type(owner)
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f
    raise AttributeError(f"{cls.__name__} has no parameter {name!r}")


def biology_default(owner: Any, name: str) -> Any:
    """The value of parameter ``name`` in ``owner``: the dataclass default, or the preset's."""
    f = biology_field(owner, name)
    if not isinstance(owner, type):
        return getattr(owner, name)
    if f.default is dataclasses.MISSING:
        raise AttributeError(f"{owner.__name__}.{name} has no default")
    return f.default


def cited(owner: Any, name: str, *, unit: str, description: str, **bounds: Any) -> Any:
    """A scenario field whose default and source are those of biology parameter ``name`` of
    ``owner`` (a parameter dataclass, or a preset instance of it such as
    ``PowerLawBoneParameters.ayati2010()``); see the module docstring."""
    source = biology_field(owner, name).metadata.get("source", "")
    return Field(biology_default(owner, name), description=description,
                 json_schema_extra=Cited(_extra(unit, source), owner, name), **bounds)


def cited_values(section: BaseModel, dataclass: type) -> dict[str, Any]:
    """``{biology name: value}`` of every field of ``section`` cited from ``dataclass``."""
    out: dict[str, Any] = {}
    for fname, info in type(section).model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, Cited) and extra.dataclass is dataclass:
            out[extra.name] = getattr(section, fname)
    return out


def bounds_of(info: FieldInfo) -> dict[str, Any]:
    """The ``gt``/``ge``/``lt``/``le`` constraints of a field."""
    out: dict[str, Any] = {}
    for m in info.metadata:
        for attr in ("gt", "ge", "lt", "le"):
            if getattr(m, attr, None) is not None:
                out[attr] = getattr(m, attr)
    return out
