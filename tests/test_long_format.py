"""Long format (formats/long.py): one row per rating grouped into one case per id, in any
order of the rows, with memory bounded by spilling sorted runs to a temporary file; rows that
disagree on the case refuse the file naming both lines."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.formats import long as long_module
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.long import LongFormat, long_format, natural
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.services.importer import ImportCancelled, import_file
from annotator.services.workspace import Workspace

MAP = FieldMapping.parse(["id=qid", "input=prompt", "ratings=label"])


def row(qid: Any, rater: Any, label: Any, **extra: Any) -> dict[str, Any]:
    return {"qid": qid, "prompt": f"question {qid}", "verdict": "pass", "rater": rater,
            "label": label, **extra}  # fmt: skip


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read(path: Path, mapping: FieldMapping = MAP, **kwargs: Any) -> list[Any]:
    judge = FieldMapping.parse(["judge=verdict"]) if "judge_rater" not in kwargs else None
    pairs = mapping.pairs + (judge.pairs if judge else ())
    form = LongFormat("rater", kwargs.pop("judge_rater", None))
    return list(CaseReader(path, FieldMapping(pairs), long=form, **kwargs))


def cases(items: list[Any]) -> dict[str, dict[str, str]]:
    return {
        i.case.id: {r.rater: r.label for r in i.case.ratings}
        for i in items
        if isinstance(i, ParsedCase)
    }


def test_rows_of_an_id_become_one_case_wherever_they_are(tmp_path) -> None:
    rows = [row(1, "ann", "pass"), row(2, "ann", "fail"), row(1, "bob", "fail"),
            row(3, "bob", "pass"), row(2, "cy", "fail")]  # fmt: skip
    items = read(write_rows(tmp_path / "long.jsonl", rows))
    assert cases(items) == {
        "1": {"ann": "pass", "bob": "fail"},
        "2": {"ann": "fail", "cy": "fail"},
        "3": {"bob": "pass"},
    }
    first = {i.case.id: i.line for i in items}
    assert first == {"1": 1, "2": 2, "3": 4}  # each case at its first row
    raw = json.loads(next(i.raw for i in items if i.case.id == "1"))
    assert raw == [rows[0], rows[2]]  # the case's own rows, verbatim


def test_the_same_rows_in_any_order_give_the_same_cases_in_id_order(tmp_path) -> None:
    rows = [row(q, r, random.Random(q * 7 + len(r)).choice(["pass", "fail"]))
            for q in range(1, 40) for r in ("ann", "bob", "cy")]  # fmt: skip
    expected = cases(read(write_rows(tmp_path / "a.jsonl", rows)))
    random.Random(3).shuffle(rows)
    items = read(write_rows(tmp_path / "b.jsonl", rows))
    assert cases(items) == expected
    assert [i.case.id for i in items] == [str(q) for q in range(1, 40)]  # 2 before 10


def test_a_large_file_is_sorted_in_runs_spilled_to_a_temporary_file(tmp_path, monkeypatch) -> None:
    """With runs of ~2 KB, 3,000 rows are sorted in many runs and merged: the same cases as
    in memory, and no more than a run's rows held at once."""
    rows = [row(q, f"r{n}", "pass" if (q + n) % 3 else "fail")
            for n in range(3) for q in range(1000)]  # fmt: skip
    random.Random(1).shuffle(rows)
    path = write_rows(tmp_path / "big.jsonl", rows)
    in_memory = cases(read(path))
    held: list[int] = []
    spilled: list[int] = []

    class Watched(long_module._Runs):
        def add(self, seq: int, r: long_module.Row) -> None:
            super().add(seq, r)
            held.append(len(self.rows))

        def _spill(self) -> None:
            spilled.append(len(self.rows))
            super()._spill()

    monkeypatch.setattr(long_module, "RUN_BYTES", 2048)
    monkeypatch.setattr(long_module, "_Runs", Watched)
    assert cases(read(path)) == in_memory
    assert len(spilled) > 100 and max(held) <= max(spilled) <= 20


def test_natural_order() -> None:
    ids = ["c10", "c2", "c1", "b", "c02", "10|a", "9|b", "٣"]
    assert sorted(ids, key=natural) == ["9|b", "٣", "10|a", "b", "c1", "c2", "c02", "c10"]


def test_rows_that_disagree_on_the_case_refuse_the_file_naming_both_lines(tmp_path) -> None:
    rows = [row(1, "ann", "pass"), row(2, "ann", "fail"), row(1, "bob", "fail", prompt="other")]
    with pytest.raises(FileRefused) as refused:
        read(write_rows(tmp_path / "long.jsonl", rows))
    assert str(refused.value) == (
        "long.jsonl, line 3: case '1' has another 'input' here than on line 1 (\"other\", not "
        '"question 1"): in long format, every row of a case must give the same case fields'
    )


def test_a_row_may_leave_a_case_field_out(tmp_path) -> None:
    rows = [row(1, "ann", "pass", ref="R"), {"qid": 1, "rater": "bob", "label": "fail"}]
    mapping = FieldMapping(MAP.pairs + (("reference", "ref"),))
    items = read(write_rows(tmp_path / "long.jsonl", rows), mapping)
    assert isinstance(items[0], ParsedCase)
    assert items[0].case.input == "question 1" and items[0].case.reference == "R"


def test_rows_without_a_rater_or_a_label(tmp_path) -> None:
    rows = [
        row(1, "ann", "pass"), row(1, "bob", None),  # bob abstained
        row(2, "ann", "pass"), row(2, "", "fail"),  # a label with no rater: case 2 skipped
        row(3, None, None),  # a row of the case alone: no rating
        row(4, "ann", "pass"), row(4, "ann", "fail"),  # ann twice: case 4 skipped
        {"rater": "ann", "label": "x"},  # no id: that row
    ]  # fmt: skip
    items = read(write_rows(tmp_path / "long.jsonl", rows))
    assert cases(items) == {"1": {"ann": "pass"}, "3": {}}
    problems = [i.describe(Path("long.jsonl")) for i in items if isinstance(i, LineProblem)]
    assert problems == [
        "long.jsonl, line 8: missing id",
        "long.jsonl, line 4: case '2': a rating with no rater ('rater' is missing or empty)",
        "long.jsonl, line 6: rater 'ann' appears twice in ratings",
    ]


def test_the_judges_rows(tmp_path) -> None:
    rows = [
        row(1, "ann", "pass"), row(1, "gpt4", "fail", why="too short"), row(1, "bob", "fail"),
        row(2, "ann", "pass"),  # the judge never rated it
        row(3, "gpt4", "pass"), row(3, "gpt4", "fail"),  # twice
    ]  # fmt: skip
    mapping = FieldMapping(MAP.pairs + (("judge.rationale", "why"),))
    items = read(write_rows(tmp_path / "long.jsonl", rows), mapping, judge_rater="gpt4")
    one = items[0]
    assert isinstance(one, ParsedCase)
    assert one.case.judge.label == "fail" and one.case.judge.model == "gpt4"
    assert one.case.judge.rationale == "too short"  # the judge's row's, not compared
    assert {r.rater: r.label for r in one.case.ratings} == {"ann": "pass", "bob": "fail"}
    problems = [i.message for i in items if isinstance(i, LineProblem)]
    assert problems == [
        "case '2': no row of the judge ('gpt4')",
        "case '3': the judge ('gpt4') rated it twice (first on line 5)",
    ]


def test_a_rater_field_named_like_ours_is_not_read_as_ours(tmp_path) -> None:
    """MT-Bench names its rater column "judge": that is not the judge's label."""
    rows = [{"qid": 1, "prompt": "q", "judge": "expert_1", "winner": "model_a"},
            {"qid": 1, "prompt": "q", "judge": "gpt4_pair", "winner": "model_b"}]  # fmt: skip
    path = write_rows(tmp_path / "long.jsonl", rows)
    mapping = FieldMapping.parse(["id=qid", "input=prompt", "ratings=winner"])
    items = list(CaseReader(path, mapping, long=LongFormat("judge", "gpt4_pair")))
    assert isinstance(items[0], ParsedCase)
    assert items[0].case.judge.label == "model_b"
    assert [(r.rater, r.label) for r in items[0].case.ratings] == [("expert_1", "model_a")]


def test_a_long_csv_with_rating_comments(tmp_path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "case,text,llm,annotator,score,note\n"
        "a,Is it safe?,2,17,2,\n"
        "b,Is it legal?,1,17,3,unsure\n"
        "a,Is it safe?,2,23,2,\n",
        encoding="utf-8",
    )
    mapping = FieldMapping.parse(["id=case", "input=text", "judge=llm", "ratings=score"])
    items = list(CaseReader(path, mapping, long=LongFormat("annotator")))
    assert cases(items) == {"a": {"17": "2", "23": "2"}, "b": {"17": "3"}}


def test_long_format_needs_a_label_field() -> None:
    assert long_format(None, None, MAP) is None
    assert long_format("rater", "gpt4", MAP) == LongFormat("rater", "gpt4")
    with pytest.raises(ValueError, match="add --map ratings=FIELD"):
        long_format("rater", None, FieldMapping.parse(["id=qid"]))
    with pytest.raises(ValueError, match="--judge-rater needs --rater-field"):
        long_format(None, "gpt4", MAP)


def test_an_import_of_a_long_file(tmp_path) -> None:
    rows = [row(q, r, "fail" if (q, r) in {(1, "bob"), (2, "ann"), (2, "bob")} else "pass")
            for r in ("ann", "bob") for q in (1, 2, 3)]  # fmt: skip
    path = write_rows(tmp_path / "long.jsonl", rows)
    ws = Workspace.open(None)
    try:
        mapping = FieldMapping(MAP.pairs + (("judge", "verdict"),))
        report = import_file(ws, path, mapping, long=LongFormat("rater"))
        assert (report.added, report.skipped, report.disagreements) == (3, 0, 2)
        assert dict(report.kinds) == {"agreement": 1, "judge_vs_all": 1, "raters_split": 1}
    finally:
        ws.close()


def test_the_command_line(tmp_path, capsys) -> None:
    rows = [row(1, "ann", "pass"), row(1, "gpt", "fail"), row(2, "ann", "fail")]
    path = write_rows(tmp_path / "long.jsonl", rows)
    common = ["--map", "id=qid", "--map", "input=prompt", "--basedir", str(tmp_path / "base")]
    status = main(["summary", str(path), "--rater-field", "rater", "--judge-rater", "gpt",
                   "--map", "ratings=label", "--json", *common])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and out["cases"] == 1  # case 2: no row of gpt
    assert main(["import", str(path), "--rater-field", "rater", *common]) == 1
    assert "add --map ratings=FIELD" in capsys.readouterr().err
    assert main(["import", str(path), "--judge-rater", "gpt", *common]) == 1
    assert "--judge-rater needs --rater-field" in capsys.readouterr().err


def test_an_import_shows_progress_and_can_be_cancelled_while_the_rows_are_sorted(
    tmp_path,
) -> None:
    rows = [row(q, r, "pass") for r in ("ann", "bob") for q in range(3000)]
    path = write_rows(tmp_path / "long.jsonl", rows)
    mapping = FieldMapping(MAP.pairs + (("judge", "verdict"),))
    seen: list[tuple[int, int]] = []
    ws = Workspace.open(None)
    try:
        report = import_file(
            ws, path, mapping, long=LongFormat("rater"), progress=lambda *a: seen.append(a),
            batch=500,
        )  # fmt: skip
        assert report.added == 3000
        size = path.stat().st_size
        done = [d for d, _ in seen]
        assert done == sorted(done) and done[-1] == size
        assert sum(1 for d in done if d <= size // 2) >= 5  # while sorting: half the bar
        asked = iter([False, False, True])  # the third pulse: 3,000 rows read, none imported
        with pytest.raises(ImportCancelled):
            import_file(ws, path, mapping, long=LongFormat("rater"), cancelled=lambda: next(asked))
        assert ws.case_count() == 3000  # the second import changed nothing
    finally:
        ws.close()


def test_a_json_array_can_be_long_too(tmp_path) -> None:
    rows = [row(1, "ann", "pass"), row(2, "ann", "fail"), row(1, "bob", "fail")]
    lines = write_rows(tmp_path / "long.jsonl", rows)
    array = tmp_path / "long.json"
    array.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    assert (
        cases(read(array))
        == cases(read(lines))
        == {
            "1": {"ann": "pass", "bob": "fail"},
            "2": {"ann": "fail"},
        }
    )
