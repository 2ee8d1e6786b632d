"""A reviewer's labelled file read for a merge: in one pass, checked, in columns.

This is the merge's hot path: one loop turn per line of a million-line merge, in worker
processes (``services/merge/reading.py``). Most lines are exported by annotator and alike:
they take the fast path in :func:`_scan_lines`; any other line goes the long way round
(``careful.py``), which explains what is wrong.
"""

from __future__ import annotations

import hashlib
import operator
from array import array
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from annotator.domain.merge import Scale
from annotator.formats.errors import FileRefused, open_binary
from annotator.formats.labelled.careful import (
    CONFIDENCES,
    KINDS,
    WHO_RIGHT,
    Shared,
    other_line,
)
from annotator.formats.labelled.record import DECISIONS_VERSION
from annotator.formats.labelled.sheet import is_labelled_csv, json_batches
from annotator.formats.versioned import DECISIONS_FORMAT, parse_line

CHUNK = 1 << 22
"""How many bytes the reader reads (and hashes) at a time."""


@dataclass(slots=True)
class CheckPoint:
    """The first line of a labelled file with a given project, criterion, scale and label: what
    a merge checks against the other files and the workspace (once each, not once a line)."""

    line: int
    id: str
    project: str
    project_title: str
    criterion: str
    scale: Scale | None
    label: str


class LineGroup(NamedTuple):
    criterion: str
    scale: Scale | None
    """None for a line written before labelled files carried the scale."""
    label: str
    reviewer: str


@dataclass(slots=True)
class LabelledScan:
    """A reviewer's labelled file, read in full and checked (:func:`scan_labelled`).

    What a merge needs of each decided line, in columns (one list per field, one entry per
    decided line, in file order), so that a worker process hands it back cheaply: the strings
    that repeat are one object each, and a decision is the JSON text the merged file writes.
    """

    path: Path
    sha256: str = ""
    """``sha256:<hex>`` of the whole file; empty when the file could not be read."""
    error: str | None = None
    """The file's first problem (``name, line N: what``), or None. The columns are then
    empty, but ``checks`` holds those of the lines before the problem (a merge checks them
    first, as it would have when reading the file line by line)."""
    checks: list[CheckPoint] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    case_hashes: list[str] = field(default_factory=list)
    groups: list[LineGroup] = field(default_factory=list)
    """What many lines share: criterion, scale, label and reviewer (a few per file)."""
    group: array[int] = field(default_factory=lambda: array("L"))
    """Each line's index in ``groups``."""
    lines: array[int] = field(default_factory=lambda: array("L"))
    reviews: list[bytes] = field(default_factory=list)
    """Each decision as the merged file writes it (``formats/merged.py``): the members of
    ``Review.to_dict()`` as a JSON object (without the braces)."""
    case_info: list[bytes] = field(default_factory=list)
    """``"judge_label":…,"rater_labels":…,"kind":…`` of each line: the JSON members the merged
    file writes for the case (rater labels as strings); empty for a case that was ``known``."""
    rubrics: set[tuple[str, str, int, str | None]] = field(default_factory=set)
    """``(criterion, reviewer, rubric version, rubric hash)`` of the decided lines that carry
    a version: what a merge reports when reviewers decided under different ones."""

    def drop_columns(self) -> None:
        """Empty the columns (the file was refused: only its checks and hash count)."""
        self.ids, self.case_hashes, self.groups = [], [], []
        self.group, self.lines = array("L"), array("L")
        self.reviews, self.case_info = [], []
        self.rubrics = set()


def scan_labelled(path: Path, known: Container[str] = (), chunk: int = CHUNK) -> LabelledScan:
    """Read and check a reviewer's labelled file in one pass, hashing it on the way.

    Every line is checked (docs/formats.md); undecided and skipped lines are passed over. A
    labelled file exported as CSV is read as the JSON lines it stands for (``sheet.py``).
    The first problem ends the reading (the rest of the file is only hashed) and is kept in
    ``error`` rather than raised, so that a worker process can hand it back. Pure and
    picklable both ways: a merge runs it in worker processes (``services/merge/worker.py``).

    ``known``: ids of cases a merge has read in an earlier file already; it takes a case's
    members from the first file that has the case, so their ``case_info`` is left empty.
    ``chunk``: how many bytes are read at a time.
    """
    path = Path(path)
    scan = LabelledScan(path)
    digest = hashlib.sha256()
    try:
        with open_binary(path) as fh:
            try:
                head = fh.peek(1 << 16)  # type: ignore[attr-defined]  # (a BufferedReader)
                if is_labelled_csv(head):  # exported as CSV: read as the same JSON lines
                    batches = json_batches(path, fh, digest)
                else:
                    batches = _split_lines(fh, digest, chunk)
                _scan_lines(batches, scan, known)
            except FileRefused as exc:
                scan.error = str(exc)
                scan.drop_columns()
            while data := fh.read(chunk):  # what is left after a problem: its hash only
                digest.update(data)
    except FileRefused as exc:  # cannot be opened
        scan.error, scan.checks = str(exc), []
        return scan
    except OSError as exc:
        scan.error = f"{path.name}: cannot read the file: {exc.strerror or exc}"
        scan.checks = []
        return scan
    scan.sha256 = _named(digest)
    return scan


def file_sha256(path: Path, chunk: int = CHUNK) -> str | None:
    """What :func:`scan_labelled` finds as ``LabelledScan.sha256``, from the bytes alone (a
    merge knows files it merged before by it, without reading their lines). None when the file
    cannot be read: reading it says why."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while data := fh.read(chunk):
                digest.update(data)  # (without the GIL: files hash on all cores at once)
    except OSError:
        return None
    return _named(digest)


def _named(digest: Any) -> str:
    return f"sha256:{digest.hexdigest()}"


def _split_lines(fh: BinaryIO, digest: Any, chunk: int) -> Iterator[list[bytes]]:
    """The file's lines in batches, without their newline, hashing every byte read. The last
    line of a file that does not end in a newline comes alone, as ``[line, None]``."""
    rest = b""
    while data := fh.read(chunk):
        digest.update(data)
        lines = data.split(b"\n")
        if rest:
            lines[0] = rest + lines[0]
        rest = lines.pop()
        yield lines
    if rest:
        yield [rest, None]  # type: ignore[list-item]


def _scan_lines(batches: Iterator[list[bytes]], scan: LabelledScan, known: Container[str]) -> None:
    """The lines of one file into ``scan``; raises :class:`FileRefused` on the first problem.

    One loop, whole, on purpose: a line takes ~6 µs, and the fast path's checks as a function
    of their own (a call per line) made it 3-5% slower. What happens once (a new scale, new
    tags, a new group) or rarely (a line the fast path turns down, one that is not JSON) is
    done in functions of their own.
    """
    path = scan.path
    shared = Shared()
    add_id, add_hash, add_group = scan.ids.append, scan.case_hashes.append, scan.group.append
    add_line, add_review, add_info = scan.lines.append, scan.reviews.append, scan.case_info.append
    add_rubric = scan.rubrics.add
    group_index: dict[tuple[str, str, int, str, str], int] = {}
    seen_checks: set[tuple[str, str, int, str]] = set()
    scales, tags_seen = shared.scales, shared.tags
    loads, dumps, fields = orjson.loads, orjson.dumps, _FIELDS
    fmt, version, decided = DECISIONS_FORMAT, DECISIONS_VERSION, "decided"
    last_labels: list[Any] | None = None
    last_criterion = last_ordinal = last_threshold = scale = None
    on_scale: frozenset[str] = frozenset()
    kinds, sure, whose = KINDS, CONFIDENCES, WHO_RIGHT
    number = 0
    seen = False
    for batch in batches:
        for raw in batch:
            if raw is None:  # the last line had no newline
                continue
            number += 1
            try:
                r = loads(raw)
            except ValueError:
                r = parse_line(path, number, raw + b"\n" if batch[-1] is not None else raw, seen)
                if r is None:  # a blank line
                    continue
            if type(r) is not dict:
                raise FileRefused(path, "each line must be a JSON object", number)
            # -- the fast path: a line as annotator exports it, every field checked against
            # its documented values (careful.py accepts exactly the same lines)
            got = None
            try:
                values = fields(r)
            except KeyError:
                values = None
            if (
                values is not None
                and values[0] == fmt
                and type(values[1]) is int
                and 0 < values[1] <= version
                and values[2] == decided
            ):
                (
                    _, _, _, case_id, label, reviewer, case_hash, project, criterion, rationale,
                    decided_at, judge, kind, title, tags, raters,
                ) = values  # fmt: skip
                get = r.get
                confidence = get("confidence")
                who_right = get("who_right")
                overridden = get("who_right_overridden")
                app_version = get("app_version")
                labels = get("labels")
                if (  # type(x) is str, one by one: map(type, …) takes three times as long
                    type(case_id) is str
                    and type(label) is str
                    and type(reviewer) is str
                    and type(case_hash) is str
                    and type(project) is str
                    and type(criterion) is str
                    and type(rationale) is str
                    and type(decided_at) is str
                    and type(judge) is str
                    and type(kind) is str
                    and type(title) is str
                    and type(tags) is list
                    and type(raters) is dict
                    and case_id.strip()
                    and label.strip()
                    and reviewer.strip()
                    and case_hash.strip()
                    and project.strip()
                    and kind in kinds
                    and (confidence is None or type(confidence) is str and confidence in sure)
                    and (who_right is None or type(who_right) is str and who_right in whose)
                    and (overridden is None or type(overridden) is bool)
                    and (app_version is None or type(app_version) is str)
                    and ((rv := get("rubric_version")) is None or type(rv) is int and rv > 0)
                    and ((rh := get("rubric_hash")) is None or type(rh) is str)
                ):
                    if labels is None:
                        scale = last_labels = None
                        got = True
                    elif type(labels) is list:
                        ordinal = get("ordinal")
                        threshold = get("threshold")
                        if not (
                            labels == last_labels
                            and ordinal is last_ordinal
                            and threshold == last_threshold
                            and type(threshold) is type(last_threshold)
                            and criterion == last_criterion
                        ):
                            scale = _line_scale(scales, criterion, labels, ordinal, threshold)
                            on_scale = scale.label_set if scale is not None else frozenset()
                            last_labels, last_ordinal, last_criterion = labels, ordinal, criterion
                            last_threshold = threshold
                        if scale is None:
                            pass
                        elif not labels:
                            got = True
                        elif label in on_scale and (not judge or judge in on_scale):
                            try:  # every rater's label on the scale (and so a string)?
                                got = on_scale.issuperset(raters.values()) or None
                            except TypeError:  # a label that is a list or an object
                                got = None
                        if not got:
                            last_labels = None
                    if got and not labels:  # no scale to check the raters' labels against
                        try:  # are they all strings? (join says so in C, fast)
                            "".join(raters.values())
                        except TypeError:
                            got = None
                    if got and tags:
                        try:
                            known_tags = tuple(tags) in tags_seen
                        except TypeError:  # a tag that is a list or an object
                            known_tags = False
                        if not known_tags:  # (the first line with these tags, or not strings)
                            got = _new_tags(tags_seen, tags)
            if got and (r.get("blind_label") is not None or r.get("revealed_at") is not None):
                got = _blind_ok(r, scale.label_set if scale is not None and labels else None)
            if got:
                seen = True
                confidence = confidence or None
                who_right = who_right or None
            else:  # -- the long way round
                seen = True  # (the format was checked: later lines are read as labelled lines)
                line = other_line(path, number, r, shared)
                if line is None:  # undecided or skipped
                    continue
                (
                    case_id, case_hash, criterion, project, title, scale, judge, raters, kind,
                    reviewer, label, rationale, tags, confidence, who_right, decided_at,
                ) = line  # fmt: skip
                last_labels = None
            gkey = (project, criterion, id(scale), label, reviewer)
            g = group_index.get(gkey)
            if g is None:
                g = _new_group(scan, group_index, seen_checks, gkey, number, case_id, title, scale)
            add_id(case_id)
            add_hash(case_hash)
            add_group(g)
            add_line(number)
            # (checked by either path: the fast one's condition, or careful.slow_line)
            rv, rh = r.get("rubric_version"), r.get("rubric_hash")
            if rv is not None:
                add_rubric((criterion, reviewer, rv, rh))
            decision = {
                "reviewer": reviewer,
                "label": label,
                "rationale": rationale,
                "tags": tags,
                "confidence": confidence,
                "who_right": who_right,
                "decided_at": decided_at,
                "rubric_version": rv,
                "rubric_hash": rh,
                # blind-first review (checked by _blind_ok, or careful.blind_fields)
                "blind_label": r.get("blind_label"),
                "revealed_at": r.get("revealed_at"),
            }
            # [1:-1]: the members only; and a copy of exactly their size, where orjson's own
            # result keeps the kilobyte it started with (a million of those: a gigabyte).
            add_review(dumps(decision)[1:-1])
            if case_id in known:
                add_info(b"")
                continue
            add_info(dumps({"judge_label": judge, "rater_labels": raters, "kind": kind})[1:-1])
    if not seen:
        raise FileRefused(path, "is empty: it holds no decisions")


def _line_scale(
    scales: dict[tuple[str, tuple[str, ...], bool, float | None], Scale],
    criterion: str,
    labels: list[Any],
    ordinal: Any,
    threshold: Any,
) -> Scale | None:
    """The one scale object of a criterion's labels (made for the first line that has them);
    None when the labels are not unique strings, ``ordinal`` is not true, false or missing, or
    ``threshold`` is not a number from 0 on an ordinal scale or null (the line goes the long
    way round, which says so)."""
    if ordinal is not None and type(ordinal) is not bool:
        return None
    if threshold is not None:
        if ordinal is not True or type(threshold) not in (int, float) or not 0 <= threshold < 1e12:
            return None
        threshold = float(threshold)
    key = (criterion, tuple(labels), ordinal is True, threshold)
    try:
        scale = scales.get(key)
    except TypeError:  # a label that is a list or an object
        return None
    if scale is None and all(type(x) is str for x in key[1]) and len(set(labels)) == len(labels):
        scale = scales[key] = Scale(key[1], key[2], threshold)
    return scale


def _blind_ok(r: dict[str, Any], labels: frozenset[str] | None) -> bool | None:
    """A line's first label under blind-first review, as the long way checks it
    (``careful.blind_fields``): True when it is fine (None: the line goes the long way round,
    which says what is wrong)."""
    blind, revealed = r.get("blind_label"), r.get("revealed_at")
    if (
        type(blind) is str
        and blind.strip()
        and (revealed is None or type(revealed) is str)
        and (labels is None or blind in labels)
    ):
        return True
    return None


def _new_tags(tags_seen: dict[tuple[str, ...], tuple[str, ...]], tags: list[Any]) -> bool | None:
    """Tags not seen before: True when they are all strings (None: the line goes the long way
    round, which says so)."""
    tag_key = tuple(tags)
    if all(type(t) is str for t in tag_key):
        tags_seen[tag_key] = tag_key
        return True
    return None


def _new_group(
    scan: LabelledScan,
    group_index: dict[tuple[str, str, int, str, str], int],
    seen_checks: set[tuple[str, str, int, str]],
    key: tuple[str, str, int, str, str],
    number: int,
    case_id: str,
    title: str,
    scale: Scale | None,
) -> int:
    """A line with a project, criterion, scale, label and reviewer not seen before: its group,
    and the checks a merge makes of it, when its project, criterion, scale and label are new."""
    project, criterion, scale_id, label, reviewer = key
    g = group_index[key] = len(scan.groups)
    scan.groups.append(LineGroup(criterion, scale, label, reviewer))
    check = (project, criterion, scale_id, label)
    if check not in seen_checks:
        seen_checks.add(check)
        scan.checks.append(CheckPoint(number, case_id, project, title, criterion, scale, label))
    return g


_FIELDS = operator.itemgetter(
    "format", "format_version", "status", "id", "label", "reviewer", "case_hash", "project",
    "criterion", "rationale", "decided_at", "judge_label", "kind", "project_title", "tags",
    "rater_labels",
)  # fmt: skip
