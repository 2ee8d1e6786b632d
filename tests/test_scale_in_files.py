"""An ordinal scale's threshold travels in the labelled and merged files (issue 19, item 2).

Who was right and the kind of a case follow an ordinal criterion's threshold, so a file that
did not say it could not be read the way the workspace read it: a merge of files exported under
other thresholds mixed two meanings of "the judge was right", and the agreement report of a
file could not say how the judge did against the raters at all. Now each line says its scale's
threshold; files that disagree on it are refused naming both, and a file written before lines
carried it still merges.
"""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.formats.labelled import scan_labelled
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import MergeError, merge_to_file
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl

LIKERT = {"title": "Likert", "labels": ["1", "2", "3", "4", "5"], "ordinal": True}
RATERS = {"alice": "4", "bob": "4"}


def pack(tmp_path: Path, threshold: float | None, name: str = "pack.jsonl") -> Path:
    header = dict(LIKERT, **({} if threshold is None else {"threshold": threshold}))
    rows = [case(f"c{i}", judge="5", raters=RATERS) for i in range(1, 5)]
    return write_jsonl(tmp_path / name, rows, header=header)


def exported(tmp_path: Path, reviewer: str, threshold: float | None, fmt: str = "jsonl") -> Path:
    """``reviewer``'s labelled file of a four-case Likert pack imported with ``threshold``."""
    folder = tmp_path / reviewer
    folder.mkdir()
    with closing(Workspace.open(folder / "ws.annotator")) as ws:
        import_file(ws, pack(folder, threshold))
        review = ReviewService(ws, reviewer)
        for i, label in enumerate(("4", "4", "5", "3"), start=1):
            review.decide(review.row_id(f"c{i}") or 0, label, "read it")
        out = folder / f"{reviewer}.{fmt}"
        export_decisions(ws, out, fmt=fmt)
    return out


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def test_the_labelled_file_says_the_threshold_of_an_ordinal_scale(tmp_path: Path):
    records = lines(exported(tmp_path, "ana", 1))
    assert {(r["ordinal"], r["threshold"]) for r in records} == {(True, 1)}
    assert all(r["kind"] == "agreement" for r in records)  # 5 against 4, 4: within 1


def test_a_nominal_scale_has_no_threshold(tmp_path: Path):
    path = write_jsonl(tmp_path / "p.jsonl", [case("c1")], header={"labels": ["fail", "pass"]})
    with closing(Workspace.open(tmp_path / "ws.annotator")) as ws:
        import_file(ws, path)
        review = ReviewService(ws, "ana")
        review.decide(review.row_id("c1") or 0, "fail", "no")
        export_decisions(ws, tmp_path / "out.jsonl")
    (record,) = lines(tmp_path / "out.jsonl")
    assert record["ordinal"] is False and record["threshold"] is None


def test_the_csv_form_reads_back_with_its_threshold(tmp_path: Path):
    path = exported(tmp_path, "ana", 0.5, fmt="csv")
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[header.index("ordinal") + 1] == "threshold"
    scan = scan_labelled(path)
    assert scan.error is None
    assert {g.scale.threshold for g in scan.groups if g.scale is not None} == {0.5}


def test_the_merged_file_carries_it_and_its_report_uses_it(tmp_path: Path, capsys):
    files = [exported(tmp_path, who, 1) for who in ("ana", "ben")]
    out = tmp_path / "merged.jsonl"
    merge_to_file(files, out)
    assert {(r["ordinal"], r["threshold"]) for r in lines(out)} == {(True, 1)}

    assert main(["agreement", str(out), "--json", "--resamples", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    (baseline,) = report["baseline"]
    assert baseline["threshold"] == 1
    # The judge's 5 is within 1 of the raters' 4 on every case: right, by the threshold.
    assert baseline["judge_vs_consensus"]["within_threshold"]["value"] == pytest.approx(1.0)


def test_files_exported_under_other_thresholds_are_refused_naming_both(tmp_path: Path):
    one, two = exported(tmp_path, "ana", 1), exported(tmp_path, "ben", 2)
    out = tmp_path / "merged.jsonl"
    for order in ([one, two], [two, one]):
        with pytest.raises(MergeError) as info:
            merge_to_file(order, out)
        message = str(info.value)
        assert "thresholds don't match" in message
        assert "threshold 1)" in message and "threshold 2)" in message
        assert one.name in message or two.name in message
        assert not out.exists()


def test_a_file_from_before_thresholds_merges_with_one_that_says_it(tmp_path: Path):
    new = exported(tmp_path, "ana", 1)
    old = exported(tmp_path, "ben", 1)
    records = [{k: v for k, v in r.items() if k != "threshold"} for r in lines(old)]
    old.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    for i, order in enumerate(([new, old], [old, new])):
        out = tmp_path / f"merged-{i}.jsonl"
        merge_to_file(order, out)
        assert {r["threshold"] for r in lines(out)} == {1}


def test_against_a_workspace_of_another_threshold_a_file_is_refused(tmp_path: Path):
    file = exported(tmp_path, "ana", 1)
    with closing(Workspace.open(tmp_path / "lead.annotator")) as lead:
        import_file(lead, pack(tmp_path, 2))
        from annotator.services.merge import merge_into_workspace

        with pytest.raises(MergeError) as info:
            merge_into_workspace(lead, [file])
    assert "thresholds don't match" in str(info.value)
    assert "threshold 1)" in str(info.value) and "the workspace has" in str(info.value)


@pytest.mark.parametrize(
    ("threshold", "why"),
    [
        ("1", "'threshold' must be a number from 0, not"),
        (-1, "'threshold' must be a number from 0, not"),
        (True, "'threshold' must be a number from 0, not"),
    ],
)
def test_a_bad_threshold_is_refused_with_its_line(tmp_path: Path, threshold: Any, why: str):
    path = exported(tmp_path, "ana", 1)
    records = lines(path)
    records[2]["threshold"] = threshold
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(MergeError) as info:
        merge_to_file([path], tmp_path / "merged.jsonl")
    assert "line 3" in str(info.value) and why in str(info.value)


def test_a_threshold_on_a_nominal_scale_is_refused(tmp_path: Path):
    path = exported(tmp_path, "ana", 1)
    records = lines(path)
    records[0]["ordinal"] = False
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(MergeError) as info:
        merge_to_file([path], tmp_path / "merged.jsonl")
    assert "line 1" in str(info.value) and "'threshold' is for an ordinal scale" in str(info.value)
