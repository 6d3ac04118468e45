"""Runs workflows through `snakemake --executor slurm` on a real single-node Slurm.

The cluster comes from `.ci/slurm-setup.sh` (run here when Slurm is not up and we are
root). Without slurmdbd, `sacct` is empty, so the evidence is Slurm's job-completion
log (jobcomp/filetxt): every job Snakemake submitted must be recorded there COMPLETED.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
SETUP = REPO / ".ci" / "slurm-setup.sh"
PROFILE = REPO / "profiles" / "slurm"
TINY_CONFIG = REPO / "tests" / "configs" / "tiny.yaml"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# No slurmdbd here: job status from squeue, no account; poll every few seconds.
NO_SLURMDBD = [
    "--slurm-status-command", "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks", "2",
    "--latency-wait", "5",
]
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+)")
RUN_ID = re.compile(r"SLURM run ID: (\S+)")


def _node_state() -> str:
    if shutil.which("sinfo") is None:
        return ""
    out = subprocess.run(
        ["sinfo", "-h", "-N", "-n", "localhost", "-o", "%t"],
        capture_output=True, text=True, timeout=30,
    )
    return out.stdout.strip() if out.returncode == 0 else ""


@pytest.fixture(scope="module")
def slurm() -> dict:
    """A running single-node cluster: its jobcomp log path and GPU count."""
    if _node_state() not in ("idle", "mix", "alloc"):
        if os.geteuid() != 0:
            pytest.skip("Slurm is not running and starting it (.ci/slurm-setup.sh) needs root")
        if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
            pytest.skip("slurmctld is not installed and there is no apt-get to install it")
        # A file, not a pipe: the daemons the script starts inherit its output and would hold a pipe open.
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(["bash", str(SETUP)], stdout=out, stderr=subprocess.STDOUT, text=True, timeout=600)
            out.seek(0)
            if proc.returncode != 0:
                pytest.skip(f".ci/slurm-setup.sh could not start Slurm: {out.read().strip()[-800:]}")
    config = subprocess.run(
        ["scontrol", "show", "config"], capture_output=True, text=True, check=True
    ).stdout
    settings = dict(
        (k.strip(), v.strip()) for k, v in
        (line.split("=", 1) for line in config.splitlines() if "=" in line)
    )
    if settings.get("JobCompType") != "jobcomp/filetxt":
        pytest.skip(f"this Slurm records no finished jobs (JobCompType={settings.get('JobCompType')}); "
                    "use .ci/slurm-setup.sh's slurm.conf")
    node = subprocess.run(["scontrol", "show", "node", "localhost"],
                          capture_output=True, text=True, check=True).stdout
    gres = re.search(r"\bGres=gpu(?::[\w.]+)?:(\d+)", node)
    cpus = re.search(r"\bCPUTot=(\d+)", node)
    return {
        "jobcomp": Path(settings["JobCompLoc"]),
        "gpus": int(gres.group(1)) if gres else 0,
        "cpus": int(cpus.group(1)) if cpus else 1,
    }


def jobcomp_records(path: Path) -> dict[str, dict[str, str]]:
    """Slurm's jobcomp/filetxt log as {JobId: {field: value}}."""
    if not path.exists():
        return {}
    records = {}
    for line in path.read_text().splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if "JobId" in fields:
            records[fields["JobId"]] = fields
    return records


def run_slurm(workdir: Path, logdir: Path, slurm: dict, *args: str, timeout: int = 600) -> tuple[dict[str, str], str]:
    """Snakemake through the Slurm profile; returns ({snakemake jobid: slurm jobid}, log).

    `--cores` is the node's CPU count: group jobs are sized to at most that many CPUs.
    On a timeout the run's Slurm jobs are cancelled, so no job is left pending.
    """
    cmd = [*SNAKEMAKE, "--profile", str(PROFILE), *NO_SLURMDBD, "--cores", str(slurm["cpus"]),
           "--slurm-keep-successful-logs", "--slurm-logdir", str(logdir), *args]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        log = "".join(x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
                      for x in (exc.stdout, exc.stderr))
        for run_id in set(RUN_ID.findall(log)):
            subprocess.run(["scancel", "--name", run_id], check=False)
        squeue = subprocess.run(["squeue"], capture_output=True, text=True).stdout
        pytest.fail(f"snakemake ran past {timeout}s; squeue:\n{squeue}\n{log[-4000:]}")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"snakemake failed ({' '.join(cmd)}):\n{log[-6000:]}"
    return dict(SUBMITTED.findall(log)), log


def assert_all_completed(submitted: dict[str, str], log: str, jobcomp: Path) -> dict[str, dict[str, str]]:
    """Every submitted Slurm job is in the jobcomp log as COMPLETED (the log is written at job end),
    and the jobcomp log holds no other job of this run (Slurm job name = the plugin's run ID)."""
    assert submitted, "snakemake submitted no Slurm jobs"
    (run_id,) = set(RUN_ID.findall(log))
    deadline = time.time() + 30
    while True:
        records = jobcomp_records(jobcomp)
        missing = [j for j in submitted.values() if j not in records]
        if not missing or time.time() > deadline:
            break
        time.sleep(0.5)
    assert not missing, f"Slurm jobs missing from {jobcomp}: {missing}"
    states = {j: records[j]["JobState"] for j in submitted.values()}
    assert set(states.values()) == {"COMPLETED"}, states
    of_run = {j for j, r in records.items() if r.get("Name") == run_id}
    assert of_run == set(submitted.values()), f"jobcomp has jobs of run {run_id} snakemake did not report"
    return {j: records[j] for j in submitted.values()}


def assert_every_job_ran_in_slurm(log: str, logdir: Path, submitted: dict[str, str]) -> Counter:
    """Per rule, the jobs Snakemake finished (but for its localrules) equal the jobs
    executed inside the submitted Slurm jobs, read from their kept Slurm logs."""
    finished = Counter(re.findall(r"^Finished jobid: \d+ \(Rule: (\w+)\)", log, re.M))
    finished.subtract(Counter(re.findall(r"^localrule (\w+):", log, re.M)))
    finished = +finished
    in_slurm = Counter()
    for slurm_id in submitted.values():
        (path,) = logdir.rglob(f"{slurm_id}.log")
        in_slurm.update(re.findall(r"^localrule (\w+):", path.read_text(), re.M))
    assert in_slurm == finished, f"run in Slurm {dict(in_slurm)} != finished by snakemake {dict(finished)}"
    return in_slurm


def slurm_job(jobid: str) -> dict[str, str]:
    """`scontrol show job` fields of a job (finished jobs stay listed for MinJobAge)."""
    out = subprocess.run(["scontrol", "-o", "show", "job", jobid], capture_output=True, text=True).stdout
    return dict(re.findall(r"(\w+)=(\S*)", out))


TOY_SNAKEFILE = """
rule all:
    input: "c.txt", expand("g{{i}}.txt", i=range(3)), "gpu.txt"

rule a:
    output: "a.txt"
    shell: "echo slurm=$SLURM_JOB_ID > {{output}}"

rule b:
    input: "a.txt"
    output: "b.txt"
    resources: mem_mb=200, runtime=2
    shell: "cat {{input}} > {{output}}; echo slurm=$SLURM_JOB_ID >> {{output}}"

rule c:
    input: "b.txt"
    output: "c.txt"
    shell: "cat {{input}} > {{output}}; echo slurm=$SLURM_JOB_ID >> {{output}}"

rule small:
    output: "g{{i}}.txt"
    group: "tiny"
    shell: "echo slurm=$SLURM_JOB_ID > {{output}}"

rule gpu:
    output: "gpu.txt"
    threads: 1
    resources: gpu={gpus}, mem_mb=300, runtime=5
    shell: "echo slurm=$SLURM_JOB_ID cuda=${{{{CUDA_VISIBLE_DEVICES:-none}}}} > {{output}}"
"""


def test_toy_workflow_runs_every_job_in_slurm(slurm, tmp_path):
    """Plain, resource-carrying, grouped and GPU jobs all go through sbatch and finish COMPLETED."""
    (tmp_path / "Snakefile").write_text(TOY_SNAKEFILE.format(gpus=min(slurm["gpus"], 1)))
    start = time.time()
    submitted, log = run_slurm(tmp_path, tmp_path / "slurm_logs", slurm, "--group-components", "tiny=3", timeout=300)
    elapsed = time.time() - start
    records = assert_all_completed(submitted, log, slurm["jobcomp"])
    assert assert_every_job_ran_in_slurm(log, tmp_path / "slurm_logs", submitted) == Counter(
        a=1, b=1, c=1, small=3, gpu=1
    )

    # a, b, c, gpu as single jobs; the three `small` jobs merged into one group job.
    assert len(submitted) == 5, log[-3000:]
    outputs = {p.name: p.read_text() for p in tmp_path.glob("*.txt")}
    assert set(outputs) == {"a.txt", "b.txt", "c.txt", "g0.txt", "g1.txt", "g2.txt", "gpu.txt"}
    ran_in = {name: set(re.findall(r"slurm=(\d+)", text)) for name, text in outputs.items()}
    slurm_ids = set(submitted.values())
    for name, ids in ran_in.items():
        assert ids and ids <= slurm_ids, f"{name} did not run inside a submitted Slurm job: {ids}"
    assert len(ran_in["c.txt"]) == 3, "a, b, c each ran in their own Slurm job"
    assert len(ran_in["g0.txt"] | ran_in["g1.txt"] | ran_in["g2.txt"]) == 1, "group job not batched"
    # The memory request reached Slurm.
    (b_job,) = ran_in["b.txt"] - ran_in["a.txt"]
    assert "mem=200M" in records[b_job]["Tres"], records[b_job]
    if slurm["gpus"]:
        assert re.search(r"cuda=\d", outputs["gpu.txt"]), f"no GPU allocated: {outputs['gpu.txt']}"
    print(f"toy workflow: {len(submitted)} Slurm jobs in {elapsed:.1f}s")


def test_tiny_pipeline_through_slurm(slurm, tmp_path):
    """The real pipeline on the tiny config, two runs (CoT and direct) from data to scores:
    every job is a Slurm job (train asks for a GPU where the node has one) and COMPLETED."""
    if not (REPO / "Snakefile").exists() or not TINY_CONFIG.exists():
        pytest.skip(f"the workflow or {TINY_CONFIG.relative_to(REPO)} does not exist yet")
    results = tmp_path / "results"
    args = [
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(REPO),
        "--configfile", str(TINY_CONFIG),
        "--config", f"results_dir={results}",
    ]
    targets = [str(results / f"eval/tiny/chain_sum/offline.{p}.correct/chain_sum.metrics.json")
               for p in ("cot", "direct")]
    dry = subprocess.run([*SNAKEMAKE, "--profile", str(PROFILE), *NO_SLURMDBD, "-n", *targets, *args],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr[-3000:]
    start = time.time()
    submitted, log = run_slurm(REPO, tmp_path / "slurm_logs", slurm, *targets, *args,
                               "--set-resources", f"train:gpu={min(slurm['gpus'], 1)}")
    elapsed = time.time() - start
    assert_all_completed(submitted, log, slurm["jobcomp"])
    ran = assert_every_job_ran_in_slurm(log, tmp_path / "slurm_logs", submitted)
    assert ran["train"] == 2 and ran["score"] == 2, ran
    if slurm["gpus"]:  # the GPU request reached Slurm as a GRES
        train_jobs = [info for info in map(slurm_job, submitted.values())
                      if info.get("Comment", "").startswith("rule_train")]
        assert len(train_jobs) == 2, [slurm_job(j).get("Comment") for j in submitted.values()]
        for info in train_jobs:
            assert re.search(r"gpu[:=]1\b", info.get("TresPerJob", "")), info
    for target in targets:
        metrics = json.loads(Path(target).read_text())
        assert metrics, target
    print(f"tiny pipeline: {sum(ran.values())} jobs in {len(submitted)} Slurm jobs "
          f"({dict(ran)}) in {elapsed:.1f}s")
