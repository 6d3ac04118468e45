"""Rules `summarize_first` / `summarize_next`: one iteration of iterated summarization."""
import json

from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods import summarize as S

log = to_log(snakemake.log[0])
wc, p = snakemake.wildcards, snakemake.params
cfg = S.settings(wc.experiment, snakemake.config["experiments"][wc.experiment])
problems = read_jsonl(snakemake.input.problems)
model = (wc.model, *json.loads(p.solver)[1:])
if snakemake.rule == "summarize_first":
    rows, stages = S.first_iteration(problems, model, cfg["reasoning"], p.cache_dir)
else:
    summarizer = tuple(json.loads(p.summarizer))
    rows, stages = S.next_iteration(read_jsonl(snakemake.input.previous), problems, model, summarizer, cfg["reasoning"],
                                    cfg["summarize"], continue_after_correct=p.continue_after_correct,
                                    cache_dir=p.cache_dir)
write_jsonl(snakemake.output[0], rows)
log.info("%s", json.dumps({"stages": stages, "metrics": S.metrics(rows)}))
