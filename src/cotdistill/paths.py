"""Every results path template and wildcard regex, in one place (a leaf).

Templates are relative to the results directory and use Snakemake's ``{wildcard}`` syntax, so one string
serves a rule's output, an input function and a script: ``Layout(R).data`` is the rule pattern
``results/data/{dataset}/{split}.jsonl``; ``Layout(R).path("data", dataset="d", split="train")`` a concrete
path, and ``Layout(R).path("data", split="train")`` fills some wildcards and keeps the others.
"""

from __future__ import annotations

NAME = r"[A-Za-z][A-Za-z0-9_]*"
SPLIT = "train|test|dev"
PROMPTING = r"[A-Za-z0-9_-]+"
FILTER = "correct|all"
RECIPE = NAME + r"\.[A-Za-z0-9_-]+\.(?:" + FILTER + ")"
ROUND = r"[1-9][0-9]*"  # a round or iteration ≥ 1
# Summarization loop models: a teacher, or a trained student ``student@recipe``.
LOOP_MODEL = NAME + r"(@[A-Za-z0-9_.-]+)?"
# Round recipe sources (methods/rounds.py): undo-{exp}-{student}-r{r}, undo-{exp}-x{k}, fair-...
# FAIR's training variants beside its main chain (methods/fair.py): unfiltered, nofeedback, only-{teacher}
FAIR_VARIANT = rf"unfiltered|nofeedback|only-{NAME}"
ROUND_SOURCE = (rf"^(?P<method>undo|fair)-(?P<experiment>{NAME})-(?P<student>{NAME})-r(?P<round>\d+)"
                rf"(?:-(?P<variant>{FAIR_VARIANT}))?$")
# FAIR's round 0: the untrained base student (its mistakes on the training problems start round 1)
UNTRAINED_RECIPE = "committee.untrained.all"
ONESHOT_SOURCE = rf"^undo-(?P<experiment>{NAME})-x(?P<factor>\d+)$"
ROUNDS_SOURCE = r"(?:undo|fair)-[A-Za-z0-9_-]+"  # what rules/rounds.smk builds
ROUND_RECIPE = NAME + r"\." + ROUNDS_SOURCE + r"\.(?:" + FILTER + ")"
PLAIN_RECIPE = NAME + r"\.(?!(?:undo|fair|pool)-)[A-Za-z0-9_-]+\.(?:" + FILTER + ")"  # what the generic sft rule builds
UNDO_RECIPE = NAME + r"\.undo-[A-Za-z0-9_-]+\.(?:" + FILTER + ")"
FAIR_RECIPE = r"committee\.fair-[A-Za-z0-9_-]+\.all"
MULTISTYLE_SOURCE = rf"^multistyle-(?P<experiment>{NAME})-(?P<mix>all|best)$"
SUMMARIZE_SFT_SOURCE = rf"^summarize-(?P<experiment>{NAME})-(?P<kind>final_attempt|summary)$"

TEMPLATES = {
    # shared stages
    "data": "data/{dataset}/{split}.jsonl",
    "data_summary": "data/{dataset}/{split}.summary.json",
    "rationales": "rationales/{teacher}/{dataset}/{prompting}.jsonl",
    "rationales_summary": "rationales/{teacher}/{dataset}/{prompting}.summary.json",
    # a teacher on another split's problems (multistyle: the dev split its best-of-styles ranking uses)
    "split_rationales": "rationales/{teacher}/{dataset}/{prompting}.{split}.jsonl",
    "split_rationales_summary": "rationales/{teacher}/{dataset}/{prompting}.{split}.summary.json",
    "sft_dir": "sft/{recipe}/{dataset}",
    "sft": "sft/{recipe}/{dataset}/train.json",
    "sft_info": "sft/{recipe}/{dataset}/dataset_info.json",
    "sft_stats": "sft/{recipe}/{dataset}/stats.json",
    "sft_feedback": "sft/{recipe}/{dataset}/feedback.json",
    "student": "students/{student}/{dataset}",
    "lf_config": "configs/{student}/{dataset}/{recipe}.yaml",
    "engine": "configs/{student}/{dataset}/{recipe}.engine.json",
    "checkpoint": "checkpoints/{student}/{dataset}/{recipe}",
    "work": ".work/train/{student}/{dataset}/{recipe}",
    "prompt_ids": "prompts/{student}/{dataset}/{recipe}/{evalset}.jsonl",
    "generations": "generations/{student}/{dataset}/{recipe}/{evalset}.jsonl",
    "eval": "eval/{student}/{dataset}/{recipe}/{evalset}.jsonl",
    "metrics": "eval/{student}/{dataset}/{recipe}/{evalset}.metrics.json",
    # a run's student on another split (rounds: the training problems, the dev split)
    "split_generations": "generations/{student}/{dataset}/{recipe}/{evalset}.{split}.jsonl",
    "split_eval": "eval/{student}/{dataset}/{recipe}/{evalset}.{split}.jsonl",
    "split_metrics": "eval/{student}/{dataset}/{recipe}/{evalset}.{split}.metrics.json",
    "cache": ".cache/llm",
    "table": "tables/{name}.csv",
    "figure": "figures/{name}.png",
    "provenance": "report/provenance.html",
    "logs": "logs",
    # multistyle
    "multistyle_log": "multistyle/{experiment}/{teacher}/{dataset}.enriched.jsonl",
    "multistyle_correct": "multistyle/{experiment}/{teacher}/{dataset}.correct.jsonl",
    "multistyle_selection": "multistyle/{experiment}/{teacher}/{dataset}.selection.json",
    # undo / fair rounds
    "fair_round": "fair/{experiment}/{student}/{dataset}/r{round}",
    "fair_reviews": "fair/{experiment}/{student}/{dataset}/r{round}/reviews/{teacher}.jsonl",
    "fair_reviews_summary": "fair/{experiment}/{student}/{dataset}/r{round}/reviews/{teacher}.summary.json",
    "fair_accepted": "fair/{experiment}/{student}/{dataset}/r{round}/accepted.jsonl",
    "fair_acceptance": "fair/{experiment}/{student}/{dataset}/r{round}/acceptance.json",
    "fair_feedback": "fair/{experiment}/{student}/{dataset}/r{round}/feedback/{teacher}.jsonl",
    "fair_rationales": "fair/{experiment}/{student}/{dataset}/r{round}/rationales/{teacher}.jsonl",
    "fair_teacher_summary": "fair/{experiment}/{student}/{dataset}/r{round}/rationales/{teacher}.summary.json",
    "fair_pairs": "fair/{experiment}/{student}/{dataset}/r{round}/pairs/{variant}.json",
    "fair_pairs_stats": "fair/{experiment}/{student}/{dataset}/r{round}/pairs/{variant}.stats.json",
    "round_gate": "rounds/{experiment}/{teacher}/{student}/{dataset}/r{round}.gate.json",
    # summarize
    "loop": "summarize/{experiment}/{model}/{dataset}",
    "loop_iteration": "summarize/{experiment}/{model}/{dataset}/iter{i}.jsonl",
    "loop_metrics": "summarize/{experiment}/{model}/{dataset}/iter{i}.{variant}.metrics.json",
    "loop_final_summary": "summarize/{experiment}/{model}/{dataset}/final_summary.jsonl",
    # router
    "router_dir": "router/{experiment}/{teacher}/{dataset}",
    "router_rows": "router/{experiment}/{teacher}/{dataset}/train.jsonl",
    "router_mode": "router/{experiment}/{teacher}/{dataset}/{mode}",
}


# The top-level folders of a results directory (GGUF imports go to models/, rules/models.smk): what tells a
# study's own outputs from another study's results directory nested under it (results/tune under results).
ROOTS = frozenset(t.split("/", 1)[0] for t in TEMPLATES.values()) | {"models"}


class _Keep(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def fill(template: str, **wildcards) -> str:
    """Fill the named wildcards of a template; the others stay ``{name}``."""
    return template.format_map(_Keep({k: v for k, v in wildcards.items()}))


class Layout:
    """The results tree under one results directory: ``Layout(R).<template name>`` is its rule pattern."""

    def __init__(self, results: str):
        self.results = str(results).rstrip("/") or "."

    def __getattr__(self, name: str) -> str:
        if name.startswith("__") or name not in TEMPLATES:
            raise AttributeError(f"paths: no template {name!r}")
        return f"{self.results}/{TEMPLATES[name]}"

    def path(self, template: str, /, **wildcards) -> str:
        """Template ``template`` with the given wildcards filled (the others stay ``{name}``)."""
        return fill(getattr(self, template), **wildcards)

    def log(self, *parts: str) -> str:
        """``{results}/logs/<parts...>``."""
        return "/".join([self.results, TEMPLATES["logs"], *parts])


def relative(template: str, /, **wildcards) -> str:
    """A template filled, relative to the results directory (what a Run's ``metrics`` holds)."""
    return fill(TEMPLATES[template], **wildcards)
