"""The review queue: which cases, in what order, filtered and sorted in SQL."""

from __future__ import annotations

import enum
import json
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, text

from annotator.domain.merge import ReviewState
from annotator.domain.model import Kind, Status
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

    def where(self) -> tuple[str, dict[str, Any]]:
        """The SQL condition on ``cases c`` (LEFT JOIN ``decision d``) and its parameters.

        Written for a million cases: the kind filter is a severity range and every other filter
        an ``IN`` over a small index, so that the queue is read from one index in queue order.
        """
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.kinds is not None:
            clauses.append(severity_condition(self.kinds))
        if self.status is not None:
            clauses.append("c.status = :status")
            params["status"] = int(self.status)
        if self.label:
            clauses.append(
                "(c.judge_label = :label "
                "OR c.id IN (SELECT case_id FROM decision WHERE label = :label) "
                "OR c.id IN (SELECT case_id FROM rating WHERE label = :label))"
            )
            params["label"] = self.label
        if self.rater:
            clauses.append("c.id IN (SELECT case_id FROM rating WHERE rater = :rater)")
            params["rater"] = self.rater
        if self.criterion is not None:
            clauses.append("c.criterion = :criterion")
            params["criterion"] = self.criterion
        if self.tag:
            clauses.append(
                "c.id IN (SELECT t.case_id FROM decision t, json_each(t.tags) j "
                "WHERE j.value = :tag)"
            )
            params["tag"] = self.tag
        if self.review_state is not None:
            clauses.append("c.review_state = :review_state")
            params["review_state"] = int(self.review_state)
        if self.judge_truth is not None:
            clauses.append(
                "c.criterion = :cell_criterion AND c.judge_label = :cell_judge AND "
                "(d.label = :cell_truth OR (d.label IS NULL AND c.review_state = 1 AND "
                "c.id IN (SELECT case_id FROM review WHERE label = :cell_truth)))"
            )
            criterion, judge, truth = self.judge_truth
            params.update(cell_criterion=criterion, cell_judge=judge, cell_truth=truth)
        if self.text.strip():
            clause, text_params = _text_clause(self.text.strip())
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


def _text_clause(needle: str) -> tuple[str, dict[str, Any]]:
    """Substring search, ignoring case (Unicode case folding), over what a reader sees of a case
    (``case_text.search``: id, texts, judge rationale and model, rater names and comments, meta
    values) and over the reviewer's rationale.

    From three characters on, the trigram index answers ``LIKE`` and SQLite checks the candidates
    on the text; shorter needles have no trigram and scan the text. ``%`` and ``_`` in the needle
    match only themselves.
    """
    folded = needle.casefold()
    params: dict[str, Any] = {"text": f"%{_escape_like(folded)}%"}
    if len(folded) >= 3:
        params["text_fts"] = f"%{folded}%"
        literal = ""
        if "%" in folded or "_" in folded:  # FTS5's LIKE takes no ESCAPE: check on the text too
            literal = " AND search LIKE :text ESCAPE '\\'"
        cases = f"SELECT rowid FROM {SEARCH_TABLE} WHERE search LIKE :text_fts{literal}"
    else:
        cases = "SELECT case_id FROM case_text WHERE search LIKE :text ESCAPE '\\'"
    clause = (
        f"(c.id IN ({cases}) OR c.id IN "
        "(SELECT case_id FROM decision WHERE casefold(rationale) LIKE :text ESCAPE '\\') "
        "OR c.id IN (SELECT case_id FROM review WHERE casefold(rationale) LIKE :text ESCAPE '\\'))"
    )
    return clause, params


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
    where, params = flt.where()
    query = (
        f"SELECT c.id FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
        f"WHERE {where} ORDER BY {flt.order_by()}"
    )
    ids: array[int] = array("q")
    with engine.connect() as conn:
        # Straight through the sqlite3 cursor: a million ids are a million rows, and SQLAlchemy's
        # result rows would double the time.
        cursor = conn.connection.driver_connection.execute(query, params)  # type: ignore[union-attr]
        try:
            while chunk := cursor.fetchmany(50_000):
                ids.extend(row[0] for row in chunk)
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
