"""Storing a case's classification, and recomputing it when a label scheme changes."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from annotator.domain.disagreement import classify, who_was_right
from annotator.domain.model import LabelScheme

SEP = "\x1f"
BATCH = 2000


def classification_columns(
    judge: str, raters: Sequence[str], scheme: LabelScheme
) -> dict[str, Any]:
    c = classify(judge, raters, scheme)
    return {"kind": c.kind.value, "severity": c.severity, "consensus": c.consensus}


def reclassify(conn: Connection, criterion: str, scheme: LabelScheme) -> int:
    """Recompute kind, severity and consensus of every case of ``criterion``. Returns the count.

    Reads the cases in batches by row id (memory stays flat on a million cases) and writes only
    the rows whose classification changed.
    """
    select = text(
        "SELECT c.id, c.judge_label, c.kind, c.severity, c.consensus, "
        "(SELECT group_concat(r.label, :sep) FROM rating r WHERE r.case_id = c.id) "
        # "+c.criterion": walk the rows by id; the criterion index would sort every batch.
        "FROM cases c WHERE c.id > :after AND +c.criterion = :crit ORDER BY c.id LIMIT :n"
    )
    update = text(
        "UPDATE cases SET kind = :kind, severity = :severity, consensus = :consensus WHERE id = :id"
    )
    count = 0
    after = 0
    while True:
        rows = conn.execute(select, {"sep": SEP, "crit": criterion, "after": after, "n": BATCH})
        changed: list[dict[str, Any]] = []
        n = 0
        for case_id, judge, kind, severity, consensus, joined in rows:
            n += 1
            after = case_id
            raters = joined.split(SEP) if joined else []
            new = classification_columns(judge, raters, scheme)
            if (new["kind"], new["severity"], new["consensus"]) != (kind, severity, consensus):
                changed.append({"id": case_id, **new})
        if changed:
            conn.execute(update, changed)
        count += n
        if n < BATCH:
            rederive_who_right(conn, criterion, scheme)
            return count


def rederive_who_right(conn: Connection, criterion: str, scheme: LabelScheme) -> int:
    """Re-derive "who was right" of the decisions the reviewer did not override.

    It depends on the scale (an ordinal threshold), so it follows the scale when that changes.
    Returns how many decisions changed.
    """
    rows = conn.execute(
        text(
            "SELECT d.case_id, d.label, d.who_right, c.judge_label, "
            "(SELECT group_concat(r.label, :sep) FROM rating r WHERE r.case_id = c.id) "
            "FROM decision d JOIN cases c ON c.id = d.case_id "
            "WHERE c.criterion = :crit AND d.who_right_overridden = 0"
        ),
        {"sep": SEP, "crit": criterion},
    )
    changed = []
    for case_id, label, who, judge, joined in rows:
        derived = who_was_right(label, judge, joined.split(SEP) if joined else [], scheme).value
        if derived != who:
            changed.append({"id": case_id, "who": derived})
    if changed:
        conn.execute(text("UPDATE decision SET who_right = :who WHERE case_id = :id"), changed)
    return len(changed)


def check_threshold(threshold: float) -> None:
    """Raise ValueError unless ``threshold`` is a finite number of 0 or more."""
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"The threshold must be a number of 0 or more, not {threshold}.")


def change_threshold(conn: Connection, criterion: str, threshold: float) -> None:
    """Set an ordinal criterion's disagreement threshold and reclassify its cases."""
    check_threshold(threshold)
    row = conn.execute(
        text("SELECT labels, ordinal, rubric FROM scheme WHERE criterion = :c"), {"c": criterion}
    ).one()
    conn.execute(
        text("UPDATE scheme SET threshold = :t WHERE criterion = :c"),
        {"t": threshold, "c": criterion},
    )
    scheme = LabelScheme(tuple(json.loads(row.labels)), bool(row.ordinal), threshold, row.rubric)
    reclassify(conn, criterion, scheme)
