"""Composed fields (formats/mapping.py): ``--map input=instruction+input`` joins several
source fields' texts with a blank line, leaving out empty parts; an id is joined with "|"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.formats.errors import LineProblem
from annotator.formats.mapping import FieldMapping, guess_mapping, lookup
from annotator.formats.reader import CaseReader, ParsedCase

ALPACA = [
    {"n": 1, "instruction": "Translate to French.", "input": "The cat sleeps.", "v": "pass"},
    {"n": 2, "instruction": "Give three tips.", "input": "", "v": "pass"},
    {"n": 3, "instruction": "Summarize.", "input": "  ", "v": "fail"},
    {"n": 4, "instruction": "Explain.", "v": "fail"},  # no input at all
    {"n": 5, "input": "Only context.", "v": "pass"},
    {"n": 6, "instruction": "", "input": None, "v": "pass"},  # nothing: empty input
    {"n": 7, "v": "pass"},  # neither: missing input
]


def parse(records: list[dict], specs: list[str], tmp_path: Path) -> list[ParsedCase | LineProblem]:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return list(CaseReader(path, FieldMapping.parse(specs)))


def test_parts_are_joined_by_a_blank_line_and_empty_ones_left_out(tmp_path) -> None:
    items = parse(ALPACA, ["id=n", "input=instruction+input", "judge=v"], tmp_path)
    inputs = [i.case.input if isinstance(i, ParsedCase) else i.message for i in items]
    assert inputs == [
        "Translate to French.\n\nThe cat sleeps.",
        "Give three tips.",
        "Summarize.",
        "Explain.",
        "Only context.",
        "empty input",
        "missing input",
    ]


def test_an_id_is_joined_with_a_bar_keeping_empty_parts_in_place(tmp_path) -> None:
    records = [
        {"q": 81, "a": "alpaca-13b", "b": "gpt-4", "turn": 1, "x": "q", "v": "A"},
        {"q": 81, "a": "", "b": "gpt-4", "turn": 2, "x": "q", "v": "A"},
    ]
    items = parse(records, ["id=q+a+b+turn", "input=x", "judge=v"], tmp_path)
    assert [i.case.id for i in items if isinstance(i, ParsedCase)] == [
        "81|alpaca-13b|gpt-4|1",
        "81||gpt-4|2",
    ]


def test_chats_and_numbers_are_shown_as_their_own_text(tmp_path) -> None:
    chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
    record = {"id": "c1", "judge": "ok", "sys": "Be brief.", "n": 3, "chat": chat}
    items = parse([record], ["input=sys+chat+n", "reference=chat.1.content"], tmp_path)
    assert isinstance(items[0], ParsedCase)
    assert items[0].case.input == "Be brief.\n\nuser: Hi\n\nassistant: Yo\n\n3"
    assert items[0].case.reference == "Yo"  # a number in a path indexes a list


def test_a_field_named_with_a_plus_is_that_field(tmp_path) -> None:
    record = {"id": "c1", "judge": "ok", "q+a": "literal", "q": "Q", "a": "A"}
    items = parse([record], ["input=q+a"], tmp_path)
    assert isinstance(items[0], ParsedCase) and items[0].case.input == "literal"


def test_only_text_fields_are_composed(tmp_path) -> None:
    """A label or ratings with "+" in the name is that name (a column "pass+fail")."""
    record = {"id": "c1", "input": "q", "pass+fail": "pass", "judge+": "x"}
    items = parse([record], ["judge.label=pass+fail", "outputs.A=pass+fail+input"], tmp_path)
    assert isinstance(items[0], ParsedCase)
    assert items[0].case.judge.label == "pass"
    assert items[0].case.outputs == {"A": "q"}  # a text field: the parts that exist, joined


def test_csv_columns_are_composed(tmp_path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,instruction,context,verdict\nc1,Do it.,,pass\nc2,Do it.,With care.,pass\n")
    mapping = FieldMapping.parse(["input=instruction+context", "judge=verdict"])
    items = list(CaseReader(path, mapping))
    assert [i.case.input for i in items if isinstance(i, ParsedCase)] == [
        "Do it.",
        "Do it.\n\nWith care.",
    ]


def test_the_guess_joins_instruction_and_input() -> None:
    assert guess_mapping(["instruction", "input", "output"]).as_dict() == {
        "input": "instruction+input"
    }
    assert guess_mapping(["Instruction", "Input"]).as_dict() == {"input": "Instruction+Input"}
    assert guess_mapping(["instruction", "output"]).as_dict() == {"input": "instruction"}


def test_list_indexes_in_paths() -> None:
    record = {"c": [{"t": "a"}, {"t": "b"}], "d": {"0": "key"}}
    assert lookup(record, "c.1.t") == "b"
    assert lookup(record, "d.0") == "key"
    missing = lookup(record, "e")
    assert lookup(record, "c.2.t") is missing and lookup(record, "c.99999999999") is missing


def test_the_command_line(tmp_path, capsys) -> None:
    path = tmp_path / "alpaca.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ALPACA[:5]), encoding="utf-8")
    status = main(["summary", str(path), "--map", "id=n", "--map", "input=instruction+input",
                   "--map", "judge=v", "--json", "--basedir", str(tmp_path / "b")])  # fmt: skip
    assert status == 0
    assert json.loads(capsys.readouterr().out)["cases"] == 5


@pytest.mark.parametrize("spec", ["input=+", "input=a+", "input=+a"])
def test_empty_names_are_missing_parts(tmp_path, spec) -> None:
    items = parse([{"id": "c1", "judge": "x", "a": "A"}], [spec], tmp_path)
    got = items[0].case.input if isinstance(items[0], ParsedCase) else items[0].message
    assert got == ("missing input" if spec == "input=+" else "A")
