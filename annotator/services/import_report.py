"""What an import did: the counts, the first line problems, the kinds of the cases added, and
how a command prints it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from annotator.domain.model import Kind
from annotator.formats.errors import LineProblem
from annotator.formats.join_index import JoinResult
from annotator.formats.label_counts import LabelCounts, table
from annotator.formats.rounding import Between
from annotator.formats.values import NoVerdictCount
from annotator.formats.wide import WideLayout
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
    no_verdict: NoVerdictCount = field(default_factory=NoVerdictCount)
    """Cases where the judge gave no verdict (``--labels judge:VALUE=``): not imported,
    not counted as skipped lines."""
    labels: LabelCounts | None = None
    """The count of each label value per source (formats/label_counts.py)."""
    ignored: list[str] = field(default_factory=list)
    """The file's fields no mapping reads that look like ratings or a judge's output."""
    rated: int = 0
    """Cases read (added or present) with at least one rating."""
    replaced: int = 0
    """Cases of an earlier import of the same file that this one replaced."""
    mapped: bool = False
    """The file was read through a mapping (``--map``, a preset, joined files)."""
    join: JoinResult | None = None
    """How the joined files met the case file (formats/join.py), when files were joined."""
    wide: WideLayout | None = None
    """Many criteria in one row: the columns of each criterion (formats/wide.py)."""
    criteria: dict[str, tuple[dict[str, int], int]] = field(default_factory=dict)
    """With ``wide``: per criterion, the cases added of each kind, and their ratings."""
    between: Between | None = None
    """Scores between a numeric scale's labels: rounded, or left (formats/rounding.py)."""

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

    def notes(self) -> list[str]:
        """Cases with no verdict, a replaced import, fields left out: for people."""
        notes = [self.no_verdict.describe()] if self.no_verdict.cases else []
        notes += self.between.notes() if self.between is not None else []
        if self.replaced:
            notes.append(f"replaced the {self.replaced} cases of its earlier import")
        if self.ignored:
            notes.append(
                f"ignored fields (they look like ratings or a judge's output, and no mapping "
                f"reads them): {', '.join(self.ignored)}"
            )
        return notes

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
                "no_verdict": self.no_verdict.to_json(),
                "ignored_fields": self.ignored,
                "replaced": self.replaced,
                "labels": self.labels.to_json() if self.labels is not None else None,
                "warnings": warnings(self),
                "between": self.between.to_json() if self.between is not None else None,
                **({"join": self.join.to_json()} if self.join is not None else {}),
                **({"wide": self.wide.to_json(self.criteria)} if self.wide is not None else {}),
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
        lines += self.notes()
        if self.join is not None:
            lines += self.join.describe(self.path.name)
        if self.wide is not None:
            lines += self.wide.report(self.criteria)
        return "\n".join(lines)


MOST_SKIPPED = 0.5
"""An import that skips more than this share of its records stops and asks."""


def warnings(report: ImportReport) -> list[str]:
    """What an import should not do without the user's word (the command line's ``--yes``):
    label values that do not match between the judge and the raters, or rare ones
    (formats/label_counts.py); every case unrated, when a mapping or fields left out may be
    why (a file in our own field names with no ratings is a judge's alone); most records
    skipped."""
    between = report.between.values() if report.between is not None else set()
    found = [
        w.message  # (a score between labels is said by ``between``, rounded or not)
        for w in (report.labels.warnings() if report.labels is not None else [])
        if not w.labels or not all((w.criterion, x) in between for x in w.labels)
    ]
    found += report.between.warnings() if report.between is not None else []
    read = report.added + report.present
    if read and not report.rated and (report.mapped or report.ignored):
        ignored = f" (fields not mapped: {', '.join(report.ignored)})" if report.ignored else ""
        found.append(f"no case has a rating, so none can disagree with the judge{ignored}")
    records = read + report.skipped + report.no_verdict.cases
    if records and report.skipped > MOST_SKIPPED * records:
        found.append(f"{report.skipped} of {records} records are skipped (see the lines above)")
    return found


class ImportUnconfirmed(Exception):
    """The import found what :func:`warnings` lists and was not confirmed: it was rolled
    back, nothing was imported. ``report`` holds the counts as they would have been."""

    def __init__(self, report: ImportReport, found: list[str]) -> None:
        self.report = report
        self.warnings = found
        super().__init__(f"{report.path.name}: " + "; ".join(found))

    def explain(self, command: str | None = None) -> str:
        """For a terminal: the warnings, the counts per source, and ``command`` (the import
        again with the suggested ``--labels``) when there is one."""
        lines = [f"{self.report.path.name}: nothing was imported:"]
        lines += [f"  - {w}" for w in self.warnings]
        if self.report.labels is not None and self.report.labels.criteria:
            lines += ["label values per source:", table(self.report.labels)]
        if command:
            lines += ["to map them (check it first):", f"  {command}"]
        lines.append("to import as it is, add --yes")
        return "\n".join(lines)
