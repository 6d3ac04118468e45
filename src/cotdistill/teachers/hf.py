"""A local transformers model as a teacher: batched, left-padded generation on your own GPU (or CPU).

Prompts are sorted by length before batching (less padding), and answered in request order.
Greedy when ``temperature`` is 0 or unset, sampling otherwise (seeded by ``seed + sample``).
"""

from __future__ import annotations

from .base import Completion
from .config import TeacherConfig


class HFLocal:
    provider = "hf"
    cacheable = True

    def __init__(self, config: TeacherConfig):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.config = config
        self.model_path = config.model
        self.model = config.model
        self.base_url = None
        where = f"teachers.{config.name}"
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = "auto" if config.dtype == "auto" else getattr(torch, config.dtype, None)
        if dtype is None:
            raise ValueError(f"{where}.dtype: unknown torch dtype {config.dtype!r}")
        try:
            self.tok = AutoTokenizer.from_pretrained(config.model)
            self.lm = AutoModelForCausalLM.from_pretrained(config.model, dtype=dtype).to(device).eval()
        except OSError as exc:
            raise ValueError(f"{where}.model: cannot load {config.model!r} ({exc})") from None
        self.tok.padding_side = "left"
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        self.device = device

    def render(self, messages: list[dict]) -> str:
        if self.tok.chat_template:
            return self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return "\n\n".join(m["content"] for m in messages) + "\n\n"

    def complete_batch(self, items: list[tuple[list[dict], dict, int]]) -> list[Completion]:
        """Answer ``(messages, params, sample)`` items that share generation params, in one generate()."""
        import torch

        params = items[0][1]
        texts = [self.render(m) for m, _, _ in items]
        enc = self.tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        temperature = params.get("temperature") or 0.0
        gen = {"max_new_tokens": params.get("max_tokens") or 256, "pad_token_id": self.tok.pad_token_id}
        if temperature > 0:
            gen.update(do_sample=True, temperature=temperature, top_p=params.get("top_p") or 1.0)
            if params.get("top_k"):
                gen["top_k"] = int(params["top_k"])
            torch.manual_seed((params.get("seed") or 0) + items[0][2])
        else:
            gen.update(do_sample=False)
        if params.get("stop"):
            gen["stop_strings"] = [params["stop"]] if isinstance(params["stop"], str) else params["stop"]
            gen["tokenizer"] = self.tok
        with torch.inference_mode():
            out = self.lm.generate(**enc, **gen)
        new = out[:, enc["input_ids"].shape[1] :]
        eos = self.tok.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) | {self.tok.pad_token_id}
        results = []
        for row, mask in zip(new.tolist(), enc["attention_mask"]):
            ids = row
            for i, t in enumerate(row):
                if t in eos_ids:
                    ids = row[:i]
                    break
            text = self.tok.decode(ids, skip_special_tokens=True)
            for stop in gen.get("stop_strings", ()):  # like the APIs: the stop sequence is not returned
                if stop in text:
                    text = text[: text.index(stop)]
            hit_limit = len(ids) >= gen["max_new_tokens"]
            finish = "length" if hit_limit else ("empty" if not text.strip() else "stop")
            results.append(Completion(text=text, finish_reason=finish, prompt_tokens=int(mask.sum()),
                                      completion_tokens=len(ids)))
        return results
