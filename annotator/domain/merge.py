"""Merging reviewers' decisions: what a case's final label is and how it was reached.

A lead sends one review pack to several reviewers and gets back one labelled file from each.
For every case, the reviewers who saw it either agree (the label is settled, *unanimous*) or
they don't (a *reviewer conflict*, for the lead to settle). The lead's own decision, when there
is one, is final.

Pure data and rules. The files are ``annotator.formats.labelled`` (a reviewer's decisions) and
``annotator.formats.merged`` (the merged file); merging files or a workspace is
``annotator.services.merge``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple


class Resolution(enum.StrEnum):
    """How a merged case's final label was reached."""

    UNANIMOUS = "unanimous"
    """Every reviewer who saw the case chose the same label (one reviewer counts)."""
    LEAD = "lead"
    """The lead decided."""
    CONFLICT = "conflict"
    """Reviewers disagree and the lead has not decided yet: no final label."""


class ReviewState(enum.IntEnum):
    """``cases.review_state`` in a workspace: what the merged reviewer files say of a case."""

    NONE = 0
    UNANIMOUS = 1
    CONFLICT = 2


@dataclass(frozen=True)
class Scale:
    """A criterion's labels in scale order, and whether they are ordered."""

    labels: tuple[str, ...]
    ordinal: bool = False
    threshold: float | None = None
    """An ordinal scale's threshold: two labels disagree when they are farther apart than
    this (0: any difference). None on a nominal scale, and where a file does not say (files
    written before they carried it)."""

    def agrees_with(self, other: Scale) -> bool:
        """The same labels, order and threshold; a threshold not known agrees with any."""
        return (
            self.labels == other.labels
            and self.ordinal == other.ordinal
            and (
                self.threshold is None
                or other.threshold is None
                or self.threshold == other.threshold
            )
        )

    def described(self) -> str:
        """The scale in a message: its labels, "ordered" and its threshold where it has them."""
        text = ", ".join(self.labels)
        if self.ordinal:
            text += ", ordered"
            if self.threshold is not None:
                text += f", threshold {format_threshold(self.threshold)}"
        return f"({text})"

    @cached_property
    def label_set(self) -> frozenset[str]:
        """The labels, to look one up fast (a reader checks every line's labels)."""
        return frozenset(self.labels)


class Review(NamedTuple):
    """One person's decision on one case: a reviewer's, or the lead's.

    A named tuple rather than a dataclass: a merge of ten files of 100,000 decisions makes a
    million of them, and a tuple is built several times faster and is smaller.
    """

    reviewer: str
    label: str
    rationale: str = ""
    tags: tuple[str, ...] = ()
    confidence: str | None = None
    who_right: str | None = None
    decided_at: str = ""
    rubric_version: int | None = None
    """The version of the criterion's rubric the decision was taken under, and that text's
    hash (``domain.rubric_versions``); None in a file from before rubric versions."""
    rubric_hash: str | None = None
    blind_label: str | None = None
    """Under blind-first review, the first label, committed before the judge and the raters
    were shown, and when; None when the reviewer did not review blind."""
    revealed_at: str | None = None

    def sort_key(self) -> tuple[str, str, str, str]:
        """Newest last; equal times fall back to the content, so the order never depends on
        the order the files were given in. (The workspace compares the same four columns.)"""
        return (self.decided_at, self.label, self.rationale, tags_json(self.tags))

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, in declaration order (``tags`` stays a tuple: JSON writes it as
        a list). Built in C: a merge writes a million of these."""
        return dict(zip(Review._fields, self, strict=True))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        return cls(
            reviewer=str(data["reviewer"]),
            label=str(data["label"]),
            rationale=str(data.get("rationale") or ""),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            confidence=data.get("confidence"),
            who_right=data.get("who_right"),
            decided_at=str(data.get("decided_at") or ""),
            rubric_version=data.get("rubric_version"),
            rubric_hash=data.get("rubric_hash"),
            blind_label=data.get("blind_label"),
            revealed_at=data.get("revealed_at"),
        )


def tags_json(tags: Iterable[str]) -> str:
    """Tags as stored in a workspace (and compared, to break ties between equal times)."""
    return json.dumps(list(tags), ensure_ascii=False)


def newest(a: Review, b: Review) -> Review:
    """The later of two decisions by the same person (deterministic on equal times)."""
    return b if b.sort_key() > a.sort_key() else a


@dataclass(frozen=True)
class MergedCase:
    """One case after the merge: the original labels, every reviewer's decision, the lead's."""

    id: str
    case_hash: str
    criterion: str
    scale: Scale
    judge_label: str
    rater_labels: tuple[tuple[str, str], ...]
    """``(rater, label)`` pairs as imported."""
    kind: str
    reviews: tuple[Review, ...]
    """One per reviewer, sorted by reviewer name."""
    lead: Review | None = None

    @property
    def resolution(self) -> Resolution:
        if self.lead is not None:
            return Resolution.LEAD
        if self.reviews and len({r.label for r in self.reviews}) == 1:
            return Resolution.UNANIMOUS
        return Resolution.CONFLICT

    @property
    def final_label(self) -> str | None:
        if self.lead is not None:
            return self.lead.label
        if self.resolution is Resolution.UNANIMOUS:
            return self.reviews[0].label
        return None

    @property
    def in_conflict(self) -> bool:
        """Reviewers disagree (whether or not the lead has settled it since)."""
        return len({r.label for r in self.reviews}) > 1

    def review_by(self, reviewer: str) -> Review | None:
        return next((r for r in self.reviews if r.reviewer == reviewer), None)


def format_threshold(threshold: float) -> str:
    """A threshold as a person writes it: 1, not 1.0; 0.5 as it is."""
    return str(int(threshold)) if float(threshold).is_integer() else repr(float(threshold))
