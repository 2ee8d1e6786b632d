"""Merging reviewers' labelled files: into one merged file, or into the lead's workspace.

Two ways in, one set of rules (``domain/merge.py``) and one reader (``formats/labelled/``);
the merged file is ``formats/merged.py``'s:

- ``merge_files`` reads labelled files and writes the merged file; ``merge_to_file`` does the
  same without building the merged cases as objects (``annotator merge``).
- ``merge_into_workspace`` stores the reviewers' decisions in the workspace the pack was made
  from, so that the lead settles the conflicts in the review window; ``export_merged`` then
  writes the merged file with the lead's decisions.

Large inputs are read in worker processes, a file each at a time (``_scanning``,
``services/merge_worker.py``); what comes back is each file's decisions in columns, with each
decision already the JSON the merged file writes (``LabelledScan``). Small ones are read here,
by the same reader, with the same result. The workers are started the way Windows and macOS
start processes ('spawn'): each imports the main module of the program again, so a script of
your own that merges large files must call the merge under ``if __name__ == "__main__":``, as
with any use of :mod:`multiprocessing`. (``annotator``, ``python -m annotator`` and the
frozen app need nothing: their main module is guarded, a package's ``__main__``, or calls
``freeze_support``.)

Properties the lead relies on (tests/test_merge.py checks each):

- Nothing partial: every file is read and checked before anything is written; a problem
  raises :class:`MergeError` and leaves no output (and an unchanged workspace).
- Order-independent: the same files in any order give byte-identical output (cases in id
  order, reviews in reviewer order, ties between equal times broken on content).
- Idempotent: the same file given twice (by content) counts once.
- One decision per reviewer and case: the newer one is kept, and the report says so.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, text

from annotator.domain.merge import (
    MergedCase,
    Resolution,
    Review,
    ReviewState,
    Scale,
    newest,
    tags_json,
)
from annotator.formats.errors import FileRefused
from annotator.formats.labelled import (
    CheckPoint,
    LabelledScan,
    criterion_name,
    file_format,
    file_sha256,
    scan_labelled,
)
from annotator.formats.merged import (
    MERGED_FORMAT,
    MergedLines,
    read_merged,
    write_lines,
    write_merged,
)
from annotator.services.workspace import Workspace, now_iso
from annotator.storage.db import writing

Progress = Callable[[int, int], None]
MAX_LISTED = 10
"""How many instances of one problem a message lists before it says 'and N more'."""


class MergeError(Exception):
    """The merge is refused; ``str()`` says why, naming files, lines and cases."""


@dataclass(frozen=True)
class Source:
    """One input file, as the report shows it."""

    path: Path
    sha256: str
    reviewers: tuple[str, ...]
    decisions: int
    same_as: Path | None = None
    """Set when the file has the same content as an earlier one: it was counted once."""
    already_merged: bool = False
    """Set when the workspace had merged this very file before."""


@dataclass(frozen=True)
class Superseded:
    """A reviewer decided a case in two files; the older decision was dropped."""

    case_id: str
    reviewer: str
    kept: str
    """Where the kept (newer) decision came from: ``file, line N`` or ``the workspace``."""
    dropped: str


@dataclass
class MergeReport:
    sources: list[Source] = field(default_factory=list)
    superseded: list[Superseded] = field(default_factory=list)
    cases: int = 0
    unanimous: int = 0
    single: int = 0
    """Of the unanimous cases, those only one reviewer decided."""
    conflicts: int = 0
    """Cases where reviewers disagree (settled by the lead or not)."""
    settled_by_lead: int = 0
    project: str = ""
    project_title: str = ""
    output: Path | None = None

    @property
    def open_conflicts(self) -> int:
        return self.conflicts - self.settled_by_lead

    def describe(self) -> str:
        """The report for people: what was read, what was dropped, what is left to settle."""
        lines = []
        for s in self.sources:
            who = ", ".join(s.reviewers) or "no reviewer"
            note = ""
            if s.same_as is not None:
                note = f" — the same file as {s.same_as.name}: counted once"
            elif s.already_merged:
                note = " — merged before: nothing new"
            lines.append(f"{s.path.name}: {s.decisions} decisions by {who}{note}")
        by_reviewer: dict[str, int] = {}
        for dropped in self.superseded:
            by_reviewer[dropped.reviewer] = by_reviewer.get(dropped.reviewer, 0) + 1
        for reviewer, count in sorted(by_reviewer.items()):
            example = next(d for d in self.superseded if d.reviewer == reviewer)
            lines.append(
                f"{reviewer} decided {count} case{'s' if count != 1 else ''} twice; the newer "
                f"decision was kept (e.g. case '{example.case_id}': kept {example.kept}, "
                f"dropped {example.dropped})"
            )
        single = f" ({self.single} decided by one reviewer only)" if self.single else ""
        lines.append(
            f"{self.cases} cases: {self.unanimous} unanimous{single}, {self.conflicts} reviewer "
            f"conflicts ({self.settled_by_lead} settled by the lead, "
            f"{self.open_conflicts} open)"
        )
        if self.output is not None:
            lines.append(f"wrote {self.output}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ProjectFacts:
    """What a merge checks the files against: the workspace the pack was made from."""

    fingerprint: str
    title: str
    scales: dict[str, Scale]
    cases: dict[str, tuple[int, str]]
    """ext_id -> (row id, content hash)."""

    @classmethod
    def of(cls, ws: Workspace) -> ProjectFacts:
        with ws.engine.connect() as conn:
            title, fingerprint = conn.execute(text("SELECT title, fingerprint FROM project")).one()
            scales = {
                crit: Scale(tuple(json.loads(labels)), bool(ordinal))
                for crit, labels, ordinal in conn.execute(
                    text("SELECT criterion, labels, ordinal FROM scheme")
                )
            }
            cases = {
                ext_id: (row_id, content_hash)
                for row_id, ext_id, content_hash in conn.execute(
                    text("SELECT id, ext_id, content_hash FROM cases")
                )
            }
        return cls(fingerprint, title, scales, cases)


class _Origin(NamedTuple):
    """Where a decision was read: file and line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.name}, line {self.line}"


_ROW = 0xFFFFFFFF
"""A decision is found by one int: ``file index << 32 | row`` (its row in the file's scan)."""


@dataclass(slots=True)
class _Case:
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
class _Collected:
    cases: dict[str, _Case]
    report: MergeReport
    scales: dict[str, Scale]
    scans: list[LabelledScan | None]
    """By file index; None for a file that was counted once or merged before."""
    labels: list[list[str]]
    """By file index, each decision's label."""

    def fragment(self, ref: int) -> bytes:
        """A decision as the merged file writes it: the members of its JSON object."""
        return self.scans[ref >> 32].reviews[ref & _ROW]  # type: ignore[union-attr]

    def review(self, ref: int) -> Review:
        return _review_of_json(self.fragment(ref))

    def agreed_label(self, case: _Case) -> str | None:
        labels = {self.labels[ref >> 32][ref & _ROW] for ref in case.reviews.values()}
        return labels.pop() if len(labels) == 1 else None

    def origin(self, ref: int) -> _Origin:
        scan = self.scans[ref >> 32]
        assert scan is not None
        return _Origin(scan.path, scan.lines[ref & _ROW])


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
    )


# -- reading and checking -------------------------------------------------------------------


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Reading a million decisions makes millions of small tuples; Python's cycle collector
    would scan them again and again (it made a 10 x 100k merge 40% slower). None of them
    form cycles, so collect once at the end instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


PARALLEL_MIN_BYTES = 64 << 20
"""Files smaller than this in all are read in this process: starting worker processes takes
longer than reading them."""
MAX_WORKERS = 4
WORKERS_VARIABLE = "ANNOTATOR_MERGE_WORKERS"
"""Set to a number of worker processes to read the files with (1: none), whatever their size."""


def _worker_count(paths: Sequence[Path], requested: int | None) -> tuple[int, bool]:
    """How many worker processes read the files, and whether that number was asked for (the
    argument, else ``ANNOTATOR_MERGE_WORKERS``). Unasked: one per core (at most
    ``MAX_WORKERS``) when there are two files or more and enough to read, else none (1: this
    process reads)."""
    if requested is None:
        with contextlib.suppress(ValueError):
            requested = int(os.environ.get(WORKERS_VARIABLE, ""))
    if requested is not None:
        return max(1, min(requested, len(paths))), True
    if len(paths) < 2:
        return 1, False
    size = 0
    for path in paths:
        with contextlib.suppress(OSError):
            size += os.stat(path).st_size
    if size < PARALLEL_MIN_BYTES:
        return 1, False
    return max(1, min(_cores(), len(paths), MAX_WORKERS)), False


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _hashes_first(paths: Sequence[Path], skip: set[str]) -> list[str | None]:
    """The hashes of the files that the merge may pass over without reading them, by file
    index (None: not hashed, or unreadable): every file when some were merged before
    (``skip``), else only the files that have the size of another one (a copy has its size).

    Hashing reads a file once more (from the page cache, mostly: ~0.3 s for 10 files of
    78 MB on 2 cores); a file passed over saves a full read and check (~0.7 s each)."""
    wanted = list(range(len(paths)))
    if not skip:
        sizes: dict[int, list[int]] = {}
        for index, path in enumerate(paths):
            with contextlib.suppress(OSError):
                sizes.setdefault(os.stat(path).st_size, []).append(index)
        wanted = sorted(i for same in sizes.values() if len(same) > 1 for i in same)
    hashes: list[str | None] = [None] * len(paths)
    threads = min(_cores(), len(wanted), MAX_WORKERS)
    if threads <= 1:
        digests = list(map(file_sha256, [paths[i] for i in wanted]))
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            digests = list(pool.map(file_sha256, [paths[i] for i in wanted]))
    for index, digest in zip(wanted, digests, strict=True):
        hashes[index] = digest
    return hashes


@contextlib.contextmanager
def _scanning(
    paths: Sequence[Path],
    workers: int | None,
    cases: Container[str] = (),
    skip_hashes: frozenset[str] = frozenset(),
) -> Iterator[Iterator[LabelledScan]]:
    """The files read and checked (:func:`scan_labelled`), in the order given.

    With more than one worker the files are read in worker processes
    (``services/merge_worker.py``), several at a time, and the caller takes each file's scan
    as soon as it is ready, in order. The workers are fresh interpreters ('spawn', as on
    Windows and macOS): safe from a GUI thread, and in the frozen app, whose entry points
    call ``multiprocessing.freeze_support()``. Leaving the block early (a refused file)
    cancels the files not started yet. Where processes cannot be started, or a worker dies,
    this process reads the files itself, unless the workers were asked for: then that is a
    :class:`MergeError`.

    ``cases``: the cases merged so far (filled as the caller takes the scans), whose members
    the scans of later files need not carry; ``skip_hashes``: the files the merge passes over.
    """
    count, asked = _worker_count(paths, workers)
    if count <= 1:
        yield (scan_labelled(path, cases) for path in paths)
        return
    with contextlib.ExitStack() as stack:
        try:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            from annotator.services.merge_worker import scan_into

            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="annotator-merge-"))
            pool = stack.enter_context(ProcessPoolExecutor(count, get_context("spawn")))
            futures = [pool.submit(scan_into, path, folder, skip_hashes) for path in paths]
        except (ImportError, OSError, RuntimeError, NotImplementedError) as exc:
            if asked:
                raise MergeError(f"cannot start processes to read the files: {exc}") from exc
            stack.close()
            futures = []
        if not futures:
            yield (scan_labelled(path, cases) for path in paths)
            return
        try:
            yield (_scanned(f, path, asked) for f, path in zip(futures, paths, strict=True))
        finally:
            _stop(pool, futures)


def _stop(pool: Any, futures: Sequence[Any]) -> None:
    """Cancel the files not started yet; if some are being read still (the merge stopped at a
    refused file), end the workers now rather than wait for them: the pool's shutdown then
    only joins them, so that no process outlives the merge and none writes to its folder as
    the folder goes."""
    for future in futures:
        future.cancel()
    if all(future.done() for future in futures):
        return
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):  # (ended already)
            process.terminate()


def _scanned(future: Any, path: Path, asked: bool) -> LabelledScan:
    """A worker's scan of ``path``. If the worker failed (it died, or could not write the scan)
    this process reads the file instead, unless the workers were asked for."""
    from concurrent.futures.process import BrokenProcessPool

    from annotator.services.merge_worker import load_scan

    try:
        return load_scan(future.result())
    except (BrokenProcessPool, OSError) as exc:
        if asked:
            raise MergeError(f"{path.name}: a worker process could not read it: {exc}") from exc
        return scan_labelled(path)


def _collect(
    paths: Sequence[Path],
    facts: ProjectFacts | None,
    skip_hashes: Iterable[str] = (),
    progress: Progress | None = None,
    workers: int | None = None,
) -> _Collected:
    """Read and check every file: a problem anywhere raises :class:`MergeError` (the first one
    in the order the files were given, and in line order within a file).

    A file merged before (``skip_hashes``) or with the same content as an earlier one is
    passed over, problems and all; when such files may be given, they are known by their hash
    (:func:`_hashes_first`) and not read at all."""
    if not paths:
        raise MergeError("no files to merge")
    paths = [Path(p) for p in paths]
    report = MergeReport()
    cases: dict[str, _Case] = {}
    seen_hashes: dict[str, Path] = {}
    skip = set(skip_hashes)
    projects: dict[str, tuple[Path, str]] = {}
    scales: dict[str, tuple[Scale, Path]] = {}
    mismatches: list[str] = []
    unknown: list[str] = []
    total = len(paths)
    collected = _Collected(cases, report, {}, [], [])
    # Files merged before, or copies of an earlier file, are known by their hash: not read.
    hashed = _hashes_first(paths, skip)
    first_hashes: set[str] = set()
    passed_over = []
    for digest in hashed:
        passed_over.append(digest is not None and (digest in skip or digest in first_hashes))
        if digest is not None:
            first_hashes.add(digest)
    to_read = [path for path, over in zip(paths, passed_over, strict=True) if not over]
    with _scanning(to_read, workers, cases, frozenset(skip)) as scans:
        read = iter(scans)
        for index, path in enumerate(paths):
            collected.scans.append(None)
            collected.labels.append([])
            scan = None if passed_over[index] else next(read)
            digest = hashed[index] if scan is None else scan.sha256
            if scan is None and digest not in seen_hashes and digest not in skip:
                scan = scan_labelled(path, cases)  # the file it copies changed since hashed
                digest = scan.sha256
            if not digest:  # the file could not be read
                assert scan is not None
                raise MergeError(scan.error)
            if digest in seen_hashes:
                report.sources.append(Source(path, digest, (), 0, same_as=seen_hashes[digest]))
                _report_progress(progress, index, total)
                continue
            seen_hashes[digest] = path
            if digest in skip:
                report.sources.append(Source(path, digest, (), 0, already_merged=True))
                _report_progress(progress, index, total)
                continue
            assert scan is not None
            for check in scan.checks:
                _check_project(check, path, projects, facts)
                _check_scale(check, path, scales, facts)
            if scan.error is not None:
                raise MergeError(scan.error)
            collected.scans[index] = scan
            reviewers, count = _add_scan(collected, index, facts, unknown, mismatches)
            report.sources.append(Source(path, digest, tuple(sorted(reviewers)), count))
            _report_progress(progress, index, total)
    if unknown:
        listed = [u for u in unknown if u]
        more = len(unknown) - len(listed)
        raise MergeError(
            "cases that are not in this project (was the pack made from another case file?):\n"
            + "\n".join(listed)
            + (f"\n…and {more} more" if more else "")
        )
    if mismatches:
        more = len(mismatches) - MAX_LISTED
        raise MergeError(
            "the reviewers saw different text for the same case (its content hash differs), "
            "so their decisions cannot be merged:\n"
            + "\n".join(mismatches[:MAX_LISTED])
            + (f"\n…and {more} more" if more > 0 else "")
        )
    if projects:
        report.project, (_, report.project_title) = next(iter(projects.items()))
    if facts is not None:
        report.project, report.project_title = facts.fingerprint, facts.title
    collected.scales = {c: s for c, (s, _) in scales.items()}
    return collected


def _report_progress(progress: Progress | None, index: int, total: int) -> None:
    if progress is not None:
        progress(index + 1, total)


def _add_scan(
    collected: _Collected,
    index: int,
    facts: ProjectFacts | None,
    unknown: list[str],
    mismatches: list[str],
) -> tuple[set[str], int]:
    """Add one file's decisions to the cases; returns its reviewers and decision count."""
    scan = collected.scans[index]
    assert scan is not None
    cases = collected.cases
    ids, hashes, groups, group_of = scan.ids, scan.case_hashes, scan.groups, scan.group
    # Each line's reviewer and label, built in C (a list index per line).
    reviewers = list(map([g.reviewer for g in groups].__getitem__, group_of))
    labels = collected.labels[index] = list(map([g.label for g in groups].__getitem__, group_of))
    known_cases = facts.cases if facts is not None else None
    base = index << 32
    skipped = 0
    for row, case_id in enumerate(ids):
        if known_cases is not None:
            known = known_cases.get(case_id)
            if known is None:
                where = _Origin(scan.path, scan.lines[row])
                unknown.append(f"{where}: case '{case_id}'" if len(unknown) < MAX_LISTED else "")
                reviewers[row] = ""  # not counted
                skipped += 1
                continue
        ref = base | row
        case = cases.get(case_id)
        if case is None:
            case_hash = hashes[row]
            group = groups[group_of[row]]
            info = scan.case_info[row]
            if not info:  # (scan_labelled leaves it out only for a case read before)
                raise RuntimeError(f"{scan.path.name}: no case members for new case {case_id}")
            cases[case_id] = _Case(
                case_hash,
                group.criterion,
                group.scale,
                info,
                ref,
                {reviewers[row]: ref},
                group.label,
            )
            if known_cases is not None and known_cases[case_id][1] != case_hash:
                where = _Origin(scan.path, scan.lines[row])
                mismatches.append(
                    f"case '{case_id}': {where} has {_short(case_hash)}, the "
                    f"workspace has {_short(known_cases[case_id][1])}"
                )
            continue
        if case.case_hash != hashes[row]:
            mismatches.append(
                f"case '{case_id}': {collected.origin(case.first)} has "
                f"{_short(case.case_hash)}, {_Origin(scan.path, scan.lines[row])} has "
                f"{_short(hashes[row])}"
            )
        previous = case.reviews.setdefault(reviewers[row], ref)
        if previous != ref:
            _add_review(collected, case, case_id, reviewers[row], previous, ref)
        elif case.label is not None and case.label != labels[row]:
            case.label = None  # a reviewer conflict
    found = set(reviewers)
    if skipped:
        found.discard("")
    count = len(ids) - skipped
    # What the cases need of these columns is in the cases now; the rest goes.
    scan.ids, scan.case_hashes, scan.case_info = [], [], []
    return found, count


def _add_review(
    collected: _Collected, case: _Case, case_id: str, reviewer: str, previous: int, ref: int
) -> None:
    """A reviewer decided the case again: keep the newer decision."""
    if collected.fragment(previous) == collected.fragment(ref):
        return  # the same decision in two files (a copy): counts once
    before = collected.review(previous)
    older_kept = newest(before, collected.review(ref)) is before
    kept, dropped = (previous, ref) if older_kept else (ref, previous)
    case.reviews[reviewer] = kept
    case.label = collected.agreed_label(case)
    collected.report.superseded.append(
        Superseded(case_id, reviewer, str(collected.origin(kept)), str(collected.origin(dropped)))
    )


def _check_project(
    line: CheckPoint,
    path: Path,
    projects: dict[str, tuple[Path, str]],
    facts: ProjectFacts | None,
) -> None:
    if facts is not None:
        if line.project != facts.fingerprint:
            raise MergeError(
                f"{path.name} is from another project: its cases differ from this workspace's "
                f"(fingerprint {_short(line.project)} '{line.project_title}', the workspace has "
                f"{_short(facts.fingerprint)} '{facts.title}'). Merge only the files exported "
                "from this review pack."
            )
        return
    if line.project in projects:
        return
    if projects:
        other_path, other_title = next(iter(projects.values()))
        other = next(iter(projects))
        raise MergeError(
            f"{path.name} is from another project than {other_path.name}: fingerprint "
            f"{_short(line.project)} '{line.project_title}' against {_short(other)} "
            f"'{other_title}'. Merge only the files exported from one review pack."
        )
    projects[line.project] = (path, line.project_title)


def _check_scale(
    line: CheckPoint,
    path: Path,
    scales: dict[str, tuple[Scale, Path]],
    facts: ProjectFacts | None,
) -> None:
    criterion = line.criterion
    expected = facts.scales.get(criterion) if facts is not None else None
    if facts is not None and expected is None:
        raise MergeError(
            f"{path.name}, line {line.line}: the workspace has no criterion '{criterion}'"
        )
    if expected is not None:
        if line.label not in expected.labels:
            raise MergeError(
                f"{path.name}, line {line.line}: case '{line.id}' has label "
                f"'{line.label}', which is not one of the labels of "
                f"{criterion_name(criterion)} ({', '.join(expected.labels)})"
            )
        if line.scale is not None and line.scale.labels != expected.labels:
            raise MergeError(_label_sets(criterion, path, line.scale, "the workspace", expected))
        return
    if line.scale is None:
        return
    known = scales.get(criterion)
    if known is None:
        scales[criterion] = (line.scale, path)
    elif known[0] != line.scale:
        raise MergeError(_label_sets(criterion, path, line.scale, known[1].name, known[0]))


def _label_sets(criterion: str, path: Path, got: Scale, other: str, expected: Scale) -> str:
    return (
        f"the label sets don't match for {criterion_name(criterion)}: {path.name} has "
        f"({', '.join(got.labels)}{', ordered' if got.ordinal else ''}), {other} has "
        f"({', '.join(expected.labels)}{', ordered' if expected.ordinal else ''})"
    )


def _short(digest: str) -> str:
    return digest[:19] + "…" if len(digest) > 20 else digest


# -- files to a merged file --------------------------------------------------------------------


def merge_files(
    paths: Sequence[Path],
    out: Path | None = None,
    *,
    against: Workspace | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> tuple[list[MergedCase], MergeReport]:
    """Merge reviewers' labelled files; write the merged file to ``out`` if given.

    With ``against`` (the workspace the pack was made from), every case id, hash and label is
    also checked against it. The cases come back in id order. ``workers``: how many processes
    read the files (see :func:`merge_to_file`).
    """
    facts = ProjectFacts.of(against) if against is not None else None
    with _no_gc():
        collected = _collect(paths, facts, progress=progress, workers=workers)
        report = collected.report
        if out is not None:
            _refuse_inputs(out, paths)
            _write_collected(collected, Path(out))
            report.output = Path(out)
        cases = [_merged(cid, c, collected) for cid, c in sorted(collected.cases.items())]
        _count(report, cases)
    return cases, report


def merge_to_file(
    paths: Sequence[Path],
    out: Path,
    *,
    against: Workspace | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> MergeReport:
    """:func:`merge_files` writing the merged file only (``annotator merge``): the merged cases
    are never built as objects, which keeps a merge of a million decisions fast and small.

    ``workers`` is how many processes read the files; by default one per core (at most
    ``MAX_WORKERS``) for large inputs and none for small ones (environment variable
    ``ANNOTATOR_MERGE_WORKERS`` to choose). Either way the result is the same, to the byte.
    """
    facts = ProjectFacts.of(against) if against is not None else None
    with _no_gc():
        collected = _collect(paths, facts, progress=progress, workers=workers)
        _refuse_inputs(out, paths)
        _write_collected(collected, Path(out))
        collected.report.output = Path(out)
    return collected.report


def _merged(case_id: str, case: _Case, collected: _Collected) -> MergedCase:
    info = orjson.loads(b"{" + case.info + b"}")
    return MergedCase(
        id=case_id,
        case_hash=case.case_hash,
        criterion=case.criterion,
        scale=case.scale or collected.scales.get(case.criterion) or Scale(()),
        judge_label=info["judge_label"],
        rater_labels=tuple(info["rater_labels"].items()),
        kind=info["kind"],
        reviews=tuple(collected.review(ref) for _, ref in sorted(case.reviews.items())),
    )


def _write_collected(collected: _Collected, out: Path) -> None:
    """Write the merged file of ``collected`` atomically, and count its cases in the report.

    The same bytes as :func:`write_merged` of the merged cases, built from the decisions' JSON
    as read (:class:`MergedLines`), a case at a time.
    """
    report = collected.report
    counts = [0, 0, 0]  # unanimous, of which single, conflicts
    write_lines(out, _lines(collected, counts))
    report.cases = len(collected.cases)
    report.unanimous, report.single, report.conflicts = counts
    report.settled_by_lead = 0


def _lines(collected: _Collected, counts: list[int]) -> Iterator[bytes]:
    """The lines in case id order; ``counts`` counts them as they go."""
    report = collected.report
    cases, scales = collected.cases, collected.scales
    fragments = [scan.reviews if scan is not None else [] for scan in collected.scans]
    line = MergedLines(report.project, report.project_title).line
    unanimous = single = conflicts = 0
    for case_id in sorted(cases):
        case = cases[case_id]
        refs = list(map(case.reviews.__getitem__, sorted(case.reviews)))  # reviewer order
        settled = case.label is not None
        if settled:
            unanimous += 1
            single += len(refs) == 1
        else:
            conflicts += 1
        yield line(
            case_id,
            case.case_hash,
            case.criterion,
            case.label,
            _UNANIMOUS if settled else _CONFLICT,
            [fragments[ref >> 32][ref & _ROW] for ref in refs],
            case.info,
            case.scale or scales.get(case.criterion) or _NO_SCALE,
        )
    counts[:] = unanimous, single, conflicts


_NO_SCALE = Scale(())
_UNANIMOUS, _CONFLICT = Resolution.UNANIMOUS.value, Resolution.CONFLICT.value


def _count(report: MergeReport, cases: Iterable[MergedCase]) -> None:
    report.cases = report.unanimous = report.single = 0
    report.conflicts = report.settled_by_lead = 0
    for case in cases:
        report.cases += 1
        if case.in_conflict:
            report.conflicts += 1
            report.settled_by_lead += case.lead is not None
        elif case.reviews:
            report.unanimous += 1
            report.single += len(case.reviews) == 1


def _refuse_inputs(out: Path, paths: Sequence[Path]) -> None:
    target = Path(out).resolve()
    if any(Path(p).resolve() == target for p in paths):
        raise MergeError(f"{Path(out).name} is one of the files being merged; choose another name")


# -- files into the lead's workspace -----------------------------------------------------------


def merge_into_workspace(
    ws: Workspace,
    paths: Sequence[Path],
    progress: Progress | None = None,
    *,
    workers: int | None = None,
) -> MergeReport:
    """Store the reviewers' decisions in ``ws`` (the workspace the pack was made from).

    All or nothing: the files are checked in full first, then written in one transaction.
    A reviewer's decision replaces one stored before only when it is newer.
    """
    facts = ProjectFacts.of(ws)
    with ws.engine.connect() as conn:
        merged_before = {h for (h,) in conn.execute(text("SELECT sha256 FROM merge_source"))}
    with _no_gc():
        collected = _collect(paths, facts, merged_before, progress, workers)
    report = collected.report
    with writing(ws.engine) as conn:
        source_ids: dict[Path, int] = {}
        for source in report.sources:
            if source.same_as is not None or source.already_merged:
                continue
            source_ids[source.path] = int(
                conn.execute(
                    text(
                        "INSERT INTO merge_source (path, sha256, reviewers, lines, merged_at) "
                        "VALUES (:p, :h, :r, :n, :t) RETURNING id"
                    ),
                    {
                        "p": str(source.path.resolve()),
                        "h": source.sha256,
                        "r": json.dumps(list(source.reviewers), ensure_ascii=False),
                        "n": source.decisions,
                        "t": now_iso(),
                    },
                ).scalar_one()
            )
        stored = _stored_reviews(conn, {r for s in report.sources for r in s.reviewers})
        rows: list[dict[str, Any]] = []
        for case_id, case in collected.cases.items():
            row_id = facts.cases[case_id][0]
            for reviewer, ref in case.reviews.items():
                review, where = collected.review(ref), collected.origin(ref)
                before = stored.get((row_id, reviewer))
                if before is not None and before != review:
                    if newest(before, review) is before:
                        report.superseded.append(
                            Superseded(case_id, reviewer, "the workspace", str(where))
                        )
                        continue
                    report.superseded.append(
                        Superseded(case_id, reviewer, str(where), "the workspace")
                    )
                elif before is not None:
                    continue
                rows.append(_review_row(row_id, review, source_ids[where.path], where.line))
        if rows:
            conn.execute(
                text(
                    "INSERT INTO review (case_id, reviewer, label, rationale, who_right, tags, "
                    "confidence, decided_at, source_id, line) VALUES (:case_id, :reviewer, "
                    ":label, :rationale, :who_right, :tags, :confidence, :decided_at, "
                    ":source_id, :line) ON CONFLICT (case_id, reviewer) DO UPDATE SET "
                    "label = excluded.label, rationale = excluded.rationale, "
                    "who_right = excluded.who_right, tags = excluded.tags, "
                    "confidence = excluded.confidence, decided_at = excluded.decided_at, "
                    "source_id = excluded.source_id, line = excluded.line"
                ),
                rows,
            )
            _update_states(conn, [facts.cases[c][0] for c in collected.cases])
        _count_stored(conn, report)
    return report


def _count_stored(conn: Any, report: MergeReport) -> None:
    """:func:`_count` over a workspace, in SQL (no case is read: a million would take seconds)."""
    unanimous, conflict = int(ReviewState.UNANIMOUS), int(ReviewState.CONFLICT)
    row = conn.execute(
        text(
            "SELECT count(*), "
            f"coalesce(sum(c.review_state = {unanimous}), 0), "
            f"coalesce(sum(c.review_state = {unanimous} AND "
            "(SELECT count(*) FROM review r WHERE r.case_id = c.id) = 1), 0), "
            f"coalesce(sum(c.review_state = {conflict}), 0), "
            f"coalesce(sum(c.review_state = {conflict} AND d.case_id IS NOT NULL), 0) "
            "FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
            "WHERE c.review_state != 0 OR d.case_id IS NOT NULL"
        )
    ).one()
    report.cases, report.unanimous, report.single, report.conflicts, report.settled_by_lead = (
        int(x) for x in row
    )


def _stored_reviews(conn: Any, reviewers: set[str]) -> dict[tuple[int, str], Review]:
    if not reviewers:
        return {}
    stored: dict[tuple[int, str], Review] = {}
    for reviewer in reviewers:
        for row in conn.execute(
            text(
                "SELECT case_id, reviewer, label, rationale, tags, confidence, who_right, "
                "decided_at FROM review WHERE reviewer = :r"
            ),
            {"r": reviewer},
        ):
            stored[(row[0], row[1])] = _review_of(row[1:])
    return stored


def _review_of(row: Sequence[Any]) -> Review:
    reviewer, label, rationale, tags, confidence, who_right, decided_at = row
    return Review(
        reviewer=reviewer,
        label=label,
        rationale=rationale or "",
        tags=tuple(json.loads(tags or "[]")),
        confidence=confidence,
        who_right=who_right,
        decided_at=decided_at or "",
    )


def _review_row(row_id: int, review: Review, source_id: int, line: int) -> dict[str, Any]:
    return {
        "case_id": row_id,
        "reviewer": review.reviewer,
        "label": review.label,
        "rationale": review.rationale,
        "who_right": review.who_right,
        "tags": tags_json(review.tags),
        "confidence": review.confidence,
        "decided_at": review.decided_at,
        "source_id": source_id,
        "line": line,
    }


def _update_states(conn: Any, row_ids: Sequence[int]) -> None:
    """Recompute ``cases.review_state`` for ``row_ids`` from their stored reviews."""
    query = text(
        "UPDATE cases SET review_state = CASE "
        "(SELECT count(DISTINCT label) FROM review WHERE case_id = cases.id) "
        f"WHEN 0 THEN {int(ReviewState.NONE)} WHEN 1 THEN {int(ReviewState.UNANIMOUS)} "
        f"ELSE {int(ReviewState.CONFLICT)} END WHERE id = :id"
    )
    conn.execute(query, [{"id": i} for i in row_ids])


def has_reviews(ws: Workspace) -> bool:
    """Whether reviewers' files were merged into ``ws`` (it is a lead's workspace)."""
    with ws.engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM merge_source LIMIT 1")).first() is not None


def conflict_progress(ws: Workspace) -> tuple[int, int]:
    """``(settled, all)`` reviewer conflicts: how far the lead has got."""
    with ws.engine.connect() as conn:
        total, settled = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(status = 2), 0) FROM cases "
                f"WHERE review_state = {int(ReviewState.CONFLICT)}"
            )
        ).one()
    return int(settled), int(total)


def reviews_of(conn: Connection, row_id: int) -> tuple[Review, ...]:
    """The reviewers' decisions on one case, in reviewer order."""
    rows = conn.execute(
        text(
            "SELECT reviewer, label, rationale, tags, confidence, who_right, decided_at "
            "FROM review WHERE case_id = :id ORDER BY reviewer"
        ),
        {"id": row_id},
    )
    return tuple(_review_of(row) for row in rows)


def load_merged(ws: Workspace) -> Iterator[MergedCase]:
    """Every case with a reviewer's or the lead's decision, in id order, as merged.

    The lead's decisions are the workspace's own (``decision``).
    """
    with ws.engine.connect() as conn:
        scales = {
            crit: Scale(tuple(json.loads(labels)), bool(ordinal))
            for crit, labels, ordinal in conn.execute(
                text("SELECT criterion, labels, ordinal FROM scheme")
            )
        }
        query = text(
            "SELECT c.id, c.ext_id, c.content_hash, c.criterion, c.judge_label, "
            "c.rater_labels, c.kind, d.label, d.rationale, d.tags, d.confidence, d.who_right, "
            "d.decided_at, d.reviewer, "
            "(SELECT json_group_array(json_array(r.reviewer, r.label, r.rationale, r.tags, "
            "r.confidence, r.who_right, r.decided_at)) FROM "
            "(SELECT * FROM review WHERE case_id = c.id ORDER BY reviewer) r) "
            "FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
            "WHERE c.review_state != 0 OR d.case_id IS NOT NULL ORDER BY c.ext_id"
        )
        for row in conn.execution_options(yield_per=2000).execute(query):
            lead = None
            if row[7] is not None:
                lead = _review_of((row[13] or "lead", *row[7:9], row[9], row[10], *row[11:13]))
            yield MergedCase(
                id=row[1],
                case_hash=row[2],
                criterion=row[3],
                scale=scales.get(row[3], Scale(())),
                judge_label=row[4],
                rater_labels=tuple((r, lbl) for r, lbl in json.loads(row[5])),
                kind=row[6],
                reviews=tuple(_review_of(r) for r in json.loads(row[14] or "[]")),
                lead=lead,
            )


def export_merged(ws: Workspace, out: Path) -> MergeReport:
    """Write the merged file of a lead's workspace: reviewers' decisions and the lead's."""
    from annotator.services.exporter import refuse_precious

    refuse_precious(ws, Path(out))
    project = ws.project()
    report = MergeReport(project=project.fingerprint, project_title=project.title, output=Path(out))
    with ws.engine.connect() as conn:
        _count_stored(conn, report)
    write_merged(load_merged(ws), Path(out), project.fingerprint, project.title)
    return report


def merged_cases(paths: Sequence[Path]) -> list[MergedCase]:
    """The merged cases behind ``paths``: a lead's workspace, one merged file, or reviewers'
    labelled files (merged here, in memory)."""
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
    return merge_files(paths)[0]
