"""Validation errors as one line: each problem names the field, echoes at most ~200 characters of
the offending value (:func:`metacascade.errors.shown`) and says what is allowed."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from metacascade.errors import one_line, shown
from metacascade.scenario.fields import bounds_of
from metacascade.scenario.model import field_at

#: Pydantic error types of a value of the wrong type, and what the field wants instead.
_WANTS = {"float_type": "a number (an integer or a float; not a string or a boolean)",
          "int_type": "an integer (not a float, a string or a boolean)",
          "bool_type": "true or false (not a number or a string)",
          "string_type": "a string", "list_type": "an array", "dict_type": "a table",
          "model_type": "a table", "model_attributes_type": "a table"}

#: At most this many problems are listed in one error message (the rest are counted).
MAX_PROBLEMS = 3


def _field_info(loc: tuple[Any, ...]) -> dict[str, Any]:
    """Unit and bounds of the field at ``loc`` (for error messages)."""
    info = field_at(loc)
    if info is None:
        return {}
    out: dict[str, Any] = {}
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "unit" in extra:
        out["unit"] = extra["unit"]
    out.update(bounds_of(info))
    return out


def _allowed(info: dict[str, Any]) -> str:
    lo = f"> {info['gt']:g}" if "gt" in info else (f">= {info['ge']:g}" if "ge" in info else "")
    hi = f"< {info['lt']:g}" if "lt" in info else (f"<= {info['le']:g}" if "le" in info else "")
    rng = " and ".join(x for x in (lo, hi) if x)
    unit = info.get("unit", "")
    if rng and unit and unit not in ("-", "1"):
        return f"{rng} ({unit})"
    return rng


def _problem(e: Any) -> str:
    loc = tuple(e["loc"])
    where = ".".join(str(x) for x in loc) or "(top level)"
    if len(where) > 200:
        where = where[:180] + "..." + where[-17:]
    kind = e["type"]
    msg = e["msg"]
    value = e.get("input")
    if kind == "extra_forbidden":
        return f"{where}: unknown key (value {shown(value, 60)}); check the spelling"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if value is None and kind in _WANTS:
        return (f"{where} = none: this value is not optional; give {_WANTS[kind]} (none/null "
                "only unsets optional values)")
    if kind == "float_type" and isinstance(value, int) and not isinstance(value, bool):
        return f"{where} = {shown(value)}: the integer is too large for a number (overflow)"
    if kind in _WANTS:
        return f"{where} = {shown(value)}: must be {_WANTS[kind]}"
    if kind == "finite_number":
        return f"{where} = {shown(value)}: must be a finite number (not inf or nan)"
    info = _field_info(loc)
    allowed = _allowed(info)
    text = f"{where} = {shown(value)}: {msg}"
    if allowed and "greater" not in msg and "less" not in msg:
        text += f"; allowed {allowed}"
    elif allowed:
        text += f" [{allowed}]"
    return text


def format_validation_error(err: ValidationError, label: str = "scenario") -> str:
    """One line: each problem (at most :data:`MAX_PROBLEMS`, the rest counted) with the field,
    the offending value (at most ~200 characters of it) and what is allowed."""
    try:
        errors = err.errors()
    except RecursionError:  # pragma: no cover - pydantic copies inputs; deep ones may not copy
        return f"invalid {label}: values are nested too deeply"
    parts = [_problem(e) for e in errors[:MAX_PROBLEMS]]
    more = len(errors) - len(parts)
    if more > 0:
        parts.append(f"and {more} more problem{'s' if more > 1 else ''}")
    return one_line(f"invalid {label}: " + "; ".join(parts), 1200)
