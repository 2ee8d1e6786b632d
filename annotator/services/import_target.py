"""The workspace a case file is imported into: opened (or made) for the import, and removed
again when an import into a workspace made for it fails."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from annotator.services.workspace import (
    BUSY_SECONDS,
    OnWait,
    Workspace,
    default_workspace_for,
    remove_workspace,
)


@dataclass(frozen=True)
class ImportTarget:
    """The workspace a case file is imported into, and whether it was made for the import.

    A workspace made for an import that then fails (or is cancelled) holds nothing: the
    import's caller :meth:`abandon` s it, which removes it, so that no empty workspace is left
    behind. One that existed before is only closed.
    """

    ws: Workspace
    created: bool

    @classmethod
    def open(
        cls,
        case_file: Path,
        workspace: Path | None = None,
        *,
        busy_seconds: float = BUSY_SECONDS,
        on_wait: OnWait | None = None,
    ) -> ImportTarget:
        """Open ``workspace`` (default: the case file's own, in the user data folder),
        making it if it does not exist. Raises ``WorkspaceError``. ``busy_seconds`` and
        ``on_wait``: as for :meth:`Workspace.open`."""
        target = workspace or default_workspace_for(case_file)
        existed = target.exists()
        try:
            ws = Workspace.open(target, busy_seconds=busy_seconds, on_wait=on_wait)
        except BaseException:  # (Ctrl+C while it was being made, say: none is left behind)
            if not existed:
                with contextlib.suppress(OSError):  # (held open on Windows: reused next time)
                    remove_workspace(target)
            raise
        # One that holds nothing yet (an import into it was killed before its commit) is
        # reused, and counts as made for this import.
        return cls(ws, not existed or ws.never_imported())

    def abandon(self) -> None:
        """The import failed: close the workspace, and remove it if it was made for the
        import and holds no case."""
        if self.created and self.ws.case_count() == 0:
            self.ws.close_and_remove()
        else:
            self.ws.close()
