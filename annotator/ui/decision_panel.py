"""The decision: final label (keys 1–9), who was right, rationale, tags, confidence.

The panel only collects the reviewer's intent and emits signals; the window asks the review
service to save it. Its label and tag buttons are kept in ``panel_buttons``; what it holds
unsaved is a ``Draft`` (``draft``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.disagreement import who_was_right
from annotator.domain.model import Confidence, Decision, WhoRight
from annotator.services.review import CaseDetail
from annotator.ui import theme
from annotator.ui.draft import Draft
from annotator.ui.label_keys import LabelKeys
from annotator.ui.panel_buttons import LabelSets, TagButtons
from annotator.ui.plain import piece
from annotator.ui.widgets import (
    FlowLayout,
    plain_label,
    restore_muted,
    section_title,
    set_muted,
    show_if,
)

WHO_TEXT = {
    WhoRight.JUDGE: ("Judge", "Alt+J"),
    WhoRight.RATERS: ("Raters", "Alt+R"),
    WhoRight.BOTH: ("Both", "Alt+B"),
    WhoRight.NEITHER: ("Neither", "Alt+N"),
}
CONF_KEYS = {Confidence.LOW: "Ctrl+1", Confidence.MEDIUM: "Ctrl+2", Confidence.HIGH: "Ctrl+3"}


# The panel's buttons. Set on the widgets that hold them, not on the application or the whole
# panel: under a style sheet every widget paints through Qt's style sheet style (the queue's
# cells took a fifth longer to paint; the panel, repainted at each change of criterion, 1.2 ms
# where its labels and text boxes without it and the buttons with it take 0.8).
def _style() -> str:
    border = theme.border_color().name()
    return f"""
QPushButton#primary {{ font-weight: 700; padding: 6px 14px; }}
QPushButton#choice {{ padding: 4px 6px; }}
QPushButton#choice:checked {{
    background-color: palette(highlight); color: palette(highlighted-text); font-weight: 600;
    border: 1px solid palette(highlight); border-radius: 4px;
}}
QPushButton#tag {{
    padding: 3px 10px; border-radius: 11px; border: 1px solid {border};
    background-color: palette(button);
}}
QPushButton#tag:hover {{ border-color: palette(highlight); }}
QPushButton#tag:checked {{
    background-color: palette(highlight); color: palette(highlighted-text);
    border-color: palette(highlight);
}}
"""


class _WindowUndo(QObject):
    """Leaves Ctrl+Z and Ctrl+Shift+Z (Ctrl+Y) to the window in the panel's text boxes: they
    undo and redo decisions there too, and what was typed stays (the box's own undo is in its
    context menu). A text box would otherwise take them, and Ctrl+Z meant to take back the
    last decision would wipe the rationale just typed."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and any(
                event.matches(k)
                for k in (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)
            )
        ):
            event.ignore()  # not the box's: the window's shortcut takes it
            return True
        return False


class _Rationale(QPlainTextEdit):
    """The rationale box: as tall as it may be, but asking for no more than its minimum, so
    that on a short screen it gives way before the tags scroll out of sight."""

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumHeight())


class DecisionPanel(QFrame):
    saveRequested = Signal()
    revealRequested = Signal()
    """Blind first: commit the label picked as the first label, and show who said what."""
    skipRequested = Signal()
    clearRequested = Signal()
    draftChanged = Signal()
    rubricChangesRequested = Signal(str, int, int)
    """``(criterion, decided under, current)``: show the rubric's diff between the versions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionPanel")
        self._styled: list[QWidget] = []
        """The widgets that hold the panel's buttons, which alone take ``_style``."""
        self.setMinimumWidth(300)
        self._detail: CaseDetail | None = None
        self._override: WhoRight | None = None
        self._label_buttons: list[QPushButton] = []
        self._keys = LabelKeys()
        self._dirty = False

        # The panel's parts scroll in ``top`` when the window is short, with the rationale box
        # giving way first; the actions (the error, confidence, Save, Skip, Clear) stay below
        # it, always in sight.
        frame = QVBoxLayout(self)
        frame.setContentsMargins(0, 0, 0, 0)
        frame.setSpacing(0)
        self.parts = QScrollArea()
        self.parts.setWidgetResizable(True)
        self.parts.setFrameShape(QFrame.Shape.NoFrame)
        self.parts.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        top = self._top = QWidget()
        top.setObjectName("decisionTop")
        self.parts.setWidget(top)
        frame.addWidget(self.parts, 1)
        outer = QVBoxLayout(top)
        outer.setContentsMargins(14, 14, 14, 6)
        outer.setSpacing(8)

        self.state = plain_label("", selectable=False)
        outer.addWidget(self.state)
        # A decision taken under an older rubric: what changed in it since, one click away.
        self.rubric_changes = QPushButton(self.tr("See what changed in the rubric"))
        self.rubric_changes.setObjectName("rubricChanges")
        self.rubric_changes.clicked.connect(self._rubric_changes_clicked)
        self.rubric_changes.hide()
        outer.addWidget(self.rubric_changes, 0, Qt.AlignmentFlag.AlignLeft)

        self._label_title = section_title(self.tr("Final label"))
        outer.addWidget(self._label_title)
        self._labels_host = QWidget()
        labels_box = QVBoxLayout(self._labels_host)
        labels_box.setContentsMargins(0, 0, 0, 0)
        labels_box.setSpacing(4)
        outer.addWidget(self._labels_host)
        self._label_sets = LabelSets(labels_box, self._label_clicked)
        self._no_labels = QButtonGroup(self)
        self._label_group = self._no_labels
        """The group of the label buttons shown (no buttons: no case)."""

        # What is decided once the judge and the raters are seen: hidden while a case is
        # shown blind (who was right would tell what the judge said).
        self._decision_parts = QWidget()
        outer.addWidget(self._decision_parts, 1)
        self._blind_room = QWidget()  # takes the room of the parts hidden, under the labels
        self._blind_room.hide()
        outer.addWidget(self._blind_room, 1)
        top_parts = outer
        outer = QVBoxLayout(self._decision_parts)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(top_parts.spacing())
        outer.addSpacing(4)
        outer.addWidget(section_title(self.tr("Who was right")))
        self._add_who(outer)

        outer.addSpacing(4)
        outer.addWidget(section_title(self.tr("Rationale (required)")))
        self.rationale = _Rationale()
        self.rationale.setPlaceholderText(
            self.tr("Why is this the right label? What did the judge or the raters miss?")
        )
        self.rationale.setTabChangesFocus(True)
        # Three lines at least; more as the panel allows.
        self.rationale.setMinimumHeight(self.rationale.fontMetrics().lineSpacing() * 3 + 14)
        self.rationale.textChanged.connect(self._changed)
        outer.addWidget(self.rationale, 1)

        outer.addWidget(section_title(self.tr("Tags")))
        tags_host = QWidget()
        self._styled.append(tags_host)
        tags_flow = FlowLayout(tags_host, spacing=4)
        outer.addWidget(tags_host)
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText(self.tr("Add a tag and press Enter (Ctrl+T)"))
        self.tag_edit.returnPressed.connect(self._add_typed_tag)
        self.tag_edit.textEdited.connect(lambda _t: self._changed())
        outer.addWidget(self.tag_edit)
        self._tags = TagButtons(tags_flow, self.tag_edit, self._changed)
        self._window_undo = _WindowUndo(self)
        for box in (self.rationale, self.tag_edit):
            box.installEventFilter(self._window_undo)

        actions = QWidget()
        actions.setObjectName("decisionActions")
        self._styled.append(actions)
        bottom = QVBoxLayout(actions)
        bottom.setContentsMargins(14, 6, 14, 14)
        bottom.setSpacing(8)
        frame.addWidget(actions)
        # Why the last save (skip, clear, undo) did nothing: beside the buttons, in sight however
        # short the screen.
        self.error = plain_label("", selectable=False)
        self.error.setStyleSheet("color: #d64545; font-weight: 600;")
        self.error.hide()
        bottom.addWidget(self.error)
        self._confidence_box = QWidget()
        confidence = QVBoxLayout(self._confidence_box)
        confidence.setContentsMargins(0, 0, 0, 0)
        confidence.setSpacing(bottom.spacing())
        bottom.addWidget(self._confidence_box)
        confidence.addWidget(section_title(self.tr("Confidence")))
        self._add_confidence(confidence)
        bottom.addSpacing(2)
        self._add_save_skip_clear(bottom)
        style = _style()
        for host in self._styled:
            host.setStyleSheet(style)
        self.set_case(None, [])

    def _add_who(self, outer: QVBoxLayout) -> None:
        """The "who was right" buttons and the hint under them."""
        who_box = QWidget()
        self._styled.append(who_box)
        who_row = QHBoxLayout(who_box)
        who_row.setContentsMargins(0, 0, 0, 0)
        who_row.setSpacing(4)
        self._who_group = QButtonGroup(self)
        # Not exclusive: with no label yet, no choice is shown (an exclusive group cannot be
        # emptied). _refresh_who() keeps exactly one checked once there is a label.
        self._who_group.setExclusive(False)
        self._who_buttons: dict[WhoRight, QPushButton] = {}
        for i, (who, (text, key)) in enumerate(WHO_TEXT.items()):
            button = QPushButton(self.tr(text))
            button.setCheckable(True)
            button.setToolTip(self.tr("{0} was right ({1})").format(text, key))
            button.setObjectName("choice")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self._who_group.addButton(button, i)
            self._who_buttons[who] = button
            who_row.addWidget(button)
        self._who_group.idClicked.connect(lambda i: self.set_who_right(list(WHO_TEXT)[i]))
        outer.addWidget(who_box)
        self.who_hint = plain_label("", selectable=False)
        set_muted(self.who_hint)
        outer.addWidget(self.who_hint)

    def restyle(self) -> None:
        """The palette turned light or dark: outlines and muted text follow."""
        style = _style()
        for host in self._styled:
            if style != host.styleSheet():
                host.setStyleSheet(style)
        restore_muted(self)

    def _add_confidence(self, outer: QVBoxLayout) -> None:
        conf_row = QHBoxLayout()
        conf_row.setSpacing(4)
        self._conf_buttons: dict[Confidence, QPushButton] = {}
        for conf, key in CONF_KEYS.items():
            button = QPushButton(self.tr(conf.value.capitalize()))
            button.setCheckable(True)
            button.setToolTip(
                self.tr("Confidence {0} ({1}); click again to clear").format(conf.value, key)
            )
            button.setObjectName("choice")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _=False, c=conf: self.toggle_confidence(c))
            self._conf_buttons[conf] = button
            conf_row.addWidget(button)
        outer.addLayout(conf_row)

    def _add_save_skip_clear(self, outer: QVBoxLayout) -> None:
        """The buttons that act on the decision."""
        self.save_button = QPushButton(self.tr("Save and next   Ctrl+Enter"))
        self.save_button.setObjectName("primary")
        self.save_button.setMinimumHeight(36)
        self.save_button.clicked.connect(self.saveRequested)
        outer.addWidget(self.save_button)
        self.reveal_button = QPushButton(self.tr("Reveal   Ctrl+Space"))
        self.reveal_button.setObjectName("primary")
        self.reveal_button.setMinimumHeight(36)
        self.reveal_button.setToolTip(
            self.tr("Commit your first label, then see what the judge and the raters said")
        )
        self.reveal_button.clicked.connect(self.revealRequested)
        self.reveal_button.hide()
        outer.addWidget(self.reveal_button)
        row = QHBoxLayout()
        self.skip_button = QPushButton(self.tr("Skip  Ctrl+K"))
        self.skip_button.clicked.connect(self.skipRequested)
        self.clear_button = QPushButton(self.tr("Clear"))
        self.clear_button.setToolTip(self.tr("Remove the saved decision (Ctrl+Shift+Backspace)"))
        self.clear_button.clicked.connect(self.clearRequested)
        row.addWidget(self.skip_button)
        row.addWidget(self.clear_button)
        outer.addLayout(row)

    # -- filling ------------------------------------------------------------

    def set_case(self, detail: CaseDetail | None, tags: list[str]) -> None:
        self._detail = detail
        self._keys.reset()
        self._override = None
        self.tag_edit.clear()
        self.error.hide()
        self._build_labels(detail)
        self._tags.set_vocabulary(tags)
        decision = detail.decision if detail else None
        self.rationale.blockSignals(True)
        self.rationale.setPlainText(decision.rationale if decision else "")
        self.rationale.blockSignals(False)
        if decision is not None:
            self._select_label(decision.label)
            if decision.who_right_overridden:
                self._override = decision.who_right
            for tag in decision.tags:
                self._tags.ensure(tag).setChecked(True)
        self._set_confidence(decision.confidence if decision else None)
        self._update_state(decision)
        self._show_blind(detail)
        if detail is not None and detail.own_review:
            self.state.setText(
                self.tr(
                    "Your own review, from before the reviewers' files were merged: it settles "
                    "nothing yet. Save it again (Ctrl+Enter) to settle the case."
                )
            )
            self._state_style("color: #c77700; font-weight: 600;")
        self._show_stale_rubric(detail)
        self._refresh_who()
        self.setEnabled(detail is not None)
        self._dirty = False

    def _show_blind(self, detail: CaseDetail | None) -> None:
        """Blind first: a case shown blind takes a first label and a reveal, nothing else; a
        revealed one offers its first label as the final label, to keep or change."""
        blind = detail is not None and detail.blind
        self._label_title.setText(
            (self.tr("First label (blind)") if blind else self.tr("Final label")).upper()
        )
        show_if(self._decision_parts, not blind)
        show_if(self._blind_room, blind)
        show_if(self._confidence_box, not blind)
        show_if(self.save_button, not blind)
        show_if(self.reveal_button, blind)
        if blind:
            self.state.setText(
                self.tr(
                    "Blind first: pick your own label (1–9), then reveal who said what "
                    "(Ctrl+Space)."
                )
            )
            self._state_style("color: #3b6fd4; font-weight: 600;")
            return
        first = detail.first if detail is not None else None
        if first is None:
            return
        if detail is not None and detail.decision is None:
            self._select_label(first.label)
            self.state.setText(
                self.tr(
                    "Your first label was {0}. Now that you see who said what, decide the "
                    "final label (it may differ) and say why."
                ).format(piece(first.label))
            )
            self._state_style("color: #3b6fd4; font-weight: 600;")
        else:
            self.state.setText(
                self.state.text() + " " + self.tr("First label: {0}.").format(piece(first.label))
            )

    def _show_stale_rubric(self, detail: CaseDetail | None) -> None:
        """Say so when the decision was taken under an older rubric version."""
        older = detail.stale_rubric if detail is not None else None
        show_if(self.rubric_changes, older is not None)
        if detail is None or older is None:
            return
        self.state.setText(
            self.tr(
                "Decided under rubric v{0}; the rubric is now v{1}. Save it again (Ctrl+Enter) "
                "to confirm it under v{1}, or change it."
            ).format(older, detail.rubric_version)
        )
        self._state_style("color: #c77700; font-weight: 600;")

    def _rubric_changes_clicked(self) -> None:
        detail = self._detail
        if detail is not None and detail.stale_rubric is not None:
            self.rubricChangesRequested.emit(
                detail.case.criterion, detail.stale_rubric, detail.rubric_version
            )

    def _update_state(self, decision: Decision | None) -> None:
        if decision is None:
            self.state.setText(self.tr("Undecided: pick a label, say why."))
            self._state_style(f"color: {theme.muted_color().name()};")
        else:
            when = decision.decided_at.replace("T", " ").rstrip("Z")
            self.state.setText(
                self.tr("Decided by {0} at {1} UTC — edit and save to change.").format(
                    piece(decision.reviewer) if decision.reviewer else "?", when
                )
            )
            self._state_style("color: #2e9d57; font-weight: 600;")

    def _state_style(self, style: str) -> None:
        if style != self.state.styleSheet():  # a style sheet is parsed again on every set
            self.state.setStyleSheet(style)

    def _build_labels(self, detail: CaseDetail | None) -> None:
        """Show the label buttons of this case's scheme, cleared (each scheme's are kept)."""
        shown = self._label_sets.show(detail.scheme if detail else None)
        self._label_group = shown.group if shown is not None else self._no_labels
        self._label_buttons = shown.buttons if shown is not None else []
        self._keep_labels_room()

    def _keep_labels_room(self) -> None:
        """The label buttons keep the room of the tallest set shown lately, where the panel has
        it to spare: what is under them (who was right, the rationale) then stays in place from
        one criterion to the next, however many labels each has, and is not laid out and
        painted again at each change (most of what a change of criterion cost a next case).

        The room comes out of the rationale box's, down to its least height: on a short window
        the buttons keep less of it, and none while the panel scrolls (it then scrolls no more
        than it would have).
        """
        tallest = self._label_sets.tallest()
        spare = max(0, self.rationale.height() - self.rationale.minimumHeight())
        scrolls = self._top.height() > self.parts.viewport().height()
        room = 0 if scrolls else min(tallest, self._labels_host.height() + spare)
        if room != self._labels_host.minimumHeight():
            self._labels_host.setMinimumHeight(room)

    # -- intents from keys and clicks ------------------------------------------------------------

    def choose_label_number(self, n: int) -> bool:
        """Pick the n-th label (1-based). False when this case has no such label."""
        if not 1 <= n <= len(self._label_buttons):
            return False
        self._label_buttons[n - 1].setChecked(True)
        self._label_clicked(n - 1)
        return True

    def press_digit(self, digit: int) -> bool:
        """A digit key: the label it picks (``label_keys``). False when it picks none."""
        labels = self._detail.scheme.labels if self._detail else ()
        index = self._keys.pick(labels, digit)
        return index is not None and self.choose_label_number(index + 1)

    def _select_label(self, label: str) -> None:
        if self._detail and label in self._detail.scheme.labels:
            self._label_buttons[self._detail.scheme.labels.index(label)].setChecked(True)

    def _label_clicked(self, _index: int) -> None:
        self.error.hide()
        self._refresh_who()
        self._changed()

    def set_who_right(self, who: WhoRight | None) -> None:
        """Override who was right (None: derive it from the label again)."""
        self._override = who
        self._refresh_who()
        self._changed()

    def toggle_confidence(self, conf: Confidence) -> None:
        self._set_confidence(None if self.confidence() == conf else conf)
        self._changed()

    def _set_confidence(self, conf: Confidence | None) -> None:
        for c, button in self._conf_buttons.items():
            button.setChecked(c == conf)

    def check_tag(self, tag: str) -> None:
        """Tick a tag (adding it to the list if it is new)."""
        self._tags.ensure(tag).setChecked(True)

    def _add_typed_tag(self) -> None:
        text = self.tag_edit.text().strip()
        if text:
            self._tags.ensure(text).setChecked(True)
        self.tag_edit.clear()

    def _refresh_who(self) -> None:
        label = self.label()
        if self._detail is not None and self._detail.blind:
            label = None  # (who was right would tell whether the judge said the same)
        derived = self._derived(label)
        shown = self._override or derived
        for who, button in self._who_buttons.items():
            button.setChecked(who == shown)
        if label is None:
            self.who_hint.setText(self.tr("Derived from the label you pick."))
        elif self._override and self._override != derived:
            self.who_hint.setText(
                self.tr("Your choice (derived: {0}; Alt+D to reset)").format(
                    derived.value if derived else "?"
                )
            )
        else:
            self.who_hint.setText(self.tr("Derived from the label; click to override."))

    def _derived(self, label: str | None) -> WhoRight | None:
        if label is None or self._detail is None:
            return None
        case = self._detail.case
        return who_was_right(
            label, case.judge.label, [r.label for r in case.ratings], self._detail.scheme
        )

    def _changed(self) -> None:
        self._dirty = True
        self.draftChanged.emit()

    # -- reading ------------------------------------------------------------

    def label(self) -> str | None:
        index = self._label_group.checkedId()
        if index < 0 or self._detail is None:
            return None
        return self._detail.scheme.labels[index]

    def who_right_shown(self) -> WhoRight | None:
        """The "who was right" choice the panel shows (derived or overridden)."""
        return next((w for w, b in self._who_buttons.items() if b.isChecked()), None)

    def confidence(self) -> Confidence | None:
        return next((c for c, b in self._conf_buttons.items() if b.isChecked()), None)

    def draft(self) -> Draft:
        """What is entered, including a tag typed in the tag box but not yet added with Enter."""
        tags = self._tags.checked()
        pending = self.tag_edit.text().strip()
        if pending and pending not in tags:
            tags.append(pending)
        return Draft(
            label=self.label(),
            rationale=self.rationale.toPlainText(),
            who_right=self._override,
            tags=tuple(tags),
            confidence=self.confidence(),
        )

    def is_dirty(self) -> bool:
        return self._dirty

    def show_error(self, message: str, *, focus: bool = True) -> None:
        """Say why the decision was not saved (or a skip, clear, undo did nothing). ``focus``:
        go to the rationale if that is what is missing."""
        self.error.setText(message)
        self.error.show()
        # Only when the rationale is what is missing: with no label yet, the next key is a digit.
        if focus and self.label() is not None and not self.rationale.toPlainText().strip():
            self.focus_rationale()

    def focus_rationale(self) -> None:
        """Go to the rationale box, after what is written there (Ctrl+R)."""
        self.rationale.setFocus()
        self.rationale.moveCursor(QTextCursor.MoveOperation.End)

    def mark_clean(self) -> None:
        self._dirty = False

    def apply_draft(self, draft: Draft) -> None:
        """Restore unsaved input (kept when the reviewer moved away, or the app closed)."""
        if draft.label is not None:
            self._select_label(draft.label)
        self.rationale.setPlainText(draft.rationale)
        for tag in draft.tags:
            self._tags.ensure(tag).setChecked(True)
        self._set_confidence(draft.confidence)
        self._override = draft.who_right
        self._refresh_who()
        self._dirty = True
        self.state.setText(self.tr("Unsaved draft restored — Ctrl+Enter saves it."))
        self._state_style("color: #c77700; font-weight: 600;")
        if self._detail is not None and self._detail.blind:
            self._show_blind(self._detail)  # (a first label picked, not revealed yet)
