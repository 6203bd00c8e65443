"""
Does it reproduce the literature? The claims table
==================================================

Every statement the project makes about the literature is an experiment with a verdict
(``reproduced``, ``not reproduced``, ``illustrated``, ...): ``mc.run_claims`` runs the selected
ones and returns their verdicts; ``metacascade claims --out DIR`` runs all of them and writes
``claims.json`` and the ``claims.html`` report. Here four statements run with their quick
(smaller) samples, so that the example takes seconds; a quick verdict can differ from the full
one. See :doc:`/claims` for how to read them.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import metacascade as mc

out = Path(tempfile.mkdtemp()) / "claims"
verdicts = mc.run_claims("S2,S3,S5,S13", out_dir=out, quick=True, parallel=1, html=False)
claims = mc.load_result(out)
table = claims.to_dataframe()
table

# %%
for row in table.itertuples():
    print(f"{row.id} [{row.status}] {row.summary}\n")

# %%
# Time each experiment took (seconds):
fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
ax.barh(table["id"] + " (" + table["status"] + ")", table["seconds"])
ax.set(xlabel="seconds")
ax.invert_yaxis()
plt.show()
