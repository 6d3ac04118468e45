"""OpenAI chat completions through the official SDK; ``base_url`` makes it any compatible server.

The SDK's own retries are off (``max_retries=0``): the engine retries, so it can count attempts,
honour ``Retry-After`` and pause the whole teacher on a 429.
"""

from __future__ import annotations

from .base import Completion
from .remote import MalformedResponse, RemoteBackend


def chat_body(model: str, messages: list[dict], params: dict) -> dict:
    """The /chat/completions request body: model, messages, generation params, ``extra_body`` merged in."""
    body = {"model": model, "messages": messages, **params}
    body.update(body.pop("extra_body", None) or {})
    return body


def parse_chat(resp) -> Completion:
    """A /chat/completions response body (a dict) as a Completion; MalformedResponse when it holds none."""
    if not isinstance(resp, dict) or not resp.get("choices"):
        raise MalformedResponse(f"response has no choices: {str(resp)[:200]!r}")
    choice = resp["choices"][0]
    msg = choice.get("message") or {}
    text = msg.get("content") or ""
    reasoning = msg.get("reasoning_content") or msg.get("reasoning")
    usage = resp.get("usage") or {}
    finish = "length" if choice.get("finish_reason") == "length" else ("empty" if not text.strip() else "stop")
    return Completion(
        text=text,
        finish_reason=finish,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        reasoning=reasoning if isinstance(reasoning, str) else None,
    )


class OpenAIChat(RemoteBackend):
    provider = "openai"

    async def start(self) -> None:
        import openai

        self.client = openai.AsyncOpenAI(
            api_key=self.config.api_key() or "none",  # a local server needs no key; the SDK wants a string
            base_url=self.base_url,
            max_retries=0,
            timeout=self.config.timeout_s,
        )

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.close()

    async def acomplete(self, messages: list[dict], params: dict) -> Completion:
        # The SDK's generic POST (its auth, base_url, timeout and typed errors) with a plain-dict body and
        # result: the typed create() costs ~40% more CPU per request (request transform + models),
        # which is what bounds throughput at high concurrency; a dict also keeps providers' extra fields.
        resp = await self.client.post("/chat/completions", body=chat_body(self.model, messages, params), cast_to=dict)
        return parse_chat(resp)

    def status(self, exc: BaseException) -> int | None:
        import openai

        return exc.status_code if isinstance(exc, openai.APIStatusError) else None

    def transient(self, exc: BaseException) -> bool:
        import openai

        # APIConnectionError covers timeouts and dropped connections
        return isinstance(exc, (openai.APIConnectionError, openai.APIResponseValidationError)) or super().transient(exc)
