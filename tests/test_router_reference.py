"""The router's input as the reference builds it (a frozen sentence encoder over the style-wrapped prompt plus
the CoT) and the reference's gradients (boolean gates, detached ensemble target)."""

from __future__ import annotations

import pytest

from cotdistill.errors import ConfigError
from cotdistill.methods.router.features import EncoderConfig, encode_texts, router_text, standardise
from cotdistill.methods.router.reference import masks, reference_loss, router_mlp, weight_learner
from cotdistill.student import build_student

TEXTS = [f"Human: What is {a} + {b}?\nAssistant: {a} + {b} = {a + b}. The answer is {a + b}." for a in range(12) for b in range(6)]
ROWS = [
    {"messages": [{"role": "user", "content": "What is 2 + 3?\n\nLet's reason step by step."},
                  {"role": "assistant", "content": "2 + 3 = 5. The answer is 5."}]},
    {"messages": [{"role": "user", "content": "Use code to solve the following problem.\nWhat is 2 + 3?"},
                  {"role": "assistant", "content": "print(2 + 3) prints 5. The answer is 5."}]},
]


# ----------------------------------------------------------------------------- gradients


def _pieces(seed: int = 0):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    router, wnet = router_mlp(8), weight_learner(5)
    student1, student2 = torch.nn.Linear(3, 5), torch.nn.Linear(3, 5)
    feats = [torch.randn(6, 8), torch.randn(6, 8)]  # two CoT variants of 6 problems
    gates = [F.gumbel_softmax(router(f), tau=1.0, hard=True) for f in feats]
    x = torch.randn(6, 4, 3)  # variant 0's tokens, as the students see them
    return router, wnet, student1, student2, gates, x


def test_reference_gradients_leave_router_and_weights_untouched():
    import torch

    router, wnet, s1, s2, gates, x = _pieces()
    m1, m2 = masks(gates)
    assert bool(m1.any()) and bool(m2.any())
    h1, h2 = torch.zeros(6, 4, 5), torch.zeros(6, 4, 5)
    h1[m1], h2[m2] = s1(x[m1]), s2(x[m2])
    ce1, ce2 = (s1(x[m1]) ** 2).mean(), (s2(x[m2]) - 1).pow(2).mean()
    terms = reference_loss(ce1, ce2, h1, h2, wnet, gates)
    terms.loss.backward()
    assert all(p.grad is None or p.grad.abs().max().item() < 1e-6 for p in router.parameters())
    assert wnet.weight.grad is None  # only inside the detached ensemble target
    assert s1.weight.grad.abs().sum().item() > 0 and s2.weight.grad.abs().sum().item() > 0
    assert terms.mse > 0 and terms.loss.item() == pytest.approx(
        terms.ce1 + terms.ce2 + 0.1 * terms.mse + 0.01 * 0.5, rel=1e-5)


def test_our_routed_loss_does_train_the_router():
    """Contrast: weighting each student's per-row loss by the straight-through gate (our default) gives
    the router a gradient, which the reference's boolean masks do not."""
    router, _, s1, s2, gates, x = _pieces()
    nll1, nll2 = (s1(x) ** 2).mean((1, 2)), (s2(x) - 1).pow(2).mean((1, 2))
    ((gates[0][:, 0] * nll1).mean() + (gates[0][:, 1] * nll2).mean()).backward()
    assert max(p.grad.abs().max().item() for p in router.parameters()) > 1e-4


def test_masks_are_the_or_of_the_variants_gates():
    import torch

    g0 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    g1 = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    m1, m2 = masks([g0, g1])
    assert m1.tolist() == [True, True, True] and m2.tolist() == [False, True, True]


def test_no_consistency_term_when_a_student_got_no_rows():
    import torch

    _, wnet, *_ = _pieces()
    h1 = torch.randn(2, 3, 5)
    terms = reference_loss(torch.tensor(1.0), torch.tensor(0.0), h1, torch.zeros(2, 3, 5), wnet,
                           [torch.tensor([[1.0, 0.0], [1.0, 0.0]])])
    assert terms.mse == 0.0 and terms.loss.item() == pytest.approx(1.0 + 0.01 * 0.5)
    plain = reference_loss(torch.tensor(1.0), torch.tensor(2.0), h1, h1, wnet, [torch.ones(2, 2)], use_kl=False)
    assert plain.loss.item() == pytest.approx(3.0)


# ----------------------------------------------------------------------------- features


def test_router_text_is_the_wrapped_prompt_then_the_cot():
    assert router_text(ROWS[0]) == "What is 2 + 3?\n\nLet's reason step by step.2 + 3 = 5. The answer is 5."


def test_encoder_config_errors_name_the_key():
    from cotdistill.methods.router.features import EncoderConfig as E

    with pytest.raises(ConfigError, match=r"^router\.encoder\.model: kind hub needs"):
        E.from_dict({"kind": "hub"})
    with pytest.raises(ConfigError, match=r"router\.encoder\.kind = 'bert'"):
        E.from_dict({"kind": "bert"})
    with pytest.raises(ConfigError, match=r"router\.encoder\.layer: unknown key \(did you mean layers\?\)"):
        E.from_dict({"kind": "scratch", "layer": 3})
    assert E.from_dict(None).kind == "student"


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    d = tmp_path_factory.mktemp("student")
    build_student(d, TEXTS, {"vocab_size": 300, "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                             "max_position_embeddings": 128, "seed": 1})
    return str(d)


@pytest.fixture(scope="module")
def local_roberta(student, tmp_path_factory):
    """A tiny RoBERTa saved as a local 'hub' model (tokenizer: the student's BPE), standing in for roberta-base."""
    import torch
    from transformers import AutoTokenizer, RobertaConfig, RobertaModel

    d = tmp_path_factory.mktemp("roberta")
    tok = AutoTokenizer.from_pretrained(student)
    torch.manual_seed(5)
    RobertaModel(RobertaConfig(vocab_size=len(tok), hidden_size=48, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=96, max_position_embeddings=130, pad_token_id=tok.pad_token_id),
                 add_pooling_layer=False).save_pretrained(d)
    tok.save_pretrained(d)
    return str(d)


def test_hub_encoder_mean_pools_a_frozen_model(local_roberta):
    import torch
    from transformers import AutoModel, AutoTokenizer

    cfg = EncoderConfig.from_dict({"kind": "hub", "model": local_roberta, "max_length": 64})
    texts = [router_text(r) for r in ROWS]
    feats = encode_texts(texts, cfg)
    assert tuple(feats.shape) == (2, 48) and not feats.requires_grad
    model, tok = AutoModel.from_pretrained(local_roberta).eval(), AutoTokenizer.from_pretrained(local_roberta)
    with torch.no_grad():
        for text, f in zip(texts, feats):  # one at a time: no padding, plain mean over the tokens
            ids = tok(text, return_tensors="pt", truncation=True, max_length=64)
            want = model(**ids).last_hidden_state[0].mean(0)
            assert torch.allclose(f, want, atol=1e-5)
    assert not torch.allclose(feats[0], feats[1])  # the style wrapper and the CoT tell the rows apart
    cls = encode_texts(texts, EncoderConfig.from_dict({"kind": "hub", "model": local_roberta, "pool": "cls"}))
    assert not torch.allclose(cls, feats)


def test_student_and_scratch_encoders(student):
    import torch

    texts = [router_text(r) for r in ROWS]
    own = encode_texts(texts, EncoderConfig(kind="student"), student=student)
    assert tuple(own.shape) == (2, 32)
    a = encode_texts(texts, EncoderConfig(kind="scratch", hidden_size=64, seed=1), student=student)
    b = encode_texts(texts, EncoderConfig(kind="scratch", hidden_size=64, seed=1), student=student)
    c = encode_texts(texts, EncoderConfig(kind="scratch", hidden_size=64, seed=2), student=student)
    assert tuple(a.shape) == (2, 64) and torch.equal(a, b) and not torch.allclose(a, c)
    z, mean, std = standardise(own)
    assert torch.allclose(z.mean(0), torch.zeros(32), atol=1e-5) and torch.allclose(z * std + mean, own, atol=1e-5)
    same, m0, s1 = standardise(own, enabled=False)
    assert torch.equal(same, own) and float(m0.abs().sum()) == 0 and float(s1.sum()) == 32
    with pytest.raises(ValueError, match="needs student A"):
        encode_texts(texts, EncoderConfig(kind="student"))
