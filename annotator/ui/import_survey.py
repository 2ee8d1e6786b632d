"""A read of the whole case file (and the files joined to it) for the import dialog, off the
GUI thread: the label values per source, how the joined files met, and the first cases.

The dialog starts one whenever its choices change (after a pause in the typing); a newer one
cancels the older, and an older one's result is dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.join import Join
from annotator.formats.join_index import JoinResult
from annotator.formats.label_counts import LabelCounts
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.ui.workers import Task, start

FIRST = 5
"""Items kept for the preview."""
PULSE = 500
"""Items read between two looks at a cancel (and a progress)."""
PAUSE_MS = 250
"""How long the choices must rest before a read starts."""


@dataclass(frozen=True)
class Reading:
    """What to read: the dialog's choices but the value mapping (counts are of raw values)."""

    path: Path
    mapping: FieldMapping | None
    encoding: str | None
    long: LongFormat | None
    join: Join | None
    preset: Any = None
    wide: Any = None
    """Many criteria in one row (formats/wide.py's ``WideLayout``)."""
    rounding: Any = None
    """Scores between labels rounded (formats/rounding.py)."""


@dataclass
class Survey:
    reading: Reading
    first: list[ParsedCase | LineProblem] = field(default_factory=list)
    cases: int = 0
    problems: int = 0
    counts: LabelCounts | None = None
    join: JoinResult | None = None
    error: str = ""
    """Why the file (or a joined one) is refused, as the import would say."""


class Cancelled(Exception):
    """A newer read took this one's place."""


def survey(
    reading: Reading, progress: Callable[[int, int], None], cancelled: Callable[[], bool]
) -> Survey:
    """Read every case of ``reading`` (the whole files, streamed)."""
    out = Survey(reading)
    extra: dict[str, Any] = {"preset": reading.preset} if reading.preset is not None else {}
    try:
        reader = CaseReader(
            reading.path, reading.mapping, encoding=reading.encoding, long=reading.long,
            join=reading.join, wide=reading.wide, rounding=reading.rounding, **extra,
        )  # fmt: skip

        def pulse() -> None:
            if cancelled():
                raise Cancelled
            progress(reader.bytes_read, reader.size_bytes)

        reader.pulse = pulse
        for n, item in enumerate(reader, start=1):
            if len(out.first) < FIRST:
                out.first.append(item)
            if isinstance(item, ParsedCase):
                out.cases += 1
            else:
                out.problems += 1
            if n % PULSE == 0:
                pulse()
        out.counts = reader.label_counts
        out.join = reader.join_result
    except FileRefused as e:
        out.error = str(e)
    return out


class Surveyor(QObject):
    """Runs :func:`survey` for the latest reading asked; ``done`` with its Survey."""

    done = Signal(object)
    progress = Signal(int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._wanted: Reading | None = None
        self._reading: Reading | None = None
        self._task: Task | None = None
        self.last: Survey | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PAUSE_MS)
        self._timer.timeout.connect(self._start)

    def ask(self, reading: Reading) -> bool:
        """Read ``reading`` (after a pause) unless it is the one read or being read; whether
        a read is under way or to come."""
        if self.last is not None and self.last.reading == reading:
            return False
        if self._wanted != reading or not self.busy():
            self._wanted = reading
            self._timer.start()
        return True

    def busy(self) -> bool:
        return self._timer.isActive() or self._task is not None

    def stop(self) -> None:
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _start(self) -> None:
        reading = self._wanted
        if reading is None:
            return
        if self._task is not None:
            self._task.cancel()
        task = Task(lambda progress, cancelled: survey(reading, progress, cancelled))
        # Bound to this object's slots: gone with it, if the dialog closes before the read ends.
        task.signals.finished.connect(self._finished)
        task.signals.failed.connect(self._failed)
        task.signals.progress.connect(self.progress)
        self._task = task
        self._reading = reading
        start(task)

    def _mine(self) -> bool:
        """Whether the signal comes from the read under way (not an older one)."""
        task = self._task
        if task is None or self.sender() is not task.signals:
            return False
        self._task = None
        return True

    def _finished(self, result: Survey) -> None:
        if self._mine():
            self.last = result
            self.done.emit(result)

    def _failed(self, exc: BaseException) -> None:
        if self._mine() and not isinstance(exc, Cancelled) and self._reading is not None:
            self.last = Survey(self._reading, error=str(exc))
            self.done.emit(self.last)
