"""The outcome of one simulation: time series, key events and provenance, with exact save/load."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from metacascade.outputs import output_folder
from metacascade.scenario import Scenario, dump_toml, scenario_from_toml

#: Columns of ``timeseries.csv`` that users' scripts rely on (in this order).
TIMESERIES_COLUMNS = [
    "time_days",
    "primary_cells",
    "n_metastases",
    "metastatic_burden_cells",
    "n_visible",
    "visible_burden_cells",
    "p_any_metastasis",
]

RESULT_STORE = "result.zarr"


def _clean(value: Any) -> Any:
    """JSON-safe value: non-finite floats become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@dataclass
class Result:
    """Time series (xarray), key events (``summary``) and provenance of one simulated patient.

    ``timeseries`` has the dimension ``time_days`` (and ``organ`` for per-organ variables);
    ``sizes`` (optional) holds size distributions at selected times.
    """

    timeseries: xr.Dataset
    summary: dict[str, Any]
    scenario: Scenario
    version: str
    seed: int
    created: str
    sizes: xr.Dataset | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # ---- views ----------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """The contract columns of ``timeseries.csv`` followed by any other 1-D series."""
        ds = self.timeseries
        one_d = [str(v) for v in ds.data_vars if ds[v].dims == ("time_days",)]
        cols = [c for c in TIMESERIES_COLUMNS[1:] if c in one_d]
        cols += [v for v in one_d if v not in cols]
        df = ds[cols].to_dataframe().reset_index()
        return df

    def summary_json(self) -> dict[str, Any]:
        """``summary.json`` content: key events plus scenario, version and seed."""
        out = dict(self.summary)
        out["scenario"] = self.scenario.model_dump(mode="json", exclude_none=True)
        out["scenario_name"] = self.scenario.name
        out["version"] = self.version
        out["seed"] = self.seed
        out["created"] = self.created
        return _clean(out)

    # ---- persistence ----------------------------------------------------------------------
    def save(self, directory: str | Path, *, force: bool = False) -> Path:
        """Write ``result.zarr`` (everything), ``summary.json``, ``scenario.toml``,
        ``timeseries.csv`` and ``provenance.json`` into ``directory``, atomically; an existing
        folder is replaced only when it is a metacascade run output (or ``force``), see
        :mod:`metacascade.outputs`."""
        target = Path(directory)
        with output_folder(target, "run", force=force, seed=self.seed,
                           scenario_name=self.scenario.name) as tmp:
            self.write_into(tmp)
        return target

    def write_into(self, folder: Path) -> None:
        """Write the result files into an existing folder (no atomicity)."""
        attrs = {
            "summary": json.dumps(_clean(self.summary)),
            "scenario_toml": dump_toml(self.scenario),
            "version": self.version,
            "seed": self.seed,
            "created": self.created,
            "extra": json.dumps(_clean(self.extra)),
        }
        ts = self.timeseries.copy()
        ts.attrs = {**ts.attrs, **attrs}
        store = folder / RESULT_STORE
        ts.to_zarr(store, group="timeseries", mode="w", consolidated=False)
        if self.sizes is not None:
            self.sizes.to_zarr(store, group="sizes", mode="a", consolidated=False)
        (folder / "summary.json").write_text(json.dumps(self.summary_json(), indent=2) + "\n")
        (folder / "scenario.toml").write_text(dump_toml(self.scenario))
        self.to_dataframe().to_csv(folder / "timeseries.csv", index=False, float_format="%.17g")

    @classmethod
    def load(cls, directory: str | Path) -> Result:
        """Read a result written by :meth:`save` (exact round trip)."""
        store = Path(directory) / RESULT_STORE
        if not store.exists():
            raise FileNotFoundError(f"{directory} holds no {RESULT_STORE}")
        ts = xr.open_zarr(store, group="timeseries", consolidated=False).load()
        attrs = dict(ts.attrs)
        for key in ("summary", "scenario_toml", "version", "seed", "created", "extra"):
            ts.attrs.pop(key, None)
        try:
            sizes: xr.Dataset | None = xr.open_zarr(store, group="sizes",
                                                    consolidated=False).load()
        except (FileNotFoundError, KeyError, OSError, ValueError):
            sizes = None
        scenario = scenario_from_toml(attrs["scenario_toml"], f"scenario stored in {store}")
        summary = json.loads(attrs["summary"])
        return cls(timeseries=ts, summary=summary, scenario=scenario, version=attrs["version"],
                   seed=int(attrs["seed"]), created=attrs["created"], sizes=sizes,
                   extra=json.loads(attrs.get("extra", "{}")))
