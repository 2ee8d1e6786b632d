"""Reading labelled files (a reviewer's decisions) and merged files, streamed and checked.

Both formats are written by annotator (``services/exporter.py``, ``services/merge.py``) and
documented in docs/formats.md. A lead merges what reviewers send back, so a file may have been
edited by hand, cut short by a full disk or mixed up with a case file: every problem is refused
with the file, the line and what is wrong, and the caller writes nothing.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from annotator.domain.merge import (
    MERGED_FORMAT,
    MERGED_VERSION,
    MergedCase,
    Review,
    Scale,
    case_from_record,
)
from annotator.formats.errors import FileRefused, open_binary

DECISIONS_FORMAT = "annotator.decisions"
DECISIONS_VERSION = 1
"""The labelled file's format and version: written by services/exporter.py, read here."""
_STATUSES = ("decided", "undecided", "skipped")


class LabelledLine(NamedTuple):
    """One decided case of a reviewer's labelled file."""

    line: int
    id: str
    case_hash: str
    criterion: str
    project: str
    project_title: str
    scale: Scale | None
    """None for a file written before labelled files carried the scale."""
    judge_label: str
    rater_labels: Mapping[str, Any]
    """``{rater: label}`` as read (the case hash vouches for it)."""
    kind: str
    review: Review


def read_labelled(path: Path) -> Iterator[LabelledLine]:
    """The decided lines of a reviewer's labelled file (undecided and skipped lines are passed
    over). Raises :class:`FileRefused` on the first problem."""
    path = Path(path)
    shared = _Shared()
    for number, record in _records(path, DECISIONS_FORMAT, DECISIONS_VERSION):
        status = record.get("status")
        if status == "decided":
            line = _fast_line(number, record, shared)
            if line is not None:
                yield line
                continue
        try:
            _text(record, "id", required=True)
            if status not in _STATUSES:
                raise _Bad(f"'status' must be one of {', '.join(_STATUSES)}")
            if status != "decided":  # exported with --all: no decision on this case
                continue
            line = _labelled_line(number, record, shared)
        except _Bad as bad:
            raise FileRefused(path, str(bad), number) from None
        yield line


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
            if not raw.strip():
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte order mark, added by some editors
            try:
                record = orjson.loads(raw)
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
        if found in _NOT_LABELLED:
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


def _labelled_line(number: int, record: Mapping[str, Any], shared: _Shared) -> LabelledLine:
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
    return LabelledLine(
        line=number,
        id=case_id,
        case_hash=_text(record, "case_hash", required=True),
        criterion=criterion,
        project=_text(record, "project", required=True),
        project_title=_text(record, "project_title"),
        scale=scale,
        judge_label=_text(record, "judge_label"),
        rater_labels=raters,
        kind=_text(record, "kind"),
        review=Review(
            reviewer=_text(record, "reviewer", required=True),
            label=label,
            rationale=_text(record, "rationale"),
            tags=tuple(tags),
            confidence=confidence if isinstance(confidence, str) else None,
            who_right=who_right if isinstance(who_right, str) else None,
            decided_at=_text(record, "decided_at"),
        ),
    )


class _Shared:
    """What the lines of one file share: one object for each repeated string and scale.

    A reviewer's name, the labels and tags repeat on thousands of lines; keeping one
    copy of each keeps a merge of a million decisions in a few hundred MB.
    """

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.tags: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
        self.scales: dict[tuple[str, tuple[str, ...], bool], Scale] = {}


_str = str
_ONLY_STR = {str}
_TEXTS = operator.itemgetter(
    "id", "label", "reviewer", "case_hash", "project", "criterion", "rationale", "decided_at",
    "judge_label", "kind", "project_title",
)  # fmt: skip


def _fast_line(number: int, r: dict[str, Any], shared: _Shared) -> LabelledLine | None:
    """A well-formed decided line, read with as few checks as are enough; None for anything
    unusual, which the slow path then reads (and explains)."""
    try:  # one C call for the text fields every exported line has
        texts = _TEXTS(r)
    except KeyError:
        return None
    if set(map(type, texts)) != _ONLY_STR:
        return None
    case_id, label, reviewer, case_hash, project, criterion, rationale, decided_at = texts[:8]
    judge, kind, title = texts[8:]
    if not (case_id.strip() and label.strip() and reviewer.strip() and case_hash.strip()):
        return None
    get = r.get
    confidence = get("confidence")
    who_right = get("who_right")
    tags = get("tags")
    raters = get("rater_labels")
    labels = get("labels")
    if not (
        project.strip()
        and (confidence is None or type(confidence) is _str)
        and (who_right is None or type(who_right) is _str)
        and type(tags) is list
        and type(raters) is dict
        and (labels is None or type(labels) is list)
    ):
        return None
    strings = shared.strings
    scale = None
    if labels is not None:
        key = (criterion, tuple(labels), bool(get("ordinal")))
        scale = shared.scales.get(key)
        if scale is None:
            if not all(type(x) is _str for x in labels):
                return None
            scale = shared.scales[key] = Scale(key[1], key[2])
        if labels and label not in scale.labels:
            return None
    tag_key = tuple(tags)
    shared_tags = shared.tags.get(tag_key)
    if shared_tags is None:
        if not all(type(t) is _str for t in tags):
            return None
        shared_tags = shared.tags[tag_key] = tag_key
    return LabelledLine(
        number,
        case_id,
        case_hash,
        strings.setdefault(criterion, criterion),
        strings.setdefault(project, project),
        strings.setdefault(title, title),
        scale,
        judge,
        raters,
        kind,
        Review(
            strings.setdefault(reviewer, reviewer),
            strings.setdefault(label, label),
            rationale,
            shared_tags,
            strings.setdefault(confidence, confidence) if confidence else None,
            strings.setdefault(who_right, who_right) if who_right else None,
            decided_at,
        ),
    )


def criterion_name(criterion: str) -> str:
    """How a message names a criterion (files without criteria have one, named '')."""
    return f"criterion '{criterion}'" if criterion else "the criterion"
