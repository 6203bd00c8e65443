"""Issue 13 regressions in the command line: no data loss, one error path, provenance, markup,
``scenarios show`` round trips. Every command runs in-process through ``main()`` (``run_cli``)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest

from metacascade.scenario import builtin_names

PROVENANCE = "provenance.json"  # a literal, so that this module also runs against the old code

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
SHORT = ["--set", "simulation.duration_days=200"]
pytestmark = pytest.mark.filterwarnings("ignore::metacascade.inference.fit.IdentifiabilityWarning")


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cwd = tmp/outer/work holding a user's files; tmp/outer holds more; HOME = tmp/home."""
    work = tmp_path / "outer" / "work"
    work.mkdir(parents=True)
    (work / "thesis.tex").write_text("years of work\n")
    (work / "data").mkdir()
    (work / "data" / "raw.csv").write_text("1,2,3\n")
    (tmp_path / "outer" / "neighbour.txt").write_text("not yours\n")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(work)
    return work


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(root.rglob("*"))}


def scenario_file(path: Path, name: str, days: int = 200) -> Path:
    path.write_text(f"name = {json.dumps(name)}\n\n[simulation]\nduration_days = {days}\n")
    return path


def call(run_cli, capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = run_cli(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assert_clean_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2 and all(len(line) <= 300 for line in lines), err
    assert lines[0].startswith("error: ")
    flat = " ".join(err.split())
    for f in fragments:
        assert f in flat, (f, err)


# ---- defect 1: data loss --------------------------------------------------------------------

@pytest.mark.parametrize("out", [".", "..", "", "../..", "./"])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_out_never_replaces_the_cwd_or_its_parents(sandbox: Path, run_cli, capsys, out: str,
                                                   force: list[str]) -> None:
    before = snapshot(sandbox.parent)
    code, _, err = call(run_cli, capsys, ["run", "neuroblastoma", "-q", "--out", out, *force])
    assert_clean_error(code, err, "refused", "working directory")
    assert snapshot(sandbox.parent) == before


def test_out_on_an_unrelated_folder_needs_force(sandbox: Path, run_cli, capsys) -> None:
    before = snapshot(sandbox)
    code, _, err = call(run_cli, capsys, ["run", "neuroblastoma", "-q", "--out", "data"])
    assert_clean_error(code, err, "--out 'data'", "not a metacascade output", "--force")
    assert snapshot(sandbox) == before
    code, _, err = call(run_cli, capsys, ["run", "neuroblastoma", "-q", "--out", "data",
                                          "--force"])
    assert code == 0, err
    assert not (sandbox / "data" / "raw.csv").exists() and (sandbox / "data" / "summary.json").exists()


@pytest.mark.parametrize("command", ["run", "cohort", "inject", "fit", "predict", "sequence",
                                     "infer-seeding"])
def test_force_never_replaces_a_folder_holding_the_commands_input(sandbox: Path, run_cli, capsys,
                                                                  command: str) -> None:
    """``--out data --force`` replaces an unrelated folder, but not the one the command reads
    its input from (it would delete the data it was given): exit 2, nothing touched."""
    data = sandbox / "data"
    if command == "fit":
        (data / "obs.csv").write_bytes((Path(__file__).parents[1] / "examples" / "neuroblastoma"
                                        / "observations.csv").read_bytes())
        argv = ["fit", "data/obs.csv", "--fit", "dissemination.mu", "--ids", "1",
                "--interval", "none", "--no-figures"]
    elif command == "infer-seeding":
        table = Path(__file__).parents[1] / "src" / "metacascade" / "datasets" / \
            "crc_metastases_summary_statistics_hu2019.tsv"
        (data / "s.tsv").write_text("\n".join(table.read_text().splitlines()[:2]) + "\n")
        argv = ["infer-seeding", "data/s.tsv", "--summary-statistics", "--cancer-type",
                "colorectal"]
    elif command == "predict":  # refused before the fit folder is read
        (data / "res").mkdir()
        (data / "res" / "provenance.json").write_text("{}")
        argv = ["predict", "data/res", "--id", "1"]
    elif command == "sequence":  # a stochastic patient with a living metastasis (met3)
        code, _, err = call(run_cli, capsys, [
            "run", "breast", "--engine", "stochastic", "--seed", "1", "-q", "--out", "data/res",
            "--set", "dissemination.mu=1e-10", "--set", "simulation.duration_days=2500"])
        assert code == 0, err
        argv = ["sequence", "data/res", "--regions", "primary:2,met3:2"]
    else:
        scen = scenario_file(data / "s.toml", "mine")
        argv = {"run": ["run", "data/s.toml", "-q"], "cohort": ["cohort", "data/s.toml", "-n", "2"],
                "inject": ["cascade", "inject", "--scenario", "data/s.toml"]}[command]
        assert scen.is_file()
    before = snapshot(sandbox)
    code, _, err = call(run_cli, capsys, [*argv, "--out", "data", "--force"])
    assert_clean_error(code, err, "--out 'data'", "refused", "this command's input")
    assert snapshot(sandbox) == before


def test_empty_scenario_name_is_refused_and_deletes_nothing(sandbox: Path, run_cli,
                                                             capsys) -> None:
    """``name = ""`` in a shared file once deleted the working directory; names are 1 to 100
    characters (scenario schema), so it is now a clean error that touches nothing."""
    scen = scenario_file(sandbox.parent / "s.toml", "")
    before = snapshot(sandbox.parent)
    code, _, err = call(run_cli, capsys, ["run", str(scen)])
    assert_clean_error(code, err, "name = ''")
    assert snapshot(sandbox.parent) == before


@pytest.mark.parametrize(("name", "slug"), [("..", "scenario"),
                                            ("/", "scenario"), ("[/]", "scenario"),
                                            ("ABS", "ABS"), ("../../outer", "outer")])
def test_scenario_name_is_only_a_slug_under_runs(sandbox: Path, run_cli, capsys, name: str,
                                                 slug: str) -> None:
    victim = sandbox.parent / "victim"
    victim.mkdir()
    (victim / "file.txt").write_text("someone else's\n")
    if name == "ABS":
        name, slug = str(victim), safe(str(victim))
    scen = scenario_file(sandbox.parent / "s.toml", name)
    before = snapshot(sandbox.parent)
    code, out, err = call(run_cli, capsys, ["run", str(scen)])
    assert code == 0, err
    after = snapshot(sandbox.parent)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed and all(k.startswith(f"work/runs/{slug}") or k == "work/runs" for k in changed)
    assert (sandbox / "runs" / slug / PROVENANCE).is_file()
    if name == "[/]":
        assert "[/]" in out  # printed literally, not as markup


def safe(name: str) -> str:
    from metacascade.result.writer import safe_slug

    return safe_slug(name)


def test_cohort_default_folder_is_a_slug(sandbox: Path, run_cli, capsys) -> None:
    scen = scenario_file(sandbox / "s.toml", "../../outer", days=7300)
    code, _, err = call(run_cli, capsys, ["cohort", str(scen), "-n", "3", "--executor",
                                          "serial"])
    assert code == 0, err
    assert (sandbox / "cohorts" / "outer" / "patients.csv").is_file()
    assert (sandbox.parent / "neighbour.txt").read_text() == "not yours\n"


def test_output_folder_mode_follows_umask(sandbox: Path, run_cli, capsys) -> None:
    old = os.umask(0o022)
    try:
        code, _, err = call(run_cli, capsys, ["run", "neuroblastoma", "-q", "--out", "o"])
    finally:
        os.umask(old)
    assert code == 0, err
    assert stat.S_IMODE((sandbox / "o").stat().st_mode) == 0o755  # was 0o700 (mkdtemp)


def test_replacing_is_clean(sandbox: Path, run_cli, capsys) -> None:
    for days in ("100", "150"):
        code, _, err = call(run_cli, capsys, ["run", "neuroblastoma", "-q", "--out", "o",
                                              "--set", f"simulation.duration_days={days}"])
        assert code == 0, err
    ts = pd.read_csv(sandbox / "o" / "timeseries.csv")
    assert ts["time_days"].max() == 150
    assert sorted(p.name for p in sandbox.iterdir()) == ["data", "o", "thesis.tex"]


# ---- defect 2: tracebacks on ordinary mistakes ----------------------------------------------

@pytest.mark.parametrize(("argv", "fragments"), [
    (["frobnicate"], ["No such command 'frobnicate'"]),
    (["runn"], ["No such command 'runn'", "run"]),
    (["run", "breast", "--sett", "x=1"], ["No such option: --sett", "did you mean --set"]),
    (["cohort", "-n", "abc"], ["'--patients' / '-n'", "integer"]),
    (["fit"], ["Missing argument", "data"]),
    (["scenarios", "show"], ["Missing argument", "name"]),
    (["cohort", "--workers", "0"], ["'--workers'", "1"]),
    (["cohort", "--seed", "-1"], ["'--seed'", "0"]),
    (["cohort", "-n", "0"], ["'--patients'"]),
    (["cohort", "-n", str(2**70)], ["'--patients'", "1000000000"]),
    (["cohort", "--executor", "dask", "--scheduler", "not a url"], ["'--scheduler'",
                                                                    "host:port"]),
    (["cohort", "--scheduler", "tcp://h:8786"], ["--scheduler is only used with --executor dask"]),
    (["cohort", "--executor", "threads"], ["'--executor'", "serial, processes, dask"]),
    (["cascade", "inject", "--days", "nan"], ["'--days'", "finite"]),
    (["cascade", "inject", "--days", "0"], ["'--days'", "0 < x <= 3650"]),
    (["cascade", "inject", "--cells", "0"], ["'--cells'"]),
    (["cascade", "inject", "--route", "[/]"], ["'--route'", "'[/]'", "tail-vein"]),
    (["claims", "--jobs", "0"], ["'--jobs'"]),
    (["fit", str(EXAMPLE), "--fit", "dissemination.mu", "--out", "o", "--level", "1.5"],
     ["'--level'", "0 < x < 1"]),
    (["fit", str(EXAMPLE), "--fit", "dissemination.mu", "--out", "o", "--n-bootstrap", "0"],
     ["'--n-bootstrap'"]),
    (["fit", str(EXAMPLE), "--fit", "dissemination.mu", "--out", "o", "--phi", "-1"],
     ["'--phi'"]),
    (["fit", str(EXAMPLE), "--fit", "dissemination.mu", "--out", "o", "--phi", "inf"],
     ["'--phi'", "finite"]),
    (["predict", "f", "--id", "1", "--out", "o", "--level", "-0.5"], ["'--level'"]),
    (["run", "[/]"], ["[/]"]),
    (["run", "[bold]x[/bold]"], ["[bold]x[/bold]"]),
])
def test_usage_and_value_errors_are_one_line(sandbox: Path, run_cli, capsys, argv: list[str],
                                             fragments: list[str]) -> None:
    before = snapshot(sandbox)
    code, _, err = call(run_cli, capsys, argv)
    assert_clean_error(code, err, *fragments)
    assert snapshot(sandbox) == before


def test_a_huge_bad_value_is_echoed_shortly(sandbox: Path, run_cli, capsys) -> None:
    for argv in (["cohort", "-n", "9" * 10_000], ["run", "x" * 200],
                 ["run", "breast", "--set", "primary.rate_per_day=" + "1.5" * 2000],
                 ["run", "breast", "--out", "y" * 5000]):
        code, _, err = call(run_cli, capsys, argv)
        assert_clean_error(code, err)
        assert len(err) < 700


@pytest.mark.parametrize(("setup", "argv", "fragment"), [
    ("file", ["run", "neuroblastoma", "--out", "thesis.tex"], "existing file"),
    ("link", ["run", "neuroblastoma", "--out", "link"], "symbolic link"),
    ("", ["run", "neuroblastoma", "--out", "thesis.tex/x"], "is not a folder"),
    ("", ["run", "neuroblastoma", "--out", "n" * 256], "longer than 255 bytes"),
    ("", ["run", "neuroblastoma", "--out", "/proc/metacascade/x"], "cannot"),
    ("", ["report", "runs/nb", "--out", "data"], "it is a folder"),
    ("", ["report", "runs/nb", "--out", "thesis.tex"], "did not write"),
    ("", ["report", "nowhere"], "no such folder"),
    ("", ["cohort", "neuroblastoma", "--out", "runs/nb", "-n", "2", "--executor", "serial"],
     "metacascade run output, not a cohort output"),
    ("", ["scenarios", "show", "nope"], "nope"),
])
def test_path_problems_are_one_line(sandbox: Path, run_cli, capsys, setup: str,
                                    argv: list[str], fragment: str) -> None:
    code, _, err = call(run_cli, capsys, ["run", "neuroblastoma", "-q", "--out", "runs/nb"])
    assert code == 0, err
    if setup == "link":
        os.symlink(sandbox / "data", sandbox / "link")
    before = snapshot(sandbox)
    code, _, err = call(run_cli, capsys, argv)
    assert_clean_error(code, err, fragment)
    assert snapshot(sandbox) == before


def test_markup_in_user_strings_is_printed_literally(sandbox: Path, run_cli, capsys) -> None:
    for name in ("[/]", "[bold]loud[/bold]", "[red", ":thumbs_up:"):
        scen = scenario_file(sandbox / "s.toml", name)
        code, out, err = call(run_cli, capsys, ["run", str(scen), "--out", "o", "--force"])
        assert code == 0, err
        assert name in " ".join(out.split()).replace(" ", "") or name in out
        code, _, err = call(run_cli, capsys, ["report", "o", "--out", "[x].html"])
        assert code == 0, err


def test_help_shows_defaults_and_brackets(run_cli, capsys) -> None:
    for argv, fragment in [(["run", "--help"], "[runs/<scenario name as a safe slug>]"),
                           (["cohort", "--help"], "[cohorts/<scenario name as a safe slug>]"),
                           (["cohort", "--help"], "[cores]"),
                           (["claims", "--help"], "[CPU count, at most 4]"),
                           (["run", "--help"], "--force")]:
        code, out, _ = call(run_cli, capsys, argv)
        assert code == 0 and fragment in " ".join(out.split()), (argv, out)


def test_a_genuine_bug_asks_to_be_reported(run_cli, capsys, monkeypatch) -> None:
    import metacascade.scenario as scenario_module  # the run command imports it when it runs

    def broken(*a: object, **k: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(scenario_module, "load_scenario", broken)
    code, _, err = call(run_cli, capsys, ["run", "breast"])
    assert code == 1
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert "please report this at https://github.com/metacascade/metacascade/issues" in err


# ---- defect 5: provenance and scenarios show ------------------------------------------------

def test_every_output_folder_has_provenance(sandbox: Path, run_cli, capsys) -> None:
    cmds = {
        "run": ["run", "neuroblastoma", "-q", "--out", "r", *SHORT],
        "cohort": ["cohort", "neuroblastoma", "-n", "3", "--executor", "serial", "--out", "c"],
        "injection": ["cascade", "inject", "--cells", "100", "--days", "2", "--out", "i"],
        "fit": ["fit", str(EXAMPLE), "--fit", "dissemination.mu", "--ids", "1", "--interval",
                "none", "--no-figures", "--out", "f"],
        "prediction": ["predict", "f", "--id", "1", "--times", "0:30:10", "--n-samples", "3",
                       "--out", "p"],
        "claims": ["claims", "--only", "S1", "--quick", "--jobs", "1", "--out", "cl"],
    }
    for kind, argv in cmds.items():
        code, _, err = call(run_cli, capsys, argv)
        assert code in (0, 1) if kind == "claims" else code == 0, (kind, err)
        folder = sandbox / argv[argv.index("--out") + 1]
        prov = json.loads((folder / PROVENANCE).read_text())
        assert prov["kind"] == kind
        assert prov["command"][1:] == argv
        assert {"version", "created", "scenario_name"} <= set(prov)
        if kind in ("run", "cohort", "injection", "prediction", "fit"):
            assert prov["scenario_name"] and "seed" in prov
    pred = json.loads((sandbox / "p" / "prediction.json").read_text())
    assert pred["version"] and pred["scenario_name"] == "neuroblastoma"
    assert pred["scenario"]["name"] == "neuroblastoma"
    summary = json.loads((sandbox / "i" / "summary.json").read_text())
    assert summary["scenario"]["name"] == "breast" and summary["scenario_name"] == "breast"


def test_inject_default_scenario_is_breast(sandbox: Path, run_cli, capsys) -> None:
    for out, extra in (("a", []), ("b", ["--scenario", "breast"])):
        code, _, err = call(run_cli, capsys, ["cascade", "inject", "--cells", "500", "--days",
                                              "3", "--out", out, *extra])
        assert code == 0, err
    assert (sandbox / "a" / "fates.csv").read_bytes() == (sandbox / "b" / "fates.csv").read_bytes()


def test_report_out_replaces_only_its_own_file(sandbox: Path, run_cli, capsys) -> None:
    code, _, err = call(run_cli, capsys, ["run", "neuroblastoma", "-q", "--out", "r", *SHORT])
    assert code == 0, err
    for _ in range(2):
        code, _, err = call(run_cli, capsys, ["report", "r", "--out", "rep.html"])
        assert code == 0, err
    code, _, err = call(run_cli, capsys, ["report", "r", "--out", "thesis.tex", "--force"])
    assert code == 0 and "<!DOCTYPE html>" in (sandbox / "thesis.tex").read_text()


@pytest.mark.parametrize(("name", "resolved"),
                         [(n, []) for n in builtin_names()]
                         + [(n, ["--resolved"]) for n in ("breast", "neuroblastoma",
                                                          "prostate-bone")])
def test_scenarios_show_round_trips_through_run(sandbox: Path, run_cli, capsys, name: str,
                                                resolved: list[str]) -> None:
    code, text, err = call(run_cli, capsys, ["scenarios", "show", name, *resolved])
    assert code == 0, err
    import tomllib

    tomllib.loads(text)  # plain, valid TOML (rich used to wrap it at 80 columns)
    (sandbox / "copy.toml").write_text(text)
    short = ["--set", "simulation.duration_days=60"]
    for src, out in ((name, "a"), (str(sandbox / "copy.toml"), "b")):
        code, _, err = call(run_cli, capsys, ["run", src, "-q", "--out", out, *short])
        assert code == 0, err
    a, b = sandbox / "a", sandbox / "b"
    assert (a / "timeseries.csv").read_bytes() == (b / "timeseries.csv").read_bytes()
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    sa.pop("created"), sb.pop("created")
    assert sa == sb


def test_scenarios_show_is_not_wrapped(run_cli, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    code, text, _ = call(run_cli, capsys, ["scenarios", "show", "breast"])
    assert code == 0
    from metacascade.scenario import builtin_text

    assert text == builtin_text("breast") or text == builtin_text("breast") + "\n"
    assert sys.stdout is not None
