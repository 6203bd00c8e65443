"""Scenarios in and out: TOML files, built-ins, mappings, overrides and the one dotted-key helper.

A dotted key (``organs.lung.retention``, ``treatment.events.0.dose``) names one value of a
scenario: table names, then the field; a part that is a non-negative integer is a position in a
list. :func:`get_dotted`, :func:`set_dotted` and :func:`parse_override` are the only code that
reads, writes or parses dotted keys (overrides, cohort variability, fit parameters, engine checks).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from metacascade.errors import ScenarioError, one_line, shown
from metacascade.scenario.messages import format_validation_error
from metacascade.scenario.model import Scenario

# --------------------------------------------------------------------------------------------
# Dotted keys


class UnknownKeyError(ScenarioError):
    """A dotted key that names no value of the scenario (``key``: the key as given)."""

    def __init__(self, message: str, key: Any) -> None:
        super().__init__(message)
        self.key = key


_MISSING: Any = object()


def split_key(key: Any, label: str = "key") -> list[str]:
    """The parts of a dotted key; a :class:`ScenarioError` naming it if it is not a string of
    non-empty parts."""
    if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
        raise ScenarioError(f"{label} {shown(key)} must be a non-empty dotted.key")
    return key.split(".")


def _position(part: str, size: int) -> int | None:
    """``part`` as a position in a list of ``size`` items, or None if it is not one."""
    if part.isascii() and part.isdigit() and int(part) < size:
        return int(part)
    return None


def _child(node: Any, part: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(part, _MISSING)
    if isinstance(node, BaseModel):
        return getattr(node, part) if part in type(node).model_fields else _MISSING
    if isinstance(node, list | tuple):
        i = _position(part, len(node))
        return _MISSING if i is None else node[i]
    return _MISSING


def get_dotted(data: Any, key: str | Sequence[str], default: Any = _MISSING,
               label: str = "key") -> Any:
    """The value at a dotted ``key`` in a scenario, a section or a raw dictionary (tables,
    sections and lists are walked). A missing value is ``default`` if one is given, else an
    :class:`UnknownKeyError` naming the key ("<label> 'a.b': no such scenario value")."""
    parts = key.split(".") if isinstance(key, str) else list(key)
    node = data
    for part in parts:
        node = _child(node, part)
        if node is _MISSING:
            if default is not _MISSING:
                return default
            name = key if isinstance(key, str) else ".".join(parts)
            raise UnknownKeyError(f"{label} {shown(name)}: no such scenario value", name)
    return node


def set_dotted(data: dict[str, Any], key: str | Sequence[str], value: Any) -> None:
    """Set the value at a dotted ``key`` in a raw scenario dictionary (in place), creating
    missing tables; a list item is addressed by its position. The value is not validated here
    (:func:`scenario_from_dict` does it; None only unsets optional fields)."""
    parts = key.split(".") if isinstance(key, str) else list(key)
    name = ".".join(parts)
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            at = _position(part, len(node))
            if at is None:
                where = f"0 to {len(node) - 1}" if node else "it is empty"
                raise ScenarioError(f"override {shown(name)}: {shown(parts[i - 1])} is a list; "
                                    f"{shown(part)} is not a position in it ({where})")
            if last:
                node[at] = value
                return
            child = node[at]
        else:
            if last:
                node[part] = value
                return
            nxt = parts[i + 1]
            if part not in node and nxt.isascii() and nxt.isdigit():
                prefix = ".".join(parts[: i + 1])
                raise ScenarioError(f"override {shown(name)}: {shown(prefix)} has no item {nxt} "
                                    f"(the scenario sets no list there); give the whole list, e.g. --set "
                                    f"'{prefix}=[{{...}}]'")
            child = node.setdefault(part, {})
        if not isinstance(child, dict | list):
            raise ScenarioError(f"override {shown(name)}: {shown(part)} is not a table")
        node = child


#: Words that unset an optional value in an override (``--set treatment.resection_day=none``).
NONE_WORDS = ("none", "null")


def parse_override(item: str) -> tuple[list[str], Any]:
    """Parse ``dotted.key=value``; the value is read as a TOML value, so ``2`` is an integer,
    ``2.0`` a float, ``true`` a boolean and ``"2"`` (quoted) a string. A bare word that is not
    TOML (``gompertz``) is a string; ``none``/``null`` is None (unset an optional value)."""
    if not isinstance(item, str):
        raise ScenarioError(f"override {shown(item)} must be a string dotted.key=value")
    if "=" not in item:
        raise ScenarioError(f"override {shown(item)} must look like dotted.key=value")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key or any(not part.strip() for part in key.split(".")):
        raise ScenarioError(f"override {shown(item)} has an empty key")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as gompertz
    except RecursionError:
        raise ScenarioError(f"override {shown(key)}: the value is nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ScenarioError(one_line(f"override {shown(key)}: the value cannot be read ({exc})",
                                     300)) from None
    if isinstance(value, str) and value.lower() in NONE_WORDS:
        value = None
    return [part.strip() for part in key.split(".")], value


def apply_overrides(data: dict[str, Any], overrides: Iterable[str] | Mapping[str, Any]) -> None:
    """Set dotted keys in a raw scenario dictionary (in place): ``dotted.key=value`` strings
    (:func:`parse_override`) or a mapping of dotted keys to values. A value of None sets None,
    which only optional fields accept (validation refuses it elsewhere)."""
    items: Iterable[tuple[list[str], Any]]
    if isinstance(overrides, Mapping):
        items = [(split_key(k, "override key"), v) for k, v in overrides.items()]
    elif isinstance(overrides, str):
        items = [parse_override(overrides)]
    else:
        items = [parse_override(o) for o in overrides]
    for path, value in items:
        set_dotted(data, path, value)


# --------------------------------------------------------------------------------------------
# Built-ins and files


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package (the files of ``metacascade/scenarios``).

    Returns
    -------
    list of str
        The built-in names in alphabetical order; each is accepted by :func:`load_scenario`.

    Examples
    --------
    >>> import metacascade as mc
    >>> "breast" in mc.builtin_names()
    True
    """
    files = resources.files("metacascade") / "scenarios"
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    known = builtin_names()
    if name not in known:
        raise ScenarioError(f"unknown scenario {shown(name)}; built-in scenarios are: "
                            f"{', '.join(known)}")
    path = resources.files("metacascade") / "scenarios" / f"{name}.toml"
    return path.read_text(encoding="utf-8")


#: A scenario file larger than this is refused before it is read (bytes).
MAX_FILE_BYTES = 10_000_000


def _toml(text: str, label: str) -> dict[str, Any]:
    """Parse TOML text; every failure (syntax, nesting too deep, integers of thousands of
    digits) is one ScenarioError line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(one_line(f"{label} is not valid TOML: {exc}")) from None
    except RecursionError:
        raise ScenarioError(f"{label}: values are nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ScenarioError(one_line(f"{label} is not valid TOML: {exc}", 300)) from None


def _looks_like_file(text_source: str) -> bool:
    if text_source.endswith(".toml"):
        return True
    try:
        return Path(text_source).is_file()
    except (OSError, ValueError):  # name too long, NUL byte
        return False


def _read_source(source: str | Path) -> tuple[dict[str, Any], str]:
    text_source = str(source)
    if _looks_like_file(text_source):
        path = Path(text_source)
        label = f"scenario file {shown(text_source)}"
        try:
            if not path.is_file():
                raise ScenarioError(f"{label} does not exist")
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ScenarioError(f"{label} has {size} bytes; at most {MAX_FILE_BYTES} are "
                                    "allowed")
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError, UnicodeDecodeError) as exc:  # ValueError: NUL in the name
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ScenarioError(one_line(f"cannot read {label}: {why}", 400)) from None
        label = text_source if len(text_source) <= 200 else label
    else:
        text = builtin_text(text_source)
        label = f"built-in scenario {text_source!r}"
    return _toml(text, label), label


# --------------------------------------------------------------------------------------------
# Validation, loading, saving


def scenario_from_dict(data: Mapping[str, Any], label: str = "scenario") -> Scenario:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"invalid {label}: expected a table of sections, got {shown(data)}")
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, label)) from None
    except RecursionError:
        raise ScenarioError(f"invalid {label}: values are nested too deeply") from None


def scenario_from_toml(text: str, label: str = "scenario") -> Scenario:
    """Validate a scenario given as TOML text."""
    return scenario_from_dict(_toml(text, label), label)


def load_scenario(
    source: str | Path | Scenario | Mapping[str, Any] = "breast",
    overrides: Iterable[str] | Mapping[str, Any] = (),
) -> Scenario:
    """Load a built-in scenario by name, a TOML file, a Scenario or a mapping of sections, then
    apply overrides. Types are strict (see :mod:`metacascade.scenario`).

    Parameters
    ----------
    source : str, Path, Scenario or mapping
        A built-in name (:func:`builtin_names`), the path of a TOML file, a
        :class:`Scenario` (copied) or a mapping of sections. Units are those of each key's
        name (days, cells, mm, per day; see :doc:`scenarios`).
    overrides : iterable of str, or mapping
        ``dotted.key=value`` strings whose values are read as TOML, or a mapping of dotted keys
        to Python values, applied in order (each in the unit its key names).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        An unknown name, an unreadable file, an unknown key or a value outside its range (one
        line naming the field, the value and the allowed range).

    Examples
    --------
    >>> import metacascade as mc
    >>> s = mc.load_scenario("iwata-hcc", ["dissemination.secondary=true"])
    >>> s.dissemination.secondary
    True
    """
    if isinstance(source, Scenario):
        data = source.model_dump(exclude_none=True)
        label = f"scenario {source.name!r}"
    elif isinstance(source, Mapping):
        data = copy.deepcopy(dict(source))
        label = "scenario mapping"
    elif isinstance(source, str | Path):
        data, label = _read_source(source)
    else:
        raise ScenarioError(f"scenario {shown(source)}: give a built-in name, a TOML file, a "
                            "Scenario or a mapping")
    apply_overrides(data, overrides)
    return scenario_from_dict(data, label)


def dump_toml(scenario: Scenario) -> str:
    """The fully resolved scenario as TOML (unset optional values are omitted).

    Parameters
    ----------
    scenario : Scenario
        The scenario to write.

    Returns
    -------
    str
        TOML text that :func:`load_scenario` reads back into an equal scenario.

    Examples
    --------
    >>> import metacascade as mc
    >>> text = mc.dump_toml(mc.load_scenario("breast"))
    >>> 'name = "breast"' in text and "[primary]" in text
    True
    """
    return tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True))


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario (for editors and validators of scenario files).

    Returns
    -------
    dict
        The JSON Schema document of :class:`Scenario` (each field with its description and
        unit).

    Examples
    --------
    >>> import metacascade as mc
    >>> "primary" in mc.scenario_json_schema()["properties"]
    True
    """
    return Scenario.model_json_schema()
