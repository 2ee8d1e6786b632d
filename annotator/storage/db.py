"""Opening a workspace database: pragmas, schema version, migrations."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import sqlite3
import time
import urllib.parse
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from annotator.domain import split
from annotator.domain.serialize import blind_search_text
from annotator.storage import judge_runs, tables  # (tables registers the tables)

SCHEMA_VERSION = 3
SQLITE_MAGIC = b"SQLite format 3\x00"
CACHE_KIB = 32 * 1024

Migration = Callable[[sqlite3.Connection], None]


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Schema 2: reviewers' decisions merged in by a lead (``review``, ``merge_source``)."""
    conn.execute("ALTER TABLE cases ADD COLUMN review_state INTEGER NOT NULL DEFAULT '0'")
    _create(conn, 2, new_tables=("merge_source", "review"), indexes=("ix_cases_review_state",))


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Schema 3: the judge loop (judge runs, the held-out split's settings, calibration packs'
    examples) and blind-first review with rubric versions (first labels, the rubric version of
    each decision and merged review, the rubric's history); the search index built after an
    import (``project.search_pending_from``: an older workspace's index is complete; its
    triggers get the WHEN that skips rows not indexed yet)."""
    for column in (
        "heldout_fraction FLOAT NOT NULL DEFAULT '0.5'",
        "split_seed INTEGER NOT NULL DEFAULT '0'",
        "blind_first BOOLEAN NOT NULL DEFAULT '0'",
        "random_order BOOLEAN NOT NULL DEFAULT '0'",
        "search_pending_from INTEGER",
    ):
        conn.execute(f"ALTER TABLE project ADD COLUMN {column}")
    for trigger in ("case_text_ad", "case_text_au"):
        conn.execute(f"DROP TRIGGER {trigger}")
    for statement in tables.SEARCH_TRIGGERS:
        conn.execute(statement)
    conn.execute("ALTER TABLE decision ADD COLUMN rubric_version INTEGER NOT NULL DEFAULT '1'")
    for column in (
        "blind_label VARCHAR",
        "revealed_at VARCHAR",
        "rubric_version INTEGER",
        "rubric_hash VARCHAR",
    ):
        conn.execute(f"ALTER TABLE review ADD COLUMN {column}")
    _create(conn, 3, new_tables=_V3_TABLES, indexes=())
    _add_imported_run(conn)


def _add_imported_run(conn: sqlite3.Connection) -> None:
    """The judge the cases came with as the first judge run (``storage.judge_runs``; the
    import makes it for a new workspace): made during the upgrade, which reads the whole
    workspace anyway, rather than on first need, where the window would read every case's
    text on its own thread when it opens the workspace."""
    if conn.execute("SELECT 1 FROM cases LIMIT 1").fetchone() is None:
        return
    model = judge_runs.one_model(conn.execute(judge_runs.IMPORTED_MODELS).fetchall()) or ""
    first = conn.execute("SELECT path FROM import_batch ORDER BY id LIMIT 1").fetchone()
    conn.execute(
        "INSERT INTO judge_run (name, model, position, imported, path, mapping, added_at) "
        "VALUES (?, ?, 0, 1, ?, '{}', ?)",
        (
            model or judge_runs.IMPORTED_NAME,
            model,
            first[0] if first is not None else "",
            datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        ),
    )


_V3_TABLES = (
    "judge_run",
    "judge_verdict",
    "calibration_pack",
    "calibration_example",
    "reveal",
    "rubric_version",
)

MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2, 2: _v2_to_v3}
"""``MIGRATIONS[n]`` upgrades a version ``n`` database to ``n + 1``."""


def _create(
    conn: sqlite3.Connection, version: int, new_tables: tuple[str, ...], indexes: tuple[str, ...]
) -> None:
    """Create ``new_tables`` (with their indexes) and ``indexes`` of existing tables, as schema
    ``version`` has them (without the columns later versions add: their migrations add them).

    Uses the DDL a new workspace is made with, so an upgraded workspace has exactly its schema.
    """
    from sqlalchemy.dialects import sqlite as dialect
    from sqlalchemy.schema import CreateIndex, CreateTable

    def run(ddl: Any) -> None:
        conn.execute(str(ddl.compile(dialect=dialect.dialect())))

    meta = SQLModel.metadata
    columns = expected_columns(version)
    for name in new_tables:
        table = meta.tables[name]
        create = CreateTable(table)
        create.columns = [c for c in create.columns if c.element.name in columns[name]]
        run(create)
        for index in table.indexes:
            run(CreateIndex(index))
    for table in meta.tables.values():
        for index in table.indexes:
            if index.name in indexes:
                run(CreateIndex(index))


class WorkspaceError(Exception):
    """A workspace cannot be opened or used; the message says why, for the user."""


class WorkspaceBusy(WorkspaceError):
    """Another connection held the workspace's write lock for longer than the busy timeout
    (another window or command writing a long import, say): nothing was written."""


class WorkspaceCorrupt(WorkspaceError):
    """SQLite finds the file damaged (truncated, overwritten), or its tables do not match its
    schema version. The message names the file and its backups."""


class WorkspaceReadOnly(WorkspaceError):
    """The workspace (or its folder, or the disk) cannot be written: nothing was saved."""


class WorkspaceFull(WorkspaceError):
    """The disk holding the workspace is full: the write was rolled back, nothing was saved."""


class NotAWorkspace(WorkspaceError):
    """The file is not an annotator workspace (not SQLite, or another application's
    database). It was not changed."""


def is_workspace_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False


BUSY_SECONDS = 10.0
"""How long a write waits for another connection's write lock by default."""

BUSY_STEP_SECONDS = 0.5
"""SQLite's own busy timeout: a write that waits longer than this gives control back to
:func:`writing`, which tells the caller's ``on_wait`` and tries again until ``busy_seconds``."""

APPLICATION_ID = 0x416E6E6F  # "Anno": PRAGMA application_id of every workspace
WAL_LIMIT_BYTES = 64 * 1024 * 1024
"""A write-ahead log is truncated back to this after a checkpoint (``journal_size_limit``)."""
WAL_LEFT_BYTES = 1024 * 1024
"""A write-ahead log found larger than this at opening (a killed import's holds hundreds of MB
that no reader will use) is checkpointed and truncated."""

OnWait = Callable[[float], None]
"""Told the seconds waited so far, about every :data:`BUSY_STEP_SECONDS`, while a write waits
for another connection's lock."""


@dataclass
class _Waiting:
    name: str
    busy_seconds: float
    on_wait: OnWait | None = None
    read_only: bool = False
    why_read_only: str = ""
    """Why writes are refused, for the user ("it is open in another window", say): set by
    :func:`hold_writes`; empty for a file that cannot be written."""
    removing: bool = False
    """The workspace is deleted once its connections are closed (:func:`close_to_remove`)."""
    filling: bool = False
    """A first import fills it through the rollback journal (:func:`filling`): a connection
    made meanwhile leaves the journal mode alone."""


_ENGINES: weakref.WeakKeyDictionary[Engine, _Waiting] = weakref.WeakKeyDictionary()


def set_on_wait(engine: Engine, on_wait: OnWait | None) -> None:
    """Who is told while a write on ``engine`` waits for another connection's lock."""
    _policy(engine).on_wait = on_wait


def is_read_only(engine: Engine) -> bool:
    return _policy(engine).read_only or bool(_policy(engine).why_read_only)


def hold_writes(engine: Engine, why: str | None) -> None:
    """Refuse every write on ``engine`` from now on, saying ``why`` (the workspace is open in
    another window, say); None allows them again (unless the file cannot be written)."""
    _policy(engine).why_read_only = why or ""


def name_of(engine: Engine) -> str:
    """The workspace's path, as errors name it."""
    return _policy(engine).name


def _policy(engine: Engine) -> _Waiting:
    policy = _ENGINES.get(engine)
    if policy is None:
        policy = _ENGINES[engine] = _Waiting("workspace", BUSY_SECONDS)
    return policy


def _on_connect(
    dbapi_conn: sqlite3.Connection, busy_seconds: float, read_only: bool, policy: _Waiting
) -> None:
    # Let SQLAlchemy control transactions (see its pysqlite notes) and make them durable.
    dbapi_conn.isolation_level = None
    # Unicode-aware case folding for search (SQLite's LIKE folds ASCII letters only).
    dbapi_conn.create_function("casefold", 1, _casefold, deterministic=True)
    # A seeded random queue order (``queue.order_by``): the same on every connection and run.
    dbapi_conn.create_function("shuffled", 2, shuffled, deterministic=True)
    # A case's place in the held-out split (``domain.split.position``), for the queue's filter.
    dbapi_conn.create_function("split_position", 2, _split_position, deterministic=True)
    # What a case shows before its reveal under blind-first review (``queue._text_clause``).
    dbapi_conn.create_function("blind_text", 1, blind_text, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute(f"PRAGMA busy_timeout = {int(min(busy_seconds, BUSY_STEP_SECONDS) * 1000):d}")
    if not read_only:
        cur.execute("PRAGMA synchronous = FULL")
        if not policy.filling:
            # (ignored in memory, where it stays "memory"; refused while another program's
            # first import fills the file through its journal: _prepare says so)
            with contextlib.suppress(sqlite3.OperationalError):
                cur.execute("PRAGMA journal_mode = WAL")
        cur.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES:d}")
    # 32 MB of page cache (the default is 2 MB): the indexes of a million cases are tens of MB.
    cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    cur.close()


def _on_close(dbapi_conn: sqlite3.Connection, policy: _Waiting) -> None:
    if policy.removing:  # (nothing it writes now is kept: no use waiting for the disk)
        with contextlib.suppress(sqlite3.Error):
            dbapi_conn.execute("PRAGMA synchronous = OFF")


def close_to_remove(engine: Engine) -> None:
    """Close the connections of a workspace whose files are deleted next (one made for an
    import that failed or was cancelled), without syncing its write-ahead log to the disk.

    The last connection to close copies the log's committed frames into the database file,
    and first syncs the whole log: after a rolled-back import, gigabytes of frames nobody
    will read, which the deletion then throws away (0.6 s of a Ctrl+C halfway through an
    import of a million cases). With ``synchronous = OFF`` the close skips the syncs."""
    _policy(engine).removing = True
    engine.dispose()


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def blind_text(data: object) -> str | None:
    """The folded text a case shows under blind-first review before its reveal
    (``serialize.blind_search_text``), from its canonical JSON (``case_text.data``); None for
    what is not a case's JSON. Parses the JSON: about 8 microseconds a case (docs/benchmarks.md)."""
    if not isinstance(data, str):
        return None
    try:
        return blind_search_text(json.loads(data))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


_MASK = (1 << 64) - 1


def shuffled(seed: object, position: object) -> int | None:
    """A case's place in a seeded random order: SplitMix64 of the seed and the case's
    position, as a signed 63-bit integer. Pure arithmetic, so the order is the same on every
    machine, connection and run (Python's ``hash`` is salted per process)."""
    if not isinstance(seed, int) or not isinstance(position, int):
        return None
    z = (seed + (position + 1) * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) >> 1


def _split_position(seed: object, case_id: object) -> float | None:
    if isinstance(seed, int) and isinstance(case_id, str):
        return split.position(seed, case_id)
    return None


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
def writing(engine: Engine, attach: Mapping[str, Path] | None = None) -> Iterator[Connection]:
    """A write transaction that takes SQLite's write lock at its start (BEGIN IMMEDIATE).

    A transaction that reads first and writes later fails at once ("database is locked") if
    another connection wrote meanwhile; one that asks for the lock up front waits for it
    instead: up to the engine's ``busy_seconds``, telling its ``on_wait`` as it goes. Every
    write goes through here. Raises :class:`WorkspaceBusy` when the lock did not come in
    time, and the other :class:`WorkspaceError` types for what SQLite reports (read-only,
    full, damaged): the transaction is then rolled back, nothing was written.

    ``attach``: databases to read from in the transaction (name: file), attached before it
    begins (SQLite attaches none within one) and detached after it.
    """
    policy = _policy(engine)
    if policy.why_read_only:
        raise WorkspaceReadOnly(f"Not saved: {policy.why_read_only}.")
    if policy.read_only:
        raise _read_only_error(policy.name, _why_not_writable(Path(policy.name)))
    started = time.monotonic()
    while True:
        conn = engine.connect()
        try:
            for name, path in (attach or {}).items():
                driver_connection(conn).execute(f"ATTACH DATABASE ? AS {name}", (str(path),))
            conn.execution_options(sqlite_begin="IMMEDIATE")
            transaction = conn.begin()
        except WorkspaceBusy:
            _detach(conn, attach)
            conn.close()
            waited = time.monotonic() - started
            if waited >= policy.busy_seconds:
                raise WorkspaceBusy(_busy_message(policy.name, waited)) from None
            if policy.on_wait is not None:
                policy.on_wait(waited)
            continue
        except BaseException:
            _detach(conn, attach)
            conn.close()
            raise
        break
    with conn:
        try:
            with translated(policy.name), transaction:
                yield conn
        finally:
            _detach(conn, attach)


@contextlib.contextmanager
def filling(engine: Engine) -> Iterator[Connection]:
    """:func:`writing`, for the first import into a workspace that holds nothing yet: its rows
    are written once, into the database file. Through the write-ahead log they are written
    twice (into the log, then copied into the file by the commit's checkpoint): a fifth of
    an import's time, and at a million cases a log of 5 GB that a Ctrl+C while the search
    index starts then waits for the system to delete (docs/benchmarks.md).

    SQLite's rollback journal keeps only the pages the file had before the transaction (the
    empty tables), so a rollback, a kill or a power cut leaves the workspace as it was, as
    the log would (the next connection rolls a journal left behind back). The commit syncs
    the folder too (``synchronous = EXTRA``): the journal's deletion is the commit. The
    journal mode is the file's, and only a connection alone on it changes it: the pool's
    others are closed first; if another program has the workspace open, the import goes
    through the log as before. The log is back once the transaction ends.
    """
    policy = _policy(engine)
    if engine.url.database in (None, "", ":memory:") or policy.read_only:
        with writing(engine) as conn:
            yield conn
        return
    engine.dispose()  # (the pool's connections: the journal mode changes alone)
    policy.filling = True
    try:
        with engine.connect() as conn:
            db = driver_connection(conn)  # (no transaction: SQLAlchemy's would begin one)
            try:
                mode = db.execute("PRAGMA journal_mode = DELETE").fetchone()
            except sqlite3.OperationalError:  # (another program has it open: the log)
                mode = None
            if mode is not None and str(mode[0]).lower() == "delete":
                db.execute("PRAGMA synchronous = EXTRA")
        with writing(engine) as conn:  # (the same connection, from the pool)
            yield conn
    finally:
        policy.filling = False
        engine.dispose()
        with contextlib.suppress(DBAPIError), engine.connect():
            pass  # the next connection takes the write-ahead log again (_on_connect)


def _detach(conn: Connection, attach: Mapping[str, Path] | None) -> None:
    """Detach what :func:`writing` attached (before the connection goes back to the pool)."""
    if not attach:
        return
    db = driver_connection(conn)
    attached = {row[1] for row in db.execute("PRAGMA database_list")}
    for name in attach or {}:
        if name in attached:
            db.execute(f"DETACH DATABASE {name}")


def _busy_message(name: str, waited: float | None) -> str:
    how_long = f" for {waited:.0f} s" if waited is not None else ""
    return (
        f"{name} is busy: another program (an annotator window, or an import or merge "
        f"running) kept it locked{how_long}, so nothing was written. Try again when it has "
        "finished, or close the other window."
    )


def _read_only_error(name: str, why: str) -> WorkspaceReadOnly:
    return WorkspaceReadOnly(
        f"cannot write to {name}: {why}. Nothing was saved. Copy the workspace to a folder "
        "you can write to and open the copy."
    )


def is_busy(exc: BaseException) -> bool:
    """Whether SQLite gave up waiting for another connection's lock."""
    if isinstance(exc, WorkspaceBusy):
        return True
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(orig) or "busy" in str(orig)


# -- what SQLite reports, in the app's words ------------------------------------------------


def classify(exc: BaseException, name: str) -> WorkspaceError | None:
    """The app's error for a SQLite error on the workspace ``name``; None for one that is a
    bug (a constraint, a syntax error): those stay what they are."""
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, WorkspaceError):
        return orig
    if not isinstance(orig, sqlite3.Error):
        return None
    code = getattr(orig, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    message = str(orig)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return WorkspaceBusy(_busy_message(name, None))
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return _read_only_error(name, f"{message} (a read-only file, folder or disk?)")
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return WorkspaceCorrupt(corrupt_message(name, f"SQLite: {message}"))
    if primary == sqlite3.SQLITE_FULL:
        return WorkspaceFull(
            f"the disk holding {name} is full: nothing was saved. Free some space and try again."
        )
    if primary == sqlite3.SQLITE_IOERR:
        return WorkspaceError(
            f"cannot read or write {name}: {message} (a disk error, a full disk, or a network "
            "folder that went away?). The last change was not saved."
        )
    if primary == sqlite3.SQLITE_CANTOPEN:
        return WorkspaceError(
            f"cannot open {name}: {message} (does its folder exist, and may you write to it?)"
        )
    if primary is None and ("locked" in message or "busy" in message):
        return WorkspaceBusy(_busy_message(name, None))
    return None


def corrupt_message(name: str, detail: str, *, rescue: bool = True) -> str:
    """Why ``name`` is refused as damaged, its backups, and (where SQLite can still read
    rows: ``rescue``) how to save what it holds."""
    path = Path(name)
    backups = sorted(path.parent.glob(f"{glob.escape(path.name)}.*.bak")) if path.name else []
    where = (
        "backups made before upgrades: " + ", ".join(b.name for b in backups)
        if backups
        else "no backup of it was found beside it"
    )
    text = f"{path} is damaged ({detail}). Restore it from your own backups ({where})"
    if rescue:
        text += (
            f"; to save what SQLite can still read of it: 'annotator export {path} -o "
            "rescued.jsonl --all --rescue'"
        )
    return text + "."


@contextlib.contextmanager
def translated(name: str) -> Iterator[None]:
    """Raise the app's :class:`WorkspaceError` types for what SQLite reports inside the block
    (for the paths that use the sqlite3 connection directly; the engine's own statements are
    translated by its ``handle_error`` listener)."""
    try:
        yield
    except (sqlite3.Error, DBAPIError) as exc:
        error = classify(exc, name)
        if error is None:
            raise
        raise error from exc


def _on_error(context: ExceptionContext, name: str) -> None:
    error = classify(context.original_exception, name)
    if error is not None:
        raise error from context.original_exception


# -- opening -----------------------------------------------------------------------------------


def open_engine(
    path: Path | None,
    busy_seconds: float = BUSY_SECONDS,
    on_wait: OnWait | None = None,
) -> Engine:
    """An engine on the workspace at ``path`` (None: a private in-memory database).

    Nothing in an existing file is changed before it is known to be a workspace of ours, of a
    schema this version reads, with the tables that schema has: a foreign or inconsistent
    file is refused (:class:`NotAWorkspace`, :class:`WorkspaceCorrupt`) untouched. Then it
    creates the schema in a new file, upgrades an older one (after one backup) and refuses a
    database written by a newer version of the app. A workspace this process may not write
    (a read-only file, folder or disk) is opened read-only: reading works, and every write
    raises :class:`WorkspaceReadOnly`.

    ``busy_seconds``: how long a write waits for another connection's write lock before it
    gives up (:class:`WorkspaceBusy`); ``on_wait`` is told while it waits.
    """
    name = str(path) if path is not None else "the in-memory workspace"
    read_only = False
    found: _Found | None = None
    if path is not None:
        path = Path(path)
        found = _inspect(path)
        read_only = found.exists and not _writable(path)
        if read_only and found.version < SCHEMA_VERSION:
            raise _read_only_error(
                str(path),
                f"it has schema {found.version}, which this version must upgrade (a write), "
                "and it is read-only",
            )
        if not found.exists:
            path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{_read_only_uri(path)}&uri=true" if read_only else f"sqlite:///{path}"
    else:
        url = "sqlite://"
    # One shared connection for an in-memory database, or each thread would see its own.
    pool = {"poolclass": StaticPool} if path is None else {}
    engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
    policy = _ENGINES[engine] = _Waiting(name, busy_seconds, on_wait, read_only)
    event.listen(
        engine,
        "connect",
        lambda dbapi, _record: _on_connect(dbapi, busy_seconds, read_only, policy),
    )
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "close", lambda dbapi, _record: _on_close(dbapi, policy))
    event.listen(engine, "handle_error", lambda context: _on_error(context, name))
    try:
        if not read_only:
            _prepare(engine, path, found)
    except Exception:
        engine.dispose()
        raise
    return engine


@dataclass(frozen=True)
class _Found:
    """What an existing file holds, read without changing it."""

    exists: bool
    version: int = 0
    tables: frozenset[str] = frozenset()
    application_id: int = 0


_ADDED_IN: dict[int, tuple[frozenset[str], dict[str, frozenset[str]]]] = {
    2: (frozenset({"merge_source", "review"}), {"cases": frozenset({"review_state"})}),
    3: (
        frozenset(_V3_TABLES),
        {
            "project": frozenset(
                {
                    "heldout_fraction",
                    "split_seed",
                    "blind_first",
                    "random_order",
                    "search_pending_from",
                }
            ),  # fmt: skip
            "decision": frozenset({"rubric_version"}),
            "review": frozenset({"blind_label", "revealed_at", "rubric_version", "rubric_hash"}),
        },
    ),
}
"""``_ADDED_IN[v]``: the tables, and the columns of older tables, schema ``v`` added."""


def expected_columns(version: int) -> dict[str, frozenset[str]]:
    """Each table of schema ``version`` with its columns."""
    columns = {
        name: frozenset(c.name for c in table.columns)
        for name, table in SQLModel.metadata.tables.items()
    }
    for later in range(SCHEMA_VERSION, version, -1):
        new_tables, new_columns = _ADDED_IN.get(later, (frozenset(), {}))
        for table in new_tables:
            columns.pop(table, None)
        for table, added in new_columns.items():
            columns[table] = columns[table] - added
    return columns


def _inspect(path: Path) -> _Found:
    """Read an existing file's identity without writing to it; refuse a foreign, damaged or
    inconsistent one. A missing or empty file is a new workspace."""
    try:
        size = path.stat().st_size if path.exists() else 0
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.is_dir():
        raise NotAWorkspace(f"{path} is a folder, not a workspace file")
    if size == 0:
        return _Found(exists=False)
    if not is_workspace_file(path):
        raise NotAWorkspace(f"{path.name} is not an annotator workspace (not a SQLite file)")
    try:
        found = _read_identity(path)
    except sqlite3.Error as exc:
        raise classify(exc, str(path)) or WorkspaceCorrupt(
            corrupt_message(str(path), f"SQLite: {exc}")
        ) from exc
    if found.application_id not in (0, APPLICATION_ID) or (
        found.tables and not {"project", "cases"} <= found.tables
    ):
        raise NotAWorkspace(
            f"{path.name} is a SQLite database of another application, not an annotator "
            "workspace; it was not changed"
        )
    if found.version > SCHEMA_VERSION:
        raise WorkspaceError(
            f"{path.name} was written by a newer annotator (schema {found.version}; this "
            f"version reads up to {SCHEMA_VERSION}). Please update annotator."
        )
    if found.tables and (found.version == 0 or found.version not in range(1, SCHEMA_VERSION + 1)):
        raise WorkspaceCorrupt(
            corrupt_message(
                str(path),
                f"it has tables but no schema version ({found.version})",
                rescue=False,
            )
        )
    return found


def _read_only_uri(path: Path) -> str:
    """A URI that opens ``path`` for reading without writing to it or beside it.

    A workspace in WAL mode needs its ``-shm`` index beside it: in a folder that cannot be
    written, one closed cleanly (no ``-wal`` left) is opened as immutable instead."""
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    return uri


def _read_identity(path: Path) -> _Found:
    # Without a write-ahead log beside it (a workspace closed cleanly, or not one of ours) the
    # file is read as immutable: SQLite then makes no -shm or -wal file beside it.
    uri = _read_only_uri(path)
    if not Path(f"{path}-wal").exists() and "immutable" not in uri:
        uri += "&immutable=1"
    conn = sqlite3.connect(uri, uri=True)
    try:
        application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        tables = frozenset(str(name) for (name,) in rows)
        found = _Found(True, version, tables, application_id)
        if tables and application_id in (0, APPLICATION_ID) and {"project", "cases"} <= tables:
            _check_tables(conn, path, found)
        return found
    finally:
        conn.close()


def _check_tables(conn: sqlite3.Connection, path: Path, found: _Found) -> None:
    if found.version < 1 or found.version > SCHEMA_VERSION:
        return  # refused by the caller with its own words
    problems = []
    for table, columns in expected_columns(found.version).items():
        if table not in found.tables:
            problems.append(f"table {table} is missing")
            continue
        have = {str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')}
        missing = sorted(columns - have)
        if missing:
            problems.append(f"table {table} lacks {', '.join(missing)}")
    for later in range(found.version + 1, SCHEMA_VERSION + 1):
        new_tables, _new_columns = _ADDED_IN.get(later, (frozenset(), {}))
        problems += [
            f"it has table {t} of schema {later}" for t in sorted(new_tables & found.tables)
        ]
    if problems:
        raise WorkspaceCorrupt(
            corrupt_message(
                str(path),
                f"its tables do not match its schema version {found.version}: "
                + "; ".join(problems),
                rescue=False,
            )
        )


def _writable(path: Path) -> bool:
    """Whether this process may write the workspace and the log files SQLite keeps beside it
    (``os.access`` also says no on a read-only mount, even to root)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _why_not_writable(path: Path) -> str:
    try:
        on_read_only_disk = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        on_read_only_disk = False
    if on_read_only_disk:
        return "it is on a read-only disk"
    if not os.access(path, os.W_OK):
        return "the file is read-only"
    return f"its folder {path.parent} cannot be written to"


def _prepare(engine: Engine, path: Path | None, found: _Found | None) -> None:
    with engine.connect() as conn:
        if path is not None:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            if str(mode).lower() == "delete" and Path(f"{path}-journal").exists():
                raise WorkspaceBusy(
                    f"{path} is being filled by an import in another program: open it when "
                    "that import is done"
                )
            if str(mode).lower() != "wal":
                raise WorkspaceError(f"cannot use write-ahead logging on {path}")
    if found is None or not found.tables:
        SQLModel.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID:d}")
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    assert path is not None
    _shrink_log(engine, path)
    if found.application_id != APPLICATION_ID:  # a workspace made before the id was set
        with engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID:d}")
    if found.version < SCHEMA_VERSION:
        _migrate(engine, path, found.version)


def _shrink_log(engine: Engine, path: Path) -> None:
    """A write-ahead log left large (an import killed before its commit holds hundreds of MB
    of frames no reader will use) is checkpointed and truncated."""
    log = Path(f"{path}-wal")
    try:
        large = log.stat().st_size > WAL_LEFT_BYTES
    except OSError:
        return
    if large:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _migrate(engine: Engine, path: Path, version: int) -> None:
    if any(v not in MIGRATIONS for v in range(version, SCHEMA_VERSION)):
        raise WorkspaceError(f"cannot upgrade workspace schema {version} to {SCHEMA_VERSION}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    backup_before_upgrade(path, version)
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)
        with translated(str(path)):
            for step in range(version, SCHEMA_VERSION):
                dbapi.execute("BEGIN IMMEDIATE")
                try:
                    MIGRATIONS[step](dbapi)
                    dbapi.execute(f"PRAGMA user_version = {step + 1}")
                except BaseException:
                    dbapi.execute("ROLLBACK")
                    raise
                dbapi.execute("COMMIT")
    finally:
        raw.close()


def backup_before_upgrade(path: Path, version: int) -> Path:
    """Copy the workspace to ``NAME.vN.bak`` before its upgrade from schema ``N``: once. A
    backup already there with the same bytes (an upgrade that failed, then tried again) is
    kept; one with other bytes (another workspace of that name, upgraded before) is kept too,
    and this one gets a dated name of its own."""
    backup = path.with_name(f"{path.name}.v{version}.bak")
    if backup.exists():
        if _same_bytes(backup, path):
            return backup
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    try:
        shutil.copy2(path, backup)
    except OSError as exc:
        backup.unlink(missing_ok=True)
        raise WorkspaceError(
            f"cannot back up {path.name} before upgrading it ({exc.strerror or exc}): "
            "it was not upgraded"
        ) from None
    return backup


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            chunk = fa.read(1 << 20)
            if chunk != fb.read(1 << 20):
                return False
            if not chunk:
                return True
