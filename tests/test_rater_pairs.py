"""Cohen's kappa of each pair of original raters (the baseline, before any review): equal to
scikit-learn's ``cohen_kappa_score`` (unweighted, linear, quadratic) over the cases both
rated, from the workspace and from files alike; undefined with a reason where the pair shares
no case or uses one label only; at most 45 pairs listed, the rest counted; shown by
``summary`` and ``agreement`` in every format."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QLabel, QScrollArea, QTableWidget
from pytestqt.qtbot import QtBot
from sklearn.metrics import cohen_kappa_score

from annotator.cli import main
from annotator.domain import baseline as baseline_counting
from annotator.domain.baseline import BaselineTally
from annotator.domain.merge import Scale
from annotator.services.agreement import build_report, render_text
from annotator.services.agreement.baseline import NO_SHARED, Intervals, rater_pairs
from annotator.services.agreement.report import MAX_RATER_PAIRS, RaterPair, RaterPairs
from annotator.services.agreement.workspace import workspace_baseline
from annotator.services.importer import import_file
from annotator.services.summary import summarize
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl
from tests.test_agreement_report import case as merged_case
from tests.test_agreement_stats import _quiet, assert_matches

LIKERT = Scale(("1", "2", "3", "4", "5"), True)
WORDS = Scale(("No", "Minor", "Moderate", "Substantial"), True)
PICK = Scale(("A", "B", "tie"), False)
INTERVALS = Intervals(seed=0, resamples=30)

Ratings = list[dict[str, str]]
"""Each case's ratings, by rater."""


def _tally(cases: Ratings, scale: Scale) -> BaselineTally:
    tally = BaselineTally()
    on_scale = frozenset(scale.labels)
    for ratings in cases:
        tally.add(None, ratings.values(), scale=on_scale)
        tally.add_raters(ratings.items(), scale=on_scale)
    return tally


def _reference(cases: Ratings, a: str, b: str, scale: Scale, weights: str | None) -> float | None:
    both = [(r[a], r[b]) for r in cases if a in r and b in r]
    if not both:
        return None
    first, second = zip(*both, strict=True)
    return float(
        _quiet(cohen_kappa_score, first, second, labels=list(scale.labels), weights=weights)
    )


def _check(pairs: RaterPairs, cases: Ratings, scale: Scale) -> None:
    for p in pairs.pairs:
        shared = sum(p.first in r and p.second in r for r in cases)
        assert p.kappa.n == shared
        figures = [(None, p.kappa, p.kappa_interval)]
        if scale.ordinal:
            figures += [
                ("linear", p.kappa_linear, p.kappa_linear_interval),
                ("quadratic", p.kappa_quadratic, p.kappa_quadratic_interval),
            ]
        else:
            assert p.kappa_linear is None and p.kappa_quadratic is None
        for weights, figure, interval in figures:
            assert figure is not None and interval is not None
            assert_matches(figure, _reference(cases, p.first, p.second, scale, weights))
            assert interval.resamples == INTERVALS.resamples  # the same bootstrap machinery
            if figure.value is None:
                assert figure.reason and interval.low is None and interval.reason


@st.composite
def _study(draw: st.DrawFn) -> tuple[Ratings, Scale]:
    scale = draw(st.sampled_from((LIKERT, WORDS, PICK)))
    raters = [f"r{i}" for i in range(draw(st.integers(2, 5)))]
    label = st.sampled_from(scale.labels)
    # Some raters favour one label (the kappa paradox); some skip cases.
    cases = draw(
        st.lists(
            st.dictionaries(st.sampled_from(raters), label, max_size=len(raters)),
            min_size=0,
            max_size=40,
        )
    )
    return cases, scale


@settings(max_examples=120, deadline=None)
@given(_study())
def test_each_pair_equals_scikit_learn(study: tuple[Ratings, Scale]) -> None:
    cases, scale = study
    pairs = rater_pairs(_tally(cases, scale), scale, INTERVALS)
    _check(pairs, cases, scale)
    raters = {r for c in cases for r in c}
    assert pairs.total == len(raters) * (len(raters) - 1) // 2 == len(pairs.pairs)
    shared = [p.kappa.n for p in pairs.pairs]
    assert shared == sorted(shared, reverse=True)  # the pairs with most in common first


def test_a_pair_with_no_shared_case_is_listed_undefined_and_says_why() -> None:
    cases = [{"ann": "1", "bob": "2"}, {"ann": "3", "bob": "3"}, {"bob": "4", "cy": "5"}]
    cases += [{"ann": "2", "bob": "2"}]
    pairs = rater_pairs(_tally(cases, LIKERT), LIKERT, INTERVALS)
    by = {(p.first, p.second): p for p in pairs.pairs}
    assert list(by) == [("ann", "bob"), ("bob", "cy"), ("ann", "cy")]
    alone = by[("ann", "cy")]
    for figure in (alone.kappa, alone.kappa_linear, alone.kappa_quadratic):
        assert figure is not None and figure.value is None and figure.reason == NO_SHARED
        assert figure.n == 0
    assert alone.kappa_interval.low is None and alone.kappa_interval.reason == NO_SHARED
    _check(pairs, cases, LIKERT)


def test_a_pair_using_one_label_only_is_undefined_with_its_reason() -> None:
    cases = [{"ann": "5", "bob": "5"}] * 6
    pairs = rater_pairs(_tally(cases, LIKERT), LIKERT, INTERVALS)
    (pair,) = pairs.pairs
    assert pair.kappa.value is None and "only one label" in (pair.kappa.reason or "")
    assert pair.kappa_quadratic is not None and pair.kappa_quadratic.value is None
    assert pair.kappa_interval.low is None and pair.kappa_interval.reason
    _check(pairs, cases, LIKERT)


def test_the_kappa_paradox_is_explained_for_a_pair() -> None:
    rng = random.Random(4)
    cases = [{r: "5" if rng.random() < 0.95 else "4" for r in ("ann", "bob")} for _ in range(200)]
    (pair,) = rater_pairs(_tally(cases, LIKERT), LIKERT, INTERVALS).pairs
    assert (pair.kappa.note or "").startswith("kappa paradox")
    assert "Gwet's AC1" in (pair.kappa.note or "")
    assert pair.kappa_quadratic is not None
    assert "Gwet's AC2" in (pair.kappa_quadratic.note or "")


def test_at_most_45_pairs_are_listed_and_the_rest_counted() -> None:
    rng = random.Random(1)
    raters = [f"rater{i:02d}" for i in range(12)]  # 66 pairs
    cases = [
        {r: rng.choice(PICK.labels) for r in rng.sample(raters, rng.randint(2, 6))}
        for _ in range(300)
    ]
    pairs = rater_pairs(_tally(cases, PICK), PICK, INTERVALS)
    assert MAX_RATER_PAIRS == 45
    assert (pairs.total, len(pairs.pairs), pairs.not_listed) == (66, 45, 21)
    shared = {
        (a, b): sum(a in c and b in c for c in cases)
        for i, a in enumerate(raters)
        for b in raters[i + 1 :]
    }
    least_listed = min(p.kappa.n for p in pairs.pairs)
    assert all(n <= least_listed for k, n in shared.items() if k not in _names(pairs.pairs))
    _check(pairs, cases, PICK)


def _names(pairs: tuple[RaterPair, ...]) -> set[tuple[str, str]]:
    return {(p.first, p.second) for p in pairs}


HEADER = {
    "criteria": {
        "score": {"labels": list(LIKERT.labels), "ordinal": True, "threshold": 1},
        "pick": {"labels": list(PICK.labels)},
    }
}
RATERS = ("ann", "bob", "cy", "dee")


def _study_cases(n: int = 150, seed: int = 2) -> list[tuple[str, str, str, dict[str, str]]]:
    """(id, criterion, judge label, ratings by rater)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        crit = rng.choice(["score", "pick"])
        labels = HEADER["criteria"][crit]["labels"]
        raters = {r: rng.choice(labels) for r in rng.sample(RATERS, rng.randint(0, 4))}
        out.append((f"c{i:03d}", crit, rng.choice(labels), raters))
    return out


def _ws(tmp_path: Path) -> Workspace:
    rows = [case(cid, judge=j, raters=r, criterion=crit) for cid, crit, j, r in _study_cases()]
    ws = Workspace.open(tmp_path / "p.annotator")
    import_file(ws, write_jsonl(tmp_path / "p.jsonl", rows, HEADER))
    return ws


def test_workspace_and_files_give_the_same_pairs_and_equal_scikit_learn(tmp_path: Path) -> None:
    study = _study_cases()
    ws = _ws(tmp_path)
    from_ws = workspace_baseline(ws, resamples=30)
    merged = [
        merged_case(cid, j, r, [], criterion=crit, scale=LIKERT if crit == "score" else PICK)
        for cid, crit, j, r in study
    ]
    from_files = build_report(merged, resamples=30, thresholds={"score": 1.0}).baseline
    assert from_files is not None
    for crit, scale in (("score", LIKERT), ("pick", PICK)):
        cases = [r for _, c, _, r in study if c == crit]
        ours = from_ws.of(crit)
        theirs = from_files.of(crit)
        assert ours is not None and theirs is not None
        assert ours.raters.pairs == theirs.raters.pairs  # figures and intervals alike
        assert ours.raters.pairs.total == 6
        _check(ours.raters.pairs, cases, scale)
    summary = summarize(ws, resamples=30)
    assert summary.criteria[1].baseline == from_ws.of("score")


def test_summary_and_agreement_show_the_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.annotator"
    _ws(tmp_path).close()
    base = ["--basedir", str(tmp_path)]
    assert main(["summary", str(path), *base]) == 0
    out = capsys.readouterr().out
    assert "rater pairs: 6; Cohen's kappa mean" in out and "lowest" in out

    assert main(["summary", str(path), "--json", *base]) == 0
    data = json.loads(capsys.readouterr().out)
    score = next(c for c in data["criteria"] if c["criterion"] == "score")
    listed = score["baseline"]["raters"]["cohen_kappa_pairs"]
    assert (listed["total"], listed["listed"], listed["not_listed"]) == (6, 6, 0)
    first = listed["pairs"][0]
    assert {"first", "second", "shared_cases", "kappa", "kappa_linear"} <= set(first)
    assert first["kappa_quadratic"]["interval"]["resamples"] == data["resamples"]
    pick = next(c for c in data["criteria"] if c["criterion"] == "pick")
    nominal = pick["baseline"]["raters"]["cohen_kappa_pairs"]["pairs"][0]
    assert nominal["kappa_linear"]["value"] is None and nominal["kappa_linear"]["reason"]

    md, html = tmp_path / "r.md", tmp_path / "r.html"
    args = ["agreement", str(path), "--resamples", "30", "--markdown", str(md), "--html", str(html)]
    assert main([*args, *base]) == 0
    text = capsys.readouterr().out
    assert text.count("Rater pairs") == 2  # one table per criterion
    assert "quadratic" in text
    assert "Rater pairs" in md.read_text(encoding="utf-8")
    assert "<h3>Rater pairs</h3>" in html.read_text(encoding="utf-8")

    assert main(["agreement", str(path), "--json", "--resamples", "30", *base]) == 0
    report = json.loads(capsys.readouterr().out)
    for b in report["baseline"]:
        pairs = b["raters"]["cohen_kappa_pairs"]["pairs"]
        assert len(pairs) == 6
        for p in pairs:
            for key in ("kappa", "kappa_linear", "kappa_quadratic"):
                assert p[key]["value"] is not None or p[key]["reason"]  # never a bare null
                assert not (isinstance(p[key]["value"], float) and math.isnan(p[key]["value"]))


def test_more_pairs_than_listed_are_said_in_the_report() -> None:
    rng = random.Random(7)
    raters = [f"p{i:02d}" for i in range(11)]  # 55 pairs
    merged = [
        merged_case(f"c{i}", "A", {r: rng.choice(PICK.labels) for r in raters}, [], scale=PICK)
        for i in range(30)
    ]
    report = build_report(merged, resamples=5)
    assert report.baseline is not None
    (b,) = report.baseline.criteria
    assert (b.raters.pairs.total, len(b.raters.pairs.pairs)) == (55, 45)
    text = render_text(report)
    assert "10 more pairs" in text
    assert "only the 45 pairs with the most cases in common are listed" in text


@pytest.mark.gui
def test_the_agreement_page_shows_the_pairs_and_fits(qtbot: QtBot, tmp_path: Path) -> None:
    from annotator.services.agreement import format_figure
    from annotator.services.agreement.workspace import workspace_report
    from annotator.ui.agreement_page import AgreementPage
    from annotator.ui.baseline_view import BaselineView

    page = AgreementPage(workspace_report(_ws(tmp_path), resamples=20), "pairs")
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    for i in range(page.tabs.count()):
        if page.tabs.widget(i) is page.anchoring:
            continue  # not a criterion's tab
        page.tabs.setCurrentIndex(i)
        scroll = page.tabs.currentWidget()
        assert isinstance(scroll, QScrollArea)
        view = scroll.findChild(BaselineView)
        assert view is not None
        titles = [label.text() for label in view.findChildren(QLabel)]
        assert "RATER PAIRS" in (t.upper() for t in titles)
        rows = set()
        for table in view.findChildren(QTableWidget):
            for r in range(table.rowCount()):
                rows.add(tuple(_text(table, r, c) for c in range(table.columnCount())))
        for p in view.baseline.raters.pairs.pairs:
            shown = "—" if p.kappa.value is None else format_figure(p.kappa)
            assert any(
                row[:3] == (p.first, p.second, str(p.kappa.n)) and row[3].endswith(shown)
                for row in rows
            ), p
        assert scroll.horizontalScrollBar().maximum() == 0  # nothing cut at 1280 wide


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def test_ratings_kept_aside_count_the_same_whenever_they_are_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(3)
    cases = [
        {r: rng.choice(LIKERT.labels) for r in rng.sample(RATERS, rng.randint(0, 4))}
        for _ in range(200)
    ]
    whole = rater_pairs(_tally(cases, LIKERT), LIKERT, INTERVALS)
    monkeypatch.setattr(baseline_counting, "MAX_PENDING", 3)  # counted every few kinds
    assert rater_pairs(_tally(cases, LIKERT), LIKERT, INTERVALS) == whole
    _check(whole, cases, LIKERT)
