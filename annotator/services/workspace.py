"""A workspace: one SQLite file holding a project, its cases and the reviewer's decisions."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from annotator import __version__, paths
from annotator.domain.model import Project
from annotator.storage import cases, schemes
from annotator.storage import project as stored_project
from annotator.storage.db import (
    BUSY_SECONDS,
    NotAWorkspace,
    OnWait,
    WorkspaceBusy,
    WorkspaceCorrupt,
    WorkspaceError,
    WorkspaceFull,
    WorkspaceReadOnly,
    close_to_remove,
    hold_writes,
    is_read_only,
    is_workspace_file,
    open_engine,
    set_on_wait,
)

WORKSPACE_SUFFIX = ".annotator"

__all__ = [
    "BUSY_SECONDS",
    "Clock",
    "NotAWorkspace",
    "OnWait",
    "Workspace",
    "WorkspaceBusy",
    "WorkspaceCorrupt",
    "WorkspaceError",
    "WorkspaceFull",
    "WorkspaceReadOnly",
    "default_workspace_for",
    "now_iso",
    "WORKSPACE_SUFFIX",
]

Clock = Callable[[], str]
"""What the services ask for the time (UTC, ISO 8601): :func:`now_iso`, or a test's clock."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def default_workspace_for(case_file: Path) -> Path:
    """Where a case file's workspace lives when the user names none: the user data folder."""
    resolved = case_file.resolve()
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:8]
    stem = re.sub(r"[^\w.-]+", "_", resolved.stem)[:60] or "cases"
    return paths.workspaces_dir() / f"{stem}-{digest}{WORKSPACE_SUFFIX}"


def workspace_of(path: Path) -> Path:
    """The workspace a command given ``path`` works on: ``path`` itself if it is a workspace;
    for a case file, the workspace the window (or ``annotator import`` without
    ``--workspace``) made for it in the user data folder, when there is one; else ``path``."""
    if Workspace.is_workspace(path) or not path.is_file():
        return path
    made = default_workspace_for(path)
    return made if made.is_file() and Workspace.holds_import_of(made, path) else path


class Workspace:
    """An open workspace. Cheap to pass around; every operation opens its own short session."""

    def __init__(self, engine: Engine, path: Path | None) -> None:
        self.engine = engine
        self.path = path

    @classmethod
    def open(
        cls,
        path: Path | str | None,
        *,
        busy_seconds: float = BUSY_SECONDS,
        clock: Clock = now_iso,
        on_wait: OnWait | None = None,
    ) -> Workspace:
        """Open (or create) the workspace at ``path``; None gives a throwaway in-memory one.

        A foreign, damaged or too new file is refused unchanged (a :class:`WorkspaceError`);
        one this process may not write is opened read-only (:attr:`read_only`), so that it
        can be read and exported, and every write raises :class:`WorkspaceReadOnly`.

        ``busy_seconds``: how long a write waits for another connection's write lock before
        it gives up with :class:`WorkspaceBusy`; ``on_wait`` is told the seconds waited so
        far, about twice a second, while it waits."""
        p = Path(path) if path is not None else None
        ws = cls(open_engine(p, busy_seconds, on_wait), p)
        try:
            if ws.read_only:
                if ws._project_record_missing():
                    raise WorkspaceReadOnly(
                        f"{ws.name} is read-only and has no project yet: nothing to show"
                    )
            else:
                stored_project.ensure_project(ws.engine, clock(), __version__)
        except BaseException:
            ws.close()
            raise
        return ws

    @property
    def read_only(self) -> bool:
        """Opened read-only: the file, its folder or its disk may not be written."""
        return is_read_only(self.engine)

    def hold_writes(self, why: str | None) -> None:
        """Refuse every write from now on with :class:`WorkspaceReadOnly` saying ``why`` (it
        is open in another window, say); None allows them again. :attr:`read_only` follows."""
        hold_writes(self.engine, why)

    def set_on_wait(self, on_wait: OnWait | None) -> None:
        """Who is told while a write waits for another program's lock on the workspace."""
        set_on_wait(self.engine, on_wait)

    def _project_record_missing(self) -> bool:
        with self.engine.connect() as conn:
            return stored_project.project(conn) is None

    @staticmethod
    def is_workspace(path: Path) -> bool:
        """A SQLite file, or a name ending in .annotator: such a file that is not SQLite is a
        damaged workspace (refused by :meth:`open`), not a case file."""
        return path.suffix == WORKSPACE_SUFFIX or (path.exists() and is_workspace_file(path))

    @staticmethod
    def holds_import_of(workspace: Path, case_file: Path) -> bool:
        """True when ``workspace`` has cases imported from ``case_file`` (by resolved path)."""
        try:
            ws = Workspace.open(workspace)
        except WorkspaceError:
            return False
        try:
            return ws.case_count() > 0 and ws.imported_from(case_file)
        finally:
            ws.close()

    def imported_from(self, case_file: Path) -> bool:
        """True when cases were imported from ``case_file`` (compared by resolved path)."""
        with self.engine.connect() as conn:
            imported = cases.imported_paths(conn)
        wanted = case_file.resolve()
        return any(Path(p).resolve() == wanted for p in imported)

    def imported_files(self) -> list[str]:
        """The case files imported into this workspace, as their paths were given."""
        with self.engine.connect() as conn:
            return sorted(set(cases.imported_paths(conn)))

    def close(self) -> None:
        self.engine.dispose()

    def close_and_remove(self) -> None:
        """Close the workspace and delete its files (one that holds nothing worth keeping: made
        for an import that failed). Its connections close without syncing to the disk what
        is deleted next (``storage.db.close_to_remove``)."""
        close_to_remove(self.engine)
        if self.path is not None:
            remove_workspace(self.path)

    @property
    def name(self) -> str:
        return self.path.name if self.path else "in-memory workspace"

    def project(self) -> Project:
        with self.engine.connect() as conn:
            record = stored_project.project(conn)
            by_criterion = schemes.label_schemes(conn)
        if record is None:
            raise WorkspaceError(f"{self.name} has no project record")
        return Project(record.title, record.guidelines, by_criterion, record.fingerprint)

    def never_imported(self) -> bool:
        """No case, and no import was ever recorded (a new workspace, or one whose first
        import was killed before it committed)."""
        with self.engine.connect() as conn:
            return cases.count(conn) == 0 and not cases.imported_paths(conn)

    def case_count(self) -> int:
        with self.engine.connect() as conn:
            return cases.count(conn)


def workspace_files(path: Path) -> list[Path]:
    """A workspace file and the files SQLite keeps beside it: its write-ahead log and the
    log's index, and the rollback journal of a first import filling it (``db.filling``)."""
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]


def remove_workspace(path: Path) -> None:
    """Delete a workspace file with its write-ahead log (for one that was never used)."""
    for file in workspace_files(path):
        file.unlink(missing_ok=True)
