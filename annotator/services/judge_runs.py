"""Judge runs: a project's judges, side by side (docs/formats.md, "Judge-run file").

The judge the cases were imported with is the first run; a team that re-runs its judge (after
adding calibration examples to its prompt, say) adds that run's verdicts on the same cases with
:func:`add_run`, and the alignment page compares the runs. Runs can be listed, renamed,
removed and restored (the undo of a removal; a rename is undone by renaming back).

A run's file is a judge file (``formats/join.py``'s :class:`JudgeFile`), keyed by case id:
read by the case files' readers, its fields guessed as a judge file's are (``label``,
``rationale``, ``score``, ``model``) and indexed by ``join_index.SideIndex``, which refuses a
duplicate id and an unreadable record. Then the project's cases are walked in batches on a
read connection, each looked up and its verdict checked and staged (``VerdictStage``, a
temporary database); an id the project lacks, a label off the criterion's scale or a record
without a label refuses the whole file, naming its line, and nothing is written. Only then is
the write lock taken, to insert the staged verdicts in one transaction (the window's own
decisions wait seconds, not the whole walk); cases imported, replaced or deleted in between
refuse the run (add it again). Cases the run has no verdict on are allowed, and counted.

A change to the runs touches no case's status, the queue or the counts, so these functions
return the run (or :class:`RunAdded`) rather than a ``Changes``: the window shows the current
case again, with its runs' verdicts (:func:`case_verdicts`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.domain.model import LabelScheme, Verdict
from annotator.formats.errors import FileRefused
from annotator.formats.join import Join, JoinKey, JudgeFile, parse_judge_map
from annotator.formats.join_index import SideCounts, SideIndex
from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid, canonical_label, verdict
from annotator.formats.reader import CaseReader
from annotator.formats.values import ValueMap
from annotator.services.agreement.judge import MeasuredJudge
from annotator.services.changes import Changes
from annotator.services.workspace import Clock, Workspace, WorkspaceError, now_iso
from annotator.storage import judge_runs as stored
from annotator.storage import schemes
from annotator.storage.db import driver_connection, writing
from annotator.storage.judge_runs import IMPORTED_NAME, StoredRun, StoredVerdict

BATCH = 5000
"""Cases looked up, and verdicts inserted (in one transaction, checking for Cancel between
batches), at a time."""
READING = 50
"""Of the progress (``progress(percent, 100)``): reading the file; then the cases' walk."""
STAGED = 90
"""Of the progress: the cases walked (their verdicts staged); the rest is their insert."""

Progress = Callable[[int, int], None]
"""``progress(percent, 100)``: reading the run's file, then looking its cases up."""

__all__ = [
    "IMPORTED_NAME",
    "RUNS_CHANGED",
    "JudgeRun",
    "JudgeRunError",
    "MeasuredJudge",
    "RunAdded",
    "RunCancelled",
    "RunVerdict",
    "add_run",
    "case_verdicts",
    "guess_mapping",
    "list_runs",
    "measured_judge",
    "parse_map",
    "removed_runs",
    "remove_run",
    "rename_run",
    "restore_run",
]

RUNS_CHANGED = Changes(alignment=True)
"""What adding, renaming, removing or restoring a run changes in the window (the case view
reads a case's runs each time it shows one)."""


class JudgeRunError(WorkspaceError):
    """A change to the runs the workspace refuses (a name taken, no such run): for the user."""


class RunCancelled(Exception):
    """Adding a run was cancelled; nothing was written."""


@dataclass(frozen=True)
class JudgeRun:
    id: int
    name: str
    model: str
    position: int
    """The order runs were added in (the imported judge is 0)."""
    imported: bool
    path: str
    added_at: str
    cases: int
    """Cases it has a verdict on."""
    removed_at: str | None = None
    mapping: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "imported": self.imported,
            "cases": self.cases,
            "added_at": self.added_at,
            "file": self.path,
            "position": self.position,
        }


@dataclass(frozen=True)
class RunVerdict:
    """A run's verdict on one case, for the case view (``verdict`` None: not in the run)."""

    run: str
    model: str
    imported: bool
    current: bool
    """The newest run not removed."""
    verdict: Verdict | None


@dataclass(frozen=True)
class RunAdded:
    run: JudgeRun
    mapping: FieldMapping
    """The fields the file was read with (guessed unless given)."""
    project_cases: int
    missing: int
    """Project cases the run has no verdict on."""
    missing_ids: list[str]

    def describe(self) -> str:
        fields = ", ".join(f"{ours}={theirs}" for ours, theirs in self.mapping.pairs) or "as named"
        lines = [
            f"Added judge run '{self.run.name}'"
            + (f" (model {self.run.model})" if self.run.model else "")
            + f": {self.run.cases} of {self.project_cases} cases, from {Path(self.run.path).name}",
            f"  fields: {fields}",
        ]
        if self.missing:
            shown = ", ".join(repr(i) for i in self.missing_ids)
            more = ", …" if self.missing > len(self.missing_ids) else ""
            lines.append(f"  {self.missing} cases have no verdict in it: {shown}{more}")
        return "\n".join(lines)


def _run(row: StoredRun) -> JudgeRun:
    try:
        mapping = json.loads(row.mapping or "{}")
    except ValueError:
        mapping = {}
    return JudgeRun(
        row.id, row.name, row.model, row.position, row.imported, row.path, row.added_at,
        row.cases, row.removed_at, mapping if isinstance(mapping, dict) else {},
    )  # fmt: skip


def _ensure_imported(ws: Workspace, clock: Clock) -> None:
    """Give the imported judge its row, once the workspace has cases (a workspace made before
    judge runs existed gets it on first need). Nothing on a read-only workspace."""
    with ws.engine.connect() as conn:
        if stored.has_imported_run(conn) or ws.read_only:
            return
        if conn.exec_driver_sql("SELECT 1 FROM cases LIMIT 1").first() is None:
            return
        model = stored.imported_model(conn)
    with writing(ws.engine) as conn:
        if stored.has_imported_run(conn):
            return
        stored.add_run(
            conn, model or IMPORTED_NAME, model=model or "", path=_imported_path(conn),
            mapping="{}", added_at=clock(), imported=True,
        )  # fmt: skip


def _imported_path(conn: Any) -> str:
    row = conn.exec_driver_sql("SELECT path FROM import_batch ORDER BY id LIMIT 1").first()
    return str(row[0]) if row is not None else ""


def list_runs(ws: Workspace, *, clock: Clock = now_iso) -> list[JudgeRun]:
    """The runs not removed, in the order they were added: the imported judge first (on a
    read-only workspace that never had its row, as it would be: ``id`` 0, not stored)."""
    _ensure_imported(ws, clock)
    with ws.engine.connect() as conn:
        runs = [_run(r) for r in stored.runs(conn)]
        if runs or stored.has_imported_run(conn):
            return runs
        count = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
        if not count:
            return []
        model = stored.imported_model(conn) or ""
        path = _imported_path(conn)
    return [JudgeRun(0, model or IMPORTED_NAME, model, 0, True, path, "", int(count))]


def imported_run_name(ws: Workspace, *, clock: Clock = now_iso) -> str | None:
    """The imported judge's run name when the project has other runs too (the queue's Judge
    column, the kinds and "who was right" are about that one), else None: as
    :func:`list_runs` would tell, without counting every run's cases (a million, for the
    imported one) when the window opens a workspace."""
    _ensure_imported(ws, clock)
    with ws.engine.connect() as conn:
        names = stored.run_names(conn)
    if len(names) < 2:
        return None
    return next((name for name, imported in names if imported), None)


def measured_judge(ws: Workspace) -> MeasuredJudge:
    """Which judge the agreement figures are of, and the runs they leave out; reads two rows
    of a small table, and writes nothing (a read-only workspace too)."""
    with ws.engine.connect() as conn:
        imported = stored.imported_run(conn)
        names = stored.run_names(conn)
    others = tuple(name for name, is_imported in names if not is_imported)
    name, model = imported if imported is not None else (None, "")
    return MeasuredJudge(name, model, others, own_name=name not in (None, IMPORTED_NAME))


def removed_runs(ws: Workspace) -> list[JudgeRun]:
    """The removed runs (restorable), the last removed first."""
    with ws.engine.connect() as conn:
        return [_run(r) for r in stored.removed_runs(conn)]


def _check_name(conn: Any, name: str, ws: Workspace, but: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise JudgeRunError("a judge run needs a name")
    if any(ord(c) < 32 for c in name):
        raise JudgeRunError("a judge run's name is one line of text")
    taken = stored.run_named(conn, name)
    if taken is not None and taken.id != but:
        raise JudgeRunError(
            f"{ws.name} has a judge run named '{taken.name}' already (names are compared "
            "without regard to case); choose another name"
        )
    return name


def _named(conn: Any, name: str, ws: Workspace) -> StoredRun:
    found = stored.run_named(conn, name)
    if found is None:
        known = ", ".join(f"'{r.name}'" for r in stored.runs(conn)) or "none"
        raise JudgeRunError(f"{ws.name} has no judge run named '{name}' (runs: {known})")
    return found


def rename_run(ws: Workspace, old: str, new: str, *, clock: Clock = now_iso) -> JudgeRun:
    """Rename a run (undone by renaming it back); the run as renamed."""
    _ensure_imported(ws, clock)
    with writing(ws.engine) as conn:
        run = _named(conn, old, ws)
        stored.rename(conn, run.id, _check_name(conn, new, ws, but=run.id))
        renamed = stored.run_by_id(conn, run.id)
    assert renamed is not None
    return _run(renamed)


def remove_run(ws: Workspace, name: str, *, clock: Clock = now_iso) -> JudgeRun:
    """Hide a run everywhere, keeping its verdicts (:func:`restore_run` undoes it)."""
    _ensure_imported(ws, clock)
    with writing(ws.engine) as conn:
        run = _named(conn, name, ws)
        stored.set_removed(conn, run.id, clock())
        removed = stored.run_by_id(conn, run.id)
    assert removed is not None
    return _run(removed)


def restore_run(ws: Workspace, name: str | int) -> JudgeRun:
    """Bring a removed run back (by id, or by name: the last removed of that name). Refused
    while another run has its name."""
    with writing(ws.engine) as conn:
        run = (
            stored.run_by_id(conn, name)
            if isinstance(name, int)
            else stored.removed_named(conn, name)
        )
        if run is None or run.removed_at is None:
            gone = ", ".join(f"'{r.name}'" for r in stored.removed_runs(conn)) or "none"
            raise JudgeRunError(f"{ws.name} has no removed judge run '{name}' (removed: {gone})")
        taken = stored.run_named(conn, run.name)
        if taken is not None:
            raise JudgeRunError(
                f"cannot restore '{run.name}': another run has that name now; rename it first"
            )
        stored.set_removed(conn, run.id, None)
        restored = stored.run_by_id(conn, run.id)
    assert restored is not None
    return _run(restored)


# -- adding a run --------------------------------------------------------------------------------


def parse_map(specs: Sequence[str]) -> tuple[FieldMapping | None, str]:
    """``--map`` options of a run's file: ``label=result``, ``rationale=``, ``score=``,
    ``model=`` (as ``--judge-map``), and ``id=FIELD`` for the case id's field; (the judge
    fields' mapping, the id's field). ValueError saying what is wrong."""
    key = "id"
    judge: list[str] = []
    for spec in specs:
        ours, eq, theirs = spec.partition("=")
        if ours.strip() == "id" and eq:
            if not theirs.strip():
                raise ValueError(f"bad --map '{spec}'; expected id=FIELD")
            key = theirs.strip()
        else:
            judge.append(spec)
    try:
        return parse_judge_map(judge), key
    except ValueError as e:  # (the same options, named --map here)
        raise ValueError(str(e).replace("--judge-map", "--map")) from None


def _join(path: Path, mapping: FieldMapping | None, key: str, model: str | None,
          encoding: str | None, fmt: str | None) -> Join:  # fmt: skip
    spec = JudgeFile(path, mapping, encoding, fmt, name=model or None)
    return Join(on=JoinKey(key, key), judge=spec)


def _opener(side: Any) -> CaseReader:
    return CaseReader(side.path, encoding=side.encoding, fmt=side.fmt)


def guess_mapping(
    path: Path | str,
    mapping: FieldMapping | None = None,
    *,
    key: str = "id",
    encoding: str | None = None,
    fmt: str | None = None,
) -> FieldMapping:
    """The fields a run's file would be read with: ``mapping``, the rest guessed from the
    names of its first records' fields. FileRefused when none gives the label."""
    join = _join(Path(path), mapping, key, None, encoding, fmt)
    assert join.judge is not None
    with SideIndex(join, _opener) as index:
        return index.guess(join.judge)


def add_run(
    ws: Workspace,
    path: Path | str,
    name: str,
    *,
    mapping: FieldMapping | None = None,
    key: str = "id",
    model: str | None = None,
    values: ValueMap | None = None,
    encoding: str | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    clock: Clock = now_iso,
    batch: int = BATCH,
) -> RunAdded:
    """Add the run in ``path`` under ``name``: all of it, or (FileRefused, RunCancelled,
    JudgeRunError) nothing. ``mapping``: its judge fields (the rest guessed); ``key``: the
    field holding the case id; ``model``: the judge's model (else the file's, when its records
    agree on one); ``values``: its label values mapped (``--labels judge:...``)."""
    path = Path(path)
    _ensure_imported(ws, clock)
    with ws.engine.connect() as conn:
        _check_name(conn, name, ws)
        scales = schemes.label_schemes(conn)
        total = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
    if not total:
        raise JudgeRunError(f"{ws.name} has no cases yet: import a case file first")
    join = _join(path, mapping, key, model, encoding, fmt)

    def pulse() -> None:
        if cancelled is not None and cancelled():
            raise RunCancelled(f"adding {path.name} cancelled; nothing was added")
        if progress is not None:
            progress(min(READING, READING * index.bytes_read // size), 100)

    try:
        size = max(1, path.stat().st_size)
    except OSError:
        raise FileRefused(path, "file not found or unreadable") from None
    with SideIndex(join, _opener, pulse=pulse) as index, stored.VerdictStage() as stage:
        for problem in index.problems():
            raise FileRefused(
                problem.file or path, problem.message, problem.line, unit=problem.unit
            )
        side = index.sides[0]
        run = _Adding(index, side.mapping, path, scales, values, progress, cancelled, batch)
        # Every case looked up, checked and staged on a read connection: the write lock is
        # taken only to insert what was staged (the window's decisions wait that long).
        with ws.engine.connect() as conn:
            state = stored.cases_state(conn)
            run.stage(conn, stage, state[0])
        counts = index.result().files[0]
        _refuse_unknown(counts, path, side.mapping, key)
        describe = {"on": key, **join.describe()["judge"]}
        describe["map"] = side.mapping.as_dict()
        if values is not None and values.rules:
            describe["labels"] = values.specs()
        with writing(ws.engine, attach=stage.attach) as conn:
            name = _check_name(conn, name, ws)
            if stored.cases_state(conn) != state or schemes.label_schemes(conn) != scales:
                raise _changed(ws, path)
            run_id = stored.add_run(
                conn, name, model=model or "", path=str(path.resolve()),
                mapping=json.dumps(describe), added_at=clock(),
            )  # fmt: skip
            if run.insert(conn, stage, run_id) != stage.count:
                raise _changed(ws, path)
            if not model and len(run.models) == 1:
                stored.set_model(conn, run_id, next(iter(run.models)))
            added = stored.run_by_id(conn, run_id)
    assert added is not None
    return RunAdded(_run(added), side.mapping, state[0], counts.missing, counts.missing_ids)


def _changed(ws: Workspace, path: Path) -> JudgeRunError:
    return JudgeRunError(
        f"the cases of {ws.name} changed while {path.name} was read (an import, or a case file "
        "imported again with --replace); nothing was added: add the run again"
    )


def _refuse_unknown(counts: SideCounts, path: Path, mapping: FieldMapping, key: str) -> None:
    if not counts.unmatched:
        return
    more = f" (and {counts.unmatched - 1} more)" if counts.unmatched > 1 else ""
    raise FileRefused(
        path,
        f"case id '{counts.unmatched_ids[0]}' is not a case of this project{more}; a judge run "
        f"gives verdicts on the project's own cases, by id ('{key}')",
        counts.unmatched_lines[0],
    )


class _Adding:
    """The walk over the project's cases: each looked up in the run's index, checked against
    its criterion's scale and staged (:meth:`stage`, no lock held); then the staged verdicts
    inserted (:meth:`insert`, in the write transaction)."""

    def __init__(
        self,
        index: SideIndex,
        mapping: FieldMapping,
        path: Path,
        scales: dict[str, LabelScheme],
        values: ValueMap | None,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
        batch: int,
    ) -> None:
        self.index, self.mapping, self.path, self.scales = index, mapping, path, scales
        self.values = values if values is not None and values.rules else None
        self.progress, self.cancelled, self.batch = progress, cancelled, batch
        self.models: set[str] = set()
        self.unit = "line"

    def stage(self, conn: Any, stage: stored.VerdictStage, total: int) -> None:
        """Walk the cases (``conn``: a read connection), staging each one's verdict."""
        after, done = 0, 0
        while True:
            self._pulse()
            cases = stored.case_batch(conn, after, self.batch)
            if not cases:
                return
            rows: list[stored.StagedRow] = []
            for row_id, case_id, criterion in cases:
                for _, line, value in self.index.lookup(case_id):
                    if line is None:
                        continue
                    found = self._verdict(value, line, criterion)
                    if found is not None:
                        rows.append((row_id, case_id, criterion, found.label, found.rationale,
                                     found.score, found.model, line))  # fmt: skip
            stage.add(rows)
            after = cases[-1][0]
            done += len(cases)
            self._report(READING + (STAGED - READING) * done // max(total, 1))

    def insert(self, conn: Any, stage: stored.VerdictStage, run_id: int) -> int:
        """Insert the staged verdicts as run ``run_id``'s (in the write transaction ``conn``,
        the stage attached), a batch at a time; the verdicts inserted (fewer: cases replaced or
        deleted since they were staged)."""
        db = driver_connection(conn)
        inserted = 0
        for after in range(0, stage.count, self.batch):
            self._pulse()
            inserted += stored.insert_staged(db, run_id, after, self.batch)
            done = min(after + self.batch, stage.count)
            self._report(STAGED + (100 - STAGED) * done // stage.count)
        return inserted

    def _pulse(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise RunCancelled(f"adding {self.path.name} cancelled; nothing was added")

    def _report(self, percent: int) -> None:
        if self.progress is not None:
            self.progress(percent, 100)

    def _verdict(self, value: Any, line: int, criterion: str) -> Verdict | None:
        if self.values is not None:
            record, none = self.values.apply({"judge": value})
            if none is not None:
                return None  # (mapped to no verdict: the case is not covered)
            value = record["judge"]
        try:
            found = verdict(value)
        except Invalid as e:
            raise FileRefused(self.path, str(e), line) from None
        scheme = self.scales.get(criterion)
        if scheme is not None and scheme.labels:
            label = canonical_label(scheme, found.label)
            if label is None:
                raise FileRefused(
                    self.path,
                    f"label '{found.label}' is not on the scale of criterion '{criterion}' "
                    f"(expected one of: {', '.join(scheme.labels)}); map it with --labels "
                    f"judge:{found.label}=LABEL",
                    line,
                )
            found = Verdict(label, found.rationale, found.score, found.model)
        if found.model and len(self.models) < 2:
            self.models.add(found.model)
        return found


# -- the case view -----------------------------------------------------------------------------


def case_verdicts(ws: Workspace, row_id: int, judge: Verdict) -> tuple[RunVerdict, ...]:
    """Every visible run's verdict on a case, the current run first (``judge``: the case's
    own, the imported run's); empty while the imported judge is the only run (the case view
    shows it as it always has)."""
    with ws.engine.connect() as conn:
        found: list[StoredVerdict] = stored.case_verdicts(conn, row_id)
    if not any(not v.imported for v in found):
        return ()
    out = []
    for n, v in enumerate(found):
        if v.imported:
            given: Verdict | None = judge
        elif v.label is None:
            given = None
        else:
            given = Verdict(v.label, v.rationale, v.score, v.model)
        out.append(RunVerdict(v.run, v.run_model, v.imported, n == 0, given))
    return tuple(out)
