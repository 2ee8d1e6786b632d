"""The window, driven by the keyboard as a reviewer would."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from annotator.domain.model import Status, WhoRight
from annotator.settings import Settings
from annotator.ui.actions import ACTIONS
from annotator.ui.main_window import MainWindow
from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, key, write_jsonl

pytestmark = pytest.mark.gui


def test_decide_by_keyboard_undo_and_export(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    rows = [
        case("c1", judge="pass", raters={"alice": "fail", "bob": "fail"}),
        case("c2", judge="fail", raters={"alice": "pass"}),
        case("c3", judge="pass", raters={"alice": "pass", "bob": "fail"}),
    ]
    window = make_window(write_jsonl(tmp_path / "cases.jsonl", rows, PASS_FAIL))
    assert window.model.rowCount() == 3
    assert window.review.detail is not None and window.review.detail.case.id == "c1"

    # Case 1: label "fail" is key 1; Ctrl+R to write the rationale; Ctrl+Enter saves and moves on.
    window.queue.table.setFocus()
    key(qtbot, window, "1")
    assert window.panel.label() == "fail"
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "Both raters spotted the wrong dose.")
    key(qtbot, window, "Ctrl+Return")
    assert window.review.detail.case.id == "c2"

    # Case 2: digits typed in the rationale stay text; Alt+2 picks "pass" from anywhere.
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "Rater 1 was right")
    assert window.panel.label() is None
    key(qtbot, window, "Alt+2")
    assert window.panel.label() == "pass"
    key(qtbot, window, "Ctrl+Return")
    assert window.review.detail.case.id == "c3"
    assert window.progress_bar.value() == 2

    # Undo the second decision (Ctrl+Z): the window goes back to that case, now undecided.
    key(qtbot, window, "Ctrl+Z")
    assert window.review.detail.case.id == "c2"
    assert window.review.detail.status is Status.UNDECIDED
    assert window.progress_bar.value() == 1

    out = tmp_path / "decisions.jsonl"
    window.files.export_to(out)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["id"], x["label"], x["who_right"]) for x in lines] == [("c1", "fail", "raters")]
    assert lines[0]["rationale"] == "Both raters spotted the wrong dose."
    assert lines[0]["reviewer"] == "Dr Test"


def test_last_decision_is_celebrated_once(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL))

    def decide() -> None:
        window.panel.choose_label_number(1)
        window.panel.rationale.setPlainText("why")
        window.review.save_and_next()

    def dones() -> list[QMessageBox]:
        return [b for b in window.findChildren(QMessageBox) if b.windowTitle() == "All decided"]

    decide()
    assert len(dones()) == 1 and "all 1 cases" in dones()[0].text()
    decide()  # editing the decision again does not announce it again
    assert len(dones()) == 1


def shown_text(window: MainWindow) -> str:
    return " ".join(lb.text() for lb in window.view.findChildren(QLabel) if lb.isVisible())


def test_empty_queue_says_why(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    only_agreement = [case("a", judge="pass", raters={"alice": "pass"})]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", only_agreement, PASS_FAIL))
    assert window.model.rowCount() == 0
    qtbot.waitUntil(lambda: "include agreements" in shown_text(window), timeout=3000)
    window.actions_by_id["include_agreements"].trigger()
    assert window.model.rowCount() == 1
    assert window.review.detail is not None and window.review.detail.case.id == "a"


def test_search_with_no_match_clears_the_case(make_window, qtbot: QtBot) -> None:
    window = make_window(SAMPLE)
    assert window.review.detail is not None
    window.queue.search.setText("no such text anywhere zzz")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=3000)
    assert window.review.detail is None
    assert not window.panel.isEnabled()
    qtbot.waitUntil(lambda: "No case matches" in shown_text(window), timeout=3000)


def test_rationale_is_required_in_the_window(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL))
    window.queue.table.setFocus()
    key(qtbot, window, "2")
    key(qtbot, window, "Ctrl+Return")
    assert window.panel.error.isVisible()
    assert "rationale" in window.panel.error.text()
    assert window.review.detail is not None and window.review.detail.status is Status.UNDECIDED


def test_a_busy_workspace_keeps_the_decision_on_screen(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    """Another program holds the workspace's write lock: saving says so and keeps what was
    typed; once the lock is free, the same keys save it."""
    import sqlite3

    from annotator.services.importer import import_file
    from annotator.services.workspace import Workspace

    path = tmp_path / "w.annotator"
    ws = Workspace.open(path, busy_seconds=0.05)
    import_file(ws, write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    window = make_window()
    window.writes.patience = 0.5  # the window's own wait for a busy workspace
    window.files.switch(ws)
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: not window.indexer.running)  # (its steps write: let them end)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    window.queue.table.setFocus()
    key(qtbot, window, "1")
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "The dose is wrong.")
    key(qtbot, window, "Ctrl+Return")
    assert window.panel.error.isVisible()
    assert "w.annotator is busy" in window.panel.error.text()
    assert window.review.detail is not None and window.review.detail.case.id == "a"
    assert window.panel.rationale.toPlainText() == "The dose is wrong."
    other.execute("COMMIT")
    other.close()
    key(qtbot, window, "Ctrl+Return")
    assert window.review.detail.case.id == "b"
    assert window.progress_bar.value() == 1


def test_resume_where_the_reviewer_stopped(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b"), case("c")], PASS_FAIL)
    window = make_window(path)
    window.panel.choose_label_number(1)
    window.panel.rationale.setPlainText("done")
    window.review.save_and_next()
    workspace = window.ws.path
    window.close()

    again = make_window(workspace)
    assert again.review.detail is not None and again.review.detail.case.id == "b"
    assert again.progress_bar.value() == 1


def test_unsaved_draft_survives_closing_the_app(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    window.panel.choose_label_number(1)
    window.panel.rationale.setPlainText("half a thought about the dose")
    workspace = window.ws.path
    window.close()  # no save: as if the reviewer walked away

    again = make_window(workspace)
    assert again.review.detail is not None and again.review.detail.case.id == "a"
    assert again.panel.rationale.toPlainText() == "half a thought about the dose"
    assert again.panel.label() == "fail"
    assert "draft" in again.panel.state.text()
    again.review.save_and_next()
    assert again.review.service is not None
    assert again.review.service.draft(again.review.service.row_id("a") or 0) is None


def test_draft_is_written_while_typing(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL))
    window.panel.rationale.setPlainText("typing")
    service = window.review.service
    qtbot.waitUntil(lambda: service.draft(service.row_id("a") or 0) is not None, timeout=3000)
    assert service.draft(service.row_id("a") or 0)["rationale"] == "typing"


def test_draft_is_kept_when_moving_away(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    window.panel.choose_label_number(2)
    window.panel.rationale.setPlainText("half-written thought")
    window.review.go(+1)
    window.review.go(-1)
    assert window.panel.rationale.toPlainText() == "half-written thought"
    assert window.panel.label() == "pass"


def test_who_right_follows_the_label_and_the_override(make_window, tmp_path: Path) -> None:
    rows = [case("a", judge="pass", raters={"r": "fail"}), case("b")]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    panel = window.panel
    assert panel.who_right_shown() is None  # nothing to derive from yet
    panel.choose_label_number(1)  # fail: the rater was right
    assert panel.who_right_shown() is WhoRight.RATERS
    window.actions_by_id["who_neither"].trigger()
    assert panel.who_right_shown() is WhoRight.NEITHER
    window.actions_by_id["who_auto"].trigger()
    assert panel.who_right_shown() is WhoRight.RATERS
    window.actions_by_id["who_judge"].trigger()
    panel.rationale.setPlainText("judge right after all")
    window.review.save_and_next()
    assert panel.who_right_shown() is None  # the next case starts clean
    window.review.go(-1)
    assert panel.who_right_shown() is WhoRight.JUDGE  # the saved override is shown again


def test_zoom_and_undo_keep_unsaved_input(make_window, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    panel = window.panel
    panel.choose_label_number(1)
    panel.rationale.setPlainText("decided a")
    window.review.save_and_next()  # now on b
    panel.choose_label_number(2)
    panel.rationale.setPlainText("typing on b")
    window.actions_by_id["zoom_in"].trigger()
    assert (panel.label(), panel.rationale.toPlainText()) == ("pass", "typing on b")
    window.actions_by_id["undo"].trigger()  # undoes the decision on a, and shows a
    assert window.review.detail is not None and window.review.detail.case.id == "a"
    assert window.review.detail.status is Status.UNDECIDED
    window.review.go(+1)
    assert (panel.label(), panel.rationale.toPlainText()) == ("pass", "typing on b")


def test_tooltips_show_case_text_literally(make_window, tmp_path: Path) -> None:
    rows = [case("<b>x</b>", raters={'<img src="file:///etc/x.png">': "fail"})]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    tip = window.model.data(window.model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "<img" not in tip and "&lt;img" in tip and "&lt;b&gt;x" in tip


def test_missing_workspace_is_reported_not_created(make_window, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    gone = tmp_path / "moved.annotator"
    window = make_window()
    window.settings.recent = [str(gone)]
    window.open_path(gone)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "does not exist" in boxes[0].text()
    assert not gone.exists()
    assert window.settings.recent == []


def test_undecodable_csv_opens_the_dialog_to_pick_an_encoding(
    make_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.ui import files as mw

    path = tmp_path / "excel.csv"
    path.write_bytes("id,input,judge.label,rating.ann\r\nc1,café,pass,fail\r\n".encode("cp1252"))
    asked: list[Path] = []
    monkeypatch.setattr(
        mw.ImportDialog, "ask", staticmethod(lambda p, parent=None, submit=None: asked.append(p))
    )
    make_window().open_path(path)
    assert asked == [path]


def test_case_text_is_never_rich_text(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    evil = case("x", input='<b>bold</b> <img src="http://example.com/x.png">')
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [evil], PASS_FAIL))
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QTextEdit

    labels = window.view.findChildren(QLabel)
    assert all(lb.textFormat() == Qt.TextFormat.PlainText for lb in labels)
    texts = window.view.findChildren(QTextEdit)
    shown = [t for t in texts if '<img src="http://example.com/x.png">' in t.toPlainText()]
    assert shown, "the input should be shown literally, tags and all"
    document = shown[0].document()
    assert "<img" not in document.toHtml()  # escaped: it is text, not an image
    assert (
        document.resource(QTextDocument.ResourceType.ImageResource, "http://example.com/x.png")
        is None
    )


def test_sample_opens_with_no_argument(make_window, qtbot: QtBot) -> None:
    from annotator.ui.app import build_window

    window = build_window(None, Settings(reviewer="x"))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert window.model.rowCount() >= 30
    assert "calibration sample" in window.windowTitle()
    assert window.review.detail is not None


def test_filters_and_search(make_window, qtbot: QtBot) -> None:
    window = make_window(SAMPLE)
    total = window.model.rowCount()
    window.queue.scope.setCurrentIndex(2)  # all cases
    assert window.model.rowCount() == 54 > total
    window.queue.search.setText("paracetamol")
    qtbot.waitUntil(lambda: 0 < window.model.rowCount() < 54, timeout=3000)
    window.queue.search.clear()
    index = window.queue.rater.findData("j.ruiz")
    window.queue.rater.setCurrentIndex(index)
    assert 0 < window.model.rowCount() < 54


def test_no_two_actions_share_a_shortcut() -> None:
    seen: dict[str, str] = {}
    for spec in ACTIONS:
        for shortcut in spec.shortcuts:
            assert shortcut not in seen, f"{shortcut} is used by {seen[shortcut]} and {spec.id}"
            seen[shortcut] = spec.id


def test_text_zoom_is_remembered(make_window, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL))
    before = window.view.widget().font().pointSizeF()
    window.actions_by_id["zoom_in"].trigger()
    window.actions_by_id["zoom_in"].trigger()
    assert window.view.widget().font().pointSizeF() == pytest.approx(before * 1.2)
    assert Settings.load().text_scale == pytest.approx(1.2)
    window.actions_by_id["zoom_reset"].trigger()
    assert window.view.widget().font().pointSizeF() == pytest.approx(before)


def test_scope_menu_and_include_agreements_stay_in_step(make_window) -> None:
    window = make_window(SAMPLE)
    action = window.actions_by_id["include_agreements"]
    window.queue.scope.setCurrentIndex(2)  # all cases
    assert action.isChecked() and window.settings.include_agreements
    action.trigger()  # off again
    assert window.queue.scope.currentIndex() == 0 and not window.settings.include_agreements
    assert window.progress_bar.maximum() == 43


def test_window_geometry_is_remembered(make_window, qtbot: QtBot) -> None:
    window = make_window()
    window.resize(720, 590)  # fits the 800x600 offscreen screen, above the minimum size
    size = window.size()
    window.close()
    again = make_window()
    assert again.size() == size


def test_drop_a_file_onto_the_window(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    window = make_window()
    path = write_jsonl(tmp_path / "dropped.jsonl", [case("d1"), case("d2")], PASS_FAIL)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert window.model.rowCount() == 2
    assert window.ws is not None and window.ws.case_count() == 2
    assert str(window.ws.path) in window.settings.recent


def test_import_maps_foreign_fields_through_the_dialog(
    make_window, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.ui import files as mw
    from annotator.ui.import_dialog import ImportDialog

    rows = [
        {"qid": "q1", "prompt": "p", "response": "r", "verdict": "pass", "human_labels": ["fail"]}
    ]
    path = write_jsonl(tmp_path / "foreign.jsonl", rows)
    shown: list[ImportDialog] = []

    def accept_guess(p: Path, parent=None, submit=None):
        dialog = ImportDialog(p, parent)
        shown.append(dialog)
        assert dialog.mapping() is not None  # the dialog guessed qid/prompt/response/verdict
        choice = mw.ImportChoice(p, dialog.mapping(), dialog.strict(), dialog.encoding())
        submit(choice, lambda refused: None)  # Import pressed: the dialog starts the import
        return choice

    monkeypatch.setattr(mw.ImportDialog, "ask", staticmethod(accept_guess))
    window = make_window()
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert shown, "a file in foreign field names goes through the mapping dialog"
    assert window.model.rowCount() == 1
    detail = window.review.detail
    assert detail is not None and detail.case.id == "q1"
    assert [r.label for r in detail.case.ratings] == ["fail"]


def test_refused_file_shows_the_reason_and_imports_nothing(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMessageBox

    rows = [case("same"), case("same")]
    window = make_window()
    window.open_path(write_jsonl(tmp_path / "dups.jsonl", rows, PASS_FAIL))
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "dups.jsonl, line 3: duplicate id 'same'" in boxes[0].text()
    assert window.ws is None
    workspaces = list((Path(os.environ["ANNOTATOR_BASEDIR"]) / "data" / "workspaces").glob("*"))
    assert workspaces == []  # the empty workspace made for the refused file is removed


def test_skipped_lines_are_reported(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    path = tmp_path / "some-bad.jsonl"
    path.write_text(json.dumps(case("ok")) + "\n{oops\n", encoding="utf-8")
    window = make_window(path)
    assert window.model.rowCount() == 1
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "1 line was skipped:" in boxes[0].text()
    assert "some-bad.jsonl, line 2" in boxes[0].text()  # in sight, not behind Show Details


def test_threshold_change_requeries(
    make_window, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.ui import dialogs

    window = make_window(SAMPLE)
    before = window.model.rowCount()
    monkeypatch.setattr(dialogs, "ask_threshold", lambda *a, **k: 0.0)
    window.actions_by_id["threshold"].trigger()  # reclassifies off the GUI thread
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert window.model.rowCount() > before  # off-by-one scores now count as disagreements


def test_summary_runs_in_the_background(
    make_window, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.ui import dialogs

    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_text", lambda parent, title, text: shown.append(text))
    window = make_window(SAMPLE)
    window.actions_by_id["summary"].trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "judge vs raters' consensus" in shown[0]


def test_long_output_goes_in_a_scrolling_plain_text_view(make_window, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    long_text = "<b>not bold</b> " * 20_000  # 300 KB
    rows = [case("long", output=long_text)]
    window = make_window(write_jsonl(tmp_path / "long.jsonl", rows, PASS_FAIL))
    views = [v for v in window.view.findChildren(QPlainTextEdit) if v.objectName() == "caseText"]
    assert len(views) == 1
    assert views[0].toPlainText() == long_text
    assert views[0].isReadOnly()


def test_candidates_show_who_preferred_them(make_window, qtbot: QtBot) -> None:
    window = make_window(SAMPLE)
    window.resize(1280, 720)
    window.queue.select_id(window.review.service.row_id("pref-008") or 0)

    def chips() -> list[QLabel]:
        return [
            lb
            for lb in window.view.findChildren(QLabel)
            if lb.text().startswith("✓ ") and lb.isVisible() and lb.width() > 20
        ]

    qtbot.waitUntil(lambda: {lb.text() for lb in chips()} >= {"✓ judge", "✓ j.ruiz"}, timeout=3000)


def test_undoing_a_skip_keeps_what_was_typed(make_window, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    window.panel.choose_label_number(2)
    window.panel.rationale.setPlainText("thinking about it")
    window.actions_by_id["skip"].trigger()
    assert window.review.detail is not None and window.review.detail.case.id == "b"
    window.actions_by_id["undo"].trigger()
    assert window.review.detail is not None and window.review.detail.case.id == "a"
    assert window.review.detail.status is Status.UNDECIDED
    assert window.panel.rationale.toPlainText() == "thinking about it"
    assert window.panel.label() == "pass"


def test_clear_on_an_undecided_case_discards_the_draft(make_window, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL))
    window.panel.rationale.setPlainText("never mind")
    window.review.keep_draft()
    window.actions_by_id["clear"].trigger()
    assert window.panel.rationale.toPlainText() == ""
    service = window.review.service
    assert service is not None and service.draft(service.row_id("a") or 0) is None


def test_long_jobs_show_a_modal_progress_dialog(make_window, qtbot: QtBot) -> None:
    import threading

    from PySide6.QtWidgets import QProgressDialog

    window = make_window()
    release = threading.Event()
    window.runner.run(
        "Working…",
        lambda progress, cancelled: release.wait(5),
        lambda r: None,
        lambda e: None,
        cancellable=False,
    )
    qtbot.waitUntil(
        lambda: any(d.isVisible() for d in window.findChildren(QProgressDialog)), timeout=3000
    )
    dialog = next(d for d in window.findChildren(QProgressDialog) if d.isVisible())
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    release.set()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=5000)


def test_unbroken_text_never_pushes_the_verdicts_off_screen(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    url = "https://example.org/" + "segment/" * 40
    rows = [
        case(
            "id-" + "9" * 90,
            output=f"See {url}",
            raters={"a-rater-with-an-extremely-long-name": "fail", "anna": "fail"},
        )
    ]
    rows[0]["ratings"][1]["comment"] = "w" * 10_000
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    window.resize(1280, 720)  # a small laptop screen
    qtbot.wait(50)
    assert window.view.viewport().width() > 400
    assert window.view.horizontalScrollBar().maximum() == 0
    assert window.view.widget().width() <= window.view.viewport().width()


def test_importing_more_cases_stays_on_the_current_case(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    from annotator.ui.import_dialog import ImportChoice

    window = make_window(write_jsonl(tmp_path / "a.jsonl", [case("a"), case("b")], PASS_FAIL))
    window.review.go(+1)
    assert window.review.detail is not None and window.review.detail.case.id == "b"
    more = write_jsonl(tmp_path / "more.jsonl", [case("c")], PASS_FAIL)
    window.files.run_import(window.ws, ImportChoice(more, None, False, None), switch=False)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert window.model.rowCount() == 3
    assert window.review.detail is not None and window.review.detail.case.id == "b"


def test_keys_after_an_error_or_a_move_choose_labels_not_text(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    window.queue.table.setFocus()
    key(qtbot, window, "Ctrl+Return")  # no label yet: an error, focus stays in review
    assert "label" in window.panel.error.text()
    key(qtbot, window, "1")
    assert window.panel.label() == "fail" and window.panel.rationale.toPlainText() == ""
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "typed on a")
    key(qtbot, window, "Alt+Right")  # move on from inside the text box
    assert window.review.detail is not None and window.review.detail.case.id == "b"
    key(qtbot, window, "2")
    assert window.panel.label() == "pass" and window.panel.rationale.toPlainText() == ""


def test_a_tag_typed_but_not_entered_is_saved_and_not_carried_over(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    window.panel.choose_label_number(1)
    window.panel.rationale.setPlainText("why")
    key(qtbot, window, "Ctrl+T")
    qtbot.keyClicks(window.panel.tag_edit, "safety")
    key(qtbot, window, "Ctrl+Return")
    service = window.review.service
    saved = service.case(service.row_id("a") or 0).decision
    assert saved is not None and saved.tags == ("safety",)
    assert window.panel.tag_edit.text() == ""


def test_ampersands_in_labels_are_shown_not_turned_into_shortcuts(
    make_window, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QPushButton

    header = {"labels": ["R&D", "Q&A", "other"]}
    rows = [case("a", judge="R&D", raters={"r": "Q&A"})]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, header))
    texts = [b.text() for b in window.panel.findChildren(QPushButton)]
    assert "1   R&&D" in texts and "2   Q&&A" in texts  # "&&" displays as "&"
    window.actions_by_id["who_auto"].trigger()  # Alt+D is still unambiguous


def test_many_raters_share_one_compact_card(make_window, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    raters = {f"r{i:02d}": ("fail" if i % 4 else "pass") for i in range(20)}
    window = make_window(
        write_jsonl(tmp_path / "c.jsonl", [case("crowd", raters=raters)], PASS_FAIL)
    )
    shown = {lb.text() for lb in window.view.findChildren(QLabel)}
    assert {"20 raters", "fail ×15", "pass ×5"} <= shown
    lists = [v for v in window.view.findChildren(QPlainTextEdit) if v.objectName() == "ratingsList"]
    assert len(lists) == 1 and "r07: fail" in lists[0].toPlainText()
    assert lists[0].maximumHeight() <= 200


def test_next_case_out_of_sight_turns_a_page_of_the_queue(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    from annotator.ui.queue_panel import CONTEXT_ROWS

    rows = [case(f"c{i:03d}") for i in range(200)]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    table = window.queue.table
    qtbot.waitUntil(lambda: window.model.rowCount() == 200, timeout=5000)

    def top_row() -> int:
        return table.rowAt(0)

    # Down: the case comes near the top, the few before it above it.
    window.queue.select_row(120)
    assert top_row() == 120 - CONTEXT_ROWS
    # The next cases are in sight: the table stays where it is (nothing repainted needlessly).
    scrolled = table.verticalScrollBar().value()
    for row in (121, 122, 123):
        window.queue.select_row(row)
        assert table.verticalScrollBar().value() == scrolled
    # Up, out of sight: near the bottom, the few after it below it.
    window.queue.select_row(60)
    bottom = table.rowAt(table.viewport().height() - 1)
    assert bottom in (60 + CONTEXT_ROWS, 60 + CONTEXT_ROWS + 1)  # a last row partly shown
    assert table.viewport().rect().contains(table.visualRect(window.model.index(60, 0)))


def _row_in_sight(window: MainWindow, row: int) -> bool:
    """Whether the whole of the queue's ``row`` shows."""
    table = window.queue.table
    return table.viewport().rect().contains(table.visualRect(window.model.index(row, 0)))


def test_the_queue_turns_its_page_while_the_last_case_in_sight_is_read(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    """Moving down to the last row in sight, the queue turns its page once the case is shown,
    not when the next case is asked for (a page turn repaints every row: docs/benchmarks.md)."""
    from annotator.ui.queue_panel import CONTEXT_ROWS

    rows = [case(f"c{i:03d}") for i in range(200)]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    table, queue = window.queue.table, window.queue
    qtbot.waitUntil(lambda: window.model.rowCount() == 200, timeout=5000)
    bar = table.verticalScrollBar()

    def in_sight(row: int) -> bool:
        return _row_in_sight(window, row)

    queue.select_row(0)
    last = max(row for row in range(60) if in_sight(row))
    # The reviewer scrolled the queue away from the case: it stays where they put it.
    queue.select_row(last - 1)
    queue.select_row(last)
    bar.setValue(bar.maximum())
    qtbot.wait(50)
    assert bar.value() == bar.maximum() and not in_sight(last)
    # Moving down to the last row in sight: the page turns with the case shown...
    bar.setValue(0)
    queue.select_row(last - 1)
    queue.select_row(last)
    qtbot.waitUntil(lambda: table.rowAt(0) == last + 1 - CONTEXT_ROWS, timeout=2000)
    assert in_sight(last) and in_sight(last + 1) and queue.current_row() == last
    # ...and the next case, in sight, turns nothing.
    scrolled = bar.value()
    window.actions_by_id["next"].trigger()
    assert queue.current_row() == last + 1 and bar.value() == scrolled


def test_a_queue_with_two_rows_in_sight_keeps_the_case_in_sight(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    """A page turned by more rows than are in sight hid the case it turned to (a short window:
    the rows kept above it were all that showed)."""
    rows = [case(f"c{i:03d}") for i in range(200)]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    table, queue = window.queue.table, window.queue
    qtbot.waitUntil(lambda: window.model.rowCount() == 200, timeout=5000)
    table.setFixedHeight(table.horizontalHeader().height() + 2 * table.rowHeight(0) + 6)
    qtbot.waitUntil(lambda: table.viewport().height() < 3 * table.rowHeight(0), timeout=2000)

    def in_sight(row: int) -> bool:
        return _row_in_sight(window, row)

    queue.select_row(100)
    assert in_sight(100)
    for row in range(101, 106):
        window.actions_by_id["next"].trigger()
        qtbot.wait(20)  # (the page turned ahead, if it is)
        assert queue.current_row() == row and in_sight(row)
    queue.select_row(40)  # up, out of sight
    assert in_sight(40)


def test_the_queue_header_is_painted_when_a_selection_comes_or_goes_not_at_each_case(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    """Its titles are bold while a row is selected (a row crosses every column), plain while
    none is; from one selected row to the next they do not change, and are not repainted
    (Qt repaints the whole header at every selection: 0.3 ms of each next case)."""
    from PySide6.QtCore import QEvent, QObject

    rows = [case(f"c{i:03d}") for i in range(40)]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    table, queue = window.queue.table, window.queue
    qtbot.waitUntil(lambda: window.model.rowCount() == 40, timeout=5000)
    header = table.horizontalHeader()

    class Paints(QObject):
        count = 0

        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            self.count += event.type() == QEvent.Type.Paint
            return False

    paints = Paints()
    header.viewport().installEventFilter(paints)
    queue.select_row(0)
    qtbot.wait(50)
    selected = header.grab().toImage()
    paints.count = 0
    for row in range(1, 6):
        window.actions_by_id["next"].trigger()
        qtbot.wait(20)
        assert queue.current_row() == row
    assert paints.count == 0
    table.clearSelection()
    qtbot.waitUntil(lambda: paints.count > 0, timeout=2000)
    assert header.grab().toImage() != selected  # the titles plain again
    queue.select_row(3)
    qtbot.waitUntil(lambda: header.grab().toImage() == selected, timeout=2000)
    # A reset clears the selection without a word; the next row selected is marked all the same.
    window.model.beginResetModel()
    window.model.endResetModel()
    qtbot.wait(50)
    queue.select_row(2)
    qtbot.waitUntil(lambda: header.grab().toImage() == selected, timeout=2000)


def test_the_label_buttons_keep_their_room_across_criteria_where_the_panel_has_it(
    make_window, qtbot: QtBot
) -> None:
    """On a tall window, what is under the label buttons stays in place from a criterion of
    five labels to one of two (the buttons keep the room of the tallest set shown lately); on
    a short one, where the panel scrolls, they keep none and the panel scrolls no more than
    before. A queue with no case forgets the sets shown."""
    from PySide6.QtCore import QPoint

    window = make_window(SAMPLE)
    panel = window.panel
    judge = panel._who_buttons[WhoRight.JUDGE]

    def walk(steps: int) -> list[tuple[int, int, int]]:
        """(labels, where "who was right" is, where the first label button is) per case."""
        seen = []
        for _ in range(steps):
            qtbot.wait(30)
            first = panel._label_buttons[0].mapTo(panel, QPoint(0, 0)).y()
            seen.append((len(panel._label_buttons), judge.mapTo(panel, QPoint(0, 0)).y(), first))
            window.actions_by_id["next"].trigger()
        return seen

    window.resize(1600, 1000)
    window.queue.select_row(0)
    seen = walk(16)
    assert {labels for labels, _, _ in seen} >= {2, 5}
    after_five = seen[[labels for labels, _, _ in seen].index(5) :]
    assert len({who for _, who, _ in after_five}) == 1  # in place, two labels or five
    assert len({first for _, _, first in seen}) == 1  # the buttons at the top of their room

    window.resize(1280, 560)  # the panel scrolls with five labels
    qtbot.wait(50)
    seen = walk(16)
    assert panel._labels_host.minimumHeight() == 0
    two = {who for labels, who, _ in seen if labels == 2}
    five = {who for labels, who, _ in seen if labels == 5}
    assert two and five and max(two) < min(five)  # as the buttons need it

    window.resize(1600, 1000)
    window.queue.search.setText("no such text anywhere zzz")
    qtbot.waitUntil(lambda: window.review.detail is None, timeout=3000)
    assert panel._label_sets.tallest() == 0  # (sets shown lately: none)
