"""SEG and CNVkit inputs: parsing, clear errors, and calls whose truth is set by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ikaros.dna.copy_number import CallParams
from ikaros.dna.ikzf1 import call_ikzf1
from ikaros.dna.segment_inputs import (
    SegmentInputError,
    calls_from_segment_input,
    read_cns,
    read_gene_models,
    read_seg,
)
from test_reference import IKZF1_EXONS_GRCH38, ikzf1_exon_model

# GRCh38 IKZF1 exons (ENST00000331340), as in resources/gene_models_GRCh38.tsv.
IKZF1 = IKZF1_EXONS_GRCH38


model = ikzf1_exon_model


def write(path, header, rows):
    path.write_text("\t".join(header) + "\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    return path


SEG_HEADER = ["ID", "chrom", "loc.start", "loc.end", "num.mark", "seg.mean"]


def test_seg_dense_probes_give_exon_calls(tmp_path):
    # Probes every ~1 kb in IKZF1: the del4-7 breakpoints (introns 3 and 7) are resolved.
    seg = write(
        tmp_path / "cohort.seg",
        ['"ID"', '"chrom"', '"loc.start"', '"loc.end"', '"num.mark"', '"seg.mean"'],
        [
            ("A", "7", 1, 50352000, 3000, 0.01),
            ("A", "7", 50353000, 50396000, 43, -0.9),
            ("A", "7", 50397000, 159000000, 4000, 0.0),
            ("B", "chr7", 1, 159000000, 9000, 0.02),
            ("B", "23", 1, 150000000, 900, -0.01),
        ],
    )
    segs = read_seg(seg)
    assert list(segs) == ["A", "B"]
    assert segs["B"]["chrom"].tolist() == ["chr7", "chrX"]
    a = calls_from_segment_input("A", segs["A"], model(), "SEG", blast_fraction=0.9)
    ik = call_ikzf1(a)
    assert ik.status == "deleted" and ik.deletion_class == "del4-7"
    assert ik.exons_deleted == (4, 5, 6, 7) and ik.focal is True
    assert ik.allelic == "mono"  # ratio 0.54 vs 1 - 0.9/2 = 0.55: monoallelic
    # 2 (1 - 2^-0.9) = 0.928 exceeds the blast fraction, which bounds it.
    assert ik.cell_fraction == pytest.approx(0.9)
    b = call_ikzf1(calls_from_segment_input("B", segs["B"], model(), "SEG"))
    assert b.status == "wildtype"


def test_seg_sparse_probes_leave_exons_unresolved(tmp_path):
    # Array probes at 50.35 Mb and 50.38 Mb: whether exon 4 (50.3765 Mb) is lost cannot be told.
    seg = write(
        tmp_path / "sparse.seg",
        SEG_HEADER,
        [
            ("S", "7", 1, 50350000, 2000, 0.0),
            ("S", "7", 50380000, 50395000, 4, -0.8),
            ("S", "7", 50420000, 159000000, 3000, 0.0),
        ],
    )
    calls = calls_from_segment_input("S", read_seg(seg)["S"], model(), "SEG")
    states = dict(zip(calls.exons["exon"], calls.exons["state"], strict=True))
    assert [states[e] for e in range(1, 9)] == [
        "not_deleted",
        "not_deleted",
        "not_deleted",
        "unresolved",  # in the gap between a retained and a lost segment
        "deleted",
        "deleted",
        "deleted",
        "unresolved",  # exon 8 spans the next gap
    ]
    ik = call_ikzf1(calls)
    assert ik.status == "deleted" and ik.exons_deleted == (5, 6, 7)
    assert ik.deletion_class == "" and ik.exons_unresolved == (4, 8)
    assert "unresolved" in ik.evidence


def test_seg_thresholds_need_marks_and_depth(tmp_path):
    seg = write(
        tmp_path / "t.seg",
        SEG_HEADER,
        [
            ("S", "7", 1, 50300000, 2000, 0.0),
            ("S", "7", 50300001, 50410000, 2, -1.0),  # two probes only: not a call
            ("S", "7", 50410001, 159000000, 3000, 0.0),
        ],
    )
    calls = calls_from_segment_input("S", read_seg(seg)["S"], model(), "SEG", params=CallParams())
    assert not calls.segments["deleted"].any()
    assert call_ikzf1(calls).status == "wildtype"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("S", "7", "x", 10, 3, 0.1)], r"row 2, column loc.start: expected an integer >= 1"),
        ([("S", "7", 1, 10, 3, 0.1), ("S", "7q", 20, 30, 3, 0.1)], r"row 3, column chrom"),
        ([("S", "7", 1, 10, 3, "low")], r"row 2, column seg.mean: expected a number"),
        ([("S", "7", 1, 100, 3, 0.1), ("S", "7", 50, 200, 3, 0.1)], r"sample S: segments overlap"),
        ([("", "7", 1, 100, 3, 0.1)], r"row 2, column ID"),
    ],
)
def test_seg_errors_name_file_row_and_column(tmp_path, rows, message):
    seg = write(tmp_path / "bad.seg", SEG_HEADER, rows)
    with pytest.raises(SegmentInputError, match=r"bad\.seg: .*" + message):
        read_seg(seg)


def test_seg_missing_column_and_file(tmp_path):
    seg = write(tmp_path / "cols.seg", ["ID", "chrom", "start", "end", "seg.mean"], [])
    with pytest.raises(SegmentInputError, match=r"cols\.seg: missing column\(s\) loc\.start"):
        read_seg(seg)
    with pytest.raises(SegmentInputError, match="not found"):
        read_seg(tmp_path / "nope.seg")


def test_cnvkit_cns_with_cnr_gets_standard_errors(tmp_path):
    rng = np.random.default_rng(3)
    sigma = 0.2
    # 0-based half-open coordinates, as CNVkit writes them.
    starts = np.concatenate([np.arange(50_200_000, 50_366_000, 2000),
                             np.arange(50_366_000, 50_396_000, 1000),
                             np.arange(50_398_000, 50_600_000, 2000)])  # fmt: skip
    ends = starts + 500
    lost = (starts >= 50_366_000) & (starts < 50_396_000)  # intron 3 to intron 7: del4-7
    truth = np.where(lost, -1.0, 0.0)
    log2 = truth + rng.normal(0, sigma, len(starts))
    cnr = write(
        tmp_path / "S.cnr",
        ["chromosome", "start", "end", "gene", "depth", "log2", "weight"],
        [
            ("chr7", s, e, "-", 30, round(v, 5), 1.0)
            for s, e, v in zip(starts, ends, log2, strict=True)
        ],
    )
    segments = [
        ("chr7", starts[0], ends[~lost & (starts < 50_366_000)][-1], log2[starts < 50_366_000]),
        ("chr7", starts[lost][0], ends[lost][-1], log2[lost]),
        ("chr7", starts[starts >= 50_398_000][0], ends[-1], log2[starts >= 50_398_000]),
    ]
    cns = write(
        tmp_path / "S.cns",
        ["chromosome", "start", "end", "gene", "log2", "depth", "probes", "weight"],
        [(c, s, e, "-", round(v.mean(), 5), 30, len(v), len(v)) for c, s, e, v in segments],
    )
    frame = read_cns(cns, cnr)
    assert frame["start"].iloc[1] == starts[lost][0] + 1  # 0-based -> 1-based
    n_lost = int(lost.sum())
    assert frame["n_bins"].tolist()[1] == n_lost
    # SE = sigma / sqrt(n) within the accuracy of a MAD-based sigma (about 10% here).
    assert frame["se"].iloc[1] == pytest.approx(sigma / np.sqrt(n_lost), rel=0.25)
    calls = calls_from_segment_input("S", frame, model(), "CNVkit", blast_fraction=0.95)
    ik = call_ikzf1(calls)
    assert ik.deletion_class == "del4-7" and ik.allelic == "mono"
    assert calls.segments["call_basis"].iloc[1] == "z"

    no_bins = read_cns(cns)
    assert no_bins["se"].isna().all()  # threshold calls without bins or CIs


def test_cnvkit_errors(tmp_path):
    cns = write(
        tmp_path / "x.cns", ["chromosome", "start", "end", "log2"], [("chr7", 5, "ten", 0.1)]
    )
    with pytest.raises(SegmentInputError, match=r"x\.cns: row 2, column end"):
        read_cns(cns)


def test_gene_models_file(tmp_path):
    path = write(
        tmp_path / "gm.tsv",
        ["gene", "chrom", "strand", "exon", "start", "end"],
        [("IKZF1", "chr7", "+", e, s, t) for e, s, t in IKZF1],
    )
    gm = read_gene_models(path)
    pd.testing.assert_frame_equal(gm, model(), check_dtype=False)
    bad = write(
        tmp_path / "gm2.tsv", ["gene", "chrom", "exon", "start", "end"], [("X", "7", 0, 1, 2)]
    )
    with pytest.raises(SegmentInputError, match=r"gm2\.tsv: row 2, column exon"):
        read_gene_models(bad)


def test_seg_rows_in_any_order_read_as_sorted_segments(tmp_path):
    rows = [("S", "9", 1, 500, 3, 0.0), ("S", "7", 2001, 3000, 3, -1.0), ("S", "X", 5, 50, 3, 0.2),
            ("S", "7", 1, 2000, 3, 0.0)]  # fmt: skip
    shuffled = read_seg(write(tmp_path / "shuffled.seg", SEG_HEADER, rows))["S"]
    ordered = read_seg(write(tmp_path / "ordered.seg", SEG_HEADER, [rows[3], rows[1], rows[0],
                                                                    rows[2]]))["S"]  # fmt: skip
    pd.testing.assert_frame_equal(shuffled, ordered)
    assert list(zip(shuffled["chrom"], shuffled["start"], strict=True)) == [
        ("chr7", 1), ("chr7", 2001), ("chr9", 1), ("chrX", 5)]  # fmt: skip
