"""What ``metacascade infer-seeding`` writes: when each metastasis was seeded, and how sure we are.

Folder (``kind = "seeding"``; issue 16, the file and column names are a contract)::

    seeding.csv        one row per metastasis: met, log10_seeding_cells_median,
                       log10_seeding_cells_q1, log10_seeding_cells_q3,
                       years_before_diagnosis_median, years_before_diagnosis_lower,
                       years_before_diagnosis_upper, p_early, model
    posterior.parquet  the weighted posterior particles (met, model, weight, seeding_cells,
                       log10_seeding_cells, mutation_rate, years_before_diagnosis)
    posterior.csv      the same particles as text
    diagnostics.csv    per metastasis: model probabilities, the analytic first guess, early by
                       the Q3 rule, SMC generations, simulations, tolerance, stop reason
    predictive.csv     posterior predictive check, one row per metastasis and statistic
    observed.csv       the statistics S1..S9 inferred from
    provenance.json    the record: data, cancer type, timing law, settings, column types
    *.png              figures (drawn by :func:`metacascade.plotting.seeding.save_seeding_figures`)

Every table loads back with its dtypes from the column types in ``provenance.json``
(:mod:`metacascade.result.files`); the parquet copy holds the same particles with their types for
other tools (pandas, polars, R arrow) and is checked against the CSV by the tests.

Patients: a metastasis belongs to the patient named by its name up to the last ``_`` (Hu et al.
2019's names: V930_LU and V930_BM are patient V930); a patient seeded early when at least one of
its metastases did (:func:`early_patients`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from metacascade._version import __version__
from metacascade.result import jsonio
from metacascade.result.base import SavedResult, missing, register
from metacascade.result.files import column_types, read_csv, write_csv
from metacascade.result.provenance import Provenance, command_line, now
from metacascade.scenario import Scenario

SEEDING_CSV = "seeding.csv"
POSTERIOR_CSV = "posterior.csv"
POSTERIOR_PARQUET = "posterior.parquet"
DIAGNOSTICS_CSV = "diagnostics.csv"
PREDICTIVE_CSV = "predictive.csv"
OBSERVED_CSV = "observed.csv"
#: The tables of a seeding folder, attribute -> file.
TABLES = {"seeding": SEEDING_CSV, "posterior": POSTERIOR_CSV, "diagnostics": DIAGNOSTICS_CSV,
          "predictive": PREDICTIVE_CSV, "observed": OBSERVED_CSV}
#: ``provenance.json`` keys of a seeding folder besides the core ones, in order.
EXTRAS = ("data", "cancer_type", "timing", "detection_cells", "diagnosis_cells", "models",
          "mutation_rate", "purity", "population_size", "max_simulations", "settings")


def patient_of(met: str) -> str:
    """The patient of a metastasis: its name up to the last ``_`` (V930_LU -> V930)."""
    return met.rsplit("_", 1)[0] if "_" in met else met


def early_patients(mets: Sequence[str], early: Sequence[bool],
                   patient: Callable[[str], str] | None = None) -> pd.DataFrame:
    """Which patients were seeded early: those with at least one early metastasis (Hu et al. 2019).

    Parameters
    ----------
    mets : sequence of str
        Metastasis names (``V930_LU``: patient, underscore, site).
    early : sequence of bool
        Whether each metastasis was seeded early.
    patient : callable, optional
        The patient of a metastasis name (default: the name up to its last ``_``).

    Returns
    -------
    pandas.DataFrame
        Per patient, in order of first appearance: ``patient``, its ``metastases``
        (comma-separated) and ``early``.

    Examples
    --------
    >>> import metacascade as mc
    >>> mc.early_patients(["V930_LU", "V930_LI", "V750_LI"], [False, True, False])["early"].tolist()
    [True, False]
    """
    key = patient if patient is not None else patient_of
    df = pd.DataFrame({"met": [str(m) for m in mets], "early": [bool(e) for e in early]})
    df["patient"] = [key(m) for m in df["met"]]
    return df.groupby("patient", sort=False).agg(
        metastases=("met", lambda x: ",".join(x)), early=("early", "any")).reset_index()


@register
@dataclass
class SeedingResult(SavedResult):
    """The seeding inference of a table of metastases (module docstring): its five tables, the
    timing law's label and sizes, the settings (plain JSON data) and provenance. Made by
    :meth:`metacascade.inference.seeding_abc.SeedingRun.to_result`."""

    kind = "seeding"
    regenerate = "metacascade infer-seeding DATA --cancer-type TYPE --out DIR"

    seeding: pd.DataFrame
    posterior: pd.DataFrame
    diagnostics: pd.DataFrame
    predictive: pd.DataFrame
    observed: pd.DataFrame
    timing: str
    detection_cells: float
    diagnosis_cells: float
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    data: str = ""
    cancer_type: str = ""
    scenario: Scenario | None = None
    version: str = __version__
    created: str = field(default_factory=now)
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.settings = jsonio.plain(self.settings)
        self.detection_cells = float(self.detection_cells)
        self.diagnosis_cells = float(self.diagnosis_cells)
        self.command = tuple(self.command)

    def to_dataframe(self) -> pd.DataFrame:
        """The ``seeding.csv`` table (one row per metastasis)."""
        return self.seeding

    def early_patients(self) -> pd.DataFrame:
        """Per patient: seeded early when one of its metastases was, by the posterior-Q3 rule
        (``diagnostics.csv`` ``early_q3_rule``; Hu et al. 2019)."""
        d = self.diagnostics
        if "early_q3_rule" not in d.columns:
            return early_patients([], [])
        return early_patients(list(d["met"]), list(d["early_q3_rule"]))

    @property
    def provenance(self) -> Provenance:
        s = self.settings
        extra = {"data": self.data, "cancer_type": self.cancer_type, "timing": self.timing,
                 "detection_cells": self.detection_cells,
                 "diagnosis_cells": self.diagnosis_cells, "models": s.get("models"),
                 "mutation_rate": s.get("mutation_rate"), "purity": s.get("purity"),
                 "population_size": s.get("population_size"),
                 "max_simulations": s.get("max_simulations"), "settings": s}
        return Provenance("seeding", version=self.version, created=self.created,
                          command=self.command, seed=self.seed, scenario=self.scenario,
                          extra=extra,
                          columns={f: column_types(getattr(self, a)) for a, f in TABLES.items()})

    def write_into(self, folder: Path) -> None:
        """Write the tables and ``posterior.parquet`` (the figures:
        :func:`metacascade.plotting.seeding.save_seeding_figures`)."""
        folder.mkdir(parents=True, exist_ok=True)
        for attr, name in TABLES.items():
            write_csv(getattr(self, attr), folder / name)
        self.posterior.to_parquet(folder / POSTERIOR_PARQUET, index=False, engine="pyarrow")

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> SeedingResult:
        if provenance is None:  # every infer-seeding folder has had provenance.json
            raise missing(folder, "provenance.json", cls.regenerate)
        hint = "written by 'metacascade infer-seeding'"
        tables = {}
        for attr, name in TABLES.items():
            if not (folder / name).is_file():
                raise missing(folder, name, cls.regenerate)
            tables[attr] = read_csv(folder / name, provenance.columns.get(name), hint=hint)
        x = provenance.extra
        where = "provenance.json of a seeding folder"
        settings = jsonio.field(x, "settings", dict, where, optional=True) or {}
        return cls(**tables,
                   timing=str(jsonio.field(x, "timing", str, where, optional=True) or ""),
                   detection_cells=float(jsonio.field(x, "detection_cells", (int, float), where)),
                   diagnosis_cells=float(jsonio.field(x, "diagnosis_cells", (int, float), where)),
                   settings=settings, seed=provenance.seed,
                   data=str(jsonio.field(x, "data", str, where, optional=True) or ""),
                   cancer_type=str(jsonio.field(x, "cancer_type", str, where, optional=True)
                                   or ""),
                   scenario=provenance.scenario, version=provenance.version,
                   created=provenance.created, command=provenance.command)


__all__ = ["DIAGNOSTICS_CSV", "EXTRAS", "OBSERVED_CSV", "POSTERIOR_CSV", "POSTERIOR_PARQUET",
           "PREDICTIVE_CSV", "SEEDING_CSV", "TABLES", "SeedingResult", "early_patients",
           "patient_of"]
