"""Long-format observation data for fitting (one row per observation).

Columns (CSV, header required):

``id``
    Subject (patient, animal) identifier; any text.
``time``
    Day of the observation (>= 0, same clock as the scenario: day 0 = the first cancer cell), or
    the word ``diagnosis``. ``diagnosis`` is for data whose date is unknown but set by the primary
    size at that moment (Benzekry 2021: the tumour's age follows from its size): a
    ``primary_*`` row at ``diagnosis`` fixes that subject's ``detection.primary_cells``, and every
    row at ``diagnosis`` is compared with the model at the day the primary reaches that size.
    That primary row defines the time, so it is not itself a term of the likelihood. Without such a
    row, the scenario's ``detection.primary_cells`` is used. An empty time is an error.
``observable``
    One of :data:`OBSERVABLES` (units in the table), or the event ``resection``.
``value``
    The measurement in the unit of its observable. For ``resection`` rows the value is ignored
    and may be empty; the row's time is the resection day (``diagnosis`` = at diagnosis).
``censored`` (optional)
    0 or 1; 1 = left-censored: the true value is at most ``value`` (below a detection limit).
any other column
    A covariate: it must be constant within each id (used in the survival and population
    analyses, never by the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.errors import DataError

Array = npt.NDArray[np.float64]

REQUIRED = ("id", "time", "observable", "value")
DIAGNOSIS = "diagnosis"
RESECTION = "resection"

#: observable -> (model quantity, factor from model units to the observed unit, unit, meaning).
#: ``burden_marker`` is phi * (primary + metastatic cells); phi is the fit setting ``marker.phi``.
OBSERVABLES: dict[str, tuple[str, float, str, str]] = {
    "primary_cells": ("primary_cells", 1.0, "cells", "primary tumour size"),
    "primary_volume_mm3": ("primary_cells", 1e-6, "mm^3", "primary volume (1 mm^3 = 1e6 cells)"),
    "primary_volume_cm3": ("primary_cells", 1e-9, "cm^3", "primary volume (1 cm^3 = 1e9 cells)"),
    "metastatic_burden_cells": ("metastatic_burden_cells", 1.0, "cells",
                                "total metastatic burden M(t)"),
    "visible_burden_cells": ("visible_burden_cells", 1.0, "cells",
                             "burden in visible metastases"),
    "n_metastases": ("n_metastases", 1.0, "metastases", "expected number of metastases N(t)"),
    "n_visible": ("n_visible", 1.0, "metastases",
                  "number of visible metastases (e.g. the SIOPEN score)"),
    "total_cells": ("total_cells", 1.0, "cells", "primary + metastatic cells"),
    "burden_marker": ("total_cells", 1.0, "marker unit (e.g. UI/L)",
                      "biomarker proportional to total cells, phi * (Vp + M) (e.g. LDH)"),
}
PRIMARY_OBSERVABLES = ("primary_cells", "primary_volume_mm3", "primary_volume_cm3")


@dataclass
class SubjectData:
    """The observations of one id, normalised."""

    id: str
    time: Array  # day, nan where at_diagnosis
    at_diagnosis: npt.NDArray[np.bool_]
    observable: list[str]
    value: Array
    censored: npt.NDArray[np.bool_]
    row: npt.NDArray[np.int64]  # CSV line numbers (header = line 1)
    diagnosis_primary_cells: float | None = None
    resection_day: float | None = None
    resection_at_diagnosis: bool = False
    covariates: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.value)

    def scenario_overrides(self) -> dict[str, Any]:
        """Per-id scenario values implied by the data (diagnosis size, resection)."""
        out: dict[str, Any] = {}
        if self.diagnosis_primary_cells is not None:
            out["detection.primary_cells"] = self.diagnosis_primary_cells
        if self.resection_day is not None:
            out["treatment.resection_day"] = self.resection_day
            out["treatment.resection_at_detection"] = False
        elif self.resection_at_diagnosis:
            out["treatment.resection_day"] = None
            out["treatment.resection_at_detection"] = True
        return out


@dataclass
class ObservationData:
    """A validated data set: one :class:`SubjectData` per id (in file order)."""

    subjects: dict[str, SubjectData]
    covariates: pd.DataFrame  # one row per id, index = id
    source: str = ""

    @property
    def ids(self) -> list[str]:
        return list(self.subjects)

    def __getitem__(self, key: str) -> SubjectData:
        try:
            return self.subjects[str(key)]
        except KeyError:
            raise DataError(f"id {key!r} is not in the data (ids: {', '.join(self.ids[:10])}"
                            f"{' ...' if len(self.ids) > 10 else ''})") from None


def _err(line: int, column: str, value: Any, what: str) -> DataError:
    return DataError(f"row {line}: column {column!r} = {value!r}: {what}")


def from_frame(df: pd.DataFrame, source: str = "data") -> ObservationData:
    """Validate a long-format table (see the module docstring) and split it by id.

    Errors name the CSV line (header = line 1), the column, the value and what is allowed.
    """
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}; a long-format file "
                        f"needs {', '.join(REQUIRED)} (found: {', '.join(df.columns) or 'none'})")
    if df.empty:
        raise DataError(f"{source}: no data rows")
    covariate_cols = [c for c in df.columns if c not in (*REQUIRED, "censored")]
    subjects: dict[str, dict[str, Any]] = {}
    allowed = ", ".join([*OBSERVABLES, RESECTION])
    for i, rec in enumerate(df.to_dict("records")):
        line = i + 2
        rid = rec["id"]
        if rid is None or (isinstance(rid, float) and math.isnan(rid)) or str(rid).strip() == "":
            raise _err(line, "id", rid, "an id is required")
        sid = str(rid).strip()
        if isinstance(rid, float) and rid.is_integer():
            sid = str(int(rid))
        obs = str(rec["observable"]).strip()
        if obs not in OBSERVABLES and obs != RESECTION:
            raise _err(line, "observable", rec["observable"], f"allowed: {allowed}")
        t_raw = rec["time"]
        t_txt = "" if t_raw is None or (isinstance(t_raw, float) and math.isnan(t_raw)) \
            else str(t_raw).strip()
        at_diag = t_txt.lower() == DIAGNOSIS
        if t_txt == "":
            raise _err(line, "time", t_raw, f"empty; give a day >= 0 or '{DIAGNOSIS}'")
        t = math.nan
        if not at_diag:
            try:
                t = float(t_txt)
            except ValueError:
                raise _err(line, "time", t_raw,
                           f"not a number; give a day >= 0 or '{DIAGNOSIS}'") from None
            if not math.isfinite(t) or t < 0:
                raise _err(line, "time", t_raw, "must be a finite day >= 0")
        s = subjects.setdefault(sid, {"time": [], "diag": [], "obs": [], "value": [],
                                      "cens": [], "row": [], "diag_primary": None,
                                      "resection": None, "res_diag": False, "cov": {}})
        for c in covariate_cols:
            v = rec[c]
            prev = s["cov"].get(c, v)
            same = (prev == v) or (pd.isna(prev) and pd.isna(v))
            if not same:
                raise _err(line, c, v, f"covariate must be constant within id {sid!r} "
                           f"(earlier: {prev!r})")
            s["cov"][c] = v
        if obs == RESECTION:
            if s["resection"] is not None or s["res_diag"]:
                raise _err(line, "observable", obs, f"id {sid!r} has two resection rows")
            if at_diag:
                s["res_diag"] = True
            else:
                s["resection"] = t
            continue
        v_raw = rec["value"]
        try:
            v = float(v_raw)
        except (TypeError, ValueError):
            raise _err(line, "value", v_raw, "not a number") from None
        if not math.isfinite(v):
            raise _err(line, "value", v_raw, "must be a finite number")
        if v < 0:
            raise _err(line, "value", v_raw, "must be >= 0 (sizes, counts and markers)")
        cens = False
        if "censored" in df.columns:
            c_raw = rec["censored"]
            if c_raw is None or (isinstance(c_raw, float) and math.isnan(c_raw)) or \
                    str(c_raw).strip() == "":
                cens = False
            elif str(c_raw).strip().lower() in ("0", "1", "0.0", "1.0", "true", "false"):
                cens = str(c_raw).strip().lower() in ("1", "1.0", "true")
            else:
                raise _err(line, "censored", c_raw, "allowed: 0 or 1 (empty = 0)")
        if at_diag and obs in PRIMARY_OBSERVABLES:
            if s["diag_primary"] is not None:
                raise _err(line, "observable", obs,
                           f"id {sid!r} has two primary sizes at diagnosis")
            if v <= 0:
                raise _err(line, "value", v_raw, "the primary size at diagnosis must be > 0")
            s["diag_primary"] = v / OBSERVABLES[obs][1]
            continue
        s["time"].append(t)
        s["diag"].append(at_diag)
        s["obs"].append(obs)
        s["value"].append(v)
        s["cens"].append(cens)
        s["row"].append(line)
    out: dict[str, SubjectData] = {}
    for sid, s in subjects.items():
        if not s["value"]:
            raise DataError(f"{source}: id {sid!r} has no observations to fit (only "
                            "events or the primary size at diagnosis)")
        out[sid] = SubjectData(
            id=sid, time=np.asarray(s["time"], dtype=np.float64),
            at_diagnosis=np.asarray(s["diag"], dtype=bool), observable=s["obs"],
            value=np.asarray(s["value"], dtype=np.float64),
            censored=np.asarray(s["cens"], dtype=bool), row=np.asarray(s["row"], dtype=np.int64),
            diagnosis_primary_cells=s["diag_primary"], resection_day=s["resection"],
            resection_at_diagnosis=s["res_diag"], covariates=dict(s["cov"]))
    cov = pd.DataFrame([{"id": k, **v.covariates} for k, v in out.items()]).set_index("id")
    return ObservationData(subjects=out, covariates=cov, source=source)


def load_observations(path: str | Path) -> ObservationData:
    """Read and validate a long-format CSV file (see the module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file {str(p)!r} not found")
    try:
        df = pd.read_csv(p, dtype={"id": str, "time": str, "observable": str},
                         skipinitialspace=True, float_precision="round_trip")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{p}: cannot be read as CSV ({exc})") from None
    return from_frame(df, source=str(p))
