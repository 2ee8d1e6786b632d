"""The queue read in two steps (first rows, then all) gives the plain query's answer.

``QueueLoad`` reads the first rows with a different form of the same condition (each case
checked as the queue index is walked) and may stop it early; ``first_undecided`` walks the
queue for where a reviewer resumes. Both must agree with ``queue_ids`` on every filter, and the
window's model must show the same rows whether they came at once or in two steps.
"""

from __future__ import annotations

import random
import time
from array import array
from dataclasses import replace
from typing import Any

import pytest

from annotator.domain.model import Kind, Status
from annotator.services.importer import import_file
from annotator.services.queue import (
    QueueFilter,
    QueueLoad,
    QueueLoadInterrupted,
    SortKey,
    first_undecided,
    queue_ids,
    undecided_among,
)
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl

HEADER = {
    "criteria": {
        "grade": {"labels": ["fail", "pass"]},
        "score": {"labels": ["1", "2", "3", "4", "5"], "ordinal": True},
    }
}
WORDS = ["dose", "refund", "Straße", "café", "zebra", "the", "ov"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    tmp = tmp_path_factory.mktemp("load")
    rng = random.Random(5)
    rows = []
    for i in range(400):
        crit = "grade" if i % 3 else "score"
        labels = ["fail", "pass"] if crit == "grade" else ["1", "2", "3", "4", "5"]
        raters = {f"r{j}": rng.choice(labels) for j in range(rng.randint(0, 3))}
        words = " ".join(rng.sample(WORDS, 2))
        rows.append(
            case(
                f"c{i:03d}",
                judge=rng.choice(labels),
                raters=raters,
                criterion=crit,
                input=f"question {i}: {words}",
            )  # fmt: skip
        )
    w = Workspace.open(tmp / "q.annotator")
    import_file(w, write_jsonl(tmp / "q.jsonl", rows, HEADER))
    review = ReviewService(w, "rev")
    everything = list(queue_ids(w, QueueFilter(kinds=None)))
    for n, row_id in enumerate(everything[:60]):
        label = review.case(row_id).scheme.labels[0]
        review.decide(row_id, label, f"Checked the Straße dose, note {n}", tags=["odd"] * (n % 2))
    return w


FILTERS = [
    QueueFilter(),
    QueueFilter(kinds=None),
    QueueFilter(kinds=frozenset({Kind.AGREEMENT})),
    QueueFilter(status=Status.UNDECIDED),
    QueueFilter(kinds=None, status=Status.DECIDED),
    QueueFilter(criterion="score"),
    QueueFilter(kinds=None, label="fail"),
    QueueFilter(kinds=None, label="3"),
    QueueFilter(kinds=None, label="nowhere"),
    QueueFilter(kinds=None, rater="r1"),
    QueueFilter(kinds=None, tag="odd"),
    QueueFilter(kinds=None, text="dose"),
    QueueFilter(kinds=None, text="STRASSE"),
    QueueFilter(kinds=None, text="ov"),
    QueueFilter(kinds=None, text="note 1"),
    QueueFilter(kinds=None, text="zebra dose"),
    QueueFilter(kinds=None, text="c01"),
    QueueFilter(kinds=None, text="nothing like it"),
    QueueFilter(kinds=None, sort=SortKey.ID, descending=True),
    QueueFilter(kinds=None, sort=SortKey.FINAL),
    QueueFilter(label="pass", rater="r0", sort=SortKey.JUDGE, text="the"),
    QueueFilter(criterion="grade", label="fail", sort=SortKey.STATUS, descending=True),
]


@pytest.mark.parametrize("flt", FILTERS)
@pytest.mark.parametrize("page", [1, 7, 1000])
def test_first_rows_then_all_are_the_plain_answer(ws: Workspace, flt: QueueFilter, page: int):
    expected = queue_ids(ws, flt)
    firsts: list[array[int]] = []
    got = QueueLoad(ws, flt, page=page).run(firsts.append)
    assert got == expected
    assert len(firsts) <= 1
    if firsts:
        head = firsts[0]
        assert 0 < len(head) <= page and head == expected[: len(head)]
        assert len(expected) > len(head)


@pytest.mark.parametrize("flt", FILTERS)
def test_first_rows_cut_short_still_end_with_every_row(ws: Workspace, flt: QueueFilter):
    # page_seconds 0: the first rows always run out of time
    assert QueueLoad(ws, flt, page=5, page_seconds=0.0).run() == queue_ids(ws, flt)


def test_interrupted_load_raises(ws: Workspace) -> None:
    load = QueueLoad(ws, QueueFilter(kinds=None))
    load.interrupt()
    with pytest.raises(QueueLoadInterrupted):
        load.run()


@pytest.mark.parametrize("flt", FILTERS)
def test_first_undecided_is_the_first_open_case_of_the_queue(ws: Workspace, flt: QueueFilter):
    ids = queue_ids(ws, flt)
    undecided = queue_ids(ws, replace(flt, status=Status.UNDECIDED))
    skipped = queue_ids(ws, replace(flt, status=Status.SKIPPED))
    open_ids = set(undecided) | set(skipped)
    expected = next((i for i in ids if i in open_ids), None)
    assert first_undecided(ws, flt) == expected


@pytest.mark.gui
def test_the_model_shows_the_same_rows_in_two_steps(ws: Workspace, qtbot) -> None:
    from annotator.ui.queue_model import QueueModel

    class SlowLoad(QueueLoad):
        """Reads all the ids slowly: the first rows come well before them."""

        def read_all(self, db: Any) -> array[int]:
            time.sleep(0.3)
            return super().read_all(db)

    model = QueueModel()
    model.set_workspace(ws, QueueFilter(kinds=None))
    assert model.rowCount() == len(queue_ids(ws, QueueFilter(kinds=None)))
    # Slow reads: set_filter returns with the first rows, the rest follows.
    model = QueueModel(loader=lambda ws, flt: SlowLoad(ws, flt, page=10), wait_all=0.0)
    model.set_workspace(ws, QueueFilter(kinds=None))
    flt = QueueFilter(kinds=None, label="fail")
    expected = queue_ids(ws, flt)
    with qtbot.waitSignal(model.rowsReady, timeout=5000):
        model.set_filter(flt, wait=0.0)
        assert model.loading and 0 < model.rowCount() <= 10
        assert [model.id_at(r) for r in range(model.rowCount())] == list(
            expected[: model.rowCount()]
        )
    assert not model.loading
    assert [model.id_at(r) for r in range(model.rowCount())] == list(expected)
    # A row the model has not read yet is found once everything is in.
    assert model.find_undecided(0) == next(
        r for r, i in enumerate(expected) if i in set(queue_ids(ws, replace(
            flt, status=Status.UNDECIDED)))
    )  # fmt: skip
    # "Next undecided" among the first rows does not wait for the rest.
    with qtbot.waitSignal(model.rowsReady, timeout=5000):
        model.set_filter(QueueFilter(kinds=None, sort=SortKey.ID, descending=True), wait=0.0)
        head = [model.id_at(r) for r in range(model.rowCount())]
        open_ids = undecided_among(ws, [i for i in head if i is not None])
        assert model.loading and open_ids, "the test wants an open case among the first rows"
        want = next(r for r, i in enumerate(head) if i in open_ids)
        assert model.find_undecided(1 if want > 0 else 0) == want
        assert model.loading
