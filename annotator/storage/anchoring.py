"""Blind-first decisions, for the anchoring report (``domain.anchoring``): the SQL of
``reveal`` with ``decision`` (the workspace's own reviewer) and of ``review.blind_label`` (the
reviewers a lead merged in).

A blind-first decision is a first label with a final label beside it: a case revealed but not
decided yet is not one. Each carries the case's judge label, the raters' consensus and the
final label the Agreement page uses (``reviews.final_label``), so that nothing else is read;
decisions alike are counted together in SQL (a million decisions in a few seconds).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, text

from annotator.domain.anchoring import BlindDecision
from annotator.storage.reviews import final_label

OWN_REVIEWER = "coalesce(nullif(d.reviewer, ''), nullif(v.reviewer, ''), 'lead')"
"""SQL: who took the workspace's own blind-first decision (``v`` the reveal, ``d`` the
decision): the decision's reviewer, as the merged cases name it (``lead`` when unnamed)."""

_OWN = (
    "FROM reveal v JOIN decision d ON d.case_id = v.case_id JOIN cases c ON c.id = v.case_id "
    "WHERE NOT EXISTS (SELECT 1 FROM review o WHERE o.case_id = v.case_id "
    f"AND o.reviewer = {OWN_REVIEWER})"
)
"""The workspace's own blind-first decisions (a merged review by the same name stands
instead, as in the merged cases)."""
_MERGED = (
    "FROM review r JOIN cases c ON c.id = r.case_id LEFT JOIN decision d ON d.case_id = c.id "
    "WHERE r.blind_label IS NOT NULL"
)
"""Merged reviewers' blind-first decisions (``d``: the workspace's decision on the case)."""
_FIELDS = f"c.judge_label AS judge, c.consensus AS consensus, {final_label('c.id', 'd')} AS truth"


def blind_decisions(conn: Connection) -> Iterator[tuple[BlindDecision, int]]:
    """Every blind-first decision of the workspace, those alike (the same reviewer, labels,
    judge, consensus and truth) counted together in SQL: the workspace's own reviewer's, then
    those merged in. ``truth``: the case's final label. A million decisions come back as a
    few hundred rows."""
    own = (
        f"SELECT {OWN_REVIEWER} AS who, v.blind_label AS first, d.label AS final, {_FIELDS} {_OWN}"
    )
    merged = f"SELECT r.reviewer, r.blind_label, r.label, {_FIELDS} {_MERGED}"
    columns = "who, first, final, judge, consensus, truth"
    query = text(f"SELECT {columns}, count(*) FROM ({own} UNION ALL {merged}) GROUP BY {columns}")
    for reviewer, first, final, judge, consensus, truth, n in conn.execute(query):
        yield BlindDecision(reviewer, first, final, judge or None, consensus or None, truth), n


def switched_to_judge(reviewer: bool) -> str:
    """SQL: the cases (``c``) where a blind-first decision moved to the judge's label after
    the reveal: its first label was not the judge's and its final label is (``domain.anchoring``'s
    move to the judge). ``reviewer``: only the decisions of the reviewer named ``:switched``."""
    own = f" AND {OWN_REVIEWER} = :switched" if reviewer else ""
    merged = " AND r.reviewer = :switched" if reviewer else ""
    return (
        f"(c.judge_label != '' AND (c.id IN (SELECT v.case_id {_OWN} "
        f"AND v.blind_label != d.label AND d.label = c.judge_label{own}) "
        f"OR c.id IN (SELECT r.case_id {_MERGED} AND r.blind_label != r.label "
        f"AND r.label = c.judge_label{merged})))"
    )
