"""Build a tiny student from scratch: a byte-level BPE tokenizer trained on the task text (digits as
single tokens) and a Llama/Qwen2-architecture causal LM, saved as a normal HF model directory.

The chat template written into the tokenizer is LLaMA-Factory's ``default`` template, which ends
every turn with EOS, so the student learns to stop; training and evaluation both use that template.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL = {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}

# LLaMA-Factory's `default` template (data/template.py) as a Jinja chat template.
DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ 'System: ' + message['content'] + eos_token + '\\n' }}"
    "{% elif message['role'] == 'user' %}{{ 'Human: ' + message['content'] + eos_token + '\\nAssistant:' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + '\\n' }}"
    "{% endif %}{% endfor %}"
)


def train_tokenizer(texts: list[str], vocab_size: int):
    """A byte-level BPE tokenizer whose digits are always single tokens; a number's leading space rides
    on its first digit (`` 17`` is ``Ġ1``, ``7``), so numbers cost one token per digit."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(r" ?[0-9]"), behavior="isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, **SPECIAL)
    fast.chat_template = DEFAULT_CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_model(tokenizer, init: dict):
    """A randomly initialised causal LM sized by ``init`` (students.<name>.init in config)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    torch.manual_seed(int(init.get("seed", 0)))
    hidden = int(init.get("hidden_size", 128))
    kwargs = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=int(init.get("intermediate_size", 3 * hidden)),
        num_hidden_layers=int(init.get("num_hidden_layers", 4)),
        num_attention_heads=int(init.get("num_attention_heads", 4)),
        num_key_value_heads=int(init.get("num_attention_heads", 4)),
        max_position_embeddings=int(init.get("max_position_embeddings", 1024)),
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    config = (Qwen2Config if init.get("arch", "llama") == "qwen2" else LlamaConfig)(**kwargs)
    return AutoModelForCausalLM.from_config(config)


def build_student(out_dir: str | Path, texts: list[str], init: dict) -> dict:
    """Train the tokenizer on ``texts``, build the model, save both; returns a short summary."""
    tokenizer = train_tokenizer(texts, int(init.get("vocab_size", 512)))
    model = build_model(tokenizer, init)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    model.generation_config.save_pretrained(out_dir)
    return {"parameters": sum(p.numel() for p in model.parameters()), "vocab_size": len(tokenizer)}


def tokenizer_corpus(problems: list[dict]) -> list[str]:
    """Text to train the tokenizer on: the problems' prompts and solutions, plus the offline teacher's
    renderings of them in every prompting, so that rationale words get tokens of their own. Depends only
    on the data, never on a teacher's settings, so changing a teacher does not rebuild the student."""
    from .prompts import core_prompt
    from .teacher_prompts import load_prompts, solve_requests
    from .teachers.offline import OfflineTeacher

    prompts = load_prompts()
    promptings = ["direct", "strong"] + [f"style-{s}" for s in prompts["styles"]]
    promptings += [f"g{g}-{f}" for g in range(1, 7) for f in prompts["formats"]]
    teacher = OfflineTeacher("vocabulary", {"error_rate": 0.0})
    texts = [f"Human: {core_prompt(p)}\nAssistant:" for p in problems]  # the chat template's words too
    texts += [p["solution"] for p in problems if p.get("solution")]
    sample = problems[:200]
    for prompting in promptings:
        texts += [teacher.complete(r).text for r in solve_requests(sample, prompting, {})]
    return texts
