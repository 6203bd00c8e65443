"""The claims registry, runner, ``claims.json`` contract, CLI and the S13/S15/S16 experiment."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from metacascade.claims.base import (
    REGISTRY,
    STATUSES,
    Check,
    Context,
    Experiment,
    Target,
    Verdict,
    exactly,
)
from metacascade.claims.runner import (
    all_reproduced,
    claims_document,
    parse_only,
    run_claims,
    statement_ids,
)
from metacascade.claims.statements import STATEMENTS
from metacascade.errors import MetacascadeError
from metacascade.parallel import ProcessExecutor, make_executor

ALL_IDS = [f"S{i}" for i in range(1, 19)]


# ---- fake experiments for the registry tests -------------------------------------------------

def _raises(ctx: Context) -> list[Verdict]:
    raise RuntimeError("boom: the model diverged")


def _target(measured: float, target: float = 1.0) -> Target:
    return Target(measured, target, exactly(), source="Test T. J Test 2000;1:1")


def _half(ctx: Context) -> list[Verdict]:
    return [Verdict.assess("S1", validation={"x": _target(1.0)})]


def _hand_status(ctx: Context) -> list[Verdict]:
    """A verdict whose status is asserted by hand: it says reproduced without any target."""
    return [Verdict("S6", status="reproduced", measured={"x": 1.0})]


def _text_number(ctx: Context) -> list[Verdict]:
    v = Verdict.assess("S8", validation={"x": _target(1.0)})
    v.measured["y"] = "1.0"  # type: ignore[assignment]
    return [v]


def _hand_pass(ctx: Context) -> list[Verdict]:
    """A failed validation target relabelled as reproduced."""
    v = Verdict.assess("S9", validation={"x": _target(2.0)})
    v.status = "reproduced"
    return [v]


def _wrong_type(ctx: Context) -> list[Verdict]:
    return ["not a verdict"]  # type: ignore[list-item]


def _dies(ctx: Context) -> list[Verdict]:
    """The worker process running it is killed (as by the kernel's out-of-memory killer)."""
    os.kill(os.getpid(), signal.SIGKILL)
    return []


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """S1 raises, S2/S3 share an experiment that forgets S3, S4 returns garbage."""
    monkeypatch.setitem(REGISTRY, "S1", Experiment(("S1",), "raises", _raises))
    half = Experiment(("S1", "S3"), "half", _half)
    monkeypatch.setitem(REGISTRY, "S2", Experiment(("S2",), "half-wrong-id", _half))
    monkeypatch.setitem(REGISTRY, "S3", half)
    monkeypatch.setitem(REGISTRY, "S4", Experiment(("S4",), "garbage", _wrong_type))
    monkeypatch.setitem(REGISTRY, "S6", Experiment(("S6",), "no target", _hand_status))
    monkeypatch.setitem(REGISTRY, "S8", Experiment(("S8",), "text", _text_number))
    monkeypatch.setitem(REGISTRY, "S9", Experiment(("S9",), "hand pass", _hand_pass))


@pytest.mark.parametrize("executor", [None, "serial", "processes"])
def test_experiment_errors_are_reported_never_dropped(fake_registry: None, tmp_path: Path,
                                                      executor: str | None) -> None:
    pool = make_executor(executor, workers=2) if executor else None
    try:
        vs = run_claims(["S1", "S2", "S3", "S4", "S5", "S6", "S8", "S9"], out_dir=tmp_path,
                        quick=True, parallel=1, executor=pool, html=False)
    finally:
        if pool:
            pool.close()
    by = {v.id: v for v in vs}
    assert [v.id for v in vs] == ["S1", "S2", "S3", "S4", "S5", "S6", "S8", "S9"]
    assert by["S1"].status == "error" and "RuntimeError: boom: the model diverged" in by["S1"].summary
    # an experiment that answers for a statement it was not registered for
    assert by["S2"].status == "error" and "invalid verdict" in by["S2"].summary
    # an experiment registered for S1 and S3 that returns no verdict for S3
    assert by["S3"].status == "error" and "no verdict for S3" in by["S3"].summary
    assert by["S4"].status == "error" and "invalid verdict" in by["S4"].summary
    assert by["S5"].status in STATUSES
    # a "reproduced" without any target could not fail: it is not accepted
    assert by["S6"].status == "error" and "no validation target" in by["S6"].summary
    assert by["S8"].status == "error" and "not numbers: y" in by["S8"].summary
    # a status set by hand against the numbers is refused
    assert by["S9"].status == "error" and "never set by hand" in by["S9"].summary
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
    v = Verdict.assess("S13", validation={"a": _target(float("nan"))}, measured={"b": 2})
    doc = claims_document([v], seed=3, quick=True)
    text = json.dumps(doc, allow_nan=False)
    back = json.loads(text)
    c = back["claims"][0]
    assert c["measured"] == {"a": None, "b": 2.0}
    assert c["validation"]["a"]["measured"] is None and c["validation"]["a"]["passed"] is False
    assert c["status"] == "not reproduced"
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
    # the genomic side: the published colorectal metastases through Hu 2020's Gompertz law
    g = s13["measured"]["genomic_colorectal_median_years_before_diagnosis"]
    hu = s13["measured"]["hu2020_formula_colorectal_median_years"]
    assert hu == pytest.approx(4.13, abs=0.005)  # science.md G8
    assert 0 < g < 5.3  # seeding after the first cell (Hu 2020's CRC expansion age 5.2 y)
    genomic_ok = 2.0 <= g <= 4.0 and abs(g - hu) <= 1.0
    assert {t["model"] for t in s13["validation"].values()} == {"organism", "genomic"}
    assert s13["status"] == ("reproduced" if lead_ok and genomic_ok else "not reproduced")
    cells = s15["measured"]["colorectal_median_cells_at_first_seeding"]
    assert 1.0 <= cells <= 1e9  # between one cell and detection size
    g_cells = s15["measured"]["genomic_colorectal_median_seeding_cells"]
    assert 1e3 <= g_cells <= 1e9  # SCIMET's prior range
    assert s15["status"] == ("reproduced" if lead_ok and cells <= 1e7 and genomic_ok
                             and g_cells <= 1e6 else "not reproduced")
    assert s15["targets"]["colorectal_median_cells_at_first_seeding"] == 1e7
    assert s15["targets"]["genomic_colorectal_median_seeding_cells"] == 1e6
    assert {"s13_lead_time.png", "s15_seeding_size.png", "s13_genomic_timing.png"} <= set(
        s15["figures"])


def test_s16_from_the_s13_cohort(quick_run: tuple[int, str, Path]) -> None:
    """S16 (Hu et al. 2019: 17 of 21 metastatic colorectal patients seeded early) against the
    model's P(first seeding at <= 1e7 cells | metastatic colorectal), with the exact binomial 95 %
    interval of 17/21 as the tolerance (scipy, independently of the experiment's code)."""
    from scipy.stats import beta

    _, _, out = quick_run
    by = {c["id"]: c for c in json.loads((out / "claims.json").read_text())["claims"]}
    s16 = by["S16"]
    assert set(s16["validation"]) == {"colorectal_fraction_first_seeding_at_most_1e7_cells",
                                      "genomic_colorectal_fraction_patients_early"}
    lo, hi = beta.ppf(0.025, 17, 5), beta.ppf(0.975, 18, 4)  # Clopper-Pearson
    for t in s16["validation"].values():
        assert t["target"] == pytest.approx(17 / 21)
        assert (t["tolerance"]["low"], t["tolerance"]["high"]) == (pytest.approx(lo),
                                                                   pytest.approx(hi))
        assert 0.0 <= t["measured"] <= 1.0
    t = s16["validation"]["colorectal_fraction_first_seeding_at_most_1e7_cells"]
    g = s16["validation"]["genomic_colorectal_fraction_patients_early"]
    assert g["measured"] * 21 == pytest.approx(round(g["measured"] * 21))  # k of 21 patients
    assert s16["status"] == ("reproduced" if lo <= t["measured"] <= hi and lo <= g["measured"]
                             <= hi else "not reproduced")
    # the same cohort as S13: the median seeding size above 1e7 implies under half seeded early
    median = by["S15"]["measured"]["colorectal_median_cells_at_first_seeding"]
    if median > 1e7:
        assert t["measured"] <= 0.5


def test_same_seed_same_numbers_in_process_and_in_a_pool(tmp_path: Path) -> None:
    a = run_claims(["S13"], quick=True, seed=5, parallel=1)
    with ProcessExecutor(1) as pool:
        b = run_claims(["S13"], out_dir=tmp_path, quick=True, seed=5, executor=pool)
    assert a[0].status == b[0].status and a[0].measured == b[0].measured
    assert (tmp_path / "s13_lead_time.png").is_file()


def test_same_verdicts_on_every_executor_and_worker_count() -> None:
    """Three experiments on the runner's own pool (its Agg initializer included), on a
    serial and on a 2-process executor: the same measured numbers, bit for bit."""
    ref = run_claims(["S5", "S9", "S13"], quick=True, seed=3, parallel=1)
    runs = [run_claims(["S5", "S9", "S13"], quick=True, seed=3, parallel=2)]
    for kind in ("serial", "processes"):
        with make_executor(kind, workers=2) as ex:
            runs.append(run_claims(["S5", "S9", "S13"], quick=True, seed=3, executor=ex))
    assert "error" not in [v.status for v in ref]
    for got in runs:
        assert [(v.id, v.status, v.measured) for v in got] == \
            [(v.id, v.status, v.measured) for v in ref]


def test_a_dead_worker_is_an_error_verdict_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker process that dies (killed, out of memory) breaks the pool: every experiment of
    the run is reported as an error naming it, and the run returns."""
    monkeypatch.setitem(REGISTRY, "S1", Experiment(("S1",), "dies", _dies))
    monkeypatch.setitem(REGISTRY, "S2", Experiment(("S2",), "dies", _dies))
    with ProcessExecutor(2) as ex:
        vs = run_claims(["S1", "S2"], quick=True, executor=ex)
    assert [v.status for v in vs] == ["error", "error"]
    assert all("BrokenProcessPool" in v.summary for v in vs)


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
        return [Verdict.assess("S2", validation={"x": _target(2.0)})]

    monkeypatch.setitem(REGISTRY, "S2", Experiment(("S2",), "failing", failing))
    for passed, code in ((False, 1), (True, 0)):
        if passed:
            monkeypatch.setitem(REGISTRY, "S2", Experiment(("S1", "S2"), "ok", _ok_s2))
        assert run_cli(["claims", "--only", "S2", "--out", str(tmp_path), "-j", "1"]) == code


def _ok_s2(ctx: Context) -> list[Verdict]:
    return [Verdict.assess("S2", validation={"x": _target(1.0)})]


def test_cli_exit_code_1_when_only_illustrated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               run_cli) -> None:
    """An illustrated claim is not reproduced: nothing independent tests it."""
    def illustrated(ctx: Context) -> list[Verdict]:
        return [Verdict.assess("S2", checks={"x": Check(1.0, 1.0, exactly())})]

    monkeypatch.setitem(REGISTRY, "S2", Experiment(("S2",), "illustrated", illustrated))
    assert run_cli(["claims", "--only", "S2", "--out", str(tmp_path), "-j", "1"]) == 1


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


# ---- verdicts that say what they are -------------------------------------------------------

def test_tolerance_rules_at_their_boundaries() -> None:
    from metacascade.claims import base as b

    cases = [  # (rule, target, passes, fails); boundaries exact in binary floating point
        (b.relative(0.25), 2.0, [1.5, 2.5], [1.49, 2.51]),
        (b.absolute(0.25), 0.5, [0.25, 0.75], [0.24, 0.76]),
        (b.factor(4.0), 2.0, [0.5, 8.0], [0.49, 8.01, 0.0, -2.0]),
        (b.interval(2.0, 4.0), 3.0, [2.0, 4.0], [1.99, 4.01]),
        (b.below(), 1e-3, [9.99e-4], [1e-3]),
        (b.at_most(), 1e-3, [1e-3], [1.01e-3]),
        (b.above(), 0.5, [0.51], [0.5]),
        (b.at_least(), 0.5, [0.5], [0.49]),
        (b.exactly(), 0.0, [0.0], [1e-12]),
    ]
    for rule, target, good, bad in cases:
        assert all(rule.passed(x, target) for x in good), (rule, good)
        assert not any(rule.passed(x, target) for x in bad), (rule, bad)
        # a missing or non-finite measurement never passes
        assert not rule.passed(None, target) and not rule.passed(float("nan"), target)
        spec = rule.to_json(target)
        assert spec["kind"] == rule.kind and spec["text"].startswith(spec["rule"])
    for bad_rule in (lambda: b.factor(1.0), lambda: b.relative(-0.1),
                     lambda: b.interval(4.0, 2.0), lambda: b.Tolerance("roughly")):
        with pytest.raises(ValueError):
            bad_rule()


def test_status_is_derived_from_validation_and_checks() -> None:
    from metacascade.claims.base import derive_status

    ok, bad = _target(1.0), _target(2.0)
    check_ok, check_bad = Check(1.0, 1.0, exactly()), Check(0.0, 1.0, exactly())
    assert derive_status({"v": ok}, {}) == "reproduced"
    assert derive_status({"v": ok}, {"c": check_ok}) == "reproduced"
    assert derive_status({"v": ok, "w": bad}, {"c": check_ok}) == "not reproduced"
    assert derive_status({"v": ok}, {"c": check_bad}) == "not reproduced"
    assert derive_status({}, {"c": check_ok}) == "illustrated"  # checks never make it reproduced
    assert derive_status({}, {"c": check_bad}) == "not reproduced"
    with pytest.raises(ValueError):
        derive_status({}, {})


def test_verdict_fills_the_old_keys_consistently() -> None:
    from metacascade.claims.base import Calibration, below, factor

    v = Verdict.assess(
        "S3", validation={"fidler_yield": Target(0.2, 0.195, factor(3), "Fidler IJ. JNCI 1970")},
        checks={"eff": Check(1e-4, 1e-3, below())},
        calibration={"luzzi_dormant_day13": Calibration(0.36, "Luzzi KJ. Am J Pathol 1998",
                                                        how="script")},
        measured={"other": 5.0})
    assert v.status == "reproduced" and not v.problems()
    assert v.measured == {"other": 5.0, "fidler_yield": 0.2, "eff": 1e-4}
    assert v.targets == {"fidler_yield": 0.195, "eff": 1e-3}
    assert set(v.tolerances) == {"fidler_yield", "eff"}
    assert v.sources == ["Fidler IJ. JNCI 1970", "Luzzi KJ. Am J Pathol 1998"]
    d = v.to_json()
    for key in ("id", "status", "measured", "targets", "tolerances", "sources", "figures",
                "summary", "experiment", "seconds", "statement", "calibration", "validation",
                "checks", "sensitivity", "quick_undecided"):
        assert key in d
    with pytest.raises(ValueError, match="differs"):
        Verdict.assess("S3", validation={"x": _target(1.0)}, measured={"x": 2.0})


def test_a_flip_inside_a_sourced_range_is_said() -> None:
    from metacascade.claims.base import Sensitivity

    s = Sensitivity(range=(1e8, 1e10), source="Test T 2000", holds_for=[[1e8, 3e8]],
                    verdict_flips=True)
    v = Verdict.assess("S2", validation={"x": _target(1.0)}, sensitivity={"V_ref": s})
    assert v.status == "reproduced" and "Holds only for V_ref" in v.summary and not v.problems()
    v.summary = "no caveat"
    assert any("holds only for" in p for p in v.problems())
    assert v.to_json()["sensitivity"]["V_ref"] == {
        "range": [1e8, 1e10], "source": "Test T 2000", "holds_for": [[1e8, 3e8]],
        "verdict_flips": True}


def test_same_quantity_same_source_keys() -> None:
    """The matching rule of docs/claims.md: source key = first author + first year; quantity =
    the name in lower-case words, a leading first-author word dropped."""
    from metacascade.claims.base import Calibration, contamination, source_key, target_key

    assert source_key("Luzzi KJ et al. Am J Pathol 1998;153:865-873 [L]") == "luzzi1998"
    assert source_key("Dillekås H, Rogers MS. Cancer Med 2019;8:5574") == "dillekas2019"
    assert target_key("fidler_alive_24h", "Fidler IJ. J Natl Cancer Inst 1970;45:773") == \
        target_key("Alive 24h", "Fidler 1970 abstract") == "fidler1970|alive_24h"
    cal = {"fidler_alive_24h": Calibration(0.01, "Fidler IJ. JNCI 1970", how="script")}
    assert contamination({"alive_24h": Target(0.01, 0.01, exactly(), "Fidler IJ 1970")}, cal)
    # renamed, but the same number from the same source
    assert contamination({"survivors": Target(0.01, 0.01, exactly(), "Fidler 1970")}, cal)
    # another quantity of the same paper is independent
    assert not contamination({"yield": Target(0.2, 0.195, exactly(), "Fidler 1970")}, cal)
    # a calibration of one sub-model does not touch a prediction of another one
    scoped = {"reduction": Calibration(0.61, "Benzekry S 2017", how="fit", scope="prolif")}
    assert not contamination({"reduction": Target(0.5, 0.61, exactly(), "Benzekry 2017",
                                                  model="angio")}, scoped)
    assert contamination({"reduction": Target(0.5, 0.61, exactly(), "Benzekry 2017",
                                              model="prolif")}, scoped)
    # a chosen value is an assumption, not data
    chosen = {"gain": Calibration(9.0, "niche.py", how="chosen")}
    assert not contamination({"gain": Target(9.0, 9.0, exactly(), "niche.py")}, chosen)


# ---- the registry test: on the claims.json of the quick run --------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _script_targets() -> dict[str, dict[str, dict]]:
    """``CALIBRATION_TARGETS`` of every ``scripts/calibrate_*.py`` (script name -> targets)."""
    import importlib.util

    out = {}
    for path in sorted((ROOT / "scripts").glob("calibrate_*.py")):
        spec = importlib.util.spec_from_file_location(f"_cal_{path.stem}", path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        targets = getattr(mod, "CALIBRATION_TARGETS", None)
        assert isinstance(targets, dict) and targets, f"{path.name} has no CALIBRATION_TARGETS"
        for name, t in targets.items():
            assert {"value", "source", "sets"} <= set(t), (path.name, name)
            assert isinstance(t["value"], float) and t["source"].strip() and t["sets"]
        out[f"scripts/{path.name}"] = targets
    return out


def test_calibration_scripts_list_their_targets() -> None:
    """Each script names what it fits; the cascade JSON it writes fits the same numbers."""
    from metacascade.biology.cascade import CALIBRATION

    scripts = _script_targets()
    assert set(scripts) == {"scripts/calibrate_cascade.py", "scripts/calibrate_breast_cascade.py"}
    cascade = scripts["scripts/calibrate_cascade.py"]
    assert set(cascade) == set(CALIBRATION["targets"])
    for name, spec in CALIBRATION["targets"].items():
        assert cascade[name]["value"] == spec["value"]
        assert cascade[name]["source"] == CALIBRATION["sources"][name.split("_")[0]]


def _rule_passes(tol: dict, measured: float | None, target: float) -> bool:
    """The tolerance rule of claims.json, re-evaluated from its machine-readable fields only."""
    if measured is None or not np.isfinite(measured):
        return False
    k, m, t = tol["kind"], measured, target
    return {
        "relative": lambda: abs(m - t) <= tol.get("size", np.nan) * abs(t),
        "absolute": lambda: abs(m - t) <= tol.get("size", np.nan),
        "factor": lambda: t > 0 and m > 0 and t / tol["size"] <= m <= t * tol["size"],
        "interval": lambda: tol["low"] <= m <= tol["high"],
        "below": lambda: m < t, "above": lambda: m > t, "at_most": lambda: m <= t,
        "at_least": lambda: m >= t, "exactly": lambda: m == t,
    }[k]()


def test_registry_verdicts_say_what_they_are(quick_run: tuple[int, str, Path]) -> None:
    """No claim is reproduced without a validation target; the status follows from the
    validation targets and checks; every tolerance is an explicit rule that re-evaluates to the
    stored pass/fail; every target and calibration datum has a source; no validation target is
    among the claim's calibration data or the targets of the calibration scripts."""
    from metacascade.claims.base import Calibration, contamination, target_key

    _, _, out = quick_run
    doc = json.loads((out / "claims.json").read_text())
    scripts = _script_targets()
    script_keys = {target_key(n, t["source"]): (s, n) for s, ts in scripts.items()
                   for n, t in ts.items()}
    script_values = {(target_key("", t["source"]).split("|")[0], t["value"]): (s, n)
                     for s, ts in scripts.items() for n, t in ts.items()}
    for c in doc["claims"]:
        cid, val, chk, cal = c["id"], c["validation"], c["checks"], c["calibration"]
        if c["status"] == "reproduced":
            assert val, f"{cid} is reproduced without a validation target"
        if c["status"] in ("reproduced", "not reproduced", "illustrated"):
            assert val or chk, cid
            passed_v = {k: _rule_passes(t["tolerance"], t["measured"], t["target"])
                        for k, t in val.items()}
            passed_c = {k: _rule_passes(x["tolerance"], x["measured"], x["expected"])
                        for k, x in chk.items()}
            assert passed_v == {k: t["passed"] for k, t in val.items()}, cid
            assert passed_c == {k: x["passed"] for k, x in chk.items()}, cid
            expect = ("not reproduced" if not all([*passed_v.values(), *passed_c.values()])
                      else "reproduced" if val else "illustrated")
            assert c["status"] == expect, cid
        else:
            assert not val and not chk, cid
        for k, t in val.items():
            assert t["source"].strip(), f"{cid}: validation {k} has no source"
            assert t["tolerance"]["text"].strip()
            key = target_key(k, t["source"])
            assert key not in script_keys, f"{cid}: {k} is a calibration target of " \
                                           f"{script_keys.get(key)}"
            assert (key.split("|")[0], t["target"]) not in script_values, (cid, k)
        for k, x in cal.items():
            assert x["source"].strip() and x["how"].strip() and isinstance(x["value"], float), \
                (cid, k)
            if x["how"].startswith("scripts/"):  # the data of a calibration script: its own list
                script = x["how"].split(":")[0].split(" ")[0]
                assert k in scripts[script], (cid, k, script)
                assert x["value"] == scripts[script][k]["value"], (cid, k)
                assert target_key(k, x["source"]) == target_key(k, scripts[script][k]["source"])
        # the runner's own contamination rule, on the stored JSON
        targets = {k: Target(t["measured"], t["target"], exactly(), t["source"],
                             model=t.get("model", "")) for k, t in val.items()}
        cals = {k: Calibration(x["value"], x["source"], x["how"], scope=x.get("scope", ""))
                for k, x in cal.items()}
        assert not contamination(targets, cals), cid
        for k, s in c["sensitivity"].items():
            assert {"range", "source", "holds_for", "verdict_flips"} <= set(s), (cid, k)
            if s["verdict_flips"] and c["status"] != "not reproduced":
                assert "holds only for" in c["summary"].lower(), (cid, k)


#: Claims whose quick sample is too small to decide (measured once, docs/claims.md): the quick
#: run must flag exactly these, and every other claim has the status of the full run.
QUICK_UNDECIDED: set[str] = set()


def test_quick_mode_flags_the_claims_it_cannot_decide(quick_run: tuple[int, str, Path]) -> None:
    _, _, out = quick_run
    doc = json.loads((out / "claims.json").read_text())
    flagged = {c["id"] for c in doc["claims"] if c["quick_undecided"]}
    assert flagged == QUICK_UNDECIDED
    assert all(c["quick_reason"] for c in doc["claims"] if c["quick_undecided"])


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("METACASCADE_FULL_CLAIMS"),
                    reason="runs the full claims (about 2 minutes on 2 cores): set "
                           "METACASCADE_FULL_CLAIMS=1")
def test_quick_statuses_agree_with_the_full_run(quick_run: tuple[int, str, Path],
                                                 tmp_path: Path) -> None:
    _, _, out = quick_run
    quick = {c["id"]: c for c in json.loads((out / "claims.json").read_text())["claims"]}
    full = {v.id: v for v in run_claims(out_dir=tmp_path, seed=0, parallel=2, html=False)}
    assert not any(v.quick_undecided for v in full.values())
    for i, v in full.items():
        if not quick[i]["quick_undecided"]:
            assert quick[i]["status"] == v.status, i


#: A verdict cell of a docs table: the status word(s) first, an explanation may follow.
_VERDICT = re.compile(r"^(not reproduced|reproduced|illustrated)(?=$|[\s(:,.])")
_CLAIM_ROW = re.compile(r"^\| (S\d+(?:, S\d+)*) \|(.*)\|\s*$")
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _documented_verdicts() -> list[tuple[str, str, str]]:
    """(page, claim id, status) of every docs table row about a claim that states a verdict."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            m = _CLAIM_ROW.match(line)
            if not m:
                continue
            verdicts = [v.group(1) for cell in m.group(2).split(" | ")
                        if (v := _VERDICT.match(cell.strip()))]
            for cid in m.group(1).split(", ") if verdicts else ():
                found.append((page.name, cid, verdicts[0]))
    return found


def test_every_verdict_in_the_docs_is_the_registry_s(quick_run: tuple[int, str, Path]) -> None:
    """The verdicts docs pages state (claims.md and the tables of cohorts.md, cascade.md, ...)
    are those of the run: a new user found cohorts.md still calling S1 and S7 illustrated."""
    _, _, out = quick_run
    status = {c["id"]: c["status"] for c in json.loads((out / "claims.json").read_text())["claims"]}
    documented = _documented_verdicts()
    assert {cid for page, cid, _ in documented if page == "claims.md"} == set(status)
    wrong = [(page, cid, said, status[cid]) for page, cid, said in documented
             if said != status[cid]]
    assert wrong == [], wrong
