"""The hf backend on a tiny Llama built on the fly: batched left-padded generation equals one-at-a-time."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from cotdistill.teachers import Request, run_requests  # noqa: E402

TEXT = ["what is two plus three", "the answer is five", "add the numbers step by step",
        "first we add two and three", "so the result is five", "question answer step number"]
TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}assistant:{% endif %}")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    path = tmp_path_factory.mktemp("tiny-llama")
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(TEXT * 5, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "<unk>", "<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    from tokenizers import decoders

    tok.decoder = decoders.ByteLevel()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>",
                                                eos_token="<eos>")
    fast.chat_template = TEMPLATE
    fast.save_pretrained(path)
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                   pad_token_id=fast.pad_token_id, eos_token_id=fast.eos_token_id,
                                   bos_token_id=fast.eos_token_id)
    transformers.LlamaForCausalLM(cfg).save_pretrained(path)
    return str(path)


def test_batched_generation_matches_unbatched_and_caches(tiny_model, tmp_path):
    prompts = ["two plus three", "what is the answer step by step please", "five", "add numbers",
               "first we add two and three so the result is"]
    rs = [Request(messages=[{"role": "user", "content": p}]) for p in prompts]
    base = {"kind": "hf", "model": tiny_model, "max_tokens": 12, "temperature": 0.0, "device": "cpu",
            "dtype": "float32"}
    batched, s = run_requests("local", {**base, "batch_size": 4}, rs, cache_dir=str(tmp_path / "a"))
    single, _ = run_requests("local", {**base, "batch_size": 1}, rs, cache_dir=str(tmp_path / "b"))
    assert [c.text for c in batched] == [c.text for c in single]
    assert [c.completion_tokens for c in batched] == [c.completion_tokens for c in single]
    assert all(c.finish_reason in ("stop", "length", "empty") for c in batched)
    assert any(c.text for c in batched)
    # prompt tokens are the unpadded prompt length, not the padded batch width
    assert len({c.prompt_tokens for c in batched}) > 1
    assert s["sent"] == 5 and s["length_cutoffs"] == sum(c.completion_tokens == 12 for c in batched)
    again, s = run_requests("local", {**base, "batch_size": 4}, rs, cache_dir=str(tmp_path / "a"))
    assert s["sent"] == 0 and s["cache_hits"] == 5 and [c.text for c in again] == [c.text for c in batched]


def test_bad_model_path_names_the_key(tmp_path):
    with pytest.raises(ValueError, match=r"teachers\.local\.model"):
        run_requests("local", {"kind": "hf", "model": str(tmp_path / "nope"), "device": "cpu"},
                     [Request(messages=[{"role": "user", "content": "x"}])])
