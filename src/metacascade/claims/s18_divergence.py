"""S18: the divergence between the primary and metastatic sites is low.

Measured as the share of a metastasis' clonal mutations (CCF > 0.6) that are present in its
primary, on the stochastic cell-scale patients of :mod:`._cell_patients` ('early' trait: every
cell can seed), sequenced as Hu et al. 2020 sequenced theirs (one bulk per site; SCIMET's calling
thresholds). The model starts from the first cancer cell, so the mutations that cell carried
(accumulated by its normal ancestors, clonal in every site) are an input: the median clonal
mutation burden of the primaries of each cancer type in the same file (a primary-side number;
the metastasis side, Lm, is the model's). The share is then (T + clonal in the metastasis - Lm)
/ (T + clonal in the metastasis) per metastasis, its median per cancer type compared with the
observed median of (m_clonal - Lm) / m_clonal (Hu 2020; the file does not mark treated
metastases, so all are used). Ishaque et al. 2018 (colorectal, whole genomes): 65 % of SNVs come
from the common progenitor; the model's colorectal share of all called SNVs that are shared is
compared with it (whole-genome counts scale T and the model's mutations alike).
"""

from __future__ import annotations

import numpy as np

from metacascade.claims._cell_patients import MU, simulate
from metacascade.claims.base import (
    CHOSEN,
    Calibration,
    Context,
    Target,
    Verdict,
    absolute,
    experiment,
)
from metacascade.datasets import load as load_dataset

HU2020 = "Hu Z, Li Z, Ma Z, Curtis C. Nat Genet 2020;52:701 (199 paired primary-metastasis exomes)"
ISHAQUE = ("Ishaque N et al. Nat Commun 2018;9:4782 (colorectal WGS: 65 % of SNVs from the common "
           "progenitor)")
TYPES = ("Breast", "Colorectal", "Lung")


@experiment("S18", title="Low divergence between the primary and its metastases")
def divergence(ctx: Context) -> list[Verdict]:
    n = 6 if ctx.quick else 40
    c = simulate("early", n, np.random.default_rng(ctx.seed + 18)).mets
    data = load_dataset("hu2020_paired_primary_met")
    validation: dict[str, Target] = {}
    cal: dict[str, Calibration] = {}
    m: dict[str, float | None] = {"metastases": float(len(c)), "patients": float(n)}
    obs_med, mod_med = [], []
    for t in TYPES:
        d = data[data["cancer_type"] == t]
        truncal = float(d["p_clonal_mut_burden"].median())
        observed = float(((d["m_clonal_mut_burden"] - d["m_private_clonal_Lm"])
                          / d["m_clonal_mut_burden"]).median())
        share = (truncal + c["clonal_metastasis"] - c["Lm"]) / (truncal + c["clonal_metastasis"])
        model = float(share.median()) if len(c) else None
        key = t.lower()
        validation[f"share_clonal_in_primary_{key}"] = Target(
            model, observed, absolute(0.1, "a tenth of the metastasis' clonal mutations"),
            HU2020, note=f"{len(d)} metastases; median of (m_clonal - Lm) / m_clonal")
        cal[f"truncal_mutations_{key}"] = Calibration(
            truncal, HU2020 + ", median p_clonal_mut_burden (primary side)", "input",
            sets="mutations of the first cancer cell",
            note="an upper bound: it includes the primary's private clonal mutations")
        obs_med.append(observed)
        mod_med.append(model if model is not None else np.nan)
    m["model_share_without_truncal"] = float(
        ((c["clonal_metastasis"] - c["Lm"]) / c["clonal_metastasis"].clip(lower=1)).median()
    ) if len(c) else None
    t_crc = cal["truncal_mutations_colorectal"].value
    called = c["called_shared"] + c["private_primary"] + c["private_metastasis"]
    ishaque = float(((t_crc + c["called_shared"]) / (t_crc + called)).median()) if len(c) else None
    validation["share_of_snvs_shared_colorectal"] = Target(
        ishaque, 0.65, absolute(0.15, "whole genomes and every SNV (clonal or not) in Ishaque; "
                                "exome-scaled clonal input here"), ISHAQUE)
    cal["mutation_rate"] = Calibration(MU, "1e-8 per bp per division x a 30 Mb exome "
                                       "(scenario default, mutation.rate_per_division)", CHOSEN,
                                       sets="mutation.rate_per_division")
    from metacascade.plotting.cellscale import plot_shared_share
    from metacascade.plotting.style import root

    fig = root(plot_shared_share(list(TYPES), obs_med, mod_med))
    passed = [k for k, v in validation.items() if v.passed]
    return [Verdict.assess(
        "S18", validation=validation, calibration=cal, measured=m,
        figures=[ctx.save_figure(fig, "s18_divergence")],
        summary="Share of a metastasis' clonal mutations present in the primary (model vs Hu "
                "2020 medians): " + ", ".join(
                    f"{t} {mo:.2f} vs {ob:.2f}" for t, mo, ob in zip(TYPES, mod_med, obs_med,
                                                                   strict=True))
                + f"; shared SNVs in colorectal {ishaque if ishaque is None else round(ishaque, 2)}"
                  " vs 0.65 (Ishaque). Divergence is low because most clonal mutations of a "
                  "metastasis predate the primary's expansion; the model's own (cancer-acquired) "
                  "clonal mutations of a metastasis are mostly private (Lm), so the verdict rests "
                  f"on the truncal input. Within tolerance: {', '.join(passed) or 'none'}.",
    )]
