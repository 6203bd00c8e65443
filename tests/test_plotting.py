"""The plotting package: its contract (``plot_*(..., ax=None) -> Axes``, ``*_figure(...,
fig=None) -> Figure``, only ``save_*`` writes files), the import rules (``import metacascade``
imports no matplotlib and changes no backend) and the figure defects of issue 14."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from typer.testing import CliRunner

import metacascade as mc
from metacascade import plotting
from metacascade.analysis.cohort import overall, relapse_free
from metacascade.plotting import cellscale as pcellscale
from metacascade.plotting import claims as pclaims
from metacascade.plotting import cohort as pcohort
from metacascade.plotting import fit as pfit
from metacascade.plotting import injection as pinjection
from metacascade.plotting import run as prun
from metacascade.plotting import seeding as pseeding
from metacascade.plotting import survival as psurvival
from metacascade.plotting.style import detached, detached_axes, root

SRC = Path(__file__).resolve().parents[1] / "src" / "metacascade"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
MODULES = (prun, pcohort, pinjection, pfit, psurvival, pseeding, pclaims, pcellscale)
#: Public functions of the plotting modules that neither draw nor write (helpers, tables).
HELPERS = {"has_metastases", "is_bone_only", "survival_table", "at_risk_axes", "ccf_pairs",
           "is_stochastic", "site_colours"}
NB_IDS = ["1", "2", "3", "4", "6", "8", "9", "10", "11", "12", "13", "14"]  # 12 ids: 2 pages


# ---- fixtures: one result of every kind --------------------------------------------------------
@pytest.fixture(scope="module")
def run_result() -> mc.Result:
    return mc.simulate(mc.load_scenario("iwata-hcc"))


@pytest.fixture(scope="module")
def bone_result() -> mc.Result:
    return mc.simulate(mc.load_scenario("breast-bone"))


@pytest.fixture(scope="module")
def cohort() -> mc.CohortResult:
    return mc.simulate_cohort(mc.load_scenario("breast-dormancy"), 200, seed=0)


@pytest.fixture(scope="module")
def injection():  # type: ignore[no-untyped-def]
    return mc.inject(20_000, "portal-vein", 14.0, seed=0)


@pytest.fixture(scope="module")
def fit_result() -> mc.FitResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mc.IdentifiabilityWarning)
        return mc.fit(EXAMPLE, "neuroblastoma", ["dissemination.mu",
                                                 "detection.visible_diameter_mm"], ids=NB_IDS)


@pytest.fixture(scope="module")
def prediction(fit_result):  # type: ignore[no-untyped-def]
    return mc.predict(fit_result, "2", np.arange(0.0, 120.0, 10.0),
                      ["metastatic_burden_cells", "n_visible"], n_samples=20)


def _cascade_series(identical: bool) -> SimpleNamespace:
    t = np.linspace(0.0, 3650.0, 50)
    ready = np.tile(1 - np.exp(-t / 500.0), (4, 1))
    if not identical:
        ready = ready * np.array([[1.0], [0.8], [0.6], [0.4]])
    n_met = np.tile(t / 1000.0, (4, 1)) * np.arange(1, 5)[:, None]
    return SimpleNamespace(organs=["lung", "liver", "lymph_node", "bone"], times=t,
                           readiness=ready[None], series={"n_metastases": n_met[None]})


def _seeding_cohort(name: str, seed: int) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    det = rng.uniform(2000, 4000, 30)
    return SimpleNamespace(name=name, mu1=10 ** rng.uniform(-12, -10, 30), detection_day=det,
                           first_day=det - rng.uniform(0, 1500, 30),
                           half_day=det - rng.uniform(0, 1000, 30),
                           lead_years=rng.uniform(0, 5, (30, 4)),
                           seed_cells=10 ** rng.uniform(5, 9, (30, 4)), weight=rng.random(30))


@pytest.fixture(scope="module")
def cell_result():  # type: ignore[no-untyped-def]
    sc = mc.load_scenario("breast", ["dissemination.mu=1e-9", "simulation.seed=3"])
    return mc.simulate(sc, engine="stochastic")


@pytest.fixture(scope="module")
def calls(run_result, bone_result, cohort, injection, fit_result, prediction,  # type: ignore[no-untyped-def]
          cell_result):
    """name -> (positional arguments) of every drawing function of the package."""
    from metacascade.analysis.cohort import relapse_hazard

    h = relapse_hazard(cohort.patients, cohort.scenario.simulation.duration_days)
    est, cov = fit_result.estimates(), fit_result.data.covariates
    km = pd.DataFrame({"duration": [1.0, 2, 3, 4, 5, 6], "event": [1, 0, 1, 1, 0, 1],
                       "group": list("aabbab")})
    lymph = pd.DataFrame({"lvd_in": np.exp(np.linspace(0, 2, 40)),
                          "lvd_peri": np.exp(np.linspace(1, 3, 40)),
                          "node_pos": (np.arange(40) % 3 == 0).astype(float)})
    by_size = (pd.DataFrame({"diameter_mm": [1.0, 10.0, 20.0], "model": [0.01, 0.2, 0.7]}),
               pd.DataFrame({"low_mm": [1.0, 11.0], "high_mm": [10.0, 20.0],
                             "fraction": [0.1, 0.3], "ci_low": [0.05, 0.2],
                             "ci_high": [0.2, 0.4], "source": ["A", "B"]}))
    resected = mc.simulate(mc.load_scenario("breast", [
        "systemic.model=proliferation", "systemic.inhibition_per_cell=1e-9",
        "primary.rate_per_day=0.05", "primary.carrying_capacity_cells=1e10",
        "dissemination.mu=1e-8", "simulation.duration_days=100"]))
    kept = mc.simulate(resected.scenario.model_copy(update={
        "treatment": resected.scenario.treatment.model_copy(
            update={"resection_at_detection": False})}))
    vols = {"a": (np.array([1.0, 2, 3]), np.array([2.0, 3, 4]), np.array([0.5, 1, 2]))}
    days = np.linspace(0, 15, 4)
    traj = {f"{m}_{g}": days + 1 for m in ("proliferation", "competition")
            for g in ("control", "larger", "smaller")}
    observed = pd.DataFrame([("bone", "data", 0.0, 100.0, 5.0), ("tumour", "data", 14.0, 1.0, .1)],
                            columns=["panel", "label", "day", "value", "se"])
    cohorts = [_seeding_cohort("breast", 1), _seeding_cohort("colorectal", 2)]
    survival_tab = psurvival_table(fit_result)
    posterior, predictive = _seeding_tables()
    return {
        "plot_burden": (run_result,), "plot_counts": (run_result,),
        "plot_probability": (run_result,), "metastases_figure": (run_result,),
        "plot_size_distribution": (run_result,), "plot_bone": (bone_result,),
        "plot_bone_cells": (bone_result,), "bone_figure": (bone_result,),
        "plot_survival": (cohort,), "plot_hazard": (cohort,), "plot_causes": (cohort,),
        "plot_fates": (injection.fates,), "plot_injection": (injection,),
        "injection_figure": ([injection, injection],),
        "plot_fit_curve": (fit_result, "2", "n_visible"), "fit_curves_figure": (fit_result,),
        "plot_residuals": (fit_result,), "plot_observed_vs_predicted": (fit_result,),
        "residuals_figure": (fit_result,), "plot_profile": (fit_result, "dissemination.mu"),
        "profiles_figure": (fit_result,), "plot_prediction": (prediction, "n_visible"),
        "plot_prediction_band": (prediction, "n_visible"), "prediction_figure": (prediction,),
        "plot_kaplan_meier": (km,),
        "plot_survival_split": (survival_tab, "dissemination.mu", "os_months", "death"),
        "plot_parameter_against_survival": (survival_tab, "dissemination.mu", "os_months",
                                            "death"),
        "survival_figure": (est, cov),
        "plot_cause_of_death": (pd.DataFrame({"metastasis": [0.1, 0.2], "primary": [0.0, .01]},
                                             index=["breast", "prostate"]),),
        "plot_niche": (_cascade_series(True),),
        "niche_figure": (_cascade_series(True), _cascade_series(False)),
        "plot_node_status": (lymph, "lvd_peri"), "lymphatics_figure": (lymph,),
        "plot_node_by_size": by_size,
        "plot_knockouts": (pd.DataFrame({"all": [1.0, 0.1], "no x": [0.0, 0.1]},
                                        index=["lung", "bone"]), 3000.0),
        "resection_figure": (resected, kept),
        "plot_day15_volumes": (vols,), "plot_two_tumour_growth": (days, traj),
        "two_tumour_figure": (vols, days, traj),
        "plot_seeding": (pd.DataFrame({"a": [0.0, 1, 2], "b": [0.0, 0, 0]},
                                      index=[0.0, 100, 200]),),
        "vicious_cycle_figure": (days, {"vicious cycle": (days + 90, days + 1)}, observed),
        "plot_lead_time": (cohorts, (2.0, 4.0)), "plot_lead_against_mu": (cohorts, (2.0, 4.0)),
        "lead_time_figure": (cohorts, (2.0, 4.0)), "plot_seeding_size": (cohorts, 1e7),
        "plot_relapse_hazards": ({"dormancy": h},),
        "plot_seeding_posterior": (posterior,), "plot_predictive": (predictive, "m1"),
        "predictive_figure": (predictive,),
        "plot_seeding_years": (pd.DataFrame({
            "met": ["m1", "m2"], "years_before_diagnosis_median": [3.0, 5.0],
            "years_before_diagnosis_lower": [1.5, 2.0],
            "years_before_diagnosis_upper": [6.0, 9.0]}), (2.0, 4.0), 1.0),
        "dormancy_hazard_figure": ({"breast-dormancy": {"dormancy": h},
                                    "prostate-dormancy": {"dormancy": h}},),
        "plot_muller": (cell_result,), "plot_genealogy": (cell_result,),
        "plot_ccf_scatter": (cell_result,), "plot_metastasis_sizes": (cell_result,),
        "plot_metastases_by_organ": (cell_result,),
        "plot_risk_by_size": (np.array([1.0, 2, 3]), np.array([0.1, 0.4, 0.8]), 2.5),
        "plot_lm_lp": ({"early": np.array([0.5, 1.0, 1.5])}, np.array([0.2, 0.4, 0.6])),
        "plot_shared_share": (["Breast", "Lung"], [0.6, 0.9], [0.5, 0.8]),
    }


def _seeding_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A posterior (``met, model, weight, seeding_cells``) and a posterior-predictive table of
    two metastases, in the layout of ``SeedingRun.posterior()`` and ``.predictive()``."""
    rng = np.random.default_rng(3)
    posterior = pd.DataFrame({"met": np.repeat(["m1", "m2"], 50), "model": "NN",
                              "weight": rng.uniform(0.5, 1.5, 100),
                              "seeding_cells": 10 ** rng.normal(6.0, 0.5, 100)})
    stats = [f"S{i}" for i in range(1, 5)]
    med = np.array([40.0, 12, 3, 150] * 2)
    predictive = pd.DataFrame({"met": np.repeat(["m1", "m2"], 4), "statistic": stats * 2,
                               "observed": med * 1.1, "predictive_median": med,
                               "predictive_lower": med * 0.6, "predictive_upper": med * 1.6})
    return posterior, predictive


def psurvival_table(res: mc.FitResult) -> pd.DataFrame:
    from metacascade.inference.survival import survival_table

    assert res.data is not None
    return survival_table(res.estimates(), res.data.covariates, "dissemination.mu", "os_months",
                          "death")


def _public_functions() -> dict[str, object]:
    out = {}
    for mod in MODULES:
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_"):
                out[name] = fn
    return out


def _cut_labels(fig: Figure) -> list[str]:
    """Axis labels and titles cut by the figure edge or ending in an ellipsis (as the S1 y-label
    "fraction of patients dying of ..." did)."""
    fig.draw_without_rendering()  # runs the layout engine
    box = fig.bbox
    bad = []
    for ax in fig.axes:
        for text in (ax.xaxis.label, ax.yaxis.label, ax.title):
            s = text.get_text()
            if not s:
                continue
            ext = text.get_window_extent()
            if (ext.x0 < box.x0 - 1 or ext.y0 < box.y0 - 1 or ext.x1 > box.x1 + 1
                    or ext.y1 > box.y1 + 1 or s.rstrip().endswith(("...", "\u2026"))):
                bad.append(s)
    return bad


def test_cut_labels_are_found() -> None:
    fig = Figure(figsize=(3.0, 2.0))
    fig.add_subplot().set_ylabel("a label far too long for a figure two inches high")
    fig.axes[0].set_xlabel("fraction of patients dying of ...")
    assert len(_cut_labels(fig)) == 2


# ---- the contract ------------------------------------------------------------------------------
def test_every_public_function_is_a_plot_a_figure_a_saver_or_a_named_helper() -> None:
    odd = [n for n in _public_functions() if not (n.startswith(("plot_", "save_"))
                                                   or n.endswith("_figure") or n in HELPERS)]
    assert not odd, odd
    assert set(plotting.__all__) <= set(_public_functions())


def test_every_drawing_function_is_exercised(calls) -> None:  # type: ignore[no-untyped-def]
    drawing = {n for n in _public_functions() if n.startswith("plot_") or n.endswith("_figure")}
    assert drawing == set(calls)


def test_plot_functions_draw_into_the_given_axes_and_return_it(calls) -> None:  # type: ignore[no-untyped-def]
    for name, fn in _public_functions().items():
        if not name.startswith("plot_"):
            continue
        sig = inspect.signature(fn)
        assert "ax" in sig.parameters and sig.parameters["ax"].default is None, name
        ax = detached_axes()
        assert fn(*calls[name], ax=ax) is ax, name
        assert ax.has_data() or ax.patches or ax.texts, f"{name} drew nothing"
        assert not _cut_labels(root(ax)), (name, _cut_labels(root(ax)))


def test_plot_functions_make_their_own_axes_without_one(calls) -> None:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    for name in ("plot_burden", "plot_survival", "plot_fates", "plot_cause_of_death"):
        ax = getattr(plotting, name, None) or _public_functions()[name]
        out = ax(*calls[name])
        assert isinstance(out, Axes), name
        plt.close(root(out))


def test_figure_functions_draw_into_the_given_figure_and_return_it(calls) -> None:  # type: ignore[no-untyped-def]
    for name, fn in _public_functions().items():
        if not name.endswith("_figure"):
            continue
        sig = inspect.signature(fn)
        assert "fig" in sig.parameters and sig.parameters["fig"].default is None, name
        fig = detached((12.0, 7.0))  # a given figure keeps its size: room for two panels
        assert fn(*calls[name], fig=fig) is fig, name
        assert len(fig.axes) >= 2, f"{name} is not a multi-panel figure"
        assert not _cut_labels(fig), (name, _cut_labels(fig))


def test_savers_write_exactly_the_files_they_name(tmp_path, run_result, bone_result, cohort,
                                                  injection, fit_result, prediction) -> None:  # type: ignore[no-untyped-def]
    for k, (fn, res) in enumerate(((plotting.save_run_figures, run_result),
                                   (plotting.save_run_figures, bone_result),
                                   (plotting.save_cohort_figures, cohort),
                                   (plotting.save_injection_figures, injection),
                                   (plotting.save_fit_figures, fit_result),
                                   (plotting.save_prediction_figures, prediction))):
        folder = tmp_path / str(k)
        folder.mkdir()
        names = fn(res, str(folder))
        assert sorted(names) == sorted(p.name for p in folder.iterdir())
        assert all((folder / n).stat().st_size > 5_000 for n in names)


def test_only_save_helpers_write_files() -> None:
    """``savefig`` appears once in the package (the one save helper); no module selects a
    backend except the command line and the claims worker initialiser."""
    hits = {p.name for p in (SRC / "plotting").glob("*.py") if "savefig" in p.read_text()}
    assert hits == {"style.py"}
    uses = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                  if re.search(r"matplotlib\.use\(|\buse\(\"Agg\"\)", p.read_text()))
    assert uses == ["claims/runner.py", "cli/__init__.py"]


def test_results_do_not_draw_themselves(tmp_path, run_result, cohort, fit_result) -> None:  # type: ignore[no-untyped-def]
    run_result.save(tmp_path / "run")
    cohort.write_into(tmp_path / "cohort")
    fit_result.save(tmp_path / "fit")
    assert not list(tmp_path.rglob("*.png"))


# ---- importing metacascade leaves matplotlib alone --------------------------------------------
def _python(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = str(SRC.parent)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=env, check=True)
    return out.stdout.strip()


def test_import_metacascade_imports_no_matplotlib() -> None:
    assert _python("""
        import sys
        import metacascade
        print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
    """) == "[]"


def test_importing_every_module_keeps_the_users_backend() -> None:
    out = _python("""
        import importlib, pkgutil
        import matplotlib
        matplotlib.use("svg")
        import metacascade
        names = [m.name for m in pkgutil.walk_packages(metacascade.__path__, "metacascade.")
                 if not m.name.endswith("__main__")]
        for name in names:
            importlib.import_module(name)
        import matplotlib.pyplot as plt
        from metacascade.claims.base import discover
        discover()
        print(len(names), matplotlib.get_backend())
    """)
    n, backend = out.split()
    assert int(n) > 60 and backend == "svg"


def test_the_command_line_draws_with_agg() -> None:
    """Before matplotlib is imported (through the environment) and after (matplotlib.use)."""
    assert _python("""
        import os
        os.environ["MPLBACKEND"] = "svg"
        from metacascade.cli import use_agg
        use_agg()
        import matplotlib
        first = matplotlib.get_backend()
        matplotlib.use("svg")
        use_agg()
        print(first, matplotlib.get_backend())
    """).lower() == "agg agg"


# ---- the defects of issue 14 -------------------------------------------------------------------
def _visible_ticks(ax: Axes) -> np.ndarray:
    lo, hi = ax.get_ylim()
    ticks = np.asarray(ax.get_yticks())
    return ticks[(ticks >= lo) & (ticks <= hi)]


def test_count_axis_has_no_negative_ticks_and_probability_lines_up(run_result) -> None:  # type: ignore[no-untyped-def]
    assert float(run_result.timeseries["n_metastases"].max()) > prun.LOG_COUNTS_ABOVE
    fig = prun.metastases_figure(run_result, detached(prun.METASTASES_SIZE))
    fig.draw_without_rendering()
    counts, prob = fig.axes
    assert counts.get_yscale() == "symlog" and counts.get_ylim()[0] == 0.0
    assert np.all(_visible_ticks(counts) >= 0)
    labels = [t.get_text() for t in counts.get_yticklabels() if t.get_visible()]
    assert labels and not any("−" in s or s.startswith("-") for s in labels)
    assert prob.get_ylim() == (0.0, 1.02) and prob.get_ylabel()
    # no twin axis: both panels are on one time axis, one above the other
    assert counts.get_shared_x_axes().joined(counts, prob)
    assert counts.get_position().y0 > prob.get_position().y1


def test_bone_only_run_writes_no_burden_figure_and_lists_what_it_wrote(tmp_path) -> None:
    out = tmp_path / "bone"
    res = CliRunner().invoke(mc_cli(), ["run", "breast-bone", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    listed = json.loads((out / "figures.json").read_text())
    assert listed == ["bone.png"]
    assert sorted(p.name for p in out.glob("*.png")) == listed


def mc_cli():  # type: ignore[no-untyped-def]
    from metacascade.cli import app

    return app


def test_bone_figure_has_bone_mass_and_cells_on_separate_axes(bone_result) -> None:  # type: ignore[no-untyped-def]
    fig = prun.bone_figure(bone_result, detached(prun.BONE_SIZE))
    mass, cells = fig.axes
    assert "bone mass" in mass.get_ylabel() and cells.get_yscale() == "log"
    assert {ln.get_label() for ln in cells.get_lines()} >= {"osteoclasts", "osteoblasts",
                                                             "bone tumour cells"}


def test_fit_pages_show_every_id_once_and_say_how_many(fit_result, tmp_path) -> None:  # type: ignore[no-untyped-def]
    names = pfit.save_fit_figures(fit_result, tmp_path)
    assert names[:2] == ["fit_curves.png", "fit_curves_2.png"]
    assert "profiles.png" in names and "profiles_2.png" in names
    ids = [f.id for f in fit_result.reported]
    pages = [ids[i:i + pfit.CURVES_PER_PAGE] for i in range(0, len(ids), pfit.CURVES_PER_PAGE)]
    shown: list[str] = []
    for k, page in enumerate(pages):
        fig = pfit.fit_curves_figure(fit_result, page, detached(), page=k, n_pages=len(pages))
        rows = [ax.get_ylabel() for ax in fig.axes if ax.get_subplotspec().is_first_col()]
        shown += [r.removeprefix("id ") for r in rows]
        title = fig.get_suptitle()
        assert f"({len(page)} of {len(ids)} ids, page {k + 1} of {len(pages)})" in title
    assert shown == ids
    fig = pfit.profiles_figure(fit_result, fig=detached())
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(legend) == pfit.PROFILES_PER_PAGE
    assert f"of {len(ids)} ids" in fig.get_suptitle()


def test_niche_figure_has_a_ylabel_and_draws_identical_readiness_once() -> None:
    ax = pclaims.plot_niche(_cascade_series(True), detached_axes())
    solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(solid) == 1 and "identical" in str(solid[0].get_label())
    assert ax.get_ylabel()
    ax = pclaims.plot_niche(_cascade_series(False), detached_axes())
    assert len([ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]) == 3


def test_inject_table_headers_fit_an_80_column_terminal(injection) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    from metacascade.cli.cascade import fates_table
    from metacascade.engines.injection import FATE_COLUMNS

    console = Console(width=80, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(fates_table(injection.fates, "fates"))
    text = console.export_text()
    assert "…" not in text
    for state in FATE_COLUMNS[1:]:
        assert state.replace("_", " ") in text
    for head in ("90 min", "day 1", "day 3", "day 13", "day 14"):
        assert head in text


def test_survival_plots_show_numbers_at_risk(cohort, fit_result) -> None:  # type: ignore[no-untyped-def]
    ax = pcohort.plot_survival(cohort, detached_axes())
    table = psurvival.at_risk_axes(ax)
    assert len(table) == 1
    text = " ".join(t.get_text() for t in table[0].get_xticklabels())
    assert "At risk" in text
    # first column: the diagnosed patients still at risk at the end of day 0 of each curve
    dur = cohort.scenario.simulation.duration_days
    first = {line.split()[0]: int(line.split()[-1]) for line in text.split("\n")[1:3]}
    for label, (t, _) in (("relapse-free", relapse_free(cohort.patients, dur)),
                          ("overall", overall(cohort.patients, dur))):
        assert first[label] == int(np.sum(t > 0)), label
    fig = psurvival.survival_figure(fit_result.estimates(), fit_result.data.covariates,
                                    fig=detached())
    assert psurvival.at_risk_axes(fig.axes[0])


def test_matplotlib_backend_untouched_by_plotting(calls) -> None:  # type: ignore[no-untyped-def]
    before = matplotlib.get_backend()
    pclaims.plot_cause_of_death(*calls["plot_cause_of_death"], ax=detached_axes())
    assert matplotlib.get_backend() == before


def test_saving_a_detached_figure_draws_what_savefig_draws(tmp_path, run_result) -> None:  # type: ignore[no-untyped-def]
    """``style.save`` lays a detached figure out once and draws it once; the file has the same
    pixels as matplotlib's own ``savefig`` of the same figure (which draws it twice)."""
    from matplotlib.image import imread

    from metacascade.plotting.style import DPI, save

    for name, make in (("burden", lambda fig: prun.plot_burden(run_result, fig.add_subplot())),
                       ("metastases", lambda fig: prun.metastases_figure(run_result, fig))):
        size = prun.METASTASES_SIZE if name == "metastases" else (7.0, 4.2)
        ours = detached(size)
        make(ours)
        save(ours, tmp_path / f"{name}.png")
        plain = Figure(figsize=size, layout="constrained")  # no canvas of ours: savefig's path
        make(plain)
        plain.savefig(tmp_path / f"{name}_savefig.png", dpi=DPI)
        a, b = imread(tmp_path / f"{name}.png"), imread(tmp_path / f"{name}_savefig.png")
        assert a.shape == b.shape and np.array_equal(a, b), name


def test_log_axes_longer_than_six_decades_have_no_minor_ticks() -> None:
    """Minor ticks only on log axes of at most ``MINOR_TICK_DECADES`` decades: there they are
    matplotlib's own (those of the same axis left undecorated); on longer axes none."""
    from metacascade.plotting.style import MINOR_TICK_DECADES, decorate

    assert MINOR_TICK_DECADES == 6.0

    def minor_ticks(top: float, decorated: bool) -> np.ndarray:
        ax = detached_axes()
        ax.plot([1.0, top], [1.0, top])
        ax.set_yscale("log")
        ax.set_ylim(1.0, top)
        if decorated:
            decorate(ax)
        root(ax).canvas.draw()
        assert len(ax.yaxis.get_majorticklocs()) > 0
        return np.asarray(ax.yaxis.get_minorticklocs())

    short = minor_ticks(1e3, True)
    assert short.size > 0
    np.testing.assert_array_equal(short, minor_ticks(1e3, False))
    assert minor_ticks(1e8, False).size > 0  # matplotlib's own: a comb of minor ticks ...
    assert minor_ticks(1e8, True).size == 0  # ... that we leave out


# ---- the figures of one stochastic patient (new-user audit) -------------------------------------
def _star_genealogy(n_sites: int) -> SimpleNamespace:
    """A result-like record of a genealogy with one leaf of each of ``n_sites`` sites (a star
    tree) and metastases of decreasing size (met1 largest)."""
    import tskit

    tables = tskit.TableCollection(sequence_length=1.0)
    for _ in range(n_sites):
        tables.populations.add_row()
    for i in range(n_sites):
        tables.nodes.add_row(flags=tskit.NODE_IS_SAMPLE, time=0.0, population=i)
    root_node = tables.nodes.add_row(time=100.0, population=0)
    for i in range(n_sites):
        tables.edges.add_row(0.0, 1.0, root_node, i)
    tables.sort()
    names = ["primary", *[f"met{i}" for i in range(1, n_sites)]]
    mets = pd.DataFrame({"met_id": names[1:], "organ": "lung",
                         "cells_final": 10.0 ** np.arange(n_sites - 1, 0, -1)})
    return SimpleNamespace(genealogy=tables.tree_sequence(), sites=names, metastases=mets)


def _leaf_colours(ax: Axes) -> dict[str, tuple[float, ...]]:
    return {c.get_label(): tuple(np.round(c.get_facecolor()[0], 3)) for c in ax.collections
            if c.get_label() and not c.get_label().startswith("_") and len(c.get_offsets())}


def test_genealogy_gives_every_shown_site_its_own_colour_and_the_legend_sits_beside_it(
        cell_result) -> None:  # type: ignore[no-untyped-def]
    ax = pcellscale.plot_genealogy(cell_result, detached_axes(pcellscale.GENEALOGY_SIZE))
    colours = _leaf_colours(ax)
    ts = cell_result.genealogy
    shown = {cell_result.sites[int(p)] for p in ts.tables.nodes.population[ts.samples()]}
    assert len(shown) == 10 and {k.split(" ")[0] for k in colours} == shown
    assert len(set(colours.values())) == len(colours)  # no colour reused (was: 3 greys, 2 blues)
    fig = root(ax)
    fig.draw_without_rendering()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # outside the tree, not over its top right
    assert legend.x1 <= fig.bbox.x1 + 1  # and inside the figure


def test_genealogy_colours_a_capped_number_of_sites_and_says_the_rest_are_other() -> None:
    fake = _star_genealogy(15)
    colours = pcellscale.site_colours(fake)
    own = [s for s, c in colours.items() if c != pcellscale.OTHER_COLOUR]
    assert own == ["primary", *[f"met{i}" for i in range(1, 10)]]  # the 9 largest metastases
    assert len(set(colours[s] for s in own)) == len(own)
    ax = pcellscale.plot_genealogy(fake, detached_axes())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "other (5 sites)" in labels and len(labels) == 11


def test_sequencing_genealogy_shows_the_sequenced_sites_first(cell_result) -> None:  # type: ignore[no-untyped-def]
    ts = cell_result.genealogy
    sampled = {cell_result.sites[int(p)] for p in ts.tables.nodes.population[ts.samples()]}
    mets = cell_result.metastases
    unsampled = str(mets.loc[(mets["cells_final"] > 0) & ~mets["met_id"].isin(sampled),
                             "met_id"].iloc[0])
    smallest = min(sampled - {"primary"},
                   key=lambda s: float(mets.set_index("met_id").loc[s, "cells_final"]))
    ax = pcellscale.plot_genealogy(cell_result, detached_axes(),
                                   highlight=["primary", smallest, unsampled])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "primary (sequenced)" and labels[1].startswith(f"{smallest} (")
    assert "sequenced" in labels[1]
    assert any(t.startswith(f"{unsampled} (sequenced)") for t in labels)  # said, not dropped


def test_sequencing_figures_highlight_the_sequenced_sites(cell_result, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seq = SimpleNamespace(sites=["primary", "met3"], reads=pd.DataFrame())
    seen = {}

    def spy(run, ax=None, *, highlight=()):  # type: ignore[no-untyped-def]
        seen["highlight"] = list(highlight)
        return detached_axes()

    real, pcellscale.plot_genealogy = pcellscale.plot_genealogy, spy
    real_ccf, pcellscale.plot_ccf_scatter = pcellscale.plot_ccf_scatter, \
        lambda r, ax=None: detached_axes()
    try:
        names = pcellscale.save_sequencing_figures(seq, tmp_path, run=cell_result)
    finally:
        pcellscale.plot_genealogy, pcellscale.plot_ccf_scatter = real, real_ccf
    assert names == ["ccf.png", "genealogy.png"] and seen["highlight"] == ["primary", "met3"]


def test_stochastic_size_distribution_shows_this_patients_metastases(cell_result) -> None:  # type: ignore[no-untyped-def]
    ax = prun.plot_size_distribution(cell_result, detached_axes())
    alive = int((cell_result.metastases["cells_final"] >= 1).sum())
    assert alive > 0 and not [t for t in ax.texts if "no size" in t.get_text()]
    assert ax.get_xscale() == "log" and "this patient" in ax.get_ylabel()
    assert "expected" not in ax.get_ylabel() + ax.get_title()
    end = [p for p in ax.patches if "end of the run" in p.get_label()]
    assert len(end) == 1 and f"{alive} with cells" in end[0].get_label()
    xy = end[0].get_xy()  # the step outline: its x are the bin edges, its y the counts
    final = cell_result.metastases["cells_final"].to_numpy()
    counts = np.histogram(final[final >= 1], bins=np.unique(xy[:, 0]))[0]
    assert counts.sum() == alive and counts.max() == xy[:, 1].max() > 0
    assert f"{len(cell_result.metastases)} metastases" in ax.get_title()


def test_stochastic_metastases_figure_shows_counts_not_expectations(cell_result) -> None:  # type: ignore[no-untyped-def]
    fig = prun.metastases_figure(cell_result, detached(prun.METASTASES_SIZE))
    counts, bottom = fig.axes
    assert counts.get_ylabel() == "number of metastases (this patient)"
    texts = [a.get_ylabel() + a.get_title() for a in fig.axes]
    assert not any("expected" in t or "P(at least one)" in t for t in texts)
    by_organ = {ln.get_label().split(" ")[0]: ln.get_ydata()[-1] for ln in bottom.get_lines()
                if not ln.get_label().startswith("_")}
    organs = cell_result.metastases["organ"].value_counts()
    assert by_organ == {str(o): float(n) for o, n in organs.items()}
    assert prun.plot_probability(cell_result, detached_axes()).get_ylabel() != "P(at least one)"


def test_deterministic_metastases_figure_keeps_its_expectation_and_probability(run_result) -> None:  # type: ignore[no-untyped-def]
    counts, prob = prun.metastases_figure(run_result, detached(prun.METASTASES_SIZE)).axes
    assert counts.get_ylabel() == "expected number of metastases"
    assert prob.get_ylabel() == "P(at least one)"
def _data_lines(ax: Axes) -> list:  # type: ignore[type-arg]
    """The lines of ``ax`` drawn in data coordinates on both axes."""
    return [ln for ln in ax.get_lines() if ln.get_transform() == ax.transData]


def test_observed_zeros_are_not_drawn_at_1e_12(fit_result) -> None:  # type: ignore[no-untyped-def]
    """SIOPEN 0 (ids 12, 13 of NB_IDS) was plotted at "observed 1e-12" on the log axes."""
    n_zero = sum(int(np.sum(fit_result.data[f.id].value == 0)) for f in fit_result.reported)
    assert n_zero > 0
    ax = pfit.plot_observed_vs_predicted(fit_result, detached_axes())
    for ln in _data_lines(ax):
        assert np.all(np.asarray(ln.get_xdata(), float) > 1e-12)
    edge = [ln for ln in ax.get_lines() if "observed 0" in str(ln.get_label())]
    assert sum(len(ln.get_ydata()) for ln in edge) == n_zero
    assert all(ln.get_transform() != ax.transData for ln in edge)  # on the axes' edge
    assert any("observed 0" in t.get_text() for t in ax.get_legend().get_texts())
    fig = pfit.fit_curves_figure(fit_result, ["12"], detached())
    marks = [ln for a in fig.axes for ln in a.get_lines() if "data = 0" in str(ln.get_label())]
    assert sum(len(ln.get_xdata()) for ln in marks) == int(np.sum(fit_result.data["12"].value == 0))
    for a in fig.axes:
        for ln in _data_lines(a):
            if ln.get_label() == "data":
                assert np.all(np.asarray(ln.get_ydata(), float) > 0)


def test_prediction_zeros_are_left_out_with_a_note(prediction) -> None:  # type: ignore[no-untyped-def]
    """The day-0 value 0 was drawn as a line starting at 1e-12."""
    sel = prediction.sel(observable="metastatic_burden_cells")
    assert float(sel["median"].values[0]) == 0.0
    ax = pfit.plot_prediction(prediction, "metastatic_burden_cells", detached_axes())
    for ln in _data_lines(ax):
        y = np.asarray(ln.get_ydata(), float)
        assert np.isnan(y[0]) and np.all(y[np.isfinite(y)] > 0)
    zeros = int(np.sum((sel["median"].values <= 0) | (sel["estimate"].values <= 0)))
    assert any(f"0 on {zeros} day(s): not drawn (log axis)" in t.get_text() for t in ax.texts)
    assert ax.get_ylim()[0] > 1e-12


def test_prediction_title_fits_the_figure(prediction) -> None:  # type: ignore[no-untyped-def]
    """A long --set list was cut at both edges ("reatment.resection_day=100, ...")."""
    ds = prediction.sel(observable=["metastatic_burden_cells"]).copy()
    ds.attrs = {**prediction.attrs, "overrides": [
        "treatment.resection_day=100", "treatment.resection_at_detection=false",
        "dissemination.gamma=0.8", "detection.screening_primary_cells=1e8"]}
    fig = detached(pfit._prediction_size(1))
    pfit.prediction_figure(ds, fig)
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()  # type: ignore[union-attr]
    whole = fig.bbox
    assert box.x0 >= whole.x0 and box.x1 <= whole.x1 and box.y1 <= whole.y1
    title = fig.get_suptitle()
    assert "\n" in title
    for o in ds.attrs["overrides"]:
        assert o in title.replace("\n", " ")
def test_burden_figure_marks_death_and_stops_its_axis_there() -> None:
    """neuroblastoma turns lethal on day 95 and its expected burden runs on to 2e53 cells: the
    figure draws the death line, shades what follows and ends its cell axis a little above the
    burden at death (it went up to 1e54)."""
    from metacascade.plotting.style import YEAR

    res = mc.simulate(mc.load_scenario("neuroblastoma"))
    death = res.summary["lethal_burden_day"]
    assert res.summary["metastatic_burden_cells_final"] > 1e50
    ax = prun.plot_burden(res, detached_axes())
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert lines["death (lethal burden)"].get_xdata()[0] == pytest.approx(death / YEAR)
    assert lines["lethal burden"].get_ydata()[0] == res.scenario.death.lethal_burden_cells
    shade = [p for p in ax.patches if p.get_label() == "after death (model continued)"]
    assert len(shade) == 1 and shade[0].get_x() == pytest.approx(death / YEAR)
    assert 5e12 < ax.get_ylim()[1] < 1e15


def test_burden_figure_of_a_run_of_one_size_warns_nothing() -> None:
    """A primary that starts at the detection size is resected on day 0: every positive value is
    1e9 cells. The limits are set before the log scale, so matplotlib has no singular range."""
    res = mc.simulate(mc.load_scenario("breast", ["primary.initial_cells=1e9"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = prun.plot_burden(res, detached_axes())
    assert ax.get_ylim() == pytest.approx((1.0, 5e9))
@pytest.mark.parametrize("mets", [["V402_BM"],  # the docs' worked example: one narrow panel
                                  [f"Patient{i:02d}_liver_met" for i in range(10)]])
def test_seeding_figure_titles_fit_the_figure(tmp_path, monkeypatch, mets) -> None:  # type: ignore[no-untyped-def]
    """The suptitle of predictive.png was wider than its figure ("s simulated statistics:
    metastases V402_BM (1 of 1 m"); every title of the saved seeding figures must fit."""
    rng = np.random.default_rng(5)
    n = len(mets)
    posterior = pd.DataFrame({"met": np.repeat(mets, 40), "model": "NN",
                              "weight": rng.uniform(0.5, 1.5, 40 * n),
                              "seeding_cells": 10 ** rng.normal(5.0, 0.7, 40 * n)})
    med = np.tile([40.0, 12, 3, 1, 30, 20, 10, 5, 2], n)
    predictive = pd.DataFrame({"met": np.repeat(mets, 9),
                               "statistic": [f"S{i}" for i in range(1, 10)] * n,
                               "observed": med * 1.1, "predictive_median": med,
                               "predictive_lower": med * 0.6, "predictive_upper": med * 1.6})
    seeding = pd.DataFrame({"met": mets, "model": "NN"})
    bad: list[tuple[str, str]] = []
    titles: list[str] = []
    saved = pseeding.save

    def check(fig: Figure, path: Path, dpi: int = 110) -> str:
        bad.extend((path.name, s) for s in _cut_labels(fig))  # lays the figure out
        title = fig.get_suptitle()
        if title:
            titles.append(title)
            ext = fig._suptitle.get_window_extent()  # type: ignore[union-attr]
            if ext.x0 < fig.bbox.x0 - 1 or ext.x1 > fig.bbox.x1 + 1 or ext.y1 > fig.bbox.y1 + 1:
                bad.append((path.name, title))
        return saved(fig, path, dpi)

    monkeypatch.setattr(pseeding, "save", check)
    names = pseeding.save_seeding_figures(posterior, predictive, tmp_path, 1e8, 4.77e9, seeding)
    assert names[:2] == ["seeding_posterior.png", "predictive.png"]
    assert not bad, bad
    shown = " ".join(titles).replace("\n", " ").replace("\u00a0", " ")
    assert all(m in shown for m in mets)  # wrapped, not shortened: every metastasis is named
    assert "(1 of 1 metastases)" in shown if n == 1 else f"of {n} metastases, page 1 of 2" in shown
