"""The outcome of one simulated patient (``metacascade run``): time series, key events, provenance.

Folder (``kind = "run"``)::

    result.zarr      everything, exactly (time series, size distributions, summary, scenario)
    summary.json     key events and numbers, the scenario, version, seed, created (contract)
    timeseries.csv   the contract columns :data:`TIMESERIES_COLUMNS`, then other 1-D series
    events.csv       one row per key event: event, day, and the values the engine computed there
    scenario.toml    the resolved scenario
    provenance.json  the provenance record
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from metacascade.errors import DataError, MetacascadeError, shown
from metacascade.result import jsonio
from metacascade.result.base import SavedResult, missing, register
from metacascade.result.files import has_group, open_zarr, text_as_object, write_csv, write_zarr
from metacascade.result.provenance import Provenance, command_line
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
#: The first columns of ``events.csv``.
EVENT_COLUMNS = ["event", "day"]

RESULT_STORE = "result.zarr"

#: The summary of a run as people read it: (summary key, label, unit), in reading order (the
#: ``metacascade run`` table and the report page).
SUMMARY_ROWS: list[tuple[str, str, str]] = [
    ("detection_day", "diagnosis (primary reaches detection size)", "day"),
    ("first_metastasis_day", "first metastasis expected (N = 1)", "day"),
    ("half_probability_day", "P(at least one metastasis) = 0.5", "day"),
    ("lead_time_days", "seeding precedes diagnosis by", "days"),
    ("lead_time_years", "seeding precedes diagnosis by", "years"),
    ("resection_day", "resection of the primary", "day"),
    ("lethal_burden_day", "death: lethal burden reached", "day"),
    ("n_metastases_at_detection", "metastases at diagnosis, N", "metastases"),
    ("p_any_metastasis_at_detection", "P(at least one) at diagnosis", ""),
    ("n_visible_at_detection", "visible metastases at diagnosis", "metastases"),
    ("burden_at_detection_cells", "metastatic burden at diagnosis", "cells"),
    ("first_visible_metastasis_day", "first visible metastasis (relapse)", "day"),
    ("n_metastases_final", "metastases at the end", "metastases"),
    ("metastatic_burden_cells_final", "metastatic burden at the end", "cells"),
]
#: The bone lesion's rows, shown when the run has one.
BONE_ROWS: list[tuple[str, str, str]] = [
    ("bone_mass_min_percent", "bone mass, minimum", "%"),
    ("bone_mass_min_day", "bone mass minimum on day", "day"),
    ("bone_mass_final_percent", "bone mass at the end", "%"),
    ("bone_tumour_cells_final", "tumour in the bone lesion at the end", "cells"),
]
#: Rows whose value is at diagnosis (left out when the primary is never diagnosed).
_AT_DIAGNOSIS = ("lead_time_days", "lead_time_years", "n_metastases_at_detection",
                 "p_any_metastasis_at_detection", "n_visible_at_detection",
                 "burden_at_detection_cells")
#: Unit of the bone lesion's tumour in the Komarova/Ayati models (docs/bone.md).
AYATI_TUMOUR_UNIT = "% of the capacity LT (Ayati units)"
#: Unit-column note of a row whose day comes after the lethal burden.
AFTER_DEATH = "after death"


@dataclass(frozen=True)
class SummaryRow:
    """One row of a run's summary as people read it (:meth:`Result.summary_rows`).

    Parameters
    ----------
    key : str
        The ``summary.json`` key the value comes from.
    label : str
        What the row says.
    value : object
        The value (None: the event never happens).
    unit : str
        Its unit.
    after_death : bool
        The row's day is after the lethal burden (:meth:`Result.lethal_day`): the model continued
        beyond death.
    """

    key: str
    label: str
    value: Any
    unit: str
    after_death: bool = False

    @property
    def unit_note(self) -> str:
        """The unit, with ``after death`` appended when the row is past the lethal burden."""
        if not self.after_death:
            return self.unit
        return f"{self.unit} ({AFTER_DEATH})" if self.unit else AFTER_DEATH
#: Attributes of the stored time series that hold the result's own fields (not the engine's).
_STORE_ATTRS = ("summary", "scenario_toml", "version", "seed", "created", "extra")


@register
@dataclass
class Result(SavedResult):
    """Time series (xarray), key events (``summary``) and provenance of one simulated patient.

    ``timeseries`` has the dimension ``time_days`` (and ``organ`` for per-organ variables);
    ``sizes`` (optional) holds size distributions at selected times. ``summary`` is plain JSON
    data: an event that never happens, or an undefined number, is ``None``.

    Parameters
    ----------
    timeseries : xarray.Dataset
        Series over ``time_days`` (days): cells, counts of metastases, probabilities.
    summary : dict
        Key events (``<event>_day`` in days) and numbers at them (cells, counts).
    scenario : Scenario
        The resolved scenario that was simulated.
    version : str
        The metacascade version that made the result.
    seed : int
        The random seed of the run (a non-negative integer).
    created : str
        UTC time the result was made (ISO 8601).
    sizes : xarray.Dataset or None
        Size distributions of metastases (counts per size bin in cells) at selected days.
    extra : dict
        Engine-specific plain JSON data.
    command : tuple of str
        The command line that made the result.

    Examples
    --------
    >>> import metacascade as mc
    >>> r = mc.simulate("breast")
    >>> df = r.to_dataframe()
    >>> list(df.columns[:3])
    ['time_days', 'primary_cells', 'n_metastases']
    >>> r.summary["detection_day"] > 0
    True
    """

    kind = "run"
    regenerate = "metacascade run SCENARIO --out DIR"

    timeseries: xr.Dataset
    summary: dict[str, Any]
    scenario: Scenario
    version: str
    seed: int
    created: str
    sizes: xr.Dataset | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.timeseries = text_as_object(self.timeseries)
        if self.sizes is not None:
            self.sizes = text_as_object(self.sizes)
        self.summary = jsonio.plain(self.summary)
        self.extra = jsonio.plain(self.extra)
        self.command = tuple(self.command)

    # ---- views ----------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """The contract columns of ``timeseries.csv`` followed by any other 1-D series.

        Returns
        -------
        pandas.DataFrame
            One row per output day: ``time_days`` (days), then :data:`TIMESERIES_COLUMNS` and
            the other series over time.
        """
        ds = self.timeseries
        one_d = [str(v) for v in ds.data_vars if ds[v].dims == ("time_days",)]
        cols = [c for c in TIMESERIES_COLUMNS[1:] if c in one_d]
        cols += [v for v in one_d if v not in cols]
        return ds[cols].to_dataframe().reset_index()

    def events(self) -> pd.DataFrame:
        """One row per key event of the summary (every ``<event>_day`` key, in summary order):
        ``event``, ``day`` (empty when it never happens), then the values the engine computed at
        that event (the summary's ``<quantity>_at_<event>[_unit]`` keys, named
        ``<quantity>[_unit]``), empty where an event has none; last ``after_lethal_burden``:
        whether the event comes after the lethal day (the model continued beyond death).

        Returns
        -------
        pandas.DataFrame
            The ``events.csv`` table: ``event``, ``day`` (days, NaN when it never happens), the
            values at each event and ``after_lethal_burden`` (bool).
        """
        names = [k[: -len("_day")] for k, v in self.summary.items()
                 if k.endswith("_day") and (v is None or isinstance(v, int | float))
                 and not isinstance(v, bool)]
        rows: list[dict[str, Any]] = []
        for name in names:
            day = self.summary[f"{name}_day"]
            row: dict[str, Any] = {"event": name, "day": math.nan if day is None else float(day)}
            tag = f"_at_{name}"
            for k, v in self.summary.items():
                if tag in k and isinstance(v, int | float) and not isinstance(v, bool):
                    row[k.replace(tag, "", 1)] = float(v)
            rows.append(row)
        df = pd.DataFrame(rows)
        if df.empty:
            return pd.DataFrame({"event": pd.Series([], dtype=object),
                                 "day": pd.Series([], dtype="float64"),
                                 "after_lethal_burden": pd.Series([], dtype=bool)})
        df = df.astype({c: "float64" for c in df.columns if c != "event"})
        df["after_lethal_burden"] = df["event"].isin(self.events_after_death())
        return df

    # ---- death -----------------------------------------------------------------------------
    def lethal_day(self) -> float | None:
        """The day (days) the burden reaches the lethal burden (summary ``lethal_burden_day``):
        the total burden (primary + metastases) ``death.lethal_burden_cells``, or an organ's
        metastatic burden its ``organs.*.lethal_cells``. None if never within the run (or the
        engine does not report it). The time series go on past it: the model is not stopped at
        death.

        Returns
        -------
        float or None
            The lethal day (days).
        """
        day = self.summary.get("lethal_burden_day")
        return float(day) if isinstance(day, int | float) and not isinstance(day, bool) else None

    def lethal_level(self) -> tuple[str, float] | None:
        """What turned lethal, None without a lethal day.

        Returns
        -------
        tuple of (str, float) or None
            ``"total"`` or the organ, and its lethal burden (cells).
        """
        if self.lethal_day() is None:
            return None
        site = str(self.summary.get("lethal_burden_site") or "total")
        organ = self.scenario.organs.get(site)
        if site != "total" and organ is not None and organ.lethal_cells is not None:
            return site, float(organ.lethal_cells)
        return "total", float(self.scenario.death.lethal_burden_cells)

    def events_after_death(self) -> list[str]:
        """The key events that happen after the lethal day.

        Returns
        -------
        list of str
            Event names as in ``events.csv`` (empty without a lethal day).
        """
        lethal = self.lethal_day()
        if lethal is None:
            return []
        return [k[: -len("_day")] for k, v in self.summary.items()
                if k.endswith("_day") and k != "lethal_burden_day"
                and isinstance(v, int | float) and not isinstance(v, bool) and v > lethal]

    def death_note(self) -> str:
        """Sentences on the lethal burden for people: the day of death, what turned lethal and
        whether rows come after it.

        Returns
        -------
        str
            The note ('' when the lethal burden is never reached).
        """
        lethal, level = self.lethal_day(), self.lethal_level()
        if lethal is None or level is None:
            return ""
        site, cells = level
        what = ("the total tumour burden (primary + metastases) reaches "
                f"death.lethal_burden_cells = {cells:.3g} cells" if site == "total" else
                f"the metastatic burden in the {site} reaches organs.{site}.lethal_cells = "
                f"{cells:.3g} cells")
        note = (f"The patient would die on day {lethal:,.1f} ({lethal / 365.25:.2f} years): "
                f"{what}.")
        detected = self.summary.get("detection_day")
        if detected is None:
            note += " The patient dies undiagnosed."
        elif detected > lethal:
            note += (f" The patient dies undiagnosed: diagnosis (day {detected:,.1f}) would come "
                     "after death.")
        if self.events_after_death() or self.end_day() > lethal:
            note += (f" Rows marked '{AFTER_DEATH}' continue the model beyond death (the "
                     "simulation is not stopped at death): they are not physical.")
        return note

    def end_day(self) -> float:
        """The last day of the time series.

        Returns
        -------
        float
            The day (days).
        """
        return float(self.timeseries["time_days"].values[-1])

    def is_bone_only(self) -> bool:
        """A bone-lesion run whose organism part shows nothing (no metastasis, no diagnosis): its
        primary of a few cells is not a patient's tumour (no burden figure, no primary rows).

        Returns
        -------
        bool
        """
        ts = self.timeseries
        return ("bone_mass_percent" in ts and not float(ts["n_metastases"].max()) > 0
                and self.summary.get("detection_day") is None)

    def summary_rows(self) -> list[SummaryRow]:
        """The run's summary as people read it (the ``metacascade run`` table and the report):
        :data:`SUMMARY_ROWS` then :data:`BONE_ROWS`, in that order, each row present in the
        summary and meaningful for the run.

        Left out: the primary's and metastases' rows of a bone-only run (:meth:`is_bone_only`),
        the rows at diagnosis when the primary is never diagnosed, and keys the engine does not
        report. A stochastic run's first metastasis is the founded one, not the expected
        N = 1. A first metastasis after diagnosis reads 'first metastasis follows diagnosis by'
        (no negative lead). The lethal row names what turned lethal and its level; a row whose
        day is after it is marked ``after_death``.

        Returns
        -------
        list of SummaryRow
        """
        s = self.summary
        lethal = self.lethal_day()
        end = self.end_day()
        spec = [] if self.is_bone_only() else list(SUMMARY_ROWS)
        spec += [row for row in BONE_ROWS if row[0] in s]
        rows: list[SummaryRow] = []
        for key, label, unit in spec:
            if key not in s:
                continue
            value = s[key]
            if key in _AT_DIAGNOSIS and s.get("detection_day") is None:
                continue
            day = _row_day(key, s, end)
            if key.startswith("lead_time_") and isinstance(value, int | float) and value < 0:
                resected = s.get("resection_day")
                first = s.get("first_metastasis_day")
                after = (" (and resection)" if isinstance(resected, int | float) and first
                         is not None and first > resected else "")
                label, value = f"first metastasis follows diagnosis{after} by", -value
            if key == "lethal_burden_day":
                level = self.lethal_level()
                if level is not None:
                    site, cells = level
                    where = "total burden" if site == "total" else f"burden in the {site}"
                    label = f"death: {where} reaches {cells:.3g} cells"
                day = None
            if key == "first_metastasis_day" and self.kind == "stochastic":
                label = "first metastasis founded"  # one patient: not an expected count
            if key == "bone_tumour_cells_final":
                unit = self.bone_tumour_unit()
            rows.append(SummaryRow(key, label, value, unit, after_death=lethal is not None
                                   and day is not None and day > lethal))
        return rows

    def bone_tumour_unit(self) -> str:
        """Unit of ``bone_tumour_cells``: its ``units`` attribute, else by the bone model (cells
        of the vicious cycle; % of the capacity LT in the Komarova/Ayati models).

        Returns
        -------
        str
            The unit.
        """
        ts = self.timeseries
        unit = ts["bone_tumour_cells"].attrs.get("units") if "bone_tumour_cells" in ts else None
        if unit:
            return str(unit)
        bone = self.scenario.bone
        return AYATI_TUMOUR_UNIT if bone is not None and bone.model != "vicious_cycle" else "cells"

    def summary_json(self) -> dict[str, Any]:
        """``summary.json`` content: key events, ``events_after_lethal_burden`` (the events after
        the lethal day, :meth:`events_after_death`), then scenario, version and seed.

        Returns
        -------
        dict
            Plain JSON data (undefined numbers are None).
        """
        out = dict(self.summary)
        out.setdefault("events_after_lethal_burden", self.events_after_death())
        out["scenario"] = self.scenario.model_dump(mode="json", exclude_none=True)
        out["scenario_name"] = self.scenario.name
        out["version"] = self.version
        out["seed"] = self.seed
        out["created"] = self.created
        return jsonio.plain(out)

    @property
    def provenance(self) -> Provenance:
        """The provenance record written as ``provenance.json``."""
        return Provenance("run", version=self.version, created=self.created,
                          command=self.command, seed=self.seed, scenario=self.scenario)

    # ---- persistence ----------------------------------------------------------------------
    def write_into(self, folder: Path) -> None:
        """Write the result files into an existing folder (no atomicity, no provenance)."""
        attrs = {
            "summary": jsonio.dumps(self.summary, indent=None),
            "scenario_toml": dump_toml(self.scenario),
            "version": self.version,
            "seed": self.seed,
            "created": self.created,
            "extra": jsonio.dumps(self.extra, indent=None),
        }
        ts = self.timeseries.copy()
        ts.attrs = {**ts.attrs, **attrs}
        store = folder / RESULT_STORE
        write_zarr(ts, store, "timeseries")
        if self.sizes is not None:
            write_zarr(self.sizes, store, "sizes", mode="a")
        jsonio.write_json(folder / "summary.json", self.summary_json())
        (folder / "scenario.toml").write_text(dump_toml(self.scenario), encoding="utf-8")
        self.to_dataframe().to_csv(folder / "timeseries.csv", index=False, float_format="%.17g")
        write_csv(self.events(), folder / "events.csv")

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> Result:
        """The result in ``folder``: arrays, summary and engine fields from ``result.zarr``, the
        command from ``provenance.json`` (empty for folders older than it)."""
        store = folder / RESULT_STORE
        if not store.is_dir():
            raise missing(folder, RESULT_STORE, cls.regenerate)
        ts = open_zarr(store, "timeseries")
        attrs = dict(ts.attrs)
        where = shown(str(store))
        lost = [k for k in ("summary", "scenario_toml", "version", "seed", "created")
                if k not in attrs]
        if lost:
            raise DataError(f"{where}: the attributes {', '.join(lost)} are missing; regenerate "
                            f"the folder with `{cls.regenerate}`")
        ts.attrs = {k: v for k, v in attrs.items() if k not in _STORE_ATTRS}
        sizes = open_zarr(store, "sizes") if has_group(store, "sizes") else None
        try:
            scenario = scenario_from_toml(str(attrs["scenario_toml"]),
                                          f"scenario stored in {store}")
        except MetacascadeError as exc:
            raise DataError(str(exc)) from None
        summary = jsonio.loads(str(attrs["summary"]), f"{where} (summary)")
        extra = jsonio.loads(str(attrs.get("extra", "{}")), f"{where} (extra)")
        if not (isinstance(summary, dict) and isinstance(extra, dict)):
            raise DataError(f"{where}: the stored summary is not a JSON object")
        return cls(timeseries=ts, summary=summary, scenario=scenario,
                   version=str(attrs["version"]), seed=int(attrs["seed"]),
                   created=str(attrs["created"]), sizes=sizes, extra=extra,
                   command=provenance.command if provenance is not None else ())


def _row_day(key: str, summary: dict[str, Any], end: float) -> float | None:
    """The day a summary row is about: an event's own day, diagnosis for the values at it, the
    run's end for the final values, the day of the bone-mass minimum for it."""
    if key.endswith("_day"):
        v = summary.get(key)
    elif key.startswith("lead_time_") or key.endswith("_at_detection") \
            or "_at_detection_" in key:
        v = summary.get("detection_day")
    elif key == "bone_mass_min_percent":
        v = summary.get("bone_mass_min_day")
    elif "_final" in key:
        v = end
    else:
        v = None
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


__all__ = ["EVENT_COLUMNS", "RESULT_STORE", "TIMESERIES_COLUMNS", "Result", "SummaryRow"]
