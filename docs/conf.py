"""Sphinx configuration of the metacascade documentation (``make docs``).

The build needs no network: no intersphinx mappings, a theme whose fonts and scripts are local
(furo), and no math renderer from a CDN (equations are written as code blocks). The API and CLI
reference pages are generated at build time from ``metacascade.__all__`` and the typer app, so
they follow the code (``docs/_ext``).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
if (DOCS.parent / "src" / "metacascade").is_dir():  # a source checkout documents its own code
    sys.path.insert(0, str(DOCS.parent / "src"))

import metacascade  # noqa: E402

project = "metacascade"
author = "The metacascade developers"
copyright = f"{date.today().year}, {author}"
release = metacascade.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_copybutton",
    "sphinxcontrib.bibtex",
    "sphinx_gallery.gen_gallery",
    "public_api",    # docs/_ext/public_api.py: autodoc of everything in metacascade.__all__
    "typer_cli",     # docs/_ext/typer_cli.py: the CLI reference from metacascade.cli.app
    "engine_support",  # docs/_ext/engine_support.py: which engine honours which section
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}  # .rst: the generated gallery
root_doc = "index"
exclude_patterns = ["_build", "**/README.md", ".DS_Store"]
templates_path: list[str] = []

# MyST: ``:::`` fences, definition lists, and anchors for headings so that ``page.md#heading``
# links resolve (checked with -W).
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# autodoc + napoleon: numpydoc-style docstrings.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_type_aliases = {"ArrayLike": "numpy.typing.ArrayLike", "npt.ArrayLike": "numpy.typing.ArrayLike"}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# Bibliography (sphinxcontrib-bibtex): docs/references.bib, cited with {cite:p}`key`.
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# Copy buttons skip prompts and outputs.
copybutton_prompt_text = r"\$ |>>> |\.\.\. "
copybutton_prompt_is_regexp = True

html_theme = "furo"
html_title = f"metacascade {release}"
html_static_path = ["_static"]
html_css_files = ["metacascade.css"]
html_theme_options = {
    "source_repository": "https://github.com/metacascade/metacascade/",
    "source_branch": "main",
    "source_directory": "docs/",
}

# Gallery (sphinx-gallery): every examples/gallery/plot_*.py runs when the site builds, always
# (a changed library must not hide behind an unchanged example), and an example that raises fails
# the build. Its pages are generated into docs/gallery (not in version control).
sphinx_gallery_conf = {
    "examples_dirs": ["../examples/gallery"],
    "gallery_dirs": ["gallery"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "run_stale_examples": True,
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_signature": False,
    "min_reported_time": 0,
    "write_computation_times": False,  # its page loads scripts from a CDN
    "capture_repr": ("_repr_html_", "__repr__"),
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
}
