"""Opening a workspace database: pragmas, schema version, migrations."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from annotator.storage import tables  # noqa: F401  (registers the tables)

SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
CACHE_KIB = 32 * 1024

Migration = Callable[[sqlite3.Connection], None]


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Schema 2: reviewers' decisions merged in by a lead (``review``, ``merge_source``)."""
    conn.execute("ALTER TABLE cases ADD COLUMN review_state INTEGER NOT NULL DEFAULT '0'")
    _create(conn, new_tables=("merge_source", "review"), indexes=("ix_cases_review_state",))


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}
"""``MIGRATIONS[n]`` upgrades a version ``n`` database to ``n + 1``."""


def _create(
    conn: sqlite3.Connection, new_tables: tuple[str, ...], indexes: tuple[str, ...]
) -> None:
    """Create ``new_tables`` (with their indexes) and ``indexes`` of existing tables.

    Uses the DDL a new workspace is made with, so an upgraded workspace has exactly its schema.
    """
    from sqlalchemy.dialects import sqlite as dialect
    from sqlalchemy.schema import CreateIndex, CreateTable

    def run(ddl: Any) -> None:
        conn.execute(str(ddl.compile(dialect=dialect.dialect())))

    meta = SQLModel.metadata
    for name in new_tables:
        table = meta.tables[name]
        run(CreateTable(table))
        for index in table.indexes:
            run(CreateIndex(index))
    for table in meta.tables.values():
        for index in table.indexes:
            if index.name in indexes:
                run(CreateIndex(index))


class WorkspaceError(Exception):
    """A workspace cannot be opened; the message says why, for the user."""


class WorkspaceBusy(WorkspaceError):
    """Another connection held the workspace's write lock for longer than the busy timeout
    (another window or command writing a long import, say): nothing was written. The message
    is SQLite's ("database is locked")."""


def is_workspace_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False


BUSY_SECONDS = 10.0
"""How long a write waits for another connection's write lock by default."""


def _on_connect(dbapi_conn: sqlite3.Connection, busy_seconds: float) -> None:
    # Let SQLAlchemy control transactions (see its pysqlite notes) and make them durable.
    dbapi_conn.isolation_level = None
    # Unicode-aware case folding for search (SQLite's LIKE folds ASCII letters only).
    dbapi_conn.create_function("casefold", 1, _casefold, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000):d}")
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA journal_mode = WAL")  # ignored (stays "memory") for in-memory databases
    # 32 MB of page cache (the default is 2 MB): the indexes of a million cases are tens of MB.
    cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    cur.close()


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def driver_connection(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy one, for the bulk paths that go straight
    through it (a million rows through SQLAlchemy's result rows would take twice as long)."""
    dbapi = conn.connection.driver_connection
    assert isinstance(dbapi, sqlite3.Connection)
    return dbapi


def _on_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction that takes SQLite's write lock at its start (BEGIN IMMEDIATE).

    A transaction that reads first and writes later fails at once ("database is locked") if
    another connection wrote meanwhile; one that asks for the lock up front waits for it
    (busy_timeout) instead. Every write goes through here. Raises :class:`WorkspaceBusy` when
    the lock did not come within the busy timeout.
    """
    try:
        with engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn
    except OperationalError as exc:
        if is_busy(exc):
            raise WorkspaceBusy(str(exc.orig)) from exc
        raise


def is_busy(exc: OperationalError) -> bool:
    """Whether SQLite gave up waiting for another connection's lock."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc.orig) or "busy" in str(exc.orig)


def open_engine(path: Path | None, busy_seconds: float = BUSY_SECONDS) -> Engine:
    """An engine on the workspace at ``path`` (None: a private in-memory database).

    Creates the schema in a new file, upgrades an older one (after a backup) and refuses a
    database written by a newer version of the app. ``busy_seconds``: how long a write waits
    for another connection's write lock before it gives up (:class:`WorkspaceBusy`).
    """
    if path is not None:
        path = Path(path)
        if path.exists() and path.stat().st_size and not is_workspace_file(path):
            raise WorkspaceError(f"{path.name} is not an annotator workspace (not a SQLite file)")
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = "sqlite://"
    # One shared connection for an in-memory database, or each thread would see its own.
    pool = {"poolclass": StaticPool} if path is None else {}
    engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
    event.listen(engine, "connect", lambda dbapi, _record: _on_connect(dbapi, busy_seconds))
    event.listen(engine, "begin", _on_begin)
    try:
        _prepare(engine, path)
    except Exception:
        engine.dispose()
        raise
    return engine


def _prepare(engine: Engine, path: Path | None) -> None:
    with engine.connect() as conn:
        if path is not None:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            if str(mode).lower() != "wal":
                raise WorkspaceError(f"cannot use write-ahead logging on {path}")
        try:
            version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
            has_tables = bool(
                conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                ).scalar()
            )
        except Exception as exc:  # a damaged or encrypted file
            raise WorkspaceError(f"cannot read workspace {path}: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise WorkspaceError(
            f"{path.name if path else 'workspace'} was written by a newer annotator "
            f"(schema {version}; this version reads up to {SCHEMA_VERSION}). "
            "Please update annotator."
        )
    if not has_tables:
        SQLModel.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    if version < SCHEMA_VERSION:
        _migrate(engine, path, version)


def _migrate(engine: Engine, path: Path | None, version: int) -> None:
    if version == 0 or any(v not in MIGRATIONS for v in range(version, SCHEMA_VERSION)):
        raise WorkspaceError(f"cannot upgrade workspace schema {version} to {SCHEMA_VERSION}")
    if path is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(path, backup)
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)
        for step in range(version, SCHEMA_VERSION):
            dbapi.execute("BEGIN")
            MIGRATIONS[step](dbapi)
            dbapi.execute(f"PRAGMA user_version = {step + 1}")
            dbapi.execute("COMMIT")
    finally:
        raw.close()
