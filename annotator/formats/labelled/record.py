"""The labelled file's line and its writers (docs/formats.md, "The labelled file").

One line per case, standing on its own: the decision, the case as imported (its hash, judge
and rater labels), the criterion's scale and the project. ``services/exporter.py`` writes a
workspace's decisions with these (``sheet.py`` writes the CSV form), ``benchmarks/generate.py``
synthetic reviewers'; the readers are beside: ``scan.py`` (a merge's) and ``careful.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from annotator.domain.model import Status
from annotator.formats.versioned import DECISIONS_FORMAT
from annotator.untrusted import json_safe

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
    "split",
    "judge_label",
    "rater_labels",
    "kind",
    "labels",
    "ordinal",
    "threshold",
    "project",
    "project_title",
    "app_version",
    "rubric_version",
    "rubric_hash",
    "blind_label",
    "revealed_at",
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
    threshold: float | None = None,
    rubric_version: int | None = None,
    rubric_hash: str | None = None,
    split: str = "",
    blind_label: str | None = None,
    revealed_at: str | None = None,
) -> Record:
    """One line of the labelled file, its fields in :data:`FIELDS` order. An undecided or
    skipped case (exported with ``--all``) has None for its decision's fields. ``threshold``:
    an ordinal scale's (None on a nominal one). ``rubric_version`` and ``rubric_hash``: the
    criterion's rubric the decision was taken under (``domain.rubric_versions``; None when
    undecided). ``split``: a decided case's part of the
    held-out split (``"examples"`` or ``"heldout"``; empty when not decided)."""
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
        "split": split,
        "judge_label": judge_label,
        "rater_labels": rater_labels,
        "kind": kind,
        "labels": labels,
        "ordinal": ordinal,
        "threshold": threshold_value(threshold) if ordinal else None,
        "project": project,
        "project_title": project_title,
        "app_version": app_version,
        "rubric_version": rubric_version,
        "rubric_hash": rubric_hash,
        # blind-first review: the first label and when it was committed (None: not blind)
        "blind_label": blind_label,
        "revealed_at": revealed_at,
    }


def threshold_value(threshold: float | None) -> float | int | None:
    """A threshold as the files write it: a whole number without its ".0" (1, not 1.0)."""
    if threshold is None:
        return None
    return int(threshold) if float(threshold).is_integer() else float(threshold)


def jsonl_writer(fh: IO[str]) -> Writer:
    """Write records to ``fh`` (a text file) as JSON Lines, one object a line, with U+2028,
    U+2029 and U+0085 escaped (``untrusted.json_safe``). The CSV writer is ``sheet.py``."""
    dumps = json.dumps

    def write(record: Record) -> None:
        fh.write(json_safe(dumps(record, ensure_ascii=False)) + "\n")

    return write
