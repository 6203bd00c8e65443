"""The one provenance record of every output: what made it, when, from which scenario and seed.

Every output folder holds ``provenance.json``, written last by the atomic writer
(:mod:`metacascade.result.writer`) from a :class:`Provenance`. Its keys, in order::

    kind           run | cohort | injection | fit | prediction | claims
    version        metacascade version that wrote it
    created        UTC time (ISO 8601, seconds) the result was made
    command        the command line (argv; "metacascade" for the CLI)
    seed           the random seed (omitted when the result has none)
    scenario_name  the scenario's name (null when there is none, e.g. claims)
    ...            command-specific fields (e.g. n_patients, route, data, fit, id, quick, ids)
    columns        the column types of the CSV tables, so that they load back exactly
    scenario       the resolved scenario (every value, after overrides)

The ``kind`` marks the folder as a metacascade output: :mod:`metacascade.result.writer` only ever
replaces a folder of the same kind, and :func:`metacascade.result.load` picks the class from it.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metacascade._version import __version__
from metacascade.errors import DataError, MetacascadeError, shown
from metacascade.result import jsonio
from metacascade.scenario import Scenario, scenario_from_dict

#: The provenance file that marks a folder as a metacascade output.
PROVENANCE = "provenance.json"
#: Output kinds (``provenance.json`` ``kind``); a folder is only replaced by an output of its kind.
#: ``report`` names the single HTML file of ``metacascade report`` (it has no folder).
KINDS = ("run", "cohort", "injection", "fit", "prediction", "claims", "report", "seeding",
         "stochastic", "sequencing")
#: The keys :class:`Provenance` owns; any other key of ``provenance.json`` is an extra.
CORE_KEYS = ("kind", "version", "created", "command", "seed", "scenario_name", "columns",
             "scenario")
#: ``provenance.json`` is small; a larger file is not ours (read at most this many bytes).
MAX_BYTES = 1 << 22


def now() -> str:
    """The current UTC time as ISO 8601 text to the second (the ``created`` stamp)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def command_line() -> tuple[str, ...]:
    """The command that is running, as argv (``metacascade`` instead of a ``__main__.py`` path)."""
    argv = list(sys.argv) or [""]
    if Path(argv[0]).name in ("__main__.py", "metacascade"):
        argv[0] = "metacascade"
    return tuple(str(a) for a in argv)


@dataclass
class Provenance:
    """Who made an output, when, how and from what (see the module docstring for the file).

    Parameters
    ----------
    kind : str
        The output kind, one of :data:`KINDS` (``run``, ``cohort``, ``fit`` ...).
    version : str
        The metacascade version that wrote it.
    created : str
        UTC time the result was made (ISO 8601, seconds).
    command : tuple of str
        The command line (argv; ``metacascade`` for the CLI).
    seed : int or None
        The random seed (a non-negative integer; None when the result has none).
    scenario : Scenario or None
        The resolved scenario.
    scenario_name : str or None
        The scenario's name (default: that of ``scenario``).
    extra : dict
        Command-specific fields (e.g. ``n_patients``, ``route``); never a core key.
    columns : dict
        CSV file name -> column name -> type, so that tables load back exactly.

    Raises
    ------
    ValueError
        An unknown ``kind`` or an extra named like a core key.

    Examples
    --------
    >>> import metacascade as mc
    >>> p = mc.Provenance("run", seed=3, command=("metacascade", "run", "breast"))
    >>> doc = p.to_json()
    >>> doc["kind"], doc["seed"], doc["command"]
    ('run', 3, ['metacascade', 'run', 'breast'])
    >>> mc.Provenance.from_json(doc) == p
    True
    """

    kind: str
    version: str = __version__
    created: str = field(default_factory=now)
    command: tuple[str, ...] = field(default_factory=command_line)
    seed: int | None = None
    scenario: Scenario | None = None
    scenario_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown output kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.scenario_name is None and self.scenario is not None:
            self.scenario_name = self.scenario.name
        self.command = tuple(str(a) for a in self.command)
        clash = sorted(set(self.extra) & set(CORE_KEYS))
        if clash:
            raise ValueError(f"provenance extras may not be named {', '.join(clash)}")
        self.extra = jsonio.plain(self.extra)

    def to_json(self) -> dict[str, Any]:
        """The ``provenance.json`` document.

        Returns
        -------
        dict
            Plain JSON data with the keys in the order of the module docstring.
        """
        doc: dict[str, Any] = {"kind": self.kind, "version": self.version,
                               "created": self.created, "command": list(self.command)}
        if self.seed is not None:
            doc["seed"] = int(self.seed)
        doc["scenario_name"] = self.scenario_name
        doc.update(self.extra)
        if self.columns:
            doc["columns"] = self.columns
        if self.scenario is not None:
            doc["scenario"] = self.scenario.model_dump(mode="json")
        return jsonio.plain(doc)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], where: str = PROVENANCE) -> Provenance:
        """Read a ``provenance.json`` document; a wrong-shaped one is a one-line DataError.

        Parameters
        ----------
        doc : mapping
            The parsed JSON document.
        where : str
            Where it came from, for error messages.

        Returns
        -------
        Provenance
            The record.

        Raises
        ------
        DataError
            A missing or wrongly typed key, or an unknown kind.
        """
        f = jsonio.field
        kind = f(doc, "kind", str, where)
        if kind not in KINDS:
            raise DataError(f"{where}: kind {shown(kind)} is not one of {', '.join(KINDS)}; was "
                            "the folder written by a newer metacascade?")
        command = f(doc, "command", list, where, optional=True) or []
        if not all(isinstance(a, str) for a in command):
            raise DataError(f"{where}: 'command' should be a list of strings")
        seed = f(doc, "seed", int, where, optional=True)
        columns = f(doc, "columns", dict, where, optional=True) or {}
        for name, cols in columns.items():
            if not (isinstance(cols, dict) and all(isinstance(v, str) for v in cols.values())):
                raise DataError(f"{where}: 'columns' of {shown(name)} should map names to types")
        raw = f(doc, "scenario", dict, where, optional=True)
        try:
            scenario = None if raw is None else scenario_from_dict(raw, f"scenario in {where}")
        except MetacascadeError as exc:
            raise DataError(str(exc)) from None
        return cls(kind=kind, version=f(doc, "version", str, where),
                   created=f(doc, "created", str, where, optional=True) or "",
                   command=tuple(command), seed=seed, scenario=scenario,
                   scenario_name=f(doc, "scenario_name", str, where, optional=True),
                   extra={k: v for k, v in doc.items() if k not in CORE_KEYS}, columns=columns)

    @classmethod
    def read(cls, folder: str | Path) -> Provenance:
        """The provenance of an output folder; a missing or damaged file is a DataError.

        Parameters
        ----------
        folder : str or Path
            An output folder of metacascade.

        Returns
        -------
        Provenance
            The record of its ``provenance.json``.

        Raises
        ------
        DataError
            ``provenance.json`` is missing, too large or damaged.
        """
        p = Path(folder) / PROVENANCE
        where = shown(os.fspath(p))
        doc = jsonio.read_json(p, max_bytes=MAX_BYTES)
        return cls.from_json(doc, where)

    def write(self, folder: str | Path) -> None:
        """Write ``provenance.json`` into ``folder``.

        Parameters
        ----------
        folder : str or Path
            An existing folder.
        """
        jsonio.write_json(Path(folder) / PROVENANCE, self.to_json())


def read_record(folder: str | Path) -> dict[str, Any] | None:
    """The raw provenance document of a metacascade output folder, or None when it is not one
    (never raises: the atomic writer asks this of any folder it might replace)."""
    p = Path(folder) / PROVENANCE
    try:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        doc = jsonio.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("kind") not in KINDS or "version" not in doc:
        return None
    return doc


__all__ = ["CORE_KEYS", "KINDS", "PROVENANCE", "Provenance", "command_line", "now",
           "read_record"]
