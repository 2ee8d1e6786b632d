"""The cases, their text and ratings, and the imports that brought them: the SQL of
``cases``, ``case_text`` (its search index: :mod:`annotator.storage.search_index`), ``rating``
and ``import_batch``.

The queue's queries over the same tables are in :mod:`annotator.storage.queue`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, text

from annotator.domain.model import Status
from annotator.storage.db import driver_connection

# -- importing ----------------------------------------------------------------------------------


def begin_import(conn: Connection, path: str, fmt: str, mapping: str, at: str) -> int:
    """Record an import of ``path`` (its counts come with :func:`finish_import`); its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO import_batch (path, fmt, imported_at, mapping, added, present, "
                "skipped, problems) VALUES (:p, :f, :t, :m, 0, 0, 0, '[]') RETURNING id"
            ),
            {"p": path, "f": fmt, "t": at, "m": mapping},
        ).scalar_one()
    )


def finish_import(
    conn: Connection, import_id: int, added: int, present: int, skipped: int, problems: str
) -> None:
    conn.execute(
        text(
            "UPDATE import_batch SET added = :a, present = :p, skipped = :s, problems = :pr "
            "WHERE id = :id"
        ),
        {"a": added, "p": present, "s": skipped, "pr": problems, "id": import_id},
    )


def kinds_of_import(conn: Connection, import_id: int) -> dict[str, int]:
    """How many cases of each kind an import added."""
    rows = conn.execute(
        text("SELECT kind, count(*) FROM cases WHERE import_id = :id GROUP BY kind"),
        {"id": import_id},
    )
    return {kind: int(n) for kind, n in rows}


def kinds_by_criterion(conn: Connection, import_id: int) -> dict[str, tuple[dict[str, int], int]]:
    """Per criterion, how many cases of each kind an import added, and their ratings."""
    rows = conn.execute(
        text(
            "SELECT criterion, kind, count(*), sum(n_ratings) FROM cases "
            "WHERE import_id = :id GROUP BY criterion, kind"
        ),
        {"id": import_id},
    )
    out: dict[str, tuple[dict[str, int], int]] = {}
    for crit, kind, n, ratings in rows:
        kinds, before = out.get(crit, ({}, 0))
        kinds[kind] = int(n)
        out[crit] = (kinds, before + int(ratings or 0))
    return out


def imported_paths(conn: Connection) -> list[str]:
    return [p for (p,) in conn.execute(text("SELECT DISTINCT path FROM import_batch"))]


class SourceFile(NamedTuple):
    """An import, as the export with the source records needs it."""

    import_id: int
    path: str
    fmt: str
    first_text: str
    """The text of its first case as imported (a CSV file's gives its columns)."""


def source_files(conn: Connection, include_undecided: bool) -> list[SourceFile]:
    """The imports the decided cases (or all) came from, in import order."""
    status = "" if include_undecided else f"WHERE status = {int(Status.DECIDED)}"
    rows = conn.execute(
        text(
            "SELECT i.id, i.path, i.fmt, (SELECT t.raw FROM cases c JOIN case_text t "
            "ON t.case_id = c.id WHERE c.import_id = i.id ORDER BY c.position LIMIT 1) "
            f"FROM import_batch i WHERE i.id IN (SELECT import_id FROM cases {status}) "
            "ORDER BY i.id"
        )
    )
    return [SourceFile(int(i), path, fmt, raw or "") for i, path, fmt, raw in rows]


def texts_holding(conn: Connection, needle: str, include_undecided: bool) -> Iterator[str]:
    """The texts as imported of the decided cases (or all) that hold ``needle``."""
    status = "" if include_undecided else f"AND c.status = {int(Status.DECIDED)}"
    query = text(
        "SELECT t.raw FROM cases c JOIN case_text t ON t.case_id = c.id "
        f"WHERE instr(t.raw, :needle) > 0 {status}"
    )
    for (raw,) in conn.execution_options(yield_per=500).execute(query, {"needle": needle}):
        yield raw


class StoredCase(NamedTuple):
    """What an import checks a new case against: the case stored under the same id."""

    import_id: int
    line: int
    content_hash: str
    path: str


class CaseWriter:
    """Inserts an import's cases in batches, straight through the sqlite3 cursor with
    positional parameters: SQLAlchemy's per-row parameter processing cost as much as the
    inserts themselves (docs/benchmarks.md)."""

    _CASE = (
        "INSERT INTO cases (id, ext_id, import_id, position, line, criterion, content_hash, "
        "judge_label, rater_labels, n_ratings, consensus, kind, severity, status) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {int(Status.UNDECIDED)})"
    )
    _TEXT = "INSERT INTO case_text (case_id, raw, data, search) VALUES (?, ?, ?, ?)"
    _RATING = "INSERT INTO rating (case_id, rater, label) VALUES (?, ?, ?)"

    def __init__(self, conn: Connection) -> None:
        self.db = driver_connection(conn)
        self.next_id = int(self.db.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0])
        self.next_id += 1
        (last,) = self.db.execute("SELECT coalesce(max(position), 0) FROM cases").fetchone()
        self.last_position = int(last)
        self._deferred: list[tuple[str, str]] = []

    def defer_indexes(self) -> None:
        """In an import into a workspace that has no case yet: drop the secondary indexes of
        ``cases`` and ``rating`` until :meth:`make_indexes` makes them again, from their own
        CREATE statements, before the commit: each built once from the stored rows rather
        than kept in step row by row (docs/benchmarks.md). Within the import's transaction,
        so a rollback brings them back as they were. (The unique index on ``ext_id`` stays:
        the import checks the ids against it.)"""
        if self.next_id != 1 or self._deferred:
            return
        self._deferred = self.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('cases', 'rating') ORDER BY rowid"
        ).fetchall()
        for name, _sql in self._deferred:
            self.db.execute(f'DROP INDEX "{name}"')

    def make_indexes(self) -> None:
        """Make the indexes :meth:`defer_indexes` dropped (nothing if it dropped none)."""
        for _name, sql in self._deferred:
            self.db.execute(sql)
        self._deferred = []

    def existing(self, ext_ids: Sequence[str]) -> dict[str, StoredCase]:
        """The stored cases among ``ext_ids``."""
        if not ext_ids:
            return {}
        marks = ",".join("?" * len(ext_ids))
        query = (
            "SELECT c.ext_id, c.import_id, c.line, c.content_hash, i.path FROM cases c "
            f"JOIN import_batch i ON i.id = c.import_id WHERE c.ext_id IN ({marks})"
        )
        return {row[0]: StoredCase(*row[1:]) for row in self.db.execute(query, ext_ids)}

    def insert(
        self,
        cases: list[tuple[Any, ...]],
        texts: list[tuple[int, str, str, str]],
        ratings: list[tuple[int, str, str]],
    ) -> None:
        """Insert rows made with ids from :meth:`take_id`: ``cases`` as ``(id, ext_id,
        import_id, position, line, criterion, content_hash, judge_label, rater_labels,
        n_ratings, consensus, kind, severity)``."""
        if cases:
            self.db.executemany(self._CASE, cases)
            self.db.executemany(self._TEXT, texts)
        if ratings:
            self.db.executemany(self._RATING, ratings)

    def take_id(self) -> tuple[int, int]:
        """A row id and a position for a new case."""
        row_id = self.next_id
        self.next_id += 1
        self.last_position += 1
        return row_id, self.last_position


# -- reading ------------------------------------------------------------------------------------


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM cases")).scalar() or 0)


def case_hashes(conn: Connection) -> dict[str, tuple[int, str]]:
    """Each case's row id and content hash, by case id."""
    return {
        ext_id: (row_id, content_hash)
        for row_id, ext_id, content_hash in conn.execute(
            text("SELECT id, ext_id, content_hash FROM cases")
        )
    }


def row_id(conn: Connection, ext_id: str) -> int | None:
    value = conn.execute(text("SELECT id FROM cases WHERE ext_id = :e"), {"e": ext_id}).scalar()
    return int(value) if value is not None else None


def ext_id(conn: Connection, row_id: int) -> str | None:
    value = conn.execute(text("SELECT ext_id FROM cases WHERE id = :i"), {"i": row_id}).scalar()
    return str(value) if value is not None else None


class CaseRecord(NamedTuple):
    """A case as the review reads it, with its criterion's scheme columns."""

    data: str
    status: int
    line: int
    path: str
    labels: str | None
    ordinal: bool | None
    threshold: float | None
    rubric: str | None


def case_record(conn: Connection, row_id: int) -> CaseRecord:
    """The case with row id ``row_id`` (raises if there is none)."""
    row = conn.execute(
        text(
            "SELECT t.data, c.status, c.line, i.path, s.labels, s.ordinal, s.threshold, "
            "s.rubric FROM cases c JOIN case_text t ON t.case_id = c.id "
            "JOIN import_batch i ON i.id = c.import_id "
            "LEFT JOIN scheme s ON s.criterion = c.criterion WHERE c.id = :id"
        ),
        {"id": row_id},
    ).one()
    return CaseRecord(*row)


# The distinct raters, in order, by hopping from one rater to the next along ix_rating_rater: one
# index seek per rater rather than a scan of every rating (SQLite has no skip scan for DISTINCT).
_RATERS_QUERY = text(
    "WITH RECURSIVE r(rater) AS (SELECT min(rater) FROM rating UNION ALL "
    "SELECT (SELECT min(rater) FROM rating WHERE rater > r.rater) FROM r "
    "WHERE r.rater IS NOT NULL) SELECT rater FROM r WHERE rater IS NOT NULL"
)


def raters(conn: Connection) -> list[str]:
    """Every rater's name, in order."""
    return [r[0] for r in conn.execute(_RATERS_QUERY)]


@dataclass(frozen=True)
class StatusCounts:
    in_scope: int
    decided: int
    skipped: int
    all_cases: int
    all_decided: int


def status_counts(conn: Connection, scope: str) -> StatusCounts:
    """How many cases there are, decided and skipped, within ``scope`` (SQL on ``severity``,
    from :func:`annotator.storage.queue.severity_condition`) and in all. Each count reads one
    index range (severity, or status then severity), never the table."""
    decided, skipped = int(Status.DECIDED), int(Status.SKIPPED)
    row = conn.execute(
        text(
            f"SELECT (SELECT count(*) FROM cases WHERE {scope}), "
            f"(SELECT count(*) FROM cases WHERE status = {decided} AND {scope}), "
            f"(SELECT count(*) FROM cases WHERE status = {skipped} AND {scope}), "
            "(SELECT count(*) FROM cases), "
            f"(SELECT count(*) FROM cases WHERE status = {decided})"
        )
    ).one()
    return StatusCounts(*(int(x or 0) for x in row))


# -- classification -----------------------------------------------------------------------------

SEP = "\x1f"
"""Joins a case's rater labels in one column."""


class Classified(NamedTuple):
    id: int
    judge_label: str
    kind: str
    severity: int
    consensus: str | None
    rater_labels: list[str]


def classified(conn: Connection, criterion: str, after: int, limit: int) -> list[Classified]:
    """The next ``limit`` cases of ``criterion`` by row id after ``after``, with their
    classification and rater labels."""
    rows = conn.execute(
        text(
            "SELECT c.id, c.judge_label, c.kind, c.severity, c.consensus, "
            "(SELECT group_concat(r.label, :sep) FROM rating r WHERE r.case_id = c.id) "
            # "+c.criterion": walk the rows by id; the criterion index would sort every batch.
            "FROM cases c WHERE c.id > :after AND +c.criterion = :crit ORDER BY c.id LIMIT :n"
        ),
        {"sep": SEP, "crit": criterion, "after": after, "n": limit},
    )
    return [
        Classified(case_id, judge, kind, severity, consensus, joined.split(SEP) if joined else [])
        for case_id, judge, kind, severity, consensus, joined in rows
    ]


def reclassify(conn: Connection, changed: Sequence[dict[str, Any]]) -> None:
    """Store new classifications: dicts of ``id``, ``kind``, ``severity``, ``consensus``."""
    if changed:
        conn.execute(
            text(
                "UPDATE cases SET kind = :kind, severity = :severity, consensus = :consensus "
                "WHERE id = :id"
            ),
            changed,
        )


# -- a pass over everything ---------------------------------------------------------------------


SummaryRow = tuple[
    str, str, bool, str, "str | None", tuple[str, ...], "tuple[str, str] | None", tuple[str, ...]
]
"""criterion, kind, decided, judge label, consensus, the rater labels in rater order, the
decision's label and who was right (None when undecided), and the raters' names in the order
of their labels: cases alike give equal tuples."""


def summary_rows(db: sqlite3.Connection) -> Iterator[SummaryRow]:
    """Every case with its ratings and decision, in row id order: three ordered reads side by
    side (a join would read the ratings once per case through an index, several times as
    long at a million cases)."""
    ratings = db.execute("SELECT case_id, label, rater FROM rating ORDER BY case_id, rater")
    decisions = db.execute("SELECT case_id, label, who_right FROM decision ORDER BY case_id")
    rating, decision = next(ratings, None), next(decisions, None)
    decided = int(Status.DECIDED)
    for row_id, crit, kind, status, judge, consensus in db.execute(
        "SELECT id, criterion, kind, status, judge_label, consensus FROM cases ORDER BY id"
    ):
        labels: list[str] = []
        raters: list[str] = []
        while rating is not None and rating[0] <= row_id:
            if rating[0] == row_id:
                labels.append(rating[1])  # in rater order
                raters.append(rating[2])
            rating = next(ratings, None)
        while decision is not None and decision[0] < row_id:
            decision = next(decisions, None)
        final = decision[1:] if decision is not None and decision[0] == row_id else None
        yield crit, kind, status == decided, judge, consensus, tuple(labels), final, tuple(raters)
