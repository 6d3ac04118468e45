"""Evaluation decoding of a student (``students.<name>.generation.decoding``): greedy (the default), beam
search, or best-of-n sampling — the key-factors paper evaluates with vLLM beam search (``use_beam_search=True,
best_of=5, temperature=0``: ``{strategy: beam, num_beams: 5}``).

``settings`` validates a block and fills defaults, ``label`` names it in ``all.csv`` (``decoding``
column), ``generate_kwargs`` turns it into ``model.generate`` arguments and ``best_of`` picks, per prompt,
the sampled sequence with the highest total log-probability (what vLLM's ``best_of`` keeps).
"""

from __future__ import annotations

STRATEGIES = ("greedy", "beam", "best_of")
_KEYS = {"greedy": {"strategy"}, "beam": {"strategy", "num_beams", "length_penalty"},
         "best_of": {"strategy", "n", "temperature", "top_p", "seed"}}


def settings(block: dict | None, where: str = "generation.decoding") -> dict:
    d = dict(block or {})
    strategy = d.get("strategy", "greedy")
    if strategy not in STRATEGIES:
        raise ValueError(f"{where}.strategy: must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    unknown = sorted(set(d) - _KEYS[strategy])
    if unknown:
        raise ValueError(f"{where}: {', '.join(unknown)} not used by strategy {strategy} (it takes {', '.join(sorted(_KEYS[strategy]))})")
    if strategy == "beam":
        d = {"num_beams": 5, "length_penalty": 1.0, **d}
        if not isinstance(d["num_beams"], int) or d["num_beams"] < 2:
            raise ValueError(f"{where}.num_beams: an integer >= 2, got {d['num_beams']!r}")
    if strategy == "best_of":
        d = {"n": 5, "temperature": 1.0, "top_p": 1.0, "seed": 0, **d}
        if not isinstance(d["n"], int) or d["n"] < 2:
            raise ValueError(f"{where}.n: an integer >= 2, got {d['n']!r}")
        if not d["temperature"] > 0:
            raise ValueError(f"{where}.temperature: > 0 for sampling, got {d['temperature']!r}")
    return {"strategy": strategy, **d}


def label(block: dict | None) -> str:
    """``greedy``, ``beam5``, ``best_of5_t0.7`` (the ``decoding`` column of all.csv)."""
    d = settings(block)
    if d["strategy"] == "beam":
        return f"beam{d['num_beams']}" + ("" if d["length_penalty"] == 1.0 else f"_lp{d['length_penalty']:g}")
    if d["strategy"] == "best_of":
        return f"best_of{d['n']}_t{d['temperature']:g}" + ("" if d["top_p"] == 1.0 else f"_p{d['top_p']:g}")
    return "greedy"


def generate_kwargs(block: dict | None) -> dict:
    d = settings(block)
    if d["strategy"] == "beam":
        return {"do_sample": False, "num_beams": d["num_beams"], "length_penalty": d["length_penalty"], "early_stopping": True,
                "temperature": None, "top_p": None, "top_k": None}
    if d["strategy"] == "best_of":
        return {"do_sample": True, "num_return_sequences": d["n"], "temperature": d["temperature"], "top_p": d["top_p"],
                "top_k": None, "output_scores": True, "return_dict_in_generate": True}
    return {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}


def best_of(token_logprobs, generated, n: int, eos_id: int | None) -> list[int]:
    """Index (within each group of ``n`` samples) of the sample with the highest total log-probability;
    ``token_logprobs`` and ``generated`` are (batch·n, steps) tensors, positions after a sample's first EOS
    (padding) are not counted."""
    import torch

    keep = torch.ones_like(generated, dtype=torch.bool)
    if eos_id is not None:
        is_eos = generated == eos_id
        after = (is_eos.cumsum(1) - is_eos.long()) > 0  # strictly after the first EOS
        keep &= ~after
    lp = torch.where(keep, token_logprobs.float(), torch.zeros_like(token_logprobs, dtype=torch.float))
    total = torch.nan_to_num(lp, neginf=-1e9).sum(1).view(-1, n)
    return total.argmax(1).tolist()


def check_student(student: dict, name: str) -> None:
    """Setup check of ``students.<name>.generation.decoding``: ConfigError naming the key."""
    from .errors import ConfigError

    gen = student.get("generation") or {}
    where = f"students.{name}.generation.decoding"
    try:
        d = settings(gen.get("decoding"), where)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if d["strategy"] != "greedy" and gen.get("backend") == "vllm":
        raise ConfigError(f"{where}: strategy {d['strategy']} runs with backend: transformers (the vllm backend decodes greedily)")
    if student.get("system") and gen.get("backend") == "vllm":
        raise ConfigError(f"students.{name}.system: the vllm backend does not pass a system prompt; use backend: transformers")
