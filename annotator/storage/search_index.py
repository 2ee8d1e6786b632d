"""The search index, built after an import in short steps: its SQL.

An import commits its cases without adding their text to ``case_search`` (the trigram index
costs several times the rest of an import: docs/benchmarks.md); it marks them instead.
``project.search_pending_from`` is the first ``case_text`` row not indexed yet: every row from
that id on waits, every row before it is in the index; NULL: the index is complete. A step
indexes the next rows and moves the mark in one transaction, so that a kill at any moment
leaves a consistent workspace whose index the next step goes on with; meanwhile a search scans
the rows not indexed yet (:data:`PENDING_ROWS`), and finds exactly what the complete index would.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, Engine

from annotator.storage.db import driver_connection, name_of, translated, writing
from annotator.storage.tables import SEARCH_TABLE

STEP = 2000
"""Rows a step indexes: a twentieth of a second or so, so that a reviewer's decision waiting
for the write lock between two steps is not kept waiting."""

PENDING_FROM = "(SELECT search_pending_from FROM project WHERE id = 1)"
"""SQL: the first row not indexed yet (NULL: none)."""

PENDING_ROWS = (
    "c.id IN (SELECT case_id FROM case_text "
    f"WHERE case_id >= {PENDING_FROM} AND search LIKE :text ESCAPE '\\')"
)
"""SQL on ``cases c``: the cases not indexed yet whose search text is ``LIKE :text`` (a range
of row ids: nothing to read once the index is complete)."""


class Pending(NamedTuple):
    """How much of the index is built."""

    waiting: int
    """Cases whose text is not in the index yet."""
    cases: int
    """Cases in all."""


def pending_from(conn: Connection) -> int | None:
    """The first row not indexed yet; None when the index is complete."""
    row = driver_connection(conn).execute(f"SELECT {PENDING_FROM}").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def mark_new_rows(conn: Connection, first_id: int) -> None:
    """The rows from ``first_id`` on (an import's, in its transaction) wait for the index.

    The mark only moves down: rows already waiting keep waiting. (New row ids are above every
    row there is, so no indexed row lies between ``first_id`` and an earlier mark.)
    """
    driver_connection(conn).execute(
        "UPDATE project SET search_pending_from = "
        "min(coalesce(search_pending_from, :first), :first) WHERE id = 1",
        {"first": first_id},
    )


def pending(engine: Engine) -> Pending:
    """How many cases wait for the index, of how many (read from ``cases``, whose row ids are
    the texts' and whose rows are small)."""
    with engine.connect() as conn, translated(name_of(engine)):
        waiting, cases = (
            driver_connection(conn)
            .execute(
                f"SELECT (SELECT count(*) FROM cases WHERE id >= {PENDING_FROM}), "
                "(SELECT count(*) FROM cases)"
            )
            .fetchone()
        )
    return Pending(int(waiting), int(cases))


def index_step(engine: Engine, rows: int = STEP) -> int:
    """Index the next ``rows`` waiting texts and move the mark past them, in one short write
    transaction; how many were indexed (0: the index is complete)."""
    with writing(engine) as conn:
        db = driver_connection(conn)
        first = pending_from(conn)
        if first is None:
            return 0
        last, count = db.execute(
            "SELECT max(id), count(*) FROM (SELECT id FROM cases WHERE id >= ? ORDER BY id "
            "LIMIT ?)",
            (first, rows),
        ).fetchone()
        if count:
            db.execute(
                f"INSERT INTO {SEARCH_TABLE}(rowid, search) "
                "SELECT case_id, search FROM case_text WHERE case_id BETWEEN ? AND ?",
                (first, last),
            )
        db.execute(
            "UPDATE project SET search_pending_from = (SELECT min(id) FROM cases WHERE id > ?) "
            "WHERE id = 1",
            (last if count else first,),
        )
        return int(count)
