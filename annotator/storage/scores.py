"""The judge's raw scores: the number a judge gave beside its label (``judge.score`` in the
case as imported, e.g. 4.5 on a 1-5 scale), with the case's ratings, for the figures that set
the judge's score against the raters' mean (``services.agreement.baseline``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

SEP = "\x1f"
"""Between a case's rating labels in one column (a unit separator: not in a label)."""

ScoreRow = tuple[str, str, float, tuple[str, ...]]
"""``(criterion, judge label, judge's score, rating labels)``."""


def judge_scores(db: sqlite3.Connection, criteria: Sequence[str]) -> Iterator[ScoreRow]:
    """Every case of these criteria whose judge gave a numeric score, with its ratings; none
    read when ``criteria`` is empty (the text of every case is read otherwise)."""
    if not criteria:
        return
    marks = ", ".join("?" for _ in criteria)
    rows = db.execute(
        "SELECT c.criterion, c.judge_label, s.score, (SELECT group_concat(r.label, char(31)) "
        "FROM rating r WHERE r.case_id = c.id) FROM cases c JOIN (SELECT case_id, "
        "json_extract(data, '$.judge.score') AS score FROM case_text) s ON s.case_id = c.id "
        f"WHERE c.criterion IN ({marks}) AND typeof(s.score) IN ('integer', 'real')",
        tuple(criteria),
    )
    for criterion, judge, score, labels in rows:
        yield criterion, judge, float(score), tuple(labels.split(SEP)) if labels else ()
