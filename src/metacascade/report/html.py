"""Render the HTML reports: one self-contained file each (figures as base64 PNG, inline CSS, no
scripts, fonts or anything else fetched from the network), readable on a laptop and a phone.

A missing or unreadable figure never breaks a report: it is shown as a visible placeholder naming
the file and the problem.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from metacascade._version import __version__
from metacascade.errors import DataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_FIGURE_BYTES = 20_000_000


@dataclass(frozen=True)
class EmbeddedFigure:
    """A figure ready for the template: a data URI, or the reason it could not be embedded."""

    name: str
    data_uri: str | None
    width: int = 0
    height: int = 0
    problem: str = ""


def embed_figure(path: str | Path) -> EmbeddedFigure:
    """Read a PNG and return it as a base64 data URI, checking that it decodes."""
    p = Path(path)
    name = p.name
    if not p.is_file():
        return EmbeddedFigure(name, None, problem="file not found")
    try:
        data = p.read_bytes()
        if len(data) > MAX_FIGURE_BYTES:
            return EmbeddedFigure(name, None, problem="file too large to embed")
        if not data.startswith(PNG_SIGNATURE):
            return EmbeddedFigure(name, None, problem="not a PNG image")
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            im.load()  # fully decode: a truncated file fails here
            width, height = im.size
    except Exception as exc:
        return EmbeddedFigure(name, None, problem=f"unreadable image ({type(exc).__name__})")
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return EmbeddedFigure(name, uri, width, height)


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("metacascade.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def fmt_number(x: Any, missing: str = "n/a") -> str:
    """Numbers for people: 4 significant digits, scientific notation for very large or small."""
    if x is None:
        return missing
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}" if abs(x) < 10**6 else f"{x:.3e}"
    if isinstance(x, float):
        if not math.isfinite(x):
            return "n/a"
        if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
            return f"{x:.3e}"
        return f"{x:.4g}"
    return str(x)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


STATUS_ORDER = ("reproduced", "not reproduced", "illustrated", "error", "not yet modelled")
#: What each status means, shown in the legend of the claims page.
STATUS_MEANING = {
    "reproduced": "every validation target (a published number no parameter was set from) is "
                  "predicted within its stated tolerance, and every check passes",
    "not reproduced": "a validation target is missed, or a check fails",
    "illustrated": "the mechanism is modelled and behaves as stated, but no independent number "
                   "tests it yet (true by construction or by calibration only)",
    "error": "the experiment failed to run",
    "not yet modelled": "no mechanism in metacascade covers the statement",
}


def _pass(passed: Any) -> str:
    return "pass" if passed else "FAIL"


def _rule(tol: Any) -> tuple[str, str]:
    """(rule, why) of a tolerance entry of ``claims.json``."""
    if isinstance(tol, dict):
        return str(tol.get("rule") or tol.get("text") or ""), str(tol.get("why") or "")
    return str(tol or ""), ""


def _claim_rows(c: dict[str, Any]) -> dict[str, Any]:
    """The tables of one claim: validation, checks, calibration, other measured numbers."""
    measured = c.get("measured") or {}
    validation = c.get("validation") or {}
    checks = c.get("checks") or {}
    calibration = c.get("calibration") or {}
    val_rows = []
    for k, t in validation.items():
        rule, why = _rule(t.get("tolerance"))
        val_rows.append({"name": k, "measured": fmt_number(t.get("measured")),
                         "target": fmt_number(t.get("target")), "rule": rule, "why": why,
                         "passed": _pass(t.get("passed")), "source": t.get("source", ""),
                         "note": t.get("note", ""), "model": t.get("model", "")})
    chk_rows = []
    for k, x in checks.items():
        rule, why = _rule(x.get("tolerance"))
        chk_rows.append({"name": k, "measured": fmt_number(x.get("measured")),
                         "rule": rule, "why": why, "passed": _pass(x.get("passed")),
                         "note": x.get("note", "")})
    cal_rows = [{"name": k, "value": fmt_number(x.get("value")),
                 "model": fmt_number(x.get("model"), missing=""), "how": x.get("how", ""),
                 "chosen": x.get("how") == "chosen", "sets": x.get("sets", ""),
                 "source": x.get("source", ""), "note": x.get("note", ""),
                 "scope": x.get("scope", "")} for k, x in calibration.items()]
    sens_rows = [{"name": k, "range": ", ".join(fmt_number(r) for r in x.get("range", [])),
                  "holds_for": json.dumps(x.get("holds_for", [])), "source": x.get("source", ""),
                  "flips": "yes" if x.get("verdict_flips") else "no"}
                 for k, x in (c.get("sensitivity") or {}).items()]
    compared = set(validation) | set(checks)
    legacy = []  # a claims.json without validation/checks (schema 1): targets and tolerances
    if not compared:
        targets, tols = c.get("targets") or {}, c.get("tolerances") or {}
        legacy = [{"name": k, "measured": fmt_number(measured.get(k)),
                   "target": fmt_number(t), "tolerance": tols.get(k, "")}
                  for k, t in targets.items()]
        compared = set(targets)
    other = [{"name": k, "measured": fmt_number(x)} for k, x in measured.items()
             if k not in compared]
    head = [f"{r['name']} = {r['measured']} ({r['rule']}): {r['passed']}" for r in val_rows]
    if chk_rows:
        n_ok = sum(r["passed"] == "pass" for r in chk_rows)
        head.append(f"checks {n_ok}/{len(chk_rows)} pass")
    if not val_rows and (chk_rows or cal_rows):
        head.insert(0, "no validation target")
    if legacy:
        head = [f"{r['name']} = {r['measured']} (target {r['target']})" for r in legacy]
    return {"validation": val_rows, "checks": chk_rows, "calibration": cal_rows,
            "sensitivity": sens_rows, "other": other, "legacy": legacy,
            "headline": "; ".join(head)}


def render_claims_html(doc: dict[str, Any], figure_dir: str | Path) -> str:
    """The claims report from a ``claims.json`` document; figures are read from ``figure_dir``."""
    fdir = Path(figure_dir)
    claims = []
    for c in doc.get("claims", []):
        claims.append({
            "id": c.get("id", "?"),
            "status": c.get("status", "error"),
            "statement": c.get("statement", ""),
            "summary": c.get("summary", ""),
            "experiment": c.get("experiment", ""),
            "seconds": c.get("seconds") or 0.0,
            "sources": c.get("sources") or [],
            "quick_undecided": bool(c.get("quick_undecided")),
            "quick_reason": c.get("quick_reason", ""),
            **_claim_rows(c),
            "figures": [embed_figure(fdir / Path(f).name) for f in (c.get("figures") or [])],
        })
    counts = [(s, sum(1 for c in claims if c["status"] == s)) for s in STATUS_ORDER]
    return _env().get_template("claims.html.j2").render(
        claims=claims, counts=[(s, n) for s, n in counts if n], meaning=STATUS_MEANING,
        version=doc.get("version", "?"), seed=doc.get("seed", "?"),
        quick=bool(doc.get("quick")), created=doc.get("created", "?"),
        seconds=doc.get("seconds"), generated=_now())


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_claims_html(doc: dict[str, Any], figure_dir: str | Path,
                      out: str | Path | None = None) -> Path:
    """Write ``claims.html`` (atomically) next to the figures unless ``out`` is given."""
    target = Path(out) if out is not None else Path(figure_dir) / "claims.html"
    return atomic_write_text(target, render_claims_html(doc, figure_dir))


# ---- the report of one ``metacascade run`` folder ------------------------------------------

SUMMARY_ROWS = [
    ("detection_day", "diagnosis (primary reaches detection size)", "day"),
    ("first_metastasis_day", "first metastasis expected (N = 1)", "day"),
    ("half_probability_day", "P(at least one metastasis) = 0.5", "day"),
    ("lead_time_days", "seeding precedes diagnosis by", "days"),
    ("lead_time_years", "seeding precedes diagnosis by", "years"),
    ("resection_day", "resection of the primary", "day"),
    ("n_metastases_at_detection", "metastases at diagnosis, N", "metastases"),
    ("p_any_metastasis_at_detection", "P(at least one) at diagnosis", ""),
    ("n_visible_at_detection", "visible metastases at diagnosis", "metastases"),
    ("burden_at_detection_cells", "metastatic burden at diagnosis", "cells"),
    ("first_visible_metastasis_day", "first visible metastasis (relapse)", "day"),
    ("n_metastases_final", "metastases at the end", "metastases"),
    ("metastatic_burden_cells_final", "metastatic burden at the end", "cells"),
]


def _run_figures(folder: Path) -> list[str]:
    listed = folder / "figures.json"
    if listed.is_file():
        try:
            names = json.loads(listed.read_text())
            if isinstance(names, list):
                return [str(n) for n in names]
        except (ValueError, OSError):
            pass
    return sorted(p.name for p in folder.glob("*.png"))


def render_run_html(run_dir: str | Path) -> str:
    """The report of one ``metacascade run`` output folder (summary.json, scenario.toml, figures)."""
    folder = Path(run_dir)
    summary_file = folder / "summary.json"
    if not folder.is_dir():
        raise DataError(f"RUN_DIR {str(folder)!r}: no such folder")
    if not summary_file.is_file():
        raise DataError(f"RUN_DIR {str(folder)!r}: not a metacascade run folder "
                        "(summary.json is missing; create one with `metacascade run`)")
    try:
        summary = json.loads(summary_file.read_text())
    except ValueError as exc:
        raise DataError(f"{summary_file}: not valid JSON ({exc})") from exc
    if not isinstance(summary, dict):
        raise DataError(f"{summary_file}: expected a JSON object")
    scenario = summary.get("scenario") or {}
    toml_file = folder / "scenario.toml"
    scenario_toml = toml_file.read_text() if toml_file.is_file() else "(scenario.toml missing)"
    rows = [{"label": label, "value": fmt_number(summary.get(key), missing="never"), "unit": unit}
            for key, label, unit in SUMMARY_ROWS if key in summary]
    figures = [embed_figure(folder / Path(n).name) for n in _run_figures(folder)]
    provenance = [
        ("metacascade version", summary.get("version", "?")),
        ("seed", summary.get("seed", "?")),
        ("simulated", summary.get("created", "?")),
        ("scenario", summary.get("scenario_name", scenario.get("name", "?"))),
        ("report generated", _now()),
        ("report version", __version__),
    ]
    return _env().get_template("run.html.j2").render(
        name=summary.get("scenario_name", scenario.get("name", folder.name)),
        description=scenario.get("description", ""),
        references=scenario.get("references") or [],
        version=summary.get("version", __version__), seed=summary.get("seed", "?"),
        created=summary.get("created", "?"), folder=str(folder), summary=rows, figures=figures,
        scenario_toml=scenario_toml, provenance=provenance, generated=_now())


def write_run_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` into the run folder (or ``out``), atomically; returns its path."""
    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    return atomic_write_text(target, render_run_html(run_dir))
