"""Batched greedy generation by a trained student, with the chat template it was trained with.

Prompts are encoded by LLaMA-Factory's own template object (the one its SFT stage used), so training
and evaluation cannot disagree on the template. Runs in the LLaMA-Factory environment.
"""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm


BASE_VIEW = "base_view.json"  # a checkpoint folder that names an untrained base model (FAIR's round 0)


def load_checkpoint(path: str | Path, dtype: str = "auto", *, trust_remote_code: bool = False):
    """Model and tokenizer from a checkpoint directory: a full model, a PEFT adapter on its base, or a
    ``base_view.json`` naming a base model (a hub id or a folder) that was not trained. ``trust_remote_code``
    (``students.<name>.trust_remote_code``) lets the model folder's own Python code run, as in training."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    torch_dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    remote = {"trust_remote_code": bool(trust_remote_code)}
    if (path / BASE_VIEW).exists():
        path = json.loads((path / BASE_VIEW).read_text())["model"]
        if not Path(path).exists():  # a hub id
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, **remote)
            return model.eval(), AutoTokenizer.from_pretrained(path, **remote)
        path = Path(path)
    adapter = path / "adapter_config.json"
    if adapter.exists():
        from peft import PeftModel

        base = json.loads(adapter.read_text())["base_model_name_or_path"]
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch_dtype, **remote)
        model = PeftModel.from_pretrained(model, path).merge_and_unload()
    else:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, **remote)
    tokenizer = AutoTokenizer.from_pretrained(path, **remote)
    model.eval()
    return model, tokenizer


# The student-job scripts' switch for students.<name>.trust_remote_code (rules generate, prompt_ids, generate_vllm).
TRUST_REMOTE_CODE = ("--trust-remote-code", {"choices": ("true", "false"), "default": "false",
                                             "help": "let the model folder's own Python code run (students.<name>.trust_remote_code)"})


def job_arguments(doc: str, *options: tuple[str, dict]):
    """``CHECKPOINT PROBLEMS OUT --template T`` (+ ``options``) of a student-job script, with the test problems
    and their prompts: ``(args, problems, prompts)``."""
    import argparse

    from .io import read_jsonl
    from .prompts import core_prompt

    ap = argparse.ArgumentParser(description=doc)
    for name in ("checkpoint", "problems", "out"):
        ap.add_argument(name)
    ap.add_argument("--template", required=True)
    for flag, kwargs in options:
        ap.add_argument(flag, **kwargs)
    args = ap.parse_args()
    problems = read_jsonl(args.problems)
    return args, problems, [core_prompt(p) for p in problems]


def lf_template(tokenizer, name: str, system: str | None = None):
    from .lf_compat import ensure_torchaudio_shim

    ensure_torchaudio_shim()
    from llamafactory.data import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments

    return get_template_and_fix_tokenizer(tokenizer, DataArguments(template=name, default_system=system or None))


def encode_prompts(tokenizer, template_name: str, prompts: list[str], system: str | None = None) -> list[list[int]]:
    """Token ids of each single-turn prompt, exactly as LLaMA-Factory's SFT stage encodes the prompt (with the
    student's ``system`` prompt, as its training config's ``default_system``)."""
    template = lf_template(tokenizer, template_name, system)
    return [template.encode_oneturn(tokenizer, [{"role": "user", "content": p}, {"role": "assistant", "content": ""}])[0] for p in prompts]


def generate_ids(model, tokenizer, prompt_ids: list[list[int]], *, max_new_tokens: int, batch_size: int, desc: str = "generate",
                 decoding: dict | None = None) -> list[str]:
    """Greedy decoding (or ``decoding``'s beam search / best-of-n, ``cotdistill.decoding``), left-padded batches
    sorted by length; outputs in input order."""
    import torch

    from . import decoding as dec

    spec = dec.settings(decoding)
    if spec["strategy"] == "best_of":
        torch.manual_seed(spec["seed"])

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    order = sorted(range(len(prompt_ids)), key=lambda i: len(prompt_ids[i]))
    outputs: list[str] = [""] * len(prompt_ids)
    for start in tqdm(range(0, len(order), batch_size), desc=desc, mininterval=5):
        idx = order[start : start + batch_size]
        width = max(len(prompt_ids[i]) for i in idx)
        input_ids = torch.tensor([[pad] * (width - len(prompt_ids[i])) + prompt_ids[i] for i in idx])
        attention = torch.tensor([[0] * (width - len(prompt_ids[i])) + [1] * len(prompt_ids[i]) for i in idx])
        with torch.inference_mode():
            out = model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                max_new_tokens=max_new_tokens,
                pad_token_id=pad,
                eos_token_id=tokenizer.eos_token_id,
                **dec.generate_kwargs(spec),
            )
        if spec["strategy"] == "best_of":
            scores = model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
            pick = dec.best_of(scores, out.sequences[:, width:], spec["n"], tokenizer.eos_token_id)
            out = out.sequences.view(len(idx), spec["n"], -1)[torch.arange(len(idx)), torch.tensor(pick)]
        for row, i in enumerate(idx):
            outputs[i] = tokenizer.decode(out[row, width:], skip_special_tokens=True).strip()
    return outputs


def checkpoint_answers(model_dir: str, template: str, prompts: list[str], *, max_new_tokens: int = 256, batch_size: int = 32,
                       decoding: dict | None = None, system: str | None = None, trust_remote_code: bool = False) -> list[str]:
    """A trained checkpoint's answers to single-turn prompts, encoded with its training template and system prompt."""
    model, tokenizer = load_checkpoint(model_dir, trust_remote_code=trust_remote_code)
    return generate_ids(model, tokenizer, encode_prompts(tokenizer, template, prompts, system), max_new_tokens=max_new_tokens,
                        batch_size=batch_size, decoding=decoding)
