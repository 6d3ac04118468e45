"""The local stand-in server (tests/openai_stub_server.py) plus the batch endpoints of both providers.

OpenAI shape: ``POST /v1/files`` (multipart, purpose=batch), ``GET /v1/files/{id}/content``,
``POST /v1/batches``, ``GET /v1/batches/{id}``. Gemini shape (what google-genai's ``client.batches``
calls, v1beta): ``POST /v1beta/models/{model}:batchGenerateContent`` with inlined requests and
``GET /v1beta/batches/{id}``, answers in ``metadata.output.inlinedResponses``.

A batch finishes ``delay`` seconds after it was created (its request counts grow meanwhile). Answers are
the online stand-in's. Faults:

    expire=N          the first N batches end "expired" with only the first half of their requests answered
    fail=N            the first N batches end "failed" (validation) with no answers
    [[500:N]]         in a prompt: the request's first N batch attempts come back with a per-request 500
    [[400]]           in a prompt: always a per-request 400 (not retryable)

    drop_create=N     (attribute) the next N batch creates are made but get no response (connection closed)

``counts`` records what arrived (uploads, batch creates, status polls, lists, downloads; per provider).
"""

from __future__ import annotations

import email.parser
import hashlib
import itertools
import json
import re
import threading
import time

from openai_stub_server import Handler, StubHTTPServer, _faults

GEMINI_BATCH = re.compile(r"^/v1beta/models/([^/:]+):batchGenerateContent$")
GEMINI_GET = re.compile(r"^/v1beta/batches/([^/?]+)")
OPENAI_FILE = re.compile(r"^/v1/files/([^/?]+)/content")
OPENAI_BATCH = re.compile(r"^/v1/batches/([^/?]+)$")


class BatchState:
    def __init__(self, delay: float, expire: int, fail: int):
        self.delay, self.expire, self.fail = delay, expire, fail
        self.lock = threading.Lock()
        self.ids = itertools.count(1)  # batches
        self.file_ids = itertools.count(1)
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.attempts: dict[str, int] = {}  # per request (custom_id / metadata key): batch attempts seen
        self.drop_create = 0  # the next N batch creates are made, but their responses are never sent
        self.counts = {"uploads": 0, "creates": 0, "polls": 0, "downloads": 0, "requests": 0, "lists": 0,
                       "gemini_creates": 0, "gemini_polls": 0, "gemini_requests": 0}
        self.bodies: list[dict] = []  # every request inside every batch, as the provider received it

    def new_batch(self, kind: str, requests: list[tuple[str, dict]], extra: dict) -> dict:
        """requests: (request id, body) pairs. Decides now how the batch will end."""
        n = next(self.ids)
        ending = "fail" if n <= self.fail else ("expire" if n <= self.fail + self.expire else "complete")
        batch = {"id": f"batch_{n:04d}" if kind == "openai" else f"batches/gb{n:04d}", "kind": kind, "n": n,
                 "created": time.time(), "requests": requests, "ending": ending, "result": None, **extra}
        for rid, body in requests:
            self.attempts[rid] = self.attempts.get(rid, 0) + 1
            self.bodies.append(body)
        self.batches[batch["id"]] = batch
        return batch


def _progress(batch: dict, delay: float) -> float:
    return 1.0 if delay <= 0 else min(1.0, (time.time() - batch["created"]) / delay)


class BatchHandler(Handler):
    server: "BatchStubServer"

    def _key_ok(self, gemini: bool) -> bool:
        want = self.server.state.api_key
        if want is None:
            return True
        got = self.headers.get("x-goog-api-key") if gemini else (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if got != want:
            self._error(gemini, 401, f"Incorrect API key provided: {got}")
            return False
        return True

    def do_GET(self) -> None:
        b = self.server.batch
        path = self.path.split("?")[0]
        if path in ("/v1/batches", "/v1beta/batches"):  # list, newest first (one page)
            gemini = path.startswith("/v1beta")
            if not self._key_ok(gemini):
                return
            with b.lock:
                b.counts["lists"] += 1
                mine = [x for x in reversed(b.batches.values()) if (x["kind"] == "gemini") == gemini]
                if gemini:
                    return self._send(200, {"operations": [self._gemini_batch(x) for x in mine]})
                return self._send(200, {"object": "list", "data": [self._openai_batch(x) for x in mine],
                                        "has_more": False})
        if m := OPENAI_FILE.match(self.path):
            if not self._key_ok(False):
                return
            with b.lock:
                b.counts["downloads"] += 1
                data = b.files.get(m.group(1))
            if data is None:
                return self._send(404, {"error": {"message": "no such file"}})
            return self._send(200, data)
        if m := OPENAI_BATCH.match(self.path):
            if not self._key_ok(False):
                return
            with b.lock:
                b.counts["polls"] += 1
                batch = b.batches.get(m.group(1))
                if batch is None:
                    return self._send(404, {"error": {"message": "no such batch"}})
                return self._send(200, self._openai_batch(batch))
        if m := GEMINI_GET.match(self.path):
            if not self._key_ok(True):
                return
            with b.lock:
                b.counts["gemini_polls"] += 1
                batch = b.batches.get("batches/" + m.group(1))
                if batch is None:
                    return self._error(True, 404, "no such batch")
                return self._send(200, self._gemini_batch(batch))
        return super().do_GET()

    def do_POST(self) -> None:
        b = self.server.batch
        if self.path == "/v1/files":
            if not self._key_ok(False):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                return
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            msg = email.parser.BytesParser().parsebytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw)
            fields = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                      for part in msg.get_payload()}
            with b.lock:
                b.counts["uploads"] += 1
                fid = f"file-{hashlib.sha256(fields['file']).hexdigest()[:12]}-{next(b.file_ids)}"
                b.files[fid] = fields["file"]
            return self._send(200, {"id": fid, "object": "file", "bytes": len(fields["file"]),
                                    "created_at": int(time.time()), "filename": "requests.jsonl",
                                    "purpose": fields["purpose"].decode(), "status": "processed"})
        if self.path == "/v1/batches":
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self._key_ok(False):
                return
            body = json.loads(raw)
            with b.lock:
                data = b.files.get(body["input_file_id"])
                if data is None:
                    return self._send(404, {"error": {"message": "no such file"}})
                lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
                b.counts["creates"] += 1
                b.counts["requests"] += len(lines)
                batch = b.new_batch("openai", [(x["custom_id"], x["body"]) for x in lines],
                                    {"input_file_id": body["input_file_id"], "endpoint": body["endpoint"],
                                     "metadata": body.get("metadata")})
                if b.drop_create:
                    b.drop_create -= 1
                    self.close_connection = True
                    return
                return self._send(200, self._openai_batch(batch))
        if m := GEMINI_BATCH.match(self.path):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self._key_ok(True):
                return
            body = json.loads(raw)["batch"]
            items = body["inputConfig"]["requests"]["requests"]
            with b.lock:
                b.counts["gemini_creates"] += 1
                b.counts["gemini_requests"] += len(items)
                batch = b.new_batch("gemini", [(x["metadata"]["key"], x["request"]) for x in items],
                                    {"model": m.group(1), "display_name": body.get("displayName"),
                                     "metadata": [x.get("metadata") for x in items]})
                if b.drop_create:
                    b.drop_create -= 1
                    self.close_connection = True
                    return
                return self._send(200, self._gemini_batch(batch))
        return super().do_POST()

    # --- answers ----------------------------------------------------------------------------------
    def _finish(self, batch: dict) -> None:
        """Work out every request's outcome once, when the batch's time is up."""
        if batch["result"] is not None:
            return
        reqs = batch["requests"]
        if batch["ending"] == "fail":
            batch["result"] = []
            return
        answered = len(reqs) // 2 if batch["ending"] == "expire" else len(reqs)
        out = []
        for i, (rid, body) in enumerate(reqs):
            if i >= answered:
                out.append((rid, None, None))  # expired before it ran
                continue
            gemini = batch["kind"] == "gemini"
            prompt = body["contents"][-1]["parts"][0]["text"] if gemini else \
                [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
            faults = _faults(prompt)
            if "400" in faults:
                out.append((rid, 400, "invalid request"))
            elif "500" in faults and self.server.batch.attempts[rid] <= faults["500"][0]:
                out.append((rid, 500, "server error"))
            else:
                with self.server.state.lock:
                    self.server.state.answered.append(prompt)
                ans = self._gemini(prompt, body, batch["model"], faults) if gemini else self._openai(prompt, body, faults)
                out.append((rid, 200, ans))
        batch["result"] = out
        if batch["kind"] == "openai":
            b = self.server.batch
            ok = [{"id": f"req_{i}", "custom_id": rid, "error": None,
                   "response": {"status_code": 200, "request_id": f"r{i}", "body": ans}}
                  for i, (rid, code, ans) in enumerate(out) if code == 200]
            bad = [{"id": f"req_{i}", "custom_id": rid,
                    "response": None if code is None else {"status_code": code, "request_id": f"r{i}",
                                                           "body": {"error": {"message": ans, "type": "stub"}}},
                    "error": {"code": "batch_expired", "message": "not run before the batch expired"} if code is None else None}
                   for i, (rid, code, ans) in enumerate(out) if code != 200]
            for name, rows in (("output", ok), ("error", bad)):
                if rows:
                    fid = f"file-{name}-{batch['id']}"
                    b.files[fid] = "".join(json.dumps(r) + "\n" for r in rows).encode()
                    batch[f"{name}_file_id"] = fid

    def _openai_batch(self, batch: dict) -> dict:
        delay = self.server.batch.delay
        progress = _progress(batch, delay)
        total = len(batch["requests"])
        status, completed, failed = "in_progress", int(total * progress * 0.9), 0
        if progress >= 1.0:
            self._finish(batch)
            status = {"fail": "failed", "expire": "expired", "complete": "completed"}[batch["ending"]]
            completed = sum(code == 200 for _, code, _ in batch["result"])
            failed = len(batch["result"]) - completed
        out = {"id": batch["id"], "object": "batch", "endpoint": batch["endpoint"], "completion_window": "24h",
               "input_file_id": batch["input_file_id"], "created_at": int(batch["created"]), "status": status,
               "metadata": batch["metadata"], "output_file_id": batch.get("output_file_id"),
               "error_file_id": batch.get("error_file_id"),
               "request_counts": {"total": total, "completed": completed, "failed": failed}}
        if status == "failed":
            out["errors"] = {"object": "list", "data": [{"code": "invalid_file", "message": "stub validation failure"}]}
        return out

    def _gemini_batch(self, batch: dict) -> dict:
        progress = _progress(batch, self.server.batch.delay)
        meta = {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
                "model": f"models/{batch['model']}", "displayName": batch["display_name"], "name": batch["id"],
                "createTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(batch["created"])),
                "state": "BATCH_STATE_PENDING" if progress < 0.2 else "BATCH_STATE_RUNNING"}
        done = False
        if progress >= 1.0:
            self._finish(batch)
            done = True
            meta["state"] = {"fail": "BATCH_STATE_FAILED", "expire": "BATCH_STATE_EXPIRED",
                             "complete": "BATCH_STATE_SUCCEEDED"}[batch["ending"]]
            responses = []
            for (rid, code, ans), md in zip(batch["result"], batch["metadata"]):
                if code is None:
                    continue  # expired before it ran: no entry at all
                if code == 200:
                    responses.append({"response": ans, "metadata": md})
                else:
                    responses.append({"error": {"code": 13 if code >= 500 else 3, "message": ans}, "metadata": md})
            if batch["ending"] != "fail":
                meta["output"] = {"inlinedResponses": {"inlinedResponses": responses}}
        return {"name": batch["id"], "metadata": meta, "done": done}


class BatchStubServer(StubHTTPServer):
    def __init__(self, port: int = 0, latency: float = 0.0, api_key: str | None = None, delay: float = 0.5,
                 expire: int = 0, fail: int = 0):
        super().__init__(port, latency, api_key)
        self.RequestHandlerClass = BatchHandler
        self.batch = BatchState(delay, expire, fail)

    def counts(self) -> dict:
        with self.batch.lock:
            return dict(self.batch.counts)
