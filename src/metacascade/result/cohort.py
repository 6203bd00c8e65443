"""A virtual cohort (``metacascade cohort``): one row per patient, summary numbers, provenance.

Folder (``kind = "cohort"``)::

    patients.csv     one row per patient (columns of :mod:`metacascade.engines.patients`)
    summary.json     death fractions, KM medians, ... plus version, seed, created, variability and
                     the scenario name (contract)
    scenario.toml    the resolved scenario
    provenance.json  the provenance record (with the column types of patients.csv)
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
from metacascade.scenario import Scenario, dump_toml, scenario_from_toml

PATIENTS = "patients.csv"
#: Keys ``summary.json`` adds to the summary numbers.
SUMMARY_EXTRAS = ("version", "seed", "created", "variability", "scenario")


@register
@dataclass
class CohortResult(SavedResult):
    """Per-patient table, summary numbers and provenance of a cohort. ``summary`` is plain JSON
    data (an undefined number, e.g. a median survival never reached, is ``None``).

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per patient (``patients.csv``): days of diagnosis, relapse and death, cells at
        diagnosis, counts of metastases, and each varied parameter.
    summary : dict
        Cohort numbers: fractions (relapse, metastatic death), medians in days, survival at 5
        and 10 years (probability).
    scenario : Scenario
        The scenario of the typical patient.
    seed : int
        The random seed of the cohort (a non-negative integer).
    variability : dict of str to float
        Dotted key -> log-normal standard deviation (dimensionless) of that parameter.
    version : str
        The metacascade version that made the result.
    created : str
        UTC time the result was made (ISO 8601).
    command : tuple of str
        The command line that made the result.

    Examples
    --------
    >>> import metacascade as mc
    >>> c = mc.simulate_cohort(mc.load_scenario("breast"), 20, seed=1)
    >>> len(c.to_dataframe()), c.summary["n_patients"]
    (20, 20)
    """

    kind = "cohort"
    regenerate = "metacascade cohort SCENARIO --out DIR"

    patients: pd.DataFrame
    summary: dict[str, Any]
    scenario: Scenario
    seed: int
    variability: dict[str, float]
    version: str = __version__
    created: str = field(default_factory=now)
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.summary = jsonio.plain(self.summary)
        self.variability = jsonio.plain(self.variability)
        self.command = tuple(self.command)

    def to_dataframe(self) -> pd.DataFrame:
        """The per-patient table (``patients.csv``).

        Returns
        -------
        pandas.DataFrame
            One row per patient (days, cells, counts; see the class docstring).
        """
        return self.patients

    @property
    def provenance(self) -> Provenance:
        """The provenance record written as ``provenance.json``."""
        return Provenance("cohort", version=self.version, created=self.created,
                          command=self.command, seed=self.seed, scenario=self.scenario,
                          extra={"n_patients": len(self.patients),
                                 "variability": self.variability},
                          columns={PATIENTS: column_types(self.patients)})

    def write_into(self, folder: Path) -> None:
        """Write patients.csv, summary.json and scenario.toml into ``folder`` (the figures:
        :func:`metacascade.plotting.cohort.save_cohort_figures`)."""
        folder.mkdir(parents=True, exist_ok=True)
        write_csv(self.patients, folder / PATIENTS)
        meta = dict(self.summary)
        meta.update({"version": self.version, "seed": self.seed, "created": self.created,
                     "variability": self.variability, "scenario": self.scenario.name})
        jsonio.write_json(folder / "summary.json", meta)
        (folder / "scenario.toml").write_text(dump_toml(self.scenario), encoding="utf-8")

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> CohortResult:
        """The cohort stored in ``folder`` (patients.csv, summary.json, provenance)."""
        if not (folder / PATIENTS).is_file():
            raise missing(folder, PATIENTS, cls.regenerate)
        doc = jsonio.read_json(folder / "summary.json", hint="written by 'metacascade cohort'")
        where = shown(str(folder / "summary.json"))
        types = provenance.columns.get(PATIENTS) if provenance is not None else None
        patients = read_csv(folder / PATIENTS, types, hint="written by 'metacascade cohort'")
        if provenance is not None and provenance.scenario is not None:
            scenario = provenance.scenario
        else:  # folders older than the provenance record: the scenario file
            toml = folder / "scenario.toml"
            if not toml.is_file():
                raise missing(folder, "scenario.toml", cls.regenerate)
            try:
                scenario = scenario_from_toml(toml.read_text(encoding="utf-8"), str(toml))
            except MetacascadeError as exc:
                raise DataError(str(exc)) from None
        variability = jsonio.field(doc, "variability", dict, where)
        summary = {k: v for k, v in doc.items() if k not in SUMMARY_EXTRAS}
        return cls(patients=patients, summary=summary, scenario=scenario,
                   seed=jsonio.field(doc, "seed", int, where), variability=variability,
                   version=jsonio.field(doc, "version", str, where),
                   created=jsonio.field(doc, "created", str, where),
                   command=provenance.command if provenance is not None else ())


__all__ = ["PATIENTS", "CohortResult"]
