"""View › Alignment of judge runs… (Ctrl+Shift+L): the loop of issue 15 in the window.

A reviewer's decisions on the sample go out as a calibration pack, the sample's second judge
run comes back in, and the Alignment page shows both runs, the human ceiling, McNemar's
p-value and the fixed and broken counts; a click on "fixed" (and Tab to "broken", Enter)
lists exactly the cases the alignment service names in the queue.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.services.alignment import changed_cases
from annotator.services.calibration import write_pack
from annotator.services.importer import import_file
from annotator.services.judge_runs import add_run, remove_run
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, key, write_jsonl

pytestmark = pytest.mark.gui

JUDGE_RUN_2 = SAMPLE.parent / "judge-run-2.jsonl"


def decide_by_raters(ws: Workspace, cases: Path) -> int:
    """Decide every rated case of ``cases`` as most of its raters did, with a rationale."""
    review = ReviewService(ws, "expert")
    decided = 0
    with cases.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            labels = [str(r["label"]) for r in record.get("ratings") or [] if "label" in r]
            if "id" not in record or not labels:
                continue
            label = Counter(labels).most_common(1)[0][0]
            review.decide(review.row_id(record["id"]) or 0, label, f"As most raters: {label}.")
            decided += 1
    return decided


@pytest.fixture
def looped(tmp_path: Path) -> Path:
    """The sample decided, a pack written from it, the second judge's run added."""
    path = tmp_path / "s.annotator"
    ws = Workspace.open(path)
    import_file(ws, SAMPLE)
    assert decide_by_raters(ws, SAMPLE) > 40
    written = write_pack(ws, tmp_path / "pack")
    assert written.heldout > 0 and (tmp_path / "pack" / "heldout.jsonl").exists()
    add_run(ws, JUDGE_RUN_2, "judge v2")
    ws.close()
    return path


def listed(window: Any) -> list[str]:
    """The case ids the queue lists."""
    model = window.model
    model.wait_until_loaded()
    return [str(model.data(model.index(row, 0))) for row in range(model.rowCount())]


def test_the_loop_on_the_alignment_page(
    make_window: Any, qtbot: QtBot, looped: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMenu

    window = make_window(looped)
    action = window.actions_by_id["alignment"]
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+L"
    view_menu = next(m for m in window.menuBar().findChildren(QMenu) if "View" in m.title())
    assert action in view_menu.actions()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.queue.table.setFocus()
    key(qtbot, window, "Ctrl+Shift+L")
    qtbot.waitUntil(lambda: window.alignment.page is not None, timeout=20000)
    page = window.alignment.page
    assert page.isVisible()
    report = page.report
    assert [r.name for r in report.runs][1] == "judge v2" and len(report.runs) == 2
    c = report.criterion("faithfulness")
    assert c is not None and c.heldout_cases > 0

    # Both runs on the chart, the ceiling as its target line.
    chart = page.charts["faithfulness"]
    assert [p.name for p in chart.data.points] == [r.name for r in report.runs]
    assert all(p.value is not None and p.n == c.heldout_cases for p in chart.data.points)
    assert chart.data.ceiling == c.ceiling_heldout.figure.value is not None
    assert "Human ceiling on these cases" in chart.describe_all()
    # The ceiling is named for the cases it is on, apart from the Agreement page's.
    from PySide6.QtWidgets import QLabel, QTableView

    rows = [
        str(t.model().index(r, 0).data())
        for t in page.findChildren(QTableView)
        for r in range(t.model().rowCount())
    ]
    assert "human ceiling on these cases (the target)" in rows
    assert "human ceiling (leave-one-out)" not in rows
    notes = " ".join(label.text() for label in page.findChildren(QLabel))
    assert "not on every case with two ratings as the Agreement page's" in notes
    page.grab().save(str(tmp_path / "alignment_page.png"))
    figure = page.figure_boxes["faithfulness"]
    figure.setCurrentIndex(figure.findData("kappa"))
    kappa = chart.data
    assert "kappa" in kappa.figure and kappa.ceiling is None and not kappa.percent

    # The last two runs compared: McNemar's p-value, fixed and broken.
    box = page.compare_boxes["faithfulness"]
    assert box.pair() == (0, 1)
    pair = c.pairs[0].heldout
    assert pair.fixed > 0
    assert box.p_value.text() == f"McNemar's exact p = {pair.p_value:.3f}"
    assert box.fixed.text() == f"Fixed: {pair.fixed} ›"
    assert box.broken.text() == f"Broken: {pair.broken} ›"
    before, after = report.runs
    ws = window.ws
    fixed = changed_cases(ws, before, after, "faithfulness", "fixed")
    broken = changed_cases(ws, before, after, "faithfulness", "broken")
    assert len(fixed) == pair.fixed and len(broken) == pair.broken

    # A click on "fixed" lists exactly those cases.
    window.queue.status.setCurrentIndex(1)  # a filter of the reviewer's own: set aside
    qtbot.mouseClick(box.fixed, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert sorted(listed(window)) == sorted(fixed)
    assert "Fixed by run 2" in window.queue.reviews.currentText()

    # By keyboard: Tab from the runs' choice to "fixed", then "broken"; Enter opens it.
    page.activateWindow()  # (the click brought the window and its queue to the front)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    box.after.setFocus()
    key(qtbot, page, "Tab")
    assert QApplication.focusWidget() is box.fixed
    key(qtbot, page, "Tab")
    assert QApplication.focusWidget() is box.broken
    key(qtbot, page, "Return")
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert sorted(listed(window)) == sorted(broken)
    assert page.isVisible()  # Enter opened the cases, it did not close the page

    # Recompute: the page again, on the tab it was showing.
    page.tabs.setCurrentIndex(2)
    shown_tab = page.tabs.tabText(2)
    page.refreshRequested.emit()
    qtbot.waitUntil(lambda: window.alignment.page is not page, timeout=20000)
    again = window.alignment.page
    assert again.tabs.tabText(again.tabs.currentIndex()) == shown_tab


def test_runs_scored_on_calibration_examples_are_warned_of(
    make_window: Any, qtbot: QtBot, looped: Path, tmp_path: Path
) -> None:
    """A pack written with another split gave held-out cases as examples: the page says so
    above the figures, and names the runs scored on them."""
    from PySide6.QtWidgets import QFrame

    ws = Workspace.open(looped)
    write_pack(ws, tmp_path / "other-pack", seed=7)  # this pack's own split
    ws.close()
    window = make_window(looped)
    window.alignment.show()
    qtbot.waitUntil(lambda: window.alignment.page is not None, timeout=20000)
    page = window.alignment.page
    report = page.report
    assert report.warning is not None and report.warning.cases > 0
    frames = [f for f in page.findChildren(QFrame) if f.objectName() == "calibrationWarning"]
    texts = [" ".join(label.text() for label in _labels(f)) for f in frames]
    assert frames[0].isVisible() and report.warning.text in texts[0]
    # Above the tabs, in sight without scrolling.
    assert frames[0].mapTo(page, frames[0].rect().bottomLeft()).y() < page.tabs.y()
    scored = [r for c in report.criteria for r in c.runs if r.examples_scored]
    assert scored and any("calibration pack gave as" in t for t in texts[1:])
    assert any("chosen mostly among its mistakes" in t for t in texts[1:])  # the imported run


def test_the_open_page_follows_the_runs_and_the_split(
    make_window: Any, qtbot: QtBot, looped: Path
) -> None:
    """With the page open, a run removed (File > Judge runs...) or the split changed (File >
    Held-out split...) computes it again, in its place; nothing else does."""
    from annotator.services.changes import Changes
    from annotator.services.split import SplitSettings, set_split_settings

    window = make_window(looped)
    window.alignment.show()
    qtbot.waitUntil(lambda: window.alignment.page is not None, timeout=20000)
    first = window.alignment.page
    assert [r.name for r in first.report.runs] == ["imported judge", "judge v2"]
    window.apply(Changes(queue=True))  # (a decision, an import: the page stays as it is)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert window.alignment.page is first

    window.judge_runs._do(lambda ws: remove_run(ws, "judge v2"))  # what Remove does
    qtbot.waitUntil(lambda: window.alignment.page is not first, timeout=20000)
    second = window.alignment.page
    assert second is not None and [r.name for r in second.report.runs] == ["imported judge"]

    window.apply(set_split_settings(window.ws, SplitSettings(fraction=0.3, seed=4)))
    qtbot.waitUntil(lambda: window.alignment.page is not second, timeout=20000)
    third = window.alignment.page
    assert third is not None and (third.report.fraction, third.report.split_seed) == (0.3, 4)


def test_one_run_says_what_to_do_next(make_window: Any, qtbot: QtBot, tmp_path: Path) -> None:
    rows = [case("a", judge="pass", raters={"r": "fail"}), case("b", judge="fail")]
    path = write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL)
    window = make_window(path)
    window.alignment.show()
    qtbot.waitUntil(lambda: window.alignment.page is not None, timeout=20000)
    page = window.alignment.page
    shown = "\n".join(label.text() for label in _labels(page))
    assert "No decided cases yet" in shown
    assert "File › Export calibration pack…" in shown and "File › Add judge run…" in shown

    # One case decided: the one run's figures, and how to add the next.
    service = window.review.service
    service.decide(service.row_id("a") or 0, "fail", "The raters were right.")
    page.refreshRequested.emit()
    qtbot.waitUntil(lambda: window.alignment.page is not page, timeout=20000)
    page = window.alignment.page
    shown = "\n".join(label.text() for label in _labels(page))
    assert "Only one judge run so far" in shown
    assert "File › Add judge run…" in shown
    assert not page.compare_boxes
    assert len(next(iter(page.charts.values())).data.points) == 1


def _labels(page: Any) -> list[Any]:
    from PySide6.QtWidgets import QLabel

    return page.findChildren(QLabel)


# -- the page alone, on plain data --------------------------------------------------------------

HOSTILE = "<b>judge</b> &v3\u202e" + "x" * 150


def estimate(value: float | None, n: int = 20) -> Any:
    from annotator.domain.agreement import Figure, Interval
    from annotator.domain.alignment import Estimate

    if value is None:
        return Estimate(Figure(None, 0, "no cases"), Interval(None, None, 0.95, 0, 0))
    return Estimate(Figure(value, n), Interval(value - 0.1, min(value + 0.1, 1.0), 0.95, 100, 0))


def fake_report(names: list[str], accuracies: list[float | None], *, examples: int = 0) -> Any:
    """An alignment report of plain data: one criterion, pass/fail, the runs given."""
    from annotator.domain.alignment import Comparison, LabelEstimates, RunFigures
    from annotator.domain.merge import Scale
    from annotator.services.alignment import (
        AlignmentReport,
        CalibrationWarning,
        CriterionAlignment,
        Run,
        RunPair,
        RunScores,
    )

    def figures(a: float | None) -> RunFigures:
        per = tuple(
            LabelEstimates(label, 10, estimate(a), estimate(a), estimate(a))
            for label in ("pass", "fail")
        )
        return RunFigures(20 if a is not None else 0, estimate(a), estimate(a), estimate(a), per)

    runs = tuple(Run(i + 1, name, "", i, i == 0) for i, name in enumerate(names))
    scores = tuple(
        RunScores(run, figures(a), figures(a), examples if i else 0)
        for i, (run, a) in enumerate(zip(runs, accuracies, strict=True))
    )
    changed = Comparison(20, 10, 4, 5, 1, 0.21875)
    pairs = tuple(RunPair(a, b, changed, changed) for a, b in zip(runs, runs[1:], strict=False))
    criterion = CriterionAlignment(
        "faithfulness", Scale(("pass", "fail")), None, 20, 40, scores,
        estimate(0.85), estimate(0.85), pairs,
    )  # fmt: skip
    warning = CalibrationWarning(examples, 1) if examples else None
    return AlignmentReport(runs, (criterion,), 0.5, 0, 40, 20, 0, warning, 0, 100)


@pytest.fixture(params=[1.0, 1.25], ids=["100%", "125%"])
def larger(request: pytest.FixtureRequest) -> Iterator[None]:
    """The application's text at 100 % and at 125 % (a user's larger font)."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QFont(app.font())
    font = QFont(before)
    font.setPointSizeF(before.pointSizeF() * request.param)
    app.setFont(font)
    yield
    app.setFont(before)


@pytest.mark.usefixtures("larger")
def test_the_page_fits_a_laptop_screen_with_hostile_names(qtbot: QtBot) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication, QScrollArea

    from annotator.ui.alignment_page import AlignmentPage

    names = ["imported judge", HOSTILE, "v3"]
    page = AlignmentPage(fake_report(names, [0.6, 0.8, None], examples=3), "Sample")
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    QApplication.processEvents()
    scroll = page.tabs.currentWidget()
    assert isinstance(scroll, QScrollArea)
    assert not scroll.horizontalScrollBar().isVisible()
    chart = page.charts["faithfulness"]
    box = page.compare_boxes["faithfulness"]
    for widget in (chart, box.fixed, box.broken, box.p_value):  # in sight without scrolling
        corner = widget.mapTo(page, QPoint(widget.width(), widget.height()))
        assert page.rect().contains(corner), widget
        assert widget.visibleRegion().boundingRect() == widget.rect(), widget
    # The last two runs are compared; the undefined third says so on the chart.
    assert box.pair() == (1, 2)
    assert "undefined" in chart.describe(2)
    # Names are plain text: the override shown as a mark (the chart draws them as text).
    assert "⟨RLO⟩" in chart.describe(1) and "\u202e" not in chart.describe(1)
    assert "\u202e" not in box.after.itemText(1)
    assert box.after.itemText(0).startswith("1. imported judge")
    warnings = [label.text() for label in _labels(page) if "calibration pack" in label.text()]
    assert warnings, "the warning of runs scored on examples is shown"

    # Beside the queue on a small screen: the comparison goes under the chart, in sight
    # without scrolling sideways.
    page.resize(460, 720)
    QApplication.processEvents()
    QApplication.processEvents()
    viewport = scroll.viewport()
    for widget in (chart, box.fixed, box.broken):
        right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
        assert right <= viewport.width(), widget
    assert box.mapTo(page, QPoint(0, 0)).y() > chart.mapTo(page, QPoint(0, chart.height())).y()


def test_the_chart_reads_in_light_and_dark(qtbot: QtBot) -> None:
    from PySide6.QtGui import QColor

    from annotator.ui import theme
    from annotator.ui.alignment_chart import AlignmentChart, ChartData, ChartPoint

    data = ChartData(
        (ChartPoint("a", 0.5, 0.4, 0.6, 10), ChartPoint("b", 0.8, 0.7, 0.9, 10)),
        "Accuracy, held-out cases",
        ceiling=0.85,
    )
    for look in ("light", "dark"):
        theme.apply_appearance(look)
        chart = AlignmentChart(data)
        qtbot.addWidget(chart)
        chart.resize(600, 260)
        image = chart.grab().toImage()
        background = chart.palette().color(chart.backgroundRole())
        runs, ceiling, _grid, _band = chart._colors()
        for ink in (runs, ceiling):  # each stands out from the background
            assert abs(ink.lightness() - background.lightness()) > 60 or ink.hue() != -1
        # The second run's point is drawn where its value is.
        x, y = round(chart._x(1)), round(chart._y(0.8))
        assert QColor(image.pixel(x, y)).rgb() == runs.rgb()
        assert "Run 2, b: Accuracy, held-out cases 80%" in chart.describe(1)
    theme.apply_appearance("system")


def test_the_alignment_page_is_plain_text(make_window: Any, qtbot: QtBot, tmp_path: Path) -> None:
    """The hostile sample, its reviewers' files merged, a second run with a hostile name."""
    from PySide6.QtWidgets import QApplication

    from tests.data.hostile import make
    from tests.test_hostile_gui import HOSTILE, REVIEWER_FILES, offenders

    window = make_window(HOSTILE / "cases.jsonl", reviewer=make.REVIEWERS["ana"])
    window.files.merge(REVIEWER_FILES)
    qtbot.waitUntil(lambda: not window.runner.tasks and window.lead, timeout=20000)
    ws = window.ws
    schemes = ws.project().schemes
    rows = []
    with (HOSTILE / "cases.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if "id" in record:
                labels = schemes[record.get("criterion") or ""].labels
                rows.append({"id": record["id"], "label": labels[len(rows) % len(labels)]})
    run = tmp_path / "run.jsonl"
    run.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    add_run(ws, run, "<b>v2</b> & \u05e9\u05dc\u05d5\u05dd [*] " + "w" * 120)
    window.alignment.show()
    qtbot.waitUntil(lambda: window.alignment.page is not None, timeout=30000)
    page = window.alignment.page
    QApplication.processEvents()
    assert offenders(page) == []
    for i in range(page.tabs.count()):
        page.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        assert offenders(page) == []
    chart = next(iter(page.charts.values()))
    assert "<b>v2</b> &" in chart.describe(1)  # as written, shown as text (the tooltip escaped)
