"""``metacascade scenarios``: list, show and describe the scenario format."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from metacascade.cli._common import console
from metacascade.scenario import builtin_names, builtin_text, load_scenario, scenario_json_schema

app = typer.Typer(help="Built-in scenarios and the scenario format.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """List the built-in scenarios."""
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
    """Print a scenario as TOML (the documented source file by default)."""
    if resolved or name.endswith(".toml"):
        console.print(load_scenario(name).to_toml(), highlight=False, markup=False)
    else:
        console.print(builtin_text(name), highlight=False, markup=False)


@app.command("schema")
def schema() -> None:
    """Print the JSON schema of scenario files (units, bounds, sources)."""
    console.print_json(json.dumps(scenario_json_schema()))
