"""The review queue: which cases, in what order, filtered and sorted in SQL."""

from __future__ import annotations

import enum
import json
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, text

from annotator.domain.merge import ReviewState
from annotator.domain.model import Kind, Status
from annotator.storage.db import driver_connection
from annotator.storage.tables import SEARCH_TABLE

DISAGREEMENTS = frozenset(k for k in Kind if k.is_disagreement)


class SortKey(enum.StrEnum):
    SEVERITY = "severity"
    ID = "id"
    JUDGE = "judge"
    FINAL = "final"
    STATUS = "status"
    CRITERION = "criterion"


_ORDER = {
    SortKey.SEVERITY: "c.severity {d}, c.position",
    SortKey.ID: "c.ext_id {a}",
    SortKey.JUDGE: "c.judge_label {a}, c.severity DESC, c.position",
    SortKey.FINAL: "d.label {a}, c.severity DESC, c.position",
    SortKey.STATUS: "c.status {a}, c.severity DESC, c.position",
    SortKey.CRITERION: "c.criterion {a}, c.severity DESC, c.position",
}


@dataclass(frozen=True)
class QueueFilter:
    kinds: frozenset[Kind] | None = DISAGREEMENTS
    """None: every kind."""
    status: Status | None = None
    label: str | None = None
    """Cases where the judge, a rater or the final decision used this label."""
    rater: str | None = None
    criterion: str | None = None
    tag: str | None = None
    text: str = ""
    review_state: ReviewState | None = None
    """Cases the merged reviewer files left unanimous, or in conflict (a lead's queue)."""
    judge_truth: tuple[str, str, str] | None = None
    """``(criterion, judge label, final label)``: one cell of the judge's confusion matrix. The
    final label is the lead's decision, else the reviewers' unanimous label."""
    sort: SortKey = SortKey.SEVERITY
    descending: bool = False
    """Reverse of the sort key's natural order (severity's natural order is most severe first)."""

    def where(
        self, *, first_rows: bool = False, label_criteria: Sequence[str] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The SQL condition on ``cases c`` (LEFT JOIN ``decision d``) and its parameters.

        Written for a million cases: the kind filter is a severity range and every other filter
        an ``IN`` over a small index, so that the queue is read from one index in queue order.
        A text search instead starts from the cases that hold the text (few, or else seconds
        anyway) and sorts them.

        ``first_rows``: the same condition, for reading only the first rows (``LIMIT``). The
        label, rater and text filters then check each case as an index is walked in queue
        order, rather than first listing every case that passes (for a common label or word,
        most of a million: seconds). Both forms admit exactly the same cases.

        ``label_criteria``: the criteria whose label sets hold :attr:`label` (every case that
        used the label is in one), so that the label filter walks those criteria only.
        """
        # Unary "+" keeps SQLite from reading a column's index for that condition, so that it
        # reads the one that gives the order (first rows) or starts from the text matches.
        plus = "+" if (self.text.strip() and not first_rows) or (
            first_rows and self.sort != SortKey.SEVERITY
        ) else ""  # fmt: skip
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.kinds is not None:
            clauses.append(severity_condition(self.kinds, f"{plus}c.severity"))
        if self.status is not None:
            clauses.append(f"{plus}c.status = :status")
            params["status"] = int(self.status)
        if self.label:
            params["label"] = self.label
            if label_criteria is not None and self.criterion is None:
                names = {f"label_criterion_{i}": c for i, c in enumerate(label_criteria)}
                params.update(names)
                marks = ", ".join(f":{n}" for n in names)
                clauses.append(f"c.criterion IN ({marks})" if names else "0")
            if first_rows:
                clauses.append(
                    "(c.judge_label = :label OR d.label = :label OR EXISTS "
                    "(SELECT 1 FROM rating r WHERE r.case_id = c.id AND r.label = :label))"
                )
            else:
                clauses.append(
                    "(c.judge_label = :label "
                    "OR c.id IN (SELECT case_id FROM decision WHERE label = :label) "
                    "OR c.id IN (SELECT case_id FROM rating WHERE label = :label))"
                )
        if self.rater:
            clauses.append(
                "EXISTS (SELECT 1 FROM rating r WHERE r.case_id = c.id AND r.rater = :rater)"
                if first_rows
                else "c.id IN (SELECT case_id FROM rating WHERE rater = :rater)"
            )
            params["rater"] = self.rater
        if self.criterion is not None:
            clauses.append(f"{plus}c.criterion = :criterion")
            params["criterion"] = self.criterion
        if self.tag:
            clauses.append(
                "(d.tags != '[]' AND EXISTS (SELECT 1 FROM json_each(d.tags) j "
                "WHERE j.value = :tag))"
                if first_rows
                else "c.id IN (SELECT t.case_id FROM decision t, json_each(t.tags) j "
                "WHERE t.tags != '[]' AND j.value = :tag)"
            )
            params["tag"] = self.tag
        if self.review_state is not None:
            clauses.append(f"{plus}c.review_state = :review_state")
            params["review_state"] = int(self.review_state)
        if self.judge_truth is not None:
            clauses.append(
                "c.criterion = :cell_criterion AND c.judge_label = :cell_judge AND "
                "(d.label = :cell_truth OR (d.label IS NULL AND "
                f"c.review_state = {int(ReviewState.UNANIMOUS)} AND EXISTS (SELECT 1 FROM "
                "review v WHERE v.case_id = c.id AND v.label = :cell_truth)))"
            )
            criterion, judge, truth = self.judge_truth
            params.update(cell_criterion=criterion, cell_judge=judge, cell_truth=truth)
        if self.text.strip():
            clause, text_params = _text_clause(self.text.strip(), first_rows)
            clauses.append(clause)
            params.update(text_params)
        return (" AND ".join(clauses) or "1"), params

    def order_by(self) -> str:
        natural, reverse = (
            ("DESC", "ASC")
            if self.sort == SortKey.SEVERITY
            else (
                "ASC",
                "DESC",
            )
        )
        d = reverse if self.descending else natural
        a = "DESC" if self.descending else "ASC"
        # Positions are unique, so every key ends in a total order (no tie-break on c.id, which
        # would keep SQLite from reading the order off an index).
        return _ORDER[self.sort].format(a=a, d=d)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def severity_ranges(kinds: frozenset[Kind] | set[Kind]) -> list[tuple[int, int]]:
    """The severity ranges that hold exactly the cases of ``kinds`` (adjacent kinds merged)."""
    ranges: list[tuple[int, int]] = []
    for low, high in sorted(k.severity_range for k in kinds):
        if ranges and ranges[-1][1] + 1 == low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges


def severity_condition(kinds: frozenset[Kind] | set[Kind], column: str = "c.severity") -> str:
    """SQL true for exactly the cases of ``kinds``, answered from an index on severity."""
    ranges = severity_ranges(kinds)
    if not ranges:
        return "0"
    parts = [f"{column} BETWEEN {low:d} AND {high:d}" for low, high in ranges]
    return parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"


def _text_clause(needle: str, first_rows: bool = False) -> tuple[str, dict[str, Any]]:
    """Substring search, ignoring case (Unicode case folding), over what a reader sees of a case
    (``case_text.search``: id, texts, judge rationale and model, rater names and comments, meta
    values) and over the reviewer's rationale.

    From three characters on, the trigram index answers ``LIKE`` and SQLite checks the candidates
    on the text; shorter needles have no trigram and scan the text. ``%`` and ``_`` in the needle
    match only themselves. ``first_rows``: each case's text is checked as the queue is walked
    (see :meth:`QueueFilter.where`).
    """
    folded = needle.casefold()
    params: dict[str, Any] = {"text": f"%{_escape_like(folded)}%"}
    if first_rows:
        clause = (
            "(EXISTS (SELECT 1 FROM case_text t WHERE t.case_id = c.id "
            "AND t.search LIKE :text ESCAPE '\\') "
            f"OR {_folded_like('d.rationale')} "
            "OR EXISTS (SELECT 1 FROM review v WHERE v.case_id = c.id "
            f"AND {_folded_like('v.rationale')}))"
        )
        return clause, params
    if len(folded) >= 3:
        params["text_fts"] = f"%{folded}%"
        literal = ""
        if "%" in folded or "_" in folded:  # FTS5's LIKE takes no ESCAPE: check on the text too
            literal = " AND search LIKE :text ESCAPE '\\'"
        cases = f"c.id IN (SELECT rowid FROM {SEARCH_TABLE} WHERE search LIKE :text_fts{literal})"
    else:
        cases = "c.id IN (SELECT case_id FROM case_text WHERE search LIKE :text ESCAPE '\\')"
    clause = (
        f"({cases} OR c.id IN (SELECT case_id FROM decision WHERE {_folded_like('rationale')}) "
        f"OR c.id IN (SELECT case_id FROM review WHERE {_folded_like('rationale')}))"
    )
    return clause, params


def _folded_like(column: str) -> str:
    """SQL for ``casefold(column) LIKE :text``, the Python fold called only when needed.

    SQLite's LIKE ignores the case of ASCII letters itself, so on text that is all ASCII (as
    many characters as UTF-8 bytes) it gives the same answer as after case folding; other text
    is folded first. (Plain LIKE never matches where the folded text would not: the needle is
    folded.) A hundred thousand rationales take milliseconds, not a Python call each.
    """
    return (
        f"({column} LIKE :text ESCAPE '\\' OR (length({column}) != length(CAST({column} AS BLOB)) "
        f"AND casefold({column}) LIKE :text ESCAPE '\\'))"
    )


@dataclass(frozen=True)
class QueueRow:
    """What one line of the queue table shows."""

    id: int
    ext_id: str
    criterion: str
    kind: Kind
    judge_label: str
    ratings: tuple[tuple[str, str], ...]
    """(rater, label) pairs, in file order."""
    status: Status
    final_label: str | None


def queue_ids(engine: Engine, flt: QueueFilter) -> array[int]:
    """The row ids of every case the filter admits, in queue order (compact for millions)."""
    with engine.connect() as conn:
        db = driver_connection(conn)
        return _read_ids(db, *_query(flt, db))


PAGE = 500
"""How many ids :class:`QueueLoad` reads first: many screens of the queue."""
PAGE_SECONDS = 0.05
"""How long a page of first rows may take (three times that until the first one) before
:class:`QueueLoad` reads all the ids instead."""


class QueueLoad:
    """The ids of a queue in two steps, from one snapshot: the first rows fast, then all.

    At a million cases, listing every id of a filter takes a few hundred milliseconds, and a
    search for a common word seconds; the first screen of the queue takes milliseconds when
    the queue index is walked in order and each case checked (``QueueFilter.where(first_rows=
    True)``). A filter that admits few cases would make that walk long, so it gets
    :data:`PAGE_SECONDS`, after which only the full list is read (which is then quick).

    :meth:`run` is meant for a worker thread; :meth:`interrupt` may be called from any thread
    and makes :meth:`run` raise :class:`QueueLoadInterrupted`.
    """

    def __init__(self, engine: Engine, flt: QueueFilter, page: int | None = None) -> None:
        self.engine = engine
        self.filter = flt
        self.page = PAGE if page is None else page
        self._lock = threading.Lock()
        self._running: sqlite3.Connection | None = None
        self._interrupted = False

    def run(self, first: Callable[[array[int]], None] | None = None) -> array[int]:
        """Every id, in queue order; ``first`` gets the first :attr:`page` ids before, if they
        come sooner (not when the filter admits no more than a page: that is everything)."""
        with self.engine.connect() as conn, conn.begin():  # one snapshot for both reads
            db = driver_connection(conn)
            with self._lock:
                if self._interrupted:
                    raise QueueLoadInterrupted
                self._running = db
            try:
                if _few_text_matches(self.filter, db):  # then all the ids are quick to read
                    return _read_all_ids(db, *_query(self.filter, db))
                head, complete = self._first_rows(db)
                if complete:
                    return head
                if head and first is not None:
                    first(head)
                return _read_all_ids(db, *_query(self.filter, db))
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

    def _first_rows(self, db: sqlite3.Connection) -> tuple[array[int], bool]:
        """The first rows found within PAGE_SECONDS (at most a page), and whether they are
        all the filter admits."""
        query, params = _query(self.filter, db, first_rows=True)
        # Three times as long for the first row as for the page after it: showing something
        # soon matters more than a full page.
        deadline = time.perf_counter() + 3 * PAGE_SECONDS
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
                    deadline = min(deadline, time.perf_counter() + PAGE_SECONDS)
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
    """The row id of the first case of the queue that is not decided (where a reviewer resumes).

    Walks the queue index and stops at the first one: at a million cases, with the first
    hundred thousand decided, that is milliseconds, where checking the queue's ids block by
    block takes a query per thousand.
    """
    with engine.connect() as conn:
        db = driver_connection(conn)
        query, params = _query(flt, db, first_rows=True, extra="c.status != 2")
        row = db.execute(f"{query} LIMIT 1", params).fetchone()
    return None if row is None else int(row[0])


FEW_MATCHES = 2000
"""A text search whose trigrams all occur together in fewer cases is read in full at once."""


def _few_text_matches(flt: QueueFilter, db: sqlite3.Connection) -> bool:
    """Whether the search text is rare enough that listing its cases is quick.

    Asks the trigram index for the cases holding every trigram of the text (a superset of the
    matches, read from the index alone: no case text), up to FEW_MATCHES.
    """
    folded = flt.text.strip().casefold()
    if len(folded) < 3:
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


def _query(
    flt: QueueFilter, db: sqlite3.Connection, *, first_rows: bool = False, extra: str = ""
) -> tuple[str, dict[str, Any]]:
    where, params = flt.where(first_rows=first_rows, label_criteria=_label_criteria(flt, db))
    if extra:
        where = f"{where} AND {extra}"
    query = (
        f"SELECT c.id FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
        f"WHERE {where} ORDER BY {flt.order_by()}"
    )
    return query, params


def _label_criteria(flt: QueueFilter, db: sqlite3.Connection) -> list[str] | None:
    if not flt.label:
        return None
    return [
        criterion
        for (criterion,) in db.execute(
            "SELECT criterion FROM scheme s WHERE EXISTS "
            "(SELECT 1 FROM json_each(s.labels) j WHERE j.value = ?)",
            (flt.label,),
        )
    ]


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
        "d.label FROM cases c LEFT JOIN decision d ON d.case_id = c.id WHERE c.id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    with engine.connect() as conn:
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
            )
            for row in conn.execute(query, {"ids": list(ids)})
        }


def undecided_among(engine: Engine, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` have no decision yet (undecided or skipped)."""
    if not ids:
        return set()
    query = text("SELECT id FROM cases WHERE status != 2 AND id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(query, {"ids": list(ids)})}
