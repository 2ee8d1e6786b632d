"""What a merge checks of the files: one project, one scale per criterion, the workspace's cases.

The checks of a file are made on its :class:`CheckPoint` lines (the first line of each project,
criterion, scale and label), not on every line; those of the cases (unknown to the workspace,
or read with different text) are gathered over every file and refused together at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotator.domain.merge import Scale
from annotator.formats.labelled import CheckPoint, criterion_name
from annotator.services.merge.members import MembersReader
from annotator.services.merge.report import MAX_LISTED, MergeError


@dataclass(frozen=True)
class ProjectFacts:
    """What a merge checks the files against: the workspace the pack was made from."""

    fingerprint: str
    title: str
    scales: dict[str, Scale]
    cases: dict[str, tuple[int, str]]
    """ext_id -> (row id, content hash)."""
    members: MembersReader | None = None
    """What the workspace says each case was (``members.py``), read when asked."""


@dataclass
class Checks:
    """The checks of one merge, and what they found so far."""

    facts: ProjectFacts | None
    """The workspace checked against; None: the files are checked against each other only."""
    projects: dict[str, tuple[Path, str]] = field(default_factory=dict)
    """The project fingerprint of the files (one), and the first file's path and title."""
    titles: set[str] = field(default_factory=set)
    """The project titles the files give (a reviewer's workspace may name the project after
    its case file): the merged file takes the first in alphabetical order, whatever the order
    of the files."""
    scales: dict[str, tuple[Scale, Path]] = field(default_factory=dict)
    """Each criterion's scale, and the first file that had it."""
    unknown: list[str] = field(default_factory=list)
    """Cases that are not in the workspace (the first ``MAX_LISTED``, then empty strings)."""
    mismatches: list[str] = field(default_factory=list)
    """Cases read with another content hash than before."""

    def check(self, line: CheckPoint, path: Path) -> None:
        """Refuse a file whose project or scale differ from the others' (or the workspace's)."""
        self._check_project(line, path)
        self._check_scale(line, path)

    def add_unknown(self, where: str, case_id: str) -> None:
        self.unknown.append(f"{where}: case '{case_id}'" if len(self.unknown) < MAX_LISTED else "")

    def refuse_cases(self) -> None:
        """Refuse the merge if a case is unknown, or was read with different text."""
        if self.unknown:
            listed = [u for u in self.unknown if u]
            more = len(self.unknown) - len(listed)
            raise MergeError(
                "cases that are not in this project (was the pack made from another case file?):\n"
                + "\n".join(listed)
                + (f"\n…and {more} more" if more else "")
            )
        if self.mismatches:
            more = len(self.mismatches) - MAX_LISTED
            raise MergeError(
                "the reviewers saw different text for the same case (its content hash differs), "
                "so their decisions cannot be merged:\n"
                + "\n".join(self.mismatches[:MAX_LISTED])
                + (f"\n…and {more} more" if more > 0 else "")
            )

    def project(self) -> tuple[str, str]:
        """The fingerprint and title of the project merged ("" when no file was read)."""
        if self.facts is not None:
            return self.facts.fingerprint, self.facts.title
        if self.projects:
            return next(iter(self.projects)), min(self.titles)
        return "", ""

    def found_scales(self) -> dict[str, Scale]:
        """The scales the files carry, by criterion (those of the workspace, against one)."""
        if self.facts is not None:
            return dict(self.facts.scales)
        return {criterion: scale for criterion, (scale, _) in self.scales.items()}

    def _check_project(self, line: CheckPoint, path: Path) -> None:
        facts, projects = self.facts, self.projects
        if facts is not None:
            if line.project != facts.fingerprint:
                raise MergeError(
                    f"{path.name} is from another project: its cases differ from this "
                    f"workspace's (fingerprint {short(line.project)} '{line.project_title}', the "
                    f"workspace has {short(facts.fingerprint)} '{facts.title}'). Merge only the "
                    "files exported from this review pack."
                )
            return
        self.titles.add(line.project_title)
        if line.project in projects:
            return
        if projects:
            other_path, other_title = next(iter(projects.values()))
            other = next(iter(projects))
            raise MergeError(
                f"{path.name} is from another project than {other_path.name}: fingerprint "
                f"{short(line.project)} '{line.project_title}' against {short(other)} "
                f"'{other_title}'. Merge only the files exported from one review pack."
            )
        projects[line.project] = (path, line.project_title)

    def _check_scale(self, line: CheckPoint, path: Path) -> None:
        criterion, facts = line.criterion, self.facts
        expected = facts.scales.get(criterion) if facts is not None else None
        if facts is not None and expected is None:
            raise MergeError(
                f"{path.name}, line {line.line}: the workspace has no criterion '{criterion}'"
            )
        if expected is not None:
            if line.label not in expected.labels:
                raise MergeError(
                    f"{path.name}, line {line.line}: case '{line.id}' has label "
                    f"'{line.label}', which is not one of the labels of "
                    f"{criterion_name(criterion)} ({', '.join(expected.labels)})"
                )
            if line.scale is not None and not line.scale.agrees_with(expected):
                raise MergeError(
                    _label_sets(criterion, path, line.scale, "the workspace", expected)
                )
            return
        if line.scale is None:
            return
        known = self.scales.get(criterion)
        if known is None or (known[0].threshold is None and line.scale.agrees_with(known[0])):
            self.scales[criterion] = (line.scale, path)  # (a file that says its threshold)
        elif not known[0].agrees_with(line.scale):
            raise MergeError(_label_sets(criterion, path, line.scale, known[1].name, known[0]))


def _label_sets(criterion: str, path: Path, got: Scale, other: str, expected: Scale) -> str:
    what = "label sets" if got.labels != expected.labels else "scales"
    if (got.labels, got.ordinal) == (expected.labels, expected.ordinal):
        what = "thresholds"  # (an ordinal scale's: the kinds and who was right follow it)
    return (
        f"the {what} don't match for {criterion_name(criterion)}: {path.name} has "
        f"{got.described()}, {other} has {expected.described()}"
    )


def short(digest: str) -> str:
    """A content hash or fingerprint shortened for a message."""
    return digest[:19] + "…" if len(digest) > 20 else digest
