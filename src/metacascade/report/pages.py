"""``metacascade report DIR``: one self-contained HTML page for the output folder of any command.

The folder is read with :func:`metacascade.result.load` (the kind comes from its
``provenance.json``; nothing is unpickled or evaluated), and the page shows the kind's summary
tables, its figures drawn afresh from the loaded result by :mod:`metacascade.plotting` and embedded
as data URIs, the scenario and the provenance record. A claims folder gets the claims page (its
figures are the experiments' own files). A folder that is not a metacascade output is refused
with a :class:`~metacascade.errors.DataError` (exit code 2 on the command line).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metacascade._version import __version__
from metacascade.inference.result import FitResult
from metacascade.report.html import (
    EmbeddedFigure,
    embed_figure,
    env,
    fmt_number,
    now,
    render_claims_html,
)
from metacascade.result import (
    ClaimsResult,
    CohortResult,
    InjectionResult,
    PredictionResult,
    Result,
    SavedResult,
    SeedingResult,
    load,
)
from metacascade.result.cellscale import CellScaleResult
from metacascade.result.sequencing import SequencingResult
from metacascade.result.writer import write_output_file
from metacascade.scenario import Scenario, dump_toml

#: Most rows of a per-id or per-time table shown on a page (the folder's CSV has them all).
MAX_ROWS = 200

COHORT_ROWS = [
    ("n_patients", "patients simulated", "patients"),
    ("n_diagnosed", "patients diagnosed", "patients"),
    ("n_died_before_diagnosis", "died before diagnosis", "patients"),
    ("n_deaths", "deaths during follow-up", "patients"),
    ("death_fraction_metastasis", "died of metastasis", "fraction of patients"),
    ("death_fraction_primary", "died of the primary", "fraction of patients"),
    ("share_of_deaths_metastasis", "metastasis as cause of death", "fraction of deaths"),
    ("relapse_fraction", "relapsed", "fraction of patients"),
    ("metastatic_at_diagnosis_fraction", "metastatic at diagnosis", "fraction of patients"),
    ("median_relapse_free_days", "median relapse-free survival", "days"),
    ("median_overall_survival_days", "median overall survival", "days"),
    ("relapse_free_5y", "relapse-free at 5 years", "fraction"),
    ("relapse_free_10y", "relapse-free at 10 years", "fraction"),
    ("follow_up_days", "follow-up", "days"),
]
INJECTION_ROWS = [
    ("route", "injection route", ""),
    ("cells", "cells injected", "cells"),
    ("days", "follow-up", "days"),
    ("overall_efficiency", "macroscopic tumours per injected cell (simulated)", ""),
    ("overall_efficiency_expected", "the same, exact expectation of the chain", ""),
    ("eventual_efficiency_expected", "eventual efficiency (t -> infinity), exact", ""),
]


@dataclass
class Table:
    """A table of the page: cells are already text; ``numeric`` right-aligns columns."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)
    note: str = ""

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] * len(self.columns)


@dataclass
class Page:
    """What one kind shows: a short description, tables and how to draw its figures."""

    what: str
    tables: list[Table]
    draw: Callable[[Path], list[str]] | None = None
    figure_note: str = ""


def _rows(summary: dict[str, Any], spec: Sequence[tuple[str, str, str]],
          missing: str = "never") -> list[list[str]]:
    return [[label, fmt_number(summary.get(key), missing=missing), unit]
            for key, label, unit in spec if key in summary]


def _summary_table(rows: list[list[str]], title: str = "Summary") -> Table:
    return Table("summary", title, ["quantity", "value", "unit"], rows, [False, True, False])


def _frame_table(df: Any, tid: str, title: str, note: str = "") -> Table:
    """A DataFrame as a table (at most :data:`MAX_ROWS` rows, numbers formatted)."""
    shown_df = df.head(MAX_ROWS)
    if len(df) > MAX_ROWS:
        note = (note + " " if note else "") + f"The first {MAX_ROWS} of {len(df):,} rows."
    cols = [str(c) for c in df.columns]
    numeric = [np.issubdtype(df[c].dtype, np.number) and df[c].dtype != bool for c in df.columns]
    rows = [[fmt_number(_py(v), missing="") for v in r] for r in shown_df.itertuples(index=False)]
    return Table(tid, title, cols, rows, numeric, note)


def _py(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def _run_page(r: Result) -> Page:
    summary = _summary_table([[row.label, fmt_number(row.value, missing="never"), row.unit_note]
                              for row in r.summary_rows()])
    summary.note = r.death_note()
    return Page("One simulated patient (metacascade run)",
                [summary,
                 _frame_table(r.events(), "events", "Key events",
                              "Values the engine computed at each event (events.csv); an empty "
                              "day: the event never happens in the simulated time.")],
                lambda d: _save("run", r, d))


def _cellscale_page(r: CellScaleResult) -> Page:
    page = _run_page(r)
    assert r.metastases is not None and r.clones is not None
    page.what = "One stochastic cell-scale patient (metacascade run --engine stochastic)"
    page.tables.append(_frame_table(r.metastases, "metastases", "Metastases",
                                    "One row per metastasis (metastases.csv)."))
    n_mut = int(r.clones["n_mutations"].sum())
    page.tables.append(_summary_table([["clones", fmt_number(len(r.clones)), "clones"],
                                       ["mutations recorded", fmt_number(n_mut), "mutations"],
                                       ["cells in the genealogy",
                                        fmt_number(r.genealogy.num_samples
                                                   if r.genealogy is not None else 0), "cells"]],
                                      "Clones and genealogy"))
    page.tables[-1].id = "clones"
    page.draw = lambda d: _save("run", r, d) + _save("stochastic", r, d)
    return page


def _sequencing_page(q: SequencingResult) -> Page:
    design = q.design
    rows = [["regions", ", ".join(f"{k}:{v}" for k, v in design["regions"].items()), ""],
            ["mean depth", fmt_number(design["depth"], missing="infinite"), "reads"],
            ["purity", fmt_number(design["purity"]), ""],
            ["mutations sequenced", fmt_number(q.reads["mutation_id"].nunique()), "mutations"],
            ["sequenced run", str(design.get("source", "")), ""]]
    for site, t in q.tails.items():
        rows.append([f"neutral tail slope, {site} (R^2 {fmt_number(t.get('r2'))})",
                     fmt_number(t.get("slope")), "mutations"])
    return Page("Virtual multi-region sequencing (metacascade sequence)",
                [_summary_table(rows, "Design"),
                 _frame_table(q.statistics, "statistics", "Summary statistics",
                              "One row per sequenced metastasis against the primary "
                              "(summary_statistics.tsv).")],
                lambda d: _save("sequencing", q, d))


def _cohort_page(c: CohortResult) -> Page:
    rows = _rows(c.summary, COHORT_ROWS, missing="not reached")
    for organ, n in (c.summary.get("metastatic_deaths_by_organ") or {}).items():
        rows.append([f"metastatic deaths from {organ}", fmt_number(n), "patients"])
    var = Table("variability", "Inter-patient variability",
                ["scenario value", "log-normal sigma"],
                [[k, fmt_number(v)] for k, v in c.variability.items()], [False, True],
                "" if c.variability else "None: the patients differ only by chance.")
    return Page(f"A virtual cohort of {len(c.patients):,} patients (metacascade cohort)",
                [_summary_table(rows), var,
                 _frame_table(c.patients, "patients", "Patients",
                              "One row per patient (patients.csv).")],
                lambda d: _save("cohort", c, d))


def _injection_page(i: InjectionResult) -> Page:
    s = i.summary
    final = s.get("final_fractions") or {}
    exact = s.get("expected_final_fractions") or {}
    fates = Table("fates", "Fates at the end", ["state", "simulated fraction",
                                                "expected fraction (exact)"],
                  [[k.replace("_", " "), fmt_number(v), fmt_number(exact.get(k))]
                   for k, v in final.items()], [False, True, True])
    return Page("The fates of injected cells (metacascade cascade inject)",
                [_summary_table(_rows(s, INJECTION_ROWS, missing="n/a")), fates,
                 _frame_table(i.fates, "fates_over_time", "Fates over time",
                              "Fraction of the injected cells in each state (fates.csv).")],
                lambda d: _save("injection", i, d))


def _fit_page(f: FitResult) -> Page:
    gof = f.goodness_of_fit()
    rows = [["ids fitted", fmt_number(gof["n_ids"]), ""],
            ["fits converged", fmt_number(gof["n_converged"]), ""],
            ["observations", fmt_number(gof["n_observations"]), ""],
            ["parameters", fmt_number(gof["n_parameters"]), ""],
            ["total log-likelihood", fmt_number(gof["total_loglik"]), ""],
            ["AIC", fmt_number(gof["aic"]), ""], ["BIC", fmt_number(gof["bic"]), ""],
            ["fitted keys", ", ".join(f.keys), ""],
            ["interval", f"{f.settings.interval} ({fmt_number(f.settings.level)})", ""]]
    tables = [_summary_table(rows, "Goodness of fit")]
    if f.population is not None:
        pop = f.population.to_dict()
        tables.append(Table("population", f"Population ({pop['method']})",
                            ["key", "typical value", "omega (log sd)", "two-stage typical",
                             "two-stage omega"],
                            [[k, fmt_number(v["typical_value"]), fmt_number(v["omega_log_sd"]),
                              fmt_number(v["two_stage_typical_value"]),
                              fmt_number(v["two_stage_omega_log_sd"])]
                             for k, v in pop["parameters"].items()],
                            [False, True, True, True, True]))
    tables.append(_frame_table(f.estimates(), "estimates", "Estimates",
                               "One row per id (estimates.csv): empirical Bayes estimates of a "
                               "population fit, else the individual maximum-likelihood fits."))
    note = "" if f.data is not None else ("This fit folder holds no data (written by an older "
                                          "metacascade): rerun `metacascade fit` to draw the "
                                          "fitted curves.")
    return Page("Parameters fitted to measurements (metacascade fit)", tables,
                lambda d: _save("fit", f, d), note)


def _prediction_page(p: PredictionResult) -> Page:
    a = p.dataset.attrs
    rows = [["id", str(a.get("id", "")), ""], ["fit folder", p.fit, ""],
            ["band level", fmt_number(a.get("level")), ""],
            ["parameter draws", fmt_number(a.get("n_samples")), ""],
            ["times from", str(a.get("times_from", "")), ""],
            ["first day past the lethal burden", fmt_number(a.get("first_day_past_lethal_burden"),
                                                            missing="never"), "day"]]
    tables = [_summary_table(rows)]
    if a.get("note"):
        tables[0].note = str(a["note"])
    tables.append(_frame_table(p.to_dataframe(), "prediction", "Prediction",
                               "One row per observable and day (prediction.csv)."))
    return Page("What comes next for a fitted id (metacascade predict)", tables,
                lambda d: _save("prediction", p, d))


def _seeding_page(r: SeedingResult) -> Page:
    pts = r.early_patients()
    d = r.diagnostics
    n_early = int(d["early_q3_rule"].sum()) if "early_q3_rule" in d.columns else 0
    s = r.settings
    rows = [["metastases", fmt_number(len(r.seeding)), ""],
            ["seeded early (posterior Q3 below the detection size)",
             f"{n_early} of {len(r.seeding)}", "metastases"],
            ["patients with an early-seeded metastasis",
             f"{int(pts['early'].sum())} of {len(pts)}", "patients"],
            ["detection size (early means seeded below it)", fmt_number(r.detection_cells),
             "cells"],
            ["size at diagnosis", fmt_number(r.diagnosis_cells), "cells"],
            ["timing law", r.timing, ""], ["data", r.data, ""],
            ["cancer type or scenario", r.cancer_type, ""],
            ["models compared", ", ".join(map(str, s.get("models") or [])), ""],
            ["mutation rate", fmt_number(s.get("mutation_rate"), missing="inferred"),
             "per daughter cell per division"],
            ["particles per generation", fmt_number(s.get("population_size")), ""],
            ["posterior particles", fmt_number(len(r.posterior)), ""]]
    return Page("When each metastasis was seeded (metacascade infer-seeding)",
                [_summary_table(rows),
                 _frame_table(r.seeding, "seeding", "Seeding per metastasis",
                              "seeding.csv: median and quartiles of log10 seeding cells, median "
                              "and 95 % interval of years before diagnosis, P(early), model."),
                 _frame_table(r.diagnostics, "diagnostics", "Diagnostics",
                              "diagnostics.csv: model probabilities, the analytic first guess, "
                              "the SMC's generations, simulations, tolerance and stop reason."),
                 _frame_table(pts, "patients", "Patients",
                              "A patient seeded early when one of its metastases did.")],
                lambda dd: _save("seeding", r, dd))


def _save(kind: str, result: Any, folder: Path) -> list[str]:
    """Draw the figures of ``result`` with :mod:`metacascade.plotting` into ``folder``."""
    if kind == "run":
        from metacascade.plotting.run import save_run_figures

        return save_run_figures(result, folder)
    if kind == "stochastic":
        from metacascade.plotting.cellscale import save_cellscale_figures

        return save_cellscale_figures(result, folder)
    if kind == "sequencing":
        from metacascade.plotting.cellscale import save_sequencing_figures

        return save_sequencing_figures(result, folder)
    if kind == "cohort":
        from metacascade.plotting.cohort import save_cohort_figures

        return save_cohort_figures(result, folder)
    if kind == "injection":
        from metacascade.plotting.injection import save_injection_figures

        return save_injection_figures(result, folder)
    if kind == "fit":
        from metacascade.plotting.fit import save_fit_figures

        return save_fit_figures(result, folder, seed=result.settings.seed)
    if kind == "seeding":
        from metacascade.plotting.seeding import save_seeding_figures

        return save_seeding_figures(result.posterior, result.predictive, folder,
                                    result.detection_cells, result.diagnosis_cells,
                                    result.seeding)
    from metacascade.plotting.fit import save_prediction_figures

    return save_prediction_figures(result.dataset, folder)


PAGES: dict[type[Any], Callable[[Any], Page]] = {
    Result: _run_page, CohortResult: _cohort_page, InjectionResult: _injection_page,
    FitResult: _fit_page, PredictionResult: _prediction_page, SeedingResult: _seeding_page,
    CellScaleResult: _cellscale_page, SequencingResult: _sequencing_page,
}


def _figures(page: Page) -> tuple[list[EmbeddedFigure], str]:
    """Draw the page's figures into a temporary folder and embed them; a figure that cannot be
    drawn becomes a placeholder naming the problem (a report never breaks on a figure)."""
    if page.draw is None:
        return [], page.figure_note
    with tempfile.TemporaryDirectory(prefix="metacascade-report-") as tmp:
        try:
            names = page.draw(Path(tmp))
        except Exception as exc:  # a figure problem must not lose the rest of the report
            return [EmbeddedFigure("figures", None, problem=f"could not be drawn: "
                                   f"{type(exc).__name__}: {exc}")], page.figure_note
        return [embed_figure(Path(tmp) / n) for n in names], page.figure_note


def _provenance_rows(result: SavedResult, folder: Path) -> list[tuple[str, str]]:
    prov = result.provenance
    rows = [("kind", prov.kind), ("metacascade version", prov.version),
            ("created", prov.created or "?"),
            ("command", " ".join(prov.command) if prov.command
             else "(not recorded: written before provenance.json existed)"),
            ("seed", "none" if prov.seed is None else str(prov.seed)),
            ("scenario", prov.scenario_name or "none")]
    rows += [(k, fmt_number(v) if not isinstance(v, list | dict) else str(v))
             for k, v in prov.extra.items()]
    rows += [("folder", str(folder)), ("report generated", now()),
             ("report version", __version__)]
    return rows


def render_report(directory: str | Path) -> str:
    """The HTML report of the output folder ``directory`` of any metacascade command."""
    folder = Path(directory)
    result = load(folder)
    if isinstance(result, ClaimsResult):
        return render_claims_html(result.document, folder)
    page = PAGES[type(result)](result)
    figures, note = _figures(page)
    prov = result.provenance
    scenario: Scenario | None = prov.scenario or getattr(result, "scenario", None)
    return env().get_template("result.html.j2").render(
        kind=prov.kind, name=prov.scenario_name or folder.name, what=page.what,
        description=scenario.description if scenario is not None else "",
        references=list(scenario.references) if scenario is not None else [],
        version=prov.version, seed="none" if prov.seed is None else prov.seed,
        created=prov.created or "?", folder=str(folder), tables=page.tables, figures=figures,
        figure_note=note, scenario_toml=dump_toml(scenario) if scenario is not None else "",
        provenance=_provenance_rows(result, folder), generated=now())


def write_report(directory: str | Path, out: str | Path | None = None, *,
                 force: bool = False) -> Path:
    """Write the report of ``directory`` to ``out`` (default ``directory/report.html``),
    atomically; an existing file is replaced only when it is a metacascade report (or
    ``force``). Returns the path."""
    target = Path(out) if out is not None else Path(directory) / "report.html"
    return write_output_file(target, render_report(directory), force=force)


__all__ = ["MAX_ROWS", "render_report", "write_report"]
