"""Fit mu and the visibility threshold of the 45 neuroblastoma patients (Benzekry et al. 2021) and
test the association of the fitted mu with overall survival.

    python examples/neuroblastoma/fit_and_survival.py OUT_DIR

Writes OUT_DIR/fit (the output of ``metacascade fit``), OUT_DIR/survival.json and
OUT_DIR/survival.png.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import metacascade as mc
from metacascade.inference.survival import survival_association
from metacascade.plotting import save_fit_figures, survival_figure

HERE = Path(__file__).resolve().parent


def main(out: Path) -> None:
    warnings.simplefilter("ignore", mc.IdentifiabilityWarning)
    res = mc.fit(HERE / "observations.csv", "neuroblastoma",
                 ["dissemination.mu", "detection.visible_diameter_mm"])
    res.save(out / "fit")
    save_fit_figures(res, out / "fit")  # what `metacascade fit` writes beside the estimates
    est = res.estimates()
    cov = res.data.covariates if res.data is not None else None
    assert cov is not None
    summary = {"all_ids": survival_association(est, cov),
               "converged_ids": survival_association(est[est["converged"]], cov)}
    # ids whose fitted curves pass through both data points (within 2 %; the ML optimum of
    # proportional errors sits 1 % below the data)
    assert res.data is not None
    through = [f.id for f in res.fits
               if (abs(res.data[f.id].value / f.fitted - 1) < 0.02).all()]
    summary["ids_fitted_through_both_points"] = survival_association(
        est[est["id"].isin(through)], cov)
    (out / "survival.json").write_text(json.dumps(summary, indent=1) + "\n")
    survival_figure(est, cov).savefig(out / "survival.png", dpi=110)
    print(est[["id", "dissemination.mu", "dissemination.mu_lower", "dissemination.mu_upper",
               "detection.visible_diameter_mm", "converged"]].to_string(index=False))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/neuroblastoma-fit"))
