"""Opening a workspace whose queue takes a while to read (a million cases): the case where the
reviewer resumes is shown at once, before the queue's rows are in; its row is selected when
they come, and moving on goes from it."""

from __future__ import annotations

import time
from array import array
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, QueueLoad, queue_ids, undecided_among
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from benchmarks.generate import write_project

pytestmark = pytest.mark.gui


class SlowLoad(QueueLoad):
    """A queue whose ids take a while after its first rows, as at a million cases."""

    def read_all(self, db: Any) -> array[int]:
        time.sleep(0.6)
        return super().read_all(db)


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    """A generated project with the first 30 cases of its queue decided."""
    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    write_project(tmp_path / "p.jsonl", 300, seed=5)
    import_file(ws, tmp_path / "p.jsonl")
    review = ReviewService(ws, "Dr Ada")
    for row_id in queue_ids(ws, QueueFilter())[:30]:
        label = review.case(row_id).scheme.labels[0]
        review.decide(row_id, label, "done")
    ws.close()
    return path


def _slow_window(make_window: Any) -> Any:
    window = make_window()
    window.model._loader = lambda ws, flt: SlowLoad(ws, flt, page=5)
    window.model._wait_all = 0.0
    return window


def _expected(path: Path) -> tuple[list[int], int]:
    ws = Workspace.open(path)
    try:
        ids = list(queue_ids(ws, QueueFilter()))
        open_ids = undecided_among(ws, ids)
    finally:
        ws.close()
    return ids, next(r for r, i in enumerate(ids) if i in open_ids)


def test_the_resumed_case_is_shown_before_the_rows_are_in(
    make_window: Any, qtbot: QtBot, ws_path: Path
) -> None:
    ids, row = _expected(ws_path)
    assert row >= 30
    window = _slow_window(make_window)
    window.open_path(ws_path)
    assert window.model.loading and window.model.rowCount() <= 5  # only the first rows
    assert window.review.detail.row_id == ids[row]  # shown already
    assert window.queue.current_id() is None  # (its row is not in yet; no other case shown)
    qtbot.waitUntil(lambda: window.queue.current_row() == row, timeout=10000)
    assert window.review.detail.row_id == ids[row]
    assert window.view._position.full_text() == f"{row + 1} / {len(ids)}"
    assert window.progress_bar.value() == 30
    table = window.queue.table  # its row in sight
    assert table.viewport().rect().contains(table.visualRect(window.model.index(row, 0)))
    window.actions_by_id["next"].trigger()
    assert window.review.detail.row_id == ids[row + 1]


def test_moving_on_before_the_rows_are_in_goes_from_the_case_shown(
    make_window: Any, qtbot: QtBot, ws_path: Path
) -> None:
    ids, row = _expected(ws_path)
    window = _slow_window(make_window)
    window.open_path(ws_path)
    assert window.model.loading
    window.actions_by_id["next"].trigger()  # waits for the rows, then moves on from the case
    assert window.queue.current_row() == row + 1
    assert window.review.detail.row_id == ids[row + 1]


@pytest.fixture
def counted_late(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large workspace (every size counts as one), whose progress takes a while to count."""
    from annotator.ui import case_flow

    monkeypatch.setattr(case_flow, "COUNT_LATER", 0)
    count = ReviewService.progress

    def slow(self: ReviewService, include_agreements: bool = False) -> Any:
        time.sleep(0.5)
        return count(self, include_agreements)

    monkeypatch.setattr(ReviewService, "progress", slow)


@pytest.mark.usefixtures("counted_late")
def test_the_case_is_shown_before_the_progress_is_counted(
    make_window: Any, qtbot: QtBot, ws_path: Path
) -> None:
    ids, row = _expected(ws_path)
    window = make_window()
    window.counts.setText("12 left · 40 cases in all")  # (another workspace's, say)
    window.open_path(ws_path)
    assert window.review.detail.row_id == ids[row]  # shown already
    assert window.counts.text() == "" and window.progress_bar.text() == ""  # none of the last
    qtbot.waitUntil(lambda: window.progress_bar.value() == 30, timeout=10000)
    assert window.progress_bar.text() == f"30 of {len(ids)} decided"
    assert window.counts.text() == f"{len(ids) - 30} left · 300 cases in all"


@pytest.mark.usefixtures("counted_late")
def test_counts_from_opening_never_replace_newer_ones(
    make_window: Any, qtbot: QtBot, ws_path: Path
) -> None:
    window = make_window()
    window.open_path(ws_path)
    window.panel.choose_label_number(1)
    window.panel.rationale.setPlainText("decided before the counts came")
    window.review.save_and_next()  # counted again (slowly: in the GUI thread, 0.5 s)
    assert window.progress_bar.value() == 31
    qtbot.wait(800)  # the counts from opening have come meanwhile, and were dropped
    assert window.progress_bar.value() == 31


def test_big_counts_read_with_their_thousands_apart(make_window: Any) -> None:
    """At a million cases the status bar's counts are read at a glance: "341,857 left", not
    "341857 left" (the progress dialogs write them so too)."""
    from annotator.services.review import Progress

    window = make_window()
    window.review.progressChanged.emit(
        Progress(total=441_857, decided=100_000, skipped=1_234, all_cases=1_000_000, all_decided=0)
    )
    assert window.progress_bar.text() == "100,000 of 441,857 decided"
    assert window.counts.text() == "341,857 left · 1,234 skipped · 1,000,000 cases in all"


def test_the_case_says_where_it_is_with_thousands_apart(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    """The case's place in a long queue: "1,203 / 2,468", not "1203 / 2468"."""
    path = tmp_path / "big.annotator"
    ws = Workspace.open(path)
    write_project(tmp_path / "big.jsonl", 6000, seed=5)
    import_file(ws, tmp_path / "big.jsonl")
    total = len(queue_ids(ws, QueueFilter()))
    ws.close()
    assert total > 1203
    window = make_window(path)
    window.model.wait_until_loaded()
    window.queue.select_row(1202)
    qtbot.waitUntil(lambda: window.view._position.full_text() == f"1,203 / {total:,}")
