"""Reviewers' decisions a lead merged into the workspace: ``review`` and ``merge_source``.

Plain functions over a SQLAlchemy ``Connection``; a service opens it (``writing()`` for the
writes, in one transaction with the rest of its merge). ``services/merge/`` calls them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, text

from annotator.domain.merge import MergedCase, Review, ReviewState, Scale, tags_json
from annotator.domain.model import Status
from annotator.storage.rubric_versions import hashes
from annotator.storage.schemes import scales

# -- merge sources: the files merged -----------------------------------------------------------


def merged_hashes(conn: Connection) -> set[str]:
    """The hashes of the files merged into the workspace so far."""
    return {h for (h,) in conn.execute(text("SELECT sha256 FROM merge_source"))}


def add_source(
    conn: Connection, path: str, sha256: str, reviewers: Sequence[str], lines: int, merged_at: str
) -> int:
    """Record a merged file; returns its id, for its reviews' ``source_id``."""
    return int(
        conn.execute(
            text(
                "INSERT INTO merge_source (path, sha256, reviewers, lines, merged_at) "
                "VALUES (:p, :h, :r, :n, :t) RETURNING id"
            ),
            {
                "p": path,
                "h": sha256,
                "r": json.dumps(list(reviewers), ensure_ascii=False),
                "n": lines,
                "t": merged_at,
            },
        ).scalar_one()
    )


def has_reviews(conn: Connection) -> bool:
    """Whether reviewers' files were merged into the workspace (it is a lead's workspace)."""
    return conn.execute(text("SELECT 1 FROM merge_source LIMIT 1")).first() is not None


# -- reviews -----------------------------------------------------------------------------------


class StoredReview(NamedTuple):
    """A review to store: on which case (its row id), and where it was read."""

    row_id: int
    review: Review
    source_id: int
    line: int


def stored_reviews(conn: Connection, reviewers: Iterable[str]) -> dict[tuple[int, str], Review]:
    """The stored decisions of ``reviewers``, by (case row id, reviewer)."""
    stored: dict[tuple[int, str], Review] = {}
    for reviewer in reviewers:
        for row in conn.execute(
            text(
                "SELECT case_id, reviewer, label, rationale, tags, confidence, who_right, "
                "decided_at, rubric_version, rubric_hash, blind_label, revealed_at "
                "FROM review WHERE reviewer = :r"
            ),
            {"r": reviewer},
        ):
            stored[(row[0], row[1])] = _review_of(row[1:])
    return stored


def store_reviews(conn: Connection, reviews: Iterable[StoredReview]) -> int:
    """Store each review, replacing the one its reviewer had on the case; returns how many."""
    rows = list(map(_review_row, reviews))
    if not rows:
        return 0
    conn.execute(
        text(
            "INSERT INTO review (case_id, reviewer, label, rationale, who_right, tags, "
            "confidence, decided_at, source_id, line, rubric_version, rubric_hash, blind_label, "
            "revealed_at) VALUES (:case_id, :reviewer, :label, :rationale, :who_right, :tags, "
            ":confidence, :decided_at, :source_id, :line, :rubric_version, :rubric_hash, "
            ":blind_label, :revealed_at) "
            "ON CONFLICT (case_id, reviewer) DO UPDATE SET "
            "label = excluded.label, rationale = excluded.rationale, "
            "who_right = excluded.who_right, tags = excluded.tags, "
            "confidence = excluded.confidence, decided_at = excluded.decided_at, "
            "source_id = excluded.source_id, line = excluded.line, "
            "rubric_version = excluded.rubric_version, rubric_hash = excluded.rubric_hash, "
            "blind_label = excluded.blind_label, revealed_at = excluded.revealed_at"
        ),
        rows,
    )
    return len(rows)


def _review_row(stored: StoredReview) -> dict[str, Any]:
    review = stored.review
    return {
        "case_id": stored.row_id,
        "reviewer": review.reviewer,
        "label": review.label,
        "rationale": review.rationale,
        "who_right": review.who_right,
        "tags": tags_json(review.tags),
        "confidence": review.confidence,
        "decided_at": review.decided_at,
        "source_id": stored.source_id,
        "line": stored.line,
        "rubric_version": review.rubric_version,
        "rubric_hash": review.rubric_hash,
        "blind_label": review.blind_label,
        "revealed_at": review.revealed_at,
    }


def rubric_versions_seen(conn: Connection) -> dict[str, dict[str, set[tuple[int, str | None]]]]:
    """Per criterion, per reviewer: the ``(rubric version, hash)`` pairs their stored reviews
    carry (reviews from files without versions left out)."""
    seen: dict[str, dict[str, set[tuple[int, str | None]]]] = {}
    rows = conn.execute(
        text(
            "SELECT DISTINCT c.criterion, r.reviewer, r.rubric_version, r.rubric_hash "
            "FROM review r JOIN cases c ON c.id = r.case_id WHERE r.rubric_version IS NOT NULL"
        )
    )
    for criterion, reviewer, version, digest in rows:
        seen.setdefault(criterion, {}).setdefault(reviewer, set()).add((int(version), digest))
    return seen


def latest_merge(case: str) -> str:
    """SQL: when the newest of the reviews of the case ``case`` (a row id's SQL) was merged."""
    return (
        "(SELECT max(s.merged_at) FROM review rm JOIN merge_source s ON s.id = rm.source_id "
        f"WHERE rm.case_id = {case})"
    )


def _settles(decision: str, case: str) -> str:
    """SQL: the lead's decision ``decision`` (an alias of ``decision``) was taken once the
    reviews of ``case`` were merged, so it settles the case; a decision taken before is the
    lead's own review, one more reviewer's (it settles no conflict it never saw)."""
    return f"{decision}.decided_at >= {latest_merge(case)}"


def final_label(case: str, decision: str) -> str:
    """SQL: the final label of the case ``case`` (a row id's SQL) whose workspace decision is
    the row ``decision`` (an alias of ``decision``, NULL columns where there is none), as
    :func:`load_merged` gives it (``MergedCase.final_label``): the lead's decision where it
    settles the case (``_settles``), else the reviewers' label where they all chose the same,
    the workspace's own decision counting as one more reviewer's (named ``lead`` when it names
    nobody; a merged review of the same name stands instead); NULL: an open conflict."""
    own = f"coalesce(nullif({decision}.reviewer, ''), 'lead')"
    return (
        f"(CASE WHEN {decision}.case_id IS NOT NULL AND coalesce({_settles(decision, case)}, 0) "
        f"THEN {decision}.label ELSE (SELECT CASE WHEN min(x.label) = max(x.label) "
        "THEN min(x.label) END FROM (SELECT label FROM review WHERE case_id = "
        f"{case} UNION ALL SELECT {decision}.label WHERE {decision}.case_id IS NOT NULL AND "
        f"NOT EXISTS (SELECT 1 FROM review o WHERE o.case_id = {case} AND o.reviewer = {own})"
        ") x) END)"
    )


def still_open(case: str) -> str:
    """SQL: the case ``case`` (a table alias) waits for a decision: it has none (undecided or
    skipped), or its reviewers conflict and the lead's decision is the lead's own review, taken
    before their files were merged (it settles nothing: ``_settles``). Cheap where most cases
    are decided: the subquery runs only for a decided conflict."""
    undecided, unsettled = open_parts(case)
    return f"({undecided} OR {unsettled})"


def open_parts(case: str) -> tuple[str, str]:
    """:func:`still_open`'s two parts, each SQL that an index answers alone: not decided (the
    queue's index holds the status), and a decided conflict the lead's own review does not
    settle (``ix_cases_review_state``; the ``+`` keeps SQLite off the status index, which
    would visit every decided case)."""
    unsettled = (
        f"(+{case}.status = {int(Status.DECIDED)} AND {case}.review_state = "
        f"{int(ReviewState.CONFLICT)} AND EXISTS (SELECT 1 FROM decision d WHERE d.case_id = "
        f"{case}.id AND NOT {_settles('d', case + '.id')}))"
    )
    return f"{case}.status != {int(Status.DECIDED)}", unsettled


def update_states(conn: Connection, row_ids: Sequence[int]) -> None:
    """Recompute ``cases.review_state`` of ``row_ids`` from their stored reviews and the lead's
    own review (a decision taken before they were merged: ``_settles``)."""
    own = (
        "SELECT d.label FROM decision d WHERE d.case_id = cases.id "
        f"AND NOT {_settles('d', 'cases.id')}"
    )
    query = text(
        "UPDATE cases SET review_state = CASE "
        "(SELECT count(DISTINCT label) FROM "
        f"(SELECT label FROM review WHERE case_id = cases.id UNION {own})) "
        f"WHEN 0 THEN {int(ReviewState.NONE)} WHEN 1 THEN {int(ReviewState.UNANIMOUS)} "
        f"ELSE {int(ReviewState.CONFLICT)} END WHERE id = :id"
    )  # (the states written in: bound, they would be three more parameters on every row)
    conn.execute(query, [{"id": i} for i in row_ids])


def reviews_of(conn: Connection, row_id: int) -> tuple[Review, ...]:
    """The reviewers' decisions on one case, in reviewer order."""
    rows = conn.execute(
        text(
            "SELECT reviewer, label, rationale, tags, confidence, who_right, decided_at, "
            "rubric_version, rubric_hash, blind_label, revealed_at FROM review "
            "WHERE case_id = :id ORDER BY reviewer"
        ),
        {"id": row_id},
    )
    return tuple(_review_of(row) for row in rows)


def _review_of(row: Sequence[Any]) -> Review:
    """A review of its columns: reviewer, label, rationale, tags, confidence, who was right,
    time, then (when read) the rubric version and hash, the first label and when revealed."""
    reviewer, label, rationale, tags, confidence, who_right, decided_at = row[:7]
    rubric_version, rubric_hash = (*row[7:9], None, None)[:2]
    blind_label, revealed_at = (*row[9:11], None, None)[:2]
    return Review(
        reviewer=reviewer,
        label=label,
        rationale=rationale or "",
        tags=tuple(json.loads(tags or "[]")),
        confidence=confidence,
        who_right=who_right,
        decided_at=decided_at or "",
        rubric_version=rubric_version,
        rubric_hash=rubric_hash,
        blind_label=blind_label,
        revealed_at=revealed_at,
    )


def _states() -> dict[str, int]:
    return {
        "none": int(ReviewState.NONE),
        "unanimous": int(ReviewState.UNANIMOUS),
        "conflict": int(ReviewState.CONFLICT),
    }


# -- the merged cases --------------------------------------------------------------------------


class MergeCounts(NamedTuple):
    cases: int
    """With a reviewer's or the lead's decision."""
    unanimous: int
    single: int
    """Of the unanimous cases, those one reviewer decided."""
    conflicts: int
    settled_by_lead: int
    """Of the conflicts, those the lead decided once they were merged."""
    lead_own: int
    """Cases the lead decided before their reviews were merged (or that no reviewer saw): the
    lead's own review, which settles nothing."""


def merge_counts(conn: Connection) -> MergeCounts:
    """The merged cases counted in SQL (no case is read: a million would take seconds)."""
    row = conn.execute(
        text(
            "SELECT count(*), "
            "coalesce(sum(c.review_state = :unanimous), 0), "
            "coalesce(sum(c.review_state = :unanimous AND "
            "(SELECT count(*) FROM review r WHERE r.case_id = c.id) = 1), 0), "
            "coalesce(sum(c.review_state = :conflict), 0), "
            "coalesce(sum(c.review_state = :conflict AND d.case_id IS NOT NULL "
            f"AND {_settles('d', 'c.id')}), 0), "
            f"coalesce(sum(d.case_id IS NOT NULL AND NOT coalesce({_settles('d', 'c.id')}, 0)), 0) "
            "FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
            "WHERE c.review_state != :none OR d.case_id IS NOT NULL"
        ),
        _states(),
    ).one()
    return MergeCounts(*(int(x) for x in row))


def conflict_progress(conn: Connection) -> tuple[int, int]:
    """``(settled, all)`` reviewer conflicts: how far the lead has got."""
    total, settled = conn.execute(
        text(
            "SELECT count(*), coalesce(sum(c.status = :decided AND EXISTS (SELECT 1 FROM "
            f"decision d WHERE d.case_id = c.id AND {_settles('d', 'c.id')})), 0) "
            "FROM cases c WHERE c.review_state = :conflict"
        ),
        {"decided": int(Status.DECIDED), "conflict": int(ReviewState.CONFLICT)},
    ).one()
    return int(settled), int(total)


def load_merged(conn: Connection) -> Iterator[MergedCase]:
    """Every case with a reviewer's or the lead's decision, in id order, as merged. The lead's
    decisions are the workspace's own (``decision``)."""
    scale_of = scales(conn)
    rubric_hashes = hashes(conn)
    query = text(
        "SELECT c.id, c.ext_id, c.content_hash, c.criterion, c.judge_label, "
        "c.rater_labels, c.kind, d.label, d.rationale, d.tags, d.confidence, d.who_right, "
        "d.decided_at, d.reviewer, "
        "(SELECT json_group_array(json_array(r.reviewer, r.label, r.rationale, r.tags, "
        "r.confidence, r.who_right, r.decided_at, r.rubric_version, r.rubric_hash, "
        "r.blind_label, r.revealed_at)) FROM "
        "(SELECT * FROM review WHERE case_id = c.id ORDER BY reviewer) r), "
        f"coalesce({_settles('d', 'c.id')}, 0), d.rubric_version, v.blind_label, v.revealed_at "
        "FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
        "LEFT JOIN reveal v ON v.case_id = c.id "
        "WHERE c.review_state != :none OR d.case_id IS NOT NULL ORDER BY c.ext_id"
    )
    rows = conn.execution_options(yield_per=2000).execute(query, {"none": int(ReviewState.NONE)})
    for row in rows:
        lead = None
        found = tuple(_review_of(r) for r in json.loads(row[14] or "[]"))
        if row[7] is not None:
            rubric = (row[16], rubric_hashes.get((row[3], row[16])))
            first = (row[17], row[18])  # (blind-first review: the lead's first label)
            lead = _review_of(
                (row[13] or "lead", *row[7:9], row[9], row[10], *row[11:13], *rubric, *first)
            )
            if not row[15]:  # the lead's own review, from before the merge: one more reviewer's
                if lead.reviewer not in {r.reviewer for r in found}:
                    found = tuple(sorted((*found, lead), key=lambda r: r.reviewer))
                lead = None
        yield MergedCase(
            id=row[1],
            case_hash=row[2],
            criterion=row[3],
            scale=scale_of.get(row[3], Scale(())),
            judge_label=row[4],
            rater_labels=tuple((r, lbl) for r, lbl in json.loads(row[5])),
            kind=row[6],
            reviews=found,
            lead=lead,
        )
