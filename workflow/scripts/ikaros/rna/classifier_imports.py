"""Predictions of the expression classifiers ALLSorts and ALLCatchR as subtype evidence.

- ALLSorts `predictions.csv`: comma-separated, the sample in the first (index) column, one
  probability column per subtype and meta-subtype, and the call in `Pred` (several labels joined
  by `,` when more than one passes its threshold).
- ALLCatchR predictions table: tab-separated, the sample in `sample`, the call in `Prediction`,
  its `Score` and `Confidence`.

Labels are mapped through resources/classifier_labels.tsv to the project's subtype tokens; the
original label is kept. A label the table does not know, or a sample not in `sample_ids`, is an
error naming the file, the row and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ikaros.subtype_names import PH_LIKE_CLASSES, SUBTYPES
from ikaros.tables import header_line, read_tsv

LABEL_COLUMNS = ("classifier", "label", "subtype", "subclass", "note")
CLASSIFIER_COLUMNS = (
    "sample_id",
    "classifier",
    "label",
    "subtype",
    "subclass",
    "score",
    "classifier_confidence",
    "note",
)


class ClassifierImportError(ValueError):
    """A classifier table that breaks its format, or names unknown samples or labels."""


def read_label_map(path: str | Path) -> pd.DataFrame:
    table = read_tsv(path, LABEL_COLUMNS, "classifier label map", comment="#", dtype=str,
                     keep_default_na=False)  # fmt: skip
    bad = ~table["subtype"].isin(SUBTYPES)
    bad |= (table["subclass"] != "") & ~table["subclass"].isin(PH_LIKE_CLASSES)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise ClassifierImportError(
            f"{path}: row {row + 3} (label {table['label'].iloc[row]!r}): subtype must be one of "
            f"{', '.join(SUBTYPES)}"
        )
    return table.loc[:, list(LABEL_COLUMNS)]


def detect_classifier(path: Path) -> str:
    header = header_line(path, "classifier table", ClassifierImportError)
    if "," in header and "Pred" in [c.strip('"') for c in header.split(",")]:
        return "ALLSorts"
    if "Prediction" in header.split("\t"):
        return "ALLCatchR"
    raise ClassifierImportError(
        f"{path}: neither an ALLSorts predictions.csv (a `Pred` column) nor an ALLCatchR "
        f"predictions table (a `Prediction` column); its header starts {header[:120]!r}"
    )


def import_classifier_calls(
    path: str | Path, labels: pd.DataFrame, sample_ids: list[str] | None = None
) -> pd.DataFrame:
    """CLASSIFIER_COLUMNS rows, one per sample of the table."""
    path = Path(path)
    classifier = detect_classifier(path)
    if classifier == "ALLSorts":
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        sample_column, label_column = table.columns[0], "Pred"
        probabilities = [c for c in table.columns[1:] if c != "Pred"]
    else:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")  # fmt: skip
        if "sample" not in table.columns:
            raise ClassifierImportError(f"{path}: missing column sample (ALLCatchR predictions)")
        sample_column, label_column, probabilities = "sample", "Prediction", []
    known = labels[labels["classifier"] == classifier].set_index("label")
    rows = []
    for i, row in table.iterrows():
        sample = row[sample_column].strip()
        if sample_ids is not None and sample not in sample_ids:
            raise ClassifierImportError(
                f"{path}: row {i + 2}: sample {sample!r} is not in the samples sheet"
            )
        original = row[label_column].strip()
        first = original.split(",")[0].strip()
        if first not in known.index:
            raise ClassifierImportError(
                f"{path}: row {i + 2} (sample {sample}), column {label_column}: unknown "
                f"{classifier} label {first!r}; known labels: {', '.join(known.index)}"
            )
        mapped = known.loc[first]
        if classifier == "ALLSorts":
            score = (
                pd.to_numeric(row.get(first, ""), errors="coerce")
                if first in probabilities
                else None
            )
        else:
            score = pd.to_numeric(row.get("Score", ""), errors="coerce")
        note = mapped["note"]
        if "," in original:
            note = f"{note}; also called: {original}".lstrip("; ")
        rows.append(
            {
                "sample_id": sample,
                "classifier": classifier,
                "label": original,
                "subtype": mapped["subtype"],
                "subclass": mapped["subclass"],
                "score": score,
                "classifier_confidence": row.get("Confidence", ""),
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=list(CLASSIFIER_COLUMNS))
