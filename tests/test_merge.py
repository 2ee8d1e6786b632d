"""A lead merges what reviewers sent back: order-independent, idempotent, all or nothing."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.domain.merge import Resolution, Review, ReviewState
from annotator.formats.labelled import file_sha256, scan_labelled
from annotator.formats.merged import read_merged
from annotator.services import merge
from annotator.services.changes import REVIEWS_MERGED
from annotator.services.importer import import_file
from annotator.services.merge import (
    MergeError,
    ReadOptions,
    export_merged,
    load_merged,
    merge_files,
    merge_into_workspace,
    write_merged,
)
from annotator.services.merge import reading as merge_reading
from annotator.services.merge.collect import Collected, collect
from annotator.services.merge.workspace import project_facts
from annotator.services.merge.writing import write_collected
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from annotator.storage import reviews as stored_reviews
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


def changed_mind_on_c2(record: dict[str, Any]) -> dict[str, Any] | None:
    """For :func:`rewrite`: only case c2, decided again later with another label."""
    if record["id"] != "c2":
        return None
    record.update(label="pass", rationale="changed my mind", decided_at="2099-01-01T00:00:00Z")
    return record


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
    update = rewrite(files[0], tmp_path / "ana-update.jsonl", changed_mind_on_c2)
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


@pytest.mark.parametrize("field", ["tags", "labels"])
@pytest.mark.parametrize("value", [[["x"]], [{}]])
def test_a_list_of_lists_or_objects_is_refused_not_a_crash(
    files: list[Path], tmp_path: Path, field: str, value: list[Any]
):
    """(Once a TypeError from hashing it, with no file or line.)"""

    def odd(record: dict[str, Any]) -> dict[str, Any]:
        if record.get("status") == "decided":
            record[field] = value
        return record

    bad = rewrite(files[0], tmp_path / "odd.jsonl", odd)
    message = refused([bad], tmp_path / "o.jsonl")
    assert message.startswith("odd.jsonl, line 1: ") and "must be a list of strings" in message


@pytest.mark.parametrize("value", [["decisions"], {"a": 1}, 3])
def test_a_format_that_is_not_text_is_refused_not_a_crash(
    files: list[Path], tmp_path: Path, value: Any
):
    """(Once a TypeError from looking a list or an object up, with no file or line.)"""

    def odd(record: dict[str, Any]) -> dict[str, Any]:
        record["format"] = value
        return record

    bad = rewrite(files[0], tmp_path / "odd.jsonl", odd)
    message = refused([bad], tmp_path / "o.jsonl")
    assert message.startswith("odd.jsonl, line 1: is not a labelled file (format ")


def test_an_empty_confidence_is_none_on_every_line(files: list[Path], tmp_path: Path):
    """A line read the long way (here: no rationale) normalizes as the fast path does."""

    def empty(record: dict[str, Any]) -> dict[str, Any]:
        if record.get("status") == "decided":
            record.update(confidence="", who_right="")
            if record["id"] == "c2":
                record.pop("rationale")
        return record

    merged = tmp_path / "m.jsonl"
    merge_files([rewrite(files[0], tmp_path / "e.jsonl", empty)], merged)
    text = merged.read_text(encoding="utf-8")
    assert '"confidence":""' not in text and '"who_right":""' not in text
    assert '"confidence":null' in text


def test_label_sets_that_do_not_match_are_refused(files: list[Path], tmp_path: Path):
    def relabelled(record: dict[str, Any]) -> dict[str, Any]:
        record["labels"] = ["no", "yes"]
        record["label"] = record["judge_label"] = "yes"
        record["rater_labels"] = dict.fromkeys(record["rater_labels"], "no")
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
    assert report.changes == REVIEWS_MERGED  # what the window shows again
    conflicts = QueueFilter(kinds=None, review_state=ReviewState.CONFLICT)
    review = ReviewService(lead, "lead")
    assert sorted(review.case(i).case.id for i in queue_ids(lead, conflicts)) == [
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


def test_the_workspace_says_when_each_file_was_merged(lead: Workspace, files: list[Path]):
    merge_into_workspace(lead, files[:2], clock=lambda: "2030-01-02T03:04:05Z")
    merge_into_workspace(lead, files, clock=lambda: "2030-02-03T04:05:06Z")
    with lead.engine.connect() as conn:
        merged = conn.exec_driver_sql("SELECT path, merged_at FROM merge_source ORDER BY id")
        assert [(Path(p), at) for p, at in merged] == [
            (files[0].resolve(), "2030-01-02T03:04:05Z"),
            (files[1].resolve(), "2030-01-02T03:04:05Z"),
            (files[2].resolve(), "2030-02-03T04:05:06Z"),  # the others were merged before
        ]


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


def test_cli_merge_into_a_leads_workspace(
    files: list[Path], pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """A lead without the window: 'merge FILE... --into WS' stores the reviewers' decisions as
    File > Merge reviewer files does; again, it changes nothing; a bad file stores nothing."""
    path = tmp_path / "lead.annotator"
    ws = Workspace.open(path)
    import_file(ws, pack)
    ws.close()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "annotator.decisions", "format_version": 1}\n{oops\n')
    assert main(["merge", str(files[0]), str(bad), "--into", str(path)]) == 1
    assert "bad.jsonl, line 1: 'id' is missing" in capsys.readouterr().err

    def stored() -> list[tuple[str, str, str]]:
        ws = Workspace.open(path)
        try:
            with ws.engine.connect() as conn:
                return sorted(
                    (str(e), str(r), str(label))
                    for e, r, label in conn.exec_driver_sql(
                        "SELECT c.ext_id, v.reviewer, v.label FROM review v "
                        "JOIN cases c ON c.id = v.case_id"
                    )
                )
        finally:
            ws.close()

    assert stored() == []
    assert main(["merge", *map(str, files), "--into", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "5 cases: 3 unanimous (1 decided by one reviewer only), 2 reviewer conflicts" in printed
    expected = sorted(
        (cid, who, label) for who, plan in REVIEW_PLAN.items() for cid, label in plan.items()
    )
    assert stored() == expected
    assert main(["merge", *map(str, files), "--into", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cases"] == 5
    assert stored() == expected
    merged = tmp_path / "merged.jsonl"  # what the window's lead would export
    assert main(["export", str(path), "--merged", "-o", str(merged)]) == 0
    assert [r["id"] for r in lines(merged)] == ["c1", "c2", "c3", "c4", "c6"]
    with pytest.raises(SystemExit):  # one of -o and --into
        main(["merge", str(files[0])])


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


# -- reading the files in worker processes ------------------------------------------------------
#
# Large inputs are read in worker processes (services/merge/worker.py); small ones, as in every
# test above, in the merging process. Asked for (workers=2), the workers read even these small
# files, and must give the same bytes, cases, report and refusals as reading in one process.


def merge_both_ways(paths: list[Path], tmp_path: Path, **kw: Any) -> list[Any]:
    """merge_files in one process and in two workers: the outputs, or the refusals."""
    results = []
    for workers in (1, 2):
        out = tmp_path / f"merged-{workers}-workers.jsonl"
        try:
            cases, report = merge_files(paths, out, workers=workers, **kw)
        except MergeError as exc:
            assert not out.exists()
            assert not list(out.parent.glob(f".{out.name}.*"))
            results.append(("refused", str(exc)))
            continue
        described = report.describe().replace(str(out), "OUT")
        results.append((out.read_bytes(), cases, described, report.superseded))
    return results


def test_worker_processes_merge_to_the_same_bytes(files: list[Path], tmp_path: Path):
    update = rewrite(files[0], tmp_path / "ana-update.jsonl", changed_mind_on_c2)
    serial, parallel = merge_both_ways([files[1], update, files[0], files[2]], tmp_path)
    assert serial == parallel
    assert b'"rationale":"changed my mind"' in serial[0] and serial[3]  # one superseded
    from_cli, from_api = tmp_path / "cli.jsonl", tmp_path / "api.jsonl"
    assert main(["merge", *map(str, files), "-o", str(from_cli)]) == 0
    merge_files(files, from_api)
    assert from_cli.read_bytes() == from_api.read_bytes()


def test_a_refused_line_read_by_a_worker_names_the_file_and_line(files: list[Path], tmp_path: Path):
    text = files[0].read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([text[0], "{not json", *text[1:]]) + "\n", encoding="utf-8")
    serial, parallel = merge_both_ways([files[1], broken], tmp_path)
    assert serial == parallel == ("refused", parallel[1])
    assert parallel[1].startswith("broken.jsonl, line 2: not valid JSON")

    def stray(record: dict[str, Any]) -> dict[str, Any]:
        if record["id"] == "c3":
            record["label"] = "maybe"
        return record

    bad_label = rewrite(files[1], tmp_path / "b2.jsonl", stray)
    serial, parallel = merge_both_ways([files[0], bad_label], tmp_path)
    assert serial == parallel
    assert "b2.jsonl, line 3: case 'c3': label 'maybe' is not one of the labels" in parallel[1]


def test_worker_refusals_come_in_file_order_then_line_order(
    files: list[Path], pack: Path, tmp_path: Path
):
    """The first problem in the order the files were given wins, as when reading one by one;
    within a file, a label outside the workspace's scale on line 1 comes before a malformed
    line 3, though the reader stops at line 3 and the label is checked afterwards."""
    text = files[0].read_text(encoding="utf-8").splitlines()
    late = tmp_path / "late.jsonl"
    late.write_text("\n".join([*text[:2], "{oops", *text[2:]]) + "\n", encoding="utf-8")
    early = tmp_path / "early.jsonl"
    early.write_text('{"format": "annotator.decisions", "format_version": 9}\n')
    for order, named in (([late, early], "late.jsonl, line 3"), ([early, late], "early.jsonl")):
        serial, parallel = merge_both_ways(order, tmp_path)
        assert serial == parallel and parallel[1].startswith(named)

    ws = Workspace.open(tmp_path / "other.annotator")
    import_file(ws, pack)
    with ws.engine.begin() as conn:  # the workspace's scale has other labels
        conn.exec_driver_sql('UPDATE scheme SET labels = \'["no", "yes"]\'')
    serial, parallel = merge_both_ways([late], tmp_path, against=ws)
    ws.close()
    assert serial == parallel
    assert parallel[1].startswith("late.jsonl, line 1: case 'c1' has label 'fail'")


def test_a_file_given_twice_is_counted_once_by_the_workers(files: list[Path], tmp_path: Path):
    copy = tmp_path / "copy-of-ana.jsonl"
    copy.write_bytes(files[0].read_bytes())
    serial, parallel = merge_both_ways([*files, copy, tmp_path / "nope.jsonl"], tmp_path)
    assert serial == parallel == ("refused", "nope.jsonl: file not found")
    serial, parallel = merge_both_ways([*files, copy], tmp_path)
    assert serial == parallel and "counted once" in parallel[2]


def test_workers_merge_into_the_workspace_as_one_process_does(
    lead: Workspace, files: list[Path], pack: Path, tmp_path: Path
):
    report = merge_into_workspace(lead, files, workers=2)
    export_merged(lead, tmp_path / "from-workers.jsonl")
    other = Workspace.open(tmp_path / "lead-1.annotator")
    import_file(other, pack)
    assert merge_into_workspace(other, files, workers=1).describe() == report.describe()
    export_merged(other, tmp_path / "from-one.jsonl")
    other.close()
    assert (tmp_path / "from-workers.jsonl").read_bytes() == (
        tmp_path / "from-one.jsonl"
    ).read_bytes()


RATIONALE = 'é \U0001f600 "quoted" \\ \n and\ttabs'


def test_the_merged_file_is_written_as_write_merged_writes_the_cases(
    files: list[Path], tmp_path: Path
):
    """The merge writes each line from the decisions' JSON as read; write_merged (the
    workspace's export) writes MergedCase objects: the same bytes, whatever the lines hold."""

    def odd(record: dict[str, Any]) -> dict[str, Any]:
        record["rater_labels"] = {"alice": "pass", "bob": "fail", "cé": "fail"}
        record["rationale"] = RATIONALE  # written with \\u escapes (json.dumps)
        record["confidence"], record["who_right"] = "", None
        record["tags"] = ["x", "é"]
        if record["id"] == "c2":
            record.pop("labels")  # a file from before labelled files carried the scale
        return record

    paths = [rewrite(path, tmp_path / f"odd-{i}.jsonl", odd) for i, path in enumerate(files)]
    out = tmp_path / "merged.jsonl"
    cases, report = merge_files(paths, out)
    again = tmp_path / "again.jsonl"
    write_merged(cases, again, report.project, report.project_title)
    assert out.read_bytes() == again.read_bytes()
    c1 = next(c for c in cases if c.id == "c1")
    assert dict(c1.rater_labels) == {"alice": "pass", "bob": "fail", "cé": "fail"}
    ana = c1.review_by("ana")
    assert ana is not None
    assert ana.rubric_version == 1 and (ana.rubric_hash or "").startswith("sha256:")
    assert ana._replace(rubric_version=None, rubric_hash=None) == Review(
        "ana", "fail", RATIONALE, ("x", "é"), None, None, ana.decided_at
    )


def test_scan_labelled_hashes_the_file_and_keeps_its_first_problem(
    files: list[Path], tmp_path: Path
):
    scan = scan_labelled(files[0])
    assert scan.error is None
    assert scan.sha256 == "sha256:" + hashlib.sha256(files[0].read_bytes()).hexdigest()
    assert scan.ids == ["c1", "c2", "c3", "c4", "c6"] and list(scan.lines) == [1, 2, 3, 4, 5]
    assert {g.reviewer for g in scan.groups} == {"ana"}
    assert [(c.line, c.label) for c in scan.checks] == [(1, "fail"), (3, "pass")]

    text = files[0].read_bytes().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join([*text[:2], b'{"format": "annotator.decisions", "id": "c', *text[2:]]))
    scan = scan_labelled(cut)
    assert scan.error is not None and scan.error.startswith("cut.jsonl, line 3: not valid JSON")
    assert scan.sha256 == "sha256:" + hashlib.sha256(cut.read_bytes()).hexdigest()
    assert not scan.ids and [c.line for c in scan.checks] == [1]  # the lines before it
    assert scan_labelled(tmp_path / "none.jsonl").error == "none.jsonl: file not found"


def test_large_inputs_are_read_in_worker_processes(
    files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    worker_count = merge_reading.worker_count
    monkeypatch.delenv(merge.WORKERS_VARIABLE, raising=False)
    assert worker_count(files, ReadOptions()) == (1, False)  # small: this process reads them
    low = ReadOptions(parallel_min_bytes=1)
    count, asked = worker_count(files, low)
    assert 1 <= count <= min(3, merge.MAX_WORKERS) and not asked
    assert worker_count(files[:1], low) == (1, False)
    assert worker_count(files, ReadOptions(workers=2)) == (2, True)
    monkeypatch.setenv(merge.WORKERS_VARIABLE, "1")
    assert worker_count(files, low) == (1, True)


def test_a_worker_that_dies_is_replaced_by_this_process(files: list[Path]):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    died: Future[str] = Future()
    died.set_exception(BrokenProcessPool("a child process terminated abruptly"))
    assert merge_reading.scanned(died, files[0], asked=False) == scan_labelled(files[0])
    with pytest.raises(MergeError, match="decisions.jsonl: a worker process could not read it"):
        merge_reading.scanned(died, files[0], asked=True)


def test_a_worker_hands_back_the_case_members_once_per_merge(files: list[Path], tmp_path: Path):
    """Every line's case members (judge, raters, kind) are read, to be checked against the
    case's first line; a worker leaves out those it handed back already for the same merge
    (the same bytes), but not those of a file the merge passes over (merged before), nor
    members that differ."""
    from annotator.services.merge.worker import load_scan, scan_into

    scan = scan_labelled(files[1], known={"c1", "c3"})  # (the reader can leave them out)
    assert [bool(info) for info in scan.case_info] == [False, True, False, True]
    assert b'"judge_label":"pass"' in scan.case_info[1]

    folder = tmp_path / "merge"
    folder.mkdir()
    first = load_scan(scan_into(files[0], str(folder)))  # ana: c1, c2, c3, c4, c6
    assert all(first.case_info)
    second = load_scan(scan_into(files[1], str(folder)))
    assert not any(second.case_info) and not list(folder.iterdir())

    def judged_otherwise(record: dict[str, Any]) -> dict[str, Any]:
        if record["id"] == "c2":
            record["judge_label"] = "fail"
        return record

    edited = rewrite(files[2], tmp_path / "cai.jsonl", judged_otherwise)  # cai: c1, c2
    third = load_scan(scan_into(edited, str(folder)))
    assert third.case_info[0] == b"" and b'"judge_label":"fail"' in third.case_info[1]

    other = tmp_path / "another-merge"
    other.mkdir()
    passed_over = load_scan(scan_into(files[0], str(other), {first.sha256}))
    assert all(passed_over.case_info)
    assert all(load_scan(scan_into(files[1], str(other), {first.sha256})).case_info)


# -- files merged before, or given twice, are known by their hash and not read ------------------


def test_the_hash_taken_first_is_the_hash_the_reader_takes(files: list[Path], tmp_path: Path):
    text = files[0].read_bytes()
    odd = {
        "bom-crlf.jsonl": b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"),
        "no-newline.jsonl": text.rstrip(b"\n"),
        "refused.jsonl": text[:40] + b"\n{oops\n" + text,  # hashed to the end all the same
        "empty.jsonl": b"",
    }
    paths = list(files)
    for name, content in odd.items():
        (tmp_path / name).write_bytes(content)
        paths.append(tmp_path / name)
    for path in paths:
        for chunk in (7, 1 << 22):  # chunks that end anywhere, and whole files
            assert file_sha256(path, chunk) == scan_labelled(path, chunk=chunk).sha256 != ""
    assert file_sha256(tmp_path / "none.jsonl") is None  # reading it will say why
    assert file_sha256(tmp_path) is None
    merge_files(files, tmp_path / "whole.jsonl")
    merge_files(files, tmp_path / "in-pieces.jsonl", reading=ReadOptions(chunk=7))
    assert (tmp_path / "whole.jsonl").read_bytes() == (tmp_path / "in-pieces.jsonl").read_bytes()


def read_by(ws: Workspace | None, paths: list[Path], **kw: Any) -> Collected:
    """The files collected as a merge (into ``ws``, if given) collects them; its ``read`` are
    the files read (the others were known by their hash)."""
    if ws is None:
        return collect(paths, None, **kw)
    with ws.engine.connect() as conn:
        merged_before = stored_reviews.merged_hashes(conn)
    return collect(paths, project_facts(ws), merged_before, **kw)


def merge_reading_everything(
    pack: Path, path: Path, merges: list[list[Path]]
) -> tuple[merge.MergeReport, bytes]:
    """The merges into a new workspace as before files were hashed first (every file read);
    the last report and the merged file exported."""
    every_file = ReadOptions(hash_first=False)
    ws = Workspace.open(path)
    import_file(ws, pack)
    for paths in merges:
        report = merge_into_workspace(ws, paths, reading=every_file)
    export_merged(ws, path.with_suffix(".jsonl"))
    ws.close()
    return report, path.with_suffix(".jsonl").read_bytes()


def test_merging_again_with_a_new_file_reads_only_the_new_file(
    lead: Workspace, files: list[Path], pack: Path, tmp_path: Path
):
    old, new = files[:2], files[2]
    merge_into_workspace(lead, old)
    assert read_by(lead, [old[1], new, old[0]]).read == [new]
    steps: list[tuple[int, int]] = []
    report = merge_into_workspace(lead, [old[1], new, old[0]], lambda *step: steps.append(step))
    assert steps == [(1, 3), (2, 3), (3, 3)]
    digest = {p: "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert report.sources[0] == merge.Source(old[1], digest[old[1]], (), 0, already_merged=True)
    assert report.sources[1] == merge.Source(new, digest[new], ("cai",), 2)
    assert report.sources[2] == merge.Source(old[0], digest[old[0]], (), 0, already_merged=True)

    before, merged = merge_reading_everything(
        pack, tmp_path / "before.annotator", [old, [old[1], new, old[0]]]
    )
    assert report == before
    export_merged(lead, tmp_path / "lead.jsonl")
    assert (tmp_path / "lead.jsonl").read_bytes() == merged
    c2 = ReviewService(lead).row_id("c2") or 0
    with lead.engine.connect() as conn:
        assert [(r.reviewer, r.label) for r in merge.reviews_of(conn, c2)] == [
            ("ana", "fail"),
            ("ben", "pass"),
            ("cai", "fail"),
        ]

    assert not read_by(lead, files).read
    steps.clear()
    again = merge_into_workspace(lead, files, lambda *step: steps.append(step))
    assert steps[-1] == (3, 3)
    assert all(s.already_merged and not s.reviewers for s in again.sources)


def test_merging_again_hands_only_the_new_files_to_the_workers(
    lead: Workspace, files: list[Path], pack: Path, tmp_path: Path
):
    ana, ben, cai = files
    update = rewrite(ana, tmp_path / "ana-update.jsonl", changed_mind_on_c2)
    merge_into_workspace(lead, [ben], workers=2)
    two = ReadOptions(workers=2)
    assert read_by(lead, [ana, ben, cai, update], reading=two).read == [ana, cai, update]
    report = merge_into_workspace(lead, [ana, ben, cai, update], reading=two)
    before, merged = merge_reading_everything(
        pack, tmp_path / "before.annotator", [[ben], [ana, ben, cai, update]]
    )
    assert report == before and report.sources[1].already_merged
    assert [(s.case_id, s.reviewer) for s in report.superseded] == [("c2", "ana")]
    export_merged(lead, tmp_path / "lead.jsonl")
    assert (tmp_path / "lead.jsonl").read_bytes() == merged


def test_a_file_given_twice_is_read_once(files: list[Path], lead: Workspace, tmp_path: Path):
    once = merge_files(files, tmp_path / "once.jsonl")[1]
    copy = tmp_path / "copy-of-ana.jsonl"
    copy.write_bytes(files[0].read_bytes())
    steps: list[tuple[int, int]] = []
    given = [files[0], files[1], files[0], copy, files[2]]
    assert read_by(None, given).read == files
    _, report = merge_files(given, tmp_path / "twice.jsonl", progress=lambda *s: steps.append(s))
    assert steps[-1] == (5, 5)
    assert (tmp_path / "once.jsonl").read_bytes() == (tmp_path / "twice.jsonl").read_bytes()
    assert [s.same_as for s in report.sources] == [None, None, files[0], files[0], None]
    assert [s for s in report.sources if s.same_as is None] == once.sources
    assert report.sources[3] == merge.Source(copy, once.sources[0].sha256, (), 0, files[0])

    merge_into_workspace(lead, files[:1])
    assert not read_by(lead, [copy, files[0], copy]).read
    report = merge_into_workspace(lead, [copy, files[0], copy])
    assert [(s.path, s.already_merged, s.same_as) for s in report.sources] == [
        (copy, True, None),
        (files[0], False, copy),
        (copy, False, copy),
    ]


def test_files_known_by_their_hash_change_no_refusal(
    lead: Workspace, files: list[Path], tmp_path: Path
):
    """The first problem in the order given still wins; a file merged before or given twice is
    passed over, problems and all, as it was when every file was read."""
    merge_into_workspace(lead, files[:1])
    text = files[1].read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([text[0], "{not json", *text[1:]]) + "\n", encoding="utf-8")
    missing = tmp_path / "nope.jsonl"
    for order, first in (
        ([files[0], broken, missing], "broken.jsonl, line 2: not valid JSON"),
        ([files[0], missing, broken], "nope.jsonl: file not found"),
        ([files[0], tmp_path, files[2]], f"{tmp_path.name}: this is a folder, not a file"),
    ):
        for workers in (1, 2):
            with pytest.raises(MergeError) as info:
                merge_into_workspace(lead, order, workers=workers)
            assert str(info.value).startswith(first)
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(broken.read_bytes())
    with pytest.raises(MergeError, match=r"^broken.jsonl, line 2"):
        merge_files([broken, copy])
    assert merge_into_workspace(lead, [files[0], files[2]]).sources[1].reviewers == ("cai",)


def test_a_refusal_does_not_wait_for_the_workers_still_reading(
    files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import tempfile
    import time
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    started = time.monotonic()
    with ProcessPoolExecutor(1, get_context("spawn")) as pool:
        reading = pool.submit(time.sleep, 60)
        processes = list(pool._processes.values())  # type: ignore[attr-defined]
        merge_reading.stop(pool, [reading])
    assert time.monotonic() - started < 30
    assert processes and not any(p.is_alive() for p in processes)

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(MergeError, match=r"^broken.jsonl, line 1"):
        merge_files([broken, *files], workers=2)
    assert not list(temp.iterdir())  # the workers' folder is gone


def test_a_copy_whose_original_changed_after_hashing_is_read_after_all(
    files: list[Path], tmp_path: Path
):
    """Hashed first, files 1 and 2 were the same, but file 1 read otherwise (it changed in
    between): file 2 is read too, and the merge is as if nothing had been hashed first."""
    collected = collect(files, None, hashed=["sha256:x", "sha256:x", None])
    assert collected.read == [files[0], files[2], files[1]]  # file 2 after all
    write_collected(collected, tmp_path / "out.jsonl")
    cases, report = collected.merged(), collected.report
    assert not any(s.same_as for s in report.sources)
    assert [s.reviewers for s in report.sources] == [("ana",), ("ben",), ("cai",)]
    again, other = merge_files(files, tmp_path / "again.jsonl")
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "again.jsonl").read_bytes()
    assert cases == again and report.sources == other.sources
