"""Sex inference from control-bin coverage, on BAMs built with known X/Y copy numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from bam_factory import make_panel, pair, single, write_alignments
from ikaros.dna.coverage import count_coverage
from ikaros.sex import SexThresholds, infer_sex, pseudoautosomal_mask

CONTROL_BINS = [
    ("chr1", 10_000_001, 10_002_000),
    ("chr2", 20_000_001, 20_002_000),
    ("chr3", 30_000_001, 30_002_000),
    ("chr5", 50_000_001, 50_002_000),
    ("chrX", 1_000_001, 1_002_000),  # inside PAR1 (both builds): must be ignored
    ("chrX", 5_000_001, 5_002_000),
    ("chrX", 40_000_001, 40_002_000),
    ("chrX", 80_000_001, 80_002_000),
    ("chrY", 7_000_001, 7_002_000),
    ("chrY", 14_000_001, 14_002_000),
    ("chrY", 21_000_001, 21_002_000),
]
PANEL = make_panel([(c, s, e, "control") for c, s, e in CONTROL_BINS])

PER_COPY = 60  # fragments per 2 kb control bin per chromosome copy


def reads_for(copies: dict[str, int], par_copies: int = 2, per_copy: int = PER_COPY):
    """Proper pairs evenly inside every control bin, `per_copy` per copy of its chromosome."""
    reads = []
    for chrom, start, _ in CONTROL_BINS:
        n_copies = par_copies if (chrom, start) == ("chrX", 1_000_001) else copies[chrom]
        for k in range(n_copies * per_copy):
            reads += pair(f"{chrom}_{start}_{k}", chrom, start + (k * 13) % 1_600, 300)
    return reads


def coverage_for(tmp_path, name, reads):
    bam = write_alignments(tmp_path / f"{name}.bam", reads)
    return count_coverage(bam, PANEL, "GRCh38")


AUTOSOMES = {"chr1": 2, "chr2": 2, "chr3": 2, "chr5": 2}


def test_female_construction(tmp_path):
    # two X, no Y except two mismapped fragments in one Y bin
    reads = reads_for({**AUTOSOMES, "chrX": 2, "chrY": 0}, par_copies=6)
    reads += [single("mis1", "chrY", 7_000_101), single("mis2", "chrY", 7_000_501)]
    call = infer_sex(coverage_for(tmp_path, "female", reads), build="GRCh38")
    assert call.sex == "female"
    assert call.chrx_ratio == pytest.approx(1.0)
    assert call.chry_ratio == pytest.approx(0.0)  # median over the three Y bins


def test_male_construction(tmp_path):
    reads = reads_for({**AUTOSOMES, "chrX": 1, "chrY": 1})
    call = infer_sex(coverage_for(tmp_path, "male", reads), build="GRCh38")
    assert call.sex == "male"
    assert call.chrx_ratio == pytest.approx(0.5)
    assert call.chry_ratio == pytest.approx(0.5)


def test_male_leukaemia_with_extra_x_is_still_male(tmp_path):
    reads = reads_for({**AUTOSOMES, "chrX": 2, "chrY": 1})
    call = infer_sex(coverage_for(tmp_path, "xxy", reads))
    assert (call.sex, call.chrx_ratio, call.chry_ratio) == ("male", 1.0, 0.5)


def test_one_x_without_y_is_uncertain(tmp_path):
    reads = reads_for({**AUTOSOMES, "chrX": 1, "chrY": 0})
    call = infer_sex(coverage_for(tmp_path, "xo", reads))
    assert call.sex == "uncertain"
    assert call.chrx_ratio == pytest.approx(0.5)
    assert "Y loss" in call.reason


def test_too_few_reads_is_uncertain_but_ratios_are_reported(tmp_path):
    reads = reads_for({**AUTOSOMES, "chrX": 1, "chrY": 1}, per_copy=4)
    call = infer_sex(coverage_for(tmp_path, "sparse", reads))
    assert call.sex == "uncertain"
    assert "too few fragments" in call.reason
    assert call.chrx_ratio == pytest.approx(0.5)
    assert call.chry_ratio == pytest.approx(0.5)
    # with a low enough minimum the same data is called
    assert infer_sex(
        coverage_for(tmp_path, "sparse2", reads), SexThresholds(min_control_fragments=10)
    ).sex == ("male")


def table(counts: dict[tuple[str, int], int]) -> pd.DataFrame:
    """A coverage table over PANEL with given fragments per (chrom, start) and 0 elsewhere."""
    out = PANEL.copy()
    out["fragments"] = [
        counts.get((c, s), 0) for c, s in zip(out["chrom"], out["start"], strict=True)
    ]
    out["mean_depth"] = 0.0
    return out


def test_intermediate_ratios_are_uncertain():
    base = {(c, s): 200 for c, s, _ in CONTROL_BINS if c.startswith("chr") and c[3:].isdigit()}
    x = {(c, s): 150 for c, s, _ in CONTROL_BINS if c == "chrX"}  # ratio 0.75
    call = infer_sex(table({**base, **x}))
    assert call.sex == "uncertain" and call.chrx_ratio == pytest.approx(0.75)
    y = {(c, s): 20 for c, s, _ in CONTROL_BINS if c == "chrY"}  # ratio 0.1
    x2 = {(c, s): 200 for c, s, _ in CONTROL_BINS if c == "chrX"}
    call = infer_sex(table({**base, **x2, **y}))
    assert call.sex == "uncertain" and call.chry_ratio == pytest.approx(0.1)


def test_panel_without_y_bins_uses_x_alone():
    no_y = PANEL[PANEL["chrom"] != "chrY"].reset_index(drop=True)
    cov = no_y.copy()
    cov["fragments"] = [100 if c == "chrX" else 200 for c in cov["chrom"]]
    call = infer_sex(cov)
    assert (call.sex, call.chrx_ratio, call.chry_ratio) == ("male", 0.5, None)
    cov["fragments"] = 200
    assert infer_sex(cov).sex == "female"


def test_no_controls_is_uncertain():
    cov = table({})
    cov["kind"] = "exon"
    call = infer_sex(cov)
    assert call.sex == "uncertain" and call.chrx_ratio is None


def test_pseudoautosomal_bins_are_recognised_per_build():
    bins = make_panel(
        [
            ("chrX", 20_001, 30_000, "control"),  # PAR1 in GRCh38 only (GRCh37 starts 60,001)
            ("chrX", 2_700_001, 2_710_000, "control"),  # PAR1 in GRCh38 only (ends 2,781,479)
            ("chrX", 3_000_001, 3_010_000, "control"),  # in neither
            ("chrX", 155_000_001, 155_010_000, "control"),  # PAR2 in GRCh37 only
            ("chrY", 20_001, 30_000, "control"),  # PAR1 in both
        ]
    )
    assert pseudoautosomal_mask(bins, "GRCh38").tolist() == [True, True, False, False, True]
    assert pseudoautosomal_mask(bins, "GRCh37").tolist() == [False, False, False, True, True]
    assert pseudoautosomal_mask(bins).tolist() == [True, True, False, True, True]


def test_thresholds_from_mapping():
    assert SexThresholds.from_mapping({"male_min_y": 0.3}).male_min_y == 0.3
    with pytest.raises(ValueError, match="unknown key.*male_y"):
        SexThresholds.from_mapping({"male_y": 0.3})
    with pytest.raises(ValueError, match="female_min_x must be a number"):
        SexThresholds.from_mapping({"female_min_x": "high"})


def test_pseudoautosomal_control_bins_do_not_enter_the_x_ratio():
    keep = (PANEL["chrom"] != "chrY") & ~PANEL["start"].isin([40_000_001, 80_000_001])
    cov = PANEL[keep].reset_index(drop=True)
    # autosomes 200, the PAR1 bin 200 (two copies in a male), the one non-PAR chrX bin 100
    cov["fragments"] = [
        100 if (c, s) == ("chrX", 5_000_001) else 200
        for c, s in zip(cov["chrom"], cov["start"], strict=True)
    ]
    call = infer_sex(cov, build="GRCh38")
    assert (call.sex, call.chrx_ratio) == ("male", 0.5)
