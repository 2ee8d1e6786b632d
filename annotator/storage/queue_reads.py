"""Reading a queue's ids and rows: the SQL of :mod:`annotator.storage.queue`, run fast at a
million cases.

Ids are read straight through the sqlite3 cursor, never as SQLAlchemy rows: a million ids are a
million rows, and SQLAlchemy's result rows would double the time.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, bindparam, text

from annotator.domain import split
from annotator.domain.model import Kind, Status
from annotator.domain.queue import QueueFilter, QueueRow
from annotator.storage import project
from annotator.storage.db import driver_connection, name_of, translated
from annotator.storage.queue import select_ids
from annotator.storage.reviews import open_parts, still_open
from annotator.storage.rubric_versions import current_of
from annotator.storage.search_index import PENDING_FROM
from annotator.storage.split import DECIDED
from annotator.storage.tables import SEARCH_TABLE


def queue_ids(engine: Engine, flt: QueueFilter) -> array[int]:
    """The row ids of every case the filter admits, in queue order (compact for millions)."""
    with engine.connect() as conn, translated(name_of(engine)):
        db = driver_connection(conn)
        return _read_ids(db, *select_ids(flt, db))


PAGE = 500
"""How many ids :class:`QueueLoad` reads first: many screens of the queue."""
PAGE_SECONDS = 0.05
"""How long a page of first rows may take (three times that until the first one) before
:class:`QueueLoad` reads all the ids instead."""


class QueueLoad:
    """The ids of a queue in two steps, from one snapshot: the first rows fast, then all.

    At a million cases, listing every id of a filter takes a few hundred milliseconds, and a
    search for a common word seconds; the first screen of the queue takes milliseconds when
    the queue index is walked in order and each case checked (:func:`where` with
    ``first_rows``). A filter that admits few cases would make that walk long, so it gets
    ``page_seconds`` (default :data:`PAGE_SECONDS`), after which only the full list is read
    (which is then quick).

    :meth:`run` is meant for a worker thread; :meth:`interrupt` may be called from any thread
    and makes :meth:`run` raise :class:`QueueLoadInterrupted`.
    """

    def __init__(
        self,
        engine: Engine,
        flt: QueueFilter,
        page: int | None = None,
        page_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.filter = flt
        self.page = PAGE if page is None else page
        self.page_seconds = PAGE_SECONDS if page_seconds is None else page_seconds
        self._lock = threading.Lock()
        self._running: sqlite3.Connection | None = None
        self._interrupted = False

    def run(self, first: Callable[[array[int]], None] | None = None) -> array[int]:
        """Every id, in queue order; ``first`` gets the first :attr:`page` ids before, if they
        come sooner (not when the filter admits no more than a page: that is everything)."""
        # One snapshot for both reads.
        with self.engine.connect() as conn, translated(name_of(self.engine)), conn.begin():
            db = driver_connection(conn)
            with self._lock:
                if self._interrupted:
                    raise QueueLoadInterrupted
                self._running = db
            try:
                if _few_text_matches(self.filter, db):  # then all the ids are quick to read
                    return self.read_all(db)
                head, complete = self._first_rows(db)
                if complete:
                    return head
                if head and first is not None:
                    first(head)
                return self.read_all(db)
            except sqlite3.OperationalError as exc:
                if self._interrupted:
                    raise QueueLoadInterrupted from exc
                raise
            finally:
                with self._lock:
                    self._running = None

    def interrupt(self) -> None:
        """Stop :meth:`run` as soon as possible (its results are no longer wanted)."""
        with self._lock:
            self._interrupted = True
            if self._running is not None:
                self._running.interrupt()

    def read_all(self, db: sqlite3.Connection) -> array[int]:
        """Every id of the queue, read at once from ``db`` (the snapshot :meth:`run` reads)."""
        return _read_all_ids(db, *select_ids(self.filter, db))

    def _first_rows(self, db: sqlite3.Connection) -> tuple[array[int], bool]:
        """The first rows found within ``page_seconds`` (at most a page), and whether they
        are all the filter admits."""
        query, params = select_ids(self.filter, db, first_rows=True)
        # Three times as long for the first row as for the page after it: showing something
        # soon matters more than a full page.
        deadline = time.perf_counter() + 3 * self.page_seconds
        late = False

        def check() -> int:
            nonlocal late
            late = self._interrupted or time.perf_counter() > deadline
            return int(late)

        ids: array[int] = array("q")
        db.set_progress_handler(check, 1000)
        cursor = db.cursor()
        try:
            cursor.execute(f"{query} LIMIT {self.page + 1:d}", params)
            while (row := cursor.fetchone()) is not None:  # read stays read if time runs out
                ids.append(row[0])
                if len(ids) == 1:  # a first row found: the page gets its usual time
                    deadline = min(deadline, time.perf_counter() + self.page_seconds)
        except sqlite3.OperationalError:
            if not late or self._interrupted:
                raise
            return ids, False
        finally:
            cursor.close()
            db.set_progress_handler(None, 0)
        if len(ids) > self.page:
            return ids[: self.page], False
        return ids, True


def first_undecided(engine: Engine, flt: QueueFilter) -> int | None:
    """The row id of the first case of the queue that waits for a decision (where a reviewer
    resumes): not decided, or a conflict the lead's own review does not settle.

    Two walks of an index, each stopping at its first case: the first one not decided (the
    queue's index holds the status: at a million cases, with the first hundred thousand
    decided, milliseconds), and the first decided conflict left open (walking the conflicts
    only); then the earlier of the two in queue order. (One walk for both read every decided
    case's row for its review state: 0.2 s.)
    """
    with engine.connect() as conn, translated(name_of(engine)):
        db = driver_connection(conn)
        found = []
        for part in open_parts("c"):
            query, params = select_ids(flt, db, first_rows=True, extra=part)
            found += [int(r[0]) for r in db.execute(f"{query} LIMIT 1", params)]
        if len(found) < 2:
            return found[0] if found else None
        query, params = select_ids(flt, db, first_rows=True, extra="c.id IN (:one, :other)")
        row = db.execute(f"{query} LIMIT 1", {**params, "one": found[0], "other": found[1]})
        row = row.fetchone()
    return None if row is None else int(row[0])


FEW_MATCHES = 2000
"""A text search whose trigrams all occur together in fewer cases is read in full at once."""


def _few_text_matches(flt: QueueFilter, db: sqlite3.Connection) -> bool:
    """Whether the search text is rare enough that listing its cases is quick.

    Asks the trigram index for the cases holding every trigram of the text (a superset of the
    matches, read from the index alone: no case text), up to FEW_MATCHES. Not while rows wait
    for the index (``storage/search_index.py``): it knows nothing of theirs.
    """
    folded = flt.text.strip().casefold()
    if len(folded) < 3:
        return False
    if db.execute(f"SELECT {PENDING_FROM} IS NOT NULL").fetchone()[0]:
        return False
    grams = dict.fromkeys(folded[i : i + 3] for i in range(len(folded) - 2))
    query = " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)
    try:
        (count,) = db.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {SEARCH_TABLE} "
            f"WHERE {SEARCH_TABLE} MATCH ? LIMIT {FEW_MATCHES:d})",
            (query,),
        ).fetchone()
    except sqlite3.OperationalError:  # a text the index cannot take as a query
        return False
    return bool(count < FEW_MATCHES)


class QueueLoadInterrupted(Exception):
    """A :class:`QueueLoad` was interrupted."""


def _read_all_ids(db: sqlite3.Connection, query: str, params: dict[str, Any]) -> array[int]:
    """The ids of ``query`` (one column, ordered), read as one hexadecimal string.

    SQLite writes every id as 16 hex digits into one value, in the order the ordered subquery
    yields them (an aggregate over a subquery with ORDER BY reads it in that order; the tests
    compare with :func:`queue_ids`); Python turns that into an array in a few milliseconds.
    Reading a million rows one by one holds the interpreter lock for most of a second and slows
    the window down; this holds it for milliseconds, and is faster as well.
    """
    (packed,) = db.execute(
        f"SELECT group_concat(printf('%016x', id), '') FROM ({query})", params
    ).fetchone()
    ids: array[int] = array("q")
    if packed:
        ids.frombytes(bytes.fromhex(packed))
        if sys.byteorder == "little":
            ids.byteswap()
    return ids


def _read_ids(db: sqlite3.Connection, query: str, params: dict[str, Any]) -> array[int]:
    # Straight through the sqlite3 cursor: a million ids are a million rows, and SQLAlchemy's
    # result rows would double the time.
    ids: array[int] = array("q")
    cursor = db.execute(query, params)
    try:
        while chunk := cursor.fetchmany(4096):
            ids.extend(row[0] for row in chunk)
            # Let the GUI thread have the interpreter lock now and then: a million ids are
            # most of a second of Python work, which would otherwise slow the window down.
            time.sleep(0)
    finally:
        cursor.close()
    return ids


def queue_rows(engine: Engine, ids: Sequence[int]) -> dict[int, QueueRow]:
    """The display rows for ``ids`` (any order), keyed by id."""
    if not ids:
        return {}
    query = text(
        "SELECT c.id, c.ext_id, c.criterion, c.kind, c.judge_label, c.rater_labels, c.status, "
        "d.label, EXISTS (SELECT 1 FROM draft dr WHERE dr.case_id = c.id), "
        f"d.rubric_version, {current_of('c.criterion')} "
        f", {DECIDED} "
        "FROM cases c LEFT JOIN decision d ON d.case_id = c.id WHERE c.id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    with engine.connect() as conn:
        # The part in Python, for the decided rows only (a call from SQLite into Python for
        # each would take twice as long).
        fraction, seed = project.split_settings(conn)
        part = split.parts(seed, fraction)
        return {
            row[0]: QueueRow(
                row[0],
                row[1],
                row[2],
                Kind(row[3]),
                row[4],
                tuple((rater, label) for rater, label in json.loads(row[5])),
                Status(row[6]),
                row[7],
                bool(row[8]),
                rubric=(row[9], row[10]) if row[9] is not None and row[9] < row[10] else None,
                part=part(row[1]) if row[11] else None,
            )
            for row in conn.execute(query, {"ids": list(ids)})
        }


def undecided_among(engine: Engine, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` wait for a decision: none yet (undecided or skipped), or a conflict
    the lead's own review, taken before the merge, does not settle (``reviews.still_open``)."""
    if not ids:
        return set()
    query = text(f"SELECT id FROM cases WHERE {still_open('cases')} AND id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(query, {"ids": list(ids)})}
