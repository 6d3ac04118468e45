"""Router training rows and their encoding: chat-template prompt ids, answer ids, padded batches."""

from __future__ import annotations

import os
from typing import Sequence

from ...io import iter_jsonl


def load_rows(rows: str | os.PathLike | Sequence[dict]) -> list[dict]:
    """Training rows from a JSONL path or a list, checked; errors name the file and line (or index)."""
    if isinstance(rows, (str, os.PathLike)):
        items = [(f"{rows}:{i}", r) for i, r in enumerate(iter_jsonl(rows), 1)]
    else:
        items = [(f"rows[{i}]", r) for i, r in enumerate(rows)]
    out = []
    for where, r in items:
        msgs = r.get("messages") if isinstance(r, dict) else None
        if not isinstance(r, dict) or "id" not in r or "style" not in r or not isinstance(msgs, list):
            raise ValueError(f"{where}: a row needs 'id', 'style' and a 'messages' list")
        if len(msgs) < 2 or msgs[-1].get("role") != "assistant" or not all("content" in m for m in msgs):
            raise ValueError(f"{where}: messages must end with an assistant turn and every message needs 'content'")
        out.append(r)
    if not out:
        raise ValueError(f"{rows if isinstance(rows, (str, os.PathLike)) else 'rows'}: no training rows")
    return out


def _as_messages(prompt) -> list[dict]:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)


def encode_prompt(tokenizer, messages: list[dict]) -> tuple[str, list[int]]:
    """Chat-template text and token ids of a prompt (all messages before the answer)."""
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(f"tokenizer {tokenizer.name_or_path!r} has no chat_template")
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return text, tokenizer(text, add_special_tokens=False)["input_ids"]


def encode_example(tokenizer, row: dict, max_length: int) -> tuple[list[int], int]:
    """(token ids, prompt length) of a chat row: prompt ids + ids of the template's rest (answer turn)."""
    text, prompt_ids = encode_prompt(tokenizer, row["messages"][:-1])
    full = tokenizer.apply_chat_template(row["messages"], tokenize=False)
    if not full.startswith(text):
        raise ValueError(
            f"row {row['id']!r}: the chat template of {tokenizer.name_or_path!r} renders the prompt differently "
            "alone and inside the conversation, so the answer tokens cannot be located"
        )
    answer_ids = tokenizer(full[len(text):], add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + answer_ids)[:max_length]
    return ids, len(prompt_ids)


def _same_tokenizer(tok_a, tok_b) -> bool:
    return tok_a.get_vocab() == tok_b.get_vocab() and tok_a.chat_template == tok_b.chat_template


def _pad_batch(seqs: list[tuple[list[int], int]], pad: int, device):
    """Right-padded ids, attention mask, labels (-100 outside the answer) and prompt mask."""
    import torch

    width = max(len(ids) for ids, _ in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    labels = torch.full((len(seqs), width), -100, dtype=torch.long)
    prompt = torch.zeros((len(seqs), width), dtype=torch.bool)
    for i, (s, n_prompt) in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
        labels[i, n_prompt : len(s)] = torch.tensor(s[n_prompt:], dtype=torch.long)
        prompt[i, : min(n_prompt, len(s))] = True
    return ids.to(device), mask.to(device), labels.to(device), prompt.to(device)


def _device(name: str):
    import torch

    return torch.device("cuda" if name == "auto" and torch.cuda.is_available() else ("cpu" if name == "auto" else name))
