"""The export dialog's "With the source records" box: ticked, the file is the source's records
with the decisions, in the source's format; the choice is remembered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.ui.export_dialog import ExportDialog
from tests.helpers import PASS_FAIL, case

pytestmark = pytest.mark.gui


def test_ticking_the_box_writes_the_source_records_with_the_decisions(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    source = tmp_path / "cases.json"
    items = [{"project": PASS_FAIL}] + [case(f"c{i}", note=f"kept {i}") for i in range(1, 4)]
    source.write_text(json.dumps(items, indent=2), encoding="utf-8")
    window = make_window(source)
    ws = window.files.current()
    review = ReviewService(ws, "Dr Test")
    review.decide(review.row_id("c2") or 0, "fail", "The raters are right.")
    (tmp_path / "out").mkdir()
    window.settings.export_dir = str(tmp_path / "out")

    dialog = window.files.choose_and_export()
    assert isinstance(dialog, ExportDialog) and dialog.isVisible()
    assert not dialog.with_source.isChecked()
    assert dialog.selectedNameFilter() == "JSON Lines (*.jsonl)"
    dialog.grab().save(str(tmp_path / "dialog.png"))
    qtbot.mouseClick(dialog.with_source, Qt.MouseButton.LeftButton)
    assert dialog.with_source.isChecked()
    assert dialog.nameFilters() == ["JSON array (*.json)"]  # the source's format
    dialog.accept()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)

    out = tmp_path / "out" / "Test-project-decisions-Dr-Test.json"  # (the reviewer: Dr Test)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written[0] == {"project": PASS_FAIL}
    assert [item["id"] for item in written[1:]] == ["c2"]
    assert written[1]["note"] == "kept 2"
    assert written[1]["annotator"]["label"] == "fail"
    assert written[1]["annotator"]["rationale"] == "The raters are right."
    assert out.read_text(encoding="utf-8").startswith('[\n  {"project"')  # pretty, as it was
    assert "with their source records" in window.statusBar().currentMessage()

    # Remembered: the next export offers the box ticked.
    assert window.settings.export_with_source
    again = window.files.choose_and_export()
    assert again is not None and again.with_source.isChecked()
    again.reject()


def test_the_box_is_off_saying_why_when_the_files_cannot_share_one(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    from tests.test_hostile_gui import _tip_ok

    first = tmp_path / "<b>one&.jsonl"
    first.write_text(json.dumps(case("c1")) + "\n", encoding="utf-8")
    second = tmp_path / "two.csv"
    second.write_text("id,input,judge\nc2,q,pass\n", encoding="utf-8")
    window = make_window(first)
    ws = window.files.current()
    import_file(ws, second)
    window.settings.export_with_source = True

    dialog = window.files.choose_and_export()
    assert dialog is not None
    assert not dialog.with_source.isEnabled() and not dialog.with_source.isChecked()
    tip = dialog.with_source.toolTip()
    assert _tip_ok(tip) and "&lt;b&gt;one&amp;.jsonl (JSON Lines), two.csv (CSV)" in tip
    assert dialog.nameFilters() == ["JSON Lines (*.jsonl)", "CSV (*.csv)"]
    dialog.reject()
