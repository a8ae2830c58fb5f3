"""RNA-seq evidence: junctions, exon coverage, expression and the RNA-only IKZF1 call.

One rule per cohort with RNA BAMs, named rna_evidence_<cohort>: its two passes (every sample's
tables, then the calls against the cohort's exon-coverage reference) need the whole cohort.
"""

for cohort in [c for c in COHORTS.values() if not rna_samples(c).empty]:

    rule:
        name:
            f"rna_evidence_{cohort.name}"
        input:
            **rna_inputs(cohort),
        output:
            **rna_outputs(cohort),
        log:
            f"logs/{cohort.name}/rna_evidence.log",
        conda:
            "../../envs/rna.yaml"
        threads: workflow.cores
        params:
            jobs=rna_jobs(cohort),
            build=cohort.build,
            settings=config["rna"],
        script:
            "../scripts/rna_evidence.py"
