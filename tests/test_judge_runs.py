"""Judge runs (services/judge_runs.py, ``annotator judge-run``): a project's judges side by
side. The sample's second run added by the command line, listed, renamed, removed and restored;
bad files refused with their line and nothing written; a workspace from schema 1 gets its
imported run."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.formats.errors import FileRefused
from annotator.formats.mapping import FieldMapping
from annotator.formats.values import ValueMap
from annotator.services.importer import import_file
from annotator.services.judge_runs import (
    IMPORTED_NAME,
    READING,
    STAGED,
    JudgeRunError,
    RunCancelled,
    add_run,
    case_verdicts,
    guess_mapping,
    imported_run_name,
    list_runs,
    remove_run,
    removed_runs,
    rename_run,
    restore_run,
)
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace, WorkspaceBusy
from tests.conftest import REPO, SAMPLE
from tests.helpers import write_jsonl

RUN2 = REPO / "resources" / "sample" / "judge-run-2.jsonl"
V1 = REPO / "tests" / "data" / "workspaces" / "v1.annotator"


def _clock() -> str:
    return "2026-12-01T10:00:00Z"


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    path = tmp_path / "sample.annotator"
    ws = Workspace.open(path)
    import_file(ws, SAMPLE)
    ws.close()
    return path


@pytest.fixture
def ws(ws_path: Path) -> Any:
    opened = Workspace.open(ws_path)
    yield opened
    opened.close()


def _tables(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every judge_run and judge_verdict row, as the alignment page would read them."""
    with sqlite3.connect(path) as db:
        runs = db.execute("SELECT * FROM judge_run ORDER BY id").fetchall()
        verdicts = db.execute("SELECT * FROM judge_verdict ORDER BY run_id, case_id").fetchall()
    return runs, verdicts


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["judge-run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_samples_second_run_by_the_command_line(
    ws_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(capsys, "add", str(ws_path), str(RUN2), "--name", "prompt v2")
    assert code == 0
    assert "Added judge run 'prompt v2' (model judge-gpt-x-v2): 54 of 54 cases" in out
    assert "judge.label=verdict, judge.rationale=reasoning, judge.model=judge_model" in out

    code, out, _ = _cli(capsys, "list", str(ws_path), "--json")
    listed = json.loads(out)
    assert [(r["name"], r["model"], r["cases"], r["imported"]) for r in listed] == [
        (IMPORTED_NAME, "", 54, True),  # (the sample's cases name two judge models)
        ("prompt v2", "judge-gpt-x-v2", 54, False),
    ]
    assert listed[1]["file"] == str(RUN2)
    code, out, _ = _cli(capsys, "list", str(ws_path))
    assert "*  prompt v2" in out and "(imported with the cases)" in out

    runs, verdicts = _tables(ws_path)
    assert len(verdicts) == 54
    run_id = runs[1][0]
    with sqlite3.connect(ws_path) as db:
        label, why, model, line = db.execute(
            "SELECT v.label, v.rationale, v.model, v.line FROM judge_verdict v JOIN cases c "
            "ON c.id = v.case_id WHERE c.ext_id = 'faith-001' AND v.run_id = ?",
            (run_id,),
        ).fetchone()
        imported = db.execute("SELECT imported, name FROM judge_run WHERE id = ?", (runs[0][0],))
        assert imported.fetchone() == (1, IMPORTED_NAME)
        assert db.execute(  # the imported judge keeps its verdicts in the cases
            "SELECT count(*) FROM judge_verdict WHERE run_id = ?", (runs[0][0],)
        ).fetchone() == (0,)
    assert (label, model, line) == ("fail", "judge-gpt-x-v2", 1)
    assert "2 g (4 tablets)" in why


def test_rename_remove_restore_by_the_command_line(
    ws_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "add", str(ws_path), str(RUN2), "--name", "v2")
    code, out, _ = _cli(capsys, "rename", str(ws_path), "V2", "calibrated")
    assert code == 0 and "to 'calibrated'" in out
    code, out, _ = _cli(capsys, "remove", str(ws_path), "calibrated")
    assert code == 0 and "judge-run restore" in out
    _, out, _ = _cli(capsys, "list", str(ws_path), "--json")
    assert [r["name"] for r in json.loads(out)] == [IMPORTED_NAME]
    assert len(_tables(ws_path)[1]) == 54  # (kept, to be restored)
    code, out, _ = _cli(capsys, "restore", str(ws_path), "Calibrated")
    assert code == 0
    _, out, _ = _cli(capsys, "list", str(ws_path), "--json")
    assert [r["name"] for r in json.loads(out)] == [IMPORTED_NAME, "calibrated"]

    code, _, err = _cli(capsys, "rename", str(ws_path), "calibrated", "Imported Judge")
    assert code == 1 and "has a judge run named 'imported judge' already" in err
    code, _, err = _cli(capsys, "remove", str(ws_path), "nothing")
    assert code == 1 and "no judge run named 'nothing'" in err
    code, _, err = _cli(capsys, "add", str(ws_path), str(RUN2), "--name", "CALIBRATED")
    assert code == 1 and "already" in err
    assert len(_tables(ws_path)[0]) == 2


def test_undo_of_remove_and_rename_and_a_name_taken_meanwhile(ws: Workspace) -> None:
    add_run(ws, RUN2, "v2", clock=_clock)
    rename_run(ws, "v2", "second")
    rename_run(ws, "second", "v2")  # (a rename is undone by renaming back)
    removed = remove_run(ws, "v2", clock=_clock)
    assert removed.removed_at == _clock()
    assert [r.name for r in list_runs(ws)] == [IMPORTED_NAME]
    assert [r.name for r in removed_runs(ws)] == ["v2"]
    # another run takes the name: restoring asks for a rename first
    add_run(ws, RUN2, "V2", clock=_clock)
    with pytest.raises(JudgeRunError, match="rename it first"):
        restore_run(ws, removed.id)
    rename_run(ws, "V2", "third")
    assert restore_run(ws, removed.id).name == "v2"
    assert [r.name for r in list_runs(ws)] == [IMPORTED_NAME, "v2", "third"]
    with pytest.raises(JudgeRunError, match="no removed judge run"):
        restore_run(ws, "v2")


def test_the_imported_runs_name_is_told_once_there_are_other_runs(ws: Workspace) -> None:
    """What the window names the queue's Judge column after, as the list of runs tells."""

    def told_by_the_list() -> str | None:
        runs = list_runs(ws)
        return next((r.name for r in runs if r.imported), None) if len(runs) > 1 else None

    assert imported_run_name(ws) is None and told_by_the_list() is None  # one judge
    add_run(ws, RUN2, "v2", clock=_clock)
    assert imported_run_name(ws) == told_by_the_list() == IMPORTED_NAME
    rename_run(ws, IMPORTED_NAME, "first judge")
    assert imported_run_name(ws) == told_by_the_list() == "first judge"
    remove_run(ws, "v2", clock=_clock)
    assert imported_run_name(ws) is None and told_by_the_list() is None


def _bad(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "run.jsonl"
    write_jsonl(path, records)
    return path


@pytest.mark.parametrize(
    ("records", "line", "message"),
    [
        ([{"id": "faith-001", "label": "fail"}, {"id": "faith-999", "label": "pass"}], 2,
         "case id 'faith-999' is not a case of this project"),
        ([{"id": "faith-001", "label": "fail"}, {"id": "faith-002", "label": "pass"},
          {"id": "faith-001", "label": "pass"}], 3, "duplicate id 'faith-001' (first on line 1)"),
        ([{"id": "faith-001", "label": "fail"}, {"id": "pref-001", "label": "C"}], 2,
         "label 'C' is not on the scale of criterion 'preference'"),
        ([{"id": "faith-001", "label": "fail"}, {"id": "help-001", "rationale": "fine"}], 2,
         "no judge label"),
    ],
    ids=["unknown id", "duplicate id", "label outside the scale", "no label"],
)  # fmt: skip
def test_a_bad_file_is_refused_with_its_line_and_nothing_written(
    ws_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    records: list[dict[str, Any]],
    line: int,
    message: str,
) -> None:
    _cli(capsys, "list", str(ws_path))  # (the imported run's row, made on first need)
    before = _tables(ws_path)
    bad = _bad(tmp_path, records)
    code, _, err = _cli(capsys, "add", str(ws_path), str(bad), "--name", "bad")
    assert code == 1
    assert f"run.jsonl, line {line}: {message}" in err
    assert "Traceback" not in err
    assert _tables(ws_path) == before
    ws = Workspace.open(ws_path)
    try:
        with pytest.raises(FileRefused) as refused:
            add_run(ws, bad, "bad", batch=3)
        assert (refused.value.path, refused.value.line) == (bad, line)
    finally:
        ws.close()
    assert _tables(ws_path) == before


def test_cases_a_run_lacks_are_counted_and_the_first_five_named(
    ws: Workspace, tmp_path: Path
) -> None:
    path = _bad(tmp_path, [{"id": "help-002", "label": 2}, {"id": "faith-003", "label": "FAIL"}])
    added = add_run(ws, path, "two", batch=4)
    assert (added.run.cases, added.project_cases, added.missing) == (2, 54, 52)
    assert added.missing_ids == ["faith-001", "faith-002", "faith-004", "faith-005", "faith-006"]
    assert "52 cases have no verdict in it: 'faith-001'" in added.describe()
    with ws.engine.connect() as conn:
        labels = conn.exec_driver_sql("SELECT label FROM judge_verdict ORDER BY line").all()
    assert [label for (label,) in labels] == ["2", "fail"]  # (in the scale's own spelling)


def test_mapping_key_model_and_label_values(ws: Workspace, tmp_path: Path) -> None:
    path = _bad(
        tmp_path,
        [
            {"question": "pref-001", "winner": "model_a", "why": "A is right"},
            {"question": "pref-002", "winner": "model_b", "why": "B is right"},
            {"question": "pref-003", "winner": "draw", "why": "same"},
        ],
    )
    mapping = FieldMapping((("judge.label", "winner"), ("judge.rationale", "why")))
    assert guess_mapping(path, mapping, key="question").as_dict() == mapping.as_dict()
    with pytest.raises(FileRefused, match="label 'model_a' is not on the scale"):
        add_run(ws, path, "arena", mapping=mapping, key="question")
    values = ValueMap.parse(["judge:model_a=A,model_b=B,draw=tie"])
    added = add_run(ws, path, "arena", mapping=mapping, key="question", model="gpt-j",
                    values=values)  # fmt: skip
    assert (added.run.model, added.run.cases) == ("gpt-j", 3)
    assert added.run.mapping["on"] == "question"
    assert added.run.mapping["labels"] == values.specs()
    review = ReviewService(ws, "today")
    row = review.row_id("pref-003") or 0
    shown = case_verdicts(ws, row, review.case(row).case.judge)
    assert [(v.run, v.current, v.verdict and v.verdict.label) for v in shown] == [
        ("arena", True, "tie"),
        (IMPORTED_NAME, False, "A"),
    ]
    assert shown[0].verdict is not None and shown[0].verdict.model == "gpt-j"


def test_the_case_shows_every_runs_verdict_the_current_first(ws: Workspace) -> None:
    review = ReviewService(ws, "today")
    row = review.row_id("faith-001") or 0
    judge = review.case(row).case.judge
    assert case_verdicts(ws, row, judge) == ()  # (one judge: shown as it always was)
    add_run(ws, RUN2, "prompt v2")
    shown = case_verdicts(ws, row, judge)
    assert [(v.run, v.imported, v.current) for v in shown] == [
        ("prompt v2", False, True),
        (IMPORTED_NAME, True, False),
    ]
    assert shown[0].verdict is not None and shown[0].verdict.label == "fail"
    assert shown[1].verdict == judge
    remove_run(ws, "prompt v2")
    assert case_verdicts(ws, row, judge) == ()


def test_cancelling_writes_nothing(ws: Workspace, ws_path: Path) -> None:
    list_runs(ws)
    before = _tables(ws_path)
    seen: list[tuple[int, int]] = []
    with pytest.raises(RunCancelled):
        add_run(ws, RUN2, "v2", batch=10, progress=lambda d, t: seen.append((d, t)),
                cancelled=lambda: len(seen) >= 2)  # fmt: skip
    assert _tables(ws_path) == before


def _phases(seen: list[int]) -> tuple[list[int], list[int]]:
    """The progress reported while the cases were walked, and while their verdicts were inserted."""
    walk = [d for d in seen if READING < d <= STAGED]
    return walk, [d for d in seen if d > STAGED]


def test_the_write_lock_is_taken_only_to_insert_the_verdicts(ws: Workspace, ws_path: Path) -> None:
    """Another window saves while the cases are walked; while the verdicts are inserted it
    would wait (here it gives up at once)."""
    imported = list_runs(ws)[0].name
    other = Workspace.open(ws_path, busy_seconds=0.05)
    seen: list[int] = []
    saved: list[str] = []

    def progress(done: int, _total: int) -> None:
        seen.append(done)
        walk, inserting = _phases(seen)
        try:
            if len(walk) == 1 and not inserting:
                saved.append(rename_run(other, imported, "first judge").name)
            elif len(inserting) == 1:
                rename_run(other, "first judge", imported)
                saved.append("while inserting")
        except WorkspaceBusy:
            saved.append("busy")

    try:
        added = add_run(ws, RUN2, "v2", batch=10, progress=progress)
    finally:
        other.close()
    assert saved == ["first judge", "busy"]
    assert added.run.cases == 54
    assert [r.name for r in list_runs(ws)] == ["first judge", "v2"]


def test_cancelling_while_inserting_writes_nothing(
    ws: Workspace, ws_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And leaves no temporary file (the verdicts staged for the insert)."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    list_runs(ws)
    before = _tables(ws_path)
    seen: list[int] = []
    with pytest.raises(RunCancelled):
        add_run(ws, RUN2, "v2", batch=10, progress=lambda d, t: seen.append(d),
                cancelled=lambda: bool(_phases(seen)[1]))  # fmt: skip
    assert _phases(seen)[1]
    assert _tables(ws_path) == before
    assert list(temp.iterdir()) == []
    add_run(ws, RUN2, "v2")
    assert list(temp.iterdir()) == []


def test_cases_imported_while_the_run_is_read_refuse_it(
    ws: Workspace, ws_path: Path, tmp_path: Path
) -> None:
    """Cases imported, or imported again with --replace, between the walk and the insert: the
    run is refused (nothing added), and added again it is added."""
    list_runs(ws)
    before = _tables(ws_path)
    more = write_jsonl(tmp_path / "more.jsonl", [
        {"id": "extra-1", "criterion": "faithfulness", "input": "q", "output": "a",
         "judge": {"label": "pass"}},
    ])  # fmt: skip
    for change in (
        lambda other: import_file(other, SAMPLE, replace=True),
        lambda other: import_file(other, more),
    ):
        other = Workspace.open(ws_path)

        def progress(
            done: int, _total: int, other: Workspace = other, change: Any = change
        ) -> None:
            if done == STAGED:
                change(other)

        try:
            with pytest.raises(JudgeRunError, match="changed while judge-run-2.jsonl was read"):
                add_run(ws, RUN2, "v2", batch=10, progress=progress)
        finally:
            other.close()
        runs, _ = _tables(ws_path)
        assert runs == before[0]
    added = add_run(ws, RUN2, "v2")
    assert (added.run.cases, added.project_cases) == (54, 55)


def test_a_workspace_from_schema_1_gets_its_imported_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "v1.annotator"
    shutil.copyfile(V1, copy)
    code, out, _ = _cli(capsys, "list", str(copy), "--json")
    assert code == 0
    [imported] = json.loads(out)
    assert (imported["name"], imported["imported"], imported["cases"]) == (IMPORTED_NAME, True, 54)
    code, _, _ = _cli(capsys, "add", str(copy), str(RUN2), "--name", "v2")
    assert code == 0
    runs, verdicts = _tables(copy)
    assert [(r[1], r[3], r[4]) for r in runs] == [(IMPORTED_NAME, 0, 1), ("v2", 1, 0)]
    assert len(verdicts) == 54


def test_a_read_only_workspace_lists_its_imported_judge_without_writing(tmp_path: Path) -> None:
    copy = tmp_path / "v1.annotator"
    shutil.copyfile(V1, copy)
    ws = Workspace.open(copy)  # (upgraded: the upgrade made the imported run's row)
    with ws.engine.begin() as conn:  # as a workspace without it
        conn.exec_driver_sql("DELETE FROM judge_run")
    try:
        ws.hold_writes("open in another window")
        [imported] = list_runs(ws)
        assert (imported.id, imported.name, imported.imported, imported.cases) == (
            0, IMPORTED_NAME, True, 54)  # fmt: skip
    finally:
        ws.close()
    assert _tables(copy)[0] == []


def test_one_judge_model_names_the_imported_run(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    judge = {"label": "pass", "model": "gpt-9"}
    write_jsonl(
        cases,
        [{"id": f"c{i}", "input": "q", "output": "x", "judge": judge, "ratings": ["fail"]}
         for i in range(3)],
    )  # fmt: skip
    ws = Workspace.open(tmp_path / "w.annotator")
    try:
        assert list_runs(ws) == []  # (no cases: no judge yet)
        import_file(ws, cases)
        assert [(r.name, r.model, r.cases) for r in list_runs(ws)] == [("gpt-9", "gpt-9", 3)]
    finally:
        ws.close()


def test_the_import_makes_the_imported_run_from_what_it_read(tmp_path: Path) -> None:
    """The import itself gives the imported judge its row (no later walk over every case's
    text): named after the model the cases agree on, else 'imported judge'; a second import
    keeps the first's row; a refused import leaves none."""
    import sqlalchemy

    def rows(ws: Workspace) -> list[tuple[Any, ...]]:
        with ws.engine.connect() as conn:
            query = "SELECT name, model, imported, position FROM judge_run"
            return [tuple(r) for r in conn.execute(sqlalchemy.text(query))]

    one, mixed = tmp_path / "one.jsonl", tmp_path / "mixed.jsonl"
    write_jsonl(
        one,
        [{"id": f"c{i}", "input": "q", "judge": {"label": "pass", "model": "gpt-9"},
          "ratings": ["fail"]} for i in range(3)],
    )  # fmt: skip
    write_jsonl(
        mixed,
        [{"id": f"m{i}", "input": "q", "judge": {"label": "pass", "model": f"gpt-{i}"},
          "ratings": ["fail"]} for i in range(3)],
    )  # fmt: skip
    ws = Workspace.open(tmp_path / "w.annotator")
    try:
        with pytest.raises(FileRefused):
            import_file(ws, tmp_path / "missing.jsonl")
        assert rows(ws) == []
        import_file(ws, one)
        assert rows(ws) == [("gpt-9", "gpt-9", 1, 0)]
        import_file(ws, mixed)
        assert rows(ws) == [("gpt-9", "gpt-9", 1, 0)]
    finally:
        ws.close()
    other = Workspace.open(tmp_path / "mixed.annotator")
    try:
        import_file(other, mixed)
        assert rows(other) == [(IMPORTED_NAME, "", 1, 0)]
    finally:
        other.close()
