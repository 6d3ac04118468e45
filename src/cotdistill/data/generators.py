"""Procedurally generated problems from reasoning-gym: offline, seeded, with the structure the
offline teacher needs (the expression of an arithmetic task, the reference CoT of gsm_symbolic)."""

from __future__ import annotations

import json

from .schema import make_problem

# Split seeds are offset so that train and test never share a generator stream.
_SPLIT_OFFSET = {"train": 0, "test": 1_000_003, "dev": 2_000_003}


def _answer(entry: dict) -> str:
    value = str(entry["answer"]).strip()
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else value


def _solution(entry: dict) -> str | None:
    cot = entry.get("metadata", {}).get("answer_cot")
    if not cot:
        return None
    return cot.split("####")[0].strip()


def generate_split(name: str, cfg: dict, split: str) -> list[dict]:
    """``n_{split}`` problems from the reasoning-gym dataset ``cfg['generator']`` (default: ``name``)."""
    import reasoning_gym

    generator = cfg.get("generator", name)
    n = int(cfg.get(f"n_{split}", cfg.get("n_train" if split == "dev" else "n_test", 100)))
    seed = int(cfg.get("seed", 0)) + _SPLIT_OFFSET[split]
    try:
        ds = reasoning_gym.create_dataset(generator, size=n, seed=seed, **cfg.get("params", {}))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"datasets.{name}.generator: reasoning-gym has no usable dataset {generator!r} ({exc})") from None
    problems = []
    templates = getattr(ds, "task_indices", None)  # gsm_symbolic: the template each instance is drawn from
    for i, entry in enumerate(ds):
        meta = dict(entry.get("metadata", {}))
        if templates is not None:
            meta["template"] = f"{generator}:{templates[i]}"
        meta.pop("answer_cot", None)
        meta = {k: v for k, v in meta.items() if k in ("expression", "num_terms", "num_digits", "variables", "difficulty", "template")}
        meta = json.loads(json.dumps(meta, default=str))  # generators may hold Fractions
        problems.append(
            make_problem(
                id=f"{name}-{split}-{i}",
                dataset=name,
                split=split,
                question=entry["question"],
                answer=_answer(entry),
                answer_type="number",
                solution=_solution(entry),
                meta={"generator": generator, **meta},
            )
        )
    return problems
