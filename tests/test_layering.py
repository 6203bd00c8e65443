"""Architecture rules of DESIGN.md: biology never imports engines (nor anything above it);
engines never import inference, claims, the report or the CLI."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "metacascade"

FORBIDDEN = {
    "biology": ("metacascade.engines", "metacascade.scenario", "metacascade.inference",
                "metacascade.claims", "metacascade.cli", "metacascade.report",
                "metacascade.result"),
    "engines": ("metacascade.inference", "metacascade.claims", "metacascade.cli",
                "metacascade.report"),
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    bad = []
    for path in sorted((SRC / layer).glob("*.py")):
        for name in imports_of(path):
            if name.startswith(FORBIDDEN[layer]):
                bad.append(f"{path.name} imports {name}")
    assert not bad, bad
