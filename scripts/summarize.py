"""Rules `summarize_first` / `summarize_next`: one iteration of iterated summarization; `summarize_final`:
a summary of each final attempt (an SFT recipe's compact rationales)."""
import json

from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods import summarize as S

log = to_log(snakemake.log[0])
wc, p = snakemake.wildcards, snakemake.params
cfg = S.settings(snakemake.config["experiments"][wc.experiment])
problems = read_jsonl(snakemake.input.problems)
if snakemake.rule == "summarize_final":
    rows, stages = S.final_summaries(read_jsonl(snakemake.input.last), problems, tuple(json.loads(p.summarizer)),
                                     cfg["summarize"], p.cache_dir)
    summary = {"n": len(rows), "correct": sum(r["correct"] for r in rows)}
else:
    model = (wc.model, *json.loads(p.solver)[1:])
    if snakemake.rule == "summarize_first":
        rows, stages = S.first_iteration(problems, model, cfg["reasoning"], p.cache_dir)
    else:
        summarizer = tuple(json.loads(p.summarizer))
        rows, stages = S.next_iteration(read_jsonl(snakemake.input.previous), problems, model, summarizer,
                                        cfg["reasoning"], cfg["summarize"],
                                        continue_after_correct=p.continue_after_correct, cache_dir=p.cache_dir)
    summary = S.metrics(rows)
write_jsonl(snakemake.output[0], rows)
log.info("%s", json.dumps({"stages": stages, "metrics": summary}))
