"""The main window: assembles queue, case view and decision panel; menus; files in and out."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QSettings, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from annotator import __version__, paths
from annotator.domain.merge import ReviewState
from annotator.domain.model import Confidence, WhoRight
from annotator.services.agreement import AgreementReport
from annotator.services.agreement.workspace import workspace_report
from annotator.services.blind import BlindSettings, blind_settings, order_seed, set_blind
from annotator.services.changes import NOTHING, Changes
from annotator.services.judge_runs import (
    RUNS_CHANGED,
    RunVerdict,
    case_verdicts,
    imported_run_name,
)
from annotator.services.merge import MergeReport, conflict_progress, has_reviews
from annotator.services.review import CaseDetail, Progress, ReviewService
from annotator.services.summary import format_summary, summarize
from annotator.services.workspace import Workspace, WorkspaceError
from annotator.settings import Settings
from annotator.ui import dialogs, theme
from annotator.ui.actions import ACTIONS, LABEL_DIGITS, MENUS
from annotator.ui.agreement_page import AgreementPage
from annotator.ui.alignment_flow import AlignmentFlow
from annotator.ui.case_view import CaseView
from annotator.ui.controller import ReviewController
from annotator.ui.decision_panel import DecisionPanel
from annotator.ui.files import Files
from annotator.ui.guide import guide_dialog
from annotator.ui.held_drafts import confirm_losing_drafts
from annotator.ui.judge_run_flow import JudgeRunFlow
from annotator.ui.one_writer import Claim, WriterGuard
from annotator.ui.plain import action_text, mnemonic, piece, window_title
from annotator.ui.queue_model import QueueModel
from annotator.ui.queue_panel import QueuePanel, SwitchedToJudge
from annotator.ui.read_only_banner import ReadOnlyBanner
from annotator.ui.rubric_dialog import RubricDialog
from annotator.ui.search_indexer import SearchIndexer
from annotator.ui.split_dialog import SplitFlow
from annotator.ui.widgets import ProgressBar, StatusBar, plain_label, safe_tooltip
from annotator.ui.workers import TaskRunner
from annotator.ui.writes import Writes

PAGE_MIN_WIDTH = 400
"""The Agreement page is put beside the queue if it can be this wide there (and as wide as
its contents need)."""


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.ws: Workspace | None = None
        self.writes = Writes(self)
        """Every write of the window goes through it: one at a time, waiting for a busy
        workspace with the window painting (tests shorten its ``patience``)."""
        self.writer = WriterGuard(self)
        """This window's standing on its workspace: the writer, or read-only and why."""
        self.writer.paused = lambda: self.writes.busy
        self.confirm_lose = confirm_losing_drafts
        """Asked before closing or leaving a workspace with typed text it could not write."""
        self._close_after_write = False
        self.runner = TaskRunner(self, busy=lambda: self.writes.busy)
        self.indexer = SearchIndexer(self)
        """Builds the search index of cases an import added, in the background."""
        self.setAcceptDrops(True)
        self.setWindowTitle("annotator")
        self.setStatusBar(StatusBar())  # (its messages quote files: shown inert)

        self.model = QueueModel(self)
        self.queue = QueuePanel(self.model)
        self.view = CaseView()
        self.panel = DecisionPanel()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        # On a short screen the decision panel scrolls its upper part; its actions stay in sight.
        for widget in (self.queue, self.view, self.panel):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 6)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([530, 790, 360])
        self.splitter.setChildrenCollapsible(False)
        self.banner = ReadOnlyBanner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.review = ReviewController(
            self.queue,
            self.view,
            self.panel,
            self.ensure_reviewer,
            writes=self.writes,
            may_write=self.writer.check,
        )
        self.files = Files(
            self,
            settings,
            self.runner,
            lambda: self.ws,
            self._set_workspace,
            self.apply,
            writes=self.writes,
            may_write=self.writer.check,
        )
        self.files.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.files.merged.connect(self._merged)
        self.review.progressChanged.connect(self._show_progress)
        self.review.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.review.changed.connect(self.apply)
        self.review.historyChanged.connect(self._update_history_actions)
        self.review.caseShown.connect(self._case_shown)
        self.review.allDecided.connect(self._all_decided)
        self.queue.includesAgreementsChanged.connect(self._scope_includes_agreements)
        self.view.rubricRequested.connect(self.show_rubric)
        self.panel.rubricChangesRequested.connect(self.edit_rubric)
        self.review.problem.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.writes.waiting.connect(self._show_waiting)
        self.writes.idle.connect(self._write_over)
        self.writer.changed.connect(self._update_read_only)
        self.writer.lost.connect(self.review.notify)
        self.writer.regained.connect(self._regained)
        self.banner.takeOverRequested.connect(self.take_over)

        self.agreement_page: AgreementPage | None = None
        self.judge_runs = JudgeRunFlow(
            self, self.runner, lambda: self.ws, self.writer.check, self.review.reload
        )
        """File › Add judge run… and File › Judge runs…"""
        self.judge_runs.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.view.runs_of = self._runs_of
        self.alignment = AlignmentFlow(
            self, self.runner, self.queue, lambda: self.ws, self._keep_queue_in_sight
        )
        """View › Alignment of judge runs: its page, and the cases it opens in the queue."""
        self.judge_runs.runsChanged.connect(lambda: self.apply(RUNS_CHANGED))
        self.split_flow = SplitFlow(self, self.runner, lambda: self.ws, self._write, self.apply)
        """File › Held-out split…: the project's share and seed."""
        self.split_flow.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.lead = False
        """Reviewer files were merged into the open workspace: it is a lead's."""
        self.actions_by_id: dict[str, QAction] = {}
        self._build_actions()
        for box in (self.panel.rationale, self.panel.tag_edit, self.queue.search, self.view):
            leave = QShortcut(QKeySequence(Qt.Key.Key_Escape), box)
            leave.setContext(
                Qt.ShortcutContext.WidgetWithChildrenShortcut  # (the case: its texts too)
                if box is self.view
                else Qt.ShortcutContext.WidgetShortcut
            )
            leave.activated.connect(self.review.focus_review)
        self._build_status_bar()
        self._restore_window()
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _s: self._palette_changed())

    # -- building ------------------------------------------------------------

    def _build_actions(self) -> None:
        """The actions of ``actions.ACTIONS``, each with its handler, in its menu; then the
        toolbar."""
        handlers = self._handlers()
        menus = {key: self.menuBar().addMenu(self.tr(title)) for key, title in MENUS}
        for spec in ACTIONS:
            action = QAction(self.tr(spec.text), self)
            action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            keys = ", ".join(spec.shortcuts)
            tip = self.tr(spec.tip) if spec.tip else spec.text.replace("&", "").rstrip("…")
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
            action.setStatusTip(tip)
            action.setCheckable(spec.checkable)
            handler = handlers[spec.id]
            if spec.checkable:
                action.toggled.connect(handler)
            else:
                action.triggered.connect(lambda _checked=False, h=handler: h())
            self.addAction(action)
            if spec.menu in menus:
                menus[spec.menu].addAction(action)
            self.actions_by_id[spec.id] = action
            if spec.id == "import":
                self.recent_menu = menus["file"].addMenu(self.tr("Open &recent"))
                self.recent_menu.aboutToShow.connect(self._fill_recent)
            if spec.id in (
                "summary",
                "agreement",
                "copy_path",
                "reviewer",
                "clear",
                "who_auto",
                "conf_high",
                "zoom_reset",
            ):
                menus[spec.menu].addSeparator()
        self.view.set_text_scale(self.settings.text_scale)
        self.actions_by_id["toggle_queue"].setChecked(self.settings.show_queue)
        self.queue.setVisible(self.settings.show_queue)
        self.actions_by_id["include_agreements"].setChecked(self.settings.include_agreements)
        looks = QActionGroup(self)  # one appearance at a time
        for choice in theme.APPEARANCES:
            looks.addAction(self.actions_by_id[f"appearance_{choice}"])
        chosen = self.settings.appearance
        self.actions_by_id[
            f"appearance_{chosen if chosen in theme.APPEARANCES else 'system'}"
        ].setChecked(True)

        self._build_toolbar()

    def _handlers(self) -> dict[str, Any]:
        """What each action of ``actions.ACTIONS`` calls, by its id."""
        handlers: dict[str, Any] = {
            "open": self.files.choose_and_open,
            "import": self.files.choose_and_import,
            "export": self.files.choose_and_export,
            "summary": self.show_summary,
            "merge": self.files.choose_and_merge,
            "export_merged": self.files.choose_and_export_merged,
            "calibrate": self.files.choose_and_calibrate,
            "add_judge_run": self.judge_runs.choose_and_add,
            "judge_runs": self.judge_runs.manage,
            "split": self.split_flow.start,
            "agreement": self.show_agreement,
            "alignment": self.alignment.show,
            "conflicts": self.show_conflicts,
            "properties": self.show_properties,
            "copy_path": self.copy_workspace_path,
            "quit": self.close,
            "undo": self.review.undo,
            "redo": self.review.redo,
            "find": self._focus_search,
            "reviewer": self.change_reviewer,
            "edit_rubric": self.edit_rubric,
            "save_next": self.review.save_and_next,
            "next": partial(self.review.go, +1),
            "prev": partial(self.review.go, -1),
            "next_undecided": self.review.next_undecided,
            "skip": self.review.skip,
            "clear": self.review.clear,
            "rationale": self.panel.focus_rationale,
            "tag": self.panel.tag_edit.setFocus,
            "who_judge": partial(self.review.set_who, WhoRight.JUDGE),
            "who_raters": partial(self.review.set_who, WhoRight.RATERS),
            "who_both": partial(self.review.set_who, WhoRight.BOTH),
            "who_neither": partial(self.review.set_who, WhoRight.NEITHER),
            "who_auto": partial(self.review.set_who, None),
            "conf_low": partial(self.review.toggle_confidence, Confidence.LOW),
            "conf_medium": partial(self.review.toggle_confidence, Confidence.MEDIUM),
            "conf_high": partial(self.review.toggle_confidence, Confidence.HIGH),
            "rubric": self.show_rubric,
            "read_case": self.view.read,
            "toggle_queue": self.queue.setVisible,
            "include_agreements": self.set_include_agreements,
            "blind_first": partial(self.set_blind, "blind_first"),
            "random_order": partial(self.set_blind, "random_order"),
            "reveal": self.review.reveal,
            "threshold": self.change_threshold,
            "zoom_in": partial(self.zoom, +1),
            "zoom_out": partial(self.zoom, -1),
            "zoom_reset": partial(self.zoom, 0),
            **{
                f"appearance_{choice}": partial(self._appearance_chosen, choice)
                for choice in theme.APPEARANCES
            },
            "guide": lambda: guide_dialog(self).show(),
            "shortcuts": lambda: dialogs.shortcuts_dialog(self).exec(),
            "about": self.show_about,
        }
        for n in LABEL_DIGITS:
            handlers[f"label_{n}"] = partial(self.review.choose_label, n)
        return handlers

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("Main"))
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for key in (
            "open",
            "import",
            "export",
            None,
            "undo",
            "redo",
            None,
            "prev",
            "next",
            "next_undecided",
            None,
            "rubric",
            "shortcuts",
        ):
            if key is None:
                bar.addSeparator()
            else:
                bar.addAction(self.actions_by_id[key])
        self.addToolBar(bar)
        for key, text in (
            ("open", "Open"),
            ("import", "Import"),
            ("export", "Export"),
            ("next_undecided", "Next undecided"),
            ("rubric", "Rubric"),
            ("shortcuts", "Shortcuts"),
            ("prev", "◀ Previous"),
            ("next", "Next ▶"),
        ):
            action = self.actions_by_id[key]
            action.setIconText(self.tr(text))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.counts = plain_label(selectable=False, wrap=False)
        self.progress_bar = ProgressBar()
        self.progress_bar.setMaximumWidth(260)
        self.progress_bar.setTextVisible(True)
        # The reviewer's name travels in labelled files to the lead: plain text, like all data.
        self.reviewer_label = plain_label(selectable=False, wrap=False)
        self.conflicts_label = plain_label(selectable=False, wrap=False)
        self.conflicts_label.hide()
        self.read_only_label = plain_label(self.tr("Read-only"), selectable=False, wrap=False)
        self.read_only_label.setStyleSheet("color: #b26b00; font-weight: 700;")
        self.read_only_label.hide()
        bar.addPermanentWidget(self.read_only_label)
        bar.addPermanentWidget(self.indexer.label)
        self.indexer.message.connect(lambda text: bar.showMessage(text, 6000))
        bar.addPermanentWidget(self.reviewer_label)
        bar.addPermanentWidget(self.conflicts_label)
        bar.addPermanentWidget(self.counts)
        bar.addPermanentWidget(self.progress_bar)
        self._update_reviewer_label()

    # -- workspace ------------------------------------------------------------

    def open_path(self, path: Path) -> None:
        """Open a workspace, or a case file (imported into its own workspace, then resumed)."""
        self.files.open_path(path)

    def _set_workspace(self, ws: Workspace | None) -> None:
        """Show ``ws`` (None: no workspace). Another window holding it is asked about first
        (``WriterGuard``); the workspace left is closed, its lock let go of."""
        if ws is not None and ws is self.ws:
            claim: Claim | None = self.writer.claim
        elif not self._may_leave():
            if ws is not None:
                ws.close()
            return
        elif ws is not None:
            claim = self.writer.claim_for(ws)
            if claim is None:  # the reviewer chose not to open it
                ws.close()
                return
        else:
            claim = None
        service = None
        if ws is not None:
            self.writes.name = ws.name
            ws.set_on_wait(self.writes.waiter(ws.name))
            try:
                service = ReviewService(ws, self.settings.reviewer)
            except WorkspaceError as exc:  # busy past the timeout, or damaged
                if ws is not self.ws:
                    if claim is not None:
                        self.writer.discard(claim)
                    ws.close()
                dialogs.error(self, self.tr("Cannot open workspace"), str(exc))
                return
        self.review.keep_draft()  # into the workspace being left
        if self.agreement_page is not None:
            self.agreement_page.close()  # it describes the workspace being left
            self.agreement_page = None
        self.alignment.close()
        if ws is not self.ws:
            self.judge_runs.forget()
        if self.ws is not None and self.ws is not ws:
            self.indexer.stop()  # (between two steps: the next opening goes on)
            if self.ws.path is not None:  # its search and filters, for when it comes back
                self.settings.keep_view(self.ws.path, self.queue.view_state())
            self.ws.close()
        switched = ws is not self.ws
        if switched:  # the search and filters were the last workspace's
            self.queue.reset_filters()
        self.writer.install(claim)
        self.ws = ws
        self.review.include_agreements = self.settings.include_agreements
        self.queue.set_include_agreements(self.settings.include_agreements)
        self._update_lead_mode()  # before the queue loads, so it loads with the right filter
        self._update_blind_mode()  # (its columns and order too)
        self._update_imported_judge()
        self.review.set_service(service)
        if ws is not None and ws.path is not None:
            view = self.settings.queue_views.get(str(ws.path)) if switched else None
            if view:  # (after the vocabulary: the filters' choices are the workspace's)
                self.queue.restore_view(view)
            self.settings.add_recent(ws.path)
            self._save_settings()
        self._update_title()
        self.indexer.start(ws)  # cases an import left waiting for the search index

    def _may_leave(self) -> bool:
        """Whether the workspace shown may be left: yes, unless typed text could not be
        written to it and the reviewer would rather keep it."""
        count = self.review.unsaved()
        if not count:
            return True
        why = self.writer.why or self.tr("the workspace cannot be written now")
        return self.confirm_lose(self, count, why)

    def take_over(self) -> None:
        """Make this read-only window the one that writes its workspace."""
        if self.writer.take_over():
            self.statusBar().showMessage(
                self.tr("This window saves to {0} now.").format(self.ws.name if self.ws else ""),
                10000,
            )
        elif self.writer.why is not None:
            self.statusBar().showMessage(
                self.tr("Could not take over: {0}.").format(self.writer.why), 15000
            )

    def _regained(self) -> None:
        """This window writes again: what it held on screen goes in, and it shows what other
        windows changed meanwhile."""
        self.review.keep_draft()
        self.review.refresh_all()
        self.indexer.start(self.ws)

    def _update_read_only(self) -> None:
        claim = self.writer.claim
        why = claim.why if claim is not None else None
        self.banner.show_reason(why, claim is not None and claim.can_take_over)
        self.read_only_label.setVisible(why is not None)
        if why is not None:
            self.read_only_label.setToolTip(safe_tooltip(why))
        self._update_title()

    def _show_waiting(self, text: str) -> None:
        self.statusBar().showMessage(text, 1500)

    def _write_over(self) -> None:
        if self._close_after_write:
            self._close_after_write = False
            QTimer.singleShot(0, self, self.close)

    def _update_blind_mode(self) -> None:
        """Blind-first review and the random order, as the project has them: the View menu's
        checks, and the queue's columns, filters and order (loaded by the caller)."""
        settings = blind_settings(self.ws) if self.ws is not None else BlindSettings()
        for key in ("blind_first", "random_order"):
            action = self.actions_by_id[key]
            with QSignalBlocker(action):
                action.setChecked(getattr(settings, key))
            action.setEnabled(self.ws is not None)
        seed = None
        if self.ws is not None and settings.random_order:
            seed = order_seed(self.ws, self.settings.reviewer)
        self.queue.set_blind(settings.blind_first, seed)

    def set_blind(self, which: str, on: bool) -> None:
        """View › Blind first or Random order: a setting of the project, kept in the
        workspace (undone by choosing it again)."""
        ws = self.ws
        if ws is None or getattr(blind_settings(ws), which) == on:
            return
        try:
            self.writer.check()
            changes = self.writes.run(lambda: set_blind(ws, **{which: on}))
        except WorkspaceError as exc:
            self._update_blind_mode()  # the check goes back
            self.statusBar().showMessage(str(exc), 15000)
            return
        self.review.keep_draft()
        self._update_blind_mode()
        self.apply(changes)
        what = self.tr("Blind first") if which == "blind_first" else self.tr("Random order")
        state = self.tr("on") if on else self.tr("off")
        self.statusBar().showMessage(self.tr("{0} {1} for this project.").format(what, state), 6000)

    def _write(self, change: Callable[[], Changes]) -> Changes:
        """A change of the project's settings, saved as the reviewer's changes are."""
        self.writer.check()
        return self.writes.run(change)

    def _update_lead_mode(self) -> None:
        """A lead's workspace (reviewer files merged in) gets the lead's commands and filter."""
        self.lead = self.ws is not None and has_reviews(self.ws)
        self.queue.set_lead_mode(self.lead)
        for key in ("export_merged", "conflicts"):
            self.actions_by_id[key].setEnabled(self.lead)
        # The agreement report works before any review, too.
        keys = ("merge", "agreement", "alignment", "calibrate", "split", "properties", "copy_path")
        for key in keys:
            self.actions_by_id[key].setEnabled(self.ws is not None)
        for key in ("add_judge_run", "judge_runs"):
            self.actions_by_id[key].setEnabled(self.ws is not None)

    def _update_imported_judge(self) -> None:
        """The queue's Judge column names the imported judge's run once there are others (the
        kinds and "who was right" are about the imported one, not the newest)."""
        name = None
        if self.ws is not None:
            try:
                name = imported_run_name(self.ws)
            except WorkspaceError:  # (the column keeps its plain name)
                name = None
        self.queue.model.set_imported_judge(name)

    def _runs_of(self, detail: CaseDetail) -> tuple[RunVerdict, ...]:
        """Every judge run's verdict on the case shown (the case view asks)."""
        if self.ws is None:
            return ()
        try:
            return case_verdicts(self.ws, detail.row_id, detail.case.judge)
        except WorkspaceError:  # (the case itself was read: its own judge is shown)
            return ()

    def apply(self, changes: Changes) -> None:
        """The one place the window follows a change to the workspace (the reviewer's, an
        import's, a merge's, a new scale's): what the change touched is shown again, nothing
        else. A case that stays in the queue stays shown, with what was typed on it."""
        if changes.reviews:
            self._update_lead_mode()
        if changes.vocabulary:
            self.review.refresh_vocabulary()
        if changes.queue:
            self.queue.apply_filters()
            self.review.reload()
        else:
            for row_id in changes.cases:
                self.model.refresh_case(row_id)
        if changes.counts:
            self.review.update_progress()
        if changes.history:
            self._update_history_actions()
        if changes.queue:  # (an import into the open workspace: its cases' search index)
            self.indexer.start(self.ws)
        if changes.alignment:
            self.alignment.refresh()
            self._update_imported_judge()

    def _merged(self, report: MergeReport) -> None:
        """Reviewer files came in: the queue lists the conflicts to settle, undecided first."""
        self.queue.show_reviews(ReviewState.CONFLICT, load=False)  # read by apply()
        self.apply(report.changes)
        self.review.next_undecided(from_start=True)

    def show_conflicts(self) -> None:
        """The lead's queue: the cases reviewers disagree on, undecided first."""
        if self.lead:
            self.queue.show_reviews(ReviewState.CONFLICT)
            self.review.next_undecided(from_start=True)

    def show_judge_cell(self, criterion: str, judge: str, truth: str) -> None:
        """Open one cell of the judge's confusion matrix as the queue (saying, on an ordered
        scale with a threshold, whether the judge counts as right there)."""
        page = self.agreement_page
        verdict = page.verdict(criterion, judge, truth) if page is not None else ""
        self.queue.show_reviews((criterion, judge, truth), verdict=verdict)
        self._queue_beside_page()

    def show_switched_to_judge(self, reviewer: str) -> None:
        """Open as the queue the cases where ``reviewer`` ("": anyone) switched to the
        judge's label after the reveal (the Agreement page's Anchoring tab)."""
        self.queue.show_reviews(SwitchedToJudge(reviewer))
        self._queue_beside_page()

    def _queue_beside_page(self) -> None:
        """After a click on the Agreement page opened a queue: the queue in front, the page
        beside it."""
        if self.agreement_page is not None:
            self._keep_queue_in_sight(self.agreement_page)
        self.raise_()
        self.activateWindow()

    def _keep_queue_in_sight(self, page: QWidget) -> None:
        """Put the Agreement page beside the queue (what a click in it filters), as large as
        the screen there allows; with no room beside it, minimized."""
        room = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        edge = self.queue if self.queue.isVisible() else self.view
        left = edge.mapToGlobal(QPoint(edge.width(), 0)).x() + 1
        frame = page.frameGeometry()
        margins = frame.width() - page.width(), frame.height() - page.height()
        width = min(frame.width(), room.right() + 1 - left) - margins[0]
        if width < max(page.minimumSizeHint().width(), PAGE_MIN_WIDTH):
            page.showMinimized()
            return
        height = min(frame.height(), room.height()) - margins[1]
        top = max(room.top(), min(frame.top(), room.bottom() + 1 - height - margins[1]))
        page.resize(width, height)
        page.move(left, top)

    # -- small commands ------------------------------------------------------------

    def ensure_reviewer(self) -> str | None:
        if not self.settings.reviewer:
            self.change_reviewer()
        return self.settings.reviewer or None

    def change_reviewer(self) -> None:
        name = dialogs.ask_reviewer(self, self.settings.reviewer, lead=self.lead)
        if name:
            self.settings.reviewer = name
            self._save_settings()
            if self.review.service is not None:
                self.review.service.reviewer = name
            self._update_reviewer_label()
            if self.ws is not None and blind_settings(self.ws).random_order:
                self._update_blind_mode()  # the order is the reviewer's own
                self.queue.apply_filters()

    def _scope_includes_agreements(self, include: bool) -> None:
        """The queue's scope menu changed: keep View › Include agreements in step."""
        action = self.actions_by_id["include_agreements"]
        if action.isChecked() != include:
            action.setChecked(include)  # calls set_include_agreements

    def _save_settings(self) -> None:
        unsaved = self.settings.save()
        if unsaved is not None:
            self.statusBar().showMessage(unsaved, 15000)

    def set_include_agreements(self, include: bool) -> None:
        self.settings.include_agreements = include
        self._save_settings()
        self.review.include_agreements = include
        self.queue.set_include_agreements(include)
        self.review.update_progress()

    def change_threshold(self) -> None:
        if self.ws is None or self.review.service is None:
            return
        ordinal = {c: s for c, s in self.ws.project().schemes.items() if s.ordinal}
        if not ordinal:
            dialogs.info(
                self,
                self.tr("Ordinal threshold"),
                self.tr("No criterion here is on an ordinal scale."),
            )
            return
        self.writer.check()  # refused with the reason if the workspace is read-only
        service = self.review.service
        changes: dict[str, float] = {}
        for criterion, scheme in ordinal.items():
            value = dialogs.ask_threshold(self, criterion, scheme.labels, scheme.threshold)
            if value != scheme.threshold:
                changes[criterion] = value
        if not changes:
            return

        def job(_progress: Any, _cancelled: Any) -> Changes:
            done = NOTHING
            for criterion, value in changes.items():
                done |= service.set_threshold(criterion, value)
            return done

        self.runner.run(
            self.tr("Reclassifying cases…"),
            job,
            self.apply,
            self._failed("Threshold not changed"),
            cancellable=False,
        )

    def _appearance_chosen(self, choice: str, checked: bool) -> None:
        """View › Appearance: light, dark, or as the system has it; remembered."""
        if not checked:
            return  # (the one unchecked by the choice of another)
        if choice != self.settings.appearance:
            self.settings.appearance = choice
            self._save_settings()
        theme.apply_appearance(choice)
        self._palette_changed()

    def _palette_changed(self) -> None:
        """The palette turned light or dark: what paints its own colours follows."""
        self.panel.restyle()
        self.review.reload()

    def zoom(self, step: int) -> None:
        """Scale the case text by steps of 10 % (0: back to normal), between 70 % and 250 %."""
        scale = 1.0 if step == 0 else self.settings.text_scale + step * 0.1
        self.settings.text_scale = round(min(2.5, max(0.7, scale)), 2)
        self._save_settings()
        self.view.set_text_scale(self.settings.text_scale)
        self.review.reload()
        self.statusBar().showMessage(
            self.tr("Case text at {0:.0%}").format(self.settings.text_scale), 3000
        )

    def show_rubric(self) -> None:
        if self.ws is not None:
            detail = self.review.detail
            dialogs.show_rubric(self, self.ws.project(), detail.case.criterion if detail else None)

    def edit_rubric(self, criterion: str | None = None, old: int = 0, new: int = 0) -> None:
        """Edit > Rubric…: the rubric of ``criterion`` (the case shown's by default), with the
        diff from version ``old`` to ``new`` shown when given (a stale decision's link)."""
        if self.ws is None:
            return
        if criterion is None:
            detail = self.review.detail
            criterion = detail.case.criterion if detail is not None else ""
        dialog = RubricDialog(self.ws, criterion, self.ensure_reviewer, self.apply, self)
        if self.ws.read_only:
            dialog.save.setEnabled(False)
            dialog.save.setToolTip(self.tr("This workspace is open read-only."))
        if old and new:
            dialog.show_versions(old, new)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal, and the window goes on (the dialog is its child)

    def show_summary(self) -> None:
        ws = self.ws
        if ws is None:
            return

        def job(_progress: Any, _cancelled: Any) -> str:
            return format_summary(summarize(ws))

        def done(text: str) -> None:
            dialogs.show_text(self, self.tr("Summary and agreement"), text)

        self.runner.run(
            self.tr("Counting…"), job, done, self._failed("Summary failed"), cancellable=False
        )

    def show_agreement(self) -> None:
        """The Agreement page, computed in the background: before any review, the judge
        against the original raters; with decisions (or reviewers' files), after review too."""
        ws = self.ws
        if ws is None:
            return
        title = ws.project().title

        def job(_progress: Any, _cancelled: Any) -> AgreementReport:
            return workspace_report(ws)  # (and which judge it measures)

        def done(report: AgreementReport) -> None:
            if self.agreement_page is not None:
                self.agreement_page.close()
            page = AgreementPage(report, title, self, self.settings)
            page.cellActivated.connect(self.show_judge_cell)
            page.switchedActivated.connect(self.show_switched_to_judge)
            page.refreshRequested.connect(self.show_agreement)
            page.show()
            self._keep_queue_in_sight(page)
            self.agreement_page = page

        self.runner.run(
            self.tr("Computing agreement…"),
            job,
            done,
            self._failed("Agreement failed"),
            cancellable=False,
        )

    def _failed(self, title: str) -> Any:
        def failed(exc: BaseException) -> None:
            dialogs.error(self, self.tr(title), str(exc))

        return failed

    def show_about(self) -> None:
        dialogs.info(
            self,
            self.tr("About annotator"),
            self.tr(
                "annotator {0}\n\nReview the cases where an LLM judge and human raters disagree, "
                "decide the final label and say why.\n\nWorkspace: {1}"
            ).format(__version__, self.ws.path if self.ws else "none"),
        )

    def show_properties(self) -> None:
        """Where the workspace lives, what it was made from, and the command lines that use
        it (the command line finds it from the case file too)."""
        ws = self.ws
        if ws is None or ws.path is None:
            return
        made_from = "\n".join(f"  {f}" for f in ws.imported_files()) or "  " + self.tr(
            "nothing yet"
        )
        dialogs.info(
            self,
            self.tr("Workspace properties"),
            self.tr(
                "Workspace:\n  {0}\n\nMade from:\n{1}\n\n{2} cases.\n\n"
                "From the command line (the case file it was made from works too):\n"
                "  annotator export {3} -o decisions.jsonl\n"
                "  annotator summary {3}\n  annotator agreement {3}"
            ).format(ws.path, made_from, ws.case_count(), shlex.quote(str(ws.path))),
        )

    def copy_workspace_path(self) -> None:
        if self.ws is not None and self.ws.path is not None:
            QGuiApplication.clipboard().setText(str(self.ws.path))
            self.statusBar().showMessage(self.tr("Copied {0}").format(self.ws.path), 6000)

    def _focus_search(self) -> None:
        if not self.queue.isVisible():
            self.actions_by_id["toggle_queue"].setChecked(True)
        self.queue.search.setFocus()
        self.queue.search.selectAll()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for entry in self.settings.recent:
            action = self.recent_menu.addAction(mnemonic(piece(Path(entry).name)))
            action.setToolTip(safe_tooltip(entry))
            action.triggered.connect(lambda _c=False, p=entry: self.open_path(Path(p)))
        if not self.settings.recent:
            self.recent_menu.addAction(self.tr("(none yet)")).setEnabled(False)

    # -- display ------------------------------------------------------------

    def _show_progress(self, progress: Progress | None) -> None:
        if progress is None:  # a large workspace just opened: counted in a moment
            self.progress_bar.setFormat("")
            self.progress_bar.setValue(0)
            self.counts.setText("")
            return
        self.conflicts_label.setVisible(self.lead)
        if self.lead and self.ws is not None:
            settled, total = conflict_progress(self.ws)
            self.conflicts_label.setText(
                self.tr("Reviewer conflicts: {0} of {1} settled").format(
                    f"{settled:,}", f"{total:,}"
                )
            )
        self.progress_bar.setMaximum(max(progress.total, 1))
        self.progress_bar.setValue(progress.decided)
        # (counts with thousands apart: "312,000 of 1,000,000", as the progress dialogs say)
        self.progress_bar.setFormat(f"{progress.decided:,} of {progress.total:,} decided")
        extra = f" · {progress.skipped:,} skipped" if progress.skipped else ""
        self.counts.setText(
            self.tr("{0} left{1} · {2} cases in all").format(
                f"{progress.remaining:,}", extra, f"{progress.all_cases:,}"
            )
        )

    def _all_decided(self, progress: Progress) -> None:
        dialogs.info(
            self,
            self.tr("All decided"),
            self.tr(
                "You have decided all {0} cases in review. Thank you!\n\n"
                "Export your labelled file with File › Export labelled file… (Ctrl+E) and send "
                "it to your lead. You can still revisit and edit any decision."
            ).format(f"{progress.total:,}"),
        )

    def _update_history_actions(self) -> None:
        service = self.review.service
        for key, undo in (("undo", True), ("redo", False)):
            change = service.peek(undo) if service else None
            action = self.actions_by_id[key]
            action.setEnabled(change is not None)
            verb = self.tr("&Undo") if undo else self.tr("&Redo")
            what = f"{verb} {change.what} on" if change else verb
            action.setText(action_text(what, change.ext_id) if change else verb)

    def _case_shown(self, detail: CaseDetail | None) -> None:
        for key in ("save_next", "skip", "clear", "next", "prev"):
            self.actions_by_id[key].setEnabled(detail is not None)

    def _update_title(self) -> None:
        if self.ws is None:
            self.setWindowTitle("annotator")
            return
        read_only = self.tr(" (read-only)") if self.writer.why is not None else ""
        self.setWindowFilePath(str(self.ws.path or ""))
        self.setWindowTitle(window_title(self.ws.project().title, f"{read_only} — annotator"))

    def _update_reviewer_label(self) -> None:
        name = piece(self.settings.reviewer) if self.settings.reviewer else self.tr("not set")
        self.reviewer_label.setText(self.tr("Reviewer: {0}").format(name))

    # -- window state ------------------------------------------------------------

    def _window_settings(self) -> QSettings:
        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_window(self) -> None:
        stored = self._window_settings()
        geometry = stored.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            screen = QGuiApplication.primaryScreen()
            space = screen.availableGeometry()
            self.resize(min(1680, space.width() * 9 // 10), min(1050, space.height() * 9 // 10))
        splitter = stored.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.writes.busy:  # closed while a write waits: close once it is over
            self._close_after_write = True
            event.ignore()
            return
        if not self._may_leave():
            event.ignore()
            return
        self.review.keep_draft()
        stored = self._window_settings()
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue("splitter", self.splitter.saveState())
        stored.sync()
        self.settings.show_queue = self.queue.isVisible()
        if self.ws is not None and self.ws.path is not None:
            self.settings.keep_view(self.ws.path, self.queue.view_state())
        self.settings.save()
        self.indexer.stop()
        self.runner.stop_all()
        self.writer.release()
        if self.ws is not None:
            self.ws.close()
        super().closeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])
