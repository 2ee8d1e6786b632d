"""Many criteria in one row (issue 19, item 3): a wide file, a column per criterion and rater,
imports into one workspace with all its criteria, a case per row and criterion."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.formats.rounding import Rounding
from annotator.formats.values import ValueMap
from annotator.formats.wide import WideColumns
from annotator.services.importer import import_file
from annotator.services.workspace import Workspace
from tests.data.real.make import SUMMEVAL_CRITERIA, SUMMEVAL_RATERS, summeval_wide
from tests.helpers import write_jsonl

COLUMNS = WideColumns("{criterion}_{rater}", "gpt4_{criterion}")
MAPPING = FieldMapping.parse(["input=text", "output=decoded"])
OPTIONS = ["--columns", "{criterion}_{rater}", "--judge-columns", "gpt4_{criterion}",
           "--map", "input=text", "--map", "output=decoded"]  # fmt: skip
PER_CRITERION = {
    # cases, ratings, disagreements (GPT-4's 4.5 on fluency rounded half-up to 5)
    "coherence": (5, 15, 4),
    "consistency": (6, 18, 4),
    "fluency": (6, 18, 3),
    "relevance": (6, 17, 5),
}


def _jsonl(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "study.jsonl", summeval_wide())


def _csv(tmp_path: Path) -> Path:
    rows = summeval_wide()
    columns = list(dict.fromkeys(k for r in rows for k in r))
    path = tmp_path / "study.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_patterns_find_each_criterion_and_rater() -> None:
    fields = ["id", "text", "doc_id", "coherence_57e2b", "coherence_expert_1", "gpt4_coherence",
              "fluency_57e2b", "gpt4_fluency", "model_name", "style_x"]  # fmt: skip
    layout = COLUMNS.resolve(Path("f.csv"), fields)
    assert layout.criteria == ("coherence", "fluency")
    assert layout.judge == {"coherence": "gpt4_coherence", "fluency": "gpt4_fluency"}
    assert layout.raters == {  # not doc_id, model_name or style_x: no criterion of the judge's
        "coherence": {"57e2b": "coherence_57e2b", "expert_1": "coherence_expert_1"},
        "fluency": {"57e2b": "fluency_57e2b"},
    }


def test_a_pattern_that_matches_no_column_lists_the_columns() -> None:
    fields = ["id", "text", "relevance_57e2b", "gpt4_relevance"]
    with pytest.raises(FileRefused) as refused:
        WideColumns("{criterion}_{rater}", "GPT4_{criterion}").resolve(Path("f.csv"), fields)
    assert refused.value.message == (
        "--judge-columns 'GPT4_{criterion}' matches no column (without regard to case it "
        "matches gpt4_relevance). Columns found: id, text, relevance_57e2b, gpt4_relevance"
    )
    with pytest.raises(FileRefused, match=r"--columns '\{rater\}-\{criterion\}' matches no "
                       r"column of criteria relevance\. Columns found: id, text"):  # fmt: skip
        WideColumns("{rater}-{criterion}", "gpt4_{criterion}").resolve(Path("f.csv"), fields)


@pytest.mark.parametrize(
    ("raters", "judge", "message"),
    [
        ("{criterion}", "gpt4_{criterion}", "must name {criterion} and {rater} once each"),
        ("{criterion}_{rater}", "gpt4_{rater}", "must name {criterion} once, and no {rater}"),
    ],
)
def test_a_bad_pattern_says_what_it_needs(raters: str, judge: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        WideColumns(raters, judge)


def test_a_row_becomes_a_case_per_criterion(tmp_path: Path) -> None:
    path = _jsonl(tmp_path)
    layout = COLUMNS.resolve(path, summeval_wide()[0])
    reader = CaseReader(path, MAPPING, wide=layout, rounding=Rounding.parse(["judge:half-up"]))
    items = list(reader)
    cases = {i.case.id: i.case for i in items if isinstance(i, ParsedCase)}
    assert len(cases) == 23
    first = cases["dm-001|relevance"]
    assert (first.criterion, first.input, first.output) == ("relevance", summeval_wide()[0][
        "text"], "Summary 1 of the article.")  # fmt: skip
    assert first.judge.label == "4"
    assert {r.rater: r.label for r in first.ratings} == {"57e2b": "4", "61102": "3", "8a3c4": "4"}
    assert cases["dm-003|fluency"].judge.label == "5"
    assert cases["dm-003|fluency"].judge.score == 4.5
    assert [r.rater for r in cases["dm-006|relevance"].ratings] == ["57e2b", "61102"]
    problems = [i for i in items if isinstance(i, LineProblem)]
    assert [(p.line, p.message) for p in problems] == [
        (5, "criterion 'coherence': missing judge label")
    ]


@pytest.mark.parametrize("make", [_jsonl, _csv], ids=["jsonl", "csv"])
def test_one_import_with_all_criteria_and_counts_per_criterion(tmp_path: Path, make) -> None:
    path = make(tmp_path)
    fields = summeval_wide()[0]
    ws = Workspace.open(tmp_path / "w.annotator")
    try:
        report = import_file(ws, path, MAPPING, wide=COLUMNS.resolve(path, fields),
                             rounding=Rounding.parse(["judge:half-up"]))  # fmt: skip
        assert ws.case_count() == 23
    finally:
        ws.close()
    data = json.loads(report.to_json(None, 23))
    found = data["wide"]["criteria"]
    assert list(found) == list(SUMMEVAL_CRITERIA)
    assert {c: (e["cases"], e["ratings"], e["disagreements"]) for c, e in found.items()} == (
        PER_CRITERION
    )
    assert list(found["fluency"]["raters"]) == list(SUMMEVAL_RATERS)
    assert found["fluency"]["judge"] == "gpt4_fluency"
    text = report.describe(None)
    assert "  coherence        5       15              4" in text
    assert "fluency: judge gpt4_fluency; raters 57e2b (fluency_57e2b)" in text


def test_label_values_apply_to_each_criterion(tmp_path: Path) -> None:
    path = _jsonl(tmp_path)
    layout = COLUMNS.resolve(path, summeval_wide()[0])
    values = ValueMap.parse(["judge:4.5=4"])
    cases = {
        i.case.id: i.case
        for i in CaseReader(path, MAPPING, wide=layout, values=values)
        if isinstance(i, ParsedCase)
    }
    assert cases["dm-003|fluency"].judge.label == "4"


def test_cli_imports_the_study_in_one_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path)
    ws = tmp_path / "w.annotator"
    assert main(["import", str(path), "-w", str(ws), *OPTIONS]) == 1  # the 4.5: asks
    assert "1 score falls between the scale's labels" in capsys.readouterr().err
    assert main(["import", str(path), "-w", str(ws), *OPTIONS, "--round", "half-up"]) == 0
    out, err = capsys.readouterr()
    assert "Criteria (a case per row and criterion, its id ROW|CRITERION):" in out
    assert "line 6: criterion 'coherence': missing judge label" in err
    assert main(["summary", str(ws), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert sorted(c["criterion"] for c in summary["criteria"]) == list(SUMMEVAL_CRITERIA)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--columns", "{criterion}_{rater}"], "--columns needs --judge-columns"),
        (["--judge-columns", "gpt4_{criterion}"], "--judge-columns needs --columns"),
        ([*OPTIONS, "--map", "ratings.x=foo"], "--map ratings.x: --columns and --judge-columns"),
        ([*OPTIONS, "--judge", "j.jsonl"], "--columns does not go with --judge"),
    ],
)
def test_options_that_do_not_go_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    path = _jsonl(tmp_path)
    assert main(["import", str(path), "-w", str(tmp_path / "w.annotator"), *extra]) != 0
    assert message in capsys.readouterr().err


def test_rater_columns_named_like_ratings_are_not_said_to_be_ignored(tmp_path: Path) -> None:
    """``relevance_human_1`` looks like a rating no mapping reads, but the pattern reads it."""
    rows = [
        {"id": i, "text": "x", "relevance_human_1": 1 + i % 3, "relevance_human_2": 2,
         "gpt4_relevance": 2, "annotator9": 1}
        for i in range(6)
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "humans.jsonl", rows)
    layout = COLUMNS.resolve(path, rows[0], MAPPING)
    assert layout.raters == {
        "relevance": {"human_1": "relevance_human_1", "human_2": "relevance_human_2"}
    }
    ws = Workspace.open(tmp_path / "w.annotator")
    try:
        report = import_file(ws, path, MAPPING, wide=layout)
    finally:
        ws.close()
    assert report.ignored == ["annotator9"]
