"""Rule `provenance`: the HTML report's provenance page (cotdistill.provenance)."""
from cotdistill import provenance as P
from cotdistill.io import write_text
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
jobs = P.job_times(".", snakemake.params.results_dir)
envs = {"pipeline (.venv)": P.package_versions(), f"LLaMA-Factory ({snakemake.params.lf_python})": P.package_versions(snakemake.params.lf_python)}
text = P.page(commit=P.git_commit(snakemake.params.repo), config=snakemake.config, envs=envs, jobs=jobs,
              runs=P.run_times(jobs, snakemake.params.runs))
write_text(snakemake.output[0], text)
log.info("provenance: %d jobs, %s", len(jobs), {k: len(v) for k, v in envs.items()})
