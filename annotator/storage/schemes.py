"""The label schemes, one per criterion (``scheme``)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from sqlalchemy import Connection, text

from annotator.domain.merge import Scale
from annotator.domain.model import LabelScheme


@dataclass(frozen=True)
class StoredScheme:
    scheme: LabelScheme
    declared: bool
    """True when the labels came from a file's header; False when inferred from the data."""


def schemes(conn: Connection) -> dict[str, StoredScheme]:
    """Every criterion's scheme, as stored."""
    rows = conn.execute(
        text("SELECT criterion, labels, ordinal, threshold, rubric, declared FROM scheme")
    )
    return {
        criterion: StoredScheme(
            LabelScheme(tuple(json.loads(labels)), bool(ordinal), threshold, rubric),
            bool(declared),
        )
        for criterion, labels, ordinal, threshold, rubric, declared in rows
    }


def label_schemes(conn: Connection) -> dict[str, LabelScheme]:
    return {criterion: stored.scheme for criterion, stored in schemes(conn).items()}


def save_scheme(conn: Connection, criterion: str, scheme: LabelScheme, declared: bool) -> None:
    """Store ``criterion``'s scheme, replacing the one it had."""
    conn.execute(
        text(
            "INSERT OR REPLACE INTO scheme (criterion, labels, ordinal, threshold, rubric, "
            "declared) VALUES (:criterion, :labels, :ordinal, :threshold, :rubric, :declared)"
        ),
        {
            "criterion": criterion,
            "labels": json.dumps(list(scheme.labels), ensure_ascii=False),
            "ordinal": scheme.ordinal,
            "threshold": scheme.threshold,
            "rubric": scheme.rubric,
            "declared": declared,
        },
    )


def set_threshold(conn: Connection, criterion: str, threshold: float) -> LabelScheme:
    """Set ``criterion``'s disagreement threshold; returns its scheme with the new one."""
    row = conn.execute(
        text("SELECT labels, ordinal, rubric FROM scheme WHERE criterion = :c"), {"c": criterion}
    ).one()
    conn.execute(
        text("UPDATE scheme SET threshold = :t WHERE criterion = :c"),
        {"t": threshold, "c": criterion},
    )
    return LabelScheme(tuple(json.loads(row.labels)), bool(row.ordinal), threshold, row.rubric)


def set_rubric(conn: Connection, criterion: str, rubric: str) -> None:
    """Replace ``criterion``'s rubric with its newest version's text (``rubric_versions``)."""
    conn.execute(
        text("UPDATE scheme SET rubric = :r WHERE criterion = :c"), {"r": rubric, "c": criterion}
    )


def scales(conn: Connection) -> dict[str, Scale]:
    """Each criterion's labels, whether they are ordered and an ordinal one's threshold (what
    a merge checks, and what a labelled file says)."""
    return {
        crit: Scale(
            tuple(json.loads(labels)),
            bool(ordinal),
            float(threshold or 0) if ordinal else None,
        )
        for crit, labels, ordinal, threshold in conn.execute(
            text("SELECT criterion, labels, ordinal, threshold FROM scheme")
        )
    }


def criteria(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(text("SELECT criterion FROM scheme ORDER BY 1"))]


def all_labels(conn: Connection) -> list[str]:
    """Every label of every criterion, in criterion order then scale order, each once."""
    seen: dict[str, None] = {}
    for (labels,) in conn.execute(text("SELECT labels FROM scheme ORDER BY criterion")):
        seen.update(dict.fromkeys(json.loads(labels)))
    return list(seen)


def criteria_with_label(db: sqlite3.Connection, label: str) -> list[str]:
    """The criteria whose label sets hold ``label``."""
    return [
        criterion
        for (criterion,) in db.execute(
            "SELECT criterion FROM scheme s WHERE EXISTS "
            "(SELECT 1 FROM json_each(s.labels) j WHERE j.value = ?)",
            (label,),
        )
    ]
