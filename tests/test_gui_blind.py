"""Blind-first review in the window, by the keyboard (issue 16's done-when test): before the
reveal the judge's and the raters' labels and words are nowhere in the window; after it they
are; the first label is in the workspace at once (a crash right after the reveal keeps it);
undo takes the reveal back with its first label; the random order is the reviewer's own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from annotator.domain.model import Kind, Status
from annotator.services.blind import blind_settings, order_seed
from annotator.services.queue import queue_ids
from annotator.services.review import CaseDetail, ReviewService
from annotator.services.workspace import Workspace
from annotator.ui.widgets import ElidedLabel
from tests.conftest import SAMPLE
from tests.helpers import key

pytestmark = pytest.mark.gui

REVEALING_COLUMNS = {"Kind", "Judge", "Raters"}


def window_texts(window: Any) -> list[str]:
    """Every text of the window: the title, the status bar, each label, text box and line
    edit (shown or not) and every tooltip; the queue's visible headers and the text and
    tooltip of each visible cell of its first rows."""
    texts = [window.windowTitle(), window.statusBar().currentMessage()]
    for widget in [window, *window.findChildren(QWidget)]:
        if isinstance(widget, ElidedLabel):
            texts.append(widget.full_text())
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QTextEdit | QPlainTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QLineEdit):
            texts.append(widget.text())
        texts.append(widget.toolTip())
    model, table = window.model, window.queue.table
    for column in range(model.columnCount()):
        if table.isColumnHidden(column):
            continue
        texts.append(model.headerData(column, Qt.Orientation.Horizontal))
        for row in range(min(model.rowCount(), 60)):
            index = model.index(row, column)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                texts.append(value if isinstance(value, str) else "")
    return [t for t in texts if t]


def visible_headers(window: Any) -> set[str]:
    model = window.model
    return {
        model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(model.columnCount())
        if not window.queue.table.isColumnHidden(c)
    }


def secrets(detail: CaseDetail) -> tuple[set[str], list[str]]:
    """What would give the case away: labels (a whole text), and words (within any text)."""
    case = detail.case
    labels = {case.judge.label, *(r.label for r in case.ratings)}
    words = [case.judge.rationale, *(r.comment for r in case.ratings if r.comment)]
    words += [kind.caption for kind in Kind if kind is not Kind.UNRATED]
    return labels, [w for w in words if w]


def leaks(window: Any, detail: CaseDetail) -> list[str]:
    labels, words = secrets(detail)
    found = [f"column {c}" for c in REVEALING_COLUMNS & visible_headers(window)]
    for text in window_texts(window):
        pieces = {text.strip(), *(line.strip() for line in text.splitlines())}
        found += [f"label {x!r} in {text[:60]!r}" for x in labels if x in pieces]
        found += [f"{w[:30]!r} in {text[:60]!r}" for w in words if w.casefold() in text.casefold()]
    return found


def blind_window(make_window: Any, qtbot: QtBot, tmp_path: Path, reviewer: str = "Dr Test") -> Any:
    pack = tmp_path / "sample.jsonl"
    if not pack.exists():
        shutil.copy(SAMPLE, pack)
    window = make_window(pack, reviewer=reviewer)
    if not window.actions_by_id["blind_first"].isChecked():
        window.actions_by_id["blind_first"].trigger()  # View › Blind first
    qtbot.waitUntil(lambda: window.review.detail is not None and window.review.detail.blind)
    return window


def test_a_blind_case_hides_who_said_what_until_the_reveal(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    window = blind_window(make_window, qtbot, tmp_path)
    assert window.ws is not None and blind_settings(window.ws).blind_first
    detail = window.review.detail
    assert detail is not None and detail.blind and detail.case.ratings
    judge, first = detail.case.judge.label, detail.scheme.labels[0]
    assert first != judge  # (the sample's first case: the reveal is a surprise)
    assert leaks(window, detail) == []

    # The first label by its key, committed with Ctrl+Space: saved at once, then revealed.
    window.queue.table.setFocus()
    key(qtbot, window, "1")
    assert window.panel.label() == first
    assert leaks(window, detail) == []  # (picking a label shows nothing either)
    key(qtbot, window, "Ctrl+Space")
    shown = window.review.detail
    assert shown is not None and not shown.blind and shown.first is not None
    assert shown.first.label == first and shown.first.reviewer == "Dr Test"
    assert leaks(window, detail)  # (what was looked for before is there now)
    after = " ".join(window_texts(window))
    assert detail.case.judge.rationale in after
    assert all(r.comment in after for r in detail.case.ratings if r.comment)
    assert REVEALING_COLUMNS.isdisjoint(visible_headers(window))  # (the queue stays blind)
    pills = {w.text() for w in window.view.findChildren(QLabel) if w.isVisible()}
    assert judge in pills and {r.label for r in detail.case.ratings} <= pills

    # A crash right after the reveal: the first label is in the workspace file already.
    assert window.ws is not None and window.ws.path is not None
    other = Workspace.open(window.ws.path)
    try:
        again = ReviewService(other, "someone else").case(detail.row_id)
        assert again.first is not None and again.first.label == first
        assert again.status is Status.UNDECIDED and not again.blind
    finally:
        other.close()

    # Then the reviewer decides as always (the final label may differ), by the keyboard.
    assert window.panel.label() == first  # offered as the final label
    key(qtbot, window, f"Alt+{detail.scheme.labels.index(judge) + 1}")
    assert window.panel.label() == judge
    qtbot.keyClicks(window.panel.rationale, "The judge saw what I missed.")
    key(qtbot, window, "Ctrl+Return")
    assert window.review.detail is not None and window.review.detail.row_id != detail.row_id
    assert window.review.detail.blind  # the next case is blind again
    assert leaks(window, window.review.detail) == []

    out = tmp_path / "decisions.jsonl"
    window.files.export_to(out)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    (line,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert (line["id"], line["label"], line["blind_label"]) == (detail.case.id, judge, first)
    assert line["revealed_at"] == shown.first.revealed_at

    # Undo: the decision alone, then the reveal with its first label.
    key(qtbot, window, "Ctrl+Z")
    back = window.review.detail
    assert back is not None and back.row_id == detail.row_id
    assert back.decision is None and back.first is not None and not back.blind
    assert "reveal" in window.actions_by_id["undo"].text()
    key(qtbot, window, "Ctrl+Z")
    back = window.review.detail
    assert back is not None and back.row_id == detail.row_id and back.blind
    assert back.first is None
    assert leaks(window, back) == []
    key(qtbot, window, "Ctrl+Shift+Z")  # redo: revealed again, with the same first label
    again_shown = window.review.detail
    assert again_shown is not None and again_shown.first == shown.first


def test_blind_first_needs_a_label_and_refuses_saving_before_the_reveal(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    window = blind_window(make_window, qtbot, tmp_path)
    window.queue.table.setFocus()
    key(qtbot, window, "Ctrl+Space")
    assert window.review.detail is not None and window.review.detail.blind
    assert window.panel.error.isVisibleTo(window) and "first label" in window.panel.error.text()
    key(qtbot, window, "2")
    key(qtbot, window, "Ctrl+Return")  # not saved: reveal first
    assert window.review.detail.blind and window.review.detail.status is Status.UNDECIDED
    assert "reveal" in window.panel.error.text().lower()
    assert window.panel.reveal_button.isVisibleTo(window)
    assert not window.panel.save_button.isVisibleTo(window)


def test_the_setting_and_the_random_order_are_remembered(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    window = blind_window(make_window, qtbot, tmp_path, reviewer="ana")
    severity_order = [window.model.id_at(r) for r in range(window.model.rowCount())]
    window.actions_by_id["random_order"].trigger()  # View › Random order
    qtbot.waitUntil(lambda: window.model.filter.seed is not None)
    ws = window.ws
    assert ws is not None and ws.path is not None
    seed = order_seed(ws, "ana")
    order = [window.model.id_at(r) for r in range(window.model.rowCount())]
    assert order != severity_order and sorted(order) == sorted(severity_order)
    assert order == list(queue_ids(ws, window.model.filter))
    path = ws.path
    window.close()

    again = make_window(tmp_path / "sample.jsonl", reviewer="ana")
    assert again.actions_by_id["blind_first"].isChecked()
    assert again.actions_by_id["random_order"].isChecked()
    assert again.model.filter.seed == seed
    assert [again.model.id_at(r) for r in range(again.model.rowCount())] == order
    assert again.review.detail is not None and again.review.detail.blind
    again.close()

    other = make_window(path, reviewer="bo")
    assert other.model.filter.seed is not None and other.model.filter.seed != seed
    assert [other.model.id_at(r) for r in range(other.model.rowCount())] != order


def test_a_first_label_picked_but_not_revealed_comes_back_blind(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    window = blind_window(make_window, qtbot, tmp_path)
    detail = window.review.detail
    # (the key goes where the focus is: in the window, once it is the active one)
    window.activateWindow()
    window.queue.table.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.queue.table)
    key(qtbot, window, "2")
    qtbot.waitUntil(lambda: window.panel.label() == detail.scheme.labels[1])
    window.close()  # the pick is kept as a draft; nothing is revealed
    again = make_window(tmp_path / "sample.jsonl")
    shown = again.review.detail
    assert shown is not None and shown.row_id == detail.row_id and shown.blind
    assert again.panel.label() == detail.scheme.labels[1]
    assert "Ctrl+Space" in again.panel.state.text()
    assert leaks(again, shown) == []


def _filter_cells(window: Any) -> list[tuple[int, int]]:
    """Where the queue's shown filters sit in their grid, in order."""
    grid, cells = window.queue._grid, []
    for combo in window.queue._filters:
        if not combo.isHidden():
            row, column, _rows, _columns = grid.getItemPosition(grid.indexOf(combo))
            cells.append((row, column))
    return cells


def test_the_filters_left_under_blind_first_close_up(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    """Blind first hides the scope, label and rater filters: those left fill the grid two to a
    row, in order, with no hole where a hidden one was; off again, all come back in place."""
    window = blind_window(make_window, qtbot, tmp_path)
    queue = window.queue
    assert queue.scope.isHidden() and queue.label.isHidden() and queue.rater.isHidden()
    cells = _filter_cells(window)
    assert len(cells) >= 3
    assert cells == [(i // 2, i % 2) for i in range(len(cells))]
    window.actions_by_id["blind_first"].trigger()
    qtbot.waitUntil(lambda: not queue.label.isHidden())
    cells = _filter_cells(window)
    assert cells == [(i // 2, i % 2) for i in range(len(cells))]
    assert queue._filters[0] is queue.scope and cells[0] == (0, 0)
