"""Self-contained HTML reports (Jinja2 templates): the claims verdicts and one ``run`` folder."""

from metacascade.report.html import (
    embed_figure,
    render_claims_html,
    render_run_html,
    write_claims_html,
    write_run_report,
)

__all__ = [
    "embed_figure",
    "render_claims_html",
    "render_run_html",
    "write_claims_html",
    "write_run_report",
]
