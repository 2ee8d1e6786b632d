"""The window when the workspace is not simply there for it: another program holds its write
lock (the window waits, says so, then refuses without losing anything), another window has it
open (one writer: the other is read-only, or takes over), or another window changed a case
since it was shown."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSysInfo, QTimer
from pytestqt.qtbot import QtBot

from annotator.domain.model import Status
from annotator.services.importer import import_file
from annotator.services.review import CaseDetail, ChangedElsewhere, ReviewService
from annotator.services.workspace import Workspace
from annotator.ui.main_window import MainWindow
from annotator.ui.one_writer import Choice
from annotator.ui.writer_lock import Holder, LockRefused, WriterLock, lock_path
from tests.helpers import PASS_FAIL, case, key, write_jsonl

pytestmark = pytest.mark.gui

MakeWindow = Callable[..., MainWindow]


def workspace(tmp_path: Path, ids: tuple[str, ...] = ("a", "b", "c")) -> Path:
    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    import_file(ws, write_jsonl(tmp_path / "cases.jsonl", [case(i) for i in ids], PASS_FAIL))
    ws.close()
    return path


@contextmanager
def locked(path: Path) -> Iterator[sqlite3.Connection]:
    """Another program holding the workspace's write lock."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        release(other)


def release(other: sqlite3.Connection) -> None:
    try:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    except sqlite3.ProgrammingError:  # closed already
        pass


def stored(path: Path, ext_id: str) -> CaseDetail:
    """The case as the workspace has it (read with a connection of its own)."""
    ws = Workspace.open(path)
    try:
        review = ReviewService(ws)
        row_id = review.row_id(ext_id)
        assert row_id is not None
        return review.case(row_id)
    finally:
        ws.close()


def history_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM history").fetchone()[0])


def press(qtbot: QtBot, window: MainWindow, sequence: str) -> None:
    """Press keys in ``window`` (made the active one: shortcuts act in the active window)."""
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    key(qtbot, window, sequence)


def type_decision(qtbot: QtBot, window: MainWindow, number: str, rationale: str) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.queue.table.setFocus()
    press(qtbot, window, number)
    press(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, rationale)


def shown_id(window: MainWindow) -> str | None:
    detail = window.review.detail
    return detail.case.id if detail is not None else None


def error_text(window: MainWindow) -> str:
    assert window.panel.error.isVisible(), "no message under the decision"
    return window.panel.error.text()


def impatient(window: MainWindow, seconds: float = 1.0) -> MainWindow:
    window.writes.patience = seconds
    window.writes.draft_patience = 0.3
    return window


def never_asked(*_args: Any) -> Choice:
    raise AssertionError("asked about another window, though none holds the workspace")


def never_confirmed(*_args: Any) -> bool:
    raise AssertionError("asked to confirm taking over, though nobody holds the workspace")


def losing(counts: list[int]) -> Callable[[Any, int, str], bool]:
    """The answer to "lose what could not be written?": yes, noting how many cases."""

    def answer(_window: Any, count: int, _why: str) -> bool:
        counts.append(count)
        return True

    return answer


def confirming(holders: list[Holder]) -> Callable[[Any, str, Holder], bool]:
    def answer(_window: Any, _name: str, holder: Holder) -> bool:
        holders.append(holder)
        return True

    return answer


# -- a busy workspace --------------------------------------------------------------------------


def test_a_busy_save_waits_saying_so_then_keeps_what_was_typed(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    window = impatient(make_window(path))
    waits: list[str] = []
    window.writes.waiting.connect(waits.append)
    painted: list[bool] = []
    type_decision(qtbot, window, "1", "The dose is wrong.")
    with locked(path):
        QTimer.singleShot(300, lambda: painted.append(True))  # the event loop runs meanwhile
        press(qtbot, window, "Ctrl+Return")
        assert painted
        assert waits and waits[0].startswith(
            "Waiting for w.annotator: another program is writing to it…"
        )
        assert waits[-1].endswith(" s")
        text = error_text(window)
        assert "w.annotator is busy" in text and "nothing was written" in text
        assert "What you typed is kept here" in text
        assert "w.annotator is busy" in window.statusBar().currentMessage()
    assert shown_id(window) == "a"
    assert window.panel.label() == "fail"
    assert window.panel.rationale.toPlainText() == "The dose is wrong."
    assert stored(path, "a").status is Status.UNDECIDED


def test_the_lock_freed_during_the_wait_lets_the_save_through(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    window = make_window(path)  # the window's own patience: far longer than the wait
    waits: list[str] = []
    window.writes.waiting.connect(waits.append)
    type_decision(qtbot, window, "1", "The dose is wrong.")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    QTimer.singleShot(800, lambda: release(other))
    press(qtbot, window, "Ctrl+Return")
    assert waits, "the save did not wait"
    assert shown_id(window) == "b"
    decided = stored(path, "a")
    assert decided.status is Status.DECIDED and decided.decision is not None
    assert decided.decision.rationale == "The dose is wrong."


def _decide_a(qtbot: QtBot, window: MainWindow) -> None:
    type_decision(qtbot, window, "1", "first decision")
    press(qtbot, window, "Ctrl+Return")
    assert shown_id(window) == "b"


def _skip(qtbot: QtBot, window: MainWindow) -> str:
    return "Ctrl+K"


def _clear(qtbot: QtBot, window: MainWindow) -> str:
    _decide_a(qtbot, window)
    window.queue.table.setFocus()
    press(qtbot, window, "Alt+Left")
    assert shown_id(window) == "a"
    return "Ctrl+Shift+Backspace"


def _discard_draft(qtbot: QtBot, window: MainWindow) -> str:
    type_decision(qtbot, window, "2", "a thought")
    window.queue.table.setFocus()
    return "Ctrl+Shift+Backspace"


def _undo(qtbot: QtBot, window: MainWindow) -> str:
    _decide_a(qtbot, window)
    return "Ctrl+Z"


def _redo(qtbot: QtBot, window: MainWindow) -> str:
    _decide_a(qtbot, window)
    press(qtbot, window, "Ctrl+Z")
    assert window.ws is not None and window.ws.path is not None
    assert stored(window.ws.path, "a").status is Status.UNDECIDED
    return "Ctrl+Shift+Z"


@pytest.mark.parametrize(
    "prepare", [_skip, _clear, _discard_draft, _undo, _redo], ids=lambda f: f.__name__[1:]
)
def test_skip_clear_undo_redo_on_a_busy_workspace_say_so_and_change_nothing(
    make_window: MakeWindow,
    qtbot: QtBot,
    tmp_path: Path,
    prepare: Callable[[QtBot, MainWindow], str],
) -> None:
    path = workspace(tmp_path)
    window = impatient(make_window(path), 0.6)
    keys = prepare(qtbot, window)
    before = {cid: stored(path, cid) for cid in ("a", "b")}
    shown, typed = shown_id(window), window.panel.rationale.toPlainText()
    steps = history_count(path)
    window.queue.table.setFocus()
    with locked(path):
        press(qtbot, window, keys)  # must not raise: every refusal is shown, not thrown
        assert "w.annotator is busy" in error_text(window)
        assert "w.annotator is busy" in window.statusBar().currentMessage()
    after = {cid: stored(path, cid) for cid in ("a", "b")}
    assert [(d.status, d.decision) for d in after.values()] == [
        (d.status, d.decision) for d in before.values()
    ]
    assert history_count(path) == steps
    assert shown_id(window) == shown
    assert window.panel.rationale.toPlainText() == typed


def test_a_draft_that_cannot_be_written_stays_on_screen_and_goes_in_later(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    window = impatient(make_window(path))
    with locked(path):
        type_decision(qtbot, window, "2", "half a thought")
        window.review.keep_draft()  # the autosave's timer, or leaving the case
        assert "kept on screen" in window.statusBar().currentMessage()
        window.queue.table.setFocus()
        press(qtbot, window, "Alt+Right")  # leaving it, while the workspace is still busy
        press(qtbot, window, "Alt+Left")
        assert shown_id(window) == "a"
        assert window.panel.rationale.toPlainText() == "half a thought"
        assert window.panel.label() == "pass"
    assert window.review.unsaved() == 0  # written once the workspace is free
    assert stored(path, "a").draft == {
        "label": "pass",
        "rationale": "half a thought",
        "who_right": None,
        "tags": [],
        "confidence": None,
    }


def test_keys_acted_on_during_a_wait_are_refused_not_nested(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """Whatever gets through while a save waits (a key, a timer) does not start a second
    write inside it: the decision is saved once, and nothing else happens."""
    path = workspace(tmp_path)
    window = make_window(path)
    type_decision(qtbot, window, "1", "once")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    nested: list[str] = []

    def meanwhile(_text: str) -> None:
        if nested:
            return
        nested.append("in")
        window.actions_by_id["save_next"].trigger()
        nested.append(error_text(window))
        window.actions_by_id["skip"].trigger()
        window.review.keep_draft()
        window.close()  # closing waits for the write
        assert window.isVisible()
        release(other)

    window.writes.waiting.connect(meanwhile)
    press(qtbot, window, "Ctrl+Return")
    assert "still waiting to be saved" in nested[1]
    assert stored(path, "a").status is Status.DECIDED
    assert stored(path, "b").status is Status.UNDECIDED  # the skip did not happen
    assert history_count(path) == 1
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    assert not lock_path(path).exists()


def test_a_job_finishing_during_a_wait_is_handed_over_after_it(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """A background job's result (an import's, say) is not applied inside a waiting save."""
    path = workspace(tmp_path)
    window = make_window(path)
    type_decision(qtbot, window, "1", "saved after the wait")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    results: list[tuple[object, bool]] = []

    def meanwhile(_text: str) -> None:
        if window.runner.tasks or results:
            return
        window.runner.run(
            "a job",
            lambda _progress, _cancelled: 42,
            lambda value: results.append((value, window.writes.busy)),
            lambda exc: results.append((exc, window.writes.busy)),
            cancellable=False,
        )
        QTimer.singleShot(700, lambda: release(other))

    window.writes.waiting.connect(meanwhile)
    press(qtbot, window, "Ctrl+Return")
    assert shown_id(window) == "b"
    qtbot.waitUntil(lambda: bool(results), timeout=3000)
    assert results == [(42, False)]


# -- one writer per workspace ------------------------------------------------------------------


def open_second(make_window: MakeWindow, path: Path, choice: Choice) -> tuple[MainWindow, list]:
    """A second window opening ``path``, answering the question with ``choice``."""
    asked: list[tuple[str, Holder]] = []
    second = make_window(reviewer="Dr Second")

    def ask(_parent: Any, name: str, holder: Holder) -> Choice:
        asked.append((name, holder))
        return choice

    second.writer.ask = ask
    second.open_path(path)
    return second, asked


def test_a_second_window_opens_read_only_and_its_saves_are_refused(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    first = make_window(path)
    assert lock_path(path).exists() and not first.banner.isVisible()
    second, asked = open_second(make_window, path, Choice.READ_ONLY)
    assert [(name, holder.pid) for name, holder in asked] == [("w.annotator", os.getpid())]
    banner = second.banner.text.text()
    assert second.banner.isVisible() and banner.startswith("w.annotator is open")
    assert f"process {os.getpid()} on" in banner
    assert second.banner.take_over.isVisible()
    assert second.read_only_label.isVisible() and "(read-only)" in second.windowTitle()

    type_decision(qtbot, second, "2", "the second window's view")
    press(qtbot, second, "Ctrl+Return")
    text = error_text(second)
    assert text.startswith("Not saved: w.annotator is open in another annotator window")
    assert "What you typed is kept here" in text
    assert second.panel.rationale.toPlainText() == "the second window's view"
    second.queue.table.setFocus()
    press(qtbot, second, "Ctrl+K")
    assert "read-only" in error_text(second)

    type_decision(qtbot, first, "1", "the first window's decision")
    press(qtbot, first, "Ctrl+Return")
    decision = stored(path, "a").decision
    assert decision is not None and decision.rationale == "the first window's decision"
    assert stored(path, "b").status is Status.UNDECIDED

    # What the read-only window typed stays with its case while it moves about...
    second.queue.table.setFocus()
    press(qtbot, second, "Alt+Right")
    press(qtbot, second, "Alt+Left")
    assert second.panel.rationale.toPlainText() == "the second window's view"
    # ...and closing asks before it is lost.
    lost: list[int] = []
    second.confirm_lose = losing(lost)
    second.close()
    assert lost == [1]
    assert lock_path(path).exists()  # still the first window's
    assert first.writer.check()


def test_taking_over_makes_the_first_window_read_only_keeping_what_it_typed(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    first = make_window(path)
    type_decision(qtbot, first, "1", "typed in the first window")
    second, asked = open_second(make_window, path, Choice.TAKE_OVER)
    assert len(asked) == 1 and not second.banner.isVisible()

    qtbot.waitUntil(first.banner.isVisible, timeout=5000)  # its timer noticed
    assert "taken over by another annotator window" in first.banner.text.text()
    assert "read-only" in error_text(first)
    assert first.panel.rationale.toPlainText() == "typed in the first window"
    press(qtbot, first, "Ctrl+Return")
    assert "was taken over" in error_text(first)
    assert first.panel.rationale.toPlainText() == "typed in the first window"

    type_decision(qtbot, second, "2", "the second window decides")
    press(qtbot, second, "Ctrl+Return")
    decision = stored(path, "a").decision
    assert decision is not None and decision.rationale == "the second window decides"

    first.confirm_lose = lambda *_args: True
    first.close()
    assert second.writer.check() and lock_path(path).exists()  # the first left it alone


def test_a_read_only_window_takes_over_once_the_other_has_closed(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    first = make_window(path)
    second, _asked = open_second(make_window, path, Choice.READ_ONLY)
    type_decision(qtbot, second, "2", "kept while read-only")
    second.review.keep_draft()
    first.close()
    assert not lock_path(path).exists()

    second.writer.confirm = never_confirmed  # nobody holds it: no question
    second.banner.take_over.click()
    assert not second.banner.isVisible() and "(read-only)" not in second.windowTitle()
    assert stored(path, "a").draft is not None  # what it held went in
    second.panel.setFocus()
    press(qtbot, second, "Ctrl+Return")
    assert stored(path, "a").status is Status.DECIDED


def test_a_window_takes_back_a_workspace_taken_from_it(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    first = make_window(path)
    second, _asked = open_second(make_window, path, Choice.TAKE_OVER)
    assert not first.writer.check() and first.banner.isVisible()
    confirmed: list[Holder] = []
    first.writer.confirm = confirming(confirmed)
    first.banner.take_over.click()
    assert confirmed and not first.banner.isVisible()
    assert not second.writer.check() and second.banner.isVisible()


def test_the_lock_follows_the_workspace_shown(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    one = workspace(tmp_path / "one")
    two = workspace(tmp_path / "two")
    window = make_window(one)
    assert lock_path(one).exists()
    window.open_path(two)
    assert not lock_path(one).exists() and lock_path(two).exists()
    window.open_path(two)  # the same workspace again: still its writer, not asked
    assert window.writer.why is None and lock_path(two).exists()
    window.close()
    assert not lock_path(two).exists()


def test_a_lock_left_by_a_process_that_died_is_taken_without_asking(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = QSysInfo.machineHostName()
    lock_path(path).write_text(f"{gone.stdout.strip()}\nannotator\n{host}\n", encoding="utf-8")
    window = make_window()
    window.writer.ask = never_asked
    window.open_path(path)
    assert window.writer.why is None and window.writer.check()


HOLDER = """
import sys
from PySide6.QtCore import QCoreApplication, QLockFile
app = QCoreApplication([])
lock = QLockFile(sys.argv[1])
lock.setStaleLockTime(0)
assert lock.tryLock(0)
print("locked", flush=True)
sys.stdin.readline()
"""


def test_another_program_holding_the_lock_is_named_and_can_be_taken_over(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    other = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path(path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "locked"
        window, asked = open_second(make_window, path, Choice.READ_ONLY)
        assert [holder.pid for _name, holder in asked] == [other.pid]
        assert window.banner.isVisible()
        window.writer.confirm = lambda *_args: True
        window.banner.take_over.click()
        assert not window.banner.isVisible() and window.writer.check()
    finally:
        other.kill()
        other.wait()


def test_cancelling_leaves_the_workspace_unopened(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    first = make_window(path)
    second, asked = open_second(make_window, path, Choice.CANCEL)
    assert asked and second.ws is None and second.review.detail is None
    assert first.writer.check()


# -- changed in another window ------------------------------------------------------------------


def test_a_case_changed_elsewhere_is_shown_again_with_what_was_typed(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    window = make_window(path)
    type_decision(qtbot, window, "1", "my reasons")
    elsewhere = Workspace.open(path)
    try:
        other = ReviewService(elsewhere, "Dr Other")
        row_id = other.row_id("a")
        assert row_id is not None
        other.decide(row_id, "pass", "other reasons")
    finally:
        elsewhere.close()

    press(qtbot, window, "Ctrl+Return")
    text = error_text(window)
    assert "changed in another window" in text and "decided 'pass' by Dr Other" in text
    assert shown_id(window) == "a"
    detail = window.review.detail
    assert detail is not None and detail.decision is not None
    assert detail.decision.reviewer == "Dr Other"  # shown as it is now...
    assert window.panel.label() == "fail"  # ...with what was typed on it
    assert window.panel.rationale.toPlainText() == "my reasons"
    assert window.progress_bar.value() == 1  # the queue and counts as they are now
    decision = stored(path, "a").decision
    assert decision is not None and decision.reviewer == "Dr Other"

    press(qtbot, window, "Ctrl+Return")  # deciding again, knowing
    decision = stored(path, "a").decision
    assert decision is not None and decision.reviewer == "Dr Test"
    assert decision.rationale == "my reasons"


def test_an_undo_refused_as_changed_elsewhere_is_shown_and_changes_nothing(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = workspace(tmp_path)
    window = make_window(path)
    _decide_a(qtbot, window)
    service = window.review.service
    assert service is not None
    refusal = "Cannot undo the decide on a: the case was changed since, in another window."

    def changed_since() -> None:
        raise ChangedElsewhere(refusal)

    service.undo = changed_since  # type: ignore[method-assign]
    press(qtbot, window, "Ctrl+Z")
    assert error_text(window) == refusal
    assert window.statusBar().currentMessage() == refusal
    assert shown_id(window) == "b" and stored(path, "a").status is Status.DECIDED


# -- a workspace that cannot be written --------------------------------------------------------


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder holding a workspace that this process may not write: a read-only mount for
    root (which permissions do not stop), or a folder without write permission otherwise."""
    source = workspace(tmp_path / "src")
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        mount = ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)]
        if subprocess.run(mount, capture_output=True).returncode != 0:
            pytest.skip("cannot mount a file system here")
        (folder / source.name).write_bytes(source.read_bytes())
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        try:
            yield folder
        finally:
            subprocess.run(["umount", str(folder)], check=False)
    else:
        (folder / source.name).write_bytes(source.read_bytes())
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


def test_a_workspace_that_cannot_be_written_opens_read_only_for_its_own_reason(
    make_window: MakeWindow, qtbot: QtBot, read_only_folder: Path
) -> None:
    path = read_only_folder / "w.annotator"
    with pytest.raises(LockRefused, match="is its folder read-only"):
        WriterLock(path).try_lock()
    window = make_window()
    window.writer.ask = never_asked
    window.open_path(path)
    assert window.review.detail is not None and shown_id(window) == "a"
    assert window.banner.isVisible() and not window.banner.take_over.isVisible()
    assert "w.annotator cannot be written here" in window.banner.text.text()
    type_decision(qtbot, window, "1", "cannot be kept")
    press(qtbot, window, "Ctrl+Return")
    assert "cannot write to" in error_text(window)
    window.confirm_lose = lambda *_args: True
