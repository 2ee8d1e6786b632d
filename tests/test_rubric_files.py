"""Rubric versions in the files (issue 16): the labelled file's ``rubric_version`` and
``rubric_hash``, carried by a merge into the workspace and the merged file; a merge reports
reviewers who decided under different versions; the agreement report lists rubric gaps."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.domain.rubric_versions import RUBRIC_GAP, rubric_hash
from annotator.formats.merged import read_merged
from annotator.services import rubrics
from annotator.services.agreement import render_html, render_markdown, render_text, report_to_json
from annotator.services.agreement.workspace import workspace_report
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import MergeError, merge_into_workspace, merge_to_file
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl

V1 = rubric_hash("Pass if correct.", "")
V2_TEXT = "pass: every claim is correct\nfail: any claim is wrong"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    rows = [case(f"c{i}", judge="pass", raters={"r": "fail"}) for i in range(1, 4)]
    return write_jsonl(tmp_path / "pack.jsonl", rows, PASS_FAIL)


def reviewer(pack: Path, folder: Path, name: str, *, edit: bool, fmt: str = "jsonl") -> Path:
    """A reviewer's labelled file: c1 and c2 decided, after a rubric edit when ``edit``."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(folder / f"{name}.annotator")
    import_file(ws, pack)
    if edit:
        rubrics.edit(ws, "", note="clearer", author=name, rubric=V2_TEXT)
    review = ReviewService(ws, name)
    for cid in ("c1", "c2"):
        tags = [RUBRIC_GAP] if cid == "c2" else []
        review.decide(review.row_id(cid) or 0, "fail", f"{name}: {cid} unclear", tags=tags)
    out = folder / f"decisions.{fmt}"
    export_decisions(ws, out, fmt)
    ws.close()
    return out


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_the_labelled_file_carries_the_version_and_hash(pack: Path, tmp_path: Path) -> None:
    ana = lines(reviewer(pack, tmp_path / "ana", "ana", edit=False))
    ben = lines(reviewer(pack, tmp_path / "ben", "ben", edit=True))
    assert {(r["rubric_version"], r["rubric_hash"]) for r in ana} == {(1, V1)}
    assert {(r["rubric_version"], r["rubric_hash"]) for r in ben} == {(2, rubric_hash(V2_TEXT, ""))}
    plain = hashlib.sha256(b"Pass if correct." + b"\x00" + b"").hexdigest()
    assert f"sha256:{plain}" == V1  # the rubric, a NUL byte, the guidelines (none)


def test_a_merge_carries_them_and_reports_different_versions(
    pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        reviewer(pack, tmp_path / "ana", "ana", edit=False),
        reviewer(pack, tmp_path / "ben", "ben", edit=True, fmt="csv"),  # (read back as numbers)
    ]
    out = tmp_path / "merged.jsonl"
    report = merge_to_file(files, out)
    assert [(s.criterion, s.reviewers) for s in report.rubrics] == [
        ("", (("ana", ("v1",)), ("ben", ("v2",))))
    ]
    assert "reviewers decided under different rubric versions (ana v1; ben v2)" in (
        report.describe()
    )
    assert report.to_json()["rubric_versions"] == [
        {"criterion": "", "reviewers": {"ana": ["v1"], "ben": ["v2"]}}
    ]
    c1 = next(c for c in read_merged(out) if c.id == "c1")
    assert [(r.reviewer, r.rubric_version, r.rubric_hash) for r in c1.reviews] == [
        ("ana", 1, V1),
        ("ben", 2, rubric_hash(V2_TEXT, "")),
    ]
    assert main(["merge", *map(str, files), "-o", str(tmp_path / "m2.jsonl"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["rubric_versions"][0]["reviewers"] == {"ana": ["v1"], "ben": ["v2"]}

    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    into = merge_into_workspace(lead, files)
    assert [s.reviewers for s in into.rubrics] == [(("ana", ("v1",)), ("ben", ("v2",)))]
    review = ReviewService(lead, "lead")
    stored = review.case(review.row_id("c1") or 0).reviews
    assert [(r.reviewer, r.rubric_version, r.rubric_hash) for r in stored] == [
        ("ana", 1, V1),
        ("ben", 2, rubric_hash(V2_TEXT, "")),
    ]
    lead.close()


def test_the_same_version_is_not_reported(pack: Path, tmp_path: Path) -> None:
    files = [reviewer(pack, tmp_path / n, n, edit=False) for n in ("ana", "cai")]
    report = merge_to_file(files, tmp_path / "m.jsonl")
    assert report.rubrics == [] and "rubric versions" not in report.describe()


def test_a_bad_rubric_version_is_refused_saying_so(pack: Path, tmp_path: Path) -> None:
    good = reviewer(pack, tmp_path / "ana", "ana", edit=False)
    records = lines(good)
    records[1]["rubric_version"] = "two"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(MergeError, match=r"bad.jsonl, line 2: 'rubric_version' must be a whole"):
        merge_to_file([bad], tmp_path / "m.jsonl")


def test_the_agreement_report_lists_rubric_gaps(pack: Path, tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "w.annotator")
    import_file(ws, pack)
    review = ReviewService(ws, "ann")
    assert RUBRIC_GAP in review.tags()  # in the default vocabulary
    review.decide(review.row_id("c1") or 0, "fail", "plain", tags=["rater error"])
    review.decide(review.row_id("c2") or 0, "fail", "partly right: which?", tags=[RUBRIC_GAP])
    report = workspace_report(ws, resamples=0)
    (gap,) = report.criteria[0].rubric_gaps
    assert (gap.case_id, gap.final_label, gap.notes) == (
        "c2",
        "fail",
        (("ann", "fail", "partly right: which?"),),
    )
    line = "c2 (final fail) — ann [fail]: partly right: which?"
    assert line in render_text(report)
    assert "Rubric gaps" in render_markdown(report) and "partly right: which?" in (
        render_markdown(report)
    )
    assert "partly right: which?" in render_html(report)
    assert report_to_json(report)["rubric_gaps"] == [
        {
            "criterion": "",
            "case_id": "c2",
            "final_label": "fail",
            "tagged_by": [
                {"reviewer": "ann", "label": "fail", "rationale": "partly right: which?"}
            ],
        }
    ]
    ws.close()


def test_a_leads_merged_file_carries_the_leads_version(pack: Path, tmp_path: Path) -> None:
    from annotator.services.merge import export_merged

    files = [reviewer(pack, tmp_path / n, n, edit=False) for n in ("ana", "ben")]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    merge_into_workspace(lead, files)
    rubrics.edit(lead, "", note="lead's wording", author="lee", rubric=V2_TEXT)
    review = ReviewService(lead, "lee")
    review.decide(review.row_id("c1") or 0, "pass", "settled under v2")
    out = tmp_path / "merged.jsonl"
    export_merged(lead, out)
    lead.close()
    c1 = next(c for c in read_merged(out) if c.id == "c1")
    assert c1.lead is not None
    assert (c1.lead.rubric_version, c1.lead.rubric_hash) == (2, rubric_hash(V2_TEXT, ""))
    assert {(r.reviewer, r.rubric_version) for r in c1.reviews} == {("ana", 1), ("ben", 1)}
