"""Marker-gene expression evidence per sample, from gene counts (count tables or RNA BAMs).

Each gene's level is taken within its own sample, against the sample's housekeeping genes:

    level = log2(count + 0.5) - mean over housekeeping genes of log2(count + 0.5)

It does not depend on library size, on which other genes were counted (a BAM-derived table of
the panel genes and a genome-wide count table give the same level), nor on the counter. Marker
sets (resources/expression_markers.tsv) are then read two ways:

- `silent` sets (DUX4, NUTM1, HLF, CDX2: not expressed in B-ALL outside the subtype) are called
  within the sample: `expressed` when the gene has at least `silent_min_reads` reads and a level
  of at least `silent_min_level` (2^-4.5 of the housekeeping mean: above the stray reads of a
  silent gene, which a long transcript collects more of since levels are counts, not
  length-normalised; below the level of a driven one).
- `cohort` sets are scored against the cohort: each gene's robust z-score (median and MAD of
  the level over the cohort's samples that measured it, MAD floored at `min_mad` so that a
  tight gene does not make small shifts look large), signed by direction, averaged over the set;
  `high` when the mean is at least `z_high` and the set's genes sit on average at least
  `min_effect_log2` above (or below) the cohort median: a z-score alone makes small shifts of
  a tight gene look large in a small cohort. With fewer than `min_cohort` samples the call is
  `not_assessable`: a robust z needs a cohort in which most samples do not carry the subtype.

Gene-specific biases of a laboratory or pipeline (3' bias, annotation, read length) shift a
gene's level in all its samples alike and cancel in the cohort z; they do not cancel when one
cohort mixes laboratories, which the evidence cannot detect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.tables import read_tsv

MARKER_SET_COLUMNS = ("set", "gene", "direction", "kind", "subtype", "subclass", "source")
EVIDENCE_COLUMNS = (
    "sample_id", "set", "subtype", "subclass", "kind", "call", "score", "genes_measured",
    "detail",
)  # fmt: skip
PSEUDOCOUNT = 0.5


@dataclass(frozen=True)
class ExpressionSettings:
    min_cohort: int = 20
    silent_min_reads: int = 10
    silent_min_level: float = -4.5
    z_high: float = 3.0
    min_effect_log2: float = 2.0
    min_mad: float = 0.25


def read_marker_sets(path: str | Path) -> pd.DataFrame:
    table = read_tsv(path, MARKER_SET_COLUMNS, "expression marker table", comment="#",
                     dtype=str, keep_default_na=False)  # fmt: skip
    bad = ~table["direction"].isin(["up", "down"]) | ~table["kind"].isin(["silent", "cohort"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{path}: data row {row + 1}: direction must be up or down, kind silent or cohort"
        )
    return table.loc[:, list(MARKER_SET_COLUMNS)]


def within_sample_levels(counts: pd.DataFrame, housekeeping: list[str]) -> pd.DataFrame:
    """Genes x samples levels (see the module docstring); NaN where a gene was not counted or a
    sample has no housekeeping gene."""
    logs = np.log2(counts.astype(float) + PSEUDOCOUNT)
    present = [g for g in housekeeping if g in logs.index]
    if not present:
        raise ValueError("no housekeeping gene in the counts: levels cannot be taken")
    reference = logs.loc[present].mean(axis=0, skipna=True)
    return logs - reference


def robust_z(levels: pd.DataFrame, min_mad: float) -> pd.DataFrame:
    median = levels.median(axis=1, skipna=True)
    mad = (levels.sub(median, axis=0)).abs().median(axis=1, skipna=True) * 1.4826
    return levels.sub(median, axis=0).div(mad.clip(lower=min_mad), axis=0)


def marker_evidence(
    counts: pd.DataFrame,
    markers: pd.DataFrame,
    housekeeping: list[str],
    settings: ExpressionSettings | None = None,
) -> pd.DataFrame:
    """EVIDENCE_COLUMNS rows, one per sample and marker set; `counts` is genes x samples."""
    settings = settings or ExpressionSettings()
    levels = within_sample_levels(counts, housekeeping)
    cohort_size = counts.shape[1]
    z = robust_z(levels, settings.min_mad) if cohort_size >= settings.min_cohort else None
    effect = levels.sub(levels.median(axis=1, skipna=True), axis=0)
    rows = []
    for name, genes in markers.groupby("set", sort=False):
        first = genes.iloc[0]
        measured = [g for g in genes["gene"] if g in levels.index]
        sign = genes.set_index("gene")["direction"].map({"up": 1.0, "down": -1.0})
        for sample in counts.columns:
            have = [g for g in measured if pd.notna(counts.at[g, sample])]
            row = {
                "sample_id": sample, "set": name, "subtype": first["subtype"],
                "subclass": first["subclass"], "kind": first["kind"], "genes_measured": len(have),
            }  # fmt: skip
            if not have:
                rows.append({**row, "call": "not_assessable", "score": np.nan,
                             "detail": "marker genes not counted"})  # fmt: skip
                continue
            if first["kind"] == "silent":
                gene = have[0]
                level, reads = float(levels.at[gene, sample]), int(counts.at[gene, sample])
                expressed = (
                    reads >= settings.silent_min_reads and level >= settings.silent_min_level
                )
                rows.append(
                    {
                        **row,
                        "call": "expressed" if expressed else "not_expressed",
                        "score": level,
                        "detail": f"{gene} {reads} reads, level {level:.2f}",
                    }
                )
                continue  # fmt: skip
            if z is None:
                rows.append(
                    {
                        **row,
                        "call": "not_assessable",
                        "score": np.nan,
                        "detail": f"cohort of {cohort_size} < {settings.min_cohort} samples",
                    }
                )
                continue  # fmt: skip
            scores = {g: float(sign[g] * z.at[g, sample]) for g in have}
            score = float(np.mean(list(scores.values())))
            shift = float(np.mean([sign[g] * effect.at[g, sample] for g in have]))
            detail = " ".join(f"{g} z {v:+.1f}" for g, v in scores.items())
            detail += f"; {shift:+.2f} log2 from the cohort median"
            high = score >= settings.z_high and shift >= settings.min_effect_log2
            rows.append({**row, "call": "high" if high else "not_high", "score": score,
                         "detail": detail})  # fmt: skip
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))


def positive_sets(evidence: pd.DataFrame) -> pd.DataFrame:
    """The rows that point to a subtype (`expressed` or `high`)."""
    return evidence[evidence["call"].isin(["expressed", "high"])]
