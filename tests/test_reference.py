"""Reference building and log2 ratios, on coverage drawn from a generative model with known truth.

The model (used by the other copy-number tests too, which import it from here):
fragments in bin b of sample s ~ Gamma-Poisson with mean
    depth_s * eff_b * (len_b + 300) / 300 * ratio_sb
where eff_b (capture efficiency) is shared by all samples, depth_s differs between libraries,
the Gamma part gives extra-Poisson scatter (dispersion ``phi``), and ratio_sb is 1 except in
planted lesions: 1 - f/2 (monoallelic) or 1 - f (biallelic) for a lesion in a fraction f of
cells; 1/2 on non-PAR chrX of males. IKZF1 exons are the real GRCh38 coordinates
(ENST00000331340, /work/shared/reference/ikzf1_exons.tsv); other genes' exons are placed
inside their real GRCh38 spans at made-up positions.
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest

from ikaros.dna.coverage import CoverageInputError, read_coverage
from ikaros.dna.panel import validate_panel
from ikaros.dna.reference import (
    build_reference,
    infer_male,
    log2_ratios,
    read_reference,
    write_reference,
)

IKZF1_EXONS_GRCH38 = [
    (1, 50304716, 50304922),
    (2, 50319048, 50319101),
    (3, 50327638, 50327757),
    (4, 50376533, 50376793),
    (5, 50382540, 50382707),
    (6, 50387345, 50387470),
    (7, 50391729, 50391863),
    (8, 50399918, 50405101),
]
IKZF1_SPAN = (50304068, 50405101)


def ikzf1_exon_model() -> pd.DataFrame:
    """The GRCh38 IKZF1 exons as a gene-model table (gene exon chrom start end)."""
    return pd.DataFrame(
        {
            "gene": "IKZF1",
            "exon": pd.array([e for e, _, _ in IKZF1_EXONS_GRCH38], dtype="Int64"),
            "chrom": "chr7",
            "start": [s for _, s, _ in IKZF1_EXONS_GRCH38],
            "end": [e for _, _, e in IKZF1_EXONS_GRCH38],
        }
    )


# Real GRCh38 spans; exon counts as annotated (exon positions inside are made up).
OTHER_GENES = {
    "CDKN2A": ("chr9", 21967752, 21995301, 3),
    "CDKN2B": ("chr9", 22002903, 22009305, 2),
    "PAX5": ("chr9", 36833269, 37034268, 10),
    "ERG": ("chr21", 38380027, 38661780, 10),
    "CSF2RA": ("chrX", 1268800, 1310381, 3),
    "IL3RA": ("chrX", 1336616, 1382689, 3),
    "SLC25A6": ("chrX", 1386152, 1392113, 2),
    "ASMTL": ("chrX", 1403139, 1453762, 3),
    "P2RY8": ("chrX", 1462581, 1537185, 2),
    "CRLF2": ("chrX", 1187549, 1212723, 3),
}
PAR1_DELETION = ("chrX", 1250000, 1500000)  # CSF2RA..P2RY8 3' part, CRLF2 kept
CHROM_ORDER = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]


def make_panel() -> pd.DataFrame:
    rows = []

    def add(chrom, start, end, kind, gene="", exon="", intron="", arm=""):
        rows.append((chrom, start, end, kind, gene, exon, intron, arm))

    for i, chrom in enumerate(CHROM_ORDER[:22]):
        if chrom in ("chr7", "chr9", "chr21"):
            continue
        for k in range(5):
            start = 5_000_000 + k * 8_000_000 + i * 1000
            add(chrom, start, start + 999, "control")
    # chr7: backbone every 2 Mb, flank tiles every 250 kb within 2 Mb of IKZF1, the gene.
    for pos in range(1_000_000, 159_000_000, 2_000_000):
        if abs(pos - 50_350_000) > 2_100_000:
            add("chr7", pos, pos + 999, "backbone", arm="7p" if pos < 60_000_000 else "7q")
    for pos in range(48_300_000, 52_400_000, 250_000):
        if not (IKZF1_SPAN[0] - 20_000 <= pos <= IKZF1_SPAN[1] + 20_000):
            add("chr7", pos, pos + 499, "flank", gene="IKZF1", arm="7p")
    previous_end = None
    for exon, start, end in IKZF1_EXONS_GRCH38:
        if previous_end is not None:
            for tile in range(previous_end + 400, start - 900, 1000):
                add("chr7", tile, tile + 499, "intron", "IKZF1", intron=str(exon - 1), arm="7p")
        piece = start
        while piece <= end:
            add("chr7", piece, min(end, piece + 999), "exon", "IKZF1", exon=str(exon), arm="7p")
            piece += 1000
        previous_end = end
    # chr9p backbone and genes; chr21 and chrX genes.
    for pos in range(500_000, 43_000_000, 1_000_000):
        if all(abs(pos - s) > 700_000 for _, s, _, _ in OTHER_GENES.values()):
            add("chr9", pos, pos + 1999, "backbone", arm="9p")
    # 2 kb flank tiles every 20 kb around CDKN2A/B and PAX5, as the shipped panel has.
    for centre in (21_990_000, 36_930_000):
        for pos in range(centre - 600_000, centre + 600_000, 20_000):
            inside = any(
                c == "chr9" and s - 5_000 <= pos <= e + 5_000 for c, s, e, _ in OTHER_GENES.values()
            )
            if not inside:
                add("chr9", pos, pos + 1999, "flank", arm="9p")
    for pos in range(30_000_000, 46_000_000, 2_000_000):
        if abs(pos - 38_500_000) > 500_000:
            add("chr21", pos, pos + 999, "backbone", arm="21q")
    for gene, (chrom, start, end, n_exons) in OTHER_GENES.items():
        step = (end - start) // n_exons
        for e in range(n_exons):
            s = start + e * step + 100
            add(chrom, s, s + 299, "exon", gene, exon=str(e + 1))
            if e + 1 < n_exons:
                add(chrom, s + step // 2, s + step // 2 + 399, "intron", gene, intron=str(e + 1))
    for k in range(10):
        add("chrX", 10_000_000 + k * 12_000_000, 10_000_999 + k * 12_000_000, "control")
    for k in range(5):
        add("chrY", 7_000_000 + k * 2_000_000, 7_000_999 + k * 2_000_000, "control")
    table = pd.DataFrame(
        rows, columns=["chrom", "start", "end", "kind", "gene", "exon", "intron", "arm"]
    )
    table["order"] = table["chrom"].map({c: i for i, c in enumerate(CHROM_ORDER)})
    table = table.sort_values(["order", "start"]).drop(columns="order").reset_index(drop=True)
    table.insert(0, "bin_id", [f"b{i:05d}" for i in range(len(table))])
    return validate_panel(table.astype({"exon": str, "intron": str}))


def bin_efficiency(panel: pd.DataFrame, rng: np.random.Generator, sd: float = 0.35) -> np.ndarray:
    length = (panel["end"] - panel["start"] + 1).to_numpy()
    return rng.lognormal(0.0, sd, len(panel)) * (length + 300) / 300.0


def copy_ratio(panel: pd.DataFrame, lesions=(), male: bool = False) -> np.ndarray:
    """Expected copy ratio per bin: lesions are (chrom, start, end, allelic, fraction)."""
    ratio = np.ones(len(panel))
    chrom = panel["chrom"].to_numpy()
    starts, ends = panel["start"].to_numpy(), panel["end"].to_numpy()
    for lesion_chrom, start, end, allelic, fraction in lesions:
        hit = (chrom == lesion_chrom) & (ends >= start) & (starts <= end)
        ratio[hit] *= 1.0 - fraction / 2.0 if allelic == "mono" else 1.0 - fraction
    par1 = (chrom == "chrX") & (ends <= 2_781_479)
    if male:
        ratio[(chrom == "chrX") & ~par1] *= 0.5
    else:
        ratio[chrom == "chrY"] *= 0.002
    return ratio


def draw_counts(
    efficiency, ratio, depth, rng: np.random.Generator, phi: float = 0.01
) -> np.ndarray:
    mean = depth * efficiency * ratio
    return rng.poisson(mean * rng.gamma(1.0 / phi, phi, len(mean))).astype(float)


def coverage_table(panel: pd.DataFrame, counts: np.ndarray) -> pd.DataFrame:
    table = panel.copy()
    table["fragments"] = counts.astype(int)
    length = (panel["end"] - panel["start"] + 1).to_numpy()
    table["mean_depth"] = np.round(counts * 300.0 / (length + 300), 3)
    return table


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(11)
    panel = make_panel()
    eff = bin_efficiency(panel, rng)
    normals = np.vstack(
        [
            draw_counts(eff, copy_ratio(panel, male=k % 2 == 0), rng.uniform(20, 60), rng)
            for k in range(10)
        ]
    )
    return panel, eff, normals, [f"N{k}" for k in range(10)], [k % 2 == 0 for k in range(10)]


def test_library_size_and_bias_removed(model):
    panel, eff, normals, ids, males = model
    ref = build_reference(normals, panel, ids, "panel_of_normals", males=males)
    rng = np.random.default_rng(5)
    for depth in (15.0, 150.0):  # 10-fold library size difference
        counts = draw_counts(eff, copy_ratio(panel), depth, rng)
        bins = log2_ratios(counts, ref, male=False)
        usable = ~bins["masked"]
        assert abs(bins.attrs["library_log2"] - np.log2(depth / 40.0)) < 0.6
        assert abs(np.median(bins.loc[usable, "log2"])) < 0.08  # 80 control bins set it
        # Per-bin bias removed: z-scores have unit spread (the model's noise is honoured).
        z = bins.loc[usable, "z"].to_numpy()
        assert 0.8 < np.std(z) < 1.25
        assert np.mean(np.abs(z) > 4) < 0.005


def test_planted_deletion_ratio_and_noise(model):
    panel, eff, normals, ids, males = model
    ref = build_reference(normals, panel, ids, "panel_of_normals", males=males)
    rng = np.random.default_rng(6)
    lesion = ("chr7", 50_370_000, 50_395_000, "mono", 0.8)  # exons 4-7, ratio 0.6
    counts = draw_counts(eff, copy_ratio(panel, [lesion]), 40.0, rng)
    bins = log2_ratios(counts, ref, male=False)
    hit = (bins["chrom"] == "chr7") & (bins["start"] >= lesion[1]) & (bins["end"] <= lesion[2])
    w = 1 / bins.loc[hit, "var"]
    mean = np.sum(w * bins.loc[hit, "log2"]) / np.sum(w)
    assert abs(mean - np.log2(0.6)) < 0.08
    assert bins.loc[hit, "z"].mean() < -2.0


def test_cohort_reference_is_robust_to_lesions(model):
    panel, eff, _, _, _ = model
    rng = np.random.default_rng(7)
    lesion = ("chr9", 21_900_000, 22_100_000, "bi", 0.9)  # CDKN2A/B in 30% of tumours
    tumours = np.vstack(
        [
            draw_counts(eff, copy_ratio(panel, [lesion] if k % 10 < 3 else []), 40.0, rng)
            for k in range(30)
        ]
    )
    ref = build_reference(
        tumours, panel, [f"T{k}" for k in range(30)], "cohort", males=[False] * 30
    )
    hit = (panel["chrom"] == "chr9") & (panel["start"] > lesion[1]) & (panel["end"] < lesion[2])
    wildtype = log2_ratios(tumours[3], ref, male=False)
    deleted = log2_ratios(tumours[0], ref, male=False)
    assert abs(wildtype.loc[hit, "log2"].mean()) < 0.2
    assert deleted.loc[hit, "log2"].mean() < np.log2(0.1) + 1.2


def test_masks_dead_and_noisy_bins(model):
    panel, eff, _, _, _ = model
    rng = np.random.default_rng(8)
    eff = eff.copy()
    dead, noisy = 40, 41
    eff[dead] = 0.005
    rows = []
    for _ in range(12):
        e = eff.copy()
        e[noisy] *= rng.lognormal(0.0, 1.5)  # scatters several-fold between samples
        rows.append(draw_counts(e, copy_ratio(panel), 40.0, rng))
    ref = build_reference(np.vstack(rows), panel, [f"N{k}" for k in range(12)], "panel_of_normals")
    assert ref.mask_reason[dead] == "low"
    assert ref.mask_reason[noisy] == "noisy"
    assert (ref.mask_reason[panel["chrom"] == "chrY"] == "sex_chromosome").all()
    assert ref.masked.sum() < 0.05 * len(panel) + 7


def test_sex_inference_and_adjustment(model):
    panel, eff, normals, ids, males = model
    ref = build_reference(normals, panel, ids, "panel_of_normals")  # sexes inferred
    rng = np.random.default_rng(9)
    male_counts = draw_counts(eff, copy_ratio(panel, male=True), 40.0, rng)
    female_counts = draw_counts(eff, copy_ratio(panel, male=False), 40.0, rng)
    assert infer_male(male_counts, panel) is True
    assert infer_male(female_counts, panel) is False
    assert list(infer_male(normals, panel)) == males
    for counts, is_male in ((male_counts, True), (female_counts, False)):
        bins = log2_ratios(counts, ref)
        assert bins.attrs["male"] is is_male
        x = (bins["chrom"] == "chrX") & ~bins["masked"]
        assert abs(bins.loc[x, "log2"].median()) < 0.15


def test_matched_normal_reference(model):
    panel, eff, normals, ids, males = model
    pon = build_reference(normals, panel, ids, "panel_of_normals", males=males)
    rng = np.random.default_rng(10)
    normal = draw_counts(eff, copy_ratio(panel), 60.0, rng)
    tumour = draw_counts(eff, copy_ratio(panel, [("chr7", 1, 58_000_000, "mono", 0.9)]), 40.0, rng)
    ref = build_reference(normal[None, :], panel, ["NM"], "matched_normal", [False], noise_from=pon)
    assert ref.kind == "matched_normal"
    np.testing.assert_allclose(ref.excess_var, pon.excess_var)
    bins = log2_ratios(tumour, ref, male=False)
    arm = (bins["chrom"] == "chr7") & (bins["end"] < 58_000_000) & ~bins["masked"]
    assert abs(bins.loc[arm, "log2"].median() - np.log2(0.55)) < 0.08
    with pytest.raises(ValueError, match="one sample"):
        build_reference(normals, panel, ids, "matched_normal")


def test_reference_round_trip_and_bad_tables(model, tmp_path):
    panel, eff, normals, ids, males = model
    ref = build_reference(normals, panel, ids, "panel_of_normals", males=males)
    path = tmp_path / "ref.tsv"
    write_reference(ref, path)
    back = read_reference(path)
    assert back.kind == "panel_of_normals" and back.samples == tuple(ids)
    np.testing.assert_allclose(back.log2_expected, ref.log2_expected, atol=1e-6)
    np.testing.assert_array_equal(back.masked, ref.masked)

    table = coverage_table(panel, normals[0])
    table["fragments"] = table["fragments"].astype(str)
    table.loc[4, "fragments"] = "many"
    bad = tmp_path / "bad.tsv"
    table.to_csv(bad, sep="\t", index=False)
    with pytest.raises(
        CoverageInputError, match=r"bad.tsv: row 6 \(bin b00004\), column fragments"
    ):
        read_coverage(bad)
    good = tmp_path / "good.tsv"
    coverage_table(panel, normals[0]).to_csv(good, sep="\t", index=False)
    assert read_coverage(good)["fragments"].sum() == normals[0].sum()
    with pytest.raises(ValueError, match="at least 3 samples"):
        build_reference(normals[:2], panel, ids[:2], "panel_of_normals")


def test_shared_bias_direction_is_learnt_and_removed(model):
    # Each library responds to a per-bin covariate (GC-like) with its own slope: a rank-one
    # bias slope_s x covariate_b that a per-bin median cannot remove.
    panel, eff, _, _, _ = model
    rng = np.random.default_rng(12)
    covariate = rng.normal(0, 1, len(panel))

    def sample(slope, depth=40.0):
        return draw_counts(eff * np.exp(slope * covariate), copy_ratio(panel), depth, rng)

    normals = np.vstack([sample(s) for s in rng.normal(0, 0.3, 12)])
    ids = [f"N{k}" for k in range(12)]
    ref = build_reference(normals, panel, ids, "panel_of_normals", males=[False] * 12)
    plain = build_reference(normals, panel, ids, "panel_of_normals", [False] * 12, max_components=0)
    assert ref.component_matrix().shape[0] >= 1 and plain.component_matrix().shape[0] == 0
    loading = ref.component_matrix()[0]
    usable = ~ref.masked
    assert abs(np.corrcoef(loading[usable], covariate[usable])[0, 1]) > 0.9
    tumour = sample(0.5)  # a strongly biased library
    with_pc = log2_ratios(tumour, ref, male=False)
    without = log2_ratios(tumour, plain, male=False)
    # The bias (0.5 / ln2 = 0.72 log2 per covariate SD) is gone after removal.
    slope_left = np.polyfit(covariate[usable], with_pc["log2"][usable], 1)[0]
    slope_plain = np.polyfit(covariate[usable], without["log2"][usable], 1)[0]
    assert abs(slope_plain) > 0.5 and abs(slope_left) < 0.1  # > 85% of it removed
    assert with_pc.attrs["noise_scale"] < 1.3
    # The components survive the table round trip.
    with tempfile.TemporaryDirectory() as tmp:
        write_reference(ref, f"{tmp}/ref_pc.tsv")
        back = read_reference(f"{tmp}/ref_pc.tsv")
    np.testing.assert_allclose(back.component_matrix(), ref.component_matrix(), atol=1e-6)


def test_panel_of_normals_is_not_lifted_where_normals_share_a_local_bias():
    """Normals differ in how a locus responds to library preparation (a GC-rich region: a
    shift drawn per library, log2 N(0, 0.4), over 200 adjacent 500 bp tiles), and tumours
    come from the same libraries. The right reference level there is the normals' median,
    i.e. the true level: a panel of normals must not drop the normals lying low (as a cohort
    reference drops tumours' losses), which lifts it (+0.08 log2 on average here, measured
    with the cohort kind's loss masking) and makes tumours look deleted. Averaged over 40
    panels (SE about 0.02), its error over the locus is within 0.05."""
    rows = [
        (chrom, 5_000_000 + k * 5_000_000, 5_001_999 + k * 5_000_000, "control", "", "", "", "p")
        for chrom in CHROM_ORDER[:22]
        if chrom != "chr7"
        for k in range(10)
    ]
    rows += [
        ("chr7", 50_000_001 + 500 * k, 50_000_500 + 500 * k, "intron", "G", "", "1", "p")
        for k in range(200)
    ]
    table = pd.DataFrame(rows, columns=["chrom", "start", "end", "kind", "gene", "exon",
                                        "intron", "arm"])  # fmt: skip
    order = table["chrom"].map({c: i for i, c in enumerate(CHROM_ORDER)})
    table = table.iloc[np.lexsort((table["start"], order))].reset_index(drop=True)
    table.insert(0, "bin_id", [f"b{i:04d}" for i in range(len(table))])
    panel = validate_panel(table)
    locus = (panel["kind"] == "intron").to_numpy()
    errors = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        mean = np.where(locus, 40.0, 400.0) * rng.lognormal(0.0, 0.3, len(panel))
        normals = [
            rng.poisson(
                mean * np.where(locus, 2.0 ** rng.normal(0.0, 0.4), 1.0)
                * rng.gamma(25.0, 0.04, len(mean))
            )
            for _ in range(10)
        ]  # fmt: skip
        ref = build_reference(
            np.array(normals, dtype=float), panel, [f"N{k}" for k in range(10)],
            "panel_of_normals", males=[False] * 10, max_components=0,
        )  # fmt: skip
        # the reference's level is relative to its library scale, fixed by the control bins
        offset = np.median(ref.log2_expected[~locus] - np.log2(mean[~locus]))
        errors.append(np.mean(ref.log2_expected[locus] - np.log2(mean[locus]) - offset))
    assert abs(np.mean(errors)) < 0.05
