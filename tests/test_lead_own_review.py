"""A lead's decisions taken before the reviewers' files were merged are the lead's own review:
they settle no conflict the lead never saw; a decision taken after the merge (or the same one
saved again) does."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.domain.merge import Resolution, ReviewState
from annotator.domain.queue import QueueFilter, SortKey
from annotator.services.importer import import_file
from annotator.services.merge import conflict_progress, load_merged, merge_into_workspace
from annotator.services.queue import queue_ids
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl

BEFORE = "2026-01-01T09:00:00Z"
MERGED = "2026-01-02T09:00:00Z"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    rows = [case(f"c{i}") for i in range(1, 7)]
    return write_jsonl(tmp_path / "pack.jsonl", rows, PASS_FAIL)


def test_the_leads_own_review_settles_nothing(pack: Path, tmp_path: Path) -> None:
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    own = ReviewService(lead, "lee", clock=lambda: BEFORE)
    # Before any file comes in, the lead reviews three cases, as any reviewer would: c2 (the
    # reviewers will disagree), c4 (ana alone will say pass) and c5 (nobody will).
    for cid, label in (("c2", "fail"), ("c4", "fail"), ("c5", "pass")):
        own.decide(own.row_id(cid) or 0, label, f"lee on {cid}")

    report = merge_into_workspace(lead, files, clock=lambda: MERGED)

    # c2 and c3 are conflicts; so is c4 now (lee said fail, ana pass): none is settled.
    assert (report.conflicts, report.settled_by_lead, report.open_conflicts) == (3, 0, 3)
    assert report.lead_own == 3
    assert "the lead's own review: 3 cases" in report.describe()
    assert conflict_progress(lead) == (0, 3)
    conflicts = queue_ids(lead, QueueFilter(kinds=None, review_state=ReviewState.CONFLICT))
    review = ReviewService(lead, "lee")
    assert sorted(review.case(i).case.id for i in conflicts) == ["c2", "c3", "c4"]
    merged = {c.id: c for c in load_merged(lead)}
    assert merged["c2"].lead is None and merged["c2"].resolution is Resolution.CONFLICT
    assert [(r.reviewer, r.label) for r in merged["c2"].reviews] == [
        ("ana", "fail"),
        ("ben", "pass"),
        ("cai", "fail"),
        ("lee", "fail"),
    ]
    assert merged["c4"].final_label is None
    assert merged["c5"].resolution is Resolution.UNANIMOUS  # lee's own review, alone
    assert merged["c5"].final_label == "pass"

    # The window says so where the lead decides (test_gui_fit: the panel's state line).
    c2 = review.row_id("c2") or 0
    assert review.case(c2).own_review and review.case(c2).merged_at == MERGED
    assert not review.case(review.row_id("c1") or 0).own_review  # no decision of the lead's

    # Decided once the files are in (here: the same decision saved again), c2 is settled.
    review.decide(c2, "fail", "lee on c2, having read ana, ben and cai")
    assert not review.case(c2).own_review
    assert conflict_progress(lead) == (1, 3)
    merged = {c.id: c for c in load_merged(lead)}
    assert merged["c2"].resolution is Resolution.LEAD
    assert [r.reviewer for r in merged["c2"].reviews] == ["ana", "ben", "cai"]
    lead.close()


def test_next_undecided_finds_a_conflict_the_leads_own_review_leaves_open(
    pack: Path, tmp_path: Path
) -> None:
    """After the merge, the lead walks the open cases with "Next undecided": a conflict the
    lead had decided before the files came in is one of them, until the lead decides it
    again; cases simply decided are not."""
    from annotator.services.queue import first_undecided, undecided_among

    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    own = ReviewService(lead, "lee", clock=lambda: BEFORE)
    every = QueueFilter(kinds=None)
    for cid in ("c1", "c2", "c3", "c4", "c5", "c6"):
        own.decide(own.row_id(cid) or 0, "fail", f"lee on {cid}")
    assert first_undecided(lead, every) is None  # all decided, nothing merged yet

    merge_into_workspace(lead, files, clock=lambda: MERGED)
    review = ReviewService(lead, "lee")
    ids = {cid: review.row_id(cid) or 0 for cid in ("c1", "c2", "c3", "c4", "c5", "c6")}
    open_ids = undecided_among(lead, list(ids.values()))
    # c2, c3 (ana and ben disagree) and c4, c6 (lee's fail against their pass) are open.
    assert {cid for cid, i in ids.items() if i in open_ids} == {"c2", "c3", "c4", "c6"}
    first = first_undecided(lead, every)
    assert first in open_ids

    for cid in ("c2", "c3", "c4", "c6"):
        review.decide(ids[cid], "fail", f"lee on {cid}, having read the reviews")
    assert undecided_among(lead, list(ids.values())) == set()
    assert first_undecided(lead, every) is None
    lead.close()


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", [SortKey.SEVERITY, SortKey.ID])
def test_first_undecided_is_the_first_open_case_whether_undecided_or_a_conflict(
    pack: Path, tmp_path: Path, sort: SortKey, descending: bool
) -> None:
    """Where the lead resumes: the first case of the queue still open, be it one never decided
    or a conflict the lead's own review leaves open (``first_undecided`` looks for each apart
    and takes the earlier)."""
    from annotator.services.queue import first_undecided, undecided_among

    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    own = ReviewService(lead, "lee", clock=lambda: BEFORE)
    every = QueueFilter(kinds=None, sort=sort, descending=descending)
    merge_into_workspace(lead, files, clock=lambda: MERGED)
    ids = queue_ids(lead, every)
    for left_open in range(len(ids) + 1):  # the cases before it decided, after merging
        for row in ids[:left_open]:
            own.decide(row, "fail", "lee")
        open_ids = undecided_among(lead, list(ids))
        expected = next((i for i in ids if i in open_ids), None)
        assert first_undecided(lead, every) == expected
    lead.close()
