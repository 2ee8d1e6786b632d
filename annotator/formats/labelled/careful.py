"""The labelled file read the long way: a line the fast scanner (``scan.py``) turned down.

Slower than the scanner, but it says exactly what is wrong with a line (docs/formats.md, "The
labelled file"); lines as annotator exports them never come here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annotator.domain.merge import Scale
from annotator.domain.model import Confidence, Kind, WhoRight
from annotator.formats.errors import FileRefused
from annotator.formats.jsontext import describe
from annotator.formats.labelled.record import DECISIONS_VERSION
from annotator.formats.versioned import (
    DECISIONS_FORMAT,
    Bad,
    check_format,
    text_field,
    threshold_field,
)

STATUSES = ("decided", "undecided", "skipped")
CONFIDENCES = frozenset({"", *Confidence})
"""The values of ``confidence`` (``null`` too; ``""`` is read as ``null``)."""
WHO_RIGHT = frozenset({"", *WhoRight})
"""The values of ``who_right`` (``null`` too; ``""`` is read as ``null``)."""
KINDS = frozenset({"", *Kind})
"""The values of ``kind`` (``""``: not known, as for a missing ``kind``)."""

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
        self.scales: dict[tuple[str, tuple[str, ...], bool, float | None], Scale] = {}


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
    """Read a line that the fast path turned down, saying exactly what is wrong with it.

    Every field is checked against its documented values (docs/formats.md, "The labelled
    file"), as the fast path checks them: what one accepts, the other accepts.
    """
    case_id = text_field(record, "id", required=True)
    label = text_field(record, "label", required=True)
    criterion = text_field(record, "criterion")
    scale = _scale(record, shared, case_id, criterion, label)
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Bad("'tags' must be a list of strings")
    judge = text_field(record, "judge_label")
    raters = rater_labels(record.get("rater_labels"))
    if scale is not None and scale.labels:
        if judge and judge not in scale.label_set:
            raise Bad(_not_on_scale(case_id, "the judge's label", judge, criterion, scale))
        for rater, value in raters.items():
            if value not in scale.label_set:
                what = f"rater '{rater}'s label"
                raise Bad(_not_on_scale(case_id, what, value, criterion, scale))
    confidence = choice(record, "confidence", CONFIDENCES)
    who_right = choice(record, "who_right", WHO_RIGHT)
    kind = text_field(record, "kind")
    if kind not in KINDS:
        raise Bad(f"'kind' must be one of {', '.join(Kind)}, not {describe(kind)}")
    overridden = record.get("who_right_overridden")
    if overridden is not None and not isinstance(overridden, bool):
        raise Bad(f"'who_right_overridden' must be true or false, not {describe(overridden)}")
    text_field(record, "app_version")
    rubric_fields(record)
    blind_fields(record, scale)
    return (
        case_id,
        text_field(record, "case_hash", required=True),
        criterion,
        text_field(record, "project", required=True),
        text_field(record, "project_title"),
        scale,
        judge,
        raters,
        kind,
        text_field(record, "reviewer", required=True),
        label,
        text_field(record, "rationale"),
        tuple(tags),
        confidence or None,  # empty is none, as on the fast path
        who_right or None,
        text_field(record, "decided_at"),
    )


def rater_labels(value: Any) -> dict[str, str]:
    """``rater_labels``: an object of rater: label, both strings (missing: none)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Bad(f"'rater_labels' must be an object of rater: label, not {describe(value)}")
    for rater, label in value.items():
        if not isinstance(label, str):
            raise Bad(
                f"'rater_labels': rater '{rater}'s label must be a string, not {describe(label)}"
            )
    return value


def choice(record: Mapping[str, Any], key: str, values: frozenset[str]) -> str | None:
    """The value at ``key``: null, or one of ``values`` (raises :class:`Bad`)."""
    value = record.get(key)
    if value is None or isinstance(value, str) and value in values:
        return value
    allowed = ", ".join(sorted(v for v in values if v))
    raise Bad(f"'{key}' must be one of {allowed} or null, not {describe(value)}")


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
    if len(set(labels)) != len(labels):
        raise Bad("'labels' must not name a label twice")
    ordinal = record.get("ordinal")
    if ordinal is not None and not isinstance(ordinal, bool):
        raise Bad(f"'ordinal' must be true or false, not {describe(ordinal)}")
    threshold = threshold_field(record, bool(ordinal))
    key = (criterion, tuple(labels), bool(ordinal), threshold)
    scale = shared.scales.get(key)
    if scale is None:
        scale = shared.scales[key] = Scale(key[1], key[2], threshold)
    if labels and label not in scale.label_set:
        raise Bad(_not_on_scale(case_id, "label", label, criterion, scale))
    return scale


def _not_on_scale(case_id: str, what: str, label: str, criterion: str, scale: Scale) -> str:
    return (
        f"case '{case_id}': {what} '{label}' is not one of the labels of "
        f"{criterion_name(criterion)} ({', '.join(scale.labels)})"
    )


def criterion_name(criterion: str) -> str:
    """How a message names a criterion (files without criteria have one, named '')."""
    return f"criterion '{criterion}'" if criterion else "the criterion"


def rubric_fields(record: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """A decision's ``rubric_version`` (a whole number from 1, or null) and ``rubric_hash``
    (text, or null); raises :class:`Bad` saying what is wrong."""
    version, digest = record.get("rubric_version"), record.get("rubric_hash")
    if version is not None and (type(version) is not int or version < 1):
        raise Bad(f"'rubric_version' must be a whole number from 1, not {describe(version)}")
    if digest is not None and not isinstance(digest, str):
        raise Bad(f"'rubric_hash' must be text, not {describe(digest)}")
    return version, digest


def blind_fields(record: Mapping[str, Any], scale: Scale | None) -> tuple[str | None, str | None]:
    """A decision's ``blind_label`` (a label of its scale, or null: not reviewed blind) and
    ``revealed_at`` (text, or null; never without a first label); raises :class:`Bad` saying
    what is wrong."""
    blind, revealed = record.get("blind_label"), record.get("revealed_at")
    if blind is not None and (not isinstance(blind, str) or not blind.strip()):
        raise Bad(f"'blind_label' must be a label or null, not {describe(blind)}")
    if revealed is not None and not isinstance(revealed, str):
        raise Bad(f"'revealed_at' must be text or null, not {describe(revealed)}")
    if revealed is not None and blind is None:
        raise Bad("'revealed_at' is set but 'blind_label' is null: a reveal needs a first label")
    if blind is not None and scale is not None and scale.labels and blind not in scale.label_set:
        case_id, criterion = text_field(record, "id"), text_field(record, "criterion")
        raise Bad(_not_on_scale(case_id, "the first label", blind, criterion, scale))
    return blind, revealed
