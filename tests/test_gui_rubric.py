"""Edit > Rubric...: a new rubric version by keyboard, its diff, and a stale decision's mark
on the case and in the queue (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.services import rubrics
from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE
from tests.helpers import key

pytestmark = pytest.mark.gui


def test_edit_rubric_by_keyboard_marks_the_older_decision(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QApplication, QMenu

    from annotator.ui.rubric_dialog import RubricDialog

    ws_path = tmp_path / "s.annotator"
    ws = Workspace.open(ws_path)
    import_file(ws, SAMPLE)
    review = ReviewService(ws, "expert")
    row = next(  # a disagreement on faithfulness: in the queue as it opens
        r for r in queue_ids(ws, QueueFilter()) if review.case(r).case.criterion == "faithfulness"
    )
    review.decide(row, review.case(row).scheme.labels[0], "checked against the leaflet")
    ws.close()

    window = make_window(ws_path)
    assert window.queue.select_id(row)
    qtbot.waitUntil(lambda: window.review.detail is not None and window.review.detail.row_id == row)
    action = window.actions_by_id["edit_rubric"]
    edit_menu = next(m for m in window.menuBar().findChildren(QMenu) if "Edit" in m.title())
    assert action in edit_menu.actions()
    action.trigger()
    dialog = window.findChild(RubricDialog)
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.criterion_name == "faithfulness"
    assert QApplication.focusWidget() is dialog.rubric  # the rubric takes the keys first
    key(qtbot, dialog, "Ctrl+End")
    key(qtbot, dialog, "Return")
    assert QApplication.focusWidget() is dialog.rubric
    qtbot.keyClicks(dialog.rubric, "A quote out of context is unfaithful.")
    key(qtbot, dialog, "Tab")  # to the guidelines
    key(qtbot, dialog, "Tab")  # to the note
    assert QApplication.focusWidget() is dialog.note
    key(qtbot, dialog, "Ctrl+S")  # no note yet: refused, saying why
    qtbot.waitUntil(lambda: "required" in dialog.error.text())  # (a button's key: animated)
    qtbot.keyClicks(dialog.note, "quotes out of context")
    key(qtbot, dialog, "Ctrl+S")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2)
    assert "v1" in dialog.diff_title.text() and "v2" in dialog.diff_title.text()
    assert "+A quote out of context is unfaithful." in dialog.diff.toPlainText()
    assert dialog.table.item(0, 2).text() == "Dr Test"
    dialog.grab().save(str(tmp_path / "rubric_dialog.png"))
    key(qtbot, dialog, "Escape")
    qtbot.waitUntil(lambda: not dialog.isVisible())

    versions = rubrics.versions(window.ws, "faithfulness")
    assert [(v.version, v.author, v.note) for v in versions][1:] == [
        (2, "Dr Test", "quotes out of context")
    ]
    # the case decided under v1 says so, and the queue marks and lists it
    qtbot.waitUntil(lambda: window.panel.rubric_changes.isVisible())
    assert "decided under rubric v1" in window.panel.state.text().lower()
    index = window.model.index(window.queue.current_row(), 5)
    assert "v1↻" in window.model.data(index)
    window.queue.status.setCurrentIndex(window.queue.status.findData("stale"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    window.grab().save(str(tmp_path / "stale_case.png"))
    # confirming it unchanged (Ctrl+Enter) clears the mark; undo brings it back
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert window.review.detail is not None and window.review.detail.row_id == row
    key(qtbot, window, "Ctrl+Return")
    qtbot.waitUntil(lambda: window.ws is not None and rubrics.stale_count(window.ws) == 0)
    key(qtbot, window, "Ctrl+Z")
    qtbot.waitUntil(lambda: rubrics.stale_count(window.ws) == 1)


def test_the_agreement_page_lists_the_rubric_gaps_in_a_table(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    """Cases tagged "rubric gap" on the Agreement page: a row per case and person, with the
    final label, their label and their rationale as plain text (no markup), like the
    Overruled table above."""
    from PySide6.QtWidgets import QLabel, QTableWidget

    ws_path = tmp_path / "s.annotator"
    ws = Workspace.open(ws_path)
    import_file(ws, SAMPLE)
    review = ReviewService(ws, "expert")
    why = "<b>The rubric</b> is silent on background knowledge"
    for cid, label in (("faith-001", "fail"), ("faith-004", "pass")):
        review.decide(review.row_id(cid) or 0, label, why, tags=["rubric gap"])
    ws.close()
    window = make_window(ws_path)
    window.show_agreement()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=20000)
    page = window.agreement_page
    title = next(
        label
        for label in page.findChildren(QLabel)
        if label.text() == "RUBRIC GAPS: CANDIDATE RUBRIC EDITS"
    )
    tables = [t for t in page.findChildren(QTableWidget) if t.parent() is title.parent()]
    table = next(
        t
        for t in tables
        if [t.horizontalHeaderItem(i).text() for i in range(t.columnCount())]
        == ["case", "final", "tagged by", "their label", "why"]
    )
    rows = [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]
    assert rows == [
        ["faith-001", "fail", "expert", "fail", why],
        ["faith-004", "pass", "expert", "pass", why],
    ]
