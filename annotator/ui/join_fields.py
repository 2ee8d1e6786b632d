"""Choosing several fields of a file to join into one of ours (``input=instruction+input``):
a checkable list, dragged into order."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.ui.plain import shown
from annotator.untrusted import one_line

JOIN = "\x00join"
"""Combo data of the "Join several fields…" choice (no field is named so)."""
_ROLE = Qt.ItemDataRole.UserRole
Asker = Callable[[QWidget | None, list[str], list[str], str], list[str] | None]
"""(parent, fields, chosen, title) -> the fields to join in order, or None: JoinFieldsDialog.ask"""


def present(name: str, fields: list[str]) -> bool:
    """Whether the sample records hold ``name``: itself, fields under it, or its bare parent;
    for fields joined (``instruction+input``) that no field is named, any of them."""
    if "+" in name and name not in fields:
        return any(present(part.strip(), fields) for part in name.split("+"))
    alias = {"ratings": "rating.", "outputs": "output."}.get(name, name + ".")
    if any(f == name or f.startswith((name + ".", alias)) for f in fields):
        return True
    parent = name.rpartition(".")[0]
    return bool(parent) and parent in fields and not any(f.startswith(parent + ".") for f in fields)


def joined_text(value: str) -> str:
    """How a combo shows a joined choice ``a+b``: "a + b", each name as the file has it."""
    return " + ".join(shown(one_line(part, 40)) for part in value.split("+"))


def offer_joins(combo: QComboBox, choices: list[str | None], join_text: str) -> None:
    """Add the joined ``choices`` (a guess, an earlier choice) that are not there yet, and the
    item that asks for another join."""
    for value in choices:
        if value and "+" in value and combo.findData(value) < 0:
            combo.addItem(joined_text(value), value)
    combo.addItem(join_text, JOIN)


def settle_join(
    combo: QComboBox, previous: object, fields: list[str], title: str, ask: Asker, parent: QWidget
) -> None:
    """When ``combo``'s "Join several fields…" is chosen: ``ask`` which, and select their
    join; back to the ``previous`` choice if cancelled. (Signals of ``combo`` blocked.)"""
    if combo.currentData() != JOIN:
        return
    chosen = previous.split("+") if isinstance(previous, str) and "+" in previous else []
    parts = ask(parent, fields, chosen, title)
    with QSignalBlocker(combo):
        if parts:
            select_joined(combo, parts)
        else:
            combo.setCurrentIndex(max(combo.findData(previous), 0))


def select_joined(combo: QComboBox, parts: list[str]) -> None:
    """Select the join of ``parts`` (added if new; one part is that field)."""
    value = "+".join(parts)
    if combo.findData(value) < 0:
        combo.insertItem(combo.findData(JOIN), joined_text(value), value)
    combo.setCurrentIndex(combo.findData(value))


class JoinFieldsDialog(QDialog):
    """The fields of a file, those already chosen checked and first, in their order."""

    def __init__(
        self, fields: list[str], chosen: list[str], title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Join fields into “{0}”").format(title))
        layout = QVBoxLayout(self)
        note = QLabel(
            self.tr(
                "Check the fields to join, and drag them into order. Their texts are joined "
                "with a blank line between them; empty ones are left out."
            )
        )
        note.setTextFormat(Qt.TextFormat.PlainText)
        note.setWordWrap(True)
        layout.addWidget(note)
        self._list = QListWidget()
        self._list.setObjectName("joinFieldsList")
        self._list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        for name in [*chosen, *(f for f in fields if f not in chosen)]:
            item = QListWidgetItem(shown(one_line(name, 80)))  # the file's text: marks shown
            item.setData(_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            self._list.addItem(item)
        layout.addWidget(self._list)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout.addWidget(self._buttons)
        self._list.itemChanged.connect(self._update)
        self._update()

    def parts(self) -> list[str]:
        """The checked fields, in the list's order."""
        items = (self._list.item(i) for i in range(self._list.count()))
        return [
            str(item.data(_ROLE)) for item in items if item.checkState() == Qt.CheckState.Checked
        ]

    def _update(self) -> None:
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.parts()))

    @staticmethod
    def ask(
        parent: QWidget | None, fields: list[str], chosen: list[str], title: str
    ) -> list[str] | None:
        """The fields chosen, in order; None if cancelled."""
        dialog = JoinFieldsDialog(fields, chosen, title, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.parts()
