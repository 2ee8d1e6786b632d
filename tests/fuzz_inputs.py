"""The inputs of tests/fuzz.py: random bytes, and valid files with a few mutations.

A mutation inserts bytes that readers trip on (deep nesting, NaN, numbers too large, lone
surrogates, quotes, byte order marks, NULs, line ends), deletes a few, gives a field of a JSON
line a value of another type or outside its domain, or changes the whole file (CR line ends,
the file twice, UTF-16).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

SPECIALS = [
    b"[" * 5000, b"{\"a\":" * 1100, b"[" * 101 + b"]" * 101, b"NaN", b"-Infinity", b"1e999",
    b"1" + b"0" * 400, b"9" * 5000, b"\"\\ud800\"", b"\"\\udc00\\ud800\"", b'"', b'""', b"\x00",
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff", b"\xe9", b"\xc3", b"\r", b"\n", b"\r\n",
    b",", b";", b"\t", b"{", b"}", b"[", b"]", b":", b"null", b"true", b"0", b"-1", b"1.5",
    b"[]", b"{}", b'"martians"', b'"high"', b'["a", 1]', b'{"a": "b"}', b'{"project": {}}',
]  # fmt: skip
WRONG_VALUES = [
    None, True, 0, -1, 3, 1.5, 1e300, "", " ", "martians", "high", "judge", "fail", "pass",
    "x" * 300, [], [1], ["a", "a"], ["fail", "pass"], [["a"]], {}, {"a": 1}, {"a": "fail"},
    {"label": "fail"}, {"reviewer": "x", "label": "fail"},
]  # fmt: skip
_MARK = "\x01MARK\x01"


def _insert(data: bytes, at: float, what: bytes) -> bytes:
    i = int(at * len(data))
    return data[:i] + what + data[i:]


def _delete(data: bytes, at: float, length: int) -> bytes:
    i = int(at * len(data))
    return data[:i] + data[i + length :]


def _set_field(data: bytes, at: float, key_at: float, value: Any, raw: bytes) -> bytes:
    """Give a key of one JSON line another value (``raw`` when ``value`` is the marker)."""
    lines = data.split(b"\n")
    n = int(at * len(lines)) % len(lines)
    try:
        record = json.loads(lines[n])
    except (ValueError, RecursionError):  # (not JSON, or already nested too deeply)
        return data
    if not isinstance(record, dict) or not record:
        return data
    node = record
    if isinstance(record.get("project"), dict):
        node = record["project"]
    elif key_at > 0.7 and isinstance(record.get("reviews"), list) and record["reviews"]:
        node = record["reviews"][0] if isinstance(record["reviews"][0], dict) else record
    keys = list(node) + ["new"]
    node[keys[int(key_at * len(keys)) % len(keys)]] = value
    try:
        text = json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except RecursionError:
        return data
    lines[n] = text.replace(json.dumps(_MARK).encode(), raw)
    return b"\n".join(lines)


def _one_of(values: list[Any]) -> st.SearchStrategy[Any]:
    """``sampled_from``, shown short (the values are up to several kB)."""
    return st.integers(0, len(values) - 1).map(values.__getitem__)


def _mutation() -> st.SearchStrategy[Callable[[bytes], bytes]]:
    unit = st.floats(0, 1)
    values = _one_of(WRONG_VALUES) | st.just(_MARK)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=8,
    )
    raw = _one_of(SPECIALS) | st.binary(max_size=8)
    return st.one_of(
        st.builds(lambda at, w: lambda d: _insert(d, at, w), unit, raw),
        st.builds(lambda at, n: lambda d: _delete(d, at, n), unit, st.integers(1, 40)),
        st.builds(
            lambda at, k, v, r: lambda d: _set_field(d, at, k, v, r),
            unit,
            unit,
            values | json_values,
            _one_of(SPECIALS),
        ),
        st.just(lambda d: d.replace(b"\n", b"\r")),
        st.just(lambda d: d + d),
        st.just(lambda d: d.decode("utf-8", "replace").encode("utf-16")),
    )


def inputs(seeds: tuple[bytes, ...]) -> st.SearchStrategy[bytes]:
    """Random bytes, and valid files (``seeds``) with a few mutations."""

    def mutate(seed: bytes, changes: list[Callable[[bytes], bytes]]) -> bytes:
        for change in changes:
            seed = change(seed)
        return seed

    mutated = st.builds(mutate, _one_of(list(seeds)), st.lists(_mutation(), max_size=4))
    return st.one_of(st.binary(max_size=600), mutated, mutated)
