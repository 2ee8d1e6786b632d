"""Importing into a workspace: counts, kinds, idempotence, and bad files that import nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from annotator.domain.model import Kind
from annotator.formats.errors import FileRefused
from annotator.formats.mapping import FieldMapping
from annotator.services.importer import ImportCancelled, import_file
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, write_jsonl


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "w.annotator")
    yield workspace
    workspace.close()


def test_sample_imports_with_every_kind(ws: Workspace) -> None:
    report = import_file(ws, SAMPLE)
    assert report.added >= 40
    assert report.skipped == 0
    assert {k for k, n in report.kinds.items() if n} == {k.value for k in Kind}
    project = ws.project()
    assert set(project.schemes) == {"faithfulness", "preference", "helpfulness"}
    assert project.schemes["helpfulness"].ordinal
    assert project.fingerprint.startswith("sha256:")


def test_reimport_is_idempotent(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL)
    first = import_file(ws, path)
    fingerprint = ws.project().fingerprint
    again = import_file(ws, path)
    assert (first.added, again.added, again.present) == (2, 0, 2)
    assert ws.case_count() == 2
    assert ws.project().fingerprint == fingerprint


def test_raw_record_is_kept_verbatim(ws: Workspace, tmp_path: Path) -> None:
    line = '{"id": "x1",  "input": "q", "extra": {"keep": [1, 2]}, "judge": "pass", "ratings": []}'
    path = tmp_path / "c.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    import_file(ws, path)
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT raw FROM case_text")).scalar() == line


def test_duplicate_id_refuses_whole_file(ws: Workspace, tmp_path: Path) -> None:
    rows = [case("a"), case("b"), case("a", judge="fail")]
    path = write_jsonl(tmp_path / "dup.jsonl", rows, PASS_FAIL)
    with pytest.raises(FileRefused) as err:
        import_file(ws, path)
    assert str(err.value) == "dup.jsonl, line 4: duplicate id 'a' (first seen on line 2)"
    assert ws.case_count() == 0


def test_duplicate_across_batches_is_found(ws: Workspace, tmp_path: Path) -> None:
    rows = [case(f"c{i}") for i in range(2500)] + [case("c7")]
    path = write_jsonl(tmp_path / "big.jsonl", rows, PASS_FAIL)
    with pytest.raises(FileRefused, match=r"line 2502: duplicate id 'c7' \(first seen on line 9\)"):
        import_file(ws, path)
    assert ws.case_count() == 0


def test_changed_case_with_same_id_is_refused(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, write_jsonl(tmp_path / "one.jsonl", [case("a")], PASS_FAIL))
    changed = write_jsonl(tmp_path / "two.jsonl", [case("b"), case("a", judge="fail")], PASS_FAIL)
    with pytest.raises(
        FileRefused, match="'a' is already in this workspace with different content"
    ):
        import_file(ws, changed)
    assert ws.case_count() == 1


def test_bad_lines_are_skipped_and_reported(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"project": PASS_FAIL}),
                json.dumps(case("good1")),
                '{"id": "broken", ',
                json.dumps(case("odd", judge="maybe")),
                json.dumps({k: v for k, v in case("noid").items() if k != "id"}),
                json.dumps(case("good2")),
            ]
        ),
        encoding="utf-8",
    )
    report = import_file(ws, path)
    assert (report.added, report.skipped) == (2, 3)
    described = report.describe_problems()
    assert described[0].startswith("mixed.jsonl, line 3: ")
    assert "unknown label 'maybe'" in described[1] and "line 4" in described[1]
    assert "line 5" in described[2] and "id" in described[2]


def test_strict_refuses_on_first_bad_line(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(case("a")) + "\nnot json\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="line 2"):
        import_file(ws, path, strict=True)
    assert ws.case_count() == 0


def test_all_lines_bad_refuses(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("nope\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="no valid cases"):
        import_file(ws, path)


def test_header_labels_must_match_workspace(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, write_jsonl(tmp_path / "a.jsonl", [case("a")], PASS_FAIL))
    other = {"labels": ["bad", "good"]}
    with pytest.raises(FileRefused, match="label set"):
        import_file(
            ws, write_jsonl(tmp_path / "b.jsonl", [case("b", judge="good", raters={})], other)
        )


def test_headerless_file_is_checked_against_declared_labels(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, write_jsonl(tmp_path / "a.jsonl", [case("a")], PASS_FAIL))
    report = import_file(
        ws, write_jsonl(tmp_path / "b.jsonl", [case("b", judge="PASS"), case("c", judge="meh")])
    )
    assert report.added == 1 and report.skipped == 1
    with ws.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT judge_label FROM cases WHERE ext_id='b'")).scalar() == "pass"
        )


def test_numeric_labels_without_header_become_ordinal(ws: Workspace, tmp_path: Path) -> None:
    rows = [case("a", judge="5", raters={"r": "4"}), case("b", judge="1", raters={"r": "3"})]
    import_file(ws, write_jsonl(tmp_path / "n.jsonl", rows))
    scheme = ws.project().schemes[""]
    assert scheme.labels == ("1", "3", "4", "5")
    assert scheme.ordinal and scheme.threshold == 0
    with ws.engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT ext_id, kind FROM cases")).fetchall())
    assert kinds == {"a": "judge_vs_all", "b": "judge_vs_all"}


def test_mapping_foreign_fields(ws: Workspace, tmp_path: Path) -> None:
    rows = [
        {"qid": "q1", "prompt": "p", "response": "r", "verdict": "pass", "human": {"ann": "fail"}},
    ]
    path = write_jsonl(tmp_path / "foreign.jsonl", rows)
    mapping = FieldMapping.parse(
        ["id=qid", "input=prompt", "output=response", "judge.label=verdict", "ratings=human"]
    )
    report = import_file(ws, path, mapping)
    assert report.added == 1
    assert report.kinds[Kind.JUDGE_VS_ALL.value] == 1


def test_cancel_imports_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case(f"c{i}") for i in range(3000)], PASS_FAIL)
    with pytest.raises(ImportCancelled):
        import_file(ws, path, cancelled=lambda: True)
    assert ws.case_count() == 0


def test_progress_reaches_the_end(ws: Workspace, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case(f"c{i}") for i in range(2100)], PASS_FAIL)
    seen: list[tuple[int, int]] = []
    import_file(ws, path, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 3
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size


def test_headerless_labels_differing_only_in_case_are_one_label(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = [
        case("a", judge="PASS", raters={"r1": "pass", "r2": "Pass"}),
        case("b", judge="Fail", raters={"r1": "fail"}),
    ]
    report = import_file(ws, write_jsonl(tmp_path / "h.jsonl", rows))
    assert report.kinds[Kind.AGREEMENT.value] == 2
    assert ws.project().schemes[""].labels == ("Fail", "PASS")  # first spelling seen


def test_threshold_option_and_kind_counts(ws: Workspace, tmp_path: Path) -> None:
    rows = [case("a", judge="4", raters={"r": "5"}), case("b", judge="1", raters={"r": "5"})]
    path = write_jsonl(tmp_path / "n.jsonl", rows)  # no header: an inferred 1-5 scale
    report = import_file(ws, path, threshold=1)
    assert ws.project().schemes[""].threshold == 1
    # The counts are those after the scale was inferred and the threshold applied.
    assert report.kinds == {Kind.AGREEMENT.value: 1, Kind.JUDGE_VS_ALL.value: 1}


def test_import_records_the_resolved_path(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_jsonl(tmp_path / "rel.jsonl", [case("a")], PASS_FAIL)
    monkeypatch.chdir(tmp_path)
    import_file(ws, Path("rel.jsonl"))
    assert ws.path is not None
    assert Workspace.holds_import_of(ws.path, tmp_path / "rel.jsonl")


def test_header_labels_differing_only_in_case_match_the_workspace(
    ws: Workspace, tmp_path: Path
) -> None:
    import_file(ws, write_jsonl(tmp_path / "a.jsonl", [case("a")], PASS_FAIL))
    shouting = {"labels": ["FAIL", "PASS"]}
    rows = [case("b", judge="PASS", raters={"r": "FAIL"})]
    report = import_file(ws, write_jsonl(tmp_path / "b.jsonl", rows, shouting))
    assert report.added == 1
    assert ws.project().schemes[""].labels == ("fail", "pass")  # the workspace's spelling
    with ws.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT judge_label FROM cases WHERE ext_id='b'")).scalar() == "pass"
        )


def test_a_header_after_inferred_labels_keeps_their_spelling(ws: Workspace, tmp_path: Path) -> None:
    import_file(
        ws, write_jsonl(tmp_path / "a.jsonl", [case("a", judge="Pass", raters={"r": "Fail"})])
    )
    import_file(ws, write_jsonl(tmp_path / "b.jsonl", [case("b", judge="pass")], PASS_FAIL))
    assert ws.project().schemes[""].labels == ("Fail", "Pass")
    with ws.engine.connect() as conn:
        labels = {r[0] for r in conn.execute(text("SELECT judge_label FROM cases"))}
    assert labels == {"Pass"}


def test_a_broken_header_line_refuses_the_file(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"project": {"labels": [1, 2, 3],}}\n' + json.dumps(case("a")) + "\n")
    with pytest.raises(
        FileRefused, match=r"broken.jsonl, line 1: bad project header: invalid JSON"
    ):
        import_file(ws, path)
    assert ws.case_count() == 0


def _indexes(ws: Workspace) -> list[tuple[str, str]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN ('cases', 'rating') ORDER BY name"
            )
        )
        return [(name, sql) for name, sql in rows]


def test_indexes_made_after_the_rows_are_the_schemas(ws: Workspace, tmp_path: Path) -> None:
    """Into a new workspace the import makes the indexes of cases and ratings after their rows
    (storage.cases.CaseWriter.defer_indexes): the same indexes, read as a search reads them;
    a file refused halfway (a duplicate in a later batch) leaves them as they were."""
    made = _indexes(ws)
    assert sum(sql is not None for _name, sql in made) == 7  # (and the unique ext_id)
    dup = write_jsonl(tmp_path / "dup.jsonl", [case(f"c{i}") for i in range(5)] + [case("c1")])
    with pytest.raises(FileRefused):
        import_file(ws, dup, batch=2)
    assert _indexes(ws) == made and ws.case_count() == 0
    path = write_jsonl(tmp_path / "c.jsonl", [case(f"c{i}", judge="fail") for i in range(5)])
    import_file(ws, path, batch=2)
    assert _indexes(ws) == made
    with ws.engine.connect() as conn:
        plan = conn.execute(text("EXPLAIN QUERY PLAN SELECT id FROM cases WHERE status = 0"))
        assert "ix_cases_status" in " ".join(str(row[-1]) for row in plan)
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
