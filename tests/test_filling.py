"""A first import into a workspace made for it writes its rows once, into the database file
(SQLite's rollback journal), not twice through the write-ahead log (``db.filling``): the
workspace it leaves is the same, back on the log; a refusal leaves it as it was; another
program holding the workspace open sends the import through the log as before; a program
that opens the workspace while it is being filled is told so, in a sentence."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.formats.errors import FileRefused
from annotator.services.importer import import_file
from annotator.services.workspace import Workspace
from annotator.storage.db import WorkspaceBusy, driver_connection, filling
from tests.helpers import PASS_FAIL, case, write_jsonl


def _cases(tmp_path: Path, n: int = 50, name: str = "cases.jsonl") -> Path:
    rows = [case(f"c{i:03d}", judge="pass", raters={"a": "fail"}) for i in range(n)]
    return write_jsonl(tmp_path / name, rows, PASS_FAIL)


def _journal_of(ws: Workspace) -> str:
    with ws.engine.connect() as conn:
        return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())


def test_a_first_import_fills_the_file_and_leaves_the_log_on(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "w.annotator")
    seen: list[tuple[str, int]] = []
    import annotator.services.importer as importer

    real = importer._Import.run

    def run(self: importer._Import) -> object:  # (what the import's own transaction uses)
        db = driver_connection(self.conn)
        seen.append(
            (
                db.execute("PRAGMA journal_mode").fetchone()[0],
                db.execute("PRAGMA synchronous").fetchone()[0],
            )
        )
        return real(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(importer._Import, "run", run)
        import_file(ws, _cases(tmp_path), made_for_it=True)
        # a second import adds to the cases there: through the log, as every write
        import_file(ws, _cases(tmp_path, 60, "more.jsonl"), made_for_it=True)
    assert seen == [("delete", 3), ("wal", 2)]  # (3: EXTRA, the folder synced; 2: FULL)
    assert ws.case_count() == 60 and _journal_of(ws) == "wal"
    ws.close()
    assert not Path(f"{tmp_path / 'w.annotator'}-journal").exists()
    again = Workspace.open(tmp_path / "w.annotator")
    assert again.case_count() == 60
    again.close()


def test_a_refused_first_import_leaves_the_workspace_as_it_was(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    good = _cases(tmp_path).read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join(good[:30] + ["{oops"] + good[30:]) + "\n", encoding="utf-8")
    ws = Workspace.open(tmp_path / "w.annotator")
    with pytest.raises(FileRefused):
        import_file(ws, bad, strict=True, batch=10, made_for_it=True)  # (rows written first)
    assert ws.case_count() == 0 and ws.never_imported() and _journal_of(ws) == "wal"
    import_file(ws, _cases(tmp_path), made_for_it=True)  # and the next import fills it
    assert ws.case_count() == 50
    ws.close()


def test_with_another_program_on_the_workspace_the_import_goes_through_the_log(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    other = sqlite3.connect(path)  # (another program, reading it)
    other.execute("SELECT count(*) FROM cases").fetchone()
    try:
        import_file(ws, _cases(tmp_path), made_for_it=True)
        assert other.execute("SELECT count(*) FROM cases").fetchone() == (50,)
    finally:
        other.close()
    assert ws.case_count() == 50 and _journal_of(ws) == "wal"
    ws.close()


def test_opening_a_workspace_another_program_fills_says_so(tmp_path: Path) -> None:
    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    with filling(ws.engine) as conn:  # (as another program's first import, mid-way)
        conn.exec_driver_sql("INSERT INTO tag (name, created_at) VALUES ('x', 'now')")
        assert Path(f"{path}-journal").exists()
        with pytest.raises(WorkspaceBusy, match="being filled by an import in another program"):
            Workspace.open(path, busy_seconds=0.2)
    assert _journal_of(ws) == "wal"
    ws.close()


def test_the_command_line_fills_a_new_workspace_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import annotator.services.importer as importer

    filled: list[str] = []
    real = importer.filling

    def recorded(engine: object) -> object:
        filled.append(str(engine.url.database))  # type: ignore[attr-defined]
        return real(engine)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "filling", recorded)
    target = tmp_path / "w.annotator"
    assert main(["import", str(_cases(tmp_path)), "--workspace", str(target)]) == 0
    more = _cases(tmp_path, 60, "more.jsonl")
    assert main(["import", str(more), "--workspace", str(target)]) == 0  # (it has cases)
    assert filled == [str(target)]
    ws = Workspace.open(target)
    try:
        assert ws.case_count() == 60 and _journal_of(ws) == "wal"
    finally:
        ws.close()
