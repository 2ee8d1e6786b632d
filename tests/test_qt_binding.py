"""The Qt binding must not corrupt reference counts (PySide6 6.12.0 did, on Python 3.11)."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_void_qt_calls_keep_none_alive(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(1000):
        widget.setEnabled(True)
    # A binding that leaks one reference per call loses 1000 here; a long review session would
    # then abort with "deallocating None".
    assert sys.getrefcount(None) - before > -100
