"""Reasoning-model responses: think/answer split (inline tags or reasoning_content), the reference's trace and
post-think extractors, and continuation of cut-off attempts up to a total token budget."""

from __future__ import annotations

import pytest

from cotdistill.reasoning_trace import (
    CONTINUE_FLAGS, Budget, continue_attempts, post_think, reasoning_trace, split_reasoning, summary_for_prompt,
    summary_input,
)
from cotdistill.teachers import Completion, Request

THOUGHT = "Let me add 2 and 3 carefully, that is 5."


def test_split_inline_tags():
    p = split_reasoning(f"<think>\n{THOUGHT}\n</think>\n\nThe answer is \\boxed{{5}}.")
    assert (p.think, p.answer, p.closed, p.source) == (THOUGHT, "The answer is \\boxed{5}.", True, "tags")
    # R1 distills often emit no opening tag (the template puts it in the prompt)
    assert split_reasoning(f"{THOUGHT}</think>So 5.").think == THOUGHT
    # several closes: trace before the first, answer after the last (the reference's two extractors)
    p = split_reasoning("a long first thought</think>middle</think> final")
    assert (p.think, p.answer) == ("a long first thought", "final")


def test_split_cut_off_while_thinking_and_plain_text():
    p = split_reasoning(f"<think>{THOUGHT} and then")
    assert (p.think, p.answer, p.closed) == (f"{THOUGHT} and then", "", False)
    p = split_reasoning("Just 5.")
    assert (p.think, p.answer, p.closed, p.source) == (None, "Just 5.", True, "none")
    assert split_reasoning(None).answer == ""


def test_split_reasoning_content():
    p = split_reasoning("The answer is 5.", reasoning_content=f"  {THOUGHT}  ")
    assert (p.think, p.answer, p.source) == (THOUGHT, "The answer is 5.", "reasoning_content")
    assert p.as_row() == {"think": THOUGHT, "answer_text": "The answer is 5.", "think_closed": True,
                          "think_source": "reasoning_content"}
    assert split_reasoning("more thought</think>5", reasoning_content="first").think == "first\n\nmore thought"


def test_reference_extractors():
    assert reasoning_trace(f"<think>{THOUGHT}</think>5") == THOUGHT
    assert reasoning_trace("short</think>5", allow_fallback=False) is None  # <= 10 characters: not a trace
    assert reasoning_trace("no tags at all", allow_fallback=True) == "no tags at all"
    assert reasoning_trace("no tags at all", allow_fallback=False) is None
    assert reasoning_trace("answer", reasoning_content=THOUGHT) == THOUGHT
    assert post_think("x</think> y </think>  z ") == "z"
    assert post_think("no close") is None and post_think("x</think>   ") is None


def test_summary_input_and_prompt_text():
    resp = f"<think>{THOUGHT}</think>The answer is 5."
    assert summary_input(resp) == THOUGHT
    assert summary_input(resp, part="full") == resp
    assert summary_input(resp, part="answer") == "The answer is 5."
    assert summary_input("The answer is 5.", THOUGHT, part="full") == f"<think>\n{THOUGHT}\n</think>\n\nThe answer is 5."
    with pytest.raises(ValueError, match="allow_fallback"):
        summary_input("plain", allow_fallback=False)
    with pytest.raises(ValueError, match="one of"):
        summary_input(resp, part="everything")
    assert summary_for_prompt("thinking</think>The attempt added.", post_think_only=True) == "The attempt added."
    assert summary_for_prompt("thinking</think>The attempt added.", post_think_only=False).startswith("thinking")
    assert summary_for_prompt("no tags", post_think_only=True) == "no tags"


class Scripted:
    """An ``ask`` that answers continuation requests from a script and records what it was sent."""

    def __init__(self, chunks):
        self.chunks, self.sent = list(chunks), []

    def __call__(self, requests):
        self.sent.append(requests)
        return [self.chunks.pop(0) for _ in requests]


def test_continuation_until_stop_within_budget():
    req = Request(messages=[{"role": "user", "content": "2+3?"}], params={"max_tokens": 100, "temperature": 0.6})
    first = Completion(text="<think>2 plus", finish_reason="length", completion_tokens=100, prompt_tokens=10)
    done = Completion(text="<think>ok</think>5", finish_reason="stop", completion_tokens=7, prompt_tokens=10)
    ask = Scripted([Completion(text=" 3 is", finish_reason="length", completion_tokens=100, prompt_tokens=110),
                    Completion(text=" 5</think>\\boxed{5}", finish_reason="stop", completion_tokens=30, prompt_tokens=210)])
    out = continue_attempts(ask, [req, req], [first, done], Budget(max_total_tokens=1000, per_request=100),
                            extra_body={"top_k": 40})
    a, b = out
    assert (a.text, a.finish_reason, a.completion_tokens, a.continuations) == (
        "<think>2 plus 3 is 5</think>\\boxed{5}", "stop", 230, 2)
    assert (b.text, b.continuations, b.completion_tokens) == ("<think>ok</think>5", 0, 7)
    assert [len(batch) for batch in ask.sent] == [1, 1]  # only the cut-off attempt is continued
    cont = ask.sent[1][0]
    assert cont.messages == [req.messages[0], {"role": "assistant", "content": "<think>2 plus 3 is"}]
    assert cont.params["max_tokens"] == 100 and cont.params["temperature"] == 0.6
    assert cont.params["extra_body"] == {"top_k": 40, **CONTINUE_FLAGS}
    assert cont.task["continuation"] == 2
    assert split_reasoning(a.text).answer == "\\boxed{5}"


def test_continuation_stops_at_the_total_budget_and_stays_cut_off():
    req = Request(messages=[{"role": "user", "content": "q"}], params={"max_tokens": 8192})
    first = Completion(text="a" * 10, finish_reason="length", completion_tokens=8192)
    ask = Scripted([Completion(text="b", finish_reason="length", completion_tokens=8192) for _ in range(5)])
    (a,) = continue_attempts(ask, [req], [first], Budget(max_total_tokens=20000, max_continuations=4, per_request=8192))
    # 8192 + 8192 + the remaining 3616: the budget is spent after two continuations, still cut off
    assert [r.params["max_tokens"] for batch in ask.sent for r in batch] == [8192, 3616]
    assert (a.finish_reason, a.continuations, a.completion_tokens) == ("length", 2, 8192 * 3)
    (b,) = continue_attempts(Scripted([]), [req], [first], Budget(max_total_tokens=20000, max_continuations=0))
    assert (b.finish_reason, b.continuations) == ("length", 0)  # not continued: recorded as cut off


def test_continuation_with_separate_reasoning_content():
    req = Request(messages=[{"role": "user", "content": "q"}])
    first = Completion(text="", reasoning="step one", finish_reason="length", completion_tokens=50)
    ask = Scripted([Completion(text=", step two</think>The answer is 5.", finish_reason="stop", completion_tokens=20)])
    (a,) = continue_attempts(ask, [req], [first], Budget(max_total_tokens=200))
    assert ask.sent[0][0].messages[-1] == {"role": "assistant", "content": "<think>\nstep one"}
    assert (a.reasoning, a.text, a.finish_reason) == ("step one, step two", "The answer is 5.", "stop")
    assert split_reasoning(a.text, a.reasoning).think == "step one, step two"
