"""The merge keeps its promise: the same files in any order give the same bytes, or it refuses.

A merged line copies the case (criterion, judge and rater labels, kind) from the files; a file
that says otherwise of a case than the others (or than the workspace) is refused, naming both
files and lines, in every order, and nothing is written.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.services.importer import import_file
from annotator.services.merge import (
    MergeCancelled,
    MergeError,
    has_reviews,
    merge_files,
    merge_into_workspace,
    merge_to_file,
)
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl

Edit = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    rows = [case(f"c{i}") for i in range(1, 7)]
    return write_jsonl(tmp_path / "pack.jsonl", rows, header=PASS_FAIL)


@pytest.fixture
def files(pack: Path, tmp_path: Path) -> list[Path]:
    """a.jsonl (ana: c1 c2 c3 c4 c6), b.jsonl (ben: c1 c2 c3 c6), c.jsonl (cai: c1 c2): case
    c2 is on line 2 of each."""
    named = []
    for name, (who, plan) in zip("abc", REVIEW_PLAN.items(), strict=True):
        made = reviewer_file(pack, tmp_path / who, who, plan)
        named.append(made.rename(tmp_path / f"{name}.jsonl"))
    return named


@pytest.fixture
def lead(pack: Path, tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path / "lead.annotator")
    import_file(ws, pack)
    yield ws
    ws.close()


def rewrite(path: Path, out: Path, change: Edit, only: str | None = None) -> Path:
    """A copy of a labelled file with ``change`` made to each line (of case ``only``)."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    changed = [change(r) if only in (None, r["id"]) else r for r in records]
    out.write_text("".join(json.dumps(r) + "\n" for r in changed), encoding="utf-8")
    return out


def merged_in_every_order(paths: list[Path], tmp_path: Path, **kw: Any) -> set[bytes]:
    """The merged files of every order of ``paths`` (each written, then read)."""
    outputs = set()
    for i, order in enumerate(itertools.permutations(paths)):
        out = tmp_path / f"merged-{i}.jsonl"
        merge_to_file(list(order), out, **kw)
        outputs.add(out.read_bytes())
    return outputs


def refused(paths: list[Path], out: Path, **kw: Any) -> str:
    with pytest.raises(MergeError) as info:
        merge_to_file(paths, out, **kw)
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.*"))
    return str(info.value)


# -- the same bytes in every order -----------------------------------------------------------


def test_three_files_give_the_same_bytes_in_every_order(files: list[Path], tmp_path: Path):
    outputs = merged_in_every_order(files, tmp_path)
    assert len(outputs) == 1
    for order in (files, files[::-1]):  # read by worker processes: the same
        out = tmp_path / "by-workers.jsonl"
        merge_to_file(order, out, workers=2)
        assert {out.read_bytes()} == outputs


def test_the_same_case_written_otherwise_is_the_same_case(files: list[Path], tmp_path: Path):
    """Rater labels in another order say the same of the case: the merge goes on, and the
    merged file does not depend on which file came first."""

    def reordered(record: dict[str, Any]) -> dict[str, Any]:
        record["rater_labels"] = dict(reversed(record["rater_labels"].items()))
        return record

    b = rewrite(files[1], tmp_path / "b-reordered.jsonl", reordered)
    outputs = merged_in_every_order([files[0], b, files[2]], tmp_path)
    assert len(outputs) == 1
    merge_to_file([b, files[2], files[0]], tmp_path / "workers.jsonl", workers=2)
    assert {(tmp_path / "workers.jsonl").read_bytes()} == outputs


def test_equal_times_keep_the_same_decision_in_every_order(files: list[Path], tmp_path: Path):
    """Two decisions of one reviewer on one case at the same time, with the same label,
    rationale and tags, differing in confidence or who was right: the content decides."""

    def surer(record: dict[str, Any]) -> dict[str, Any]:
        record["confidence"], record["who_right"] = "high", "neither"
        return record

    again = rewrite(files[0], tmp_path / "a-again.jsonl", surer, only="c2")
    outputs = merged_in_every_order([files[0], again, files[1]], tmp_path)
    assert len(outputs) == 1
    c2 = next(json.loads(line) for line in outputs.pop().splitlines() if b'"c2"' in line)
    assert len([r for r in c2["reviews"] if r["reviewer"] == "ana"]) == 1


def test_project_titles_that_differ_give_the_same_bytes(files: list[Path], tmp_path: Path):
    """A reviewer's workspace may name the project after its own case file: the merged file
    takes the first title in alphabetical order, whatever the order of the files."""

    def retitled(record: dict[str, Any]) -> dict[str, Any]:
        record["project_title"] = "A pack by another name"
        return record

    c = rewrite(files[2], tmp_path / "c-titled.jsonl", retitled)
    outputs = merged_in_every_order([files[0], files[1], c], tmp_path)
    assert len(outputs) == 1
    assert all(
        json.loads(line)["project_title"] == "A pack by another name"
        for line in outputs.pop().splitlines()
    )


# -- a file that says otherwise of a case is refused ------------------------------------------

EDITS: dict[str, tuple[Edit, str, str]] = {
    "judge label": (lambda r: {**r, "judge_label": "fail"}, "judge label 'fail'", "('pass')"),
    "rater labels": (
        lambda r: {**r, "rater_labels": {"alice": "pass", "bob": "fail"}},
        "rater labels {alice: pass, bob: fail}",
        "({alice: fail, bob: fail})",
    ),
    "kind": (lambda r: {**r, "kind": "agreement"}, "kind 'agreement'", "('judge_vs_all')"),
    "criterion": (lambda r: {**r, "criterion": "tone"}, "criterion 'tone'", "('')"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_case_is_refused_in_every_order(edit: str, files: list[Path], tmp_path: Path):
    change, said, original = EDITS[edit]
    edited = rewrite(files[1], tmp_path / "b-edited.jsonl", change, only="c2")
    paths = [files[0], edited, files[2]]
    out = tmp_path / "merged.jsonl"
    verb = "differ" if edit == "rater labels" else "differs"
    for order in itertools.permutations(paths):
        message = refused(list(order), out)
        assert message.startswith("the files do not say the same of a case")
        first = order[0]
        if first == edited:  # the others differ from it
            for other in order[1:]:
                assert f"{other.name}, line 2: {edit} " in message
            assert f"for case 'c2' {verb} from b-edited.jsonl, line 2 (" in message
        else:
            assert (
                f"b-edited.jsonl, line 2: {said} for case 'c2' {verb} from "
                f"{first.name}, line 2 {original}"
            ) in message
    assert refused([files[0], edited], out, workers=2) == refused([files[0], edited], out)


def test_every_line_of_an_edited_file_is_named_up_to_ten(files: list[Path], tmp_path: Path):
    edited = rewrite(files[0], tmp_path / "a-edited.jsonl", EDITS["judge label"][0])
    message = refused([files[1], edited], tmp_path / "merged.jsonl")
    named = [line for line in message.splitlines() if line.startswith("a-edited.jsonl")]
    assert [line.split(":")[0] for line in named] == [
        "a-edited.jsonl, line 1",
        "a-edited.jsonl, line 2",
        "a-edited.jsonl, line 3",
        "a-edited.jsonl, line 5",  # (c4, on line 4, is ana's alone)
    ]


# -- against the workspace ------------------------------------------------------------------


@pytest.mark.parametrize("edit", ["judge label", "rater labels"])
def test_against_the_workspace_an_edit_is_refused_even_in_one_file(
    edit: str,
    files: list[Path],
    lead: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
):
    change, said, original = EDITS[edit]
    edited = rewrite(files[2], tmp_path / "c-edited.jsonl", change, only="c2")
    out = tmp_path / "merged.jsonl"
    message = refused([edited], out, against=lead)
    assert f"c-edited.jsonl, line 2: {said} for case 'c2'" in message
    assert f"from the workspace {original}" in message
    assert "workspace" in message.splitlines()[0]
    with pytest.raises(MergeError, match="from the workspace"):
        merge_into_workspace(lead, [files[0], edited])
    with pytest.raises(MergeError, match="from the workspace"):
        merge_into_workspace(lead, [edited], workers=2)
    assert not has_reviews(lead)  # nothing stored

    command = ["merge", str(edited), "-o", str(out), "--workspace", str(lead.path)]
    assert main(command) != 0
    assert "from the workspace" in capsys.readouterr().err and not out.exists()


def test_against_the_workspace_a_kind_of_another_threshold_is_accepted(
    files: list[Path], lead: Workspace, tmp_path: Path
):
    """The kind follows an ordinal scale's threshold, which a lead may change after sending the
    pack: files that agree among themselves on a kind the workspace no longer gives still
    merge; the merged file keeps the files' kind, a merge into the workspace its own."""
    change, _said, _original = EDITS["kind"]
    edited = [
        rewrite(f, tmp_path / f"k{i}-{f.name}", change, only="c2") for i, f in enumerate(files)
    ]
    out = tmp_path / "merged.jsonl"
    merge_to_file(edited, out, against=lead)
    assert '"kind":"agreement"' in out.read_text(encoding="utf-8").replace(" ", "")
    assert merge_into_workspace(lead, edited).cases == 5


def test_against_the_workspace_the_honest_files_merge(
    files: list[Path], lead: Workspace, tmp_path: Path
):
    without, against = tmp_path / "without.jsonl", tmp_path / "against.jsonl"
    merge_to_file(files, without)
    merge_to_file(files[::-1], against, against=lead)
    assert without.read_bytes() == against.read_bytes()
    assert merge_into_workspace(lead, files, workers=2).cases == 5


def test_against_the_workspace_a_scale_said_otherwise_is_refused(
    files: list[Path], lead: Workspace, tmp_path: Path
):
    """An ordered scale where the workspace's is not: the same labels, but not the same scale."""
    ordered = rewrite(files[0], tmp_path / "a-ordered.jsonl", lambda r: {**r, "ordinal": True})
    message = refused([ordered], tmp_path / "merged.jsonl", against=lead)
    assert "scales don't match" in message and "(fail, pass, ordered)" in message


# -- cancelling -------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cancelled_merge_leaves_the_workspace_unchanged(
    workers: int, files: list[Path], lead: Workspace, tmp_path: Path
):
    asked: list[int] = []

    def after_the_first_file() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(MergeCancelled, match="cancelled"):
        merge_into_workspace(lead, files, workers=workers, cancelled=after_the_first_file)
    assert not has_reviews(lead)
    out = tmp_path / "merged.jsonl"
    with pytest.raises(MergeCancelled):
        merge_files(files, out, workers=workers, cancelled=lambda: True)
    assert not out.exists()
    assert merge_into_workspace(lead, files, cancelled=lambda: False).cases == 5
