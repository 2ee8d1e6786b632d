"""The queue's columns fit its width (ui/queue_columns.py): no sideways scroll at 1280x720 or
larger; Split and Criterion shown while there is room, Split given up first; the header's
right-click menu shows or hides any column whatever the width, kept for the next time."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, write_jsonl

pytestmark = pytest.mark.gui


def _shown(window: Any) -> list[str]:
    model, table = window.model, window.queue.table
    return [
        model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(model.columnCount())
        if not table.isColumnHidden(c)
    ]


def _fits(window: Any, qtbot: QtBot) -> None:
    """Every column shown ends inside the queue's viewport: nothing a sideways scroll away."""
    table = window.queue.table
    header = table.horizontalHeader()

    def inside() -> bool:
        last = max(
            header.sectionViewportPosition(c) + header.sectionSize(c)
            for c in range(header.count())
            if not header.isSectionHidden(c)
        )
        return last <= table.viewport().width() and not table.horizontalScrollBar().isVisible()

    qtbot.waitUntil(inside, timeout=5000)
    assert table.horizontalScrollBar().maximum() == 0


def _open(make_window: Any, qtbot: QtBot, size: tuple[int, int], path: Path = SAMPLE) -> Any:
    window = make_window(path)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10000)
    return window


def _choose(window: Any, title: str, on: bool) -> None:
    """Right-click the queue's header, then click the column's entry."""
    menu = window.queue.columns.menu()
    [action] = [a for a in menu.actions() if a.text() == title]
    assert action.isChecked() != on
    action.trigger()


BASE = ["Case", "Kind", "Judge", "Raters", "Final", "Status"]


def test_the_columns_fit_at_1280x720_and_larger(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    window = _open(make_window, qtbot, (1280, 720))
    _fits(window, qtbot)
    assert _shown(window) == BASE  # no room for Split and Criterion: in the header's menu
    window.grab().save(str(tmp_path / "queue_1280.png"))

    window.resize(1600, 1000)
    _fits(window, qtbot)
    assert _shown(window) == [*BASE, "Criterion"]  # Split given up first
    window.resize(1920, 1080)
    _fits(window, qtbot)
    assert _shown(window) == [*BASE, "Split", "Criterion"]


def test_the_header_menu_chooses_columns_and_they_are_kept(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    window = _open(make_window, qtbot, (1280, 720))
    header = window.queue.table.horizontalHeader()
    assert "right-click to choose the columns" in header.viewport().toolTip()
    entries = [(a.text(), a.isChecked()) for a in window.queue.columns.menu().actions() if a.text()]
    assert entries[:7] == [(t, t in BASE) for t in [*BASE[1:], "Split", "Criterion"]]

    _choose(window, "Criterion", True)
    _fits(window, qtbot)  # (chosen, it fits: Kind given up, the others narrower, cut)
    assert _shown(window) == ["Case", "Judge", "Raters", "Final", "Status", "Criterion"]
    window.grab().save(str(tmp_path / "queue_chosen.png"))
    window.close()

    again = _open(make_window, qtbot, (1920, 1080))  # the next time
    assert _shown(again) == [*BASE, "Split", "Criterion"]
    _choose(again, "Kind", False)
    _fits(again, qtbot)
    assert _shown(again) == ["Case", "Judge", "Raters", "Final", "Status", "Split", "Criterion"]
    again.resize(1280, 720)
    _fits(again, qtbot)
    assert _shown(again) == ["Case", "Judge", "Raters", "Final", "Status", "Criterion"]
    [forget] = [a for a in again.queue.columns.menu().actions() if "fit" in a.text()]
    assert forget.isEnabled()
    again.resize(1920, 1080)
    forget.trigger()
    _fits(again, qtbot)
    assert _shown(again) == [*BASE, "Split", "Criterion"]


def test_blind_first_leaves_room_for_split_and_criterion(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    pack = tmp_path / "sample.jsonl"
    shutil.copy(SAMPLE, pack)
    window = _open(make_window, qtbot, (1280, 720), pack)
    window.actions_by_id["blind_first"].trigger()  # View › Blind first
    qtbot.waitUntil(lambda: window.review.detail is not None and window.review.detail.blind)
    _fits(window, qtbot)
    assert _shown(window) == ["Case", "Final", "Status", "Split", "Criterion"]
    menu = {a.text(): a for a in window.queue.columns.menu().actions()}
    assert not menu["Kind"].isEnabled() and not menu["Judge"].isChecked()
    window.actions_by_id["blind_first"].trigger()
    _fits(window, qtbot)
    assert _shown(window) == BASE


def test_one_criterion_has_no_criterion_column(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    rows = [case(f"a-much-longer-case-id-{i:03d}") for i in range(40)]
    window = _open(
        make_window, qtbot, (1920, 1080), write_jsonl(tmp_path / "one.jsonl", rows, PASS_FAIL)
    )
    _fits(window, qtbot)
    assert _shown(window) == [*BASE, "Split"]
    window.resize(1280, 720)
    _fits(window, qtbot)  # (the long ids cut in the middle)
    assert _shown(window) == BASE
