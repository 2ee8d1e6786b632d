"""Choosing a criterion's calibration examples, and counting where the judge goes wrong.

Both read the decided cases of the *examples* part one at a time and keep only what they need:
at most ``k`` candidates per final label x tags, and at most :data:`IDS_KEPT` case ids per count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IDS_KEPT = 50
"""Case ids listed per count of "where the judge goes wrong" (the count itself is exact)."""


@dataclass(frozen=True)
class Example:
    """One decided case as a calibration example (a line of examples.jsonl)."""

    case_id: str
    criterion: str
    input: str
    output: str | None
    outputs: dict[str, str] | None
    reference: str | None
    final_label: str
    critique: str
    judge_label: str
    judge_rationale: str
    judge_right: bool
    tags: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case_id,
            "criterion": self.criterion,
            "input": self.input,
            "output": self.output,
            "outputs": self.outputs,
            "reference": self.reference,
            "final_label": self.final_label,
            "critique": self.critique,
            "judge": {"label": self.judge_label, "rationale": self.judge_rationale},
            "judge_right": self.judge_right,
            "tags": list(self.tags),
        }


@dataclass
class Picker:
    """A criterion's examples: the judge's mistakes first, then cases it got right, each
    spread over the final labels and the reviewers' tags (round robin over final label x
    tags, in file order within each)."""

    k: int
    _wrong: dict[tuple[str, tuple[str, ...]], list[Example]] = field(default_factory=dict)
    _right: dict[tuple[str, tuple[str, ...]], list[Example]] = field(default_factory=dict)

    def offer(self, example: Example) -> None:
        buckets = self._right if example.judge_right else self._wrong
        bucket = buckets.setdefault((example.final_label, example.tags), [])
        if len(bucket) < self.k:
            bucket.append(example)

    def picked(self) -> list[Example]:
        """At most ``k``: mistakes, leaving a quarter of the places (at least one) to cases
        the judge got right when there are some; places left over go to either."""
        wrong = _spread(self._wrong)
        right = _spread(self._right)
        keep_right = min(len(right), max(1, self.k // 4)) if self.k > 1 else 0
        chosen = wrong[: self.k - keep_right]
        return chosen + right[: self.k - len(chosen)]


def _spread(buckets: dict[tuple[str, tuple[str, ...]], list[Example]]) -> list[Example]:
    ordered = [buckets[key] for key in sorted(buckets)]
    depth = max((len(b) for b in ordered), default=0)
    return [b[i] for i in range(depth) for b in ordered if i < len(b)]


@dataclass
class Counted:
    """A count and the first :data:`IDS_KEPT` case ids it counts."""

    count: int = 0
    ids: list[str] = field(default_factory=list)

    def add(self, case_id: str) -> None:
        self.count += 1
        if len(self.ids) < IDS_KEPT:
            self.ids.append(case_id)

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "ids": list(self.ids)}


@dataclass
class Mistakes:
    """A criterion's judge mistakes in the examples part: by tag, and by confusion cell
    (final label, judge label)."""

    decided: int = 0
    wrong: int = 0
    by_tag: dict[str, Counted] = field(default_factory=dict)
    by_cell: dict[tuple[str, str], Counted] = field(default_factory=dict)

    def add(self, example: Example) -> None:
        self.decided += 1
        if example.judge_right:
            return
        self.wrong += 1
        for tag in example.tags or ("(no tag)",):
            self.by_tag.setdefault(tag, Counted()).add(example.case_id)
        cell = (example.final_label, example.judge_label)
        self.by_cell.setdefault(cell, Counted()).add(example.case_id)

    def tags_by_count(self) -> list[tuple[str, Counted]]:
        return sorted(self.by_tag.items(), key=lambda item: (-item[1].count, item[0]))

    def cells_by_count(self) -> list[tuple[tuple[str, str], Counted]]:
        return sorted(self.by_cell.items(), key=lambda item: (-item[1].count, item[0]))
