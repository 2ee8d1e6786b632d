"""The labelled file read the long way: a line the fast scanner (``scan.py``) turned down.

Slower than the scanner, but it says exactly what is wrong with a line (docs/formats.md, "The
labelled file"); lines as annotator exports them never come here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annotator.domain.merge import Scale
from annotator.formats.errors import FileRefused
from annotator.formats.labelled.record import DECISIONS_VERSION
from annotator.formats.versioned import DECISIONS_FORMAT, Bad, check_format, text_field

STATUSES = ("decided", "undecided", "skipped")

Line = tuple[
    str, str, str, str, str, "Scale | None", str, dict[str, Any], str,
    str, str, str, "tuple[str, ...]", "str | None", "str | None", str,
]  # fmt: skip
"""A decided line: id, case hash, criterion, project, project title, scale, judge label,
rater labels, kind; then the decision: reviewer, label, rationale, tags, confidence, who was
right, decided at."""


class Shared:
    """What the lines of one file share: one object for each repeated scale and list of tags.

    The labels and tags repeat on thousands of lines; keeping one copy of each keeps a merge
    of a million decisions in a few hundred MB.
    """

    def __init__(self) -> None:
        self.tags: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
        self.scales: dict[tuple[str, tuple[str, ...], bool], Scale] = {}


def other_line(path: Path, number: int, record: dict[str, Any], shared: Shared) -> Line | None:
    """A line the fast path passed over, read as the reader always did: the format, the
    status, then the line (None for an undecided or skipped case). Raises
    :class:`FileRefused` saying what is wrong."""
    check_format(path, number, record, DECISIONS_FORMAT, DECISIONS_VERSION)
    status = record.get("status")
    try:
        text_field(record, "id", required=True)
        if status not in STATUSES:
            raise Bad(f"'status' must be one of {', '.join(STATUSES)}")
        if status != "decided":  # exported with --all: no decision on this case
            return None
        return slow_line(record, shared)
    except Bad as bad:
        raise FileRefused(path, str(bad), number) from None


def slow_line(record: Mapping[str, Any], shared: Shared) -> Line:
    """Read a line that the fast path turned down, saying exactly what is wrong with it."""
    case_id = text_field(record, "id", required=True)
    label = text_field(record, "label", required=True)
    criterion = text_field(record, "criterion")
    scale = _scale(record, shared, case_id, criterion, label)
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Bad("'tags' must be a list of strings")
    raters = record.get("rater_labels") or {}
    if not isinstance(raters, dict):
        raise Bad("'rater_labels' must be an object of rater: label")
    confidence = record.get("confidence")
    who_right = record.get("who_right")
    case_hash = text_field(record, "case_hash", required=True)
    project = text_field(record, "project", required=True)
    title = text_field(record, "project_title")
    judge = text_field(record, "judge_label")
    kind = text_field(record, "kind")
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
        text_field(record, "reviewer", required=True),
        label,
        text_field(record, "rationale"),
        tuple(tags),
        # empty is none, as on the fast path
        confidence if isinstance(confidence, str) and confidence else None,
        who_right if isinstance(who_right, str) and who_right else None,
        text_field(record, "decided_at"),
    )


def _scale(
    record: Mapping[str, Any], shared: Shared, case_id: str, criterion: str, label: str
) -> Scale | None:
    """The line's scale (None for a line written before labelled files carried it), with its
    label checked against it."""
    labels = record.get("labels")
    if labels is None:
        return None
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise Bad("'labels' must be a list of strings")
    key = (criterion, tuple(labels), bool(record.get("ordinal")))
    scale = shared.scales.get(key)
    if scale is None:
        scale = shared.scales[key] = Scale(key[1], key[2])
    if labels and label not in scale.labels:
        raise Bad(
            f"case '{case_id}': label '{label}' is not one of the labels of "
            f"{criterion_name(criterion)} ({', '.join(scale.labels)})"
        )
    return scale


def criterion_name(criterion: str) -> str:
    """How a message names a criterion (files without criteria have one, named '')."""
    return f"criterion '{criterion}'" if criterion else "the criterion"
