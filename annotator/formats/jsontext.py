"""JSON text read with the json module, bounded: what every case-file reader parses through.

``json.loads`` alone recurses once per level of nesting (a line of 5,000 ``[`` ends in a
RecursionError), reads ``NaN`` and ``Infinity``, turns ``1e999`` into an infinite float and keeps
a lone surrogate (``"\\ud800"``) that no UTF-8 file or database can hold. :func:`loads` refuses
all of these with a :class:`JsonError` saying why, so that a reader reports it as a problem
of the file or the line. (The labelled and merged files are read with orjson, which refuses
them by itself and stops at 1,024 levels.)
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 100
"""How deeply objects and arrays may nest. Case files nest a few levels (a chat's messages and
their parts); the bound keeps every later step (display, hashing, storage) far from Python's
recursion limit, on any thread."""


class JsonError(ValueError):
    """The text is not JSON the app reads; the message says why (with the column if known),
    ``line`` where (in text of several lines) when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def loads(text: str | bytes) -> Any:
    """``json.loads`` with the bounds above. Raises :class:`JsonError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise JsonError(f"not valid UTF-8 (byte 0x{text[e.start]:02x})") from None
    check_depth(text)
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise JsonError(f"{e.msg} at column {e.colno}", e.lineno) from None
    except RecursionError:  # (not reached: check_depth bounds the nesting first)
        raise JsonError(f"nested more than {MAX_DEPTH} levels deep") from None
    except JsonError:
        raise
    except ValueError as e:  # an integer of more than 4,300 digits
        raise JsonError(str(e)) from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(value):
        raise JsonError("a lone surrogate (\\ud800-\\udfff) is not a character")
    return value


def value_at(text: str, pos: int) -> tuple[Any, int] | None:
    """The JSON value that starts at ``text[pos]`` and where it ends, when it is read at once
    within :func:`loads`' bounds (at most :data:`MAX_DEPTH` brackets, no surrogate escape);
    else None, and the caller finds where the value ends itself and gives it to :func:`loads`,
    which reads it or says why not. For readers of a document of many values (a JSON array):
    the values are read in place, without a copy each."""
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError):  # JSONDecodeError, JsonError: loads will say
        return None
    if text.count("[", pos, end) + text.count("{", pos, end) > MAX_DEPTH:
        return None
    surrogate = text.find("\\u", pos, end) >= 0 and _SURROGATE_ESCAPE.search(text, pos, end)
    if surrogate and has_lone_surrogate(value):
        return None
    return value, end


def check_depth(text: str) -> None:
    """Refuse text whose objects and arrays nest deeper than :data:`MAX_DEPTH`.

    Counting brackets is enough for nearly every line (two passes in C); only a line with
    more brackets than the bound is walked, bracket by bracket, skipping strings.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _TOKEN.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                at = match.start()
                line = text.count("\n", 0, at) + 1
                column = at - text.rfind("\n", 0, at)
                message = f"nested more than {MAX_DEPTH} levels deep at column {column}"
                raise JsonError(message, line)
        elif char in "]}":
            depth -= 1


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
"""A string (to skip; an unclosed one runs to the end) or a bracket."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def has_lone_surrogate(value: Any) -> bool:
    """Whether a string in ``value`` (keys included) holds a lone surrogate."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _no_constant(name: str) -> Any:
    raise JsonError(f"{name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonError(f"the number {text[:20]} is too large")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
"""Made once: ``json.loads`` with arguments makes a decoder on every call."""


def describe(value: Any) -> str:
    """A value as a message shows it: short JSON for a plain value, else what it is (never
    the whole of a large or deeply nested one)."""
    if isinstance(value, str):
        return json.dumps(value[:40] + ("…" if len(value) > 40 else ""), ensure_ascii=False)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)[:40]
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
