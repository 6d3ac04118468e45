"""Gemini batch mode through google-genai (``client.batches.create`` with inlined requests, ``batches.get``).

Each request goes inline with its cache key in ``metadata.key``; the finished job carries one inlined
response (or error) per request, matched back by that key (by position when a server drops metadata).
Inlined batches are limited to about 20 MB per create call, hence the byte limit below; requests beyond it
go into further batches.
"""

from __future__ import annotations

import json

from .base import Completion
from .batch import Answer, Status
from .gemini import GeminiChat, generation_config, parse_response, to_contents
from .remote import RETRY_STATUS, MalformedResponse

STATES = {"JOB_STATE_SUCCEEDED": "completed", "JOB_STATE_PARTIALLY_SUCCEEDED": "completed",
          "JOB_STATE_FAILED": "failed", "JOB_STATE_CANCELLED": "cancelled", "JOB_STATE_EXPIRED": "expired"}
RETRY_RPC = (4, 8, 10, 13, 14)  # google.rpc codes: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE


class GeminiBatch(GeminiChat):
    max_requests = 10_000
    max_bytes = 18_000_000  # inlined requests: the create call's body (REST JSON, a little larger) stays under 20 MB

    def open(self) -> None:
        self.client = self.make_client()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def encode(self, key: str, messages: list[dict], params: dict) -> bytes:
        return json.dumps({"key": key, "messages": messages, "params": params}, ensure_ascii=False).encode("utf-8")

    def find(self, tag: str) -> dict | None:
        """The newest 100 batch jobs: a live one named with ``tag``, or None."""
        for job in self.client.batches.list(config={"page_size": 100}).page:
            raw = str(getattr(job.state, "value", job.state) or "")
            if job.display_name == self.display_name(tag) and STATES.get(raw, "running") in ("running", "completed"):
                return {"id": job.name}
        return None

    def display_name(self, tag: str) -> str:
        return f"cotdistill-{self.config.name}-{tag}"

    def submit(self, lines: list[bytes], tag: str) -> dict:
        from google.genai import types

        inlined = []
        for line in lines:
            item = json.loads(line)
            system, contents = to_contents(item["messages"])
            inlined.append(types.InlinedRequest(contents=contents, config=generation_config(item["params"], system),
                                                metadata={"key": item["key"]}))
        job = self.client.batches.create(model=self.model, src=inlined,
                                         config={"display_name": self.display_name(tag)})
        return {"id": job.name}

    def poll(self, entry) -> Status:
        from google.genai import errors

        try:
            job = self.client.batches.get(name=entry.id)
        except errors.APIError as exc:
            if exc.code != 404:
                raise
            return Status(state="expired", raw="not_found", message="the server no longer knows this batch")
        raw = str(getattr(job.state, "value", job.state) or "JOB_STATE_UNSPECIFIED")
        stats = job.completion_stats
        done = None if stats is None else int(stats.successful_count or 0) + int(stats.failed_count or 0)
        message = (job.error.message or "") if job.error else ""
        return Status(state=STATES.get(raw, "running"), raw=raw, done=done, total=len(entry.keys),
                      message=message[:300], outputs=job)

    def results(self, entry, status: Status) -> dict[str, Answer]:
        job = status.outputs
        responses = (job.dest.inlined_responses if job is not None and job.dest else None) or []
        out: dict[str, Answer] = {}
        for i, r in enumerate(responses):
            key = (r.metadata or {}).get("key") or (entry.keys[i] if i < len(entry.keys) else None)
            if key is not None:
                out[key] = answer(r)
        return out


def answer(r) -> Answer:
    """One inlined response (or its error) as an Answer."""
    if r.error is not None:
        code = r.error.code
        retryable = code is None or code in RETRY_RPC or code in RETRY_STATUS or code >= 500
        return Answer(Completion(text="", finish_reason="error", error=f"{code}: {r.error.message}"[:500]), retryable)
    if r.response is None:
        return Answer(Completion(text="", finish_reason="error", error="no response"), retryable=True)
    try:
        return Answer(parse_response(r.response))
    except MalformedResponse as exc:
        return Answer(Completion(text="", finish_reason="error", error=str(exc)), retryable=True)
