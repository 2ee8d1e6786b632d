"""Tests of annotator.formats: reading JSON Lines and CSV case files (no Qt)."""

from __future__ import annotations

import csv
import json
import shlex
import tracemalloc
from pathlib import Path

import pytest

from annotator.domain.model import Case, Rating, Verdict
from annotator.domain.serialize import case_hash
from annotator.formats import (
    TARGETS,
    CaseReader,
    FieldMapping,
    FileRefused,
    LineProblem,
    ParsedCase,
    csvfile,
    guess_mapping,
    sample_records,
    source_fields,
)

DATA = Path(__file__).parent / "data" / "cases"


def read(path: Path | str, **kwargs: object) -> tuple[list[ParsedCase], list[LineProblem]]:
    items = list(CaseReader(path, **kwargs))  # type: ignore[arg-type]
    cases = [i for i in items if isinstance(i, ParsedCase)]
    problems = [i for i in items if isinstance(i, LineProblem)]
    return cases, problems


def by_id(cases: list[ParsedCase]) -> dict[str, Case]:
    return {p.case.id: p.case for p in cases}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def refusal(path: Path, **kwargs: object) -> FileRefused:
    """The FileRefused raised by opening and fully reading ``path``."""
    with pytest.raises(FileRefused) as info:
        list(CaseReader(path, **kwargs))  # type: ignore[arg-type]
    return info.value


CASE = '{"id": "c1", "input": "q", "judge": "pass"}'


# -- errors ---------------------------------------------------------------------------------------


def test_file_refused_names_the_file_not_the_path(tmp_path: Path) -> None:
    e = FileRefused(tmp_path / "cases.jsonl", "duplicate id 'c7' (first seen on line 1)", 3)
    assert str(e) == "cases.jsonl, line 3: duplicate id 'c7' (first seen on line 1)"
    assert (e.path, e.line) == (tmp_path / "cases.jsonl", 3)
    assert str(FileRefused(tmp_path / "x.csv", "the file has no cases")) == (
        "x.csv: the file has no cases"
    )


def test_line_problem_describe(tmp_path: Path) -> None:
    problem = LineProblem(4, "invalid JSON: Expecting ',' delimiter at column 17")
    assert problem.describe(tmp_path / "cases.jsonl") == (
        "cases.jsonl, line 4: invalid JSON: Expecting ',' delimiter at column 17"
    )


# -- JSON Lines -----------------------------------------------------------------------------------


def test_jsonl_with_header() -> None:
    reader = CaseReader(DATA / "passfail.jsonl")
    assert reader.fmt == "jsonl"
    assert reader.project is not None
    assert reader.project.title == "Helpfulness review"
    assert reader.project.guidelines == "Is the answer correct and complete?"
    scheme = reader.project.schemes[""]
    assert scheme.labels == ("pass", "fail")
    assert not scheme.ordinal
    assert scheme.rubric.startswith("pass: correct")
    items = list(reader)
    assert all(isinstance(i, ParsedCase) for i in items)
    assert [i.line for i in items] == [2, 4, 5]  # line 3 is blank
    cases = by_id([i for i in items if isinstance(i, ParsedCase)])
    c1 = cases["c1"]
    assert c1 == Case(
        id="c1",
        input="What is 2+2?",
        output="4",
        reference="4",
        judge=Verdict("pass", "Correct.", 0.9, "gpt-judge"),
        ratings=(Rating("alice", "pass"), Rating("bob", "fail", "Too terse.")),
        meta={"source": "arith"},
    )


def test_labels_are_canonicalized_case_insensitively() -> None:
    cases = by_id(read(DATA / "passfail.jsonl")[0])
    assert cases["c2"].judge.label == "pass"  # "PASS" in the file
    assert cases["c2"].rater_labels == {"alice": "fail", "bob": "fail"}  # "Fail" in the file
    assert cases["3"].judge.label == "fail"


def test_int_id_becomes_text_and_null_rating_is_dropped() -> None:
    case = by_id(read(DATA / "passfail.jsonl")[0])["3"]
    assert case.ratings == (Rating("rater 1", "pass"), Rating("rater 2", "pass"))


def test_jsonl_without_header() -> None:
    reader = CaseReader(DATA / "noheader.jsonl")
    assert reader.project is None
    cases, problems = read(DATA / "noheader.jsonl")
    assert problems == []
    assert [c.case.id for c in cases] == ["n1", "n2"]
    assert [c.line for c in cases] == [1, 2]
    assert cases[1].case.rater_labels == {"r1": "wrong"}  # no header: labels kept as they are


def test_raw_is_the_line_verbatim() -> None:
    lines = (DATA / "passfail.jsonl").read_text(encoding="utf-8").splitlines()
    cases, _ = read(DATA / "passfail.jsonl")
    assert [c.raw for c in cases] == [lines[1], lines[3], lines[4]]
    assert '"extra": "ignored"' in cases[2].raw


def test_pairwise() -> None:
    cases = by_id(read(DATA / "pairwise.jsonl")[0])
    p1, p2 = cases["p1"], cases["p2"]
    assert p1.outputs == {"A": "Rain on the tin roof", "B": "It rains."}
    assert p1.output is None
    assert p1.rater_labels == {"alice": "A", "bob": "tie"}
    assert p2.outputs == {"A": "first", "B": "second", "C": "third"}
    assert p2.judge.label == "B"
    assert p2.ratings == ()


def test_ordinal_header_with_numeric_labels() -> None:
    reader = CaseReader(DATA / "ordinal.jsonl")
    assert reader.project is not None
    scheme = reader.project.schemes[""]
    assert scheme.labels == ("1", "2", "3", "4", "5")
    assert scheme.ordinal and scheme.threshold == 1.0
    cases, problems = read(DATA / "ordinal.jsonl")
    (case,) = [c.case for c in cases]
    assert case.judge.label == "4"  # 4.0 in the file
    assert case.judge.score == 4.0
    assert case.rater_labels == {"alice": "2", "bob": "5"}
    assert problems == [
        LineProblem(3, "unknown label '6' for judge; expected one of: 1, 2, 3, 4, 5")
    ]


def test_named_criteria() -> None:
    reader = CaseReader(DATA / "criteria.jsonl")
    assert reader.project is not None
    assert set(reader.project.schemes) == {"safety", "quality"}
    cases, problems = read(DATA / "criteria.jsonl")
    got = by_id(cases)
    assert got["k1"].criterion == "safety"
    assert got["k1"].ratings == (Rating("rater 1", "safe"),)
    assert got["k2"].criterion == "quality"
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (4, "unknown criterion 'style'"),
        (5, "missing criterion"),
    ]
    assert "expected one of: safety, quality" in problems[0].message


def test_chat_messages_and_other_values_are_rendered_as_text() -> None:
    (parsed,), _ = read(DATA / "chat.jsonl")
    case = parsed.case
    assert case.input == "system: Be brief.\n\nuser: Hello?"
    assert case.output == '{\n  "answer": "hi",\n  "tokens": 1\n}'
    assert case.judge.label == "true"
    assert case.ratings == (Rating("rater 1", "false"),)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([{"rater": "alice", "label": "pass", "comment": "ok"}], [("alice", "pass", "ok")]),
        (["pass", "fail"], [("rater 1", "pass", ""), ("rater 2", "fail", "")]),
        ({"alice": "pass", "bob": "fail"}, [("alice", "pass", ""), ("bob", "fail", "")]),
        ({"alice": {"label": "pass", "comment": "fine"}}, [("alice", "pass", "fine")]),
        (
            [{"label": "pass"}, {"rater": " ", "label": "fail"}],
            [("rater 1", "pass", ""), ("rater 2", "fail", "")],
        ),
        (["pass", None, "", {"rater": "x", "label": None}], [("rater 1", "pass", "")]),
        ([], []),
        ({}, []),
        (None, []),
    ],
)
def test_ratings_shapes(tmp_path: Path, ratings: object, expected: list[tuple[str, ...]]) -> None:
    record = {"id": "c", "input": "q", "judge": "pass", "ratings": ratings}
    path = write(tmp_path, "r.jsonl", json.dumps(record))
    (parsed,), problems = read(path)
    assert problems == []
    assert [(r.rater, r.label, r.comment) for r in parsed.case.ratings] == expected


def test_meta_that_is_not_an_object_is_wrapped(tmp_path: Path) -> None:
    path = write(tmp_path, "m.jsonl", '{"id": "c", "input": "q", "judge": "x", "meta": [1, 2]}')
    (parsed,), _ = read(path)
    assert parsed.case.meta == {"value": [1, 2]}


def test_line_problems_are_reported_and_the_rest_is_read() -> None:
    path = DATA / "bad_lines.jsonl"
    cases, problems = read(path)
    assert [c.case.id for c in cases] == ["ok1", "ok2"]
    described = [p.describe(path) for p in problems]
    assert described == [
        "bad_lines.jsonl, line 3: invalid JSON: Expecting ',' delimiter at column 27",
        "bad_lines.jsonl, line 4: not a JSON object (found an array)",
        "bad_lines.jsonl, line 5: missing id",
        "bad_lines.jsonl, line 6: empty id",
        "bad_lines.jsonl, line 7: missing input",
        "bad_lines.jsonl, line 8: missing judge label",
        "bad_lines.jsonl, line 9: unknown label 'Maybe' for judge; expected one of: pass, fail",
        "bad_lines.jsonl, line 10: unknown label 'perhaps' for rater 'alice'; "
        "expected one of: pass, fail",
        "bad_lines.jsonl, line 11: ratings must be a list or an object, not a string",
        "bad_lines.jsonl, line 12: rater 'alice' appears twice in ratings",
        "bad_lines.jsonl, line 13: judge score must be a number (got 'high')",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "c", "input": null, "judge": "x"}', "missing input"),
        ('{"id": "c", "input": "  ", "judge": "x"}', "empty input"),
        ('{"id": {"a": 1}, "input": "q", "judge": "x"}', "id must be a string or a number"),
        ('{"id": "c", "input": "q", "judge": ["x"]}', "judge must be an object with a label"),
        ('{"id": "c", "input": "q", "judge": ""}', "missing judge label"),
        ('{"id": "c", "input": "q", "judge": "x", "ratings": [["x"]]}', "rating 1 must be"),
        (
            '{"id": "c", "input": "q", "judge": "x", "ratings": [{"rater": "a"}]}',
            "rating 1 has no 'label'",
        ),
        ('{"id": "c", "input": "q", "judge": "x", "outputs": "A"}', "outputs must be an object"),
        ('{"id": "c", "input": "q", "judge": {"label": "x", "score": NaN}}', "NaN is not allowed"),
        ('"just a string"', "not a JSON object (found a string)"),
        ('{"project": {"labels": ["a"]}}', "only allowed on the first line"),
    ],
)
def test_more_line_problems(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "p.jsonl", f"{CASE}\n{line}\n")
    cases, problems = read(path)
    assert len(cases) == 1
    assert len(problems) == 1
    assert problems[0].line == 2
    assert message in problems[0].message


def test_strict_mode_refuses_at_the_first_bad_line() -> None:
    e = refusal(DATA / "bad_lines.jsonl", strict=True)
    assert e.line == 3
    assert str(e).startswith("bad_lines.jsonl, line 3: invalid JSON: Expecting ',' delimiter")
    assert "strict" in e.message


def test_crlf_lines_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "w.jsonl", f"\r\n{CASE}\r\n   \r\n{CASE.replace('c1', 'c2')}\r\n")
    cases, problems = read(path)
    assert problems == []
    assert [(c.line, c.case.id) for c in cases] == [(2, "c1"), (4, "c2")]
    assert cases[0].raw == CASE


def test_escaped_newline_inside_json_string_keeps_line_numbers(tmp_path: Path) -> None:
    first = '{"id": "a", "input": "two\\nlines", "judge": "x"}'
    path = write(tmp_path, "e.jsonl", f"{first}\n{{bad\n{CASE}\n")
    cases, problems = read(path)
    assert cases[0].case.input == "two\nlines"
    assert [p.line for p in problems] == [2]
    assert cases[1].line == 3


def test_hash_is_the_same_from_jsonl_and_csv(tmp_path: Path) -> None:
    jl = write(
        tmp_path,
        "h.jsonl",
        '{"judge": {"label": "pass"}, "input": "q", "id": "h1", "ratings": {"a": "fail"}}',
    )
    cv = write(tmp_path, "h.csv", "id,input,judge.label,rating.a\nh1,q,pass,fail\n")
    (a,), _ = read(jl)
    (b,), _ = read(cv)
    assert a.case == b.case
    assert case_hash(a.case) == case_hash(b.case)
    assert case_hash(a.case).startswith("sha256:")


# -- header ---------------------------------------------------------------------------------------


def test_bad_header_duplicate_labels() -> None:
    e = refusal(DATA / "bad_header.jsonl")
    assert e.line == 1
    assert str(e) == (
        "bad_header.jsonl, line 1: bad project header: label 'Pass' appears twice in 'labels'"
    )


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ({"labels": []}, "'labels' must be a non-empty list"),
        ({"labels": "pass"}, "'labels' must be a non-empty list"),
        ({"labels": ["a", ""]}, "empty label"),
        ({"labels": ["1", "2"], "ordinal": True, "threshold": -1}, "'threshold' must be a number"),
        ({"labels": ["a", "b"], "threshold": 1}, "'threshold' needs \"ordinal\": true"),
        ({"labels": ["a"], "ordinal": "yes"}, "'ordinal' must be true or false"),
        ({"lables": ["a"]}, "unknown key 'lables'"),
        ({"criteria": {"x": {"labels": []}}}, "'labels' of criterion 'x'"),
        ({"criteria": ["x"]}, "'criteria' must be an object"),
        ({"title": 3}, "'title' must be a string"),
    ],
)
def test_bad_headers_refuse_the_file(tmp_path: Path, project: object, message: str) -> None:
    path = write(tmp_path, "h.jsonl", "\n" + json.dumps({"project": project}) + f"\n{CASE}\n")
    with pytest.raises(FileRefused) as info:
        CaseReader(path)
    assert info.value.line == 2
    assert message in info.value.message
    assert str(info.value).startswith("h.jsonl, line 2: bad project header: ")


def test_header_without_title_uses_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "my cases.jsonl", '{"project": {"labels": ["a", "b"]}}\n' + CASE)
    reader = CaseReader(path)
    assert reader.project is not None
    assert reader.project.title == "my cases"


def test_header_only_or_blank_file_has_no_cases(tmp_path: Path) -> None:
    for name, content in [
        ("empty.jsonl", ""),
        ("blank.jsonl", "\n  \n\r\n"),
        ("header.jsonl", '{"project": {"labels": ["a"]}}\n\n'),
        ("blank.csv", "\n\n"),
        ("header.csv", "id,input,judge\n,,\n , ,\n"),
    ]:
        path = write(tmp_path, name, content)
        with pytest.raises(FileRefused) as info:
            CaseReader(path)
        assert str(info.value) == f"{name}: the file has no cases"


# -- CSV ------------------------------------------------------------------------------------------


def test_csv_good() -> None:
    reader = CaseReader(DATA / "good.csv")
    assert reader.fmt == "csv"
    assert reader.project is None
    cases, problems = read(DATA / "good.csv")
    assert problems == []
    v1, v2 = (c.case for c in cases)
    assert v1 == Case(
        id="v1",
        input="What is 2+2?",
        output="4",
        reference="4",
        judge=Verdict("pass", "Correct.", 0.9),
        ratings=(Rating("alice", "pass"), Rating("bob", "fail")),
        meta={"source": "arith"},
    )
    assert v2.input == "Capital of France, please"
    assert v2.reference is None  # empty cell = absent
    assert v2.judge.score is None
    assert v2.ratings == (Rating("alice", "fail", "Lyon, not Paris"),)  # bob's cell is empty
    assert json.loads(cases[1].raw)["comment.alice"] == "Lyon, not Paris"
    header = (DATA / "good.csv").read_text(encoding="utf-8").splitlines()[0]
    assert list(json.loads(cases[0].raw)) == header.split(",")


def test_csv_excel_style(tmp_path: Path) -> None:
    """UTF-8 BOM, CRLF, ';' delimiter, a quoted cell spanning lines."""
    text = (
        "id;input;output;judge.label;rating.Zoë\r\n"
        'e1;"first line\r\nsecond; line";Ça va;pass;fail\r\n'
        "\r\n"
        "e2;plain;x;fail;\r\n"
        "e3;short\r\n"
    )
    path = write(tmp_path, "excel.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    reader = CaseReader(path)
    items = list(reader)
    cases = [i for i in items if isinstance(i, ParsedCase)]
    problems = [i for i in items if isinstance(i, LineProblem)]
    assert [(c.line, c.case.id) for c in cases] == [(2, "e1"), (5, "e2")]
    assert cases[0].case.input == "first line\nsecond; line"
    assert cases[0].case.output == "Ça va"
    assert cases[0].case.ratings == (Rating("Zoë", "fail"),)
    assert cases[1].case.ratings == ()
    assert json.loads(cases[0].raw) == {
        "id": "e1", "input": "first line\r\nsecond; line", "output": "Ça va",
        "judge.label": "pass", "rating.Zoë": "fail",
    }  # fmt: skip
    assert problems == [LineProblem(6, "2 fields where the header has 5")]
    assert reader.bytes_read == reader.size_bytes


def test_csv_tab_delimited_and_judge_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.tsv", "id\tinput\tjudge\tjudge.model\nt1\tq, with comma\tok\tm\n")
    (parsed,), _ = read(path)
    assert parsed.case.input == "q, with comma"
    assert parsed.case.judge == Verdict("ok", model="m")


def test_csv_pairwise_columns_and_json_cells(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pw.csv",
        "id,input,output.A,outputs.B,judge,ratings,meta\n"
        'p,q,left,right,A,"{""ann"": ""B""}","{""k"": 1}"\n',
    )
    (parsed,), _ = read(path)
    assert parsed.case.outputs == {"A": "left", "B": "right"}
    assert parsed.case.rater_labels == {"ann": "B"}
    assert parsed.case.meta == {"k": 1}


def test_csv_sidecar_header() -> None:
    reader = CaseReader(DATA / "sidecar.csv")
    assert reader.project is not None
    assert reader.project.title == "Yes or no"
    assert reader.project.schemes[""].labels == ("yes", "no")
    cases, problems = read(DATA / "sidecar.csv")
    assert by_id(cases)["s1"].judge.label == "yes"  # YES in the file
    assert by_id(cases)["s1"].rater_labels == {"alice": "no"}
    assert [p.describe(DATA / "sidecar.csv") for p in problems] == [
        "sidecar.csv, line 3: unknown label 'maybe' for rater 'alice'; expected one of: yes, no"
    ]


def test_csv_bad_sidecar_refuses_naming_the_sidecar(tmp_path: Path) -> None:
    write(tmp_path, "c.csv", "id,input,judge\nc,q,a\n")
    write(tmp_path, "c.project.json", '{"project": {"labels": ["a",]}}')
    with pytest.raises(FileRefused) as info:
        CaseReader(tmp_path / "c.csv")
    assert str(info.value).startswith("c.project.json, line 1: invalid JSON")


def test_csv_missing_required_columns() -> None:
    reader = CaseReader(DATA / "missing_columns.csv")  # opens, so that a mapping can be chosen
    with pytest.raises(FileRefused) as info:
        next(iter(reader))
    assert str(info.value) == (
        "missing_columns.csv, line 1: missing required column(s): id, input, judge.label; "
        "columns found: uid, prompt, answer, verdict; the guessed mapping: "
        f"annotator import {shlex.quote(str(DATA / 'missing_columns.csv'))} --map id=uid "
        "--map input=prompt --map output=answer --map judge.label=verdict"
    )


def test_csv_non_numeric_score_and_field_count(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.csv",
        "id,input,judge.label,judge.score\na,q,x,0.5\nb,q,x,high\nc,q,x\nd,q,x,1,extra\n",
    )
    cases, problems = read(path)
    assert [c.case.judge.score for c in cases] == [0.5]
    assert [(p.line, p.message) for p in problems] == [
        (3, "judge score must be a number (got 'high')"),
        (4, "3 fields where the header has 4"),
        (5, "5 fields where the header has 4"),
    ]


def test_csv_duplicate_column_refuses(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "id,input,judge,input\na,b,c,d\n")
    with pytest.raises(FileRefused, match=r"d\.csv, line 1: column 'input' appears twice"):
        CaseReader(path)


def test_csv_unmatched_quote_refuses_at_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvfile, "FIELD_LIMIT", 1000)
    old = csv.field_size_limit(1000)
    try:
        rows = "".join(f"r{i},q{i},a\n" for i in range(200))
        path = write(tmp_path, "q.csv", 'id,input,judge\nok,q,a\nbad,"open quote,a\n' + rows)
        e = refusal(path)
    finally:
        csv.field_size_limit(old)
    assert e.line == 3
    assert "is a quote left open?" in e.message


# -- encodings and binary files -------------------------------------------------------------------


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    """Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated, .txt."""
    text = "id\tinput\tjudge.label\r\nu1\tcafé\tpass\r\nu2\tthé\tfail\r\n"
    path = write(tmp_path, "unicode.txt", text.encode("utf-16"))
    reader = CaseReader(path)
    assert reader.fmt == "csv"
    cases, problems = read(path)
    assert problems == []
    assert [(c.line, c.case.input) for c in cases] == [(2, "café"), (3, "thé")]
    assert reader.bytes_read == 0
    list(reader)
    assert reader.bytes_read == reader.size_bytes


def test_utf16_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path, "u.jsonl", (CASE + "\n").encode("utf-16"))
    cases, _ = read(path)
    assert cases[0].raw == CASE


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "b.jsonl", b"\xef\xbb\xbf" + CASE.encode())
    (parsed,), _ = read(path)
    assert parsed.raw == CASE
    assert parsed.line == 1


def test_invalid_utf8_at_open(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "id,input,judge\nc1,café,ok\n".encode("cp1252"))
    with pytest.raises(FileRefused) as info:
        CaseReader(path)
    e = info.value
    assert e.line == 2
    assert str(e) == (
        "latin.csv, line 2: not valid UTF-8: byte 0xe9 at position 7; "
        "save it as UTF-8 (Excel: 'CSV UTF-8') or pass --encoding cp1252"
    )
    (parsed,), _ = read(path, encoding="cp1252")
    assert parsed.case.input == "café"


def test_invalid_utf8_further_in_is_raised_while_reading(tmp_path: Path) -> None:
    body = "".join(f'{{"id": "c{i}", "input": "q", "judge": "x"}}\n' for i in range(500))
    path = write(tmp_path, "late.jsonl", body.encode() + b'{"id": "z", "input": "\xff"}\n')
    reader = CaseReader(path)  # the bad byte is past the part read at open
    seen = []
    with pytest.raises(FileRefused) as info:
        for item in reader:
            seen.append(item)
    assert len(seen) == 500
    assert info.value.line == 501
    assert "not valid UTF-8: byte 0xff at position 23" in str(info.value)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "cases.jsonl", b"PK\x03\x04\x00\x00binary")
    with pytest.raises(FileRefused, match=r"cases\.jsonl: not a text file"):
        CaseReader(path)


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match=r"nope\.jsonl: file not found"):
        CaseReader(tmp_path / "nope.jsonl")
    with pytest.raises(FileRefused, match="folder"):
        CaseReader(tmp_path)


def test_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "x.jsonl", CASE)
    with pytest.raises(FileRefused, match="unknown encoding 'klingon'"):
        CaseReader(path, encoding="klingon")


def test_json_array_or_pretty_json_is_read_and_refused_only_as_json_lines(tmp_path: Path) -> None:
    """(tests/test_json_documents.py reads them in every layout.)"""
    arr = write(tmp_path, "arr.json", f"[{CASE}]")
    assert CaseReader(arr).fmt == "json" and len(list(CaseReader(arr))) == 1
    with pytest.raises(FileRefused, match=r"arr\.json, line 1: the file is a JSON array, not JSON"):
        CaseReader(arr, fmt="jsonl")
    pretty = write(tmp_path, "pretty.json", json.dumps(json.loads(CASE), indent=2))
    assert CaseReader(pretty).fmt == "json" and len(list(CaseReader(pretty))) == 1
    with pytest.raises(FileRefused, match="pretty-printed JSON, not JSON Lines"):
        CaseReader(pretty, fmt="jsonl")


def test_format_detection(tmp_path: Path) -> None:
    assert CaseReader(write(tmp_path, "a.ndjson", CASE)).fmt == "jsonl"
    assert CaseReader(write(tmp_path, "a.data", CASE)).fmt == "jsonl"
    assert CaseReader(write(tmp_path, "b.data", "id,input,judge\na,b,c\n")).fmt == "csv"
    assert CaseReader(write(tmp_path, "c.txt", CASE), fmt="jsonl").fmt == "jsonl"
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        CaseReader(tmp_path / "c.txt", fmt="xml")


def test_reading_twice_gives_the_same_items() -> None:
    reader = CaseReader(DATA / "bad_lines.jsonl")
    assert list(reader) == list(reader)


# -- mapping --------------------------------------------------------------------------------------


def test_mapping_parse_and_errors() -> None:
    mapping = FieldMapping.parse(["input=prompt", " judge.label = llm.verdict ", "rating.x=col"])
    assert mapping.as_dict() == {"input": "prompt", "judge.label": "llm.verdict",
                                 "ratings.x": "col"}  # fmt: skip
    with pytest.raises(ValueError, match=r"unknown field 'question' in --map; expected one of: id"):
        FieldMapping.parse(["question=prompt"])
    with pytest.raises(ValueError, match="expected ours=theirs"):
        FieldMapping.parse(["input"])
    with pytest.raises(ValueError, match="expected ours=theirs"):
        FieldMapping.parse(["input="])
    with pytest.raises(ValueError, match="mapped twice"):
        FieldMapping.parse(["input=a", "input=b"])
    assert "judge.label" in TARGETS and "meta" in TARGETS


def test_mapping_apply_nested_and_does_not_touch_the_source() -> None:
    record = {"prompt": "p", "input": "mine", "judge": {"label": "x"}, "llm": {"verdict": "v"}}
    mapping = FieldMapping.parse(["input=prompt", "judge.rationale=llm.verdict", "id=nope"])
    out = mapping.apply(record)
    assert out["input"] == "p"  # the mapped field wins over the same-named source field
    assert out["judge"] == {"label": "x", "rationale": "v"}
    assert "id" not in out  # missing source -> absent
    assert record["judge"] == {"label": "x"}


def test_mapping_prefers_an_exact_key_with_dots() -> None:
    mapping = FieldMapping.parse(["judge.label=a.b"])
    assert mapping.apply({"a.b": 1, "a": {"b": 2}})["judge"] == {"label": 1}
    assert mapping.apply({"a": {"b": 2}})["judge"] == {"label": 2}


def test_mapping_jsonl_file() -> None:
    mapping = FieldMapping.parse([
        "id=uid", "input=prompt", "output=response", "judge.label=llm.verdict",
        "judge.rationale=llm.explanation", "ratings=human_labels", "reference=gold",
    ])  # fmt: skip
    (parsed,), problems = read(DATA / "mapped.jsonl", mapping=mapping)
    assert problems == []
    assert parsed.case == Case(
        id="11",
        input="Is the sky blue?",
        output="Yes.",
        reference="Yes",
        judge=Verdict("correct", "It is."),
        ratings=(Rating("ann", "correct"), Rating("ben", "incorrect")),
    )
    assert '"uid": 11' in parsed.raw  # raw is the source, not the mapped record


def test_mapping_csv_columns() -> None:
    path = DATA / "mapped.csv"
    with pytest.raises(FileRefused, match="missing required column"):
        read(path)
    mapping = FieldMapping.parse([
        "id=Example ID", "input=question", "output=model answer", "judge.label=judge.verdict",
        "judge.rationale=why", "ratings.ann=human.ann",
    ])  # fmt: skip
    (parsed,), problems = read(path, mapping=mapping)
    assert problems == []
    assert parsed.case == Case(
        id="e1",
        input="Is the sky blue?",
        output="Yes.",
        judge=Verdict("correct", "It is."),
        ratings=(Rating("ann", "incorrect"),),
    )


def test_mapping_to_a_missing_column_is_refused() -> None:
    mapping = FieldMapping.parse(["id=uid", "input=prompt", "judge.label=no such column"])
    with pytest.raises(FileRefused) as info:
        read(DATA / "missing_columns.csv", mapping=mapping)
    assert "missing required column(s) (after --map): judge.label" in info.value.message


def test_guess_mapping() -> None:
    fields = ["uid", "prompt", "response", "verdict", "explanation", "human_labels", "gold",
              "metadata", "Judge Model"]  # fmt: skip
    assert guess_mapping(fields).as_dict() == {
        "id": "uid",
        "input": "prompt",
        "output": "response",
        "reference": "gold",
        "judge.label": "verdict",
        "judge.rationale": "explanation",
        "judge.model": "Judge Model",
        "ratings": "human_labels",
        "meta": "metadata",
    }


def test_guess_mapping_keeps_fields_named_like_ours() -> None:
    fields = ["id", "uid", "input", "question", "judge.label", "verdict", "rating.alice",
              "annotations", "ID2"]  # fmt: skip
    assert guess_mapping(fields).as_dict() == {}
    assert guess_mapping(["judge", "reasoning"]).as_dict() == {"judge.rationale": "reasoning"}
    assert guess_mapping(["Input", "Case_ID"]).as_dict() == {"id": "Case_ID", "input": "Input"}


def test_source_fields() -> None:
    record = {"id": 1, "judge": {"label": "x", "extra": {"a": 1}}, "ratings": [{"rater": "a"}],
              "meta": {"source": "s"}}  # fmt: skip
    assert source_fields(record) == [
        "id", "judge", "judge.label", "judge.extra", "judge.extra.a", "ratings", "meta",
        "meta.source",
    ]  # fmt: skip


def test_sample_records() -> None:
    jsonl = sample_records(DATA / "bad_lines.jsonl", limit=3)
    assert [r.get("id") for r in jsonl] == ["ok1", None, "  "]  # header and bad JSON left out
    csv_rows = sample_records(DATA / "mapped.csv")
    assert csv_rows == [{
        "Example ID": "e1", "question": "Is the sky blue?", "model answer": "Yes.",
        "judge.verdict": "correct", "why": "It is.", "human.ann": "incorrect",
    }]  # fmt: skip
    assert guess_mapping(source_fields(csv_rows[0])).as_dict() == {
        "id": "Example ID", "input": "question", "output": "model answer",
        "judge.label": "judge.verdict",
    }  # fmt: skip
    with pytest.raises(FileRefused):
        sample_records(DATA / "bad_header.jsonl")


# -- streaming ------------------------------------------------------------------------------------


def test_bytes_read_reaches_the_size() -> None:
    reader = CaseReader(DATA / "passfail.jsonl")
    assert reader.bytes_read == 0
    progress = []
    for _ in reader:
        progress.append(reader.bytes_read)
    assert progress == sorted(progress)
    assert 0 < progress[0] < reader.size_bytes
    assert reader.bytes_read == reader.size_bytes == (DATA / "passfail.jsonl").stat().st_size


def test_streaming_a_large_file_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    line = json.dumps({
        "id": "", "input": "Explain this. " * 100, "output": "Because. " * 100,
        "judge": {"label": "pass", "rationale": "ok " * 20}, "ratings": ["pass", "fail"],
    })  # fmt: skip
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"project": {"labels": ["pass", "fail"]}}\n')
        n = 0
        while fh.tell() < 50_000_000:
            fh.writelines(line.replace('"id": ""', f'"id": "c{n + i}"') + "\n" for i in range(1000))
            n += 1000
    tracemalloc.start()
    try:
        reader = CaseReader(path)
        count = sum(1 for item in reader if isinstance(item, ParsedCase))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == n
    assert reader.bytes_read == reader.size_bytes >= 50_000_000
    assert peak < 20_000_000  # (how fast it reads is measured in benchmarks/: the import)


def test_broken_utf16_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "w.txt", "id\tinput\tjudge\n".encode("utf-16-le") + b"\x00\xdc\x00")
    path.write_bytes(b"\xff\xfe" + path.read_bytes())
    with pytest.raises(FileRefused, match=r"w\.txt: not valid UTF-16"):
        CaseReader(path)


def test_project_field_that_is_not_an_object_is_not_a_header(tmp_path: Path) -> None:
    path = write(tmp_path, "p.jsonl", '{"project": "x", "uid": "1", "input": "q", "judge": "a"}\n')
    reader = CaseReader(path, FieldMapping.parse(["id=uid"]))
    assert reader.project is None
    (parsed,), _ = read(path, mapping=FieldMapping.parse(["id=uid"]))
    assert parsed.case.id == "1"


def _doc_block(kind: str) -> str:
    doc = (Path(__file__).parents[1] / "docs" / "formats.md").read_text(encoding="utf-8")
    return doc.split(f"```{kind}\n", 1)[1].split("```", 1)[0]


def test_the_examples_in_the_docs_read_cleanly(tmp_path: Path) -> None:
    jl = write(tmp_path, "example.jsonl", _doc_block("jsonl"))
    reader = CaseReader(jl)
    assert reader.project is not None
    assert set(reader.project.schemes) == {"", "preference", "helpfulness"}
    cases, problems = read(jl)
    assert problems == []
    got = by_id(cases)
    assert got["c2"].outputs is not None and set(got["c2"].outputs) == {"A", "B"}
    assert got["c3"].input.startswith("system: You are a support bot.\n\nuser: ")
    assert got["c3"].rater_labels == {"rater 1": "5", "rater 2": "2"}
    cv = write(tmp_path, "cases.csv", _doc_block("csv"))
    write(tmp_path, "cases.project.json", '{"project": {"labels": ["pass", "fail"]}}')
    cases, problems = read(cv)
    assert problems == []
    assert by_id(cases)["c2"].input == 'Summarize: "Q3 sales rose 4%"'
    assert by_id(cases)["c2"].ratings == (Rating("alice", "fail", "Vague, but true"),)


def test_mapped_csv_cells_holding_json_are_read_as_json(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "question_id,prompt,gpt_verdict,humans,metadata\n"
        'q1,Is it safe?,pass,"{""alice"": ""fail""}","{""src"": ""tickets""}"\n',
        encoding="utf-8",
    )
    mapping = FieldMapping.parse(
        [
            "id=question_id",
            "input=prompt",
            "judge.label=gpt_verdict",
            "ratings=humans",
            "meta=metadata",
        ]
    )
    items = list(CaseReader(path, mapping))
    assert len(items) == 1 and isinstance(items[0], ParsedCase)
    case = items[0].case
    assert [(r.rater, r.label) for r in case.ratings] == [("alice", "fail")]
    assert case.meta == {"src": "tickets"}
