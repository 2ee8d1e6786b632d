"""Reading labelled files (a reviewer's decisions) and merged files, streamed and checked.

Both formats are written by annotator (``services/exporter.py``, ``services/merge.py``) and
documented in docs/formats.md. A lead merges what reviewers send back, so a file may have been
edited by hand, cut short by a full disk or mixed up with a case file: every problem is refused
with the file, the line and what is wrong, and the caller writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import operator
from array import array
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from annotator.domain.merge import (
    MERGED_FORMAT,
    MERGED_VERSION,
    MergedCase,
    Scale,
    case_from_record,
)
from annotator.formats.errors import FileRefused, open_binary

DECISIONS_FORMAT = "annotator.decisions"
DECISIONS_VERSION = 1
"""The labelled file's format and version: written by services/exporter.py, read here."""
_STATUSES = ("decided", "undecided", "skipped")


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
    """Each decision as the merged file writes it: the members of ``Review.to_dict()`` as a
    JSON object (without the braces)."""
    case_info: list[bytes] = field(default_factory=list)
    """``"judge_label":…,"rater_labels":…,"kind":…`` of each line: the JSON members the merged
    file writes for the case (rater labels as strings); empty for a case that was ``known``."""


_CHUNK = 1 << 22
_BOM = b"\xef\xbb\xbf"


def scan_labelled(path: Path, known: Container[str] = ()) -> LabelledScan:
    """Read and check a reviewer's labelled file in one pass, hashing it on the way.

    Every line is checked (docs/formats.md); undecided and skipped lines are passed over.
    The first problem ends the reading (the rest of the file is only hashed) and is kept in
    ``error`` rather than raised, so that a worker process can hand it back. Pure and
    picklable both ways: :mod:`annotator.services.merge` runs it in worker processes.

    ``known``: ids of cases a merge has read in an earlier file already; it takes a case's
    members from the first file that has the case, so their ``case_info`` is left empty.
    """
    path = Path(path)
    scan = LabelledScan(path)
    digest = hashlib.sha256()
    try:
        with open_binary(path) as fh:
            try:
                _scan_lines(fh, digest, scan, known)
            except FileRefused as exc:
                scan.error = str(exc)
                scan.ids, scan.case_hashes, scan.groups = [], [], []
                scan.group, scan.lines = array("L"), array("L")
                scan.reviews, scan.case_info = [], []
            while chunk := fh.read(_CHUNK):  # what is left after a problem: its hash only
                digest.update(chunk)
    except FileRefused as exc:  # cannot be opened
        scan.error, scan.checks = str(exc), []
        return scan
    except OSError as exc:
        scan.error = f"{path.name}: cannot read the file: {exc.strerror or exc}"
        scan.checks = []
        return scan
    scan.sha256 = _named(digest)
    return scan


def file_sha256(path: Path) -> str | None:
    """What :func:`scan_labelled` finds as ``LabelledScan.sha256``, from the bytes alone (a
    merge knows files it merged before by it, without reading their lines). None when the file
    cannot be read: reading it says why."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)  # (without the GIL: files hash on all cores at once)
    except OSError:
        return None
    return _named(digest)


def _named(digest: Any) -> str:
    return f"sha256:{digest.hexdigest()}"


def _split_lines(fh: BinaryIO, digest: Any) -> Iterator[list[bytes]]:
    """The file's lines in batches, without their newline, hashing every byte read. The last
    line of a file that does not end in a newline comes alone, as ``[line, None]``."""
    rest = b""
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
        lines = chunk.split(b"\n")
        if rest:
            lines[0] = rest + lines[0]
        rest = lines.pop()
        yield lines
    if rest:
        yield [rest, None]  # type: ignore[list-item]


def _scan_lines(fh: BinaryIO, digest: Any, scan: LabelledScan, known: Container[str]) -> None:
    """The lines of one file into ``scan``; raises :class:`FileRefused` on the first problem.

    Most lines are exported by annotator and alike: they take the fast path below. Any other
    line goes the long way round (``_other_line``, then ``_slow_line``), which explains what
    is wrong.
    """
    path = scan.path
    shared = _Shared()
    add_id, add_hash, add_group = scan.ids.append, scan.case_hashes.append, scan.group.append
    add_line, add_review, add_info = scan.lines.append, scan.reviews.append, scan.case_info.append
    group_index: dict[tuple[str, str, int, str, str], int] = {}
    seen_checks: set[tuple[str, str, int, str]] = set()
    scales = shared.scales
    tags_seen = shared.tags
    loads, dumps, fields = orjson.loads, orjson.dumps, _FIELDS
    fmt, version, decided = DECISIONS_FORMAT, DECISIONS_VERSION, "decided"
    last_labels: list[Any] | None = None
    last_criterion = last_ordinal = scale = None
    number = 0
    seen = False
    for batch in _split_lines(fh, digest):
        for raw in batch:
            if raw is None:  # the last line had no newline
                continue
            number += 1
            try:
                r = loads(raw)
            except ValueError:
                full = raw + b"\n" if batch[-1] is not None else raw
                r = _record(path, number, full, seen)
                if r is None:  # a blank line
                    continue
            if type(r) is not dict:
                raise FileRefused(path, "each line must be a JSON object", number)
            # -- the fast path: a line as annotator exports it
            got = None
            try:
                values = fields(r)
            except KeyError:
                values = None
            if (
                values is not None
                and values[0] == fmt
                and type(values[1]) is int
                and values[1] <= version
                and values[2] == decided
            ):
                (
                    _, _, _, case_id, label, reviewer, case_hash, project, criterion, rationale,
                    decided_at, judge, kind, title, tags, raters,
                ) = values  # fmt: skip
                get = r.get
                confidence = get("confidence")
                who_right = get("who_right")
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
                    and (confidence is None or type(confidence) is str)
                    and (who_right is None or type(who_right) is str)
                ):
                    if labels is None:
                        scale = last_labels = None
                        got = True
                    elif type(labels) is list:
                        ordinal = get("ordinal")
                        if not (
                            labels == last_labels
                            and ordinal is last_ordinal
                            and criterion == last_criterion
                        ):
                            key = (criterion, tuple(labels), bool(ordinal))
                            try:
                                scale = scales.get(key)
                            except TypeError:  # a label that is a list or an object
                                scale = None
                            if scale is None and all(type(x) is str for x in labels):
                                scale = scales[key] = Scale(key[1], key[2])
                            last_labels, last_ordinal, last_criterion = labels, ordinal, criterion
                        if scale is not None and (not labels or label in scale.labels):
                            got = True
                        else:
                            last_labels = None
                    if got and tags:
                        tag_key = tuple(tags)
                        try:
                            known_tags = tag_key in tags_seen
                        except TypeError:  # a tag that is a list or an object: the long way
                            known_tags, got = True, None
                        if not known_tags:
                            if all(type(t) is str for t in tag_key):
                                tags_seen[tag_key] = tag_key
                            else:
                                got = None
            if got:
                seen = True
                confidence = confidence or None
                who_right = who_right or None
            else:  # -- the long way round
                seen = True  # (the format was checked: later lines are read as labelled lines)
                line = _other_line(path, number, r, shared)
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
                g = group_index[gkey] = len(scan.groups)
                scan.groups.append(LineGroup(criterion, scale, label, reviewer))
                check = (project, criterion, id(scale), label)
                if check not in seen_checks:
                    seen_checks.add(check)
                    scan.checks.append(
                        CheckPoint(number, case_id, project, title, criterion, scale, label)
                    )
            add_id(case_id)
            add_hash(case_hash)
            add_group(g)
            add_line(number)
            decision = {
                "reviewer": reviewer,
                "label": label,
                "rationale": rationale,
                "tags": tags,
                "confidence": confidence,
                "who_right": who_right,
                "decided_at": decided_at,
            }
            # [1:-1]: the members only; and a copy of exactly their size, where orjson's own
            # result keeps the kilobyte it started with (a million of those: a gigabyte).
            add_review(dumps(decision)[1:-1])
            if case_id in known:
                add_info(b"")
                continue
            try:  # are the rater labels all strings? (join says so in C, fast)
                "".join(raters.values())
            except TypeError:
                raters = {str(k): str(v) for k, v in raters.items()}
            add_info(dumps({"judge_label": judge, "rater_labels": raters, "kind": kind})[1:-1])
    if not seen:
        raise FileRefused(path, "is empty: it holds no decisions")


def _other_line(path: Path, number: int, record: dict[str, Any], shared: _Shared) -> _Line | None:
    """A line the fast path passed over, read as the reader always did: the format, the
    status, then the line (None for an undecided or skipped case). Raises
    :class:`FileRefused` saying what is wrong."""
    _check_format(path, number, record, DECISIONS_FORMAT, DECISIONS_VERSION)
    status = record.get("status")
    try:
        _text(record, "id", required=True)
        if status not in _STATUSES:
            raise _Bad(f"'status' must be one of {', '.join(_STATUSES)}")
        if status != "decided":  # exported with --all: no decision on this case
            return None
        return _slow_line(record, shared)
    except _Bad as bad:
        raise FileRefused(path, str(bad), number) from None


def _record(path: Path, number: int, raw: bytes, seen: bool) -> dict[str, Any] | None:
    """A line that did not parse at once: blank (None), after a byte order mark, or refused
    saying why."""
    if not raw.strip():
        return None
    if number == 1 and raw.startswith(_BOM):
        raw = raw[3:]  # a byte order mark, added by some editors
    try:
        record: dict[str, Any] = orjson.loads(raw)
    except ValueError as exc:
        if not raw.endswith(b"\n") and seen:
            raise FileRefused(
                path, "the line is cut short: the file looks truncated", number
            ) from None
        if not seen:
            raise FileRefused(
                path, f"is not a labelled file (line 1 is not JSON: {exc})", number
            ) from None
        raise FileRefused(path, f"not valid JSON ({exc})", number) from None
    return record


def read_merged(path: Path) -> Iterator[MergedCase]:
    """The cases of a merged file."""
    path = Path(path)
    for number, record in _records(path, MERGED_FORMAT, MERGED_VERSION):
        try:
            for key in ("id", "case_hash"):
                _text(record, key, required=True)
            reviews = record.get("reviews")
            if not isinstance(reviews, list):
                raise _Bad("'reviews' must be a list")
            for review in [*reviews, record.get("lead") or {"reviewer": "-", "label": "-"}]:
                if not isinstance(review, dict):
                    raise _Bad("each review must be an object")
                _text(review, "reviewer", required=True)
                _text(review, "label", required=True)
            case = case_from_record(record)
        except (_Bad, KeyError, TypeError, ValueError) as bad:
            raise FileRefused(path, _problem(bad), number) from None
        yield case


def file_format(path: Path) -> str | None:
    """The ``format`` named on the first line of ``path`` (None if it names none or is not JSON)."""
    try:
        with Path(path).open("rb") as fh:
            first = fh.readline()
        record = json.loads(first)
    except (OSError, ValueError):
        return None
    value = record.get("format") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


class _Bad(Exception):
    """A problem with one line; the reader adds the file and line."""


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"'{exc.args[0]}' is missing"
    return str(exc)


_NOT_LABELLED = {
    MERGED_FORMAT: "is a merged file, not a reviewer's labelled file",
    DECISIONS_FORMAT: "is a reviewer's labelled file, not a merged file",
}


def _records(path: Path, fmt: str, version: int) -> Iterator[tuple[int, dict[str, Any]]]:
    with open_binary(path) as fh:
        number = 0
        seen = False
        for raw in fh:
            number += 1
            record = _record(path, number, raw, seen)
            if record is None:  # a blank line
                continue
            if not isinstance(record, dict):
                raise FileRefused(path, "each line must be a JSON object", number)
            _check_format(path, number, record, fmt, version)
            seen = True
            yield number, record
        if not seen:
            raise FileRefused(path, "is empty: it holds no decisions")


def _check_format(
    path: Path, number: int, record: Mapping[str, Any], fmt: str, version: int
) -> None:
    found = record.get("format")
    if found != fmt:
        if isinstance(found, str) and found in _NOT_LABELLED:
            raise FileRefused(path, _NOT_LABELLED[found], number)
        if found is None:
            raise FileRefused(
                path,
                "is not a labelled file: it has no 'format' field (a case file? Import it instead)",
                number,
            )
        raise FileRefused(path, f"is not a labelled file (format '{found}')", number)
    got = record.get("format_version")
    if not isinstance(got, int) or isinstance(got, bool):
        raise FileRefused(path, "'format_version' must be a whole number", number)
    if got > version:
        raise FileRefused(
            path,
            f"was written by a newer annotator (format_version {got}; this version reads "
            f"up to {version}). Please update annotator.",
            number,
        )


def _text(record: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = record.get(key)
    if value is None:
        if required:
            raise _Bad(f"'{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise _Bad(f"'{key}' must be a string, not {json.dumps(value)[:40]}")
    if required and not value.strip():
        raise _Bad(f"'{key}' is empty")
    return value


_Line = tuple[
    str, str, str, str, str, "Scale | None", str, dict[str, Any], str,
    str, str, str, "tuple[str, ...]", "str | None", "str | None", str,
]  # fmt: skip
"""A decided line: id, case hash, criterion, project, project title, scale, judge label,
rater labels, kind; then the decision: reviewer, label, rationale, tags, confidence, who was
right, decided at."""


def _slow_line(record: Mapping[str, Any], shared: _Shared) -> _Line:
    """Read a line that the fast path turned down, saying exactly what is wrong with it."""
    scales = shared.scales
    case_id = _text(record, "id", required=True)
    label = _text(record, "label", required=True)
    criterion = _text(record, "criterion")
    scale: Scale | None = None
    labels = record.get("labels")
    if labels is not None:
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise _Bad("'labels' must be a list of strings")
        key = (criterion, tuple(labels), bool(record.get("ordinal")))
        scale = scales.get(key)
        if scale is None:
            scale = scales[key] = Scale(key[1], key[2])
        if labels and label not in scale.labels:
            raise _Bad(
                f"case '{case_id}': label '{label}' is not one of the labels of "
                f"{criterion_name(criterion)} ({', '.join(scale.labels)})"
            )
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _Bad("'tags' must be a list of strings")
    raters = record.get("rater_labels") or {}
    if not isinstance(raters, dict):
        raise _Bad("'rater_labels' must be an object of rater: label")
    confidence = record.get("confidence")
    who_right = record.get("who_right")
    case_hash = _text(record, "case_hash", required=True)
    project = _text(record, "project", required=True)
    title = _text(record, "project_title")
    judge = _text(record, "judge_label")
    kind = _text(record, "kind")
    return (
        case_id,
        case_hash,
        criterion,
        project,
        title,
        scale,
        judge,
        raters,
        kind,
        _text(record, "reviewer", required=True),
        label,
        _text(record, "rationale"),
        tuple(tags),
        # empty is none, as on the fast path
        confidence if isinstance(confidence, str) and confidence else None,
        who_right if isinstance(who_right, str) and who_right else None,
        _text(record, "decided_at"),
    )


class _Shared:
    """What the lines of one file share: one object for each repeated scale and list of tags.

    The labels and tags repeat on thousands of lines; keeping one copy of each keeps a merge
    of a million decisions in a few hundred MB.
    """

    def __init__(self) -> None:
        self.tags: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
        self.scales: dict[tuple[str, tuple[str, ...], bool], Scale] = {}


_FIELDS = operator.itemgetter(
    "format", "format_version", "status", "id", "label", "reviewer", "case_hash", "project",
    "criterion", "rationale", "decided_at", "judge_label", "kind", "project_title", "tags",
    "rater_labels",
)  # fmt: skip


def criterion_name(criterion: str) -> str:
    """How a message names a criterion (files without criteria have one, named '')."""
    return f"criterion '{criterion}'" if criterion else "the criterion"
