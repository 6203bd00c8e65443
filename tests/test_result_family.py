"""The Result family: every kind round-trips exactly through save/load, carries the one provenance
record, and loading never unpickles or evaluates anything from the folder.

"Exactly" is checked field by field: DataFrames and Datasets with their dtypes, column and variable
order and values (NaN equal to NaN), numpy arrays with their shape and dtype, dicts with their key
order, floats bit for bit. A second save of the loaded result must also give byte-identical files.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import json
import math
import os
import pickle
import re
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import metacascade as mc
from metacascade.claims.base import Calibration, Check, Target, Verdict, below, interval
from metacascade.claims.runner import claims_document
from metacascade.engines.spread import simulate_cascade
from metacascade.errors import DataError
from metacascade.result import jsonio
from metacascade.result.files import check_zarr
from metacascade.result.provenance import Provenance

SRC = Path(__file__).resolve().parents[1] / "src" / "metacascade"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"


# ---- exact comparison ---------------------------------------------------------------------------

def same(a: Any, b: Any, where: str = "result") -> None:
    """Assert that ``a`` and ``b`` are the same value, type for type and bit for bit."""
    if isinstance(a, xr.Dataset):
        assert isinstance(b, xr.Dataset), where
        xr.testing.assert_identical(a, b)
        assert list(a.data_vars) == list(b.data_vars), f"{where}: variable order"
        assert list(a.coords) == list(b.coords), f"{where}: coordinate order"
        for v in a.variables:
            assert a[v].dtype == b[v].dtype, f"{where}.{v}: {a[v].dtype} != {b[v].dtype}"
            same(a[v].values, b[v].values, f"{where}.{v}")
        same(dict(a.attrs), dict(b.attrs), f"{where}.attrs")
        return
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), where
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert list(a.dtypes) == list(b.dtypes), f"{where}: dtypes"
        return
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, \
            f"{where}: {a.dtype}{a.shape} != {getattr(b, 'dtype', type(b))}{getattr(b, 'shape', '')}"
        if a.dtype.kind == "f":
            # bit for bit where a number; NaN where NaN
            assert np.array_equal(np.isnan(a), np.isnan(b)), f"{where}: NaN positions"
            ok = ~np.isnan(a)
            assert a[ok].tobytes() == b[ok].tobytes(), f"{where}: values"
        else:
            assert np.array_equal(a, b), f"{where}: values"
        return
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
        return
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
        return
    if isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
        return
    if isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), f"{where}: nan != {b!r}"
        return
    if isinstance(a, float):
        assert isinstance(b, float) and struct.pack("<d", a) == struct.pack("<d", b), \
            f"{where}: {a!r} != {b!r}"
        return
    assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- one result of each kind ------------------------------------------------------------------

def _short(name: str, days: float = 3000.0) -> mc.Scenario:
    return mc.load_scenario(name, [f"simulation.duration_days={days}"])


@pytest.fixture(scope="module")
def fitted() -> mc.FitResult:
    """A population fit with profiles (4 ids of the neuroblastoma example)."""
    return mc.fit(EXAMPLE, "neuroblastoma", ["dissemination.mu"], ids=["1", "2", "3", "4"],
                  population=True, interval="profile", n_starts=8)


def _claims() -> mc.ClaimsResult:
    v = Verdict.assess(
        "S13", validation={"lead_years": Target(1.25, 3.0, interval(2.0, 4.0, "range"), "Hu 2020")},
        checks={"efficiency": Check(2e-4, 1e-3, below())},
        calibration={"doubling_days": Calibration(157.0, "Hu 2020", how="sampled")},
        measured={"extra": 3e9, "undefined": float("nan")}, summary="median lead")
    doc = claims_document([v, Verdict.not_modelled("S1", "no mechanism")], seed=3, quick=True)
    return mc.ClaimsResult(doc, ids=["S1", "S13"])


MAKERS = {
    "run": lambda f: mc.simulate(_short("breast")),
    "run-bone": lambda f: mc.simulate(_short("prostate-bone", 400.0)),
    "run-cascade": lambda f: simulate_cascade(_short("breast-cascade", 1500.0)),
    "cohort": lambda f: mc.simulate_cohort(_short("breast"), 40, seed=4),
    "injection": lambda f: mc.inject(3000, "portal-vein", 4.0, seed=5,
                                     scenario=mc.load_scenario("breast")),
    "fit": lambda f: f,
    "fit-bootstrap": lambda f: mc.fit(EXAMPLE, "neuroblastoma", ["dissemination.mu"],
                                      ids=["1", "2"], interval="bootstrap", n_bootstrap=5,
                                      n_starts=8),
    "prediction": lambda f: mc.PredictionResult(
        mc.predict(f, "2", [0.0, 15.0, 30.0], n_samples=4, seed=6),
        scenario=f.scenario, fit="fit-folder", seed=6),
    "claims": lambda f: _claims(),
}
KIND_OF = {"run": "run", "run-bone": "run", "run-cascade": "run", "cohort": "cohort",
           "injection": "injection", "fit": "fit", "fit-bootstrap": "fit",
           "prediction": "prediction", "claims": "claims"}


@pytest.mark.parametrize("name", list(MAKERS))
def test_every_kind_round_trips_exactly(name: str, fitted: mc.FitResult, tmp_path: Path) -> None:
    res = MAKERS[name](fitted)
    out = res.save(tmp_path / "a")
    back = type(res).load(out)
    same(res, back)
    again = mc.load_result(out)  # the kind comes from provenance.json
    assert type(again) is type(res)
    same(res, again)
    # a second save of what was loaded writes the same bytes (provenance included)
    back.save(tmp_path / "b")
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["kind"] == KIND_OF[name] == res.kind
    assert prov["version"] == res.provenance.version and prov["created"]
    same(Provenance.read(out), res.provenance)


def test_every_kind_has_the_same_provenance_fields(fitted: mc.FitResult) -> None:
    for name, make in MAKERS.items():
        prov = make(fitted).provenance
        assert isinstance(prov, Provenance), name
        doc = prov.to_json()
        assert list(doc)[:4] == ["kind", "version", "created", "command"], name
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov.created), name
        if name != "claims":  # claims run every scenario they need; they have no single one
            assert doc["scenario"]["name"] == doc["scenario_name"], name
            assert prov.seed is not None, name


def test_nonfinite_summaries_are_none_in_memory_and_on_disk(tmp_path: Path) -> None:
    """An undefined number (a median survival never reached) is None in the result, as in its
    summary.json: the object and the file say the same thing."""
    sc = mc.load_scenario("breast", ["simulation.duration_days=1000"])
    res = mc.simulate_cohort(sc, 5, seed=1)
    assert res.summary["median_relapse_free_days"] is None  # not reached in 1000 days
    res.save(tmp_path / "c")
    doc = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert doc["median_relapse_free_days"] is None
    assert "NaN" not in (tmp_path / "c" / "summary.json").read_text()


def test_contract_files_are_unchanged(tmp_path: Path) -> None:
    """timeseries.csv and summary.json of a run are exactly what the contract says: the columns
    and keys of before, %.17g numbers, the engine's summary plus scenario/version/seed/created."""
    res = mc.simulate(_short("breast"))
    res.save(tmp_path / "r")
    table = pd.read_csv(tmp_path / "r" / "timeseries.csv", float_precision="round_trip")
    assert list(table.columns)[:7] == mc.result.TIMESERIES_COLUMNS
    np.testing.assert_array_equal(table["n_metastases"].to_numpy(),
                                  res.timeseries["n_metastases"].to_numpy())
    text = (tmp_path / "r" / "summary.json").read_text()
    assert text == json.dumps(res.summary_json(), indent=2) + "\n"
    doc = json.loads(text)
    assert list(doc)[-5:] == ["scenario", "scenario_name", "version", "seed", "created"]
    assert {k: doc[k] for k in res.summary} == res.summary


def test_events_table(tmp_path: Path) -> None:
    """events.csv: one row per <event>_day key of the summary, with the engine's values at it."""
    res = mc.simulate(_short("breast", 7300.0))
    events = res.events()
    keys = [k for k in res.summary if k.endswith("_day")]
    assert list(events["event"]) == [k[:-4] for k in keys]
    for k in keys:
        day = events.loc[events["event"] == k[:-4], "day"].iloc[0]
        want = res.summary[k]
        assert (math.isnan(day) if want is None else day == want), k
    det = events.set_index("event").loc["detection"]
    assert det["n_metastases"] == res.summary["n_metastases_at_detection"]
    assert det["primary_cells"] == res.summary["primary_cells_at_detection"]
    assert math.isnan(events.set_index("event").loc["resection", "n_metastases"])
    res.save(tmp_path / "r")
    disk = pd.read_csv(tmp_path / "r" / "events.csv", float_precision="round_trip")
    pd.testing.assert_frame_equal(disk, events, check_exact=True)


def test_saving_adds_files_to_the_same_commit(tmp_path: Path) -> None:
    """Files written inside ``saving`` are part of the output; provenance.json comes last."""
    res = _claims()
    with res.saving(tmp_path / "cl") as tmp:
        assert (tmp / "claims.json").is_file() and not (tmp / "provenance.json").exists()
        assert not (tmp_path / "cl").exists()
        (tmp / "extra.png").write_bytes(b"png")
    assert (tmp_path / "cl" / "extra.png").read_bytes() == b"png"
    assert (tmp_path / "cl" / "provenance.json").is_file()
    with pytest.raises(RuntimeError), res.saving(tmp_path / "cl") as tmp:
        (tmp / "claims.json").write_text("half")
        raise RuntimeError("boom")
    assert mc.load_result(tmp_path / "cl").document == res.document  # the old output stands


def test_save_refuses_another_kind_and_loads_check_the_kind(tmp_path: Path) -> None:
    _claims().save(tmp_path / "x")
    res = mc.inject(100, "tail-vein", 1.0, seed=1)
    with pytest.raises(mc.MetacascadeError, match="claims output, not a injection output"):
        res.save(tmp_path / "x")
    with pytest.raises(DataError, match="holds a metacascade claims output, not a run output"):
        mc.Result.load(tmp_path / "x")


# ---- folders of older versions and damaged folders ----------------------------------------------

def test_folders_without_provenance_still_load(fitted: mc.FitResult, tmp_path: Path) -> None:
    """Folders written before provenance.json existed load by their files (command unknown)."""
    for name in ("run", "cohort", "injection", "fit", "prediction", "claims"):
        res = MAKERS[name](fitted)
        out = res.save(tmp_path / name)
        (out / "provenance.json").unlink()
        back = mc.load_result(out)
        assert type(back) is type(res) and back.command == ()
        if name == "run":
            same(res.timeseries, back.timeseries)
        if name == "cohort":  # without the recorded column types pandas infers them
            np.testing.assert_array_equal(back.patients["diagnosis_day"],
                                          res.patients["diagnosis_day"])


@pytest.mark.parametrize(("text", "why"), [
    ("{not json", "not valid JSON"), ("[1, 2]", "expected an object"),
    ('{"kind": "teapot", "version": "1"}', "kind 'teapot' is not one of"),
    ('{"kind": "run"}', "'version' is missing"),
    ('{"kind": "run", "version": 3}', "'version' should be str"),
    ("[" * 10_000 + "]" * 10_000, "nested too deeply"),
])
def test_damaged_provenance_is_one_line_data_error(tmp_path: Path, text: str, why: str) -> None:
    (tmp_path / "provenance.json").write_text(text)
    with pytest.raises(DataError, match=why) as info:
        mc.load_result(tmp_path)
    assert "\n" not in str(info.value) and "provenance.json" in str(info.value)


def test_unknown_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        mc.load_result(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="is not a metacascade output folder"):
        mc.load_result(tmp_path)


def test_tables_changed_after_writing_are_refused(tmp_path: Path) -> None:
    res = mc.simulate_cohort(_short("breast"), 5, seed=1)
    out = res.save(tmp_path / "c")
    table = pd.read_csv(out / "patients.csv")
    table.drop(columns=["death_cause"]).to_csv(out / "patients.csv", index=False)
    with pytest.raises(DataError, match="not the ones recorded in provenance.json"):
        mc.load_result(out)


def test_jsonio_rules() -> None:
    value = {"a": np.float64("nan"), "b": np.int64(3), "c": (1.0, float("inf")),
             "d": np.array([[1.5, np.nan]]), "e": Path("x/y"), 1: np.bool_(True)}
    assert jsonio.plain(value) == {"a": None, "b": 3, "c": [1.0, None], "d": [[1.5, None]],
                                   "e": "x/y", "1": True}
    assert json.loads(jsonio.dumps(value)) == jsonio.plain(value)
    with pytest.raises(TypeError, match="not written to JSON"):
        jsonio.dumps({"x": object()})
    with pytest.raises(TypeError, match="dtype object"):
        jsonio.dumps(np.array([object()]))


# ---- loading never unpickles or evaluates anything ----------------------------------------------

class Payload:
    """Unpickling this creates the file ``path``: the proof that code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _poisoned_run(tmp_path: Path) -> tuple[Path, Path]:
    """A run folder whose time series store is zarr v2 with one variable turned into a pickled
    object array (numcodecs' Pickle filter decodes it with pickle.loads)."""
    res = mc.simulate(_short("breast", 400.0))
    out = res.save(tmp_path / "run")
    store = out / "result.zarr"
    shutil.rmtree(store)
    ts = res.timeseries.copy()
    ts.attrs = {"summary": "{}", "scenario_toml": mc.dump_toml(res.scenario), "version": "x",
                "seed": 0, "created": "x", "extra": "{}"}
    ts.to_zarr(store, group="timeseries", zarr_format=2, consolidated=False)
    import numcodecs

    marker = tmp_path / "pwned"
    arr = store / "timeseries" / "primary_cells"
    meta = json.loads((arr / ".zarray").read_text())
    n = meta["shape"][0]
    meta.update(dtype="|O", compressor=None, chunks=[n], fill_value=None,
                filters=[{"id": "vlen-utf8"}, {"id": "pickle", "protocol": 5}])
    (arr / ".zarray").write_text(json.dumps(meta))
    for chunk in arr.iterdir():
        if chunk.name != ".zarray" and chunk.name != ".zattrs":
            chunk.unlink()
    payload = np.empty(n, dtype=object)
    payload[:] = [Payload(marker)] + [0.0] * (n - 1)
    (arr / "0").write_bytes(numcodecs.Pickle(protocol=5).encode(payload))
    return out, marker


def test_a_pickled_zarr_store_is_refused_before_anything_is_decoded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused even where numcodecs was told to decode pickles (NUMCODECS_ALLOW_UNSAFE_PICKLE_DECODE,
    or a numcodecs older than 0.16, which always did)."""
    import numcodecs.pickles

    monkeypatch.setattr(numcodecs.pickles, "ALLOW_UNSAFE_PICKLE_DECODE", True)
    out, marker = _poisoned_run(tmp_path)
    with pytest.raises(DataError, match=re.escape("element type '|O'; refused")):
        mc.load_result(out)
    with pytest.raises(DataError, match="refused"):
        mc.Result.load(out)
    assert not marker.exists()
    # the danger is real: reading the same store without the check runs the payload
    with contextlib.suppress(Exception):
        xr.open_zarr(out / "result.zarr", group="timeseries", consolidated=False).load()
    assert marker.exists()


@pytest.mark.parametrize("codec", ["numcodecs.pickle", "json2", "numcodecs.msgpack2"])
def test_unknown_v3_codecs_are_refused(tmp_path: Path, codec: str) -> None:
    out = mc.simulate(_short("breast", 400.0)).save(tmp_path / "run")
    meta_file = out / "result.zarr" / "timeseries" / "n_metastases" / "zarr.json"
    meta = json.loads(meta_file.read_text())
    meta["codecs"].insert(0, {"name": codec, "configuration": {}})
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(DataError, match=f"uses the codec '{codec}'; refused"):
        mc.load_result(out)


def test_object_arrays_and_links_in_a_store_are_refused(tmp_path: Path) -> None:
    out = mc.simulate(_short("breast", 400.0)).save(tmp_path / "run")
    meta_file = out / "result.zarr" / "timeseries" / "n_visible" / "zarr.json"
    meta = json.loads(meta_file.read_text())
    meta["data_type"] = "object"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(DataError, match="element type 'object'; refused"):
        check_zarr(out / "result.zarr")
    meta["data_type"] = "float64"
    meta_file.write_text(json.dumps(meta))
    check_zarr(out / "result.zarr")
    os.symlink("/etc/passwd", out / "result.zarr" / "timeseries" / "n_visible" / "c2")
    with pytest.raises(DataError, match="is a symbolic link"):
        mc.load_result(out)


def test_pickle_files_in_a_folder_are_never_opened(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for name in ("run", "claims"):
        res = mc.simulate(_short("breast", 400.0)) if name == "run" else _claims()
        out = res.save(tmp_path / name)
        for evil in ("result.pkl", "summary.pickle", "claims.pkl"):
            (out / evil).write_bytes(pickle.dumps(Payload(marker)))
        mc.load_result(out)
    assert not marker.exists()


# ---- one JSON encoder in the whole package -------------------------------------------------------

def _sanitisers(tree: ast.AST) -> list[str]:
    """Functions that walk nested data replacing non-finite floats: they call themselves, test
    ``isfinite`` and produce ``None``."""
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        names = {n.attr if isinstance(n, ast.Attribute) else n.id
                 for n in ast.walk(fn) if isinstance(n, ast.Attribute | ast.Name)}
        calls_itself = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                           and c.func.id == fn.name for c in ast.walk(fn))
        gives_none = any(isinstance(c, ast.Constant) and c.value is None for c in ast.walk(fn))
        if calls_itself and "isfinite" in names and gives_none:
            found.append(fn.name)
    return found


def test_the_json_helpers_are_the_only_ones() -> None:
    """No other module sanitises non-finite floats for JSON (a recursive isfinite -> None
    walker, as the five of before were), passes ``allow_nan`` or writes JSON with ``json.dump``:
    every JSON output goes through metacascade.result.jsonio."""
    home = SRC / "result" / "jsonio.py"
    assert _sanitisers(ast.parse(home.read_text())) == ["plain"]  # the test sees the real one
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == home:
            continue
        text = path.read_text()
        rel = path.relative_to(SRC)
        if "allow_nan" in text:
            offenders.append(f"{rel}: allow_nan")
        offenders += [f"{rel}: {name}() sanitises non-finite floats"
                      for name in _sanitisers(ast.parse(text))]
        for hit in re.finditer(r"json\.dumps?\(", text):
            line = text[: hit.start()].count("\n") + 1
            offenders.append(f"{rel}:{line}: json.dump(s) outside jsonio")
    assert not offenders, offenders
