"""The claims registry, runner, ``claims.json`` contract, CLI and the S13/S15 experiment."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from metacascade.claims.base import REGISTRY, STATUSES, Context, Experiment, Verdict
from metacascade.claims.runner import (
    all_reproduced,
    claims_document,
    parse_only,
    run_claims,
    statement_ids,
)
from metacascade.claims.statements import STATEMENTS
from metacascade.errors import MetacascadeError

ALL_IDS = [f"S{i}" for i in range(1, 19)]


# ---- fake experiments for the registry tests -------------------------------------------------

def _raises(ctx: Context) -> list[Verdict]:
    raise RuntimeError("boom: the model diverged")


def _half(ctx: Context) -> list[Verdict]:
    return [Verdict.compare("S1", passed=True, measured={"x": 1.0}, targets={"x": 1.0},
                            tolerances={"x": "exact"})]


def _no_target(ctx: Context) -> list[Verdict]:
    return [Verdict.compare("S6", passed=True, measured={"x": 1.0})]


def _text_number(ctx: Context) -> list[Verdict]:
    return [Verdict.compare("S8", passed=True, measured={"x": "1.0"}, targets={"x": 1.0},
                            tolerances={"x": "exact"})]


def _wrong_type(ctx: Context) -> list[Verdict]:
    return ["not a verdict"]  # type: ignore[list-item]


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """S1 raises, S2/S3 share an experiment that forgets S3, S4 returns garbage."""
    monkeypatch.setitem(REGISTRY, "S1", Experiment(("S1",), "raises", _raises))
    half = Experiment(("S1", "S3"), "half", _half)
    monkeypatch.setitem(REGISTRY, "S2", Experiment(("S2",), "half-wrong-id", _half))
    monkeypatch.setitem(REGISTRY, "S3", half)
    monkeypatch.setitem(REGISTRY, "S4", Experiment(("S4",), "garbage", _wrong_type))
    monkeypatch.setitem(REGISTRY, "S6", Experiment(("S6",), "no target", _no_target))
    monkeypatch.setitem(REGISTRY, "S8", Experiment(("S8",), "text", _text_number))


@pytest.mark.parametrize("executor", [None, "threads"])
def test_experiment_errors_are_reported_never_dropped(fake_registry: None, tmp_path: Path,
                                                      executor: str | None) -> None:
    pool = ThreadPoolExecutor(2) if executor else None
    try:
        vs = run_claims(["S1", "S2", "S3", "S4", "S5", "S6", "S8"], out_dir=tmp_path, quick=True,
                        parallel=1, executor=pool, html=False)
    finally:
        if pool:
            pool.shutdown()
    by = {v.id: v for v in vs}
    assert [v.id for v in vs] == ["S1", "S2", "S3", "S4", "S5", "S6", "S8"]
    assert by["S1"].status == "error" and "RuntimeError: boom: the model diverged" in by["S1"].summary
    # an experiment that answers for a statement it was not registered for
    assert by["S2"].status == "error" and "invalid verdict" in by["S2"].summary
    # an experiment registered for S1 and S3 that returns no verdict for S3
    assert by["S3"].status == "error" and "no verdict for S3" in by["S3"].summary
    assert by["S4"].status == "error" and "invalid verdict" in by["S4"].summary
    assert by["S5"].status in STATUSES
    # a "reproduced" without any target could not fail: it is not accepted
    assert by["S6"].status == "error" and "no targets" in by["S6"].summary
    assert by["S8"].status == "error" and "not numbers: x" in by["S8"].summary
    doc = json.loads((tmp_path / "claims.json").read_text())
    assert [c["status"] for c in doc["claims"][:4]] == ["error"] * 4
    assert not all_reproduced(vs)


def test_unregistered_statements_are_not_yet_modelled(monkeypatch: pytest.MonkeyPatch) -> None:
    for i in ALL_IDS:
        monkeypatch.delitem(REGISTRY, i, raising=False)
    monkeypatch.setattr("metacascade.claims.runner.discover_tolerant", lambda: {})
    vs = run_claims(parallel=1)
    assert [v.id for v in vs] == ALL_IDS
    assert all(v.status == "not yet modelled" and v.summary for v in vs)
    assert all_reproduced(vs)  # nothing modelled, nothing failed


def test_import_error_of_an_experiment_module_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(REGISTRY, "S7", raising=False)
    monkeypatch.setattr("metacascade.claims.runner.discover_tolerant",
                        lambda: {"s07_resection": "ImportError: no module named foo"})
    (v,) = run_claims(["S7"], parallel=1)
    assert v.status == "error" and "s07_resection" in v.summary and "ImportError" in v.summary


def test_parse_only() -> None:
    assert parse_only("s13, S15") == ["S13", "S15"]
    assert parse_only(None) == statement_ids() == ALL_IDS
    with pytest.raises(MetacascadeError, match="S99.*allowed: S1..S18"):
        parse_only("S13,S99")


def test_claims_document_is_strict_json() -> None:
    v = Verdict.compare("S13", passed=False, measured={"a": float("nan"), "b": 2},
                        targets={"a": 1.0})
    doc = claims_document([v], seed=3, quick=True)
    text = json.dumps(doc, allow_nan=False)
    back = json.loads(text)
    assert back["claims"][0]["measured"] == {"a": None, "b": 2.0}
    assert back["seed"] == 3 and back["quick"] is True


# ---- the real quick run through the CLI ---------------------------------------------------------

@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    from metacascade.cli import app

    out = tmp_path_factory.mktemp("claims") / "out"
    res = CliRunner().invoke(app, ["claims", "--quick", "--out", str(out), "--seed", "0"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, res.output, out


def test_claims_json_contract(quick_run: tuple[int, str, Path]) -> None:
    code, output, out = quick_run
    doc = json.loads((out / "claims.json").read_text())
    assert {"version", "seed", "quick", "claims"} <= set(doc)
    assert doc["seed"] == 0 and doc["quick"] is True
    import metacascade

    assert doc["version"] == metacascade.__version__
    assert [c["id"] for c in doc["claims"]] == ALL_IDS
    for c in doc["claims"]:
        assert {"id", "statement", "status", "measured", "targets", "tolerances", "sources",
                "figures"} <= set(c)
        assert c["statement"] == STATEMENTS[c["id"]]
        assert c["status"] in STATUSES
        for key in ("measured", "targets"):
            assert isinstance(c[key], dict)
            assert all(isinstance(k, str) and (x is None or isinstance(x, float))
                       for k, x in c[key].items())
        assert isinstance(c["tolerances"], dict)
        assert all(isinstance(s, str) for s in c["sources"])
        for f in c["figures"]:
            assert "/" not in f and (out / f).is_file()
        if c["status"] in ("reproduced", "not reproduced"):
            assert c["targets"] and c["sources"], c["id"]  # a modelled claim cites its targets
            assert set(c["targets"]) <= set(c["measured"])
            assert all(c["tolerances"].get(k) for k in c["targets"])
    assert (out / "claims.html").is_file()
    # every registered experiment honours the verdict contract (an integration check)
    errors = {c["id"]: c["summary"] for c in doc["claims"] if c["status"] == "error"}
    assert not errors, errors
    # exit code 0 exactly when every modelled claim is reproduced
    reproduced = all(c["status"] in ("reproduced", "not yet modelled") for c in doc["claims"])
    assert code == (0 if reproduced else 1)
    assert "S13" in output and "S18" in output


def test_statements_without_mechanism_are_not_yet_modelled(quick_run: tuple[int, str, Path]
                                                           ) -> None:
    _, _, out = quick_run
    doc = json.loads((out / "claims.json").read_text())
    by = {c["id"]: c for c in doc["claims"]}
    from metacascade.claims.base import discover

    registered = set(discover())
    for i in ALL_IDS:
        if i not in registered:
            assert by[i]["status"] == "not yet modelled", i
            assert by[i]["measured"] == {} and by[i]["figures"] == []


def test_s13_s15_verdicts_follow_their_numbers(quick_run: tuple[int, str, Path]) -> None:
    """The status is the stated comparison of the measured numbers with the literature targets
    (Hu et al. 2020: 2-4 years; Hu et al. 2019: < 0.01 cm^3 = at most 1e7 cells)."""
    _, _, out = quick_run
    doc = json.loads((out / "claims.json").read_text())
    by = {c["id"]: c for c in doc["claims"]}
    s13, s15 = by["S13"], by["S15"]
    leads = {t: s13["measured"][f"{t}_median_lead_years"] for t in ("breast", "colorectal")}
    for t, lead in leads.items():
        # a lead time is positive and shorter than the time from the first cell to detection
        assert 0 < lead < s13["measured"][f"{t}_median_detection_age_years"]
        assert s13["measured"][f"{t}_lead_q25_years"] <= lead <= s13["measured"][
            f"{t}_lead_q75_years"]
    lead_ok = all(2.0 <= x <= 4.0 for x in leads.values())
    assert s13["status"] == ("reproduced" if lead_ok else "not reproduced")
    cells = s15["measured"]["colorectal_median_cells_at_first_seeding"]
    assert 1.0 <= cells <= 1e9  # between one cell and detection size
    assert s15["status"] == ("reproduced" if lead_ok and cells <= 1e7 else "not reproduced")
    assert s15["targets"]["colorectal_median_cells_at_first_seeding"] == 1e7
    assert {"s13_lead_time.png", "s15_seeding_size.png"} <= set(s15["figures"])


def test_same_seed_same_numbers_in_process_and_in_a_pool(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    a = run_claims(["S13"], quick=True, seed=5, parallel=1)
    with ProcessPoolExecutor(1) as pool:
        b = run_claims(["S13"], out_dir=tmp_path, quick=True, seed=5, executor=pool)
    assert a[0].status == b[0].status and a[0].measured == b[0].measured
    assert (tmp_path / "s13_lead_time.png").is_file()


def test_cli_bad_only_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            run_cli) -> None:
    out = tmp_path / "out"
    assert run_cli(["claims", "--only", "S13,S42,foo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "S42" in err and "FOO" in err and "S1..S18" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_exit_code_1_when_not_reproduced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             run_cli) -> None:
    def failing(ctx: Context) -> list[Verdict]:
        return [Verdict.compare("S2", passed=False, measured={"x": 2.0}, targets={"x": 1.0},
                                tolerances={"x": "exact"}, sources=["test"])]

    monkeypatch.setitem(REGISTRY, "S2", Experiment(("S2",), "failing", failing))
    for passed, code in ((False, 1), (True, 0)):
        if passed:
            monkeypatch.setitem(REGISTRY, "S2", Experiment(("S1", "S2"), "ok", _ok_s2))
        assert run_cli(["claims", "--only", "S2", "--out", str(tmp_path), "-j", "1"]) == code


def _ok_s2(ctx: Context) -> list[Verdict]:
    return [Verdict.compare("S2", passed=True, measured={"x": 1.0}, targets={"x": 1.0},
                            tolerances={"x": "exact"}, sources=["test"])]


# ---- S13/S15 numerics against independent references ------------------------------------------

def test_weighted_quantile_matches_numpy() -> None:
    from metacascade.claims.s13_early_seeding import weighted_quantile

    x = np.random.default_rng(1).normal(size=1001)
    q = [0.1, 0.5, 0.9]
    assert np.allclose(weighted_quantile(x, np.ones_like(x), q),
                       np.quantile(x, q, method="inverted_cdf"))
    # integer weights = repeated samples
    w = np.random.default_rng(2).integers(1, 4, size=x.size).astype(float)
    assert np.allclose(weighted_quantile(x, w, q),
                       np.quantile(np.repeat(x, w.astype(int)), q, method="inverted_cdf"))


def test_first_seeding_time_matches_exponential_closed_form() -> None:
    """Engine + inverse transform vs the closed form for exponential growth, gamma = 1:
    N(t) = mu (e^{r t} - 1) / r (science.md §1.2), so the first seeding time given at least one
    before t_det is t = ln(1 + r L / mu) / r with L = -ln(1 - u (1 - e^{-N(t_det)}))."""
    import metacascade as mc
    from metacascade.claims.s13_early_seeding import first_seeding_times

    r, mu = 0.01, 1e-6
    sc = mc.load_scenario("breast", {
        "primary.growth": "exponential", "primary.rate_per_day": r,
        "primary.carrying_capacity_cells": None, "metastasis.growth": "exponential",
        "metastasis.rate_per_day": r, "dissemination.mu": mu, "dissemination.gamma": 1.0,
        "simulation.duration_days": 2200.0, "simulation.output_step_days": 1.0})
    ds, ev = mc.simulate_batch([sc])
    det = ev["detection_day"].to_numpy(dtype=float)
    assert det[0] == pytest.approx(np.log(1e9) / r, rel=1e-9)
    u = np.linspace(0.01, 0.99, 25)[None, :]
    t1, w = first_seeding_times(ds["time_days"].to_numpy(), ds["n_metastases"].to_numpy(), det, u)
    n_det = mu * np.expm1(r * det[0]) / r
    assert w[0] == pytest.approx(-np.expm1(-n_det), rel=1e-6)
    level = -np.log1p(-u[0] * w[0])
    exact = np.log1p(r * level / mu) / r
    assert np.allclose(t1[0], exact, atol=0.5)  # half a day on a 1-day output grid
