"""The injection experiment (``metacascade cascade inject``): the fates of injected cells.

Folder (``kind = "injection"``)::

    fates.csv           fraction of the injected cells in each state over time
    fates_by_organ.csv  the same per organ and stage
    summary.json        efficiencies, final and expected fractions, the cascade parameters, plus
                        version, created, seed, scenario_name and the scenario (contract)
    provenance.json     the provenance record (cells, route, days; column types)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from metacascade._version import __version__
from metacascade.errors import DataError, MetacascadeError, shown
from metacascade.result import jsonio
from metacascade.result.base import SavedResult, missing, register
from metacascade.result.files import column_types, read_csv, write_csv
from metacascade.result.provenance import Provenance, command_line, now
from metacascade.scenario import Scenario, scenario_from_dict

FATES = "fates.csv"
BY_ORGAN = "fates_by_organ.csv"
#: Keys ``summary.json`` adds to the engine's summary.
SUMMARY_EXTRAS = ("version", "created", "scenario_name", "scenario")


@register
@dataclass
class InjectionResult(SavedResult):
    """Fractions of the injected cells in each state (``fates``), per organ (``by_organ``), a
    summary (plain JSON data) and provenance. ``scenario`` is the scenario the cascade
    parameters were taken from (None when they were given directly).

    Parameters
    ----------
    fates : pandas.DataFrame
        ``time_days`` (days) and the fraction (0 to 1) of injected cells in each state.
    by_organ : pandas.DataFrame
        ``time_days``, ``organ`` and the fraction of injected cells alive in each stage there.
    summary : dict
        Route, number of cells, days, seed, ``overall_efficiency`` (macroscopic tumours per
        injected cell) and the exact expected values.
    scenario : Scenario or None
        The scenario the cascade parameters came from.
    version : str
        The metacascade version that made the result.
    created : str
        UTC time the result was made (ISO 8601).
    command : tuple of str
        The command line that made the result.

    Examples
    --------
    >>> import metacascade as mc
    >>> r = mc.inject(1000, "tail-vein", 30.0, seed=1)
    >>> r.summary["cells"], r.seed
    (1000, 1)
    >>> bool((r.to_dataframe().drop(columns="time_days").sum(axis=1).round(12) <= 1).all())
    True
    """

    kind = "injection"
    regenerate = "metacascade cascade inject --out DIR"

    fates: pd.DataFrame
    by_organ: pd.DataFrame
    summary: dict[str, Any]
    scenario: Scenario | None = None
    version: str = __version__
    created: str = field(default_factory=now)
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.summary = jsonio.plain(self.summary)
        self.command = tuple(self.command)

    @property
    def seed(self) -> int | None:
        """The random seed of the injection (None when the summary has none)."""
        seed = self.summary.get("seed")
        return int(seed) if isinstance(seed, int) else None

    def to_dataframe(self) -> pd.DataFrame:
        """The fates over time (``fates.csv``).

        Returns
        -------
        pandas.DataFrame
            ``time_days`` (days) and the fraction (0 to 1) of injected cells in each state.
        """
        return self.fates

    def summary_json(self) -> dict[str, Any]:
        """``summary.json`` content: the summary plus version, created time and scenario.

        Returns
        -------
        dict
            Plain JSON data.
        """
        out = dict(self.summary)
        out.update(version=self.version, created=self.created,
                   scenario_name=self.scenario.name if self.scenario is not None else None,
                   scenario=self.scenario.model_dump(mode="json", exclude_none=True)
                   if self.scenario is not None else None)
        return out

    @property
    def provenance(self) -> Provenance:
        """The provenance record written as ``provenance.json``."""
        s = self.summary
        return Provenance("injection", version=self.version, created=self.created,
                          command=self.command, seed=self.seed, scenario=self.scenario,
                          extra={"cells": s.get("cells"), "route": s.get("route"),
                                 "days": s.get("days")},
                          columns={FATES: column_types(self.fates),
                                   BY_ORGAN: column_types(self.by_organ)})

    def write_into(self, folder: Path) -> None:
        """Write fates.csv, fates_by_organ.csv and summary.json (the figure:
        :func:`metacascade.plotting.injection.save_injection_figures`). Fractions are written in
        their shortest exact form."""
        write_csv(self.fates, folder / FATES)
        write_csv(self.by_organ, folder / BY_ORGAN)
        jsonio.write_json(folder / "summary.json", self.summary_json())

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> InjectionResult:
        """The injection stored in ``folder`` (fates, fates by organ, summary)."""
        for name in (FATES, BY_ORGAN):
            if not (folder / name).is_file():
                raise missing(folder, name, cls.regenerate)
        doc = jsonio.read_json(folder / "summary.json", hint="written by 'metacascade cascade "
                               "inject'")
        where = shown(str(folder / "summary.json"))
        cols = provenance.columns if provenance is not None else {}
        fates = read_csv(folder / FATES, cols.get(FATES))
        by_organ = read_csv(folder / BY_ORGAN, cols.get(BY_ORGAN))
        scenario = provenance.scenario if provenance is not None else None
        raw = jsonio.field(doc, "scenario", dict, where, optional=True)
        if scenario is None and raw is not None:  # folders older than the provenance record
            try:
                scenario = scenario_from_dict(raw, f"scenario in {where}")
            except MetacascadeError as exc:
                raise DataError(str(exc)) from None
        return cls(fates=fates, by_organ=by_organ,
                   summary={k: v for k, v in doc.items() if k not in SUMMARY_EXTRAS},
                   scenario=scenario,
                   version=jsonio.field(doc, "version", str, where, optional=True)
                   or (provenance.version if provenance is not None else "unknown"),
                   created=jsonio.field(doc, "created", str, where, optional=True)
                   or (provenance.created if provenance is not None else ""),
                   command=provenance.command if provenance is not None else ())


__all__ = ["BY_ORGAN", "FATES", "InjectionResult"]
