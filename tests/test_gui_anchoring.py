"""The Agreement page's Anchoring tab: the figures of the blind-first decisions, and a click
on a reviewer's switches to the judge opens exactly those cases as the queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from annotator.services.blind import set_blind
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
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


def _blind_reviewer_file(pack: Path, folder: Path, reviewer: str, labels: dict[str, str]) -> Path:
    """A reviewer's labelled file, reviewed blind first: "fail" first on every case (the
    judge says "pass" on all), then the final label of ``labels``."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(folder / f"{reviewer}.annotator")
    import_file(ws, pack)
    set_blind(ws, blind_first=True)
    review = ReviewService(ws, reviewer)
    for cid, label in labels.items():
        row_id = review.row_id(cid) or 0
        review.reveal(row_id, "fail")
        review.decide(row_id, label, f"{reviewer} on {cid}")
    out = folder / "decisions.jsonl"
    export_decisions(ws, out)
    ws.close()
    return out


def test_a_click_opens_the_cases_a_reviewer_switched_to_the_judge_on(
    make_window, qtbot: QtBot, pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.ui import main_window

    # ana and ben review blind first; cai does not. ana then takes "pass" (the judge's label)
    # on c3, c4, c6; ben on c2, c6.
    files = [
        _blind_reviewer_file(pack, tmp_path / "ana", "ana", REVIEW_PLAN["ana"]),
        _blind_reviewer_file(pack, tmp_path / "ben", "ben", REVIEW_PLAN["ben"]),
        reviewer_file(pack, tmp_path / "cai", "cai", REVIEW_PLAN["cai"]),
    ]
    window = make_window(pack, reviewer="Lead Lee")
    page = _page(window, qtbot)
    lines = "\n".join(label.text() for label in page.anchoring.findChildren(QLabel))
    assert "No blind-first decisions" in lines and "View › Blind first" in lines
    assert not page.anchoring.findChildren(QTableWidget)
    page.close()

    window.files.merge(files)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
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
    anyone = next(b for t, b in buttons.items() if t.startswith("everyone: 5 case(s)"))
    page.grab().save(str(tmp_path / "anchoring.png"))

    qtbot.mouseClick(ana, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.model.loading, timeout=10000)
    assert _listed(window) == {"c3", "c4", "c6"}
    assert window.queue.reviews.currentText() == "ana switched to the judge after the reveal"

    qtbot.mouseClick(anyone, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.model.loading, timeout=10000)
    assert _listed(window) == {"c2", "c3", "c4", "c6"}

    # The window's summary (File > Summary and agreement...) has the section too.
    shown: list[str] = []
    monkeypatch.setattr(main_window.dialogs, "show_text", lambda _p, _t, text: shown.append(text))
    window.show_summary()
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "Anchoring" in shown[0] and "changed after the reveal" in shown[0]


def test_many_reviewers_switches_wrap_within_the_page(
    make_window, qtbot: QtBot, pack: Path, tmp_path: Path
) -> None:
    """Twelve blind-first reviewers with long names: their "switched to the judge" buttons
    wrap onto more lines, so the Anchoring tab never scrolls sideways at 1280 px."""
    names = [f"Dr. Reviewer {n:02d} of the calibration panel" for n in range(12)]
    files = [
        _blind_reviewer_file(pack, tmp_path / f"r{n}", name, REVIEW_PLAN["ana"])
        for n, name in enumerate(names)
    ]
    window = make_window(pack, reviewer="Lead Lee")
    window.files.merge(files)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    page = _page(window, qtbot)
    page.resize(1280, 720)
    qtbot.waitUntil(lambda: page.anchoring.widget().width() > 0)
    buttons = [b for b in page.anchoring.findChildren(QPushButton) if "case(s)" in b.text()]
    assert len(buttons) == 13  # each reviewer, and everyone
    # (laid out again once the vertical scroll bar has come: then no sideways one)
    qtbot.waitUntil(lambda: not page.anchoring.horizontalScrollBar().isVisible())
    right = page.anchoring.viewport().width()
    assert all(b.geometry().right() <= right for b in buttons)
    assert len({b.geometry().top() for b in buttons}) > 1  # on more than one line
