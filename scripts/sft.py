"""Rule `sft`: filter rationales and write the LLaMA-Factory dataset folder."""
import json

from cotdistill.gold_rationales import ENDING_SOURCE, with_endings
from cotdistill.io import read_json, read_jsonl, write_json
from cotdistill.logs import to_log
from cotdistill.methods import summarize
from cotdistill.methods.multistyle import sft_rationales
from cotdistill.sft import build_sft, write_sft_dir

log = to_log(snakemake.log[0])
teacher, source, keep = snakemake.params.recipe
if source.startswith("multistyle-"):  # best: the style ranking of the selection record (rule multistyle_select)
    mix = source.rsplit("-", 1)[1]
    ranking = read_json(snakemake.input.rationales[1])["ranking"] if mix == "best" else None
    rationales = sft_rationales(read_jsonl(snakemake.input.rationales[0]), mix, ranking)
elif source.startswith("summarize-"):  # the last iteration file or the final summaries of a summarize loop
    rationales = summarize.sft_rationales(read_jsonl(snakemake.input.rationales[0]))
elif ENDING_SOURCE.match(source):  # factors' ending: a teacher's rationales with their answer line rewritten
    rationales = with_endings(read_jsonl(snakemake.input.rationales[0]), ENDING_SOURCE.match(source)["ending"])
else:
    rationales = [row for path in snakemake.input.rationales for row in read_jsonl(path)]
rows, stats = build_sft(read_jsonl(snakemake.input.problems), rationales, keep)
write_sft_dir(snakemake.output.data.rsplit("/", 1)[0], rows)
write_json(snakemake.output.stats, stats)
log.info("%s: %s", snakemake.wildcards.recipe, json.dumps(stats))
