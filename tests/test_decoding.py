"""Evaluation decoding: greedy (default), beam search (the key-factors paper's), best-of-n; recorded in all.csv."""

from __future__ import annotations

import pytest
import torch

from cotdistill import decoding
from cotdistill.generate import generate_ids
from cotdistill.io import write_json
from cotdistill.report import build_table
from cotdistill.scoring import score
from cotdistill.student import build_model, train_tokenizer


def test_settings_labels_and_errors():
    assert decoding.settings(None) == {"strategy": "greedy"}
    assert decoding.label(None) == "greedy"
    assert decoding.label({"strategy": "beam", "num_beams": 5}) == "beam5"
    assert decoding.label({"strategy": "best_of", "n": 4, "temperature": 0.7}) == "best_of4_t0.7"
    assert decoding.generate_kwargs({"strategy": "beam"})["num_beams"] == 5
    kw = decoding.generate_kwargs({"strategy": "best_of", "n": 3})
    assert kw["do_sample"] and kw["num_return_sequences"] == 3 and kw["return_dict_in_generate"]
    with pytest.raises(ValueError, match="generation.decoding.strategy"):
        decoding.settings({"strategy": "nucleus"})
    with pytest.raises(ValueError, match="num_beams"):
        decoding.settings({"strategy": "beam", "num_beams": 1})
    with pytest.raises(ValueError, match="n not used by strategy beam"):
        decoding.settings({"strategy": "beam", "n": 5})
    with pytest.raises(ValueError, match="students.s.generation.decoding: strategy beam runs with backend: transformers"):
        decoding.check_student({"generation": {"backend": "vllm", "decoding": {"strategy": "beam"}}}, "s")
    with pytest.raises(ValueError, match="students.s.system: the vllm backend does not pass a system prompt"):
        decoding.check_student({"system": "Be precise.", "generation": {"backend": "vllm"}}, "s")
    decoding.check_student({"system": "Be precise.", "generation": {}}, "s")


def test_best_of_picks_the_most_likely_sample_ignoring_padding():
    eos = 9
    # two prompts × three samples; sample 1 of prompt 0 ends early: its padding (after EOS) must not count
    gen = torch.tensor([[1, 2, 3], [1, eos, 9], [4, 5, 6], [1, 1, 1], [2, 2, 2], [3, 3, eos]])
    lp = torch.tensor([[-1.0, -1.0, -1.0], [-0.5, -0.5, -50.0], [-2.0, -0.1, -0.1],
                       [-0.3, -0.3, -0.3], [-0.1, -0.1, -2.0], [-0.2, -0.2, -0.2]])
    assert decoding.best_of(lp, gen, 3, eos) == [1, 2]   # totals -3, -1 (padding ignored), -2.2 | -0.9, -2.2, -0.6


@pytest.fixture(scope="module")
def tiny():
    tok = train_tokenizer([f"{a} plus {b} is {a + b}" for a in range(10) for b in range(10)] + ["Human: Assistant:"], 120)
    model = build_model(tok, {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                              "max_position_embeddings": 128, "seed": 5})
    return model.eval(), tok


def test_each_strategy_generates(tiny):
    model, tok = tiny
    prompts = [tok("1 plus 2 is")["input_ids"], tok("3 plus 4")["input_ids"]]
    outs = {}
    for spec in (None, {"strategy": "beam", "num_beams": 3}, {"strategy": "best_of", "n": 3, "seed": 1}):
        outs[decoding.label(spec)] = generate_ids(model, tok, prompts, max_new_tokens=6, batch_size=2, decoding=spec)
        assert len(outs[decoding.label(spec)]) == 2 and all(isinstance(o, str) for o in outs[decoding.label(spec)])
    again = generate_ids(model, tok, prompts, max_new_tokens=6, batch_size=2, decoding={"strategy": "best_of", "n": 3, "seed": 1})
    assert again == outs["best_of3_t1"]                                   # seeded


def test_decoding_reaches_all_csv(tmp_path):
    problems = [{"id": "a", "dataset": "d", "answer": "3", "answer_type": "number"}]
    rows, metrics = score("s/d/r", problems, [{"id": "a", "prompt": "p", "response": "The answer is 3", "decoding": "beam5"}])
    assert metrics["decoding"] == "beam5" and metrics["k"] == 1
    write_json(tmp_path / "eval/s/d/t.cot.all/d.metrics.json", metrics)
    run = {"experiment": "e", "method": "distill", "student": "s", "train_set": "d", "recipe": "t.cot.all", "eval_sets": ["d"],
           "labels": {"teacher": "t"}}
    df = build_table([run], str(tmp_path))
    assert df.loc[0, "decoding"] == "beam5" and list(df.columns).index("decoding") < list(df.columns).index("accuracy")
