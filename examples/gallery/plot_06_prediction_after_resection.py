"""
A prediction after resection
============================

A whole workflow on one virtual patient: simulate a ``breast`` patient whose primary is removed
at detection, measure its metastatic burden at three follow-up visits (with 10 % noise), fit the
dissemination rate ``mu`` to these measurements with ``mc.fit``, and predict the burden forward
with ``mc.predict``. The prediction's ``overrides`` change the fitted patient's scenario: here the
question "what if the surgery had been six months later?". The band is drawn from the
uncertainty of the estimate.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import metacascade as mc

truth = mc.load_scenario("breast", ["dissemination.mu=6e-12"])
run = mc.simulate(truth)
detection = run.summary["detection_day"]
visits = detection + np.array([365.0, 730.0, 1095.0])
series = run.to_dataframe().set_index("time_days")
burden = np.interp(visits, series.index, series["metastatic_burden_cells"])
rng = np.random.default_rng(7)
data = pd.DataFrame({"id": "P1", "time": visits, "observable": "metastatic_burden_cells",
                     "value": burden * rng.lognormal(0.0, 0.1, visits.size)})
data

# %%
warnings.simplefilter("ignore", mc.IdentifiabilityWarning)
fit = mc.fit(data, "breast", ["dissemination.mu"], seed=1)
fit.estimates()[["id", "dissemination.mu", "dissemination.mu_lower", "dissemination.mu_upper"]]

# %%
times = np.arange(detection, detection + 5 * 365.25, 15.0)
observables = ("primary_cells", "metastatic_burden_cells")
plans = {
    "resection at detection": mc.predict(fit, "P1", times=times, observables=observables,
                                         n_samples=100, seed=2),
    "resection six months later": mc.predict(
        fit, "P1", times=times, observables=observables, n_samples=100, seed=2,
        overrides=["treatment.resection_at_detection=false",
                   f"treatment.resection_day={detection + 182.0}"]),
}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for ax, observable in zip(axes, observables, strict=True):
    for label, ds in plans.items():
        band = ds.sel(observable=observable)
        years = (band["time_days"] - detection) / 365.25
        line, = ax.semilogy(years, band["estimate"], label=label)
        ax.fill_between(years, band["lower"], band["upper"], color=line.get_color(), alpha=0.2)
    ax.set(title=observable, xlabel="years after detection", ylabel="cells")
axes[1].semilogy((visits - detection) / 365.25, data["value"], "ko", label="measurements")
axes[1].legend()
plt.show()

# %%
# Five years after detection, the later surgery leaves this much more metastatic burden:
late, early = (float(plans[k]["estimate"].sel(observable="metastatic_burden_cells")[-1])
               for k in ("resection six months later", "resection at detection"))
print(f"fitted mu = {fit.subject_fit('P1').estimate[0]:.3g} per cell per day (true 6e-12); "
      f"burden ratio at 5 years: {late / early:.2f}")

# %%
# As a table (the ``prediction.csv`` a ``metacascade predict`` run writes):
prediction = mc.PredictionResult(plans["resection six months later"], fit.scenario)
prediction.to_dataframe().head()
