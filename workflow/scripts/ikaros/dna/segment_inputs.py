"""Segment files from elsewhere (SNP arrays, CNVkit) mapped onto the ikaros call machinery.

Two inputs are read into the segment frame of ``ikaros.dna.copy_number.call_from_segments``
(chrom, start, end, n_bins, log2, se; 1-based inclusive, chr-prefixed):

- a multi-sample SEG file as DNAcopy writes it (tab-separated, header
  ``ID chrom loc.start loc.end num.mark seg.mean``; quoted headers accepted). Positions are
  those of the first and last probe, read as 1-based. Chromosomes ``7``, ``chr7``, ``X``,
  ``23`` (= X) and ``24`` (= Y) are accepted. SEG carries no noise estimate, so its segments
  are called on the ``seg_max_log2`` / ``min_marks`` thresholds of ``CallParams``;
- a CNVkit ``.cns`` file per sample (``chromosome start end gene log2 ... probes ...``,
  0-based half-open starts as in BED) with, optionally, its ``.cnr`` bins. With the ``.cnr``
  the SE of each segment is the robust bin scatter of the sample (MAD of bin residuals
  from their segment mean, weighted by CNVkit's bin weights) over sqrt(probes), inflated by
  the segment's own excess scatter; without it, the bootstrap interval ``ci_lo``/``ci_hi``
  of ``cnvkit.py segmetrics --ci`` when present, else none (threshold calls).

Exons are placed on the segments by position (see ``ikaros.dna.copy_number``): an exon between
two probes where the copy number changes is ``unresolved`` rather than guessed. Every error
names the file, the row (line number as an editor shows it), the column and what is expected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.dna.copy_number import CallParams, CopyNumberCalls, call_from_segments
from ikaros.genome import BUILDS, PRIMARY_CHROMOSOMES, contig_lengths

SEG_COLUMNS = ("ID", "chrom", "loc.start", "loc.end", "num.mark", "seg.mean")
CNS_COLUMNS = ("chromosome", "start", "end", "log2")
CNR_COLUMNS = ("chromosome", "start", "end", "log2")
GENE_MODEL_COLUMNS = ("gene", "chrom", "exon", "start", "end")
SEGMENT_FRAME = ("chrom", "start", "end", "n_bins", "log2", "se")
_ORDER = {name: k for k, name in enumerate(PRIMARY_CHROMOSOMES)}
_NUMBERED = {"23": "chrX", "24": "chrY", "X": "chrX", "Y": "chrY"}


class SegmentInputError(ValueError):
    """A SEG, CNVkit or gene-model file breaks its format; the message says where and what."""


def _read_table(path: Path, what: str, rows: int | None = None) -> pd.DataFrame:
    """The table as text (the first `rows` rows only, when given), its header cleaned."""
    if not path.is_file():
        raise SegmentInputError(f"{path}: {what} file not found")
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#",
                            nrows=rows)  # fmt: skip
    except pd.errors.EmptyDataError:
        raise SegmentInputError(f"{path}: {what} file is empty") from None
    table.columns = [str(c).strip().strip('"').strip("'") for c in table.columns]
    return table


def _require(table: pd.DataFrame, columns, path: Path, what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SegmentInputError(
            f"{path}: missing column(s) {', '.join(missing)} (a {what} needs "
            f"{', '.join(columns)}; found {', '.join(table.columns)})"
        )


def canonical_chrom(value: str, path: Path, row: int, column: str) -> str:
    name = str(value).strip().strip('"')
    bare = name[3:] if name.startswith("chr") else name
    chrom = _NUMBERED.get(bare, f"chr{bare}")
    if chrom not in _ORDER:
        raise SegmentInputError(
            f"{path}: row {row}, column {column}: expected a chromosome 1-22, X, Y (or 23, 24; "
            f"with or without 'chr'), got {value!r}"
        )
    return chrom


def _numbers(table, column, path, kind=float, minimum=None) -> np.ndarray:
    values = pd.to_numeric(table[column].str.strip().str.strip('"'), errors="coerce")
    bad = values.isna()
    if minimum is not None:
        bad |= values < minimum
    if kind is int:
        bad |= values.notna() & (values != values.round())
    if bad.any():
        k = int(bad.to_numpy().nonzero()[0][0])
        expect = "an integer" if kind is int else "a number"
        if minimum is not None:
            expect += f" >= {minimum}"
        raise SegmentInputError(
            f"{path}: row {k + 2}, column {column}: expected {expect}, "
            f"got {table[column].iloc[k]!r}"
        )
    return values.to_numpy(dtype=float)


def _check_order(frame: pd.DataFrame, path: Path, sample: str) -> pd.DataFrame:
    frame = frame.assign(_order=frame["chrom"].map(_ORDER))
    frame = frame.sort_values(["_order", "start"], kind="stable").drop(columns="_order")
    frame = frame.reset_index(drop=True)
    inverted = frame["end"] < frame["start"]
    if inverted.any():
        k = int(inverted.to_numpy().nonzero()[0][0])
        raise SegmentInputError(
            f"{path}: sample {sample}, segment {frame['chrom'].iat[k]}:{frame['start'].iat[k]}-"
            f"{frame['end'].iat[k]}: end before start"
        )
    same = frame["chrom"].to_numpy()[1:] == frame["chrom"].to_numpy()[:-1]
    overlap = same & (frame["start"].to_numpy()[1:] <= frame["end"].to_numpy()[:-1])
    if overlap.any():
        k = int(overlap.nonzero()[0][0]) + 1
        raise SegmentInputError(
            f"{path}: sample {sample}: segments overlap at {frame['chrom'].iat[k]}:"
            f"{frame['start'].iat[k]} (each sample's segments must not overlap)"
        )
    return frame


# ---------------------------------------------------------------- SEG


def read_seg(path: str | Path) -> dict[str, pd.DataFrame]:
    """Multi-sample SEG -> {sample ID: segment frame (SEGMENT_FRAME, se = NaN)}."""
    path = Path(path)
    table = _read_table(path, "SEG")
    _require(table, SEG_COLUMNS, path, "SEG file")
    if table.empty:
        raise SegmentInputError(f"{path}: SEG file has a header but no segments")
    chroms = [
        canonical_chrom(v, path, k + 2, "chrom") for k, v in enumerate(table["chrom"].tolist())
    ]
    frame = pd.DataFrame(
        {
            "ID": table["ID"].str.strip().str.strip('"'),
            "chrom": chroms,
            "start": _numbers(table, "loc.start", path, int, 1).astype(np.int64),
            "end": _numbers(table, "loc.end", path, int, 1).astype(np.int64),
            "n_bins": _numbers(table, "num.mark", path, int, 0).astype(np.int64),
            "log2": _numbers(table, "seg.mean", path),
            "se": np.nan,
        }
    )
    empty_id = frame["ID"] == ""
    if empty_id.any():
        k = int(empty_id.to_numpy().nonzero()[0][0])
        raise SegmentInputError(f"{path}: row {k + 2}, column ID: expected a sample ID, got ''")
    out = {}
    for sample, group in frame.groupby("ID", sort=False):
        out[sample] = _check_order(group.drop(columns="ID"), path, sample)
    return out


# ---------------------------------------------------------------- CNVkit


def read_cnr(path: str | Path) -> pd.DataFrame:
    """CNVkit bins: chrom, start (1-based), end, log2, weight (1 when absent)."""
    path = Path(path)
    table = _read_table(path, "CNVkit .cnr")
    _require(table, CNR_COLUMNS, path, "CNVkit .cnr file")
    chroms = [
        canonical_chrom(v, path, k + 2, "chromosome")
        for k, v in enumerate(table["chromosome"].tolist())
    ]
    weight = (
        _numbers(table, "weight", path, float, 0) if "weight" in table.columns else 1.0
    )  # CNVkit bin weights (inverse variance up to a constant)
    return pd.DataFrame(
        {
            "chrom": chroms,
            "start": _numbers(table, "start", path, int, 0).astype(np.int64) + 1,
            "end": _numbers(table, "end", path, int, 1).astype(np.int64),
            "log2": _numbers(table, "log2", path),
            "weight": weight,
        }
    )


def check_segment_build(segments: pd.DataFrame, build: str, path: str | Path, sample: str) -> None:
    """No segment ends past its chromosome in `build`: the file is then of the other build
    (chromosome lengths differ between GRCh37 and GRCh38; a file whose segments stop short of
    the ends cannot be told apart this way)."""
    lengths = contig_lengths(build)
    ends = segments["end"].to_numpy()
    past = ends > segments["chrom"].map(lengths).fillna(np.inf).to_numpy()
    if past.any():
        k = int(past.nonzero()[0][0])
        chrom = segments["chrom"].iat[k]
        other = [b for b in BUILDS if b != build and ends[k] <= contig_lengths(b)[chrom]]
        hint = f"; is it {other[0]}?" if other else ""
        raise SegmentInputError(
            f"{path}: sample {sample}: segment {chrom}:{segments['start'].iat[k]}-{ends[k]} ends "
            f"past {chrom} of {build} ({lengths[chrom]:,} bp): the file is not of the cohort's "
            f"build {build}{hint}"
        )


def check_cnr_header(path: str | Path) -> None:
    """A .cnr's header has CNR_COLUMNS (read at parse time; the bins are read by the job)."""
    path = Path(path)
    _require(_read_table(path, "CNVkit .cnr", rows=5), CNR_COLUMNS, path, "CNVkit .cnr file")


def read_cns(path: str | Path, cnr: str | Path | None = None) -> pd.DataFrame:
    """CNVkit segments (+ optional bins) -> segment frame with an SE where one can be had."""
    path = Path(path)
    table = _read_table(path, "CNVkit .cns")
    _require(table, CNS_COLUMNS, path, "CNVkit .cns file")
    if table.empty:
        raise SegmentInputError(f"{path}: CNVkit .cns file has a header but no segments")
    chroms = [
        canonical_chrom(v, path, k + 2, "chromosome")
        for k, v in enumerate(table["chromosome"].tolist())
    ]
    frame = pd.DataFrame(
        {
            "chrom": chroms,
            "start": _numbers(table, "start", path, int, 0).astype(np.int64) + 1,
            "end": _numbers(table, "end", path, int, 1).astype(np.int64),
            "n_bins": (
                _numbers(table, "probes", path, int, 0).astype(np.int64)
                if "probes" in table.columns
                else np.zeros(len(table), dtype=np.int64)
            ),
            "log2": _numbers(table, "log2", path),
            "se": np.nan,
        }
    )
    if cnr is None and {"ci_lo", "ci_hi"} <= set(table.columns):
        lo, hi = _numbers(table, "ci_lo", path), _numbers(table, "ci_hi", path)
        frame["se"] = (hi - lo) / (2 * 1.96)
    frame = _check_order(frame, path, path.stem)
    if cnr is not None:
        frame = segment_se_from_bins(frame, read_cnr(cnr))
    return frame


def segment_se_from_bins(segments: pd.DataFrame, bins: pd.DataFrame) -> pd.DataFrame:
    """SE of each segment from the bins inside it (see module docstring); counts the bins
    when the .cns had no ``probes`` column."""
    out = segments.copy()
    seg_of_bin = np.full(len(bins), -1)
    for k, seg in enumerate(out.itertuples(index=False)):
        inside = (
            (bins["chrom"].to_numpy() == seg.chrom)
            & (bins["start"].to_numpy() >= seg.start)
            & (bins["end"].to_numpy() <= seg.end)
        )
        seg_of_bin[inside] = k
    assigned = seg_of_bin >= 0
    if assigned.sum() < 10:
        return out
    x = bins["log2"].to_numpy(dtype=float)
    w = np.asarray(bins["weight"], dtype=float) * np.ones(len(bins))
    w = np.where(w > 0, w, np.nan)
    w = w / np.nanmedian(w[assigned])
    seg_mean = out["log2"].to_numpy(dtype=float)
    resid = (x - seg_mean[np.maximum(seg_of_bin, 0)]) * np.sqrt(w)
    ok = assigned & np.isfinite(resid)
    sigma = 1.4826 * float(np.median(np.abs(resid[ok] - np.median(resid[ok]))))
    se, n_bins = [], []
    for k in range(len(out)):
        mine = ok & (seg_of_bin == k)
        n = int(mine.sum())
        n_bins.append(n)
        if n == 0:
            se.append(np.nan)
            continue
        s = sigma / np.sqrt(np.sum(w[mine]))
        if n >= 3:
            chi2 = float(np.sum(resid[mine] ** 2)) / sigma**2 / (n - 1)
            s *= np.sqrt(max(1.0, chi2))
        se.append(s)
    out["se"] = se
    out["n_bins"] = np.where(out["n_bins"] > 0, out["n_bins"], n_bins)
    return out


# ---------------------------------------------------------------- gene models and calls


def read_gene_models(path: str | Path) -> pd.DataFrame:
    """resources/gene_models_{build}.tsv -> exon model (gene exon chrom start end)."""
    path = Path(path)
    table = _read_table(path, "gene model")
    _require(table, GENE_MODEL_COLUMNS, path, "gene model table")
    model = pd.DataFrame(
        {
            "gene": table["gene"],
            "exon": pd.array(_numbers(table, "exon", path, int, 1).astype(int), dtype="Int64"),
            "chrom": [
                canonical_chrom(v, path, k + 2, "chrom")
                for k, v in enumerate(table["chrom"].tolist())
            ],
            "start": _numbers(table, "start", path, int, 1).astype(np.int64),
            "end": _numbers(table, "end", path, int, 1).astype(np.int64),
        }
    )
    return model.sort_values(["gene", "exon"], kind="stable").reset_index(drop=True)


def calls_from_segment_input(
    sample_id: str,
    segments: pd.DataFrame,
    model: pd.DataFrame,
    source: str,
    blast_fraction: float | None = None,
    params: CallParams | None = None,
) -> CopyNumberCalls:
    """Segments of a SEG or CNVkit file -> the same calls as the BAM path."""
    frame = segments.loc[:, list(SEGMENT_FRAME)].reset_index(drop=True)
    params = CallParams() if params is None else params
    return call_from_segments(sample_id, source, frame, model, blast_fraction, params)
