"""The alignment page's SQL: every decided case with its final label, its raters' labels and
each judge run's label, in one pass; the cases calibration packs gave as examples (the runs
themselves: ``storage/judge_runs.py``).

The final label is the Agreement page's adjudicated truth (``domain.merge.MergedCase.final_label``
as ``reviews.load_merged`` gives it), in SQL (``reviews.final_label``) so that a million cases
are read in one query: the lead's decision when it settles the case, else the reviewers' label
when all of them (with the lead's own review) chose the same; in a reviewer's workspace, its
own decision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, text

from annotator.domain.merge import ReviewState
from annotator.storage.reviews import final_label, has_reviews

AlignmentRow = tuple[int, str, str, str | None, str, str | None, tuple[str | None, ...]]
"""``(row id, case id, criterion, final label or None, raters' labels as stored (JSON),
imported judge's label or None, each added run's label or None)``."""


def example_row_ids(conn: Connection) -> set[int]:
    """The row ids of the cases any recorded calibration pack gave as examples (a few per
    criterion and pack)."""
    return {int(r) for (r,) in conn.execute(text("SELECT case_id FROM calibration_example"))}


def pack_count(conn: Connection) -> int:
    """Calibration packs recorded in the workspace."""
    return int(conn.execute(text("SELECT count(*) FROM calibration_pack")).scalar_one())


def decided_rows(
    conn: Connection, db: sqlite3.Connection, run_ids: Sequence[int], criterion: str | None = None
) -> Iterator[AlignmentRow]:
    """Every case with a decision (a lead's workspace: every merged case), in row id order,
    with the label of each run of ``run_ids`` (added runs, by their ``judge_run`` id) beside
    the imported judge's; the final label None where there is none (an open conflict); only
    the cases of ``criterion`` when given. One query: each run's label is read by its primary
    key."""
    runs_sql = "".join(
        f", (SELECT v.label FROM judge_verdict v WHERE v.case_id = c.id AND v.run_id = {int(r):d})"
        for r in run_ids
    )
    only = "" if criterion is None else " AND c.criterion = ?"
    if has_reviews(conn):
        query = (
            f"SELECT c.id, c.ext_id, c.criterion, {final_label('c.id', 'd')}, c.rater_labels, "
            f"c.judge_label{runs_sql} FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
            f"WHERE (c.review_state != {int(ReviewState.NONE):d} OR d.case_id IS NOT NULL)"
            f"{only} ORDER BY c.id"
        )
    else:
        query = (
            "SELECT c.id, c.ext_id, c.criterion, d.label, c.rater_labels, "
            f"c.judge_label{runs_sql} FROM decision d JOIN cases c ON c.id = d.case_id "
            f"WHERE 1{only} ORDER BY c.id"
        )
    for row in db.execute(query, () if criterion is None else (criterion,)):
        judge = row[5] or None
        yield row[0], row[1], row[2], row[3], row[4], judge, tuple(row[6:])
