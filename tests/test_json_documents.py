"""JSON arrays and pretty-printed JSON read as a stream of cases (formats/jsondoc.py): every
item found whatever the layout and wherever the reads cut it, each named by its index and
line, what breaks the array refusing the file, and memory flat in the file's size."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.formats import jsondoc
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.lines import open_text
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase, sample_records


def case(cid: str, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "input": f"question {cid}", "judge": "pass", **extra}


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def items(path: Path) -> list[Any]:
    return list(jsondoc.items(open_text(path, None)))


def read(path: Path, **kwargs: Any) -> list[ParsedCase | LineProblem]:
    return list(CaseReader(path, **kwargs))


TRICKY = [
    case("c1", input='brackets in text: ] } [ { and a quote \\" '),
    case("c2", input='escapes: \\\\ \\n " ] ', meta={"nested": [[{"a": [1, {"b": {}}]}], []]}),
    case("c3", input="unicode: café — 日本 😀 \u2028", output=""),
    case("c4", ratings=[{"rater": "a", "label": "pass"}, {"rater": "b", "label": "fail"}]),
]


@pytest.mark.parametrize(
    "layout",
    [
        {},  # one line
        {"indent": 2},
        {"indent": 4, "ensure_ascii": False},
        {"indent": "\t", "separators": (",", ": ")},
        {"separators": (",", ":"), "ensure_ascii": True},
    ],
)
def test_every_item_of_an_array_is_a_case_whatever_its_layout(tmp_path, layout) -> None:
    path = write(tmp_path, "cases.json", json.dumps(TRICKY, **layout))
    got = read(path)
    assert [c.case.id for c in got if isinstance(c, ParsedCase)] == ["c1", "c2", "c3", "c4"]
    assert json.loads("[" + ",".join(c.raw for c in got if isinstance(c, ParsedCase)) + "]") == (
        TRICKY
    )  # each item's own text, verbatim


def test_reads_cut_anywhere_give_the_same_items(tmp_path, monkeypatch) -> None:
    """A read of a few characters at a time cuts strings, escapes and numbers everywhere."""
    text = json.dumps(TRICKY, indent=2, ensure_ascii=False)
    path = write(tmp_path, "cases.json", text)
    whole = [r.data for r in items(path)]
    for chunk in (1, 2, 3, 7, 64):
        monkeypatch.setattr(jsondoc, "CHUNK", chunk)
        assert [r.data for r in items(path)] == whole == TRICKY


def test_an_item_starts_on_its_own_line_and_is_named_by_its_index(tmp_path) -> None:
    records = [case("c1"), {"id": "c2", "input": "q"}, case("c3")]
    path = write(tmp_path, "cases.json", json.dumps(records, indent=2))
    got = read(path)
    assert [item.line for item in got] == [2, 7, 11]
    problem = got[1]
    assert isinstance(problem, LineProblem)
    assert problem.describe(path) == "cases.json, line 7: item [1]: missing judge label"


def test_pretty_printed_objects_one_after_another_are_cases(tmp_path) -> None:
    text = "".join(json.dumps(r, indent=2) + "\n" for r in TRICKY)  # jq's output
    path = write(tmp_path, "cases.json", text)
    reader = CaseReader(path)
    assert reader.fmt == "json"
    assert [c.case.id for c in reader if isinstance(c, ParsedCase)] == ["c1", "c2", "c3", "c4"]
    one = write(tmp_path, "one.json", json.dumps(case("c9"), indent=2))  # a single case
    assert [c.case.id for c in read(one) if isinstance(c, ParsedCase)] == ["c9"]


@pytest.mark.parametrize(
    ("name", "text", "fmt"),
    [
        ("a.json", json.dumps([case("c1")]), "json"),
        ("a.json", json.dumps(case("c1")) + "\n" + json.dumps(case("c2")) + "\n", "jsonl"),
        ("a.json", json.dumps(case("c1"), indent=2), "json"),
        ("a.json", '{"id": "c1",\n "input": "q", "judge": "pass"}\n', "json"),
        ("a.jsonl", "\n  [" + json.dumps(case("c1")) + "]", "json"),
        ("a.txt", json.dumps([case("c1")]), "json"),
        ("a.ndjson", json.dumps(case("c1")) + "\n", "jsonl"),
        ("a.csv", "id,input,judge\nc1,q,pass\n", "csv"),
    ],
)
def test_the_format_is_found_from_the_files_start(tmp_path, name, text, fmt) -> None:
    reader = CaseReader(write(tmp_path, name, text))
    assert reader.fmt == fmt
    assert [c.case.id for c in reader if isinstance(c, ParsedCase)][:1] == ["c1"]


def test_a_header_may_be_the_first_item_and_only_the_first(tmp_path) -> None:
    header = {"project": {"title": "T", "labels": ["pass", "fail"]}}
    path = write(tmp_path, "cases.json", json.dumps([header, case("c1"), header], indent=1))
    reader = CaseReader(path)
    assert reader.project is not None and reader.project.title == "T"
    got = list(reader)
    assert isinstance(got[0], ParsedCase)
    assert isinstance(got[1], LineProblem)
    assert got[1].message == "item [2]: a project header is only allowed as the first item"


def test_without_a_header_item_the_sidecar_is_read(tmp_path) -> None:
    path = write(tmp_path, "cases.json", json.dumps([case("c1", judge="PASS")]))
    write(tmp_path, "cases.project.json", '{"labels": ["pass", "fail"]}')
    got = read(path)
    assert isinstance(got[0], ParsedCase) and got[0].case.judge.label == "pass"


def test_bad_items_are_skipped_and_named(tmp_path) -> None:
    deep = '{"id": "c5", "input": ' + "[" * 150 + "]" * 150 + ', "judge": "pass"}'
    text = (
        "[\n"
        + json.dumps(case("c1"))
        + ',\n{"id": "c2", "input": "q", "judge": {"label": "x", "score": NaN}},\n'
        + '"just text",\n{"id": "c4", "input": "\\ud800", "judge": "pass"},\n'
        + deep
        + ',\n{"id": "c6",\n "input": [1,, 2], "judge": "x"},\n'
        + json.dumps(case("c7"))
        + "\n]"
    )
    got = read(write(tmp_path, "cases.json", text))
    assert [g.case.id for g in got if isinstance(g, ParsedCase)] == ["c1", "c7"]
    messages = [g.describe(Path("cases.json")) for g in got if isinstance(g, LineProblem)]
    assert messages == [
        "cases.json, line 3: item [1]: invalid JSON: NaN is not allowed",
        "cases.json, line 4: item [2]: not a JSON object (found a string)",
        "cases.json, line 5: item [3]: invalid JSON: a lone surrogate (\\ud800-\\udfff) is not "
        "a character",
        "cases.json, line 6: item [4]: invalid JSON: nested more than 100 levels deep at "
        "column 122",
        "cases.json, line 7: item [5]: invalid JSON: Expecting value at column 14 (line 8)",
    ]


def test_items_read_in_place_are_what_loads_reads(tmp_path) -> None:
    """Items read at once (json's raw_decode) and those parsed alone agree: an escaped
    surrogate pair is a character; more than 100 brackets not nested deep is fine."""
    many = [{"rater": f"r{i}", "label": "pass"} for i in range(120)]
    records = [case("c1", input="\\ud83d\\ude00 escaped emoji"), case("c2", ratings=many)]
    text = json.dumps(records, ensure_ascii=True)
    got = read(write(tmp_path, "cases.json", text))
    assert [type(g) for g in got] == [ParsedCase, ParsedCase]
    assert isinstance(got[0], ParsedCase) and got[0].case.input == "\\ud83d\\ude00 escaped emoji"
    assert isinstance(got[1], ParsedCase) and len(got[1].case.ratings) == 120


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (json.dumps([case("c1"), case("c2")], indent=2)[:60], "line 2: item [0] is cut short"),
        ('[{"id": "c1", "input": "q", "judge": "pass"}', "is never closed after item [0]"),
        ('[\n{"id": "c1", "input": "q", "judge": "pass"}\n{"id": "c2"}]', "line 3: expected ','"),
        ('[{"id": "c1", "input": "q", "judge": "pass"},]', "a comma after the last item [0]"),
        ('[{"id": "c1", "input": "q", "judge": "pass"}] []', "text after the end of the array"),
        ("[,]", "expected item [0], found ','"),
        ('[{"id": "c1", "input": "q", "judge": "pass"}, }', "expected item [1] after item [0]"),
        ("[]", "the file has no cases"),
        ("  [ \n ] ", "the file has no cases"),
        ('["a", 1, null]', "no valid cases (3 lines skipped): item [0]: not a JSON object"),
        ('{\n"id": "c1"}\n, {"id": "c2"}', "line 3: expected an object, found ','"),
    ],
)
def test_what_breaks_the_document_refuses_the_file(tmp_path, text, message) -> None:
    path = write(tmp_path, "cases.json", text)
    with pytest.raises(FileRefused) as refused:
        from annotator.services.importer import import_file
        from annotator.services.workspace import Workspace

        ws = Workspace.open(None)
        try:
            import_file(ws, path)
        finally:
            ws.close()
    assert message in str(refused.value)
    assert str(refused.value).startswith("cases.json")


def test_an_array_read_as_json_lines_says_how_to_read_it(tmp_path) -> None:
    path = write(tmp_path, "cases.json", json.dumps([case("c1")], indent=2))
    with pytest.raises(FileRefused, match=r"cases\.json, line 1: the file is a JSON array, not "
                       r"JSON Lines: read it as --format json"):  # fmt: skip
        CaseReader(path, fmt="jsonl")
    assert [c.case.id for c in read(path, fmt="json")] == ["c1"]  # type: ignore[union-attr]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_marks_and_wide_encodings(tmp_path, encoding) -> None:
    text = json.dumps(TRICKY, indent=2, ensure_ascii=False)
    lines = [c.line for c in read(write(tmp_path, "plain.json", text))]
    path = write(tmp_path, "cases.json", text.replace("\n", "\r\n").encode(encoding))
    got = read(path)
    assert [c.case.id for c in got if isinstance(c, ParsedCase)] == ["c1", "c2", "c3", "c4"]
    assert [c.line for c in got] == lines == [2, 7, 27, 33]


def test_bad_utf8_further_in_refuses_the_file_naming_the_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(jsondoc, "CHUNK", 16)
    data = json.dumps([case(f"c{i}") for i in range(200)], indent=2).encode()
    data = data.replace(b"question c150", b"question \xe9")
    path = write(tmp_path, "cases.json", data)
    line = data[: data.index(b"\xe9")].count(b"\n") + 1
    with pytest.raises(FileRefused, match=rf"line {line}: not valid UTF-8: byte 0xe9"):
        read(path)


def test_sample_records_for_the_dialog(tmp_path) -> None:
    path = write(tmp_path, "cases.json", json.dumps([{"uid": i} for i in range(50)], indent=2))
    assert sample_records(path, limit=3) == [{"uid": 0}, {"uid": 1}, {"uid": 2}]


def test_progress_counts_the_bytes_read(tmp_path) -> None:
    path = write(tmp_path, "cases.json", json.dumps([case(f"c{i}") for i in range(5000)]))
    reader = CaseReader(path)
    seen = []
    for n, _ in enumerate(reader):
        if n % 1000 == 0:
            seen.append(reader.bytes_read)
    assert seen == sorted(seen) and seen[0] > 0
    assert reader.bytes_read == path.stat().st_size


def test_memory_stays_flat_in_the_files_size(tmp_path) -> None:
    """A 24 MB array is read holding about one read's worth of text (1 M characters)."""
    item = json.dumps(case("c", input="x" * 2000), indent=2)
    path = tmp_path / "big.json"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("[" + ",".join(item.replace('"c"', f'"c{i}"', 1) for i in range(10_000)) + "]")
    assert path.stat().st_size > 20_000_000
    tracemalloc.start()
    try:
        count = sum(1 for r in jsondoc.items(open_text(path, None)) if r.data is not None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)  # fmt: skip
@given(
    records=st.lists(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=4), max_size=6),
    indent=st.sampled_from([None, 0, 1, 3]),
    ascii_only=st.booleans(),
    chunk=st.sampled_from([1, 5, 64, 1 << 20]),
)
def test_any_array_of_objects_reads_back_item_by_item(
    tmp_path, monkeypatch, records, indent, ascii_only, chunk
) -> None:
    monkeypatch.setattr(jsondoc, "CHUNK", chunk)
    text = json.dumps(records, indent=indent, ensure_ascii=ascii_only)
    path = write(tmp_path, "any.json", text)
    got = [r.data for r in items(path)]
    assert got == records


def test_a_broken_header_item_refuses_the_file(tmp_path) -> None:
    """As in JSON Lines: importing without it would lose the label sets."""
    text = '[\n  {"project": {"labels": ["pass", "fail",]}},\n  ' + json.dumps(case("c1")) + "\n]"
    with pytest.raises(FileRefused, match=r"cases\.json, line 2: bad project header: invalid JSON"):
        CaseReader(write(tmp_path, "cases.json", text))


def test_an_object_holding_the_cases_says_where_they_are_and_how_to_take_them_out(
    tmp_path,
) -> None:
    """promptfoo's results and Inspect's logs are one object with the records in a list."""
    export = {
        "evalId": "eval-1",
        "results": {
            "version": 3,
            "prompts": [{"raw": "Answer: {{q}}"}],
            "results": [{"vars": {"q": f"{n}+{n}"}, "response": {"output": "4"}} for n in (1, 2)],
        },
    }
    path = write(tmp_path, "results.json", json.dumps(export, indent=2))
    got = read(path)
    assert isinstance(got[0], LineProblem)
    assert got[0].message == (
        "missing id (this object is not a case but holds lists of objects: results.prompts "
        "(1 objects), results.results (2 objects); annotator reads those of promptfoo's results "
        "and Inspect's logs with --preset promptfoo or --preset inspect; take others out first, "
        "for example: jq '.results.results[]' FILE > cases.json)"
    )
    taken_out = "".join(json.dumps(r, indent=2) + "\n" for r in export["results"]["results"])
    mapping = FieldMapping.parse(["id=vars.q", "input=vars.q", "judge=response.output"])
    cases = read(write(tmp_path, "cases.json", taken_out), mapping=mapping)
    assert [c.case.id for c in cases if isinstance(c, ParsedCase)] == ["1+1", "2+2"]
