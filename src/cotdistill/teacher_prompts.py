"""Teacher requests for a named prompting: ``direct``, ``cot``, ``strong``, ``style-<style>``,
``g<level>-<format>``. The instruction texts are data in ``prompts/solve.yaml``."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from .prompts import ANSWER_INSTRUCTIONS, core_prompt
from .teachers.base import Request

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_GRID = re.compile(r"^g([1-6])-([a-z_]+)$")


@lru_cache(maxsize=None)
def load_prompts(path: str | None = None) -> dict:
    with open(path or PROMPTS_DIR / "solve.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def parse_prompting(name: str) -> dict:
    """The structured intent of a prompting name; ValueError naming it if unknown."""
    prompts = load_prompts()
    if name == "direct":
        return {"kind": "solve", "mode": "direct"}
    if name == "cot":
        return {"kind": "solve", "mode": "style", "style": "step_by_step"}
    if name == "strong":
        return {"kind": "solve", "mode": "strong"}
    if name.startswith("style-"):
        style = name[len("style-"):]
        if style not in prompts["styles"]:
            raise ValueError(f"prompting {name!r}: unknown style {style!r}; styles in prompts/solve.yaml: {sorted(prompts['styles'])}")
        return {"kind": "solve", "mode": "style", "style": style}
    m = _GRID.match(name)
    if m:
        fmt = m.group(2)
        if fmt not in prompts["formats"]:
            raise ValueError(f"prompting {name!r}: unknown format {fmt!r}; formats: {sorted(prompts['formats'])}")
        return {"kind": "solve", "mode": "grid", "granularity": int(m.group(1)), "format": fmt}
    raise ValueError(f"unknown prompting {name!r} (direct, cot, strong, style-<style>, g<1-6>-<format>)")


def instruction(spec: dict) -> str:
    prompts = load_prompts()
    mode = spec["mode"]
    if mode == "direct":
        return prompts["direct"]
    if mode == "strong":
        return prompts["strong"]
    if mode == "style":
        return prompts["styles"][spec["style"]]
    return f"{prompts['granularity'][spec['granularity']]} {prompts['formats'][spec['format']]}"


def solve_messages(problem: dict, spec: dict) -> list[dict]:
    text = f"{core_prompt(problem)}\n\n{instruction(spec)} {ANSWER_INSTRUCTIONS[problem['answer_type']]}"
    return [{"role": "user", "content": text}]


def generation_params(teacher_cfg: dict) -> dict:
    """The generation parameters that an API sees (and that the cache key hashes)."""
    keys = ("temperature", "top_p", "top_k", "max_tokens", "seed", "stop")
    return {k: teacher_cfg[k] for k in keys if teacher_cfg.get(k) is not None}


def solve_requests(problems: list[dict], prompting: str, teacher_cfg: dict) -> list[Request]:
    spec = parse_prompting(prompting)
    params = generation_params(teacher_cfg)
    return [
        Request(
            messages=solve_messages(p, spec),
            params=params,
            sample=s,
            task={**spec, "prompting": prompting, "problem": p},
        )
        for p in problems
        for s in range(int(teacher_cfg.get("samples", 1)))
    ]
