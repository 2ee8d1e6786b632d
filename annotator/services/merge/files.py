"""Reviewers' labelled files to one merged file, or to merged cases in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from annotator.domain.merge import MergedCase
from annotator.formats.errors import FileRefused
from annotator.formats.merged import MERGED_FORMAT, read_merged
from annotator.formats.versioned import file_format
from annotator.services.merge.collect import collect
from annotator.services.merge.reading import DEFAULT_READING, ReadOptions, no_gc
from annotator.services.merge.report import (
    Cancelled,
    MergeError,
    MergeReport,
    Progress,
    rubric_spreads,
)
from annotator.services.merge.workspace import has_reviews, load_merged, project_facts
from annotator.services.merge.writing import refuse_inputs, write_collected
from annotator.services.workspace import Workspace


def merge_files(
    paths: Sequence[Path],
    out: Path | None = None,
    *,
    against: Workspace | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    reading: ReadOptions = DEFAULT_READING,
    cancelled: Cancelled | None = None,
) -> tuple[list[MergedCase], MergeReport]:
    """Merge reviewers' labelled files; write the merged file to ``out`` if given.

    With ``against`` (the workspace the pack was made from), every case id, hash and label is
    also checked against it, and each line's case (criterion, judge and rater labels, kind).
    The cases come back in id order. ``workers``, ``reading``: how the files are read (see
    :func:`merge_to_file`); ``cancelled``: asked between files and while they are read
    (:class:`MergeCancelled`; nothing is written).
    """
    facts = project_facts(against) if against is not None else None
    with no_gc():
        collected = collect(
            paths, facts, progress=progress, reading=options(reading, workers), cancelled=cancelled
        )
        report = collected.report
        if out is not None:
            refuse_inputs(out, paths)
            write_collected(collected, Path(out), cancelled)
            report.output = Path(out)
        cases = collected.merged()
        report.count(cases)
    return cases, report


def merge_to_file(
    paths: Sequence[Path],
    out: Path,
    *,
    against: Workspace | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    reading: ReadOptions = DEFAULT_READING,
    cancelled: Cancelled | None = None,
) -> MergeReport:
    """:func:`merge_files` writing the merged file only (``annotator merge``): the merged cases
    are never built as objects, which keeps a merge of a million decisions fast and small.

    ``workers`` is how many processes read the files; by default one per core (at most
    ``MAX_WORKERS``) for large inputs and none for small ones (environment variable
    ``ANNOTATOR_MERGE_WORKERS`` to choose). Either way the result is the same, to the byte.
    ``reading``: the rest of how the files are read (:class:`ReadOptions`; ``workers``, when
    given, overrides its own).
    """
    facts = project_facts(against) if against is not None else None
    with no_gc():
        collected = collect(
            paths, facts, progress=progress, reading=options(reading, workers), cancelled=cancelled
        )
        refuse_inputs(out, paths)
        write_collected(collected, Path(out), cancelled)
        collected.report.output = Path(out)
        collected.report.rubrics = rubric_spreads(collected.rubrics_seen())
    return collected.report


def options(reading: ReadOptions, workers: int | None) -> ReadOptions:
    """``reading`` with ``workers``, when given."""
    return reading if workers is None else replace(reading, workers=workers)


def merged_cases(paths: Sequence[Path], progress: Progress | None = None) -> list[MergedCase]:
    """The merged cases behind ``paths``: a lead's workspace, one merged file, or reviewers'
    labelled files (merged here, in memory; ``progress``: ``(files read, files)``)."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise MergeError("no files given")
    if len(paths) == 1 and Workspace.is_workspace(paths[0]) and paths[0].exists():
        ws = Workspace.open(paths[0])
        try:
            if not has_reviews(ws):
                raise MergeError(
                    f"no reviewer files were merged into {paths[0].name} yet; merge them "
                    "first (File > Merge reviewer files)"
                )
            return list(load_merged(ws))
        finally:
            ws.close()
    merged = [p for p in paths if file_format(p) == MERGED_FORMAT]
    if merged:
        if len(paths) > 1:
            raise MergeError(
                f"{merged[0].name} is a merged file: give it alone, or give the reviewers' "
                "labelled files"
            )
        try:
            return list(read_merged(paths[0]))
        except FileRefused as exc:
            raise MergeError(str(exc)) from None
    return merge_files(paths, progress=progress)[0]
