"""The two-student mixture with a CoT router, on a tiny pair of students built on the fly."""

from __future__ import annotations

import random

import pytest
import torch

from cotdistill import figures
from cotdistill.io import read_json, read_jsonl
from cotdistill.methods.router.config import RouterConfig
from cotdistill.methods.router.encoding import encode_example
from cotdistill.methods.router.ensemble import Ensemble, load_ensemble, load_member
from cotdistill.methods.router.logs import positive_rates
from cotdistill.methods.router.trainer import RouterTrainer, train_router
from cotdistill.student import build_model, train_tokenizer

WORDS = {"x": "first add {a} and {b} then we get {c}", "y": "sum is {c} since {b} plus {a} equals {c} indeed"}


def make_rows(n: int, seed: int = 0, styles=("x", "y")) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        style = styles[i % len(styles)]
        q = f"What is {a} plus {b}?"
        rows.append({"id": f"p{i}-{style}", "style": style, "messages": [
            {"role": "user", "content": q},
            {"role": "assistant", "content": WORDS[style].format(a=a, b=b, c=a + b)},
        ]})
    return rows


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    """Two tiny students (Llama and Qwen2 architectures) sharing one BPE tokenizer with an EOS-ending template."""
    root = tmp_path_factory.mktemp("students")
    texts = [m["content"] for r in make_rows(60) for m in r["messages"]] + ["Human: Assistant: System:"]
    tok = train_tokenizer(texts, 200)
    dirs = []
    for name, arch, seed in (("a", "llama", 1), ("b", "qwen2", 2)):
        model = build_model(tok, {"arch": arch, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                                  "num_attention_heads": 2, "max_position_embeddings": 128, "seed": seed})
        model.save_pretrained(root / name)
        tok.save_pretrained(root / name)
        model.generation_config.save_pretrained(root / name)
        dirs.append(str(root / name))
    return dirs


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match="consistency = 'kld'"):
        RouterConfig(consistency="kld")
    with pytest.raises(ValueError, match=r"router\.epoch: unknown key \(did you mean epochs\?\)"):
        RouterConfig.from_dict({"epoch": 2})
    with pytest.raises(ValueError, match="router.lora.r"):
        RouterConfig.from_dict({"lora": {"r": 0}})
    with pytest.raises(ValueError, match=r"router\.lora\.alpah: unknown key \(did you mean alpha\?\)"):
        RouterConfig.from_dict({"lora": {"alpah": 4}})
    assert RouterConfig.from_dict({"lora": {"r": 4}}).lora.r == 4


def test_bad_rows_name_the_line(tmp_path, students):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": "1", "style": "x", "messages": [{"role": "user", "content": "q"}]}\n')
    with pytest.raises(ValueError, match=r"rows.jsonl:1: messages must end with an assistant"):
        RouterTrainer(*students, path, RouterConfig(device="cpu"))


def test_loss_covers_answer_tokens_only(students):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(students[0])
    row = make_rows(1)[0]
    ids, n_prompt = encode_example(tok, row, 512)
    prompt = tok.apply_chat_template(row["messages"][:1], tokenize=False, add_generation_prompt=True)
    assert tok.decode(ids[:n_prompt]) == prompt
    answer = tok.decode(ids[n_prompt:])
    assert answer.startswith(row["messages"][1]["content"]) and tok.eos_token in answer
    assert len(encode_example(tok, row, n_prompt + 2)[0]) == n_prompt + 2


def test_one_step_changes_router_parameters(students):
    rows = make_rows(8)
    tr = RouterTrainer(*students, rows, RouterConfig(finetuning="full", batch_size=8, router_lr=1e-2, device="cpu"))
    before = {k: v.clone() for k, v in tr.router.state_dict().items()}
    w_before = tr.ens_logits.detach().clone()
    stud_before = tr.model_a.model.layers[0].self_attn.q_proj.weight.detach().clone()
    terms, routes = tr.step(list(range(8)))
    after = tr.router.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before), "router parameters did not move"
    assert not torch.equal(w_before, tr.ens_logits.detach()), "ensemble weights did not move"
    assert {"nll_a", "nll_b", "nll_ens", "consistency", "loss"} <= set(terms) and terms["consistency"] >= 0
    assert [r["id"] for r in routes] == [r["id"] for r in rows]
    assert all(r["choice"] in ("a", "b") and abs(sum(r["probs"]) - 1) < 1e-4 for r in routes)
    # Student A learns only what was routed to it.
    moved = not torch.equal(stud_before, tr.model_a.model.layers[0].self_attn.q_proj.weight.detach())
    assert moved == any(r["choice"] == "a" for r in routes)


def test_router_learns_styles_logs_and_positive_rates(students, tmp_path):
    # Specialise A on style x and B on style y (the one-student baselines), then route the mixed data.
    full = {"finetuning": "full", "lr": 3e-3, "batch_size": 8, "device": "cpu"}
    train_router(*students, make_rows(32, 1, ("x",)), tmp_path / "pre_a", {**full, "mode": "only_a", "epochs": 4})
    train_router(*students, make_rows(32, 2, ("y",)), tmp_path / "pre_b", {**full, "mode": "only_b", "epochs": 4})
    out = tmp_path / "mix"
    cfg = {**full, "mode": "router", "epochs": 5, "lr": 1e-3, "router_lr": 1e-2, "consistency": "kl"}
    summary = train_router(str(tmp_path / "pre_a/student_a"), str(tmp_path / "pre_b/student_b"), make_rows(32, 3),
                           out, cfg)
    assert summary["shared_tokenizer"] and set(summary["members"]) == {"a", "b"}
    assert abs(sum(summary["weights"].values()) - 1) < 1e-6
    for name in ("router.pt", "ensemble.json", "train_log.jsonl", "student_a/config.json", "student_b/config.json"):
        assert (out / name).exists(), name
    logs = [read_jsonl(out / f"router_logs_epoch{e}.jsonl") for e in range(5)]
    assert all(len(lg) == 32 for lg in logs)
    first = {r["id"]: r for r in logs[0]}
    last = {r["id"]: r for r in logs[-1]}
    assert any(first[i]["choice"] != last[i]["choice"] for i in first), "routing decisions never changed"
    assert max(abs(first[i]["probs"][0] - last[i]["probs"][0]) for i in first) > 0.05

    df = positive_rates(out)
    assert list(df.columns) == ["epoch", "style", "n", "pos_rate", "mean_prob_a"]
    assert len(df) == 10 and (df["n"] == 16).all()
    end = df[df.epoch == 4].set_index("style")
    # Style x (what A was specialised on) goes to A more than style y does.
    assert end.loc["x", "mean_prob_a"] > end.loc["y", "mean_prob_a"] + 0.2
    hand = sum(r["choice"] == "a" for r in logs[-1] if r["style"] == "x") / 16
    assert end.loc["x", "pos_rate"] == pytest.approx(hand)
    table = tmp_path / "router_posrate.csv"
    df.assign(experiment="e", teacher="t", dataset="d").to_csv(table, index=False)
    figures.loops.router(None, {"table": [str(table)]}, str(tmp_path / "router.png"))
    assert (tmp_path / "router.png").read_bytes()[:4] == b"\x89PNG"


def test_naive_mode_trains_both_without_router_logs(students, tmp_path):
    summary = train_router(*students, make_rows(8), tmp_path, {"mode": "naive", "epochs": 1, "consistency": "mse",
                                                               "lora": {"r": 2}, "device": "cpu"})
    assert set(summary["members"]) == {"a", "b"} and (tmp_path / "student_a/adapter_config.json").exists()
    assert not list(tmp_path.glob("router_logs_epoch*.jsonl"))
    log = read_jsonl(tmp_path / "train_log.jsonl")
    assert log[0]["routed_a"] == 1.0 and "consistency" in log[0]
    with pytest.raises(FileNotFoundError, match="router_logs_epoch"):
        positive_rates(tmp_path)


def test_ensemble_generation_batch_and_single_student_matches_generate(students, tmp_path):
    train_router(*students, make_rows(8), tmp_path, {"epochs": 1, "lora": {"r": 2}, "device": "cpu"})
    ens = load_ensemble(tmp_path, device="cpu")
    assert len(ens.models) == 2
    prompts = ["What is 3 plus 4?", "What is 12 plus 9 and then some more words?", "What is 1 plus 1?"]
    outs = ens.generate(prompts, max_new_tokens=12, batch_size=2)
    assert len(outs) == 3 and all(isinstance(o, str) for o in outs)
    assert ens.generate(prompts[:1], max_new_tokens=12, batch_size=1) == outs[:1]  # padding does not change answers

    # One member alone: the loop equals transformers' greedy generate on a left-padded batch.
    model, tok = load_member(tmp_path, "a", device="cpu")
    solo = Ensemble([model], [1.0], tok)
    ids = [tok(tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True),
               add_special_tokens=False)["input_ids"] for p in prompts]
    width = max(map(len, ids))
    inp = torch.tensor([[tok.pad_token_id] * (width - len(s)) + s for s in ids])
    att = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in ids])
    ref = model.generate(input_ids=inp, attention_mask=att, max_new_tokens=12, do_sample=False,
                         pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    expect = [tok.decode(r[width:], skip_special_tokens=True).strip() for r in ref]
    assert solo.generate(prompts, max_new_tokens=12, batch_size=3) == expect
    # Weights (1, 0) reduce the mixture to student A.
    assert Ensemble(ens.models, [1.0, 0.0], tok).generate(prompts, max_new_tokens=12, batch_size=3) == expect
    assert load_ensemble(tmp_path, members=("b",), device="cpu").models[0] is not None
    assert read_json(tmp_path / "ensemble.json")["config"]["consistency"] == "kl"


def test_different_tokenizers_refuse_token_mixing(students, tmp_path):
    other = tmp_path / "c"
    texts = [m["content"] for r in make_rows(20) for m in r["messages"]]
    tok = train_tokenizer(texts, 400)  # byte-level merges: a different vocabulary
    build_model(tok, {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}).save_pretrained(other)
    tok.save_pretrained(other)
    with pytest.raises(ValueError, match="consistency = 'kl' needs both students to share one tokenizer"):
        RouterTrainer(students[0], str(other), make_rows(4), {"device": "cpu"})
    train_router(students[0], str(other), make_rows(4), tmp_path / "run",
                 {"consistency": "mse", "epochs": 1, "finetuning": "full", "device": "cpu"})
    assert (tmp_path / "run/router_logs_epoch0.jsonl").exists()
    with pytest.raises(ValueError, match="different tokenizers"):
        load_ensemble(tmp_path / "run", device="cpu")
    assert len(load_ensemble(tmp_path / "run", members=("b",), device="cpu").generate(["What is 1 plus 2?"], 4)) == 1
