"""The write-ahead log an import's commit leaves is copied into the database file by a copy
that can be stopped (``storage.db.copy_log``): by ``stop()`` (the window's Cancel) or by a
Ctrl+C in the waiting thread; what is committed stays, and the next copy finishes the job."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from annotator.storage.db import copy_log

ROWS = 12_000  # 4 KB each: a log of about 50 MB, which no machine copies in a millisecond


def _log_of(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("CREATE TABLE t (n INTEGER, blob BLOB)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO t VALUES (?, ?)", ((n, os.urandom(4000)) for n in range(ROWS)))
    db.execute("COMMIT")
    return db


def _copied(db: sqlite3.Connection) -> bool:
    """Whether every frame of the log is in the database file (a passive checkpoint that
    finds nothing left to copy)."""
    busy, frames, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return busy == 0 and frames == done


def test_the_copy_runs_to_its_end(tmp_path):
    path = tmp_path / "w.db"
    db = _log_of(path)
    size_before = path.stat().st_size
    assert copy_log(path) is True
    assert path.stat().st_size > size_before + ROWS * 4000 // 2  # the pages are in the file
    assert db.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
    db.close()


def test_stop_interrupts_the_copy_and_the_next_finishes_it(tmp_path):
    path = tmp_path / "w.db"
    db = _log_of(path)
    size_before = path.stat().st_size
    assert copy_log(path, stop=lambda: True, poll=0.001) is False
    assert path.stat().st_size < size_before + ROWS * 4000  # not all of it was copied
    assert db.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)  # nothing lost
    assert copy_log(path) is True
    assert _copied(db)
    db.close()


def test_ctrl_c_in_the_waiting_thread_stops_the_copy(tmp_path):
    path = tmp_path / "w.db"
    db = _log_of(path)

    def ctrl_c() -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_log(path, stop=ctrl_c, poll=0.001)
    assert db.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
    assert copy_log(path) is True
    db.close()
