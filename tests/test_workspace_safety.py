"""Opening a workspace changes nothing until it is known to be ours, and what SQLite reports
(damaged, read-only, busy, full) reaches the user as the app's own errors, never a traceback."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.workspace import (
    NotAWorkspace,
    Workspace,
    WorkspaceBusy,
    WorkspaceCorrupt,
    WorkspaceError,
    WorkspaceFull,
    WorkspaceReadOnly,
)
from annotator.storage import db
from tests.helpers import PASS_FAIL, case, write_jsonl

FIXTURES = Path(__file__).resolve().parent / "data" / "workspaces"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_beside(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with three cases, one decided, closed and checkpointed."""
    cases = write_jsonl(tmp_path / "cases.jsonl", [case(f"c{i}") for i in range(3)], PASS_FAIL)
    path = tmp_path / "ws.annotator"
    ws = Workspace.open(path)
    import_file(ws, cases)
    review = ReviewService(ws, "ana")
    review.decide(review.row_id("c0") or 0, "fail", "wrong")
    ws.close()
    return path


def sqlite_file(path: Path, sql: str, application_id: int = 0) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    if application_id:
        conn.execute(f"PRAGMA application_id = {application_id}")
    conn.commit()
    conn.close()
    return path


# -- foreign files are refused untouched --------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "app_id"),
    [
        (
            "CREATE TABLE notes (id INTEGER PRIMARY KEY); INSERT INTO notes VALUES (1)",
            0,
        ),
        ("CREATE TABLE project (id INTEGER); CREATE TABLE cases (id INTEGER)", 0x12345678),
    ],
    ids=["other-tables", "other-application-id"],
)
def test_another_applications_database_is_refused_and_left_unchanged(
    tmp_path: Path, sql: str, app_id: int
) -> None:
    path = sqlite_file(tmp_path / "notes.db", sql, app_id)
    before, names = digest(path), files_beside(path)
    with pytest.raises(NotAWorkspace, match="another application"):
        Workspace.open(path)
    assert digest(path) == before
    assert files_beside(path) == names  # no -wal, no -shm
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_new_and_old_workspaces_carry_the_application_id(tmp_path: Path) -> None:
    new = tmp_path / "new.annotator"
    Workspace.open(new).close()
    old = tmp_path / "v1.annotator"
    shutil.copyfile(FIXTURES / "v1.annotator", old)
    Workspace.open(old).close()
    for path in (new, old):
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
        conn.close()


# -- damaged and inconsistent workspaces ---------------------------------------------------------


def test_a_truncated_workspace_is_refused_naming_the_file_and_the_way_out(
    workspace: Path,
) -> None:
    size = workspace.stat().st_size
    with workspace.open("r+b") as fh:
        fh.truncate(size // 2)
    before = digest(workspace)
    with pytest.raises(WorkspaceCorrupt) as caught:
        Workspace.open(workspace)
    message = str(caught.value)
    assert str(workspace) in message and "damaged" in message
    assert "annotator export" in message and "backup" in message
    assert digest(workspace) == before


def test_garbage_after_the_sqlite_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.annotator"
    path.write_bytes(db.SQLITE_MAGIC + os.urandom(4096))
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(path)
    assert "bad.annotator" in str(caught.value)


def test_damage_found_while_reading_is_the_apps_error(workspace: Path) -> None:
    """A page damaged after opening: the read raises WorkspaceCorrupt, not a SQLAlchemy error."""
    ws = Workspace.open(workspace)
    with ws.engine.connect() as conn:  # the pages of the cases table and its indexes
        roots = conn.exec_driver_sql(
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = 'cases' AND rootpage > 0"
        ).scalars()
        pages = list(roots)
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    ws.close()
    assert pages and isinstance(page_size, int)
    with workspace.open("r+b") as fh:
        for page in pages:
            fh.seek((page - 1) * page_size)
            fh.write(b"\xff" * 64)
    ws = Workspace.open(workspace)
    try:
        with pytest.raises(WorkspaceCorrupt, match="damaged"):
            ws.case_count()
    finally:
        ws.close()


def test_a_version_that_does_not_match_the_tables_is_refused_without_a_backup(
    workspace: Path,
) -> None:
    conn = sqlite3.connect(workspace)
    conn.execute("PRAGMA user_version = 1")  # but it has schema 2's tables
    conn.commit()
    conn.close()
    before = digest(workspace)
    for _attempt in range(2):
        with pytest.raises(WorkspaceCorrupt, match="schema 2"):
            Workspace.open(workspace)
    assert digest(workspace) == before
    assert not list(workspace.parent.glob("*.bak"))


def test_a_missing_table_is_refused_before_anything_is_imported(
    workspace: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(workspace)
    conn.execute("DROP TABLE tag")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceCorrupt, match="table tag is missing"):
        Workspace.open(workspace)


def test_an_upgrade_that_fails_is_backed_up_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "v1.annotator"
    shutil.copyfile(FIXTURES / "v1.annotator", old)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("simulated failure")

    monkeypatch.setitem(db.MIGRATIONS, 1, broken)
    for _attempt in range(3):
        with pytest.raises(sqlite3.OperationalError):
            Workspace.open(old)
    assert [p.name for p in tmp_path.glob("*.bak")] == ["v1.annotator.v1.bak"]
    conn = sqlite3.connect(old)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1  # rolled back
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchall()
    conn.close()
    monkeypatch.undo()
    Workspace.open(old).close()  # and the real upgrade then goes through
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_a_large_write_ahead_log_is_truncated_at_opening(workspace: Path) -> None:
    log = Path(f"{workspace}-wal")
    conn = sqlite3.connect(workspace)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE filler (x BLOB)")
    chunk = os.urandom(1 << 20)
    for _ in range(8):
        conn.execute("INSERT INTO filler VALUES (?)", (chunk,))
    conn.execute("DELETE FROM filler")
    conn.commit()
    # The log stays as a killed process would leave it: this connection is still open, so
    # nothing checkpoints it at close.
    assert log.stat().st_size > db.WAL_LEFT_BYTES
    ws = Workspace.open(workspace)
    assert ws.case_count() == 3
    ws.close()
    conn.close()
    assert not log.exists() or log.stat().st_size <= db.WAL_LEFT_BYTES


# -- read-only ------------------------------------------------------------------------------------


@pytest.fixture
def read_only_copy(workspace: Path, tmp_path: Path) -> Iterator[Path]:
    """The workspace in a folder this process may not write: a read-only mount for root (which
    permissions do not stop), or a folder without write permission otherwise."""
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / workspace.name
    if os.geteuid() == 0:
        if (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)]
            ).returncode
            != 0
        ):
            pytest.skip("cannot mount a file system here")
        shutil.copyfile(workspace, target)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        try:
            yield target
        finally:
            subprocess.run(["umount", str(folder)], check=False)
    else:
        shutil.copyfile(workspace, target)
        target.chmod(0o444)
        folder.chmod(0o555)
        try:
            yield target
        finally:
            folder.chmod(0o755)


def test_a_read_only_workspace_opens_for_reading_and_refuses_writes(
    read_only_copy: Path, tmp_path: Path
) -> None:
    ws = Workspace.open(read_only_copy)
    try:
        assert ws.read_only and ws.case_count() == 3
        out = tmp_path / "out.jsonl"
        assert export_decisions(ws, out) == 1
        review = ReviewService(ws, "ana")
        with pytest.raises(WorkspaceReadOnly, match="Copy the workspace"):
            review.decide(review.row_id("c1") or 0, "pass", "fine")
        with pytest.raises(WorkspaceReadOnly):
            review.skip(review.row_id("c2") or 0)
    finally:
        ws.close()


# -- busy -------------------------------------------------------------------------------------


def hold_lock(path: Path, seconds: float) -> threading.Thread:
    ready = threading.Event()

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    return thread


def test_a_write_waits_for_a_busy_workspace_telling_the_caller_then_gives_up(
    workspace: Path,
) -> None:
    waits: list[float] = []
    ws = Workspace.open(workspace, busy_seconds=1.2, on_wait=waits.append)
    review = ReviewService(ws, "ana")
    row = review.row_id("c1") or 0
    holder = hold_lock(workspace, 3.0)
    try:
        with pytest.raises(WorkspaceBusy, match="busy") as caught:
            review.decide(row, "pass", "fine")
        assert "ws.annotator" in str(caught.value) and "nothing was written" in str(caught.value)
        assert waits and waits == sorted(waits)
    finally:
        holder.join()
    assert review.case(row).decision is None
    review.decide(row, "pass", "fine")  # the lock is free again
    ws.close()


def test_a_write_goes_through_when_the_lock_comes_back_in_time(workspace: Path) -> None:
    waits: list[float] = []
    ws = Workspace.open(workspace, busy_seconds=30, on_wait=waits.append)
    review = ReviewService(ws, "ana")
    row = review.row_id("c1") or 0
    holder = hold_lock(workspace, 1.0)
    review.skip(row)
    holder.join()
    assert waits
    assert review.case(row).status.name == "SKIPPED"
    ws.close()


# -- a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "small"
    folder.mkdir()
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        pytest.skip("needs root on Linux to mount a small file system")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a file system here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_during_an_import_rolls_it_back_with_the_apps_error(
    small_disk: Path, tmp_path: Path
) -> None:
    rows = [case(f"c{i}", output="x" * 2000) for i in range(2000)]
    cases = write_jsonl(tmp_path / "big.jsonl", rows, PASS_FAIL)
    ws = Workspace.open(small_disk / "ws.annotator")
    try:
        with pytest.raises(WorkspaceFull, match="full"):
            import_file(ws, cases)
        assert ws.case_count() == 0
    finally:
        ws.close()


# -- two windows on one workspace -------------------------------------------------------------


def test_a_decision_never_overwrites_a_newer_one_made_elsewhere(workspace: Path) -> None:
    """Two windows (two services, two connections) show c1; the second one to save is refused
    and told what the case is now, instead of overwriting the first one's decision."""
    from annotator.services.review import ChangedElsewhere

    first, second = Workspace.open(workspace), Workspace.open(workspace)
    a, b = ReviewService(first, "ana"), ReviewService(second, "ben")
    row = a.row_id("c1") or 0
    seen_by_a, seen_by_b = a.case(row), b.case(row)
    a.decide(row, "pass", "fine", expected=seen_by_a.version)
    with pytest.raises(ChangedElsewhere, match="decided 'pass' by ana"):
        b.decide(row, "fail", "wrong", expected=seen_by_b.version)
    with pytest.raises(ChangedElsewhere):
        b.skip(row, expected=seen_by_b.version)
    with pytest.raises(ChangedElsewhere):
        b.clear(row, expected=seen_by_b.version)
    decision = a.case(row).decision
    assert decision is not None and decision.label == "pass"
    b.decide(row, "fail", "wrong after all", expected=b.case(row).version)  # seen: allowed
    first.close()
    second.close()


def test_undo_never_overwrites_a_change_made_since_elsewhere(workspace: Path) -> None:
    from annotator.services.review import ChangedElsewhere

    first, second = Workspace.open(workspace), Workspace.open(workspace)
    a, b = ReviewService(first, "ana"), ReviewService(second, "ben")
    row = a.row_id("c2") or 0
    a.decide(row, "pass", "fine")
    b.decide(row, "fail", "no", expected=b.case(row).version)
    # The last step in the history is ben's: undo takes it back (the case is as it left it).
    undone = a.undo()
    assert undone is not None and undone.ext_id == "c2"
    decision = a.case(row).decision
    assert decision is not None and decision.label == "pass"
    # Change it behind the history's back (a merge, an old version of the app): undo refuses.
    with first.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE decision SET label = 'fail' WHERE case_id = {row}")
    with pytest.raises(ChangedElsewhere, match="Cannot undo"):
        a.undo()
    first.close()
    second.close()


def test_held_writes_are_refused_saying_why(workspace: Path) -> None:
    ws = Workspace.open(workspace)
    review = ReviewService(ws, "ana")
    ws.hold_writes("ws.annotator is open in another window")
    assert ws.read_only
    with pytest.raises(WorkspaceReadOnly, match="open in another window"):
        review.decide(review.row_id("c1") or 0, "pass", "fine")
    ws.hold_writes(None)
    assert not ws.read_only
    review.decide(review.row_id("c1") or 0, "pass", "fine")
    ws.close()


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A workspace of 3000 cases with one leaf page of its cases table overwritten."""
    rows = [case(f"c{i:04d}") for i in range(3000)]
    path = tmp_path / "ws.annotator"
    ws = Workspace.open(path)
    import_file(ws, write_jsonl(tmp_path / "cases.jsonl", rows, PASS_FAIL))
    with ws.engine.connect() as conn:
        try:
            leaves = list(
                conn.exec_driver_sql(
                    "SELECT pageno FROM dbstat WHERE name = 'cases' AND pagetype = 'leaf'"
                ).scalars()
            )
        except Exception:
            pytest.skip("this SQLite has no dbstat table")
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    ws.close()
    assert len(leaves) > 3 and isinstance(page_size, int)
    with path.open("r+b") as fh:
        fh.seek((leaves[len(leaves) // 2] - 1) * page_size)
        fh.write(b"\xff" * page_size)
    return path


def test_what_can_still_be_read_of_a_damaged_workspace_is_rescued(
    damaged: Path, tmp_path: Path
) -> None:
    """One damaged page of the cases table: export refuses with WorkspaceCorrupt; the rescue
    writes every case on the other pages and counts the ones it lost."""
    import json

    from annotator.services.exporter import rescue_decisions

    ws = Workspace.open(damaged)
    try:
        with pytest.raises(WorkspaceCorrupt, match="--rescue"):
            export_decisions(ws, tmp_path / "all.jsonl", include_undecided=True)
        assert not (tmp_path / "all.jsonl").exists()
        out = tmp_path / "rescued.jsonl"
        rescue = rescue_decisions(ws, out, include_undecided=True)
    finally:
        ws.close()
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert rescue.written == len(ids) and 0 < rescue.unreadable < 3000
    assert 3000 - rescue.unreadable <= len(ids) < 3000
    assert ids == sorted(ids) and ids[0] == "c0000" and ids[-1] == "c2999"


def test_the_command_line_says_how_to_rescue_and_rescues(
    damaged: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.cli import main

    base = ["--basedir", str(tmp_path / "base")]
    out = tmp_path / "rescued.jsonl"
    assert main(["export", str(damaged), "-o", str(out), "--all", *base]) == 1
    err = capsys.readouterr().err
    assert "is damaged" in err and "--rescue" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["export", str(damaged), "-o", str(out), "--all", "--rescue", *base]) == 0
    said = capsys.readouterr().out
    assert said.startswith("Rescued ") and "could not be read" in said
    assert out.exists()
