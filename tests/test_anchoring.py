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
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.domain.anchoring import BlindDecision, anchoring_of, move_of
from annotator.domain.queue import QueueFilter
from annotator.services.agreement import (
    render_html,
    render_markdown,
    render_text,
    report_to_json,
)
from annotator.services.agreement.anchoring_tables import NO_BLIND, OWN_TRUTH
from annotator.services.agreement.workspace import (
    report_of,
    workspace_anchoring,
    workspace_report,
)
from annotator.services.blind import set_blind
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import export_merged, load_merged, merge_into_workspace
from annotator.services.queue import queue_ids
from annotator.services.review import ReviewService
from annotator.services.summary import format_summary, summarize
from annotator.services.workspace import Workspace
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


def _consensus(raters: dict[str, str]) -> str | None:
    """The raters' consensus on a nominal scale: the label more than half of them chose."""
    for label, n in Counter(raters.values()).items():
        if 2 * n > len(raters):
            return label
    return None


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _plain(decisions: list[Plain]) -> dict:
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


def _blind_review(
    ws: Workspace, reviewer: str, rng: random.Random, ids: list[str], at: str = BEFORE
) -> None:
    """Review ``ids`` as a reviewer would: blind first for about two cases in three (a first
    label committed, then the reveal, then the final label, which may differ), the others with
    blind first off; a few cases revealed and left undecided."""
    review = ReviewService(ws, reviewer, clock=lambda: at)
    for cid in ids:
        row_id = review.row_id(cid) or 0
        blind = rng.random() < 0.67
        set_blind(ws, blind_first=blind)
        if blind:
            review.reveal(row_id, rng.choice(LABELS))
            if rng.random() < 0.1:
                continue  # revealed, not decided: not a blind-first decision
        review.decide(row_id, rng.choice(LABELS), "because")
    set_blind(ws, blind_first=False)


Plain = tuple[str, str, str, str | None, str | None, str | None]


def _exported(line: dict[str, Any], r: dict[str, Any], truth: str | None) -> Plain:
    """One blind-first decision as a plain tuple, from a line of an exported file."""
    return (
        r["reviewer"],
        r["blind_label"],
        r["label"],
        line["judge_label"],
        _consensus(line["rater_labels"]),
        truth,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_reviewers_figures_equal_a_recomputation_from_the_labelled_file(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    ws = Workspace.open(tmp_path / "ana.annotator")
    import_file(ws, _pack(tmp_path, rng, 80))
    _blind_review(ws, "ana", rng, [f"c{i:03d}" for i in range(80) if rng.random() < 0.8])
    out = tmp_path / "ana.jsonl"
    export_decisions(ws, out)

    # In a reviewer's own workspace the final label of a case is theirs alone (unanimous).
    lines = _lines(out)
    decisions = [_exported(x, x, x["label"]) for x in lines if x["blind_label"] is not None]
    assert decisions and len(decisions) < len(lines)
    assert _figures(workspace_anchoring(ws, resamples=0)) == _plain(decisions)
    # The intervals are those of the same decisions, seeded alike.
    again = anchoring_of([BlindDecision(*d) for d in decisions], seed=0, resamples=200)
    assert workspace_anchoring(ws, resamples=200).overall == again.overall
    # The truth here is ana's own final label, and the report says so.
    assert workspace_anchoring(ws, resamples=0).own_truth
    assert OWN_TRUTH in render_text(workspace_report(ws, resamples=0))
    # Read from the labelled file itself (annotator agreement ana.jsonl): the same figures.
    assert _figures(report_of([out], resamples=0).anchoring) == _plain(decisions)
    ws.close()


@pytest.mark.parametrize("seed", [4, 5])
def test_a_leads_figures_equal_a_recomputation_from_the_merged_file(
    tmp_path: Path, seed: int
) -> None:
    """Three reviewers review blind first (mostly) and send their files; the lead reviews
    some cases blind first before the merge (one more review) and settles conflicts blind
    first after it."""
    rng = random.Random(seed)
    n = 60
    pack = _pack(tmp_path, rng, n)
    files = []
    for who in ("ana", "ben", "cai"):
        folder = tmp_path / who
        folder.mkdir()
        mine = Workspace.open(folder / f"{who}.annotator")
        import_file(mine, pack)
        _blind_review(mine, who, rng, [f"c{i:03d}" for i in range(n) if rng.random() < 0.7])
        files.append(folder / "decisions.jsonl")
        export_decisions(mine, files[-1])
        mine.close()
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    _blind_review(lead, "lee", rng, [f"c{i:03d}" for i in range(0, n, 7)])
    merge_into_workspace(lead, files, clock=lambda: MERGED)
    still_open = [c.id for c in load_merged(lead) if c.final_label is None]
    review = ReviewService(lead, "lee", clock=lambda: AFTER)
    set_blind(lead, blind_first=True)
    for cid in still_open:  # the lead settles most conflicts, blind first
        if rng.random() < 0.6:
            row_id = review.row_id(cid) or 0
            if review.case(row_id).blind:
                review.reveal(row_id, rng.choice(LABELS))
            review.decide(row_id, rng.choice(LABELS), "lee settles")
    out = tmp_path / "merged.jsonl"
    export_merged(lead, out)

    def people(line: dict[str, Any]) -> list[dict[str, Any]]:
        return list(line["reviews"]) + ([line["lead"]] if line["lead"] else [])

    # The truth: the merged file's final label (the lead's, or the reviewers' unanimous).
    lines = _lines(out)
    decisions = [
        _exported(line, r, line["label"])
        for line in lines
        for r in people(line)
        if r.get("blind_label") is not None
    ]
    expected = _plain(decisions)
    assert len(expected) == 5 and expected[""]["settled"] < expected[""]["decisions"]
    assert _figures(workspace_anchoring(lead, resamples=0)) == expected
    assert not workspace_anchoring(lead, resamples=0).own_truth
    assert _figures(report_of([out], resamples=0).anchoring) == expected  # from the file

    # The queue's "switched to the judge" lists exactly the cases of those moves.
    shown = ReviewService(lead, "lee")
    for who in ("", "ana", "lee"):
        want = {
            d_id
            for d_id, d in ((line["id"], _exported(line, r, None)) for line in lines
                            for r in people(line) if r.get("blind_label") is not None)
            if who in ("", d[0]) and d[1] != d[2] and d[2] == d[3]
        }  # fmt: skip
        assert want
        ids = queue_ids(lead, QueueFilter(kinds=None, switched_to_judge=who))
        assert {shown.case(i).case.id for i in ids} == want
    lead.close()


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
    set_blind(some, blind_first=True)
    for i, (first, final) in enumerate((("a", "b"), ("b", "b"), ("c", "a"), ("a", "c"))):
        row_id = review.row_id(f"c{i:03d}") or 0
        review.reveal(row_id, first)
        review.decide(row_id, final, "because")
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


_label = st.sampled_from(["a", "b", "c"])
_decision = st.builds(
    BlindDecision,
    st.sampled_from(["ana", "ben"]),
    _label,
    _label,
    st.none() | _label,
    st.none() | _label,
    st.none() | _label,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_decision, max_size=60), st.randoms(use_true_random=False))
def test_the_figures_are_the_plain_counts_in_any_order(
    decisions: list[BlindDecision], rng: random.Random
) -> None:
    """On any decisions: each rate is its count over its n as a plain recount gives them, the
    three shares of the changes add up to 1, and the order of the decisions changes nothing
    (intervals included)."""
    a = anchoring_of(decisions, resamples=20)
    if not decisions:
        assert not a.any and a.overall is None
        return
    assert _figures(a) == _plain([tuple(d) for d in decisions])  # type: ignore[misc]
    for r in (*a.reviewers, a.overall):
        assert r is not None
        moves = (r.to_judge, r.to_consensus, r.elsewhere)
        if r.changed.count:
            assert sum(m.figure.value or 0.0 for m in moves) == pytest.approx(1.0)
        else:
            assert all(m.figure.value is None and m.figure.reason for m in moves)
    shuffled = list(decisions)
    rng.shuffle(shuffled)
    assert anchoring_of(shuffled, resamples=20) == a


def test_on_an_ordered_scale_the_file_gives_the_workspaces_figures(tmp_path: Path) -> None:
    """A 1-5 scale with threshold 1, two or three raters (an even number may have no
    consensus): the raters' consensus read from the labelled file is the one the workspace
    stores, so the figures agree."""
    rng = random.Random(11)
    likert = ["1", "2", "3", "4", "5"]
    rows = [
        case(
            f"c{i:03d}",
            judge=rng.choice(likert),
            raters={f"r{k}": rng.choice(likert) for k in range(rng.choice((2, 3)))},
        )
        for i in range(80)
    ]
    header = {"title": "Likert", "labels": likert, "ordinal": True, "threshold": 1}
    ws = Workspace.open(tmp_path / "l.annotator")
    import_file(ws, write_jsonl(tmp_path / "l.jsonl", rows, header))
    review = ReviewService(ws, "ana")
    set_blind(ws, blind_first=True)
    for i in range(80):
        row_id = review.row_id(f"c{i:03d}") or 0
        review.reveal(row_id, rng.choice(likert))
        review.decide(row_id, rng.choice(likert), "because")
    out = tmp_path / "l-decisions.jsonl"
    export_decisions(ws, out)
    got = workspace_anchoring(ws, resamples=0)
    assert got.overall is not None and got.overall.to_consensus.count > 0
    assert _figures(report_of([out], resamples=0).anchoring) == _figures(got)
    ws.close()
