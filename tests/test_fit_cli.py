"""``metacascade fit`` / ``predict``: output contract, provenance, bad input, atomic output."""

from __future__ import annotations

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
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], fragment: str,
                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                            ) -> None:
    out = tmp_path / "o"
    code, err = run_main(["fit", str(EXAMPLE), "--out", str(out), *args], monkeypatch, capsys)
    assert code == 2, err
    assert fragment in " ".join(err.split())
    assert "Traceback" not in err
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
