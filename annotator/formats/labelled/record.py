"""The labelled file's line and its writers (docs/formats.md, "The labelled file").

One line per case, standing on its own: the decision, the case as imported (its hash, judge
and rater labels), the criterion's scale and the project. ``services/exporter.py`` writes a
workspace's decisions with these (``sheet.py`` writes the CSV form), ``benchmarks/generate.py``
synthetic reviewers'; the readers are beside: ``scan.py`` (a merge's) and ``careful.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
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


def jsonl_writer(fh: IO[str]) -> Callable[[Record | str], None]:
    """Write records to ``fh`` (a text file) as JSON Lines, one object a line, with U+2028,
    U+2029 and U+0085 escaped (``untrusted.json_safe``); or lines already made so
    (:class:`LineText`), given as one str. The CSV writer is ``sheet.py``."""
    dumps = json.dumps

    def write(record: Record | str) -> None:
        if type(record) is str:
            fh.write(record)
        else:
            fh.write(json_safe(dumps(record, ensure_ascii=False)) + "\n")

    return write


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _scalar(value: Any) -> str:
    """``value`` as ``json.dumps(…, ensure_ascii=False)`` writes it (a str, None or an int on
    the quick way: ``encode_basestring`` is json's own C encoder of a str)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return _dumps(value)


_BOOLS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def strings_text(values: list[Any]) -> str:
    """A list of strings as ``json.dumps`` writes it (anything else through it)."""
    if all(type(v) is str for v in values):
        return "[" + ", ".join(map(encode_basestring, values)) + "]"
    return _dumps(values)


def pairs_text(values: dict[str, Any]) -> str:
    """An object of strings as ``json.dumps`` writes it (anything else through it)."""
    if all(type(v) is str for v in values.values()):
        inner = ", ".join(
            f"{encode_basestring(k)}: {encode_basestring(v)}" for k, v in values.items()
        )
        return "{" + inner + "}"
    return _dumps(values)


class LineText:
    """The labelled file's lines as :func:`jsonl_writer` writes :func:`labelled_record`'s
    (``json.dumps``, then ``json_safe``), made without building the dict: what the project and
    each scale repeat on every line is encoded once, the rest a field at a time. An export of
    a million cases spends most of its Python time on its lines; ``tests/test_export.py``
    checks the two give the same text for lines of every shape."""

    def __init__(self, project: str, project_title: str, app_version: str) -> None:
        self._project = {
            "project": project,
            "project_title": project_title,
            "app_version": app_version,
        }
        head = {"format": DECISIONS_FORMAT, "format_version": DECISIONS_VERSION, "id": ""}
        self._head = _dumps(head)[: -len('""}')]
        self._scales: dict[tuple[tuple[str, ...], bool, float | None], str] = {}
        self._status = {s: encode_basestring(s.name.lower()) for s in Status}

    def scale_text(self, labels: Sequence[str], ordinal: bool, threshold: float | None) -> str:
        """What a line of this scale repeats (its labels, ordinal and threshold) and the
        project's fields: made once per scale."""
        key = (tuple(labels), ordinal, threshold)
        text = self._scales.get(key)
        if text is None:
            fields = {
                "labels": list(labels),
                "ordinal": ordinal,
                "threshold": threshold_value(threshold) if ordinal else None,
                **self._project,
            }
            text = self._scales[key] = _dumps(fields)[1:-1]
        return text

    def line(
        self,
        fields: dict[str, Any],
        labels: Sequence[str],
        ordinal: bool,
        threshold: float | None,
    ) -> str:
        """One line, with its newline: ``fields`` are :func:`labelled_record`'s keyword
        arguments but the scale's (given apart: its text is made once) and the project's
        (this object's); the optional ones may be left out."""
        get = fields.get
        return json_safe(
            self.unsafe_line(
                (
                    fields["case_id"],
                    fields["case_hash"],
                    fields["criterion"],
                    fields["status"],
                    fields["label"],
                    fields["rationale"],
                    fields["who_right"],
                    fields["who_right_overridden"],
                    strings_text(fields["tags"]),
                    fields["confidence"],
                    fields["reviewer"],
                    fields["decided_at"],
                    get("split", ""),
                    fields["judge_label"],
                    pairs_text(fields["rater_labels"]),
                    fields["kind"],
                    self.scale_text(labels, ordinal, threshold),
                    get("rubric_version"),
                    get("rubric_hash"),
                    get("blind_label"),
                    get("revealed_at"),
                )
            )
        )

    def unsafe_line(self, values: tuple[Any, ...]) -> str:
        """:meth:`line` from its values, without ``json_safe`` (the caller makes many lines
        safe at once: ``json_safe`` of lines joined is the lines made safe, joined).
        ``values`` are in their order on the line, from ``id`` to ``revealed_at``, where the
        scale and the project stand :meth:`scale_text`'s; ``tags`` and ``rater_labels`` are
        their text already (:func:`strings_text`, :func:`pairs_text`). A million lines' worth
        of Python: each value a str is encoded inline, anything else through ``_scalar``."""
        (
            case_id, case_hash, criterion, status, label, rationale, who_right, overridden,
            tags, confidence, reviewer, decided_at, split, judge_label, rater_labels, kind,
            scale, rubric_version, rubric_hash, blind_label, revealed_at,
        ) = values  # fmt: skip
        e, s = encode_basestring, _scalar
        # (these are most often an int or None: looked at first)
        rv = rubric_version
        version = int.__repr__(rv) if rv.__class__ is int else s(rv)
        blind = "null" if blind_label is None else s(blind_label)
        revealed = "null" if revealed_at is None else s(revealed_at)
        return (
            f"{self._head}{e(case_id) if case_id.__class__ is str else s(case_id)}, "
            f'"case_hash": {e(case_hash) if case_hash.__class__ is str else s(case_hash)}, '
            f'"criterion": {e(criterion) if criterion.__class__ is str else s(criterion)}, '
            f'"status": {self._status[status]}, '
            f'"label": {e(label) if label.__class__ is str else s(label)}, '
            f'"rationale": {e(rationale) if rationale.__class__ is str else s(rationale)}, '
            f'"who_right": {e(who_right) if who_right.__class__ is str else s(who_right)}, '
            f'"who_right_overridden": {_BOOLS.get(overridden) or _dumps(overridden)}, '
            f'"tags": {tags}, '
            f'"confidence": {e(confidence) if confidence.__class__ is str else s(confidence)}, '
            f'"reviewer": {e(reviewer) if reviewer.__class__ is str else s(reviewer)}, '
            f'"decided_at": {e(decided_at) if decided_at.__class__ is str else s(decided_at)}, '
            f'"split": {e(split) if split.__class__ is str else s(split)}, '
            f'"judge_label": {e(judge_label) if judge_label.__class__ is str else s(judge_label)}, '
            f'"rater_labels": {rater_labels}, '
            f'"kind": {e(kind) if kind.__class__ is str else s(kind)}, '
            f"{scale}, "
            f'"rubric_version": {version}, '
            f'"rubric_hash": {e(rubric_hash) if rubric_hash.__class__ is str else s(rubric_hash)}, '
            f'"blind_label": {blind}, '
            f'"revealed_at": {revealed}'
            "}\n"
        )
