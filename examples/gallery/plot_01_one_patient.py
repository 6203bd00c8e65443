"""
One patient: the primary, its metastases and the day they become visible
========================================================================

``mc.simulate`` runs one virtual patient of a scenario and returns a
:class:`metacascade.Result`: time series over days, the key events and the provenance.
The built-in ``breast`` scenario is a Gompertz primary that seeds metastases at the rate
``mu V^gamma`` (Iwata et al. 2000) and is removed at detection.
"""

# %%
import matplotlib.pyplot as plt

import metacascade as mc

scenario = mc.load_scenario("breast")
result = mc.simulate(scenario)
series = result.to_dataframe()
series.head()

# %%
# The key events are one table: the day each happens and what the engine computed there.
result.events()

# %%
# Cells of the primary and of all metastases together, and the expected number of
# metastases. Surgery at detection ends the primary; the metastases that were already seeded
# keep growing.
fig, (ax_cells, ax_count) = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
years = series["time_days"] / 365.25
ax_cells.semilogy(years, series["primary_cells"], label="primary")
ax_cells.semilogy(years, series["metastatic_burden_cells"], label="all metastases")
ax_cells.set(xlabel="years from the first cancer cell", ylabel="cells", ylim=(1, 1e13))
detected = result.summary["detection_day"] / 365.25
for ax in (ax_cells, ax_count):
    ax.axvline(detected, color="0.6", ls="--", lw=1)
ax_cells.legend()
ax_count.plot(years, series["n_metastases"], label="metastases (expected)")
ax_count.plot(years, series["n_visible"], label="visible metastases")
ax_count.set(xlabel="years from the first cancer cell", ylabel="number")
ax_count.legend()
plt.show()

# %%
# The same run with a four times higher dissemination rate: the scenario is changed by a dotted
# key, as ``metacascade run breast --set dissemination.mu=...`` does on the command line.
faster = mc.simulate(mc.load_scenario("breast", [f"dissemination.mu={4 * scenario.dissemination.mu}"]))
for r in (result, faster):
    print(f"mu = {r.scenario.dissemination.mu:.3g} per cell per day: "
          f"{r.summary['n_metastases_at_detection']:.2f} metastases at detection")
