"""Decisions with their status, their history (undo and redo), drafts and the tag vocabulary:
the SQL of ``decision``, ``cases.status``, ``history``, ``draft`` and ``tag``.

A case's *state* is its status and its decision, as one JSON-ready dict
(``{"status": 2, "decision": {...}}``): what the history keeps before and after each change.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, text

from annotator.domain.model import Status
from annotator.storage import reveals
from annotator.storage.cases import SEP
from annotator.storage.split import DECIDED

State = dict[str, Any]

DECISION_COLUMNS = (
    "label",
    "rationale",
    "who_right",
    "who_right_overridden",
    "tags",
    "confidence",
    "reviewer",
    "decided_at",
    "rubric_version",
)
DECISION_DEFAULTS: dict[str, Any] = {"rubric_version": 1}
"""What a decision recorded before a column existed (in an older history entry) had."""


class MissingCase(LookupError):
    """No case has the row id asked for."""


def state(conn: Connection, row_id: int) -> State:
    """The status and decision of a case; raises :class:`MissingCase`."""
    status = conn.execute(text("SELECT status FROM cases WHERE id = :id"), {"id": row_id}).scalar()
    if status is None:
        raise MissingCase(row_id)
    row = conn.execute(
        text(f"SELECT {', '.join(DECISION_COLUMNS)} FROM decision WHERE case_id = :id"),
        {"id": row_id},
    ).first()
    decision = None if row is None else decision_columns(tuple(row))
    return {"status": int(status), "decision": decision}


def decision_columns(values: Sequence[Any]) -> dict[str, Any]:
    """A decision's :data:`DECISION_COLUMNS` as :func:`state` gives them (tags a list)."""
    decision = dict(zip(DECISION_COLUMNS, values, strict=True))
    decision["tags"] = json.loads(decision["tags"])
    decision["who_right_overridden"] = bool(decision["who_right_overridden"])
    return decision


def state_version(state: State) -> str:
    """A short fingerprint of a case's state: two windows compare it before they write, so
    that neither overwrites a change it has not seen."""
    decision = state.get("decision")
    same = {
        "status": int(state["status"]),
        "decision": None
        if decision is None
        else {c: decision.get(c, DECISION_DEFAULTS.get(c)) for c in DECISION_COLUMNS},
    }
    blob = json.dumps(same, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:16]


def apply_state(conn: Connection, row_id: int, new: State) -> None:
    """Give a case the status and decision of ``new`` (a :func:`state`); and its first label
    under blind-first review when ``new`` has a ``reveal`` member (``reveals.Reveal`` or None:
    a reveal's history entry)."""
    apply_states(conn, [(row_id, new)])


def apply_states(conn: Connection, states: Sequence[tuple[int, State]]) -> None:
    """:func:`apply_state` for many cases at once (``(row id, state)`` pairs)."""
    if not states:
        return
    conn.execute(
        text("UPDATE cases SET status = :s WHERE id = :id"),
        [{"s": new["status"], "id": row_id} for row_id, new in states],
    )
    conn.execute(
        text("DELETE FROM decision WHERE case_id = :id"), [{"id": row_id} for row_id, _ in states]
    )
    decided = [
        {**DECISION_DEFAULTS, **d, "id": row_id, "tags": json.dumps(d["tags"], ensure_ascii=False)}
        for row_id, new in states
        if (d := new["decision"]) is not None
    ]
    if decided:
        marks = ", ".join(f":{c}" for c in DECISION_COLUMNS)
        conn.execute(
            text(
                f"INSERT INTO decision (case_id, {', '.join(DECISION_COLUMNS)}) "
                f"VALUES (:id, {marks})"
            ),
            decided,
        )
    for row_id, new in states:
        if "reveal" in new:
            reveals.set_reveal(conn, row_id, new["reveal"])


# -- history ------------------------------------------------------------------------------------


class Step(NamedTuple):
    """A history entry, as undo and redo read it."""

    seq: int
    case_id: int
    action: str
    before: State
    after: State
    ext_id: str


def record(conn: Connection, changes: Sequence[tuple[int, str, State, State]], at: str) -> None:
    """Add ``(row id, action, before, after)`` entries to the history, after dropping the
    entries that were undone (a new change ends the redo)."""
    conn.execute(text("DELETE FROM history WHERE undone = 1"))
    conn.execute(
        text(
            "INSERT INTO history (case_id, action, before, after, undone, at) "
            "VALUES (:c, :a, :b, :f, 0, :t)"
        ),
        [
            {"c": row_id, "a": action, "b": json.dumps(before), "f": json.dumps(after), "t": at}
            for row_id, action, before, after in changes
        ],
    )


_STEP_QUERY = {
    True: text(
        "SELECT h.seq, h.case_id, h.action, h.before, h.after, c.ext_id FROM history h "
        "JOIN cases c ON c.id = h.case_id WHERE h.undone = 0 ORDER BY h.seq DESC LIMIT 1"
    ),
    False: text(
        "SELECT h.seq, h.case_id, h.action, h.before, h.after, c.ext_id FROM history h "
        "JOIN cases c ON c.id = h.case_id WHERE h.undone = 1 ORDER BY h.seq ASC LIMIT 1"
    ),
}


def next_step(conn: Connection, undo: bool) -> Step | None:
    """The entry an undo (the last one done) or a redo (the first one undone) would take."""
    row = conn.execute(_STEP_QUERY[undo]).first()
    if row is None:
        return None
    before, after = json.loads(row.before), json.loads(row.after)
    return Step(row.seq, row.case_id, row.action, before, after, row.ext_id)


def mark_step(conn: Connection, seq: int, undone: bool) -> None:
    conn.execute(
        text("UPDATE history SET undone = :u WHERE seq = :s"), {"u": int(undone), "s": seq}
    )


# -- drafts -------------------------------------------------------------------------------------


def draft(conn: Connection, row_id: int) -> dict[str, Any] | None:
    data = conn.execute(text("SELECT data FROM draft WHERE case_id = :c"), {"c": row_id}).scalar()
    return json.loads(data) if data else None


def save_draft(conn: Connection, row_id: int, data: dict[str, Any], at: str) -> None:
    conn.execute(
        text("INSERT OR REPLACE INTO draft (case_id, data, updated_at) VALUES (:c, :d, :t)"),
        {"c": row_id, "d": json.dumps(data, ensure_ascii=False), "t": at},
    )


def delete_draft(conn: Connection, row_id: int) -> None:
    conn.execute(text("DELETE FROM draft WHERE case_id = :c"), {"c": row_id})


# -- tags ---------------------------------------------------------------------------------------


def tags(conn: Connection) -> list[str]:
    """Every tag offered, oldest first."""
    return [r[0] for r in conn.execute(text("SELECT name FROM tag ORDER BY created_at, name"))]


def has_tags(conn: Connection) -> bool:
    return conn.execute(text("SELECT 1 FROM tag LIMIT 1")).first() is not None


def add_tags(conn: Connection, names: Iterable[tuple[str, str]]) -> None:
    """Add ``(name, created at)`` tags to the vocabulary; those it has already stay."""
    rows = [{"n": name, "t": at} for name, at in names]
    if rows:
        conn.execute(text("INSERT OR IGNORE INTO tag (name, created_at) VALUES (:n, :t)"), rows)


# -- who was right, derived ---------------------------------------------------------------------


def derived_who_right(
    conn: Connection, criterion: str
) -> list[tuple[int, str, str, str, list[str]]]:
    """The decisions of ``criterion`` whose "who was right" was derived, not overridden:
    ``(row id, label, who was right, judge label, rater labels)``."""
    rows = conn.execute(
        text(
            "SELECT d.case_id, d.label, d.who_right, c.judge_label, "
            "(SELECT group_concat(r.label, :sep) FROM rating r WHERE r.case_id = c.id) "
            "FROM decision d JOIN cases c ON c.id = d.case_id "
            "WHERE c.criterion = :crit AND d.who_right_overridden = 0"
        ),
        {"sep": SEP, "crit": criterion},
    )
    return [
        (case_id, label, who, judge, joined.split(SEP) if joined else [])
        for case_id, label, who, judge, joined in rows
    ]


def set_who_right(conn: Connection, changed: Sequence[tuple[int, str]]) -> None:
    """Set ``(row id, who was right)`` of decisions."""
    if changed:
        conn.execute(
            text("UPDATE decision SET who_right = :who WHERE case_id = :id"),
            [{"id": row_id, "who": who} for row_id, who in changed],
        )


# -- the labelled file's rows -------------------------------------------------------------------


def labelled_count(conn: Connection, include_undecided: bool) -> int:
    """How many lines the labelled file has: decided cases, or every case."""
    where = "" if include_undecided else f"WHERE status = {int(Status.DECIDED)}"
    return int(conn.execute(text(f"SELECT count(*) FROM cases {where}")).scalar() or 0)


_LABELLED_VALUES = (
    "c.ext_id, c.content_hash, c.criterion, c.status, c.judge_label, c.kind, "
    # (as text: '' || ... keeps it a string inside the JSON array of labelled_rows_of)
    "'' || (SELECT json_group_object(r.rater, r.label) FROM rating r WHERE r.case_id = c.id), "
    "d.label, d.rationale, d.who_right, d.who_right_overridden, d.tags, d.confidence, "
    "d.reviewer, d.decided_at, d.rubric_version, "
    "v.blind_label, v.revealed_at, "  # (blind-first review: the first label, when committed)
    f"{DECIDED}"  # (a final label: the case's part of the held-out split)
)
_LABELLED_SELECT = f"SELECT {_LABELLED_VALUES}"
_LABELLED_FROM = (
    "FROM cases c LEFT JOIN decision d ON d.case_id = c.id LEFT JOIN reveal v ON v.case_id = c.id"
)
_LABELLED_COLUMNS = f"{_LABELLED_SELECT} {_LABELLED_FROM}"
_LABELLED_OF = (
    f"SELECT json_group_array(json_array({_LABELLED_VALUES}, j.key)) FROM json_each(?) j "
    f"JOIN cases c ON c.id = j.value {_LABELLED_FROM.removeprefix('FROM cases c')}"
)


def labelled_rows(conn: Connection, include_undecided: bool) -> Iterator[Any]:
    """The cases of the labelled file (decided ones, or all), in file order, read a few
    thousand at a time: rows of id, content hash, criterion, status, judge label, kind, the
    rater labels (a JSON object), then the decision's label, rationale, who was right, whether
    that was overridden, tags (a JSON list), confidence, reviewer and time (None when
    undecided), then the rubric version it was taken under; then the first label under
    blind-first review and when it was committed (None when not revealed); then whether the
    case has a final label (``storage.split.DECIDED``: a decision that settles it, or in a
    lead's workspace the reviewers' unanimous label), which gives it a part of the held-out
    split."""
    where = "" if include_undecided else f"WHERE c.status = {int(Status.DECIDED)}"
    query = text(f"{_LABELLED_COLUMNS} {where} ORDER BY c.position")
    yield from conn.execution_options(yield_per=2000).execute(query)


def labelled_ids(db: sqlite3.Connection, include_undecided: bool) -> list[int]:
    """The row ids of the labelled file's cases (decided ones, or all), in file order."""
    where = "" if include_undecided else f"WHERE c.status = {int(Status.DECIDED)}"
    return [
        row_id for (row_id,) in db.execute(f"SELECT c.id FROM cases c {where} ORDER BY c.position")
    ]


def labelled_rows_of(db: sqlite3.Connection, ids: Sequence[int]) -> list[list[Any]]:
    """:func:`labelled_rows` of the cases ``ids`` (a few thousand), in that order, as lists,
    each with one more value after those: its place in ``ids``.

    SQLite makes them in one statement, as one JSON text, and Python reads that text at once:
    the statement runs without Python's global lock, which a row at a time takes back for
    every row, so that another thread (the export's lines) runs meanwhile. The values are
    those of the columns (text, integers, null; JSON holds no other kind a workspace has)."""
    (found,) = db.execute(_LABELLED_OF, (orjson.dumps(list(ids)).decode(),)).fetchone()
    rows: list[list[Any]] = orjson.loads(found)
    rows.sort(key=itemgetter(-1))  # (they come in that order already)
    return rows


def labelled_rows_with_source(conn: Connection, include_undecided: bool) -> Iterator[Any]:
    """:func:`labelled_rows`, each with two more columns: the id of the import the case came
    from and its text as imported (``case_text.raw``)."""
    where = "" if include_undecided else f"WHERE c.status = {int(Status.DECIDED)}"
    query = text(
        f"{_LABELLED_SELECT}, c.import_id, t.raw {_LABELLED_FROM} "
        f"JOIN case_text t ON t.case_id = c.id {where} ORDER BY c.position"
    )
    yield from conn.execution_options(yield_per=2000).execute(query)


def last_row_id(conn: Connection) -> int:
    """The largest row id a case has had (from the table's own counter when the table cannot
    be walked)."""
    return int(conn.execute(text("SELECT max(id) FROM cases")).scalar() or 0)


def labelled_rows_between(
    conn: Connection, first: int, last: int, include_undecided: bool
) -> list[Any]:
    """:func:`labelled_rows` of the cases whose row ids are ``first`` to ``last``, in row id
    order, read at once (for a rescue that reads around damaged pages)."""
    status = "" if include_undecided else f"AND c.status = {int(Status.DECIDED)}"
    query = text(f"{_LABELLED_COLUMNS} WHERE c.id BETWEEN :a AND :b {status} ORDER BY c.id")
    return list(conn.execute(query, {"a": first, "b": last}))


def calibration_rows(conn: Connection) -> Iterator[Any]:
    """The decided cases for a calibration pack, in file order, read a few thousand at a time:
    rows of id, criterion, judge label, the decision's label, rationale and tags (a JSON list),
    and the normalized case (``case_text.data``, JSON)."""
    query = text(
        "SELECT c.ext_id, c.criterion, c.judge_label, d.label, d.rationale, d.tags, t.data "
        "FROM cases c JOIN decision d ON d.case_id = c.id JOIN case_text t ON t.case_id = c.id "
        f"WHERE c.status = {int(Status.DECIDED)} ORDER BY c.position"
    )
    yield from conn.execution_options(yield_per=2000).execute(query)
