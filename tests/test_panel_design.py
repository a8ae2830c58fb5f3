"""Panel design: exon splitting, intron tiles, grids, arms, and the shipped panels.

Small cases are worked out by hand; the shipped panels are checked against the shared reference
(IKZF1 exons in both builds) and against the rules of the design.
"""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ikaros.annotation import read_gene_models
from ikaros.dna.panel import read_panel, validate_panel
from ikaros.dna.panel_design import (
    CENTROMERES,
    DEFAULT_SETTINGS,
    PSEUDOAUTOSOMAL,
    PanelDesignError,
    arm_of,
    design_panel,
    grid_tiles,
    intron_bins,
    introns,
    split_exon,
)
from ikaros.genome import contig_lengths

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference"
BUILDS = ["GRCh37", "GRCh38"]
REQUIRED = (
    "IKZF1 CDKN2A CDKN2B MTAP PAX5 ERG CRLF2 CSF2RA IL3RA SLC25A6 ASMTL P2RY8 ETV6 RB1 BTG1 EBF1"
).split()


def model(gene, chrom, strand, exons):
    """exons: (start, end) in transcription order."""
    rows = [(gene, chrom, strand, n, s, e) for n, (s, e) in enumerate(exons, start=1)]
    return pd.DataFrame(rows, columns=["gene", "chrom", "strand", "exon", "start", "end"])


def genes_table(rows):
    columns = ["gene", "role", "exon_model", "transcript", "flank", "intron_tiles"]
    return pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows])


def test_split_exon_by_hand():
    assert split_exon(101, 1100) == [(101, 1100)]  # exactly 1,000 bp: kept whole
    # 1,001 bp -> ceil(1001 / 500) = 3 pieces of 334, 334, 333
    assert split_exon(1, 1001) == [(1, 334), (335, 668), (669, 1001)]
    pieces = split_exon(50399918, 50405101)  # IKZF1 exon 8, 5,184 bp -> 11 pieces
    assert len(pieces) == 11
    assert pieces[0][0] == 50399918 and pieces[-1][1] == 50405101
    assert all(b[0] == a[1] + 1 for a, b in zip(pieces, pieces[1:], strict=False))
    assert max(e - s + 1 for s, e in pieces) <= 500


def test_grid_tiles_by_hand():
    # tiles start at k * 50,000 + 1 and must lie wholly inside 120,001..252,000
    assert grid_tiles(120001, 252000, 50000, 2000) == [
        (3, 150001, 152000),
        (4, 200001, 202000),
        (5, 250001, 252000),
    ]
    assert grid_tiles(120001, 251999, 50000, 2000)[-1] == (4, 200001, 202000)


def test_intron_tiles_plus_strand_by_hand():
    # intron 1 = 1,101..3,200; usable 1,201..3,100; 500 bp tiles every 1 kb: 1,201 and 2,201
    # (3,201 would end past 3,100). Intron 2 = 3,301..3,600: too short for a clear tile.
    gene = model("G", "chr7", "+", [(1001, 1100), (3201, 3300), (3601, 3700)])
    assert introns(gene) == [(1, 1101, 3200), (2, 3301, 3600)]
    tiles = intron_bins(gene)
    assert [(b["bin_id"], b["start"], b["end"], b["intron"]) for b in tiles] == [
        ("G_i1_001", 1201, 1700, 1),
        ("G_i1_002", 2201, 2700, 1),
    ]


def test_intron_tiles_minus_strand_numbering_and_clearance():
    # minus strand: exon 1 = 9,001..9,100, exon 2 = 5,001..5,100: intron 1 = 5,101..9,000
    gene = model("M", "chr9", "-", [(9001, 9100), (5001, 5100)])
    assert introns(gene) == [(1, 5101, 9000)]
    tiles = intron_bins(gene)
    # usable 5,201..8,900: tiles 5,201, 6,201, 7,201 and 8,201 (ends 8,700 <= 8,900)
    assert [b["start"] for b in tiles] == [5201, 6201, 7201, 8201]
    assert [b["bin_id"] for b in tiles][-1] == "M_i1_004"
    assert all(b["start"] - 5100 - 1 >= 100 and 9001 - b["end"] - 1 >= 100 for b in tiles)


def test_contiguous_locus_tiles_minus_strand_by_hand():
    # minus strand: exon 1 = 9,001..9,100, exon 2 = 5,001..5,100; locus margin 1,200 bp.
    # Intron 1 usable 5,201..8,900 (3,700 bp): the fewest tiles of at most 500 bp are 8, four
    # of 463 bp then four of 462. Upstream (the transcription start side, after 9,100):
    # 9,201..10,300 (1,100 bp) in 3 tiles of 367, 367, 366; downstream (before 5,001):
    # 3,801..4,900 likewise, numbered outward from the gene (001 next to exon 2).
    settings = dataclasses.replace(DEFAULT_SETTINGS, locus_margin=1200)
    gene = model("M", "chr9", "-", [(9001, 9100), (5001, 5100)])
    tiles = {b["bin_id"]: (b["start"], b["end"], b["intron"]) for b in
             intron_bins(gene, settings, contiguous=True)}  # fmt: skip
    intron = [v for k, v in tiles.items() if k.startswith("M_i1_")]
    assert [v[0] for v in intron] == [5201, 5664, 6127, 6590, 7053, 7515, 7977, 8439]
    assert intron[-1][1] == 8900
    assert tiles["M_up_001"] == (9201, 9567, None)
    assert tiles["M_up_003"] == (9935, 10300, None)
    assert tiles["M_down_001"] == (4535, 4900, None)
    assert tiles["M_down_003"] == (3801, 4167, None)
    assert len(tiles) == 8 + 3 + 3
    # A larger tile size: the same intron in 2 tiles of 1,850 bp.
    wide = intron_bins(gene, settings, contiguous=True, tile=2000)
    assert [(b["start"], b["end"]) for b in wide if b["intron"] == 1] == [
        (5201, 7050),
        (7051, 8900),
    ]


def test_arm_assignment_by_hand():
    assert arm_of("GRCh38", "chr7", 50_304_716) == "p"  # IKZF1, 7p12.2
    assert arm_of("GRCh38", "chr7", 100_000_000) == "q"
    assert arm_of("GRCh37", "chr9", 21_967_751) == "p"  # CDKN2A, 9p21.3
    assert arm_of("GRCh38", "chr21", 38_380_027) == "q"  # ERG, 21q22.2
    assert arm_of("GRCh37", "chr12", 11_802_788) == "p"  # ETV6, 12p13.2
    boundary = CENTROMERES["GRCh38"]["chr7"][1]
    assert arm_of("GRCh38", "chr7", boundary) == "p"
    assert arm_of("GRCh38", "chr7", boundary + 1) == "q"


@pytest.fixture(scope="module")
def small_panel():
    # A plus-strand gene on 7p with intron tiles and 300 kb flanks; a minus-strand gene on 9p.
    models = pd.concat(
        [
            model("PLUSG", "chr7", "+", [(50_000_101, 50_000_200), (50_010_001, 50_011_500)]),
            model("MINUSG", "chr9", "-", [(22_000_901, 22_001_000), (21_990_001, 21_990_100)]),
        ],
        ignore_index=True,
    )
    genes = genes_table(
        [("PLUSG", "t", "canonical", "", "300000", "yes"), ("MINUSG", "t", "canonical", "", "", "")]
    )
    return design_panel(models, genes, "GRCh38")


def test_small_panel_exon_bins(small_panel):
    exons = small_panel[small_panel["kind"] == "exon"]
    # PLUSG exon 2 is 1,500 bp -> 3 pieces of 500; MINUSG exon 1 is the high-coordinate exon
    assert list(exons["bin_id"]) == [
        "PLUSG_e1", "PLUSG_e2_1", "PLUSG_e2_2", "PLUSG_e2_3", "MINUSG_e2", "MINUSG_e1",
    ]  # fmt: skip
    assert list(exons["start"]) == [50_000_101, 50_010_001, 50_010_501, 50_011_001] + [
        21_990_001,
        22_000_901,
    ]
    assert set(exons["arm"]) == {"p"}


def test_small_panel_intron_flank_backbone_control(small_panel):
    introns_ = small_panel[small_panel["kind"] == "intron"]
    # intron 1 = 50,000,201..50,010,000, usable 50,000,301..50,009,900: tiles from 50,000,301
    # every 1 kb; the 10th, 50,009,301..50,009,800, is the last that fits
    assert list(introns_["start"]) == [50_000_301 + 1000 * i for i in range(10)]
    flank = small_panel[small_panel["kind"] == "flank"]
    # window 49,700,101..50,311,500; grid starts 49,750,001 .. 50,300,001 = 12 tiles, the one at
    # 50,000,001..50,002,000 overlaps exon 1 and intron tiles and is dropped -> 11
    assert len(flank) == 11 and set(flank["gene"]) == {"PLUSG"}
    assert 50_000_001 not in set(flank["start"])
    assert list(flank["bin_id"])[:2] == ["chr7_flank_PLUSG_0001", "chr7_flank_PLUSG_0002"]
    backbone = small_panel[small_panel["kind"] == "backbone"]
    assert set(backbone["chrom"]) == {"chr7", "chr9"}
    assert ((backbone["start"] - 1) % 500_000 == 0).all()
    assert "chr7_bb_0100" not in set(backbone["bin_id"])  # 50,000,001: taken by the flank grid
    control = small_panel[small_panel["kind"] == "control"]
    assert not control["chrom"].isin(["chr7", "chr9"]).any()
    par = PSEUDOAUTOSOMAL["GRCh38"]
    x = control[control["chrom"] == "chrX"]
    assert ((x["start"] > par["PAR1_X"][1]) & (x["end"] < par["PAR2_X"][0])).all()
    y = control[control["chrom"] == "chrY"]
    assert ((y["start"] > par["PAR1_Y"][1]) & (y["end"] < 26_700_001)).all()  # no q12 block
    validate_panel(small_panel)  # sorted, unique, non-overlapping


def test_overlapping_exons_of_two_genes_are_refused():
    models = pd.concat(
        [
            model("A", "chr5", "+", [(1_000_001, 1_000_500)]),
            model("B", "chr5", "-", [(1_000_400, 1_000_900)]),
        ],
        ignore_index=True,
    )
    genes = genes_table([("A", "", "canonical", "", "", ""), ("B", "", "canonical", "", "", "")])
    with pytest.raises(PanelDesignError, match="A_e1 .* and B_e1 .* overlap"):
        design_panel(models, genes, "GRCh38")


def test_exon_beyond_the_chromosome_names_the_build():
    models = model("A", "chr21", "+", [(47_000_001, 47_000_500)])  # chr21 is 46.7 Mb in GRCh38
    genes = genes_table([("A", "", "canonical", "", "", "")])
    with pytest.raises(
        PanelDesignError, match=r"beyond chr21 \(46,709,983 bp in GRCh38\): wrong build"
    ):
        design_panel(models, genes, "GRCh38")


@pytest.fixture(scope="module", params=BUILDS)
def shipped(request):
    build = request.param
    return build, read_panel(REPO / "resources" / f"panel_{build}.tsv")


def test_shipped_panel_has_exactly_the_reference_ikzf1_exons(shipped):
    build, panel = shipped
    reference = pd.read_csv(REFERENCE / "ikzf1_exons.tsv", sep="\t", comment="#")
    exons = panel[(panel["gene"] == "IKZF1") & (panel["kind"] == "exon")]
    joined = exons.groupby("exon").agg(chrom=("chrom", "first"), start=("start", "min"))
    joined["end"] = exons.groupby("exon")["end"].max()
    joined["bp"] = (exons["end"] - exons["start"] + 1).groupby(exons["exon"]).sum()
    assert list(joined.index) == list(range(1, 9))
    assert list(joined["start"]) == list(reference[f"{build}_start"])
    assert list(joined["end"]) == list(reference[f"{build}_end"])
    assert set(joined["chrom"]) == {"chr7"}
    # pieces tile the exon without gaps
    assert list(joined["bp"]) == list(reference[f"{build}_end"] - reference[f"{build}_start"] + 1)
    assert "IKZF1_e4" in set(exons["bin_id"]) and "IKZF1_e8_2" in set(exons["bin_id"])


def test_shipped_panel_has_every_required_gene_and_stays_small(shipped):
    _, panel = shipped
    exon_genes = set(panel.loc[panel["kind"] == "exon", "gene"])
    assert set(REQUIRED) <= exon_genes
    assert len(panel) < 3000
    assert set(panel["arm"]) == {"p", "q"}
    long_bins = panel[(panel["kind"] == "exon") & (panel["end"] - panel["start"] + 1 > 1000)]
    assert long_bins.empty


def test_shipped_ikzf1_locus_is_tiled_end_to_end_clear_of_exons(shipped):
    """IKZF1 is `contiguous`: 500 bp tiles with no space between them through introns 1-7
    (100 bp clear of the exons) and through 10 kb before exon 1 and after exon 8, so that no
    stretch of the locus longer than 700 bp (a tile's remainder plus two clearances) lies
    outside a tile or an exon bin."""
    build, panel = shipped
    locus = panel[panel["gene"] == "IKZF1"]
    tiles = locus[locus["kind"] == "intron"]
    assert sorted(tiles["intron"].dropna().unique()) == list(range(1, 8))
    assert ((tiles["end"] - tiles["start"] + 1) <= 500).all()
    reference = pd.read_csv(REFERENCE / "ikzf1_exons.tsv", sep="\t", comment="#")
    starts, ends = reference[f"{build}_start"], reference[f"{build}_end"]
    for k in range(1, 8):
        mine = tiles[tiles["intron"] == k]
        assert (mine["start"] - ends.iloc[k - 1] - 1 >= 100).all()
        assert (starts.iloc[k] - mine["end"] - 1 >= 100).all()
        assert (mine["start"].to_numpy()[1:] == mine["end"].to_numpy()[:-1] + 1).all()
        # end to end: the intron less its clearances, in the fewest tiles of at most 500 bp
        assert mine["start"].min() - ends.iloc[k - 1] - 1 == 100
        assert starts.iloc[k] - mine["end"].max() - 1 == 100
        assert len(mine) == -(-(starts.iloc[k] - ends.iloc[k - 1] - 1 - 200) // 500)
    margins = tiles[tiles["intron"].isna()]
    up = margins[margins["bin_id"].str.startswith("IKZF1_up_")]
    down = margins[margins["bin_id"].str.startswith("IKZF1_down_")]
    assert len(up) == len(down) == 20  # 10,000 - 100 bp in tiles of at most 500 bp
    # plus strand: upstream is before exon 1, numbered outward from it
    assert up.set_index("bin_id").loc["IKZF1_up_001", "end"] == starts.iloc[0] - 101
    assert down.set_index("bin_id").loc["IKZF1_down_001", "start"] == ends.iloc[7] + 101
    assert up["start"].min() >= starts.iloc[0] - 10_000
    assert down["end"].max() <= ends.iloc[7] + 10_000
    covered = locus[locus["kind"].isin(["exon", "intron"])].sort_values("start")
    gaps = covered["start"].to_numpy()[1:] - covered["end"].to_numpy()[:-1] - 1
    assert gaps.max() == 100  # only the clearance between an exon and its first tile


@pytest.mark.parametrize("gene", ["PAX5", "ERG"])
def test_shipped_minus_strand_loci_are_tiled_end_to_end(shipped, gene):
    """PAX5 and ERG (minus strand) are `contiguous` too, in tiles of at most 2 kb: their
    IKZF1plus-relevant losses are mostly intragenic, with breakpoints in introns tens of kb
    long. Only the 100 bp clearances next to exons lie between the locus bins, from 10 kb beyond
    the 3' exon to 10 kb beyond exon 1, and on the minus strand the upstream margin lies after
    the gene's highest coordinate."""
    build, panel = shipped
    models = read_gene_models(REPO / "resources" / f"gene_models_{build}.tsv")
    exons = models[models["gene"] == gene]
    assert set(exons["strand"]) == {"-"}
    first_exon = exons[exons["exon"] == exons["exon"].min()].iloc[0]
    locus = panel[(panel["gene"] == gene) & panel["kind"].isin(["exon", "intron"])]
    locus = locus.sort_values("start")
    gaps = locus["start"].to_numpy()[1:] - locus["end"].to_numpy()[:-1] - 1
    assert gaps.max() == 100
    assert locus["start"].min() < exons["start"].min() - 9_000
    assert locus["end"].max() > exons["end"].max() + 9_000
    up = locus[locus["bin_id"] == f"{gene}_up_001"].iloc[0]
    assert up["start"] == first_exon["end"] + 101  # exon 1 holds the highest coordinates
    tiles = locus[locus["kind"] == "intron"]
    sizes = tiles["end"] - tiles["start"] + 1
    assert (sizes <= 2000).all() and sizes.max() > 1900  # tile_bp 2000 in panel_genes.tsv


def test_shipped_9p21_locus_is_tiled_end_to_end_across_cdkn2a_and_cdkn2b(shipped):
    """CDKN2A and CDKN2B (7 kb apart, both `contiguous`, 500 bp tiles) are one tiled locus
    from 10 kb beyond CDKN2A's 3' exon to 10 kb beyond CDKN2B's exon 1: where their margins
    meet, tiles over the other gene's exons or CDKN2A's tiles are dropped, so no tile overlaps
    an exon and no untiled stretch is longer than the two clearances beside an exon."""
    build, panel = shipped
    models = read_gene_models(REPO / "resources" / f"gene_models_{build}.tsv")
    exons = models[models["gene"].isin(["CDKN2A", "CDKN2B"])]
    low, high = int(exons["start"].min()), int(exons["end"].max())
    locus = panel[(panel["chrom"] == "chr9") & (panel["end"] >= low - 10_000)
                  & (panel["start"] <= high + 10_000)].sort_values("start")  # fmt: skip
    assert set(locus["kind"]) == {"exon", "intron"}
    assert locus["start"].min() <= low - 9_500 and locus["end"].max() >= high + 9_500
    gaps = locus["start"].to_numpy()[1:] - locus["end"].to_numpy()[:-1] - 1
    assert gaps.min() >= 0 and gaps.max() <= 200
    tiles = locus[locus["kind"] == "intron"]
    assert ((tiles["end"] - tiles["start"] + 1) <= 500).all()
    for exon in exons.itertuples():
        assert not ((tiles["start"] <= exon.end) & (tiles["end"] >= exon.start)).any()
    per_gene = tiles.groupby("gene").size()
    assert per_gene["CDKN2A"] >= 80 and per_gene["CDKN2B"] >= 20


def test_shipped_flanks_and_arms_follow_the_design(shipped):
    build, panel = shipped
    models = read_gene_models(REPO / "resources" / f"gene_models_{build}.tsv")
    flank = panel[panel["kind"] == "flank"]
    par1_genes = {"CRLF2", "CSF2RA", "IL3RA", "SLC25A6", "ASMTL", "P2RY8"}
    # each tile belongs to the nearest flanked gene: small PAR1 genes between others get none
    assert {"IKZF1", "CDKN2A", "CDKN2B", "PAX5", "CRLF2", "P2RY8"} <= set(flank["gene"])
    assert set(flank["gene"]) <= {"IKZF1", "CDKN2A", "CDKN2B", "PAX5"} | par1_genes
    assert set(flank.loc[flank["chrom"] == "chrX", "gene"]) <= par1_genes
    ikzf1 = models[models["gene"] == "IKZF1"]
    near = flank[flank["gene"] == "IKZF1"]
    assert (near["start"] >= ikzf1["start"].min() - 2_000_000).all()
    assert (near["end"] <= ikzf1["end"].max() + 2_000_000).all()
    assert len(near) >= 75  # 4 Mb / 50 kb = 80 grid points, minus those on the gene's bins
    par1_end = PSEUDOAUTOSOMAL[build]["PAR1_X"][1]
    x = panel[panel["chrom"] == "chrX"]
    assert (x.loc[x["kind"] == "flank", "end"] <= par1_end).all()
    assert (x.loc[x["kind"] == "control", "start"] > par1_end).all()
    for chrom in ("chr7", "chr9"):
        boundary = CENTROMERES[build][chrom][1]
        bins = panel[panel["chrom"] == chrom]
        mid = (bins["start"] + bins["end"]) // 2
        assert (bins.loc[mid <= boundary, "arm"] == "p").all()
        assert (bins.loc[mid > boundary, "arm"] == "q").all()
    backbone = panel[panel["kind"] == "backbone"]
    assert set(backbone["chrom"]) == {"chr7", "chr9"}
    length = contig_lengths(build)
    assert (backbone["end"] <= backbone["chrom"].map(length) - 10_000).all()


def write_gtf_from_shipped_models(path):
    """A GTF of the shipped GRCh38 models, each gene one transcript tagged Ensembl_canonical
    (CDKN2A's collapsed blocks are their own union)."""
    models = read_gene_models(REPO / "resources" / "gene_models_GRCh38.tsv")
    lines = []
    for row in models.itertuples(index=False):
        transcript = "ENST00000331340.8" if row.gene == "IKZF1" else f"ENST_{row.gene}.1"
        attributes = (
            f'gene_id "G_{row.gene}"; transcript_id "{transcript}"; gene_name "{row.gene}"; '
            f'exon_number {row.exon}; tag "basic"; tag "Ensembl_canonical";'
        )
        lines.append(
            f"{row.chrom}\tHAVANA\texon\t{row.start}\t{row.end}\t.\t{row.strand}\t.\t{attributes}"
        )
    path.write_text("\n".join(lines) + "\n")


def test_build_panel_cli_on_a_gtf_reproduces_the_shipped_panel(tmp_path):
    gtf = tmp_path / "mini.gtf"
    write_gtf_from_shipped_models(gtf)
    out_panel, out_models = tmp_path / "panel.tsv", tmp_path / "models.tsv"
    result = subprocess.run(
        [
            sys.executable, str(REPO / "workflow" / "scripts" / "build_panel.py"),
            "--gtf", str(gtf), "--genes", str(REPO / "resources" / "panel_genes.tsv"),
            "--build", "GRCh38", "--out-panel", str(out_panel), "--out-models", str(out_models),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out_panel.read_bytes() == (REPO / "resources" / "panel_GRCh38.tsv").read_bytes()
    assert out_models.read_bytes() == (REPO / "resources" / "gene_models_GRCh38.tsv").read_bytes()


def test_build_panel_as_a_rule_script_writes_outputs_and_log(tmp_path):
    gtf = tmp_path / "mini.gtf"
    write_gtf_from_shipped_models(gtf)
    # Snakemake hands the script a `snakemake` object; a namespace with the same fields stands in.
    driver = f"""
import runpy
from types import SimpleNamespace as NS
snakemake = NS(
    input=NS(gtf={str(gtf)!r}),
    params=NS(genes={str(REPO / "resources" / "panel_genes.tsv")!r}, build="GRCh38"),
    output=NS(panel={str(tmp_path / "p.tsv")!r}, models={str(tmp_path / "m.tsv")!r}),
    log=[{str(tmp_path / "build_panel.log")!r}],
)
runpy.run_path({str(REPO / "workflow" / "scripts" / "build_panel.py")!r},
               init_globals={{"snakemake": snakemake}})
"""
    result = subprocess.run(
        [sys.executable, "-c", driver], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p.tsv").read_bytes() == (
        REPO / "resources" / "panel_GRCh38.tsv"
    ).read_bytes()
    assert "exon: 237 bins" in (tmp_path / "build_panel.log").read_text()
