"""The window on a small screen: at 1280x720 (100 % and 125 % text) and 1024x700, every action
of the decision panel and its error are in sight, and the case rewraps instead of scrolling
sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from annotator.ui.main_window import MainWindow
from annotator.ui.queue_model import COLUMNS
from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, key, write_jsonl

pytestmark = pytest.mark.gui

SIZES = [(1280, 720, 1.0), (1280, 720, 1.25), (1024, 700, 1.0)]


@pytest.fixture
def text_scale(request: pytest.FixtureRequest) -> Iterator[float]:
    """The application's text at ``request.param`` times its size (a user's larger font)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QFont(app.font())
    larger = QFont(before)
    larger.setPointSizeF(before.pointSizeF() * request.param)
    app.setFont(larger)
    yield request.param
    app.setFont(before)


def in_sight(widget: QWidget, window: MainWindow) -> bool:
    """The whole widget is painted: inside the window and not clipped by a scroll area."""
    if not widget.isVisible():
        return False
    top_left = widget.mapTo(window, widget.rect().topLeft())
    on_window = QRect(top_left, widget.size())
    unclipped = widget.visibleRegion().boundingRect() == widget.rect()
    return window.rect().contains(on_window) and unclipped


def check_fits(window: MainWindow, qtbot: QtBot) -> None:
    panel = window.panel
    qtbot.waitUntil(lambda: window.review.detail is not None)
    QApplication.processEvents()
    actions = [panel.save_button, panel.skip_button, panel.clear_button]
    actions += list(panel._conf_buttons.values())
    for button in actions:
        assert in_sight(button, window), button.text()
    view = window.view
    inner = view.widget()
    assert not view.horizontalScrollBar().isVisible()
    assert inner.width() <= view.viewport().width()
    assert inner.minimumSizeHint().width() <= view.viewport().width()


@pytest.mark.parametrize(
    ("width", "height", "text_scale"),
    SIZES,
    indirect=["text_scale"],
    ids=[f"{w}x{h}-{s:.0%}" for w, h, s in SIZES],
)
def test_actions_and_error_stay_in_sight(
    make_window, qtbot: QtBot, width: int, height: int, text_scale: float
) -> None:
    window = make_window(SAMPLE)
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().width() == width and window.height() == height)
    service = window.review.service
    assert service is not None
    # Each kind of case: pass/fail with two raters, A/B/tie with candidates, a 1-5 scale.
    for ext_id in ("faith-001", "pref-008", "help-015"):
        window.queue.select_id(service.row_id(ext_id) or 0)
        check_fits(window, qtbot)
    # Saved with no rationale: the error says so, in sight with the buttons. (The keys are
    # window shortcuts, which act only in the active window: on a loaded machine the window
    # can still be waiting to be activated here.)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.queue.table.setFocus()
    key(qtbot, window, "1")
    key(qtbot, window, "Ctrl+Return")
    assert "rationale" in window.panel.error.text()
    assert in_sight(window.panel.error, window)
    check_fits(window, qtbot)
    # A decided case (its state line is longer) and one with a long, unbroken id and label.
    window.panel.rationale.setPlainText("Checked against the leaflet.")
    window.review.save_and_next()
    window.review.go(-1)
    check_fits(window, qtbot)


def test_long_names_are_cut_not_scrolled(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    long_id = "case-" + "x" * 120
    label = "a-very-long-label-" + "y" * 60
    header = {**PASS_FAIL, "labels": ["fail", label]}
    rows = [case(long_id, judge=label, raters={"rater-" + "z" * 80: "fail"})]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, header))
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    check_fits(window, qtbot)


ZERO_TO_TEN = {
    "title": "Scores",
    "labels": [str(n) for n in range(11)],
    "ordinal": True,
    "threshold": 2,
    "rubric": "How good is it?\n10 — perfect\n5 — half right\n0 — wrong",
}


def test_digits_type_the_number_on_a_numeric_scale(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    rows = [case("a", judge="9", raters={"alice": "1"}), case("b", judge="0", raters={"x": "7"})]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, ZERO_TO_TEN))
    clock = [100.0]
    window.panel._keys._clock = lambda: clock[0]
    window.queue.table.setFocus()
    key(qtbot, window, "5")
    assert window.panel.label() == "5"  # the label "5", not the 5th label ("4")
    clock[0] += 5
    key(qtbot, window, "9")
    assert window.panel.label() == "9"
    clock[0] += 5
    key(qtbot, window, "1")
    assert window.panel.label() == "1"
    clock[0] += 0.3
    key(qtbot, window, "0")  # within a moment of the 1: ten
    assert window.panel.label() == "10"
    clock[0] += 5
    key(qtbot, window, "0")
    assert window.panel.label() == "0"
    clock[0] += 0.3
    key(qtbot, window, "3")  # "03" is 3
    assert window.panel.label() == "3"
    clock[0] += 0.3
    key(qtbot, window, "7")  # "37" is no label: 7 starts again
    assert window.panel.label() == "7"
    key(qtbot, window, "Alt+8")
    assert window.panel.label() == "8"
    # The buttons read "5", not "5   5"; the rubric's lines describe 10, 5 and 0.
    texts = [b.full_text() for b in window.panel._label_buttons]
    assert texts[4] == "4"
    assert texts[5].startswith("5") and "half right" in texts[5]
    assert texts[10].startswith("10") and "perfect" in texts[10]
    assert "key 1 0" in window.panel._label_buttons[10].toolTip()


def test_other_scales_keep_their_positions(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    header = {**PASS_FAIL, "labels": ["A", "B", "tie"]}
    window = make_window(
        write_jsonl(tmp_path / "c.jsonl", [case("a", judge="A", raters={"x": "B"})], header)
    )
    window.queue.table.setFocus()
    key(qtbot, window, "2")
    assert window.panel.label() == "B"
    assert [b.full_text() for b in window.panel._label_buttons] == ["1   A", "2   B", "3   tie"]


def test_ctrl_r_goes_after_the_rationale(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL))
    window.queue.table.setFocus()
    key(qtbot, window, "1")
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "First part.")
    window.queue.table.setFocus()
    window.panel.rationale.moveCursor(window.panel.rationale.textCursor().MoveOperation.Start)
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, " Second part.")
    assert window.panel.rationale.toPlainText() == "First part. Second part."


def test_search_and_filters_stay_with_their_workspace(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", [case("a1"), case("a2")], PASS_FAIL)
    second = write_jsonl(tmp_path / "second.jsonl", [case("b1"), case("b2")], PASS_FAIL)
    window = make_window(first)
    window.queue.search.setText("a2")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=3000)
    window.queue.status.setCurrentIndex(1)
    window.open_path(second)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert window.queue.search.text() == ""
    assert window.queue.status.currentIndex() == 0
    assert window.model.rowCount() == 2
    assert window.review.detail is not None and window.review.detail.case.id == "b1"

    # Back to the first: its search and filter come back with it, and only there.
    window.queue.status.setCurrentIndex(0)
    window.open_path(first)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert window.queue.search.text() == "a2"
    assert window.queue.status.currentIndex() == 1
    qtbot.waitUntil(lambda: window.queue.current_filter().text == "a2", timeout=3000)
    window.open_path(second)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert window.queue.search.text() == "" and window.queue.status.currentIndex() == 0


def test_the_command_line_finds_the_windows_workspace(
    make_window,
    qtbot: QtBot,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotator.cli import main
    from annotator.ui import dialogs

    cases = write_jsonl(tmp_path / "cases.jsonl", [case("a"), case("b")], PASS_FAIL)
    window = make_window(cases)
    window.panel.choose_label_number(2)
    window.panel.rationale.setPlainText("the raters missed it")
    window.review.save_and_next()
    assert window.ws is not None and window.ws.path is not None
    made = window.ws.path

    out = tmp_path / "x.jsonl"
    assert main(["export", str(cases), "-o", str(out)]) == 0
    assert '"label": "pass"' in out.read_text(encoding="utf-8")
    assert str(made) in capsys.readouterr().err
    assert main(["agreement", str(cases), "--json", "--resamples", "0"]) == 0
    assert list(made.parent.glob("*.annotator")) == [made]  # no second workspace

    window.actions_by_id["copy_path"].trigger()
    assert QApplication.clipboard().text() == str(made)
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "info", lambda _parent, _title, text: shown.append(text))
    window.actions_by_id["properties"].trigger()
    assert str(made) in shown[0] and str(cases) in shown[0]


def test_a_skipped_line_is_named_and_enter_closes_the_message(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    path = write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    window = make_window(path)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    box = boxes[0]
    assert "1 line was skipped:" in box.text()
    assert "line 4" in box.text()  # the problem itself, not only behind Show Details
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.isVisible())


def test_enter_is_ok_in_a_message_with_details(make_window, qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from annotator.ui import dialogs

    window = make_window()
    dialogs.message(window, QMessageBox.Icon.Information, "Merged", "3 files", "the details")
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    qtbot.waitExposed(box)
    qtbot.keyClick(QApplication.focusWidget() or box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.isVisible())


def test_a_draft_is_marked_in_the_queue(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    model = window.model
    status = next(i for i, (name, _t, _k) in enumerate(COLUMNS) if name == "status")

    def mark(row: int) -> str:
        return str(model.data(model.index(row, status)))

    assert "✎" not in mark(0)
    window.panel.choose_label_number(1)
    window.panel.rationale.setPlainText("half a thought")
    window.review.go(+1)  # the draft is written as the reviewer moves on
    qtbot.waitUntil(lambda: "✎" in mark(0))
    assert "typed, not saved" in str(model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole))
    assert "✎" not in mark(1)
    window.review.go(-1)
    window.review.save_and_next()
    qtbot.waitUntil(lambda: "✎" not in mark(0))
    assert "✓" in mark(0)


def test_the_case_scrolls_by_keyboard(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    long = "\n".join(f"line {i} of a long answer" for i in range(300))
    rows = [case("a", output=long), case("b")]
    window = make_window(write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    window.resize(1280, 720)
    bar = window.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    window.queue.table.setFocus()
    key(qtbot, window, "PgDown")  # the queue has the keys: it moves, the case does not scroll
    assert bar.value() == 0
    window.queue.select_row(0)
    key(qtbot, window, "F6")
    assert window.view.hasFocus()
    key(qtbot, window, "PgDown")
    first = bar.value()
    assert first > 0
    key(qtbot, window, "Space")
    assert bar.value() > first
    key(qtbot, window, "Shift+Space")
    assert bar.value() == first
    key(qtbot, window, "End")
    assert bar.value() == bar.maximum()
    key(qtbot, window, "2")  # the label keys still work
    assert window.panel.label() == "pass"
    key(qtbot, window, "Home")
    window.view._output.text.short.setFocus()  # clicked into the text: it pages the case too
    key(qtbot, window, "PgDown")
    assert bar.value() == first
    key(qtbot, window, "Esc")
    assert window.queue.table.hasFocus()


def test_ctrl_z_in_the_rationale_undoes_the_decision_and_keeps_the_text(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a"), case("b")], PASS_FAIL))
    window.queue.table.setFocus()
    key(qtbot, window, "1")
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "On a.")
    key(qtbot, window, "Ctrl+Return")
    assert window.review.detail is not None and window.review.detail.case.id == "b"
    key(qtbot, window, "Ctrl+R")
    qtbot.keyClicks(window.panel.rationale, "Typed on b.")
    key(qtbot, window, "Ctrl+Z")  # in the rationale box: the decision on a is taken back
    assert window.review.detail.case.id == "a"
    assert window.progress_bar.value() == 0
    window.review.go(+1)
    assert window.panel.rationale.toPlainText() == "Typed on b."
    key(qtbot, window, "Ctrl+R")
    key(qtbot, window, "Ctrl+Shift+Z")  # and redone
    assert window.progress_bar.value() == 1


def test_view_appearance_light_dark_or_system(make_window, qtbot: QtBot, tmp_path: Path) -> None:
    from annotator.settings import Settings
    from annotator.ui import theme

    window = make_window(write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL))
    assert window.actions_by_id["appearance_system"].isChecked()
    assert not theme.is_dark()
    try:
        window.actions_by_id["appearance_dark"].trigger()
        assert theme.is_dark()
        assert Settings.load().appearance == "dark"
        assert not window.actions_by_id["appearance_system"].isChecked()
        # Unchosen buttons and chips keep a visible outline on the dark palette.
        border = theme.border_color()
        background = QApplication.palette().color(QApplication.palette().ColorRole.Button)
        assert abs(border.lightness() - background.lightness()) > 60
        assert border.name() in window.panel._label_buttons[0].styleSheet()
        # (the tags' outline: the panel's style sheet is on the widgets holding its buttons)
        assert window.panel._styled and not window.panel.styleSheet()
        assert all(border.name() in host.styleSheet() for host in window.panel._styled)
        window.actions_by_id["appearance_light"].trigger()
        assert not theme.is_dark()
        assert theme.border_color().name() in window.panel._label_buttons[0].styleSheet()
        light = theme.border_color().name()
        assert all(light in host.styleSheet() for host in window.panel._styled)
    finally:
        window.actions_by_id["appearance_system"].trigger()
    assert not theme.is_dark()
    assert Settings.load().appearance == "system"


def test_no_display_is_said_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.ui import app

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(app.sys, "platform", "linux")
    assert app.run(None) == 1
    err = capsys.readouterr().err
    assert "needs a display" in err and "annotator import" in err
    assert len(err.strip().splitlines()) == 1
    monkeypatch.setenv("DISPLAY", ":0")
    assert app.no_display() is None


def test_the_labelled_file_is_named_after_the_reviewer(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(
        write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL), reviewer="Dr. A. Okafor"
    )
    dialog = window.files.choose_and_export()
    assert dialog is not None
    assert dialog.stem == "Test-project-decisions-Dr-A-Okafor"
    dialog.reject()


def test_the_agreement_page_leaves_the_queue_in_sight(make_window, qtbot: QtBot) -> None:
    from PySide6.QtCore import QPoint

    window = make_window(SAMPLE)
    window.setGeometry(0, 0, 700, 600)
    window.actions_by_id["agreement"].trigger()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=30000)
    page = window.agreement_page
    assert page is not None
    qtbot.waitExposed(page)
    queue = window.queue
    queue_rect = QRect(queue.mapToGlobal(QPoint(0, 0)), queue.size())
    # The offscreen screen is 800 wide: beside the queue there is room for the page.
    assert not page.frameGeometry().intersects(queue_rect)
    assert not page.isMinimized()
    page.move(0, 0)  # the reviewer put it over the queue, then clicks a cell
    page.cellActivated.emit("faithfulness", "pass", "fail")
    assert not page.frameGeometry().intersects(queue_rect)
    window.setGeometry(0, 0, 1400, 700)  # the queue wider: no room beside it any more
    page.move(0, 0)
    page.cellActivated.emit("faithfulness", "pass", "fail")
    assert page.isMinimized()
    assert window.queue.reviews.currentData() == ("faithfulness", "pass", "fail")
    page.close()


def test_help_guide_is_the_readme_for_reviewers_and_leads(make_window, qtbot: QtBot) -> None:
    import importlib.util

    from PySide6.QtWidgets import QTextBrowser

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("make_guide", REPO / "scripts" / "make_guide.py")
    assert spec is not None and spec.loader is not None
    make_guide = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_guide)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shipped = (REPO / "resources" / "guide.md").read_text(encoding="utf-8")
    assert shipped == make_guide.guide(readme), "run python scripts/make_guide.py"

    window = make_window()
    window.actions_by_id["guide"].trigger()
    browser = next(b for b in window.findChildren(QTextBrowser) if b.isVisible())
    text = browser.toPlainText()
    assert "Ctrl+Enter" in text and "For leads" in text and "Merge reviewer files" in text
    assert "![" not in text and not browser.openLinks()


def test_the_panel_says_a_leads_own_review_settles_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    from annotator.services.importer import import_file
    from annotator.services.merge import merge_into_workspace
    from annotator.services.review import ReviewService
    from annotator.services.workspace import Workspace
    from annotator.ui.decision_panel import DecisionPanel
    from tests.helpers import REVIEW_PLAN, reviewer_file

    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    review = ReviewService(lead, "lee", clock=lambda: "2026-01-01T09:00:00Z")
    c2 = review.row_id("c2") or 0
    review.decide(c2, "fail", "before the merge")
    merge_into_workspace(lead, files, clock=lambda: "2026-01-02T09:00:00Z")
    panel = DecisionPanel()
    qtbot.addWidget(panel)
    panel.set_case(review.case(c2), [])
    assert "settles nothing" in panel.state.text()
    ReviewService(lead, "lee").decide(c2, "fail", "after the merge")
    panel.set_case(review.case(c2), [])
    assert "Decided by lee" in panel.state.text()
    lead.close()


def test_a_workspaces_filters_outlast_a_restart(tmp_path: Path) -> None:
    """The views are saved with the settings, for the recent workspaces only; a damaged entry
    in the file is passed over, not a reason to lose the others."""
    import json

    from annotator.settings import Settings

    settings = Settings.load()
    first, gone = tmp_path / "first.annotator", tmp_path / "gone.annotator"
    settings.add_recent(first)
    settings.keep_view(gone, {"search": "old"})  # not a recent workspace: not kept
    settings.keep_view(first, {"search": "dosing", "status": "UNDECIDED", "label": "fail"})
    assert settings.save() is None
    assert Settings.load().queue_views == {
        str(first): {"search": "dosing", "status": "UNDECIDED", "label": "fail"}
    }
    data = json.loads(Settings.file().read_text(encoding="utf-8"))
    data["queue_views"]["x"] = ["not", "a", "view"]
    data["queue_views"][str(first)]["tag"] = 3
    Settings.file().write_text(json.dumps(data), encoding="utf-8")
    assert Settings.load().queue_views == {
        str(first): {"search": "dosing", "status": "UNDECIDED", "label": "fail"}
    }
