"""The one JSON encoder and decoder of metacascade's output files.

Every JSON file metacascade writes (``summary.json``, ``provenance.json``, ``estimates.json``,
``claims.json``, ``prediction.json``, ...) goes through :func:`dumps`, and every one it reads back
through :func:`read_json`. The rules, written once:

* strict JSON: a non-finite float (NaN, +-inf) becomes ``null`` (it means "undefined" or "never");
* numpy scalars become Python numbers and booleans, numpy arrays nested lists, tuples and sets
  lists, paths strings, dates and datetimes ISO 8601 text, mapping keys strings;
* anything else (an arbitrary object) is refused with a ``TypeError``: an output never holds a
  ``repr`` that cannot be read back;
* a file that is missing, unreadable, not valid JSON or of the wrong shape is a
  :class:`~metacascade.errors.DataError` with one line naming the file.

Reading never evaluates anything: :func:`json.loads` builds dicts, lists, strings, numbers,
booleans and None only.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from metacascade.errors import DataError, shown

#: Deepest nesting accepted when reading (a hostile file nested a million deep is refused, not a
#: RecursionError).
MAX_DEPTH = 200


def plain(value: Any) -> Any:
    """``value`` as plain JSON data (dict, list, str, int, float, bool, None) by the rules above.

    Applying it twice gives the same result; ``json.loads(dumps(x)) == plain(x)``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        x = float(value)
        return x if math.isfinite(x) else None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [plain(v) for v in items]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"arrays of dtype {value.dtype} are not written to JSON")
        return plain(value.tolist())
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} values are not written to JSON: {shown(value)}")


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text of ``value`` (see :func:`plain`), ending with a newline when indented."""
    text = json.dumps(plain(value), indent=indent, allow_nan=False)
    return text + "\n" if indent is not None else text


def write_json(path: str | Path, value: Any, *, indent: int | None = 2) -> None:
    """Write ``value`` as strict JSON (UTF-8) to ``path``."""
    Path(path).write_text(dumps(value, indent=indent), encoding="utf-8")


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def loads(text: str, where: str = "JSON") -> Any:
    """Decode JSON text; a syntax error or a nesting deeper than :data:`MAX_DEPTH` is a
    :class:`DataError` naming ``where``. NaN and Infinity literals (older files) are read as
    floats."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column "
                        f"{exc.colno}); the file is damaged: regenerate it") from None
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply (more than {MAX_DEPTH} levels)") from None
    if _depth(value) > MAX_DEPTH:
        raise DataError(f"{where}: JSON nested too deeply (more than {MAX_DEPTH} levels)")
    return value


def read_json(path: str | Path, *, expect: type = dict, max_bytes: int | None = None,
              hint: str = "") -> Any:
    """Read a JSON file; missing, unreadable, too large, invalid or of another top-level type
    than ``expect`` (dict or list) is a one-line :class:`DataError` naming the file. ``hint``
    (e.g. "written by 'metacascade fit'") is added to the messages."""
    p = Path(path)
    where = shown(os.fspath(p))
    tail = f" ({hint})" if hint else ""
    try:
        if not p.is_file():
            raise DataError(f"{where} not found{tail}")
        if max_bytes is not None and p.stat().st_size > max_bytes:
            raise DataError(f"{where} is larger than {max_bytes:,} bytes; not a metacascade "
                            f"file{tail}")
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{where}: not UTF-8 text; the file is damaged{tail}") from None
    except OSError as exc:
        raise DataError(f"{where}: cannot read it ({exc.strerror or exc}){tail}") from None
    value = loads(text, where)
    if not isinstance(value, expect):
        want = "an object {...}" if expect is dict else "a list [...]"
        raise DataError(f"{where}: expected {want} at the top level, found "
                        f"{type(value).__name__}{tail}")
    return value


def field(doc: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str,
          *, optional: bool = False) -> Any:
    """``doc[key]`` checked to be of ``kind`` (a wrong-shaped file is a one-line DataError);
    ``None`` when ``optional`` and the key is missing or null."""
    if key not in doc or doc[key] is None:
        if optional:
            return None
        raise DataError(f"{where}: the key {key!r} is missing; the file is damaged or was not "
                        "written by metacascade")
    value = doc[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds) or (float in kinds and isinstance(value, int))
    if not ok:
        names = " or ".join(k.__name__ for k in kinds)
        raise DataError(f"{where}: {key!r} should be {names}, found {shown(value, 80)}")
    return float(value) if kinds == (float,) else value


__all__ = ["MAX_DEPTH", "dumps", "field", "loads", "plain", "read_json", "write_json"]
