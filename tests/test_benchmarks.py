"""The benchmark suite's own pieces: what it generates and writes is what the app would.

The suite's timings are only as honest as its data: projects must be the same for the same
seed, the decisions written in bulk must read back as decisions made in the window, and the
reviewer files must be labelled files that ``annotator merge`` accepts.
"""

from __future__ import annotations

import json
from pathlib import Path

from annotator.domain.model import Status
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import merge_files
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from benchmarks.generate import RARE_WORD, ensure_project
from benchmarks.measure import Figure
from benchmarks.reviewers import ensure_reviewer_files
from benchmarks.setup import decide_share, rationale

CASES = 400


def test_projects_are_the_same_for_the_same_seed(tmp_path: Path) -> None:
    a = ensure_project(tmp_path / "a", CASES, seed=3)
    b = ensure_project(tmp_path / "b", CASES, seed=3)
    c = ensure_project(tmp_path / "c", CASES, seed=4)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    lines = a.read_text(encoding="utf-8").splitlines()
    assert len(lines) == CASES + 1  # the header, then the cases
    cases = [json.loads(x) for x in lines[1:]]
    assert {c["criterion"] for c in cases} == {"correctness", "helpfulness", "preference"}
    assert all(len(c["ratings"]) == 3 for c in cases)
    text = sum(len(c["input"]) + len(c.get("output", "")) for c in cases) / CASES
    assert 600 < text < 1600  # about a kilobyte of text per case
    assert sum(RARE_WORD in c["input"] for c in cases) == 1  # one in 1,000: case 7
    again = ensure_project(tmp_path / "a", CASES, seed=3)  # reused, not made again
    assert again.stat().st_mtime_ns == a.stat().st_mtime_ns


def test_bulk_decisions_read_back_like_the_windows(tmp_path: Path) -> None:
    ws_path = tmp_path / "w.annotator"
    ws = Workspace.open(ws_path)
    import_file(ws, ensure_project(tmp_path, CASES, seed=1))
    ws.close()
    assert decide_share(ws_path, 0.1) == CASES // 10
    assert decide_share(ws_path, 0.1) == CASES // 10  # already done: nothing more
    ws = Workspace.open(ws_path)
    review = ReviewService(ws, "someone")
    everything = queue_ids(ws, QueueFilter(kinds=None))
    first = review.case(everything[0])
    assert first.status is Status.DECIDED and first.decision is not None
    assert first.decision.rationale == rationale(0)
    assert first.decision.label in first.scheme.labels
    assert review.case(everything[CASES // 10]).status is Status.UNDECIDED
    assert review.progress(include_agreements=True).all_decided == CASES // 10
    assert review.undo() is not None  # the history reads back too
    out = tmp_path / "d.jsonl"
    assert export_decisions(ws, out) == CASES // 10 - 1
    ws.close()


def test_reviewer_files_merge_with_the_planned_conflicts(tmp_path: Path) -> None:
    ws_path = tmp_path / "w.annotator"
    ws = Workspace.open(ws_path)
    import_file(ws, ensure_project(tmp_path, CASES, seed=1))
    ws.close()
    files = ensure_reviewer_files(tmp_path / "rev", ws_path, 4, 0.1, seed=2)
    assert len(files.paths) == 4 and files.decisions == CASES
    assert 0 < files.conflicts < CASES
    ws = Workspace.open(ws_path)
    cases, report = merge_files(files.paths, tmp_path / "merged.jsonl", against=ws)
    ws.close()
    assert report.cases == CASES
    assert report.conflicts == files.conflicts


def test_figures_say_pass_or_by_how_much_they_miss() -> None:
    assert Figure("g", "x", "s", [1.0, 3.0, 2.0], target=2.5).verdict() == "pass"
    missed = Figure("g", "x", "ms", [0.03, 0.05], target=0.016)
    assert missed.verdict() == "**miss** (2.5× the target)"
    assert missed.cells()[1] == "30 ms – 50 ms (2 runs)"
    assert Figure("g", "x", "s", available=False).cells()[0] == "not available"


def test_the_lock_watch_sees_a_write_lock_held_and_none_while_only_reading(
    tmp_path: Path,
) -> None:
    """The judge-run step's watcher: what it reports is a lock another program held."""
    import sqlite3
    import time

    from benchmarks.judge_runs import POLL, LockWatch

    path = tmp_path / "w.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x)")
    with LockWatch(path) as watch:
        db.execute("SELECT * FROM t").fetchall()
        time.sleep(POLL * 10)
    assert watch.longest == 0
    with LockWatch(path) as watch:
        db.execute("BEGIN IMMEDIATE")
        time.sleep(POLL * 20)
        db.execute("COMMIT")
    assert watch.longest > 0
    db.close()
