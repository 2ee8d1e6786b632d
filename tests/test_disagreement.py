"""Domain rules: every disagreement kind, ordinal thresholds, majority ties, who was right."""

from __future__ import annotations

import pytest

from annotator.domain.disagreement import classify, consensus, who_was_right
from annotator.domain.model import Kind, LabelScheme, WhoRight

PF = LabelScheme(("fail", "pass"))
AB = LabelScheme(("A", "B", "tie"))
SCALE = LabelScheme(("1", "2", "3", "4", "5"), ordinal=True, threshold=1)
EXACT = LabelScheme(("1", "2", "3", "4", "5"), ordinal=True, threshold=0)
WORDS = LabelScheme(("poor", "fair", "good", "great"), ordinal=True, threshold=1)


@pytest.mark.parametrize(
    ("judge", "raters", "scheme", "kind"),
    [
        ("pass", [], PF, Kind.UNRATED),
        ("pass", ["fail"], PF, Kind.JUDGE_VS_ALL),
        ("pass", ["fail", "fail", "fail"], PF, Kind.JUDGE_VS_ALL),
        ("A", ["B", "tie"], AB, Kind.JUDGE_VS_ALL),
        ("pass", ["fail", "fail", "pass"], PF, Kind.JUDGE_VS_MAJORITY),
        ("A", ["B", "B", "A"], AB, Kind.JUDGE_VS_MAJORITY),
        ("pass", ["pass", "fail"], PF, Kind.RATERS_SPLIT),
        ("A", ["A", "B", "tie"], AB, Kind.RATERS_SPLIT),
        ("pass", ["pass", "pass", "fail"], PF, Kind.RATERS_SPLIT),
        ("pass", ["pass"], PF, Kind.AGREEMENT),
        ("tie", ["tie", "tie"], AB, Kind.AGREEMENT),
    ],
)
def test_nominal_kinds(judge: str, raters: list[str], scheme: LabelScheme, kind: Kind) -> None:
    assert classify(judge, raters, scheme).kind is kind


def test_majority_tie_has_no_consensus() -> None:
    # 2–2 tie: no majority, so the judge siding with one half is a raters' split.
    assert consensus(["A", "A", "B", "B"], AB) is None
    result = classify("B", ["A", "A", "B", "B"], AB)
    assert result.kind is Kind.RATERS_SPLIT
    assert result.consensus is None
    assert result.against == 2
    # ...and a judge outside both halves disagrees with every rater.
    assert classify("tie", ["A", "A", "B", "B"], AB).kind is Kind.JUDGE_VS_ALL


def test_strict_majority_needed() -> None:
    assert consensus(["A", "A", "B"], AB) == "A"
    assert consensus(["A", "B"], AB) is None


@pytest.mark.parametrize(
    ("judge", "raters", "kind"),
    [
        ("4", ["5"], Kind.AGREEMENT),  # distance 1 is within the threshold
        ("3", ["5"], Kind.JUDGE_VS_ALL),  # distance 2 is not
        ("5", ["2", "3"], Kind.JUDGE_VS_ALL),
        ("5", ["2", "3", "5"], Kind.JUDGE_VS_MAJORITY),  # median 3, judge 2 away
        ("3", ["3", "4", "4"], Kind.AGREEMENT),  # every rater within 1
        ("3", ["1", "3", "5"], Kind.RATERS_SPLIT),  # median 3 = judge; raters 4 apart
        ("5", ["3", "4"], Kind.JUDGE_VS_MAJORITY),  # median 3.5, judge 1.5 away
    ],
)
def test_ordinal_threshold(judge: str, raters: list[str], kind: Kind) -> None:
    assert classify(judge, raters, SCALE).kind is kind


def test_ordinal_even_split_has_no_consensus() -> None:
    exact = LabelScheme(("1", "2", "3", "4", "5"), ordinal=True, threshold=0)
    assert consensus(["1", "5"], exact) is None
    result = classify("1", ["1", "5"], exact)
    assert result.kind is Kind.RATERS_SPLIT  # not "vs majority": there is no majority
    assert result.consensus is None
    assert who_was_right("3", "3", ["1", "5"], exact) is WhoRight.JUDGE  # no rater said 3
    # Two middle raters within the threshold do agree, on their midpoint.
    assert consensus(["3", "4"], SCALE) == 3.5
    assert classify("5", ["3", "4"], SCALE).kind is Kind.JUDGE_VS_MAJORITY


def test_threshold_zero_is_exact() -> None:
    assert classify("4", ["5"], EXACT).kind is Kind.JUDGE_VS_ALL
    assert classify("4", ["5"], SCALE).kind is Kind.AGREEMENT


def test_ordinal_words_use_positions() -> None:
    assert WORDS.distance("poor", "great") == 3
    assert classify("poor", ["good", "great"], WORDS).kind is Kind.JUDGE_VS_ALL
    assert classify("fair", ["good"], WORDS).kind is Kind.AGREEMENT


def test_severity_orders_more_humans_and_wider_gaps_first() -> None:
    three_against = classify("pass", ["fail", "fail", "fail"], PF).severity
    one_against = classify("pass", ["fail"], PF).severity
    majority = classify("pass", ["fail", "fail", "pass"], PF).severity
    split = classify("pass", ["pass", "fail"], PF).severity
    agreement = classify("pass", ["pass"], PF).severity
    assert three_against > one_against > majority > split > agreement
    wide = classify("1", ["5"], SCALE).severity
    narrow = classify("3", ["5"], SCALE).severity
    assert wide > narrow


@pytest.mark.parametrize(
    ("final", "judge", "raters", "scheme", "who"),
    [
        ("fail", "pass", ["fail", "fail"], PF, WhoRight.RATERS),
        ("pass", "pass", ["fail", "fail"], PF, WhoRight.JUDGE),
        ("pass", "pass", ["pass"], PF, WhoRight.BOTH),
        ("tie", "A", ["B", "B"], AB, WhoRight.NEITHER),
        ("B", "A", ["A", "B"], AB, WhoRight.RATERS),  # no consensus: one rater had it
        ("A", "A", ["A", "B"], AB, WhoRight.BOTH),
        ("2", "5", ["2", "3"], SCALE, WhoRight.RATERS),
        ("4", "5", ["3", "4"], SCALE, WhoRight.BOTH),  # within 1 of the judge and the median
        ("1", "5", ["3", "3"], SCALE, WhoRight.NEITHER),
    ],
)
def test_who_was_right(
    final: str, judge: str, raters: list[str], scheme: LabelScheme, who: WhoRight
) -> None:
    assert who_was_right(final, judge, raters, scheme) is who


def test_label_canonical_is_case_insensitive() -> None:
    assert PF.canonical("PASS") == "pass"
    assert PF.canonical("maybe") is None
