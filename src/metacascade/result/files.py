"""Reading and writing the tables and stores of an output folder, exactly and safely.

* CSV tables: floats are written in their shortest exact form (or a contract format), missing
  values as empty cells, and the column types are recorded (``provenance.json`` ``columns``), so
  that :func:`read_csv` gives back the same values with the same dtypes.
* zarr stores: before anything is opened, every metadata document of the store is checked
  (:func:`check_zarr`): numeric, boolean and text arrays with the standard codecs only. An object
  array or a pickle codec (numcodecs can unpickle chunks) is refused, as is a symbolic link inside
  the store: loading a folder never unpickles or evaluates anything from it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metacascade.errors import DataError, shown
from metacascade.result import jsonio

#: Array element types accepted in a zarr store (zarr v3 names; v2 dtypes are checked by kind).
ZARR_TYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                        "uint64", "float16", "float32", "float64", "string"})
#: Codecs accepted in a zarr store: the ones zarr writes by default and the usual compressors.
#: Not accepted (among others): pickle, json2, msgpack2 and any object codec.
ZARR_CODECS = frozenset({"bytes", "zstd", "blosc", "gzip", "zlib", "crc32c", "transpose",
                         "sharding_indexed", "vlen-utf8", "lz4", "bz2", "lzma", "delta",
                         "shuffle"})
#: Column types a CSV table may declare (pandas dtype names).
CSV_TYPES = frozenset({"bool", "int64", "int32", "float64", "float32", "object"})


# ---- CSV --------------------------------------------------------------------------------------

def column_types(df: pd.DataFrame) -> dict[str, str]:
    """The dtype name of every column (what :func:`read_csv` restores)."""
    types = {str(c): str(t) for c, t in df.dtypes.items()}
    bad = {c: t for c, t in types.items() if t not in CSV_TYPES}
    if bad:
        raise TypeError(f"columns of unsupported types for a CSV table: {bad}")
    return types


def write_csv(df: pd.DataFrame, path: str | Path, *, float_format: str | None = None
              ) -> dict[str, str]:
    """Write ``df`` without its index (missing values as empty cells); returns its column types.
    Without ``float_format`` every float is written in its shortest exact form."""
    df.to_csv(path, index=False, na_rep="", float_format=float_format)
    return column_types(df)


def read_csv(path: str | Path, types: Mapping[str, str] | None = None, *,
             hint: str = "") -> pd.DataFrame:
    """Read a table written by :func:`write_csv`. With ``types`` (from the provenance) the columns
    must be exactly those, in that order, and get those dtypes (text stays text, empty text
    stays ``""``); without, pandas infers them (folders of older versions)."""
    p = Path(path)
    where = shown(os.fspath(p))
    tail = f" ({hint})" if hint else ""
    if not p.is_file():
        raise DataError(f"{where} not found{tail}")
    try:
        if types is None:
            return pd.read_csv(p, float_precision="round_trip")
        bad = sorted(t for t in set(types.values()) if t not in CSV_TYPES)
        if bad:
            raise DataError(f"{where}: unsupported column type(s) {', '.join(bad)} in the "
                            "provenance")
        head = list(pd.read_csv(p, nrows=0).columns)
        if head != list(types):
            raise DataError(f"{where}: the columns {shown(head, 120)} are not the ones recorded "
                            f"in provenance.json ({shown(list(types), 120)}); the folder was "
                            f"changed after it was written{tail}")
        floats = [c for c, t in types.items() if t.startswith("float")]
        dtype = {c: (str if t == "object" else t) for c, t in types.items()
                 if not t.startswith("float")}
        df = pd.read_csv(p, dtype=dtype or None, keep_default_na=False,
                         na_values={c: [""] for c in floats}, float_precision="round_trip")
        for c in floats:
            if df[c].dtype != types[c]:
                df[c] = df[c].astype(np.dtype(types[c]))
        return df
    except DataError:
        raise
    except (ValueError, TypeError, OverflowError, OSError, UnicodeDecodeError,
            pd.errors.ParserError) as exc:
        msg = " ".join(str(exc).split())
        raise DataError(f"{where}: not a table metacascade can read ({type(exc).__name__}: "
                        f"{shown(msg, 120)}){tail}") from None


# ---- zarr -------------------------------------------------------------------------------------

def _metadata_nodes(doc: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside a metadata document (consolidated metadata included)."""
    stack = [doc]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            yield v
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _codec_names(node: Mapping[str, Any]) -> list[str]:
    """The codec names a metadata mapping uses (v3 ``codecs``, v2 ``compressor``/``filters``)."""
    names: list[str] = []
    for key in ("codecs", "index_codecs", "filters"):
        for c in node.get(key) or []:
            if isinstance(c, dict):
                names.append(str(c.get("name", c.get("id", "?"))))
            else:
                names.append(str(c))
    comp = node.get("compressor")
    if isinstance(comp, dict):
        names.append(str(comp.get("id", "?")))
    elif comp is not None:
        names.append(str(comp))
    return names


def _v2_dtype_ok(dtype: Any) -> bool:
    """A v2 dtype string of a number, boolean or fixed-width text (never ``|O`` or a record)."""
    return isinstance(dtype, str) and len(dtype) >= 2 and dtype[1] in "biufUS" \
        and dtype[0] in "<>|="


def check_zarr(store: str | Path) -> None:
    """Refuse (DataError) a zarr store that could make the reader run code or read elsewhere:
    a symbolic link in it, an array of objects, or a codec outside :data:`ZARR_CODECS`."""
    root = Path(store)
    where = shown(os.fspath(root))
    if root.is_symlink() or not root.is_dir():
        raise DataError(f"{where} is not a zarr store folder")
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_symlink():
                raise DataError(f"{where}: refused, {shown(str(p.relative_to(root)))} is a "
                                "symbolic link (a result store holds plain files only)")
        for name in filenames:
            if name not in ("zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"):
                continue
            doc = jsonio.read_json(Path(dirpath) / name, max_bytes=1 << 26)
            for node in _metadata_nodes(doc):
                _check_node(node, where, Path(dirpath).relative_to(root))


def _check_node(node: Mapping[str, Any], where: str, rel: Path) -> None:
    what = f"{where}: array {shown(str(rel))}"
    if "data_type" in node and node.get("node_type") == "array":
        dtype = node["data_type"]
        if not (isinstance(dtype, str) and dtype in ZARR_TYPES):
            raise DataError(f"{what} has the element type {shown(dtype, 60)}; refused (only "
                            "numbers, booleans and text are read)")
    if "dtype" in node and ("chunks" in node or "zarr_format" in node) \
            and not _v2_dtype_ok(node["dtype"]):
        raise DataError(f"{what} has the element type {shown(node['dtype'], 60)}; refused "
                        "(object arrays can hold pickled Python objects)")
    for codec in _codec_names(node):
        if codec not in ZARR_CODECS:
            raise DataError(f"{what} uses the codec {shown(codec, 60)}; refused (allowed: "
                            f"{', '.join(sorted(ZARR_CODECS))})")


def _rebuilt(ds: Any, names: list[str], coords: set[str], text: bool) -> Any:
    """A copy of ``ds`` whose variables are inserted in the order ``names`` (which also fixes
    the order of its dimensions), text variables as object arrays when ``text``."""
    import xarray as xr

    out = xr.Dataset(attrs=dict(ds.attrs))
    for name in names:
        var = ds.variables[name]
        if text and var.dtype.kind in "UT":
            var = var.astype(object)
        if name in coords:
            out = out.assign_coords({name: var})
        else:
            out[name] = var
    return out


def text_as_object(ds: Any) -> Any:
    """``ds`` with its text variables (fixed-width ``<U``, numpy ``StringDType``) as object arrays
    of ``str``: the one in-memory form of text in a result, which zarr stores as variable-length
    UTF-8 and :func:`open_zarr` gives back unchanged. The order of everything is kept."""
    if not any(v.dtype.kind in "UT" for v in ds.variables.values()):
        return ds
    return _rebuilt(ds, [str(n) for n in ds.variables], {str(c) for c in ds.coords}, True)


#: Attribute of a stored Dataset that keeps the order of its variables (zarr lists them in its own
#: order; the order decides the columns of the CSV views).
ORDER_ATTR = "metacascade_variable_order"


def write_zarr(ds: Any, store: str | Path, group: str | None = None, *, mode: str = "w") -> None:
    """Write a Dataset (text as variable-length UTF-8) as ``group`` of ``store``, keeping the
    order of its coordinates and data variables."""
    out = text_as_object(ds).copy()
    out.attrs = {**out.attrs, ORDER_ATTR: jsonio.dumps(
        {"variables": [str(v) for v in ds.variables], "coords": [str(c) for c in ds.coords]},
        indent=None)}
    out.to_zarr(store, group=group, mode=mode, consolidated=False)


def _reordered(ds: Any, where: str) -> Any:
    """``ds`` with the variable order recorded by :func:`write_zarr` (none: as zarr lists it)."""
    raw = ds.attrs.pop(ORDER_ATTR, None)
    if raw is None:
        return ds
    order = jsonio.loads(str(raw), f"{where} (variable order)")
    try:
        names, coords = [str(v) for v in order["variables"]], {str(c) for c in order["coords"]}
        if sorted(names) != sorted(map(str, ds.variables)) or coords != set(map(str, ds.coords)):
            raise ValueError("other variables")
    except (TypeError, KeyError, ValueError):
        raise DataError(f"{where}: the stored variable order does not match its variables; the "
                        "store was changed after it was written") from None
    return _rebuilt(ds, names, coords, False)


def open_zarr(store: str | Path, group: str | None = None) -> Any:
    """The group ``group`` (None: the root) of a checked zarr store as an in-memory xarray Dataset; text arrays
    come back as numpy object arrays of ``str`` (as xarray and pandas make them)."""
    import xarray as xr

    check_zarr(store)
    where = shown(os.fspath(Path(store) / (group or "")))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # chunks=None: numpy-backed arrays, no dask (its thread pool is not fork-safe and
            # importing it costs a second); the store is small and read whole
            ds = xr.open_zarr(store, group=group, consolidated=False, chunks=None).load()
    except (FileNotFoundError, KeyError) as exc:
        raise DataError(f"{where}: missing from the store ({type(exc).__name__})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"{where}: cannot be read ({type(exc).__name__}: "
                        f"{shown(' '.join(str(exc).split()), 120)})") from None
    return text_as_object(_reordered(ds, where))


def has_group(store: str | Path, group: str) -> bool:
    """True when the store has the group (v3 ``zarr.json`` or v2 ``.zgroup``)."""
    g = Path(store) / group
    return (g / "zarr.json").is_file() or (g / ".zgroup").is_file()


__all__ = ["CSV_TYPES", "ZARR_CODECS", "ZARR_TYPES", "check_zarr", "column_types", "has_group",
           "open_zarr", "read_csv", "text_as_object", "write_csv", "write_zarr"]
