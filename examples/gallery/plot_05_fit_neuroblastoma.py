"""
Fitting the neuroblastoma patients
==================================

``mc.fit`` estimates scenario parameters from long-format data, id by id, by maximum
likelihood. The example data are the 45 neuroblastoma patients of Benzekry et al. (2021): at
diagnosis each has a primary volume, a count of visible metastases and a burden marker (LDH).
Here eight patients are fitted for the dissemination rate ``mu`` and the size at which a
metastasis becomes visible (``detection.visible_diameter_mm``); the whole data set, with the Cox
model of survival on the fitted ``mu``, is ``examples/neuroblastoma/fit_and_survival.py``.
"""

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import metacascade as mc

# examples/neuroblastoma of the repository (the docs build runs this script in its folder)
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()
DATA = HERE.parent / "neuroblastoma" / "observations.csv"
data = mc.load_observations(DATA)
ids = data.ids[:8]
warnings.simplefilter("ignore", mc.IdentifiabilityWarning)  # open intervals are in the table
fit = mc.fit(data, "neuroblastoma", ["dissemination.mu", "detection.visible_diameter_mm"],
             ids=ids, interval="none", n_starts=16, seed=1)
estimates = fit.estimates()
estimates[["id", "dissemination.mu", "detection.visible_diameter_mm", "loglik", "converged"]]

# %%
# The fitted values against the data: each point is one observation at diagnosis.
fig, ax = plt.subplots(figsize=(5, 4.4), layout="constrained")
for observable, marker in (("n_visible", "o"), ("burden_marker", "s")):
    obs, pred = [], []
    for sid in ids:
        subject, sf = data[sid], fit.subject_fit(sid)
        chosen = np.array(subject.observable) == observable
        obs += list(subject.value[chosen])
        pred += list(np.asarray(sf.fitted)[chosen])
    ax.loglog(obs, pred, marker, label=observable)
lims = (0.5, 2e4)
ax.plot(lims, lims, color="0.5", lw=1)
ax.set(xlim=lims, ylim=lims, xlabel="observed", ylabel="fitted")
ax.legend()
plt.show()

# %%
# Log-likelihood, AIC and BIC of the individual fits:
fit.goodness_of_fit()
