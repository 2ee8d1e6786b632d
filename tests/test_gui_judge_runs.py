"""File > Add judge run... and File > Judge runs...: the sample's second run added from the
window (on a worker thread, with Cancel), its verdicts shown beside the first judge's in the
case view (the current run first), then renamed, removed and both undone; a run removed in an
earlier session listed greyed and restored."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.services.importer import import_file
from annotator.services.judge_runs import IMPORTED_NAME, RunVerdict, list_runs
from annotator.services.workspace import Workspace
from tests.conftest import REPO, SAMPLE
from tests.helpers import key

pytestmark = pytest.mark.gui

RUN2 = REPO / "resources" / "sample" / "judge-run-2.jsonl"


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.annotator"
    ws = Workspace.open(path)
    import_file(ws, SAMPLE)
    ws.close()
    return path


def _names(path: Path) -> list[str]:
    ws = Workspace.open(path)
    try:
        return [r.name for r in list_runs(ws)]
    finally:
        ws.close()


def _run_cards(window: Any) -> list[tuple[str, str, str]]:
    """The verdict cards in sight, in order: (who, detail, label)."""
    from annotator.ui.case_cards import VerdictCard

    grid = window.view._verdicts
    cards = [c for c in grid._cards if isinstance(c, VerdictCard) and c.isVisible()]
    return [(c.name.full_text(), c.detail.full_text(), c.label.text()) for c in cards]


def _judge_column_tip(window: Any) -> str | None:
    from PySide6.QtCore import Qt

    model = window.queue.model
    column = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    tip = model.headerData(
        column.index("Judge"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    return None if tip is None else str(tip)


def _kind_pill(window: Any) -> Any:
    return window.view._pills._pills[0]


def _add(window: Any, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, name: str) -> Any:
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(RUN2), ""))
    window.actions_by_id["add_judge_run"].trigger()
    dialog = window.judge_runs.add_dialog
    assert dialog is not None and dialog.isVisible()
    assert (dialog.name.text(), dialog.model.text()) == ("judge-run-2", "")
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, name)
    return dialog


def test_add_a_run_from_the_window_and_see_both_verdicts(
    make_window: Any,
    qtbot: QtBot,
    ws_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    window = make_window(ws_path)
    window.resize(1500, 950)
    window.review.show(window.review.service.row_id("faith-001"))
    assert [who for who, _, _ in _run_cards(window)][0] == "Judge"  # (one judge: as before)
    assert _judge_column_tip(window) is None and not _kind_pill(window).toolTip()

    dialog = _add(window, qtbot, monkeypatch, "prompt v2")
    fields = dialog.findChild(QLabel, "runFields").text()
    assert "label ← verdict" in fields and "rationale ← reasoning" in fields
    assert "model ← judge_model" in fields
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert "Added judge run prompt v2: 54 of 54 cases." in window.statusBar().currentMessage()
    assert _names(ws_path) == [IMPORTED_NAME, "prompt v2"]

    cards = _run_cards(window)
    assert cards[:2] == [
        ("prompt v2", "current run · judge-gpt-x-v2", "fail"),
        (IMPORTED_NAME, "the queue's judge · judge-gpt-x · score 0.88", "pass"),
    ]
    # "Judge" elsewhere is the imported judge, not the newest run: the queue's Judge column and
    # the kind's pill name its run.
    tip = _judge_column_tip(window)
    assert tip is not None and f"run &#x27;{IMPORTED_NAME}&#x27;" in tip
    assert "the queue&#x27;s Judge column, the case&#x27;s kind" in tip
    assert _kind_pill(window).toolTip() == tip
    assert len(cards) == 4  # (and the two raters)
    rationale = window.view._runs.take(1)[0].text
    assert "2 g (4 tablets)" in rationale.short.toPlainText()
    qtbot.wait(200)  # (the cards' text wraps once laid out)
    window.grab().save(str(tmp_path / "judge_runs_case.png"))
    if os.environ.get("ANNOTATOR_SHOTS"):
        window.grab().save(os.environ["ANNOTATOR_SHOTS"] + "/judge_runs_case.png")


def test_cancel_adds_nothing(
    make_window: Any, qtbot: QtBot, ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.services import judge_runs

    window = make_window(ws_path)
    real = judge_runs.add_run

    def cancelled_at_once(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, "cancelled": lambda: True})

    monkeypatch.setattr("annotator.ui.judge_run_flow.add_run", cancelled_at_once)
    dialog = _add(window, qtbot, monkeypatch, "v2")
    dialog.accept()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert "Cancelled: no judge run was added." in window.statusBar().currentMessage()
    assert _names(ws_path) == [IMPORTED_NAME]
    with sqlite3.connect(ws_path) as db:
        assert db.execute("SELECT count(*) FROM judge_verdict").fetchone() == (0,)


def test_rename_remove_and_undo_in_the_judge_runs_dialog(
    make_window: Any,
    qtbot: QtBot,
    ws_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtWidgets import QInputDialog

    ws = Workspace.open(ws_path)
    from annotator.services.judge_runs import add_run

    add_run(ws, RUN2, "prompt v2")
    ws.close()
    window = make_window(ws_path)
    window.review.show(window.review.service.row_id("faith-001"))
    window.actions_by_id["judge_runs"].trigger()
    dialog = window.judge_runs.dialog
    assert dialog is not None and dialog.isVisible()
    table = dialog.table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [
        IMPORTED_NAME,
        "prompt v2  (current)",
    ]
    assert table.item(1, 2).text() == "54" and table.item(1, 4).text() == "judge-run-2.jsonl"
    assert not dialog.undo.isEnabled()
    dialog.grab().save(str(tmp_path / "judge_runs_dialog.png"))

    # Rename (the current run is selected): a name dialog, then Undo renames it back.
    qtbot.mouseClick(dialog.rename, Qt_left())
    box = next(b for b in dialog.findChildren(QInputDialog) if b.isVisible())
    box.setTextValue("calibrated")
    box.accept()
    assert _names(ws_path) == [IMPORTED_NAME, "calibrated"]
    assert _run_cards(window)[0][0] == "calibrated"
    assert "Undo" in dialog.undo.text() and dialog.undo.isEnabled()
    assert window.judge_runs.undo_button.isVisible()  # (and in the status bar)
    qtbot.mouseClick(dialog.undo, Qt_left())
    assert _names(ws_path) == [IMPORTED_NAME, "prompt v2"]

    # Ctrl+Z undoes as the button does (and does nothing once there is nothing to undo).
    qtbot.mouseClick(dialog.rename, Qt_left())
    box = next(b for b in dialog.findChildren(QInputDialog) if b.isVisible())
    box.setTextValue("again")
    box.accept()
    assert _names(ws_path) == [IMPORTED_NAME, "again"]
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    table.setFocus()
    key(qtbot, dialog, "Ctrl+Z")
    assert _names(ws_path) == [IMPORTED_NAME, "prompt v2"]
    assert not dialog.undo.isEnabled()
    key(qtbot, dialog, "Ctrl+Z")
    assert _names(ws_path) == [IMPORTED_NAME, "prompt v2"]

    # Remove: hidden everywhere (the case shows its one judge again); undo from the status bar.
    table.selectRow(1)
    qtbot.mouseClick(dialog.remove, Qt_left())
    assert _names(ws_path) == [IMPORTED_NAME]
    assert [who for who, _, _ in _run_cards(window)][0] == "Judge"
    assert _judge_column_tip(window) is None  # (one judge again: nothing to tell apart)
    assert "Removed judge run" in window.statusBar().currentMessage()
    qtbot.mouseClick(window.judge_runs.undo_button, Qt_left())
    assert _names(ws_path) == [IMPORTED_NAME, "prompt v2"]
    assert _run_cards(window)[0][0] == "prompt v2"
    assert not dialog.undo.isEnabled()


def test_a_run_removed_in_an_earlier_session_is_restored_from_the_dialog(
    make_window: Any,
    qtbot: QtBot,
    ws_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotator.services.judge_runs import add_run, remove_run

    ws = Workspace.open(ws_path)
    try:
        add_run(ws, RUN2, "prompt v2")
        remove_run(ws, "prompt v2", clock=lambda: "2026-12-02T09:30:00Z")
        add_run(ws, RUN2, "prompt v3")
        remove_run(ws, "prompt v3", clock=lambda: "2026-12-03T09:30:00Z")
    finally:
        ws.close()
    errors: list[str] = []
    monkeypatch.setattr("annotator.ui.dialogs.error", lambda _p, _t, text: errors.append(text))
    window = make_window(ws_path)
    window.review.show(window.review.service.row_id("faith-001"))
    assert [who for who, _, _ in _run_cards(window)][0] == "Judge"
    window.actions_by_id["judge_runs"].trigger()
    dialog = window.judge_runs.dialog
    table = dialog.table
    # Listed after the runs in use, the last removed first, greyed.
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [
        IMPORTED_NAME,
        "prompt v3  (removed)",
        "prompt v2  (removed)",
    ]
    assert "prompt v3  (removed), removed 2026-12-03 09:30:00" in table.item(1, 0).toolTip()
    assert table.item(2, 2).text() == "54"
    grey = table.item(2, 0).foreground().color()
    assert grey == table.item(2, 4).foreground().color() != table.item(0, 0).foreground().color()
    assert dialog.restore.isVisible() and not dialog.restore.isEnabled()  # (imported selected)
    dialog.grab().save(str(tmp_path / "judge_runs_removed.png"))

    table.selectRow(2)
    assert dialog.restore.isEnabled()
    assert not dialog.rename.isEnabled() and not dialog.remove.isEnabled()
    qtbot.mouseClick(dialog.restore, Qt_left())
    assert errors == []
    assert _names(ws_path) == [IMPORTED_NAME, "prompt v2"]
    assert "Restored judge run prompt v2." in window.statusBar().currentMessage()
    assert _run_cards(window)[0][0] == "prompt v2"
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [
        IMPORTED_NAME,
        "prompt v2  (current)",
        "prompt v3  (removed)",
    ]
    assert dialog.selected() is not None and dialog.selected().name == "prompt v2"
    assert dialog.rename.isEnabled() and not dialog.restore.isEnabled()

    # Undo removes it again; a run whose name is taken is not restored, and says why.
    qtbot.mouseClick(dialog.undo, Qt_left())
    assert _names(ws_path) == [IMPORTED_NAME]
    window.judge_runs.rename(list_runs_of(ws_path)[0], "prompt v3")
    tips = [table.item(r, 0).toolTip() for r in range(table.rowCount())]
    assert "prompt v3" in tips[0] and "prompt v2  (removed), removed" in tips[1]  # (just now)
    table.selectRow(next(n for n, tip in enumerate(tips) if "2026-12-03 09:30:00" in tip))
    qtbot.mouseClick(dialog.restore, Qt_left())
    assert errors and "another run has that name now; rename it first" in errors[0]
    assert _names(ws_path) == ["prompt v3"]


def list_runs_of(path: Path) -> list[Any]:
    ws = Workspace.open(path)
    try:
        return list_runs(ws)
    finally:
        ws.close()


def Qt_left() -> Any:  # noqa: N802
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_hostile_run_shows_as_plain_text(
    make_window: Any, qtbot: QtBot, ws_path: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    from annotator.services.judge_runs import JudgeRunError, add_run
    from tests.helpers import write_jsonl

    hostile = tmp_path / "hostile.jsonl"
    write_jsonl(hostile, [{"id": "faith-001", "label": "fail", "model": "m\x1b[31m<b>x</b>",
                           "rationale": "<img src=x onerror=alert(1)> <b>bold</b>"}])  # fmt: skip
    ws = Workspace.open(ws_path)
    try:
        with pytest.raises(JudgeRunError, match="one line of text"):
            add_run(ws, hostile, "a\x1bname")
        add_run(ws, hostile, "\u202e<b>run</b>")
    finally:
        ws.close()
    window = make_window(ws_path)
    window.review.show(window.review.service.row_id("faith-001"))
    card = window.view._runs.take(1)[0]
    assert card.name.textFormat() == Qt.TextFormat.PlainText
    assert card.name.full_text() == "⟨RLO⟩<b>run</b>"
    assert "⟨ESC⟩" in card.detail.full_text() and "\x1b" not in card.detail.full_text()
    assert card.text.short.toPlainText() == "<img src=x onerror=alert(1)> <b>bold</b>"
    window.actions_by_id["judge_runs"].trigger()
    dialog = window.judge_runs.dialog
    assert dialog is not None
    assert dialog.table.item(1, 0).text().startswith("⟨RLO⟩<b>run</b>")


def test_a_long_run_name_leaves_the_other_columns_in_sight(
    make_window: Any, qtbot: QtBot, ws_path: Path
) -> None:
    """File › Judge runs… with a run named at length: the model, cases and date stay in the
    dialog (the name is cut in its middle, whole in its tooltip), no sideways scrolling."""
    from annotator.services.judge_runs import add_run
    from annotator.ui.judge_runs_dialog import NAME_WIDTH

    long_name = "prompt v3 with the experts' critiques of the faithfulness cases, " * 3
    ws = Workspace.open(ws_path)
    try:
        add_run(ws, RUN2, long_name.strip())
    finally:
        ws.close()
    window = make_window(ws_path)
    window.actions_by_id["judge_runs"].trigger()
    dialog = window.judge_runs.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    table, header = dialog.table, dialog.table.horizontalHeader()
    assert table.columnWidth(0) <= NAME_WIDTH
    added = header.sectionViewportPosition(3) + header.sectionSize(3)
    assert added <= table.viewport().width()
    assert not table.horizontalScrollBar().isVisible()
    assert long_name.strip().replace("'", "&#x27;") in table.item(1, 0).toolTip()


def test_the_imported_run_s_card_says_it_is_the_queue_s_judge(qapp: Any) -> None:
    """Renamed, the imported run's card says both that it is the imported judge and that the
    queue's kinds are about it; under its own default name, only the latter."""
    from annotator.ui.run_cards import run_detail

    renamed = RunVerdict("gpt-4 baseline", "gpt-4", imported=True, current=False, verdict=None)
    assert run_detail(renamed) == "imported judge · the queue's judge · gpt-4"
    default = RunVerdict(IMPORTED_NAME, "", imported=True, current=False, verdict=None)
    assert run_detail(default) == "the queue's judge"
    newest = RunVerdict("v2", "", imported=False, current=True, verdict=None)
    assert run_detail(newest) == "current run"


def _judge_lines(window: Any, qtbot: QtBot) -> list[Any]:
    """File › Agreement report…: the line naming the judge in each criterion's tab."""
    from PySide6.QtWidgets import QLabel

    window.agreement_page = None
    window.actions_by_id["agreement"].trigger()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=30000)
    page = window.agreement_page
    criteria = [page.tabs.widget(i) for i in range(page.tabs.count() - 1)]  # (not Anchoring)
    found = [
        [x for x in tab.findChildren(QLabel) if x.text().startswith("Judge: ")] for tab in criteria
    ]
    assert all(len(lines) == 1 for lines in found) and len(found) == 3
    return [lines[0] for lines in found]


def test_the_agreement_page_names_the_judge_it_measures(
    make_window: Any, qtbot: QtBot, ws_path: Path, tmp_path: Path
) -> None:
    """The Agreement page's judge figures are the imported judge's: each criterion's tab says
    so, naming its run (plain text) once there are other runs, and those runs."""
    from PySide6.QtCore import Qt

    from annotator.services.judge_runs import add_run, rename_run

    window = make_window(ws_path)
    window.resize(1280, 720)
    lines = _judge_lines(window, qtbot)
    assert {x.text() for x in lines} == {"Judge: the verdicts imported with the cases."}

    ws = Workspace.open(ws_path)
    try:
        add_run(ws, RUN2, "prompt v2")
        rename_run(ws, IMPORTED_NAME, "\u202e<b>v1</b>")
        add_run(ws, RUN2, "prompt <i>v3</i>")
    finally:
        ws.close()
    lines = _judge_lines(window, qtbot)
    assert all(x.textFormat() == Qt.TextFormat.PlainText for x in lines)
    assert {x.text() for x in lines} == {
        "Judge: run '⟨RLO⟩<b>v1</b>', the verdicts imported with the cases. Runs added later "
        "('prompt v2', 'prompt <i>v3</i>') are not in these figures: the alignment report "
        "compares them (View › Alignment of judge runs…, annotator alignment)."
    }
    page = window.agreement_page
    page.resize(1280, 720)
    qtbot.waitExposed(page)
    assert lines[0].isVisible() and lines[0].height() < 3 * lines[0].fontMetrics().height()
    page.grab().save(str(tmp_path / "agreement_judge.png"))
    # The report it exports says the same, in Markdown (escaped) and in HTML.
    page.write_report(tmp_path / "shared.md", "md")
    markdown = (tmp_path / "shared.md").read_text(encoding="utf-8")
    assert (
        "Judge: run '⟨RLO⟩&lt;b&gt;v1&lt;/b&gt;', the verdicts imported with the cases. Runs "
        "added later ('prompt v2', 'prompt &lt;i&gt;v3&lt;/i&gt;') are not in these figures"
    ) in markdown
    page.write_report(tmp_path / "shared.html", "html")
    shared = (tmp_path / "shared.html").read_text(encoding="utf-8")
    assert "<p>Judge: run &#x27;<bdi>⟨RLO⟩&lt;b&gt;v1&lt;/b&gt;</bdi>&#x27;" in shared
    assert "\u202e" not in markdown + shared
