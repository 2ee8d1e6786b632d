"""Storing a case's classification, and recomputing it when a label scheme changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from annotator.domain.disagreement import classify
from annotator.domain.model import LabelScheme

SEP = "\x1f"
BATCH = 2000


def classification_columns(
    judge: str, raters: Sequence[str], scheme: LabelScheme
) -> dict[str, Any]:
    c = classify(judge, raters, scheme)
    return {"kind": c.kind.value, "severity": c.severity, "consensus": c.consensus}


def reclassify(conn: Connection, criterion: str, scheme: LabelScheme) -> int:
    """Recompute kind, severity and consensus of every case of ``criterion``. Returns the count."""
    rows = conn.execute(
        text(
            "SELECT c.id, c.judge_label, group_concat(r.label, :sep) FROM cases c "
            "LEFT JOIN rating r ON r.case_id = c.id WHERE c.criterion = :crit GROUP BY c.id"
        ),
        {"sep": SEP, "crit": criterion},
    ).fetchall()
    update = text(
        "UPDATE cases SET kind = :kind, severity = :severity, consensus = :consensus WHERE id = :id"
    )
    batch: list[dict[str, Any]] = []
    for case_id, judge, joined in rows:
        raters = joined.split(SEP) if joined else []
        batch.append({"id": case_id, **classification_columns(judge, raters, scheme)})
        if len(batch) >= BATCH:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)
    return len(rows)
