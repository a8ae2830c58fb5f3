"""Coverage counting on BAM/CRAM files written with known fragments (tests/bam_factory.py)."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from bam_factory import (
    DUPLICATE,
    PROPER_PAIR,
    QCFAIL,
    READ1,
    SECONDARY,
    SUPPLEMENTARY,
    ReadSpec,
    make_panel,
    pair,
    single,
    write_alignments,
    write_reference_fasta,
)
from ikaros.alignment_files import AlignmentFileError
from ikaros.dna.coverage import (
    COVERAGE_COLUMNS,
    CoverageInputError,
    ReadFilters,
    count_coverage,
    fetch_windows,
    read_coverage,
    write_coverage,
)

NO_FILTERS = ReadFilters(
    min_mapq=0,
    skip_duplicates=False,
    skip_secondary=False,
    skip_supplementary=False,
    skip_qcfail=False,
)


def counts(table: pd.DataFrame) -> list[int]:
    return table["fragments"].tolist()


# -- hand-made constructions ------------------------------------------------------------------

PANEL = make_panel(
    [
        ("chr7", 10_001, 10_200),  # b0
        ("chr7", 10_201, 10_400),  # b1 (adjacent to b0)
        ("chr7", 20_001, 20_100),  # b2
        ("chr9", 5_001, 5_300),  # b3
    ]
)


def test_known_counts_and_depth(tmp_path):
    reads = [
        # proper pair, mates overlapping each other, both inside b0: one fragment, 200 bases
        *pair("overlap", "chr7", 10_051, 150),
        # proper pair 10_101..10_700: read1 in b0, read2 past b1, the insert covers b1
        *pair("insert", "chr7", 10_101, 600),
        # single read crossing the b0/b1 boundary: one fragment in each
        single("cross", "chr7", 10_151),
        # single read in b2 and one far outside the panel
        single("b2", "chr7", 20_031, 50),
        single("outside", "chr7", 50_001),
        # a pair on chr9, 5_051..5_350, read2 half inside b3
        *pair("chr9", "chr9", 5_051, 300),
    ]
    bam = write_alignments(tmp_path / "known.bam", reads)
    table = count_coverage(bam, PANEL, "GRCh38")
    assert list(table.columns) == list(COVERAGE_COLUMNS)
    assert counts(table) == [3, 2, 1, 1]
    # b0 bases: overlap pair 200, insert read1 10_101..10_200 -> 100, cross 10_151..10_200 -> 50
    # b1 bases: cross 10_201..10_250 -> 50, insert read2 10_601..10_700 outside b1 -> 0
    # b2: 50 bases of 100; b3: read1 100 bases + read2 5_251..5_300 50 bases, of 300
    assert table["mean_depth"].tolist() == pytest.approx([350 / 200, 50 / 200, 0.5, 150 / 300])


def test_mates_in_same_bin_count_once_but_both_add_depth(tmp_path):
    reads = [*pair("p", "chr7", 10_001, 180), *pair("q", "chr7", 10_011, 100)]
    bam = write_alignments(tmp_path / "mates.bam", reads)
    table = count_coverage(bam, make_panel([("chr7", 10_001, 10_200)]), "GRCh38")
    assert counts(table) == [2]
    assert table["mean_depth"].tolist() == pytest.approx([400 / 200])


@pytest.mark.parametrize(
    ("option", "bit"),
    [
        ("skip_duplicates", DUPLICATE),
        ("skip_secondary", SECONDARY),
        ("skip_supplementary", SUPPLEMENTARY),
        ("skip_qcfail", QCFAIL),
    ],
)
def test_each_flag_filter_excludes_exactly_the_flagged_reads(tmp_path, option, bit):
    clean = [single(f"c{i}", "chr7", 10_001 + 20 * i) for i in range(5)]
    clean += [*pair("cp", "chr9", 5_001, 250)]
    flagged = [single(f"f{i}", "chr7", 10_011 + 30 * i, flag=bit) for i in range(3)]
    flagged += [*pair("fp", "chr9", 5_021, 200, flag=bit)]
    bam = write_alignments(tmp_path / "flags.bam", clean + flagged)
    panel = make_panel([("chr7", 10_001, 10_400), ("chr9", 5_001, 5_300)])

    on = count_coverage(bam, panel, "GRCh38", filters=replace(NO_FILTERS, **{option: True}))
    off = count_coverage(bam, panel, "GRCh38", filters=NO_FILTERS)
    assert counts(on) == [5, 1]
    assert counts(off) == [8, 2]
    assert on["mean_depth"].tolist() == pytest.approx([500 / 400, 200 / 300])


def test_mapq_filter_excludes_reads_below_threshold(tmp_path):
    reads = [single(f"r{q}", "chr7", 10_001 + q, mapq=q) for q in (0, 10, 19, 20, 30, 60)]
    bam = write_alignments(tmp_path / "mapq.bam", reads)
    panel = make_panel([("chr7", 10_001, 10_400)])
    for threshold, expected in ((0, 6), (20, 3), (31, 1), (61, 0)):
        filters = ReadFilters(min_mapq=threshold)
        assert counts(count_coverage(bam, panel, "GRCh38", filters=filters)) == [expected]


def test_proper_pair_counts_through_its_leftmost_mate(tmp_path):
    # left mate fails MAPQ: the fragment is not counted, even in the bin of the right mate
    reads = [*pair("lowleft", "chr7", 10_001, 400, mapq=(5, 60))]
    reads += [*pair("lowright", "chr7", 10_001, 400, mapq=(60, 5))]
    bam = write_alignments(tmp_path / "left.bam", reads)
    panel = make_panel([("chr7", 10_001, 10_100), ("chr7", 10_301, 10_400)])
    table = count_coverage(bam, panel, "GRCh38")
    assert counts(table) == [1, 1]
    assert table["mean_depth"].tolist() == pytest.approx([1.0, 1.0])


def test_improper_pair_mates_count_with_their_own_spans(tmp_path):
    reads = [*pair("far", "chr7", 10_001, 900, proper=False)]
    reads += [*pair("trans", "chr7", 10_101, 300, mate_chrom="chr9", mate_start=5_101)]
    bam = write_alignments(tmp_path / "improper.bam", reads)
    panel = make_panel([("chr7", 10_001, 10_100), ("chr7", 10_401, 10_500), ("chr9", 5_001, 5_300)])
    # the insert between the improper mates (10_101..10_800) is not counted
    assert counts(count_coverage(bam, panel, "GRCh38")) == [1, 0, 1]


def test_chr_and_bare_names_give_identical_tables(tmp_path):
    reads = [
        *pair("a", "chr7", 10_051, 300),
        single("b", "chr9", 5_101),
        single("c", "chr7", 20_001),
    ]
    with_chr = write_alignments(tmp_path / "chr.bam", reads, chr_prefix=True)
    bare = write_alignments(tmp_path / "bare.bam", reads, chr_prefix=False)
    a = count_coverage(with_chr, PANEL, "GRCh38")
    b = count_coverage(bare, PANEL, "GRCh38")
    pd.testing.assert_frame_equal(a, b)
    assert counts(a) == [1, 1, 1, 1]
    assert a["chrom"].tolist() == ["chr7", "chr7", "chr7", "chr9"]


def test_grch37_header_counts_with_grch37_build(tmp_path):
    bam = write_alignments(
        tmp_path / "b37.bam", [single("a", "chr7", 10_001)], build="GRCh37", chr_prefix=False
    )
    assert counts(count_coverage(bam, PANEL, "GRCh37")) == [1, 0, 0, 0]


def test_wrong_build_is_refused_naming_the_file(tmp_path):
    bam = write_alignments(tmp_path / "b37.bam", [single("a", "chr7", 10_001)], build="GRCh37")
    with pytest.raises(AlignmentFileError) as error:
        count_coverage(bam, PANEL, "GRCh38")
    message = str(error.value)
    assert str(bam) in message
    assert "GRCh38" in message and "looks like GRCh37" in message


def test_missing_index_is_refused(tmp_path):
    bam = write_alignments(tmp_path / "noindex.bam", [single("a", "chr7", 10_001)], index=False)
    with pytest.raises(AlignmentFileError, match=r"noindex\.bam: no index found.*samtools index"):
        count_coverage(bam, PANEL, "GRCh38")


def test_header_only_bam_is_refused_as_empty(tmp_path):
    bam = write_alignments(tmp_path / "empty.bam", [])
    with pytest.raises(AlignmentFileError, match=r"empty\.bam: contains no reads at all"):
        count_coverage(bam, PANEL, "GRCh38")


def test_missing_file_and_missing_reference(tmp_path):
    with pytest.raises(AlignmentFileError, match=r"absent\.bam: alignment file not found"):
        count_coverage(tmp_path / "absent.bam", PANEL, "GRCh38")
    cram = tmp_path / "x.cram"
    cram.write_bytes(b"CRAM")
    with pytest.raises(AlignmentFileError, match=r"x\.cram: a CRAM needs the reference FASTA"):
        count_coverage(cram, PANEL, "GRCh38", reference_fasta="")
    with pytest.raises(AlignmentFileError, match=r"x\.cram: reference FASTA .*nope\.fa not found"):
        count_coverage(cram, PANEL, "GRCh38", reference_fasta=tmp_path / "nope.fa")


def test_cram_gives_the_same_counts_as_bam(tmp_path):
    reference = write_reference_fasta(tmp_path / "ref.fa", {"chr7": 30_000, "chr9": 8_000})
    reads = [*pair("a", "chr7", 10_051, 300), *pair("b", "chr7", 10_181, 120, flag=DUPLICATE)]
    reads += [
        single("c", "chr9", 5_101, mapq=3),
        single("d", "chr9", 5_201),
        single("e", "chr7", 20_051),
    ]
    cram = write_alignments(tmp_path / "s.cram", reads, reference_fasta=reference)
    bam = write_alignments(tmp_path / "s.bam", reads, reference_fasta=None)
    from_cram = count_coverage(cram, PANEL, "GRCh38", reference_fasta=reference, verify_build=False)
    from_bam = count_coverage(bam, PANEL, "GRCh38")
    pd.testing.assert_frame_equal(from_cram, from_bam)
    assert counts(from_cram) == [1, 1, 1, 1]


def test_panel_contig_absent_from_header_gives_zeros(tmp_path):
    bam = write_alignments(
        tmp_path / "no9.bam", [single("a", "chr7", 10_001)], contigs=["chr7", "chrX"]
    )
    assert counts(count_coverage(bam, PANEL, "GRCh38")) == [1, 0, 0, 0]


def test_read_spanning_two_fetch_windows_is_counted_once_per_bin(tmp_path):
    panel = make_panel([("chr7", 10_001, 10_100), ("chr7", 10_301, 10_400)])
    assert fetch_windows(np.array([10_000, 10_300]), np.array([10_100, 10_400]), 50) == [
        (9_950, 10_100),
        (10_250, 10_400),
    ]
    long_read = ReadSpec("long", "chr7", 10_051, length=300)
    bam = write_alignments(tmp_path / "long.bam", [long_read])
    table = count_coverage(bam, panel, "GRCh38", max_fragment_length=50)
    assert counts(table) == [1, 1]
    assert table["mean_depth"].tolist() == pytest.approx([0.5, 0.5])


# -- random constructions against a direct per-bin computation -------------------------------


def direct_counts(reads: list[ReadSpec], panel: pd.DataFrame, filters: ReadFilters):
    """Per-bin fragments and bases by looping over bins and fragments (no index, no numpy)."""
    bins = list(zip(panel["chrom"], panel["start"], panel["end"], strict=True))

    def passes(read: ReadSpec) -> bool:
        return (read.flag & filters.skip_flags) == 0 and read.mapq >= filters.min_mapq

    fragments = [0] * len(bins)
    bases = [0] * len(bins)
    by_name: dict[str, list[ReadSpec]] = {}
    for read in reads:
        by_name.setdefault(read.name, []).append(read)
    spans = []
    for mates in by_name.values():
        if len(mates) == 2 and mates[0].flag & PROPER_PAIR:
            left = min(mates, key=lambda r: (r.start, not r.flag & READ1))
            if passes(left):
                end = max(m.start + m.length - 1 for m in mates)
                spans.append((left.chrom, left.start, end))
        else:
            spans += [(m.chrom, m.start, m.start + m.length - 1) for m in mates if passes(m)]
    for i, (chrom, start, end) in enumerate(bins):
        fragments[i] = sum(c == chrom and s <= end and e >= start for c, s, e in spans)
        for read in reads:
            if read.chrom == chrom and passes(read):
                overlap = min(end, read.start + read.length - 1) - max(start, read.start) + 1
                bases[i] += max(overlap, 0)
    return fragments, bases


def random_reads(seed: int, panel: pd.DataFrame, n: int) -> list[ReadSpec]:
    rng = random.Random(seed)
    reads = []
    for k in range(n):
        row = panel.iloc[rng.randrange(len(panel))]
        start = rng.randint(int(row["start"]) - 700, int(row["end"]) + 300)
        flag = rng.choice([0] * 12 + [DUPLICATE, SECONDARY, SUPPLEMENTARY, QCFAIL])
        mapq = rng.choice([60] * 8 + [0, 15, 25])
        kind = rng.random()
        if kind < 0.25:
            reads.append(
                single(f"s{k}", row["chrom"], start, rng.randint(30, 150), mapq=mapq, flag=flag)
            )
        else:
            size = rng.randint(120, 900)
            reads += pair(
                f"p{k}",
                row["chrom"],
                start,
                size,
                rng.randint(50, 120),
                proper=kind < 0.9,
                mapq=mapq,
                flag=flag,
            )
    return reads


@pytest.mark.parametrize("seed", [1, 2])
def test_random_fragments_match_direct_computation(tmp_path, seed):
    panel = make_panel(
        [
            ("chr7", 50_001, 50_150),
            ("chr7", 50_151, 50_400),
            ("chr7", 51_001, 51_060),
            ("chr7", 60_001, 62_000),
            ("chr9", 21_000_001, 21_000_300),
            ("chrX", 3_000_001, 3_000_500, "control"),
        ]
    )
    reads = random_reads(seed, panel, 600)
    bam = write_alignments(tmp_path / "random.bam", reads)
    lengths = (panel["end"] - panel["start"] + 1).to_numpy()
    for filters in (ReadFilters(), NO_FILTERS):
        table = count_coverage(bam, panel, "GRCh38", filters=filters)
        fragments, bases = direct_counts(reads, panel, filters)
        assert counts(table) == fragments
        assert table["mean_depth"].to_numpy() == pytest.approx(np.array(bases) / lengths)
        assert sum(fragments) > 100
    threaded = count_coverage(bam, panel, "GRCh38", filters=filters, threads=2)
    pd.testing.assert_frame_equal(threaded, table)


def test_write_and_read_round_trip_is_byte_stable(tmp_path):
    panel = make_panel([("chr7", 10_001, 10_200), ("chr7", 10_201, 10_400, "control")])
    bam = write_alignments(tmp_path / "rt.bam", [*pair("a", "chr7", 10_051, 300)])
    table = count_coverage(bam, panel, "GRCh38")
    write_coverage(table, tmp_path / "a.tsv")
    back = read_coverage(tmp_path / "a.tsv")
    write_coverage(back, tmp_path / "b.tsv")
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()
    assert back["fragments"].tolist() == [1, 1]
    lines = (tmp_path / "a.tsv").read_text().splitlines()
    assert lines[0].split("\t") == list(COVERAGE_COLUMNS)
    # exon numbers stay integers, missing ones empty; each mate puts 100 bases in a 200 bp bin
    assert lines[1].split("\t")[6:] == ["1", "", "", "1", "0.5000"]
    assert lines[2].split("\t")[6:] == ["", "", "", "1", "0.5000"]


def test_read_coverage_names_bad_cells(tmp_path):
    bam = write_alignments(tmp_path / "rt.bam", [single("a", "chr7", 10_051)])
    write_coverage(count_coverage(bam, PANEL, "GRCh38"), tmp_path / "c.tsv")
    text = (tmp_path / "c.tsv").read_text().splitlines()
    cells = text[2].split("\t")
    cells[COVERAGE_COLUMNS.index("fragments")] = "many"
    text[2] = "\t".join(cells)
    (tmp_path / "c.tsv").write_text("\n".join(text) + "\n")
    with pytest.raises(CoverageInputError, match=r"c\.tsv: row 3 \(bin \w+\), column fragments"):
        read_coverage(tmp_path / "c.tsv")


def test_filter_config_is_validated():
    assert ReadFilters.from_mapping({"min_mapq": 30, "skip_duplicates": False}) == ReadFilters(
        min_mapq=30, skip_duplicates=False
    )
    with pytest.raises(ValueError, match="unknown read filter.*min_mq"):
        ReadFilters.from_mapping({"min_mq": 30})
    with pytest.raises(ValueError, match="min_mapq must be an integer"):
        ReadFilters.from_mapping({"min_mapq": "30"})
    with pytest.raises(ValueError, match="skip_qcfail must be true or false"):
        ReadFilters.from_mapping({"skip_qcfail": "yes"})


def test_only_reads_near_the_panel_are_read(tmp_path, caplog):
    # 2,000 reads every 500 bp along chr7; one bin, fetched with a 1,000 bp left pad
    reads = [single(f"r{k}", "chr7", 1 + 500 * k) for k in range(2_000)]
    bam = write_alignments(tmp_path / "wide.bam", reads)
    panel = make_panel([("chr7", 500_001, 500_200)])
    with caplog.at_level("INFO", logger="ikaros.dna.coverage"):
        table = count_coverage(bam, panel, "GRCh38", max_fragment_length=1_000)
    # window [499_000, 500_200) 0-based: reads starting at 499_001, 499_501, 500_001 overlap
    in_window = [r for r in reads if r.start + 99 >= 499_001 and r.start <= 500_200]
    assert len(in_window) == 3
    assert f"{len(in_window)} reads read" in caplog.text
    assert counts(table) == [1]


def test_unmapped_reads_never_count(tmp_path):
    mapped = ReadSpec(
        "m", "chr7", 10_051, flag=0x1 | 0x8 | READ1, mate_chrom="chr7", mate_start=10_051
    )
    # its unmapped mate, placed at the same position (SAM convention), and an unplaced read
    placed = ReadSpec(
        "m", "chr7", 10_051, flag=0x1 | 0x4 | 0x80, mate_chrom="chr7", mate_start=10_051
    )
    unplaced = ReadSpec("u", None, 0, flag=0x4)
    bam = write_alignments(tmp_path / "unmapped.bam", [mapped, placed, unplaced])
    table = count_coverage(bam, PANEL, "GRCh38", filters=NO_FILTERS)
    assert counts(table) == [1, 0, 0, 0]
    assert table["mean_depth"].iloc[0] == pytest.approx(100 / 200)
