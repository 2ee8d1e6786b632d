"""What a command says on the terminal besides its output: the error boundary and the waits.

:func:`guarded` runs a command and turns every way it can end into an exit status:

- 0: done. A closed pipe (``annotator summary W | head``) also ends quietly with 0.
- 1: an error for the user, in one line: a refused file or workspace (the app's own errors),
  or what the system refused (a full disk, a read-only folder, no permission).
- 2: an internal error (a bug): one line that points to the crash log, where the traceback is.
- 130: interrupted (Ctrl+C); 143: terminated (SIGTERM). Either unwinds the command like an
  exception, so a half-written file or a workspace made for it is removed as on any error.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import logging
import math
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from annotator.failures import crash_line, os_error_line, record_crash
from annotator.untrusted import for_terminal

WAIT_SECONDS = 120.0
"""How long a command waits for another program's write to a workspace (default of --wait)."""
EXIT_ERROR = 1
EXIT_BUG = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
STATUSES = (
    "Exit status: 0 done, 1 an error (one line on stderr says what to do), 2 an internal error "
    "(its details are written to a crash log in the user data folder; stderr names it), "
    "130 interrupted (Ctrl+C), 143 terminated."
)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that it cleans up as after Ctrl+C."""


def guarded(
    command: Callable[[], int],
    expected: Callable[[], tuple[type[Exception], ...]],
    *,
    final: bool = False,
) -> int:
    """Run ``command``: its exit status, or the status of how it failed, said in one line on
    stderr. ``expected()``: the app's own errors, whose message is for the user (asked for
    only when the command fails: a command imports only the modules it uses).

    ``final``: the program ends next (not a call in a test's process). A Ctrl+C or SIGTERM
    that comes once the command has ended and said so has nothing left to stop: it is ignored
    from then on, and the status stays the command's, where the interpreter's teardown (its
    exit handlers, its last garbage collection) turned it into 130 or a death by SIGINT after
    "Wrote ..." was printed."""
    restore = _on_sigterm() if not final else _on_sigterm_then_ignore()
    _interrupts_said_once()
    try:
        return command()
    except BrokenPipeError:  # output piped into head, less, ...: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Terminated:
        say("annotator: terminated")
        _end_promptly()
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        say("annotator: interrupted")
        _end_promptly()
        return EXIT_INTERRUPTED
    except OSError as exc:
        say(f"annotator: error: {os_error_line(exc)}")
        return EXIT_ERROR
    except Exception as exc:
        if isinstance(exc, expected()):
            say(f"annotator: error: {exc}")
            return EXIT_ERROR
        log = record_crash(exc)
        say(f"annotator: {crash_line(exc, log)}")
        if log is None and sys.stderr is not None:
            traceback.print_exception(exc, file=sys.stderr)
        return EXIT_BUG
    finally:
        restore()


class _NotAnInterrupt(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt))


def _interrupts_said_once() -> None:
    """A Ctrl+C (or SIGTERM) that lands in a library's cleanup is said once, by the command.

    SQLAlchemy's pool logs whatever stops it closing a connection, with its traceback, before
    raising it again: a Ctrl+C in that moment printed a traceback above "annotator:
    interrupted". A command configures no logging, so such a record goes to Python's last
    resort handler, on stderr: an interrupt is left out there (other records still show)."""
    resort = logging.lastResort
    if resort is not None and not any(isinstance(f, _NotAnInterrupt) for f in resort.filters):
        resort.addFilter(_NotAnInterrupt())


def _end_promptly() -> None:
    """A stopped command has cleaned up (what it made removed, its workspace closed, its line
    said), and the process ends next: its teardown skips the garbage collection of the
    interpreter's objects (the modules' classes, functions and tables: 0.1 s, which a Ctrl+C
    would wait for). ``gc.freeze`` at exit: the exit handlers still run, the standard streams
    are still flushed; what is left is memory the system takes back. Registered once (the
    tests run commands in one process, which is only frozen as it ends)."""
    global _FREEZE_AT_EXIT
    if not _FREEZE_AT_EXIT:
        _FREEZE_AT_EXIT = True
        atexit.register(gc.freeze)


_FREEZE_AT_EXIT = False


def say(line: str) -> None:
    """A line on stderr (there is none in a windowed Windows executable); its control
    characters written as ``\\uXXXX`` (:func:`show`)."""
    if sys.stderr is not None:
        print(for_terminal(line), file=sys.stderr, flush=True)


def show(text: str, stream: TextIO | None = None) -> None:
    """Print ``text`` (output of a command: one line or many, ending in a newline or not) on
    ``stream`` (default stdout). Text from files (an id, a rater's name, a project title) may
    hold escape sequences: every control character is written as ``\\uXXXX``
    (``untrusted.for_terminal``), which a terminal shows rather than obeys, and which in JSON
    text means the same character."""
    stream = sys.stdout if stream is None else stream
    if stream is not None:
        stream.write(for_terminal(text if text.endswith("\n") else text + "\n"))


class HeldStop:
    """The ``cancelled()`` of a command's job, which a Ctrl+C stops as an exception (not by
    asking): it never asks to stop, and from the job's last chance (``close``: its commit,
    which cannot stop; ``services/cancelling.py``) a Ctrl+C or SIGTERM is held instead of
    raised, until :meth:`release`. A Ctrl+C during an import's commit then no longer says
    "interrupted" of cases that are in the workspace: the report is printed, and the command
    stops after it."""

    def __init__(self) -> None:
        self._held: KeyboardInterrupt | None = None
        self._restore: list[tuple[int, Any]] = []

    def __call__(self) -> bool:
        return False

    def close(self) -> bool:
        if threading.current_thread() is threading.main_thread() and not self._restore:
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._restore.append((signum, signal.signal(signum, self._hold)))
        return False

    def _hold(self, signum: int, frame: FrameType | None) -> None:
        if self._held is None:
            self._held = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    def release(self) -> None:
        """Take Ctrl+C and SIGTERM as before, and raise the one held, if any."""
        held = self._held
        self.forget()
        if held is not None:
            raise held

    def forget(self) -> None:
        """Take Ctrl+C and SIGTERM as before, and drop the one held (the job failed: what it
        says is what the command says)."""
        while self._restore:
            signum, handler = self._restore.pop()
            signal.signal(signum, handler)
        self._held = None


def _on_sigterm_then_ignore() -> Callable[[], None]:
    """:func:`_on_sigterm`, whose undoing ignores Ctrl+C and SIGTERM for the rest of the
    process instead of restoring them (``guarded(final=True)``)."""
    _on_sigterm()

    def ignore() -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    return ignore


def _on_sigterm() -> Callable[[], None]:
    """Make SIGTERM raise :class:`Terminated`; the undoing of that."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, _terminate)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def json_text(data: Any) -> str:
    """``data`` as JSON any parser reads: a figure that is not finite (no such thing in JSON)
    is null, as an undefined one."""
    return json.dumps(_finite(data), indent=2, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def wait_option(parser: argparse.ArgumentParser) -> None:
    """``--wait SECONDS``: how long a command waits for another program's write."""
    parser.add_argument(
        "--wait",
        type=_seconds,
        default=WAIT_SECONDS,
        metavar="SECONDS",
        help="while another program writes to the workspace, wait up to SECONDS for it "
        f"(default {WAIT_SECONDS:g})",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


class WaitNotice:
    """``on_wait`` for a workspace a command writes: while another program holds its write
    lock, says so once on stderr and, on a terminal, counts the seconds on that line."""

    def __init__(self, workspace: Path, stream: TextIO | None = None) -> None:
        self.name = for_terminal(workspace.name)
        self.stream = stream if stream is not None else sys.stderr
        self.shown = False

    def __call__(self, seconds: float) -> None:
        if self.stream is None:
            return
        text = f"annotator: waiting for {self.name}: another program is writing to it…"
        if not self.shown:
            self.shown = True
            self.stream.write(text + "\n")
        elif _can_rewrite(self.stream):  # the line above, again, with the seconds
            self.stream.write(f"\x1b[F{text} {seconds:.0f} s\x1b[K\n")
        else:
            return
        self.stream.flush()


def _can_rewrite(stream: TextIO) -> bool:
    """A terminal that understands moving the cursor up (not a file, a pipe or an old console)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    if not tty:
        return False
    if os.name == "nt":
        return "WT_SESSION" in os.environ  # Windows Terminal
    return os.environ.get("TERM", "") != "dumb"
