"""The case shown is read in one statement (``storage/shown.py``): what changes in the workspace
between two showings (a judge run added, a rubric edited, the split changed, a case
revealed, a draft kept, reviewers' decisions merged) is what the case view shows next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.domain.split import Part
from annotator.services import rubrics
from annotator.services.blind import set_blind
from annotator.services.importer import import_file
from annotator.services.judge_runs import add_run
from annotator.services.review import ReviewError, ReviewService
from annotator.services.split import SplitSettings, set_split_settings
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE

RUN2 = SAMPLE.with_name("judge-run-2.jsonl")
"""The sample's second judge run."""


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    """The sample, imported."""
    ws = Workspace.open(tmp_path / "sample.annotator")
    try:
        import_file(ws, SAMPLE)
    finally:
        ws.close()
    return tmp_path / "sample.annotator"


def test_the_service_reads_each_change_of_the_case_and_the_project(ws_path: Path) -> None:
    ws = Workspace.open(ws_path)
    review = ReviewService(ws, "Dr Ada")
    row = review.row_id("faith-001") or 0
    first = review.case(row)
    assert (first.decision, first.draft, first.first, first.blind) == (None, None, None, False)
    assert not first.other_runs and first.part is None and first.rubric_version == 1

    review.save_draft(row, {"label": "fail"})
    assert review.case(row).draft == {"label": "fail"}

    review.decide(row, "fail", "Not in the leaflet.")
    decided = review.case(row)
    assert decided.decision is not None and decided.decision.label == "fail"
    assert decided.version != first.version and decided.part is not None

    for fraction, part in ((1.0, Part.HELDOUT), (0.0, Part.EXAMPLES)):
        set_split_settings(ws, SplitSettings(fraction, 7))
        assert review.case(row).part is part

    rubrics.edit(ws, decided.case.criterion, note="stricter", author="lead", rubric="New rubric.")
    stale = review.case(row)
    assert (stale.rubric_version, stale.stale_rubric) == (2, 1)

    add_run(ws, RUN2, "prompt v2")
    assert review.case(row).other_runs

    other = review.row_id("faith-002") or 0
    set_blind(ws, blind_first=True)
    assert review.case(other).blind and review.case(other).first is None
    review.reveal(other, "pass")
    revealed = review.case(other)
    assert not revealed.blind and revealed.first is not None
    assert (revealed.first.label, revealed.first.reviewer) == ("pass", "Dr Ada")
    assert not review.case(row).blind  # decided: never blind

    with pytest.raises(ReviewError, match="no case with row id"):
        review.case(10**9)
    ws.close()


def _pills(window: Any) -> list[str]:
    return [p.text() for p in window.view._pills._pills if p.isVisible()]


def _verdict_names(window: Any) -> list[str]:
    from annotator.ui.case_cards import VerdictCard

    grid = window.view._verdicts
    cards = [c for c in grid._cards if isinstance(c, VerdictCard) and c.isVisible()]
    return [c.name.full_text() for c in cards]


@pytest.mark.gui
def test_the_case_view_shows_what_changed_when_the_case_is_shown_again(
    make_window: Any, qtbot: QtBot, ws_path: Path
) -> None:
    window = make_window(ws_path)
    review = window.review
    service = review.service
    row = service.row_id("faith-001")
    service.decide(row, "fail", "Not in the leaflet.")
    review.show(row)
    assert "decided" in _pills(window) and _verdict_names(window)[0] == "Judge"

    add_run(window.ws, RUN2, "prompt v2")
    review.show(row)
    assert any("prompt v2" in name for name in _verdict_names(window))

    criterion = review.detail.case.criterion
    rubrics.edit(window.ws, criterion, note="stricter", author="lead", rubric="New rubric.")
    review.show(row)
    assert "decided under v1; rubric now v2" in _pills(window)

    set_split_settings(window.ws, SplitSettings(1.0, 3))
    review.show(row)
    held = _pills(window)
    set_split_settings(window.ws, SplitSettings(0.0, 3))
    review.show(row)
    assert held != _pills(window)  # the split pill moved from one part to the other

    other = service.row_id("faith-002")
    set_blind(window.ws, blind_first=True)
    review.show(other)
    assert window.view._blind_note.isVisible() and not window.view._who.isVisible()
    service.reveal(other, "pass")
    review.show(other)
    assert not window.view._blind_note.isVisible() and window.view._who.isVisible()
