"""Input tables of ``metacascade infer-seeding``: read counts or SCIMET summary statistics.

**Read counts** (TSV or CSV, one row per mutation and sample; the PyClone-VI columns, Gillis &
Roth 2020, plus the site):

``mutation_id``, ``sample_id``
    Identifiers (text). Every mutation needs a row in every sample (0 alt reads where it was not
    called), as PyClone-VI and CONIPHER require; a (mutation_id, sample_id) pair appears once.
``site``
    Where the sample was taken: ``primary`` (the primary tumour; the name is a setting) or the
    name of a metastasis (e.g. ``liver``). Each metastatic site is one metastasis; several samples
    per site are pooled by the statistics. One site per sample.
``ref_counts``, ``alt_counts``
    Reads supporting the reference and the variant allele (whole numbers >= 0). Instead of
    ``ref_counts`` a ``total_counts`` (depth) column may be given; then alt <= total.
``major_cn``, ``minor_cn``, ``normal_cn`` (optional)
    Copy numbers at the mutation in the tumour (major >= minor >= 0, major >= 1) and in normal
    cells (>= 1). Default 1, 1, 2 (diploid).
``tumour_content`` (optional)
    Purity of the sample, in (0, 1], one value per sample. Default 1.

**Summary statistics** (SCIMET format, Hu et al. 2019; src/metacascade/datasets/
crc_metastases_summary_statistics_hu2019.tsv): ``Met`` then ``S1..S9``, whole numbers >= 0, with
S1 >= S2 >= S3 >= S4 and S5 >= ... >= S8 (counts above rising VAF cut-offs).

Errors are :class:`metacascade.errors.DataError` with one line naming the row (file line, the
header being line 1), the column, the value and what is allowed. Checks are vectorised (pandas).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from metacascade.errors import DataError

READ_COUNT_COLUMNS = ("mutation_id", "sample_id", "site", "ref_counts", "alt_counts")
OPTIONAL_COLUMNS = ("major_cn", "minor_cn", "normal_cn", "tumour_content")
DEFAULTS: dict[str, Any] = {"major_cn": 1, "minor_cn": 1, "normal_cn": 2, "tumour_content": 1.0}
SUMMARY_COLUMNS = ("Met", *(f"S{i}" for i in range(1, 10)))
PRIMARY_SITE = "primary"
_MONOTONE = (("S1", "S2", "S3", "S4"), ("S5", "S6", "S7", "S8"))


def read_table(path: str | Path) -> pd.DataFrame:
    """A TSV (``.tsv``, ``.txt``, ``.tab``) or CSV (``.csv``; anything else is sniffed) as text
    columns (types are checked by the validators, so errors can quote the value as written)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file")
    suffix = p.suffix.lower()
    sep: str | None = "\t" if suffix in (".tsv", ".txt", ".tab") else "," if suffix == ".csv" \
        else None
    try:
        df = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, comment=None,
                         engine="python" if sep is None else "c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{p}: cannot read as a table ({str(exc).splitlines()[0]})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _line(i: int) -> int:
    return i + 2  # header = line 1


def _fail(source: str, mask: pd.Series | np.ndarray, df: pd.DataFrame, column: str,
          allowed: str) -> None:
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return
    bad = np.flatnonzero(m)
    i = int(bad[0])
    more = f" ({bad.size - 1} more row{'s' if bad.size > 2 else ''} like this)" if bad.size > 1 \
        else ""
    raise DataError(f"{source}: row {_line(i)}: column {column!r} = {df[column].iloc[i]!r}: "
                    f"{allowed}{more}")


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    return df[col].astype(str).str.strip()


def _numbers(df: pd.DataFrame, col: str) -> pd.Series:
    raw = df[col]
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        raw = raw.astype(str).str.strip()
    return pd.to_numeric(raw, errors="coerce").astype(float)


def _integers(df: pd.DataFrame, col: str, source: str, minimum: int) -> pd.Series:
    x = _numbers(df, col)
    bad = ~np.isfinite(x) | (x % 1 != 0) | (x < minimum)
    _fail(source, bad, df, col, f"must be a whole number >= {minimum}")
    return x.astype(np.int64)


def _check_columns(df: pd.DataFrame, need: tuple[str, ...], source: str, what: str) -> None:
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}; {what} needs "
                        f"{', '.join(need)} (found: {', '.join(map(str, df.columns)) or 'none'})")
    if df.empty:
        raise DataError(f"{source}: no data rows")


def _constant_within(df: pd.DataFrame, key: str, col: str, values: pd.Series, source: str,
                     allowed: str) -> None:
    first = values.groupby(df[key]).transform("first")
    _fail(source, values != first, df, col, allowed)


def validate_read_counts(df: pd.DataFrame, source: str = "read counts",
                         primary_site: str = PRIMARY_SITE) -> pd.DataFrame:
    """Check a read-count table (module docstring) and return it typed, with the optional
    columns filled by their defaults, in the column order of :data:`READ_COUNT_COLUMNS` +
    :data:`OPTIONAL_COLUMNS` (other columns dropped)."""
    df = df.reset_index(drop=True).copy()
    df.columns = [str(c).strip() for c in df.columns]
    need: tuple[str, ...] = READ_COUNT_COLUMNS
    if "ref_counts" not in df.columns and "total_counts" in df.columns:
        need = tuple(c if c != "ref_counts" else "total_counts" for c in READ_COUNT_COLUMNS)
    _check_columns(df, need, source, "a read-count table")
    out = pd.DataFrame({c: _text(df, c) for c in ("mutation_id", "sample_id", "site")})
    for c in ("mutation_id", "sample_id", "site"):
        _fail(source, out[c] == "", df, c, "an identifier is required (empty)")
    alt = _integers(df, "alt_counts", source, 0)
    if "total_counts" in df.columns:
        total = _integers(df, "total_counts", source, 0)
        _fail(source, alt > total, df, "alt_counts",
              "must not exceed total_counts (reads at the position)")
        ref = total - alt
        if "ref_counts" in df.columns:
            given = _integers(df, "ref_counts", source, 0)
            _fail(source, given != ref, df, "ref_counts", "must equal total_counts - alt_counts")
    else:
        ref = _integers(df, "ref_counts", source, 0)
    out["ref_counts"], out["alt_counts"] = ref, alt
    for c, low in (("major_cn", 1), ("minor_cn", 0), ("normal_cn", 1)):
        out[c] = _integers(df, c, source, low) if c in df.columns else DEFAULTS[c]
    if "minor_cn" in df.columns:
        _fail(source, out["minor_cn"] > out["major_cn"], df, "minor_cn",
              "must not exceed major_cn (the larger copy number; default 1)")
    if "tumour_content" in df.columns:
        tc = _numbers(df, "tumour_content")
        _fail(source, ~((tc > 0) & (tc <= 1)), df, "tumour_content",
              "purity must be in (0, 1]")
        out["tumour_content"] = tc
        _constant_within(df, "sample_id", "tumour_content", tc, source,
                         "one purity per sample_id (differs from the sample's first row)")
    else:
        out["tumour_content"] = DEFAULTS["tumour_content"]
    _constant_within(out, "sample_id", "site", out["site"], source,
                     "a sample comes from one site (differs from the sample's first row)")
    dup = out.duplicated(["mutation_id", "sample_id"], keep="first")
    _fail(source, dup, df, "mutation_id",
          "the (mutation_id, sample_id) pair appears twice; one row per mutation and sample")
    _check_complete(out, source)
    _check_sites(out, source, primary_site)
    return out


def _check_complete(out: pd.DataFrame, source: str) -> None:
    n_samples = out["sample_id"].nunique()
    per_mut = out.groupby("mutation_id", sort=False)["sample_id"].nunique()
    short = per_mut[per_mut < n_samples]
    if short.empty:
        return
    mut = short.index[0]
    have = set(out.loc[out["mutation_id"] == mut, "sample_id"])
    lacking = [s for s in pd.unique(out["sample_id"]) if s not in have]
    raise DataError(f"{source}: mutation {mut!r} has no row for sample {lacking[0]!r}; every "
                    "mutation needs ref/alt counts in every sample (0 alt reads where not "
                    f"called) ({len(short)} mutation(s) incomplete)")


def _check_sites(out: pd.DataFrame, source: str, primary_site: str) -> None:
    sites = pd.unique(out["site"])
    lower = {str(s).lower(): s for s in sites}
    if primary_site.lower() not in lower:
        raise DataError(f"{source}: column 'site' has no {primary_site!r} rows (sites: "
                        f"{', '.join(map(str, sites))}); name the primary tumour's samples "
                        f"site = {primary_site}")
    if len(sites) < 2:
        raise DataError(f"{source}: column 'site' has only {primary_site!r}; at least one "
                        "metastatic site is needed")
    alt_by_site = out.groupby("site", sort=False)["alt_counts"].max()
    empty = alt_by_site[alt_by_site <= 0]
    if not empty.empty:
        raise DataError(f"{source}: site {empty.index[0]!r} has no mutations (no sample of it "
                        "has an alt read); drop the site or check its samples")


def validate_summary_statistics(df: pd.DataFrame,
                                source: str = "summary statistics") -> pd.DataFrame:
    """Check a SCIMET summary-statistics table and return ``Met`` (text) and ``S1..S9`` (int)."""
    df = df.reset_index(drop=True).copy()
    df.columns = [str(c).strip() for c in df.columns]
    _check_columns(df, SUMMARY_COLUMNS, source, "a summary-statistics table")
    out = pd.DataFrame({"Met": _text(df, "Met")})
    _fail(source, out["Met"] == "", df, "Met", "a metastasis name is required (empty)")
    _fail(source, out["Met"].duplicated(), df, "Met", "names must be unique (appears twice)")
    for c in SUMMARY_COLUMNS[1:]:
        out[c] = _integers(df, c, source, 0)
    for group in _MONOTONE:
        for lo, hi in zip(group, group[1:], strict=False):
            _fail(source, out[hi] > out[lo], df, hi,
                  f"must not exceed {lo} = counts above a higher VAF cut-off are a subset")
    return out


def read_read_counts(path: str | Path, primary_site: str = PRIMARY_SITE) -> pd.DataFrame:
    """Read and validate a read-count file (:func:`validate_read_counts`)."""
    return validate_read_counts(read_table(path), str(path), primary_site)


def read_summary_statistics(path: str | Path) -> pd.DataFrame:
    """Read and validate a SCIMET summary-statistics file."""
    return validate_summary_statistics(read_table(path), str(path))


@dataclass(frozen=True)
class SeedingData:
    """A validated input of ``infer-seeding``: read counts or summary statistics."""

    kind: Literal["read_counts", "summary_statistics"]
    table: pd.DataFrame
    source: str
    primary_site: str = PRIMARY_SITE

    @property
    def metastases(self) -> list[str]:
        """One name per metastasis: the non-primary sites, or the ``Met`` column."""
        if self.kind == "summary_statistics":
            return list(self.table["Met"])
        sites = pd.unique(self.table["site"])
        return [str(s) for s in sites if str(s).lower() != self.primary_site.lower()]


def load_seeding_data(path: str | Path, summary_statistics: bool = False,
                      primary_site: str = PRIMARY_SITE) -> SeedingData:
    """The input of ``metacascade infer-seeding DATA [--summary-statistics]``."""
    if summary_statistics:
        return SeedingData("summary_statistics", read_summary_statistics(path), str(path))
    return SeedingData("read_counts", read_read_counts(path, primary_site), str(path),
                       primary_site)
