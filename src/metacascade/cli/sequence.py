"""``metacascade sequence``: virtual multi-region bulk sequencing of a stochastic patient."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from metacascade.cli._common import (
    console,
    force_option,
    loaded,
    out_folder,
    out_option,
    seed_option,
)
from metacascade.errors import DataError


def sequence(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR",
                                   help="A folder written by `metacascade run --engine "
                                        "stochastic`."),
    regions: str = typer.Option("primary:4,met1:4", "--regions",
                                help="Bulk regions per site, SITE:N pairs separated by commas "
                                     "(sites: primary, met1, met2, ...)."),
    depth: float = typer.Option(100.0, "--depth", help="Mean read depth (negative binomial, "
                                "size 2, as SCIMET; inf = exact VAFs)."),
    purity: float = typer.Option(0.7, "--purity", help="Tumour content of every region, in "
                                 "(0, 1]."),
    cells_per_region: float = typer.Option(1e4, "--cells-per-region",
                                           help="Cells drawn per region (inf = the site's "
                                                "CCF exactly)."),
    seed: int = seed_option(0, "Random seed of the sampling and reads."),
    out: Path | None = out_option(None, "Output folder [RUN_DIR-sequencing, beside RUN_DIR]."),
    force: bool = force_option(),
) -> None:
    """Sequence a stochastic patient: write reads.tsv (the PyClone-VI read table),
    summary_statistics.tsv (S1..S9, Lp, Lm, H, shared / private / clonal counts per metastasis),
    summary.json and figures (CCF scatter, genealogy by site)."""
    import numpy as np

    from metacascade.analysis.sequencing import check_design, parse_regions, sequence_run
    from metacascade.plotting.cellscale import save_sequencing_figures
    from metacascade.result import load
    from metacascade.result.cellscale import CellScaleResult

    loaded()
    design = parse_regions(regions)
    if not (depth > 0) or math.isnan(depth):
        raise DataError(f"--depth = {depth!r}: the mean depth must be > 0 (inf = exact)")
    result = load(run_dir)
    if not isinstance(result, CellScaleResult):
        raise DataError(f"{run_dir} holds a metacascade {result.provenance.kind} output; "
                        "`metacascade sequence` needs one written by `metacascade run "
                        "--engine stochastic`")
    check_design(design, result.sites, depth=depth, purity=purity,
                 cells_per_region=cells_per_region)
    default = run_dir.parent / f"{run_dir.name}-sequencing"
    target = out_folder(out if out is not None else default, "sequencing", force,
                        inputs=[run_dir])
    seq = sequence_run(result, design, np.random.default_rng(seed), depth=depth, purity=purity,
                       cells_per_region=cells_per_region, source=str(run_dir), seed=seed)
    with seq.saving(target) as tmp:
        figures = save_sequencing_figures(seq, tmp, run=result)
    console.print(f"{len(seq.reads):,} read rows of {seq.reads['mutation_id'].nunique():,} "
                  f"mutations written to {target.given} (reads.tsv, summary_statistics.tsv, "
                  f"summary.json, scenario.toml, provenance.json, {', '.join(figures)})")
