"""The documentation site: it builds with warnings as errors, and what it promises holds.

- the build (``sphinx -W --keep-going -b html``, as ``make docs``) succeeds and runs every gallery
  example (each page shows the figures the run made);
- no page loads a script, style sheet, font or image from the network;
- the API page documents every name of ``metacascade.__all__``, the CLI page every command and
  option of the typer app and the exit codes;
- every bibliography entry is complete and its DOI well formed;
- no documentation, example or scenario file points at a path outside the repository;
- every public name has a numpydoc docstring with parameters (with units), returns and an example.
"""

from __future__ import annotations

import html.parser
import importlib
import inspect
import re
from pathlib import Path

import pytest
import typer
import typer.main

import metacascade
from docs_site import DOCS, ROOT, build_site
from metacascade.cli import app


@pytest.fixture(scope="module")
def site() -> Path:
    build = build_site()
    assert build.returncode == 0, f"sphinx -W failed ({build.seconds:.0f} s):\n{build.output}"
    return build.html


def test_docs_build_with_warnings_as_errors(site: Path) -> None:
    for page in ("index", "api", "cli", "bibliography", "scaling", "design", "patient",
                 "models", "cascade", "cohorts", "bone", "fitting", "claims", "seeding"):
        assert (site / f"{page}.html").is_file(), page


GALLERY = ROOT / "examples" / "gallery"


def test_gallery_examples_ran_and_made_their_figures(site: Path) -> None:
    """Every example of examples/gallery has a page with at least one figure that the build made
    by running it (sphinx-gallery's images), and the gallery answers the three user questions."""
    examples = sorted(GALLERY.glob("plot_*.py"))
    assert len(examples) >= 8
    for example in examples:
        page = site / "gallery" / f"{example.stem}.html"
        assert page.is_file(), example.name
        text = page.read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]+src="([^"]*sphx_glr_' + re.escape(example.stem) +
                            r'_\d+\.png)"', text)
        assert images, f"{example.name}: no figure on its page"
        for src in images:
            assert (page.parent / src).resolve().is_file(), src
    index = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    for topic in ("cohort", "injection", "neuroblastoma", "resection", "stochastic",
                  "sequencing", "seeding", "claims"):
        assert topic in index.lower(), topic


class _Resources(html.parser.HTMLParser):
    """Every URL a page would load by itself: scripts, style sheets, icons, fonts, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.urls.append(a["src"] or "")
        if tag == "link" and a.get("href") and a.get("rel") not in ("next", "prev", "index",
                                                                    "search", "canonical"):
            self.urls.append(a["href"] or "")


def _remote(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url.strip(), re.IGNORECASE))


def test_no_page_loads_anything_from_the_network(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 14
    remote = {}
    for page in pages:
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        urls = [u for u in parser.urls if _remote(u)]
        if urls:
            remote[page.name] = urls
    assert remote == {}
    for css in site.rglob("*.css"):  # fonts or imports from a CDN
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"(@import|url\()\s*['\"]?(https?:)?//", text), css.name


def test_api_page_documents_every_public_name(site: Path) -> None:
    text = (site / "api.html").read_text(encoding="utf-8")
    missing = [name for name in metacascade.__all__ if f'id="metacascade.{name}"' not in text]
    assert missing == []


def test_scenarios_page_shows_every_engines_support_of_every_section(site: Path) -> None:
    """The engine support table is generated from the engines' declarations (every row, every
    engine), so the page says what ``simulate`` accepts or refuses."""
    import html

    from metacascade.engines.base import support_table

    text = html.unescape((site / "scenarios.html").read_text(encoding="utf-8"))
    header, rows = support_table()
    assert all(f"<p>{name}</p>" in text for name in header)
    assert all(f"<p>{row[0]}</p>" in text for row in rows) and len(rows) >= 10


def _commands(command: object, ctx: typer.Context, path: list[str]):
    yield path, command, ctx
    if isinstance(command, typer.core.TyperGroup):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            yield from _commands(sub, typer.Context(sub, info_name=name, parent=ctx),
                                 [*path, name])


def test_cli_page_documents_every_command_option_and_exit_code(site: Path) -> None:
    text = (site / "cli.html").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    seen = 0
    for path, command, ctx in _commands(root, typer.Context(root, info_name="metacascade"),
                                        ["metacascade"]):
        anchor = "cli-" + "-".join(path)
        start = text.find(f'id="{anchor}"')
        assert start >= 0, f"no section for {' '.join(path)}"
        for param in command.get_params(ctx):
            for opt in [*param.opts, *param.secondary_opts]:
                if opt.startswith("-"):
                    assert f"<span class=\"pre\">{opt}</span>" in text[start:], (path, opt)
        seen += 1
    assert seen >= 10  # run, claims, report, fit, predict, cohort, scenarios ..., cascade ...
    exit_codes = text[text.find('id="cli-exit-codes"'):]
    for code in ("0", "1", "2", "130"):
        assert f'<span class="pre">{code}</span>' in exit_codes


BIB_ENTRY = re.compile(r"@(\w+)\{([^,]+),(.*?)\n\}", re.S)


def test_bibliography_entries_are_complete() -> None:
    text = (DOCS / "references.bib").read_text(encoding="utf-8")
    entries = BIB_ENTRY.findall(text)
    assert len(entries) >= 80
    keys = [key for _, key, _ in entries]
    assert len(keys) == len(set(keys)), "duplicate keys"
    for kind, key, body in entries:
        fields = dict(re.findall(r"^\s*(\w+)\s*=\s*\{(.*)\},?\s*$", body, re.M))
        assert "author" in fields, key
        assert "title" in fields or "howpublished" in fields, key
        if kind.lower() == "article":
            assert {"journal", "year", "volume"} <= fields.keys(), key
        if "doi" in fields:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", fields["doi"]), (key, fields["doi"])


# References to files that exist only on a developer's machine, never in the repository.
OUTSIDE = re.compile(r"science\.md|ecosystem\.md|DESIGN\.md|/work/|\.\./shared|\bshared/")
TEXT_SUFFIXES = {".md", ".py", ".toml", ".bib", ".cff", ".txt", ".csv", ".tsv", ".json", ".rst"}


def _outside_refs(paths: list[Path]) -> list[str]:
    hits = []
    for path in paths:
        if "_build" in path.parts or path.suffix not in TEXT_SUFFIXES or not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(),
                                 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    return hits


def test_docs_readme_and_examples_cite_nothing_outside_the_repository() -> None:
    paths = [*DOCS.rglob("*"), ROOT / "README.md", ROOT / "CONTRIBUTING.md",
             ROOT / "CITATION.cff", *(ROOT / "examples").rglob("*")]
    assert _outside_refs(paths) == []


def test_src_and_scenarios_cite_nothing_outside_the_repository() -> None:
    paths = [*(ROOT / "src" / "metacascade").rglob("*")]
    assert _outside_refs(paths) == []


# ---- docstrings of the public API (numpydoc) ---------------------------------------------------

NUMPYDOC_CHECKS = {
    "GL08": "no docstring",
    "SS01": "no summary",
    "PR01": "parameters not documented",
    "PR02": "documented parameters that do not exist",
    "PR07": "a parameter without a description",
    "RT01": "no Returns section",
    "EX01": "no Examples section",
}
UNIT = re.compile(r"\b(days?|cells?|mm\^?3?|cm\^?3?|years?|hours?|minutes?|per|fraction|"
                  r"probability|dimensionless|count|number|percent|%|pM|UI/L)\b|\[[^\]]+\]|%")
NUMERIC = re.compile(r"\b(float|int|ArrayLike|NDArray|ndarray)\b")


def _public_objects() -> list[tuple[str, object]]:
    """Every name of ``metacascade.__all__`` and the public methods that its classes define."""
    out = []
    for name in metacascade.__all__:
        obj = getattr(metacascade, name)
        if not callable(obj):
            continue
        out.append((f"metacascade.{name}", obj))
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                if inspect.isfunction(func) or isinstance(member, property):
                    out.append((f"metacascade.{name}.{attr}", member))
    return out


def _docstring_problems(qualname: str, obj: object) -> list[str]:
    validate = importlib.import_module("numpydoc.validate")
    problems = []
    result = validate.validate(qualname)
    returns_nothing = False
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        ann = inspect.signature(obj).return_annotation
        returns_nothing = ann in (None, "None")
    # an example for each top-level function and class; not for methods, properties, errors
    wants_example = qualname.count(".") == 1 and not (
        inspect.isclass(obj) and issubclass(obj, BaseException))
    for code, message in result["errors"]:
        if code not in NUMPYDOC_CHECKS or (code == "RT01" and returns_nothing):
            continue
        if code == "EX01" and not wants_example:
            continue
        problems.append(f"{qualname}: {code} {message}")
    if isinstance(obj, property) or inspect.isclass(obj) or not callable(obj):
        return problems
    doc = importlib.import_module("numpydoc.docscrape").FunctionDoc(obj)
    signature = inspect.signature(obj)
    for param in doc["Parameters"]:
        sig = signature.parameters.get(param.name.split(":")[0].strip("* "))
        annotation = "" if sig is None else str(sig.annotation)
        if NUMERIC.search(annotation + " " + param.type) and not UNIT.search(
                param.type + " " + " ".join(param.desc)):
            problems.append(f"{qualname}: parameter {param.name!r} has no unit")
    return problems


def test_every_public_name_has_a_numpydoc_docstring_with_units() -> None:
    pytest.importorskip("numpydoc", reason="numpydoc is in the docs dependency group")
    problems = [p for qualname, obj in _public_objects() for p in _docstring_problems(qualname, obj)]
    assert problems == [], f"{len(problems)} docstring problems, e.g.:\n" + "\n".join(problems[:40])


def test_citation_file_matches_the_package() -> None:
    """CITATION.cff (CFF 1.2.0) names this version, the licence of pyproject.toml and the authors."""
    import tomllib

    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "license", "date-released"} <= cff.keys()
    assert str(cff["version"]) == project["version"] == metacascade.__version__
    assert cff["license"] == project["license"] == "MIT"
    assert cff["authors"] == [{"name": a["name"]} for a in project["authors"]]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    assert cff["repository-code"].startswith(cff["url"])
