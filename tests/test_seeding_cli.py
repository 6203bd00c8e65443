"""``metacascade infer-seeding``: output contract, provenance, and bad input (exit 2, no output).

Runs use tiny ABC settings (populations of 20, at most 1000 simulations per metastasis, the
neutral model): the files and their columns are checked here, not the posterior's accuracy
(``tests/test_seeding_recovery.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metacascade.inference.seeding import SEEDING_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "src" / "metacascade" / "datasets" / "crc_metastases_summary_statistics_hu2019.tsv"
READS = ROOT / "examples" / "seeding" / "reads.tsv"
TINY = ["--population-size", "20", "--max-simulations", "1000", "--models", "NN",
        "--executor", "serial"]


def test_summary_statistics_run_writes_the_contract(run_cli, tmp_path, capsys):
    out = tmp_path / "crc"
    code = run_cli(["infer-seeding", str(PUBLISHED), "--summary-statistics", "--cancer-type",
                    "colorectal", "--seed", "3", "--out", str(out), "--metastases",
                    "V402_BM,Lim21_LI", *TINY])
    assert code == 0
    seeding = pd.read_csv(out / "seeding.csv")
    assert tuple(seeding.columns) == SEEDING_COLUMNS
    assert list(seeding["met"]) == ["V402_BM", "Lim21_LI"]
    assert (seeding["model"] == "NN").all()
    assert ((seeding["p_early"] >= 0) & (seeding["p_early"] <= 1)).all()
    post = pd.read_csv(out / "posterior.csv")
    assert list(post.columns) == ["met", "model", "weight", "seeding_cells",
                                  "log10_seeding_cells", "mutation_rate",
                                  "years_before_diagnosis"]
    np.testing.assert_allclose(post.groupby("met")["weight"].sum(), 1.0)
    assert set(pd.read_csv(out / "predictive.csv")["statistic"]) == {f"S{i}" for i in range(1, 10)}
    assert len(pd.read_csv(out / "diagnostics.csv")) == 2
    obs = pd.read_csv(out / "observed.csv")
    assert list(obs["Met"]) == ["V402_BM", "Lim21_LI"]
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["kind"] == "seeding" and prov["seed"] == 3
    assert prov["cancer_type"] == "colorectal" and prov["models"] == ["NN"]
    for name in ("seeding_posterior.png", "predictive.png"):
        assert (out / name).stat().st_size > 0
    assert "2/2" in capsys.readouterr().out  # the progress bar, once the simulations started


def test_read_counts_run_and_same_seed_same_result(run_cli, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run_cli(["infer-seeding", str(READS), "--cancer-type", "breast", "--seed", "5",
                        "--out", str(out), "--no-figures", *TINY]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(a / "seeding.csv"), pd.read_csv(b / "seeding.csv"))
    assert list(pd.read_csv(a / "seeding.csv")["met"]) == ["liver"]
    prov = json.loads((a / "provenance.json").read_text())
    assert 0.55 <= prov["purity"] <= 0.7  # the samples' median purity


def _reads() -> pd.DataFrame:
    return pd.read_csv(READS, sep="\t", dtype=str)


@pytest.mark.parametrize("edit,expected", [
    (lambda df: df.drop(columns="alt_counts"), "missing column"),
    (lambda df: df.assign(ref_counts=df["ref_counts"].where(df.index != 3, "-4")),
     "row 5: column 'ref_counts'"),
    (lambda df: df.assign(alt_counts=np.where(df["site"] == "liver", "0", df["alt_counts"])),
     "site 'liver' has no mutations"),
])
def test_bad_read_counts_exit_2_without_output(run_cli, tmp_path, capsys, edit, expected):
    bad = tmp_path / "bad.tsv"
    edit(_reads()).to_csv(bad, sep="\t", index=False)
    out = tmp_path / "out"
    code = run_cli(["infer-seeding", str(bad), "--cancer-type", "colorectal", "--out", str(out),
                    *TINY])
    assert code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_unknown_cancer_type_and_misplaced_scheduler_exit_2(run_cli, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli(["infer-seeding", str(READS), "--cancer-type", "pancreas-xyz", "--out",
                    str(out), *TINY]) == 2
    err = capsys.readouterr().err
    assert "--cancer-type 'pancreas-xyz'" in err and "colorectal, breast, lung" in err
    assert run_cli(["infer-seeding", str(READS), "--cancer-type", "lung", "--out", str(out),
                    "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "--executor dask" in capsys.readouterr().err
    assert run_cli(["infer-seeding", str(PUBLISHED), "--cancer-type", "lung", "--out",
                    str(out), "--summary-statistics", "--models", "NN,XY"]) == 2
    assert not out.exists()


def test_bad_summary_statistics_exit_2(run_cli, tmp_path, capsys):
    bad = tmp_path / "stats.tsv"
    df = pd.read_csv(PUBLISHED, sep="\t")
    df.loc[2, "S6"] = df.loc[2, "S5"] + 1  # more mutations above a higher cut-off
    df.to_csv(bad, sep="\t", index=False)
    out = tmp_path / "out"
    assert run_cli(["infer-seeding", str(bad), "--summary-statistics", "--cancer-type",
                    "colorectal", "--out", str(out), *TINY]) == 2
    assert "column 'S6'" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("args,needle", [
    # an option of the other input mode: was ignored (the whole table was inferred)
    (["--summary-statistics", "--primary-site", "foo"],
     "--primary-site 'foo': not used with --summary-statistics"),
    (["--summary-statistics", "--workers", "2"], "--workers 2: not used with --executor serial"),
    (["--summary-statistics", "--mutation-rate", "1e6"], "allowed 0 < x <= 30"),  # was OOM
])
def test_options_that_do_not_apply_exit_2(run_cli, tmp_path, capsys, args, needle):
    out = tmp_path / "out"
    code = run_cli(["infer-seeding", str(PUBLISHED), "--cancer-type", "colorectal", "--out",
                    str(out), *TINY, *args])
    captured = capsys.readouterr()
    assert code == 2 and needle in captured.err, captured.err
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
    assert captured.out == ""
    assert not out.exists()


def test_primary_site_still_names_the_primary_of_read_counts(run_cli, tmp_path, capsys):
    reads = _reads().replace({"site": {"primary": "colon"}})
    path = tmp_path / "reads.tsv"
    reads.to_csv(path, sep="\t", index=False)
    out = tmp_path / "out"
    assert run_cli(["infer-seeding", str(path), "--cancer-type", "colorectal", "--out", str(out),
                    *TINY]) == 2
    assert "no 'primary' rows" in capsys.readouterr().err
    assert run_cli(["infer-seeding", str(path), "--cancer-type", "colorectal", "--out", str(out),
                    "--primary-site", "colon", "--no-figures", *TINY]) == 0
    assert list(pd.read_csv(out / "seeding.csv")["met"]) == ["liver"]


def test_a_check_inside_the_inference_prints_no_progress_bar(run_cli, tmp_path, capsys,
                                                             monkeypatch):
    from metacascade.errors import DataError
    from metacascade.inference import seeding_abc

    def refuse(*args: object, **kwargs: object) -> None:
        raise DataError("summary statistics [...]: need the nine counts S1..S9")

    monkeypatch.setattr(seeding_abc, "infer_metastasis", refuse)
    out = tmp_path / "out"
    assert run_cli(["infer-seeding", str(PUBLISHED), "--summary-statistics", "--cancer-type",
                    "colorectal", "--metastases", "V402_BM", "--out", str(out), *TINY]) == 2
    captured = capsys.readouterr()
    assert "need the nine counts" in captured.err
    assert captured.out == ""  # was the bar "metastases ... 0/1" first
    assert not out.exists()
