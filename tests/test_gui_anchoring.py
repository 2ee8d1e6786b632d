"""The Agreement page's Anchoring tab: the figures of the blind-first decisions, and a click
on a reviewer's switches to the judge opens exactly those cases as the queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from annotator.storage.db import writing
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl

pytestmark = pytest.mark.gui


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)


def _listed(window) -> set[str]:  # type: ignore[no-untyped-def]
    model = window.model
    return {model.data(model.index(r, 0)) for r in range(model.rowCount())}


def _page(window, qtbot: QtBot):  # type: ignore[no-untyped-def]
    window.agreement_page = None
    window.actions_by_id["agreement"].trigger()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=20000)
    page = window.agreement_page
    page.tabs.setCurrentWidget(page.anchoring)
    return page


def test_a_click_opens_the_cases_a_reviewer_switched_to_the_judge_on(
    make_window, qtbot: QtBot, pack: Path, tmp_path: Path
) -> None:
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    window = make_window(pack, reviewer="Lead Lee")
    page = _page(window, qtbot)
    lines = "\n".join(label.text() for label in page.anchoring.findChildren(QLabel))
    assert "No blind-first decisions" in lines and "View › Blind first" in lines
    assert not page.anchoring.findChildren(QTableWidget)
    page.close()

    window.files.merge(files)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    # ana and ben said "fail" first on every case they decided (as their merged files record
    # it); the judge says "pass" everywhere. ana then took "pass" on c3, c4, c6; ben on c2, c6.
    assert window.ws is not None
    with writing(window.ws.engine) as conn:
        conn.execute(
            text(
                "UPDATE review SET blind_label = 'fail', revealed_at = '2026-01-01T00:00:00Z' "
                "WHERE reviewer IN ('ana', 'ben')"
            )
        )
    page = _page(window, qtbot)
    table = page.anchoring.findChild(QTableWidget)
    assert table is not None
    cells = [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]
    assert cells[0][:3] == ["changed after the reveal", "ana", "60.0%"]
    assert cells[0][4:] == ["5", "3"]
    buttons = {b.text(): b for b in page.anchoring.findChildren(QPushButton)}
    ana = next(b for t, b in buttons.items() if t.startswith("ana: 3 case(s)"))
    anyone = next(b for t, b in buttons.items() if t.startswith("anyone: 5 case"))
    page.grab().save(str(tmp_path / "anchoring.png"))

    qtbot.mouseClick(ana, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.model.loading, timeout=10000)
    assert _listed(window) == {"c3", "c4", "c6"}
    assert window.queue.reviews.currentText() == "ana switched to the judge after the reveal"

    qtbot.mouseClick(anyone, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.model.loading, timeout=10000)
    assert _listed(window) == {"c2", "c3", "c4", "c6"}
