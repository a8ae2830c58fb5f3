"""A SEG + VCF cohort end to end: karyotypes, driver variants and their patients.tsv columns.

The truth is how the inputs were written: arm-level SNP-array segments and tumour VCFs
(GT:AD, as GATK writes; one with a VEP-annotated PAX5 P80R) from ikaros.simulate.karyotypes.
"""

import re

import numpy as np
import pandas as pd
import pytest

from conftest import run_snakemake
from ikaros.simulate.karyotypes import design_karyotype, karyotype_count, simulate_profile
from test_variants import CSQ, GT_AD, vep, write_vcf

RUNX1 = ("chr21", 34787801, 36004667)
CONTIGS = {"chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555,
           "chr5": 181538259, "chr6": 170805979, "chr7": 159345973, "chr8": 145138636,
           "chr9": 138394717, "chr10": 133797422, "chr11": 135086622, "chr12": 133275309,
           "chr13": 114364328, "chr14": 107043718, "chr15": 101991189, "chr16": 90338345,
           "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
           "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415}  # fmt: skip
PATIENTS = {  # patient: (kind, seed, blast fraction, VCF?)
    "HH1": ("high_hyperdiploid", 11, 0.8, True),
    "NH1": ("masked_near_haploid", 12, 0.85, True),
    "IA1": ("iamp21", 13, 0.9, False),
    "DI1": ("diploid", 14, 0.7, True),
}
PAX5_P80R = ("chr9", 36966666, "G", "C")


def snp_rows(snps):
    return [
        (r.chrom, int(r.pos), ".", "A", "G", 50, "PASS", ".", "GT:AD",
         f"{'1/1' if r.alt_reads > 0.9 * (r.ref_reads + r.alt_reads) else '0/1'}:{r.ref_reads},{r.alt_reads}")  # noqa: E501
        for r in snps.itertuples(index=False)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("karyo")
    seg_rows, sample_rows, truth = [], [], {}
    for patient, (kind, seed, blasts, with_vcf) in PATIENTS.items():
        rng = np.random.default_rng(seed)
        karyotype = design_karyotype(kind, "female", rng)
        segments, snps, _ = simulate_profile(
            karyotype, kind, "female", blasts, "GRCh38", rng, RUNX1
        )  # noqa: E501
        truth[patient] = karyotype_count(karyotype, "female")
        for s in segments.itertuples(index=False):
            seg_rows.append((f"{patient}_T", s.chrom, s.start, s.end, s.n_bins, round(s.log2, 4)))
        vcf = ""
        if with_vcf:
            rows = snp_rows(snps)
            if patient == "DI1":
                chrom, pos, ref, alt = PAX5_P80R
                csq = vep(alt, "missense_variant", "PAX5", "ENST00000358127", "c.239C>G",
                          "ENSP00000350844:p.Pro80Arg", "YES")  # fmt: skip
                rows = [r for r in rows if not (r[0] == chrom and r[1] == pos)]
                rows.append(
                    (chrom, pos, ".", ref, alt, 60, "PASS", f"CSQ={csq}", "GT:AD", "0/1:21,19")
                )  # noqa: E501
            vcf = f"{patient}.vcf.gz"
            write_vcf(workdir / vcf, [f"{patient}_T"], GT_AD, CSQ if patient == "DI1" else [], rows,
                      contigs=CONTIGS)  # fmt: skip
        sample_rows.append(f"{patient}_T\t{patient}\ttumor\t{vcf}\t{round(blasts * 100)}\tfemale")
    seg = pd.DataFrame(
        seg_rows, columns=["ID", "chrom", "loc.start", "loc.end", "num.mark", "seg.mean"]
    )  # noqa: E501
    seg.to_csv(workdir / "cohort.seg", sep="\t", index=False)
    (workdir / "samples.tsv").write_text(
        "sample_id\tpatient_id\trole\tvcf\tblast_percent\tsex\n" + "\n".join(sample_rows) + "\n"
    )
    (workdir / "clinical.tsv").write_text(
        "patient_id\tsex\n" + "".join(f"{p}\tfemale\n" for p in PATIENTS)
    )
    config = {"cohorts": {"karyo": {"build": "GRCh38", "samples": "samples.tsv",
                                    "clinical": "clinical.tsv", "seg": "cohort.seg"}}}  # fmt: skip
    # a decoy ikaros first on PYTHONPATH, as an install from another clone would be: the jobs
    # must still run this workflow's own library
    decoy = workdir / "decoy" / "ikaros"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise ImportError('decoy ikaros imported')\n")
    result = run_snakemake(workdir, config, "--cores", "2", "results/karyo/patients.tsv",
                           extra_env={"PYTHONPATH": str(decoy.parent)})  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir, truth


def read(path):
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def test_patients_table_carries_karyotype_and_variants(cohort):
    workdir, truth = cohort
    patients = read(workdir / "results/karyo/patients.tsv").set_index("patient_id")
    hh, nh, ia, di = (patients.loc[p] for p in PATIENTS)
    assert (hh["ploidy_class"], hh["chromosome_count"]) == ("high_hyperdiploid", str(truth["HH1"]))
    assert hh["allele_source"].startswith("VCF (") and hh["karyotype_source"] == "SEG"
    assert nh["ploidy_class"] == "near_haploid" and "fit alike" in nh["ploidy_evidence"]
    assert (ia["iamp21"], ia["ploidy_class"], ia["allele_source"]) == ("true", "near_diploid", "")
    assert (di["ploidy_class"], di["iamp21"]) == ("near_diploid", "false")
    assert (di["pax5_p80r"], di["ikzf1_mutation"], di["variant_annotation"]) == (
        "true",
        "none",
        "VEP",
    )  # noqa: E501
    assert di["driver_variants"] == "PAX5 p.P80R (VAF 0.47)"
    # unannotated VCFs: variants listed, flags left empty rather than guessed
    assert (hh["pax5_p80r"], hh["ikzf1_mutation"], hh["variant_annotation"]) == ("", "", "none")
    assert (ia["pax5_p80r"], ia["variant_annotation"]) == ("", "")


def test_chromosome_tables_and_variant_files(cohort):
    workdir, truth = cohort
    chromosomes = read(workdir / "results/karyo/copy_number/HH1_T/chromosomes.tsv")
    copies = dict(zip(chromosomes["chrom"], chromosomes["copies"], strict=True))
    assert sum(int(copies[c]) for c in copies if c not in ("chrY",) and copies[c]) == truth["HH1"]
    arms = read(workdir / "results/karyo/copy_number/NH1_T/arms.tsv")
    assert set(arms.loc[arms["copies"] != "", "allele_state"]) <= {"cn_loh", "heterozygous", "loh"}
    variants = read(workdir / "results/karyo/variants/DI1_T.tsv")
    row = variants[variants["gene"] == "PAX5"].iloc[0]
    assert (row["protein_change"], row["hotspot"], row["counts"]) == ("p.P80R", "P80R", "true")
    karyotypes = read(workdir / "results/karyo/karyotypes.tsv")
    assert list(karyotypes["sample_id"]) == [f"{p}_T" for p in PATIENTS]


def test_a_vcf_of_the_other_build_stops_the_run_before_any_job(tmp_path):
    rows = [("chr7", 50376551, ".", "A", "T", 50, "PASS", ".", "GT:AD", "0/1:10,10")]
    write_vcf(tmp_path / "t.vcf.gz", ["T1"], GT_AD, [], rows, contigs={"chr7": 159138663})
    (tmp_path / "cohort.seg").write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\nT1\tchr7\t1\t159000000\t100\t0\n"
    )
    (tmp_path / "samples.tsv").write_text(
        "sample_id\tpatient_id\trole\tvcf\nT1\tP1\ttumor\tt.vcf.gz\n"
    )  # noqa: E501
    (tmp_path / "clinical.tsv").write_text("patient_id\nP1\n")
    config = {"cohorts": {"c": {"build": "GRCh38", "samples": "samples.tsv",
                                "clinical": "clinical.tsv", "seg": "cohort.seg"}}}  # fmt: skip
    result = run_snakemake(tmp_path, config, "--cores", "1", "-n")
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "samples.tsv: row 2 (sample T1), column vcf" in message
    assert "159,138,663 bp in the VCF header but 159,345,973 bp in GRCh38" in message


def test_another_clones_scripts_on_the_path_stop_the_run(tmp_path):
    # an editable install of another clone puts its workflow/scripts (with its own
    # _library_path) on every Python's path: the workflow must refuse, naming the folder
    other = tmp_path / "other_clone" / "workflow" / "scripts"
    other.mkdir(parents=True)
    (other / "_library_path.py").write_text("import sys\nsys.path.insert(0, 'elsewhere')\n")
    simulate = {"patients": 2, "panel_normals": 0}
    config = {"cohorts": {"tiny": {"build": "GRCh38", "simulate": simulate}}}
    result = run_snakemake(tmp_path / "run", config, "--dry-run", "--cores", "1",
                           extra_env={"PYTHONPATH": str(other)})  # fmt: skip
    assert result.returncode != 0
    assert f"{other} is on Python's path" in result.stdout + result.stderr


def test_the_panel_calls_of_a_bam_tumour_with_a_vcf_wait_for_its_karyotype(tmp_path):
    """Each copy-number batch reads its tumours' karyotypes (their two-copy chromosomes), so
    the workflow's graph runs call_karyotypes_<cohort>_<n> before call_copy_number_<cohort>_<n>
    (the batches hold the same tumours)."""
    config = {
        "cohorts": {"kv": {"build": "GRCh38", "simulate": {
            "seed": 5, "patients": 4, "panel_normals": 2, "matched_normals": 0, "depth": 20,
            "vcf_fraction": 1.0}}},
        "copy_number": {"tumours_per_job": 2},
    }  # fmt: skip
    result = run_snakemake(tmp_path, config, "--dag")
    assert result.returncode == 0, result.stderr
    names = dict(re.findall(r'^\s*(\d+)\[label = "([^"\\]+)', result.stdout, flags=re.M))
    pairs = re.findall(r"^\s*(\d+) -> (\d+)", result.stdout, flags=re.M)
    edges = {(names[a], names[b]) for a, b in pairs}
    for n in (1, 2):
        assert (f"call_karyotypes_kv_{n}", f"call_copy_number_kv_{n}") in edges
    assert ("call_karyotypes_kv_1", "call_copy_number_kv_2") not in edges
