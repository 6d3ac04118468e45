"""Sequence-level ensembling (Distill's evaluation): each student generates with its own tokenizer, the
output with the higher (length-normalised, weighted) log-probability is kept."""

from __future__ import annotations

import math

import pytest

from cotdistill.methods.router.encoding import encode_prompt
from cotdistill.methods.router.sequence import Scored, SequenceEnsemble, generate_scored, select
from cotdistill.student import build_student

TEXTS = [f"Human: What is {a} + {b}?\nAssistant: {a} + {b} = {a + b}. The answer is {a + b}." for a in range(20) for b in range(9)]
INIT = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 128, "seed": 3}


def test_hand_made_selection():
    # A: a long output, confident per token (mean -0.05) but with the lower total (-2.0);
    # B: a short one with the higher total (-1.0) and a low mean (-0.5)
    a, b = Scored("long", logprob=-2.0, n_tokens=40), Scored("short", logprob=-1.0, n_tokens=2)
    assert select([[a], [b]], length_normalise=False) == [1]  # the reference's summed log-probability: B
    assert select([[a], [b]], length_normalise=True) == [0]  # per token: A
    # learned weights move the choice: log 0.1 - 0.05 = -2.35 < log 0.9 - 0.5 = -0.61
    assert select([[a], [b]], weights=[0.1, 0.9]) == [1]
    assert select([[a], [b]], weights=[0.5, 0.5]) == [0]
    assert a.score(0.1) == pytest.approx(math.log(0.1) - 0.05)
    assert Scored("x", -1.0, 1).score(0.0) == -math.inf
    # ties go to the first member (the reference's `p1 if l1 >= l2`), per prompt independently
    assert select([[b, a], [b, b]], length_normalise=False) == [0, 1]
    with pytest.raises(ValueError, match="one output per prompt"):
        select([[a], [a, b]])
    with pytest.raises(ValueError, match="weights"):
        select([[a], [b]], weights=[1.0])


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    """Two tiny from-scratch students whose byte-level BPE vocabularies differ (300 vs 420 tokens)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = []
    for name, vocab in (("a", 300), ("b", 420)):
        d = tmp_path_factory.mktemp(name)
        build_student(d, TEXTS, {**INIT, "vocab_size": vocab})
        out.append((AutoModelForCausalLM.from_pretrained(d).eval(), AutoTokenizer.from_pretrained(d)))
    return out


def prompt_ids(tok, prompts):
    return [encode_prompt(tok, [{"role": "user", "content": p}])[1] for p in prompts]


def test_generate_scored_matches_a_teacher_forced_pass(students):
    import torch

    model, tok = students[0]
    prompts = ["What is 3 + 4?", "What is 12 + 7?", "What is 1 + 1?"]
    ids = prompt_ids(tok, prompts)
    outs = generate_scored(model, tok, ids, max_new_tokens=12, batch_size=2)
    for p_ids, o in zip(ids, outs):
        # re-run the prompt and the generated tokens through the model in one forward pass
        gen = model.generate(input_ids=torch.tensor([p_ids]), max_new_tokens=12, do_sample=False,
                             pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)[0, len(p_ids):].tolist()
        gen = gen[: next((j + 1 for j, t in enumerate(gen) if t == tok.eos_token_id), len(gen))]
        assert o.n_tokens == len(gen) >= 1
        with torch.no_grad():
            logits = model(torch.tensor([p_ids + gen])).logits[0, len(p_ids) - 1 : -1]
        want = logits.float().log_softmax(-1).gather(-1, torch.tensor(gen)[:, None]).sum().item()
        assert o.logprob == pytest.approx(want, abs=1e-4)
        assert o.text == tok.decode([t for t in gen if t != tok.eos_token_id], skip_special_tokens=True).strip()


def test_different_tokenizers_and_the_confident_student_is_kept(students):
    import torch

    (ma, ta), (mb, tb) = students
    assert ta.get_vocab() != tb.get_vocab() and len(ta) != len(tb)
    with torch.no_grad():  # A: uniform next-token distributions; B: sharply peaked ones
        ma.get_output_embeddings().weight.zero_()
        mb.get_output_embeddings().weight.mul_(40.0)
    prompts = ["What is 3 + 4?", "What is 11 + 2?"]
    ens = SequenceEnsemble([(ma, ta), (mb, tb)], weights=[0.5, 0.5])
    texts, records = ens.generate_ids([prompt_ids(ta, prompts), prompt_ids(tb, prompts)], max_new_tokens=10)
    b_alone = generate_scored(mb, tb, prompt_ids(tb, prompts), max_new_tokens=10)
    assert [r["member"] for r in records] == [1, 1]
    assert texts == [o.text for o in b_alone]
    for r in records:  # A's per-token score is log(1/V) + log 0.5, B's is close to log 0.5
        assert r["scores"][0] == pytest.approx(-math.log(len(ta)) + math.log(0.5), abs=1e-3)
        assert r["scores"][1] > r["scores"][0]
    # weights can overrule the log-probabilities: all weight on A keeps A's outputs
    texts_a, rec_a = SequenceEnsemble([(ma, ta), (mb, tb)], weights=[1.0, 0.0]).generate_ids(
        [prompt_ids(ta, prompts), prompt_ids(tb, prompts)], max_new_tokens=10)
    assert [r["member"] for r in rec_a] == [0, 0]
    with pytest.raises(ValueError, match="prompt ids for 1 members"):
        ens.generate_ids([prompt_ids(ta, prompts)], max_new_tokens=4)
