"""Architecture rules of DESIGN.md, for every module of the package.

Layers, lowest first: errors < biology < scenario < result < engines < analysis < api, parallel <
inference < plotting < report < claims < cli. A module imports only from its own layer or the
layers below it, the imports form no cycle, and no module takes a private name (``_x``, or a
private module) from another package. The foundation layer ("errors") holds the small modules
every layer uses: errors, the version, limits, option checks, memory handling, the random
streams and the datasets. The claims and the command line may import the package itself (the
public API).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "metacascade"

#: Layer of every top-level module or package (the rank is its position, lowest first).
LAYERS: list[tuple[str, ...]] = [
    ("errors", "_version", "_memory", "limits", "options", "streams", "datasets"),
    ("biology",),
    ("scenario",),
    ("result",),
    ("engines",),
    ("analysis",),
    ("api", "parallel", "batch", "cohort"),
    ("inference",),
    ("plotting",),
    ("report",),
    ("claims",),
    ("cli",),
    ("__init__", "__main__"),  # the package's front doors: above everything
]
RANK = {name: r for r, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def top(module: str) -> str:
    """The top-level module or package of ``metacascade.x.y`` (``x``; the package itself:
    ``__init__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@cache
def imports_of(module: str) -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    """(imported module, names taken from it, at module level) for every import of ``module``
    inside metacascade (relative imports resolved)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(n) for n in tree.body}  # (not those under ``if TYPE_CHECKING:``)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, (), id(node) in top_level) for a in node.names
                    if a.name.startswith("metacascade")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name.startswith("metacascade"):
                out.append((name, tuple(a.name for a in node.names), id(node) in top_level))
    return tuple(out)


def test_every_module_has_a_layer():
    assert sorted({top(m) for m in MODULES} - set(RANK)) == []


def test_imports_point_down_the_layers():
    bad = []
    for module in MODULES:
        for name, _, _ in imports_of(module):
            if name == "metacascade" and top(module) in ("claims", "cli"):
                continue  # the public API (lazy: its names load when used), for the top layers
            if RANK[top(name)] > RANK[top(module)]:
                bad.append(f"{module} ({top(module)}) imports {name} ({top(name)})")
    assert not bad, "\n".join(bad)


def test_no_private_name_across_packages():
    """``from metacascade.a._x import y`` or ``from metacascade.a.b import _y`` is private to
    package ``metacascade.a``; importing it from elsewhere makes it an interface."""
    bad = []
    for module in MODULES:
        own = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for name, names, _ in imports_of(module):
            owner = name.rpartition(".")[0] if name.split(".")[-1].startswith("_") else name
            private_module = name.split(".")[-1].startswith("_") and name.split(".")[-1] not in (
                "__init__", "_version")
            private_names = [n for n in names if n.startswith("_") and n != "__version__"]
            if not (private_module or private_names):
                continue
            home = owner if private_module else (name if MODULES.get(name, Path()).name ==
                                                  "__init__.py" else name.rpartition(".")[0])
            if private_module and top(name) in ("_version", "_memory"):
                continue  # the foundation's private modules serve the whole package
            if not (own == home or own.startswith(home + ".")):
                bad.append(f"{module} imports {name}"
                           + (f" ({', '.join(private_names)})" if private_names else ""))
    assert not bad, "\n".join(bad)


def test_no_import_cycles_at_module_level():
    """Module-level imports form no cycle (an import inside a function is resolved when it runs,
    after both modules exist, and is how a lower layer defers a heavy optional library)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for name, names, at_top in imports_of(module):
            if not at_top:
                continue
            targets = [name] if name in MODULES else []
            targets += [f"{name}.{n}" for n in names if f"{name}.{n}" in MODULES]
            graph[module] |= {t for t in targets if t != module}
    # a package's __init__ re-exporting its modules is not a cycle with them
    for module in graph:
        graph[module] = {t for t in graph[module] if not (
            MODULES[t].name == "__init__.py" and module.startswith(t + "."))}
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(" -> ".join([*stack[stack.index(t):], t]))
            elif t not in state:
                visit(t, [*stack, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_claims_use_the_public_api():
    """The claims registry calls what users call: ``metacascade`` (its ``__all__``) and the
    claims' own modules; lower layers only through the names listed here, each a public module a
    user may import as well (documented in the API reference).

    ``claims.runner`` is exempt: it is the claims' command machinery (the executor, the output
    folder, the report page), like the command line, not an experiment. Every experiment
    (``claims/s*.py``) and its helpers (``claims/_*.py``) follow the rule."""
    import metacascade

    allowed_modules = ("metacascade.claims", "metacascade.errors", "metacascade.plotting",
                       "metacascade.datasets")
    machinery = {"metacascade.claims.runner"}
    bad = []
    for module in MODULES:
        if top(module) != "claims" or module in machinery:
            continue
        for name, names, _ in imports_of(module):
            if name == "metacascade":
                bad += [f"{module}: metacascade.{n} is not public" for n in names
                        if n not in metacascade.__all__]
            elif not name.startswith(allowed_modules):
                bad.append(f"{module} imports {name}")
    assert not bad, "\n".join(bad)
