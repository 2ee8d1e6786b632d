"""One meaning of "the judge was right" (issue 19, item 2): on an ordinal 1-5 criterion with
threshold 1, decided by the raters' median, with a judge often one step off it, the labelled
file's ``who_right``, the agreement report (text and JSON), the summary and the Agreement page
all count the same cases as the judge's errors, and the exact-match figures stand beside,
named "exact"."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from annotator.domain.disagreement import consensus, consensus_label
from annotator.domain.model import LabelScheme
from annotator.services.agreement import render_html, render_markdown, render_text
from annotator.services.agreement.to_json import report_to_json
from annotator.services.agreement.workspace import report_of, workspace_report
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.summary import format_summary, summarize
from annotator.services.workspace import Workspace
from annotator.ui.agreement_page import AgreementPage
from annotator.ui.heat_map import HeatMap
from tests.helpers import case, write_jsonl

LIKERT = ["1", "2", "3", "4", "5"]
SCHEME = LabelScheme(tuple(LIKERT), ordinal=True, threshold=1)
HEADER = {"criteria": {"relevance": {"labels": LIKERT, "ordinal": True, "threshold": 1}}}
RATERS = ("r0", "r1", "r2")


def _step(x: int) -> str:
    return str(min(5, max(1, x)))


def _pack(tmp_path: Path, n: int = 200) -> tuple[Path, dict[str, str]]:
    """The issue's situation: three raters, a judge one step off the raters' median on about
    half the cases and further off on some. Returns the case file and each case's median."""
    rng = random.Random(19)
    rows, medians = [], {}
    for i in range(n):
        q = rng.randint(1, 5)
        raters = {r: _step(q + rng.choice([-1, 0, 0, 0, 1])) for r in RATERS}
        agreed = consensus_label(consensus(list(raters.values()), SCHEME), list(raters.values()),
                                 SCHEME)  # fmt: skip
        assert agreed is not None
        medians[f"c{i}"] = agreed
        off = rng.choice([0, 1, 1, -1, -1, 0, 2, -3])
        rows.append(case(f"c{i}", judge=_step(int(agreed) + off), raters=raters,
                         criterion="relevance"))  # fmt: skip
    return write_jsonl(tmp_path / "study.jsonl", rows, HEADER), medians


def _study(tmp_path: Path, n: int = 200) -> tuple[Workspace, Path]:
    """The pack imported, every case decided by the lead as the raters' median, and the
    labelled file exported."""
    pack, medians = _pack(tmp_path, n)
    ws = Workspace.open(tmp_path / "study.annotator")
    import_file(ws, pack)
    review = ReviewService(ws, "lead")
    for cid, label in medians.items():
        review.decide(review.row_id(cid) or 0, label, "the raters' median")
    out = tmp_path / "labelled.jsonl"
    export_decisions(ws, out)
    return ws, out


def _who_right(path: Path) -> Counter[str]:
    records = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
    assert {(r["ordinal"], r["threshold"]) for r in records} == {(True, 1)}
    return Counter(r["who_right"] for r in records)


def _exact_misses(path: Path) -> int:
    records = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
    return sum(r["judge_label"] != r["label"] for r in records)


@pytest.fixture
def study(tmp_path: Path) -> Iterator[tuple[Workspace, Path]]:
    ws, out = _study(tmp_path)
    yield ws, out
    ws.close()


def test_every_place_counts_the_judge_wrong_where_the_labelled_file_does(
    study: tuple[Workspace, Path],
) -> None:
    ws, out = study
    who = _who_right(out)
    wrong = who["raters"] + who["neither"]  # WhoRight: judge, raters, both, neither
    right = who["judge"] + who["both"]
    exact = _exact_misses(out)
    assert wrong + right == 200
    assert 0 < wrong < exact  # the situation: the two meanings differ

    report = workspace_report(ws, resamples=20)
    (c,) = report.criteria
    assert (c.judge.wrong, c.judge.wrong_exact, c.judge.threshold) == (wrong, exact, 1)
    assert c.judge.within is not None and c.judge.within.value == pytest.approx(right / 200)
    assert c.judge.accuracy.value == pytest.approx((200 - exact) / 200)

    text = render_text(report)
    assert f"The judge was wrong on {wrong} settled case(s): its label more than 1" in text
    assert f"Exact: its label is not the final label on {exact} ({exact - wrong} of them" in text
    assert re.search(rf"judge agreement within the threshold \(±1\)\s+{right / 2:.1f}%", text)
    assert re.search(rf"judge exact agreement \(accuracy\)\s+{(200 - exact) / 2:.1f}%", text)
    # The confusion matrix marks the cells where the judge was one step off: right by the
    # threshold, though not an exact match.
    assert "off the diagonal but within the threshold (±1): the judge counts as right" in text

    data = report_to_json(report)
    judge = data["criteria"][0]["judge"]
    assert (judge["wrong"], judge["wrong_exact"]) == (wrong, exact)
    assert data["criteria"][0]["threshold"] == 1
    assert judge["within_threshold"]["value"] == pytest.approx(right / 200)
    assert judge["accuracy"]["value"] == pytest.approx((200 - exact) / 200)
    m = judge["confusion"]
    misses = sum(
        count
        for row, rights in zip(m["counts"], m["right"], strict=True)
        for count, ok in zip(row, rights, strict=True)
        if not ok
    )
    assert misses == wrong
    assert m["right"][2][1:4] == [True, True, True] and m["right"][2][0] is False

    for rendered in (render_markdown(report), render_html(report)):
        assert f"The judge was wrong on {wrong} settled case(s)" in rendered
        assert "exact agreement (accuracy)" in rendered

    summary = summarize(ws, resamples=20)
    (s,) = summary.criteria
    assert (s.judge_vs_final.total - s.judge_vs_final.agree) == wrong
    assert (s.judge_vs_final_exact.total - s.judge_vs_final_exact.agree) == exact
    assert s.who_right == dict(who)
    lines = format_summary(summary)
    assert f"judge vs final label        {right / 2:5.1f}% ({right}/200)   within ±1" in lines
    assert f"exact {(200 - exact) / 2:.1f}% ({200 - exact}/200)" in lines
    assert f"judge right {right}, judge wrong {wrong} (raters or neither)" in lines
    consensus_line = next(x for x in lines.splitlines() if "judge vs raters' consensus" in x)
    assert "within ±1 of the median" in consensus_line and " exact " in consensus_line
    summary_json = summary.to_json()["criteria"][0]
    assert summary_json["judge_vs_final_exact"]["agree"] == 200 - exact
    # The queue's kinds: with three raters every case has a median, and the judge is off it
    # (judge vs majority, or vs all) exactly where the summary says it does not agree.
    off = s.kinds.get("judge_vs_majority", 0) + s.kinds.get("judge_vs_all", 0)
    assert off == s.judge_vs_consensus.total - s.judge_vs_consensus.agree
    assert s.baseline is not None and s.baseline.judge.within is not None
    assert s.baseline.judge.within.value == pytest.approx(s.judge_vs_consensus.rate)

    # The agreement report of the labelled file itself (it carries the threshold).
    (f,) = report_of([out], resamples=0).criteria
    assert (f.judge.wrong, f.judge.wrong_exact, f.judge.threshold) == (wrong, exact, 1)


def test_overruled_and_tags_follow_the_threshold(study: tuple[Workspace, Path]) -> None:
    ws, _ = study
    report = workspace_report(ws, resamples=0)
    (c,) = report.criteria
    for o in c.overruled:
        assert all(abs(int(x.label) - int(x.final_label)) > 1 for x in o.cases)
        assert o.exact >= len(o.cases)
    assert any(o.exact > len(o.cases) for o in c.overruled)
    text = render_text(report)
    assert "(more than 1 from the final label; exact: differs on " in text


@pytest.mark.gui
def test_the_agreement_page_says_the_same(
    qtbot: QtBot, study: tuple[Workspace, Path], tmp_path: Path
) -> None:
    ws, out = study
    who = _who_right(out)
    wrong, right = who["raters"] + who["neither"], who["judge"] + who["both"]
    exact = _exact_misses(out)
    page = AgreementPage(workspace_report(ws, resamples=20), "Study")
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    texts = [label.text() for label in page.findChildren(QLabel)]
    assert "Judge right (±1)" in texts
    assert f"{right / 2:.1f}%" in texts
    assert any(t.startswith(f"exact agreement {(200 - exact) / 2:.1f}%") for t in texts)
    assert any(t.startswith(f"The judge was wrong on {wrong} settled case(s)") for t in texts)
    heat = page.findChild(HeatMap)
    assert heat is not None
    assert "right within ±1" in heat.describe(2, 1)  # final 3, judge 2
    assert "exact" in heat.describe(2, 2)
    assert page.verdict("relevance", "2", "3") == "the judge was right within ±1, not exact"
    assert "wrong" in heat.describe(2, 0)
    assert heat.cell_color(2, 1) != heat.cell_color(2, 0)
    cells = heat.matrix.counts
    assert sum(cells[r][k] for r in range(5) for k in range(5) if heat.wrong(r, k)) == wrong
    page.grab().save(str(tmp_path / "page.png"))


@pytest.mark.gui
def test_a_cell_within_the_threshold_opens_as_right(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    """The drill-down: a click on a cell one step off the diagonal lists its cases, and the
    queue's filter says the judge was right there, within the threshold."""
    pack, medians = _pack(tmp_path, 40)
    window = make_window(pack, reviewer="Lead Lee")
    service = window.review.service
    assert service is not None
    for cid, label in medians.items():
        service.decide(service.row_id(cid) or 0, label, "the raters' median")
    window.actions_by_id["agreement"].trigger()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=20000)
    heat = window.agreement_page.findChild(HeatMap)
    assert heat is not None
    row, column = next(
        (r, k)
        for r in range(5)
        for k in range(5)
        if r != k and not heat.wrong(r, k) and heat.matrix.counts[r][k]
    )
    qtbot.mouseClick(heat, Qt.MouseButton.LeftButton, pos=heat._rect(row, column).center())
    assert window.model.rowCount() == heat.matrix.counts[row][column]
    labels = heat.matrix.labels
    assert window.queue.reviews.currentText() == (
        f"Judge said {labels[column]}, final {labels[row]} (relevance): "
        "the judge was right within ±1, not exact"
    )
    far = next((r, k) for r in range(5) for k in range(5) if heat.wrong(r, k))
    qtbot.mouseClick(heat, Qt.MouseButton.LeftButton, pos=heat._rect(*far).center())
    assert window.queue.reviews.currentText().endswith("the judge was wrong (more than 1 off)")
