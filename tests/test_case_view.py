"""The case view is built once and refilled for every case: what it shows must be the case in
front of the reviewer, whatever the cases before it looked like (more raters, candidates, a
long text, a reference), and nothing of them may linger, shown or hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QWidget
from pytestqt.qtbot import QtBot

from annotator.ui.case_cards import Card
from annotator.ui.queue_panel import ALL_SCOPE
from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, write_jsonl

pytestmark = pytest.mark.gui


def shown(window) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of every label and text box a reviewer can see in the case view."""
    view = window.view
    out = []
    for widget in view.findChildren(QWidget):
        if not widget.isVisibleTo(view):
            continue
        if isinstance(widget, QLabel):
            out.append(widget.text())
        elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
            out.append(widget.toPlainText())
    return out


def everything(window) -> str:  # type: ignore[no-untyped-def]
    """Text held by any label or text box in the view, hidden or not."""
    view = window.view
    labels = [w.text() for w in view.findChildren(QLabel)]
    boxes = [w.toPlainText() for w in view.findChildren(QTextEdit)]
    boxes += [w.toPlainText() for w in view.findChildren(QPlainTextEdit)]
    return "\n".join(labels + boxes)


def cards(window, name: str) -> int:  # type: ignore[no-untyped-def]
    view = window.view
    return sum(1 for c in view.findChildren(Card) if c.objectName() == name and c.isVisibleTo(view))


def test_every_case_shows_only_itself(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    crowd = {f"crowd{i:02d}": ("fail" if i % 3 else "pass") for i in range(12)}
    rows = [
        case(
            "first",
            raters={"alice": "fail", "bob": "fail", "carol": "pass"},
            reference="the reference of first",
            meta={"source": "first-source"},
        ),
        case("crowded", raters=crowd),
        case("lonely", raters={}),
        case("long", output="word " * 4000, raters={"dave": "fail"}),
        case("last", raters={"erin": "fail"}),
    ]
    for row in rows:
        row["ratings"] = [dict(r, comment=f"{r['rater']} on {row['id']}") for r in row["ratings"]]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    window.queue.scope.setCurrentIndex(ALL_SCOPE)  # every case
    qtbot.waitUntil(lambda: window.model.rowCount() == len(rows), timeout=5000)

    def visit(cid: str) -> None:
        window.queue.select_id(window.review.service.row_id(cid) or 0)
        qtbot.waitUntil(lambda: window.review.detail.case.id == cid, timeout=3000)
        row = next(r for r in rows if r["id"] == cid)
        text = "\n".join(shown(window))
        assert cid in text and f"question {cid}" in text
        for rating in row["ratings"]:
            assert f"{rating['rater']} on {cid}" in text
        # Nothing of another case, even in a hidden widget.
        held = everything(window)
        for other in rows:
            if other["id"] != cid:
                assert f"question {other['id']}" not in held
                assert f"on {other['id']}" not in held
        raters = len(row["ratings"])
        assert cards(window, "verdictCard") == (2 if raters == 0 or raters > 6 else 1 + raters)
        assert ("the reference of first" in text) == (cid == "first")
        assert ("source: first-source" in text) == (cid == "first")
        assert ("No human ratings" in text) == (cid == "lonely")
        assert ("12 raters" in text) == (cid == "crowded")
        long_boxes = [
            v
            for v in window.view.findChildren(QPlainTextEdit)
            if v.objectName() == "caseText" and v.isVisibleTo(window.view)
        ]
        assert len(long_boxes) == (1 if cid == "long" else 0)

    order = [r["id"] for r in rows]
    for cid in order + order[::-1] + ["crowded", "last", "first"]:
        visit(cid)


def test_candidates_then_single_outputs(make_window, qtbot: QtBot) -> None:
    """The sample's pairwise cases show two candidate cards and no Output card; the others
    the opposite, in either order."""
    window = make_window(SAMPLE)
    window.queue.scope.setCurrentIndex(ALL_SCOPE)
    service = window.review.service
    for cid in ("pref-008", "help-008", "pref-001", "faith-001", "pref-008"):
        window.queue.select_id(service.row_id(cid) or 0)
        qtbot.waitUntil(lambda cid=cid: window.review.detail.case.id == cid, timeout=3000)
        text = shown(window)
        pairwise = cid.startswith("pref")
        assert ("CANDIDATE A" in text) == pairwise
        assert ("OUTPUT" in text) == (not pairwise)
        assert cards(window, "textCard") == (3 if pairwise else 2) + (
            1 if window.review.detail.case.reference is not None else 0
        )


def test_text_zoom_reaches_refilled_cards(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    rows = [
        case("a", input="a question\n" * 8 + "and a long last line " * 12),
        case("b", raters={"x": "fail", "y": "fail", "z": "pass"}),
        case("long", output="word " * 4000),
    ]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    assert window.review.detail.case.id == "a"
    boxes = [t for t in window.view.findChildren(QTextEdit) if t.isVisibleTo(window.view)]
    before = boxes[0].font().pointSizeF()
    heights = [t.height() for t in boxes]
    window.view.set_text_scale(1.5)
    # The case in front of the reviewer grows with its text: nothing is cut off.
    for box, height in zip(boxes, heights, strict=True):
        assert box.height() > height
        assert box.height() >= box.document().size().height()
    window.queue.scope.setCurrentIndex(ALL_SCOPE)
    window.queue.select_id(window.review.service.row_id("b") or 0)
    qtbot.waitUntil(lambda: window.review.detail.case.id == "b", timeout=3000)
    sizes = [t.font().pointSizeF() for t in window.view.findChildren(QTextEdit)]
    assert len(sizes) >= 6 and all(size == pytest.approx(before * 1.5) for size in sizes)
    # A scrolling box made after the zoom (the first long text) is zoomed too.
    window.queue.select_id(window.review.service.row_id("long") or 0)
    qtbot.waitUntil(lambda: window.review.detail.case.id == "long", timeout=3000)
    long_boxes = [v for v in window.view.findChildren(QPlainTextEdit) if v.isVisibleTo(window.view)]
    assert long_boxes and long_boxes[0].font().pointSizeF() == pytest.approx(before * 1.5)


def test_no_case_shown_holds_no_case_text(make_window, qtbot: QtBot) -> None:
    """A filter that leaves no case: the view keeps nothing of the last one, even hidden."""
    window = make_window(SAMPLE)
    window.queue.select_id(window.review.service.row_id("pref-008") or 0)  # candidates too
    qtbot.waitUntil(lambda: window.review.detail.case.id == "pref-008", timeout=3000)
    shown_case = window.review.detail.case
    window.queue.search.setText("no case says this")
    qtbot.waitUntil(lambda: window.review.detail is None, timeout=5000)
    held = everything(window)
    texts = [shown_case.input, shown_case.judge.rationale, *(shown_case.outputs or {}).values()]
    assert "pref-008" not in held and "CANDIDATE A" not in held and "preference" not in held
    assert not any(text[:40] in held for text in texts)
    assert not any(r.rater in held for r in shown_case.ratings)


def test_a_long_case_wraps_its_text_as_wide_as_a_short_one(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    """The scroll bar's room is kept while a case fits: moving between a case that fits and
    one that scrolls does not narrow the text and wrap it again (a jump the reviewer sees,
    and the case laid out and painted twice)."""
    rows = [case("short"), case("long", output="word " * 3000)]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    window.resize(1280, 720)
    window.queue.scope.setCurrentIndex(ALL_SCOPE)
    qtbot.waitUntil(lambda: window.model.rowCount() == len(rows), timeout=5000)
    view = window.view
    widths: dict[str, list[tuple[int, int]]] = {}
    for cid in ("short", "long", "short"):
        window.queue.select_id(window.review.service.row_id(cid) or 0)
        qtbot.waitUntil(lambda cid=cid: window.review.detail.case.id == cid, timeout=3000)
        qtbot.wait(50)  # (anything a scroll bar shown or hidden would lay out again)
        scrolls = view.verticalScrollBar().maximum() > 0
        assert scrolls == (cid == "long")
        widths.setdefault(cid, []).append((view.viewport().width(), view._output.width()))
    assert widths["short"][0] == widths["long"][0] == widths["short"][1]
