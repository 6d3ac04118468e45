"""Iterated summarization for reasoning models, as the reference runs it: attempts stored as think/answer parts,
the reasoning trace summarized, cut-off attempts continued up to a total budget, each summary's own answer
scored, and max_iterations counted as the paper (re-attempts after the first)."""

from __future__ import annotations

import re

import pytest

from cotdistill.experiments import expand_runs
from cotdistill.methods import summarize as S
from cotdistill.methods import summarize_loop as loop
from cotdistill.teachers import Completion

PROBLEMS = [{"id": f"q{i}", "dataset": "d", "split": "test", "question": f"What is {i} + 2?", "answer": str(i + 2),
             "answer_type": "number", "choices": None, "context": None} for i in range(4)]
MODEL = ("r1", {"kind": "openai", "model": "r1", "base_url": "http://x/v1", "max_tokens": 100, "top_k": 40}, True)
SUMMARIZER = ("qwen", {"kind": "openai", "model": "qwen", "base_url": "http://x/v1"}, True)


class FakeServer:
    """Stands in for run_requests: a reasoning model (q0 right, q1 wrong, q2 cut off while thinking and
    finished by a continuation, q3 with a separate reasoning_content) and a summarizer that thinks first."""

    def __init__(self):
        self.sent = []

    def __call__(self, name, cfg, requests, *, cache_dir=None, desc=""):
        self.sent.append((name, requests))
        return [self.answer(name, r) for r in requests], {"teacher": name, "requests": len(requests)}

    def answer(self, name, req):
        text = req.messages[0]["content"]
        i = int(re.search(r"What is (\d+) \+ 2", text).group(1))
        if name == "qwen":
            shown = text.split("ATTEMPT:", 1)[1]
            claimed = "7" if "wrongly" in shown else str(i + 2)
            return Completion(text=f"(drafting)</think>The attempt added and got \\boxed{{{claimed}}}.", completion_tokens=9)
        if req.messages[-1]["role"] == "assistant":  # a continuation of q2's thinking
            return Completion(text=f" carry on, so {i + 2}.</think>The answer is \\boxed{{{i + 2}}}.", completion_tokens=30)
        if i == 0:
            return Completion(text="<think>0 plus 2 is 2.</think>The answer is \\boxed{2}.", completion_tokens=20)
        if i == 1:
            return Completion(text="<think>1 plus 2, wrongly 7.</think>The answer is \\boxed{7}.", completion_tokens=20)
        if i == 2:
            return Completion(text="<think>2 plus 2, let me", finish_reason="length", completion_tokens=100)
        return Completion(text="The answer is \\boxed{5}.", reasoning="3 plus 2 is 5.", completion_tokens=25)


@pytest.fixture
def server(monkeypatch):
    fake = FakeServer()
    monkeypatch.setattr(loop, "run_requests", fake)
    return fake


def test_parts_trace_summaries_and_their_answers(server):
    opts = loop.LoopOptions(summary_post_think=True)
    rows0, _ = S.first_iteration(PROBLEMS, MODEL, "v0", opts=opts)
    by = {r["id"]: r for r in rows0}
    assert (by["q0"]["think"], by["q0"]["answer_text"], by["q0"]["think_source"]) == (
        "0 plus 2 is 2.", "The answer is \\boxed{2}.", "tags")
    assert (by["q3"]["think"], by["q3"]["think_source"], by["q3"]["correct"]) == ("3 plus 2 is 5.", "reasoning_content", True)
    # not continued: q2 stays recorded as cut off, thinking unfinished
    assert (by["q2"]["finish_reason"], by["q2"]["think_closed"], by["q2"]["correct"], by["q2"]["continuations"]) == (
        "length", False, False, 0)
    m0 = S.metrics(rows0)["no_oracle"]
    assert (m0["accuracy"], m0["cut_off"], m0["summary_accuracy"], m0["n_summaries"]) == (0.5, 1, None, 0)

    rows1, _ = S.next_iteration(rows0, PROBLEMS, MODEL, SUMMARIZER, "v0", "v1", continue_after_correct=True, opts=opts)
    summaries = {r.task["problem"]["id"]: r.messages[0]["content"] for r in server.sent[1][1]}
    # the summarizer is shown the reasoning trace, not the answer after </think> (the reference)
    assert "0 plus 2 is 2." in summaries["q0"] and "The answer is" not in summaries["q0"].split("ATTEMPT:")[1]
    assert "3 plus 2 is 5." in summaries["q3"]  # reasoning_content is the trace
    assert "2 plus 2, let me" in summaries["q2"]  # a cut-off attempt: the trace so far
    by1 = {r["id"]: r for r in rows1}
    # the summary's own answer is graded; later prompts show its post-think part
    assert (by1["q0"]["summary_pred"], by1["q0"]["summary_correct"]) == ("2", True)
    assert (by1["q1"]["summary_pred"], by1["q1"]["summary_correct"]) == ("7", False)
    assert by1["q0"]["summaries"] == ["The attempt added and got \\boxed{2}."]
    assert by1["q0"]["summary"].startswith("(drafting)</think>")
    assert "ATTEMPT 1 SUMMARY: The attempt added and got" in by1["q0"]["messages"][0]["content"]
    m1 = S.metrics(rows1)["oracle"]
    assert (m1["n_summaries"], m1["summary_accuracy"]) == (4, 0.75)


def test_cut_off_attempts_are_continued_up_to_the_budget(server):
    opts = loop.LoopOptions(max_total_tokens=1000, max_continuations=2)
    rows0, stage = S.first_iteration(PROBLEMS, MODEL, "v0", opts=opts)
    q2 = next(r for r in rows0 if r["id"] == "q2")
    assert (q2["finish_reason"], q2["continuations"], q2["attempt_tokens"], q2["correct"]) == ("stop", 1, 130, True)
    assert q2["think"] == "2 plus 2, let me carry on, so 4." and q2["answer_text"] == "The answer is \\boxed{4}."
    cont = server.sent[1][1][0]
    assert cont.messages[-1] == {"role": "assistant", "content": "<think>2 plus 2, let me"}
    assert cont.params["max_tokens"] == 100 and cont.params["extra_body"]["continue_final_message"] is True
    assert len(stage["attempt"]["continuations"]) == 1
    assert S.metrics(rows0)["no_oracle"]["cut_off"] == 0


def test_summary_input_full_and_no_post_think(server):
    opts = loop.LoopOptions(summary_input="full", summary_post_think=False)
    rows0, _ = S.first_iteration(PROBLEMS[:1], MODEL, "v0", opts=opts)
    rows1, _ = S.next_iteration(rows0, PROBLEMS[:1], MODEL, SUMMARIZER, "v0", "v1", continue_after_correct=True, opts=opts)
    shown = server.sent[1][1][0].messages[0]["content"]
    assert "<think>0 plus 2 is 2.</think>The answer is \\boxed{2}." in shown
    assert rows1[0]["summaries"] == ["(drafting)</think>The attempt added and got \\boxed{2}."]


def config(**exp):
    return {"datasets": {"d": {"source": "generator"}}, "teachers": {"t": {"kind": "offline"}, "u": {"kind": "offline"}},
            "students": {}, "experiments": {"it": {"method": "summarize", "datasets": ["d"], "teachers": ["t"],
                                                   "students": [], **exp}}}


def test_max_iterations_counts_re_attempts_and_loop_options():
    assert {r.labels["round"] for r in expand_runs(config(max_iterations=4))} == {0, 1, 2, 3, 4}  # the paper's 4iter
    assert {r.labels["round"] for r in expand_runs(config(max_iterations=0))} == {0}
    s = S.parse("it", {"method": "summarize", "datasets": ["d"], "teachers": ["t"], "students": [],
                       "continuation": {"max_total_tokens": 32000}, "summarizer": "u"})
    assert S.loop_options(s) == {"summary_input": "reasoning", "allow_fallback": True, "summary_post_think": False,
                                 "max_total_tokens": 32000, "max_continuations": 4}
    assert S.loop_options(S.parse("it", {"method": "summarize", "datasets": ["d"], "teachers": ["t"],
                                         "students": []}))["summary_post_think"] is True  # self-summaries


def test_iteration_zero_depends_on_continuation_only():
    base = {"method": "summarize", "datasets": ["d"], "teachers": ["t"], "students": []}
    a = S.attempt_options(S.parse("it", {**base, "summarizer": "u", "summary_input": "full"}))
    b = S.attempt_options(S.parse("it", base))
    assert a == b == {"max_total_tokens": None, "max_continuations": 4}
    assert S.attempt_options(S.parse("it", {**base, "continuation": {"max_total_tokens": 9}}))["max_total_tokens"] == 9


def test_summaries_are_continued_too(server, monkeypatch):
    """A summary cut off by max_tokens is continued within the same budget (the reference's clients continue
    summaries as well), and its answer is graded on the whole text."""
    answer = server.answer

    def cut_summaries(name, req):
        if name == "qwen" and req.messages[-1]["role"] != "assistant":
            return Completion(text="The attempt added and", finish_reason="length", completion_tokens=50)
        if name == "qwen":
            return Completion(text=" got \\boxed{2}.", completion_tokens=5)
        return answer(name, req)

    monkeypatch.setattr(server, "answer", cut_summaries)
    opts = loop.LoopOptions(max_total_tokens=500)
    rows0, _ = S.first_iteration(PROBLEMS[:1], MODEL, "v0", opts=opts)
    rows1, stages = S.next_iteration(rows0, PROBLEMS[:1], MODEL, SUMMARIZER, "v0", "v1", continue_after_correct=True,
                                     opts=opts)
    assert rows1[0]["summary"] == "The attempt added and got \\boxed{2}."
    assert (rows1[0]["summary_pred"], rows1[0]["summary_correct"], rows1[0]["summary_tokens"]) == ("2", True, 55)
    assert len(stages["summary"]["continuations"]) == 1
