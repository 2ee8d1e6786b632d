"""First labels under blind-first review: the SQL of ``reveal``.

A reviewer's first label on a case is committed before the judge's and the raters' labels are
shown; the row is its record (the time it was committed and by whom). Undo and redo go through
the decisions' history (``decisions.apply_states`` with a ``reveal`` member in a state).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

Reveal = dict[str, Any]
"""``{"blind_label", "revealed_at", "reviewer"}``: as a history entry keeps it."""

COLUMNS = ("blind_label", "revealed_at", "reviewer")


def reveal(conn: Connection, row_id: int) -> Reveal | None:
    """The first label committed on a case, or None (not revealed)."""
    row = conn.execute(
        text(f"SELECT {', '.join(COLUMNS)} FROM reveal WHERE case_id = :c"), {"c": row_id}
    ).first()
    return None if row is None else dict(row._mapping)


def set_reveal(conn: Connection, row_id: int, value: Reveal | None) -> None:
    """Record the first label of a case (None: remove it, the case is blind again)."""
    conn.execute(text("DELETE FROM reveal WHERE case_id = :c"), {"c": row_id})
    if value is not None:
        conn.execute(
            text(
                "INSERT INTO reveal (case_id, blind_label, revealed_at, reviewer) "
                "VALUES (:c, :blind_label, :revealed_at, :reviewer)"
            ),
            {"c": row_id, **{k: value.get(k) or "" for k in COLUMNS}},
        )
