"""``metacascade run --engine stochastic`` and ``metacascade sequence``: the output contract, the
exact round trip through the Result family, the recorded clone history against the simulated
primary, the genealogy against the clone records, reproducibility and bad input (exit 2, no
output).

The run is the breast scenario with dissemination.mu = 1e-9 (about 150 metastases, ~1e5 clones):
small enough for a test, large enough for metastases that grow.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
import tskit

from metacascade.analysis.sequencing import READ_COLUMNS, site_calls
from metacascade.cli import main
from metacascade.result import load
from metacascade.result.cellscale import METASTASIS_COLUMNS, CellScaleResult
from metacascade.result.sequencing import SequencingResult

RUN = ["run", "breast", "--engine", "stochastic", "--seed", "3", "--set",
       "dissemination.mu=1e-9", "-q"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cellscale")

    def cli(argv):
        saved = sys.argv
        sys.argv = ["metacascade", *argv]
        try:
            main()
        except SystemExit as exc:
            return 0 if exc.code is None else int(exc.code)
        finally:
            sys.argv = saved
        return 0

    run = root / "run"
    assert cli([*RUN, "--out", str(run)]) == 0
    met = load(run).metastases
    big = str(met.loc[met["cells_final"].idxmax(), "met_id"])
    seq = root / "seq"
    assert cli(["sequence", str(run), "--regions", f"primary:4,{big}:4", "--depth", "100",
                "--purity", "0.7", "--seed", "5", "--out", str(seq)]) == 0
    return run, seq, big, cli


def test_run_writes_the_cell_scale_contract(folders):
    run, _, _, _ = folders
    for name in ("clones.csv", "metastases.csv", "genealogy.trees", "timeseries.csv",
                 "summary.json", "events.csv", "result.zarr", "provenance.json", "clones.png",
                 "genealogy.png", "ccf.png"):
        assert (run / name).exists(), name
    mets = pd.read_csv(run / "metastases.csv")
    assert list(mets.columns) == METASTASIS_COLUMNS
    assert len(mets) > 10 and (mets["cells_final"] >= 0).all()
    prov = json.loads((run / "provenance.json").read_text())
    assert prov["kind"] == "stochastic" and prov["seed"] == 3
    clones = pd.read_csv(run / "clones.csv")
    assert set(clones["site"]) <= {"primary", *mets["met_id"]}
    # founders are primary clones
    assert set(clones.loc[mets["founder_clone"], "site"]) == {"primary"}


def test_stochastic_result_round_trips_exactly(folders, tmp_path):
    run, _, _, _ = folders
    a = load(run)
    assert isinstance(a, CellScaleResult)
    a.save(tmp_path / "again")
    b = load(tmp_path / "again")
    for name in ("clones", "metastases", "clone_history"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.genealogy.tables == b.genealogy.tables
    assert a.timeseries.identical(b.timeseries) and a.summary == b.summary


def test_genealogy_agrees_with_the_clone_records(folders):
    run, _, _, _ = folders
    r = load(run)
    ts = tskit.load(str(run / "genealogy.trees"))
    final = r.clones.groupby("site")["cells"].sum()
    mets = sorted((s for s in r.sites[1:] if final.get(s, 0) >= 1), key=lambda s: -final[s])
    sampled = ["primary", *mets[:9]]
    assert ts.num_samples == 10 * len(sampled)
    pops = ts.tables.nodes.population[ts.samples()]
    site_of_sample = np.asarray(r.sites)[pops]
    assert sorted(set(site_of_sample)) == sorted(sampled)
    assert (pd.Series(site_of_sample).value_counts() == 10).all()
    # samples of a site are at its sampling day: the primary's at resection, the others' at the end
    t = ts.tables.nodes.time[ts.samples()]
    end = float(r.timeseries["time_days"][-1])
    np.testing.assert_allclose(t[site_of_sample != "primary"], 0.0, atol=1e-9)
    np.testing.assert_allclose(t[site_of_sample == "primary"],
                               end - float(r.summary["primary_end_day"]), rtol=1e-9)
    assert ts.num_trees == 1 and ts.first().num_roots == 1
    assert ts.num_mutations == ts.num_sites <= int(r.clones["n_mutations"].sum())
    # every sample of a metastasis carries the mutations of its founder's lineage: the clones on
    # the path from the metastasis' first clone to the root of the clone tree
    parent = r.clones["parent"].to_numpy()
    nm = r.clones["n_mutations"].to_numpy()
    site = r.clones["site"].to_numpy()
    g = ts.genotype_matrix()  # sites x samples
    for m in mets[:9]:
        first = int(np.flatnonzero((site == m) & (site[np.maximum(parent, 0)] != m))[0])
        path, c = 0, first
        while c >= 0:
            path += int(nm[c])
            c = int(parent[c])
        shared = int((g[:, site_of_sample == m] == 1).all(axis=1).sum())
        assert shared >= path, (m, shared, path)


def test_clone_history_equals_the_simulated_primary(folders):
    """The recorded clone sizes (kernel snapshots) summed over the kept clones are the primary's
    cells on the grid, recorded separately by the engine."""
    run, _, _, _ = folders
    r = load(run)
    h = r.clone_history
    root = h[h["parent"] < 0]
    assert root["clone_id"].nunique() == 1
    grid = r.timeseries["primary_cells"].to_series()
    inner = root[root["day"] < float(r.summary["primary_end_day"])]
    expect = grid.reindex(inner["day"].to_numpy()).to_numpy()
    np.testing.assert_allclose(inner["subtree_cells"].to_numpy(), expect, rtol=1e-9)
    own = h.groupby("day")["cells"].sum().to_numpy()
    np.testing.assert_allclose(own, root["subtree_cells"].to_numpy(), rtol=1e-9)
    assert (h["cells"] >= 0).all() and (h["subtree_cells"] >= h["cells"] - 1e-9).all()


def test_sequence_writes_reads_and_statistics(folders, tmp_path):
    run, seq, big, _ = folders
    reads = pd.read_csv(seq / "reads.tsv", sep="\t")
    assert list(reads.columns) == READ_COLUMNS
    assert set(reads["site"]) == {"primary", big}
    assert reads.groupby("mutation_id").size().eq(8).all()  # 4 + 4 regions
    assert (reads["tumour_content"] == 0.7).all()
    stats = pd.read_csv(seq / "summary_statistics.tsv", sep="\t")
    assert list(stats[["primary", "metastasis"]].iloc[0]) == ["primary", big]
    assert {"S1", "S9", "Lp", "Lm", "H", "shared"} <= set(stats.columns)
    a = load(seq)
    assert isinstance(a, SequencingResult)
    a.save(tmp_path / "again")
    b = load(tmp_path / "again")
    pd.testing.assert_frame_equal(a.reads, b.reads, check_exact=True)
    pd.testing.assert_frame_equal(a.statistics, b.statistics, check_exact=True)
    assert a.design == b.design and a.tails == b.tails


def test_exact_sequencing_of_a_run_gives_the_true_ccfs(folders, tmp_path):
    """Infinite depth, purity 1 and whole sites: the called CCFs are the clone records' CCFs."""
    run, _, big, cli = folders
    out = tmp_path / "exact"
    assert cli(["sequence", str(run), "--regions", f"primary:1,{big}:1", "--depth", "inf",
                "--purity", "1", "--cells-per-region", "inf", "--out", str(out)]) == 0
    calls = site_calls(load(out).reads)
    # "infinite" depth is 1e12 reads: the binomial error of a CCF is below 2 sqrt(0.25 / 1e12)
    # = 1e-6, so 1e-5 is 10 standard deviations
    np.testing.assert_allclose(calls["ccf"], calls["true_ccf"], atol=1e-5)
    # called: VAF = CCF / 2 > 0.05 (SCIMET's threshold), i.e. CCF > 0.1 (away from the edge)
    clear = (calls["true_ccf"] - 0.1).abs() > 1e-4
    assert (calls.loc[clear, "called"] == (calls.loc[clear, "true_ccf"] > 0.1)).all()


def test_same_seed_same_files(folders, tmp_path):
    run, _, _, cli = folders
    assert cli([*RUN, "--out", str(tmp_path / "again")]) == 0
    for name in ("clones.csv", "metastases.csv", "clone_history.csv"):
        assert (run / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    # the tskit file carries a fresh file UUID: compare its tables
    assert tskit.load(str(run / "genealogy.trees")).tables == \
        tskit.load(str(tmp_path / "again" / "genealogy.trees")).tables


def test_report_works_on_both_folders(folders, tmp_path):
    run, seq, _, cli = folders
    for folder in (run, seq):
        out = tmp_path / f"{folder.name}.html"
        assert cli(["report", str(folder), "--out", str(out)]) == 0
        html = out.read_text()
        assert "data:image/png;base64" in html


@pytest.mark.parametrize("args", [
    ["--regions", "primary:4,met999:4"],
    ["--regions", "primary:4,nowhere:2"],
    ["--regions", "primary:0"],
    ["--regions", "primary"],
    ["--depth", "0"],
    ["--purity", "0"],
    ["--purity", "1.5"],
    ["--purity", "-0.2"],
])
def test_bad_sequencing_input_exits_2_without_output(folders, tmp_path, capsys, args):
    run, _, _, cli = folders
    out = tmp_path / "bad"
    capsys.readouterr()
    assert cli(["sequence", str(run), *args, "--out", str(out)]) == 2
    err = capsys.readouterr()
    text = (err.err + err.out).strip()
    assert "Traceback" not in text and text
    assert not out.exists()


@pytest.mark.parametrize("value", ["mutation.rate_per_division=-0.1",
                                   "mutation.driver_rate_per_division=-1e-5",
                                   "dissemination.mu=-1e-9"])
def test_negative_rates_exit_2_without_output(folders, tmp_path, capsys, value):
    _, _, _, cli = folders
    out = tmp_path / "neg"
    assert cli(["run", "breast", "--engine", "stochastic", "--set", value, "--out",
                str(out), "-q"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not out.exists()


def test_a_metastasis_that_died_out_cannot_be_sequenced(folders, tmp_path, capsys):
    """A founded metastasis whose lineage went extinct (0 cells at the end) has nothing to
    biopsy: exit 2 naming it, no output (it used to give reads of an empty site)."""
    run, _, _, cli = folders
    met = load(run).metastases
    gone = met.loc[met["cells_final"] == 0, "met_id"]
    if gone.empty:
        pytest.skip("every metastasis of this run survived")
    out = tmp_path / "gone"
    capsys.readouterr()
    assert cli(["sequence", str(run), "--regions", f"primary:2,{gone.iloc[0]}:2",
                "--out", str(out)]) == 2
    err = capsys.readouterr()
    assert "died out" in err.err + err.out and not out.exists()
