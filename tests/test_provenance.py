"""The provenance page: redaction, Snakemake's job records decoded into wall times, the page itself."""

from __future__ import annotations

import base64
import json

from cotdistill import provenance as P


def record(root, path, rule, start, end, max_len=None, job=None, output=True):
    if output:  # the output exists (a record of a deleted output is an earlier study's)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).touch()
    b64 = base64.urlsafe_b64encode(path.encode()).decode()
    parts = [b64] if max_len is None else [b64[i:i + max_len] for i in range(0, len(b64), max_len)]
    parts = ["@" + p for p in parts[:-1]] + [parts[-1]]  # Snakemake splits long names into folders
    f = root.joinpath(".snakemake", "metadata", *parts)
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps({"rule": rule, "starttime": start, "endtime": end, "job_hash": job if job is not None else hash(path)}))


def test_redact_keys_and_key_shaped_values():
    cfg = {"teachers": {"t": {"api_key_env": "OPENAI_API_KEY", "api_key": "plain", "model": "m"}},
           "note": "call with sk-abcdefghijklmnop please", "students": {"s": {"token": 3}}}
    out = P.redact(cfg)
    assert out["teachers"]["t"] == {"api_key_env": "OPENAI_API_KEY", "api_key": "[redacted]", "model": "m"}
    assert out["note"] == "call with [redacted] please" and out["students"]["s"]["token"] == "[redacted]"
    assert cfg["teachers"]["t"]["api_key"] == "plain"  # the input is not changed


def test_job_records_give_wall_times_per_job_and_run(tmp_path):
    long = "results/eval/tiny/chain_sum/offline.cot.correct/" + "/".join(["x" * 100] * 3) + ".jsonl"
    record(tmp_path, "results/checkpoints/tiny/chain_sum/offline.cot.correct", "train", 100.0, 160.5)
    record(tmp_path, "results/eval/tiny/chain_sum/offline.cot.correct/chain_sum.jsonl", "score", 170.0, 172.0, job=7)
    record(tmp_path, "results/eval/tiny/chain_sum/offline.cot.correct/chain_sum.metrics.json", "score", 170.0001, 172.0001, job=7)
    record(tmp_path, long, "score2", 180.0, 181.0, max_len=200)
    record(tmp_path, "results/checkpoints/tiny/chain_sum/offline.direct.correct", "train", 100.0, 130.0)
    record(tmp_path, "elsewhere/file", "other", 0.0, 1.0)
    record(tmp_path, "results/tune/eval/s/d/r/d.dev.metrics.json", "score_split", 0.0, 1.0)  # another study, nested
    record(tmp_path, "results/eval/gone/d/r/d.metrics.json", "score", 0.0, 1.0, output=False)  # deleted since
    jobs = P.job_times(tmp_path, "results")
    assert [(j["rule"], j["wall_s"]) for j in jobs] == [("train", 60.5), ("train", 30.0), ("score", 2.0), ("score", 2.0), ("score2", 1.0)]
    assert long in {j["output"] for j in jobs}
    runs = [{"experiment": "b", "student": "tiny", "train_set": "chain_sum", "recipe": f"offline.{p}.correct"} for p in ("cot", "direct")]
    assert P.run_times(jobs, runs) == [{"experiment": "b", "run": "tiny/chain_sum/offline.cot.correct", "jobs": 3, "wall_s": 63.5},
                                       {"experiment": "b", "run": "tiny/chain_sum/offline.direct.correct", "jobs": 1, "wall_s": 30.0}]
    assert P.job_span(jobs) == 81.0
    page = P.page(commit={"commit": "abc123", "dirty": True}, config={"teachers": {"t": {"api_key": "sk-secretsecret1"}}},
                  envs={"pipeline": {"pandas": "3.1.1"}}, jobs=jobs, runs=P.run_times(jobs, runs))
    assert "abc123</code> (with uncommitted changes)" in page and "<td>pandas</td><td>3.1.1</td>" in page
    assert "sk-secretsecret1" not in page and "[redacted]" in page and "63.5" in page


def test_versions_of_this_environment():
    versions = P.package_versions()
    assert versions["snakemake"].startswith("9.") and "pandas" in versions
