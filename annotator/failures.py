"""How a failure is told to the user, by a command and by the window alike.

- What the machine refuses (a full disk, a read-only folder, no permission) is an ``OSError``:
  :func:`os_error_line` says it in one line that names the file and what to do.
- A bug (an exception the app did not expect) is recorded with its traceback in the crash log
  (:func:`record_crash`, in ``paths.crash_log()``, under the user data folder, which
  ``--basedir`` / ``ANNOTATOR_BASEDIR`` redirects), and :func:`crash_line` points the user to it.
"""

from __future__ import annotations

import errno
import os
import platform
import shlex
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from annotator import __version__, paths

LOG_BYTES = 1_000_000
"""Beyond this size the crash log is moved to ``crash.log.1`` (replacing an older one)."""

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM}


def os_error_line(exc: OSError) -> str:
    """What the system refused, in one line naming the file, and what to do about it."""
    name = exc.filename if exc.filename is not None else None
    if name is None:
        return _first_line(str(exc)) or type(exc).__name__
    if exc.errno in _FULL:
        return f"the disk is full: {name} could not be written; free some space and try again"
    if exc.errno == errno.EROFS:
        return f"{name} is on a read-only disk; choose a place you can write to"
    if exc.errno in _DENIED:
        return (
            f"permission denied: {name}; choose a place you may write to, "
            "or ask for access to this one"
        )
    if exc.errno == errno.ENOENT:
        return f"{name} does not exist"
    reason = exc.strerror or _first_line(str(exc)) or type(exc).__name__
    return f"{name}: {reason}"


def record_crash(exc: BaseException) -> Path | None:
    """Append ``exc`` with its traceback, the version, the platform and the command line to the
    crash log. Returns the log's path, or None when it could not be written (a full or
    read-only disk): the caller then shows the traceback itself."""
    text = crash_report(exc)
    try:
        log = paths.crash_log()
        if log.exists() and log.stat().st_size > LOG_BYTES:
            os.replace(log, log.with_name(log.name + ".1"))
        with log.open("a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        return None
    return log


def crash_report(exc: BaseException) -> str:
    """One entry of the crash log."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        f"=== {stamp} annotator {__version__}, Python {platform.python_version()}, "
        f"{platform.platform()}\n"
        f"command: {shlex.join(str(a) for a in sys.argv)}\n"
        + "".join(traceback.format_exception(exc))
        + "\n"
    )


def crash_line(exc: BaseException, log: Path | None) -> str:
    """``internal error: Type: message.`` and where the details are."""
    what = f"internal error: {describe_exception(exc)}."
    if log is None:
        return f"{what} The details could not be written to a file; they follow."
    return f"{what} Details were written to {log}; please send that file to the developers."


def describe_exception(exc: BaseException, limit: int = 200) -> str:
    """``Type: first line of its message``, shortened to about ``limit`` characters."""
    text = _first_line(str(exc))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].rstrip(".") if text.strip() else ""
