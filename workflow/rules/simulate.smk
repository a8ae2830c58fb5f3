"""Simulated cohorts (demo and tests): sheets, truth tables and BAMs with known lesions.

One rule per simulated cohort, named simulate_<cohort>: its outputs are the BAMs its design
lists, and its worker processes share the cohort's design instead of recomputing it per job.
"""

for simulated in [cohort for cohort in COHORTS.values() if cohort.simulated]:

    rule:
        name:
            f"simulate_{simulated.name}"
        input:
            panel=simulated.panel,
            gene_models=simulated.gene_models,
            rna_models=simulated.rna_models,
            gene_spans=gene_spans(simulated),
            partners=FUSION_PARTNERS,
            genes=simulated.genes,
            expression_markers=str(REPO / "resources" / "expression_markers.tsv"),
            markers=simulated.markers,
        output:
            samples=f"results/{simulated.name}/simulated/samples.tsv",
            clinical=f"results/{simulated.name}/simulated/clinical.tsv",
            truth_lesions=f"results/{simulated.name}/simulated/truth_lesions.tsv",
            truth_patients=f"results/{simulated.name}/simulated/truth_patients.tsv",
            truth_rna=f"results/{simulated.name}/simulated/truth_rna_isoforms.tsv",
            truth_fusions=f"results/{simulated.name}/simulated/truth_fusions.tsv",
            bams=list(simulated.samples["dna_bam"].dropna()),
            indexes=[f"{bam}.bai" for bam in simulated.samples["dna_bam"].dropna()],
            rna_bams=list(simulated.samples["rna_bam"].dropna()),
            rna_indexes=[f"{bam}.bai" for bam in simulated.samples["rna_bam"].dropna()],
            rna_counts=sheet_files(simulated, "rna_counts"),
            truth_variants=f"results/{simulated.name}/simulated/truth_variants.tsv",
            truth_karyotypes=f"results/{simulated.name}/simulated/truth_karyotypes.tsv",
            vcfs=list(simulated.samples["vcf"].dropna()),
            vcf_indexes=[f"{vcf}.tbi" for vcf in simulated.samples["vcf"].dropna()],
        log:
            f"logs/{simulated.name}/simulate.log",
        conda:
            "../../envs/simulate.yaml"
        threads: workflow.cores
        params:
            settings=dict(config["cohorts"][simulated.name]["simulate"]),
            build=simulated.build,
            cohort=simulated.name,
            # beside the sheets (a cohort may have no DNA BAM to take the folder from)
            bam_dir=lambda wildcards, output: os.path.join(
                os.path.dirname(output.samples), "bam"
            ),
        script:
            "../scripts/simulate_cohort.py"
