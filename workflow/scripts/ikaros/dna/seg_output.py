"""IGV-loadable SEG files of a sample's log2 segments.

The SEG format (IGV, DNAcopy): tab-separated, header ``ID chrom loc.start loc.end num.mark
seg.mean``, one row per segment, positions 1-based inclusive (first and last bin), mean log2
copy ratio. IGV colours by ``seg.mean`` and loads several samples from one file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

SEG_HEADER = ("ID", "chrom", "loc.start", "loc.end", "num.mark", "seg.mean")


def seg_table(sample_id: str, segments: pd.DataFrame) -> pd.DataFrame:
    """Segment frame (chrom start end n_bins log2) -> SEG rows of one sample."""
    return pd.DataFrame(
        {
            "ID": sample_id,
            "chrom": segments["chrom"].to_numpy(),
            "loc.start": segments["start"].astype("int64").to_numpy(),
            "loc.end": segments["end"].astype("int64").to_numpy(),
            "num.mark": segments["n_bins"].astype("int64").to_numpy(),
            "seg.mean": segments["log2"].astype(float).round(4).to_numpy(),
        },
        columns=list(SEG_HEADER),
    )


def write_seg(tables: Iterable[pd.DataFrame], path: str | Path) -> None:
    """Write SEG rows (from ``seg_table``) of one or more samples to ``path``."""
    frames = list(tables)
    table = pd.concat(frames) if frames else pd.DataFrame(columns=list(SEG_HEADER))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, sep="\t", index=False, float_format="%.4f")
