"""Storage and review: decisions survive reopening, undo/redo, queue filters, schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from annotator.domain.model import Confidence, Kind, Status, WhoRight
from annotator.services.changes import NOTHING, RECLASSIFIED, Changes
from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, SortKey, queue_ids, queue_rows
from annotator.services.review import ReviewError, ReviewService
from annotator.services.workspace import Workspace, WorkspaceBusy
from annotator.storage.db import SCHEMA_VERSION, WorkspaceError
from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, write_jsonl


@pytest.fixture
def path(tmp_path: Path) -> Path:
    ws_path = tmp_path / "w.annotator"
    ws = Workspace.open(ws_path)
    rows = [
        case("all", judge="pass", raters={"alice": "fail", "bob": "fail"}),
        case("maj", judge="pass", raters={"alice": "fail", "bob": "fail", "carol": "pass"}),
        case("split", judge="pass", raters={"alice": "pass", "bob": "fail"}),
        case("agree", judge="pass", raters={"alice": "pass"}),
        case("one", judge="fail", raters={"bob": "pass"}),
    ]
    import_file(ws, write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    ws.close()
    return ws_path


def open_review(path: Path) -> tuple[Workspace, ReviewService]:
    ws = Workspace.open(path)
    return ws, ReviewService(ws, "rev")


def test_workspace_pragmas_and_version(path: Path) -> None:
    ws = Workspace.open(path)
    with ws.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA user_version")).scalar() == SCHEMA_VERSION
    ws.close()


def test_decision_survives_reopen(path: Path) -> None:
    ws, review = open_review(path)
    rid = review.row_id("all")
    assert rid is not None
    review.decide(
        rid,
        "fail",
        "Both raters saw the error.",
        tags=["judge missed fact"],
        confidence=Confidence.HIGH,
    )
    ws.close()  # nothing else: the decision was committed when it was made

    ws, review = open_review(path)
    detail = review.case(rid)
    assert detail.status is Status.DECIDED
    assert detail.decision is not None
    assert detail.decision.label == "fail"
    assert detail.decision.who_right is WhoRight.RATERS
    assert detail.decision.tags == ("judge missed fact",)
    assert detail.decision.confidence is Confidence.HIGH
    assert detail.decision.reviewer == "rev"
    assert review.progress().decided == 1
    ws.close()


def test_rationale_is_required(path: Path) -> None:
    ws, review = open_review(path)
    rid = review.row_id("all")
    assert rid is not None
    with pytest.raises(ReviewError, match="rationale"):
        review.decide(rid, "fail", "   ")
    with pytest.raises(ReviewError, match="not a label"):
        review.decide(rid, "maybe", "why")
    assert review.case(rid).status is Status.UNDECIDED
    ws.close()


def test_who_right_override_is_recorded(path: Path) -> None:
    ws, review = open_review(path)
    rid = review.row_id("split")
    assert rid is not None
    review.decide(rid, "pass", "r")
    derived = review.case(rid).decision
    assert derived is not None
    assert (derived.who_right, derived.who_right_overridden) == (WhoRight.BOTH, False)
    review.decide(rid, "pass", "r", who_right=WhoRight.JUDGE)
    overridden = review.case(rid).decision
    assert overridden is not None
    assert (overridden.who_right, overridden.who_right_overridden) == (WhoRight.JUDGE, True)
    ws.close()


def test_undo_and_redo_survive_reopen(path: Path) -> None:
    ws, review = open_review(path)
    a, b = review.row_id("all"), review.row_id("maj")
    assert a is not None and b is not None
    review.decide(a, "fail", "first")
    review.decide(b, "fail", "second")
    review.decide(a, "pass", "edited")  # editing a past decision
    ws.close()

    ws, review = open_review(path)
    change = review.undo()
    assert change is not None and change.ext_id == "all"
    first = review.case(a).decision
    assert first is not None and (first.label, first.rationale) == ("fail", "first")
    assert review.undo() is not None  # undo "second"
    assert review.case(b).status is Status.UNDECIDED
    assert review.redo() is not None
    second = review.case(b).decision
    assert second is not None and second.rationale == "second"
    # A new change drops what could still be redone.
    review.skip(review.row_id("split") or 0)
    assert review.redo() is None
    ws.close()


def test_skip_and_clear(path: Path) -> None:
    ws, review = open_review(path)
    rid = review.row_id("one")
    assert rid is not None
    review.skip(rid)
    assert review.case(rid).status is Status.SKIPPED
    review.decide(rid, "pass", "rater right")
    review.clear(rid)
    assert review.case(rid).status is Status.UNDECIDED
    review.undo()
    assert review.case(rid).status is Status.DECIDED
    assert review.progress().skipped == 0
    ws.close()


def test_queue_order_and_filters(path: Path) -> None:
    ws, review = open_review(path)
    order = [queue_rows(ws, [i])[i].ext_id for i in queue_ids(ws, QueueFilter())]
    assert order == ["all", "one", "maj", "split"]  # most raters against the judge first
    everything = queue_ids(ws, QueueFilter(kinds=None))
    assert len(everything) == 5

    def ids(**kw: object) -> list[str]:
        found = queue_ids(ws, QueueFilter(kinds=None, **kw))  # type: ignore[arg-type]
        return sorted(r.ext_id for r in queue_rows(ws, found).values())

    assert ids(rater="carol") == ["maj"]
    assert ids(text="ANSWER SPL") == ["split"]
    assert ids(text="%") == []  # LIKE wildcards are literal
    rid = review.row_id("agree")
    assert rid is not None
    review.decide(rid, "fail", "spot check", tags=["rater error"])
    assert ids(status=Status.DECIDED) == ["agree"]
    assert ids(tag="rater error") == ["agree"]
    assert ids(label="fail") == ["agree", "all", "maj", "one", "split"]
    by_id = queue_ids(ws, QueueFilter(kinds=None, sort=SortKey.ID, descending=True))
    assert [queue_rows(ws, [i])[i].ext_id for i in by_id][0] == "split"
    ws.close()


def test_threshold_change_reclassifies(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "s.annotator")
    import_file(ws, SAMPLE)
    review = ReviewService(ws)
    before = review.progress().total
    review.set_threshold("helpfulness", 0)
    assert review.progress().total > before
    review.set_threshold("helpfulness", 4)
    with ws.engine.connect() as conn:
        kinds = {
            r[0] for r in conn.execute(text("SELECT kind FROM cases WHERE criterion='helpfulness'"))
        }
    assert kinds <= {Kind.AGREEMENT.value, Kind.UNRATED.value}
    ws.close()


def test_newer_schema_is_refused(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(WorkspaceError, match="newer annotator"):
        Workspace.open(path)


def test_not_a_workspace_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.annotator"
    bogus.write_text("hello", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="not an annotator workspace"):
        Workspace.open(bogus)


def test_threshold_change_rederives_who_was_right(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "t.annotator")
    header = {"labels": [1, 2, 3, 4, 5], "ordinal": True, "threshold": 1}
    import_file(
        ws, write_jsonl(tmp_path / "s.jsonl", [case("a", judge="3", raters={"r": "5"})], header)
    )
    review = ReviewService(ws, "r")
    rid = review.row_id("a") or 0
    review.decide(rid, "4", "between")
    decision = review.case(rid).decision
    assert decision is not None and decision.who_right is WhoRight.BOTH  # 1 from each
    review.set_threshold("", 0)
    decision = review.case(rid).decision
    assert decision is not None and decision.who_right is WhoRight.NEITHER
    ws.close()


def test_a_decision_waits_for_another_writer(path: Path) -> None:
    """While a long write runs (an import, a reclassification), a decision waits, then lands."""
    import threading

    ws, review = open_review(path)
    rid = review.row_id("all") or 0
    other = sqlite3.connect(path, timeout=0, check_same_thread=False, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE scheme SET rubric = rubric || ''")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    review.decide(rid, "fail", "saved after the other writer finished")
    release.join()
    other.close()
    assert review.case(rid).status is Status.DECIDED
    ws.close()


def test_a_writer_that_holds_on_past_the_busy_timeout_is_workspace_busy(path: Path) -> None:
    """A write that cannot get the lock in time raises the app's own error, saves nothing,
    and the next one, once the lock is free, lands."""
    ws = Workspace.open(path, busy_seconds=0.05)
    review = ReviewService(ws, "rev")
    rid = review.row_id("all") or 0
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(WorkspaceBusy, match="locked"):
        review.decide(rid, "fail", "not yet")
    with pytest.raises(WorkspaceBusy):
        review.save_draft(rid, {"label": "fail"})
    other.execute("COMMIT")
    other.close()
    assert review.case(rid).status is Status.UNDECIDED and review.case(rid).draft is None
    review.decide(rid, "fail", "now")
    assert review.case(rid).status is Status.DECIDED
    ws.close()


def test_each_change_says_what_it_changed(path: Path) -> None:
    """What the window refreshes after a change is what the service says it touched."""
    ws, review = open_review(path)
    rid = review.row_id("all") or 0
    case_only = Changes(frozenset({rid}), counts=True, history=True)
    assert review.decide(rid, "fail", "Checked.", tags=["judge missed fact"]) == case_only
    with_tag = review.decide(rid, "fail", "Checked.", tags=["a tag never seen"])
    assert with_tag == Changes(frozenset({rid}), counts=True, history=True, vocabulary=True)
    assert review.skip(rid) == NOTHING  # decided: nothing to skip
    assert review.clear(rid) == case_only
    assert review.clear(rid) == NOTHING  # nothing left to clear
    change = review.undo()
    assert change is not None and change.changes == case_only
    assert review.set_threshold("", 1) == RECLASSIFIED
    assert case_only | RECLASSIFIED == Changes(
        frozenset({rid}), queue=True, counts=True, history=True
    )
    ws.close()


def test_tags_offered_grow_with_a_new_tag_and_a_draft_comes_with_its_case(path: Path) -> None:
    ws, review = open_review(path)
    offered = review.tags()
    assert "judge missed fact" in offered and "typo in rubric" not in offered
    rid, other = review.row_id("all"), review.row_id("maj")
    assert rid is not None and other is not None
    review.decide(rid, "fail", "Checked.", tags=["judge missed fact"])
    assert review.tags() == offered  # a known tag: nothing new
    review.decide(rid, "fail", "Checked.", tags=["typo in rubric", "judge missed fact"])
    grown = review.tags()
    assert sorted(grown) == sorted([*offered, "typo in rubric"])
    ws.close()
    ws, review = open_review(path)
    assert review.tags() == grown  # what was kept is what the workspace says, in its order

    assert review.case(other).draft is None
    review.save_draft(other, {"label": "fail", "rationale": "half"})
    assert review.case(other).draft == {"label": "fail", "rationale": "half"}
    assert review.case(rid).draft is None
    ws.close()
