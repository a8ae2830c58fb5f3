"""ikaros: IKZF1 alterations, IKZF1plus and relapse analysis for pediatric B-ALL cohorts.

Run the built-in demo:  snakemake --cores 2
A cohort of your own:   edit config/config.yaml (see config/README.md)
"""

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/coverage.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/copy_number.smk"
include: "workflow/rules/karyotype.smk"
include: "workflow/rules/rna.smk"
include: "workflow/rules/relapse.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/panel.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
