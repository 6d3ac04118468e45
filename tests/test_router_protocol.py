"""Distill's protocol in the router trainer: students with different tokenizers, training rows as the reference
(style-wrapped prompts, two random CoTs per problem, gold-answer rows for the is_sft baseline), per-student
learning rates, the reference's gradients, and the sequence-level ensemble of the trained students."""

from __future__ import annotations

import pytest
import torch

from cotdistill.errors import ConfigError
from cotdistill.experiments import expand_runs
from cotdistill.io import read_json, read_jsonl
from cotdistill.methods import router as router_method
from cotdistill.methods.router.config import RouterConfig
from cotdistill.methods.router.encoding import encode_prompt
from cotdistill.methods.router.ensemble import load_member
from cotdistill.methods.router.sequence import SequenceEnsemble, generate_scored
from cotdistill.methods.router.trainer import RouterTrainer, train_router
from cotdistill.student import build_student

WRAP = {"step": "{q}\n\nLet's reason step by step.", "code": "Use code to solve the following problem.\n{q}"}
COT = {"step": "{a} plus {b} is {c}. The answer is {c}.", "code": "print({a} + {b}) shows {c}. The answer is {c}."}


def problems(n=8):
    return [{"id": f"p{i}", "question": f"What is {i} + {i % 3}?", "answer": str(i + i % 3), "answer_type": "number",
             "context": None, "choices": None} for i in range(n)]


def enriched(ps, styles=("step", "code")):
    out = []
    for p in ps:
        i = int(p["id"][1:])
        a, b = i, i % 3
        out.append({"id": p["id"], "styles": list(styles),
                    "prompts": [WRAP[s].format(q=p["question"]) for s in styles],
                    "responses": [COT[s].format(a=a, b=b, c=a + b) for s in styles],
                    "correct_flags": [True] * len(styles)})
    return out


def test_training_rows_keep_the_wrapper_group_by_problem_and_add_gold_rows():
    ps = problems(2)
    rows = router_method.training_rows(ps, enriched(ps), "correct", gold=True)
    assert [(r["id"], r["group"], r["style"], bool(r.get("gold"))) for r in rows] == [
        ("p0-step", "p0", "step", False), ("p0-code", "p0", "code", False), ("p1-step", "p1", "step", False),
        ("p1-code", "p1", "code", False), ("p0-gold", "p0", "gold", True), ("p1-gold", "p1", "gold", True)]
    assert rows[1]["messages"][0]["content"] == "Use code to solve the following problem.\nWhat is 0 + 0?"
    assert rows[5]["messages"] == [{"role": "user", "content": "What is 1 + 1?"},
                                   {"role": "assistant", "content": "\\boxed{2}"}]
    core = router_method.training_rows(ps, enriched(ps), "correct", prompt="core")
    assert core[1]["messages"][0]["content"] == "What is 0 + 0?" and not any(r.get("gold") for r in core)


def config(**exp):
    students = {s: {"template": "default", "init": {}} for s in ("s1", "s2")}
    return {"datasets": {"d": {"source": "generator"}}, "teachers": {"t": {"kind": "offline"}}, "students": students,
            "experiments": {"mix": {"method": "router", "datasets": ["d"], "teachers": ["t"], "students": ["s1", "s2"],
                                    "styles": ["step_by_step"], **exp}}}


def test_settings_sft_baseline_prompt_and_router_keys():
    runs = expand_runs(config(sft_baseline=True))
    assert sorted({(r.labels["mode"], r.labels["member"]) for r in runs}) == [
        ("naive", "ens"), ("only_a", "a"), ("only_b", "b"), ("router", "a"), ("router", "b"), ("router", "ens"),
        ("sft", "ens")]
    assert {r.labels["mode"] for r in expand_runs(config(baselines=False, sft_baseline=True))} == {"router", "sft"}
    with pytest.raises(ConfigError, match=r"experiments\.mix\.prompt: one of wrapped, core"):
        expand_runs(config(prompt="styled"))
    with pytest.raises(ConfigError, match=r"experiments\.mix\.router\.encoder\.kind = 'bert'"):
        expand_runs(config(router={"encoder": {"kind": "bert"}}))
    with pytest.raises(ConfigError, match=r"experiments\.mix\.router\.ensemble = 'mix'"):
        expand_runs(config(router={"ensemble": "mix"}))
    cfg = RouterConfig.from_dict({"lr_s1": 2e-4, "lr_s2": 1e-4, "encoder": {"kind": "hub", "model": "FacebookAI/roberta-base"},
                                  "reference_gradients": True, "finetuning": "qlora", "cots_per_problem": 2})
    assert (cfg.encoder.model, cfg.lr_s2, cfg.finetuning) == ("FacebookAI/roberta-base", 1e-4, "qlora")


TEXTS = [f"Human: What is {a} + {b}?\nAssistant: {a} plus {b} is {a + b}. print({a} + {b}) shows {a + b}. "
         f"The answer is {a + b}. \\boxed{{{a + b}}} Let's reason step by step. Use code to solve the following problem."
         for a in range(10) for b in range(3)]
INIT = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 192}


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    """Two from-scratch students whose BPE vocabularies differ (300 vs 420 tokens), Llama and Qwen2 bodies."""
    dirs = []
    for name, vocab, arch in (("a", 300, "llama"), ("b", 420, "qwen2")):
        d = tmp_path_factory.mktemp(name)
        build_student(d, TEXTS, {**INIT, "vocab_size": vocab, "arch": arch, "seed": vocab})
        dirs.append(str(d))
    return dirs


@pytest.fixture(scope="module")
def rows():
    ps = problems(8)
    return router_method.training_rows(ps, enriched(ps, ("step", "code")), "correct", gold=True)


FULL = {"finetuning": "full", "batch_size": 4, "device": "cpu", "max_length": 96}


def test_different_tokenizers_train_and_the_sequence_ensemble_generates(students, rows, tmp_path):
    tr = RouterTrainer(*students, rows, {**FULL, "lr_s1": 1e-3, "lr_s2": 5e-4, "router_lr": 1e-2, "consistency": "none"})
    assert not tr.shared and [g["lr"] for g in tr.opt.param_groups] == [1e-3, 5e-4, 1e-2]
    assert len(tr.rows) == 16 and not any(r.get("gold") for r in tr.rows)  # gold rows belong to mode sft
    assert tuple(tr.features.shape) == (16, 32)  # student A's frozen body (hidden 32) as the encoder
    assert [len(b) for b in tr.epoch_batches(0)] == [4, 4, 4, 4]  # 8 problems x 2 CoTs
    summary = tr.train(tmp_path / "run")
    assert summary["ensemble"] == "sequence" and summary["shared_tokenizer"] is False
    assert summary["weights"]["a"] != pytest.approx(0.5)  # learned from the sequence-level mixture likelihood
    assert len(read_jsonl(tmp_path / "run/router_logs_epoch0.jsonl")) == 16
    members = [load_member(tmp_path / "run", m, device="cpu") for m in ("a", "b")]
    prompts = ["What is 4 + 1?", "What is 7 + 1?", "What is 2 + 2?"]
    ids = [[encode_prompt(tok, [{"role": "user", "content": p}])[1] for p in prompts] for _, tok in members]
    ens = SequenceEnsemble(members, [summary["weights"]["a"], summary["weights"]["b"]])
    texts, records = ens.generate_ids(ids, max_new_tokens=16)
    alone = [[o.text for o in generate_scored(m, t, i, max_new_tokens=16)] for (m, t), i in zip(members, ids)]
    assert texts == [alone[r["member"]][j] for j, r in enumerate(records)]  # every answer is one member's own
    with pytest.raises(ValueError, match="ensemble = 'token' mixes next-token distributions and needs one tokenizer"):
        RouterTrainer(*students, rows, {**FULL, "ensemble": "token", "consistency": "none"})


def test_reference_gradients_keep_router_and_weight_net_at_init(students, rows, tmp_path):
    torch.manual_seed(0)
    tr = RouterTrainer(*students, rows, {**FULL, "reference_gradients": True, "router_lr": 1e-1, "lr": 1e-3,
                                         "consistency": "kl", "router_hidden": None})
    assert tr.cfg.consistency == "mse" and tr.router[0].out_features == 16  # d/2, as the reference's router
    router0 = {k: v.clone() for k, v in tr.router.state_dict().items()}
    wnet0 = tr.weight_net.weight.detach().clone()
    a0 = tr.model_a.get_input_embeddings().weight.detach().clone()
    batches = tr.epoch_batches(0)
    assert sum(len(b) for b in batches) == 8 and all(len(pair) == 2 and pair[0] != pair[1] for b in batches for pair in b)
    summary = tr.train(tmp_path / "ref")
    assert all(torch.equal(router0[k], v) for k, v in tr.router.state_dict().items())
    assert torch.equal(wnet0, tr.weight_net.weight.detach())
    assert not torch.equal(a0, tr.model_a.get_input_embeddings().weight.detach())
    assert summary["weights"] == {"a": 0.5, "b": 0.5}
    log = read_jsonl(tmp_path / "ref/router_logs_epoch0.jsonl")
    assert len(log) == 16 and {r["choice"] for r in log} <= {"a", "b"}  # both variants of 8 problems routed


def test_sft_mode_trains_on_gold_answers_only(students, rows, tmp_path):
    summary = train_router(*students, rows, tmp_path / "sft", {**FULL, "mode": "sft", "epochs": 1})
    assert summary["n_rows"] == 8 and set(summary["members"]) == {"a", "b"}
    assert not list((tmp_path / "sft").glob("router_logs_epoch*"))
    assert read_json(tmp_path / "sft/ensemble.json")["config"]["mode"] == "sft"


def test_cots_per_problem_draws_that_many_per_problem(students, rows):
    tr = RouterTrainer(*students, rows, {**FULL, "cots_per_problem": 1, "encoder": {"kind": "embedding_mean"},
                                         "consistency": "none"})
    for epoch in range(3):
        picked = [tr.rows[i]["group"] for b in tr.epoch_batches(epoch) for i in b]
        assert sorted(picked) == [f"p{i}" for i in range(8)]
    styles = {tr.rows[i]["style"] for e in range(6) for b in tr.epoch_batches(e) for i in b}
    assert styles == {"step", "code"}  # random draws, not always the first
    every = RouterTrainer(*students, rows, {**FULL, "cots_per_problem": None, "encoder": {"kind": "embedding_mean"},
                                            "consistency": "none"})
    assert sum(len(b) for b in every.epoch_batches(0)) == 16


def test_qlora_refuses_a_cpu_before_loading(students, rows):
    with pytest.raises(ValueError, match=r"router\.finetuning = 'qlora' needs a CUDA device"):
        RouterTrainer(*students, rows, {**FULL, "finetuning": "qlora", "consistency": "none"})
