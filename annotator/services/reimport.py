"""The same case file imported again with another mapping: replaced (``--replace``) while no
reviewer has worked on its cases, else refused with what to do.

- :func:`replace_earlier` runs first in an import's transaction: with ``replace``, it removes
  the earlier imports of the same file (so a refused or cancelled import leaves them, all or
  nothing); without, it refuses a file imported before with another mapping
  (:class:`ImportWouldReplace`: the dialog offers to replace, the command line says how).
- :func:`collision_hint` words the same for a case whose content changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from annotator.formats.errors import FileRefused
from annotator.storage import reimport
from annotator.storage.reimport import Held


class ImportWouldReplace(FileRefused):
    """The file was imported into the workspace before, differently: nothing was imported.
    ``cases``: the earlier import's cases; ``held``: what reviewers did on them (when any,
    a replacement is refused, else ``replace=True`` replaces them)."""

    def __init__(self, path: Path, message: str, cases: int, held: Held) -> None:
        super().__init__(path, message)
        self.cases = cases
        self.held = held

    @property
    def can_replace(self) -> bool:
        return not self.held.any


def replace_earlier(
    conn: Connection,
    path: Path,
    recorded: Mapping[str, Any],
    *,
    replace: bool,
    workspace: Path | str,
) -> int:
    """Before importing ``path`` with the mapping ``recorded`` (as the import records it):
    see the module's docstring. How many cases were removed."""
    earlier = reimport.earlier_imports(conn, str(path.resolve()))
    if not earlier or not replace and all(e.mapping == dict(recorded) for e in earlier):
        return 0
    ids = [e.import_id for e in earlier]
    cases = sum(e.cases for e in earlier)
    held = reimport.held(conn, ids)
    if held.any:
        raise ImportWouldReplace(path, _why_not(cases, held, workspace), cases, held)
    if not replace:
        raise ImportWouldReplace(
            path,
            f"was imported into {workspace} before with another mapping ({_cases(cases)}); to "
            "replace them with this import, add --replace (no reviewer has worked on them yet)",
            cases,
            held,
        )
    return reimport.remove_imports(conn, ids)


def collision_hint(conn: Connection, path: Path, stored_from: str, workspace: Path | str) -> str:
    """For a case of ``path`` stored before with other content (from ``stored_from``): when
    that was the same file, how to replace its earlier import, or why it cannot be."""
    if Path(stored_from) != path.resolve():
        return ""
    earlier = reimport.earlier_imports(conn, str(path.resolve()))
    if not earlier:
        return ""
    cases = sum(e.cases for e in earlier)
    held = reimport.held(conn, [e.import_id for e in earlier])
    if held.any:
        return f"; {_why_not(cases, held, workspace)}"
    return (
        f"; the same file was imported before ({_cases(cases)}, no reviewer has worked on "
        "them yet): --replace replaces that import with this one"
    )


def _why_not(cases: int, held: Held, workspace: Path | str) -> str:
    done = [
        f"{held.decided} decided or skipped" if held.decided else "",
        f"{held.drafts} with a draft" if held.drafts else "",
        f"{held.reviews} reviewers' decisions merged" if held.reviews else "",
    ]
    what = ", ".join(d for d in done if d)
    return (
        f"its earlier import into {workspace} ({_cases(cases)}) cannot be replaced: reviewers "
        f"have worked on them ({what}), which replacing would lose; export the decisions first "
        f"(annotator export {workspace} -o decisions.jsonl --all), or import into a new "
        "workspace (--workspace NEW.annotator)"
    )


def _cases(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"
