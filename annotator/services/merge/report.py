"""What a merge says it did: the files read, the decisions dropped, the cases settled or not."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.domain.merge import MergedCase
from annotator.services.changes import NOTHING, Changes

Progress = Callable[[int, int], None]
"""Called with ``(files done, files)`` as the files are read."""
MAX_LISTED = 10
"""How many instances of one problem a message lists before it says 'and N more'."""


Cancelled = Callable[[], bool]
"""Asked now and then while the files are read: True stops the merge (:class:`MergeCancelled`)."""


class MergeError(Exception):
    """The merge is refused; ``str()`` says why, naming files, lines and cases."""


class MergeCancelled(MergeError):
    """The user cancelled the merge: nothing was written (no file; the workspace unchanged)."""


@dataclass(frozen=True)
class Source:
    """One input file, as the report shows it."""

    path: Path
    sha256: str
    reviewers: tuple[str, ...]
    decisions: int
    same_as: Path | None = None
    """Set when the file has the same content as an earlier one: it was counted once."""
    already_merged: bool = False
    """Set when the workspace had merged this very file before."""


@dataclass(frozen=True)
class Superseded:
    """A reviewer decided a case in two files; the older decision was dropped."""

    case_id: str
    reviewer: str
    kept: str
    """Where the kept (newer) decision came from: ``file, line N`` or ``the workspace``."""
    dropped: str


RubricSeen = dict[str, dict[str, set[tuple[int, str | None]]]]
"""Per criterion, per reviewer: the ``(rubric version, hash)`` pairs their decisions carry."""


@dataclass(frozen=True)
class RubricSpread:
    """A criterion whose reviewers decided under different rubric versions (or texts)."""

    criterion: str
    reviewers: tuple[tuple[str, tuple[str, ...]], ...]
    """Each reviewer and the versions they decided under (``v2``; with the hash's start when
    two texts share a number: each reviewer's workspace numbers its own edits)."""

    def describe(self) -> str:
        who = "; ".join(f"{r} {', '.join(v)}" for r, v in self.reviewers)
        name = f"'{self.criterion}'" if self.criterion else "the default criterion"
        return f"{name}: reviewers decided under different rubric versions ({who})"


def rubric_spreads(seen: RubricSeen) -> list[RubricSpread]:
    """The criteria of ``seen`` whose decisions carry more than one rubric version or text
    (decisions from files without versions are left out); reported, never refused."""
    spreads = []
    for criterion, by_reviewer in sorted(seen.items()):
        pairs = {p for found in by_reviewer.values() for p in found}
        if len(pairs) < 2:
            continue
        numbers = [v for v, _ in pairs]
        clash = len(set(numbers)) != len(numbers)  # one number, two texts

        def name(pair: tuple[int, str | None], clash: bool = clash) -> str:
            short = (pair[1] or "").removeprefix("sha256:")[:8]
            return f"v{pair[0]} ({short})" if clash and short else f"v{pair[0]}"

        reviewers = tuple(
            (reviewer, tuple(name(p) for p in sorted(found, key=lambda p: (p[0], p[1] or ""))))
            for reviewer, found in sorted(by_reviewer.items())
            if found
        )
        spreads.append(RubricSpread(criterion, reviewers))
    return spreads


@dataclass
class MergeReport:
    sources: list[Source] = field(default_factory=list)
    superseded: list[Superseded] = field(default_factory=list)
    cases: int = 0
    unanimous: int = 0
    single: int = 0
    """Of the unanimous cases, those only one reviewer decided."""
    conflicts: int = 0
    """Cases where reviewers disagree (settled by the lead or not)."""
    settled_by_lead: int = 0
    """Of the conflicts, those the lead decided once the conflicting reviews were merged."""
    lead_own: int = 0
    """Cases the lead decided before their reviews were merged (or that no reviewer saw): the
    lead's own review, one more reviewer's, which settles no conflict."""
    project: str = ""
    project_title: str = ""
    output: Path | None = None
    changes: Changes = NOTHING
    """What the merge changed in a workspace (nothing, for a merge into a file)."""
    rubrics: list[RubricSpread] = field(default_factory=list)
    """The criteria whose reviewers decided under different rubric versions."""

    @property
    def open_conflicts(self) -> int:
        return self.conflicts - self.settled_by_lead

    def count(self, cases: Iterable[MergedCase]) -> None:
        """Set the counts from the merged cases."""
        self.cases = self.unanimous = self.single = 0
        self.conflicts = self.settled_by_lead = 0
        seen: RubricSeen = {}
        for case in cases:
            self.cases += 1
            by_reviewer = seen.setdefault(case.criterion, {})
            for review in case.reviews:
                if review.rubric_version is not None:
                    pair = (review.rubric_version, review.rubric_hash)
                    by_reviewer.setdefault(review.reviewer, set()).add(pair)
            if case.in_conflict:
                self.conflicts += 1
                self.settled_by_lead += case.lead is not None
            elif case.reviews:
                self.unanimous += 1
                self.single += len(case.reviews) == 1
        self.rubrics = rubric_spreads(seen)

    def describe(self) -> str:
        """The report for people: what was read, what was dropped, what is left to settle."""
        lines = []
        for s in self.sources:
            who = ", ".join(s.reviewers) or "no reviewer"
            note = ""
            if s.same_as is not None:
                note = f" — the same file as {s.same_as.name}: counted once"
            elif s.already_merged:
                note = " — merged before: nothing new"
            lines.append(f"{s.path.name}: {s.decisions} decisions by {who}{note}")
        by_reviewer: dict[str, int] = {}
        for dropped in self.superseded:
            by_reviewer[dropped.reviewer] = by_reviewer.get(dropped.reviewer, 0) + 1
        for reviewer, count in sorted(by_reviewer.items()):
            example = next(d for d in self.superseded if d.reviewer == reviewer)
            lines.append(
                f"{reviewer} decided {count} case{'s' if count != 1 else ''} twice; the newer "
                f"decision was kept (e.g. case '{example.case_id}': kept {example.kept}, "
                f"dropped {example.dropped})"
            )
        single = f" ({self.single} decided by one reviewer only)" if self.single else ""
        lines.append(
            f"{self.cases} cases: {self.unanimous} unanimous{single}, {self.conflicts} reviewer "
            f"conflicts ({self.settled_by_lead} settled by the lead, "
            f"{self.open_conflicts} open)"
        )
        if self.lead_own:
            lines.append(
                f"the lead's own review: {self.lead_own} case{'s' if self.lead_own != 1 else ''} "
                "decided before the reviews were merged (or that no reviewer saw), counted as "
                "one more reviewer's decision; save one again to settle its conflict"
            )
        lines.extend(spread.describe() for spread in self.rubrics)
        if self.output is not None:
            lines.append(f"wrote {self.output}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (``annotator merge --json``)."""
        return {
            "files": [
                {
                    "path": str(s.path),
                    "sha256": s.sha256,
                    "reviewers": list(s.reviewers),
                    "decisions": s.decisions,
                    "same_as": str(s.same_as) if s.same_as is not None else None,
                    "already_merged": s.already_merged,
                }
                for s in self.sources
            ],
            "superseded": len(self.superseded),
            "cases": self.cases,
            "unanimous": self.unanimous,
            "single": self.single,
            "conflicts": self.conflicts,
            "settled_by_lead": self.settled_by_lead,
            "open_conflicts": self.open_conflicts,
            "lead_own": self.lead_own,
            "rubric_versions": [
                {"criterion": s.criterion, "reviewers": {r: list(v) for r, v in s.reviewers}}
                for s in self.rubrics
            ],
            "output": str(self.output) if self.output is not None else None,
        }
