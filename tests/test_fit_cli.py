"""``metacascade fit`` / ``predict``: output contract, provenance, bad input, atomic output."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from metacascade._version import __version__
from metacascade.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
KEYS = "dissemination.mu,detection.visible_diameter_mm"
runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore::metacascade.inference.fit.IdentifiabilityWarning")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "out"
    r = runner.invoke(app, ["fit", str(EXAMPLE), "--scenario", "neuroblastoma", "--fit", KEYS,
                            "--ids", "1,2,8", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_fit_contract(fitted: Path) -> None:
    df = pd.read_csv(fitted / "estimates.csv", dtype={"id": str})
    expected = ["id"]
    for k in KEYS.split(","):
        expected += [k, f"{k}_lower", f"{k}_upper"]
    expected += ["loglik", "converged"]
    assert list(df.columns[: len(expected)]) == expected
    assert list(df["id"]) == ["1", "2", "8"]
    assert df["converged"].all()
    d = json.loads((fitted / "estimates.json").read_text())
    assert d["provenance"]["version"] == __version__
    assert d["provenance"]["seed"] == 0
    assert "[dissemination]" in d["provenance"]["scenario_toml"]
    assert d["settings"]["keys"] == KEYS.split(",")
    assert d["estimates"][1]["dissemination.mu"] == pytest.approx(df.loc[1, "dissemination.mu"])
    for name in ("fit_curves.png", "residuals.png", "profiles.png", "scenario.toml"):
        assert (fitted / name).stat().st_size > 0


def test_same_seed_same_result(fitted: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    r = runner.invoke(app, ["fit", str(EXAMPLE), "--fit", KEYS, "--ids", "1,2,8", "--out",
                            str(out), "--no-figures"])
    assert r.exit_code == 0
    a = pd.read_csv(fitted / "estimates.csv")
    b = pd.read_csv(out / "estimates.csv")
    pd.testing.assert_frame_equal(a, b)


def test_predict_command(fitted: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred"
    r = runner.invoke(app, ["predict", str(fitted), "--id", "2", "--times", "0:120:10",
                            "--set", "treatment.resection_day=100",
                            "--set", "treatment.resection_at_detection=false",
                            "--observable", "metastatic_burden_cells", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "prediction.csv")
    assert set(df["observable"]) == {"metastatic_burden_cells"}
    assert len(df) == 13
    assert (df["lower"] <= df["median"] + 1e-9).all() and (df["median"] <= df["upper"] + 1e-9).all()
    # the point estimate: M(t) = mu t e^(a t) while the primary emits (exponential, gamma = 1)
    est = json.loads((fitted / "estimates.json").read_text())["estimates"][1]
    mu, a = est["dissemination.mu"], np.log(2) / 2
    row = df[df["time_days"] == 60].iloc[0]
    assert row["estimate"] == pytest.approx(mu * 60 * np.exp(a * 60), rel=1e-6)
    # after resection at day 100: M(t) = mu 100 e^(a t)
    row = df[df["time_days"] == 120].iloc[0]
    assert row["estimate"] == pytest.approx(mu * 100 * np.exp(a * 120), rel=1e-6)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--fit", "dissemination.nope"], "not a scenario key"),
        (["--fit", KEYS, "--ids", "999"], "id '999' is not in the data"),
        (["--fit", KEYS, "--interval", "jackknife"], "allowed profile, bootstrap, none"),
        (["--fit", KEYS, "--bounds", "dissemination.mu=3"], "expected lower:upper"),
        (["--fit", KEYS, "--bounds", "dissemination.gamma=0.1:1"], "is not fitted"),
        (["--fit", KEYS, "--error", "siopen=proportional:0.1"], "unknown observable"),
        (["--fit", KEYS, "--default-error", "poisson"], "allowed proportional"),
        # an integer setting was handed to the optimiser, which proposed 126.9 and the schema
        # refused the proposal ("simulation.seed = 126.91...: must be an integer")
        (["--fit", "simulation.seed"], "'simulation.seed' = 0 is an integer setting, not a "
                                       "continuous parameter that can be fitted"),
        (["--fit", "dissemination.mu,dissemination.cluster_size"],
         "'dissemination.cluster_size' = 1 is an integer setting"),
        # refused before the individual fits (the fuzz suite: warnings of a fit, then the error)
        (["--fit", KEYS, "--ids", "1", "--population"], "--population needs at least 3 ids "
                                                         "(got 1)"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], fragment: str,
                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                            ) -> None:
    out = tmp_path / "o"
    code, err = run_main(["fit", str(EXAMPLE), "--out", str(out), *args], monkeypatch, capsys)
    assert code == 2, err
    assert fragment in " ".join(err.split())
    said = [line for line in err.splitlines() if line.strip() and not line.startswith("hint:")]
    assert "Traceback" not in err and len(said) == 1, err  # the error alone: no fit ran first
    assert not out.exists()


def run_main(argv: list[str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from metacascade.cli import main

    monkeypatch.setattr(sys, "argv", ["metacascade", *argv])
    with pytest.raises(SystemExit) as ex:
        main()
    return int(ex.value.code or 0), capsys.readouterr().err


def test_bad_data_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,time,observable,value\n1,0,n_visible,3\n1,-1,n_visible,4\n")
    out = tmp_path / "o"
    code, err = run_main(["fit", str(bad), "--fit", "dissemination.mu", "--out", str(out)],
                         monkeypatch, capsys)
    assert code == 2
    assert "row 3: column 'time' = '-1'" in " ".join(err.split())
    assert not out.exists()


def test_load_fit_roundtrip(fitted: Path) -> None:
    from metacascade.inference.result import load_fit

    res = load_fit(fitted)
    df = pd.read_csv(fitted / "estimates.csv", dtype={"id": str})
    again = res.estimates()
    for c in df.columns:
        if c in ("warnings",):
            continue
        a, b = df[c].to_numpy(), again[c].to_numpy()
        if c == "id":
            assert list(a) == list(b)
        else:
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-12)
    # strict JSON (no NaN tokens): open interval ends are null
    text = (fitted / "estimates.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text)


def run_cli(argv: list[str], monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``metacascade ARGV`` through the real entry point: (exit code, stdout, stderr)."""
    from metacascade.cli import main

    monkeypatch.setattr(sys, "argv", ["metacascade", *argv])
    try:
        main()
        code = 0
    except SystemExit as ex:
        code = int(ex.code or 0)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture(scope="module")
def with_unconverged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A fit of ids 2 and 12 (id 12 has SIOPEN = 0: no maximum, converged = False), with the
    terminal output of ``metacascade fit``."""
    out = tmp_path_factory.mktemp("fit12") / "out"
    mp = pytest.MonkeyPatch()  # module scope: capsys and monkeypatch are per test
    mp.setattr(sys, "argv", ["metacascade", "fit", str(EXAMPLE), "--fit", KEYS, "--ids", "2,12",
                             "--interval", "none", "--no-figures", "--out", str(out)])
    so, se = io.StringIO(), io.StringIO()
    from metacascade.cli import main

    try:
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            main()
    finally:
        mp.undo()
    return out, so.getvalue(), se.getvalue()


def test_fit_prints_warnings_as_clean_lines(with_unconverged: tuple[Path, str, str]) -> None:
    """They were Python's warnings: "/.../api.py:215: IdentifiabilityWarning: id 12: ..." and the
    source line "fits = fit_individuals(...)", which looks like a traceback."""
    _, out, err = with_unconverged
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "id 12 warns"
    assert all(ln.startswith("warning: id ") for ln in lines), err
    assert any(ln.startswith("warning: id 12: observation(s) equal to 0") for ln in lines)
    for fragment in ("api.py", "IdentifiabilityWarning", "fit_individuals", "Traceback"):
        assert fragment not in err


def test_fit_table_marks_fits_that_did_not_converge(with_unconverged: tuple[Path, str, str],
                                                   ) -> None:
    """Id 12 (log-likelihood +43, zero-width intervals) looked like a real estimate."""
    _, out, _ = with_unconverged
    assert "converged" in out
    row12 = next(ln for ln in out.splitlines() if ln.startswith("│ 12 "))
    row2 = next(ln for ln in out.splitlines() if ln.startswith("│ 2 "))
    assert row12.rstrip(" │").endswith("no") and row2.rstrip(" │").endswith("yes")
    assert "not converged (no maximum; the values are not estimates): ids 12" in " ".join(
        out.split())


def test_fit_table_says_how_many_ids_it_shows(fitted: Path) -> None:
    """The table titled "(45 ids)" showed 20 rows and did not say so."""
    from dataclasses import replace

    from rich.console import Console

    from metacascade.cli.fit import estimates_table
    from metacascade.inference.result import load_fit

    res = load_fit(fitted)
    res.fits = [replace(res.fits[j % 3], id=str(j)) for j in range(25)]
    con = Console(width=200, record=True)
    con.print(estimates_table(res, 0.95))
    text = con.export_text()
    assert "(25 ids)" in text
    assert "20 of 25 ids shown; every id is in estimates.csv" in text
    assert "│ 19 " in text and "│ 20 " not in text
    con = Console(width=200, record=True)
    con.print(estimates_table(load_fit(fitted), 0.95))
    assert "ids shown" not in con.export_text()  # all 3 rows shown: no note


def test_prediction_json_records_the_ids_own_scenario(fitted: Path, tmp_path: Path) -> None:
    """prediction.json held the fit's starting scenario (patient 1's mu, diameter and primary
    size) whatever --id was: the values simulated for that id were only in the attrs."""
    out = tmp_path / "pred"
    r = runner.invoke(app, ["predict", str(fitted), "--id", "8", "--times", "0:60:10",
                            "--set", "treatment.resection_day=40", "--n-samples", "3",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "prediction.json").read_text())
    est = json.loads((fitted / "estimates.json").read_text())["estimates"][2]
    assert est["id"] == "8"
    sc = doc["scenario"]
    assert sc["dissemination"]["mu"] == est["dissemination.mu"]
    assert sc["detection"]["visible_diameter_mm"] == est["detection.visible_diameter_mm"]
    assert sc["detection"]["primary_cells"] == est["scenario_overrides"][
        "detection.primary_cells"]
    assert sc["treatment"]["resection_day"] == 40.0
    assert doc["attrs"]["estimate_values"] == [est["dissemination.mu"],
                                               est["detection.visible_diameter_mm"]]
    # the provenance records the same scenario
    from metacascade.result.loading import load

    again = load(out)
    assert again.scenario.dissemination.mu == est["dissemination.mu"]


def test_predict_refuses_a_fit_without_maximum(with_unconverged: tuple[Path, str, str],
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Id 12 (converged = False: "not estimates") got a +-20 % band and no caveat."""
    fit_dir = with_unconverged[0]
    out = tmp_path / "p12"
    code, _, err = run_cli(["predict", str(fit_dir), "--id", "12", "--times", "0:20:10",
                            "--n-samples", "3", "--out", str(out)], monkeypatch, capsys)
    assert code == 2
    flat = " ".join(err.split())
    assert "error: id 12: its fit did not converge" in flat
    assert "--allow-unconverged" in flat and "Traceback" not in err
    assert not out.exists()
    code, _, err = run_cli(["predict", str(fit_dir), "--id", "12", "--times", "0:20:10",
                            "--n-samples", "3", "--allow-unconverged", "--out", str(out)],
                           monkeypatch, capsys)
    assert code == 0, err
    assert err.startswith("warning: id 12: its fit did not converge"), err
    attrs = json.loads((out / "prediction.json").read_text())["attrs"]
    assert attrs["fit_converged"] is False
    assert "not estimates" in attrs["warning"]
    # a converged id of the same fit: no refusal, no warning
    code, _, err = run_cli(["predict", str(fit_dir), "--id", "2", "--times", "0:20:10",
                            "--n-samples", "3", "--out", str(tmp_path / "p2")],
                           monkeypatch, capsys)
    assert code == 0 and err == ""
    assert json.loads((tmp_path / "p2" / "prediction.json").read_text())["attrs"][
        "fit_converged"] is True


def test_predict_api_refuses_or_warns_for_a_fit_without_maximum(
        with_unconverged: tuple[Path, str, str]) -> None:
    import warnings

    import metacascade as mc
    from metacascade.errors import DataError

    res = mc.load_fit(with_unconverged[0])
    with pytest.raises(DataError, match="id 12: its fit did not converge"):
        mc.predict(res, "12", [0.0, 10.0], n_samples=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = mc.predict(res, "12", [0.0, 10.0], n_samples=2, allow_unconverged=True)
    assert [w.category for w in caught] == [mc.IdentifiabilityWarning]
    assert ds.attrs["fit_converged"] is False


def test_predict_cli_and_api_predict_the_same_observables(fitted: Path, tmp_path: Path) -> None:
    """mc.predict defaulted to three observables, metacascade predict to two."""
    import inspect

    import metacascade as mc

    out = tmp_path / "pred"
    r = runner.invoke(app, ["predict", str(fitted), "--id", "2", "--times", "0:20:10",
                            "--n-samples", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "prediction.csv")
    default = inspect.signature(mc.predict).parameters["observables"].default
    assert list(dict.fromkeys(df["observable"])) == list(default)
    assert "primary_cells" in default


def test_unknown_ids_are_listed_the_same_way_with_an_ellipsis(fitted: Path) -> None:
    """predict --id 999 listed 10 of 45 ids without "..."; fit --ids 999 added it."""
    from dataclasses import replace

    from metacascade.errors import DataError
    from metacascade.inference.data import load_observations, some_ids
    from metacascade.inference.result import load_fit

    assert some_ids(["1", "2"]) == "ids: 1, 2"
    assert some_ids([str(j) for j in range(12)]) == "12 ids: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ..."
    data = load_observations(EXAMPLE)
    with pytest.raises(DataError) as in_data:
        data["999"]  # noqa: B018
    assert str(in_data.value) == f"id '999' is not in the data ({some_ids(data.ids)})"
    res = load_fit(fitted)
    res.fits = [replace(res.fits[0], id=str(j)) for j in range(45)]
    with pytest.raises(DataError) as in_fit:
        res.subject_fit("999")
    assert str(in_fit.value) == ("id '999' is not in this fit (45 ids: 0, 1, 2, 3, 4, 5, 6, 7, "
                                 "8, 9, ...)")
