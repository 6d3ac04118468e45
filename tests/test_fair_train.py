"""FAIR's paired loss α·L_feedback + (1−α)·L_rationale, by hand on a tiny batch and on a real tiny student."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from cotdistill.io import read_json, read_jsonl
from cotdistill.methods.fair_train import PairedConfig, lm_loss, paired_loss, train_paired
from cotdistill.student import build_model, train_tokenizer


class TableModel(torch.nn.Module):
    """Logits that depend only on the current token: token 0 → [0, 0], token 1 → [0, ln 3]."""

    def forward(self, input_ids, attention_mask=None):
        table = torch.tensor([[0.0, 0.0], [0.0, math.log(3)]])
        return SimpleNamespace(logits=table[input_ids])


def half(ids, labels):
    ids = torch.tensor(ids)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": torch.tensor(labels)}


def test_paired_loss_by_hand():
    # feedback half: one example, two answer tokens, each predicted from token 0: p = 1/2 → ln 2 per token
    fb = half([[0, 0, 1]], [[-100, 0, 1]])
    # rationale half: two examples with one answer token "1" predicted from token 1: p = 3/4 → ln(4/3)
    rat = half([[1, 1, 0], [1, 1, 0]], [[-100, 1, -100], [-100, 1, -100]])
    for alpha in (0.5, 0.25, 0.0, 1.0):
        total, l_fb, l_rat = paired_loss(TableModel(), fb, rat, alpha)
        assert l_fb.item() == pytest.approx(math.log(2))
        assert l_rat.item() == pytest.approx(math.log(4 / 3))
        assert total.item() == pytest.approx(alpha * math.log(2) + (1 - alpha) * math.log(4 / 3))
    # Each half is its own token mean: with 2 feedback tokens and 1 rationale token, a mean over the pooled
    # tokens (one mixed batch, as LLaMA-Factory's interleaving trains) would weight feedback 2:1 instead.
    one = half([[1, 1, 0]], [[-100, 1, -100]])
    total = paired_loss(TableModel(), fb, one, 0.5)[0].item()
    assert total == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(4 / 3))
    assert abs(total - (2 * math.log(2) + math.log(4 / 3)) / 3) > 0.03


def test_a_half_without_answer_tokens_adds_no_loss():
    none = half([[1, 1]], [[-100, -100]])
    assert lm_loss(TableModel()(none["input_ids"]).logits, none["labels"]).item() == 0.0


def test_padding_is_not_learned():
    a = lm_loss(TableModel()(torch.tensor([[1, 1]])).logits, torch.tensor([[-100, 1]]))
    b = lm_loss(TableModel()(torch.tensor([[1, 1, 0, 0]])).logits, torch.tensor([[-100, 1, -100, -100]]))
    assert a.item() == pytest.approx(b.item()) == pytest.approx(math.log(4 / 3))


TEXTS = [f"What is {a} plus {b}?" for a in range(1, 9) for b in range(1, 9)]


def pair(i):
    a, b = 1 + i % 8, 1 + (i * 3) % 8
    q = f"What is {a} plus {b}?"
    return {"id": f"p{i}",
            "feedback": {"messages": [{"role": "user", "content": f"Student said {a + b + 1}. {q}"},
                                      {"role": "assistant", "content": f"wrong, {a} plus {b} is {a + b}"}]},
            "rationale": {"messages": [{"role": "user", "content": q},
                                       {"role": "assistant", "content": f"{a} plus {b} is {a + b}"}]}}


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    root = tmp_path_factory.mktemp("paired") / "base"
    tok = train_tokenizer(TEXTS + ["wrong Student said is Human: Assistant: System:"], 160)
    model = build_model(tok, {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                              "max_position_embeddings": 128, "seed": 3})
    model.save_pretrained(root)
    tok.save_pretrained(root)
    return str(root)


def test_paired_loss_matches_the_models_own_loss(student):
    """On a real student the paired loss equals α·model(feedback).loss + (1−α)·model(rationale).loss."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cotdistill.methods.fair_train import _batch
    from cotdistill.methods.router.encoding import encode_example

    tok, model = AutoTokenizer.from_pretrained(student), AutoModelForCausalLM.from_pretrained(student)
    rows = [pair(i) for i in range(3)]
    fb = _batch([encode_example(tok, {"id": r["id"], **r["feedback"]}, 64) for r in rows], tok.pad_token_id, "cpu")
    rat = _batch([encode_example(tok, {"id": r["id"], **r["rationale"]}, 64) for r in rows], tok.pad_token_id, "cpu")
    with torch.no_grad():
        total, l_fb, l_rat = paired_loss(model, fb, rat, 0.3)
        ref_fb, ref_rat = model(**fb).loss, model(**rat).loss
    assert l_fb.item() == pytest.approx(ref_fb.item(), rel=1e-5)
    assert l_rat.item() == pytest.approx(ref_rat.item(), rel=1e-5)
    assert total.item() == pytest.approx(0.3 * ref_fb.item() + 0.7 * ref_rat.item(), rel=1e-5)


def test_train_paired_writes_a_student(student, tmp_path):
    rows = [pair(i) for i in range(8)]
    out = tmp_path / "ckpt"
    summary = train_paired(student, rows, out, {"epochs": 3, "batch_size": 2, "gradient_accumulation_steps": 2, "lr": 3e-3,
                                                "max_length": 64, "device": "cpu", "alpha": 0.5})
    log = read_jsonl(out / "train_log.jsonl")
    assert summary["steps"] == len(log) == 3 * 2          # 4 batches per epoch, 2 per optimiser step
    assert {t["lr"] for t in log} == {3e-3}                 # constant schedule (the reference's)
    for t in log:
        assert t["loss"] == pytest.approx(0.5 * t["loss_feedback"] + 0.5 * t["loss_rationale"], rel=1e-5)
    assert log[-1]["loss"] < log[0]["loss"]
    assert read_json(out / "paired.json")["config"]["alpha"] == 0.5 and summary["dropped_no_answer"] == 0
    long = [{**pair(9), "feedback": {"messages": [{"role": "user", "content": "What is 1 plus 1? " * 40},
                                                 {"role": "assistant", "content": "2"}]}}]
    assert train_paired(student, rows + long, tmp_path / "ckpt2", {"epochs": 1, "max_length": 64, "device": "cpu"})["dropped_no_answer"] == 1
    assert (out / "config.json").exists() and (out / "tokenizer.json").exists()
    with pytest.raises(ValueError, match="paired.alpha"):
        PairedConfig(alpha=1.5)
    with pytest.raises(ValueError, match="unknown key"):
        PairedConfig.from_dict({"interleave": True})


def test_paired_config_from_a_student_block():
    from cotdistill.methods.fair_train import paired_config

    student = {"finetuning": "full", "train": {"learning_rate": 1e-5, "epochs": 10, "per_device_batch_size": 8,
                                              "gradient_accumulation_steps": 2, "cutoff_len": 512, "weight_decay": 0.01,
                                              "seed": 731, "bf16": True, "lr_scheduler_type": "constant", "extra": {"max_grad_norm": 0.3}}}
    cfg = paired_config(student, 0.5)
    assert (cfg.lr, cfg.epochs, cfg.batch_size, cfg.gradient_accumulation_steps, cfg.max_length, cfg.weight_decay, cfg.seed,
            cfg.max_grad_norm, cfg.dtype, cfg.alpha, cfg.schedule) == (1e-5, 10, 8, 2, 512, 0.01, 731, 0.3, "bfloat16", 0.5, "constant")
    assert paired_config({"train": {"epochs": 1.5}}, 0.0).epochs == 2
    with pytest.raises(ValueError, match="qlora"):
        paired_config({"finetuning": "qlora"}, 0.5)
