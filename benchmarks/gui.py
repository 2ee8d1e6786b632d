"""What a reviewer waits for in the window: opening, moving on, filtering, searching.

``python -m benchmarks.gui WORKSPACE OUT.json`` runs the real main window on Qt's offscreen
platform (the suite sets ``ANNOTATOR_BASEDIR`` to a temporary folder, so nothing touches the
user's settings) and writes what it measured as JSON. Every figure ends when the window has
painted the result: the clock stops at the first paint event of the case view (or the queue)
after the action, delivered by the same event loop that would put it on a screen.

- open: from asking the window to open the workspace to its first case painted.
- next case: the "Next case" action (Alt+Right) a thousand times, each until the case stands:
  its last paint (and, apart, its first: a view that lays out in turns paints more than once).
- filters and searches: from the change (after the search box's typing pause) to the new
  queue's first rows painted, and to every row being in.
- typing: a search typed a key at a time; the longest the window did not respond.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QPaintEvent  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractScrollArea,
    QApplication,
    QScrollArea,
    QWidget,
)

from annotator.domain.model import Kind, Status  # noqa: E402
from annotator.domain.split import Part  # noqa: E402
from annotator.services.queue import (  # noqa: E402
    QueueFilter,
    SortKey,
    queue_ids,
    queue_rows,
)
from annotator.services.workspace import Workspace  # noqa: E402
from annotator.settings import Settings  # noqa: E402
from annotator.ui.app import make_app  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402
from annotator.ui.queue_panel import ALL_SCOPE  # noqa: E402
from benchmarks.generate import RARE_WORD  # noqa: E402
from benchmarks.setup import rationale  # noqa: E402

TIMEOUT = 120.0


class PaintWatch(QObject):
    """Counts the paint events of ``root`` (for a scroll area: of the area, its viewport and
    the widget it scrolls).

    A widget inside them that paints has them painted first, in the same pass: Qt paints what
    is under a widget that is not opaque, and the case view's cards, texts and pills are not
    (a long text's own box is: it repainting alone, as when it scrolls, is not seen here; a
    next case repaints the whole view). The filter is on those widgets alone. On the
    application, as it was, it saw every event of the window (some 450 a next case), each
    wrapped for Python, which the application does not do: 1.1-1.5 ms of the 13-15 a next case
    took, measured in turn (and the watch saw the same turns of the event loop paint).
    """

    def __init__(self, root: QWidget) -> None:
        super().__init__()
        self.root = root
        self.count = 0
        watched: list[QWidget | None] = [root]
        if isinstance(root, QAbstractScrollArea):
            watched.append(root.viewport())
        if isinstance(root, QScrollArea):
            watched.append(root.widget())
        for widget in watched:
            if widget is not None:
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QPaintEvent):  # (not event.type(): it makes a Python enum)
            self.count += 1
        return False


def until(app: QApplication, done: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Run the event loop until ``done()`` (deleting what ``deleteLater`` let go of, as the
    application's own loop does)."""
    end = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if not done():
            time.sleep(0.0005)


def painted_after(app: QApplication, watch: PaintWatch, action: Callable[[], Any]) -> float:
    """Seconds from ``action()`` to the next paint inside ``watch.root``.

    Widgets the action let go of (``deleteLater``) are deleted first, in the clock: the
    application's event loop would do so before painting, but ``processEvents`` never does.
    """
    app.processEvents()
    before = watch.count
    start = time.perf_counter()
    action()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    until(app, lambda: watch.count > before)
    return time.perf_counter() - start


QUIET_ROUNDS = 3
"""Turns of the event loop without a paint after which the window stands."""


def settled_after(
    app: QApplication, watch: PaintWatch, action: Callable[[], Any]
) -> tuple[float, float]:
    """Seconds from ``action()`` to its first paint inside ``watch.root``, and to the end of its
    last: the turn of the event loop after which ``QUIET_ROUNDS`` turns paint nothing more there.

    The first paint is not always the case as it stands: a view whose layout settles a level
    per turn of the event loop paints, lays out again, and paints again. What a reviewer waits
    for is the last. (The quiet turns after it are not counted.)
    """
    first = painted_after(app, watch, action)
    start = time.perf_counter() - first
    last, quiet = time.perf_counter(), 0
    while quiet < QUIET_ROUNDS:
        before = watch.count
        app.processEvents()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if watch.count > before:
            last, quiet = time.perf_counter(), 0
        else:
            quiet += 1
    return first, last - start


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    """p50, p95 and the longest."""
    times = sorted(times)
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1]


def measure(workspace: Path, nav: int) -> dict[str, Any]:
    app = make_app()
    window = MainWindow(Settings(reviewer="bench"))
    window.resize(1600, 1000)
    window.show()
    until(app, window.isVisible)
    view = PaintWatch(window.view)
    out: dict[str, Any] = {}

    # -- open: to the first case painted
    out["open_s"] = painted_after(app, view, lambda: window.open_path(workspace))
    assert window.review.detail is not None, "no case shown after opening"
    out["queue_rows"] = window.model.rowCount()

    # -- next case: until the case stands (its last paint), and its first paint
    next_case = window.actions_by_id["next"]
    firsts, times = [], []
    for _ in range(nav):
        first, settled = settled_after(app, view, next_case.trigger)
        firsts.append(first)
        times.append(settled)
    out["next_p50_s"], out["next_p95_s"], out["next_max_s"] = _percentiles(times)
    out["next_first_p50_s"], out["next_first_p95_s"], _ = _percentiles(firsts)

    # -- filters and searches
    queue = PaintWatch(window.queue.table.viewport())
    panel = window.queue
    assert window.ws is not None
    cases, decided, some_id = _counts(window.ws)
    note = rationale(decided // 2)[-13:-2]  # "note 004242": one decision's rationale
    filters: list[tuple[str, Callable[[], None]]] = [
        ("all cases", lambda: panel.scope.setCurrentIndex(ALL_SCOPE)),
        ("status: undecided", lambda: _choose(panel.status, Status.UNDECIDED)),
        ("criterion: helpfulness", lambda: _choose(panel.criterion, "helpfulness")),
        ("label: fail", lambda: _choose(panel.label, "fail")),
        ("rater: rater07", lambda: _choose(panel.rater, "rater07")),
        ("tag: rubric ambiguous", lambda: _choose(panel.tag, "rubric ambiguous")),
        ("split: held-out part", lambda: _choose(panel.split, Part.HELDOUT)),
        (f"search: '{RARE_WORD}' (1 case in 1,000)", lambda: panel.search.setText(RARE_WORD)),
        ("search: 'patient dose' (1 in 75)", lambda: panel.search.setText("patient dose")),
        ("search: 'the' (nearly every case)", lambda: panel.search.setText("the")),
        ("search: 'ov' (two characters)", lambda: panel.search.setText("ov")),
        (f"search: an id, '{some_id}'", lambda: panel.search.setText(some_id)),
        (f"search: a decision's rationale, '{note}'", lambda: panel.search.setText(note)),
    ]
    results: dict[str, dict[str, Any]] = {}
    for name, change in filters:
        results[name] = _filter(app, window, queue, change)
    results["sort: by case id"] = _sort(app, window, queue)
    out["filters"] = results
    out["typing_stall_s"] = _typing(app, window, "patient dose")
    window.close()
    return out


def _counts(ws: Workspace) -> tuple[int, int, str]:
    """Cases and decided cases in the workspace, and the id of a case in the default queue (a
    disagreement) five eighths of the way through the file (the generator numbers the cases
    in file order: ``case-0000000`` on)."""
    cases = ws.case_count()
    decided = len(queue_ids(ws, QueueFilter(kinds=None, status=Status.DECIDED)))
    by_id = QueueFilter(kinds=frozenset({Kind.JUDGE_VS_ALL}), sort=SortKey.ID)
    ids = queue_ids(ws, by_id)
    wanted = f"case-{cases * 5 // 8 - 1:07d}"
    for start in range(0, len(ids), 1000):
        rows = queue_rows(ws, ids[start : start + 1000])
        found = sorted(r.ext_id for r in rows.values() if r.ext_id >= wanted)
        if found:
            return cases, decided, found[0]
    raise RuntimeError("no case of the kind judge_vs_all late enough in the file")


def _choose(combo: Any, value: Any) -> None:
    index = combo.findData(value)
    if index < 0:
        raise ValueError(f"{value!r} is not offered")
    combo.setCurrentIndex(index)


def _reset(app: QApplication, window: MainWindow) -> None:
    """Back to the default queue (not timed)."""
    panel = window.queue
    widgets = (
        panel.scope, panel.status, panel.criterion, panel.label, panel.rater, panel.tag,
        panel.split,
    )  # fmt: skip
    for w in (*widgets, panel.search):
        w.blockSignals(True)
    for combo in widgets:
        combo.setCurrentIndex(0)
    panel.search.clear()
    for w in (*widgets, panel.search):
        w.blockSignals(False)
    panel.apply_filters()
    until(app, lambda: not window.model.loading)


def _filter(
    app: QApplication, window: MainWindow, queue: PaintWatch, change: Callable[[], None]
) -> dict[str, Any]:
    """Change one filter (its widget quiet), then time ``apply_filters`` as the widget would
    run it (for the search box: after its typing pause)."""
    _reset(app, window)
    panel = window.queue
    for w in (panel.scope, panel.status, panel.criterion, panel.label, panel.rater, panel.tag,
              panel.search):  # fmt: skip
        w.blockSignals(True)
    change()
    for w in (panel.scope, panel.status, panel.criterion, panel.label, panel.rater, panel.tag,
              panel.search):  # fmt: skip
        w.blockSignals(False)
    app.processEvents()
    before = queue.count
    start = time.perf_counter()
    panel.apply_filters()
    until(app, lambda: queue.count > before and (window.model.rowCount() > 0
                                                 or not window.model.loading))  # fmt: skip
    first = time.perf_counter() - start
    until(app, lambda: not window.model.loading)
    every = time.perf_counter() - start
    return {"first_s": first, "all_s": every, "rows": window.model.rowCount()}


def _sort(app: QApplication, window: MainWindow, queue: PaintWatch) -> dict[str, Any]:
    _reset(app, window)
    app.processEvents()
    before = queue.count
    start = time.perf_counter()
    window.queue.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    until(app, lambda: queue.count > before and window.model.rowCount() > 0)
    first = time.perf_counter() - start
    until(app, lambda: not window.model.loading)
    every = time.perf_counter() - start
    window.queue.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    until(app, lambda: not window.model.loading)
    return {"first_s": first, "all_s": every, "rows": window.model.rowCount()}


def _typing(app: QApplication, window: MainWindow, words: str) -> float:
    """Type ``words`` into the search box a key every 300 ms (past the 250 ms pause, so each
    key searches); the longest gap between 5 ms ticks of a timer is the longest freeze."""
    _reset(app, window)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    box = window.queue.search
    box.setFocus()
    for n in range(1, len(words) + 1):
        box.setText(words[:n])
        end = time.perf_counter() + 0.3
        until(app, lambda end=end: time.perf_counter() > end)  # type: ignore[misc]
    until(app, lambda: not window.model.loading)
    timer.stop()
    return max((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=0.0)


def main(argv: list[str]) -> int:
    workspace, out = Path(argv[0]), Path(argv[1])
    nav = int(argv[2]) if len(argv) > 2 else 1000
    result = measure(workspace, nav)
    out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
