"""Rules `figure_*`: draw one figure from the metrics of the runs it needs."""
from collections import defaultdict

from cotdistill import report
from cotdistill.io import read_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.multistyle import style_accuracy

log = to_log(snakemake.log[0])
df = report.build_table(snakemake.params.runs, snakemake.params.results_dir)
plot, out = snakemake.params.plot, snakemake.output[0]
if plot == "styles":
    pooled = defaultdict(list)
    for path in snakemake.input.logs:
        for style, acc in style_accuracy(read_jsonl(path)).items():
            pooled[style].append(acc)
    report.plot_styles(df, {s: sum(v) / len(v) for s, v in pooled.items()}, out)
else:
    getattr(report, f"plot_{plot}")(df, out)
log.info("wrote %s from %d rows", out, len(df))
