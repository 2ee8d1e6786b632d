"""Test setup: Qt offscreen, and every app folder redirected away from the real user's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Keep the user's data, config and settings out of every test."""
    base = tmp_path_factory.mktemp("basedir")
    monkeypatch.setenv("ANNOTATOR_BASEDIR", str(base))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(base / var.lower()))
    return base


@pytest.fixture
def make_window(qtbot: Any) -> Any:
    """Build the main window (shown, with a reviewer name), optionally opening ``path``."""
    from annotator.settings import Settings
    from annotator.ui.main_window import MainWindow

    def make(
        path: Path | None = None, reviewer: str = "Dr Test", *, indexed: bool = True
    ) -> MainWindow:
        window = MainWindow(Settings(reviewer=reviewer))
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        if path is not None:
            window.open_path(path)
            # (and, unless ``indexed`` is False, the search index an import left to build: its
            # steps write, and a test that takes the write lock itself, as another program,
            # must not meet one)
            qtbot.waitUntil(
                lambda: not window.runner.tasks and not (indexed and window.indexer.running),
                timeout=20000,
            )
        return window

    return make


REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "resources" / "sample" / "sample.jsonl"
