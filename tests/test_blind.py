"""Blind-first review without the window: the first label and its reveal (saved at once,
undone together), the setting, and the seeded random queue order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.domain.model import Status
from annotator.formats.errors import FileRefused
from annotator.services.blind import BlindSettings, blind_settings, order_seed, set_blind
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import (
    MergeError,
    export_merged,
    merge_files,
    merge_into_workspace,
    merge_to_file,
    reviews_of,
)
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.review import ReviewError, ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path / "w.annotator")
    rows = [
        case(f"c{i:02d}", judge="pass", raters={"alice": "fail", "bob": "fail"}) for i in range(30)
    ]
    import_file(ws, write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    yield ws
    ws.close()


def clock() -> str:
    clock.n += 1  # type: ignore[attr-defined]
    return f"2026-01-01T00:00:{clock.n:02d}Z"  # type: ignore[attr-defined]


clock.n = 0  # type: ignore[attr-defined]


def test_blind_only_when_set_and_until_revealed(ws: Workspace) -> None:
    review = ReviewService(ws, "rev", clock=clock)
    rid = review.row_id("c00")
    assert rid is not None
    assert blind_settings(ws).blind_first is False
    assert review.case(rid).blind is False
    with pytest.raises(ReviewError, match="not shown blind"):
        review.reveal(rid, "pass")  # (no first label on a case seen with its verdicts)
    set_blind(ws, blind_first=True)
    detail = review.case(rid)
    assert detail.blind and detail.first is None
    review.reveal(rid, "PASS", expected=detail.version)  # canonical label
    detail = review.case(rid)
    assert not detail.blind
    assert detail.first is not None and detail.first.label == "pass"
    assert detail.first.reviewer == "rev" and detail.first.revealed_at
    assert detail.status == Status.UNDECIDED
    with pytest.raises(ReviewError):
        review.reveal(review.row_id("c01") or 0, "maybe")


def test_undo_takes_back_the_reveal_with_its_first_label(ws: Workspace) -> None:
    set_blind(ws, blind_first=True)
    review = ReviewService(ws, "rev", clock=clock)
    rid = review.row_id("c00")
    assert rid is not None
    review.reveal(rid, "pass")
    assert review.peek(undo=True) is not None and review.peek(undo=True).what == "reveal"
    # undo after the reveal, before deciding: blind again, no first label
    change = review.undo()
    assert change is not None and change.action == "reveal"
    detail = review.case(rid)
    assert detail.blind and detail.first is None
    review.redo()
    assert review.case(rid).first is not None
    # a decision after the reveal: undone alone
    review.decide(rid, "fail", "The raters are right.")
    review.undo()
    detail = review.case(rid)
    assert detail.decision is None and detail.first is not None and not detail.blind
    assert detail.first.label == "pass"
    review.undo()
    assert review.case(rid).first is None


def test_random_order_is_stable_and_per_reviewer(ws: Workspace, tmp_path: Path) -> None:
    natural = list(queue_ids(ws, QueueFilter()))
    seed_a, seed_b = order_seed(ws, "alice"), order_seed(ws, "bob")
    assert seed_a != seed_b
    a = list(queue_ids(ws, QueueFilter(seed=seed_a)))
    b = list(queue_ids(ws, QueueFilter(seed=seed_b)))
    assert sorted(a) == sorted(natural) == sorted(b)
    assert a != natural and a != b
    path = ws.path
    assert path is not None
    ws.close()
    again = Workspace.open(path)
    try:
        assert order_seed(again, "alice") == seed_a
        assert list(queue_ids(again, QueueFilter(seed=seed_a))) == a
    finally:
        again.close()


def blind_reviewer_file(pack: Path, folder: Path, reviewer: str) -> Path:
    """A reviewer of a blind-first pack: c00 revealed as pass then decided fail, c01 decided
    after revealing fail; exported."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(folder / f"{reviewer}.annotator")
    import_file(ws, pack)
    assert blind_settings(ws).blind_first  # (the pack's header set it)
    review = ReviewService(ws, reviewer, clock=clock)
    for cid, first, final in (("c00", "pass", "fail"), ("c01", "fail", "fail")):
        rid = review.row_id(cid) or 0
        with pytest.raises(ReviewError, match="blind first"):
            review.decide(rid, final, "too early")
        review.reveal(rid, first)
        review.decide(rid, final, f"{reviewer} on {cid}")
    out = folder / "decisions.jsonl"
    export_decisions(ws, out)
    ws.close()
    return out


def test_export_and_merge_carry_the_first_label(tmp_path: Path) -> None:
    rows = [case(f"c{i:02d}", judge="pass") for i in range(3)]
    pack = write_jsonl(tmp_path / "pack.jsonl", rows, {**PASS_FAIL, "blind_first": True})
    exported = blind_reviewer_file(pack, tmp_path / "ana", "ana")
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert by_id["c00"]["blind_label"] == "pass" and by_id["c00"]["label"] == "fail"
    assert by_id["c00"]["revealed_at"].startswith("2026-")
    assert by_id["c01"]["blind_label"] == "fail"

    out = tmp_path / "merged.jsonl"
    merge_to_file([exported], out)
    merged = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    review = merged["c00"]["reviews"][0]
    assert (review["blind_label"], review["revealed_at"]) == ("pass", by_id["c00"]["revealed_at"])

    lead = Workspace.open(tmp_path / "lead.annotator")
    try:
        import_file(lead, pack)
        merge_into_workspace(lead, [exported])
        rid = ReviewService(lead, "lead").row_id("c00") or 0
        with lead.engine.connect() as conn:
            stored = reviews_of(conn, rid)
        assert (stored[0].blind_label, stored[0].revealed_at) == (
            "pass",
            by_id["c00"]["revealed_at"],
        )
        again = tmp_path / "again.jsonl"
        export_merged(lead, again)
        line = {r["id"]: r for r in map(json.loads, again.read_text().splitlines())}["c00"]
        assert line["reviews"][0]["blind_label"] == "pass"
    finally:
        lead.close()


def test_a_non_blind_export_has_null_first_labels(ws: Workspace, tmp_path: Path) -> None:
    review = ReviewService(ws, "rev", clock=clock)
    review.decide(review.row_id("c00") or 0, "fail", "Raters right.")
    out = tmp_path / "d.jsonl"
    export_decisions(ws, out)
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["blind_label"] is None and line["revealed_at"] is None


@pytest.mark.parametrize(
    ("blind", "revealed", "problem"),
    [
        ("maybe", "2026-01-01T00:00:00Z", "the first label 'maybe' is not one of the labels"),
        (3, None, "'blind_label' must be a label or null"),
        (None, "2026-01-01T00:00:00Z", "a reveal needs a first label"),
    ],
)
def test_a_bad_first_label_is_refused_naming_the_line(
    tmp_path: Path, blind: object, revealed: object, problem: str
) -> None:
    rows = [case("c00", judge="pass")]
    pack = write_jsonl(tmp_path / "pack.jsonl", rows, {**PASS_FAIL, "blind_first": True})
    folder = tmp_path / "bo"
    folder.mkdir()
    ws = Workspace.open(folder / "bo.annotator")
    import_file(ws, pack)
    review = ReviewService(ws, "bo", clock=clock)
    rid = review.row_id("c00") or 0
    review.reveal(rid, "pass")
    review.decide(rid, "fail", "why")
    out = folder / "decisions.jsonl"
    export_decisions(ws, out)
    ws.close()
    record = json.loads(out.read_text())
    record["blind_label"], record["revealed_at"] = blind, revealed
    out.write_text(json.dumps(record) + "\n")
    with pytest.raises(MergeError, match="line 1") as refused:
        merge_files([out])
    assert problem in str(refused.value)


def test_the_header_sets_blind_first_and_random_order(tmp_path: Path) -> None:
    header = {**PASS_FAIL, "blind_first": True, "random_order": True}
    pack = write_jsonl(tmp_path / "p.jsonl", [case("c00")], header)
    ws = Workspace.open(tmp_path / "p.annotator")
    try:
        import_file(ws, pack)
        assert blind_settings(ws) == BlindSettings(True, True)
    finally:
        ws.close()
    bad = write_jsonl(tmp_path / "b.jsonl", [case("c00")], {**PASS_FAIL, "blind_first": "yes"})
    ws = Workspace.open(tmp_path / "b.annotator")
    try:
        with pytest.raises(FileRefused, match="'blind_first' must be true or false"):
            import_file(ws, bad)
    finally:
        ws.close()


def test_the_command_line_sets_and_shows_the_settings(ws: Workspace, capsys: Any) -> None:
    path = str(ws.path)
    ws.close()
    assert main(["blind", path]) == 0
    assert "blind first off; queue order most severe first" in capsys.readouterr().out
    assert main(["blind", path, "on", "--random-order", "on", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"blind_first": True, "random_order": True}
    assert main(["blind", path, "off"]) == 0
    assert "blind first off; queue order random, per reviewer" in capsys.readouterr().out
