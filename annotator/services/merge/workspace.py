"""Reviewers' files merged into the lead's workspace, and the merged cases read back from it.

``merge_into_workspace`` stores the reviewers' decisions in the workspace the pack was made
from, so that the lead settles the conflicts in the review window; ``export_merged`` then
writes the merged file with the lead's decisions. The SQL is ``storage/reviews.py``'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from functools import partial
from itertools import islice
from pathlib import Path

from sqlalchemy import Connection

from annotator.domain.merge import MergedCase, Review, newest
from annotator.formats.merged import write_merged
from annotator.services.cancelling import last_chance
from annotator.services.changes import REVIEWS_MERGED
from annotator.services.merge.checks import ProjectFacts
from annotator.services.merge.collect import Collected, collect
from annotator.services.merge.members import CaseMembers
from annotator.services.merge.reading import DEFAULT_READING, ReadOptions, check_cancelled, no_gc
from annotator.services.merge.report import (
    Cancelled,
    MergeCancelled,
    MergeReport,
    Progress,
    Superseded,
    rubric_spreads,
)
from annotator.services.workspace import Workspace, WorkspaceError, now_iso
from annotator.storage import cases, decisions, reviews, schemes
from annotator.storage import project as stored_project
from annotator.storage.db import writing
from annotator.storage.reviews import StoredReview


def project_facts(ws: Workspace) -> ProjectFacts:
    """What a merge checks the files against: the workspace the pack was made from."""
    with ws.engine.connect() as conn:
        return _facts(ws, conn)


def _facts(ws: Workspace, conn: Connection) -> ProjectFacts:
    record = stored_project.project(conn)
    if record is None:
        raise WorkspaceError("the workspace has no project record")
    hashes = cases.case_hashes(conn)
    return ProjectFacts(
        record.fingerprint,
        record.title,
        schemes.scales(conn),
        hashes,
        partial(_members, ws, hashes),
    )


_MEMBERS_BATCH = 1000
STORE_BATCH = 10_000
"""Decisions written at once, between two questions to ``cancelled``."""


def _members(
    ws: Workspace, hashes: dict[str, tuple[int, str]], wanted: Collection[str]
) -> dict[str, CaseMembers]:
    """What the workspace says the cases ``wanted`` were: criterion, judge and rater labels,
    kind (``members.py``). Most of the workspace's cases are read in one pass over them all
    (the export's read); a few, by their row ids (the queue's read, about twice as long a
    case)."""
    found: dict[str, CaseMembers] = {}
    if 2 * len(wanted) >= len(hashes):
        with ws.engine.connect() as conn:
            for row in decisions.labelled_rows(conn, include_undecided=True):
                if row[0] in wanted:
                    raters = json.loads(row[6]) if row[6] else {}
                    found[row[0]] = CaseMembers(row[2], row[4], raters, row[5])
        return found
    from annotator.services.queue import queue_rows

    row_ids = [hashes[case_id][0] for case_id in wanted]
    for start in range(0, len(row_ids), _MEMBERS_BATCH):
        for row in queue_rows(ws, row_ids[start : start + _MEMBERS_BATCH]).values():
            found[row.ext_id] = CaseMembers(
                row.criterion, row.judge_label, dict(row.ratings), row.kind.value
            )
    return found


def merge_into_workspace(
    ws: Workspace,
    paths: Sequence[Path],
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    reading: ReadOptions = DEFAULT_READING,
    clock: Callable[[], str] = now_iso,
    cancelled: Cancelled | None = None,
) -> MergeReport:
    """Store the reviewers' decisions in ``ws`` (the workspace the pack was made from).

    All or nothing: the files are checked in full first (each line's case against the
    workspace's too), then written in one transaction. A reviewer's decision replaces one
    stored before only when it is newer. ``workers``, ``reading``: how the files are read
    (``merge_to_file``); ``clock``: when a file was merged; ``cancelled``: asked between files,
    while they are read and while their decisions are written, until the commit
    (:class:`MergeCancelled`: the transaction is rolled back, the workspace unchanged).
    """
    with ws.engine.connect() as conn:
        facts = _facts(ws, conn)
        merged_before = reviews.merged_hashes(conn)
    if workers is not None:
        reading = replace(reading, workers=workers)
    with no_gc():
        collected = collect(paths, facts, merged_before, progress, reading, cancelled=cancelled)
    check_cancelled(cancelled)
    with writing(ws.engine) as conn:
        _store(conn, collected, facts, clock(), cancelled)
        last_chance(cancelled, _merge_cancelled)
    collected.report.changes = REVIEWS_MERGED
    return collected.report


def _merge_cancelled() -> MergeCancelled:
    return MergeCancelled("merge cancelled; nothing was merged")


def _store(
    conn: Connection,
    collected: Collected,
    facts: ProjectFacts,
    merged_at: str,
    cancelled: Cancelled | None = None,
) -> None:
    """Store the files and their decisions, and count the merged cases in the report
    (``cancelled`` asked every ``STORE_BATCH`` decisions)."""
    report = collected.report
    source_ids: dict[Path, int] = {}
    for source in report.sources:
        if source.same_as is not None or source.already_merged:
            continue
        source_ids[source.path] = reviews.add_source(
            conn,
            str(source.path.resolve()),
            source.sha256,
            source.reviewers,
            source.decisions,
            merged_at,
        )
    stored = reviews.stored_reviews(conn, {r for s in report.sources for r in s.reviewers})
    new = _new_reviews(collected, facts, stored, source_ids)
    written = 0
    while batch := list(islice(new, STORE_BATCH)):
        check_cancelled(cancelled)
        written += reviews.store_reviews(conn, batch)
    if written:
        reviews.update_states(conn, [facts.cases[c][0] for c in collected.cases])
    _count_stored(conn, report)


def _new_reviews(
    collected: Collected,
    facts: ProjectFacts,
    stored: dict[tuple[int, str], Review],
    source_ids: dict[Path, int],
) -> Iterator[StoredReview]:
    """The decisions to store: those the workspace has not, or has older (the report says
    which decisions were dropped, from the files or from the workspace). One at a time: a
    million of them in a list would keep Python's cycle collector busy."""
    superseded = collected.report.superseded
    for case_id, case in collected.cases.items():
        row_id = facts.cases[case_id][0]
        for reviewer, ref in case.reviews.items():
            review, where = collected.review(ref), collected.origin(ref)
            before = stored.get((row_id, reviewer))
            if before is not None and before != review:
                if newest(before, review) is before:
                    superseded.append(Superseded(case_id, reviewer, "the workspace", str(where)))
                    continue
                superseded.append(Superseded(case_id, reviewer, str(where), "the workspace"))
            elif before is not None:
                continue
            yield StoredReview(row_id, review, source_ids[where.path], where.line)


def _count_stored(conn: Connection, report: MergeReport) -> None:
    """:meth:`MergeReport.count` over a workspace, in SQL."""
    counts = reviews.merge_counts(conn)
    report.cases, report.unanimous, report.single = counts.cases, counts.unanimous, counts.single
    report.conflicts, report.settled_by_lead = counts.conflicts, counts.settled_by_lead
    report.lead_own = counts.lead_own
    report.rubrics = rubric_spreads(reviews.rubric_versions_seen(conn))


def has_reviews(ws: Workspace) -> bool:
    """Whether reviewers' files were merged into ``ws`` (it is a lead's workspace)."""
    with ws.engine.connect() as conn:
        return reviews.has_reviews(conn)


def conflict_progress(ws: Workspace) -> tuple[int, int]:
    """``(settled, all)`` reviewer conflicts: how far the lead has got."""
    with ws.engine.connect() as conn:
        return reviews.conflict_progress(conn)


def load_merged(ws: Workspace) -> Iterator[MergedCase]:
    """Every case with a reviewer's or the lead's decision, in id order, as merged.

    The lead's decisions are the workspace's own (``decision``).
    """
    with ws.engine.connect() as conn:
        yield from reviews.load_merged(conn)


def export_merged(
    ws: Workspace,
    out: Path,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> MergeReport:
    """Write the merged file of a lead's workspace: reviewers' decisions and the lead's.
    ``progress``: ``(cases written, cases)``; ``cancelled``: asked as they are written
    (``ExportCancelled``: no file written, an earlier one untouched)."""
    from annotator.services.exporter import refuse_precious

    refuse_precious(ws, Path(out))
    project = ws.project()
    report = MergeReport(project=project.fingerprint, project_title=project.title, output=Path(out))
    with ws.engine.connect() as conn:
        _count_stored(conn, report)
    cases = _ticking(load_merged(ws), report.cases, progress, cancelled)
    with ws.engine.connect() as conn:
        split = stored_project.split_settings(conn)
    write_merged(cases, Path(out), project.fingerprint, project.title, split=split)
    return report


def _ticking(
    cases: Iterator[MergedCase], total: int, progress: Progress | None, cancelled: Cancelled | None
) -> Iterator[MergedCase]:
    """``cases``, telling ``progress`` and asking ``cancelled`` as they go (``exporter.tick``)."""
    from annotator.services.exporter import last_export_chance, tick

    written = 0
    for case in cases:
        yield case
        written += 1
        tick(written, total, progress, cancelled)
    last_export_chance(cancelled)
    if progress is not None:
        progress(written, total)
