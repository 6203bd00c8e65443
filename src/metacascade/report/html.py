"""Render the HTML reports (the claims page here; the page of any output folder in
:mod:`metacascade.report.pages`): one self-contained file each (figures as base64 PNG, inline CSS, no
scripts, fonts or anything else fetched from the network), readable on a laptop and a phone.

A missing or unreadable figure never breaks a report: it is shown as a visible placeholder naming
the file and the problem.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from metacascade.result import jsonio
from metacascade.result.provenance import now
from metacascade.result.writer import write_output_file

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


def env() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (autoescaped, strict undefined)."""
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
                  "holds_for": jsonio.dumps(x.get("holds_for", []), indent=None), "source": x.get("source", ""),
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
    return env().get_template("claims.html.j2").render(
        claims=claims, counts=[(s, n) for s, n in counts if n], meaning=STATUS_MEANING,
        version=doc.get("version", "?"), seed=doc.get("seed", "?"),
        quick=bool(doc.get("quick")), created=doc.get("created", "?"),
        seconds=doc.get("seconds"), generated=now())


def write_claims_html(doc: dict[str, Any], figure_dir: str | Path,
                      out: str | Path | None = None) -> Path:
    """Write ``claims.html`` (atomically) next to the figures unless ``out`` is given; an existing
    file is replaced only when it is a metacascade report."""
    target = Path(out) if out is not None else Path(figure_dir) / "claims.html"
    write_output_file(target, render_claims_html(doc, figure_dir))
    return target
