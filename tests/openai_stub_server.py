"""A real HTTP server on 127.0.0.1 speaking OpenAI chat completions and Gemini generateContent.

Used by the tests and the throughput benchmark. Answers are a deterministic function of the request.
Faults are injected per prompt by directives in the last user message, counted per distinct body so
retries see them go away:

    [[429:N:S]]   the first N attempts get 429 with ``Retry-After: S`` (seconds, may be fractional)
    [[500:N]]     the first N attempts get 500
    [[drop:N]]    the first N attempts: connection closed without a response
    [[badjson:N]] the first N attempts: 200 with a body that is not JSON
    [[slow:N:S]]  the first N attempts sleep S seconds before answering
    [[length]]    answer cut off (finish_reason "length" / "MAX_TOKENS")
    [[empty]]     empty answer
    [[400]]       always 400 (not retryable)
    [[reasoning]] the message also carries ``reasoning_content``

Run standalone: ``python tests/openai_stub_server.py --latency 0.2`` prints ``PORT <n>``; GET ``/_stats``
returns what was received, POST ``/_reset`` forgets it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIRECTIVE = re.compile(r"\[\[(\w+)(?::([\d.]+))?(?::([\d.]+))?\]\]")
GEMINI_PATH = re.compile(r"^/v1beta/models/([^/:]+):generateContent$")


class State:
    def __init__(self, latency: float = 0.0, api_key: str | None = None):
        self.latency = latency
        self.api_key = api_key  # when set, requests must carry it; a wrong one gets a 401 that echoes it
        self.lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.received: list[str] = []  # prompt of every request, in arrival order
        self.answered: list[str] = []  # prompt of every 200 answer
        self.bodies: list[dict] = []  # every parsed request body

    def reset(self) -> None:
        with self.lock:
            self.attempts.clear()
            self.received.clear()
            self.answered.clear()
            self.bodies.clear()

    def stats(self) -> dict:
        with self.lock:
            return {"received": list(self.received), "answered": list(self.answered), "bodies": list(self.bodies)}


def _faults(prompt: str) -> dict[str, tuple[float, float]]:
    return {m.group(1): (float(m.group(2) or 1), float(m.group(3) or 0)) for m in DIRECTIVE.finditer(prompt)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "StubHTTPServer"

    def setup(self) -> None:
        super().setup()  # no Nagle: headers and body go out at once, not 40 ms apart (delayed ACK)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, payload, headers: dict | None = None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/_stats":
            return self._send(200, self.server.state.stats())
        self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        state = self.server.state
        if self.path == "/_reset":
            state.reset()
            return self._send(200, {})
        gemini = GEMINI_PATH.match(self.path)
        if not gemini and not self.path.endswith("/chat/completions"):
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        body = json.loads(raw)
        if gemini:
            prompt = body["contents"][-1]["parts"][0]["text"]
            key = self.headers.get("x-goog-api-key")
        else:
            prompt = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
            key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        digest = hashlib.sha256(raw).hexdigest()
        with state.lock:
            state.received.append(prompt)
            state.bodies.append(body)
            attempt = state.attempts.get(digest, 0) + 1
            state.attempts[digest] = attempt
        if state.api_key is not None and key != state.api_key:
            return self._error(gemini, 401, f"Incorrect API key provided: {key}")
        faults = _faults(prompt)
        delay = state.latency
        if "slow" in faults and attempt <= faults["slow"][0]:
            delay += faults["slow"][1] or 5.0
        if delay:
            time.sleep(delay)
        if "400" in faults:
            return self._error(gemini, 400, "invalid request")
        if "429" in faults and attempt <= faults["429"][0]:
            return self._error(gemini, 429, "rate limited", {"Retry-After": str(faults["429"][1] or 1)})
        if "500" in faults and attempt <= faults["500"][0]:
            return self._error(gemini, 500, "server error")
        if "drop" in faults and attempt <= faults["drop"][0]:
            self.close_connection = True
            return
        if "badjson" in faults and attempt <= faults["badjson"][0]:
            return self._send(200, b'{"id": "x", "choices": [{"message": ')
        with state.lock:
            state.answered.append(prompt)
        if gemini:
            return self._send(200, self._gemini(prompt, body, gemini.group(1), faults))
        return self._send(200, self._openai(prompt, body, faults))

    def _error(self, gemini, status: int, message: str, headers: dict | None = None) -> None:
        if gemini:
            names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}
            err = {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}
        else:
            err = {"error": {"message": message, "type": "stub_error", "code": status}}
        self._send(status, err, headers)

    @staticmethod
    def _text(prompt: str, seed, faults) -> tuple[str, bool]:
        if "empty" in faults:
            return "", False
        text = f"Echo: {prompt}" + (f" [seed {seed}]" if seed is not None else "")
        if "length" in faults:
            return text[: len(text) // 2], True
        return text, False

    def _openai(self, prompt: str, body: dict, faults) -> dict:
        choices = []
        for i in range(body.get("n") or 1):
            text, cut = self._text(prompt, body.get("seed"), faults)
            text = text if i == 0 else f"{text} [choice {i}]"
            message = {"role": "assistant", "content": text}
            if "reasoning" in faults:  # a reasoning model's extra field (vLLM, DeepSeek)
                message["reasoning_content"] = "Let me think."
            choices.append({"index": i, "message": message, "finish_reason": "length" if cut else "stop"})
        prompt_tokens = sum(len(str(m["content"]).split()) for m in body["messages"])
        completion_tokens = sum(len(c["message"]["content"].split()) for c in choices)
        return {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }

    def _gemini(self, prompt: str, body: dict, model: str, faults) -> dict:
        cfg = body.get("generationConfig") or {}
        text, cut = self._text(prompt, cfg.get("seed"), faults)
        prompt_tokens = sum(len(p["text"].split()) for c in body["contents"] for p in c["parts"])
        completion_tokens = len(text.split())
        return {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": "MAX_TOKENS" if cut else "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": completion_tokens,
                              "totalTokenCount": prompt_tokens + completion_tokens},
            "modelVersion": model,
        }


class StubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, port: int = 0, latency: float = 0.0, api_key: str | None = None):
        super().__init__(("127.0.0.1", port), Handler)
        self.state = State(latency, api_key)
        self.thread: threading.Thread | None = None

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):  # a client gave up
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "StubHTTPServer":
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    p.add_argument("--api-key", default=None, help="require this key")
    args = p.parse_args(argv)
    server = StubHTTPServer(args.port, args.latency, args.api_key)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
