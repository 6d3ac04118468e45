# UNDO and FAIR as rounds of the DAG (src/cotdistill/methods/rounds.py has the recipe names).
# Round r's inputs point at round r-1's evaluation on the training problems: no cycles, each round
# its own files. The generic rationales/sft/lf_config rules also match these outputs; rule order
# gives these rules the files they own.
from cotdistill.methods import rounds as rounds_lib

ROUND_RECIPE = NAME + r"\." + rounds_lib.SOURCE_PATTERN + r"\.(correct|all)"


ruleorder: regenerate > rationales
ruleorder: rounds_sft > sft
ruleorder: rounds_lf_config > lf_config


def _source(wc):
    return rounds_lib.parse_source(split_recipe(wc.recipe)[1])


def _spec(experiment):
    return config["experiments"][experiment]


def _knobs(experiment):
    return rounds_lib.knobs(experiment, _spec(experiment))


def _recipe(wc, r):
    return rounds_lib.round_recipe(wc.experiment, _spec(wc.experiment), wc.teacher, wc.student, r)


def _committee(wc):
    return _spec(wc.experiment)["teachers"]


use rule generate as generate_split with:
    input:
        checkpoint=f"{R}/checkpoints/{{student}}/{{dataset}}/{{recipe}}",
        problems=f"{R}/data/{{evalset}}/{{split}}.jsonl",
    output:
        f"{R}/generations/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.{{split}}.jsonl",
    log:
        f"{R}/logs/generate/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.{{split}}.log",


use rule score as score_split with:
    input:
        generations=f"{R}/generations/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.{{split}}.jsonl",
        problems=f"{R}/data/{{evalset}}/{{split}}.jsonl",
    output:
        rows=f"{R}/eval/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.{{split}}.jsonl",
        metrics=f"{R}/eval/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.{{split}}.metrics.json",
    log:
        f"{R}/logs/score/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.{{split}}.log",


rule regenerate:
    """Round r: the teacher's feedback and fresh solution for each training problem round r-1's student missed."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
        previous=lambda wc: f"{R}/eval/{wc.student}/{wc.dataset}/{rounds_lib.round_recipe(wc.experiment, _spec(wc.experiment), wc.teacher, wc.student, int(wc.round) - 1)}/{wc.dataset}.train.jsonl",
    output:
        rows=f"{R}/rationales/{{teacher}}/{{dataset}}/{{method}}-{{experiment}}-{{student}}-r{{round}}.jsonl",
        summary=f"{R}/rationales/{{teacher}}/{{dataset}}/{{method}}-{{experiment}}-{{student}}-r{{round}}.summary.json",
    wildcard_constraints:
        method="undo|fair",
        round="[1-9][0-9]*",
    params:
        teacher=lambda wc: canonical(config["teachers"][wc.teacher]),
        hint=lambda wc: wc.method == "fair",
        cache_dir=f"{R}/.cache/llm",
    log:
        f"{R}/logs/rationales/{{teacher}}/{{dataset}}/{{method}}-{{experiment}}-{{student}}-r{{round}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_regenerate.py"


rule fair_review:
    """One committee member's 1-5 scores of every other member's round-r rationales."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
        rationales=lambda wc: [
            f"{R}/rationales/{t}/{wc.dataset}/fair-{wc.experiment}-{wc.student}-r{wc.round}.jsonl"
            for t in _committee(wc)
            if t != wc.teacher
        ],
    output:
        rows=f"{R}/fair/{{experiment}}/{{student}}/{{dataset}}/r{{round}}/reviews/{{teacher}}.jsonl",
        summary=f"{R}/fair/{{experiment}}/{{student}}/{{dataset}}/r{{round}}/reviews/{{teacher}}.summary.json",
    wildcard_constraints:
        round="[1-9][0-9]*",
    params:
        teacher=lambda wc: canonical(config["teachers"][wc.teacher]),
        cache_dir=f"{R}/.cache/llm",
    log:
        f"{R}/logs/fair/{{experiment}}/{{student}}/{{dataset}}/r{{round}}/review_{{teacher}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_review.py"


rule fair_select:
    """Peer review's verdict: rationales whose mean valid score is above the threshold; counts per teacher."""
    input:
        rationales=lambda wc: [f"{R}/rationales/{t}/{wc.dataset}/fair-{wc.experiment}-{wc.student}-r{wc.round}.jsonl" for t in _committee(wc)],
        reviews=lambda wc: [f"{R}/fair/{wc.experiment}/{wc.student}/{wc.dataset}/r{wc.round}/reviews/{t}.jsonl" for t in _committee(wc)],
    output:
        accepted=f"{R}/fair/{{experiment}}/{{student}}/{{dataset}}/r{{round}}/accepted.jsonl",
        report=f"{R}/fair/{{experiment}}/{{student}}/{{dataset}}/r{{round}}/acceptance.json",
    wildcard_constraints:
        round="[1-9][0-9]*",
    params:
        threshold=lambda wc: _knobs(wc.experiment)["review_threshold"],
    log:
        f"{R}/logs/fair/{{experiment}}/{{student}}/{{dataset}}/r{{round}}/select.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_select.py"


rule rounds_sft:
    """A round's SFT set: round 0's rationales updated by rounds 1..r (FAIR: + mistake->feedback examples)."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
        base=lambda wc: rounds_lib.sft_inputs(config, wc.recipe, R, wc.dataset)["base"],
        rounds=lambda wc: rounds_lib.sft_inputs(config, wc.recipe, R, wc.dataset)["rounds"],
    output:
        data=f"{R}/sft/{{recipe}}/{{dataset}}/train.json",
        feedback=f"{R}/sft/{{recipe}}/{{dataset}}/feedback.json",
        info=f"{R}/sft/{{recipe}}/{{dataset}}/dataset_info.json",
        stats=f"{R}/sft/{{recipe}}/{{dataset}}/stats.json",
    wildcard_constraints:
        recipe=ROUND_RECIPE,
    params:
        recipe=lambda wc: split_recipe(wc.recipe),
        mode=lambda wc: _knobs(_source(wc)["experiment"])["sft"],
        feedback=lambda wc: _source(wc).get("method") == "fair",
    log:
        f"{R}/logs/sft/{{recipe}}/{{dataset}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_sft.py"


def _previous_checkpoint(wc):
    """Round r-1's checkpoint where a round continues from it (init: previous)."""
    s = _source(wc)
    if s["kind"] != "round" or _knobs(s["experiment"])["init"] != "previous":
        return []
    return f"{R}/checkpoints/{wc.student}/{wc.dataset}/{rounds_lib.previous_recipe(config, wc.recipe)}"


rule rounds_lf_config:
    """The LLaMA-Factory YAML of a rounds recipe: continue from round r-1, FAIR's mixing, the baseline's epochs."""
    input:
        sft=f"{R}/sft/{{recipe}}/{{dataset}}/train.json",
        stats=f"{R}/sft/{{recipe}}/{{dataset}}/stats.json",
        base=student_base,
        previous=_previous_checkpoint,
    output:
        f"{R}/configs/{{student}}/{{dataset}}/{{recipe}}.yaml",
    wildcard_constraints:
        recipe=ROUND_RECIPE,
    params:
        student=lambda wc: canonical(student_cfg(wc)),
        base=student_base_path,
        output_dir=lambda wc: f"{R}/checkpoints/{wc.student}/{wc.dataset}/{wc.recipe}",
        source=lambda wc: canonical(_source(wc)),
        mixing=lambda wc: canonical({k: _knobs(_source(wc)["experiment"])[k] for k in ("alpha", "mix")} if _source(wc).get("method") == "fair" else {}),
    log:
        f"{R}/logs/configs/{{student}}/{{dataset}}/{{recipe}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_lf_config.py"


# --- early stopping: whether round r+1 runs depends on data, hence a checkpoint ------------------------


checkpoint round_gate:
    """Round r+1 runs only if round r's held-out accuracy beat round r-1's."""
    input:
        current=lambda wc: f"{R}/eval/{wc.student}/{wc.dataset}/{_recipe(wc, int(wc.round))}/{wc.dataset}.{_knobs(wc.experiment)['early_stop']}.metrics.json",
        previous=lambda wc: f"{R}/eval/{wc.student}/{wc.dataset}/{_recipe(wc, int(wc.round) - 1)}/{wc.dataset}.{_knobs(wc.experiment)['early_stop']}.metrics.json",
    output:
        f"{R}/rounds/{{experiment}}/{{teacher}}/{{student}}/{{dataset}}/r{{round}}.gate.json",
    wildcard_constraints:
        round="[1-9][0-9]*",
    log:
        f"{R}/logs/rounds/{{experiment}}/{{teacher}}/{{student}}/{{dataset}}/r{{round}}.gate.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_gate.py"


def run_active(run):
    """Whether a run (a dict from runs_of) is part of the study: a round after an early stop is not.
    Asks the gate checkpoints, so only input/params functions may call it for early-stopped runs."""
    rnd = run["labels"].get("round")
    if run["method"] not in ("undo", "fair") or not rnd or rnd < 2 or not _knobs(run["experiment"])["early_stop"]:
        return True
    for r in range(1, rnd):
        gate = checkpoints.round_gate.get(experiment=run["experiment"], teacher=run["labels"]["teacher"], student=run["student"], dataset=run["train_set"], round=r)
        with open(gate.output[0]) as fh:
            if not json.load(fh)["continue"]:
                return False
    return True


# --- figures ---------------------------------------------------------------------------------------------


rule figure_undo_rounds:
    """Accuracy by UNDO round, with the one-shot baseline trained for the same total epochs."""
    input:
        lambda wc: metrics_of("undo"),
    output:
        f"{R}/figures/undo_rounds.png",
    params:
        runs=lambda wc: runs_of("undo"),
        results_dir=R,
        plot="undo_rounds",
    log:
        f"{R}/logs/report/figure_undo_rounds.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_figure.py"


rule figure_fair:
    """FAIR rounds vs plain distillation from each single teacher and from all teachers unfiltered."""
    input:
        metrics=lambda wc: metrics_of("fair"),
        acceptance=lambda wc: sorted(
            f"{R}/fair/{r['experiment']}/{r['student']}/{r['train_set']}/r{r['labels']['round']}/acceptance.json"
            for r in runs_of("fair")
            if r["labels"].get("round")
        ),
    output:
        f"{R}/figures/fair.png",
    params:
        runs=lambda wc: runs_of("fair"),
        results_dir=R,
        plot="fair",
    log:
        f"{R}/logs/report/figure_fair.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rounds_figure.py"
