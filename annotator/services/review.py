"""Reviewing: reading a case, deciding it, skipping, undo and redo, progress.

Every change is committed at once, with an entry in the ``history`` table so that it can be
undone, even after the app was closed and opened again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from annotator.domain.disagreement import classify, who_was_right
from annotator.domain.merge import Review
from annotator.domain.model import (
    Case,
    Classification,
    Confidence,
    Decision,
    Kind,
    LabelScheme,
    Status,
    WhoRight,
)
from annotator.domain.serialize import case_from_dict
from annotator.services.classification import change_threshold, check_threshold
from annotator.services.merge import reviews_of
from annotator.services.queue import DISAGREEMENTS, severity_condition
from annotator.services.workspace import Workspace, now_iso
from annotator.storage.db import writing

DEFAULT_TAGS = (
    "judge missed fact",
    "judge hallucinated",
    "rater error",
    "rubric ambiguous",
    "needs expert",
    "reference wrong",
)


class ReviewError(ValueError):
    """A decision that cannot be saved; the message says why, for the user."""


@dataclass(frozen=True)
class CaseDetail:
    row_id: int
    case: Case
    scheme: LabelScheme
    classification: Classification
    status: Status
    decision: Decision | None
    line: int
    source: str
    reviews: tuple[Review, ...] = ()
    """Reviewers' decisions merged in by a lead, in reviewer order (empty for a reviewer)."""
    draft: dict[str, Any] | None = None
    """What was typed on the case and not saved (``save_draft``), read with the case."""


@dataclass(frozen=True)
class Progress:
    total: int
    """Cases in review scope (disagreements, plus agreements when they are included)."""
    decided: int
    skipped: int
    all_cases: int
    all_decided: int

    @property
    def remaining(self) -> int:
        return self.total - self.decided


@dataclass(frozen=True)
class Change:
    """What an undo or redo did, so the UI can show it."""

    row_id: int
    ext_id: str
    action: str
    """``decide``, ``skip`` or ``clear``."""

    def describe(self) -> str:
        what = {"decide": "decision", "skip": "skip", "clear": "clearing"}.get(
            self.action, self.action
        )
        return f"{what} on {self.ext_id}"


class ReviewService:
    def __init__(self, ws: Workspace, reviewer: str = "") -> None:
        self.ws = ws
        self.reviewer = reviewer
        self._tags: list[str] | None = None
        """The tag vocabulary, read once: only this service adds to it (``decide``)."""
        self._ensure_tags()

    # -- reading ------------------------------------------------------------

    def case(self, row_id: int) -> CaseDetail:
        with self.ws.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT t.data, c.status, c.line, i.path, s.labels, s.ordinal, s.threshold, "
                    "s.rubric FROM cases c JOIN case_text t ON t.case_id = c.id "
                    "JOIN import_batch i ON i.id = c.import_id "
                    "LEFT JOIN scheme s ON s.criterion = c.criterion WHERE c.id = :id"
                ),
                {"id": row_id},
            ).one()
            decision = _decision_of(_state(conn, row_id)["decision"])
            reviews = reviews_of(conn, row_id)
            draft = _draft(conn, row_id)
        case = case_from_dict(json.loads(row.data))
        scheme = LabelScheme(
            tuple(json.loads(row.labels or "[]")),
            bool(row.ordinal),
            row.threshold or 0.0,
            row.rubric or "",
        )
        return CaseDetail(
            row_id,
            case,
            scheme,
            classify(case.judge.label, [r.label for r in case.ratings], scheme),
            Status(row.status),
            decision,
            row.line,
            row.path,
            reviews,
            draft,
        )

    def row_id(self, ext_id: str) -> int | None:
        with self.ws.engine.connect() as conn:
            value = conn.execute(
                text("SELECT id FROM cases WHERE ext_id = :e"), {"e": ext_id}
            ).scalar()
        return int(value) if value is not None else None

    def progress(self, include_agreements: bool = False) -> Progress:
        kinds = set(DISAGREEMENTS)
        if include_agreements:
            kinds.add(Kind.AGREEMENT)
        # Each count reads one index range (severity, or status then severity), never the table.
        scope = severity_condition(kinds, "severity")
        with self.ws.engine.connect() as conn:
            row = conn.execute(
                text(
                    f"SELECT (SELECT count(*) FROM cases WHERE {scope}), "
                    f"(SELECT count(*) FROM cases WHERE status = 2 AND {scope}), "
                    f"(SELECT count(*) FROM cases WHERE status = 1 AND {scope}), "
                    "(SELECT count(*) FROM cases), "
                    "(SELECT count(*) FROM cases WHERE status = 2)"
                )
            ).one()
        return Progress(*(int(x or 0) for x in row))

    def vocabulary(self) -> dict[str, list[str]]:
        """Distinct criteria, raters and labels, for filter menus."""
        with self.ws.engine.connect() as conn:
            return {
                "criteria": [
                    r[0] for r in conn.execute(text("SELECT criterion FROM scheme ORDER BY 1"))
                ],
                "raters": [r[0] for r in conn.execute(_RATERS_QUERY)],
                "labels": _all_labels(conn),
            }

    def tags(self) -> list[str]:
        """Every tag offered, oldest first: the defaults, then those reviewers added."""
        if self._tags is None:
            with self.ws.engine.connect() as conn:
                query = text("SELECT name FROM tag ORDER BY created_at, name")
                self._tags = [r[0] for r in conn.execute(query)]
        return list(self._tags)

    # -- changing ------------------------------------------------------------

    def decide(
        self,
        row_id: int,
        label: str,
        rationale: str,
        *,
        who_right: WhoRight | None = None,
        tags: tuple[str, ...] | list[str] = (),
        confidence: Confidence | None = None,
    ) -> Decision:
        """Save (or replace) the decision on a case. A rationale is required."""
        detail = self.case(row_id)
        canonical = detail.scheme.canonical(label) if detail.scheme.labels else label
        if canonical is None:
            raise ReviewError(
                f"'{label}' is not a label of this case; "
                f"choose one of: {', '.join(detail.scheme.labels)}"
            )
        if not rationale.strip():
            raise ReviewError("Write a rationale: a decision cannot be saved without one.")
        derived = who_was_right(
            canonical,
            detail.case.judge.label,
            [r.label for r in detail.case.ratings],
            detail.scheme,
        )
        clean_tags = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
        decision = Decision(
            label=canonical,
            rationale=rationale.strip(),
            who_right=who_right or derived,
            who_right_overridden=who_right is not None and who_right != derived,
            tags=clean_tags,
            confidence=confidence,
            reviewer=self.reviewer,
            decided_at=now_iso(),
        )
        with writing(self.ws.engine) as conn:
            for tag in clean_tags:
                conn.execute(
                    text("INSERT OR IGNORE INTO tag (name, created_at) VALUES (:n, :t)"),
                    {"n": tag, "t": now_iso()},
                )
            self._change(
                conn, row_id, "decide", {"status": 2, "decision": _decision_dict(decision)}
            )
        if self._tags is not None and not set(clean_tags) <= set(self._tags):
            self._tags = None  # a new tag: read the vocabulary again, in its order
        return decision

    def skip(self, row_id: int) -> None:
        """Mark an undecided case as skipped, to come back to it later."""
        with writing(self.ws.engine) as conn:
            if _state(conn, row_id)["status"] == Status.UNDECIDED:
                self._change(conn, row_id, "skip", {"status": 1, "decision": None})

    def clear(self, row_id: int) -> None:
        """Remove the decision on a case (undoable)."""
        with writing(self.ws.engine) as conn:
            if _state(conn, row_id)["status"] != Status.UNDECIDED:
                self._change(conn, row_id, "clear", {"status": 0, "decision": None})

    def save_draft(self, row_id: int, draft: dict[str, Any]) -> None:
        """Keep unsaved input on a case, so that a crash or a restart does not lose it."""
        with writing(self.ws.engine) as conn:
            conn.execute(
                text(
                    "INSERT OR REPLACE INTO draft (case_id, data, updated_at) VALUES (:c, :d, :t)"
                ),
                {"c": row_id, "d": json.dumps(draft, ensure_ascii=False), "t": now_iso()},
            )

    def draft(self, row_id: int) -> dict[str, Any] | None:
        with self.ws.engine.connect() as conn:
            return _draft(conn, row_id)

    def discard_draft(self, row_id: int) -> None:
        with writing(self.ws.engine) as conn:
            conn.execute(text("DELETE FROM draft WHERE case_id = :c"), {"c": row_id})

    def _change(self, conn: Connection, row_id: int, action: str, after: dict[str, Any]) -> None:
        before = _state(conn, row_id)
        _apply(conn, row_id, after)
        if action == "decide":  # the draft became the decision
            conn.execute(text("DELETE FROM draft WHERE case_id = :c"), {"c": row_id})
        conn.execute(text("DELETE FROM history WHERE undone = 1"))
        conn.execute(
            text(
                "INSERT INTO history (case_id, action, before, after, undone, at) "
                "VALUES (:c, :a, :b, :f, 0, :t)"
            ),
            {
                "c": row_id,
                "a": action,
                "b": json.dumps(before),
                "f": json.dumps(after),
                "t": now_iso(),
            },
        )

    def undo(self) -> Change | None:
        return self._step(undo=True)

    def redo(self) -> Change | None:
        return self._step(undo=False)

    def peek(self, undo: bool) -> Change | None:
        with self.ws.engine.connect() as conn:
            row = conn.execute(_STEP_QUERY[undo]).first()
        return Change(row.case_id, row.ext_id, row.action) if row else None

    def _step(self, undo: bool) -> Change | None:
        with writing(self.ws.engine) as conn:
            row = conn.execute(_STEP_QUERY[undo]).first()
            if row is None:
                return None
            _apply(conn, row.case_id, json.loads(row.before if undo else row.after))
            conn.execute(
                text("UPDATE history SET undone = :u WHERE seq = :s"),
                {"u": int(undo), "s": row.seq},
            )
        return Change(row.case_id, row.ext_id, row.action)

    def set_threshold(self, criterion: str, threshold: float) -> None:
        """Change an ordinal scale's disagreement threshold and reclassify its cases.

        Decisions whose "who was right" was derived follow the new scale.
        """
        try:
            check_threshold(threshold)
        except ValueError as exc:
            raise ReviewError(str(exc)) from None
        with writing(self.ws.engine) as conn:
            change_threshold(conn, criterion, threshold)

    def _ensure_tags(self) -> None:
        with writing(self.ws.engine) as conn:
            if conn.execute(text("SELECT count(*) FROM tag")).scalar():
                return
            stamp = now_iso()
            conn.execute(
                text("INSERT OR IGNORE INTO tag (name, created_at) VALUES (:n, :t)"),
                [{"n": t, "t": f"{stamp}#{i:02d}"} for i, t in enumerate(DEFAULT_TAGS)],
            )


# The distinct raters, in order, by hopping from one rater to the next along ix_rating_rater: one
# index seek per rater rather than a scan of every rating (SQLite has no skip scan for DISTINCT).
_RATERS_QUERY = text(
    "WITH RECURSIVE r(rater) AS (SELECT min(rater) FROM rating UNION ALL "
    "SELECT (SELECT min(rater) FROM rating WHERE rater > r.rater) FROM r "
    "WHERE r.rater IS NOT NULL) SELECT rater FROM r WHERE rater IS NOT NULL"
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


def _draft(conn: Connection, row_id: int) -> dict[str, Any] | None:
    data = conn.execute(text("SELECT data FROM draft WHERE case_id = :c"), {"c": row_id}).scalar()
    return json.loads(data) if data else None


def _state(conn: Connection, row_id: int) -> dict[str, Any]:
    status = conn.execute(text("SELECT status FROM cases WHERE id = :id"), {"id": row_id}).scalar()
    if status is None:
        raise ReviewError(f"no case with row id {row_id}")
    row = conn.execute(
        text(
            "SELECT label, rationale, who_right, who_right_overridden, tags, confidence, reviewer, "
            "decided_at FROM decision WHERE case_id = :id"
        ),
        {"id": row_id},
    ).first()
    decision = None
    if row is not None:
        decision = dict(row._mapping)
        decision["tags"] = json.loads(decision["tags"])
        decision["who_right_overridden"] = bool(decision["who_right_overridden"])
    return {"status": int(status), "decision": decision}


def _apply(conn: Connection, row_id: int, state: dict[str, Any]) -> None:
    conn.execute(
        text("UPDATE cases SET status = :s WHERE id = :id"), {"s": state["status"], "id": row_id}
    )
    conn.execute(text("DELETE FROM decision WHERE case_id = :id"), {"id": row_id})
    d = state["decision"]
    if d is not None:
        conn.execute(
            text(
                "INSERT INTO decision (case_id, label, rationale, who_right, who_right_overridden, "
                "tags, confidence, reviewer, decided_at) VALUES (:id, :label, :rationale, "
                ":who_right, :who_right_overridden, :tags, :confidence, :reviewer, :decided_at)"
            ),
            {**d, "id": row_id, "tags": json.dumps(d["tags"], ensure_ascii=False)},
        )


def _decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "label": d.label,
        "rationale": d.rationale,
        "who_right": d.who_right.value,
        "who_right_overridden": d.who_right_overridden,
        "tags": list(d.tags),
        "confidence": d.confidence.value if d.confidence else None,
        "reviewer": d.reviewer,
        "decided_at": d.decided_at,
    }


def _decision_of(d: dict[str, Any] | None) -> Decision | None:
    if d is None:
        return None
    return Decision(
        label=d["label"],
        rationale=d["rationale"],
        who_right=WhoRight(d["who_right"]),
        who_right_overridden=bool(d["who_right_overridden"]),
        tags=tuple(d["tags"]),
        confidence=Confidence(d["confidence"]) if d["confidence"] else None,
        reviewer=d["reviewer"],
        decided_at=d["decided_at"],
    )


def _all_labels(conn: Connection) -> list[str]:
    seen: dict[str, None] = {}
    for (labels,) in conn.execute(text("SELECT labels FROM scheme ORDER BY criterion")):
        seen.update(dict.fromkeys(json.loads(labels)))
    return list(seen)
