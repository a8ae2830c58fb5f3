# The provenance bundle of each cohort: sheets, small input tables, resources, versions,
# checksums of every result table and figure, and reproduce.sh (ikaros.bundle).


rule provenance_bundle:
    input:
        unpack(provenance_inputs),
    output:
        bundle=directory("results/{cohort}/provenance"),
    log:
        "logs/{cohort}/provenance_bundle.log",
    conda:
        "../../envs/provenance.yaml"
    params:
        cohort=lambda wildcards: wildcards.cohort,
        config=config,
        sheets=lambda wildcards: {
            "samples": sheet_path(wildcards, "samples"),
            "clinical": clinical_sheet(wildcards),
        },
        workflow_dir=str(REPO),
    script:
        "../scripts/provenance_bundle.py"
