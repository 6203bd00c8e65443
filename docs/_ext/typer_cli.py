"""``{typer-cli}`` directive: the command-line reference, generated from a typer app.

The directive walks the app with ``typer.main.get_command`` and renders, for every command and
sub-command, its usage line, its help text and a table of its arguments and options (names, type,
default, description), plus the exit codes every command shares. Why not sphinxcontrib-typer: it
renders each ``--help`` screen as a block of terminal text (a fixed-width box that scrolls sideways
on a phone, without anchors per command), rich markup there swallows bracketed text such as the
``[runs/<scenario>]`` default of ``--out``, and exit codes are not part of a help screen.

Usage in MyST::

    ```{typer-cli} metacascade.cli:app
    :prog: metacascade
    ```
"""

from __future__ import annotations

import importlib
from pathlib import PurePath
from typing import Any

import typer
import typer.core
import typer.main
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

# The exit codes of every metacascade command (the CLI's contract; metacascade.cli.main).
EXIT_CODES = (
    ("0", "success"),
    ("1", "`metacascade claims`: at least one modelled claim is not reproduced; any other "
          "command: an internal error (a bug: the traceback is printed, please report it)"),
    ("2", "bad input: an unknown key, a value out of range, a missing or malformed file, an "
          "unknown option. One message names the field, the value and what is allowed; no "
          "partial output is left behind"),
    ("130", "interrupted (Ctrl-C); no partial output is left behind"),
)


def load_app(spec: str) -> typer.Typer:
    """The typer app named ``module:attribute``."""
    module_name, _, attr = spec.partition(":")
    app = getattr(importlib.import_module(module_name), attr or "app")
    if not isinstance(app, typer.Typer):
        raise TypeError(f"{spec} is not a typer.Typer app")
    return app


def default_text(param: Any) -> str:
    """The default of an argument or option as a reader types it ('' when there is none)."""
    if param.required:
        return "required"
    value = param.default
    if value is None or value == [] or value == ():
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, PurePath):
        return value.as_posix()
    return str(value)


def _table(header: list[str], rows: list[list[nodes.Node]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["cli-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for w in widths:
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for text in header:
        row += nodes.entry("", nodes.paragraph(text=text))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            row += nodes.entry("", cell)
        body += row
    return table


def _para(*children: nodes.Node) -> nodes.paragraph:
    p = nodes.paragraph()
    p.extend(children)
    return p


class TyperCli(SphinxDirective):
    """Render the reference of a typer app: one section per command, nested for groups."""

    required_arguments = 1
    option_spec = {"prog": lambda arg: arg.strip()}

    def run(self) -> list[nodes.Node]:
        app = load_app(self.arguments[0])
        command = typer.main.get_command(app)
        prog = self.options.get("prog", command.name or "cli")
        ctx = typer.Context(command, info_name=prog)
        out: list[nodes.Node] = [self._exit_codes()]
        out.append(self._command(command, ctx, [prog]))
        return out

    def _exit_codes(self) -> nodes.section:
        section = nodes.section(ids=["cli-exit-codes"])
        section += nodes.title(text="Exit codes")
        section += nodes.paragraph(text="Every command exits with one of these codes:")
        rows = [[_para(nodes.literal(text=code)), self._inline(text)] for code, text in EXIT_CODES]
        section += _table(["code", "meaning"], rows, [10, 90])
        self.state.document.note_implicit_target(section, section)
        return section

    def _inline(self, text: str) -> nodes.paragraph:
        """A paragraph in which `backquoted` words are literals."""
        p = nodes.paragraph()
        for i, piece in enumerate(text.split("`")):
            p += nodes.literal(text=piece) if i % 2 else nodes.Text(piece)
        return p

    def _command(self, command: Any, ctx: Any, path: list[str]) -> nodes.section:
        section = nodes.section(ids=[nodes.make_id("cli-" + "-".join(path))])
        section += nodes.title(text=" ".join(path))
        usage = command.get_usage(ctx).removeprefix("Usage:").strip()
        section += nodes.literal_block(text="$ " + usage, language="console")
        if command.help:
            for block in command.help.strip().split("\n\n"):
                section += nodes.paragraph(text=" ".join(block.split()))
        rows = []
        for param in command.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                names = [nodes.literal(text=(param.name or "").upper())]
            else:
                names = []
                for i, opt in enumerate([*param.opts, *param.secondary_opts]):
                    if i:
                        names.append(nodes.Text(", "))
                    names.append(nodes.literal(text=opt))
            kind = param.display_type(ctx).strip("<>")
            if param.multiple:
                kind += ", repeatable"
            default = default_text(param)
            rows.append([_para(*names), _para(nodes.Text(kind)),
                         _para(nodes.literal(text=default)) if default else _para(),
                         nodes.paragraph(text=param.help or "")])
        if rows:
            section += _table(["argument / option", "type", "default", "description"], rows,
                              [24, 14, 14, 48])
        if isinstance(command, typer.core.TyperGroup):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is None or sub.hidden:
                    continue
                sub_ctx = typer.Context(sub, info_name=name, parent=ctx)
                section += self._command(sub, sub_ctx, [*path, name])
        self.state.document.note_implicit_target(section, section)
        return section


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("typer-cli", TyperCli)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
