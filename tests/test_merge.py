"""A lead merges what reviewers sent back: order-independent, idempotent, all or nothing."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.domain.merge import Resolution, ReviewState
from annotator.formats.labelled import read_merged
from annotator.services.importer import import_file
from annotator.services.merge import (
    MergeError,
    export_merged,
    load_merged,
    merge_files,
    merge_into_workspace,
)
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    rows = [case(f"c{i}") for i in range(1, 7)]
    return write_jsonl(tmp_path / "pack.jsonl", rows, header=PASS_FAIL)


@pytest.fixture
def files(pack: Path, tmp_path: Path) -> list[Path]:
    return [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rewrite(path: Path, out: Path, change: Any) -> Path:
    """Copy a labelled file, changing each record with ``change(record) -> record | None``."""
    kept = [r for r in (change(dict(r)) for r in lines(path)) if r is not None]
    out.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    return out


def test_merge_settles_unanimous_cases_and_flags_conflicts(files: list[Path], tmp_path: Path):
    cases, report = merge_files(files, tmp_path / "merged.jsonl")
    by_id = {c.id: c for c in cases}
    assert sorted(by_id) == ["c1", "c2", "c3", "c4", "c6"]  # c5: nobody decided it
    assert by_id["c1"].resolution is Resolution.UNANIMOUS and by_id["c1"].final_label == "fail"
    assert by_id["c4"].final_label == "pass"  # one reviewer: settled
    assert {by_id["c2"].resolution, by_id["c3"].resolution} == {Resolution.CONFLICT}
    assert by_id["c2"].final_label is None
    assert (report.cases, report.unanimous, report.conflicts) == (5, 3, 2)

    record = next(r for r in lines(tmp_path / "merged.jsonl") if r["id"] == "c2")
    assert record["format"] == "annotator.merged" and record["resolution"] == "conflict"
    assert [(r["reviewer"], r["label"]) for r in record["reviews"]] == [
        ("ana", "fail"),
        ("ben", "pass"),
        ("cai", "fail"),
    ]
    assert record["reviews"][1]["rationale"] == "ben on c2"
    assert record["reviews"][1]["tags"] == ["t-pass"]
    assert record["judge_label"] == "pass"
    assert record["rater_labels"] == {"alice": "fail", "bob": "fail"}
    assert record["labels"] == ["fail", "pass"]
    assert [c.id for c in read_merged(tmp_path / "merged.jsonl")] == sorted(by_id)


def test_merge_is_byte_identical_in_every_order(files: list[Path], tmp_path: Path):
    outputs = set()
    for i, order in enumerate(itertools.permutations(files)):
        out = tmp_path / f"merged-{i}.jsonl"
        merge_files(list(order), out)
        outputs.add(out.read_bytes())
    assert len(outputs) == 1


def test_a_file_given_twice_counts_once(files: list[Path], tmp_path: Path):
    merge_files(files, tmp_path / "once.jsonl")
    copy = tmp_path / "copy-of-ana.jsonl"
    copy.write_bytes(files[0].read_bytes())
    _, report = merge_files([*files, files[0], copy], tmp_path / "twice.jsonl")
    assert (tmp_path / "once.jsonl").read_bytes() == (tmp_path / "twice.jsonl").read_bytes()
    assert "counted once" in report.describe()
    assert not report.superseded


def test_a_reviewer_in_two_files_keeps_the_newer_decision(files: list[Path], tmp_path: Path):
    def later(record: dict[str, Any]) -> dict[str, Any] | None:
        if record["id"] != "c2":
            return None
        record.update(label="pass", rationale="changed my mind", decided_at="2099-01-01T00:00:00Z")
        return record

    update = rewrite(files[0], tmp_path / "ana-update.jsonl", later)
    results = []
    for order in ([*files, update], [update, *files]):
        cases, report = merge_files(order, None)
        results.append(cases)
        c2 = next(c for c in cases if c.id == "c2")
        assert c2.review_by("ana") is not None
        assert c2.review_by("ana").rationale == "changed my mind"  # type: ignore[union-attr]
        assert [(s.case_id, s.reviewer) for s in report.superseded] == [("c2", "ana")]
        assert "ana decided 1 case twice; the newer decision was kept" in report.describe()
        assert "kept ana-update.jsonl, line 1" in report.describe()
    assert results[0] == results[1]


# -- bad input: a clear message, and no output -----------------------------------------------


def refused(paths: list[Path], out: Path, **kw: Any) -> str:
    with pytest.raises(MergeError) as info:
        merge_files(paths, out, **kw)
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.*"))  # no temporary file left either
    return str(info.value)


def test_a_file_from_another_project_is_refused(files: list[Path], tmp_path: Path):
    other_pack = write_jsonl(tmp_path / "other.jsonl", [case("c1"), case("x9")], PASS_FAIL)
    other = reviewer_file(other_pack, tmp_path / "dan", "dan", {"c1": "fail"})
    message = refused([*files, other], tmp_path / "out.jsonl")
    assert "from another project" in message and "decisions.jsonl" in message


def test_different_case_text_is_flagged_not_merged(files: list[Path], tmp_path: Path):
    def tampered(record: dict[str, Any]) -> dict[str, Any]:
        if record["id"] == "c2":
            record["case_hash"] = "sha256:" + "0" * 64
        return record

    bad = rewrite(files[1], tmp_path / "ben.jsonl", tampered)
    message = refused([files[0], bad], tmp_path / "out.jsonl")
    assert "saw different text" in message and "case 'c2'" in message
    assert "ben.jsonl, line 2" in message


def test_not_a_labelled_file_is_refused(files: list[Path], pack: Path, tmp_path: Path):
    message = refused([files[0], pack], tmp_path / "out.jsonl")
    assert "pack.jsonl" in message and "not a labelled file" in message
    merged = tmp_path / "merged.jsonl"
    merge_files(files, merged)
    assert "is a merged file" in refused([files[0], merged], tmp_path / "out.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert "empty.jsonl: is empty" in refused([empty], tmp_path / "out.jsonl")
    assert "nope.jsonl: file not found" in refused([tmp_path / "nope.jsonl"], tmp_path / "o.jsonl")


def test_malformed_and_truncated_lines_are_named(files: list[Path], tmp_path: Path):
    text = files[0].read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([text[0], "{not json", *text[1:]]) + "\n", encoding="utf-8")
    message = refused([broken], tmp_path / "out.jsonl")
    assert message.startswith("broken.jsonl, line 2: not valid JSON")

    cut = tmp_path / "cut.jsonl"
    whole = files[0].read_text(encoding="utf-8")
    cut.write_text(whole[: len(whole) - 40], encoding="utf-8")  # a disk ran full mid-line
    message = refused([files[1], cut], tmp_path / "out.jsonl")
    assert f"cut.jsonl, line {len(text)}: the line is cut short" in message

    def no_id(record: dict[str, Any]) -> dict[str, Any]:
        record.pop("id")
        return record

    message = refused([rewrite(files[0], tmp_path / "noid.jsonl", no_id)], tmp_path / "o.jsonl")
    assert message == "noid.jsonl, line 1: 'id' is missing"


def test_label_sets_that_do_not_match_are_refused(files: list[Path], tmp_path: Path):
    def relabelled(record: dict[str, Any]) -> dict[str, Any]:
        record["labels"] = ["no", "yes"]
        record["label"] = "yes"
        return record

    other = rewrite(files[1], tmp_path / "ben.jsonl", relabelled)
    message = refused([files[0], other], tmp_path / "out.jsonl")
    assert "label sets don't match" in message
    assert "(fail, pass)" in message and "(no, yes)" in message

    def stray(record: dict[str, Any]) -> dict[str, Any]:
        record["label"] = "maybe"
        return record

    message = refused([rewrite(files[1], tmp_path / "b2.jsonl", stray)], tmp_path / "out.jsonl")
    assert "label 'maybe' is not one of the labels" in message


def test_unknown_case_ids_are_refused_against_the_workspace(
    files: list[Path], pack: Path, tmp_path: Path
):
    def renamed(record: dict[str, Any]) -> dict[str, Any]:
        if record["id"] == "c3":
            record["id"] = "c99"
        return record

    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    bad = rewrite(files[1], tmp_path / "ben.jsonl", renamed)
    message = refused([files[0], bad], tmp_path / "out.jsonl", against=lead)
    assert "not in this project" in message and "ben.jsonl, line 3: case 'c99'" in message
    with pytest.raises(MergeError, match="not in this project"):
        merge_into_workspace(lead, [files[0], bad])
    review = ReviewService(lead)
    assert not review.case(review.row_id("c1") or 0).reviews  # nothing stored
    lead.close()


# -- the lead's workspace -----------------------------------------------------------------


@pytest.fixture
def lead(pack: Path, tmp_path: Path) -> Workspace:
    ws = Workspace.open(tmp_path / "lead.annotator")
    import_file(ws, pack)
    yield ws
    ws.close()


def test_lead_settles_conflicts_in_the_workspace(
    lead: Workspace, files: list[Path], tmp_path: Path
):
    report = merge_into_workspace(lead, files)
    assert (report.cases, report.unanimous, report.conflicts) == (5, 3, 2)
    conflicts = QueueFilter(kinds=None, review_state=ReviewState.CONFLICT)
    review = ReviewService(lead, "lead")
    assert sorted(review.case(i).case.id for i in queue_ids(lead.engine, conflicts)) == [
        "c2",
        "c3",
    ]
    c2 = review.row_id("c2") or 0
    assert [(r.reviewer, r.label) for r in review.case(c2).reviews] == [
        ("ana", "fail"),
        ("ben", "pass"),
        ("cai", "fail"),
    ]
    review.decide(c2, "fail", "The answer contradicts the source.")
    out = tmp_path / "merged.jsonl"
    report = export_merged(lead, out)
    assert (report.settled_by_lead, report.open_conflicts) == (1, 1)
    record = next(r for r in lines(out) if r["id"] == "c2")
    assert record["resolution"] == "lead" and record["label"] == "fail"
    assert record["lead"]["reviewer"] == "lead"
    assert record["lead"]["rationale"] == "The answer contradicts the source."

    review.undo()  # the lead's decision is undoable like any other
    assert next(c for c in load_merged(lead) if c.id == "c2").resolution is Resolution.CONFLICT


def test_merging_into_the_workspace_matches_the_file_merge(
    lead: Workspace, files: list[Path], tmp_path: Path
):
    merge_into_workspace(lead, files[:1])
    merge_into_workspace(lead, files[1:])
    again = merge_into_workspace(lead, files)  # the same files again: nothing new
    assert all(s.already_merged for s in again.sources)
    export_merged(lead, tmp_path / "from-workspace.jsonl")
    merge_files(files, tmp_path / "from-files.jsonl")
    assert (tmp_path / "from-workspace.jsonl").read_bytes() == (
        tmp_path / "from-files.jsonl"
    ).read_bytes()


def test_a_newer_file_replaces_a_reviewers_decision_in_the_workspace(
    lead: Workspace, files: list[Path], tmp_path: Path
):
    merge_into_workspace(lead, files)

    def later(record: dict[str, Any]) -> dict[str, Any] | None:
        if record["id"] != "c3":
            return None
        record.update(label="fail", rationale="agree now", decided_at="2099-01-01T00:00:00Z")
        return record

    report = merge_into_workspace(lead, [rewrite(files[0], tmp_path / "ana2.jsonl", later)])
    assert [(s.case_id, s.kept, s.dropped) for s in report.superseded] == [
        ("c3", "ana2.jsonl, line 1", "the workspace")
    ]
    c3 = next(c for c in load_merged(lead) if c.id == "c3")
    assert c3.resolution is Resolution.UNANIMOUS and c3.final_label == "fail"
    assert (report.unanimous, report.conflicts) == (4, 1)


# -- the command line -------------------------------------------------------------------------


def test_cli_merge(files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "merged.jsonl"
    assert main(["merge", *map(str, files), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "5 cases: 3 unanimous (1 decided by one reviewer only), 2 reviewer conflicts" in printed
    assert str(out) in printed
    assert len(lines(out)) == 5

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "annotator.decisions", "format_version": 1}\n{oops\n')
    out2 = tmp_path / "merged2.jsonl"
    assert main(["merge", str(files[0]), str(bad), "-o", str(out2)]) == 1
    assert "bad.jsonl, line 1: 'id' is missing" in capsys.readouterr().err
    assert not out2.exists()
    assert main(["merge", str(files[0]), "-o", str(files[0])]) == 1
    assert "one of the files being merged" in capsys.readouterr().err


def test_cli_agreement_reads_reviewer_files_a_merged_file_or_a_workspace(
    files: list[Path], lead: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    md, page = tmp_path / "report.md", tmp_path / "report.html"
    args = ["agreement", *map(str, files), "--markdown", str(md), "--html", str(page)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Agreement report" in text and "judge accuracy" in text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    assert md.read_text(encoding="utf-8").startswith("#") and "<table" in page.read_text()

    merged = tmp_path / "merged.jsonl"
    merge_files(files, merged)
    assert main(["agreement", str(merged), "--json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert from_file["counts"]["conflicts"] == 2

    merge_into_workspace(lead, files)
    review = ReviewService(lead, "lead")
    review.decide(review.row_id("c2") or 0, "fail", "settled")
    assert lead.path is not None
    assert main(["agreement", str(lead.path), "--json"]) == 0
    from_workspace = json.loads(capsys.readouterr().out)
    assert (from_workspace["counts"]["lead"], from_workspace["counts"]["conflicts"]) == (1, 1)

    assert main(["agreement", str(merged), str(files[0])]) == 1
    assert "is a merged file: give it alone" in capsys.readouterr().err
