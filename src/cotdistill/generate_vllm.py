"""Student generation with vLLM, in its own environment (envs/vllm.txt: vLLM 0.33 wants torch 2.14 and a
transformers that LLaMA-Factory 0.9.5 does not accept).

The chat template stays LLaMA-Factory's: rule ``prompt_ids`` encodes each prompt with the template
object training used (in the LLaMA-Factory environment) and rule ``generate_vllm`` hands vLLM those
token ids, so training and evaluation cannot disagree on a single token. Greedy decoding, stopping at
the template's stop tokens, as the transformers path does. A student opts in with
``generation: {backend: vllm}``; everything else uses cotdistill.generate.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

BACKENDS = ("transformers", "vllm")
SETUP_HINT = "set up the vLLM environment (`make setup-vllm`, pins in envs/vllm.txt) or use generation.backend: transformers"


def backend(student: dict) -> str:
    return student.get("generation", {}).get("backend", "transformers")


def check_importable(python: str) -> str | None:
    """Why ``python`` cannot run the vLLM backend (missing, or no ``vllm`` package), else None.
    Looks the package up without importing it, so the check costs a fraction of a second."""
    if not Path(python).exists() and "/" in python:
        return f"{python} does not exist"
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('vllm') is None)"
    try:
        proc = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        return f"{python} cannot be run ({exc})"
    return None if proc.returncode == 0 else f"vllm is not importable by {python}"


def encode(checkpoint: str, template: str, prompts: list[str], *, trust_remote_code: bool = False) -> tuple[list[list[int]], list[int]]:
    """Prompt token ids (LLaMA-Factory's template, as in training) and the template's stop token ids.
    Runs in the LLaMA-Factory environment."""
    from transformers import AutoTokenizer

    from .generate import encode_prompts, lf_template

    tokenizer = AutoTokenizer.from_pretrained(checkpoint, trust_remote_code=trust_remote_code)
    ids = encode_prompts(tokenizer, template, prompts)
    stop = lf_template(tokenizer, template).get_stop_token_ids(tokenizer)
    return ids, sorted(int(t) for t in stop if t is not None)


def import_vllm():
    """``vllm`` (LLM, SamplingParams, TokensPrompt, LoRARequest), or an error that says what to do."""
    try:
        from vllm import LLM, SamplingParams
        from vllm.inputs import TokensPrompt
        from vllm.lora.request import LoRARequest
    except ImportError as exc:
        raise RuntimeError(f"generation.backend vllm: cannot import vllm ({exc}); {SETUP_HINT}") from exc
    return LLM, SamplingParams, TokensPrompt, LoRARequest


def model_source(checkpoint: str | Path) -> tuple[str, str | None, int]:
    """(model to load, LoRA adapter folder or None, adapter rank) of a trained checkpoint folder."""
    checkpoint = Path(checkpoint)
    adapter = checkpoint / "adapter_config.json"
    if adapter.exists():
        cfg = json.loads(adapter.read_text())
        return cfg["base_model_name_or_path"], str(checkpoint), int(cfg.get("r", 16))
    return str(checkpoint), None, 0


def vllm_answers(checkpoint: str, prompt_ids: list[list[int]], stop_ids: list[int], *, max_new_tokens: int, llm_kwargs: dict | None = None,
                 trust_remote_code: bool = False) -> list[str]:
    """Greedy completions of token-id prompts by a full model or a LoRA adapter on its base."""
    LLM, SamplingParams, TokensPrompt, LoRARequest = import_vllm()
    model, adapter, rank = model_source(checkpoint)
    kwargs = {"seed": 0, "trust_remote_code": trust_remote_code, **(llm_kwargs or {})}
    if adapter:
        kwargs.update(enable_lora=True, max_lora_rank=max(rank, kwargs.get("max_lora_rank", 0)))
    llm = LLM(model=model, tokenizer=str(checkpoint), **kwargs)
    params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens, stop_token_ids=stop_ids, skip_special_tokens=True)
    lora = LoRARequest("student", 1, adapter) if adapter else None
    outputs = llm.generate([TokensPrompt(prompt_token_ids=ids) for ids in prompt_ids], params, lora_request=lora)
    return [out.outputs[0].text.strip() for out in outputs]
