"""What ``metacascade predict`` writes: one fitted id's predicted observables with bands.

Folder (``kind = "prediction"``)::

    prediction.csv   one row per (observable, day): estimate, median, lower, upper,
                     past_lethal_burden (contract)
    prediction.json  version, created, scenario_name, scenario, attrs, fit and the rows (contract)
    prediction.zarr  the Dataset itself, exactly
    provenance.json  the provenance record (fit folder, id)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from metacascade._version import __version__
from metacascade.errors import DataError, MetacascadeError, shown
from metacascade.result import jsonio
from metacascade.result.base import SavedResult, missing, register
from metacascade.result.files import open_zarr, read_csv, text_as_object, write_csv, write_zarr
from metacascade.result.provenance import Provenance, command_line, now
from metacascade.scenario import Scenario, scenario_from_dict

CSV = "prediction.csv"
JSON = "prediction.json"
STORE = "prediction.zarr"
#: The attribute of the stored Dataset that holds its attributes as JSON text (they may hold
#: None, which zarr attributes written by xarray may not).
_ATTRS = "prediction_attrs"


@register
@dataclass
class PredictionResult(SavedResult):
    """A prediction (:func:`metacascade.predict`'s Dataset), the scenario it was simulated with
    (the fit's, with the prediction's changes), the fit folder it came from and provenance.

    Parameters
    ----------
    dataset : xarray.Dataset
        ``estimate``, ``median``, ``lower`` and ``upper`` over (observable, time_days in days),
        each observable in its own unit (cells, counts).
    scenario : Scenario
        The scenario the prediction was simulated with: the id's own, with its data values,
        fitted values and the prediction's changes
        (:func:`metacascade.inference.predict.prediction_scenario`; ``metacascade predict``
        records that one), not the fit's starting scenario.
    fit : str
        The fit folder it came from ("" when the fit was given as an object).
    seed : int or None
        The random seed of the uncertainty draws (a non-negative integer).
    version : str
        The metacascade version that made the result.
    created : str
        UTC time the result was made (ISO 8601).
    command : tuple of str
        The command line that made the result.

    Examples
    --------
    >>> import metacascade as mc
    >>> fit = mc.fit("examples/neuroblastoma/observations.csv",
    ...              ids=["1"])                                     # doctest: +SKIP
    >>> from metacascade.inference.predict import prediction_scenario
    >>> ds = mc.predict(fit, "1", times=[0, 100, 200])             # doctest: +SKIP
    >>> sc = prediction_scenario(fit, "1", times=[0, 100, 200])    # doctest: +SKIP
    >>> p = mc.PredictionResult(ds, sc)                            # doctest: +SKIP
    >>> p.to_dataframe().columns[:2].tolist()                      # doctest: +SKIP
    ['observable', 'time_days']
    """

    kind = "prediction"
    regenerate = "metacascade predict FIT_DIR --id ID --out DIR"

    dataset: xr.Dataset
    scenario: Scenario
    fit: str = ""
    seed: int | None = None
    version: str = __version__
    created: str = field(default_factory=now)
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.dataset = text_as_object(self.dataset)
        self.dataset.attrs = jsonio.plain(self.dataset.attrs)
        self.command = tuple(self.command)
        if self.seed is None and isinstance(self.dataset.attrs.get("seed"), int):
            self.seed = int(self.dataset.attrs["seed"])

    @property
    def id(self) -> str:
        """The id of the subject the prediction is for."""
        return str(self.dataset.attrs.get("id", ""))

    def to_dataframe(self) -> pd.DataFrame:
        """One row per (observable, day): the ``prediction.csv`` table.

        Returns
        -------
        pandas.DataFrame
            ``observable``, ``time_days`` (days), ``estimate``, ``median``, ``lower``, ``upper``
            (in the observable's unit) and ``past_lethal_burden``.
        """
        return self.dataset.to_dataframe().reset_index()

    @property
    def provenance(self) -> Provenance:
        """The provenance record written as ``provenance.json``."""
        return Provenance("prediction", version=self.version, created=self.created,
                          command=self.command, seed=self.seed, scenario=self.scenario,
                          extra={"fit": self.fit, "id": self.id})

    def write_into(self, folder: Path) -> None:
        """Write prediction.csv, prediction.json and prediction.zarr (the figure:
        :func:`metacascade.plotting.fit.save_prediction_figures`)."""
        df = self.to_dataframe()
        write_csv(df, folder / CSV)
        doc = {"version": self.version, "created": self.created,
               "scenario_name": self.scenario.name,
               "scenario": self.scenario.model_dump(mode="json", exclude_none=True),
               "attrs": self.dataset.attrs, "fit": self.fit,
               "data": df.to_dict(orient="records")}
        jsonio.write_json(folder / JSON, doc, indent=1)
        ds = self.dataset.copy()
        ds.attrs = {_ATTRS: jsonio.dumps(self.dataset.attrs, indent=None)}
        write_zarr(ds, folder / STORE)

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> PredictionResult:
        """The prediction stored in ``folder`` (prediction.zarr, or the CSV of older folders)."""
        doc = jsonio.read_json(folder / JSON, hint="written by 'metacascade predict'")
        where = shown(str(folder / JSON))
        scenario = provenance.scenario if provenance is not None else None
        if scenario is None:
            try:
                scenario = scenario_from_dict(jsonio.field(doc, "scenario", dict, where),
                                              f"scenario in {where}")
            except MetacascadeError as exc:
                raise DataError(str(exc)) from None
        attrs = jsonio.field(doc, "attrs", dict, where)
        if (folder / STORE).is_dir():
            ds = open_zarr(folder / STORE)
            ds.attrs = jsonio.loads(str(ds.attrs.get(_ATTRS, "{}")), f"{where} (attrs)")
        else:  # folders older than prediction.zarr: rebuild the Dataset from the table
            if not (folder / CSV).is_file():
                raise missing(folder, CSV, cls.regenerate)
            ds = _from_table(read_csv(folder / CSV), attrs, where)
        return cls(dataset=ds, scenario=scenario,
                   fit=str(jsonio.field(doc, "fit", str, where, optional=True) or ""),
                   seed=provenance.seed if provenance is not None else None,
                   version=jsonio.field(doc, "version", str, where),
                   created=jsonio.field(doc, "created", str, where),
                   command=provenance.command if provenance is not None else ())


def _from_table(df: pd.DataFrame, attrs: dict[str, Any], where: str) -> xr.Dataset:
    """The prediction Dataset from ``prediction.csv`` (observable order as in the file)."""
    need = ["observable", "time_days", "estimate", "median", "lower", "upper"]
    lost = [c for c in need if c not in df.columns]
    if lost:
        raise DataError(f"{where}: prediction.csv lacks the columns {', '.join(lost)}")
    obs = list(dict.fromkeys(df["observable"].astype(str)))
    times = df.loc[df["observable"] == obs[0], "time_days"].to_numpy()
    wide = df.set_index(["observable", "time_days"])
    ds = xr.Dataset(coords={"observable": obs, "time_days": times}, attrs=attrs)
    for v in need[2:]:
        ds[v] = (("observable", "time_days"),
                 wide[v].unstack("time_days").loc[obs, times].to_numpy())
    if "past_lethal_burden" in df.columns:
        first = df[df["observable"] == obs[0]]
        ds["past_lethal_burden"] = ("time_days", first["past_lethal_burden"].to_numpy(bool))
    return ds


__all__ = ["PredictionResult"]
