"""S3: circulating tumour cells are inefficient: fewer than 0.1 % establish metastases.

Injection experiments with the calibrated cascade (metacascade.biology.cascade): Luzzi et al. 1998
(portal vein, B16F1, liver) and Fidler 1970 (tail vein, B16, lung). The targets are the published
stage fractions (science.md §4; Luzzi numbers [L]); the calibration used their expected values,
the check here is the stochastic experiment (a different random realisation) and the overall
efficiency, which was not a calibration target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metacascade.biology.cascade import STAGES
from metacascade.claims.base import Context, Verdict, experiment
from metacascade.engines.injection import inject
from metacascade.plotting.injection import injection_figure

TARGETS = {
    "luzzi_liver_at_90min": 0.87, "luzzi_extravasated_day3": 0.83,
    "luzzi_micrometastasis_day3": 0.0225, "luzzi_macrometastasis_day13": 0.0002,
    "luzzi_dormant_day13": 0.36, "fidler_alive_24h": 0.01, "overall_efficiency_max": 0.001,
}
TOL = {
    "luzzi_liver_at_90min": "+/- 0.03", "luzzi_extravasated_day3": "+/- 0.04 and > 0.80",
    "luzzi_micrometastasis_day3": "+/- 0.0035", "luzzi_macrometastasis_day13": "factor 1.5",
    "luzzi_dormant_day13": "+/- 0.04", "fidler_alive_24h": "factor 1.5",
    "overall_efficiency_max": "every route below 0.001 (S3)",
}


@experiment("S3", title="Injected tumour cells are inefficient (< 0.1 % form metastases)")
def inefficiency(ctx: Context) -> list[Verdict]:
    n = 200_000 if ctx.quick else 1_000_000
    portal = inject(n, "portal-vein", 14.0, seed=ctx.seed)
    tail = inject(n, "tail-vein", 14.0, seed=ctx.seed + 1)
    heart = inject(n, "intracardiac", 14.0, seed=ctx.seed + 2)
    fp = portal.fates

    def at(df: pd.DataFrame, day: float, col: str) -> float:
        return float(df[col].to_numpy()[np.isclose(df["time_days"].to_numpy(), day)][0])

    bo = portal.by_organ
    liver90 = bo[(bo.organ == "liver") & np.isclose(bo.time_days, 90 / 1440)][list(STAGES)]
    out3 = sum(at(fp, 3.0, c) for c in ("extravasated", "dormant_single", "micrometastasis",
                                         "macrometastasis"))
    m = {
        "luzzi_liver_at_90min": float(liver90.to_numpy().sum()),
        "luzzi_extravasated_day3": float(out3),
        "luzzi_micrometastasis_day3": at(fp, 3.0, "micrometastasis"),
        "luzzi_macrometastasis_day13": at(fp, 13.0, "macrometastasis"),
        "luzzi_dormant_day13": at(fp, 13.0, "dormant_single"),
        "fidler_alive_24h": 1.0 - at(tail.fates, 1.0, "dead"),
        "efficiency_portal_vein": portal.summary["overall_efficiency"],
        "efficiency_tail_vein": tail.summary["overall_efficiency"],
        "efficiency_intracardiac": heart.summary["overall_efficiency"],
        "eventual_efficiency_portal_vein": portal.summary["eventual_efficiency_expected"],
        "cells_per_route": float(n),
    }
    m["overall_efficiency_max"] = max(m["efficiency_portal_vein"], m["efficiency_tail_vein"],
                                      m["efficiency_intracardiac"],
                                      m["eventual_efficiency_portal_vein"])
    checks = [
        abs(m["luzzi_liver_at_90min"] - 0.87) <= 0.03,
        abs(m["luzzi_extravasated_day3"] - 0.83) <= 0.04 and m["luzzi_extravasated_day3"] > 0.8,
        abs(m["luzzi_micrometastasis_day3"] - 0.0225) <= 0.0035,
        0.0002 / 1.5 <= m["luzzi_macrometastasis_day13"] <= 0.0002 * 1.5,
        abs(m["luzzi_dormant_day13"] - 0.36) <= 0.04,
        0.01 / 1.5 <= m["fidler_alive_24h"] <= 0.015,
        m["overall_efficiency_max"] < 1e-3,
    ]
    fig = injection_figure([portal, tail])
    return [Verdict.compare(
        "S3", passed=all(checks), measured=m, targets=TARGETS, tolerances=TOL,
        sources=["Luzzi KJ et al. Am J Pathol 1998;153:865 [L]",
                 "Fidler IJ. J Natl Cancer Inst 1970;45:773",
                 "Chambers AF, Groom AC, MacDonald IC. Nat Rev Cancer 2002;2:563"],
        figures=[ctx.save_figure(fig, "s03_injection_fates")],
        summary=(f"{sum(checks)}/{len(checks)} checks pass; macroscopic tumours per injected cell "
                 f"{m['efficiency_portal_vein']:.2g} (portal), {m['efficiency_tail_vein']:.2g} "
                 f"(tail vein), {m['efficiency_intracardiac']:.2g} (intracardiac), all < 0.1 %."),
    )]
