"""S3: circulating tumour cells are inefficient: fewer than 0.1 % establish metastases.

Injection experiments with the calibrated cascade (metacascade.biology.cascade): Luzzi et al. 1998
(portal vein, B16F1, liver) and Fidler 1970 (tail vein, B16, lung).

* Calibration: the six Luzzi/Fidler numbers (87 % in the liver at 90 min, 83 % extravasated and
  2.25 % micrometastases at day 3, 0.02 % macroscopic tumours and 36 % solitary dormant cells at
  day 13; 1 % alive at 24 h after tail-vein injection) are the targets of the nine cascade rates
  fitted by ``scripts/calibrate_cascade.py``. They are re-measured here by the stochastic
  experiment (a check of the engine, reported with the calibration), never evidence.
* Validation: Fidler 1970's yield, about 400 cells left in the lung at day 14 giving on average 78
  metastases (abstract): 0.195 metastases per cell alive at day 14. Not used by the
  calibration. The model's value is the expected number of tail-vein cells that ever found a
  macroscopic tumour (any organ, through dormancy too: the most generous count) divided by the
  fraction alive at day 14.
* Validation: Koop et al. 1995 (Cancer Res 55:2520, abstract): more than 80 % of injected B16F10
  cells survive and extravasate by 24 h (chick chorioallantoic membrane, intravital
  videomicroscopy). The model's value is the larger of the portal-vein and tail-vein fractions of
  injected cells that are alive and out of the vessels (extravasated, dormant, micro- or
  macrometastasis) at 24 h (the most generous route).
* Validation: Coumans, Siesling & Terstappen 2013 (BMC Cancer 13:283, abstract): one metastasis
  per 6e7 disseminated cells in human breast cancer (V12). The model's value is the expected
  number of distant metastases at diagnosis of the ``breast-cascade`` patient divided by the cells
  its primary has shed into the blood by then (Butler & Gullino 1975 shedding, 3.2e6 cells per g
  per day); factor 10 (an order of magnitude: Coumans's number is itself a model fit).
* Check: the overall efficiency of every route is below 0.1 % (the statement's threshold), which
  the calibration to Luzzi's 0.02 % already implies.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from metacascade import cascade_calibration, inject, load_scenario, solve_cascade
from metacascade.claims._common import breast_cascade_calibration, cells_shed
from metacascade.claims.base import (
    Calibration,
    Check,
    Context,
    Target,
    Verdict,
    above,
    below,
    experiment,
    factor,
)
from metacascade.plotting.injection import injection_figure

HOW = ("scripts/calibrate_cascade.py: MAP fit of nine cascade rates (biology/"
       "cascade_calibration.json)")
FIDLER = "Fidler IJ. J Natl Cancer Inst 1970;45:773-782 (abstract)"
#: Fidler 1970: about 400 cells alive in the lung at day 14 gave on average 78 metastases.
FIDLER_YIELD = 78.0 / 400.0
FIDLER_TOLERANCE = factor(3.0, "the abstract's 'about 400 cells' and 'on average 78 "
                               "metastases' are rounded means of one experiment; a factor 3 is "
                               "a lenient allowance (stated, not derived)")


KOOP = ("Koop S et al. Cancer Res 1995;55:2520 (> 80 % of B16F10 cells survive and extravasate by "
        "24 h; abstract)")
COUMANS = ("Coumans FAW, Siesling S, Terstappen LWMM. BMC Cancer 2013;13:283 (one metastasis per "
           "6e7 disseminated cells; abstract)")
COUMANS_EFFICIENCY = 1.0 / 6e7
OUT_OF_VESSEL = ("extravasated", "dormant_single", "micrometastasis", "macrometastasis")


def human_efficiency() -> dict[str, float]:
    """Distant metastases per cell shed into the blood by diagnosis, ``breast-cascade`` patient
    (node re-seeding off: only the primary's own cells are counted)."""
    sc = load_scenario("breast-cascade", ["simulation.duration_days=5000",
                                          "lymphatics.reseeding_rate_per_cell_day=0"])
    t = np.arange(0.0, 5000.0 + 0.25, 0.25)
    vp, cum = cells_shed(sc, t)
    t_det = float(np.interp(np.log(sc.detection.primary_cells), np.log(vp), t))
    cs = solve_cascade([sc], duration=5000.0, output_step=1.0)
    distant = [i for i, o in enumerate(cs.organs) if o != "lymph_node"]
    n_det = float(np.interp(t_det, cs.times, cs.series["n_metastases"][0][distant].sum(axis=0)))
    cells = float(np.interp(t_det, t, cum))
    return {"breast_cascade_cells_shed_into_blood_by_diagnosis": cells,
            "breast_cascade_distant_metastases_at_diagnosis": n_det,
            "metastases_per_disseminated_cell": n_det / cells}


def _calibration_source(name: str) -> str:
    return str(cascade_calibration()["sources"][name.split("_")[0]])


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
    stages = bo.columns.drop(["time_days", "organ"])  # the cascade stages
    liver90 = bo[(bo.organ == "liver") & np.isclose(bo.time_days, 90 / 1440)][list(stages)]
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
    alive_14 = 1.0 - at(tail.fates, 14.0, "dead")
    m["tail_vein_alive_day14"] = alive_14
    m["tail_vein_macrometastases_day14_per_surviving_cell"] = (
        tail.summary["overall_efficiency_expected"] / alive_14)
    yield_model = tail.summary["eventual_efficiency_expected"] / alive_14
    calibration = {
        k: Calibration(spec["value"], _calibration_source(k), HOW,
                       sets="cascade rates (liver retention, extravasation, intravascular and "
                            "post-extravasation death, dormancy entry and death, initiation, "
                            "progression)",
                       model=m[k], note=f"re-measured by the stochastic experiment ({n} cells)")
        for k, spec in cascade_calibration()["targets"].items()}
    koop = {r: sum(at(res.fates, 1.0, c) for c in OUT_OF_VESSEL)
            for r, res in (("portal_vein", portal), ("tail_vein", tail))}
    m.update({f"alive_out_of_vessel_24h_{r}": v for r, v in koop.items()})
    m.update(human_efficiency())
    validation = {
        "fidler_metastases_per_surviving_cell_day14": Target(
            yield_model, FIDLER_YIELD, FIDLER_TOLERANCE, FIDLER,
            note="expected macroscopic tumours ever founded per tail-vein cell alive at day 14"),
        "koop_survived_and_extravasated_24h": Target(
            max(koop.values()), 0.8, above("the abstract's '> 80 %'"), KOOP,
            note="alive and out of the vessels at 24 h, the larger of the portal-vein and "
                 "tail-vein routes"),
        "coumans_metastases_per_disseminated_cell": Target(
            m.pop("metastases_per_disseminated_cell"), COUMANS_EFFICIENCY,
            factor(10.0, "an order of magnitude: Coumans's number is itself a model fit to "
                         "registry data (no interval in the abstract)"), COUMANS,
            note="breast-cascade: distant metastases at diagnosis / cells shed into the blood",
            model="breast-cascade"),
    }
    for r in koop:
        m.pop(f"alive_out_of_vessel_24h_{r}")
        m[f"alive_out_of_vessel_24h_{r}"] = koop[r]
    checks = {"overall_efficiency_max": Check(
        m["overall_efficiency_max"], 1e-3, below(),
        note="every route below 0.1 % (the statement); implied by the calibration to Luzzi's "
             "0.02 %")}
    for k in calibration:  # reported with the calibration, not as compared numbers
        m.pop(k)
    for k, c in breast_cascade_calibration().items():  # what sets the human prediction
        if k not in calibration:
            calibration[k] = replace(c, scope="breast-cascade")
    ratio = FIDLER_YIELD / yield_model
    coumans_ratio = COUMANS_EFFICIENCY / float(
        validation["coumans_metastases_per_disseminated_cell"].measured or float("nan"))
    prm = tail.summary["parameters"]
    prog, regress = prm["progression_rate_per_day"], prm["micrometastasis_death_rate_per_day"]
    m["p_micrometastasis_progresses"] = prog / (prog + regress)
    fig = injection_figure([portal, tail])
    return [Verdict.assess(
        "S3", calibration=calibration, validation=validation, checks=checks, measured=m,
        sources=["Chambers AF, Groom AC, MacDonald IC. Nat Rev Cancer 2002;2:563"],
        figures=[ctx.save_figure(fig, "s03_injection_fates")],
        summary=(f"Macroscopic tumours per injected cell {m['efficiency_portal_vein']:.2g} "
                 f"(portal), {m['efficiency_tail_vein']:.2g} (tail vein), "
                 f"{m['efficiency_intracardiac']:.2g} (intracardiac), all < 0.1 % as the "
                 "statement says, but by calibration: the rates were fitted to Luzzi's 0.02 %. "
                 "Independent test, Fidler 1970's yield: the model gives "
                 f"{yield_model:.2g} metastases per cell alive at day 14 against 78/400 = "
                 f"{FIDLER_YIELD:.3g}, {ratio:.0f} times fewer: the calibrated chain lets "
                 f"{alive_14:.2%} of the cells survive to day 14 (Fidler: about 400 cells) but "
                 "almost none of the survivors grow: only the "
                 f"{prm['stem_fraction']:.0%} stem-like cells can found a tumour, and a "
                 "micrometastasis progresses with probability "
                 f"{m['p_micrometastasis_progresses']:.1%} (progression {prog:.2g}/day against "
                 f"regression {regress:.2g}/day, fitted to Luzzi's B16F1 liver data, 1 in 100 "
                 "micrometastases). The model has one set of post-arrival rates for every "
                 "organ, so it cannot be both Luzzi's inefficient liver and Fidler's lung, where "
                 "one in five surviving cells gave a metastasis. Koop 1995 (> 80 % alive and "
                 "extravasated at 24 h): the model gives "
                 f"{koop['portal_vein']:.0%} (portal vein) and {koop['tail_vein']:.1%} (tail "
                 "vein): the tail-vein chain is fitted to Fidler's 1 % alive at 24 h (a "
                 "radiolabel count that Koop's direct observation contradicts), and on the liver "
                 f"route {at(fp, 1.0, 'arrested'):.0%} of the cells are still inside the "
                 f"vessels and {at(fp, 1.0, 'dead'):.0%} dead at 24 h (extravasation is fitted "
                 "to Luzzi's 83 % by day 3, not by day 1). Coumans 2013 (one "
                 "metastasis per 6e7 disseminated cells in human breast cancer): the "
                 "breast-cascade patient sheds "
                 f"{m['breast_cascade_cells_shed_into_blood_by_diagnosis']:.2g} cells into the "
                 "blood by diagnosis for "
                 f"{m['breast_cascade_distant_metastases_at_diagnosis']:.2f} expected distant "
                 f"metastases, {coumans_ratio:.0f} times less efficient: the Butler & Gullino "
                 "shedding rate (3.2e6 cells/g/day, a rat tumour) with the EBCTCG-calibrated "
                 "progression leaves each shed cell a far smaller chance than Coumans's fit."),
    )]
