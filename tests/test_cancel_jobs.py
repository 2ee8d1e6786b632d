"""A Cancel that cancels (issue 18): the merge and the merged export stop with nothing changed,
also while the merge writes its decisions; in the window, the Cancel button stops the job,
the dialog says "Cancelling…" until it has stopped, the status bar says what was left as it
was, and at a job's last step (its commit) the button goes grey rather than promise a stop."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from annotator.services import cancelling
from annotator.services.exporter import ExportCancelled
from annotator.services.importer import import_file
from annotator.services.merge import (
    MergeCancelled,
    export_merged,
    has_reviews,
    merge_into_workspace,
)
from annotator.services.merge import workspace as merge_workspace
from annotator.services.workspace import Workspace
from annotator.storage import reviews
from annotator.ui.workers import JobDialog, TaskRunner, count_text
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)


@pytest.fixture
def files(pack: Path, tmp_path: Path) -> list[Path]:
    return [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]


@pytest.fixture
def lead(pack: Path, tmp_path: Path) -> Workspace:
    ws = Workspace.open(tmp_path / "lead.annotator")
    import_file(ws, pack)
    yield ws
    ws.close()


def _review_rows(ws: Workspace) -> tuple[int, int]:
    """The reviews and the merged files the workspace holds."""
    with ws.engine.connect() as conn:
        count = conn.exec_driver_sql
        found = count("SELECT count(*) FROM review").scalar()
        merged = count("SELECT count(*) FROM merge_source").scalar()
    return found or 0, merged or 0


# -- the services ---------------------------------------------------------------------------------


def test_a_cancel_while_the_merge_writes_rolls_it_back(
    files: list[Path], lead: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files are read and checked; the cancel comes while the decisions are written
    (a batch is in the transaction): nothing stays."""
    monkeypatch.setattr(merge_workspace, "STORE_BATCH", 2)
    stored: list[int] = []
    store = reviews.store_reviews

    def storing(conn: Any, batch: Any) -> int:
        stored.append(len(batch))
        return store(conn, batch)

    monkeypatch.setattr(reviews, "store_reviews", storing)
    with pytest.raises(MergeCancelled, match="nothing was merged"):
        merge_into_workspace(lead, files, cancelled=lambda: bool(stored))
    assert stored == [2]  # one batch written, then the cancel
    assert not has_reviews(lead)
    assert _review_rows(lead) == (0, 0)
    assert merge_into_workspace(lead, files).cases == 5  # and a merge after it is whole


def test_the_merge_asks_a_last_time_before_its_commit(files: list[Path], lead: Workspace) -> None:
    """A cancel after the last decision was written still stops it (``last_chance``)."""
    asked: list[bool] = []

    class Closing:
        def __call__(self) -> bool:
            return False

        def close(self) -> bool:
            asked.append(True)
            return True  # the user cancelled just before the commit

    with pytest.raises(MergeCancelled):
        merge_into_workspace(lead, files, cancelled=Closing())
    assert asked == [True]
    assert not has_reviews(lead)


def test_a_cancelled_merged_export_writes_nothing(
    files: list[Path], lead: Workspace, tmp_path: Path
) -> None:
    merge_into_workspace(lead, files)
    out = tmp_path / "merged.jsonl"
    out.write_text("the earlier merged file\n", encoding="utf-8")
    with pytest.raises(ExportCancelled):
        export_merged(lead, out, cancelled=lambda: True)
    assert out.read_text(encoding="utf-8") == "the earlier merged file\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".merged")] == []
    seen: list[tuple[int, int]] = []
    report = export_merged(lead, out, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (report.cases, report.cases) == (5, 5)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5


def test_last_chance_without_a_closable_cancel() -> None:
    cancelling.last_chance(None, RuntimeError)
    cancelling.last_chance(lambda: False, RuntimeError)
    with pytest.raises(RuntimeError):
        cancelling.last_chance(lambda: True, RuntimeError)


def test_counts_as_people_read_them() -> None:
    assert count_text(312_000, 1_000_000, "cases") == "312,000 of 1,000,000 cases"
    assert count_text(3, 0, "files") == "3 files"
    assert count_text(41_200_000, 120_000_000, "bytes") == "41.2 MB of 120.0 MB"
    assert count_text(5, 10, "") == ""


# -- the window -----------------------------------------------------------------------------------


def _dialog(window: Any) -> JobDialog | None:
    return next((d for d in window.findChildren(JobDialog) if d.isVisible()), None)


def _cancel_button(dialog: JobDialog) -> QPushButton:
    return next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel")


@pytest.mark.gui
def test_pressing_cancel_during_a_merge_leaves_the_workspace_as_it_was(
    make_window: Any,
    qtbot: QtBot,
    pack: Path,
    files: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotator.ui import files as ui_files

    def slowly(ws: Any, paths: Any, progress: Any, **options: Any) -> Any:
        def step(done: int, total: int) -> None:
            progress(done, total)
            time.sleep(0.5)  # a file a half second: long enough to press Cancel in

        return merge_into_workspace(ws, paths, step, **options)

    monkeypatch.setattr(ui_files, "merge_into_workspace", slowly)
    window = make_window(pack, reviewer="Lead Lee")
    ws = window.ws
    assert ws is not None and _review_rows(ws) == (0, 0)
    window.files.merge(files)
    qtbot.waitUntil(lambda: _dialog(window) is not None, timeout=10000)
    dialog = _dialog(window)
    assert dialog is not None
    qtbot.waitUntil(lambda: "of 3 files" in dialog.labelText(), timeout=10000)
    _cancel_button(dialog).click()
    assert dialog.isVisible() and "Cancelling…" in dialog.labelText()  # until it has stopped
    assert not _cancel_button(dialog).isEnabled()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert not dialog.isVisible() if _dialog(window) is dialog else True
    assert window.statusBar().currentMessage() == "Merge cancelled: nothing was merged."
    assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert _review_rows(ws) == (0, 0) and not has_reviews(ws)
    assert window.queue.reviews.isHidden()


@pytest.mark.gui
def test_cancelling_the_merged_export_says_the_file_is_as_it_was(
    make_window: Any,
    qtbot: QtBot,
    pack: Path,
    files: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotator.ui import files as ui_files

    def after_cancel(ws: Any, out: Path, *, progress: Any, cancelled: Any) -> Any:
        deadline = time.monotonic() + 10
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        return export_merged(ws, out, progress=progress, cancelled=cancelled)

    monkeypatch.setattr(ui_files, "export_merged", after_cancel)
    window = make_window(pack, reviewer="Lead Lee")
    window.files.merge(files)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    for box in window.findChildren(QMessageBox):
        box.accept()
    out = tmp_path / "merged.jsonl"
    out.write_text("before\n", encoding="utf-8")
    task = window.files.export_merged_to(out)
    assert task is not None
    assert task.cancel()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert out.read_text(encoding="utf-8") == "before\n"
    assert window.statusBar().currentMessage() == (
        "Export cancelled: merged.jsonl is as it was before."
    )
    assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]


@pytest.mark.gui
def test_the_cancel_button_goes_grey_at_the_step_that_cannot_stop(qtbot: QtBot) -> None:
    """And the dialog stays up once the count is full, until the job has ended."""
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    runner = TaskRunner(parent)
    go, committing, release = threading.Event(), threading.Event(), threading.Event()
    results: list[Any] = []

    def job(progress: Any, cancelled: Any) -> str:
        progress(1, 2)
        go.wait(10)
        progress(2, 2)  # all counted; the job goes on (a merge writes, an export renames)
        cancelling.last_chance(cancelled, RuntimeError)
        committing.set()
        release.wait(10)
        return "committed"

    task = runner.run("Saving…", job, results.append, results.append, unit="cases")
    dialog = runner.dialogs[task]
    qtbot.waitUntil(lambda: dialog.isVisible() and "1 of 2 cases" in dialog.labelText())
    go.set()
    qtbot.waitUntil(committing.is_set, timeout=5000)
    qtbot.waitUntil(lambda: not _cancel_button(dialog).isEnabled(), timeout=5000)
    assert dialog.isVisible()
    assert "2 of 2 cases" in dialog.labelText() and "cannot be cancelled" in dialog.labelText()
    assert task.cancel() is False  # (a cancel now would be a lie: not taken)
    release.set()
    qtbot.waitUntil(lambda: results == ["committed"], timeout=5000)
