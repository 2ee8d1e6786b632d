"""Every reader, fuzzed for a few seconds: random bytes and valid files with things inserted
(deep nesting, NaN, numbers too large, wrong types, quotes, byte order marks, NULs) either
parse or are refused with the app's own error, naming the file (tests/fuzz.py).

For longer, before a release: ``python -m tests.fuzz --minutes 10``.
"""

from __future__ import annotations

import pytest

from tests.fuzz import READERS, fuzz

EXAMPLES = 200
"""Per reader: about a second each."""


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_reader_parses_or_refuses_any_bytes(name: str) -> None:
    fuzz(READERS[name], EXAMPLES)
