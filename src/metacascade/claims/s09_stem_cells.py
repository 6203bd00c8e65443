"""S9: the primary is a reservoir of stem-like cells that propagate metastases.

``breast-cascade`` scenario. Expected from the statement (independent of the run): without the
stem-like fraction no metastasis is seeded; the number seeded is proportional to it; seeding
from the primary continues while it stands and stops at resection.

Status: ``illustrated``. Births of metastases are proportional to the stem-like fraction f in the
model, so f = 0 gives none and 2f gives twice as many: identities, reported as checks. The
independent target (distant risk against primary size at resection) needs the cell-scale model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metacascade.claims._common import breast_cascade_calibration
from metacascade.claims.base import (
    CHOSEN,
    Calibration,
    Check,
    Context,
    Verdict,
    above,
    absolute,
    exactly,
    experiment,
)
from metacascade.engines.spread import solve_cascade
from metacascade.plotting.claims import plot_seeding
from metacascade.scenario import load_scenario


def _n(extra: list[str], duration: float) -> tuple[np.ndarray, np.ndarray, list[str]]:
    cs = solve_cascade([load_scenario("breast-cascade", [
        f"simulation.duration_days={duration}", "lymphatics.reseeding_rate_per_cell_day=0",
        *extra])])
    return cs.times, cs.series["n_metastases"][0].sum(axis=0), cs.organs


@experiment("S9", title="The primary is a reservoir of metastasis-initiating stem-like cells")
def stem_cells(ctx: Context) -> list[Verdict]:
    duration = 4000.0 if ctx.quick else 7300.0
    keep = ["treatment.resection_at_detection=false"]
    t, n_base, _ = _n(keep, duration)
    _, n_none, _ = _n([*keep, "stem_cells.fraction=0"], duration)
    _, n_double, _ = _n([*keep, "stem_cells.fraction=0.1"], duration)
    t_res = 2500.0
    _, n_res, _ = _n([f"treatment.resection_day={t_res}", "treatment.resection_at_detection=false"],
                     duration)
    m = {
        "metastases_default": float(n_base[-1]),
        "metastases_without_stem_cells": float(n_none[-1]),
        "ratio_fraction_doubled": float(n_double[-1] / n_base[-1]),
        "births_after_resection": float(n_res[-1] - n_res[np.searchsorted(t, t_res)]),
        "births_same_period_unresected": float(n_base[-1] - n_base[np.searchsorted(t, t_res)]),
    }
    exact = "an identity: births are proportional to the stem-like fraction (lymph-node " \
            "re-seeding switched off so that only the primary seeds)"
    checks = {
        "metastases_without_stem_cells": Check(m.pop("metastases_without_stem_cells"), 0.0,
                                               exactly(exact)),
        "ratio_fraction_doubled": Check(m.pop("ratio_fraction_doubled"), 2.0,
                                        absolute(1e-6, exact)),
        "births_after_resection": Check(m.pop("births_after_resection"), 0.0,
                                        exactly("the reservoir is removed at resection")),
        "births_same_period_unresected": Check(m.pop("births_same_period_unresected"), 0.0,
                                               above("seeding goes on while the primary stands")),
    }
    cal = {"stem_fraction": Calibration(
        load_scenario("breast-cascade").stem_cells.fraction,
        "breast-cascade scenario (assumption; Al-Hajj M et al. PNAS 2003;100:3983 [L])", CHOSEN,
        sets="stem_cells.fraction"), **breast_cascade_calibration()}
    curves = pd.DataFrame({"primary stands (5 % stem-like)": n_base, "10 % stem-like": n_double,
                           f"resection at day {t_res:g}": n_res, "no stem-like cells": n_none},
                          index=t)
    fig = plot_seeding(curves, resection_day=t_res).get_figure(root=True)
    return [Verdict.assess(
        "S9", checks=checks, calibration=cal, measured=m,
        sources=["Al-Hajj M et al. PNAS 2003;100:3983 [L]",
                 "Enderling H, Hlatky L, Hahnfeldt P. Br J Cancer 2009 [L]"],
        figures=[ctx.save_figure(fig, "s09_stem_cells")],
        summary="Only stem-like cells found metastases (none without them, twice as many with "
                "twice the fraction); seeding stops when the primary reservoir is resected. "
                "Illustrated: these are identities of a model in which births are proportional "
                "to the stem-like fraction.",
    )]
