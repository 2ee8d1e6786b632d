"""The decision panel's sets of buttons: the label buttons of each scheme met, kept and swapped
as the reviewer moves between criteria, and a checkable button per tag of the vocabulary."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCompleter,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import LabelScheme
from annotator.domain.rubric import label_descriptions
from annotator.ui import plain, theme
from annotator.ui.label_keys import POSITION_KEYS, key_of, typed
from annotator.ui.plain import mnemonic
from annotator.ui.widgets import FlowLayout, clear_layout, plain_label, safe_tooltip, set_muted
from annotator.untrusted import one_line

MAX_LABEL_SETS = 32
"""Label sets kept at most (one per scheme met); past that, they are made again as needed."""


class LabelSets:
    """The label buttons of each scheme, made once and kept: a project mixes pass/fail, 1-5 and
    A/B criteria, and moving between them swaps sets instead of making buttons. All are made
    again when the palette turns light or dark."""

    def __init__(self, box: QVBoxLayout, clicked: Callable[[int], None]) -> None:
        """``box`` holds the sets; ``clicked`` gets the index of a label button clicked."""
        self._box = box
        self._clicked = clicked
        self._sets: dict[tuple[tuple[str, ...], bool], LabelSet] = {}
        self._dark = theme.is_dark()
        self._lately: set[tuple[tuple[str, ...], bool]] = set()
        """The schemes shown since the panel last showed no case (another workspace, an empty
        queue): whose tallest set the buttons keep the room of (``tallest``)."""

    def tallest(self) -> int:
        """The height of the tallest set shown lately (0: none)."""
        return max(
            (self._sets[key].sizeHint().height() for key in self._lately if key in self._sets),
            default=0,
        )

    def show(self, scheme: LabelScheme | None) -> LabelSet | None:
        """Show the buttons of ``scheme``, cleared, and hide the others (None: no buttons)."""
        dark = theme.is_dark()
        if self._dark != dark or len(self._sets) > MAX_LABEL_SETS:
            for kept in self._sets.values():
                kept.hide()
                kept.deleteLater()
            self._sets = {}
            self._dark = dark
        key = (scheme.labels, scheme.ordinal) if scheme is not None else None
        if key is None:
            self._lately.clear()
        else:
            self._lately.add(key)
        shown = self._sets.get(key) if key is not None else None
        if shown is None and scheme is not None and key is not None:
            shown = self._sets[key] = LabelSet(scheme, self._clicked)
            self._box.addWidget(shown, 0, Qt.AlignmentFlag.AlignTop)  # (room kept: below it)
        for other in self._sets.values():
            if other is not shown:
                other.hide()
        if shown is not None:
            shown.clear()
            shown.show()
        return shown


class LabelSet(QWidget):
    """The buttons of one label scheme: the key (where it is not the label itself), the label,
    on an ordinal scale what the rubric says it means, in the label's colour."""

    def __init__(self, scheme: LabelScheme, clicked: Callable[[int], None]) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.idClicked.connect(clicked)
        self.buttons: list[QPushButton] = []
        meanings = label_descriptions(scheme) if scheme.ordinal else {}
        for i, label in enumerate(scheme.labels):
            key = key_of(scheme.labels, i)
            # "&" would make a mnemonic (R&D: Alt+D); controls show as marks (plain.shown).
            shown = plain.shown(one_line(label, 80))
            text = shown if key in ("", label) else f"{key}   {shown}"
            meaning = meanings.get(label, "")
            if meaning:
                text += f"  ·  {plain.shown(one_line(meaning, 300))}"
            button = LabelButton(text)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            tip = (
                self.tr("Choose “{0}” (key {1})").format(plain.piece(label), " ".join(key))
                if key
                else plain.shown(label)
            )
            button.setToolTip(safe_tooltip(f"{tip}\n{meaning}" if meaning else tip))
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setMinimumHeight(30)
            bg, fg = theme.pill_colors(theme.label_hue(label, scheme))
            button.setStyleSheet(
                "QPushButton { text-align: left; padding: 5px 12px; border-radius: 6px;"
                f" border: 1px solid {theme.border_color().name()};"
                " background-color: palette(button); }"
                f"QPushButton:hover {{ border-color: {fg.name()}; }}"
                f"QPushButton:checked {{ background-color: {bg.name()}; color: {fg.name()};"
                f" font-weight: 700; border: 2px solid {fg.name()}; }}"
            )
            self.group.addButton(button, i)
            self.buttons.append(button)
            box.addWidget(button)
        if not typed(scheme.labels) and len(scheme.labels) > POSITION_KEYS:
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


class LabelButton(QPushButton):
    """A label button whose text is cut with "…" to the width it gets (a rubric's description
    can be long), rather than widening the panel."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._full = mnemonic(text)
        self.setText(self._full)
        self.toggled.connect(self._elide)  # (the checked button's text is bold: wider)

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(min(hint.width(), 240), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(60, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.width() - 28  # the style sheet's padding and border
        font = QFont(self.font())
        font.setBold(self.isChecked())  # as the style sheet draws a checked label
        metrics = QFontMetrics(font)
        text = self._full.replace("&&", "&")
        cut = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(room, 10))
        shown = cut.replace("&", "&&")
        if shown != self.text():
            self.setText(shown)


class TagButtons:
    """A checkable button per tag, in a flow, and the tag box's completion of their names."""

    def __init__(self, flow: FlowLayout, edit: QLineEdit, changed: Callable[[], None]) -> None:
        """``changed`` is called when a button is ticked or unticked by the reviewer."""
        self._flow = flow
        self._edit = edit
        self._changed = changed
        self.buttons: dict[str, QPushButton] = {}
        self._vocabulary: list[str] = []

    def set_vocabulary(self, tags: list[str]) -> None:
        """A button per tag of the vocabulary: made again only when it changed, else cleared."""
        if tags == self._vocabulary and list(self.buttons) == tags:
            for button in self.buttons.values():
                button.blockSignals(True)  # clearing is not an edit
                button.setChecked(False)
                button.blockSignals(False)
            return
        self._vocabulary = list(tags)
        clear_layout(self._flow)
        self.buttons = {}
        for tag in tags:
            self.ensure(tag)
        completer = QCompleter(tags, self._edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._edit.setCompleter(completer)

    def ensure(self, tag: str) -> QPushButton:
        """The button of ``tag``, added after the others if the tag is new."""
        button = self.buttons.get(tag)
        if button is None:
            button = QPushButton(mnemonic(plain.shown(one_line(tag, 80))))
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setObjectName("tag")
            button.toggled.connect(self._changed)
            self.buttons[tag] = button
            self._flow.addWidget(button)
        return button

    def checked(self) -> list[str]:
        return [t for t, b in self.buttons.items() if b.isChecked()]
