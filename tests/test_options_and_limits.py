"""Option values validated where the API parses them, memory limits checked before any work, and
fits that never claim convergence at the likelihood floor (issue 13)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import metacascade as mc
from metacascade.errors import DataError, MemoryLimitError, OptionError, ScenarioError
from metacascade.inference.data import from_frame
from metacascade.inference.likelihood import ErrorModel
from metacascade.limits import ENV_VAR, check_memory, memory_limit_bytes

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
KEYS = "dissemination.mu,detection.visible_diameter_mm"
pytestmark = pytest.mark.filterwarnings("ignore::metacascade.inference.fit.IdentifiabilityWarning")


# ---- memory limits ---------------------------------------------------------------------------


def test_check_memory_names_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "2")
    assert memory_limit_bytes() == 2e9
    check_memory(1.9e9, "a small thing")
    with pytest.raises(MemoryLimitError, match=r"a big thing needs about 3 GB of memory, over the "
                                               r"limit of 2 GB \(set METACASCADE_MEMORY_LIMIT_GB"):
        check_memory(3e9, "a big thing")
    monkeypatch.setenv(ENV_VAR, "lots")
    with pytest.raises(mc.MetacascadeError, match=ENV_VAR):
        memory_limit_bytes()
    monkeypatch.delenv(ENV_VAR)
    assert memory_limit_bytes() > 0  # half the machine's memory


def test_huge_cohort_is_refused_at_once() -> None:
    """simulate_cohort(n=2**70) reached 15 GB before failing."""
    t0 = time.perf_counter()
    with pytest.raises(MemoryLimitError, match="a cohort of 1,180,591,620,717,411,303,424 "
                                               "patients needs about"):
        mc.simulate_cohort(mc.load_scenario("breast"), 2**70)
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(OptionError, match="--patients = 0: must be at least 1"):
        mc.simulate_cohort(mc.load_scenario("breast"), 0)
    with pytest.raises(OptionError, match="must be an integer"):
        mc.simulate_cohort(mc.load_scenario("breast"), 10.0)  # type: ignore[arg-type]


def test_tiny_internal_step_is_refused_before_allocating() -> None:
    """simulation.max_internal_step_days = 1e-6 asked for 3 GiB."""
    sc = mc.load_scenario("breast", ["simulation.max_internal_step_days=1e-6"])
    with pytest.raises(MemoryLimitError, match=r"birth cohorts of 1e-06 days .* "
                                               "simulation.max_internal_step_days"):
        mc.simulate(sc)


def test_memory_estimate_of_the_engine_is_an_upper_bound() -> None:
    """The estimate behind the refusal, against tracemalloc's peak of a real run (breast, 10
    years daily, 8 patients, with and without secondary seeding)."""
    import tracemalloc

    from metacascade.engines.organism import patients_from_scenarios, solve, solve_bytes

    for secondary in (False, True):
        sc = mc.load_scenario("breast", ["simulation.duration_days=3650",
                                         f"dissemination.secondary={str(secondary).lower()}"])
        pat = patients_from_scenarios([sc] * 8)
        solve(pat, 3650.0, 1.0, secondary)  # compile first
        tracemalloc.start()
        sol = solve(pat, 3650.0, 1.0, secondary)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        est = solve_bytes(8, sol.n_cells, sol.times.size, secondary)
        assert peak <= est <= 3 * peak


# ---- option values in the API ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted() -> mc.FitResult:
    return mc.fit(EXAMPLE, "neuroblastoma", KEYS, ids=["1"])


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"phi": float("nan")}, OptionError, "--phi = nan: must be a finite number > 0"),
        ({"phi": 0.0}, OptionError, "--phi = 0.0"),
        ({"phi": float("inf")}, OptionError, "--phi = inf"),
        ({"phi": -1.0}, OptionError, "--phi = -1.0"),
        ({"default_error": "proportional:abc"}, ScenarioError, "must be numbers"),
        ({"default_error": "proportional:inf"}, ScenarioError, "b = inf must be a finite"),
        ({"error": {"n_visible": "combined:1"}}, ScenarioError, "combined takes 2"),
        ({"level": 1.5}, OptionError, "--level = 1.5"),
        ({"level": 0.0}, OptionError, "--level = 0.0"),
        ({"n_bootstrap": 0}, OptionError, "--n-bootstrap = 0"),
        ({"n_bootstrap": -1}, OptionError, "--n-bootstrap = -1"),
        ({"n_bootstrap": 10**9}, OptionError, "--n-bootstrap = 1000000000"),
        ({"n_bootstrap": True}, OptionError, "must be an integer"),
        ({"seed": -1}, OptionError, "--seed = -1: must be an integer from 0 to 2^63 - 1"),
        ({"workers": 0}, OptionError, "--workers = 0"),
        ({"bounds": {"dissemination.mu": (1e-12, float("inf"))}}, OptionError, "upper"),
    ],
)
def test_fit_options_are_validated(kwargs: dict, error: type, fragment: str) -> None:  # type: ignore[type-arg]
    t0 = time.perf_counter()
    with pytest.raises(error) as err:
        mc.fit(EXAMPLE, "neuroblastoma", KEYS, ids=["1"], **kwargs)
    assert fragment in str(err.value)
    assert time.perf_counter() - t0 < 5.0  # refused before fitting


def test_error_models_parse_strictly() -> None:
    assert ErrorModel.parse("combined:2,0.1") == ErrorModel("combined", 2.0, 0.1)
    for text in ("proportional:abc", "proportional:inf", "proportional:nan", "additive:-1",
                 "proportional:1,2", "nonsense:1", "additive:1e400"):
        with pytest.raises(ScenarioError):
            ErrorModel.parse(text)


def _one_row(tmp_path: Path, row: str) -> Path:
    p = tmp_path / "one.csv"
    p.write_text(f"id,time,observable,value\n{row}\n")
    return p


def test_fit_at_the_likelihood_floor_is_not_converged(tmp_path: Path) -> None:
    """A one-row CSV whose value no parameter can approach reported converged=True at -1e12."""
    res = mc.fit(_one_row(tmp_path, "1,10,primary_cells,1e9"), "neuroblastoma",
                 "dissemination.mu")
    f = res.fits[0]
    assert f.loglik <= -1e12 and not f.converged
    assert any("floor" in w and "rows 2" in w for w in f.warnings)


def test_fewer_observations_than_parameters_is_not_converged(tmp_path: Path) -> None:
    res = mc.fit(_one_row(tmp_path, "1,diagnosis,n_visible,51"), "neuroblastoma", KEYS)
    f = res.fits[0]
    assert not f.converged
    assert any("only 1 observation(s) for 2 fitted parameters" in w for w in f.warnings)


def test_good_fit_still_converges(fitted: mc.FitResult) -> None:
    assert fitted.fits[0].converged and fitted.fits[0].loglik > -100


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"level": -0.5}, OptionError, "--level = -0.5"),
        ({"level": 1.0}, OptionError, "--level = 1.0"),
        ({"n_samples": -1}, OptionError, "--n-samples = -1"),
        ({"seed": -3}, OptionError, "--seed = -3"),
        ({"observables": ["n_visible", "n_visible"]}, DataError, "n_visible given more than once"),
        ({"observables": ["siopen"]}, DataError, "observable 'siopen'"),
        ({"n_samples": 100_000, "times": np.arange(1e5)}, MemoryLimitError, "trajectories"),
    ],
)
def test_predict_options_are_validated(fitted: mc.FitResult, kwargs: dict, error: type,  # type: ignore[type-arg]
                                       fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        mc.predict(fitted, "1", **kwargs)


def test_predict_starts_at_the_last_observation_and_flags_the_lethal_burden(
        fitted: mc.FitResult) -> None:
    """Defaults started at day 0 and reached a metastatic burden of 1e57 cells unflagged."""
    ds = mc.predict(fitted, "1", n_samples=20)
    last = fitted.fits[0].last_observation_day
    # id 1 is observed at diagnosis only: the day its fitted primary reaches 1142.86 cm^3
    assert last == pytest.approx(np.log(1142.8590474984067e9) / 0.34657359027997264, rel=1e-9)
    assert float(ds["time_days"][0]) == pytest.approx(last)
    assert ds.attrs["times_from"] == "last observation"
    past = ds["past_lethal_burden"].values
    est = ds["estimate"].sel(observable="metastatic_burden_cells").values
    prim = ds["estimate"].sel(observable="primary_cells").values
    np.testing.assert_array_equal(past, est + prim >= 5e12)
    assert past.any() and not past[0]
    assert ds.attrs["first_day_past_lethal_burden"] == float(ds["time_days"][past][0])
    assert "not physical" in ds.attrs["note"]
    assert np.all(ds["lower"].values <= ds["upper"].values)


def test_saved_fit_keeps_the_last_observation(fitted: mc.FitResult, tmp_path: Path) -> None:
    fitted.save(tmp_path / "fit")
    again = mc.load_fit(tmp_path / "fit")
    assert again.fits[0].last_observation_day == fitted.fits[0].last_observation_day


def test_cli_predict_defaults_to_the_last_observation(fitted: mc.FitResult,
                                                       tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    fitted.save(tmp_path / "fit")
    out = tmp_path / "pred"
    assert run_cli(["predict", str(tmp_path / "fit"), "--id", "1", "--n-samples", "10",
                    "--out", str(out)]) == 0
    df = pd.read_csv(out / "prediction.csv")
    assert df["time_days"].min() == pytest.approx(fitted.fits[0].last_observation_day)
    assert "past_lethal_burden" in df.columns


# ---- observation data: vectorised parsing keeps row-numbered errors ----------------------------


def _big(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": np.repeat(np.arange(n // 4), 4).astype(str),
                         "time": np.tile(["0", "1", "2", "3"], n // 4),
                         "observable": "n_visible", "value": 1.0})


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("value", "many", "column 'value' = 'many': not a number"),
        ("value", "inf", "column 'value' = 'inf': must be a finite number"),
        ("value", -2.0, "column 'value' = -2.0: must be >= 0"),
        ("time", "nan", "column 'time' = 'nan': must be a finite day >= 0"),
        ("time", "", "column 'time' = '': empty"),
        ("observable", "siopen", "column 'observable' = 'siopen'"),
        ("id", " ", "column 'id' = ' ': an id is required"),
    ],
)
def test_the_first_bad_row_of_a_large_table_is_named(column: str, value: object,
                                                     fragment: str) -> None:
    df = _big(40_000).astype({"value": object})
    df.loc[30_001, column] = value
    df.loc[35_000, "value"] = "late"  # a later problem is not the one reported
    with pytest.raises(DataError) as err:
        from_frame(df)
    assert str(err.value).startswith(f"row 30003: {fragment}")


def test_vectorised_parsing_splits_ids_in_file_order() -> None:
    df = _big(400)
    df.loc[5, "time"] = "diagnosis"
    df.loc[6, "observable"] = "resection"
    df.loc[7, "censored"] = 1
    d = from_frame(df)
    assert d.ids[:3] == ["0", "1", "2"] and len(d.ids) == 100
    one = d["1"]
    assert list(one.row) == [6, 7, 9]  # CSV line 8 is the resection event
    assert one.resection_day == 2.0 and one.censored.tolist() == [False, False, True]
    assert one.at_diagnosis.tolist() == [False, True, False] and np.isnan(one.time[1])


@pytest.mark.parametrize("text", ["{not json", "[]", '{"settings": {}}', "{}", '"x"'])
def test_corrupt_fit_folders_are_data_errors(tmp_path: Path, text: str) -> None:
    (tmp_path / "estimates.json").write_text(text)
    with pytest.raises(DataError, match="is not a valid fit file"):
        mc.load_fit(tmp_path)
    with pytest.raises(DataError, match="not found"):
        mc.load_fit(tmp_path / "nowhere")


def test_engine_fit_survives_runaway_corners_of_its_search_box() -> None:
    """With secondary seeding, mu near the top of the default box (1e2) would overflow: such
    parameter sets are impossible predictions (likelihood floor), not an aborted fit. The fit
    agrees with the one without secondary seeding, whose effect is negligible at mu ~ 3e-4 over
    the ~80 days before diagnosis (tolerance 2 %)."""
    kw = {"ids": ["1"], "engine": "organism", "interval": "none"}
    with_sec = mc.fit(EXAMPLE, "neuroblastoma", "dissemination.mu",
                      overrides=["dissemination.secondary=true"], **kw).fits[0]
    without = mc.fit(EXAMPLE, "neuroblastoma", "dissemination.mu", **kw).fits[0]
    assert with_sec.converged
    assert with_sec.estimate[0] == pytest.approx(without.estimate[0], rel=0.02)
