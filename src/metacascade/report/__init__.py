"""Self-contained HTML reports (Jinja2 templates): the claims verdicts and the page of the output
folder of any command (``metacascade report DIR``)."""

from metacascade.report.html import embed_figure, render_claims_html, write_claims_html
from metacascade.report.pages import render_report, write_report

__all__ = [
    "embed_figure",
    "render_claims_html",
    "render_report",
    "write_claims_html",
    "write_report",
]
