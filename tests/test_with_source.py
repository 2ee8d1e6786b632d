"""``export --with-source``: each case's record as imported, with its decision, read back into
the same cases (docs/formats.md, "The source with decisions")."""

from __future__ import annotations

import csv
import json
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.domain.model import Case
from annotator.formats.labelled.source import ORDER, rows_of, with_decision
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.services.exporter import ExportCancelled, export_decisions
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.with_source import SourceRefused, export_with_source, plan_source
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl

REAL = Path(__file__).parent / "data" / "real"
ALPACA = {
    "id": "idx",
    "input": "instruction+input",
    "outputs.1": "output_1",
    "outputs.2": "output_2",
    "judge.label": "preference",
    "judge.model": "annotator",
    "ratings.human_1": "human_1",
    "ratings.human_2": "human_2",
    "ratings.human_3": "human_3",
}
MT_BENCH = {
    "ratings": "winner",
    "id": "question_id+model_a+model_b+turn",
    "input": "conversation_a.0.content+conversation_a.2.content",
    "outputs.model_a": "conversation_a",
    "outputs.model_b": "conversation_b",
}
MT_LONG = LongFormat("judge", "gpt4_pair")


def mapping(pairs: dict[str, str] | None) -> FieldMapping | None:
    return FieldMapping(tuple(pairs.items())) if pairs else None


def imported(
    path: Path, where: Path, pairs: dict[str, str] | None = None, long: LongFormat | None = None
) -> Workspace:
    ws = Workspace.open(where)
    import_file(ws, path, mapping(pairs), long=long)
    return ws


def every_case(ws: Workspace) -> dict[str, Case]:
    """Every case of ``ws`` by id, as the reviewer reads it (row ids run from 1 in a
    workspace nothing was removed from)."""
    review = ReviewService(ws, "reader")
    details = (review.case(row) for row in range(1, review.progress().all_cases + 1))
    return {detail.case.id: detail.case for detail in details}


def decide_some(ws: Workspace, ids: list[str]) -> None:
    review = ReviewService(ws, "Dr Ada")
    for n, cid in enumerate(ids):
        row = review.row_id(cid)
        assert row is not None
        scheme = review.case(row).scheme
        review.decide(row, scheme.labels[n % len(scheme.labels)], f"reason {n}", tags=["t"])


def labelled_lines(ws: Workspace, tmp_path: Path, every: bool = False) -> dict[str, Any]:
    out = tmp_path / "labelled.jsonl"
    export_decisions(ws, out, include_undecided=every)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    return {line["id"]: line for line in lines}


# -- the round trip -----------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


CSV_ROWS = [
    ["Example ID", "question", "answer", "verdict", "Alice", "Bob", "notes"],
    ["e1", "=1+1 in a spreadsheet?", "-2", "pass", "fail", "fail", "@mention"],
    ["e2", "Is the sky blue?", "Yes.", "fail", "pass", "", "'=quoted already"],
    ["e3", "+44 is a prefix?", "yes", "pass", "pass", "pass", ""],
]
CSV_MAP = {
    "id": "Example ID",
    "input": "question",
    "output": "answer",
    "judge.label": "verdict",
    "ratings.alice": "Alice",
    "ratings.bob": "Bob",
}


def jsonl_source(folder: Path) -> Path:
    rows = [
        case("a", meta={"x": 1.50}),
        case("b", judge="fail", raters={"alice": "pass"}),
        case("c", judge="PASS", annotator_note="kept"),
        case("d", raters={}),
    ]
    path = write_jsonl(folder / "cases.jsonl", rows, PASS_FAIL)
    text = path.read_text(encoding="utf-8").replace('"x": 1.5}', '"x": 1.50}')  # as written
    path.write_text(text, encoding="utf-8")
    return path


def alpaca_source(folder: Path) -> Path:
    return Path(shutil.copy(REAL / "alpaca_eval_annotations.json", folder))


def csv_source(folder: Path) -> Path:
    return write_csv(folder / "export.csv", CSV_ROWS)


def mt_source(folder: Path) -> Path:
    return Path(shutil.copy(REAL / "mt_bench_human_judgments.jsonl", folder))


SOURCES = {
    "jsonl": (jsonl_source, None, None, ".jsonl"),
    "json array, composed input": (alpaca_source, ALPACA, None, ".json"),
    "csv, mapped": (csv_source, CSV_MAP, None, ".csv"),
    "long format": (mt_source, MT_BENCH, MT_LONG, ".jsonl"),
}


@pytest.mark.parametrize("every", [False, True], ids=["decided", "all"])
@pytest.mark.parametrize("name", list(SOURCES))
def test_reading_it_back_with_the_same_mapping_gives_the_same_cases(
    name: str, every: bool, tmp_path: Path
) -> None:
    make, pairs, long, suffix = SOURCES[name]
    (tmp_path / "in").mkdir()
    source = make(tmp_path / "in")
    ws = imported(source, tmp_path / "first.annotator", pairs, long)
    before = every_case(ws)
    decide_some(ws, sorted(before)[:2])
    labelled = labelled_lines(ws, tmp_path, every)
    out = tmp_path / f"back{suffix}"
    done = export_with_source(ws, out, include_undecided=every)
    ws.close()
    assert done.cases == len(labelled) == (len(before) if every else 2)

    again = imported(out, tmp_path / "again.annotator", pairs, long)
    after = every_case(again)
    assert after == {cid: before[cid] for cid in labelled}  # ids, inputs, outputs, judge, ratings
    assert {
        cid: line["case_hash"] for cid, line in labelled_lines(again, tmp_path, True).items()
    } == {cid: line["case_hash"] for cid, line in labelled.items()}
    again.close()


def test_json_lines_keep_each_line_as_it_was_with_the_decision_last(tmp_path: Path) -> None:
    source = jsonl_source(tmp_path)
    ws = imported(source, tmp_path / "w.annotator")
    decide_some(ws, ["a", "c"])
    labelled = labelled_lines(ws, tmp_path)
    out = tmp_path / "back.jsonl"
    export_with_source(ws, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    originals = source.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"project": PASS_FAIL}  # the header: read back with its labels
    assert len(lines) == 3
    for line, original in zip(lines[1:], (originals[1], originals[3]), strict=True):
        assert line.startswith(original[:-1] + ', "annotator": {')  # the source's text, as is
        record = json.loads(line)
        decision = record.pop("annotator")
        assert record == json.loads(original)
        # The decision is the case's line of the labelled file, field for field, decision first.
        assert decision == labelled[record["id"]]
        assert list(decision) == list(ORDER)
    assert '"x": 1.50' in lines[1]  # a number as it was written


def test_a_pretty_printed_array_comes_back_pretty_printed_and_an_annotator_key_is_kept(
    tmp_path: Path,
) -> None:
    ws = imported(alpaca_source(tmp_path), tmp_path / "w.annotator", ALPACA)
    decide_some(ws, ["0", "2"])
    out = tmp_path / "back.json"
    done = export_with_source(ws, out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith('[\n    {\n        "idx": 0,\n')
    assert text.endswith("\n    }\n]\n")
    items = json.loads(text)
    assert [item["idx"] for item in items] == [0, 2]
    # AlpacaEval names its judge 'annotator': the source's field stays, the decision moves.
    assert items[0]["annotator"] == "alpaca_eval_gpt4"
    assert items[0]["annotator_decision"]["label"] == "1"
    assert items[0]["annotator_decision"]["reviewer"] == "Dr Ada"
    assert done.plan.key == "annotator_decision"
    assert any("own 'annotator' field" in note for note in done.plan.notes)
    assert '        "annotator_decision": {\n            "label": "1",' in text


def test_csv_keeps_the_columns_in_order_then_the_decision_guarded(tmp_path: Path) -> None:
    ws = imported(csv_source(tmp_path), tmp_path / "w.annotator", CSV_MAP)
    decide_some(ws, ["e1", "e2"])
    ReviewService(ws, "Dr Ada").decide(1, "pass", '=HYPERLINK("http://x")', tags=["a; b", "c"])
    out = tmp_path / "back.csv"
    export_with_source(ws, out)
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == CSV_ROWS[0] + [f"annotator_{name}" for name in ORDER]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["question"] == "'=1+1 in a spreadsheet?"  # the source's cells are guarded
    assert first["answer"] == "'-2" and first["notes"] == "'@mention"
    assert first["annotator_rationale"] == '\'=HYPERLINK("http://x")'
    assert first["annotator_tags"] == '["a; b", "c"]'  # as the labelled CSV writes them
    assert first["annotator_label"] == "pass" and first["annotator_confidence"] == ""
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["notes"] == "''=quoted already"
    assert second["Bob"] == ""

    raw = tmp_path / "raw.csv"
    export_with_source(ws, raw, formula_guard=False)
    first = dict(zip(*list(csv.reader(raw.open(encoding="utf-8", newline="")))[:2], strict=True))
    assert first["question"] == "=1+1 in a spreadsheet?" and first["answer"] == "-2"

    # Read back, the guard is gone: the cases are those of the source.
    again = imported(out, tmp_path / "again.annotator", CSV_MAP)
    assert every_case(again)["e1"].input == "=1+1 in a spreadsheet?"
    assert every_case(again)["e2"].ratings == every_case(ws)["e2"].ratings


def test_long_format_gives_each_row_with_its_case_decision(tmp_path: Path) -> None:
    ws = imported(mt_source(tmp_path), tmp_path / "w.annotator", MT_BENCH, MT_LONG)
    first = sorted(every_case(ws))[0]
    decide_some(ws, [first])
    out = tmp_path / "back.jsonl"
    done = export_with_source(ws, out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert done.cases == 1 and done.records == len(records) > 1
    assert {r["annotator"]["id"] for r in records} == {first}
    assert {r["judge"] for r in records} >= {"gpt4_pair"}
    source = {line.strip() for line in (tmp_path / "mt_bench_human_judgments.jsonl").open()}
    for line in out.read_text(encoding="utf-8").splitlines():
        assert line.split(', "annotator": {')[0] + "}" in source


def test_the_splice_follows_the_records_layout() -> None:
    decision = {"label": "x", "tags": []}
    assert with_decision('{"a": 1}', "k", decision) == '{"a": 1, "k": {"label": "x", "tags": []}}'
    assert with_decision("{ }", "k", decision) == '{"k": {"label": "x", "tags": []}}'
    pretty = '{\n\t"a": 1\n}'
    assert with_decision(pretty, "k", decision) == (
        '{\n\t"a": 1,\n\t"k": {\n\t "label": "x",\n\t "tags": []\n\t}\n}'
    )
    assert json.loads(with_decision(pretty, "k", decision))["k"] == decision
    assert rows_of('[{"a": "]"} , {"b": [1, {"c": 2}]}]') == ['{"a": "]"}', '{"b": [1, {"c": 2}]}']
    assert rows_of('{"a": 1}') == ['{"a": 1}']


# -- several files, formats, names ----------------------------------------------------------------


def test_csv_and_json_files_in_one_workspace_are_refused_naming_them(tmp_path: Path) -> None:
    ws = imported(jsonl_source(tmp_path), tmp_path / "w.annotator")
    header = ["id", "input", "judge.label"]
    import_file(ws, write_csv(tmp_path / "more.csv", [header, ["z1", "q", "pass"]]))
    decide_some(ws, ["a"])
    assert export_with_source(ws, tmp_path / "only.jsonl").cases == 1  # the cases exported count
    decide_some(ws, ["z1"])
    out = tmp_path / "back.jsonl"
    with pytest.raises(SourceRefused, match=r"cases.jsonl \(JSON Lines\), more.csv \(CSV\)"):
        export_with_source(ws, out)
    assert not out.exists()


def test_json_lines_and_a_json_array_are_written_as_json_lines(tmp_path: Path) -> None:
    ws = imported(jsonl_source(tmp_path), tmp_path / "w.annotator")
    array = tmp_path / "more.json"
    array.write_text(json.dumps([case("z1")], indent=2), encoding="utf-8")
    import_file(ws, array)
    decide_some(ws, ["a", "z1"])
    out = tmp_path / "back.jsonl"
    done = export_with_source(ws, out)
    assert done.plan.fmt == "jsonl"
    assert "more.json (a JSON array): written as JSON Lines" in done.plan.notes[0]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x).get("id") for x in lines] == [None, "a", "z1"]  # header, then cases


def test_csv_files_with_other_columns_share_one_header(tmp_path: Path) -> None:
    one = write_csv(tmp_path / "one.csv", [["id", "input", "judge"], ["a", "q", "pass"]])
    two = write_csv(tmp_path / "two.csv", [["id", "judge", "input", "x"], ["b", "fail", "r", "7"]])
    ws = imported(one, tmp_path / "w.annotator")
    import_file(ws, two)
    decide_some(ws, ["a", "b"])
    out = tmp_path / "back.csv"
    export_with_source(ws, out)
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0][:4] == ["id", "input", "judge", "x"]
    assert rows[1][:4] == ["a", "q", "pass", ""] and rows[2][:4] == ["b", "r", "fail", "7"]


def test_a_csv_column_named_like_the_decisions_moves_them_aside(tmp_path: Path) -> None:
    header = ["id", "input", "judge", "annotator_label"]
    ws = imported(
        write_csv(tmp_path / "c.csv", [header, ["a", "q", "pass", "theirs"]]),
        tmp_path / "w.annotator",
    )
    decide_some(ws, ["a"])
    out = tmp_path / "back.csv"
    done = export_with_source(ws, out)
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0][:5] == header + ["annotator_decision_label"]
    assert rows[1][3:5] == ["theirs", "pass"]
    assert "columns 'annotator_decision_label'" in done.plan.notes[0]


def test_a_name_of_another_format_is_refused(tmp_path: Path) -> None:
    ws = imported(jsonl_source(tmp_path), tmp_path / "w.annotator")
    decide_some(ws, ["a"])
    with pytest.raises(SourceRefused, match=r"writes them in their own format, JSON Lines: name"):
        export_with_source(ws, tmp_path / "back.csv")
    assert not (tmp_path / "back.csv").exists()


def test_a_csv_header_goes_to_the_sidecar(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "c.csv", [["id", "input", "judge"], ["a", "q", "PASS"]])
    (tmp_path / "c.project.json").write_text(json.dumps({"project": PASS_FAIL}), "utf-8")
    ws = imported(source, tmp_path / "w.annotator")
    decide_some(ws, ["a"])
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "back.csv"
    done = export_with_source(ws, out)
    assert "project header to" in done.describe(out)
    assert json.loads((tmp_path / "out" / "back.project.json").read_text("utf-8")) == {
        "project": PASS_FAIL
    }
    again = imported(out, tmp_path / "again.annotator")
    assert every_case(again) == {"a": every_case(ws)["a"]}  # "PASS" read as the header's "pass"


@pytest.fixture
def parquet_source(tmp_path: Path) -> Path:
    pytest.importorskip("pyarrow", exc_type=ImportError)
    import pandas as pd

    source = tmp_path / "d.parquet"
    rows = [
        {"uid": "a", "prompt": "q1", "verdict": "pass", "score": None, "chat": [{"r": "u"}]},
        {"uid": "b", "prompt": "q2", "verdict": "fail", "score": 0.5, "chat": []},
        {"uid": "c", "prompt": "q3", "verdict": "pass", "score": 2.0, "chat": [{"r": "a"}]},
    ]
    pd.DataFrame(rows).to_parquet(source)
    return source


PARQUET_MAP = {"id": "uid", "input": "prompt", "judge.label": "verdict"}


def test_parquet_comes_back_as_parquet_with_the_decision_as_a_struct(
    parquet_source: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    ws = imported(parquet_source, tmp_path / "w.annotator", PARQUET_MAP)
    before = every_case(ws)
    decide_some(ws, ["a", "c"])
    out = tmp_path / "back.parquet"
    done = export_with_source(ws, out)
    assert done.plan.fmt == "parquet" and done.cases == 2
    table = pq.read_table(out)
    assert table.column_names == ["uid", "prompt", "verdict", "score", "chat", "annotator"]
    rows = table.to_pylist()
    assert [r["uid"] for r in rows] == ["a", "c"] and rows[1]["score"] == 2.0
    assert rows[0]["annotator"]["label"] == "fail" and rows[0]["annotator"]["tags"] == ["t"]
    again = imported(out, tmp_path / "again.annotator", PARQUET_MAP)
    assert every_case(again) == {cid: before[cid] for cid in ("a", "c")}


def test_parquet_named_jsonl_or_without_pyarrow_is_json_lines_saying_so(
    parquet_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.services import with_source

    ws = imported(parquet_source, tmp_path / "w.annotator", PARQUET_MAP)
    decide_some(ws, ["a"])
    done = export_with_source(ws, tmp_path / "back.jsonl")
    assert (
        done.plan.fmt == "jsonl"
        and "written as JSON Lines, as back.jsonl asks" in done.plan.notes[0]
    )
    monkeypatch.setattr(with_source, "parquet_available", lambda: False)
    done = export_with_source(ws, tmp_path / "other.jsonl")
    assert "writing Parquet needs pyarrow" in done.plan.notes[0]
    line = json.loads((tmp_path / "other.jsonl").read_text(encoding="utf-8"))
    assert line["uid"] == "a" and line["annotator"]["label"] == "fail"


def test_a_cancelled_export_writes_nothing_and_progress_counts_cases(tmp_path: Path) -> None:
    rows = [case(f"c{i}") for i in range(4500)]
    ws = imported(write_jsonl(tmp_path / "many.jsonl", rows), tmp_path / "w.annotator")
    seen: list[tuple[int, int]] = []
    out = tmp_path / "back.jsonl"
    done = export_with_source(
        ws, out, include_undecided=True, progress=lambda a, b: seen.append((a, b))
    )
    assert done.cases == 4500 and seen == [(2000, 4500), (4000, 4500), (4500, 4500)]
    out.unlink()
    with pytest.raises(ExportCancelled):
        export_with_source(ws, out, include_undecided=True, cancelled=lambda: True)
    assert not out.exists() and list(tmp_path.glob(".back*")) == []


def test_memory_stays_flat_in_the_number_of_cases(tmp_path: Path) -> None:
    pad = "x" * 2000
    rows = [case(f"c{i}", note=pad) for i in range(6000)]  # about 13 MB of records
    ws = imported(write_jsonl(tmp_path / "many.jsonl", rows), tmp_path / "w.annotator")
    out = tmp_path / "back.jsonl"
    tracemalloc.start()
    try:
        done = export_with_source(ws, out, include_undecided=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert done.cases == 6000 and out.stat().st_size > 13 << 20
    assert peak < 6 << 20, peak  # (a list of every record would hold them all)


def test_the_plan_of_a_workspace_with_no_decision_is_its_sources(tmp_path: Path) -> None:
    ws = imported(alpaca_source(tmp_path), tmp_path / "w.annotator", ALPACA)
    assert plan_source(ws).fmt == "json"
    out = tmp_path / "back.json"
    assert export_with_source(ws, out).cases == 0
    assert json.loads(out.read_text("utf-8")) == []


# -- the command --------------------------------------------------------------------------------


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = alpaca_source(tmp_path)
    ws_path = tmp_path / "w.annotator"
    maps = [arg for ours, theirs in ALPACA.items() for arg in ("--map", f"{ours}={theirs}")]
    assert main(["import", str(source), "--workspace", str(ws_path), *maps]) == 0
    out = tmp_path / "back.json"
    assert main(["export", str(ws_path), "-o", str(out), "--with-source"]) == 0
    captured = capsys.readouterr()
    assert f"Wrote 0 cases with their source records to {out}" in captured.out
    assert "has no decision yet" in captured.err
    assert main(["export", str(ws_path), "-o", str(out), "--with-source", "--all"]) == 0
    assert len(json.loads(out.read_text("utf-8"))) == 6
    captured = capsys.readouterr()
    assert "annotator: note: the source has its own 'annotator' field" in captured.err
    for extra in (["--format", "csv"], ["--merged"], ["--rescue"]):
        assert main(["export", str(ws_path), "-o", str(out), "--with-source", *extra]) == 1
        assert "--with-source" in capsys.readouterr().err
    assert main(["export", str(ws_path), "-o", str(tmp_path / "x.csv"), "--with-source"]) == 1
    assert "name the output x.json" in capsys.readouterr().err
