"""A command's progress bar on stderr (tqdm): the count so far, the rate and the time left.

Shown only when stderr is a terminal and ``--quiet`` was not given: a file, a pipe or a log
gets nothing (the command's output and its one-line errors stay as they were). The services
report progress through their ``progress(done, total)`` callables; :func:`progress_bar` is
one. Ctrl+C (or an error) clears the bar, so that the command's one line stands alone.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

Progress = Callable[[int, int], None]


def wanted(args: argparse.Namespace, stream: TextIO | None = None) -> bool:
    """Whether a bar is shown: on a terminal, without ``--quiet``."""
    stream = sys.stderr if stream is None else stream
    if getattr(args, "quiet", False) or stream is None:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def progress_bar(
    args: argparse.Namespace, what: str, unit: str, *, in_bytes: bool = False
) -> Iterator[Progress | None]:
    """A ``progress(done, total)`` for a service, drawing a bar ``what`` (e.g. "exporting")
    counting ``unit`` (cases, shown as 312k of 1.00M; files; ``in_bytes``: bytes instead,
    shown as kB, MB); None when no bar is wanted, so that the service does no work for it."""
    if not wanted(args):
        yield None
        return
    from tqdm import tqdm  # (only for a terminal: a command piped elsewhere never imports it)

    counted: dict[str, Any] = {"unit": f" {unit}", "unit_scale": unit == "cases"}
    if in_bytes:
        counted = {"unit": "B", "unit_scale": True, "unit_divisor": 1000}
    bar: Any = None

    def progress(done: int, total: int) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        bar = tqdm(desc=what, file=sys.stderr, leave=False, dynamic_ncols=True, **counted)
        yield progress
    finally:
        try:
            if bar is not None:
                bar.close()  # (leave=False: the line is cleared, ended or interrupted)
        finally:
            # Ctrl+C may come while the bar draws itself (in tqdm(), or in close()): the
            # line is cleared whatever it holds, so that the command's one line stands alone.
            _clear_line(sys.stderr)


def _clear_line(stream: TextIO) -> None:
    """Blank the terminal's line and go back to its start (spaces, as tqdm does: no escape
    sequence, which an old Windows console would print)."""
    width = shutil.get_terminal_size().columns
    stream.write("\r" + " " * max(width - 1, 0) + "\r")
    stream.flush()
