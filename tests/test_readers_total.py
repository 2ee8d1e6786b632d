"""Every reader is total (issue 12): what it cannot read it refuses, naming the file and the
line, with the app's own error; nothing ends in a traceback, and no row is lost unsaid.

One test (or a few) per finding of the issue; tests/test_fuzz_readers.py checks the same
property on random input, tests/test_bad_inputs.py the command line on the corpus of
tests/data/bad/.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.labelled import scan_labelled
from annotator.formats.labelled.careful import Shared, other_line
from annotator.formats.merged import read_merged
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.formats.versioned import file_format
from annotator.settings import Settings
from tests.fuzz import labelled_line, merged_line

CASE = '{"id": "c1", "input": "q", "judge": "pass"}\n'
DEEP = "[" * 5000 + "]" * 5000


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read(path: Path, **kwargs: Any) -> list[ParsedCase | LineProblem]:
    return list(CaseReader(path, **kwargs))


def refusal(path: Path, **kwargs: Any) -> FileRefused:
    with pytest.raises(FileRefused) as info:
        read(path, **kwargs)
    return info.value


def jsonl(*records: Any) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


# -- deep nesting -----------------------------------------------------------------------------


def test_a_deeply_nested_header_is_refused(tmp_path: Path):
    path = write(tmp_path / "h.jsonl", '{"project": {"title": ' + DEEP + "}}\n" + CASE)
    e = refusal(path)
    assert (e.path.name, e.line) == ("h.jsonl", 1)
    assert "bad project header" in e.message and "nested more than 100 levels" in e.message


def test_a_deeply_nested_sidecar_is_refused(tmp_path: Path):
    path = write(tmp_path / "c.csv", "id,input,judge\nc1,q,pass\n")
    write(tmp_path / "c.project.json", '{"project":\n' + DEEP + "}")
    e = refusal(path)
    assert (e.path.name, e.line) == ("c.project.json", 2)
    assert "nested more than 100 levels" in e.message


def test_a_deeply_nested_case_line_is_a_line_problem(tmp_path: Path):
    deep = "[" * 150 + "]" * 150  # (the bound keeps display and hashing far from recursing)
    path = write(tmp_path / "c.jsonl", CASE + '{"id": "c2", "input": ' + deep + ', "judge": "x"}\n')
    items = read(path)
    message = "invalid JSON: nested more than 100 levels deep at column 122"  # (the 100th "[")
    assert items[1] == LineProblem(2, message)


def test_a_deeply_nested_csv_cell_is_text(tmp_path: Path):
    path = write(tmp_path / "c.csv", f"id,input,judge,meta\nc1,q,pass,{DEEP}\n")
    (item,) = read(path)
    assert isinstance(item, ParsedCase) and item.case.meta == {"value": DEEP}


def test_a_deeply_nested_first_line_is_not_a_format_and_agreement_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = write(tmp_path / "m.jsonl", '{"format": ' + "[" * 2000 + "]" * 2000 + "}\n")
    assert file_format(path) is None
    assert main(["agreement", str(path), "--basedir", str(tmp_path / "base")]) == 1
    err = capsys.readouterr().err
    assert "m.jsonl, line 1: is not a labelled file (line 1 is not JSON" in err
    assert "Traceback" not in err


def test_orjson_stopping_at_its_depth_is_reported(tmp_path: Path):
    path = write(tmp_path / "l.jsonl", jsonl(labelled_line()) + '{"a": ' + DEEP + "}\n")
    assert scan_labelled(path).error == (
        "l.jsonl, line 2: not valid JSON (depth limit exceeded: line 1 column 1031 (char 1030))"
    )


# -- NaN, Infinity and numbers too large ----------------------------------------------------------


@pytest.mark.parametrize("threshold", ["NaN", "Infinity", "1e999", "1" + "0" * 400])
def test_a_threshold_that_is_not_a_finite_number_is_refused_in_a_sidecar(
    tmp_path: Path, threshold: str
):
    path = write(tmp_path / "c.csv", "id,input,judge\nc1,q,2\n")
    write(
        tmp_path / "c.project.json",
        '{"project": {"labels": [1, 2, 3], "ordinal": true, "threshold": ' + threshold + "}}",
    )
    e = refusal(path)
    assert e.path.name == "c.project.json"
    assert "not allowed" in e.message or "too large" in e.message or "finite" in e.message


@pytest.mark.parametrize("threshold", ["1e999", "-1e999", "1" + "0" * 400])
def test_a_threshold_too_large_is_refused_in_a_header(tmp_path: Path, threshold: str):
    header = '{"project": {"labels": [1, 2, 3], "ordinal": true, "threshold": ' + threshold + "}}"
    e = refusal(write(tmp_path / "h.jsonl", header + "\n" + CASE))
    assert (e.path.name, e.line) == ("h.jsonl", 1)
    assert "bad project header" in e.message


def test_summary_json_never_prints_infinity(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    header = '{"project": {"labels": [1, 2], "ordinal": true, "threshold": 1e999}}\n'
    path = write(tmp_path / "h.jsonl", header + '{"id": "a", "input": "q", "judge": 1}\n')
    assert main(["summary", str(path), "--json", "--basedir", str(tmp_path / "b")]) == 1
    out, err = capsys.readouterr()
    assert "Infinity" not in out and "h.jsonl, line 1: bad project header" in err


@pytest.mark.parametrize("score", ["1e999", "1" + "0" * 400, "NaN", "-Infinity"])
def test_a_judge_score_that_is_not_finite_is_a_line_problem(tmp_path: Path, score: str):
    line = '{"id": "c2", "input": "q", "judge": {"label": "x", "score": ' + score + "}}\n"
    items = read(write(tmp_path / "s.jsonl", CASE + line))
    assert isinstance(items[1], LineProblem) and items[1].line == 2


@pytest.mark.parametrize("score", ["1e999", "nan", "-inf", "1" + "0" * 400])
def test_a_csv_score_that_is_not_finite_is_a_line_problem(tmp_path: Path, score: str):
    path = write(tmp_path / "s.csv", f"id,input,judge,judge.score\nc1,q,pass,1\nc2,q,x,{score}\n")
    items = read(path)
    assert isinstance(items[1], LineProblem)
    assert "judge score must be a finite number" in items[1].message


def test_a_meta_number_too_large_is_a_line_problem(tmp_path: Path):
    items = read(write(tmp_path / "m.jsonl", CASE + CASE.replace('"q"', '"q", "meta": 1e999')))
    assert items[1] == LineProblem(2, "invalid JSON: the number 1e999 is too large")


def test_a_lone_surrogate_is_a_line_problem(tmp_path: Path):
    items = read(write(tmp_path / "u.jsonl", CASE + CASE.replace('"q"', '"q\\ud800"')))
    assert isinstance(items[1], LineProblem) and "lone surrogate" in items[1].message


# -- the labelled and merged files: every field in its documented domain -------------------------


def careful_error(path: Path, record: dict[str, Any]) -> str | None:
    try:
        other_line(path, 1, record, Shared())
    except FileRefused as e:
        return str(e)
    return None


LABELLED_BAD = [
    ("who_right", "martians", "'who_right' must be one of both, judge, neither, raters or null"),
    ("confidence", 3, "'confidence' must be one of high, low, medium or null, not 3"),
    ("confidence", "very", "'confidence' must be one of high, low, medium or null"),
    ("tags", "urgent", "'tags' must be a list of strings"),
    ("tags", ["a", 1], "'tags' must be a list of strings"),
    ("kind", "martians", "'kind' must be one of judge_vs_all"),
    ("rater_labels", "fail", "'rater_labels' must be an object of rater: label"),
    ("rater_labels", {"alice": 1}, "rater 'alice's label must be a string, not 1"),
    ("rater_labels", {"alice": "maybe"}, "rater 'alice's label 'maybe' is not one of the labels"),
    ("judge_label", "maybe", "the judge's label 'maybe' is not one of the labels"),
    ("label", "maybe", "label 'maybe' is not one of the labels"),
    ("labels", ["fail", "fail", "pass"], "'labels' must not name a label twice"),
    ("labels", ["fail", 1], "'labels' must be a list of strings"),
    ("ordinal", "yes", "'ordinal' must be true or false"),
    ("who_right_overridden", "no", "'who_right_overridden' must be true or false"),
    ("app_version", 1, "'app_version' must be a string, not 1"),
    ("format_version", 0, "'format_version' must be a whole number from 1"),
    ("decided_at", 20260101, "'decided_at' must be a string, not 20260101"),
]


@pytest.mark.parametrize(("key", "value", "message"), LABELLED_BAD)
@pytest.mark.parametrize("way", ["fast", "careful"])
def test_a_labelled_field_outside_its_domain_is_refused_by_both_readers(
    tmp_path: Path, key: str, value: Any, message: str, way: str
):
    """The fast scanner and the careful reader refuse the same values with the same message
    (a line without a rationale never takes the fast path)."""
    record = labelled_line(**{key: value})
    if way == "careful":
        del record["rationale"]
    path = write(tmp_path / "l.jsonl", jsonl(record))
    error = scan_labelled(path).error
    assert error is not None and error.startswith("l.jsonl, line 1: ") and message in error
    assert error == careful_error(path, record)


@pytest.mark.parametrize(
    "changes",
    [{}, {"confidence": None, "who_right": None}, {"confidence": "", "who_right": ""},
     {"labels": None}, {"labels": []}, {"judge_label": ""}, {"rater_labels": {}},
     {"kind": "unrated", "rater_labels": {}}, {"ordinal": None}],
)  # fmt: skip
def test_documented_values_are_read_by_both_readers(tmp_path: Path, changes: dict[str, Any]):
    record = labelled_line(**changes)
    path = write(tmp_path / "l.jsonl", jsonl(record))
    assert scan_labelled(path).error is None
    assert careful_error(path, record) is None


def test_a_numeric_confidence_no_longer_becomes_null(tmp_path: Path):
    path = write(tmp_path / "l.jsonl", jsonl(labelled_line(confidence=0.9)))
    assert "'confidence' must be one of" in (scan_labelled(path).error or "")


def test_martians_never_reach_the_merged_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = write(tmp_path / "l.jsonl", jsonl(labelled_line(who_right="martians")))
    out = tmp_path / "merged.jsonl"
    assert main(["merge", str(path), "-o", str(out), "--basedir", str(tmp_path / "b")]) == 1
    assert "l.jsonl, line 1: 'who_right' must be one of" in capsys.readouterr().err
    assert not out.exists()


MERGED_BAD = [
    ({"rater_labels": "fail"}, "'rater_labels' must be an object of rater: label"),
    ({"rater_labels": {"alice": ["fail"]}}, "rater 'alice's label must be a string"),
    ({"reviews": "Ana"}, "'reviews' must be a list"),
    ({"reviews": ["Ana"]}, "review 1 must be an object"),
    ({"lead": "Lee"}, "'lead' must be an object"),
    ({"kind": "martians"}, "'kind' must be one of"),
    ({"resolution": "vote"}, "'resolution' must be one of unanimous, lead, conflict"),
    ({"resolution": "unanimous"}, "'resolution' is unanimous, but its reviews and lead make it"),
    ({"label": "fail"}, "'label' is \"fail\", but its reviews and lead make it null"),
    ({"labels": "fail"}, "'labels' must be a list of strings"),
    ({"ordinal": 1}, "'ordinal' must be true or false"),
    ({"judge_label": "maybe"}, "the judge's label 'maybe' is not one of the labels"),
]


@pytest.mark.parametrize(("changes", "message"), MERGED_BAD)
def test_a_merged_field_outside_its_domain_is_refused(
    tmp_path: Path, changes: dict[str, Any], message: str
):
    path = write(tmp_path / "m.jsonl", jsonl(merged_line(**changes)))
    with pytest.raises(FileRefused) as info:
        list(read_merged(path))
    assert (info.value.path.name, info.value.line) == ("m.jsonl", 1)
    assert message in info.value.message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("who_right", "martians", "'who_right' must be one of"),
        ("confidence", 2, "'confidence' must be one of"),
        ("tags", "x", "'tags' must be a list of strings"),
        ("label", "maybe", "the label 'maybe' is not one of the labels"),
        ("decided_at", [], "'decided_at' must be a string, not an array"),
    ],
)
def test_a_review_field_outside_its_domain_is_refused(
    tmp_path: Path, field: str, value: Any, message: str
):
    record = merged_line()
    record["reviews"][1][field] = value
    path = write(tmp_path / "m.jsonl", jsonl(record))
    with pytest.raises(FileRefused, match=f"m.jsonl, line 1: review 2: (case 'c1': )?{message}"):
        list(read_merged(path))


def test_a_merged_case_twice_is_refused(tmp_path: Path):
    path = write(tmp_path / "m.jsonl", jsonl(merged_line(), merged_line()))
    with pytest.raises(FileRefused, match="m.jsonl, line 2: case 'c1' is also on line 1"):
        list(read_merged(path))


def test_agreement_on_a_merged_file_with_rater_labels_a_string(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = write(tmp_path / "m.jsonl", jsonl(merged_line(rater_labels="fail")))
    assert main(["agreement", str(path), "--basedir", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "m.jsonl, line 1: 'rater_labels' must be an object" in err and "Traceback" not in err


# -- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("rot13", "'rot13' is not a text encoding"),
        ("hex", "'hex' is not a text encoding"),
        ("base64", "'base64' is not a text encoding"),
        ("zlib", "'zlib' is not a text encoding"),
        ("no-such-codec", "unknown encoding 'no-such-codec'"),
        ("punycode", "cannot be read as punycode"),
        ("utf-7", "not valid UTF-7: a lone surrogate"),
    ],
)
def test_an_encoding_that_cannot_read_the_file_names_the_file(
    tmp_path: Path, encoding: str, message: str
):
    content = "id,input,judge\nc1,q+2D-x,pass\n" if encoding != "utf-7" else "a\n+2AA-\n"
    e = refusal(write(tmp_path / "e.csv", content), encoding=encoding)
    assert e.path.name == "e.csv" and message in e.message


def test_utf16_without_a_byte_order_mark(tmp_path: Path):
    data = "id,input,judge\nc1,q,pass\n".encode("utf-16-le")
    path = write(tmp_path / "w.csv", data)
    assert "not a text file" in refusal(path).message
    e = refusal(path, encoding="utf-16")
    assert e.message == (
        "cannot be read as UTF-16: it does not start with a byte order mark; pass "
        "--encoding utf-16-le (or utf-16-be)"
    )
    (item,) = read(path, encoding="utf-16-le")
    assert isinstance(item, ParsedCase)
    odd = write(tmp_path / "odd.csv", data[:-1])
    assert refusal(odd, encoding="utf-16-le").message == "not valid UTF-16-LE"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "rot13", "cp1252"])
def test_the_import_command_names_the_file_for_any_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
):
    path = write(tmp_path / "e.csv", b"id,input,judge\nc1,q\xff\xfe\x00,pass\n")
    code = main(["import", str(path), "--encoding", encoding, "--basedir", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code:
        assert "annotator: error: e.csv" in err


# -- an unmatched quote in a CSV file -------------------------------------------------------------


def csv_rows(n: int, broken: dict[int, str]) -> str:
    rows = [broken.get(i, f"c{i},question {i},pass") for i in range(1, n + 1)]
    return "id,input,judge\n" + "\n".join(rows) + "\n"


def test_an_unmatched_quote_refuses_the_file(tmp_path: Path):
    path = write(tmp_path / "q.csv", csv_rows(100, {3: 'c3,"question 3,pass'}))
    e = refusal(path, strict=False)
    assert (e.path.name, e.line) == ("q.csv", 4)
    assert e.message == (
        "unmatched quote: the quote opened on this line is never closed, so the 97 lines after "
        "it would be read as one cell"
    )


def test_a_quote_closed_many_lines_later_refuses_the_file(tmp_path: Path):
    broken = {3: 'c3,"question 3,pass', 50: 'c50,q",pass,x'}
    e = refusal(write(tmp_path / "q.csv", csv_rows(100, broken)))
    assert e.line == 4
    assert e.message == (
        "unmatched quote: the quote opened on this line takes in the 47 lines after it, to line "
        "51, and leaves a row of 4 cells where the header has 3"
    )


def test_an_unmatched_quote_in_the_header_row(tmp_path: Path):
    e = refusal(write(tmp_path / "q.csv", 'id,"input,judge\nc1,q,pass\nc2,q,pass\n'))
    assert e.line == 1 and "never closed, so the 2 lines after it" in e.message


def test_the_import_command_refuses_an_unmatched_quote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = write(tmp_path / "q.csv", csv_rows(100, {3: 'c3,"question 3,pass'}))
    assert main(["import", str(path), "--basedir", str(tmp_path / "b")]) == 1
    assert "q.csv, line 4: unmatched quote" in capsys.readouterr().err
    assert not list((tmp_path / "b").rglob("*.annotator"))


def test_quoted_cells_across_lines_still_read(tmp_path: Path):
    rows = {2: 'c2,"two\nlines",pass', 5: 'c5,"a ""quoted"" word\nand\nmore",pass'}
    items = read(write(tmp_path / "q.csv", csv_rows(8, rows)))
    assert all(isinstance(i, ParsedCase) for i in items) and len(items) == 8
    assert items[4].case.input == 'a "quoted" word\nand\nmore'  # type: ignore[union-attr]


def test_a_short_row_on_one_line_is_still_a_line_problem(tmp_path: Path):
    items = read(write(tmp_path / "q.csv", csv_rows(5, {2: "c2,only two"})))
    assert items[1] == LineProblem(3, "2 fields where the header has 3")


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [DEEP, "{oops", b"\xff\xfe", '{"text_scale": NaN}', '{"text_scale": 1e999}',
     '{"recent": [1, {}]}', '{"reviewer": ["x"]}', "[]", '{"text_scale": ' + "9" * 400 + "}"],
)  # fmt: skip
def test_a_corrupt_settings_file_gives_the_defaults(content: str | bytes):
    target = Settings.file()
    write(target, content)
    loaded = Settings.load()
    assert loaded.recent == [] and loaded.reviewer == "" and math.isfinite(loaded.text_scale)


def test_settings_keep_what_is_valid():
    write(Settings.file(), '{"reviewer": "Ana", "recent": ["a"], "text_scale": 2, "show_queue": 0}')
    loaded = Settings.load()
    assert (loaded.reviewer, loaded.recent, loaded.text_scale) == ("Ana", ["a"], 2.0)
    assert loaded.show_queue is True
