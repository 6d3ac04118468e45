"""Gemini through the ``google-genai`` SDK (not the end-of-life ``google-generativeai``).

Chat messages map to ``contents`` (assistant → ``model``) with system messages as the system
instruction. SDK retries stay off; the engine retries. ``base_url`` points the SDK elsewhere
(a proxy, or the test server).
"""

from __future__ import annotations

import re

from .base import Completion
from .remote import MalformedResponse, RemoteBackend

_RETRY_DELAY = re.compile(r'"?retryDelay"?\s*[:=]\s*"?(\d+(?:\.\d+)?)s')


def to_contents(messages: list[dict]) -> tuple[str | None, list[dict]]:
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system") or None
    contents = [
        {"role": "model" if m["role"] == "assistant" else "user", "parts": [{"text": m["content"]}]}
        for m in messages
        if m["role"] != "system"
    ]
    return system, contents


def generation_config(params: dict, system: str | None):
    """The SDK's GenerateContentConfig for the engine's generation params (and the system instruction)."""
    from google.genai import types

    stop = params.get("stop")
    return types.GenerateContentConfig(
        system_instruction=system,
        temperature=params.get("temperature"),
        top_p=params.get("top_p"),
        top_k=params.get("top_k"),
        max_output_tokens=params.get("max_tokens"),
        seed=params.get("seed"),
        stop_sequences=[stop] if isinstance(stop, str) else stop,
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        **(params.get("extra_body") or {}),
    )


def parse_response(resp) -> Completion:
    """A GenerateContentResponse as a Completion (thought parts as the reasoning trace)."""
    if not resp.candidates:
        reason = getattr(resp.prompt_feedback, "block_reason", None)
        if reason:
            return Completion(text="", finish_reason="empty", error=f"prompt blocked: {reason}")
        raise MalformedResponse("response has no candidates")
    cand = resp.candidates[0]
    parts = (cand.content.parts if cand.content else None) or []
    text = "".join(p.text for p in parts if p.text and not p.thought)
    thoughts = "".join(p.text for p in parts if p.text and p.thought) or None
    usage = resp.usage_metadata
    completion_tokens = (getattr(usage, "candidates_token_count", 0) or 0) + (
        getattr(usage, "thoughts_token_count", 0) or 0
    )
    reason = str(getattr(cand.finish_reason, "value", cand.finish_reason) or "")
    finish = "length" if reason == "MAX_TOKENS" else ("empty" if not text.strip() else "stop")
    return Completion(
        text=text,
        finish_reason=finish,
        prompt_tokens=getattr(usage, "prompt_token_count", 0) or 0,
        completion_tokens=completion_tokens,
        reasoning=thoughts,
    )


class GeminiChat(RemoteBackend):
    provider = "gemini"

    def make_client(self):
        """A google-genai client on ``base_url`` (v1beta) with the SDK's own retries off."""
        from google import genai
        from google.genai import types

        http = types.HttpOptions(
            base_url=self.base_url,
            api_version="v1beta",
            timeout=int(self.config.timeout_s * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        return genai.Client(api_key=self.config.api_key() or "none", http_options=http)

    async def start(self) -> None:
        self.client = self.make_client()

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aio.aclose()

    async def acomplete(self, messages: list[dict], params: dict) -> Completion:
        system, contents = to_contents(messages)
        resp = await self.client.aio.models.generate_content(model=self.model, contents=contents,
                                                             config=generation_config(params, system))
        return parse_response(resp)

    def status(self, exc: BaseException) -> int | None:
        from google.genai import errors

        return exc.code if isinstance(exc, errors.APIError) else None

    def transient(self, exc: BaseException) -> bool:
        # transport errors of the SDK's HTTP client (httpx2 / httpx / aiohttp), matched by family
        family = type(exc).__module__.split(".")[0]
        return family in ("httpx", "httpx2", "httpcore", "httpcore2", "aiohttp") or super().transient(exc)

    def retry_after(self, exc: BaseException) -> float | None:
        seconds = super().retry_after(exc)
        if seconds is None:  # Gemini puts RetryInfo.retryDelay ("30s") in the error details
            m = _RETRY_DELAY.search(str(getattr(exc, "details", "") or ""))
            seconds = float(m.group(1)) if m else None
        return seconds
