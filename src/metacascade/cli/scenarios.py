"""``metacascade scenarios``: list, show and describe the scenario format."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from metacascade.cli._common import console

app = typer.Typer(help="Built-in scenarios and the scenario format.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("list")
def list_() -> None:
    """List the built-in scenarios."""
    from metacascade.scenario import builtin_names, load_scenario  # when the command runs

    table = Table(title="built-in scenarios", show_header=True, header_style="bold")
    table.add_column("name")
    table.add_column("description")
    for name in builtin_names():
        table.add_row(name, load_scenario(name).description)
    console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Built-in scenario name or TOML file."),
    resolved: bool = typer.Option(False, "--resolved",
                                  help="Print every value, defaults included."),
) -> None:
    """Print a scenario as TOML (the documented source file by default).

    The output is the plain TOML text, unwrapped, so that ``metacascade scenarios show breast >
    my.toml`` gives a file to edit and run."""
    from metacascade.scenario import builtin_text, load_scenario

    if resolved or name.endswith(".toml"):
        text = load_scenario(name).to_toml()
    else:
        text = builtin_text(name)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


@app.command("schema")
def schema() -> None:
    """Print the JSON schema of scenario files (units, bounds, sources)."""
    from metacascade.result import jsonio
    from metacascade.scenario import scenario_json_schema

    sys.stdout.write(jsonio.dumps(scenario_json_schema()))
