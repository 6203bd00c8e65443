"""The eighteen seed statements S1..S18, verbatim (typos included), as the project was given them.

Reading notes of the project (how unclear sentences are read) are in the docstring of each
statement's experiment (``claims/sNN_*.py``).
"""

STATEMENTS: dict[str, str] = {
    "S1": 'The most serious complication of cancer and is more often the cause of death than is the primary tumor.',
    "S2": 'Preparation of the pre-metastatic tumor-derived exosomes, microRNAs and growth factors precedes the release of cells from the primary tumor.',
    "S3": 'Circulating tumor cells are inefficient in establishing metastases with fewer than 00.1% able to do so.',
    "S4": 'Peritumoral lymphatic vessels are larger and more numerous than intratumoral lymphatics and suggest the presence of lymph node metastases.',
    "S5": 'Process involves detachment of cancer cells, invasion into adjacent tissue, extravasation into the tumor vasculature, into the systemic circulation, with response to proangiogenic factors, with chemotaxis to a distant destination.',
    "S6": 'Subsequently cancer cells attach to the basement membrane of a blood vessel through cell adhesion molecules and then degradation of extracellular matrix by proteolytic enzymes allows migration through the basement membrane into new sites.',
    "S7": 'Resection of a primary tumor in the presence of metastatic disease will enhance the growth of distant lesions (Gunduz N et al, Fisher B et al).',
    "S8": 'Protein factor is synthesized by primary tumors restrict tumor growth at metastatic sites, so that they send lesions grow once the primary lesion is resected (Fisher B et al, Folkman J).',
    "S9": 'The primary tumor may have a role in the propagation of metastases by acting as a reservoir for tumor stem cells.',
    "S10": 'A molecular communication exists between the primary tumor and the pre-metastatic niche (Kaplan RN et al).',
    "S11": 'Growth factor secretions, proliferation factors and other stimulatory signals from a primary tumor may play a role in priming the niche for implantation and growth of metastases.',
    "S12": 'Metastatic cancer cells in bone stimulate osteoblasts to release receptor activator of nuclear factor kB ligand (RANKL), which binds to its receptor RANK, on both precursor and mature osteoclasts: increased osteoclastic bone resorption can lead to release of bone derived growth factors that provide a fertile environment for survival and growth of adjacent cancer cells.',
    "S13": 'Metastases are generally thought of as a later event that occurs some time after the primary cancer develops, but new research shows that metastases may be seeded years before cancer is even diagnosed.',
    "S14": 'Tumor cells can enter a dormant non-proliferating state sometimes, particularly in breast and prostate cancers, for many years.',
    "S15": 'It is suggested that metastatic seeding is a very early event and likely happens years before the primary cancer is even detected.',
    "S16": 'In 80% of patients with metastatic colorectal cancervseeding of the metastatic sites occurred exceedingly early, before the primary tumor was clinically detectable (Curtis).',
    "S17": 'Some tumors clones are born with their malignant and potentially metastatic potential specified early.',
    "S18": 'The divergence between the primary and metastatic sites is low.',
}
