"""OpenAI's Batch API through the official SDK (``client.files.create``, ``client.batches.create/retrieve``,
``client.files.content``); ``base_url`` makes it any server that implements ``/v1/files`` + ``/v1/batches``.

Each batch is a JSONL file of ``{"custom_id": <cache key>, "method": "POST", "url": "/v1/chat/completions",
"body": ...}`` lines with the same body an online request would send; answers come back in the output file
and per-request failures in the error file, both matched by ``custom_id``.
"""

from __future__ import annotations

import json

from .base import Completion
from .batch import Answer, Status
from .openai_chat import OpenAIChat, chat_body, parse_chat
from .remote import RETRY_STATUS, MalformedResponse

STATES = {"validating": "running", "in_progress": "running", "finalizing": "running", "cancelling": "running",
          "completed": "completed", "failed": "failed", "expired": "expired", "cancelled": "cancelled"}
ENDPOINT = "/v1/chat/completions"


class OpenAIBatch(OpenAIChat):
    max_requests = 50_000  # the Batch API's limits per input file
    max_bytes = 190_000_000  # of 200 MB, with room for the multipart envelope

    def open(self) -> None:
        import openai

        self.client = openai.OpenAI(api_key=self.config.api_key() or "none", base_url=self.base_url,
                                    max_retries=0, timeout=self.config.timeout_s)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def encode(self, key: str, messages: list[dict], params: dict) -> bytes:
        line = {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": chat_body(self.model, messages, params)}
        return json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n"

    def submit(self, lines: list[bytes], tag: str) -> dict:
        uploaded = self.client.files.create(file=("requests.jsonl", b"".join(lines)), purpose="batch")
        batch = self.client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
                                           metadata={"cotdistill_teacher": self.config.name, "cotdistill_tag": tag})
        return {"id": batch.id, "input_file": uploaded.id}

    def find(self, tag: str) -> dict | None:
        """The newest 100 batches: a live one carrying ``tag``, or None."""
        for b in self.client.batches.list(limit=100).data:
            if (b.metadata or {}).get("cotdistill_tag") == tag and STATES.get(b.status) in ("running", "completed"):
                return {"id": b.id, "input_file": b.input_file_id}
        return None

    def poll(self, entry) -> Status:
        import openai

        try:
            b = self.client.batches.retrieve(entry.id)
        except openai.NotFoundError:  # recorded, but unknown to this server (deleted, or another account)
            return Status(state="expired", raw="not_found", message="the server no longer knows this batch")
        counts = b.request_counts
        done = counts.completed + counts.failed if counts else None
        errors = "; ".join(f"{e.code}: {e.message}" for e in (b.errors.data or [])) if b.errors else ""
        return Status(state=STATES.get(b.status, "running"), raw=b.status, done=done,
                      total=counts.total if counts else None, message=errors[:300],
                      outputs=(b.output_file_id, b.error_file_id))

    def results(self, entry, status: Status) -> dict[str, Answer]:
        import openai

        out: dict[str, Answer] = {}
        for file_id in status.outputs or ():
            if not file_id:
                continue
            try:
                text = self.client.files.content(file_id).text
            except openai.NotFoundError:  # output files are deleted after a while: its requests go again
                continue
            for line in text.splitlines():
                if line.strip():
                    row = json.loads(line)
                    out[row.get("custom_id")] = answer(row)
        return out


def answer(row: dict) -> Answer:
    """One line of an output or error file as an Answer."""
    resp = row.get("response") or {}
    code = resp.get("status_code")
    if code == 200:
        try:
            return Answer(parse_chat(resp.get("body")))
        except MalformedResponse as exc:
            return Answer(Completion(text="", finish_reason="error", error=str(exc)), retryable=True)
    err = row.get("error") or (resp.get("body") or {}).get("error") or {}
    msg = f"{code or err.get('code') or 'error'}: {err.get('message') or err}"[:500]
    retryable = code is None or code in RETRY_STATUS or code >= 500  # no response: expired, cancelled, not run
    return Answer(Completion(text="", finish_reason="error", error=msg), retryable=retryable)
