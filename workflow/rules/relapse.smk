"""Cohort relapse analysis: CIR with competing risks, Gray's tests, Fine-Gray models, report."""


rule relapse_analysis:
    input:
        clinical=clinical_sheet,
        patients="results/{cohort}/patients.tsv",
        risk_groups=str(REPO / "resources" / "subtype_risk_groups.tsv"),
    output:
        frequency=report(
            "results/{cohort}/relapse/frequency.tsv",
            category="Relapse analysis",
            caption="../report/frequency.rst",
        ),
        cir=report(
            "results/{cohort}/relapse/cir.tsv",
            category="Relapse analysis",
            caption="../report/cir.rst",
        ),
        gray="results/{cohort}/relapse/gray.tsv",
        finegray=report(
            "results/{cohort}/relapse/finegray.tsv",
            category="Relapse analysis",
            caption="../report/finegray.rst",
        ),
        survival="results/{cohort}/relapse/survival.tsv",
        dropped="results/{cohort}/relapse/dropped_patients.tsv",
        patients="results/{cohort}/relapse/analysis_patients.tsv",
        figures=directory("results/{cohort}/relapse/figures"),
    log:
        "logs/{cohort}/relapse_analysis.log",
    conda:
        "../../envs/relapse.yaml"
    params:
        relapse=config["relapse"],
    script:
        "../scripts/relapse_analysis.py"


rule relapse_report:
    input:
        unpack(validation_inputs),
        cir="results/{cohort}/relapse/cir.tsv",
        tables=rules.relapse_analysis.output,
        figures="results/{cohort}/relapse/figures",
        clinical=clinical_sheet,
        patients="results/{cohort}/patients.tsv",
        concordance="results/{cohort}/subtype_concordance.tsv",
        bundle="results/{cohort}/provenance",
    output:
        report=report(
            "results/{cohort}/report.html",
            category="Report",
            caption="../report/report.rst",
        ),
        provenance="results/{cohort}/report_provenance.json",
    log:
        "logs/{cohort}/relapse_report.log",
    conda:
        "../../envs/relapse.yaml"
    params:
        cohort=lambda wildcards: wildcards.cohort,
        relapse=config["relapse"],
        config=config,
        validation_name=validation_partner,
    script:
        "../scripts/relapse_report.py"
