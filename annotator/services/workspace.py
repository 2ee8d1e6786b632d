"""A workspace: one SQLite file holding a project, its cases and the reviewer's decisions."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session, select

from annotator import __version__, paths
from annotator.domain.model import LabelScheme, Project
from annotator.domain.serialize import canonical_json
from annotator.storage.db import WorkspaceError, is_workspace_file, open_engine
from annotator.storage.tables import ProjectRow, SchemeRow

WORKSPACE_SUFFIX = ".annotator"

__all__ = ["Workspace", "WorkspaceError", "default_workspace_for", "now_iso", "WORKSPACE_SUFFIX"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def default_workspace_for(case_file: Path) -> Path:
    """Where a case file's workspace lives when the user names none: the user data folder."""
    resolved = case_file.resolve()
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:8]
    stem = re.sub(r"[^\w.-]+", "_", resolved.stem)[:60] or "cases"
    return paths.workspaces_dir() / f"{stem}-{digest}{WORKSPACE_SUFFIX}"


class Workspace:
    """An open workspace. Cheap to pass around; every operation opens its own short session."""

    def __init__(self, engine: Engine, path: Path | None) -> None:
        self.engine = engine
        self.path = path

    @classmethod
    def open(cls, path: Path | str | None) -> Workspace:
        """Open (or create) the workspace at ``path``; None gives a throwaway in-memory one."""
        p = Path(path) if path is not None else None
        ws = cls(open_engine(p), p)
        with Session(ws.engine) as session:
            if session.get(ProjectRow, 1) is None:
                session.add(ProjectRow(id=1, created_at=now_iso(), app_version=__version__))
                session.commit()
        return ws

    @staticmethod
    def is_workspace(path: Path) -> bool:
        """A SQLite file, or (when it does not exist yet) a name ending in .annotator."""
        if path.exists():
            return is_workspace_file(path) or (
                path.suffix == WORKSPACE_SUFFIX and path.is_file() and path.stat().st_size == 0
            )
        return path.suffix == WORKSPACE_SUFFIX

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
            paths = [p for (p,) in conn.execute(text("SELECT DISTINCT path FROM import_batch"))]
        wanted = case_file.resolve()
        return any(Path(p).resolve() == wanted for p in paths)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def name(self) -> str:
        return self.path.name if self.path else "in-memory workspace"

    def project(self) -> Project:
        with Session(self.engine) as session:
            row = session.get(ProjectRow, 1)
            schemes = {s.criterion: scheme_of(s) for s in session.exec(select(SchemeRow)).all()}
        if row is None:
            raise WorkspaceError(f"{self.name} has no project record")
        return Project(row.title, row.guidelines, schemes, row.fingerprint)

    def case_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM cases")).scalar() or 0)


def store_fingerprint(conn: Connection) -> str:
    """Recompute and store the project fingerprint: the label schemes and every case's hash.

    Two reviewers' files with the same fingerprint were made from the same cases.
    """
    schemes = {
        crit: {"labels": json.loads(labels), "ordinal": bool(ordinal)}
        for crit, labels, ordinal in conn.execute(
            text("SELECT criterion, labels, ordinal FROM scheme ORDER BY criterion")
        )
    }
    digest = hashlib.sha256(canonical_json(schemes).encode("utf-8"))
    for (case_hash,) in conn.execute(text("SELECT content_hash FROM cases ORDER BY ext_id")):
        digest.update(case_hash.encode("ascii"))
    fingerprint = f"sha256:{digest.hexdigest()}"
    conn.execute(text("UPDATE project SET fingerprint = :f WHERE id = 1"), {"f": fingerprint})
    return fingerprint


def workspace_files(path: Path) -> list[Path]:
    """A workspace file and the write-ahead log files SQLite keeps beside it."""
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


def remove_workspace(path: Path) -> None:
    """Delete a workspace file with its write-ahead log (for one that was never used)."""
    for file in workspace_files(path):
        file.unlink(missing_ok=True)


def scheme_of(row: SchemeRow) -> LabelScheme:
    return LabelScheme(tuple(json.loads(row.labels)), row.ordinal, row.threshold, row.rubric)
