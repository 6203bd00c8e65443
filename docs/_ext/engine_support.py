"""``{engine-support}`` directive: which engine honours which scenario section, from the code.

The table is :func:`metacascade.engines.base.support_table` (every engine's and command's declared
``Support`` of every section: ``yes``, ``partly``, ``no`` or ``n/a``, with its note), so the page
cannot drift from what ``simulate`` accepts or refuses.

Usage in MyST::

    ```{engine-support}
    ```
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from typer_cli import _table


class EngineSupport(SphinxDirective):
    """The support table of every registered engine and command."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from metacascade.engines.base import support_table

        header, rows = support_table()
        cells = [[nodes.paragraph(text=text) for text in row] for row in rows]
        widths = [16] + [24] * (len(header) - 1)
        return [_table(header, cells, widths)]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("engine-support", EngineSupport)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
