"""Key redaction happens before an error message is cut to its length limit (issue #18, item 4)."""

from __future__ import annotations

import pytest

from cotdistill.teachers.engine import ERROR_CHARS, redact

KEY = "sk-live-0123456789abcdefghijklmnop"


@pytest.mark.parametrize("start", [ERROR_CHARS - len(KEY) + 1, ERROR_CHARS - 10, ERROR_CHARS - 1])
def test_a_key_straddling_the_cut_leaves_no_prefix(start):
    text = "x" * start + KEY + " and more text after the key"
    out = redact(text, KEY)
    assert len(out) <= ERROR_CHARS
    for n in range(4, len(KEY) + 1):  # not even a 4-character prefix of the key survives
        assert KEY[:n] not in out
    assert out == ("x" * start + "[REDACTED] and more text after the key")[:ERROR_CHARS]
    assert out.startswith("x" * start)


def test_every_occurrence_is_redacted_and_short_text_is_kept():
    assert redact(f"{KEY} then {KEY}", KEY) == "[REDACTED] then [REDACTED]"
    assert redact("plain", None) == "plain"
    assert redact("y" * (ERROR_CHARS + 50), KEY) == "y" * ERROR_CHARS
