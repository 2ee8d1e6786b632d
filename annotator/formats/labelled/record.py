"""The labelled file's line and its writers (docs/formats.md, "The labelled file").

One line per case, standing on its own: the decision, the case as imported (its hash, judge
and rater labels), the criterion's scale and the project. ``services/exporter.py`` writes a
workspace's decisions with these, ``benchmarks/generate.py`` synthetic reviewers'; the readers
are beside: ``scan.py`` (a merge's) and ``careful.py``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import IO, Any

from annotator.domain.model import Status
from annotator.formats.versioned import DECISIONS_FORMAT

DECISIONS_VERSION = 1
FIELDS = (
    "format",
    "format_version",
    "id",
    "case_hash",
    "criterion",
    "status",
    "label",
    "rationale",
    "who_right",
    "who_right_overridden",
    "tags",
    "confidence",
    "reviewer",
    "decided_at",
    "judge_label",
    "rater_labels",
    "kind",
    "labels",
    "ordinal",
    "project",
    "project_title",
    "app_version",
)
"""The fields of a line, in the order they are written (the CSV file's columns)."""

Record = dict[str, Any]
Writer = Callable[[Record], None]


def labelled_record(
    *,
    case_id: str,
    case_hash: str,
    criterion: str,
    status: Status,
    label: str | None,
    rationale: str | None,
    who_right: str | None,
    who_right_overridden: bool | None,
    tags: list[str],
    confidence: str | None,
    reviewer: str | None,
    decided_at: str | None,
    judge_label: str,
    rater_labels: dict[str, str],
    kind: str,
    labels: list[str],
    ordinal: bool,
    project: str,
    project_title: str,
    app_version: str,
) -> Record:
    """One line of the labelled file, its fields in :data:`FIELDS` order. An undecided or
    skipped case (exported with ``--all``) has None for its decision's fields."""
    return {
        "format": DECISIONS_FORMAT,
        "format_version": DECISIONS_VERSION,
        "id": case_id,
        "case_hash": case_hash,
        "criterion": criterion,
        "status": status.name.lower(),
        "label": label,
        "rationale": rationale,
        "who_right": who_right,
        "who_right_overridden": who_right_overridden,
        "tags": tags,
        "confidence": confidence,
        "reviewer": reviewer,
        "decided_at": decided_at,
        "judge_label": judge_label,
        "rater_labels": rater_labels,
        "kind": kind,
        "labels": labels,
        "ordinal": ordinal,
        "project": project,
        "project_title": project_title,
        "app_version": app_version,
    }


def jsonl_writer(fh: IO[str]) -> Writer:
    """Write records to ``fh`` (a text file) as JSON Lines, one object a line."""

    def write(record: Record) -> None:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    return write


def csv_writer(fh: IO[str]) -> Writer:
    """Write records to ``fh`` (a text file opened with ``newline=""``) as CSV: a header of
    :data:`FIELDS`, then a row a record, ``tags`` joined by ``"; "``, and ``rater_labels`` and
    ``labels`` as JSON in their cells."""
    writer = csv.DictWriter(fh, fieldnames=FIELDS)
    writer.writeheader()

    def write(record: Record) -> None:
        flat = dict(record)
        flat["tags"] = "; ".join(record["tags"])
        flat["rater_labels"] = json.dumps(record["rater_labels"], ensure_ascii=False)
        flat["labels"] = json.dumps(record["labels"], ensure_ascii=False)
        writer.writerow(flat)

    return write
