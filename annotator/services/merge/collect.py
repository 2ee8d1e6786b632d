"""Collecting the files of a merge: each file read, checked, and its decisions added to the cases.

One set of rules (``domain/merge.py``): every file must say the same of a case (its members:
criterion, judge and rater labels, kind; ``members.py``), and, against a workspace, what the
workspace says; one decision per reviewer and case, the newer one kept (and the report says
so; equal times fall back to the content); a file given twice (by content) counts once, and a
file merged before is passed over. The first problem in the order the files were given (and in
line order within a file) refuses the merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import orjson

from annotator.domain.merge import MergedCase, Review, Scale, newest
from annotator.formats.labelled import LabelledScan, scan_labelled
from annotator.services.merge.checks import Checks, ProjectFacts, short
from annotator.services.merge.members import Differing, check_members, difference, members
from annotator.services.merge.reading import (
    DEFAULT_READING,
    ReadOptions,
    check_cancelled,
    hashes_first,
    passed_over,
    scanning,
)
from annotator.services.merge.report import (
    Cancelled,
    MergeError,
    MergeReport,
    Progress,
    RubricSeen,
    Source,
    Superseded,
)
from annotator.services.merge.spill import Spill

ROW = 0xFFFFFFFF
"""A decision is found by one int, its reference: ``file index << 32 | row`` (its row in the
file's scan)."""


class Origin(NamedTuple):
    """Where a decision was read: file and line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.name}, line {self.line}"


@dataclass(slots=True)
class CaseSoFar:
    """What the files say of one case while they are read: the first line's case (its
    hash, criterion, scale and the case members of the merged file) and each reviewer's
    decision, as a reference into the scans."""

    case_hash: str
    criterion: str
    scale: Scale | None
    info: bytes
    first: int
    reviews: dict[str, int]
    label: str | None
    """The label every reviewer chose; None when they disagree."""


@dataclass
class Collected:
    """The files of a merge read and checked: the cases, and the scans their decisions are in."""

    cases: dict[str, CaseSoFar]
    report: MergeReport
    scales: dict[str, Scale]
    """The scales the files carry, for a case whose lines had none."""
    scans: list[LabelledScan | None]
    """By file index; None for a file that was counted once or merged before."""
    labels: list[list[str]]
    """By file index, each decision's label."""
    differing: list[Differing] = field(default_factory=list)
    """The lines whose members differ from those of the first line of their case."""
    criteria: set[str] = field(default_factory=set)
    """The criteria of the files' lines."""
    read: list[Path] = field(default_factory=list)
    """The files read: those handed to the reader, in order, then any read after all (a copy
    whose original changed since it was hashed). Not those passed over, known by their hash."""
    spill: Spill = field(default_factory=Spill)
    fragments: list[Sequence[bytes]] = field(default_factory=list)
    """By file index, each decision's fragment (its scan's ``reviews``), kept in ``spill``
    once the file's decisions are in the cases (``spill.py``)."""

    def rubrics_seen(self) -> RubricSeen:
        """Per criterion, per reviewer: the rubric versions (and hashes) their lines carry."""
        seen: RubricSeen = {}
        for scan in self.scans:
            for criterion, reviewer, version, digest in scan.rubrics if scan else ():
                seen.setdefault(criterion, {}).setdefault(reviewer, set()).add((version, digest))
        return seen

    def fragment(self, ref: int) -> bytes:
        """A decision as the merged file writes it: the members of its JSON object."""
        return self.fragments[ref >> 32][ref & ROW]

    def review(self, ref: int) -> Review:
        return _review_of_json(self.fragment(ref))

    def agreed_label(self, case: CaseSoFar) -> str | None:
        labels = {self.labels[ref >> 32][ref & ROW] for ref in case.reviews.values()}
        return labels.pop() if len(labels) == 1 else None

    def origin(self, ref: int) -> Origin:
        scan = self.scans[ref >> 32]
        assert scan is not None
        return Origin(scan.path, scan.lines[ref & ROW])

    def merged(self) -> list[MergedCase]:
        """The merged cases, in id order."""
        return [self._merged(case_id, case) for case_id, case in sorted(self.cases.items())]

    def _merged(self, case_id: str, case: CaseSoFar) -> MergedCase:
        info = orjson.loads(b"{" + case.info + b"}")
        return MergedCase(
            id=case_id,
            case_hash=case.case_hash,
            criterion=case.criterion,
            scale=self.scales.get(case.criterion) or case.scale or Scale(()),
            judge_label=info["judge_label"],
            rater_labels=tuple(info["rater_labels"].items()),
            kind=info["kind"],
            reviews=tuple(self.review(ref) for _, ref in sorted(case.reviews.items())),
        )


def _review_of_json(members: bytes) -> Review:
    d = orjson.loads(b"{" + members + b"}")
    return Review(
        d["reviewer"],
        d["label"],
        d["rationale"],
        tuple(d["tags"]),
        d["confidence"],
        d["who_right"],
        d["decided_at"],
        d.get("rubric_version"),
        d.get("rubric_hash"),
        d.get("blind_label"),
        d.get("revealed_at"),
    )


def collect(
    paths: Sequence[Path],
    facts: ProjectFacts | None,
    skip_hashes: Iterable[str] = (),
    progress: Progress | None = None,
    reading: ReadOptions = DEFAULT_READING,
    hashed: Sequence[str | None] | None = None,
    cancelled: Cancelled | None = None,
) -> Collected:
    """Read and check every file: a problem anywhere raises :class:`MergeError` (the first one
    in the order the files were given, and in line order within a file).

    A file merged before (``skip_hashes``) or with the same content as an earlier one is
    passed over, problems and all; when such files may be given, they are known by their hash
    (``hashed``, by file index; by default :func:`hashes_first`'s) and not read at all.
    ``cancelled`` is asked between files, and while a worker reads one.
    """
    if not paths:
        raise MergeError("no files to merge")
    paths = [Path(p) for p in paths]
    skip = set(skip_hashes)
    if hashed is None and reading.hash_first:
        hashed = hashes_first(paths, skip, reading.chunk)
    elif hashed is None:
        hashed = [None] * len(paths)  # every file read, and passed over after
    over = passed_over(hashed, skip)
    to_read = [path for path, passed in zip(paths, over, strict=True) if not passed]
    collected = Collected({}, MergeReport(), {}, [], [], read=list(to_read))
    checks = Checks(facts)
    seen: dict[str, Path] = {}
    with scanning(to_read, reading, frozenset(skip), cancelled) as scans:
        read = iter(scans)
        for index, path in enumerate(paths):
            check_cancelled(cancelled)
            scan = None if over[index] else next(read)
            digest = hashed[index] if scan is None else scan.sha256
            if scan is None and digest not in seen and digest not in skip:
                scan = scan_labelled(path, chunk=reading.chunk)  # changed since hashed
                digest = scan.sha256
                collected.read.append(path)
            _add_file(collected, checks, index, path, scan, digest or "", seen, skip)
            if progress is not None:
                progress(index + 1, len(paths))
    check_cancelled(cancelled)
    checks.refuse_cases()
    check_members(
        collected.cases,
        collected.differing,
        collected.origin,
        facts.members if facts is not None else None,
    )
    collected.report.project, collected.report.project_title = checks.project()
    collected.scales = checks.found_scales()
    return collected


def _add_file(
    collected: Collected,
    checks: Checks,
    index: int,
    path: Path,
    scan: LabelledScan | None,
    digest: str,
    seen: dict[str, Path],
    skip: set[str],
) -> None:
    """Add the file at ``index`` (its scan; None when it was passed over unread)."""
    report = collected.report
    collected.scans.append(None)
    collected.labels.append([])
    collected.fragments.append([])
    if not digest:  # the file could not be read
        assert scan is not None
        raise MergeError(scan.error)
    if digest in seen:
        report.sources.append(Source(path, digest, (), 0, same_as=seen[digest]))
        return
    seen[digest] = path
    if digest in skip:
        report.sources.append(Source(path, digest, (), 0, already_merged=True))
        return
    assert scan is not None
    for check in scan.checks:
        checks.check(check, path)
    if scan.error is not None:
        raise MergeError(scan.error)
    collected.scans[index] = scan
    collected.fragments[index] = scan.reviews
    reviewers, count = add_scan(collected, index, checks)
    collected.fragments[index] = collected.spill.keep(scan.reviews)
    scan.reviews = []
    report.sources.append(Source(path, digest, tuple(sorted(reviewers)), count))


def add_scan(collected: Collected, index: int, checks: Checks) -> tuple[set[str], int]:
    """Add one file's decisions to the cases; returns its reviewers and decision count."""
    scan = collected.scans[index]
    assert scan is not None
    cases, mismatches = collected.cases, checks.mismatches
    ids, hashes, groups, group_of = scan.ids, scan.case_hashes, scan.groups, scan.group
    # Each line's reviewer and label, built in C (a list index per line).
    reviewers = list(map([g.reviewer for g in groups].__getitem__, group_of))
    labels = collected.labels[index] = list(map([g.label for g in groups].__getitem__, group_of))
    infos = scan.case_info
    # Each line's criterion, to check against its case's: only when the files have more than one.
    collected.criteria.update(g.criterion for g in groups)
    criteria = None
    if len(collected.criteria) > 1:
        criteria = list(map([g.criterion for g in groups].__getitem__, group_of))
    known_cases = checks.facts.cases if checks.facts is not None else None
    base = index << 32
    skipped = 0
    for row, case_id in enumerate(ids):
        if known_cases is not None:
            known = known_cases.get(case_id)
            if known is None:
                checks.add_unknown(str(Origin(scan.path, scan.lines[row])), case_id)
                reviewers[row] = ""  # not counted
                skipped += 1
                continue
        ref = base | row
        case = cases.get(case_id)
        if case is None:
            case_hash = hashes[row]
            group = groups[group_of[row]]
            info = infos[row]
            if not info:  # (a worker leaves it out only for a case it read before)
                raise RuntimeError(f"{scan.path.name}: no case members for new case {case_id}")
            cases[case_id] = CaseSoFar(
                case_hash,
                group.criterion,
                group.scale,
                info,
                ref,
                {reviewers[row]: ref},
                group.label,
            )
            if known_cases is not None and known_cases[case_id][1] != case_hash:
                mismatches.append(
                    f"case '{case_id}': {Origin(scan.path, scan.lines[row])} has "
                    f"{short(case_hash)}, the workspace has {short(known_cases[case_id][1])}"
                )
            continue
        if case.case_hash != hashes[row]:
            mismatches.append(
                f"case '{case_id}': {collected.origin(case.first)} has "
                f"{short(case.case_hash)}, {Origin(scan.path, scan.lines[row])} has "
                f"{short(hashes[row])}"
            )
        info = infos[row]
        if (info and info != case.info) or (
            criteria is not None and criteria[row] != case.criterion
        ):
            criterion = criteria[row] if criteria is not None else case.criterion
            _other_members(collected, case, case_id, ref, criterion, info)
        previous = case.reviews.setdefault(reviewers[row], ref)
        if previous != ref:
            _add_review(collected, case, case_id, reviewers[row], previous, ref)
        elif case.label is not None and case.label != labels[row]:
            case.label = None  # a reviewer conflict
    found = set(reviewers)
    if skipped:
        found.discard("")
    # What the cases need of these columns is in the cases now; the rest goes.
    scan.ids, scan.case_hashes, scan.case_info = [], [], []
    return found, len(ids) - skipped


def _other_members(
    collected: Collected, case: CaseSoFar, case_id: str, ref: int, criterion: str, info: bytes
) -> None:
    """A line whose members are not written as those of the first line of its case: the same
    members written otherwise (rater labels in another order) are the same case, and the
    merged file takes the smaller bytes, whatever the order of the files; others differ."""
    if (
        criterion == case.criterion
        and info
        and difference(members(criterion, info), members(criterion, case.info)) is None
    ):
        case.info = min(case.info, info)
        return
    collected.differing.append(Differing(case_id, ref, criterion, info))


def _add_review(
    collected: Collected, case: CaseSoFar, case_id: str, reviewer: str, previous: int, ref: int
) -> None:
    """A reviewer decided the case again: keep the newer decision."""
    if collected.fragment(previous) == collected.fragment(ref):
        return  # the same decision in two files (a copy): counts once
    before, after = collected.review(previous), collected.review(ref)
    if before.sort_key() == after.sort_key():  # (differing in confidence or who was right)
        older_kept = collected.fragment(previous) > collected.fragment(ref)
    else:
        older_kept = newest(before, after) is before
    kept, dropped = (previous, ref) if older_kept else (ref, previous)
    case.reviews[reviewer] = kept
    case.label = collected.agreed_label(case)
    collected.report.superseded.append(
        Superseded(case_id, reviewer, str(collected.origin(kept)), str(collected.origin(dropped)))
    )
