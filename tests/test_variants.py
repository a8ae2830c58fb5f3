"""Driver variants and SNP counts from VCFs as the callers write them (scikit-allel via pysam)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pysam
import pytest

from ikaros.annotation import read_gene_spans
from ikaros.variants.drivers import (
    VariantSettings,
    driver_variants,
    hotspot_of,
    patient_flags,
    read_driver_genes,
)
from ikaros.variants.snps import snp_allele_counts
from ikaros.variants.vcf import VcfError, inspect_vcf

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
DRIVERS = read_driver_genes(RESOURCES / "driver_genes.tsv")
SPANS = read_gene_spans(RESOURCES / "gene_spans_GRCh38.tsv")
CONTIGS = {"chr7": 159345973, "chr9": 138394717, "chr12": 133275309, "chr17": 83257441}
VEP_FORMAT = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|HGVSc|HGVSp|CANONICAL"
)
SNPEFF_FORMAT = (
    "Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID "
    "| Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / "
    "CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO"
)


def write_vcf(path: Path, samples, formats, infos, rows, contigs=CONTIGS, bcf=False) -> Path:
    """A bgzipped, indexed VCF (or BCF) with the given header lines and records."""
    lines = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">']
    lines.append('##FILTER=<ID=LowQual,Description="Low quality">')
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    lines += infos + formats
    lines.append(
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
        )
    )
    order = list(contigs)
    lines += ["\t".join(map(str, r)) for r in sorted(rows, key=lambda r: (order.index(r[0]), r[1]))]
    text = path.with_name(path.name.replace(".gz", "").replace(".bcf", ".vcf"))
    text.write_text("\n".join(lines) + "\n")
    if bcf:
        with (
            pysam.VariantFile(str(text)) as src,
            pysam.VariantFile(str(path), "wb", header=src.header) as out,
        ):
            for record in src:
                out.write(record)
        subprocess.run(["bcftools", "index", str(path)], check=True)  # .csi, as users make it
    else:
        pysam.tabix_compress(str(text), str(path), force=True)
        pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


GT_AD = [
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
]
CSQ = [
    f'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: {VEP_FORMAT}">'  # noqa: E501
]
ANN = [
    f"##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: '{SNPEFF_FORMAT}' \">"  # noqa: E501
]

# IKZF1 c.475A>T (p.N159Y): the canonical exons (resources/gene_models_GRCh38.tsv) put c.1 at
# chr7:50,319,062 (exon 2) and c.422 at the start of exon 5 (50,382,540), so c.475 is
# chr7:50,382,593. The other records sit in their genes' coding intervals.
IKZF1_POS, PAX5_POS, KRAS_POS = 50382593, 36966666, 25245350


def vep(allele, consequence, gene, transcript, hgvsc, hgvsp, canonical=""):
    return "|".join([allele, consequence, "MODERATE", gene, "ENSG", "Transcript", transcript,
                     "protein_coding", hgvsc, hgvsp, canonical])  # fmt: skip


def test_vep_annotated_gatk_vcf_gives_hotspots_vaf_and_flags(tmp_path):
    rows = [
        ("chr7", IKZF1_POS, ".", "A", "T", 60, "PASS",
         "CSQ=" + ",".join([vep("T", "missense_variant", "IKZF1", "ENST00000439701", "c.100A>T", "ENSP1:p.Asn100Tyr"),  # noqa: E501
                            vep("T", "missense_variant", "IKZF1", "ENST00000331340", "c.475A>T", "ENSP00000331614:p.Asn159Tyr", "YES")]),  # noqa: E501
         "GT:AD", "0/1:30,20"),
        ("chr9", PAX5_POS, ".", "G", "C", 60, "PASS",
         "CSQ=" + vep("C", "missense_variant", "PAX5", "ENST00000358127", "c.239C>G", "ENSP2:p.Pro80Arg", "YES"),  # noqa: E501
         "GT:AD", "0/1:22,18"),
        # synonymous: not reported; low VAF KRAS G12D reported but not counted
        ("chr7", IKZF1_POS + 30, ".", "C", "T", 60, "PASS",
         "CSQ=" + vep("T", "synonymous_variant", "IKZF1", "ENST00000331340", "c.505C>T", "ENSP00000331614:p.Leu169%3D", "YES"),  # noqa: E501
         "GT:AD", "0/1:20,20"),
        ("chr12", KRAS_POS, ".", "C", "T", 60, "PASS",
         "CSQ=" + vep("T", "missense_variant", "KRAS", "ENST00000256078", "c.35G>A", "ENSP3:p.Gly12Asp", "YES"),  # noqa: E501
         "GT:AD", "0/1:97,3"),
    ]  # fmt: skip
    path = write_vcf(tmp_path / "t.vcf.gz", ["SJ001_D"], GT_AD, CSQ, rows)
    info = inspect_vcf(path, "GRCh38", "SJ001_D")
    assert (info.sample, info.depth_source, info.annotation) == ("SJ001_D", "AD", "CSQ")
    table = driver_variants(info, "SJ001_D", DRIVERS, SPANS, VariantSettings())
    assert list(table["gene"]) == ["IKZF1", "PAX5", "KRAS"]
    ikzf1 = table[table["gene"] == "IKZF1"].iloc[0]
    # the canonical transcript wins over the first listed one
    assert (ikzf1["protein_change"], ikzf1["hotspot"], ikzf1["transcript"]) == (
        "p.N159Y",
        "N159Y",
        "ENST00000331340",
    )
    assert ikzf1["vaf"] == pytest.approx(0.4) and ikzf1["depth"] == 50
    kras = table[table["gene"] == "KRAS"].iloc[0]
    assert (kras["hotspot"], kras["counts"]) == ("G12", "false")  # VAF 0.03 < 0.05
    flags = patient_flags(table, annotated=True)
    assert flags["ikzf1_n159y"] == "true" and flags["pax5_p80r"] == "true"
    assert flags["ikzf1_mutation"] == "p.N159Y"
    assert flags["ras_mutation"] == "false" and flags["tp53_mutation"] == "false"
    assert flags["driver_variants"] == "IKZF1 p.N159Y (VAF 0.40); PAX5 p.P80R (VAF 0.45)"


def test_snpeff_freebayes_and_strelka_depths(tmp_path):
    ann = "ANN=T|stop_gained|HIGH|TP53|ENSG|transcript|ENST00000269305|protein_coding|5/11|c.524G>A|p.Arg175*|||||"  # noqa: E501
    ro_ao = ['##FORMAT=<ID=GT,Number=1,Type=String,Description="g">',
             '##FORMAT=<ID=RO,Number=1,Type=Integer,Description="r">',
             '##FORMAT=<ID=AO,Number=A,Type=Integer,Description="a">']  # fmt: skip
    path = write_vcf(tmp_path / "fb.vcf.gz", ["P7"], ro_ao, ANN,
                     [("chr17", 7675088, ".", "C", "T", 50, ".", ann, "GT:RO:AO", "0/1:12:28")])  # fmt: skip  # noqa: E501
    info = inspect_vcf(path, "GRCh38", "P7_tumour", "P7")
    table = driver_variants(info, "P7_tumour", DRIVERS, SPANS)
    row = table.iloc[0]
    assert (row["gene"], row["protein_change"], row["hotspot"], row["vaf"]) == (
        "TP53",
        "p.R175*",
        "truncating",
        0.7,
    )
    # FILTER "." (unfiltered) is not a failed filter
    assert row["filter"] == "PASS" and patient_flags(table, True)["tp53_mutation"] == "true"
    assert patient_flags(table, True)["ikzf1_mutation"] == "none"

    strelka = (
        ['##FORMAT=<ID=DP,Number=1,Type=Integer,Description="d">']
        + [f'##FORMAT=<ID={b}U,Number=2,Type=Integer,Description="{b}">' for b in "ACGT"]
        + [
            '##FORMAT=<ID=TAR,Number=2,Type=Integer,Description="t">',
            '##FORMAT=<ID=TIR,Number=2,Type=Integer,Description="t">',
        ]
    )
    rows = [("chr12", KRAS_POS, ".", "C", "T", ".", "PASS",
             "CSQ=" + vep("T", "missense_variant", "KRAS", "ENST00000256078", "c.35G>A", "ENSP3:p.Gly12Asp", "YES"),  # noqa: E501
             "DP:AU:CU:GU:TU", "40:0,0:30,31:0,0:0,0\t50:0,0:35,36:0,0:15,15")]  # fmt: skip
    path = write_vcf(
        tmp_path / "strelka.vcf.gz", ["NORMAL", "TUMOR"], strelka, CSQ, rows, bcf=False
    )
    info = inspect_vcf(path, "GRCh38", "S1")
    assert (info.sample, info.depth_source) == ("TUMOR", "strelka")
    row = driver_variants(info, "S1", DRIVERS, SPANS).iloc[0]
    assert (row["depth"], row["alt_reads"], row["vaf"]) == (50, 15, 0.3)


def test_unannotated_bcf_lists_coding_variants_without_flags(tmp_path):
    dp4 = ['##INFO=<ID=DP4,Number=4,Type=Integer,Description="ref-fwd, ref-rev, alt-fwd, alt-rev">',
           '##FORMAT=<ID=GT,Number=1,Type=String,Description="g">']  # fmt: skip
    rows = [
        ("chr7", IKZF1_POS, ".", "A", "T", 50, ".", "DP4=10,10,8,12", "GT", "0/1"),
        ("chr7", 50340000, ".", "A", "G", 50, ".", "DP4=10,10,8,12", "GT", "0/1"),  # intron 2
    ]
    path = write_vcf(tmp_path / "calls.bcf", ["tumour"], dp4, [], rows, bcf=True)
    info = inspect_vcf(path, "GRCh38", "T1")
    assert info.depth_source == "DP4" and info.annotation == ""
    table = driver_variants(info, "T1", DRIVERS, SPANS)
    assert list(table["pos"]) == [IKZF1_POS]
    assert (table.iloc[0]["consequence"], table.iloc[0]["vaf"], table.iloc[0]["counts"]) == (
        "coding_unannotated",
        0.5,
        "false",
    )
    flags = patient_flags(table, annotated=False)
    assert flags["ikzf1_mutation"] == "" and flags["driver_variants"] == ""
    snps = snp_allele_counts(info, min_depth=15)
    assert list(snps["alt_reads"]) == [20, 20] and list(snps["ref_reads"]) == [20, 20]


def test_hotspot_matching():
    assert hotspot_of("JAK2", "p.R683G", False, "R683") == "R683"
    assert hotspot_of("IKZF1", "p.N159S", False, "N159Y;N159S;truncating") == "N159S"
    assert hotspot_of("IKZF1", "p.N159K", False, "N159Y;N159S;truncating") == ""
    assert hotspot_of("IKZF1", "p.Q40*", True, "N159Y;N159S;truncating") == "truncating"
    assert hotspot_of("PAX5", "p.P80L", False, "P80R") == ""


def test_bad_vcfs_are_named(tmp_path):
    rows = [("chr7", IKZF1_POS, ".", "A", "T", 50, "PASS", ".", "GT:AD", "0/1:10,10")]
    good = write_vcf(
        tmp_path / "a.vcf.gz",
        ["X1", "X2"],
        GT_AD,
        [],
        [r[:-1] + ("0/1:10,10\t0/0:20,0",) for r in rows],
    )
    with pytest.raises(
        VcfError, match=r"a\.vcf\.gz: sample T9: the VCF has samples X1, X2 .* vcf_sample"
    ):
        inspect_vcf(good, "GRCh38", "T9")
    with pytest.raises(VcfError, match="vcf_sample 'X3' is not in the VCF"):
        inspect_vcf(good, "GRCh38", "T9", named="X3")
    assert inspect_vcf(good, "GRCh38", "T9", named="X2").sample == "X2"
    Path(f"{good}.tbi").unlink()
    with pytest.raises(VcfError, match=r"no index .*tabix -p vcf"):
        inspect_vcf(good, "GRCh38", "T9", named="X2")
    grch37 = write_vcf(tmp_path / "b.vcf.gz", ["T1"], GT_AD, [], rows, contigs={"chr7": 159138663})
    with pytest.raises(
        VcfError, match=r"contig chr7 is 159,138,663 bp .* 159,345,973 bp in GRCh38"
    ):
        inspect_vcf(grch37, "GRCh38", "T1")
    no_depth = write_vcf(tmp_path / "c.vcf.gz", ["T1"], GT_AD[:1], [],
                         [("chr7", IKZF1_POS, ".", "A", "T", 50, "PASS", ".", "GT", "0/1")])  # fmt: skip  # noqa: E501
    with pytest.raises(VcfError, match="no allele depths"):
        inspect_vcf(no_depth, "GRCh38", "T1")
    plain = tmp_path / "d.vcf"
    plain.write_text("##fileformat=VCFv4.2\n")
    with pytest.raises(VcfError, match="expected a bgzipped"):
        inspect_vcf(plain, "GRCh38", "T1")
