"""File > Export calibration pack...: the window writes the same pack as ``annotator
calibrate`` (docs/alignment.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE

pytestmark = pytest.mark.gui


def test_export_calibration_pack_from_the_file_menu(
    make_window: Any, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog, QMenu

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
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    action.trigger()
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert "Wrote a calibration pack" in window.statusBar().currentMessage()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["decided"] == 4
    parts = manifest["ids"]
    assert sorted(parts["examples_part"] + parts["heldout"]) == sorted(
        ["faith-001", "faith-002", "help-001", "pref-001"]
    )
    assert (out / "prompt.md").read_text(encoding="utf-8").startswith("# Calibration pack: ")
