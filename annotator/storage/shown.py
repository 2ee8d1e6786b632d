"""The case shown: everything the review window needs of one case, in one statement.

Next case is the reviewer's most frequent action (docs/benchmarks.md: a frame's time is its
budget); each statement through SQLAlchemy costs a tenth of a millisecond or more, and the
case, its decision, draft, first label, rubric version, the project's blind-first and split
settings, whether it has reviewers' decisions and whether the project has judge runs besides
the imported one were ten of them. Read together, nothing is cached, so nothing can be stale:
a change from this window or another program is seen on the next read.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from sqlalchemy import Connection, text

from annotator.storage.cases import CaseRecord
from annotator.storage.decisions import DECISION_COLUMNS, MissingCase
from annotator.storage.reveals import COLUMNS as REVEAL_COLUMNS
from annotator.storage.reviews import latest_merge
from annotator.storage.rubric_versions import current_of


class Shown(NamedTuple):
    record: CaseRecord
    decision: dict[str, Any] | None
    """The decision's columns (``decisions.state``'s), tags as a list; None: no decision."""
    draft: dict[str, Any] | None
    rubric_version: int
    """The current version of the case's criterion's rubric."""
    reveal: dict[str, Any] | None
    """The first label committed on the case (``reveals.reveal``'s), or None."""
    blind_first: bool
    heldout_fraction: float | None
    """The project's split settings (None: no project row; the caller's defaults apply)."""
    split_seed: int | None
    merged_at: str | None
    """When the newest of the case's reviews was merged (None: no review)."""
    has_reviews: bool
    other_runs: bool
    """The project has a judge run besides the imported one (not removed)."""


_QUERY = text(
    "SELECT t.data, c.status, c.line, i.path, s.labels, s.ordinal, s.threshold, s.rubric, "
    f"d.case_id, {', '.join(f'd.{c}' for c in DECISION_COLUMNS)}, "
    "(SELECT data FROM draft WHERE case_id = c.id), "
    f"{current_of('c.criterion')}, "
    f"v.case_id, {', '.join(f'v.{c}' for c in REVEAL_COLUMNS)}, "
    "p.blind_first, p.heldout_fraction, p.split_seed, "
    f"{latest_merge('c.id')}, "
    "EXISTS (SELECT 1 FROM review WHERE case_id = c.id), "
    "EXISTS (SELECT 1 FROM judge_run WHERE removed_at IS NULL AND NOT imported) "
    "FROM cases c JOIN case_text t ON t.case_id = c.id "
    "JOIN import_batch i ON i.id = c.import_id "
    "LEFT JOIN scheme s ON s.criterion = c.criterion "
    "LEFT JOIN decision d ON d.case_id = c.id "
    "LEFT JOIN reveal v ON v.case_id = c.id "
    "LEFT JOIN project p ON p.id = 1 "
    "WHERE c.id = :id"
)


def shown(conn: Connection, row_id: int) -> Shown:
    """The case with row id ``row_id`` as the window shows it; raises :class:`MissingCase`."""
    row = conn.execute(_QUERY, {"id": row_id}).first()
    if row is None:
        raise MissingCase(row_id)
    record = CaseRecord(*row[:8])
    n = 8
    decision = None
    if row[n] is not None:
        decision = dict(
            zip(DECISION_COLUMNS, row[n + 1 : n + 1 + len(DECISION_COLUMNS)], strict=True)
        )
        decision["tags"] = json.loads(decision["tags"])
        decision["who_right_overridden"] = bool(decision["who_right_overridden"])
    n += 1 + len(DECISION_COLUMNS)
    draft = json.loads(row[n]) if row[n] else None
    version = int(row[n + 1] or 1)
    n += 2
    reveal = None
    if row[n] is not None:
        reveal = dict(zip(REVEAL_COLUMNS, row[n + 1 : n + 1 + len(REVEAL_COLUMNS)], strict=True))
    n += 1 + len(REVEAL_COLUMNS)
    blind, fraction, seed, merged, has_reviews, other_runs = row[n : n + 6]
    return Shown(
        record,
        decision,
        draft,
        version,
        reveal,
        bool(blind),
        None if fraction is None else float(fraction),
        None if seed is None else int(seed),
        None if merged is None else str(merged),
        bool(has_reviews),
        bool(other_runs),
    )
