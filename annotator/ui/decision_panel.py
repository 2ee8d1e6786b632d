"""The decision: final label (keys 1–9), who was right, rationale, tags, confidence.

The panel only collects the reviewer's intent and emits signals; the window asks the review
service to save it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.disagreement import who_was_right
from annotator.domain.model import Confidence, Decision, LabelScheme, WhoRight
from annotator.services.review import CaseDetail
from annotator.ui import theme
from annotator.ui.actions import MAX_LABEL_KEYS
from annotator.ui.widgets import (
    FlowLayout,
    clear_layout,
    plain_label,
    safe_tooltip,
    section_title,
    set_muted,
)

WHO_TEXT = {
    WhoRight.JUDGE: ("Judge", "Alt+J"),
    WhoRight.RATERS: ("Raters", "Alt+R"),
    WhoRight.BOTH: ("Both", "Alt+B"),
    WhoRight.NEITHER: ("Neither", "Alt+N"),
}
CONF_KEYS = {Confidence.LOW: "Ctrl+1", Confidence.MEDIUM: "Ctrl+2", Confidence.HIGH: "Ctrl+3"}


@dataclass(frozen=True)
class Draft:
    """What the reviewer has entered so far."""

    label: str | None
    rationale: str
    who_right: WhoRight | None
    """None: derive it from the label."""
    tags: tuple[str, ...]
    confidence: Confidence | None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "rationale": self.rationale,
            "who_right": self.who_right.value if self.who_right else None,
            "tags": list(self.tags),
            "confidence": self.confidence.value if self.confidence else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        who, conf = str(data.get("who_right")), str(data.get("confidence"))
        return cls(
            label=data.get("label"),
            rationale=str(data.get("rationale", "")),
            who_right=WhoRight(who) if who in set(WhoRight) else None,
            tags=tuple(str(t) for t in data.get("tags", [])),
            confidence=Confidence(conf) if conf in set(Confidence) else None,
        )


# The panel's buttons. Set on the panel, not on the application: under an application style
# sheet every widget paints through Qt's style sheet style, and the queue's cells took a fifth
# longer to paint.
STYLE = """
QPushButton#primary { font-weight: 700; padding: 6px 14px; }
QPushButton#choice { padding: 4px 6px; }
QPushButton#choice:checked {
    background-color: palette(highlight); color: palette(highlighted-text); font-weight: 600;
    border: 1px solid palette(highlight); border-radius: 4px;
}
QPushButton#tag {
    padding: 3px 10px; border-radius: 11px; border: 1px solid palette(mid);
    background-color: palette(button);
}
QPushButton#tag:hover { border-color: palette(highlight); }
QPushButton#tag:checked {
    background-color: palette(highlight); color: palette(highlighted-text);
    border-color: palette(highlight);
}
"""


class DecisionPanel(QFrame):
    saveRequested = Signal()
    skipRequested = Signal()
    clearRequested = Signal()
    draftChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionPanel")
        self.setStyleSheet(STYLE)
        self.setMinimumWidth(300)
        self._detail: CaseDetail | None = None
        self._override: WhoRight | None = None
        self._label_buttons: list[QPushButton] = []
        self._tag_buttons: dict[str, QPushButton] = {}
        self._tag_vocabulary: list[str] = []
        self._dirty = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 14, 14, 14)
        outer.setSpacing(8)

        self.state = plain_label("", selectable=False)
        outer.addWidget(self.state)

        outer.addWidget(section_title(self.tr("Final label")))
        self._labels_box = QVBoxLayout()
        self._labels_box.setSpacing(4)
        outer.addLayout(self._labels_box)
        self._label_sets: dict[tuple[tuple[str, ...], bool] | None, _LabelSet] = {}
        self._label_sets_dark = theme.is_dark()
        self._no_labels = QButtonGroup(self)
        self._label_group = self._no_labels
        """The group of the label buttons shown (no buttons: no case)."""

        outer.addSpacing(4)
        outer.addWidget(section_title(self.tr("Who was right")))
        who_row = QHBoxLayout()
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
        outer.addLayout(who_row)
        self.who_hint = plain_label("", selectable=False)
        self.who_hint.setStyleSheet(f"color: {theme.muted_color().name()};")
        outer.addWidget(self.who_hint)

        outer.addSpacing(4)
        outer.addWidget(section_title(self.tr("Rationale (required)")))
        self.rationale = QPlainTextEdit()
        self.rationale.setPlaceholderText(
            self.tr("Why is this the right label? What did the judge or the raters miss?")
        )
        self.rationale.setTabChangesFocus(True)
        self.rationale.setMinimumHeight(110)
        self.rationale.textChanged.connect(self._changed)
        outer.addWidget(self.rationale, 1)

        outer.addWidget(section_title(self.tr("Tags")))
        self._tags_host = QWidget()
        self._tags_flow = FlowLayout(self._tags_host, spacing=4)
        outer.addWidget(self._tags_host)
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText(self.tr("Add a tag and press Enter (Ctrl+T)"))
        self.tag_edit.returnPressed.connect(self._add_typed_tag)
        self.tag_edit.textEdited.connect(lambda _t: self._changed())
        outer.addWidget(self.tag_edit)

        outer.addWidget(section_title(self.tr("Confidence")))
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

        outer.addSpacing(6)
        self.error = plain_label("", selectable=False)
        self.error.setStyleSheet("color: #d64545; font-weight: 600;")
        self.error.hide()
        outer.addWidget(self.error)
        self.save_button = QPushButton(self.tr("Save and next   Ctrl+Enter"))
        self.save_button.setObjectName("primary")
        self.save_button.setMinimumHeight(36)
        self.save_button.clicked.connect(self.saveRequested)
        outer.addWidget(self.save_button)
        row = QHBoxLayout()
        self.skip_button = QPushButton(self.tr("Skip  Ctrl+K"))
        self.skip_button.clicked.connect(self.skipRequested)
        self.clear_button = QPushButton(self.tr("Clear"))
        self.clear_button.setToolTip(self.tr("Remove the saved decision (Ctrl+Shift+Backspace)"))
        self.clear_button.clicked.connect(self.clearRequested)
        row.addWidget(self.skip_button)
        row.addWidget(self.clear_button)
        outer.addLayout(row)
        self.set_case(None, [])

    # -- filling ------------------------------------------------------------

    def set_case(self, detail: CaseDetail | None, tags: list[str]) -> None:
        self._detail = detail
        self._override = None
        self.tag_edit.clear()
        self.error.hide()
        self._build_labels(detail)
        self._build_tags(tags)
        decision = detail.decision if detail else None
        self.rationale.blockSignals(True)
        self.rationale.setPlainText(decision.rationale if decision else "")
        self.rationale.blockSignals(False)
        if decision is not None:
            self._select_label(decision.label)
            if decision.who_right_overridden:
                self._override = decision.who_right
            for tag in decision.tags:
                self._ensure_tag(tag).setChecked(True)
        self._set_confidence(decision.confidence if decision else None)
        self._update_state(decision)
        self._refresh_who()
        self.setEnabled(detail is not None)
        self._dirty = False

    def _update_state(self, decision: Decision | None) -> None:
        if decision is None:
            self.state.setText(self.tr("Undecided — pick a label (1–9) and write why."))
            self._state_style(f"color: {theme.muted_color().name()};")
        else:
            when = decision.decided_at.replace("T", " ").rstrip("Z")
            self.state.setText(
                self.tr("Decided by {0} at {1} UTC — edit and save to change.").format(
                    decision.reviewer or "?", when
                )
            )
            self._state_style("color: #2e9d57; font-weight: 600;")

    def _state_style(self, style: str) -> None:
        if style != self.state.styleSheet():  # a style sheet is parsed again on every set
            self.state.setStyleSheet(style)

    def _build_labels(self, detail: CaseDetail | None) -> None:
        """Show the label buttons of this case's scheme, cleared. Each scheme's buttons are made
        once and kept (a project mixes pass/fail, 1-5 and A/B criteria: moving between them
        swaps sets instead of making buttons); all are made again when the palette turns
        light or dark."""
        dark = theme.is_dark()
        if self._label_sets_dark != dark or len(self._label_sets) > MAX_LABEL_SETS:
            for kept in self._label_sets.values():
                kept.hide()
                kept.deleteLater()
            self._label_sets = {}
            self._label_sets_dark = dark
        key = (detail.scheme.labels, detail.scheme.ordinal) if detail else None
        shown = self._label_sets.get(key) if key is not None else None
        if shown is None and detail is not None and key is not None:
            shown = self._label_sets[key] = _LabelSet(detail.scheme, self._label_clicked)
            self._labels_box.addWidget(shown)
        for other in self._label_sets.values():
            if other is not shown:
                other.hide()
        if shown is None:
            self._label_group = self._no_labels
            self._label_buttons = []
            return
        shown.clear()
        shown.show()
        self._label_group = shown.group
        self._label_buttons = shown.buttons

    def _build_tags(self, tags: list[str]) -> None:
        """A button per tag of the vocabulary: made again only when it changed, else cleared."""
        if tags == self._tag_vocabulary and list(self._tag_buttons) == tags:
            for button in self._tag_buttons.values():
                button.blockSignals(True)  # clearing is not an edit
                button.setChecked(False)
                button.blockSignals(False)
            return
        self._tag_vocabulary = list(tags)
        clear_layout(self._tags_flow)
        self._tag_buttons = {}
        for tag in tags:
            self._ensure_tag(tag)
        completer = QCompleter(tags, self.tag_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tag_edit.setCompleter(completer)

    def _ensure_tag(self, tag: str) -> QPushButton:
        button = self._tag_buttons.get(tag)
        if button is None:
            button = QPushButton(tag.replace("&", "&&"))
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setObjectName("tag")
            button.toggled.connect(self._changed)
            self._tag_buttons[tag] = button
            self._tags_flow.addWidget(button)
        return button

    # -- intents from keys and clicks ------------------------------------------------------------

    def choose_label_number(self, n: int) -> bool:
        """Pick the n-th label (1-based). False when this case has no such label."""
        if not 1 <= n <= len(self._label_buttons):
            return False
        self._label_buttons[n - 1].setChecked(True)
        self._label_clicked(n - 1)
        return True

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
        self._ensure_tag(tag).setChecked(True)

    def _add_typed_tag(self) -> None:
        text = self.tag_edit.text().strip()
        if text:
            self._ensure_tag(text).setChecked(True)
        self.tag_edit.clear()

    def _refresh_who(self) -> None:
        label = self.label()
        derived = self._derived(label)
        shown = self._override or derived
        for who, button in self._who_buttons.items():
            button.setChecked(who == shown)
        if label is None:
            self.who_hint.setText(self.tr("Derived from the final label once you pick one."))
        elif self._override and self._override != derived:
            self.who_hint.setText(
                self.tr("Your choice (derived: {0}; Alt+D to reset)").format(
                    derived.value if derived else "?"
                )
            )
        else:
            self.who_hint.setText(self.tr("Derived from the final label; override with a click."))

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
        tags = [t for t, b in self._tag_buttons.items() if b.isChecked()]
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

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        # Only when the rationale is what is missing: with no label yet, the next key is a digit.
        if self.label() is not None and not self.rationale.toPlainText().strip():
            self.rationale.setFocus()

    def mark_clean(self) -> None:
        self._dirty = False

    def apply_draft(self, draft: Draft) -> None:
        """Restore unsaved input (kept when the reviewer moved away, or the app closed)."""
        if draft.label is not None:
            self._select_label(draft.label)
        self.rationale.setPlainText(draft.rationale)
        for tag in draft.tags:
            self._ensure_tag(tag).setChecked(True)
        self._set_confidence(draft.confidence)
        self._override = draft.who_right
        self._refresh_who()
        self._dirty = True
        self.state.setText(self.tr("Unsaved draft restored — Ctrl+Enter saves it."))
        self._state_style("color: #c77700; font-weight: 600;")


MAX_LABEL_SETS = 32
"""Label sets kept at most (one per scheme met); past that, they are made again as needed."""


class _LabelSet(QWidget):
    """The buttons of one label scheme: the number key, the label, in the label's colour."""

    def __init__(self, scheme: LabelScheme, clicked: Callable[[int], None]) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.idClicked.connect(clicked)
        self.buttons: list[QPushButton] = []
        for i, label in enumerate(scheme.labels):
            key = str(i + 1) if i < MAX_LABEL_KEYS else ""
            shown = label.replace("&", "&&")  # "&" would make a mnemonic (R&D: Alt+D)
            button = QPushButton(f"{key}   {shown}" if key else shown)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setToolTip(
                safe_tooltip(self.tr("Choose “{0}” (key {1})").format(label, key) if key else label)
            )
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setMinimumHeight(30)
            bg, fg = theme.pill_colors(theme.label_hue(label, scheme))
            button.setStyleSheet(
                "QPushButton { text-align: left; padding: 5px 12px; border-radius: 6px;"
                " border: 1px solid palette(mid); background-color: palette(button); }"
                f"QPushButton:hover {{ border-color: {fg.name()}; }}"
                f"QPushButton:checked {{ background-color: {bg.name()}; color: {fg.name()};"
                f" font-weight: 700; border: 2px solid {fg.name()}; }}"
            )
            self.group.addButton(button, i)
            self.buttons.append(button)
            box.addWidget(button)
        if len(scheme.labels) > MAX_LABEL_KEYS:
            more = plain_label(
                self.tr("Labels after the 9th have no key: click them, or Tab to them and Space."),
                selectable=False,
            )
            set_muted(more)
            box.addWidget(more)

    def clear(self) -> None:
        checked = self.group.checkedButton()
        if checked is not None:
            self.group.setExclusive(False)  # an exclusive group never unchecks
            checked.setChecked(False)
            self.group.setExclusive(True)
