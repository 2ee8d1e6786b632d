"""How long a Ctrl-C takes to stop a long command at full size.

The runner starts the real command (``python -m annotator import``, ``export``, ``merge``) in
a process of its own, sends it SIGINT (what Ctrl-C sends) while it works, and measures from
the signal until the process has exited: its rollback, its temporary files removed, its
threads joined. The stop must be the clean one the command line promises (``annotator
--help``): exit status 130 (or death by SIGINT, which a shell shows as 130 too: CPython's way
out after a Ctrl+C in its first moments), and nothing left behind (no new workspace, no output
file, no temporary file beside them); anything else fails the step.

The signal is sent a number of seconds after the start, or after the command's first line of
output (an import prints its report when its cases are committed, then
builds the search index: a Ctrl-C then stops the index, and the cases stay).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import REPO, StepFailed

INTERRUPTED = 130
"""The exit status of a command stopped by Ctrl-C (128 + SIGINT)."""


@dataclass(frozen=True)
class Stopped:
    seconds: float
    """From the signal until the process had exited."""
    ran: float
    """From the start until the signal."""
    output: str


def interrupt(args: list[str], *, after: float, after_first_line: bool = False) -> Stopped:
    """Run ``python args...``, send it SIGINT ``after`` seconds into its run (or after its
    first line of output, with ``after_first_line``), and time its stop."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_hear_ctrl_c,
    )
    assert proc.stdout is not None
    first_line = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            first_line.set()
        first_line.set()  # (ended without a line: no use waiting for one)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if after_first_line:
        first_line.wait()
    deadline = time.perf_counter() + after
    while time.perf_counter() < deadline and proc.poll() is None:
        time.sleep(0.01)
    if proc.poll() is not None:
        reader.join()
        raise Finished(
            f"{' '.join(args)} ended before the signal (after {after:.1f} s): nothing to "
            f"stop\n{''.join(lines)[-2000:]}"
        )
    sent = time.perf_counter()
    os.kill(proc.pid, signal.SIGINT)
    _, status, _usage = os.wait4(proc.pid, 0)
    stopped = time.perf_counter()
    reader.join()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    output = "".join(lines)
    if code == 0:  # past its last chance: the signal is held, and the command ends as done
        raise Finished(
            f"{' '.join(args)} ended as done: the signal came {sent - start:.1f} s in, past its "
            f"last chance to stop (its commit)\n{output[-2000:]}"
        )
    if code not in (INTERRUPTED, -signal.SIGINT):  # (the shell shows either as 130)
        raise StepFailed(f"{' '.join(args)} stopped with {code}, not {INTERRUPTED}:\n{output}")
    return Stopped(stopped - sent, sent - start, output)


def _hear_ctrl_c() -> None:
    """In the child before it starts: SIGINT as a terminal gives it. A suite started in the
    background (``python -m benchmarks &`` from a script) ignores SIGINT, and its children
    would inherit that: the command would never hear the signal and run on to its end."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Finished(StepFailed):
    """The command ended before the signal was sent, or got it past its last chance to stop
    and ended as done: nothing was measured."""


def left_behind(*paths: Path) -> list[Path]:
    """What a stopped command left of ``paths``: the files themselves, SQLite's companions, and
    temporary files beside them (``fileio``'s, named after the file they would become)."""
    found: list[Path] = []
    for path in paths:
        for p in path.parent.iterdir() if path.parent.is_dir() else ():
            if p.name == path.name or p.name.startswith((f"{path.name}-", f".{path.name}")):
                found.append(p)
    return found
