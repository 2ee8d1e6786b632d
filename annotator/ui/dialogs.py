"""Small dialogs: rubric and guidelines, keyboard shortcuts, summary, reviewer name."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import Project
from annotator.ui.actions import ACTIONS, MENUS
from annotator.ui.plain import piece, shown, window_title
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
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    layout.addWidget(view)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return dialog


def rubric_sections(project: Project, criterion: str | None) -> list[tuple[str, str, str]]:
    """(heading, subtitle, body) per criterion, the current one first, then the guidelines."""
    sections: list[tuple[str, str, str]] = []
    for name in sorted(project.schemes, key=lambda c: (c != criterion, c)):
        scheme = project.schemes[name]
        scale = "ordinal scale" if scheme.ordinal else "nominal"
        if scheme.ordinal:
            scale += f"; scores disagree when more than {scheme.threshold:g} apart"
        sections.append(
            (
                f"Criterion: {piece(name)}" if name else "Labels",
                f"{', '.join(piece(x) for x in scheme.labels)}  ({scale})",
                shown(scheme.rubric.strip()) or "(no rubric given)",
            )
        )
    if project.guidelines.strip():
        sections.append(("Guidelines for reviewers", "", shown(project.guidelines.strip())))
    return sections


def show_rubric(parent: QWidget | None, project: Project, criterion: str | None) -> None:
    """The rubric with real headings. Text goes in through QTextCursor.insertText: never HTML."""
    dialog = _text_dialog(parent, window_title(project.title, " — ") + "Rubric", "")
    view = dialog.findChild(QPlainTextEdit)
    assert view is not None
    cursor = view.textCursor()
    heading = QTextCharFormat()
    heading.setFontWeight(QFont.Weight.Bold)
    heading.setFontPointSize(view.font().pointSizeF() * 1.3)
    subtitle = QTextCharFormat()
    subtitle.setForeground(view.palette().placeholderText())
    body = QTextCharFormat()
    sections = rubric_sections(project, criterion)
    if not sections:
        cursor.insertText("This project has no rubric or guidelines.", body)
    for i, (title, sub, text) in enumerate(sections):
        cursor.insertText(("\n\n" if i else "") + title + "\n", heading)
        if sub:
            cursor.insertText(sub + "\n", subtitle)
        cursor.insertText("\n" + text, body)
    view.moveCursor(QTextCursor.MoveOperation.Start)
    dialog.exec()


def show_text(parent: QWidget | None, title: str, text: str) -> None:
    """A report (the summary) that quotes the files: control characters as marks."""
    _text_dialog(parent, title, shown(text), mono=True).exec()


def shortcuts_dialog(parent: QWidget | None) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(dialog.tr("Keyboard shortcuts"))
    dialog.resize(560, 640)
    layout = QVBoxLayout(dialog)
    layout.addWidget(
        plain_label(
            dialog.tr(
                "Number keys pick a label when you are not typing; Alt+number works everywhere. "
                "On a scale of numbers, type the label itself (1 then 0 quickly: 10); on other "
                "scales, 1 … 9 pick the first nine labels. "
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
    entries = [("0 … 9,  Alt+0 … Alt+9", "Choose the final label", "Case")] + [
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
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    layout.addWidget(table)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return dialog


def ask_reviewer(parent: QWidget | None, current: str = "", *, lead: bool = False) -> str | None:
    """Ask the reviewer's name (written into every exported decision)."""
    question = (
        "Your name or initials, as it should stand on your decisions in the merged file:"
        if lead
        else "Your name or initials, as the lead should see it in your labelled file:"
    )
    dialog = input_dialog(
        parent,
        parent.tr("Your name") if parent else "Your name",
        parent.tr(question) if parent else question,
    )
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setTextValue(current)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    name = dialog.textValue().strip()
    return name or None


def ask_threshold(parent: QWidget, criterion: str, labels: Sequence[str], now: float) -> float:
    """Ask a criterion's ordinal threshold; ``now`` when the reviewer cancels."""
    dialog = input_dialog(
        parent,
        parent.tr("Ordinal threshold"),
        parent.tr(
            "Criterion '{0}' ({1}): two scores disagree when they differ by more than:"
        ).format(piece(criterion) if criterion else "default", ", ".join(map(piece, labels))),
    )
    dialog.setInputMode(QInputDialog.InputMode.DoubleInput)
    dialog.setDoubleRange(0, 100)
    dialog.setDoubleDecimals(1)
    dialog.setDoubleValue(now)
    return dialog.doubleValue() if dialog.exec() == QDialog.DialogCode.Accepted else now


def input_dialog(parent: QWidget | None, title: str, text: str) -> QInputDialog:
    """A QInputDialog whose question is plain text: it may quote a criterion or labels from a
    file (QInputDialog's own label would render them as HTML)."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(text)
    for label in dialog.findChildren(QLabel):
        label.setTextFormat(Qt.TextFormat.PlainText)
    return dialog


def plain_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    """A message box, not shown yet, that shows its text literally (it may quote case data or
    a file's name): plain text, control characters as marks, a title on one line. The caller
    adds its buttons."""
    no_buttons = QMessageBox.StandardButton.NoButton
    box = QMessageBox(icon, window_title(title), shown(text), no_buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def message(
    parent: QWidget, icon: QMessageBox.Icon, title: str, text: str, details: str = ""
) -> None:
    """A non-blocking :func:`plain_box` with an Ok button (and ``details``, shown alike)."""
    box = plain_box(parent, icon, title, text)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    if details:
        box.setDetailedText(shown(details))
    # Enter is Ok (with details, the focus would start on Show Details, and Enter toggle it).
    box.setDefaultButton(QMessageBox.StandardButton.Ok)
    box.open()


def error(parent: QWidget, title: str, text: str) -> None:
    message(parent, QMessageBox.Icon.Critical, title, text)


def info(parent: QWidget, title: str, text: str) -> None:
    message(parent, QMessageBox.Icon.Information, title, text)
