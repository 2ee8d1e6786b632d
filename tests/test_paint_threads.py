"""The window paints on its own thread: Qt's raster engine would hand every fill of more than a
few dozen lines (a scroll bar's groove, a card) to a pool of threads and wait for them, which
for a window's widgets costs more than the fill (docs/benchmarks.md, "Next case").
``ui.app.make_app`` turns that pool off before anything is painted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PAINT_A_SCROLL_BAR = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
if sys.argv[1] == "qt":
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
else:
    from annotator.ui.app import make_app
    app = make_app()
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollBar
before = len(os.listdir("/proc/self/task"))
bar = QScrollBar(Qt.Orientation.Vertical)
bar.resize(14, 2000)
bar.setRange(0, 100)
for _ in range(3):
    bar.grab()
print(len(os.listdir("/proc/self/task")) - before)
"""


def threads_started_painting(how: str, *, switched_off: bool = False) -> int:
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    if switched_off:
        env["QT_NO_GUI_THREADPOOL"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", PAINT_A_SCROLL_BAR, how],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
        check=True,
    )
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_the_app_paints_without_a_pool_of_threads() -> None:
    if threads_started_painting("qt", switched_off=True) > 0:
        pytest.skip("this Qt has no switch for its painting threads (Qt 6.6 has none)")
    # (Qt as it comes starts threads to paint the same bar: the check can tell)
    assert threads_started_painting("qt") > 0
    assert threads_started_painting("annotator") == 0
