"""What an import did: the counts, the first line problems, the kinds of the cases added, and
how a command prints it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from annotator.domain.model import Kind
from annotator.formats.errors import LineProblem
from annotator.formats.join import JoinResult
from annotator.services.changes import MORE_CASES, Changes


@dataclass
class ImportReport:
    path: Path
    added: int = 0
    present: int = 0
    """Cases already in the workspace with the same content, left as they were."""
    skipped: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    """The first reported line problems (at most 1,000)."""
    kinds: Counter[str] = field(default_factory=Counter)
    """Disagreement kinds of the cases added."""
    join: JoinResult | None = None
    """How the joined files met the case file (formats/join.py), when files were joined."""

    @property
    def changes(self) -> Changes:
        """What the import changed in its workspace (cases, perhaps their schemes)."""
        return MORE_CASES

    @property
    def disagreements(self) -> int:
        return sum(n for k, n in self.kinds.items() if Kind(k).is_disagreement)

    def describe_problems(self, limit: int = 20) -> list[str]:
        lines = [p.describe(self.path) for p in self.problems[:limit]]
        if self.skipped > limit:
            lines.append(f"… and {self.skipped - limit} more skipped lines")
        return lines

    def to_json(self, workspace: Path | None, cases: int) -> str:
        """The counts for a script: the import into ``workspace``, which now has ``cases``."""
        return json.dumps(
            {
                "workspace": str(workspace),
                "file": str(self.path),
                "cases": cases,
                "added": self.added,
                "already_present": self.present,
                "skipped_lines": self.skipped,
                "disagreements": self.disagreements,
                "kinds": {k.value: self.kinds.get(k.value, 0) for k in Kind},
                **({"join": self.join.to_json()} if self.join is not None else {}),
            },
            indent=2,
        )

    def describe(self, workspace: Path | None) -> str:
        """The counts for people, in a terminal."""
        lines = [
            f"Imported {self.path.name} into {workspace}",
            f"  cases added      {self.added:>8}",
            f"  already present  {self.present:>8}",
            f"  lines skipped    {self.skipped:>8}",
            f"  disagreements    {self.disagreements:>8}",
        ]
        lines += [f"    {k.caption:<22}{self.kinds.get(k.value, 0):>6}" for k in Kind]
        if self.join is not None:
            lines += self.join.describe(self.path.name)
        return "\n".join(lines)
