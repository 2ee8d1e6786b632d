"""The alignment page's SQL: every decided case with its final label, its raters' labels and
each judge run's label, in one pass; the cases calibration packs gave as examples (the runs
themselves: ``storage/judge_runs.py``).

The final label is the Agreement page's adjudicated truth (``reviews.load_merged`` and
``domain.merge.MergedCase.final_label``), here in SQL so that a million cases are read in one
query: the lead's decision when it settles the case (taken once the reviewers' files were
merged), else the reviewers' label when all of them (with the lead's own review, a decision
taken before the merge) chose the same; in a reviewer's workspace, its own decision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, text

from annotator.domain.merge import ReviewState
from annotator.domain.split import DEFAULT_FRACTION, DEFAULT_SEED
from annotator.storage.reviews import _settles, has_reviews

AlignmentRow = tuple[int, str, str, str | None, str, str | None, tuple[str | None, ...]]
"""``(row id, case id, criterion, final label or None, raters' labels as stored (JSON),
imported judge's label or None, each added run's label or None)``."""


def split(conn: Connection) -> tuple[float, int]:
    """The project's held-out split, ``(fraction, seed)`` (``domain.split``'s defaults without
    a project row)."""
    found = conn.execute(text("SELECT heldout_fraction, split_seed FROM project WHERE id = 1"))
    row = found.first()
    return (DEFAULT_FRACTION, DEFAULT_SEED) if row is None else (float(row[0]), int(row[1]))


def example_row_ids(conn: Connection) -> set[int]:
    """The row ids of the cases any recorded calibration pack gave as examples (a few per
    criterion and pack)."""
    return {int(r) for (r,) in conn.execute(text("SELECT case_id FROM calibration_example"))}


def pack_count(conn: Connection) -> int:
    """Calibration packs recorded in the workspace."""
    return int(conn.execute(text("SELECT count(*) FROM calibration_pack")).scalar_one())


_MERGED_TRUTH = (
    f"CASE WHEN d.case_id IS NOT NULL AND coalesce({_settles('d', 'c.id')}, 0) THEN d.label ELSE"
    " (SELECT CASE WHEN count(DISTINCT x.label) = 1 THEN min(x.label) END "
    "FROM (SELECT r.label FROM review r WHERE r.case_id = c.id UNION ALL SELECT d.label "
    "WHERE d.case_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM review r2 WHERE "
    "r2.case_id = c.id AND r2.reviewer = coalesce(nullif(d.reviewer, ''), 'lead'))) x) END"
)
"""A merged case's final label (``MergedCase.final_label``): the lead's decision when it was
taken once the case's reviews were merged; else the one label of the reviewers and of the
lead's own review (a decision from before the merge, by a name no reviewer has)."""


def decided_rows(
    conn: Connection, db: sqlite3.Connection, run_ids: Sequence[int]
) -> Iterator[AlignmentRow]:
    """Every case with a decision (a lead's workspace: every merged case), in row id order,
    with the label of each run of ``run_ids`` (added runs, by their ``judge_run`` id) beside
    the imported judge's; the final label None where there is none (an open conflict). One
    query: each run's label is read by its primary key."""
    runs_sql = "".join(
        f", (SELECT v.label FROM judge_verdict v WHERE v.case_id = c.id AND v.run_id = {int(r):d})"
        for r in run_ids
    )
    if has_reviews(conn):
        query = (
            f"SELECT c.id, c.ext_id, c.criterion, {_MERGED_TRUTH}, c.rater_labels, "
            f"c.judge_label{runs_sql} FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
            f"WHERE c.review_state != {int(ReviewState.NONE):d} OR d.case_id IS NOT NULL "
            "ORDER BY c.id"
        )
    else:
        query = (
            "SELECT c.id, c.ext_id, c.criterion, d.label, c.rater_labels, "
            f"c.judge_label{runs_sql} FROM decision d JOIN cases c ON c.id = d.case_id "
            "ORDER BY c.id"
        )
    for row in db.execute(query):
        judge = row[5] or None
        yield row[0], row[1], row[2], row[3], row[4], judge, tuple(row[6:])
