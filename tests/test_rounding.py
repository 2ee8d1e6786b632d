"""Scores between a numeric scale's labels (issue 19, item 5): counted before anything lands,
then rounded (--round), mapped (--labels) or skipped (--yes); the raw score stays."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.formats.errors import LineProblem
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.formats.rounding import Rounding, rounded
from annotator.formats.values import ValueMap
from annotator.services.import_report import ImportUnconfirmed
from annotator.services.importer import import_file
from annotator.services.workspace import Workspace
from tests.helpers import write_jsonl

HEADER = {"project": {"labels": [1, 2, 3, 4, 5], "ordinal": True}}
ROWS = [
    {"id": "a", "input": "x", "judge": 4.5, "ratings": {"r1": 4, "r2": 5}},
    {"id": "b", "input": "x", "judge": 3, "ratings": {"r1": 3, "r2": 2.5}},
    {"id": "c", "input": "x", "judge": {"label": 2.5, "score": 0.3}, "ratings": {"r1": 3}},
    {"id": "d", "input": "x", "judge": 2, "ratings": {"r1": 2}},
    {"id": "e", "input": "x", "judge": 1, "ratings": {"r1": 1}},
]


def _file(tmp_path: Path, *, header: bool = True) -> Path:
    return write_jsonl(tmp_path / "scores.jsonl", ([HEADER] if header else []) + ROWS)


def _cases(path: Path, rounding: Rounding | None = None) -> dict[str, ParsedCase]:
    return {i.case.id: i for i in CaseReader(path, rounding=rounding) if isinstance(i, ParsedCase)}


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        ("4.5", "half-even", "4"),
        ("3.5", "half-even", "4"),
        ("4.5", "half-up", "5"),
        ("4.4", "half-up", "4"),
        ("4.6", "half-even", "5"),
        ("4.9", "down", "4"),
        ("4.1", "up", "5"),
    ],
)
def test_each_mode_rounds_to_a_neighbouring_label(value: str, mode: str, expected: str) -> None:
    low = str(int(Decimal(value)))
    assert rounded(Decimal(value), low, str(int(low) + 1), mode) == expected


def test_round_options_are_read_with_their_sources() -> None:
    assert Rounding.parse(["half-up"]).modes == (("judge", "half-up"), ("ratings", "half-up"))
    assert Rounding.parse(["judge:down"]).mode("ratings") is None
    assert Rounding.parse(["judge:down", "ratings:up"]).specs() == ["judge:down", "ratings:up"]
    for bad in ("sideways", "alice:up", "judge:half"):
        with pytest.raises(ValueError, match="bad --round"):
            Rounding.parse([bad])
    with pytest.raises(ValueError, match="judge is rounded down and up"):
        Rounding.parse(["judge:down", "up"])


@pytest.mark.parametrize("header", [True, False])
def test_without_a_choice_their_cases_are_line_problems(tmp_path: Path, header: bool) -> None:
    """On a declared 1-5 scale and on one inferred from whole numbers alike."""
    reader = CaseReader(_file(tmp_path, header=header))
    items = list(reader)
    problems = [i.message for i in items if isinstance(i, LineProblem)]
    assert problems == [
        "the judge's score '4.5' falls between the labels 4 and 5: --round judge:MODE rounds it, "
        "--labels judge:4.5=LABEL maps it",
        "the score of rater 'r2' '2.5' falls between the labels 2 and 3: --round ratings:MODE "
        "rounds it, --labels ratings:2.5=LABEL maps it",
        "the judge's score '2.5' falls between the labels 2 and 3: --round judge:MODE rounds it, "
        "--labels judge:2.5=LABEL maps it",
    ]
    assert sum(isinstance(i, ParsedCase) for i in items) == 2
    assert reader.between.left == {("", "judge", "4.5"): 1, ("", "judge", "2.5"): 1,
                                   ("", "ratings", "2.5"): 1}  # fmt: skip


def test_rounded_the_raw_score_stays(tmp_path: Path) -> None:
    cases = _cases(_file(tmp_path), Rounding.parse(["half-up"]))
    assert len(cases) == 5
    assert (cases["a"].case.judge.label, cases["a"].case.judge.score) == ("5", 4.5)
    assert cases["c"].case.judge.label == "3"
    assert cases["c"].case.judge.score == 0.3  # the verdict's own score is kept
    assert {r.rater: r.label for r in cases["b"].case.ratings} == {"r1": "3", "r2": "3"}
    assert json.loads(cases["a"].raw)["judge"] == 4.5  # the stored record as it was


def test_only_the_source_named_is_rounded(tmp_path: Path) -> None:
    reader = CaseReader(_file(tmp_path), rounding=Rounding.parse(["judge:down"]))
    items = list(reader)
    assert [i.line for i in items if isinstance(i, LineProblem)] == [3]  # b: rater r2's 2.5
    assert reader.between.notes() == ["rounded 2 of the judge's scores (down): 2.5→2 x1, 4.5→4 x1"]


def test_a_labels_rule_maps_it_first(tmp_path: Path) -> None:
    values = ValueMap.parse(["judge:4.5=4,2.5=2", "ratings:2.5=3"])
    cases = {
        i.case.id: i
        for i in CaseReader(_file(tmp_path), values=values)
        if isinstance(i, ParsedCase)
    }
    assert len(cases) == 5 and cases["a"].case.judge.label == "4"


def test_values_that_are_no_scores_are_left_alone(tmp_path: Path) -> None:
    """Not between labels: a number outside the declared scale (an unknown label, as before),
    a whole number, a fraction where the raters' are fractions too, a text label."""
    rows = [
        {"id": "1", "input": "x", "judge": 0.5, "ratings": {"r": 0.5}},
        {"id": "2", "input": "x", "judge": "pass", "ratings": {"r": 1}},
        {"id": "3", "input": "x", "judge": 1.5},
    ]
    path = write_jsonl(tmp_path / "other.jsonl", rows)
    reader = CaseReader(path)
    assert all(isinstance(i, ParsedCase) for i in reader) and not reader.between.left
    declared = write_jsonl(tmp_path / "declared.jsonl", [HEADER, {**ROWS[0], "judge": 5.5}])
    items = list(CaseReader(declared))
    assert isinstance(items[0], LineProblem) and "unknown label '5.5'" in items[0].message


def test_the_import_stops_and_asks_and_imports_nothing(tmp_path: Path) -> None:
    path = _file(tmp_path)
    ws = Workspace.open(tmp_path / "w.annotator")
    try:
        with pytest.raises(ImportUnconfirmed) as refused:
            import_file(ws, path, confirmed=False)
        assert ws.case_count() == 0
        assert refused.value.warnings[0] == (
            "3 scores fall between the scale's labels (the judge's '2.5' x1, '4.5' x1; the "
            "raters' '2.5' x1): --round half-even|half-up|down|up (or judge:MODE, ratings:MODE) "
            "rounds them, --labels judge:VALUE=LABEL maps them, --yes skips their cases"
        )
        report = import_file(ws, path, confirmed=False, rounding=Rounding.parse(["half-even"]))
        assert (report.added, report.skipped) == (5, 0)
        assert report.notes() == [
            "rounded 2 of the judge's scores (half-even): 2.5→2 x1, 4.5→4 x1",
            "rounded 1 of the raters' scores (half-even): 2.5→2 x1",
        ]
        data = json.loads(report.to_json(None, 5))
        assert data["between"]["round"] == {"judge": "half-even", "ratings": "half-even"}
        assert data["between"]["left"] == [] and len(data["between"]["rounded"]) == 3
    finally:
        ws.close()


def test_cli_refuses_with_the_counts_then_rounds_or_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path)
    ws = tmp_path / "w.annotator"
    assert main(["import", str(path), "-w", str(ws)]) == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err and "3 scores fall between the scale's labels" in err
    assert not ws.exists()
    assert main(["import", str(path), "-w", str(ws), "--json"]) == 1
    refused = json.loads(capsys.readouterr().out)
    assert refused["imported"] is False
    assert {(x["source"], x["value"], x["count"]) for x in refused["between"]["left"]} == {
        ("judge", "4.5", 1),
        ("judge", "2.5", 1),
        ("ratings", "2.5", 1),
    }
    assert main(["import", str(path), "-w", str(ws), "--yes", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["added"] == 2 and json.loads(out)["skipped_lines"] == 3
    assert "annotator: skipped scores.jsonl, line 2: the judge's score '4.5'" in err
    assert "annotator: warning: 3 scores fall between" in err
    other = tmp_path / "r.annotator"
    assert main(["import", str(path), "-w", str(other), "--round", "judge:half-up",
                 "--round", "ratings:down"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "cases added             5" in out
    assert "rounded 2 of the judge's scores (half-up): 2.5→3 x1, 4.5→5 x1" in out
    assert "rounded 1 of the raters' scores (down): 2.5→2 x1" in out
    assert main(["import", str(path), "-w", str(other), "--round", "sideways"]) != 0
    assert "bad --round 'sideways'" in capsys.readouterr().err


def test_a_rare_score_between_labels_is_said_once_and_rounding_settles_it(
    tmp_path: Path,
) -> None:
    """Among 450 labels, one 4.5 is rare too: the rare-label warning leaves it to this one."""
    rows = [
        {"id": i, "input": "x", "judge": 4.5 if i == 7 else 1 + i % 5,
         "ratings": {"a": 1 + (i * 3) % 5, "b": 1 + (i * 7) % 5}}
        for i in range(150)
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    ws = Workspace.open(tmp_path / "w.annotator")
    try:
        with pytest.raises(ImportUnconfirmed) as refused:
            import_file(ws, path, confirmed=False)
        assert len(refused.value.warnings) == 1
        assert refused.value.warnings[0].startswith("1 score falls between the scale's labels")
        report = import_file(ws, path, confirmed=False, rounding=Rounding.parse(["half-up"]))
    finally:
        ws.close()
    assert report.added == 150
