"""What a merge says it did: the files read, the decisions dropped, the cases settled or not."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

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

    @property
    def open_conflicts(self) -> int:
        return self.conflicts - self.settled_by_lead

    def count(self, cases: Iterable[MergedCase]) -> None:
        """Set the counts from the merged cases."""
        self.cases = self.unanimous = self.single = 0
        self.conflicts = self.settled_by_lead = 0
        for case in cases:
            self.cases += 1
            if case.in_conflict:
                self.conflicts += 1
                self.settled_by_lead += case.lead is not None
            elif case.reviews:
                self.unanimous += 1
                self.single += len(case.reviews) == 1

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
        if self.output is not None:
            lines.append(f"wrote {self.output}")
        return "\n".join(lines)
