"""The composition root: settings, application, window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from annotator import APP_NAME, __version__, paths
from annotator.settings import Settings
from annotator.ui.main_window import MainWindow


def make_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("annotator")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("annotator")
    icon = paths.resource_path("icons", "annotator.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def build_window(path: Path | None, settings: Settings | None = None) -> MainWindow:
    window = MainWindow(settings or Settings.load())
    window.open_path(path if path is not None else paths.sample_file())
    return window


def run(path: Path | None = None) -> int:
    app = make_app()
    window = build_window(path)
    window.show()
    return app.exec()


# -- self-test of an installed or frozen build (packaging/smoke_test.py) -------------------------


def self_test(path: Path | None = None, timeout_ms: int = 30000) -> int:
    """Open the window on PATH (default: the sample), wait for it to be painted with its first
    case shown, then close it: exit status 0, or 1 with the reason on stderr.

    It fails if a message box opens (a missing or refused file), if no case is shown in time, or
    if the window icon does not render (the SVG plugins are missing). A missing platform plugin
    already aborts QApplication with a non-zero status.
    """
    app = make_app()
    window = build_window(path)
    check = _SelfTest(app, window, timeout_ms)
    window.show()
    app.exec()
    return check.status


def _say(text: str, *, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    if stream is not None:  # None in a windowed Windows executable
        print(text, file=stream, flush=True)


class _SelfTest(QObject):
    def __init__(self, app: QApplication, window: MainWindow, timeout_ms: int) -> None:
        super().__init__(window)
        self.app = app
        self.window = window
        self.painted = False
        self.status = 1
        self.done = False
        app.installEventFilter(self)
        self.poll = QTimer(self, interval=20)
        self.poll.timeout.connect(self._check)
        self.poll.start()
        QTimer.singleShot(
            timeout_ms, self, lambda: self._finish(f"no case shown after {timeout_ms} ms")
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and watched.window() is self.window
        ):
            self.painted = True
            self.app.removeEventFilter(self)
            _say("self-test: main window painted")
        return False

    def _check(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                self._finish(f"a message box opened: {widget.windowTitle()}: {widget.text()}")
                return
        detail = self.window.review.detail
        if not self.painted or detail is None:
            return
        if self.app.windowIcon().pixmap(64, 64).isNull():
            self._finish("the window icon does not render (SVG plugins or icon file missing)")
            return
        if self.window.grab().isNull():
            self._finish("the main window does not render")
            return
        rows = self.window.model.rowCount()
        platform = self.app.platformName()
        _say(f"self-test: ok: case {detail.case.id} shown, {rows} in the queue, {platform}")
        self._finish(None)

    def _finish(self, failure: str | None) -> None:
        if self.done:
            return
        self.done = True
        self.poll.stop()
        if failure is not None:
            _say(f"self-test: FAILED: {failure}", error=True)
        self.status = 0 if failure is None else 1
        self.window.close()
        self.app.exit(self.status)
