"""The merged file: one line per case a reviewer or the lead decided (docs/formats.md).

Its lines are written two ways, to the same bytes, from the same parts: :func:`head` (the
case and how it was settled), the reviews and the lead, the case's members (``judge_label``,
``rater_labels``, ``kind``) and :func:`tail` (the scale and the project).

- :func:`write_merged` writes :class:`MergedCase` objects (a lead's workspace, or cases merged
  in memory): a line is :func:`merged_record`, dumped.
- :class:`MergedLines` and :func:`write_lines` write a line from JSON as a merge read it (each
  decision's members as ``LabelledScan.reviews`` keeps them, the case's as
  ``LabelledScan.case_info``): ``annotator merge`` writes a million decisions without building
  an object for each. tests/test_merge.py checks that both give the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from annotator import __version__
from annotator.domain.merge import MergedCase, Resolution, Review, Scale
from annotator.domain.split import DEFAULT_FRACTION, DEFAULT_SEED, part_of
from annotator.fileio import atomic_write, atomic_write_bytes, writing_behind
from annotator.formats.errors import FileRefused
from annotator.formats.jsontext import describe
from annotator.formats.labelled.careful import (
    CONFIDENCES,
    KINDS,
    WHO_RIGHT,
    blind_fields,
    choice,
    criterion_name,
    rater_labels,
    rubric_fields,
)
from annotator.formats.labelled.record import threshold_value
from annotator.formats.versioned import (
    MERGED_FORMAT,
    Bad,
    checked_records,
    problem,
    text_field,
    threshold_field,
)
from annotator.untrusted import json_safe_bytes

MERGED_VERSION = 1
FIELDS = (
    "format",
    "format_version",
    "id",
    "case_hash",
    "criterion",
    "label",
    "resolution",
    "split",
    "reviews",
    "lead",
    "judge_label",
    "rater_labels",
    "kind",
    "labels",
    "ordinal",
    "threshold",
    "project",
    "project_title",
    "app_version",
)
"""A line's fields in the order they are written; ``reviews`` and ``lead`` hold
``Review._fields``."""

__all__ = [
    "FIELDS",
    "MERGED_FORMAT",
    "MERGED_VERSION",
    "MergedLines",
    "case_from_record",
    "checked_case",
    "head",
    "merged_record",
    "read_merged",
    "tail",
    "write_lines",
    "write_merged",
]


# -- the parts of a line ------------------------------------------------------------------------


Split = tuple[float, int]
"""The held-out split's ``(fraction, seed)`` (``domain.split``) that gives a line its ``split``."""
DEFAULT_SPLIT: Split = (DEFAULT_FRACTION, DEFAULT_SEED)


def split_of(case_id: str, label: str | None, split: Split) -> str:
    """A line's ``split``: the part of a case with a final label, else empty."""
    return "" if label is None else part_of(split[1], case_id, split[0]).value


def head(
    case_id: str,
    case_hash: str,
    criterion: str,
    label: str | None,
    resolution: str,
    split: Split = DEFAULT_SPLIT,
) -> dict[str, Any]:
    """The members from ``format`` to ``split``."""
    return {
        "format": MERGED_FORMAT,
        "format_version": MERGED_VERSION,
        "id": case_id,
        "case_hash": case_hash,
        "criterion": criterion,
        "label": label,
        "resolution": resolution,
        "split": split_of(case_id, label, split),
    }


def tail(scale: Scale, project: str, title: str, app_version: str) -> dict[str, Any]:
    """The members from ``labels`` to ``app_version``."""
    return {
        "labels": list(scale.labels),
        "ordinal": scale.ordinal,
        "threshold": threshold_value(scale.threshold) if scale.ordinal else None,
        "project": project,
        "project_title": title,
        "app_version": app_version,
    }


def merged_record(
    case: MergedCase, project: str, title: str, app_version: str, split: Split = DEFAULT_SPLIT
) -> dict[str, Any]:
    """The merged file's line for ``case``, as a dict in :data:`FIELDS` order."""
    record = head(
        case.id, case.case_hash, case.criterion, case.final_label, case.resolution.value, split
    )
    record["reviews"] = [r.to_dict() for r in case.reviews]
    record["lead"] = case.lead.to_dict() if case.lead is not None else None
    record["judge_label"] = case.judge_label  # the case's members (LabelledScan.case_info)
    record["rater_labels"] = dict(case.rater_labels)
    record["kind"] = case.kind
    record.update(tail(case.scale, project, title, app_version))
    return record


# -- the writers --------------------------------------------------------------------------------

NEWLINE = os.linesep.encode("ascii")
"""How a line ends: as the text file :func:`write_merged` writes.

Both writers write U+2028, U+2029 and U+0085 as JSON escapes (``untrusted.json_safe_bytes``),
which orjson writes as they are: a consumer splitting lines with ``str.splitlines()`` would cut
a record at them."""


def write_merged(
    cases: Iterable[MergedCase],
    out: Path,
    project: str,
    title: str,
    app_version: str = __version__,
    split: Split = DEFAULT_SPLIT,
) -> int:
    """Write the merged file of ``cases`` atomically; returns the number of lines. ``split``:
    the project's held-out split (a merge of files, which has no project: the default)."""
    count = 0
    with atomic_write(out) as fh:
        for case in cases:
            record = merged_record(case, project, title, app_version, split)
            line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
            fh.write(json_safe_bytes(line).decode("utf-8"))
            count += 1
    return count


class MergedLines:
    """The lines :func:`write_merged` would write, built from JSON already written: each
    review's members (``Review._fields`` as a JSON object, without the braces) and the case's
    (``judge_label``, ``rater_labels``, ``kind``, likewise). No lead: a merge of files has
    none."""

    def __init__(
        self,
        project: str,
        title: str,
        app_version: str = __version__,
        split: Split = DEFAULT_SPLIT,
    ) -> None:
        self.project, self.title, self.app_version = project, title, app_version
        self.split = split
        self._tails: dict[int, tuple[Scale, bytes]] = {}
        """By scale object (kept in the value, so that its id is not reused): the tail's JSON
        members, with the comma before them; a few scales serve a million lines."""

    def line(
        self,
        case_id: str,
        case_hash: str,
        criterion: str,
        label: str | None,
        resolution: str,
        reviews: list[bytes],
        members: bytes,
        scale: Scale,
    ) -> bytes:
        """The line of one case (``reviews`` in reviewer order), with its newline."""
        known = self._tails.get(id(scale))
        if known is None:
            dumped = orjson.dumps(tail(scale, self.project, self.title, self.app_version))
            known = self._tails[id(scale)] = (scale, b"," + dumped[1:])
        return b"".join(
            (
                orjson.dumps(head(case_id, case_hash, criterion, label, resolution, self.split))[
                    :-1
                ],
                b',"reviews":[{',
                b"},{".join(reviews),
                b'}],"lead":null,',
                members,
                known[1],
                NEWLINE,
            )
        )


_WRITE_CHUNK = 1 << 20


def write_lines(out: Path, lines: Iterable[bytes]) -> None:
    """Write ``lines`` (:class:`MergedLines`) to ``out`` atomically, a megabyte at a time, on a
    thread that copies them into the system's cache while the caller builds the next ones.
    Line separators are escaped a megabyte at a time too (:func:`json_safe_bytes`: a look for
    their lead bytes, at memory speed; they are rare)."""
    with atomic_write_bytes(out) as fh, writing_behind(fh) as write:
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            chunk.append(line)
            size += len(line)
            if size >= _WRITE_CHUNK:
                write(json_safe_bytes(b"".join(chunk)))
                chunk.clear()
                size = 0
        write(json_safe_bytes(b"".join(chunk)))


# -- the reader ---------------------------------------------------------------------------------


def read_merged(path: Path) -> Iterator[MergedCase]:
    """The cases of a merged file, every field checked against its documented values
    (docs/formats.md, "The merged file"); a problem refuses it (:class:`FileRefused`)."""
    path = Path(path)
    first_line: dict[str, int] = {}
    for number, record in checked_records(path, MERGED_FORMAT, MERGED_VERSION):
        try:
            case = checked_case(record)
        except (Bad, KeyError) as bad:
            raise FileRefused(path, problem(bad), number) from None
        first = first_line.setdefault(case.id, number)
        if first != number:
            raise FileRefused(path, f"case '{case.id}' is also on line {first}", number)
        yield case


def checked_case(record: Mapping[str, Any]) -> MergedCase:
    """The case of one line of a merged file, checked; raises :class:`Bad` saying what is wrong."""
    case_id = text_field(record, "id", required=True)
    case_hash = text_field(record, "case_hash", required=True)
    criterion = text_field(record, "criterion")
    scale = _scale(record)
    on_scale = _Labels(case_id, criterion, scale)
    reviews = record.get("reviews")
    if not isinstance(reviews, list):
        raise Bad(f"'reviews' must be a list, not {describe(reviews)}")
    checked = [_review(r, f"review {n}", on_scale) for n, r in enumerate(reviews, start=1)]
    names = [r.reviewer for r in checked]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise Bad(f"reviewer '{twice}' has two reviews of case '{case_id}'")
    lead = record.get("lead")
    judge = text_field(record, "judge_label")
    if judge:
        on_scale.check(judge, "the judge's label")
    raters = rater_labels(record.get("rater_labels"))
    for rater, label in raters.items():
        on_scale.check(label, f"rater '{rater}'s label")
    kind = text_field(record, "kind")
    if kind not in KINDS:
        raise Bad(f"'kind' must be one of {', '.join(sorted(k for k in KINDS if k))}, not "
                  f"{describe(kind)}")  # fmt: skip
    for key in ("project", "project_title", "app_version"):
        text_field(record, key)
    case = MergedCase(
        id=case_id,
        case_hash=case_hash,
        criterion=criterion,
        scale=scale,
        judge_label=judge,
        rater_labels=tuple(raters.items()),
        kind=kind,
        reviews=tuple(sorted(checked, key=_by_reviewer)),
        lead=_review(lead, "'lead'", on_scale) if lead is not None else None,
    )
    _check_outcome(record, case)
    return case


def _scale(record: Mapping[str, Any]) -> Scale:
    labels = record.get("labels")
    if labels is None:
        labels = []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise Bad(f"'labels' must be a list of strings, not {describe(labels)}")
    if len(set(labels)) != len(labels):
        raise Bad("'labels' must not name a label twice")
    ordinal = record.get("ordinal")
    if ordinal is not None and not isinstance(ordinal, bool):
        raise Bad(f"'ordinal' must be true or false, not {describe(ordinal)}")
    return Scale(tuple(labels), bool(ordinal), threshold_field(record, bool(ordinal)))


class _Labels:
    """A line's scale, to check its labels against (when it names its labels)."""

    def __init__(self, case_id: str, criterion: str, scale: Scale) -> None:
        self.case_id, self.criterion, self.scale = case_id, criterion, scale

    def check(self, label: str, what: str) -> None:
        if self.scale.labels and label not in self.scale.label_set:
            raise Bad(
                f"case '{self.case_id}': {what} '{label}' is not one of the labels of "
                f"{criterion_name(self.criterion)} ({', '.join(self.scale.labels)})"
            )


def _review(value: Any, what: str, on_scale: _Labels) -> Review:
    """A review (or the lead's decision), checked as the labelled file's decision is."""
    if not isinstance(value, dict):
        raise Bad(f"{what} must be an object, not {describe(value)}")
    try:
        reviewer = text_field(value, "reviewer", required=True)
        label = text_field(value, "label", required=True)
        on_scale.check(label, "the label")
        tags = value.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Bad("'tags' must be a list of strings")
        rubric_version, rubric_hash = rubric_fields(value)
        blind_label, revealed_at = blind_fields(value, None)
        if blind_label is not None:
            on_scale.check(blind_label, "the first label")
        return Review(
            reviewer=reviewer,
            label=label,
            rationale=text_field(value, "rationale"),
            tags=tuple(tags),
            confidence=choice(value, "confidence", CONFIDENCES) or None,
            who_right=choice(value, "who_right", WHO_RIGHT) or None,
            decided_at=text_field(value, "decided_at"),
            rubric_version=rubric_version,
            rubric_hash=rubric_hash,
            blind_label=blind_label,
            revealed_at=revealed_at,
        )
    except Bad as bad:
        raise Bad(f"{what}: {bad}") from None


def _check_outcome(record: Mapping[str, Any], case: MergedCase) -> None:
    """``label`` and ``resolution`` are what the reviews and the lead make of the case."""
    resolution = record.get("resolution")
    if resolution not in _RESOLUTIONS:
        raise Bad(
            f"'resolution' must be one of {', '.join(_RESOLUTIONS)}, not {describe(resolution)}"
        )
    if resolution != case.resolution.value:
        raise Bad(
            f"case '{case.id}': 'resolution' is {resolution}, but its reviews and lead make "
            f"it {case.resolution.value}"
        )
    label = record.get("label")
    if label != case.final_label:
        raise Bad(
            f"case '{case.id}': 'label' is {describe(label)}, but its reviews and lead make "
            f"it {describe(case.final_label)}"
        )


_RESOLUTIONS = tuple(r.value for r in Resolution)


def case_from_record(data: Mapping[str, Any]) -> MergedCase:
    """The inverse of :func:`merged_record` (the record was checked by the reader)."""
    lead = data.get("lead")
    return MergedCase(
        id=str(data["id"]),
        case_hash=str(data["case_hash"]),
        criterion=str(data.get("criterion") or ""),
        scale=Scale(
            tuple(str(x) for x in data.get("labels") or ()),
            bool(data.get("ordinal")),
            threshold_field(data, bool(data.get("ordinal"))),
        ),
        judge_label=str(data.get("judge_label") or ""),
        rater_labels=tuple((str(k), str(v)) for k, v in (data.get("rater_labels") or {}).items()),
        kind=str(data.get("kind") or ""),
        reviews=tuple(
            sorted((Review.from_dict(r) for r in data.get("reviews") or ()), key=_by_reviewer)
        ),
        lead=Review.from_dict(lead) if lead else None,
    )


def _by_reviewer(review: Review) -> str:
    return review.reviewer
