"""The HTML report's provenance page: git commit, the config (secrets redacted), package versions of each
environment and the wall time of every job, from Snakemake's own job records."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import yaml

from . import paths

SECRET_KEY = re.compile(r"(api_?key|token|secret|password|passwd|credential)(?!_env)", re.I)
SECRET_VALUE = re.compile(r"\b(sk-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{20,}|hf_[A-Za-z0-9]{20,})")
_VERSIONS = "import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"


def redact(obj):
    """The config with every value under a secret-looking key, and every key-shaped string, replaced."""
    if isinstance(obj, dict):
        return {k: "[redacted]" if SECRET_KEY.search(str(k)) else redact(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    if isinstance(obj, str):
        return SECRET_VALUE.sub("[redacted]", obj)
    return obj


def git_commit(repo: str | os.PathLike) -> dict:
    """``{commit, dirty}`` of the checkout (``unknown`` outside a git checkout)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)

    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": "unknown", "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def package_versions(python: str | None = None) -> dict[str, str]:
    """Installed distributions of this interpreter, or of another environment's ``python``."""
    if python is None:
        return {d.metadata["Name"]: d.version for d in metadata.distributions() if d.metadata["Name"]}
    if not Path(python).exists() and os.sep in str(python):
        return {}
    proc = subprocess.run([str(python), "-c", _VERSIONS], capture_output=True, text=True, timeout=120)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def _belongs(path: str, results_dir: str) -> bool:
    """Whether an output path is this results directory's own: under it, in one of the layout's folders (so
    ``results/tune/...`` does not count as ``results``'s, though it lies under it)."""
    prefix = results_dir.rstrip("/") + "/"
    return path.startswith(prefix) and path[len(prefix):].split("/", 1)[0] in paths.ROOTS


def job_times(workdir: str | os.PathLike, results_dir: str) -> list[dict]:
    """Every recorded job output under ``results_dir``: rule, job (hash), output, start, wall seconds (Snakemake's
    ``.snakemake/metadata`` records, one per output file; the file name is the output path, base64)."""
    out = []
    folder = Path(workdir) / ".snakemake" / "metadata"
    for f in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if not f.is_file():
            continue
        b64 = "".join(part.lstrip("@") for part in f.relative_to(folder).parts)  # long ids are split into folders
        try:
            path = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).decode()
            rec = json.loads(f.read_text())
        except (ValueError, UnicodeDecodeError, OSError):
            continue
        if not _belongs(path, results_dir) or rec.get("starttime") is None or rec.get("endtime") is None:
            continue
        if not (Path(workdir) / path).exists():  # a record of an output since deleted (an earlier study's)
            continue
        out.append({"rule": rec.get("rule"), "job": rec.get("job_hash"), "output": path, "start": rec["starttime"],
                    "wall_s": round(rec["endtime"] - rec["starttime"], 2)})
    return sorted(out, key=lambda r: r["start"])


def job_span(jobs: list[dict]) -> float:
    """Seconds from the first job's start to the last job's end."""
    return max(j["start"] + j["wall_s"] for j in jobs) - min(j["start"] for j in jobs) if jobs else 0.0


def run_times(jobs: list[dict], run_dicts: list[dict]) -> list[dict]:
    """Wall seconds per run: the jobs with an output under ``{student}/{train_set}/{recipe}`` (config,
    training, generation, scoring), each job once however many outputs it has."""
    rows = []
    for r in run_dicts:
        key = f"{r['student']}/{r['train_set']}/{r['recipe']}"
        pattern = re.compile(rf"/{re.escape(key)}(/|\.|$)")
        mine = {(j["rule"], j["job"]): j["wall_s"] for j in jobs if pattern.search(j["output"])}
        rows.append({"experiment": r["experiment"], "run": key, "jobs": len(mine), "wall_s": round(sum(mine.values()), 2)})
    return rows


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>(none recorded)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(*, commit: dict, config: dict, envs: dict[str, dict[str, str]], jobs: list[dict], runs: list[dict]) -> str:
    """The provenance page as a standalone HTML document."""
    cfg = html.escape(yaml.safe_dump(redact(config), sort_keys=True))
    env_html = "".join(
        f"<h3>{html.escape(name)} ({len(pkgs)} packages)</h3>" + _table([{"package": k, "version": v} for k, v in sorted(pkgs.items(), key=lambda kv: kv[0].lower())])
        for name, pkgs in envs.items())
    distinct = {(j["rule"], j["job"]): j["wall_s"] for j in jobs}  # a job with several outputs once
    total = round(sum(distinct.values()), 1)
    shown = [{"rule": j["rule"], "output": j["output"], "start (UTC)": _when(j["start"]), "wall_s": j["wall_s"]} for j in jobs]
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>cotdistill provenance</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;font-size:small}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}} pre{{background:#f6f6f6;padding:1em}}</style></head><body>
<h1>Provenance</h1>
<h2>Code</h2><p>git commit <code>{html.escape(commit['commit'])}</code>{' (with uncommitted changes)' if commit.get('dirty') else ''}</p>
<h2>Wall time per run</h2>{_table(runs)}
<h2>Wall time per job</h2><p>{len(distinct)} jobs ({len(jobs)} outputs), {total} s of job time in all (from Snakemake's job records).</p>{_table(shown)}
<h2>Config (secrets redacted)</h2><pre>{cfg}</pre>
<h2>Environments</h2>{env_html}
</body></html>
"""
