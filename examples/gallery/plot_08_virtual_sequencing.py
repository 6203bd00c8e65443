"""
Virtual sequencing of a primary and a metastasis
================================================

The mutations of a stochastic patient (their true cancer-cell fractions in every site) are
sequenced as multi-region bulk samples would be (SCIMET's sampling, Hu et al. 2019): cells drawn
per region, negative-binomial depth with mean 100, binomial alternative reads. The read table has
the PyClone-VI columns; the summary statistics are those seeding inference compares.

(Issue 15 adds the ``metacascade sequence`` command; this example calls the functions of
:mod:`metacascade.analysis.sequencing` that exist today.)
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import metacascade as mc
from metacascade.analysis.sequencing import neutral_tail, summary_statistics, virtual_sequencing
from metacascade.engines.stochastic import simulate_scenario

scenario = mc.load_scenario("breast", ["dissemination.mu=1e-10", "simulation.duration_days=2500"])
patient = simulate_scenario(scenario, np.random.default_rng(3))
largest = patient.metastases.sort_values("cells_final").iloc[-1]["met_id"]
reads = virtual_sequencing(patient.mutations(), {"primary": 2, largest: 2},
                           np.random.default_rng(4))
reads.head()

# %%
# Variant allele fractions of the mutations seen in each site (pooled regions).
pooled = reads.groupby(["site", "mutation_id"])[["alt_counts", "ref_counts"]].sum()
vaf = pooled["alt_counts"] / (pooled["alt_counts"] + pooled["ref_counts"])
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained", sharey=True)
for ax, site in zip(axes, ("primary", largest), strict=True):
    seen = vaf.loc[site]
    ax.hist(seen[seen > 0.02], bins=np.linspace(0, 0.6, 31))
    ax.set(title=site, xlabel="variant allele fraction")
axes[0].set_ylabel("mutations")
plt.show()

# %%
# SCIMET's statistics (S1-S4 primary-private, S5-S8 metastasis-private, S9) and more:
summary_statistics(reads, primary="primary")

# %%
# The neutral tail of the primary (Williams et al. 2016): M(f) against 1/f.
neutral_tail(reads, "primary")
