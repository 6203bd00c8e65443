"""Parsing a long-format observation table: the vectorised ``from_frame`` against the row loop.

The reference is the implementation before issue 13 (a Python loop over the rows, kept verbatim
below as ``from_frame_rowloop``). Both parse the same 1e6-row table (100,000 ids, ten
observations each, a covariate and a censoring column); the results are compared. Last line: one
JSON object (times in ms).
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metacascade.errors import DataError
from metacascade.inference.data import (
    DIAGNOSIS,
    OBSERVABLES,
    PRIMARY_OBSERVABLES,
    REQUIRED,
    RESECTION,
    ObservationData,
    SubjectData,
    from_frame,
    load_observations,
)


def _err(line: int, column: str, value: Any, what: str) -> DataError:
    return DataError(f"row {line}: column {column!r} = {value!r}: {what}")


# ---- the reference: the row loop as it was (verbatim apart from its name) -------------------

def from_frame_rowloop(df: pd.DataFrame, source: str = "data") -> ObservationData:
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



# ---------------------------------------------------------------------------------------------


def table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """A valid long-format table as ``load_observations`` reads it (strings for id, time and
    observable; ten rows per id: a primary size at diagnosis, then nine timed observations)."""
    rng = np.random.default_rng(seed)
    per = 10
    n_ids = n_rows // per
    ids = np.repeat(np.arange(n_ids), per).astype(str)
    k = np.tile(np.arange(per), n_ids)
    time = np.where(k == 0, DIAGNOSIS, (k * 7.0).astype(str))
    obs = np.where(k == 0, "primary_volume_cm3",
                   np.where(k % 2 == 1, "n_visible", "burden_marker"))
    value = np.round(rng.lognormal(3.0, 1.0, n_rows), 6)
    return pd.DataFrame({"id": ids, "time": time, "observable": obs, "value": value,
                         "censored": (k == 9).astype(np.int64),
                         "age": np.repeat(rng.integers(1, 10, n_ids), per)})


def same(a: ObservationData, b: ObservationData) -> bool:
    if a.ids != b.ids:
        return False
    for i in a.ids:
        x, y = a[i], b[i]
        if not (x.observable == y.observable and np.array_equal(x.value, y.value)
                and np.array_equal(x.time, y.time, equal_nan=True)
                and np.array_equal(x.row, y.row) and np.array_equal(x.censored, y.censored)
                and np.array_equal(x.at_diagnosis, y.at_diagnosis)
                and x.diagnosis_primary_cells == y.diagnosis_primary_cells
                and x.covariates == y.covariates):
            return False
    return bool(a.covariates.equals(b.covariates))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    df = table(n)
    with tempfile.TemporaryDirectory() as tmp:  # the whole user path: CSV file -> data
        path = Path(tmp) / "observations.csv"
        df.to_csv(path, index=False)
        t0 = time.perf_counter()
        load_observations(path)
        t_file = time.perf_counter() - t0
    t0 = time.perf_counter()
    new = from_frame(df, "bench")
    t_new = time.perf_counter() - t0
    t0 = time.perf_counter()
    old = from_frame_rowloop(df, "bench")
    t_old = time.perf_counter() - t0
    ok = same(new, old)
    print(f"{n:,} rows, {len(new.ids):,} ids: vectorised {t_new:.2f} s, row loop {t_old:.2f} s, "
          f"same result: {ok}; load_observations from the CSV file {t_file:.2f} s")
    print(json.dumps({"rows": n, "ids": len(new.ids), "vectorised_ms": round(1e3 * t_new, 1),
                      "load_observations_csv_ms": round(1e3 * t_file, 1),
                      "row_loop_ms": round(1e3 * t_old, 1),
                      "speedup": round(t_old / t_new, 1), "same_result": ok}))


if __name__ == "__main__":
    main()
