"""The canonical JSON an import stores, and its hash, made the fast way (``canonical_case``):
byte for byte what ``canonical_json(case_to_dict(case))`` gives, for any case a file can hold.
Case hashes are compared across files and workspaces, so a single byte apart would split one
case into two."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.domain.model import Case, Rating, Verdict
from annotator.domain.serialize import (
    canonical_case,
    canonical_json,
    case_to_dict,
    hash_of_canonical,
    rater_labels_json,
    search_text,
)
from annotator.formats.normalize import Invalid, normalize

# Text with what JSON escapes (quotes, backslashes, control characters), what it does not (DEL,
# the line and paragraph separators), accents, characters beyond the BMP and lone surrogates
# (which neither writes: they must fail alike).
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(['"', "\\", "/", "\x00", "\x1f", "\x7f", "\u2028", "\u2029", "\t", "\n"]),
        st.characters(),
    ),
    max_size=12,
)
_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-05, 1e-4, 2.5e-07, 1e16, 1e15, 1e22, -0.0, 0.1 + 0.2, 5e-324]),
)
_INTS = st.one_of(
    st.integers(),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40]),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _INTS, _FLOATS, _TEXT)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_TEXT, inner, max_size=4),
        st.tuples(inner, inner),  # (json writes a tuple as a list; orjson refuses it)
    ),
    max_leaves=12,
)


def _same(case: Case) -> None:
    try:
        expected = canonical_json(case_to_dict(case))
        expected_hash = hash_of_canonical(expected)
    except (ValueError, TypeError) as exc:  # (a lone surrogate cannot be hashed)
        try:
            canonical_case(case)
        except type(exc):
            return
        raise AssertionError(f"canonical_case did not fail as json does ({exc!r})") from None
    assert canonical_case(case) == (expected, expected_hash)


@settings(max_examples=400, deadline=None)
@given(
    record=st.fixed_dictionaries(
        {
            "id": st.one_of(_TEXT, st.integers(), st.floats()),
            "input": st.one_of(_TEXT, _JSON),
            "judge": st.one_of(
                _TEXT,
                st.fixed_dictionaries(
                    {"label": _TEXT},
                    optional={
                        "rationale": _JSON,
                        "score": st.one_of(_FLOATS, _INTS, _TEXT),
                        "model": _TEXT,
                    },
                ),
            ),
        },
        optional={
            "criterion": _TEXT,
            "output": _JSON,
            "outputs": st.one_of(st.dictionaries(_TEXT, _JSON, max_size=3), st.lists(_JSON)),
            "reference": _JSON,
            "ratings": st.one_of(
                st.lists(
                    st.one_of(
                        _TEXT,
                        st.fixed_dictionaries(
                            {"rater": _TEXT, "label": _TEXT}, optional={"comment": _JSON}
                        ),
                    )
                ),
                st.dictionaries(_TEXT, _TEXT, max_size=4),
            ),
            "meta": _JSON,
        },
    )
)
def test_a_normalized_record_gives_the_same_bytes(record: dict[str, Any]) -> None:
    """Any record a reader accepts, normalized as the import does."""
    try:
        case = normalize(record)
    except (Invalid, OverflowError):
        return
    _same(case)


@settings(max_examples=400, deadline=None)
@given(
    meta=st.dictionaries(_TEXT, _JSON, max_size=5),
    score=st.one_of(st.none(), _FLOATS),
    raters=st.lists(st.tuples(_TEXT, _TEXT, _TEXT), max_size=3),
)
def test_any_meta_and_score_give_the_same_bytes(
    meta: dict[str, Any], score: float | None, raters: list[tuple[str, str, str]]
) -> None:
    """Every JSON value in ``meta`` (nested, floats written with an exponent, NaN, integers
    beyond 64 bits, tuples) and any score."""
    judge = Verdict("pass", "why", score, "m")
    case = Case("c1", "the input", judge, tuple(Rating(*r) for r in raters), meta=meta)
    _same(case)


def test_values_orjson_writes_otherwise_use_json() -> None:
    """The values where the two differ, each in place."""
    for value in (1e-05, 2.5e-07, 1e300, math.inf, math.nan, 2**64, -(2**63) - 1, (1, 2)):
        case = Case("c1", "x", Verdict("pass"), meta={"v": value, "deep": [{"v": value}]})
        _same(case)
        if isinstance(value, float):
            _same(Case("c1", "x", Verdict("pass", score=value)))


@settings(max_examples=300, deadline=None)
@given(raters=st.lists(st.tuples(_TEXT, _TEXT), max_size=5))
def test_rater_labels_are_json_dumps(raters: list[tuple[str, str]]) -> None:
    """The ``rater_labels`` column: what ``json.dumps`` of the pairs gives (surrogates too)."""
    ratings = [Rating(rater, label) for rater, label in raters]
    expected = json.dumps([[r.rater, r.label] for r in ratings], ensure_ascii=False)
    assert rater_labels_json(ratings) == expected


@settings(max_examples=300, deadline=None)
@given(meta=st.dictionaries(_TEXT, _JSON, max_size=4))
def test_meta_values_in_the_search_text_are_json_dumps(meta: dict[str, Any]) -> None:
    """A meta value in the search text: itself when text, else ``json.dumps`` of it."""
    case = Case("c1", "the input", Verdict("pass"), meta=meta)
    try:
        shown = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                 for v in meta.values()]  # fmt: skip
    except ValueError:  # (an integer too long to write: both fail)
        return
    expected = "\n".join(p for p in ["c1", "the input", *shown] if p).casefold()
    assert search_text(case) == expected
