"""The lead's window: merge reviewer files, settle a conflict by keyboard, export the merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QTextEdit
from pytestqt.qtbot import QtBot

from annotator.domain.merge import ReviewState
from annotator.domain.model import Status
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, key, reviewer_file, write_jsonl

pytestmark = pytest.mark.gui


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)


@pytest.fixture
def files(pack: Path, tmp_path: Path) -> list[Path]:
    return [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]


def shown_text(window) -> str:  # type: ignore[no-untyped-def]
    labels = [label.text() for label in window.view.findChildren(QLabel)]
    texts = [edit.toPlainText() for edit in window.view.findChildren(QTextEdit)]
    return "\n".join(labels + texts)


def test_lead_merges_settles_a_conflict_and_exports(
    make_window, qtbot: QtBot, pack: Path, files: list[Path], tmp_path: Path
) -> None:
    window = make_window(pack, reviewer="Lead Lee")
    assert not window.actions_by_id["export_merged"].isEnabled()
    assert window.queue.reviews.isHidden()

    window.files.merge(files)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "2 reviewer conflicts (2 open)" in boxes[0].text()
    boxes[0].accept()
    window.activateWindow()  # as the desktop does when the message box closes
    qtbot.waitUntil(window.isActiveWindow)

    # The queue now lists exactly the conflicts, and the case shows each reviewer's reasons.
    assert window.queue.reviews.isVisible()
    assert window.model.filter.review_state is ReviewState.CONFLICT
    listed = {window.model.data(window.model.index(r, 0)) for r in range(window.model.rowCount())}
    assert listed == {"c2", "c3"}
    detail = window.review.detail
    assert detail is not None and detail.case.id in listed
    first = detail.case.id
    text = shown_text(window)
    assert "REVIEWERS DISAGREE (3)" in text.upper()
    assert f"ben on {first}" in text and f"ana on {first}" in text

    # Settle it from the keyboard, like a reviewer's decision.
    window.queue.table.setFocus()
    key(qtbot, window, "1")  # "fail"
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "The source says the opposite.")
    key(qtbot, window, "Ctrl+Return")
    assert window.review.service is not None
    settled = window.review.service.case(detail.row_id)
    assert settled.status is Status.DECIDED and settled.decision is not None
    assert settled.decision.reviewer == "Lead Lee"

    # Undo and redo, as for any decision.
    key(qtbot, window, "Ctrl+Z")
    assert window.review.service.case(detail.row_id).status is Status.UNDECIDED
    key(qtbot, window, "Ctrl+Shift+Z")
    assert window.review.service.case(detail.row_id).status is Status.DECIDED

    out = tmp_path / "merged.jsonl"
    assert window.actions_by_id["export_merged"].isEnabled()
    window.files.export_merged_to(out)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert records[first]["resolution"] == "lead" and records[first]["label"] == "fail"
    assert records[first]["lead"]["reviewer"] == "Lead Lee"
    assert records[first]["lead"]["rationale"] == "The source says the opposite."
    other = ({"c2", "c3"} - {first}).pop()
    assert records[other]["resolution"] == "conflict" and records[other]["label"] is None
    assert records["c1"]["resolution"] == "unanimous"

    # Reopened later, the workspace is still the lead's.
    workspace = window.ws.path
    window.close()
    again = make_window(workspace, reviewer="Lead Lee")
    assert again.queue.reviews.isVisible() and again.actions_by_id["conflicts"].isEnabled()
    again.show_conflicts()
    assert again.model.rowCount() == 2


def test_a_refused_merge_says_why_and_changes_nothing(
    make_window, qtbot: QtBot, pack: Path, files: list[Path], tmp_path: Path
) -> None:
    window = make_window(pack, reviewer="Lead Lee")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(files[0].read_text(encoding="utf-8")[:-30], encoding="utf-8")
    window.files.merge([files[1], bad])
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "nothing was merged" in boxes[0].windowTitle()
    assert "bad.jsonl, line 5: the line is cut short" in boxes[0].text()
    assert window.queue.reviews.isHidden()
    assert not window.actions_by_id["export_merged"].isEnabled()


def test_agreement_page_opens_a_heat_map_cell_as_the_queue(
    make_window, qtbot: QtBot, pack: Path, files: list[Path], tmp_path: Path, monkeypatch
) -> None:
    from annotator.ui.heat_map import HeatMap

    window = make_window(pack, reviewer="Lead Lee")
    window.files.merge(files)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    service = window.review.service
    assert service is not None
    service.decide(service.row_id("c2") or 0, "fail", "The source says the opposite.")

    window.actions_by_id["agreement"].trigger()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=10000)
    page = window.agreement_page
    assert page is not None and page.isVisible()
    heat = page.findChild(HeatMap)
    assert heat is not None and heat.matrix.labels == ("fail", "pass")
    # Every judge label is "pass": truth fail is c1 (unanimous), c2 (the lead) ; pass: c4, c6.
    assert heat.matrix.counts == ((0, 2), (0, 2))

    # Click the "judge said pass, truth is fail" cell: exactly those cases become the queue.
    row, column = 0, 1
    qtbot.mouseClick(heat, Qt.MouseButton.LeftButton, pos=heat._rect(row, column).center())
    listed = {window.model.data(window.model.index(r, 0)) for r in range(window.model.rowCount())}
    assert listed == {"c1", "c2"}
    assert window.queue.reviews.currentText() == "Judge said pass, final fail"

    # The keyboard opens a cell too: Down moves to the "truth pass" row.
    heat.setFocus()
    heat._current = (0, 1)
    key(qtbot, heat, "Down")
    key(qtbot, heat, "Return")
    listed = {window.model.data(window.model.index(r, 0)) for r in range(window.model.rowCount())}
    assert listed == {"c4", "c6"}

    # Export HTML: offered in the last export folder, which then becomes the new one.
    from annotator.ui import agreement_page

    (tmp_path / "last").mkdir()
    (tmp_path / "new").mkdir()
    window.settings.export_dir = str(tmp_path / "last")
    offered: list[str] = []
    out = tmp_path / "new" / "report.html"

    def save_as(_parent, _title, default, _filters):  # type: ignore[no-untyped-def]
        offered.append(default)
        return str(out), _filters

    monkeypatch.setattr(agreement_page.QFileDialog, "getSaveFileName", save_as)
    page.export_html()
    assert Path(offered[0]).parent == tmp_path / "last"
    assert "<table" in out.read_text(encoding="utf-8")
    assert window.settings.export_dir == str(tmp_path / "new")


def test_export_dialogs_remember_the_folder_and_pick_the_format(
    make_window, qtbot: QtBot, pack: Path, files: list[Path], tmp_path: Path, monkeypatch
) -> None:
    from annotator.ui import files as files_module

    asked: list[str] = []

    def save_as(_parent, _title, default, _filters):  # type: ignore[no-untyped-def]
        asked.append(default)
        return str(tmp_path / "exports" / "merged.jsonl"), ""

    (tmp_path / "exports").mkdir()
    monkeypatch.setattr(files_module.QFileDialog, "getSaveFileName", save_as)
    window = make_window(pack, reviewer="Lead Lee")
    window.files.merge(files)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    dialog = window.files.choose_and_export()
    assert dialog is not None
    assert dialog.selectedFiles()[0].endswith("Test-project-decisions-Lead-Lee.jsonl")
    dialog.setDirectory(str(tmp_path / "exports"))
    dialog.selectNameFilter("CSV (*.csv)")
    dialog.selectFile("out.csv")
    dialog.accept()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert (tmp_path / "exports" / "out.csv").read_text(encoding="utf-8").startswith("format,")
    window.files.choose_and_export_merged()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert (tmp_path / "exports" / "merged.jsonl").exists()
    assert asked[0] == str(tmp_path / "exports" / "Test-project-merged.jsonl")  # the last folder


def test_a_cancelled_merge_merges_nothing_and_says_so_quietly(
    make_window,
    qtbot: QtBot,
    pack: Path,
    files: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancel reaches the merge (it used to be ignored: the merge went on and reported
    "Reviewer files merged"); a cancelled merge is no error box, and leaves no review."""
    import time

    from annotator.services.merge import merge_into_workspace
    from annotator.ui import files as ui_files

    def after_cancel(*args, cancelled, **kwargs):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 10
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        return merge_into_workspace(*args, cancelled=cancelled, **kwargs)

    monkeypatch.setattr(ui_files, "merge_into_workspace", after_cancel)
    window = make_window(pack, reviewer="Lead Lee")
    task = window.files.merge(files)
    assert task is not None
    task.cancel()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=15000)
    assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert window.statusBar().currentMessage() == "Merge cancelled: nothing was merged."
    assert window.queue.reviews.isHidden()
    assert not window.actions_by_id["export_merged"].isEnabled()
