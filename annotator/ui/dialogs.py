"""Small dialogs: rubric and guidelines, keyboard shortcuts, summary, reviewer name."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import Project
from annotator.ui.actions import ACTIONS, MENUS
from annotator.ui.widgets import plain_label


def _text_dialog(parent: QWidget | None, title: str, text: str, *, mono: bool = False) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.resize(720, 560)
    layout = QVBoxLayout(dialog)
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setPlainText(text)
    if mono:
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    layout.addWidget(view)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return dialog


def rubric_text(project: Project, criterion: str | None) -> str:
    """The rubric of the current criterion first, then the others, then the guidelines."""
    parts: list[str] = []
    names = sorted(project.schemes, key=lambda c: (c != criterion, c))
    for name in names:
        scheme = project.schemes[name]
        scale = "ordinal" if scheme.ordinal else "nominal"
        extra = (
            f"; disagreement when scores differ by more than {scheme.threshold:g}"
            if scheme.ordinal
            else ""
        )
        heading = f"Criterion: {name}" if name else "Labels"
        parts.append(
            f"{heading}\n{'=' * len(heading)}\n"
            f"Labels: {', '.join(scheme.labels)} ({scale}{extra})\n\n"
            + (scheme.rubric.strip() or "(no rubric given)")
        )
    if project.guidelines.strip():
        parts.append(
            "Guidelines for reviewers\n========================\n" + project.guidelines.strip()
        )
    return "\n\n\n".join(parts) or "This project has no rubric or guidelines."


def show_rubric(parent: QWidget | None, project: Project, criterion: str | None) -> None:
    dialog = _text_dialog(parent, f"Rubric — {project.title}", rubric_text(project, criterion))
    dialog.exec()


def show_text(parent: QWidget | None, title: str, text: str) -> None:
    _text_dialog(parent, title, text, mono=True).exec()


def shortcuts_dialog(parent: QWidget | None) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(dialog.tr("Keyboard shortcuts"))
    dialog.resize(560, 640)
    layout = QVBoxLayout(dialog)
    layout.addWidget(
        plain_label(
            dialog.tr(
                "Number keys pick a label when you are not typing; Alt+number works everywhere. "
                "Ctrl+Enter saves and moves on. Esc leaves a text box."
            )
        )
    )
    menus = dict(MENUS)
    rows = [a for a in ACTIONS if a.shortcuts and not a.id.startswith("label_")]
    table = QTableWidget(len(rows) + 1, 3)
    table.setHorizontalHeaderLabels([dialog.tr("Keys"), dialog.tr("Command"), dialog.tr("Menu")])
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    entries = [("1 … 9,  Alt+1 … Alt+9", "Choose the final label", "Case")] + [
        (
            ",  ".join(
                QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)
                for s in a.shortcuts
            ),
            a.text.replace("&", ""),
            menus[a.menu].replace("&", ""),
        )
        for a in rows
    ]
    for r, values in enumerate(entries):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            table.setItem(r, c, item)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    layout.addWidget(table)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return dialog


def ask_reviewer(parent: QWidget | None, current: str = "") -> str | None:
    """Ask the reviewer's name (written into every exported decision)."""
    name, ok = QInputDialog.getText(
        parent,
        parent.tr("Your name") if parent else "Your name",
        "Your name or initials, as the lead should see it in your labelled file:",
        QLineEdit.EchoMode.Normal,
        current,
    )
    name = name.strip()
    return name if ok and name else None
