"""The review queue: which cases, in what order, filtered and sorted in SQL."""

from __future__ import annotations

import enum
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, text

from annotator.domain.model import Kind, Status

DISAGREEMENTS = frozenset(k for k in Kind if k.is_disagreement)


class SortKey(enum.StrEnum):
    SEVERITY = "severity"
    ID = "id"
    FILE = "file"
    KIND = "kind"
    JUDGE = "judge"
    FINAL = "final"
    STATUS = "status"
    CRITERION = "criterion"


_ORDER = {
    SortKey.SEVERITY: "c.severity {d}, c.position",
    SortKey.ID: "c.ext_id {a}",
    SortKey.FILE: "c.position {a}",
    SortKey.KIND: "c.severity {d}, c.position",
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
    sort: SortKey = SortKey.SEVERITY
    descending: bool = False
    """Reverse of the sort key's natural order (severity's natural order is most severe first)."""

    def where(self) -> tuple[str, dict[str, Any]]:
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.kinds is not None:
            clauses.append("c.kind IN :kinds")
            params["kinds"] = sorted(k.value for k in self.kinds)
        if self.status is not None:
            clauses.append("c.status = :status")
            params["status"] = int(self.status)
        if self.label:
            clauses.append(
                "(c.judge_label = :label OR d.label = :label OR EXISTS "
                "(SELECT 1 FROM rating r WHERE r.case_id = c.id AND r.label = :label))"
            )
            params["label"] = self.label
        if self.rater:
            clauses.append(
                "EXISTS (SELECT 1 FROM rating r WHERE r.case_id = c.id AND r.rater = :rater)"
            )
            params["rater"] = self.rater
        if self.criterion is not None:
            clauses.append("c.criterion = :criterion")
            params["criterion"] = self.criterion
        if self.tag:
            clauses.append("EXISTS (SELECT 1 FROM json_each(d.tags) t WHERE t.value = :tag)")
            params["tag"] = self.tag
        if self.text.strip():
            clauses.append(
                "(c.ext_id LIKE :text ESCAPE '\\' OR c.data LIKE :text ESCAPE '\\' "
                "OR d.rationale LIKE :text ESCAPE '\\')"
            )
            params["text"] = f"%{_escape_like(self.text.strip())}%"
        return (" AND ".join(clauses) or "1"), params

    def order_by(self) -> str:
        natural, reverse = (
            ("DESC", "ASC")
            if self.sort in (SortKey.SEVERITY, SortKey.KIND)
            else (
                "ASC",
                "DESC",
            )
        )
        d = reverse if self.descending else natural
        a = "DESC" if self.descending else "ASC"
        return _ORDER[self.sort].format(a=a, d=d) + ", c.id"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class QueueRow:
    """What one line of the queue table shows."""

    id: int
    ext_id: str
    criterion: str
    kind: Kind
    judge_label: str
    rater_labels: str
    status: Status
    final_label: str | None


def queue_ids(engine: Engine, flt: QueueFilter) -> array[int]:
    """The row ids of every case the filter admits, in queue order (compact for millions)."""
    where, params = flt.where()
    query = text(
        f"SELECT c.id FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
        f"WHERE {where} ORDER BY {flt.order_by()}"
    )
    if "kinds" in params:
        query = query.bindparams(bindparam("kinds", expanding=True))
    ids: array[int] = array("q")
    with engine.connect() as conn:
        result = conn.execute(query, params)
        for chunk in result.partitions(50_000):
            ids.extend(row[0] for row in chunk)
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
                row[0], row[1], row[2], Kind(row[3]), row[4], row[5], Status(row[6]), row[7]
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
