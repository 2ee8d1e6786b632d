"""The window's long jobs: an import until its first case is shown, and Cancel.

``python -m benchmarks.gui_jobs import FILE OUT.json`` opens the case file FILE in the real
main window, as a double-click on it would (``MainWindow.open_path``: imported into its own
workspace in the user data folder, which the suite points at a temporary folder with
``ANNOTATOR_BASEDIR``), and measures from the request until the first case is painted.

``python -m benchmarks.gui_jobs cancel-import FILE OUT.json SECONDS`` starts the same import and,
SECONDS into it, presses the progress dialog's Cancel; it measures from the press until the
job has stopped (rolled back; the window takes input again), and checks that nothing was
imported: no workspace left for the file.

``python -m benchmarks.gui_jobs cancel-merge WORKSPACE OUT.json SECONDS FILE...`` opens
WORKSPACE, merges the reviewers' FILEs into it (File > Merge reviewer files) and presses Cancel
SECONDS in; it checks that the workspace holds no review afterwards (the suite's last step:
a merge that ended before the press is merged).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtGui import QPaintEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from annotator.services.workspace import default_workspace_for  # noqa: E402
from annotator.settings import Settings  # noqa: E402
from annotator.ui.app import make_app  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402
from benchmarks.gui import PaintWatch, until  # noqa: E402

TIMEOUT = 1800.0
"""An import of a million cases in the window, on a loaded machine."""


class FirstCasePainted(PaintWatch):
    """The moment the case view first paints with a case in it; it quits ``loop`` then."""

    def __init__(self, window: MainWindow, loop: QEventLoop) -> None:
        super().__init__(window.view)
        self.window = window
        self.loop = loop
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            self.at is None
            and isinstance(event, QPaintEvent)
            and self.window.review.detail is not None
        ):
            self.at = time.perf_counter()
            self.loop.quit()
        return False


def _window() -> tuple[QApplication, MainWindow]:
    app = make_app()
    window = MainWindow(Settings(reviewer="bench"))
    window.resize(1280, 720)
    window.show()
    until(app, window.isVisible)
    return app, window


def import_until_shown(source: Path) -> dict[str, Any]:
    """From asking the window to open ``source`` to its first case painted. The clock waits
    in an event loop of Qt's, as the window does: polling for the paint (``until``) woke a
    Python loop every half millisecond, taking the interpreter from the import's thread."""
    _, window = _window()
    loop = QEventLoop()
    painted = FirstCasePainted(window, loop)
    QTimer.singleShot(int(TIMEOUT * 1000), loop.quit)
    start = time.perf_counter()
    window.open_path(source)
    if painted.at is None:
        loop.exec()
    if painted.at is None:
        raise TimeoutError("no case shown in time")
    shown = painted.at - start
    indexing = window.indexer.running  # (the search index is built after, in the background)
    window.indexer.stop()
    window.close()
    return {"shown_s": shown, "indexing_when_shown": indexing}


def _press_cancel(app: QApplication, window: MainWindow, after: float) -> float | None:
    """Press the running job's Cancel ``after`` seconds from now; seconds until it stopped
    (None: it had ended before, at a small size on a fast machine)."""
    runner = window.runner
    end = time.perf_counter() + after
    until(app, lambda: time.perf_counter() > end or not runner.tasks, TIMEOUT)
    if not runner.tasks:
        return None
    dialog = runner.dialogs[runner.tasks[0]]
    pressed = time.perf_counter()
    dialog.canceled.emit()  # what the Cancel button (or Esc) sends
    until(app, lambda: not runner.tasks, TIMEOUT)
    return time.perf_counter() - pressed


def cancel_import(source: Path, after: float) -> dict[str, Any]:
    app, window = _window()
    window.open_path(source)
    stopped = _press_cancel(app, window, after)
    target = default_workspace_for(source)
    left = [p.name for p in target.parent.glob(f"{target.name}*")] if target.parent.is_dir() else []
    window.close()
    if left and stopped is not None:
        raise RuntimeError(f"a cancelled import left {left}")
    return {"stopped_s": stopped}


def cancel_merge(workspace: Path, files: list[Path], after: float) -> dict[str, Any]:
    app, window = _window()
    window.open_path(workspace)
    until(app, lambda: window.ws is not None, TIMEOUT)
    task = window.files.merge(files)
    if task is None:
        raise RuntimeError("the window did not start the merge")
    stopped = _press_cancel(app, window, after)
    window.close()
    if stopped is None:  # (merged: the suite's last step, nothing measures it after)
        return {"stopped_s": None}
    reviews = sqlite3.connect(workspace).execute("SELECT count(*) FROM review").fetchone()[0]
    if reviews:
        raise RuntimeError(f"a cancelled merge left {reviews} reviews in {workspace}")
    return {"stopped_s": stopped}


def main(argv: list[str]) -> int:
    what, path, out = argv[0], Path(argv[1]), Path(argv[2])
    if what == "import":
        result = import_until_shown(path)
    elif what == "cancel-import":
        result = cancel_import(path, float(argv[3]))
    elif what == "cancel-merge":
        result = cancel_merge(path, [Path(p) for p in argv[4:]], float(argv[3]))
    else:
        raise SystemExit(f"unknown step {what!r}")
    out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
