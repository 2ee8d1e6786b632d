"""The agreement report of a workspace: the baseline of every case before any review, and,
where there are decisions (the reviewer's own, or reviewers' files merged in), the figures
against the final labels beside it.

Not imported by ``annotator.services.agreement`` (the report and its renderers need no
workspace): import it from here.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from annotator.domain.agreement import DEFAULT_RESAMPLES
from annotator.domain.anchoring import Anchoring, anchoring_of, merged_decisions, tally_alike
from annotator.domain.anchoring import anchoring as anchoring_figures
from annotator.domain.baseline import BaselineTally
from annotator.domain.model import LabelScheme
from annotator.services.agreement.baseline import build_baseline, with_scales
from annotator.services.agreement.build import build_report
from annotator.services.agreement.report import AgreementReport, Baseline
from annotator.services.judge_runs import measured_judge
from annotator.services.merge.files import merged_cases
from annotator.services.merge.workspace import load_merged
from annotator.services.workspace import Workspace
from annotator.storage import anchoring, cases, reviews, scores
from annotator.storage.db import driver_connection, name_of, translated

MAX_ALIKE = 100_000
"""Distinct ``(criterion, judge, ratings)`` kept before they are tallied (bounds memory)."""
PROGRESS_EVERY = 10_000
Progress = Callable[[int, int], None]


def report_of(
    paths: Sequence[Path],
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    open_workspace: Callable[[Path], Workspace] = Workspace.open,
    progress: Progress | None = None,
) -> AgreementReport:
    """The agreement report of what ``annotator agreement`` is given: one workspace (any: its
    baseline, and the figures against its decisions if it has some), or a merged file or
    reviewers' labelled files (``merge.merged_cases``). ``progress``: ``(cases, cases in
    all)`` as a workspace's cases are read, ``(files, files)`` as reviewers' files are."""
    if is_one_workspace(paths):
        ws = open_workspace(Path(paths[0]))
        try:
            return workspace_report(ws, seed=seed, resamples=resamples, progress=progress)
        finally:
            ws.close()
    cases = merged_cases(paths, progress)
    report = build_report(cases, seed=seed, resamples=resamples)
    return replace(
        report, anchoring=anchoring_of(merged_decisions(cases), seed=seed, resamples=resamples)
    )


def is_one_workspace(paths: Sequence[Path]) -> bool:
    """Whether ``paths`` is one workspace (else merged or reviewers' files)."""
    return len(paths) == 1 and Workspace.is_workspace(paths[0]) and Path(paths[0]).exists()


def workspace_report(
    ws: Workspace,
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    progress: Progress | None = None,
) -> AgreementReport:
    """The baseline of every case, and the figures against the final labels of the cases
    that have one (none in a workspace without decisions); which judge they measure."""
    baseline = workspace_baseline(ws, seed=seed, resamples=resamples, progress=progress)
    thresholds = {name: s.threshold for name, s in ws.project().schemes.items() if s.ordinal}
    report = build_report(
        load_merged(ws), seed=seed, resamples=resamples, thresholds=thresholds, baseline=baseline
    )
    return replace(
        report,
        anchoring=workspace_anchoring(ws, seed=seed, resamples=resamples),
        measured_judge=measured_judge(ws),
    )


def workspace_anchoring(
    ws: Workspace, *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES
) -> Anchoring:
    """The anchoring figures of the workspace's blind-first decisions (its own reviewer's and
    those merged in), streamed from storage and counted by kind."""
    with ws.engine.connect() as conn:
        counts = tally_alike(anchoring.blind_decisions(conn))
        own_truth = not reviews.has_reviews(conn)
    figures = anchoring_figures(counts, seed=seed, resamples=resamples)
    return replace(figures, own_truth=own_truth)


def workspace_baseline(
    ws: Workspace,
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    max_alike: int = MAX_ALIKE,
    progress: Progress | None = None,
) -> Baseline:
    """The baseline before any review, of every case in the workspace: one pass over the
    cases and their ratings (streamed from storage), cases alike counted together.
    ``progress``: ``(cases read, cases)`` every ``PROGRESS_EVERY`` cases."""
    schemes = ws.project().schemes
    tallies = {name: BaselineTally() for name in schemes}
    on_scale = {name: frozenset(s.labels) for name, s in schemes.items()}
    alike: Counter[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = Counter()

    def tally() -> None:
        for (name, judge, labels, raters), n in alike.items():
            if name in tallies:
                tallies[name].add(judge, labels, n, on_scale[name])
                tallies[name].add_raters(zip(raters, labels, strict=True), n, on_scale[name])
        alike.clear()

    with ws.engine.connect() as conn, translated(name_of(ws.engine)):
        total = cases.count(conn) if progress is not None else 0
        rows = cases.summary_rows(driver_connection(conn))
        for n, (name, _kind, _decided, judge, _agreed, labels, _final, raters) in enumerate(rows):
            alike[(name, judge, labels, raters)] += 1
            if len(alike) >= max_alike:
                tally()
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n, total)
        tally()
        if progress is not None:
            progress(total, total)
        add_judge_scores(driver_connection(conn), schemes, tallies)
    return build_baseline(with_scales(schemes, tallies), seed=seed, resamples=resamples)


def add_judge_scores(
    db: sqlite3.Connection, schemes: Mapping[str, LabelScheme], tallies: Mapping[str, BaselineTally]
) -> None:
    """The judge's raw scores of the cases of ordered criteria, into their tallies (the
    judge's score against the raters' mean uses them); cases alike counted together."""
    ordered = [name for name, s in schemes.items() if s.ordinal and name in tallies]
    alike: Counter[tuple[str, str, float, tuple[str, ...]]] = Counter()
    for name, judge, score, labels in scores.judge_scores(db, ordered):
        alike[(name, judge, score, tuple(sorted(labels)))] += 1
    for (name, judge, score, labels), n in alike.items():
        tallies[name].add_score(judge, score, labels, n, frozenset(schemes[name].labels))
