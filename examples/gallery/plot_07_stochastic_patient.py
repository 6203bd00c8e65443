"""
A stochastic patient at the cell scale
======================================

The ``stochastic`` engine simulates one patient cell by cell: the primary and every metastasis
are birth-death processes whose clones carry mutations, and each metastasis is founded by real
cells of the primary. ``mc.simulate(..., engine="stochastic")`` gives the same
:class:`metacascade.Result` as the other engines; the patient itself (clones, metastases, cells
of every site) comes from :func:`metacascade.engines.stochastic.simulate_scenario`.

(Issue 15 adds the ``metacascade sequence`` command and the stochastic outputs of
``metacascade run``; this example uses what the Python API offers today.)
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import metacascade as mc
from metacascade.engines.stochastic import simulate_scenario

scenario = mc.load_scenario("breast", ["dissemination.mu=1e-10", "simulation.duration_days=2500"])
result = mc.simulate(scenario, engine="stochastic", seed=3)
{k: result.summary[k] for k in ("detection_day", "first_metastasis_day", "n_metastases_final",
                                 "n_visible_final", "metastatic_burden_cells_final")}

# %%
# The same patient (same seed), with every site's cells over time.
patient = simulate_scenario(scenario, np.random.default_rng(3))
patient.metastases[["met_id", "organ", "founding_day", "cells_final"]].head(8)

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
ax.semilogy(patient.times, patient.cells["primary"], color="k", lw=2, label="primary")
for met in patient.metastases.itertuples():
    cells = patient.cells[met.met_id]
    ax.semilogy(patient.times, np.where(cells > 0, cells, np.nan), lw=1,
                label=f"{met.met_id} ({met.organ})" if met.cells_final > 1e5 else None)
ax.axvline(patient.detection_day, color="0.6", ls="--", lw=1)
ax.set(xlabel="days from the first cancer cell", ylabel="cells", ylim=(1, 1e12))
ax.legend(fontsize="small")
plt.show()

# %%
# Many metastases are founded and die out at once: a tumour started from one cell is lost with
# probability d/b. The clone tree of this patient:
print(f"{len(patient.clones):,} clones; {int((patient.metastases['cells_final'] > 0).sum())} of "
      f"{len(patient.metastases)} metastases alive at the end")
