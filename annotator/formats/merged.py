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
from annotator.domain.merge import MergedCase, Review, Scale
from annotator.fileio import atomic_write, atomic_write_bytes, writing_behind
from annotator.formats.errors import FileRefused
from annotator.formats.versioned import MERGED_FORMAT, Bad, checked_records, problem, text_field

MERGED_VERSION = 1
FIELDS = (
    "format",
    "format_version",
    "id",
    "case_hash",
    "criterion",
    "label",
    "resolution",
    "reviews",
    "lead",
    "judge_label",
    "rater_labels",
    "kind",
    "labels",
    "ordinal",
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
    "head",
    "merged_record",
    "read_merged",
    "tail",
    "write_lines",
    "write_merged",
]


# -- the parts of a line ------------------------------------------------------------------------


def head(
    case_id: str, case_hash: str, criterion: str, label: str | None, resolution: str
) -> dict[str, Any]:
    """The members from ``format`` to ``resolution``."""
    return {
        "format": MERGED_FORMAT,
        "format_version": MERGED_VERSION,
        "id": case_id,
        "case_hash": case_hash,
        "criterion": criterion,
        "label": label,
        "resolution": resolution,
    }


def tail(scale: Scale, project: str, title: str, app_version: str) -> dict[str, Any]:
    """The members from ``labels`` to ``app_version``."""
    return {
        "labels": list(scale.labels),
        "ordinal": scale.ordinal,
        "project": project,
        "project_title": title,
        "app_version": app_version,
    }


def merged_record(case: MergedCase, project: str, title: str, app_version: str) -> dict[str, Any]:
    """The merged file's line for ``case``, as a dict in :data:`FIELDS` order."""
    record = head(case.id, case.case_hash, case.criterion, case.final_label, case.resolution.value)
    record["reviews"] = [r.to_dict() for r in case.reviews]
    record["lead"] = case.lead.to_dict() if case.lead is not None else None
    record["judge_label"] = case.judge_label  # the case's members (LabelledScan.case_info)
    record["rater_labels"] = dict(case.rater_labels)
    record["kind"] = case.kind
    record.update(tail(case.scale, project, title, app_version))
    return record


# -- the writers --------------------------------------------------------------------------------

NEWLINE = os.linesep.encode("ascii")
"""How a line ends: as the text file :func:`write_merged` writes."""


def write_merged(
    cases: Iterable[MergedCase], out: Path, project: str, title: str, app_version: str = __version__
) -> int:
    """Write the merged file of ``cases`` atomically; returns the number of lines."""
    count = 0
    with atomic_write(out) as fh:
        for case in cases:
            record = merged_record(case, project, title, app_version)
            fh.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE).decode("utf-8"))
            count += 1
    return count


class MergedLines:
    """The lines :func:`write_merged` would write, built from JSON already written: each
    review's members (``Review._fields`` as a JSON object, without the braces) and the case's
    (``judge_label``, ``rater_labels``, ``kind``, likewise). No lead: a merge of files has
    none."""

    def __init__(self, project: str, title: str, app_version: str = __version__) -> None:
        self.project, self.title, self.app_version = project, title, app_version
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
                orjson.dumps(head(case_id, case_hash, criterion, label, resolution))[:-1],
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
    thread that copies them into the system's cache while the caller builds the next ones."""
    with atomic_write_bytes(out) as fh, writing_behind(fh) as write:
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            chunk.append(line)
            size += len(line)
            if size >= _WRITE_CHUNK:
                write(b"".join(chunk))
                chunk.clear()
                size = 0
        write(b"".join(chunk))


# -- the reader ---------------------------------------------------------------------------------


def read_merged(path: Path) -> Iterator[MergedCase]:
    """The cases of a merged file; a problem refuses it (:class:`FileRefused`)."""
    path = Path(path)
    for number, record in checked_records(path, MERGED_FORMAT, MERGED_VERSION):
        try:
            for key in ("id", "case_hash"):
                text_field(record, key, required=True)
            reviews = record.get("reviews")
            if not isinstance(reviews, list):
                raise Bad("'reviews' must be a list")
            for review in [*reviews, record.get("lead") or {"reviewer": "-", "label": "-"}]:
                if not isinstance(review, dict):
                    raise Bad("each review must be an object")
                text_field(review, "reviewer", required=True)
                text_field(review, "label", required=True)
            case = case_from_record(record)
        except (Bad, KeyError, TypeError, ValueError) as bad:
            raise FileRefused(path, problem(bad), number) from None
        yield case


def case_from_record(data: Mapping[str, Any]) -> MergedCase:
    """The inverse of :func:`merged_record` (the record was checked by the reader)."""
    lead = data.get("lead")
    return MergedCase(
        id=str(data["id"]),
        case_hash=str(data["case_hash"]),
        criterion=str(data.get("criterion") or ""),
        scale=Scale(tuple(str(x) for x in data.get("labels") or ()), bool(data.get("ordinal"))),
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
