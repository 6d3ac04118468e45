"""Rule `summarize_final`: a summary of each problem's final attempt (an SFT recipe's compact rationales)."""
import json

from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.experiments import experiment_settings
from cotdistill.logs import to_log
from cotdistill.paths import Layout
from cotdistill.methods import summarize as S

log = to_log(snakemake.log[0])
p, wc = snakemake.params, snakemake.wildcards
# the summarizer's whole block from the config (the params record only what changes its answers)
rows, stages = S.final_summaries(read_jsonl(snakemake.input.last), read_jsonl(snakemake.input.problems),
                                 S.summarizer_of(snakemake.config, experiment_settings(snakemake.config, wc.experiment), wc.model, wc.dataset,
                                                 Layout(snakemake.config["results_dir"])), p.summarize, p.cache_dir, S.LoopOptions(**json.loads(p.options)))
write_jsonl(snakemake.output[0], rows)
log.info("%s", json.dumps({"stages": stages, "metrics": {"n": len(rows), "correct": sum(r["correct"] for r in rows)}}))
