"""The comparisons of the relapse analysis and the per-patient exposure columns they rest on.

Comparisons (group label per patient; patients who cannot be classified get no label and are
left out of that comparison only):
- any IKZF1 alteration vs none (a deletion, or a sequence mutation when the calls carry one);
- IKZF1 class: del4-7, other deletion, none;
- IKZF1plus (any IKZF1 deletion) vs not, and IKZF1plus with a focal IKZF1 deletion vs not;
- subtype risk group (favourable, intermediate, unfavourable) from the shipped resource table,
  with config overrides;
- any extra grouping named in config (a clinical column).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.relapse.settings import SUBTYPE_RISK_GROUPS, RelapseSettings
from ikaros.subtypes.assign import normalise_subtype
from ikaros.tables import read_text_table

ALTERED, NOT_ALTERED = "IKZF1 altered", "IKZF1 not altered"
DEL4_7, OTHER_DELETION, NO_DELETION = "del4-7", "other deletion", "no deletion"
COMPARISON_LEVELS = {
    "IKZF1 alteration": [NOT_ALTERED, ALTERED],
    "IKZF1 class": [NO_DELETION, OTHER_DELETION, DEL4_7],
    "IKZF1plus": ["not IKZF1plus", "IKZF1plus"],
    "IKZF1plus (focal)": ["not IKZF1plus focal", "IKZF1plus focal"],
    "Subtype group": list(SUBTYPE_RISK_GROUPS),
}
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n"}


class GroupingError(ValueError):
    """A table needed for the comparisons is malformed; the message names file, row, column."""


def truthy(values: pd.Series, column: str, source: str) -> pd.Series:
    """true/false/empty cells (bool or text) -> 1.0/0.0/NaN; anything else is an error."""
    out = []
    for position, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            out.append(np.nan)
        elif isinstance(value, bool | np.bool_):
            out.append(float(value))
        elif str(value).strip().lower() in TRUE_WORDS:
            out.append(1.0)
        elif str(value).strip().lower() in FALSE_WORDS:
            out.append(0.0)
        else:
            raise GroupingError(
                f"{source}: row {position + 2}, column {column}: {value!r}; expected true or false"
            )
    return pd.Series(out, index=values.index, dtype=float)


def read_risk_groups(path: str | Path) -> dict:
    """The subtype -> risk group resource table (columns subtype, risk_group, source)."""
    table = read_text_table(path, "risk-group table", ("subtype", "risk_group", "source"),
                            GroupingError, comments=True)  # fmt: skip
    for position, row in table.iterrows():
        if row["risk_group"] not in SUBTYPE_RISK_GROUPS:
            raise GroupingError(
                f"{path}: row {position + 2}, column risk_group: {row['risk_group']!r}; expected "
                f"one of {SUBTYPE_RISK_GROUPS}"
            )
    if table["subtype"].duplicated().any():
        dup = table.loc[table["subtype"].duplicated(), "subtype"].iloc[0]
        raise GroupingError(f"{path}: column subtype: {dup!r} appears twice")
    return dict(zip(table["subtype"], table["risk_group"], strict=True))


def subtype_risk_group(subtypes: pd.Series, mapping: dict, overrides: dict | None = None):
    """Risk group per patient; unknown subtypes are intermediate, empty subtypes stay empty."""
    merged = {**mapping, **(overrides or {})}
    lookup = {str(k).casefold(): v for k, v in merged.items()}
    # an override given in another spelling of a token (DUX4 for DUX4-r) reaches the token too
    lookup |= {normalise_subtype(k).casefold(): v for k, v in (overrides or {}).items()}
    out = []
    for value in subtypes:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            out.append(np.nan)
        else:
            out.append(lookup.get(str(value).strip().casefold(), "intermediate"))
    return pd.Series(out, index=subtypes.index, dtype=object)


def merge_calls(outcomes: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Outcomes joined with the IKZF1 calls; patients without a call are not assessable."""
    calls = patients.copy()
    calls["patient_id"] = calls["patient_id"].astype(str)
    shared = [c for c in calls.columns if c in outcomes.columns and c != "patient_id"]
    merged = outcomes.merge(calls.drop(columns=shared), on="patient_id", how="left")
    merged["ikzf1_status"] = merged["ikzf1_status"].fillna("not_assessable")
    return merged


def add_exposures(
    table: pd.DataFrame,
    risk_groups: dict,
    settings: RelapseSettings,
    source: str = "patients table",
) -> pd.DataFrame:
    """Add 0/1 exposure columns and the subtype group to a merged outcome/calls table.

    Added: ikzf1_altered, ikzf1_del4_7, ikzf1_other_deletion, ikzf1plus, ikzf1plus_focal
    (1.0/0.0, NaN when IKZF1 is not assessable; the two class exposures are also NaN for a
    deletion whose class is empty because an exon was unresolved) and subtype_group.
    """
    out = table.copy()
    status = out["ikzf1_status"].astype(str)
    allowed = {"deleted", "wildtype", "not_assessable"}
    bad = ~status.isin(allowed)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise GroupingError(
            f"{source}: patient {out['patient_id'].iloc[position]}, column ikzf1_status: "
            f"{status.iloc[position]!r}; expected one of {sorted(allowed)}"
        )
    assessable = status != "not_assessable"
    deleted = (status == "deleted").astype(float)
    mutated = pd.Series(0.0, index=out.index)
    if "ikzf1_mutation" in out.columns:
        text = out["ikzf1_mutation"].fillna("").astype(str).str.strip()
        mutated = ((text != "") & (text.str.lower() != "none")).astype(float)
    klass = out.get("ikzf1_class", pd.Series("", index=out.index)).fillna("").astype(str)
    known = {"del4-7", "del2-7", "del2-8", "del4-8", "del1-8", "other", ""}
    bad_class = ~klass.isin(known)
    if bad_class.any():
        position = int(np.flatnonzero(bad_class.to_numpy())[0])
        raise GroupingError(
            f"{source}: patient {out['patient_id'].iloc[position]}, column ikzf1_class: "
            f"{klass.iloc[position]!r}; expected del4-7, del2-7, del2-8, del4-8, del1-8, other "
            "or empty"
        )
    # A deletion whose class is empty has an exon the data could not resolve: it is an
    # IKZF1 alteration, but whether it is delta 4-7 is unknown.
    class_known = assessable & ~((status == "deleted") & (klass == ""))
    out["ikzf1_altered"] = np.maximum(deleted, mutated).where(assessable)
    out["ikzf1_del4_7"] = (klass == "del4-7").astype(float).where(class_known)
    out["ikzf1_other_deletion"] = ((deleted == 1) & (klass != "del4-7")).astype(float)
    out["ikzf1_other_deletion"] = out["ikzf1_other_deletion"].where(class_known)
    for column in ("ikzf1plus", "ikzf1plus_focal"):
        if column in out.columns:
            flag = truthy(out[column], column, source).fillna(0.0)
        else:
            flag = pd.Series(0.0, index=out.index)
        out[column] = flag.where(assessable)
    subtypes = out.get(settings.subtype_column, pd.Series(np.nan, index=out.index))
    out["subtype_group"] = subtype_risk_group(
        subtypes, risk_groups, settings.subtype_risk_overrides
    )
    return out


def _label(flag: pd.Series, yes: str, no: str) -> pd.Series:
    return pd.Series(np.where(flag == 1, yes, np.where(flag == 0, no, None)), index=flag.index)


def comparisons(table: pd.DataFrame, settings: RelapseSettings) -> dict:
    """Comparison name -> (group label per patient, level order). None = left out."""
    ikzf1_class = np.where(
        table["ikzf1_del4_7"] == 1,
        DEL4_7,
        np.where(
            table["ikzf1_other_deletion"] == 1,
            OTHER_DELETION,
            np.where(table["ikzf1_altered"].notna(), NO_DELETION, None),
        ),
    )
    out = {
        "IKZF1 alteration": _label(table["ikzf1_altered"], ALTERED, NOT_ALTERED),
        "IKZF1 class": pd.Series(ikzf1_class, index=table.index),
        "IKZF1plus": _label(table["ikzf1plus"], "IKZF1plus", "not IKZF1plus"),
        "IKZF1plus (focal)": _label(
            table["ikzf1plus_focal"], "IKZF1plus focal", "not IKZF1plus focal"
        ),
        "Subtype group": table["subtype_group"].where(table["subtype_group"].notna(), None),
    }
    # A mutation-only patient is altered but has no deletion class: keep them out of the class
    # comparison rather than calling them "no deletion".
    mutation_only = (table["ikzf1_altered"] == 1) & (table["ikzf1_del4_7"] == 0)
    mutation_only &= table["ikzf1_other_deletion"] == 0
    out["IKZF1 class"] = out["IKZF1 class"].where(~mutation_only, None)
    result = {name: (labels, COMPARISON_LEVELS[name]) for name, labels in out.items()}
    for name, column in settings.extra_groupings.items():
        if column not in table.columns:
            raise GroupingError(
                f"relapse.extra_groupings[{name!r}]: column {column!r} is not in the clinical sheet"
            )
        labels = table[column].where(table[column].notna() & (table[column] != ""), None)
        labels = labels.map(lambda v: None if v is None else str(v))
        result[name] = (labels, sorted({v for v in labels if v is not None}))
    return result
