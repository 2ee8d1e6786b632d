"""The composition root: settings, application, window; and what catches what no one else did.

A bug that reaches the event loop (an exception in a slot or an event handler, or in a
thread) does not end the app: :class:`CrashHook` writes its traceback to the crash log and shows
one message naming the log. A workspace or file that cannot be opened at startup is a message,
not a traceback.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from annotator import APP_NAME, __version__, paths
from annotator.failures import crash_line, os_error_line, record_crash
from annotator.formats.errors import FileRefused
from annotator.services.review import ReviewError
from annotator.services.workspace import WorkspaceError
from annotator.settings import Settings
from annotator.ui.main_window import MainWindow

REFUSALS = (WorkspaceError, FileRefused, ReviewError, OSError)
"""Errors whose message is for the user: a workspace or file refused, a decision that cannot be
saved, what the system refused."""

Show = Callable[[str, str], QWidget | None]
"""Shows a crash: its one-line message, and the traceback when the log could not be written;
returns the message box while it is up, if it stays up."""


def make_app(argv: list[str] | None = None) -> QApplication:
    # Qt's raster engine hands a fill of more than a few dozen lines (a scroll bar's groove, a
    # card's background) to a pool of threads and waits for them: for a window's widgets the
    # hand-off costs more than the fill. Painting a case that scrolls took 11 ms instead of 5
    # (6 of them in the scroll bar alone), the slowest next cases of docs/benchmarks.md. Qt
    # reads it once, at its first such fill: set before anything is painted (any value turns
    # the pool off; Qt 6.6 has no such switch and paints as before).
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
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


def no_display() -> str | None:
    """Why the window cannot open here (Linux with no desktop session to show it in), said
    before Qt would abort on it; None when it can."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "the window needs a display, and this session has none (DISPLAY and WAYLAND_DISPLAY "
        "are not set): start it from a desktop session, or over 'ssh -X'; the commands "
        "(annotator import, export, summary, merge, agreement) work without one"
    )


def run(path: Path | None = None) -> int:
    missing = no_display()
    if missing is not None:
        _say(f"annotator: {missing}", error=True)
        return 1
    app = make_app()
    hook = CrashHook(app)
    hook.install()
    try:
        window = _start(lambda: build_window(path), quiet=False)
        if window is None:
            return 1
        window.show()
        return app.exec()
    finally:
        hook.uninstall()


def _start(make: Callable[[], MainWindow], *, quiet: bool) -> MainWindow | None:
    """The window ``make`` builds; None, after saying why, when it could not be (a refused
    workspace or file: a message; a bug: the crash log and a message naming it)."""
    try:
        return make()
    except REFUSALS as exc:
        _tell("Cannot open", _words(exc), "", quiet=quiet)
    except Exception as exc:
        log = record_crash(exc)
        details = "" if log is not None else "".join(traceback.format_exception(exc))
        _tell("Internal error", _sentence(crash_line(exc, log)), details, quiet=quiet)
    return None


def _tell(title: str, text: str, details: str, *, quiet: bool) -> None:
    _say(f"annotator: {title.lower()}: {text}", error=True)
    if details:
        _say(details, error=True)
    if not quiet:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok)
        box.setTextFormat(Qt.TextFormat.PlainText)
        if details:
            box.setDetailedText(details)
        box.exec()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _words(exc: BaseException) -> str:
    return os_error_line(exc) if isinstance(exc, OSError) else str(exc)


def _crash_text(exc: BaseException, log: Path | None) -> str:
    """The one line for a bug; for a refusal no handler caught, its own words and the log."""
    if not isinstance(exc, REFUSALS) or log is None:
        return _sentence(crash_line(exc, log))
    return f"{_sentence(_words(exc)).rstrip('.')}. (Details were written to {log}.)"


def show_crash(text: str, details: str) -> QWidget:
    """The crash message, over the active window (non-blocking: the app goes on)."""
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "Internal error",
        text,
        QMessageBox.StandardButton.Ok,
        QApplication.activeWindow(),
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    if details:
        box.setDetailedText(details)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


class CrashHook(QObject):
    """``sys.excepthook`` and ``threading.excepthook`` for the window: a bug's traceback goes
    to the crash log and one message names it; the app goes on. Further errors while that
    message is up are logged without another message (an error in a paint event repeats)."""

    _crashed = Signal(str, str)  # from any thread, shown on the GUI thread

    def __init__(self, parent: QObject, show: Show = show_crash) -> None:
        super().__init__(parent)
        self.show = show
        self.box: QWidget | None = None
        self.previous: tuple[object, object] | None = None
        self._crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self.previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        if self.previous is not None:
            sys.excepthook, threading.excepthook = self.previous  # type: ignore[assignment]
            self.previous = None

    def excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, KeyboardInterrupt):  # Ctrl+C in the terminal it was started from
            QApplication.closeAllWindows()  # (each saves what it holds)
            return
        self.report(exc.with_traceback(tb))

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
            self.report(args.exc_value.with_traceback(args.exc_traceback))

    def report(self, exc: BaseException) -> None:
        """Log ``exc`` and show (on the GUI thread) the one message."""
        log = record_crash(exc)
        details = "" if log is not None else "".join(traceback.format_exception(exc))
        text = _crash_text(exc, log)
        _say(f"annotator: {text}", error=True)
        self._crashed.emit(text, details)

    def _show(self, text: str, details: str) -> None:
        if self.box is not None:
            try:
                if self.box.isVisible():
                    return
            except RuntimeError:  # closed and deleted
                pass
        self.box = self.show(text, details)


# -- self-test of an installed or frozen build (packaging/smoke_test.py) -------------------------


def self_test(path: Path | None = None, timeout_ms: int = 30000) -> int:
    """Open the window on PATH (default: the sample), wait for it to be painted with its first
    case shown, then close it: exit status 0, or 1 with the reason on stderr.

    It fails if a message box opens (a missing or refused file), if no case is shown in time, or
    if the window icon does not render (the SVG plugins are missing). A missing platform plugin
    already aborts QApplication with a non-zero status.
    """
    app = make_app()
    hook = CrashHook(app)  # a bug's message box fails the test
    hook.install()
    try:
        window = _start(lambda: MainWindow(Settings.load()), quiet=True)
        if window is None:
            return 1
        check = _SelfTest(app, window, timeout_ms)
        window.show()
        # Opened in the event loop, so that the test sees a dialog the opening shows.
        QTimer.singleShot(0, window, lambda: window.open_path(path or paths.sample_file()))
        app.exec()
        return check.status
    finally:
        hook.uninstall()


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
            if isinstance(widget, QDialog) and widget.isVisible():  # waiting for an answer
                widget.reject()
                self._finish(f"a dialog opened: {widget.windowTitle()}")
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
