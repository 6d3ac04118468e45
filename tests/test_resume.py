"""Training survives preemption: LLaMA-Factory checkpoints into a work directory that Snakemake does not
delete, and a rerun resumes from the last complete checkpoint, then publishes the model atomically."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import yaml

from cotdistill import checkpoints
from conftest import ROOT, SNAKEMAKE, workflow_copy

RUN = "tiny/chain_sum/offline.cot.correct"


def _state(path: Path, step: int) -> None:
    path.mkdir(parents=True)
    (path / "model.safetensors").write_text("weights")
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))


def test_last_checkpoint_skips_and_removes_half_written_ones(tmp_path):
    _state(tmp_path / "checkpoint-10", 10)
    _state(tmp_path / "checkpoint-20", 20)
    partial = tmp_path / "checkpoint-30"
    partial.mkdir()
    (partial / "model.safetensors").write_text("half")  # killed before trainer_state.json was written
    (tmp_path / "checkpoint-40-tmp").mkdir()  # not a checkpoint name
    last = checkpoints.last_checkpoint(tmp_path)
    assert last == tmp_path / "checkpoint-20" and checkpoints.checkpoint_step(last) == 20
    assert not partial.exists()
    assert checkpoints.last_checkpoint(tmp_path / "checkpoint-10") is None


def test_work_dir_kept_for_its_config_and_emptied_for_another(tmp_path):
    work = tmp_path / "work"
    checkpoints.prepare_work_dir(work, "learning_rate: 1.0e-3\n")
    _state(work / "checkpoint-5", 5)
    checkpoints.prepare_work_dir(work, "learning_rate: 1.0e-3\n")
    assert (work / "checkpoint-5").exists()
    checkpoints.prepare_work_dir(work, "learning_rate: 2.0e-3\n")
    assert not (work / "checkpoint-5").exists() and (work / checkpoints.HASH_FILE).exists()


def test_publish_moves_the_final_model_and_nothing_else(tmp_path):
    work, out = tmp_path / "work", tmp_path / "checkpoints" / "run"
    checkpoints.prepare_work_dir(work, "x")
    _state(work / "checkpoint-7", 7)
    (work / "model.safetensors").write_text("final")
    (work / "sub").mkdir()
    (work / "sub" / "a.txt").write_text("a")
    (work / checkpoints.LAUNCH).write_text("output_dir: work\n")
    checkpoints.mark_complete(work)
    out.mkdir(parents=True)  # as Snakemake may leave it
    checkpoints.publish(work, out)
    assert sorted(p.name for p in out.iterdir()) == ["model.safetensors", "sub"]
    assert (out / "model.safetensors").read_text() == "final" and (out / "sub" / "a.txt").read_text() == "a"
    assert not work.exists() and not list(out.parent.glob(".*publishing"))


def test_run_training_refuses_to_train_in_its_output(tmp_path):
    from cotdistill.train import run_training

    with pytest.raises(ValueError, match="work directory"):
        run_training(str(tmp_path / "c.yaml"), str(tmp_path / "out"), str(tmp_path / "out"))


def _kill_training(root: psutil.Process) -> None:
    """SIGKILL the job's LLaMA-Factory process tree, as a preemption would; Snakemake survives."""
    for proc in root.children(recursive=True):
        try:
            if any("llamafactory-cli" in part for part in proc.cmdline()):
                for child in proc.children(recursive=True) + [proc]:
                    child.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_killed_training_resumes_from_its_last_checkpoint(tmp_path, lf_python):
    wd = workflow_copy(tmp_path / "wf")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["experiments"] = {"baseline": {**cfg["experiments"]["baseline"], "teachers": ["offline"], "promptings": ["cot"]}}
    cfg["students"]["tiny"]["train"].update(epochs=40, per_device_batch_size=2, logging_steps=5, save_steps=25, save_total_limit=1)
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    work = wd / "results/.work/train" / RUN
    out = wd / "results/checkpoints" / RUN
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(wd), "--configfile", str(wd / "config.yaml"),
           "--cores", "2", "--retries", "1", f"results/checkpoints/{RUN}"]
    with open(tmp_path / "snakemake.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            killed_at = None
            deadline = time.time() + 600
            while killed_at is None and proc.poll() is None and time.time() < deadline:
                done = [p for p in work.glob("checkpoint-*") if checkpoints.is_complete_checkpoint(p)] if work.exists() else []
                if done:
                    killed_at = max(checkpoints.checkpoint_step(p) for p in done)
                    _kill_training(psutil.Process(proc.pid))
                time.sleep(0.05)
            rc = proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    snakelog = (tmp_path / "snakemake.log").read_text()
    assert killed_at is not None, f"no checkpoint appeared before training ended:\n{snakelog[-3000:]}"
    assert rc == 0, snakelog[-4000:]
    assert re.search(r"Trying to restart|restart", snakelog, re.I), "the killed job was not retried"

    train_log = (wd / "results/logs/train" / f"{RUN}.log").read_text()
    resumed = re.search(r"resuming from \S+checkpoint-(\d+) \(step (\d+)\)", train_log)
    assert resumed, train_log[:2000]
    step = int(resumed.group(2))
    assert step >= killed_at > 0

    # the published model is complete; its log (appended by both attempts) has the early steps once:
    # the second attempt did not start from step 0
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == state["max_steps"] > step
    steps = [json.loads(line)["current_steps"] for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    assert steps[0] == 5 and steps.count(5) == 1 and max(steps) == state["max_steps"], steps
    assert not work.exists() and not list(out.parent.glob("checkpoint-*"))
    assert (out / "model.safetensors").exists()
