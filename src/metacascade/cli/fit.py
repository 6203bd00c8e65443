"""``metacascade fit`` and ``metacascade predict``: thin shells over :mod:`metacascade.inference`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from metacascade.cli._common import (
    choice,
    console,
    err_console,
    finite,
    force_option,
    loaded,
    one_line,
    out_folder,
    out_option,
    seed_option,
    workers_option,
)
from metacascade.errors import ScenarioError

if TYPE_CHECKING:
    from metacascade.inference.result import FitResult

#: Upper bounds where the memory need is obvious (the inference API checks its own estimates).
BOOTSTRAP_MAX = 100_000
SAMPLES_MAX = 100_000
#: Rows of the terminal table of ``metacascade fit`` (estimates.csv has every id).
TABLE_ROWS = 20


@contextmanager
def warnings_as_lines() -> Iterator[None]:
    """The inference API's :class:`IdentifiabilityWarning` (and other ``UserWarning``) as one clean
    ``warning: ...`` line each on stderr, instead of Python's ``file:line: Category: ...`` and the
    source line (which looks like a traceback). The API itself keeps raising the warning class."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            yield
    finally:
        seen: set[str] = set()
        for w in caught:
            if not issubclass(w.category, UserWarning):  # others as Python shows them
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            text = one_line(f"warning: {w.message}")
            if text not in seen:
                seen.add(text)
                err_console.print(Text(text, style="yellow"))


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for it in items:
        k, sep, v = it.partition("=")
        if not sep or not k.strip() or not v.strip():
            raise ScenarioError(f"{what} {it!r}: expected name=value")
        out[k.strip()] = v.strip()
    return out


def _bounds(items: list[str]) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for k, v in _pairs(items, "--bounds").items():
        try:
            lo, hi = (float(x) for x in v.split(":"))
        except ValueError:
            raise ScenarioError(f"--bounds {k}={v!r}: expected lower:upper, e.g. "
                                "dissemination.mu=1e-12:10") from None
        out[k] = (lo, hi)
    return out


def _fmt(x: float) -> str:
    return "open" if not math.isfinite(x) else f"{x:.4g}"


def estimates_table(res: FitResult, level: float, max_rows: int = TABLE_ROWS) -> Table:
    """The terminal table of ``metacascade fit``: the first ``max_rows`` ids (the caption says how
    many of how many are shown), their estimates and intervals, log-likelihood and whether the fit
    converged (a row that did not is marked: its numbers are not estimates)."""
    rows = res.reported
    shown_rows = rows[:max_rows]
    caption = (f"{len(shown_rows)} of {len(rows)} ids shown; every id is in estimates.csv"
               if len(shown_rows) < len(rows) else None)
    table = Table(title=f"metacascade fit: {res.scenario.name} ({len(rows)} ids)",
                  caption=caption)
    table.add_column("id")
    for k in res.keys:
        table.add_column(f"{k} [{int(level * 100)} % CI]", justify="right")
    table.add_column("loglik", justify="right")
    table.add_column("converged")
    for f in shown_rows:
        # a fit without a maximum: its numbers are where the optimiser stopped, not estimates
        style = None if f.converged else "yellow"
        table.add_row(f.id, *[f"{_fmt(f.estimate[j])} [{_fmt(f.lower[j])}, {_fmt(f.upper[j])}]"
                              for j in range(len(res.keys))], f"{f.loglik:.3f}",
                      "yes" if f.converged else "no", style=style)
    return table


def fit(
    data: Path = typer.Argument(..., help="Long-format CSV: id,time,observable,value[,censored,"
                                "covariates...]; see docs/fitting.md."),
    scenario: str = typer.Option("neuroblastoma", "--scenario", help="Built-in name or TOML."),
    fit_keys: str = typer.Option(..., "--fit", help="Comma-separated keys to fit, e.g. "
                                 "dissemination.mu,detection.visible_diameter_mm."),
    out: Path = out_option(..., "Output folder (written atomically)."),
    population: bool = typer.Option(False, "--population", help="Also fit a population model "
                                    "(SAEM, log-normal random effects); estimates.csv then holds "
                                    "the empirical Bayes estimates."),
    set_: list[str] = typer.Option([], "--set", help="Scenario override dotted.key=value."),
    error: list[str] = typer.Option([], "--error", help="Error model per observable, e.g. "
                                    "n_visible=proportional:0.1, primary_cells=combined:1e6,0.1."),
    default_error: str = typer.Option("proportional:0.1", "--default-error",
                                      help="Error model of the other observables."),
    bounds: list[str] = typer.Option([], "--bounds", help="Search bounds key=lower:upper."),
    phi: float | None = typer.Option(None, "--phi", callback=finite(0.0, lo_open=True),
                                     help="Marker units per cell of burden_marker "
                                          "[1e-9, Benzekry 2021 LDH]."),
    interval: str = typer.Option("profile", "--interval",
                                 callback=choice("profile", "bootstrap", "none"),
                                 help="profile | bootstrap | none."),
    level: float = typer.Option(0.95, "--level", callback=finite(0.0, 1.0, lo_open=True,
                                                                  hi_open=True),
                                help="Interval level (0 < level < 1)."),
    n_bootstrap: int = typer.Option(200, "--n-bootstrap", min=1, max=BOOTSTRAP_MAX,
                                    help="Bootstrap replicates."),
    ids: str | None = typer.Option(None, "--ids", help="Only these ids (comma-separated)."),
    seed: int = seed_option(0, "Seed of the Sobol design, bootstrap and SAEM."),
    workers: int = workers_option(1, "Processes for the per-id fits."),
    engine: str = typer.Option("auto", "--engine", callback=choice("auto", "exact", "organism"),
                               help="auto | exact | organism."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write PNG figures."),
    force: bool = force_option(),
) -> None:
    """Fit scenario parameters to measurements by maximum likelihood, per id (and population)."""
    from metacascade.inference.api import fit as run_fit

    loaded()
    target = out_folder(out, "fit", force, inputs=[data, scenario])
    with warnings_as_lines():
        res = run_fit(data, scenario, fit_keys, overrides=set_,
                      error=dict(_pairs(error, "--error")), default_error=default_error,
                      bounds=_bounds(bounds), phi=phi, interval=interval, level=level,
                      n_bootstrap=n_bootstrap, population=population,
                      ids=[i.strip() for i in ids.split(",")] if ids else None, seed=seed,
                      workers=workers, engine=engine)
    from metacascade.plotting.fit import save_fit_figures

    with res.saving(target) as tmp:
        names = save_fit_figures(res, tmp) if figures else []
    console.print(estimates_table(res, level))
    rows = res.reported
    gof = res.goodness_of_fit()
    console.print(f"{gof['n_converged']}/{gof['n_ids']} fits converged; total log-likelihood "
                  f"{gof['total_loglik']:.4g}, AIC {gof['aic']:.4g}")
    bad = [f.id for f in rows if not f.converged]
    if bad:
        console.print(Text(f"not converged (no maximum; the values are not estimates): ids "
                           f"{', '.join(bad)}", style="yellow"))
    if res.population is not None:
        pop = res.population.to_dict()
        for k, v in pop["parameters"].items():
            console.print(f"population ({pop['method']}): {k} typical value "
                          f"{v['typical_value']:.4g}, omega (log sd) {v['omega_log_sd']:.3g} "
                          f"[two-stage {v['two_stage_typical_value']:.4g}, "
                          f"{v['two_stage_omega_log_sd']:.3g}]")
    nwarn = sum(bool(f.warnings) for f in rows)
    if nwarn:
        console.print(Text(f"{nwarn} id(s) with identifiability warnings (see the 'warnings' "
                           "column of estimates.csv)", style="yellow"))
    files = [*res.file_names, "provenance.json", *names]
    console.print(f"results written to {target.given} ({', '.join(files)})")


def predict(
    fit_dir: Path = typer.Argument(..., help="Folder written by 'metacascade fit'."),
    id_: str = typer.Option(..., "--id", help="Which id to predict."),
    times: str | None = typer.Option(None, "--times", help="start:stop:step or a list of days "
                                     "[from the id's last observation, 365 days, step 5]."),
    observable: list[str] = typer.Option([], "--observable",
                                         help="Observable(s) to predict [metastatic_burden_cells,"
                                              " n_visible, primary_cells: as mc.predict]."),
    set_: list[str] = typer.Option([], "--set", help="Scenario change, e.g. "
                                   "treatment.resection_day=120."),
    n_samples: int = typer.Option(200, "--n-samples", min=1, max=SAMPLES_MAX,
                                  help="Parameter draws."),
    level: float = typer.Option(0.95, "--level", callback=finite(0.0, 1.0, lo_open=True,
                                                                  hi_open=True),
                                help="Band level (0 < level < 1)."),
    seed: int = seed_option(0, "Seed of the parameter draws."),
    out: Path = out_option(..., "Output folder (written atomically)."),
    allow_unconverged: bool = typer.Option(False, "--allow-unconverged",
                                           help="Predict an id whose fit did not converge "
                                                "(its values are not estimates), with a warning."),
    force: bool = force_option(),
) -> None:
    """Predict what comes next for a fitted id, with uncertainty bands (organism engine)."""
    from metacascade.inference.predict import (
        DEFAULT_OBSERVABLES,
        parse_times,
        prediction_scenario,
    )
    from metacascade.inference.predict import predict as run_predict
    from metacascade.inference.result import load_fit
    from metacascade.plotting.fit import save_prediction_figures
    from metacascade.result.prediction import PredictionResult

    loaded()
    target = out_folder(out, "prediction", force, inputs=[fit_dir])
    fitted = load_fit(fit_dir)
    t = parse_times(times)
    with warnings_as_lines():
        ds = run_predict(fitted, id_, t, observable or DEFAULT_OBSERVABLES, set_, n_samples,
                         level, seed, allow_unconverged=allow_unconverged)
    # the scenario the point estimate was simulated with: the id's data values and fitted
    # values, the --set changes and the simulated duration (not the fit's starting scenario)
    scenario = prediction_scenario(fitted, id_, t, set_)
    res = PredictionResult(dataset=ds, scenario=scenario, fit=str(fit_dir), seed=seed)
    with res.saving(target) as tmp:
        save_prediction_figures(res.dataset, tmp)
    console.print(f"prediction for id {id_} written to {target.given} (prediction.csv, "
                  "prediction.json, prediction.zarr, prediction.png, provenance.json)")
