"""The anchoring report (docs/agreement.md, "Anchoring"): on random blind-first decisions, its
figures equal a plain recomputation from the exported files; its section in every output; the
queue filter of the cases where a reviewer switched to the judge."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from annotator.domain.anchoring import BlindDecision, anchoring_of, move_of
from annotator.domain.queue import QueueFilter
from annotator.services.agreement import (
    render_html,
    render_markdown,
    render_text,
    report_to_json,
)
from annotator.services.agreement.anchoring_tables import NO_BLIND
from annotator.services.agreement.workspace import workspace_anchoring, workspace_report
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import export_merged, load_merged, merge_into_workspace
from annotator.services.queue import queue_ids
from annotator.services.review import ReviewService
from annotator.services.summary import format_summary, summarize
from annotator.services.workspace import Workspace
from annotator.storage.db import writing
from tests.helpers import case, write_jsonl
from tests.test_ordinal_report import _bare_nulls

LABELS = ["a", "b", "c"]
HEADER = {"title": "Anchoring", "labels": LABELS, "rubric": "Pick one."}
BEFORE = "2026-01-01T09:00:00Z"
MERGED = "2026-01-02T09:00:00Z"
AFTER = "2026-01-03T09:00:00Z"


def _pack(folder: Path, rng: random.Random, n: int) -> Path:
    rows = []
    for i in range(n):
        raters = {f"r{k}": rng.choice(LABELS) for k in range(rng.choice((1, 2, 3)))}
        judge = rng.choice(LABELS)
        rows.append(case(f"c{i:03d}", judge=judge, raters=raters))
    return write_jsonl(folder / "pack.jsonl", rows, HEADER)


def _reveal(ws: Workspace, cid: str, first: str, reviewer: str = "") -> None:
    """A first label committed before the reveal (``reveal``, as blind-first review writes
    it)."""
    with writing(ws.engine) as conn:
        conn.execute(
            text(
                "INSERT INTO reveal (case_id, blind_label, revealed_at, reviewer) VALUES "
                "((SELECT id FROM cases WHERE ext_id = :c), :b, :t, :r)"
            ),
            {"c": cid, "b": first, "t": BEFORE, "r": reviewer},
        )


def _merged_first(ws: Workspace, cid: str, reviewer: str, first: str) -> None:
    """A merged reviewer's first label (``review.blind_label``, as the merge stores it)."""
    with writing(ws.engine) as conn:
        conn.execute(
            text(
                "UPDATE review SET blind_label = :b, revealed_at = :t WHERE reviewer = :r AND "
                "case_id = (SELECT id FROM cases WHERE ext_id = :c)"
            ),
            {"c": cid, "b": first, "t": BEFORE, "r": reviewer},
        )


def _consensus(raters: dict[str, str]) -> str | None:
    """The raters' consensus on a nominal scale: the label more than half of them chose."""
    for label, n in Counter(raters.values()).items():
        if 2 * n > len(raters):
            return label
    return None


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _plain(decisions: list[tuple[str, str, str, str | None, str | None, str | None]]) -> dict:
    """The figures recomputed in plain Python: per reviewer and over everyone, the counts
    behind each rate."""
    out: dict[str, dict[str, int]] = {}
    for who in sorted({d[0] for d in decisions}) + [""]:
        mine = [d for d in decisions if who in ("", d[0])]
        changed = [d for d in mine if d[1] != d[2]]
        to_judge = [d for d in changed if d[2] == d[3]]
        to_consensus = [d for d in changed if d[2] != d[3] and d[2] == d[4]]
        settled = [d for d in mine if d[5] is not None]
        out[who] = {
            "decisions": len(mine),
            "changed": len(changed),
            "to_judge": len(to_judge),
            "to_consensus": len(to_consensus),
            "elsewhere": len(changed) - len(to_judge) - len(to_consensus),
            "both": sum(1 for d in to_judge if d[2] == d[4]),
            "settled": len(settled),
            "first_right": sum(1 for d in settled if d[1] == d[5]),
            "final_right": sum(1 for d in settled if d[2] == d[5]),
        }
    return out


def _figures(a: Any) -> dict:
    out = {}
    people = list(a.reviewers) + [a.overall]
    for r in people:
        out[r.reviewer] = {
            "decisions": r.decisions,
            "changed": r.changed.count,
            "to_judge": r.to_judge.count,
            "to_consensus": r.to_consensus.count,
            "elsewhere": r.elsewhere.count,
            "both": r.to_judge_and_consensus,
            "settled": r.settled,
            "first_right": r.first_right.count,
            "final_right": r.final_right.count,
        }
        # Each rate is its count over its n.
        assert r.changed.figure.n == r.decisions
        assert r.to_judge.figure.n == r.changed.count
        assert r.final_right.figure.n == r.settled
        if r.changed.count:
            assert r.to_judge.figure.value == pytest.approx(r.to_judge.count / r.changed.count)
        if r.decisions:
            assert r.changed.figure.value == pytest.approx(r.changed.count / r.decisions)
        if r.settled:
            assert r.first_right.figure.value == pytest.approx(r.first_right.count / r.settled)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_reviewers_figures_equal_a_recomputation_from_the_labelled_file(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    ws = Workspace.open(tmp_path / "ana.annotator")
    import_file(ws, _pack(tmp_path, rng, 80))
    review = ReviewService(ws, "ana", clock=lambda: AFTER)
    firsts: dict[str, str] = {}
    for i in range(80):
        cid = f"c{i:03d}"
        if rng.random() < 0.8:  # revealed (some never decided: not a blind-first decision)
            firsts[cid] = rng.choice(LABELS)
            _reveal(ws, cid, firsts[cid], "ana")
        if rng.random() < 0.8:
            review.decide(review.row_id(cid) or 0, rng.choice(LABELS), "because")
    out = tmp_path / "ana.jsonl"
    export_decisions(ws, out)

    decisions = []
    for line in _lines(out):
        first = line.get("blind_label", firsts.get(line["id"]))  # the file's, once it has it
        if first is None:
            continue
        # In a reviewer's own workspace the final label is theirs alone (unanimous).
        decisions.append(
            (
                line["reviewer"],
                first,
                line["label"],
                line["judge_label"],
                _consensus(line["rater_labels"]),
                line["label"],
            )
        )
    assert decisions
    got = workspace_anchoring(ws, resamples=0)
    assert _figures(got) == _plain(decisions)
    # The intervals are those of the same decisions, seeded alike.
    again = anchoring_of([BlindDecision(*d) for d in decisions], seed=0, resamples=200)
    assert workspace_anchoring(ws, resamples=200).overall == again.overall
    ws.close()


@pytest.mark.parametrize("seed", [4, 5])
def test_a_leads_figures_equal_a_recomputation_from_the_merged_file(
    tmp_path: Path, seed: int
) -> None:
    """Three reviewers' files merged in, some of their decisions blind-first; the lead's own
    blind-first decisions, before the merge (one more review) and after (settling)."""
    rng = random.Random(seed)
    n = 60
    pack = _pack(tmp_path, rng, n)
    files = []
    for who in ("ana", "ben", "cai"):
        plan = {f"c{i:03d}": rng.choice(LABELS) for i in range(n) if rng.random() < 0.7}
        files.append(_reviewer_file(pack, tmp_path / who, who, plan))
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    firsts: dict[tuple[str, str], str] = {}
    before = ReviewService(lead, "lee", clock=lambda: BEFORE)
    for i in range(0, n, 7):  # the lead's own review, before the files came in
        cid = f"c{i:03d}"
        firsts[(cid, "lee")] = rng.choice(LABELS)
        _reveal(lead, cid, firsts[(cid, "lee")], "lee")
        before.decide(before.row_id(cid) or 0, rng.choice(LABELS), "lee first")
    merge_into_workspace(lead, files, clock=lambda: MERGED)
    for merged in load_merged(lead):
        for r in merged.reviews:
            if r.reviewer != "lee" and rng.random() < 0.6:
                firsts[(merged.id, r.reviewer)] = rng.choice(LABELS)
                _merged_first(lead, merged.id, r.reviewer, firsts[(merged.id, r.reviewer)])
    after = ReviewService(lead, "lee", clock=lambda: AFTER)
    for merged in load_merged(lead):  # the lead settles some conflicts, blind first
        if merged.final_label is None and rng.random() < 0.6:
            if (merged.id, "lee") not in firsts:
                firsts[(merged.id, "lee")] = rng.choice(LABELS)
                _reveal(lead, merged.id, firsts[(merged.id, "lee")], "lee")
            after.decide(after.row_id(merged.id) or 0, rng.choice(LABELS), "lee settles")
    out = tmp_path / "merged.jsonl"
    export_merged(lead, out)

    decisions = []
    for line in _lines(out):
        people = list(line["reviews"]) + ([line["lead"]] if line["lead"] else [])
        for r in people:
            first = r.get("blind_label", firsts.get((line["id"], r["reviewer"])))
            if first is None:
                continue
            decisions.append(
                (
                    r["reviewer"],
                    first,
                    r["label"],
                    line["judge_label"],
                    _consensus(line["rater_labels"]),
                    line["label"],  # the final label: the lead's, or the reviewers' unanimous
                )
            )
    expected = _plain(decisions)
    assert len(expected) == 5 and expected[""]["settled"] < expected[""]["decisions"]
    assert _figures(workspace_anchoring(lead, resamples=0)) == expected

    # The queue's "switched to the judge" lists exactly the cases of those moves.
    switched = {d[0:1] + (d[3],) for d in decisions}  # (reviewer, judge): for the names below
    assert switched
    review = ReviewService(lead, "lee")
    for who in ("", "ana", "lee"):
        want = {
            line["id"]
            for line in _lines(out)
            for r in list(line["reviews"]) + ([line["lead"]] if line["lead"] else [])
            if who in ("", r["reviewer"])
            and (first := r.get("blind_label", firsts.get((line["id"], r["reviewer"]))))
            and move_of(first, r["label"], line["judge_label"], None) is not None
            and r["label"] == line["judge_label"]
        }
        ids = queue_ids(lead, QueueFilter(kinds=None, switched_to_judge=who))
        assert {review.case(i).case.id for i in ids} == want
    lead.close()


def _reviewer_file(pack: Path, folder: Path, reviewer: str, labels: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(folder / f"{reviewer}.annotator")
    import_file(ws, pack)
    review = ReviewService(ws, reviewer, clock=lambda: BEFORE)
    for cid, label in labels.items():
        review.decide(review.row_id(cid) or 0, label, f"{reviewer} on {cid}")
    out = folder / "decisions.jsonl"
    export_decisions(ws, out)
    ws.close()
    return out


def test_the_order_when_the_judge_and_the_consensus_agree() -> None:
    assert move_of("a", "a", "b", "b") is None
    assert move_of("a", "b", "b", "b").value == "judge"  # type: ignore[union-attr]
    assert move_of("a", "b", "c", "b").value == "consensus"  # type: ignore[union-attr]
    assert move_of("a", "b", "c", None).value == "elsewhere"  # type: ignore[union-attr]
    a = anchoring_of([BlindDecision("x", "a", "b", "b", "b", "b")], resamples=0)
    assert a.overall is not None and a.overall.to_judge_and_consensus == 1
    assert a.overall.to_consensus.count == 0


@pytest.fixture
def some(tmp_path: Path) -> Workspace:
    rng = random.Random(9)
    ws = Workspace.open(tmp_path / "w.annotator")
    import_file(ws, _pack(tmp_path, rng, 30))
    yield ws
    ws.close()


def test_the_section_in_every_output_and_the_line_without_data(some: Workspace) -> None:
    report = workspace_report(some, resamples=50)
    for rendered in (render_text(report), render_markdown(report), render_html(report)):
        assert "Anchoring" in rendered and "View › Blind first" in rendered
    assert report_to_json(report)["anchoring"] == {
        "reviewers": [],
        "overall": None,
        "overall_why": NO_BLIND,
    }
    assert "View › Blind first" in format_summary(summarize(some, resamples=0))
    assert summarize(some, resamples=0).to_json()["anchoring"]["overall_why"] == NO_BLIND

    review = ReviewService(some, "ana", clock=lambda: AFTER)
    for i, (first, final) in enumerate((("a", "b"), ("b", "b"), ("c", "a"), ("a", "c"))):
        cid = f"c{i:03d}"
        _reveal(some, cid, first, "ana")
        review.decide(review.row_id(cid) or 0, final, "because")
    report = workspace_report(some, resamples=50)
    text_ = render_text(report)
    assert "changed after the reveal" in text_ and "View › Blind first" not in text_
    assert "changed after the reveal" in render_markdown(report)
    assert "changed after the reveal" in render_html(report)
    data = report_to_json(report)["anchoring"]
    assert "overall_why" not in data and data["overall"]["changed"]["count"] == 3
    assert data["overall"]["changed"]["n"] == 4
    assert _bare_nulls(data) == []  # a null has its reason beside it
    assert data["overall"]["changed"]["interval"]["resamples"] == 50
    summary = summarize(some, resamples=0)
    assert "changed after the reveal" in format_summary(summary)
    assert summary.to_json()["anchoring"]["reviewers"][0]["reviewer"] == "ana"
