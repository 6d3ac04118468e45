"""What the API backends share: how an exception is classified for the engine's retry loop."""

from __future__ import annotations

import email.utils
import time

MAX_RETRY_AFTER_S = 600.0
RETRY_STATUS = (408, 409, 429)  # and every 5xx
FATAL_STATUS = (401, 403, 404)  # bad key, no access, no such model: no request of the stage can succeed


class MalformedResponse(Exception):
    """A 200 response that does not hold a completion."""


def parse_retry_after(headers) -> float | None:
    """Seconds from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date); None when absent."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return min(MAX_RETRY_AFTER_S, max(0.0, float(value) * scale))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
            return min(MAX_RETRY_AFTER_S, max(0.0, when - time.time()))
        except (TypeError, ValueError):
            pass
    return None


class RemoteBackend:
    """Subclasses set ``provider`` and implement ``start``, ``aclose``, ``acomplete``, ``status`` and ``transient``."""

    cacheable = True

    def __init__(self, config):
        self.config = config
        self.model = config.model
        self.base_url = config.base_url
        self.client = None

    def status(self, exc: BaseException) -> int | None:
        """The HTTP status an SDK exception carries, or None (transport errors, malformed bodies)."""
        raise NotImplementedError

    def transient(self, exc: BaseException) -> bool:
        """A status-less failure worth retrying (timeout, reset connection, body that is not JSON)."""
        return isinstance(exc, (MalformedResponse, ValueError, TimeoutError, ConnectionError))

    def retryable(self, exc: BaseException) -> bool:
        code = self.status(exc)
        return self.transient(exc) if code is None else (code in RETRY_STATUS or code >= 500)

    def rate_limited(self, exc: BaseException) -> bool:
        return self.status(exc) == 429

    def fatal(self, exc: BaseException) -> bool:
        return self.status(exc) in FATAL_STATUS

    def retry_after(self, exc: BaseException) -> float | None:
        return parse_retry_after(getattr(getattr(exc, "response", None), "headers", None))
