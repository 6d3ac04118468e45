"""Closed settings blocks: a dataclass per config block, built by one ``from_dict`` that rejects unknown
keys with a one-line error naming the key and, for a likely typo, the closest valid key:

    experiments.undo.max_round: unknown key (did you mean max_rounds?)
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def did_you_mean(key: str, known) -> str:
    """`` (did you mean x?)`` for the closest known key, else the known keys."""
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(sorted(known))})"


def check_keys(block: dict, known, where: str) -> None:
    """Raise ConfigError naming the first unknown key of ``block``."""
    if not isinstance(block, dict):
        raise ConfigError(f"{where}: a mapping, not {block!r}")
    for key in block:
        if key not in known:
            raise ConfigError(f"{where}.{key}: unknown key{did_you_mean(key, known)}")


def check_choice(value, allowed, key: str) -> None:
    """For ``__post_init__``: ValueError ``key: must be one of ...`` (``from_dict`` prefixes the block)."""
    if value not in allowed:
        raise ValueError(f"{key}: must be one of {', '.join(map(str, allowed))}, got {value!r}")


def _nested(tp):
    """The dataclass type that a field holds (``Sub`` or ``Sub | None``), else None."""
    if dataclasses.is_dataclass(tp):
        return tp
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if dataclasses.is_dataclass(arg):
                return arg
    return None


def from_dict(cls: type[T], block: dict | None, where: str) -> T:
    """``cls(**block)`` after checking that every key is a field; nested dataclass fields are built the same
    way (``where.key``). Errors raised by ``cls`` validation (``__post_init__``) that are not yet a
    ConfigError are re-raised as one, prefixed with ``where`` unless they already name it."""
    block = {} if block is None else block
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    check_keys(block, fields, where)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in block.items():
        sub = _nested(hints.get(key))
        kwargs[key] = from_dict(sub, value, f"{where}.{key}") if sub is not None and isinstance(value, dict) else value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:  # ConfigError included: a nested block's message gets the prefix
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(where) else f"{where}.{msg}") from None
