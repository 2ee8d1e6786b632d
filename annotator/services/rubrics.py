"""Rubric versions: read a criterion's rubric and guidelines as of any version, compare two,
and edit them (each edit is a new version, with its time, author and note).

The guidelines are the project's, shared by every criterion: an edit that changes them is a new
version of every criterion (each keeps its own rubric), since every decision was taken under
them. The decisions taken under an older version than their criterion's current one are
*stale*: the queue marks them and lists them (``QueueFilter.stale``); deciding such a case
again, even with the same label, stamps it with the current version (``ReviewService.decide``).
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.domain.rubric_versions import RubricVersion, version_diff
from annotator.services.changes import Changes
from annotator.services.workspace import Clock, Workspace, now_iso
from annotator.storage import project, rubric_versions, schemes
from annotator.storage.db import writing


class RubricError(ValueError):
    """A rubric edit or a version that cannot be; the message says why, for the user."""


@dataclass(frozen=True)
class RubricEdit:
    """What an edit made: the new version of each criterion it changed, and how many
    decisions are now stale (taken under an older version)."""

    versions: tuple[RubricVersion, ...]
    stale: int
    changes: Changes = Changes(queue=True)
    """The queue's marks (and the case shown) are read again."""

    def describe(self) -> str:
        made = ", ".join(f"{v.criterion or '(default)'} v{v.version}" for v in self.versions)
        return f"Rubric saved as {made}; {self.stale} decision(s) were taken under an older one."


def criteria(ws: Workspace) -> list[str]:
    with ws.engine.connect() as conn:
        return schemes.criteria(conn)


def versions(ws: Workspace, criterion: str) -> list[RubricVersion]:
    """Every version of ``criterion``, oldest first (the last is the current one)."""
    with ws.engine.connect() as conn:
        found = rubric_versions.versions(conn, criterion)
    if not found:
        raise RubricError(f"no criterion {_name(criterion)} in this workspace")
    return found


def current(ws: Workspace, criterion: str) -> RubricVersion:
    return versions(ws, criterion)[-1]


def version(ws: Workspace, criterion: str, number: int) -> RubricVersion:
    """Version ``number`` of ``criterion``'s rubric."""
    found = versions(ws, criterion)
    for v in found:
        if v.version == number:
            return v
    raise RubricError(
        f"{_name(criterion)} has no rubric version {number}: it has versions 1 to "
        f"{found[-1].version}"
    )


def diff(ws: Workspace, criterion: str, old: int, new: int) -> str:
    """A plain-text unified diff from version ``old`` to version ``new``."""
    return version_diff(version(ws, criterion, old), version(ws, criterion, new))


def stale_count(ws: Workspace, criterion: str | None = None) -> int:
    """How many decisions were taken under an older rubric than their criterion's current."""
    with ws.engine.connect() as conn:
        return rubric_versions.stale_count(conn, criterion)


def edit(
    ws: Workspace,
    criterion: str,
    *,
    note: str,
    author: str,
    rubric: str | None = None,
    guidelines: str | None = None,
    clock: Clock = now_iso,
) -> RubricEdit:
    """Change ``criterion``'s rubric and/or the guidelines (None: unchanged), with a note on
    what changed and why: one transaction that writes the new version(s), the scheme's rubric
    and the project's guidelines. Refused when the note is empty or nothing changed."""
    if not note.strip():
        raise RubricError("Say what changed and why: a rubric edit needs a note.")
    now = clock()
    with writing(ws.engine) as conn:
        found = rubric_versions.versions(conn, criterion)
        if not found:
            raise RubricError(f"no criterion {_name(criterion)} in this workspace")
        latest = found[-1]
        new_rubric = latest.rubric if rubric is None else rubric
        new_guidelines = latest.guidelines if guidelines is None else guidelines
        if new_rubric == latest.rubric and new_guidelines == latest.guidelines:
            raise RubricError(
                f"Nothing to save: the rubric and guidelines of {_name(criterion)} are as in "
                f"its version {latest.version}."
            )
        touched = [criterion]
        if new_guidelines != latest.guidelines:  # the guidelines are every criterion's
            touched = [criterion, *(c for c in schemes.criteria(conn) if c != criterion)]
        for crit in touched:  # (each criterion's version 1 has the guidelines as they were)
            rubric_versions.ensure_first(conn, crit)
        project.set_guidelines(conn, new_guidelines)
        made = []
        for crit in touched:
            before = rubric_versions.versions(conn, crit)[-1]
            text = new_rubric if crit == criterion else before.rubric
            made.append(
                RubricVersion(
                    crit, before.version + 1, text, new_guidelines, now, author, note.strip()
                )
            )
            rubric_versions.add_version(conn, made[-1])
            schemes.set_rubric(conn, crit, text)
        stale = rubric_versions.stale_count(conn)
    return RubricEdit(tuple(made), stale)


def _name(criterion: str) -> str:
    return f"'{criterion}'" if criterion else "the default criterion"
