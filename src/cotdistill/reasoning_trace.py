"""Responses of reasoning models (R1-style): the thinking part and the answer part, and continuation of an
attempt that ``max_tokens`` cut off.

A response carries its reasoning either inline, ``<think>…</think>answer`` (R1 distills through most
servers), or separately, as the ``reasoning_content`` field of an OpenAI-compatible server with a
reasoning parser (``Completion.reasoning``). ``split_reasoning`` turns both into one ``Parts``.

What the reference (adityatadimeti/reasoning-distillation, ``src/reasoning/extractor.py``) does, and we
repeat: the *reasoning trace* is the text before the first ``</think>`` (``extract_reasoning_trace``,
at least 10 characters; with ``allow_fallback`` the whole response when there is none); the *post-think*
content is the text after the last ``</think>`` (``extract_post_think_content``; a self-summary's
post-think part is what later prompts show).

Continuation (the reference's clients, ``enable_continuation``/``max_total_tokens``/``max_continuations``):
a cut-off attempt is sent again with its text so far as the start of the assistant turn and the rest of
the token budget, until it stops, the budget is spent or the continuations run out. For chat servers the
partial turn is a trailing assistant message with ``continue_final_message: true,
add_generation_prompt: false`` (vLLM's and SGLang's chat extension); the reference used the raw
completions API with prompt + text so far, which is the same token sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
MIN_TRACE_CHARS = 10  # the reference ignores a "trace" of 10 characters or fewer before </think>
SUMMARY_INPUTS = ("reasoning", "full", "answer")
CONTINUE_FLAGS = {"continue_final_message": True, "add_generation_prompt": False}


@dataclass(frozen=True)
class Parts:
    """A response split into its thinking (None: the model did not think visibly) and its answer.

    ``closed``: the thinking ended (``</think>`` seen, or the server returned the two parts apart);
    False for a response cut off while still thinking. ``source``: ``tags``, ``reasoning_content`` or
    ``none``."""

    think: str | None
    answer: str
    closed: bool
    source: str

    def as_row(self) -> dict:
        return {"think": self.think, "answer_text": self.answer, "think_closed": self.closed,
                "think_source": self.source}


def _strip_open(text: str) -> str:
    text = text.lstrip()
    return text[len(THINK_OPEN):] if text.startswith(THINK_OPEN) else text


def split_reasoning(text: str | None, reasoning_content: str | None = None) -> Parts:
    """The thinking and answer parts of a response.

    - ``reasoning_content`` given (non-empty): it is the thinking; ``text`` is the answer (a ``</think>``
      inside ``text`` as well moves the part before it to the thinking).
    - ``text`` with ``</think>``: thinking = before the first ``</think>`` (an opening ``<think>`` dropped),
      answer = after the last one (the reference's two extractors).
    - ``text`` with ``<think>`` and no ``</think>``: cut off while thinking (answer empty, not closed).
    - otherwise: no thinking, the whole text is the answer.
    """
    text = text or ""
    if reasoning_content and reasoning_content.strip():
        inline = split_reasoning(text) if THINK_CLOSE in text else None
        think = reasoning_content.strip()
        if inline is not None and inline.think:
            think = f"{think}\n\n{inline.think}"
        return Parts(think, (inline.answer if inline is not None else text).strip(), True, "reasoning_content")
    first, last = text.find(THINK_CLOSE), text.rfind(THINK_CLOSE)
    if first >= 0:
        return Parts(_strip_open(text[:first]).strip(), text[last + len(THINK_CLOSE):].strip(), True, "tags")
    if text.lstrip().startswith(THINK_OPEN):
        return Parts(_strip_open(text).strip(), "", False, "tags")
    return Parts(None, text.strip(), True, "none")


def reasoning_trace(text: str | None, reasoning_content: str | None = None, *, allow_fallback: bool = True) -> str | None:
    """The reference's ``extract_reasoning_trace``: the thinking before ``</think>`` if longer than 10
    characters (or the server's ``reasoning_content``); else the whole response with ``allow_fallback``
    (the paper's configs set it), else None."""
    if reasoning_content and reasoning_content.strip():
        return reasoning_content.strip()
    text = text or ""
    end = text.find(THINK_CLOSE)
    if end > 0 and len(text[:end].strip()) > MIN_TRACE_CHARS:
        return _strip_open(text[:end]).strip()
    return text if allow_fallback else None


def post_think(text: str | None) -> str | None:
    """The reference's ``extract_post_think_content``: after the last ``</think>``, None if absent or empty."""
    text = text or ""
    end = text.rfind(THINK_CLOSE)
    if end < 0:
        return None
    return text[end + len(THINK_CLOSE):].strip() or None


def summary_input(text: str | None, reasoning_content: str | None = None, *, part: str = "reasoning",
                  allow_fallback: bool = True) -> str:
    """What the summarizer is shown of an attempt: ``reasoning`` (the trace, as the reference), ``full``
    (thinking and answer as the model wrote them) or ``answer`` (the post-think part, else the text)."""
    if part not in SUMMARY_INPUTS:
        raise ValueError(f"summary input {part!r}: one of {', '.join(SUMMARY_INPUTS)}")
    if part == "full":
        think = (reasoning_content or "").strip()
        return f"{THINK_OPEN}\n{think}\n{THINK_CLOSE}\n\n{text or ''}".strip() if think else (text or "")
    if part == "answer":
        return split_reasoning(text, reasoning_content).answer or (text or "")
    trace = reasoning_trace(text, reasoning_content, allow_fallback=allow_fallback)
    if trace is None:
        raise ValueError("no reasoning trace (no </think> and no reasoning_content); set allow_fallback to "
                         "summarize the whole response")
    return trace


def summary_for_prompt(summary: str, *, post_think_only: bool) -> str:
    """The text of a summary that later attempts see: with ``post_think_only`` (the reference's
    ``extract_post_think_summary``, its default for self-summaries) the part after ``</think>`` if any."""
    return (post_think(summary) or summary) if post_think_only else summary


# ----------------------------------------------------------------------------- continuation


@dataclass
class Budget:
    """Continuation limits: ``max_total_tokens`` completion tokens across the first request and its
    continuations, at most ``max_continuations`` continuations, ``per_request`` tokens per request."""

    max_total_tokens: int
    max_continuations: int = 4
    per_request: int | None = None

    def __post_init__(self):
        if self.max_total_tokens < 1 or self.max_continuations < 0:
            raise ValueError("continuation: max_total_tokens >= 1 and max_continuations >= 0")


@dataclass
class Attempt:
    """A (possibly continued) attempt: the concatenated text and reasoning, tokens, how many continuations."""

    text: str
    reasoning: str | None
    finish_reason: str
    completion_tokens: int
    prompt_tokens: int
    continuations: int = 0
    usages: list = field(default_factory=list)


def prefix_of(attempt: Attempt) -> str:
    """The assistant text a continuation starts from: the inline text, or for a server that returns the
    reasoning apart, ``<think>`` + reasoning (+ ``</think>`` and the answer once it started)."""
    if attempt.reasoning:
        head = f"{THINK_OPEN}\n{attempt.reasoning}"
        return f"{head}\n{THINK_CLOSE}\n\n{attempt.text}" if attempt.text else head
    return attempt.text


def continuation_request(request, attempt: Attempt, max_tokens: int, extra_body: dict | None = None):
    """The request that continues ``attempt``: its messages plus the partial assistant turn, the rest of the
    budget as ``max_tokens``, and the chat servers' continue-the-last-message switch (merged into the
    teacher's own ``extra_body``, which a request's params would otherwise replace)."""
    from .teachers import Request

    messages = [*request.messages, {"role": "assistant", "content": prefix_of(attempt)}]
    params = {**request.params, "max_tokens": int(max_tokens),
              "extra_body": {**(extra_body or {}), **(request.params.get("extra_body") or {}), **CONTINUE_FLAGS}}
    task = dict(request.task or {}, continuation=attempt.continuations + 1)
    return Request(messages=messages, params=params, sample=request.sample, task=task)


def continue_attempts(ask: Callable[[list], list], requests: Sequence, completions: Sequence, budget: Budget,
                      extra_body: dict | None = None) -> list[Attempt]:
    """Continue every attempt cut off by ``max_tokens`` until it stops, reaches ``budget.max_total_tokens``
    completion tokens in all, or has had ``budget.max_continuations`` continuations. ``ask(requests)``
    answers a list of requests (the teacher engine: cache, limits, retries). An attempt left cut off keeps
    ``finish_reason == "length"``."""
    attempts = [Attempt(c.text or "", c.reasoning, c.finish_reason, c.completion_tokens, c.prompt_tokens,
                        usages=[c.usage()]) for c in completions]
    while True:
        todo = []
        for i, a in enumerate(attempts):
            left = budget.max_total_tokens - a.completion_tokens
            if a.finish_reason == "length" and a.continuations < budget.max_continuations and left > 0:
                todo.append((i, min(left, budget.per_request) if budget.per_request else left))
        if not todo:
            return attempts
        more = ask([continuation_request(requests[i], attempts[i], n, extra_body) for i, n in todo])
        for (i, _), c in zip(todo, more):
            a = attempts[i]
            if a.reasoning is not None and not a.text and not c.reasoning and THINK_CLOSE in (c.text or ""):
                # the continuation closed the thinking inline: split it back into the two parts
                head, _, tail = c.text.partition(THINK_CLOSE)
                a.reasoning, a.text = a.reasoning + head, tail.lstrip()
            elif a.reasoning is not None and not a.text:
                a.reasoning = a.reasoning + (c.reasoning or "")
                a.text = c.text or ""
            else:
                a.text = a.text + (c.text or "")
            a.finish_reason = "stop" if c.finish_reason == "empty" and (a.text or a.reasoning) else c.finish_reason
            a.completion_tokens += c.completion_tokens
            a.prompt_tokens += c.prompt_tokens
            a.continuations += 1
            a.usages.append(c.usage())
