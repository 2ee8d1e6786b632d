"""Storing a case's classification, and recomputing it when a label scheme changes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from annotator.domain.disagreement import classify, who_was_right
from annotator.domain.model import LabelScheme
from annotator.storage import cases, decisions, schemes

BATCH = 2000
"""Cases read at a time when a criterion is classified again."""


def classification_columns(
    judge: str, raters: Sequence[str], scheme: LabelScheme
) -> dict[str, Any]:
    c = classify(judge, raters, scheme)
    return {"kind": c.kind.value, "severity": c.severity, "consensus": c.consensus}


def reclassify(conn: Connection, criterion: str, scheme: LabelScheme, *, batch: int = BATCH) -> int:
    """Recompute kind, severity and consensus of every case of ``criterion``. Returns the count.

    Reads the cases in batches of ``batch`` by row id (memory stays flat on a million cases)
    and writes only the rows whose classification changed.
    """
    count = 0
    after = 0
    while True:
        rows = cases.classified(conn, criterion, after, batch)
        changed: list[dict[str, Any]] = []
        for row in rows:
            new = classification_columns(row.judge_label, row.rater_labels, scheme)
            if (new["kind"], new["severity"], new["consensus"]) != row[2:5]:
                changed.append({"id": row.id, **new})
        if rows:
            after = rows[-1].id
        cases.reclassify(conn, changed)
        count += len(rows)
        if len(rows) < batch:
            rederive_who_right(conn, criterion, scheme)
            return count


def rederive_who_right(conn: Connection, criterion: str, scheme: LabelScheme) -> int:
    """Re-derive "who was right" of the decisions the reviewer did not override.

    It depends on the scale (an ordinal threshold), so it follows the scale when that changes.
    Returns how many decisions changed.
    """
    changed = []
    for case_id, label, who, judge, raters in decisions.derived_who_right(conn, criterion):
        derived = who_was_right(label, judge, raters, scheme).value
        if derived != who:
            changed.append((case_id, derived))
    decisions.set_who_right(conn, changed)
    return len(changed)


def check_threshold(threshold: float) -> None:
    """Raise ValueError unless ``threshold`` is a finite number of 0 or more."""
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"The threshold must be a number of 0 or more, not {threshold}.")


def change_threshold(
    conn: Connection, criterion: str, threshold: float, *, batch: int = BATCH
) -> None:
    """Set an ordinal criterion's disagreement threshold and reclassify its cases."""
    check_threshold(threshold)
    reclassify(conn, criterion, schemes.set_threshold(conn, criterion, threshold), batch=batch)
