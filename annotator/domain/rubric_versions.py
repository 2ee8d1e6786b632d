"""A criterion's rubric versions: what one version is, its hash, and the diff between two.

Version 1 is the rubric (and the reviewer guidelines) the project was imported with; each edit
in the app is the next version, with its time, author and a note on what changed and why.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

RUBRIC_GAP = "rubric gap"
"""The tag (in the default vocabulary) of a case the rubric did not decide: the agreement report
lists them with their rationales, as candidate rubric edits."""
FIRST_NOTE = "The rubric the project was imported with."
"""The note of a version 1 made from the imported rubric (it has no author)."""


def rubric_hash(rubric: str, guidelines: str) -> str:
    """``sha256:`` and the hex SHA-256 of the rubric's UTF-8 bytes, one NUL byte, then the
    guidelines' UTF-8 bytes (docs/formats.md, ``rubric_hash``). Two reviewers whose decisions
    carry the same hash decided under the same text, whatever its version number says."""
    digest = hashlib.sha256(rubric.encode("utf-8") + b"\x00" + guidelines.encode("utf-8"))
    return f"sha256:{digest.hexdigest()}"


@dataclass(frozen=True)
class RubricVersion:
    """One version of a criterion's rubric and the reviewer guidelines."""

    criterion: str
    version: int
    rubric: str
    guidelines: str
    created_at: str = ""
    author: str = ""
    note: str = ""

    @property
    def hash(self) -> str:
        return rubric_hash(self.rubric, self.guidelines)


def version_diff(old: RubricVersion, new: RubricVersion) -> str:
    """A plain-text unified diff from ``old`` to ``new``: the rubric's lines, then the
    guidelines' (a part that did not change says so)."""
    parts: list[str] = []
    for what, before, after in (
        ("rubric", old.rubric, new.rubric),
        ("guidelines", old.guidelines, new.guidelines),
    ):
        lines = list(
            difflib.unified_diff(
                before.splitlines(),
                after.splitlines(),
                f"{what} v{old.version}",
                f"{what} v{new.version}",
                lineterm="",
            )
        )
        parts.append("\n".join(lines) if lines else f"(the {what} did not change)")
    return "\n\n".join(parts) + "\n"
