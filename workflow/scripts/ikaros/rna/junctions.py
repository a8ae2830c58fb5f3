"""Split-read junctions of the RNA genes: counts, canonical vs aberrant, aberrant fractions.

A junction is named by its intron, 1-based inclusive (`intron_start` = first intronic base,
`intron_end` = last), and counted in fragments: a pair whose two mates both cross it counts once.

Classes, against the gene's transcript models:

- ``canonical``: an intron of one of the gene's transcripts.
- ``exon_skipping``: both ends are exon boundaries of the main transcript, joining exon i to exon
  j > i + 1 (in transcription order): exons i+1..j-1 are missing from that transcript. IKZF1
  delta 4-7 (IK6) is exon 3 -> exon 8.
- ``alternative_end``: one end is a main-transcript exon boundary, the other is not.
- ``unannotated``: neither end is.

The fraction of a gene's transcripts that carry an aberrant junction compares its fragments `k`
with those of the canonical junctions sharing either of its ends: a transcript with the aberrant
junction lacks them, a normal transcript yields one of each. With `d` fragments on canonical
junctions sharing its left end and `a` on those sharing its right end, the normal transcripts
count as `m = (d + a) / 2` (one side alone when the other has none), and the fraction is
`k / (k + m)`, with a Wilson score interval on `k` successes out of `k + round(m)` (scipy's
`binomtest(...).proportion_ci(method="wilson")`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from ikaros.rna.models import GeneModel
from ikaros.rna.reads import GeneReads
from ikaros.tables import read_tsv

JUNCTION_COLUMNS = (
    "gene",
    "chrom",
    "strand",
    "intron_start",
    "intron_end",
    "from_exon",
    "to_exon",
    "junction_class",
    "fragments",
    "competing_fragments",
    "fraction",
    "ci_low",
    "ci_high",
)
JUNCTION_CLASSES = ("canonical", "exon_skipping", "alternative_end", "unannotated")


def count_junctions(reads: GeneReads) -> pd.DataFrame:
    """Fragments per intron (intron_start, intron_end, fragments), sorted by position."""
    if reads.intron_start.size == 0:
        return pd.DataFrame({"intron_start": [], "intron_end": [], "fragments": []}, dtype="int64")
    triples = pd.DataFrame(
        {
            "intron_start": reads.intron_start,
            "intron_end": reads.intron_end,
            "fragment": reads.intron_fragment,
        }
    ).drop_duplicates()
    counts = triples.groupby(["intron_start", "intron_end"], sort=True).size()
    return counts.rename("fragments").reset_index().astype("int64")


def classify_junction(model: GeneModel, intron_start: int, intron_end: int) -> str:
    if (intron_start, intron_end) in model.canonical:
        return "canonical"
    from_exon, to_exon = model.junction_exons(intron_start, intron_end)
    if from_exon is not None and to_exon is not None:
        # Adjacent main exons are always joined by a canonical intron; anything else with
        # both ends annotated but not skipping forward is an unusual combination.
        return "exon_skipping" if to_exon - from_exon >= 2 else "alternative_end"
    if from_exon is not None or to_exon is not None:
        return "alternative_end"
    return "unannotated"


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) without trials."""
    if trials <= 0:
        return float("nan"), float("nan")
    interval = binomtest(successes, trials).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(interval.low), float(interval.high)


def junction_table(
    model: GeneModel, reads: GeneReads, min_fragments: int = 1, confidence: float = 0.95
) -> pd.DataFrame:
    """Every junction of one gene with >= `min_fragments`; columns JUNCTION_COLUMNS.

    Annotated canonical junctions are always listed (0 fragments when unseen) so a table shows
    what was expected as well as what was found. Aberrant rows carry the transcript fraction and
    its interval; canonical rows leave them empty.
    """
    counts = count_junctions(reads)
    counts = counts[counts["fragments"] >= min_fragments]
    seen = set(zip(counts["intron_start"], counts["intron_end"], strict=True))
    unseen = sorted(model.canonical - seen)
    if unseen:
        counts = pd.concat(
            [
                counts,
                pd.DataFrame(
                    {
                        "intron_start": [s for s, _ in unseen],
                        "intron_end": [e for _, e in unseen],
                        "fragments": 0,
                    }
                ),
            ],
            ignore_index=True,
        )
    counts = counts.sort_values(["intron_start", "intron_end"], kind="mergesort")
    rows = []
    # canonical fragments by shared left end (intron start) and right end (intron end)
    left_total: dict[int, int] = {}
    right_total: dict[int, int] = {}
    for start, end, fragments in counts.itertuples(index=False):
        if (start, end) in model.canonical:
            left_total[start] = left_total.get(start, 0) + int(fragments)
            right_total[end] = right_total.get(end, 0) + int(fragments)
    canonical_starts = {s for s, _ in model.canonical}
    canonical_ends = {e for _, e in model.canonical}
    for start, end, fragments in zip(
        counts["intron_start"], counts["intron_end"], counts["fragments"], strict=True
    ):
        start, end, fragments = int(start), int(end), int(fragments)
        junction_class = classify_junction(model, start, end)
        from_exon, to_exon = model.junction_exons(start, end)
        competing = fraction = low = high = None
        if junction_class != "canonical":
            sides = []
            if start in canonical_starts:
                sides.append(left_total.get(start, 0))
            if end in canonical_ends:
                sides.append(right_total.get(end, 0))
            normal = float(np.mean(sides)) if sides else 0.0
            competing = normal
            total = fragments + normal
            fraction = fragments / total if total > 0 else None
            low, high = wilson_interval(fragments, fragments + int(round(normal)), confidence)
        rows.append(
            (
                model.gene,
                model.chrom,
                model.strand,
                start,
                end,
                from_exon,
                to_exon,
                junction_class,
                fragments,
                competing,
                fraction,
                low,
                high,
            )
        )
    table = pd.DataFrame(rows, columns=list(JUNCTION_COLUMNS))
    for column in ("from_exon", "to_exon"):
        table[column] = table[column].astype("Int64")
    for column in ("competing_fragments", "fraction", "ci_low", "ci_high"):
        table[column] = table[column].astype(float)
    return table


def junction_tables(
    models: dict[str, GeneModel], scans: dict[str, GeneReads], min_fragments: int = 1
) -> pd.DataFrame:
    """`junction_table` of every scanned gene, genes in model order."""
    parts = [junction_table(models[g], scans[g], min_fragments) for g in models if g in scans]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=JUNCTION_COLUMNS)


def write_junction_table(table: pd.DataFrame, path) -> None:
    """TSV with empty cells for missing values; fractions to 6 decimals (byte-stable)."""
    out = table.copy()
    for column in ("competing_fragments", "fraction", "ci_low", "ci_high"):
        out[column] = out[column].map(lambda v: "" if v is None or pd.isna(v) else f"{v:.6f}")
    out.to_csv(path, sep="\t", index=False)


def read_junction_table(path) -> pd.DataFrame:
    return read_tsv(path, JUNCTION_COLUMNS, "junction table", keep_default_na=False, na_values=[""])


def exon_skipping_evidence(
    junctions: pd.DataFrame, gene: str, min_fragments: int = 3, min_fraction: float = 0.02
) -> str:
    """The exon-skipping junctions of `gene` that pass the IKZF1 call's bar (at least
    `min_fragments` fragments, Wilson lower bound of the fraction >= `min_fraction`), strongest
    first, as text ("exons 2-3 skipped: 12 fragments, 0.150 (0.088-0.244)"); '' when none.

    An internal deletion of PAX5 or ERG shows in RNA this way, as IKZF1 delta 4-7 does.
    """
    rows = junctions[
        (junctions["gene"] == gene)
        & (junctions["junction_class"] == "exon_skipping")
        & (junctions["fragments"] >= min_fragments)
        & (junctions["ci_low"].astype(float) >= min_fraction)
    ].sort_values(["fraction", "fragments"], ascending=False, kind="mergesort")
    texts = []
    for row in rows.itertuples():
        first, last = int(row.from_exon) + 1, int(row.to_exon) - 1
        exons = f"exon {first}" if first == last else f"exons {first}-{last}"
        texts.append(
            f"{exons} skipped: {int(row.fragments)} fragments, {float(row.fraction):.3f} "
            f"({float(row.ci_low):.3f}-{float(row.ci_high):.3f})"
        )
    return "; ".join(texts)
