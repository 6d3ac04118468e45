# UNDO and FAIR as rounds of the DAG (src/cotdistill/methods/rounds.py has the recipe names and the wiring).
# Round r's inputs point at round r-1's evaluation on the training problems: no cycles, each round
# its own files. The generic rationales/sft/lf_config rules also match these outputs; rule order
# gives these rules the files they own. FAIR's peer review is in rules/fair.smk.
from cotdistill.methods import rounds


ruleorder: regenerate > rationales
ruleorder: rounds_sft > sft
ruleorder: rounds_lf_config > lf_config


rule regenerate:
    """UNDO round r: the teacher's feedback and fresh solution for each problem round r-1's student missed, on the
    training problems (or the dev split: diagnose_on)."""
    input:
        problems=lambda wc: L.path("data", dataset=wc.dataset, split=SETTINGS[wc.experiment].diagnose_on),
        previous=lambda wc: L.path("split_eval", student=wc.student, dataset=wc.dataset, evalset=wc.dataset,
                                   split=SETTINGS[wc.experiment].diagnose_on,
                                   recipe=rounds.chain_recipe(SETTINGS, wc.experiment, wc.teacher, wc.student, int(wc.round) - 1)),
    output:
        rows=L.path("rationales", prompting="{method}-{experiment}-{student}-r{round}"),
        summary=L.path("rationales_summary", prompting="{method}-{experiment}-{student}-r{round}"),
    wildcard_constraints:
        method="undo",
        round=paths.ROUND,
    params:
        teacher=lambda wc: deps.teacher_output_params(config["teachers"][wc.teacher], deps.ROUND_SOLVES),
        name=lambda wc: rounds.prompting(wc.method, wc.experiment, wc.student, wc.round),
        hint=False,
        cache_dir=L.cache,
    log:
        L.log("rationales/{teacher}/{dataset}/{method}-{experiment}-{student}-r{round}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_regenerate.py"


rule rounds_sft:
    """An UNDO round's SFT set: round 0's rationales updated by rounds 1..r (FAIR's: rule fair_sft)."""
    input:
        problems=lambda wc: [L.path("data", dataset=wc.dataset, split=split)
                             for split in dict.fromkeys(("train", SETTINGS[rounds.source_of(wc.recipe)["experiment"]].diagnose_on))]
                            if rounds.source_of(wc.recipe)["kind"] == "round" else [L.path("data", dataset=wc.dataset, split="train")],
        base=lambda wc: rounds.sft_inputs(config, wc.recipe, L, wc.dataset)["base"],
        rounds=lambda wc: rounds.sft_inputs(config, wc.recipe, L, wc.dataset)["rounds"],
    output:
        data=L.sft,
        info=L.sft_info,
        stats=L.sft_stats,
    wildcard_constraints:
        recipe=paths.UNDO_RECIPE,
    params:
        keep=lambda wc: split_recipe(wc.recipe)[2],
        mode=lambda wc: SETTINGS[rounds.source_of(wc.recipe)["experiment"]].sft,
    log:
        L.log("sft/{recipe}/{dataset}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_sft.py"


rule rounds_lf_config:
    """The LLaMA-Factory YAML of a rounds recipe: continue from round r-1, FAIR's mixing, the baseline's epochs."""
    input:
        sft=L.sft,
        stats=L.sft_stats,
        base=student_base,
        previous=lambda wc: rounds.previous_checkpoint(config, SETTINGS, L, wc.student, wc.dataset, wc.recipe),
    output:
        L.lf_config,
    wildcard_constraints:
        recipe=paths.ROUND_RECIPE,
    params:
        student=lambda wc: deps.train_params(student_cfg(wc)),
        base=student_base_path,
        output_dir=L.checkpoint,
        source=lambda wc: canonical(rounds.source_of(wc.recipe)),
        mixing=lambda wc: canonical(rounds.mixing(SETTINGS, wc.recipe)),
    log:
        L.log("configs/{student}/{dataset}/{recipe}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_lf_config.py"


# --- early stopping: whether round r+1 runs depends on data, hence a checkpoint ------------------------


checkpoint round_gate:
    """Round r+1 runs only if one of the last `patience` rounds (up to r) beat every earlier round on dev."""
    input:
        rounds=lambda wc: [L.path("split_metrics", student=wc.student, dataset=wc.dataset, evalset=wc.dataset,
                                  split=SETTINGS[wc.experiment].early_stop,
                                  recipe=rounds.chain_recipe(SETTINGS, wc.experiment, wc.teacher, wc.student, r))
                           for r in range(int(wc.round) + 1)],
    output:
        L.round_gate,
    wildcard_constraints:
        round=paths.ROUND,
    params:
        patience=lambda wc: SETTINGS[wc.experiment].patience,
    log:
        L.log("rounds/{experiment}/{teacher}/{student}/{dataset}/r{round}.gate.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_gate.py"
