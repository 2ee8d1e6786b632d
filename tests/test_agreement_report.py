"""The agreement report of merged cases: figures per criterion, the overruled report, tags,
reproducible intervals, and renderers that show the numbers and escape user text."""

from __future__ import annotations

import json
import math
import re
import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotator.domain.merge import MergedCase, Review, Scale
from annotator.services.agreement import (
    AgreementReport,
    CriterionReport,
    build_report,
    render_html,
    render_markdown,
    render_text,
    report_to_json,
    report_to_json_text,
)

PF = Scale(("fail", "pass"))
FIVE = Scale(("1", "2", "3", "4", "5"), ordinal=True)
EVIL = "<script>alert('x')</script> & | *bold*"


def case(
    case_id: str,
    judge: str,
    raters: dict[str, str],
    reviews: list[tuple[str, str, str, tuple[str, ...]]],
    lead: tuple[str, str, tuple[str, ...]] | None = None,
    *,
    criterion: str = "quality",
    scale: Scale = PF,
) -> MergedCase:
    return MergedCase(
        id=case_id,
        case_hash="h-" + case_id,
        criterion=criterion,
        scale=scale,
        judge_label=judge,
        rater_labels=tuple(sorted(raters.items())),
        kind="",
        reviews=tuple(
            Review(reviewer=who, label=label, rationale=why, tags=tags, decided_at="2024-01-01")
            for who, label, why, tags in sorted(reviews)
        ),
        lead=(
            Review(reviewer="lead", label=lead[0], rationale=lead[1], tags=lead[2])
            if lead
            else None
        ),
    )


def pass_fail_cases() -> list[MergedCase]:
    """Six cases, worked through by hand in the tests below."""
    return [
        # Unanimous pass; the judge is right.
        case("c1", "pass", {"r1": "pass", "r2": "pass"},
             [("alice", "pass", "fine", ()), ("bob", "pass", "ok", ())]),
        # Unanimous fail: the judge is wrong, r2 is overruled.
        case("c2", "pass", {"r1": "fail", "r2": "pass"},
             [("alice", "fail", "made up a source", ("hallucination",)),
              ("bob", "fail", "", ("hallucination",))]),
        # Reviewers split, the lead says fail: bob is overruled.
        case("c3", "fail", {"r1": "fail", "r2": "fail"},
             [("alice", "fail", "wrong unit", ()), ("bob", "pass", "looks right", ())],
             lead=("fail", EVIL, ("units",))),
        # An open conflict: no truth.
        case("c4", "pass", {"r1": "pass", "r2": "fail"},
             [("alice", "pass", "", ()), ("bob", "fail", "", ())]),
        # One reviewer: unanimous pass; the judge is wrong.
        case("c5", "fail", {"r1": "pass", "r2": "pass"},
             [("alice", "pass", "judge too strict", ("too strict", "hallucination"))]),
        # Nobody reviewed it: no truth.
        case("c6", "pass", {"r1": "pass"}, []),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def report() -> AgreementReport:
    return build_report(pass_fail_cases(), seed=7, resamples=300)


def only(report: AgreementReport, name: str = "quality") -> CriterionReport:
    return next(c for c in report.criteria if c.criterion == name)


def _kappa(a: list[str], b: list[str], labels: list[str]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b, labels=labels))


def test_counts(report: AgreementReport) -> None:
    c = only(report).counts
    assert (c.cases, c.unanimous, c.lead, c.conflicts, c.unreviewed) == (6, 3, 1, 1, 1)
    assert c.settled == 4 and c.unresolved == 2
    assert report.counts == c


def test_judge_against_the_truth(report: AgreementReport) -> None:
    j = only(report).judge
    truth = ["pass", "fail", "fail", "pass"]  # c1, c2, c3, c5
    judge = ["pass", "pass", "fail", "fail"]
    assert j.accuracy.value == 0.5 and j.accuracy.n == 4
    assert j.kappa.value == pytest.approx(_kappa(truth, judge, ["fail", "pass"]), abs=1e-12)
    assert j.confusion.labels == ("fail", "pass")
    assert j.confusion.counts == ((1, 1), (1, 1))  # rows truth, columns judge
    assert j.wrong == 2
    assert [(s.label, s.precision.value, s.recall.value, s.support) for s in j.per_label] == [
        ("fail", 0.5, 0.5, 2),
        ("pass", 0.5, 0.5, 2),
    ]


def test_raters_against_the_truth(report: AgreementReport) -> None:
    raters = {r.rater: r for r in only(report).raters}
    assert raters["r1"].accuracy.value == 1.0 and raters["r1"].kappa.value == 1.0
    assert raters["r2"].accuracy.value == 0.75 and raters["r2"].accuracy.n == 4
    assert raters["r2"].kappa.value == pytest.approx(
        _kappa(["pass", "fail", "fail", "pass"], ["pass", "pass", "fail", "pass"],
               ["fail", "pass"])
    )  # fmt: skip


def test_between_reviewers(report: AgreementReport) -> None:
    r = only(report).reviewers
    assert r.reviewers == ("alice", "bob")
    assert r.percent.value == 0.5 and r.percent.n == 4
    (pair,) = r.pairs
    assert (pair.first, pair.second, pair.kappa.n) == ("alice", "bob", 4)
    alice = ["pass", "fail", "fail", "pass"]
    bob = ["pass", "fail", "pass", "fail"]
    assert pair.kappa.value == pytest.approx(_kappa(alice, bob, ["fail", "pass"]), abs=1e-12)
    # The unit reviewed once (c5) pairs with nothing; the unreviewed one (c6) is missing.
    data = np.array([[1, 0, 0, 1, 1, np.nan], [1, 0, 1, 0, np.nan, np.nan]], dtype=float)
    expected = krippendorff.alpha(
        reliability_data=data, level_of_measurement="nominal", value_domain=[0, 1]
    )
    assert r.alpha_nominal.value == pytest.approx(expected, abs=1e-12)
    assert r.alpha_ordinal is None and r.alpha is r.alpha_nominal
    table = np.array([[0, 2], [2, 0], [1, 1], [1, 1]])
    assert r.fleiss.value == pytest.approx(sm_fleiss_kappa(table), abs=1e-12)
    assert r.fleiss.n == 4 and r.fleiss.note is None


def test_human_ceiling(report: AgreementReport) -> None:
    h = only(report).ceiling
    # Two raters on c1..c5: leave-one-out is pairwise agreement, 1, 0, 1, 0, 1.
    assert h.humans.value == pytest.approx(0.6) and h.humans.n == 5
    # The judge against the same references: 1, 1/2, 1, 1/2, 0.
    assert h.judge.value == pytest.approx(0.6) and h.judge.n == 5


def test_tags_when_the_judge_was_wrong(report: AgreementReport) -> None:
    tags = [(t.tag, t.cases) for t in only(report).judge_wrong_tags]
    # c2 (both reviewers said hallucination: counted once) and c5; "units" was on c3, where the
    # judge was right.
    assert tags == [("hallucination", 2), ("too strict", 1)]


def test_overruled(report: AgreementReport) -> None:
    by = {(o.role, o.person): o for o in only(report).overruled}
    assert list(by) == [("rater", "r1"), ("rater", "r2"), ("reviewer", "alice"),
                        ("reviewer", "bob")]  # fmt: skip
    assert by[("rater", "r1")].cases == () and by[("rater", "r1")].settled == 4
    (r2,) = by[("rater", "r2")].cases
    assert (r2.case_id, r2.label, r2.final_label, r2.settled_by) == ("c2", "pass", "fail",
                                                                     "unanimous")  # fmt: skip
    assert r2.rationales == (("alice", "made up a source"), ("bob", ""))
    assert by[("reviewer", "alice")].cases == ()
    (bob,) = by[("reviewer", "bob")].cases
    assert (bob.case_id, bob.label, bob.final_label, bob.settled_by) == ("c3", "pass", "fail",
                                                                         "lead")  # fmt: skip
    assert bob.rationales == (("lead", EVIL),)
    assert by[("reviewer", "bob")].settled == 3


def test_overruled_cases_are_sorted_by_id() -> None:
    cases = [case(f"k{i}", "pass", {"r": "pass"}, [("alice", "fail", "", ())]) for i in (3, 1, 2)]
    report = build_report(cases, resamples=10)
    (rater,) = [o for o in only(report).overruled if o.role == "rater"]
    assert [x.case_id for x in rater.cases] == ["k1", "k2", "k3"]


def test_long_overruled_lists_are_cut_in_the_renderers() -> None:
    cases = [
        case(f"k{i:02}", "pass", {"r": "pass"}, [("alice", "fail", "", ())]) for i in range(30)
    ]
    report = build_report(cases, resamples=10)
    text = render_text(report, overruled_limit=5)
    assert "k04" in text and "k05" not in text and "… and 25 more" in text
    assert "… and 25 more" in render_markdown(report, overruled_limit=5)
    assert "… and 25 more" in render_html(report, overruled_limit=5)
    data = report_to_json(report, overruled_limit=3)
    (rater,) = [o for o in data["criteria"][0]["overruled"] if o["role"] == "rater"]
    assert rater["overruled"] == 30 and [x["id"] for x in rater["cases"]] == ["k00", "k01", "k02"]
    full = report_to_json(report)
    assert len(full["criteria"][0]["overruled"][0]["cases"]) == 30


def test_report_does_not_depend_on_case_order() -> None:
    cases = pass_fail_cases()
    forward = report_to_json(build_report(cases, seed=1, resamples=200))
    backward = report_to_json(build_report(reversed(cases), seed=1, resamples=200))
    assert forward == backward


def test_intervals_are_reproducible(report: AgreementReport) -> None:
    again = build_report(pass_fail_cases(), seed=7, resamples=300)
    assert report_to_json(again) == report_to_json(report)
    other = build_report(pass_fail_cases(), seed=8, resamples=300)
    c, o = only(report), only(other)
    assert c.judge.accuracy_interval.seed == 7 and o.judge.accuracy_interval.seed == 8
    interval = c.judge.accuracy_interval
    assert interval.low is not None and interval.high is not None
    assert 0.0 <= interval.low <= 0.5 <= interval.high <= 1.0


def test_per_criterion_with_an_ordinal_scale() -> None:
    cases = pass_fail_cases() + [
        case("s1", "4", {"r1": "4", "r2": "5"}, [("alice", "4", "", ()), ("bob", "5", "", ())],
             lead=("4", "close call", ()), criterion="style", scale=FIVE),
        case("s2", "2", {"r1": "1", "r2": "2"}, [("alice", "1", "", ()), ("bob", "2", "", ())],
             criterion="style", scale=FIVE),
        case("s3", "5", {"r1": "5", "r2": "5"}, [("alice", "5", "", ()), ("bob", "5", "", ())],
             criterion="style", scale=FIVE),
        case("s4", "3", {"r1": "3", "r2": "1"}, [("alice", "3", "", ()), ("bob", "3", "", ())],
             criterion="style", scale=FIVE),
    ]  # fmt: skip
    report = build_report(cases, seed=0, resamples=200)
    assert [c.criterion for c in report.criteria] == ["quality", "style"]
    assert report.counts.cases == 10
    style = only(report, "style")
    assert style.counts.conflicts == 1 and style.counts.lead == 1
    data = np.array([[3, 0, 4, 2], [4, 1, 4, 2]], dtype=float)
    for level, figure in (("ordinal", style.reviewers.alpha_ordinal),
                          ("nominal", style.reviewers.alpha_nominal)):  # fmt: skip
        expected = krippendorff.alpha(
            reliability_data=data, level_of_measurement=level, value_domain=[0, 1, 2, 3, 4]
        )
        assert figure is not None and figure.value == pytest.approx(expected, abs=1e-12)
    assert style.reviewers.alpha is style.reviewers.alpha_ordinal
    assert style.judge.confusion.labels == FIVE.labels
    assert style.judge.accuracy.value == 1.0 and style.judge.accuracy.n == 3


def test_undefined_figures_say_why() -> None:
    # Every case passes: kappa (one label) and alpha (no variation) are undefined.
    cases = [
        case(f"u{i}", "pass", {"r1": "pass", "r2": "pass"},
             [("alice", "pass", "", ()), ("bob", "pass", "", ())])
        for i in range(3)
    ]  # fmt: skip
    report = build_report(cases, resamples=50)
    c = only(report)
    assert c.judge.accuracy.value == 1.0
    assert c.judge.kappa.value is None and "one label" in (c.judge.kappa.reason or "")
    assert c.judge.kappa_interval.low is None and c.judge.kappa_interval.reason
    assert c.reviewers.alpha_nominal.value is None and c.reviewers.alpha_nominal.reason
    fail = next(s for s in c.judge.per_label if s.label == "fail")
    assert fail.precision.value is None and fail.recall.value is None
    data = report_to_json(report)
    kappa = data["criteria"][0]["judge"]["kappa"]
    assert kappa["value"] is None and kappa["reason"]
    for text in (render_text(report), render_markdown(report), render_html(report)):
        assert not re.search(r"\bnan\b", text, flags=re.I)
        assert "one label occurs" in text
    assert "undefined: only one label occurs" in render_text(report)


def test_a_criterion_with_two_scales_is_refused() -> None:
    cases = [
        case("a", "pass", {}, [("alice", "pass", "", ())]),
        case("b", "pass", {}, [("alice", "pass", "", ())], scale=Scale(("pass", "fail"))),
    ]
    with pytest.raises(ValueError, match="two scales"):
        build_report(cases)


def test_empty_input() -> None:
    report = build_report([])
    assert report.criteria == () and report.counts.cases == 0
    assert "no decisions yet" in render_text(report)
    json.dumps(report_to_json(report), allow_nan=False)


# --- renderers -----------------------------------------------------------------------------------


def test_json_is_serialisable_and_stable(report: AgreementReport) -> None:
    data = report_to_json(report)
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert list(data) == ["format", "format_version", "seed", "resamples", "level", "counts",
                          "criteria", "baseline", "anchoring", "rubric_gaps", "measured_judge",
                          "measured_judge_why"]  # fmt: skip
    judge = data["criteria"][0]["judge"]
    assert judge["accuracy"]["value"] == 0.5
    assert judge["confusion"] == {
        "rows": "truth",
        "columns": "judge",
        "labels": ["fail", "pass"],
        "counts": [[1, 1], [1, 1]],
        "right": [[True, False], [False, True]],  # nominal: the diagonal only
    }
    assert (judge["wrong"], judge["wrong_exact"]) == (2, 2)
    assert report_to_json_text(report) == report_to_json_text(
        build_report(pass_fail_cases(), seed=7, resamples=300)
    )


def test_text_shows_the_numbers(report: AgreementReport) -> None:
    text = render_text(report)
    assert "50.0%" in text  # judge accuracy
    assert "60.0%" in text  # human ceiling
    assert "hallucination" in text
    assert "c2: pass -> fail" in text
    assert "2 of 6 case(s) have no final label" in text
    assert not re.search(r"\bnan\b", text, flags=re.I)
    # Table columns line up: every row of the confusion matrix has the same width.
    block = text.split("Confusion matrix")[1].split("\n\n")[0].splitlines()[1:]
    assert len({len(line) for line in block}) == 1


def test_markdown_shows_the_numbers_and_escapes(report: AgreementReport) -> None:
    md = render_markdown(report)
    assert "| judge accuracy | 50.0% |" in md
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
    assert "\\*bold\\*" in md and "\\|" in md
    # Every table row has as many cells as its header.
    for table in re.findall(r"((?:^\|.*\|\n)+)", md, flags=re.M):
        rows = table.strip().splitlines()
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows


def test_html_is_standalone_and_escaped(report: AgreementReport) -> None:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert not re.search(r"(src|href)\s*=", page, flags=re.I)
    assert "@import" not in page and "url(" not in page
    assert 'class="heat"' in page and "background:rgb(" in page
    assert "50.0%" in page and "60.0%" in page


def test_html_escapes_every_user_field() -> None:
    evil = case(
        EVIL, "pass", {EVIL: "pass"}, [(EVIL, "fail", EVIL, (EVIL,))],
        criterion=EVIL, scale=Scale(("fail", "pass")),
    )  # fmt: skip
    report = build_report([evil], resamples=20)
    page = render_html(report)
    assert "<script" not in page.lower()
    md = render_markdown(report)
    assert "<script" not in md.lower()
    text = render_text(report)
    assert EVIL.split()[0] in text  # the terminal shows text as it is


def test_renderers_never_print_nan() -> None:
    report = build_report([case("x", "pass", {"r1": "pass"}, [("alice", "pass", "", ())])])
    for text in (render_text(report), render_markdown(report), render_html(report)):
        assert not re.search(r"\bnan\b", text, flags=re.I)
    data = report_to_json(report)
    json.dumps(data, allow_nan=False)
    values = []

    def walk(obj: object) -> None:
        if isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
        elif isinstance(obj, float):
            values.append(obj)

    walk(data)
    assert all(math.isfinite(v) for v in values)
