"""Rubric versions (issue 16): edits make versions, decisions record the version they were
taken under, stale decisions are marked and listed, and confirming one clears the mark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.domain.rubric_versions import rubric_hash
from annotator.services import rubrics
from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, queue_ids, queue_rows
from annotator.services.review import ReviewService
from annotator.services.rubrics import RubricError
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl

TWO_CRITERIA = {
    "title": "t",
    "guidelines": "Be fair.",
    "criteria": {
        "acc": {"labels": ["pass", "fail"], "rubric": "pass: correct\nfail: wrong"},
        "tone": {"labels": ["pass", "fail"], "rubric": "pass: polite"},
    },
}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "w.annotator")
    rows = [
        case(f"a{i}", judge="pass", raters={"r": "fail"}, criterion="acc") for i in range(4)
    ] + [case("t0", judge="pass", raters={"r": "fail"}, criterion="tone")]
    import_file(workspace, write_jsonl(tmp_path / "c.jsonl", rows, TWO_CRITERIA))
    return workspace


def stale_ids(ws: Workspace) -> set[str]:
    ids = list(queue_ids(ws, QueueFilter(kinds=None, stale=True)))
    first = set(queue_ids(ws, QueueFilter(kinds=None, stale=True)))
    assert first == set(ids)
    return {row.ext_id for row in queue_rows(ws, ids).values()}


def decide(review: ReviewService, ext_id: str, label: str = "fail") -> int:
    row = review.row_id(ext_id) or 0
    review.decide(row, label, f"why {ext_id}")
    return row


def test_version_one_is_the_imported_rubric_until_an_edit(ws: Workspace) -> None:
    (first,) = rubrics.versions(ws, "acc")
    assert (first.version, first.rubric, first.guidelines) == (
        1,
        "pass: correct\nfail: wrong",
        "Be fair.",
    )
    assert first.hash == rubric_hash("pass: correct\nfail: wrong", "Be fair.")
    assert rubrics.stale_count(ws) == 0
    with pytest.raises(RubricError, match="no rubric version 2"):
        rubrics.version(ws, "acc", 2)


def test_an_edit_marks_exactly_the_older_decisions_and_confirming_clears(ws: Workspace) -> None:
    review = ReviewService(ws, "rev")
    a0, a1 = decide(review, "a0"), decide(review, "a1", "pass")
    decide(review, "t0")
    done = rubrics.edit(
        ws, "acc", note="fail includes partial answers", author="lead",
        rubric="pass: correct\nfail: wrong or partial", clock=lambda: "2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert [(v.criterion, v.version) for v in done.versions] == [("acc", 2)]
    assert done.stale == 2
    assert stale_ids(ws) == {"a0", "a1"}  # not t0: its criterion's rubric did not change
    assert review.case(a0).stale_rubric == 1 and review.case(a0).rubric_version == 2
    assert queue_rows(ws, [a0])[a0].rubric == (1, 2)
    decide(review, "a2")  # decided after the edit: under v2, not stale
    assert stale_ids(ws) == {"a0", "a1"}

    decide(review, "a0")  # confirmed unchanged (the usual save)
    assert stale_ids(ws) == {"a1"}
    detail = review.case(a0)
    assert detail.decision is not None and detail.decision.rubric_version == 2
    assert detail.stale_rubric is None and queue_rows(ws, [a0])[a0].rubric is None

    assert review.undo() is not None  # the confirmation undone: stale again, under v1
    assert stale_ids(ws) == {"a0", "a1"}
    assert review.case(a0).decision.rubric_version == 1  # type: ignore[union-attr]
    assert review.redo() is not None
    assert stale_ids(ws) == {"a1"}

    review.decide(a1, "fail", "changed under v2")  # changing it: an ordinary decision
    assert stale_ids(ws) == set()
    review.undo()
    assert stale_ids(ws) == {"a1"}


def test_versions_and_diff(ws: Workspace) -> None:
    rubrics.edit(ws, "acc", note="first", author="ann", rubric="pass: correct\nfail: wrong!")
    rubrics.edit(ws, "acc", note="second", author="bob", guidelines="Be fair and brief.")
    acc = rubrics.versions(ws, "acc")
    assert [(v.version, v.author, v.note) for v in acc] == [
        (1, "", "The rubric the project was imported with."),
        (2, "ann", "first"),
        (3, "bob", "second"),
    ]
    assert acc[-1].rubric == "pass: correct\nfail: wrong!"
    assert acc[-1].guidelines == "Be fair and brief."
    # the guidelines are every criterion's: tone has a new version too, its rubric kept
    tone = rubrics.versions(ws, "tone")
    assert [(v.version, v.rubric, v.guidelines) for v in tone] == [
        (1, "pass: polite", "Be fair."),
        (2, "pass: polite", "Be fair and brief."),
    ]
    assert ws.project().schemes["acc"].rubric == "pass: correct\nfail: wrong!"
    assert ws.project().guidelines == "Be fair and brief."
    diff = rubrics.diff(ws, "acc", 1, 3)
    assert "--- rubric v1\n+++ rubric v3\n" in diff
    assert "-fail: wrong\n+fail: wrong!" in diff
    assert "-Be fair.\n+Be fair and brief." in diff
    assert "(the rubric did not change)" in rubrics.diff(ws, "acc", 2, 3)


def test_an_edit_needs_a_note_and_a_change(ws: Workspace) -> None:
    with pytest.raises(RubricError, match="needs a note"):
        rubrics.edit(ws, "acc", note="  ", author="a", rubric="x")
    with pytest.raises(RubricError, match="Nothing to save"):
        rubrics.edit(ws, "acc", note="n", author="a", rubric="pass: correct\nfail: wrong")
    with pytest.raises(RubricError, match="no criterion 'nope'"):
        rubrics.edit(ws, "nope", note="n", author="a", rubric="x")
    assert len(rubrics.versions(ws, "acc")) == 1


def test_default_criterion(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "d.annotator")
    import_file(ws, write_jsonl(tmp_path / "c.jsonl", [case("x", judge="pass")], PASS_FAIL))
    rubrics.edit(ws, "", note="n", author="a", rubric="new")
    assert [v.version for v in rubrics.versions(ws, "")] == [1, 2]


def test_the_rubric_command(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.cli import main

    path = str(ws.path)
    ws.close()
    assert main(["rubric", path]) == 1  # two criteria: which one?
    assert "--criterion: acc, tone" in capsys.readouterr().err
    new = tmp_path / "acc.txt"
    new.write_text("pass: correct and sourced\nfail: wrong", encoding="utf-8")
    assert main(["rubric", path, "-c", "acc", "--edit", str(new)]) == 1
    assert "needs a note" in capsys.readouterr().err
    edit = ["rubric", path, "-c", "acc", "--edit", str(new), "--note", "sources"]
    assert main(edit) == 1  # no reviewer name set: who made it?
    assert "--author NAME" in capsys.readouterr().err
    assert main([*edit, "--author", "li"]) == 0
    assert "acc v2" in capsys.readouterr().out
    assert main(["rubric", path, "-c", "acc"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["v1", "v2"]
    assert listed[1].endswith("by li: sources")
    assert main(["rubric", path, "-c", "acc", "--diff", "1", "2"]) == 0
    assert "-pass: correct\n+pass: correct and sourced" in capsys.readouterr().out
    assert main(["rubric", path, "-c", "acc", "--show", "2", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["rubric"] == "pass: correct and sourced\nfail: wrong"
    assert shown["rubric_hash"] == rubric_hash(shown["rubric"], "Be fair.")
    assert main(["rubric", path, "-c", "acc", "--show", "3"]) == 1
    assert "no rubric version 3" in capsys.readouterr().err
