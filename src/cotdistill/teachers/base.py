"""What every teacher backend takes and returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Request:
    """One chat request.

    ``messages`` and ``params`` (temperature, max_tokens, top_p, seed, stop, ...) are what an API sees
    and what the cache key hashes, with ``sample`` (the index among n samples). ``task`` is the structured
    intent (problem, style, granularity, student attempt, ...) that only the offline teacher reads.
    """

    messages: list[dict]
    params: dict = field(default_factory=dict)
    sample: int = 0
    task: dict | None = None


@dataclass
class Completion:
    """One response with its accounting. ``finish_reason`` is "stop", "length", "empty" or "error"."""

    text: str
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cache_key: str = ""
    cached: bool = False
    error: str | None = None
    reasoning: str | None = None  # a reasoning model's separate trace (reasoning_content), when the API returns one
    retries: int = 0  # attempts beyond the first that this answer took (0 for cached answers)

    def usage(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
        }

    def to_dict(self) -> dict:
        return asdict(self)
