"""Parquet case files (formats/parquet.py), with the optional extra ``annotator[parquet]``:
rows as records in batches, struct and list columns, pandas' missing numbers, problems by row;
without pyarrow, a refusal that says what to install."""

from __future__ import annotations

import builtins
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.formats import parquet
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase, sample_records
from tests.data.real.make import mt_bench

REAL = Path(__file__).parent / "data" / "real"


def test_without_pyarrow_a_parquet_file_is_refused_saying_what_to_install(
    tmp_path, monkeypatch
) -> None:
    path = tmp_path / "cases.parquet"
    path.write_bytes(b"PAR1 not really")
    real_import = builtins.__import__

    def no_pyarrow(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pyarrow"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(FileRefused) as refused:
        CaseReader(path)
    assert str(refused.value).startswith(
        "cases.parquet: reading Parquet needs pyarrow: pip install 'annotator[parquet]'"
    )
    assert "to_json(OUT, orient='records', lines=True)" in str(refused.value)


def test_a_parquet_file_is_found_by_its_first_bytes(tmp_path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"PAR1" + b"\0" * 20)
    assert parquet.is_parquet(path, None)
    assert not parquet.is_parquet(path, "jsonl")
    assert parquet.is_parquet(tmp_path / "x.parquet", None)


def test_cell_values_as_json_holds_them() -> None:
    values = [None, True, 3, "x", 1.5, float("nan"), float("inf"), Decimal("2.50"),
              Decimal("1e999"), dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 9, 30),
              b"caf\xc3\xa9", [("k", 1), ("j", [2.0, float("nan")])], {"a": (1, 2, 3)}]  # fmt: skip
    assert [parquet.jsonable(v) for v in values] == [
        None, True, 3, "x", 1.5, None, None, 2.5, None, "2024-05-01", "2024-05-01T09:30:00",
        "café", {"k": 1, "j": [2.0, None]}, {"a": [1, 2, 3]},
    ]  # fmt: skip


def write_table(path: Path, rows: list[dict[str, Any]]) -> Path:
    """(Tests that write Parquet are skipped where pyarrow is not installed.)"""
    pa = pytest.importorskip("pyarrow", exc_type=ImportError)
    pytest.importorskip("pyarrow.parquet", exc_type=ImportError).write_table(
        pa.Table.from_pylist(rows), path, row_group_size=3
    )
    return path


def test_rows_are_cases(tmp_path) -> None:
    rows = [
        {"id": f"c{i}", "input": f"q{i}", "judge": {"label": "pass", "score": 0.5 + i},
         "ratings": [{"rater": "ann", "label": "fail" if i % 2 else "pass"}],
         "meta": {"when": dt.datetime(2024, 1, i + 1)}}
        for i in range(7)
    ]  # fmt: skip
    rows[4]["judge"] = {"label": None, "score": float("nan")}
    path = write_table(tmp_path / "cases.parquet", rows)
    reader = CaseReader(path)
    assert reader.fmt == "parquet" and reader.unit == "row"
    items = list(reader)
    assert [i.case.id for i in items if isinstance(i, ParsedCase)] == [
        "c0", "c1", "c2", "c3", "c5", "c6",
    ]  # fmt: skip
    first = items[0]
    assert isinstance(first, ParsedCase)
    assert first.case.judge.score == 0.5 and first.case.meta == {"when": "2024-01-01T00:00:00"}
    assert json.loads(first.raw)["judge"] == {"label": "pass", "score": 0.5}
    problem = items[4]
    assert isinstance(problem, LineProblem)
    assert problem.describe(path) == "cases.parquet, row 5: missing judge label"
    assert reader.bytes_read == path.stat().st_size
    assert sample_records(path, limit=1)[0]["id"] == "c0"


def test_a_file_that_is_not_parquet(tmp_path) -> None:
    path = tmp_path / "cases.parquet"
    path.write_text("id,input\n")
    pytest.importorskip("pyarrow.parquet", exc_type=ImportError)
    with pytest.raises(FileRefused, match=r"cases\.parquet: not a readable Parquet file"):
        CaseReader(path)
    none = write_table(tmp_path / "none.parquet", [{"id": "x"}])
    import pyarrow.parquet as pq

    pq.write_table(pq.read_table(none).slice(0, 0), none)
    with pytest.raises(FileRefused, match=r"none\.parquet: the file has no cases"):
        CaseReader(none)


def test_a_long_parquet_file_as_hugging_face_publishes_mt_bench(tmp_path) -> None:
    path = write_table(tmp_path / "human.parquet", mt_bench())
    mapping = FieldMapping.parse([
        "id=question_id+model_a+model_b+turn",
        "input=conversation_a.0.content+conversation_a.2.content",
        "outputs.model_a=conversation_a", "outputs.model_b=conversation_b", "ratings=winner",
    ])  # fmt: skip
    items = list(CaseReader(path, mapping, long=LongFormat("judge", "gpt4_pair")))
    cases = [i for i in items if isinstance(i, ParsedCase)]
    assert len(cases) == 5 and sum(len(c.case.ratings) for c in cases) == 10
    skipped = [i.describe(path) for i in items if isinstance(i, LineProblem)]
    assert skipped == [
        "human.parquet, row 9: case '83|gpt-4|llama-13b|1': no row of the judge ('gpt4_pair')"
    ]


def test_the_command_line(tmp_path, capsys) -> None:
    rows = [{"uid": i, "prompt": "q", "verdict": "pass", "h": "fail"} for i in range(4)]
    path = write_table(tmp_path / "cases.parquet", rows)
    status = main(["import", str(path), "--map", "id=uid", "--map", "input=prompt",
                   "--map", "judge=verdict", "--map", "ratings.h=h", "--json",
                   "--basedir", str(tmp_path / "base")])  # fmt: skip
    assert status == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["added"], counts["disagreements"]) == (4, 4)


def test_a_sidecar_holds_the_project_header(tmp_path) -> None:
    path = write_table(tmp_path / "cases.parquet", [{"id": "c1", "input": "q", "judge": "PASS"}])
    (tmp_path / "cases.project.json").write_text('{"title": "T", "labels": ["pass", "fail"]}')
    reader = CaseReader(path)
    assert reader.project is not None and reader.project.title == "T"
    items = list(reader)
    assert isinstance(items[0], ParsedCase) and items[0].case.judge.label == "pass"
