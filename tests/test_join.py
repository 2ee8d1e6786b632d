"""Joins (formats/join.py): a case file joined by id with the judge's verdicts and people's
labels from files of their own. Nothing is dropped without a word: ids missing on either side
are counted with the first few; a duplicate id refuses the import naming both lines; a bad line
of a joined file is named by its own file and line."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from annotator.cli import main
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.join import (
    Join,
    JoinKey,
    JudgeFile,
    RatingsFile,
    join_from_options,
    judge_mapping,
    parse_judge_map,
    ratings_mapping,
)
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.services.importer import ImportCancelled, import_file
from annotator.services.reimport import ImportWouldReplace
from annotator.services.workspace import Workspace
from tests.data.real.make import HERE as REAL
from tests.data.real.make import mt_bench, pandalm, pandalm_judge

PANDALM_MAP = FieldMapping.parse(
    ["input=instruction+input", "outputs.1=response1", "outputs.2=response2"]
    + [f"ratings.annotator{n}=annotator{n}" for n in (1, 2, 3)]
)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_cases(path: Path, ids: list[Any], **extra: Any) -> Path:
    return write_jsonl(path, [{"id": i, "input": f"question {i}", **extra} for i in ids])


def judge_rows(ids: list[Any], label: str = "pass") -> list[dict[str, Any]]:
    return [{"id": i, "verdict": label, "explanation": f"why {i}"} for i in ids]


def parsed(reader: CaseReader) -> tuple[list[ParsedCase], list[LineProblem]]:
    items = list(reader)
    cases = [i for i in items if isinstance(i, ParsedCase)]
    return cases, [i for i in items if isinstance(i, LineProblem)]


# -- the PandaLM-shaped join --------------------------------------------------------------------


def test_pandalm_testset_joined_with_its_judge_file() -> None:
    join = Join(JoinKey.parse("idx"), JudgeFile(REAL / "pandalm_judge.jsonl", name="pandalm-7b"))
    reader = CaseReader(REAL / "pandalm_testset.json", PANDALM_MAP, join=join)
    cases, problems = parsed(reader)
    verdicts = {str(r["idx"]): r["result"] for r in pandalm_judge()}
    assert [c.case.id for c in cases] == ["0", "1", "2", "3", "4", "5", "7"]
    for c in cases:
        assert c.case.judge.label == verdicts[c.case.id]
        assert c.case.judge.model == "pandalm-7b"
        assert len(c.case.ratings) == 3
    # The case the judge's file misses is skipped, named with the judge's file.
    assert [p.describe(reader.path) for p in problems] == [
        "pandalm_testset.json, line 68: item [6]: case '6' has no verdict in the judge file "
        "pandalm_judge.jsonl"
    ]
    # The raw record is the case file's own item, as written there.
    first = json.loads(cases[0].raw)
    assert first == pandalm()[0]
    result = reader.join_result
    assert result is not None
    (judge,) = result.files
    assert (judge.records, judge.matched, judge.missing, judge.missing_ids) == (8, 7, 1, ["6"])
    assert (judge.unmatched, judge.unmatched_ids) == (1, ["999"])


def test_the_import_records_the_join_and_reports_it(tmp_path) -> None:
    ws = Workspace.open(tmp_path / "ws.annotator")
    join = Join(JoinKey("idx", "idx"), JudgeFile(REAL / "pandalm_judge.jsonl"))
    report = import_file(ws, REAL / "pandalm_testset.json", PANDALM_MAP, join=join)
    assert (report.added, report.skipped) == (7, 1)
    assert report.join is not None and report.join.files[0].unmatched_ids == ["999"]
    text_out = report.describe(ws.path)
    assert "Joined on idx:" in text_out
    assert "1 case not in it (skipped: no verdict): '6'" in text_out
    assert "1 id of it not in pandalm_testset.json: '999'" in text_out
    counts = json.loads(report.to_json(ws.path, ws.case_count()))
    assert counts["join"]["files"][0]["first_cases_missing"] == ["6"]
    assert counts["join"]["files"][0]["ids_not_in_cases"] == 1
    with ws.engine.connect() as conn:
        (recorded,) = conn.execute(text("SELECT mapping FROM import_batch")).one()
    recorded = json.loads(recorded)
    assert recorded == {**PANDALM_MAP.as_dict(), "join": recorded["join"]}
    assert recorded["join"] == {
        "on": "idx",
        "judge": {"file": str((REAL / "pandalm_judge.jsonl").resolve())},
    }
    ws.close()


# -- judge files ----------------------------------------------------------------------------------


def test_a_judge_files_fields_are_guessed_or_given() -> None:
    assert judge_mapping(["idx", "result"], "idx", None).as_dict() == {"judge.label": "result"}
    guessed = judge_mapping(["id", "gpt4_result", "reason", "judge_model"], "id", None)
    assert guessed.as_dict() == {
        "judge.label": "gpt4_result",
        "judge.rationale": "reason",
        "judge.model": "judge_model",
    }
    given = parse_judge_map(["label=answer", "judge.rationale=why"])
    assert given is not None
    mapped = judge_mapping(["id", "answer", "why", "verdict"], "id", given).as_dict()
    assert mapped == {"judge.label": "answer", "judge.rationale": "why"}
    assert judge_mapping(["id", "judge"], "id", None).as_dict() == {}  # named like ours
    assert judge_mapping(["id", "judge.label", "judge.model"], "id", None).as_dict() == {}
    mt_bench = judge_mapping(["question_id", "judge", "winner", "turn"], "question_id", None)
    assert mt_bench.as_dict() == {"judge.label": "winner", "judge.model": "judge"}
    with pytest.raises(ValueError, match="label, rationale, score, model"):
        parse_judge_map(["verdict=x"])


def test_a_judge_file_without_a_label_field_is_refused_with_its_fields(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1, 2])
    judge = write_jsonl(tmp_path / "judge.jsonl", [{"id": 1, "foo": "A"}])
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(judge)))
    with pytest.raises(FileRefused, match=r"judge.jsonl: no field gives the judge's label; "
                       r"fields found: id, foo; name it: --judge-map label=FIELD"):  # fmt: skip
        list(reader)


def test_a_judge_label_in_the_case_file_and_a_judge_file_is_refused(tmp_path) -> None:
    cases = write_jsonl(
        tmp_path / "cases.jsonl",
        [{"id": 1, "input": "q", "judge": "pass"}],
    )
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows([1]))
    join = Join(JoinKey.parse("id"), JudgeFile(judge))
    with pytest.raises(FileRefused, match=r"cases.jsonl, line 1: case '1' has a judge label "
                       r"of its own \('judge'\) and the judge file judge.jsonl"):  # fmt: skip
        list(CaseReader(cases, join=join))
    with pytest.raises(FileRefused, match=r"--map judge.label=v\) and the judge file judge.jsonl"):
        CaseReader(cases, FieldMapping.parse(["judge.label=v"]), join=join)


def test_a_judge_record_without_a_label_is_a_problem_of_the_judge_file(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1, 2])
    judge = write_jsonl(
        tmp_path / "judge.jsonl", [{"id": 1, "verdict": "pass"}, {"id": 2, "verdict": ""}]
    )
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(judge)))
    cases_read, problems = parsed(reader)
    assert [c.case.id for c in cases_read] == ["1"]
    assert [p.describe(reader.path) for p in problems] == [
        "judge.jsonl, line 2: no judge label ('verdict' is missing or empty)",
        "cases.jsonl, line 2: case '2' has no verdict in the judge file judge.jsonl",
    ]


# -- ratings files --------------------------------------------------------------------------------


def test_a_csv_ratings_file_with_a_column_per_rater(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", ["a", "b", "c"], judge="pass")
    ratings = tmp_path / "people.csv"
    # Excel's "CSV UTF-8": a byte order mark, ';' in a European locale, CRLF line ends
    ratings.write_bytes("\ufeffcase;alice;bob\r\na;pass;fail\r\nc;fail;\r\nzz;pass;pass\r\n"
                        .encode())  # fmt: skip
    join = Join(JoinKey.parse("id=case"), ratings=(RatingsFile(ratings),))
    reader = CaseReader(cases, join=join)
    found, problems = parsed(reader)
    assert problems == []
    assert {c.case.id: {r.rater: r.label for r in c.case.ratings} for c in found} == {
        "a": {"alice": "pass", "bob": "fail"},
        "b": {},  # not in the ratings file: imported without them
        "c": {"alice": "fail"},  # an empty cell: bob did not rate it
    }
    assert reader.join_result is not None
    (people,) = reader.join_result.files
    assert (people.missing, people.missing_ids) == (1, ["b"])
    assert (people.unmatched, people.unmatched_ids) == (1, ["zz"])


def test_ratings_files_add_to_the_cases_own_ratings(tmp_path) -> None:
    cases = write_jsonl(
        tmp_path / "cases.jsonl",
        [{"id": 7, "input": "q", "judge": "A", "ratings": {"carol": "B"}}],
    )
    wide = write_jsonl(tmp_path / "wide.jsonl", [{"id": "7", "annotator1": "A", "note": "x"}])
    long = write_jsonl(
        tmp_path / "long.jsonl",
        [{"id": 7, "who": "dan", "label": "tie", "comment": "close"},
         {"id": 7, "who": "eve", "label": None}],  # eve abstained
    )  # fmt: skip
    join = Join(
        JoinKey.parse("id"),
        ratings=(RatingsFile(wide), RatingsFile(long, rater_field="who")),
    )
    (case,), problems = parsed(CaseReader(cases, join=join))
    assert problems == []
    assert [(r.rater, r.label, r.comment) for r in case.case.ratings] == [
        ("carol", "B", ""),
        ("annotator1", "A", ""),  # (a field named like a rater: the other is not one)
        ("dan", "tie", "close"),
    ]


def test_ratings_mappings_guessed() -> None:
    assert ratings_mapping(["id", "human_1", "human_2", "model"], "id", None).as_dict() == {
        "ratings.human_1": "human_1",
        "ratings.human_2": "human_2",
    }
    assert ratings_mapping(["id", "alice", "bob"], "id", None).as_dict() == {
        "ratings.alice": "alice",
        "ratings.bob": "bob",
    }
    assert ratings_mapping(["id", "rating.alice"], "id", None).as_dict() == {}
    long = ratings_mapping(["question_id", "judge", "winner", "reason"], "question_id", None,
                           "judge")  # fmt: skip
    assert long.as_dict() == {"ratings.label": "winner", "ratings.comment": "reason"}


def test_long_ratings_keyed_by_a_composed_id_joined_to_a_long_case_file(tmp_path) -> None:
    """MT-Bench: the human judgments (long) are the cases; GPT-4's verdicts, keyed by
    question, models and turn, come from a file of their own."""
    rows = [r for r in mt_bench() if r["judge"] != "gpt4_pair"]
    gpt4 = [
        {k: r[k] for k in ("question_id", "model_a", "model_b", "turn", "winner")}
        for r in mt_bench()
        if r["judge"] == "gpt4_pair"
    ]
    cases = write_jsonl(tmp_path / "humans.jsonl", rows)
    judge = write_jsonl(tmp_path / "gpt4_pair.jsonl", gpt4)
    key = "question_id+model_a+model_b+turn"
    mapping = FieldMapping.parse(
        [
            "ratings=winner",
            "input=conversation_a.0.content",
            "outputs.a=conversation_a",
            "outputs.b=conversation_b",
        ]  # fmt: skip
    )
    join = Join(JoinKey.parse(key), JudgeFile(judge, name="gpt-4"))
    reader = CaseReader(cases, mapping, long=LongFormat("judge"), join=join)
    found, problems = parsed(reader)
    assert {c.case.id: c.case.judge.label for c in found} == {
        "81|alpaca-13b|gpt-3.5-turbo|1": "model_b",
        "81|alpaca-13b|gpt-3.5-turbo|2": "model_a",
        "82|claude-v1|vicuna-13b-v1.2|1": "model_a",
        "82|claude-v1|vicuna-13b-v1.2|2": "model_b",
        "83|gpt-4|alpaca-13b|1": "model_a",
    }
    assert [p.message for p in problems] == [
        "case '83|gpt-4|llama-13b|1' has no verdict in the judge file gpt4_pair.jsonl"
    ]
    assert all(c.case.judge.model == "gpt-4" for c in found)


# -- ids on one side only, duplicates, bad lines ---------------------------------------------------


def test_ids_missing_on_either_side_are_counted_with_the_first_few(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", list(range(20)))
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows(list(range(5, 30))))
    ratings = write_jsonl(tmp_path / "r.jsonl", [{"id": i, "annotator1": "pass"} for i in [3]])
    join = Join(JoinKey.parse("id"), JudgeFile(judge), (RatingsFile(ratings),))
    reader = CaseReader(cases, join=join)
    found, problems = parsed(reader)
    assert len(found) == 15 and len(problems) == 5  # cases 0-4: no verdict, skipped
    assert reader.join_result is not None
    judge_counts, rating_counts = reader.join_result.files
    assert (judge_counts.missing, judge_counts.missing_ids) == (5, ["0", "1", "2", "3", "4"])
    assert (judge_counts.unmatched, judge_counts.unmatched_ids) == (10, ["20", "21", "22", "23",
                                                                         "24"])  # fmt: skip
    # (every case counts, those skipped for want of a verdict too)
    assert (rating_counts.matched, rating_counts.missing) == (1, 19)
    assert rating_counts.missing_ids == ["0", "1", "2", "4", "5"]
    lines = reader.join_result.describe("cases.jsonl")
    assert "    10 ids of it not in cases.jsonl: '20', '21', '22', '23', '24', …" in lines
    assert (
        "    19 cases not in it (imported without these ratings): '0', '1', '2', '4', '5', …"
        in (lines)
    )


def test_a_number_and_its_text_are_the_same_id(tmp_path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("key,input\n007,q\n12,r\n", encoding="utf-8")
    judge = write_jsonl(tmp_path / "judge.jsonl", [{"key": "007", "label": "A"},
                                                    {"key": 12, "label": "B"}])  # fmt: skip
    found, problems = parsed(CaseReader(cases, join=Join(JoinKey.parse("key"),
                                                         JudgeFile(judge))))  # fmt: skip
    assert problems == []
    assert {c.case.id: c.case.judge.label for c in found} == {"007": "A", "12": "B"}


def test_a_duplicate_id_in_a_joined_file_refuses_naming_both_lines(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1, 2, 3])
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows([1, 2, 3, 2]))
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(judge)))
    with pytest.raises(FileRefused) as refused:
        list(reader)
    assert str(refused.value) == "judge.jsonl, line 4: duplicate id '2' (first on line 2)"
    long = write_jsonl(
        tmp_path / "long.jsonl",
        [{"id": 1, "rater": "ann", "label": "a"}, {"id": 2, "rater": "ann", "label": "a"},
         {"id": 1, "rater": "ann", "label": "b"}],
    )  # fmt: skip
    cases_judged = write_cases(tmp_path / "judged.jsonl", [1, 2], judge="a")
    join = Join(JoinKey.parse("id"), ratings=(RatingsFile(long, rater_field="rater"),))
    with pytest.raises(FileRefused) as refused:
        list(CaseReader(cases_judged, join=join))
    assert (
        str(refused.value) == "long.jsonl, line 3: rater 'ann' twice for id '1' (first on line 1)"
    )


def test_a_duplicate_in_a_large_joined_file_across_batches(tmp_path) -> None:
    ids = list(range(5000))
    cases = write_cases(tmp_path / "cases.jsonl", ids)
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows([*ids, 17]))
    with pytest.raises(FileRefused, match=r"line 5001: duplicate id '17' \(first on line 18\)"):
        list(CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(judge))))


def test_bad_lines_of_a_joined_file_name_that_file(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1, 2, 3])
    judge = tmp_path / "judge.jsonl"
    judge.write_text(
        '{"id": 1, "verdict": "pass"}\n{"id": 2, "verdict": \n{"verdict": "x"}\n'
        '{"id": 3, "verdict": "fail"}\n',
        encoding="utf-8",
    )
    ws = Workspace.open(tmp_path / "ws.annotator")
    join = Join(JoinKey.parse("id"), JudgeFile(judge))
    report = import_file(ws, cases, join=join)
    assert report.added == 2
    assert report.describe_problems() == [
        "judge.jsonl, line 2: invalid JSON: Expecting value at column 22",
        "judge.jsonl, line 3: missing id ('id', the join's key)",
        "cases.jsonl, line 2: case '2' has no verdict in the judge file judge.jsonl",
    ]
    assert report.join is not None and report.join.files[0].skipped == 2
    with pytest.raises(FileRefused, match=r"^judge.jsonl, line 2: invalid JSON: .*strict mode"):
        import_file(ws, cases, join=join, strict=True)
    ws.close()


def test_a_joined_file_that_is_missing_or_empty_is_refused(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1])
    with pytest.raises(FileRefused, match="nope.jsonl: file not found"):
        CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(tmp_path / "nope.jsonl")))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(bad)))
    with pytest.raises(FileRefused, match=r"^bad.jsonl, line 1: no record can be read: invalid"):
        list(reader)
    bad.write_text("", encoding="utf-8")
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(bad)))
    with pytest.raises(FileRefused, match=r"^bad.jsonl: (no record can be read|the file has no)"):
        list(reader)


# -- memory ---------------------------------------------------------------------------------------


def test_joined_files_are_indexed_on_disk_not_in_memory(tmp_path) -> None:
    """4,000 verdicts with 10 KB rationales (40 MB): reading the join holds a fraction."""
    n = 4000
    cases = write_cases(tmp_path / "cases.jsonl", list(range(n)))
    pad = "x" * 10_000
    with (tmp_path / "judge.jsonl").open("w", encoding="utf-8") as fh:
        for i in reversed(range(n)):  # (in another order than the cases)
            fh.write(json.dumps({"id": i, "verdict": "pass", "explanation": pad}) + "\n")
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(tmp_path / "judge.jsonl")))
    tracemalloc.start()
    try:
        count = sum(1 for item in reader if isinstance(item, ParsedCase))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == n
    assert peak < 10 << 20, peak  # the side file is 40 MB


def test_an_import_shows_progress_and_can_be_cancelled_while_files_are_indexed(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", list(range(3000)))
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows(list(range(10_000))))
    join = Join(JoinKey.parse("id"), JudgeFile(judge))
    seen: list[tuple[int, int]] = []
    ws = Workspace.open(None)
    try:
        report = import_file(ws, cases, join=join, progress=lambda *a: seen.append(a), batch=500)
        assert report.added == 3000
        size = cases.stat().st_size + judge.stat().st_size
        done = [d for d, _ in seen]
        assert done == sorted(done) and done[-1] == size and {s for _, s in seen} == {size}
        assert sum(1 for d in done if d <= judge.stat().st_size) >= 4  # while indexing
        asked = iter([False, False, True])  # the third pulse: 6,000 verdicts read, no case
        with pytest.raises(ImportCancelled):
            import_file(ws, cases, join=join, cancelled=lambda: next(asked))
        assert ws.case_count() == 3000  # the second import changed nothing
    finally:
        ws.close()


def test_a_preview_reads_the_first_cases_only(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", list(range(100)))
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows(list(range(100))))
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(judge)), rows=3)
    found, problems = parsed(reader)
    assert [c.case.id for c in found] == ["0", "1", "2"] and problems == []


# -- the command line ------------------------------------------------------------------------------


def test_the_options_make_a_join() -> None:
    join = join_from_options(
        "idx", [Path("j.jsonl")], [Path("r.csv")], judge_name="pandalm",
        judge_map=["label=result"], ratings_rater_field="who",
    )  # fmt: skip
    assert join is not None
    assert join.on == JoinKey("idx", "idx")
    assert join.judge == JudgeFile(
        Path("j.jsonl"), FieldMapping.parse(["judge.label=result"]), name="pandalm"
    )
    assert join.ratings == (RatingsFile(Path("r.csv"), rater_field="who"),)
    assert join_from_options(None, [], []) is None
    by_id = join_from_options(None, [Path("j")], [], mapping=FieldMapping.parse(["id=uid"]))
    assert by_id is not None and by_id.on == JoinKey("uid", "uid")
    assert JoinKey.parse("idx=question_id") == JoinKey("idx", "question_id")
    uid = FieldMapping.parse(["id=uid"])
    assert Join(JoinKey.parse("id=idx"), JudgeFile(Path("j"))).case_mapping(uid) == uid
    assert Join(JoinKey.parse("uid=idx"), JudgeFile(Path("j"))).case_mapping(uid) == uid
    with pytest.raises(ValueError, match="--on qid=idx joins on the case file's 'qid'"):
        Join(JoinKey.parse("qid=idx"), JudgeFile(Path("j"))).case_mapping(uid)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--judge", "a.jsonl", "--judge", "b.jsonl"],
         "one judge file per import (a.jsonl, b.jsonl given): it gives each case's judge; a "
         "second judge will come as a judge run, in a later version"),
        (["--judge-name", "x"], "--judge-name needs --judge FILE"),
        (["--ratings-rater-field", "x"], "--ratings-rater-field needs --ratings FILE"),
        (["--on", "idx"], "--on needs a file to join: --judge FILE or --ratings FILE"),
        (["--judge", "j.jsonl", "--map", "judge.label=v"],
         "the case file's judge label (--map judge.label=v) and the judge file j.jsonl both "
         "give the judge's verdict"),
        (["--judge", "j.jsonl", "--on", "idx", "--map", "id=uid"],
         "--on idx joins on the case file's 'idx', but --map id=uid reads the case id from "
         "another field"),
        (["--judge", "j.jsonl", "--judge-map", "verdict=x"], "bad --judge-map 'verdict=x'"),
    ],
)  # fmt: skip
def test_options_that_cannot_work_are_refused(tmp_path, capsys, args, message) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1])
    ws = tmp_path / "ws.annotator"
    assert main(["import", str(cases), "-w", str(ws), *args]) == 1
    assert message in capsys.readouterr().err
    assert not ws.exists()


def test_the_command_line_end_to_end(tmp_path, capsys) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", ["q1", "q2", "q3"])
    judge = write_jsonl(
        tmp_path / "judge.jsonl",
        [{"qid": "q1", "gpt4_result": "pass", "reason": "fine"},
         {"qid": "q2", "gpt4_result": "fail"}, {"qid": "q9", "gpt4_result": "fail"}],
    )  # fmt: skip
    people = tmp_path / "people.csv"
    people.write_text("qid,human_1,human_2\nq1,fail,fail\nq2,fail,pass\n", encoding="utf-8")
    ws = tmp_path / "ws.annotator"
    base = ["--basedir", str(tmp_path / "base")]
    command = ["import", str(cases), "--judge", str(judge), "--judge-name", "gpt-4",
               "--ratings", str(people), "--on", "id=qid", "-w", str(ws), *base]  # fmt: skip
    assert main([*command, "--json"]) == 0
    out, err = capsys.readouterr()
    counts = json.loads(out)
    assert (counts["added"], counts["skipped_lines"], counts["disagreements"]) == (2, 1, 2)
    judge_json, people_json = counts["join"]["files"]
    assert judge_json["first_cases_missing"] == ["q3"]
    assert judge_json["first_ids_not_in_cases"] == ["q9"]
    assert people_json["first_cases_missing"] == ["q3"]
    assert err == (
        "annotator: skipped cases.jsonl, line 3: case 'q3' has no verdict in the judge file "
        "judge.jsonl\n"
    )
    assert main([*command]) == 0  # again: present, and the text says the same
    out, _ = capsys.readouterr()
    assert "Joined on id=qid:" in out
    assert "judge.jsonl (judge): 2 cases found in it" in out
    assert "1 id of it not in cases.jsonl: 'q9'" in out
    summary = ["summary", str(cases), "--judge", str(judge), "--on", "id=qid", "--json", *base]
    assert main(summary) == 0  # (a case file read without saving: joined the same)
    assert json.loads(capsys.readouterr().out)["cases"] == 2
    opened = Workspace.open(ws)
    assert opened.case_count() == 2
    opened.close()


def test_a_rater_in_the_case_and_in_a_ratings_file_skips_the_case(tmp_path) -> None:
    cases = write_jsonl(
        tmp_path / "cases.jsonl",
        [{"id": 1, "input": "q", "judge": "A", "ratings": [{"rater": "ann", "label": "A"}]},
         {"id": 2, "input": "q", "judge": "A", "ratings": ["B"]}],
    )  # fmt: skip
    people = write_jsonl(tmp_path / "people.jsonl", [{"id": 1, "ann": "B"}, {"id": 2, "bob": "A"}])
    reader = CaseReader(cases, join=Join(JoinKey.parse("id"), ratings=(RatingsFile(people),)))
    found, problems = parsed(reader)
    assert [(r.rater, r.label) for r in found[0].case.ratings] == [("rater 1", "B"), ("bob", "A")]
    assert [p.describe(reader.path) for p in problems] == [
        "cases.jsonl, line 1: rater 'ann' has a rating already (in the case, or a ratings file "
        "before), and another in people.jsonl"
    ]


def test_an_import_whose_keys_match_nothing_says_what_the_ids_look_like(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [0, 1, 2])
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows(["q0", "q1", "q2"]))
    ws = Workspace.open(tmp_path / "ws.annotator")
    with pytest.raises(FileRefused) as refused:
        import_file(ws, cases, join=Join(JoinKey.parse("id"), JudgeFile(judge)))
    ws.close()
    assert str(refused.value) == (
        "cases.jsonl, line 1: no valid cases (3 lines skipped): case '0' has no verdict in the "
        "judge file judge.jsonl; joined on id: judge.jsonl has 0 cases, not '0', '1', '2'; its "
        "ids 'q0', 'q1', 'q2' are no case's"
    )


def test_ratings_map_maps_ratings_only(tmp_path, capsys) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1], judge="A")
    args = ["--ratings", "r.csv", "--ratings-map", "input=x"]
    assert main(["import", str(cases), "-w", str(tmp_path / "ws.annotator"), *args]) == 1
    assert "--ratings-map maps ratings (ratings=FIELD, ratings.RATER=FIELD), not 'input'" in (
        capsys.readouterr().err
    )


def test_joined_files_in_other_formats(tmp_path) -> None:
    """A judge's Parquet file (rows named by number) and a pretty-printed JSON array of ratings
    (items named by index) join as JSON Lines do."""
    pa = pytest.importorskip("pyarrow", exc_type=ImportError)
    parquet = pytest.importorskip("pyarrow.parquet", exc_type=ImportError)
    cases = write_cases(tmp_path / "cases.jsonl", ["a", "b"])
    table = pa.table({"id": ["a", "b", "a"], "winner": ["A", "B", "B"]})
    parquet.write_table(table, tmp_path / "judge.parquet")
    people = tmp_path / "people.json"
    people.write_text(json.dumps([{"id": "a", "human_1": "A"}, 7], indent=2), encoding="utf-8")
    join = Join(JoinKey.parse("id"), JudgeFile(tmp_path / "judge.parquet"),
                (RatingsFile(people),))  # fmt: skip
    reader = CaseReader(cases, join=join)
    with pytest.raises(FileRefused, match=r"^judge.parquet, row 3: duplicate id 'a' \(first on "
                       r"row 1\)$"):  # fmt: skip
        list(reader)
    parquet.write_table(table.slice(0, 2), tmp_path / "judge.parquet")
    found, problems = parsed(CaseReader(cases, join=join))
    assert {c.case.id: (c.case.judge.label, len(c.case.ratings)) for c in found} == {
        "a": ("A", 1),
        "b": ("B", 0),
    }
    assert [p.describe(cases) for p in problems] == [
        "people.json, line 6: item [1]: not a JSON object (found a number)"
    ]


def test_a_workspace_summary_refuses_the_options_of_a_join(tmp_path, capsys) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1], judge="A")
    ws = tmp_path / "ws.annotator"
    base = ["--basedir", str(tmp_path / "base")]
    assert main(["import", str(cases), "-w", str(ws), "--yes", *base]) == 0
    capsys.readouterr()
    options = ["--judge", "j.jsonl", "--judge-map", "label=x", "--ratings-rater-field", "who"]
    assert main(["summary", str(ws), *options, *base]) == 1
    assert "--judge, --judge-map, --ratings-rater-field apply to reading a case file" in (
        capsys.readouterr().err
    )


def test_an_import_again_with_the_same_join_is_known_and_another_join_replaces(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1, 2])
    judge = write_jsonl(tmp_path / "judge.jsonl", judge_rows([1, 2]))
    ws = Workspace.open(tmp_path / "ws.annotator")
    try:
        join = Join(JoinKey.parse("id"), JudgeFile(judge))
        assert import_file(ws, cases, join=join).added == 2
        again = import_file(ws, cases, join=join)
        assert (again.added, again.present) == (0, 2)
        named = Join(JoinKey.parse("id"), JudgeFile(judge, name="gpt-4"))
        with pytest.raises(ImportWouldReplace, match="before with another mapping"):
            import_file(ws, cases, join=named)
        replaced = import_file(ws, cases, join=named, replace=True)
        assert (replaced.added, replaced.replaced) == (2, 2)
    finally:
        ws.close()


def test_a_case_without_the_joins_key_names_it(tmp_path) -> None:
    cases = write_cases(tmp_path / "cases.jsonl", [1])
    judge = write_jsonl(tmp_path / "judge.jsonl", [{"idx": 1, "verdict": "pass"}])
    reader = CaseReader(cases, join=Join(JoinKey.parse("idx"), JudgeFile(judge)))
    found, problems = parsed(reader)
    assert found == []
    assert [p.message for p in problems] == ["missing id ('idx', the join's key)"]
    found, problems = parsed(CaseReader(cases, join=Join(JoinKey.parse("id=idx"),
                                                         JudgeFile(judge))))  # fmt: skip
    assert [c.case.judge.label for c in found] == ["pass"] and problems == []


def test_a_presets_cases_join_by_the_id_the_preset_reads(tmp_path, capsys) -> None:
    """Label Studio's tasks (the preset's ids: each task's id) with an expert's labels in a
    spreadsheet of their own, its column 'task'."""
    export = Path(__file__).parent / "data" / "presets" / "label_studio_export.json"
    people = tmp_path / "expert.csv"
    people.write_text("task,expert_1\n1,Positive\n2,Negative\n9,Positive\n", encoding="utf-8")
    ws = tmp_path / "ws.annotator"
    command = ["import", str(export), "--preset", "label-studio", "--ratings", str(people),
               "--on", "id=task", "--yes", "--json", "-w", str(ws),
               "--basedir", str(tmp_path / "base")]  # fmt: skip
    assert main(command) == 0
    (people_json,) = json.loads(capsys.readouterr().out)["join"]["files"]
    assert (people_json["matched"], people_json["first_cases_missing"]) == (2, ["3", "4", "5"])
    assert people_json["first_ids_not_in_cases"] == ["9"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".json"])
def test_damaged_joined_files_are_refused_or_skipped_never_a_crash(tmp_path, suffix) -> None:
    """A joined file cut, with bytes flipped or dropped: a refusal or line problems naming it,
    never another exception."""
    rng = random.Random(13)
    cases = write_cases(tmp_path / "cases.jsonl", [1, 2, 3])
    rows = [{"id": i, "verdict": "pass", "explanation": f'é {i} "q"'} for i in (1, 2, 3)]
    good = {
        ".jsonl": "".join(json.dumps(r) + "\n" for r in rows),
        ".csv": 'id,verdict,explanation\n1,pass,é\n2,fail,"a, b"\n3,pass,"x\ny"\n',
        ".json": json.dumps(rows, indent=2),
    }[suffix].encode()
    judge = tmp_path / f"judge{suffix}"
    for n in range(60):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            action = rng.choice(("flip", "drop", "cut", "insert"))
            if action == "flip":
                data[at] = rng.randrange(256)
            elif action == "drop":
                del data[at]
            elif action == "cut":
                del data[at:]
            else:
                data[at:at] = rng.choice([b'"', b",", b"\n", b"{", b"\x00", b"\xff"])
            if not data:
                data = bytearray(b"\n")
        judge.write_bytes(bytes(data))
        reader = CaseReader(cases, join=Join(JoinKey.parse("id"), JudgeFile(judge)))
        try:
            for item in reader:
                if isinstance(item, LineProblem) and item.file is not None:
                    assert item.file == judge
        except FileRefused as e:
            assert e.path in (judge, cases), (n, bytes(data), e)
