"""File > Export calibration pack...: the window writes the same pack as ``annotator
calibrate`` (docs/alignment.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.services.calibration import DEFAULT_EXAMPLES, FILES
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE

pytestmark = pytest.mark.gui


def test_export_calibration_pack_from_the_file_menu(
    make_window: Any, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog, QMenu, QPushButton

    from annotator.ui.calibration_dialog import CalibrationDialog

    ws_path = tmp_path / "s.annotator"
    ws = Workspace.open(ws_path)
    import_file(ws, SAMPLE)
    review = ReviewService(ws, "expert")
    for cid in ("faith-001", "faith-002", "help-001", "pref-001"):
        row = review.row_id(cid) or 0
        review.decide(row, review.case(row).scheme.labels[0], f"critique of {cid}")
    ws.close()

    window = make_window(ws_path)
    action = window.actions_by_id["calibrate"]
    assert action.isEnabled()
    # (the menus by their titles: PySide6 6.6 hands QAction.menu() back as a wrapper of
    # an object it has already let go of)
    file_menu = next(m for m in window.menuBar().findChildren(QMenu) if "File" in m.title())
    assert action in file_menu.actions()
    out = tmp_path / "pack"
    action.trigger()
    dialog = window.findChild(CalibrationDialog)
    assert dialog is not None and dialog.isVisible()
    # The project's split, read only, and the four files; examples per criterion at first 8.
    assert dialog.examples.value() == DEFAULT_EXAMPLES == 8
    assert dialog.split.text() == "50% of the decided cases held out, seed 0"
    assert "File › Held-out split…" in dialog.split.toolTip()
    assert [line.split(":")[0] for line in dialog.files.text().splitlines()] == list(FILES)
    assert "up to 8 decided examples" in dialog.files.text()
    dialog.grab().save(str(tmp_path / "calibration_dialog.png"))
    size = dialog.sizeHint()
    assert size.width() <= 1280 and size.height() <= 720
    # Browse picks a folder; typed with the keyboard: the examples, then Enter exports.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    next(b for b in dialog.findChildren(QPushButton) if "Browse" in b.text()).click()
    assert dialog.folder.text() == str(out)
    dialog.examples.setFocus()
    dialog.examples.selectAll()
    qtbot.keyClicks(dialog.examples, "1")
    assert "up to 1 decided examples" in dialog.files.text()
    qtbot.keyClick(dialog.examples, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert "Wrote a calibration pack" in window.statusBar().currentMessage()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["decided"] == 4
    parts = manifest["ids"]
    assert sorted(parts["examples_part"] + parts["heldout"]) == sorted(
        ["faith-001", "faith-002", "help-001", "pref-001"]
    )
    assert (out / "prompt.md").read_text(encoding="utf-8").startswith("# Calibration pack: ")
    assert manifest["examples_per_criterion"] == 1
    # The choice is remembered: the next time the dialog offers 1, and says the files are
    # there and will be replaced.
    assert window.settings.calibration_examples == 1
    action.trigger()
    again = next(d for d in window.findChildren(CalibrationDialog) if d.isVisible())
    assert again.examples.value() == 1
    again.folder.setText(str(out))
    assert again.replaces.isVisibleTo(again) and "prompt.md" in again.replaces.text()
    again.folder.setText("")
    assert not again.export.isEnabled()
    again.reject()
