"""The report's subtype section: frequencies, an oncoprint, concordance and treatment flags.

Everything here is computed from the patients table (results/{cohort}/patients.tsv) and the
subtype concordance table; the figures are returned as PNG bytes for embedding.

Treatment-relevance flags are for research use, not for clinical decisions. Sources:
- ABL-class BCR::ABL1-like and BCR::ABL1: tyrosine kinase inhibitor eligibility (Roberts et
  al., NEJM 2014; den Boer et al., JCO 2021 for ABL-class outcomes on TKI);
- JAK-STAT BCR::ABL1-like (CRLF2-r, JAK2/EPOR, other JAK-STAT) or a JAK-STAT pathway mutation:
  JAK inhibitor trials (Roberts et al., NEJM 2014; ruxolitinib in NCT02723994);
- IKZF1plus with an unfavourable subtype: high risk (Stanulla et al., JCO 2018; Wang'ondu et
  al., Leukemia 2025);
- a TP53 mutation or hypodiploidy (near haploid, low hypodiploid): high risk and germline TP53
  testing (Holmfeldt et al., Nat Genet 2013; Qian et al., JCO 2018).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ikaros.subtype_names import SUBTYPES  # noqa: E402

RESEARCH_USE = "Research use only, not for clinical decisions."
FLAG_COLUMNS = ("patient_id", "subtype", "flag", "basis")
JAK_STAT_CLASSES = ("CRLF2-r", "JAK2/EPOR", "other JAK-STAT")
HYPODIPLOID_SUBTYPES = ("near haploid", "low hypodiploid")
# Okabe-Ito colours (colour-blind safe) for the oncoprint's lesion rows
_ON = "#0072B2"
_BI = "#D55E00"
_OFF = "#F0F0F0"


def _text(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table.columns:
        return pd.Series([""] * len(table), index=table.index)
    return table[column].fillna("").astype(str)


def treatment_flags(patients: pd.DataFrame) -> pd.DataFrame:
    """One row per patient and flag (FLAG_COLUMNS)."""
    subtype = _text(patients, "subtype")
    klass = _text(patients, "subtype_class")
    group = _text(patients, "subtype_group")
    rows = []
    for i, patient in enumerate(_text(patients, "patient_id")):

        def add(flag, basis, i=i, patient=patient):
            rows.append((patient, subtype.iat[i], flag, basis))

        if subtype.iat[i] == "BCR::ABL1" or klass.iat[i] == "ABL-class":
            add("ABL-class: TKI-eligible", f"{subtype.iat[i]} {klass.iat[i]}".strip())
        jak_mutation = _text(patients, "jak_stat_mutation").iat[i] == "true"
        if klass.iat[i] in JAK_STAT_CLASSES or jak_mutation:
            basis = klass.iat[i] if klass.iat[i] in JAK_STAT_CLASSES else "JAK-STAT mutation"
            add("JAK-STAT: JAK inhibitor trials", basis)
        if _text(patients, "ikzf1plus").iat[i] == "true" and group.iat[i] == "unfavourable":
            add("IKZF1plus and unfavourable subtype: high risk", subtype.iat[i])
        tp53 = _text(patients, "tp53_mutation").iat[i] == "true"
        if tp53 or subtype.iat[i] in HYPODIPLOID_SUBTYPES:
            basis = "TP53 mutation" if tp53 else subtype.iat[i]
            add("TP53 or hypodiploid: high risk, germline TP53 testing", basis)
    return pd.DataFrame(rows, columns=list(FLAG_COLUMNS))


def subtype_frequencies(patients: pd.DataFrame) -> pd.DataFrame:
    """Per derived subtype: patients, percent of the cohort, IKZF1-altered patients and their
    percent within the subtype (the study's Figure 1), in the order of the subtype tokens."""
    subtype = _text(patients, "subtype")
    altered = _text(patients, "ikzf1_status").eq("deleted") | _text(patients, "ikzf1_mutation").eq(
        "true"
    )
    table = pd.DataFrame({"subtype": subtype, "altered": altered})
    counts = table.groupby("subtype").agg(patients=("altered", "size"), altered=("altered", "sum"))
    order = [s for s in SUBTYPES if s in counts.index] + sorted(set(counts.index) - set(SUBTYPES))
    counts = counts.loc[order].reset_index()
    counts["percent"] = (100 * counts["patients"] / max(len(table), 1)).round(1)
    counts["ikzf1_altered"] = counts["altered"].astype(int)
    counts["ikzf1_altered_percent"] = (100 * counts["altered"] / counts["patients"]).round(1)
    return counts[["subtype", "patients", "percent", "ikzf1_altered", "ikzf1_altered_percent"]]


def frequency_figure(frequencies: pd.DataFrame) -> bytes:
    """Bars of patients per subtype with the IKZF1-altered share filled."""
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(frequencies) + 1.2))
    y = np.arange(len(frequencies))[::-1]
    ax.barh(y, frequencies["patients"], color="#BBBBBB", label="all patients")
    ax.barh(y, frequencies["ikzf1_altered"], color=_ON, label="IKZF1 altered")
    for yy, n, pct in zip(y, frequencies["patients"], frequencies["ikzf1_altered_percent"],
                          strict=True):  # fmt: skip
        ax.text(n, yy, f"  {pct:.0f}% altered", va="center", fontsize=8)
    ax.set_yticks(y, frequencies["subtype"])
    ax.set_xlabel("patients")
    ax.set_xlim(0, frequencies["patients"].max() * 1.35 if len(frequencies) else 1)
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


# oncoprint rows: label, column, how a value is drawn (on / biallelic / off)
ONCOPRINT_ROWS = (
    ("IKZF1 deletion", "ikzf1_status", {"deleted": 1}),
    ("IKZF1 mutation", "ikzf1_mutation", {"true": 1}),
    ("IKZF1plus", "ikzf1plus", {"true": 1}),
    ("CDKN2A", "cdkn2a", {"mono": 1, "bi": 2}),
    ("CDKN2B", "cdkn2b", {"mono": 1, "bi": 2}),
    ("PAX5", "pax5", {"mono": 1, "bi": 2}),
    ("PAR1", "par1", {"mono": 1, "bi": 2}),
    ("ERG", "erg", {"mono": 1, "bi": 2}),
    ("Ras pathway", "ras_mutation", {"true": 1}),
    ("JAK-STAT", "jak_stat_mutation", {"true": 1}),
    ("TP53", "tp53_mutation", {"true": 1}),
    ("fusion", "fusion_subtype", None),
    ("iAMP21", "iamp21", {"true": 1}),
)


def oncoprint_figure(patients: pd.DataFrame) -> bytes:
    """Patients (columns, grouped by derived subtype, IKZF1-deleted first) by lesion (rows),
    with a band of the subtype on top."""
    subtype = _text(patients, "subtype")
    rank = {s: i for i, s in enumerate(SUBTYPES)}
    order = np.lexsort(
        (~_text(patients, "ikzf1_status").eq("deleted").to_numpy(),
         subtype.map(lambda s: rank.get(s, len(rank))).to_numpy())
    )  # fmt: skip
    table = patients.iloc[order]
    grid = []
    for _, column, values in ONCOPRINT_ROWS:
        cells = _text(table, column)
        grid.append(cells.ne("").astype(int) if values is None else cells.map(values).fillna(0))
    grid = np.array(grid, dtype=float)
    n = len(table)
    fig, (band, ax) = plt.subplots(
        2, 1, figsize=(min(2 + 0.06 * n, 16), 5.2), height_ratios=(1, len(ONCOPRINT_ROWS)),
        sharex=True,
    )  # fmt: skip
    labels = list(dict.fromkeys(_text(table, "subtype")))
    codes = _text(table, "subtype").map({s: i for i, s in enumerate(labels)}).to_numpy()
    palette = plt.get_cmap("tab20", max(len(labels), 1))
    band.imshow(codes[None, :], aspect="auto", cmap=palette, vmin=-0.5,
                vmax=max(len(labels), 1) - 0.5, interpolation="nearest")  # fmt: skip
    band.set_yticks([0], ["subtype"])
    band.tick_params(bottom=False)
    ax.imshow(grid, aspect="auto", cmap=ListedColormap([_OFF, _ON, _BI]), vmin=0, vmax=2,
              interpolation="nearest")  # fmt: skip
    ax.set_yticks(range(len(ONCOPRINT_ROWS)), [row[0] for row in ONCOPRINT_ROWS])
    ax.set_xticks([])
    ax.set_xlabel(f"{n} patients, grouped by derived subtype")
    handles = [Patch(color=palette(i), label=s) for i, s in enumerate(labels)]
    handles += [Patch(color=_ON, label="altered (mono-allelic loss)"),
                Patch(color=_BI, label="bi-allelic loss")]  # fmt: skip
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False,
               fontsize=8)  # fmt: skip
    return _png(fig)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
