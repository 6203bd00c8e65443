"""Input validation of infer-seeding: every bad input gets one line naming row, column, value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metacascade import datasets
from metacascade.errors import DataError
from metacascade.inference.reads import (
    READ_COUNT_COLUMNS,
    SUMMARY_COLUMNS,
    load_seeding_data,
    read_read_counts,
    read_summary_statistics,
    validate_read_counts,
    validate_summary_statistics,
)

ROOT = Path(__file__).resolve().parents[1]
READS = ROOT / "examples" / "seeding" / "reads.tsv"
SCIMET = ROOT / "examples" / "seeding" / "crc_summary_statistics_hu2019.tsv"


def table() -> pd.DataFrame:
    """Two mutations x (2 primary + 1 liver sample), as text like a file read."""
    rows = []
    for m in ("m1", "m2"):
        for s, site, pur in (("P1", "primary", "0.7"), ("P2", "primary", "0.6"),
                             ("L1", "liver", "0.5")):
            rows.append({"mutation_id": m, "sample_id": s, "site": site, "ref_counts": "60",
                         "alt_counts": "20", "major_cn": "1", "minor_cn": "1",
                         "normal_cn": "2", "tumour_content": pur})
    return pd.DataFrame(rows)


def error(df: pd.DataFrame) -> str:
    with pytest.raises(DataError) as exc:
        validate_read_counts(df, "t.tsv")
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("t.tsv: ")
    return msg


def test_example_file_loads_typed():
    data = load_seeding_data(READS)
    t = data.table
    assert data.kind == "read_counts" and data.metastases == ["liver"]
    assert tuple(t.columns[:5]) == READ_COUNT_COLUMNS
    assert t["ref_counts"].dtype == np.int64 and t["tumour_content"].dtype == np.float64
    assert t.groupby("mutation_id")["sample_id"].nunique().eq(4).all()
    raw = pd.read_csv(READS, sep="\t")
    np.testing.assert_array_equal(t["alt_counts"], raw["alt_counts"])


def test_csv_and_defaults(tmp_path):
    df = table().drop(columns=["major_cn", "minor_cn", "normal_cn", "tumour_content"])
    path = tmp_path / "reads.csv"
    df.to_csv(path, index=False)
    t = read_read_counts(path)
    assert (t["major_cn"] == 1).all() and (t["normal_cn"] == 2).all()
    assert (t["tumour_content"] == 1.0).all()


def test_total_counts_instead_of_ref():
    df = table().drop(columns=["ref_counts"]).assign(total_counts="80")
    t = validate_read_counts(df)
    assert (t["ref_counts"] == 60).all()
    df.loc[4, "alt_counts"] = "81"
    assert "row 6: column 'alt_counts' = '81': must not exceed total_counts" in error(df)


@pytest.mark.parametrize("edit,expected", [
    (lambda d: d.drop(columns=["alt_counts"]), "missing column(s) alt_counts"),
    (lambda d: d.iloc[:0], "no data rows"),
    (lambda d: d.assign(ref_counts=["-3", *["60"] * 5]),
     "row 2: column 'ref_counts' = '-3': must be a whole number >= 0"),
    (lambda d: d.assign(alt_counts=["20", "2.5", "x", "20", "20", "20"]),
     "row 3: column 'alt_counts' = '2.5': must be a whole number >= 0 (1 more row like this)"),
    (lambda d: d.assign(tumour_content=["0.7", "0.6", "1.2", "0.7", "0.6", "1.2"]),
     "row 4: column 'tumour_content' = '1.2': purity must be in (0, 1] (1 more row like this)"),
    (lambda d: d.assign(tumour_content=["0.7", "0.6", "0.5", "0.7", "0.6", "0"]),
     "row 7: column 'tumour_content' = '0': purity must be in (0, 1]"),
    (lambda d: d.assign(tumour_content=["0.7", "0.6", "0.5", "0.7", "0.65", "0.5"]),
     "row 6: column 'tumour_content' = '0.65': one purity per sample_id"),
    (lambda d: d.assign(site=["primary", "primary", "liver", "primary", "liver", "liver"]),
     "row 6: column 'site' = 'liver': a sample comes from one site"),
    (lambda d: d.assign(minor_cn=["1", "2", "1", "1", "1", "1"]),
     "row 3: column 'minor_cn' = '2': must not exceed major_cn"),
    (lambda d: d.assign(normal_cn=["2", "2", "2", "0", "2", "2"]),
     "row 5: column 'normal_cn' = '0': must be a whole number >= 1"),
    (lambda d: d.assign(mutation_id=["m1", "m1", "m1", "m1", "m2", "m2"]),
     "row 5: column 'mutation_id' = 'm1': the (mutation_id, sample_id) pair appears twice"),
    (lambda d: d.assign(sample_id=["P1", "P2", "L1", "P1", "P2", " "]),
     "row 7: column 'sample_id' = ' ': an identifier is required"),
    (lambda d: d.drop(index=5), "mutation 'm2' has no row for sample 'L1'"),
    (lambda d: d.assign(alt_counts=["20", "20", "0", "20", "20", "0"]),
     "site 'liver' has no mutations"),
    (lambda d: d.assign(site=["tumour", "tumour", "liver"] * 2), "column 'site' has no 'primary'"),
    (lambda d: d.assign(site="primary"), "only 'primary'; at least one metastatic site"),
])
def test_bad_read_counts(edit, expected):
    assert expected in error(edit(table()))


def test_missing_file_and_garbage(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_read_counts(tmp_path / "nope.tsv")
    p = tmp_path / "x.tsv"
    p.write_text("mutation_id\tsample_id\n")
    with pytest.raises(DataError, match="missing column"):
        read_read_counts(p)


def test_published_summary_statistics_load():
    data = load_seeding_data(SCIMET, summary_statistics=True)
    t = data.table
    assert tuple(t.columns) == SUMMARY_COLUMNS and len(t) == 23
    v402 = t.set_index("Met").loc["V402_BM"].tolist()
    assert v402 == [106, 29, 9, 6, 24, 21, 20, 20, 2]  # science.md §11.1.2
    shipped = datasets.path("crc_metastases_summary_statistics_hu2019")
    pd.testing.assert_frame_equal(t, read_summary_statistics(shipped))


@pytest.mark.parametrize("edit,expected", [
    (lambda d: d.drop(columns=["S9"]), "missing column(s) S9"),
    (lambda d: d.assign(S3=["100", *d["S3"].iloc[1:]]),
     "row 2: column 'S3' = '100': must not exceed S2"),
    (lambda d: d.assign(S7=["-1", *d["S7"].iloc[1:]]),
     "row 2: column 'S7' = '-1': must be a whole number >= 0"),
    (lambda d: d.assign(Met=["V402_BM", "V402_BM", *d["Met"].iloc[2:]]),
     "row 3: column 'Met' = 'V402_BM': names must be unique"),
])
def test_bad_summary_statistics(edit, expected):
    d = pd.read_csv(SCIMET, sep="\t", dtype=str, keep_default_na=False)
    with pytest.raises(DataError) as exc:
        validate_summary_statistics(edit(d), "s.tsv")
    assert expected in str(exc.value) and "\n" not in str(exc.value)
