"""A stopped job does only the work its stop needs: a workspace made for a cancelled import is
closed without syncing what is deleted next, the import's preparing thread is let go as soon
as it has ended, and a command stopped by Ctrl+C skips the interpreter's collection at exit."""

from __future__ import annotations

import atexit
import gc
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from annotator import console
from annotator.services.importer import ImportCancelled, ImportTarget, import_file
from annotator.services.lockstep import Lockstep
from annotator.services.workspace import Workspace, workspace_files
from tests.helpers import PASS_FAIL, case, write_jsonl


def _sync_at_close(ws: Workspace) -> list[int]:
    """``PRAGMA synchronous`` of each of the workspace's connections as it is closed."""
    seen: list[int] = []

    def closing(dbapi: sqlite3.Connection, _record: Any) -> None:
        seen.append(int(dbapi.execute("PRAGMA synchronous").fetchone()[0]))

    event.listen(ws.engine, "close", closing)
    return seen


def _cancelled_after(calls: int) -> Callable[[], bool]:
    """A cancel that comes on the ``calls``-th question: some batches are written first."""
    asked = 0

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return asked >= calls

    return cancelled


def test_a_workspace_made_for_a_cancelled_import_closes_without_syncing_and_goes(
    tmp_path: Path,
) -> None:
    cases = write_jsonl(tmp_path / "c.jsonl", [case(f"c{i}") for i in range(3000)], PASS_FAIL)
    made = tmp_path / "new.annotator"
    into = ImportTarget.open(cases, made)
    assert into.created
    synced = _sync_at_close(into.ws)
    with pytest.raises(ImportCancelled):
        import_file(into.ws, cases, batch=500, cancelled=_cancelled_after(3))
    into.abandon()
    assert synced and set(synced) == {0}  # (OFF: the files are deleted next)
    assert [p for p in workspace_files(made) if p.exists()] == []
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl"]


def test_a_workspace_that_was_there_is_closed_as_always_and_keeps_its_cases(
    tmp_path: Path,
) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [case(f"a{i}") for i in range(5)], PASS_FAIL)
    second = write_jsonl(tmp_path / "b.jsonl", [case(f"b{i}") for i in range(3000)], PASS_FAIL)
    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    import_file(ws, first)
    ws.close()
    into = ImportTarget.open(second, path)
    assert not into.created
    synced = _sync_at_close(into.ws)
    with pytest.raises(ImportCancelled):
        import_file(into.ws, second, batch=500, cancelled=_cancelled_after(3))
    into.abandon()
    assert synced and set(synced) == {2}  # (FULL, as every workspace)
    again = Workspace.open(path)
    try:
        assert again.case_count() == 5
    finally:
        again.close()


@pytest.mark.parametrize("ahead", [1, 4])
def test_leaving_early_stops_the_producer_and_closes_its_generator(ahead: int) -> None:
    closed = threading.Event()
    made: list[int] = []

    def produce() -> Iterator[int]:
        try:
            for i in range(1000):
                made.append(i)
                yield i
        finally:
            closed.set()

    lockstep = Lockstep(produce, ahead=ahead, name="test-producer")
    with lockstep as items:
        for item in items:
            assert item == 0
            break
    assert closed.is_set()
    assert not lockstep._thread.is_alive()
    assert len(made) <= ahead + 2  # (it stopped: not all 1000 were made)


def test_leaving_while_the_producer_makes_an_item_waits_for_that_item_only() -> None:
    making = threading.Event()
    go_on = threading.Event()
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            yield 0
            making.set()
            go_on.wait()  # (a batch being prepared as the consumer stops)
            yield 1
            yield 2
        finally:
            closed.set()

    lockstep = Lockstep(produce, ahead=2, name="test-producer")
    with lockstep as items:
        assert next(iter(items)) == 0
        making.wait()
        threading.Timer(0.05, go_on.set).start()
    assert closed.is_set()
    assert not lockstep._thread.is_alive()


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What a command asks ``atexit`` to run (none asked before in this process)."""
    calls: list[Any] = []
    monkeypatch.setattr(console, "_FREEZE_AT_EXIT", False)
    monkeypatch.setattr(atexit, "register", calls.append)
    return calls


def _raising(exc: BaseException) -> Callable[[], int]:
    def command() -> int:
        raise exc

    return command


def test_a_command_stopped_by_ctrl_c_skips_the_collection_at_exit(
    registered: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert console.guarded(_raising(KeyboardInterrupt()), lambda: ()) == 130
    assert console.guarded(_raising(console.Terminated()), lambda: ()) == 143
    assert registered == [gc.freeze]  # once
    assert capsys.readouterr().err.splitlines() == [
        "annotator: interrupted",
        "annotator: terminated",
    ]


def test_a_command_that_ends_otherwise_exits_as_always(registered: list[Any]) -> None:
    assert console.guarded(lambda: 0, lambda: ()) == 0
    assert console.guarded(_raising(OSError(28, "No space left on device")), lambda: ()) == 1
    assert registered == []
