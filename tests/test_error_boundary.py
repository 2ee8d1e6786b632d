"""One error boundary: every way a command or the window can fail ends in one line (or one
message) and an exit status; a bug's traceback goes to the crash log under the basedir."""

from __future__ import annotations

import errno
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from annotator import cli, console
from annotator.cli import main
from annotator.services.review import ReviewService
from annotator.services.summary import Summary, summarize
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The basedir each command is given (--basedir): the crash log goes under it."""
    return tmp_path / "base"


@pytest.fixture
def workspace(tmp_path: Path, base: Path) -> Path:
    """A workspace of three cases, one decided."""
    cases = write_jsonl(tmp_path / "c.jsonl", [case(f"c{i}") for i in range(3)], PASS_FAIL)
    path = tmp_path / "w.annotator"
    assert main(["--basedir", str(base), "import", str(cases), "-w", str(path)]) == 0
    ws = Workspace.open(path)
    review = ReviewService(ws, "tester")
    review.decide(review.row_id("c0") or 0, "fail", "wrong")
    ws.close()
    return path


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_bug_in_a_command_is_one_line_and_the_crash_log(
    workspace: Path, base: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ws: Workspace) -> Summary:
        raise RuntimeError("the tally went wrong\nsecond line")

    monkeypatch.setattr(cli, "summarize", broken)
    capsys.readouterr()
    assert main(["summary", str(workspace), "--basedir", str(base)]) == console.EXIT_BUG
    line = _one_line(capsys.readouterr().err)
    log = base / "data" / "logs" / "crash.log"
    assert line == (
        "annotator: internal error: RuntimeError: the tally went wrong. Details were written "
        f"to {log}; please send that file to the developers."
    )
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: the tally went wrong" in text
    assert "in broken" in text and "summary" in text  # where, and the command line


def test_a_bare_value_error_is_a_bug_not_the_users_error(
    workspace: Path, base: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ws: Workspace) -> Summary:
        return int("not a number")  # type: ignore[return-value]

    monkeypatch.setattr(cli, "summarize", broken)
    assert main(["summary", str(workspace), "--basedir", str(base)]) == console.EXIT_BUG
    assert "internal error: ValueError" in capsys.readouterr().err


def test_the_users_value_errors_stay_errors(
    tmp_path: Path, workspace: Path, base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_jsonl(tmp_path / "d.jsonl", [case("a")], PASS_FAIL)
    for args in (
        ["import", str(cases), "--map", "nonsense=x"],
        ["import", str(cases), "--threshold", "-1"],
        ["export", str(workspace), "-o", str(tmp_path / "c.jsonl")],  # its own case file
        ["export", str(workspace), "-o", str(workspace)],
    ):
        capsys.readouterr()
        assert main([*args, "--basedir", str(base)]) == console.EXIT_ERROR, args
        assert _one_line(capsys.readouterr().err).startswith("annotator: error: ")
    assert not (base / "data" / "logs" / "crash.log").exists()


def test_ctrl_c_in_a_command(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = 0

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        nonlocal rows
        yield {"id": "c0"}
        rows += 1
        raise KeyboardInterrupt

    monkeypatch.setattr("annotator.services.exporter._records", interrupted)
    out = tmp_path / "out.jsonl"
    assert main(["export", str(workspace), "-o", str(out)]) == 130
    assert _one_line(capsys.readouterr().err) == "annotator: interrupted"
    assert rows == 1 and not out.exists()
    assert os.listdir(tmp_path).count("out.jsonl") == 0
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_ctrl_c_while_a_connection_closes_is_still_one_line(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLAlchemy's pool logs what stops it closing a connection, with its traceback, then
    raises it again: a Ctrl+C in that moment is still one line (a command configures no
    logging, so Python's last-resort handler printed the record on stderr)."""
    import logging

    from sqlalchemy.engine.default import DefaultDialect

    monkeypatch.setattr(logging.root, "handlers", [])  # (as in the command: none; not pytest's)
    closes = 0
    close = DefaultDialect.do_close

    def interrupted_close(self: DefaultDialect, connection: Any) -> None:
        nonlocal closes
        closes += 1
        close(self, connection)
        if closes == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(DefaultDialect, "do_close", interrupted_close)
    assert main(["export", str(workspace), "-o", str(tmp_path / "out.jsonl")]) == 130
    assert closes >= 1
    assert _one_line(capsys.readouterr().err) == "annotator: interrupted"
    failing = logging.getLogger("annotator.test")
    failing.propagate = False
    try:
        failing.error("not an interrupt", exc_info=ValueError("shown"))
    finally:
        failing.propagate = True
    assert "ValueError: shown" in capsys.readouterr().err  # (other records still show)


def test_sigterm_is_ctrl_c_with_its_own_status(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def terminated(ws: Workspace) -> Summary:
        raise console.Terminated

    monkeypatch.setattr(cli, "summarize", terminated)
    assert main(["summary", str(workspace)]) == 143
    assert _one_line(capsys.readouterr().err) == "annotator: terminated"


def _writer_failing(code: int) -> Callable[..., Callable[[dict[str, Any]], None]]:
    def writer(fh: Any) -> Callable[[dict[str, Any]], None]:
        def write(record: dict[str, Any]) -> None:
            raise OSError(code, os.strerror(code))  # as a write(2) says it: no file name

        return write

    return writer


def test_a_full_disk_while_exporting_names_the_file(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("annotator.services.exporter.jsonl_writer", _writer_failing(errno.ENOSPC))
    out = tmp_path / "out.jsonl"
    out.write_text("the previous export\n", encoding="utf-8")
    assert main(["export", str(workspace), "-o", str(out)]) == console.EXIT_ERROR
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("annotator: error: the disk is full: ")
    assert str(out) in line and ".tmp" not in line
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_a_folder_that_may_not_be_written(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The system's refusal to create the temporary file names the file asked for."""
    for code, words in ((errno.EACCES, "permission denied"), (errno.EROFS, "read-only")):

        def refused(
            *args: Any, dir: str = "", prefix: str = "", code: int = code, **kwargs: Any
        ) -> Any:
            raise OSError(code, os.strerror(code), os.path.join(dir, prefix + "x.tmp"))

        monkeypatch.setattr(tempfile, "mkstemp", refused)
        out = tmp_path / "out.jsonl"
        assert main(["export", str(workspace), "-o", str(out)]) == console.EXIT_ERROR
        line = _one_line(capsys.readouterr().err)
        assert words in line and str(out) in line and ".tmp" not in line, line


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions (root ignores them)"
)
def test_a_read_only_folder(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert main(["export", str(workspace), "-o", str(folder / "out.jsonl")]) == 1
    finally:
        folder.chmod(0o755)
    line = _one_line(capsys.readouterr().err)
    assert "permission denied" in line and str(folder / "out.jsonl") in line


def test_summary_json_is_always_json(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def odd(ws: Workspace) -> Summary:
        summary = summarize(ws)
        summary.criteria[0].threshold = math.inf
        summary.criteria[0].judge_consensus_kappa = math.nan
        return summary

    monkeypatch.setattr(cli, "summarize", odd)
    capsys.readouterr()
    assert main(["summary", str(workspace), "--json"]) == 0
    out = capsys.readouterr().out

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in the JSON")

    data = json.loads(out, parse_constant=refuse)
    assert data["criteria"][0]["threshold"] is None
    assert data["criteria"][0]["judge_consensus_kappa"] is None


def test_a_huge_threshold_in_a_header_is_valid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1e999 reads as infinity; the summary's JSON must still parse (or the file is refused)."""
    header = {"labels": ["1", "2", "3"], "ordinal": True, "threshold": 1e999}
    path = write_jsonl(tmp_path / "inf.jsonl", [case("a", "1", {"x": "3"})], header)
    status = main(["summary", str(path), "--json"])
    captured = capsys.readouterr()
    assert "Infinity" not in captured.out and "NaN" not in captured.out
    if status == 0:
        json.loads(captured.out)
    else:
        _one_line(captured.err)


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_a_busy_workspace_says_it_waits_then_gives_up(
    tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_jsonl(tmp_path / "more.jsonl", [case("z")], PASS_FAIL)
    holder = _hold_write_lock(workspace)
    try:
        capsys.readouterr()
        status = main(["import", str(cases), "-w", str(workspace), "--wait", "1.5"])
    finally:
        holder.rollback()
        holder.close()
    lines = capsys.readouterr().err.splitlines()
    assert status == console.EXIT_ERROR and "Traceback" not in "\n".join(lines)
    assert lines[0] == ("annotator: waiting for w.annotator: another program is writing to it…")
    assert lines[-1].startswith("annotator: error: ") and len(lines) == 2, lines


def test_the_wait_counts_seconds_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(os, "name", "posix")
    pipe, tty = StringIO(), Terminal()
    for stream in (pipe, tty):
        notice = console.WaitNotice(Path("/x/w.annotator"), stream)
        for seconds in (0.2, 1.2, 2.2):
            notice(seconds)
    line = "annotator: waiting for w.annotator: another program is writing to it…"
    assert pipe.getvalue() == line + "\n"
    assert tty.getvalue() == (f"{line}\n\x1b[F{line} 1 s\x1b[K\n\x1b[F{line} 2 s\x1b[K\n")


def test_wait_must_be_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("-1", "nan", "soon"):
        with pytest.raises(SystemExit) as stop:
            main(["summary", "x", "--wait", bad])
        assert stop.value.code == 2
        assert "is not a number of seconds" in capsys.readouterr().err


def test_help_tells_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["summary", "--help"])
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["--help"])
    assert "2 an internal error" in capsys.readouterr().out.replace("\n", " ")


def test_no_crash_log_when_it_cannot_be_written(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full disk must not hide the bug: the traceback comes on stderr instead."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the data folder would be", encoding="utf-8")

    def broken(ws: Workspace) -> Summary:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "summarize", broken)
    monkeypatch.setattr("annotator.paths.log_dir", lambda: blocker / "logs")
    assert main(["summary", str(workspace)]) == console.EXIT_BUG
    err = capsys.readouterr().err
    assert err.startswith("annotator: internal error: RuntimeError: boom. The details could not")
    assert "Traceback" in err


# -- the window -----------------------------------------------------------------------------------


@pytest.mark.gui
def test_the_window_logs_a_bug_in_a_slot_and_says_so_once(qtbot: Any, isolated_dirs: Path) -> None:
    from PySide6.QtCore import QTimer

    from annotator.ui.app import CrashHook, make_app

    shown: list[tuple[str, str]] = []
    hook = CrashHook(make_app(), show=lambda text, details: shown.append((text, details)))
    hook.install()
    try:

        def slot() -> None:
            raise RuntimeError("a slot broke")

        QTimer.singleShot(0, slot)
        qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)

        def in_a_thread() -> None:
            raise LookupError("a thread broke")

        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)

        def a_full_disk() -> None:  # a refusal no handler caught: its own words, and the log
            raise OSError(errno.ENOSPC, "No space left on device", "/x/settings.json")

        QTimer.singleShot(0, a_full_disk)
        qtbot.waitUntil(lambda: len(shown) == 3, timeout=5000)
    finally:
        hook.uninstall()
    assert sys.excepthook is not hook.excepthook
    log = isolated_dirs / "data" / "logs" / "crash.log"
    text, details = shown[0]
    assert text == (
        "Internal error: RuntimeError: a slot broke. Details were written to "
        f"{log}; please send that file to the developers."
    )
    assert details == "" and "LookupError: a thread broke" in shown[1][0]
    assert shown[2][0] == (
        "The disk is full: /x/settings.json could not be written; free some space and try "
        f"again. (Details were written to {log}.)"
    )
    logged = log.read_text(encoding="utf-8")
    assert "RuntimeError: a slot broke" in logged and "LookupError: a thread broke" in logged


@pytest.mark.gui
def test_the_crash_message_box_is_shown_once_while_it_is_up(qtbot: Any) -> None:
    from PySide6.QtWidgets import QMessageBox

    from annotator.ui import app

    hook = app.CrashHook(app.make_app())
    boxes: list[Any] = []

    def show(text: str, details: str) -> Any:
        boxes.append(app.show_crash(text, details))
        return boxes[-1]

    hook.show = show
    hook.install()
    try:
        for _ in range(3):  # as a paint event would, again and again
            sys.excepthook(RuntimeError, RuntimeError("again"), None)
        qtbot.waitUntil(lambda: len(boxes) == 1 and boxes[0].isVisible(), timeout=5000)
        qtbot.wait(50)
        assert len(boxes) == 1
        box = boxes[0]
        assert isinstance(box, QMessageBox) and "again" in box.text()
        box.close()
    finally:
        hook.uninstall()


def test_a_corrupt_workspace_at_startup_is_a_message(tmp_path: Path, base: Path) -> None:
    """The window's start (here its self-test, in a process of its own as a user runs it)."""
    bad = tmp_path / "broken.annotator"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    result = subprocess.run(
        [sys.executable, "-m", "annotator", str(bad), "--self-test", "--basedir", str(base)],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "broken.annotator" in result.stderr


def test_settings_that_cannot_be_saved_last_the_session_and_say_why(
    make_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config folder that cannot be written (faked: root ignores permissions): saving a
    setting says so in the status bar instead of raising out of a slot."""
    import errno

    from annotator import fileio
    from annotator.settings import Settings

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(Settings.file()))

    window = make_window()
    monkeypatch.setattr(fileio.tempfile, "mkstemp", refuse)
    window.set_include_agreements(True)
    assert window.settings.include_agreements
    shown = window.statusBar().currentMessage()
    assert shown.startswith("Settings not saved (Read-only file system")
    assert "they last this session" in shown
