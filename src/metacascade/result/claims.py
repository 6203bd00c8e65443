"""What ``metacascade claims`` writes: the verdict of every selected seed statement.

Folder (``kind = "claims"``)::

    claims.json      {"version", "seed", "quick", "schema", "created", "claims": [...],
                      "seconds"} (contract; see :func:`metacascade.claims.runner.claims_document`)
    claims.html      the self-contained report (written by the claims runner)
    *.png            the experiments' figures
    provenance.json  the provenance record (quick, ids)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from metacascade.errors import DataError, shown
from metacascade.result import jsonio
from metacascade.result.base import SavedResult, missing, register
from metacascade.result.provenance import Provenance, command_line

CLAIMS_JSON = "claims.json"
CLAIMS_HTML = "claims.html"
#: Columns of :meth:`ClaimsResult.to_dataframe`.
COLUMNS = ["id", "status", "summary", "experiment", "seconds"]


@register
@dataclass
class ClaimsResult(SavedResult):
    """The ``claims.json`` document (plain JSON data), the statement ids that were run and
    provenance.

    Parameters
    ----------
    document : dict
        The ``claims.json`` document: version, seed, quick, and one entry per statement (id,
        status, summary, experiment, seconds).
    ids : list of str
        The statement ids that were run (default: those of the document).
    command : tuple of str
        The command line that made the result.

    Examples
    --------
    >>> import metacascade as mc
    >>> verdicts = mc.run_claims("S13", quick=True, parallel=1)    # doctest: +SKIP
    >>> res = mc.load_result("runs/claims")                         # doctest: +SKIP
    >>> res.to_dataframe()[["id", "status"]]                        # doctest: +SKIP
    """

    kind = "claims"
    regenerate = "metacascade claims --out DIR"

    document: dict[str, Any]
    ids: list[str] = field(default_factory=list)
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.document = jsonio.plain(self.document)
        if not self.ids:
            self.ids = [str(c.get("id")) for c in self.claims]
        self.command = tuple(self.command)

    @property
    def claims(self) -> list[dict[str, Any]]:
        """The statements of the document (one dict per statement, in statement order)."""
        claims = self.document.get("claims") or []
        return [c for c in claims if isinstance(c, dict)]

    @property
    def seed(self) -> int | None:
        """The seed every experiment was given (None when the document has none)."""
        seed = self.document.get("seed")
        return seed if isinstance(seed, int) and not isinstance(seed, bool) else None

    @property
    def quick(self) -> bool:
        """Whether the experiments ran with their smaller (quick) samples."""
        return bool(self.document.get("quick"))

    def to_dataframe(self) -> pd.DataFrame:
        """One row per statement: id, status, summary, experiment, seconds.

        Returns
        -------
        pandas.DataFrame
            The columns :data:`COLUMNS` (``seconds`` is the run time in seconds).
        """
        return pd.DataFrame([{k: c.get(k) for k in COLUMNS} for c in self.claims],
                            columns=COLUMNS)

    @property
    def provenance(self) -> Provenance:
        """The provenance record written as ``provenance.json``."""
        d = self.document
        return Provenance("claims", version=str(d.get("version", "")),
                          created=str(d.get("created", "")), command=self.command,
                          seed=self.seed, extra={"quick": self.quick, "ids": self.ids})

    def write_into(self, folder: Path) -> None:
        """Write ``claims.json`` (the runner adds the figures and ``claims.html``)."""
        jsonio.write_json(folder / CLAIMS_JSON, self.document)

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> ClaimsResult:
        """The claims output stored in ``folder`` (its ``claims.json``)."""
        if not (folder / CLAIMS_JSON).is_file():
            raise missing(folder, CLAIMS_JSON, cls.regenerate)
        doc = jsonio.read_json(folder / CLAIMS_JSON, hint="written by 'metacascade claims'")
        where = shown(str(folder / CLAIMS_JSON))
        claims = jsonio.field(doc, "claims", list, where)
        if not all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in claims):
            raise DataError(f"{where}: every entry of 'claims' should be an object with an 'id'")
        ids = provenance.extra.get("ids") if provenance is not None else None
        return cls(document=doc,
                   ids=[str(i) for i in ids] if isinstance(ids, list) else [],
                   command=provenance.command if provenance is not None else ())


__all__ = ["CLAIMS_HTML", "CLAIMS_JSON", "ClaimsResult"]
