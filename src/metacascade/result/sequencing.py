"""Virtual multi-region bulk sequencing of a stochastic patient (``metacascade sequence``).

Folder (``kind = "sequencing"``)::

    reads.tsv               one row per mutation and region, the PyClone-VI read table:
                            mutation_id, sample_id, site, ref_counts, alt_counts, major_cn,
                            minor_cn, normal_cn, tumour_content, true_ccf
    summary_statistics.tsv  one row per sequenced metastasis against the primary: primary,
                            metastasis, S1..S9, Lp, Lm, H, shared / private / clonal counts
                            (:func:`metacascade.analysis.sequencing.summary_statistics`)
    summary.json            the design (regions, depth, purity, cells per region), the run it
                            sequenced, the neutral tail of every site, version, seed, created
    scenario.toml           the scenario of the sequenced run
    provenance.json         the provenance record (with the column types of both tables)

Both tables are tab-separated, exact (shortest round-trip floats) and typed by the provenance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metacascade._version import __version__
from metacascade.errors import DataError, shown
from metacascade.result import jsonio
from metacascade.result.base import SavedResult, missing, register
from metacascade.result.files import column_types
from metacascade.result.provenance import Provenance, command_line, now
from metacascade.scenario import Scenario, dump_toml

READS = "reads.tsv"
STATISTICS = "summary_statistics.tsv"
SUMMARY = "summary.json"


def write_tsv(df: pd.DataFrame, path: Path) -> dict[str, str]:
    """Write a tab-separated table (no index; shortest exact floats); returns its column types."""
    df.to_csv(path, sep="\t", index=False, na_rep="")
    return column_types(df)


def read_tsv(path: Path, types: dict[str, str] | None, hint: str) -> pd.DataFrame:
    """Read a table of :func:`write_tsv`; with ``types`` the columns must be exactly those."""
    where = shown(str(path))
    if not path.is_file():
        raise DataError(f"{where} not found ({hint})")
    try:
        head = list(pd.read_csv(path, sep="\t", nrows=0).columns)
        if types is not None and head != list(types):
            raise DataError(f"{where}: the columns {shown(head, 120)} are not the ones recorded "
                            f"in provenance.json; the folder was changed after it was written")
        text = {c: str for c, t in (types or {}).items() if t == "object"}
        df = pd.read_csv(path, sep="\t", dtype=text or None, keep_default_na=False,
                         na_values={c: [""] for c, t in (types or {}).items()
                                    if t.startswith("float")},
                         float_precision="round_trip")
        for c, t in (types or {}).items():
            if t != "object" and str(df[c].dtype) != t:
                df[c] = df[c].astype(np.dtype(t))
        return df
    except DataError:
        raise
    except (ValueError, TypeError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{where}: not a table metacascade can read ({type(exc).__name__}; "
                        f"{hint})") from None


@register
@dataclass
class SequencingResult(SavedResult):
    """The read table, the summary statistics and the design of a virtual sequencing run.

    ``design``: ``regions`` (site -> regions), ``depth`` (mean reads; None = infinite: exact
    VAFs, as strict JSON has no infinity),
    ``purity`` (tumour content, (0, 1]), ``cells_per_region`` and ``source`` (the run folder).
    ``tails``: per site, the neutral tail's ``slope``, ``intercept`` and ``r2``."""

    kind = "sequencing"
    regenerate = "metacascade sequence RUN_DIR --regions primary:4,met1:4 --out DIR"

    reads: pd.DataFrame
    statistics: pd.DataFrame
    design: dict[str, Any]
    tails: dict[str, Any]
    scenario: Scenario
    seed: int
    version: str = __version__
    created: str = field(default_factory=now)
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.design = jsonio.plain(self.design)
        self.tails = jsonio.plain(self.tails)
        self.command = tuple(self.command)

    @property
    def sites(self) -> list[str]:
        """The sequenced sites, in the order of the design."""
        return list(self.design["regions"])

    @property
    def provenance(self) -> Provenance:
        return Provenance(self.kind, version=self.version, created=self.created,
                          command=self.command, seed=self.seed, scenario=self.scenario,
                          extra={"regions": self.design["regions"],
                                 "depth": self.design["depth"],
                                 "purity": self.design["purity"],
                                 "source": self.design.get("source", "")},
                          columns={READS: column_types(self.reads),
                                   STATISTICS: column_types(self.statistics)})

    def write_into(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        write_tsv(self.reads, folder / READS)
        write_tsv(self.statistics, folder / STATISTICS)
        jsonio.write_json(folder / SUMMARY, {"design": self.design, "neutral_tail": self.tails,
                                             "version": self.version, "seed": self.seed,
                                             "created": self.created,
                                             "scenario": self.scenario.name})
        (folder / "scenario.toml").write_text(dump_toml(self.scenario), encoding="utf-8")

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> SequencingResult:
        if provenance is None or provenance.scenario is None:
            raise missing(folder, "provenance.json", cls.regenerate)
        if not (folder / SUMMARY).is_file():
            raise missing(folder, SUMMARY, cls.regenerate)
        hint = f"regenerate it with `{cls.regenerate}`"
        reads = read_tsv(folder / READS, provenance.columns.get(READS), hint)
        stats = read_tsv(folder / STATISTICS, provenance.columns.get(STATISTICS), hint)
        doc = jsonio.read_json(folder / SUMMARY, hint=hint)
        where = shown(str(folder / SUMMARY))
        design = jsonio.field(doc, "design", dict, where)
        return cls(reads=reads, statistics=stats, design=design,
                   tails=jsonio.field(doc, "neutral_tail", dict, where),
                   scenario=provenance.scenario, seed=jsonio.field(doc, "seed", int, where),
                   version=jsonio.field(doc, "version", str, where),
                   created=jsonio.field(doc, "created", str, where),
                   command=provenance.command)


__all__ = ["READS", "STATISTICS", "SequencingResult", "read_tsv", "write_tsv"]
