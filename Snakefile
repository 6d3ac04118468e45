# cotdistill: chain-of-thought distillation, end to end.
#
#   snakemake results/tables/all.csv --cores 8          # the whole default study, offline, on a CPU
#   snakemake results/figures/granularity.png --cores 8 # one figure and only what it needs
#   snakemake -n                                        # what would run
from snakemake.utils import min_version

min_version("9.0")


# `--configfile other.yaml` replaces the default instead of being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"



include: "rules/common.smk"
include: "rules/models.smk"
include: "rules/data.smk"
include: "rules/teacher.smk"
include: "rules/multistyle.smk"
include: "rules/sft.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/rounds.smk"
include: "rules/fair.smk"
include: "rules/factors.smk"
include: "rules/report.smk"
include: "rules/summarize.smk"
include: "rules/router.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
