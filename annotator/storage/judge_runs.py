"""Judge runs: the SQL of ``judge_run`` and ``judge_verdict`` (see their docstrings in
``tables.py``).

The judge the cases were imported with is a run too (``imported = 1``, position 0, no
``judge_verdict`` rows: its verdicts stay in ``cases.judge_label`` and the case's data); every
run added later (position 1, 2, ...) keeps one ``judge_verdict`` row per case it covers. A
removed run keeps its rows with ``removed_at`` set (:func:`set_removed`), so that the removal
can be undone; every read here but :func:`run_by_id` and :func:`removed_named` leaves it out.
Names are compared case-insensitively (``casefold``, registered by ``db``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from annotator.fileio import process_folder, sweep_folders

IMPORTED_NAME = "imported judge"
"""The imported judge's run when its cases do not agree on one model."""

_RUN_COLUMNS = (
    "r.id, r.name, r.model, r.position, r.imported, r.path, r.mapping, r.added_at, "
    "r.removed_at, CASE WHEN r.imported THEN (SELECT count(*) FROM cases) ELSE "
    "(SELECT count(*) FROM judge_verdict v WHERE v.run_id = r.id) END"
)


@dataclass(frozen=True)
class StoredRun:
    id: int
    name: str
    model: str
    position: int
    imported: bool
    path: str
    mapping: str
    """JSON: the field mapping, key and label values the run's file was read with."""
    added_at: str
    removed_at: str | None
    cases: int
    """Cases with a verdict of this run (the imported judge: every case)."""


@dataclass(frozen=True)
class StoredVerdict:
    """A visible run's verdict on one case; ``label`` None when the run has no verdict on it
    (and for the imported run, whose verdict is the case's own judge)."""

    run_id: int
    run: str
    run_model: str
    imported: bool
    label: str | None
    rationale: str
    score: float | None
    model: str


def _run(row: Sequence[object]) -> StoredRun:
    rid, name, model, position, imported, path, mapping, added, removed, count = row
    return StoredRun(
        int(rid),  # type: ignore[call-overload]
        str(name),
        str(model),
        int(position),  # type: ignore[call-overload]
        bool(imported),
        str(path),
        str(mapping),
        str(added),
        None if removed is None else str(removed),
        int(count),  # type: ignore[call-overload]
    )


def runs(conn: Connection) -> list[StoredRun]:
    """The runs not removed, in the order they were added (the imported judge first)."""
    rows = conn.execute(
        text(
            f"SELECT {_RUN_COLUMNS} FROM judge_run r WHERE r.removed_at IS NULL ORDER BY r.position"
        )  # fmt: skip
    )
    return [_run(row) for row in rows]


def run_names(conn: Connection) -> list[tuple[str, bool]]:
    """The runs not removed, as :func:`runs` orders them: each one's name and whether it is
    the imported judge (no count of their cases: one walk of a small table)."""
    rows = conn.execute(
        text("SELECT name, imported FROM judge_run WHERE removed_at IS NULL ORDER BY position")
    )
    return [(str(name), bool(imported)) for name, imported in rows]


def removed_runs(conn: Connection) -> list[StoredRun]:
    """The removed runs, the last removed first."""
    rows = conn.execute(
        text(
            f"SELECT {_RUN_COLUMNS} FROM judge_run r WHERE r.removed_at IS NOT NULL "
            "ORDER BY r.removed_at DESC, r.id DESC"
        )  # fmt: skip
    )
    return [_run(row) for row in rows]


def run_by_id(conn: Connection, run_id: int) -> StoredRun | None:
    """A run, removed or not."""
    row = conn.execute(
        text(f"SELECT {_RUN_COLUMNS} FROM judge_run r WHERE r.id = :id"), {"id": run_id}
    ).first()
    return None if row is None else _run(row)


def run_named(conn: Connection, name: str) -> StoredRun | None:
    """The run not removed called ``name`` (case-insensitively)."""
    row = conn.execute(
        text(
            f"SELECT {_RUN_COLUMNS} FROM judge_run r WHERE r.removed_at IS NULL "
            "AND casefold(r.name) = casefold(:n)"
        ),  # fmt: skip
        {"n": name},
    ).first()
    return None if row is None else _run(row)


def removed_named(conn: Connection, name: str) -> StoredRun | None:
    """The last removed run called ``name`` (case-insensitively)."""
    row = conn.execute(
        text(f"SELECT {_RUN_COLUMNS} FROM judge_run r WHERE r.removed_at IS NOT NULL "
             "AND casefold(r.name) = casefold(:n) ORDER BY r.removed_at DESC, r.id DESC"),
        {"n": name},
    ).first()  # fmt: skip
    return None if row is None else _run(row)


def has_imported_run(conn: Connection) -> bool:
    """The imported judge has its row (removed or not)."""
    return conn.execute(text("SELECT 1 FROM judge_run WHERE imported = 1")).first() is not None


def imported_run(conn: Connection) -> tuple[str, str] | None:
    """The imported judge's run ``(name, model)``, removed or not; None before it has its
    row."""
    row = conn.execute(text("SELECT name, model FROM judge_run WHERE imported = 1")).first()
    return None if row is None else (str(row[0]), str(row[1] or ""))


def imported_model(conn: Connection) -> str | None:
    """The imported judge's model when every case names the same one (None otherwise, or
    with no case). Reads every case's text: called once, when the run's row is made."""
    return one_model(conn.execute(text(IMPORTED_MODELS)).all())


IMPORTED_MODELS = (
    "SELECT DISTINCT coalesce(json_extract(data, '$.judge.model'), '') FROM case_text LIMIT 2"
)
"""Up to two of the judge models the cases name (every case's text is read when they agree)."""


def one_model(models: Sequence[Sequence[object]]) -> str | None:
    """The model of :data:`IMPORTED_MODELS`'s rows when there is exactly one, not blank."""
    if len(models) != 1 or not isinstance(models[0][0], str) or not models[0][0].strip():
        return None
    return models[0][0].strip()


def add_run(
    conn: Connection,
    name: str,
    *,
    model: str,
    path: str,
    mapping: str,
    added_at: str,
    imported: bool = False,
) -> int:
    """A new run's row, after the others (the imported judge at position 0); its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO judge_run (name, model, position, imported, path, mapping, added_at) "
                "VALUES (:n, :m, CASE WHEN :i THEN 0 ELSE (SELECT coalesce(max(position), 0) + 1 "
                "FROM judge_run) END, :i, :p, :map, :at) RETURNING id"
            ),
            {"n": name, "m": model, "i": imported, "p": path, "map": mapping, "at": added_at},
        ).scalar_one()
    )


def set_model(conn: Connection, run_id: int, model: str) -> None:
    conn.execute(text("UPDATE judge_run SET model = :m WHERE id = :id"), {"m": model, "id": run_id})


def rename(conn: Connection, run_id: int, name: str) -> None:
    conn.execute(text("UPDATE judge_run SET name = :n WHERE id = :id"), {"n": name, "id": run_id})


def set_removed(conn: Connection, run_id: int, at: str | None) -> None:
    """Remove a run (``at``: when) or restore it (None); its verdicts stay either way."""
    conn.execute(
        text("UPDATE judge_run SET removed_at = :at WHERE id = :id"), {"at": at, "id": run_id}
    )


def case_batch(conn: Connection, after: int, limit: int) -> list[tuple[int, str, str]]:
    """``(row id, case id, criterion)`` of the next ``limit`` cases after row id ``after``."""
    rows = conn.execute(
        text("SELECT id, ext_id, criterion FROM cases WHERE id > :a ORDER BY id LIMIT :n"),
        {"a": after, "n": limit},
    )
    return [(int(r), str(e), str(c)) for r, e, c in rows]


StagedRow = tuple[int, str, str, str, str, float | None, str, int]
"""``(case row id, case id, criterion, label, rationale, score, model, line)``: a verdict
checked, waiting for the write lock."""


STAGE = "stage"
"""The name the stage is attached under in the write transaction (``db.writing``'s
``attach``)."""


STAGE_PREFIX = "annotator-run-"
"""The stage's temporary folder: ``annotator-run-<pid>-<random>`` (``fileio.process_folder``)."""


class VerdictStage:
    """A run's verdicts, prepared before the write lock is taken: :data:`StagedRow` rows in a
    database of their own in a temporary folder, in the order added. The write transaction
    attaches it (:attr:`attach`) and copies it in SQL (:func:`insert_staged`).

    The folder is removed when the stage is closed. One that a process killed while adding a
    run (SIGKILL, a crash, a power cut) left behind is removed by the next stage, once that
    process has ended (``fileio.sweep_folders``: only this user's, never one a running
    process uses)."""

    def __init__(self) -> None:
        sweep_folders(STAGE_PREFIX)
        self._folder = process_folder(STAGE_PREFIX)
        self.path = Path(self._folder.name) / "verdicts.db"
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            "CREATE TABLE staged (case_id INTEGER NOT NULL, ext_id TEXT NOT NULL, criterion "
            "TEXT NOT NULL, label TEXT NOT NULL, rationale TEXT NOT NULL, score REAL, model "
            "TEXT NOT NULL, line INTEGER NOT NULL)"
        )
        self.count = 0

    def __enter__(self) -> VerdictStage:
        return self

    def __exit__(self, *_: object) -> None:
        self.db.close()
        self._folder.cleanup()

    @property
    def attach(self) -> dict[str, Path]:
        return {STAGE: self.path}

    def add(self, rows: Sequence[StagedRow]) -> None:
        with self.db:
            self.db.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.count += len(rows)


def insert_staged(db: sqlite3.Connection, run_id: int, after: int, limit: int) -> int:
    """Insert the next ``limit`` verdicts staged after the ``after``-th as run ``run_id``'s
    (in a write transaction with the :class:`VerdictStage` attached), each only while its case
    row still has its case id and criterion; the rows inserted (fewer: cases replaced or
    deleted since they were staged)."""
    cursor = db.execute(
        "INSERT INTO judge_verdict (case_id, run_id, label, rationale, score, model, line) "
        f"SELECT s.case_id, ?, s.label, s.rationale, s.score, s.model, s.line FROM {STAGE}.staged "
        "s JOIN cases c ON c.id = s.case_id AND c.ext_id = s.ext_id AND c.criterion = "
        "s.criterion WHERE s.rowid > ? AND s.rowid <= ? ORDER BY s.rowid",
        (run_id, after, after + limit),
    )
    return int(cursor.rowcount)


def cases_state(conn: Connection) -> tuple[int, int]:
    """``(cases, the last case row id)``: an import changes it (``--replace`` too: its new
    cases' rows come before the old ones are deleted)."""
    row = conn.execute(text("SELECT count(*), coalesce(max(id), 0) FROM cases")).one()
    return int(row[0]), int(row[1])


def verdicts(db: sqlite3.Connection, run_id: int) -> Iterator[tuple[str, str, str, str]]:
    """``(case id, criterion, label, rationale)`` of each verdict of an added run, in case
    order; for the imported judge, see ``cases.judge_label``."""
    yield from db.execute(
        "SELECT c.ext_id, c.criterion, v.label, v.rationale FROM judge_verdict v "
        "JOIN cases c ON c.id = v.case_id WHERE v.run_id = ? ORDER BY c.id",
        (run_id,),
    )


def case_verdicts(conn: Connection, row_id: int) -> list[StoredVerdict]:
    """Every visible run's verdict on a case, the newest run first."""
    rows = conn.execute(
        text(
            "SELECT r.id, r.name, r.model, r.imported, v.label, coalesce(v.rationale, ''), "
            "v.score, coalesce(v.model, '') FROM judge_run r LEFT JOIN judge_verdict v "
            "ON v.run_id = r.id AND v.case_id = :c WHERE r.removed_at IS NULL "
            "ORDER BY r.position DESC"
        ),
        {"c": row_id},
    )
    return [
        StoredVerdict(int(rid), str(name), str(rmodel), bool(imp), label, str(why), score, str(m))
        for rid, name, rmodel, imp, label, why, score, m in rows
    ]
