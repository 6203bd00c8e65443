"""``{public-api}`` directive: autodoc entries for every name in ``metacascade.__all__``.

The list is read when the docs build, so the API page follows ``__all__`` without edits. Names are
grouped by kind (functions, classes, exceptions and warnings, data) and sorted within a group;
classes list their public members. A name in ``__all__`` that does not exist fails the build.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

GROUPS = (
    ("functions", "Functions", "autofunction"),
    ("classes", "Classes", "autoclass"),
    ("exceptions", "Errors and warnings", "autoexception"),
    ("data", "Data", "autodata"),
)


def kind_of(obj: Any) -> str:
    """The group of a public object: functions, classes, exceptions or data."""
    if inspect.isclass(obj):
        return "exceptions" if issubclass(obj, BaseException) else "classes"
    if callable(obj):
        return "functions"
    return "data"


def public_names(module_name: str) -> dict[str, list[str]]:
    """``__all__`` of ``module_name`` sorted into the groups of :data:`GROUPS`."""
    module = importlib.import_module(module_name)
    groups: dict[str, list[str]] = {key: [] for key, _, _ in GROUPS}
    for name in module.__all__:
        if not hasattr(module, name):
            raise AttributeError(f"{module_name}.__all__ names {name!r}, which does not exist")
        groups[kind_of(getattr(module, name))].append(name)
    return {key: sorted(names, key=str.lower) for key, names in groups.items()}


class PublicApi(SphinxDirective):
    """Expand to one autodoc directive per public name, in a section per group.

    The directive is used from MyST pages: autodoc writes reStructuredText, so each group's
    autodoc directives go into one ``eval-rst`` block; the group sections are built here.
    """

    required_arguments = 1  # the module, e.g. metacascade

    def run(self) -> list[nodes.Node]:
        module_name = self.arguments[0]
        groups = public_names(module_name)
        out: list[nodes.Node] = []
        for key, title, directive in GROUPS:
            if not groups[key]:
                continue
            section = nodes.section(ids=[nodes.make_id(f"api-{key}")])
            section += nodes.title(text=title)
            lines: list[str] = ["```{eval-rst}"]
            for name in groups[key]:
                lines.append(f".. {directive}:: {module_name}.{name}")
                if directive == "autoclass":
                    lines += ["   :members:", "   :show-inheritance:"]
                lines.append("")
            lines.append("```")
            self.state.nested_parse(StringList(lines, source=f"<public-api {module_name}>"),
                                    self.content_offset, section)
            self.state.document.note_implicit_target(section, section)
            out.append(section)
        return out


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("public-api", PublicApi)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
