"""Rules `summarize_first` / `summarize_next`: one iteration of iterated summarization (the first attempt,
or — with a `previous` iteration as input — a summary of the last attempt and a new attempt)."""
import json

from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.experiments import experiment_settings
from cotdistill.logs import to_log
from cotdistill.paths import Layout
from cotdistill.methods import summarize as S

log = to_log(snakemake.log[0])
p = snakemake.params
problems = read_jsonl(snakemake.input.problems)
wc, layout = snakemake.wildcards, Layout(snakemake.config["results_dir"])
# the whole solver blocks from the config (the params record only what changes the answers)
model = (wc.model, *S.solver(snakemake.config, wc.model, wc.dataset, layout)[1:])
opts = S.LoopOptions(**json.loads(p.options))
if "previous" in snakemake.input.keys():
    rows, stages = S.next_iteration(read_jsonl(snakemake.input.previous), problems, model,
                                    S.summarizer_of(snakemake.config, experiment_settings(snakemake.config, wc.experiment), wc.model,
                                                    wc.dataset, layout),
                                    p.reasoning, p.summarize, continue_after_correct=p.continue_after_correct,
                                    cache_dir=p.cache_dir, opts=opts)
else:
    rows, stages = S.first_iteration(problems, model, p.reasoning, p.cache_dir, opts)
write_jsonl(snakemake.output[0], rows)
log.info("%s", json.dumps({"stages": stages, "metrics": S.metrics(rows)}))
