"""Reading labelled files (a reviewer's decisions) and merged files, streamed and checked.

Both formats are written by annotator (``services/exporter.py``, ``services/merge.py``) and
documented in docs/formats.md. A lead merges what reviewers send back, so a file may have been
edited by hand, cut short by a full disk or mixed up with a case file: every problem is refused
with the file, the line and what is wrong, and the caller writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.domain.merge import (
    MERGED_FORMAT,
    MERGED_VERSION,
    MergedCase,
    Review,
    Scale,
    case_from_record,
)
from annotator.formats.errors import FileRefused

DECISIONS_FORMAT = "annotator.decisions"
DECISIONS_VERSION = 1
_STATUSES = ("decided", "undecided", "skipped")


@dataclass(frozen=True, slots=True)
class LabelledLine:
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
    rater_labels: tuple[tuple[str, str], ...]
    kind: str
    review: Review


def read_labelled(path: Path) -> Iterator[LabelledLine]:
    """The decided lines of a reviewer's labelled file (undecided and skipped lines are passed
    over). Raises :class:`FileRefused` on the first problem."""
    path = Path(path)
    scales: dict[tuple[str, tuple[str, ...], bool], Scale] = {}
    for number, record in _records(path, DECISIONS_FORMAT, DECISIONS_VERSION):
        try:
            _text(record, "id", required=True)
            status = record.get("status")
            if status not in _STATUSES:
                raise _Bad(f"'status' must be one of {', '.join(_STATUSES)}")
            if status != "decided":  # exported with --all: no decision on this case
                continue
            line = _labelled_line(number, record, scales)
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
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise FileRefused(path, "no such file") from None
    except IsADirectoryError:
        raise FileRefused(path, "is a folder, not a file") from None
    except OSError as exc:
        raise FileRefused(path, f"cannot be read ({exc.strerror or exc})") from None
    with fh:
        number = 0
        seen = False
        for raw in fh:
            number += 1
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
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


def _labelled_line(
    number: int,
    record: Mapping[str, Any],
    scales: dict[tuple[str, tuple[str, ...], bool], Scale],
) -> LabelledLine:
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
                f"{_criterion(criterion)} ({', '.join(scale.labels)})"
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
        rater_labels=tuple((str(k), str(v)) for k, v in raters.items()),
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


def _criterion(criterion: str) -> str:
    return f"criterion '{criterion}'" if criterion else "the criterion"
