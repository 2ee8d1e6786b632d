"""Edit > Rubric…: edit a criterion's rubric and the reviewer guidelines (each save is a new
version, with a note on what changed and why), and read any two versions' differences.

Everything shown is plain text (the rubric and notes come from files and people): the editors
are plain-text boxes, the versions a table of plain items, the diff a read-only plain-text view
in a fixed-width font with control characters shown as marks (``plain.set_marked``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.rubric_versions import RubricVersion
from annotator.services import rubrics
from annotator.services.changes import Changes
from annotator.services.rubrics import RubricEdit, RubricError
from annotator.services.workspace import Workspace, WorkspaceError
from annotator.ui.plain import set_marked, shown
from annotator.ui.widgets import plain_label, section_title, set_muted
from annotator.untrusted import one_line

Author = Callable[[], str | None]
"""The reviewer's name (asked for when it is not set yet); None: the user declined."""


class RubricDialog(QDialog):
    """One criterion at a time (a chooser when the project has several)."""

    def __init__(
        self,
        ws: Workspace,
        criterion: str,
        author: Author,
        applied: Callable[[Changes], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self._author = author
        self._applied = applied
        self.setWindowTitle(self.tr("Rubric versions"))
        self.resize(1100, 640)
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        self.criterion = QComboBox()
        for name in rubrics.criteria(ws):
            self.criterion.addItem(shown(one_line(name, 60)) or self.tr("(default)"), name)
        self.criterion.setCurrentIndex(max(self.criterion.findData(criterion), 0))
        self.criterion.currentIndexChanged.connect(lambda _i: self.load())
        top.addWidget(plain_label(self.tr("Criterion:"), selectable=False))
        top.addWidget(self.criterion, 1)
        self.criterion.setVisible(self.criterion.count() > 1)
        self.current = plain_label("", selectable=False)
        set_muted(self.current)
        top.addWidget(self.current, 2)
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._editor())
        split.addWidget(self._history())
        split.setSizes([520, 580])
        layout.addWidget(split, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._versions: list[RubricVersion] = []
        self.load()
        self.rubric.setFocus()

    def _editor(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 6, 0)
        column.addWidget(section_title(self.tr("Rubric")))
        self.rubric = QPlainTextEdit()
        self.rubric.setTabChangesFocus(True)
        column.addWidget(self.rubric, 3)
        column.addWidget(section_title(self.tr("Guidelines (every criterion's)")))
        self.guidelines = QPlainTextEdit()
        self.guidelines.setTabChangesFocus(True)
        column.addWidget(self.guidelines, 2)
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("What changed and why (required)"))
        column.addWidget(self.note)
        row = QHBoxLayout()
        self.error = plain_label("", selectable=False)
        self.error.setStyleSheet("color: #b3261e;")
        row.addWidget(self.error, 1)
        self.save = QPushButton(self.tr("Save as a new version (Ctrl+S)"))
        self.save.setShortcut(QKeySequence("Ctrl+S"))
        self.save.setAutoDefault(False)
        self.save.clicked.connect(self._save)
        row.addWidget(self.save)
        column.addLayout(row)
        return box

    def _history(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(6, 0, 0, 0)
        column.addWidget(section_title(self.tr("Versions")))
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Version"), self.tr("Time (UTC)"), self.tr("Author"), self.tr("Note")]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents,) * 3):
            header.setSectionResizeMode(col, mode)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._show_diff)
        column.addWidget(self.table, 2)
        self.diff_title = plain_label(
            self.tr("Select two versions (Ctrl+click) to see what changed between them."),
            selectable=False,
        )
        set_muted(self.diff_title)
        column.addWidget(self.diff_title)
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        column.addWidget(self.diff, 3)
        return box

    # -- filling -----------------------------------------------------------------------------

    @property
    def criterion_name(self) -> str:
        return str(self.criterion.currentData() or "")

    def load(self) -> None:
        """Show the criterion's versions, with the current one in the editors."""
        self._versions = rubrics.versions(self.ws, self.criterion_name)
        latest = self._versions[-1]
        self.rubric.setPlainText(latest.rubric)
        self.guidelines.setPlainText(latest.guidelines)
        self.note.clear()
        self.error.clear()
        stale = rubrics.stale_count(self.ws, self.criterion_name)
        self.current.setText(
            self.tr("Now at version {0}; {1} decision(s) taken under an older one.").format(
                latest.version, stale
            )
        )
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._versions))
        for row, v in enumerate(reversed(self._versions)):  # newest first
            when = v.created_at.replace("T", " ").rstrip("Z")
            for col, value in enumerate(
                (f"v{v.version}", when, shown(one_line(v.author, 40)), shown(one_line(v.note, 200)))
            ):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, v.version)
                item.setToolTip("")  # (the note in full is in the diff's title)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        self.table.clearSelection()
        self.diff.clear()

    def show_versions(self, old: int, new: int) -> None:
        """Select two versions, showing their diff."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) in (old, new):
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _selected(self) -> list[int]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        found = []
        for row in rows:
            item = self.table.item(row, 0)
            if item is not None:
                found.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return sorted(found)

    def _show_diff(self) -> None:
        chosen = self._selected()
        if len(chosen) == 1 and chosen[0] > 1:  # one version: what it changed
            chosen = [chosen[0] - 1, chosen[0]]
        if len(chosen) != 2:
            self.diff.clear()
            self.diff_title.setText(
                self.tr("Select two versions (Ctrl+click) to see what changed between them.")
            )
            return
        old, new = chosen
        by_number = {v.version: v for v in self._versions}
        self.diff_title.setText(
            self.tr("From v{0} to v{1}: {2}").format(
                old, new, shown(one_line(by_number[new].note, 300))
            )
        )
        set_marked(self.diff, rubrics.diff(self.ws, self.criterion_name, old, new))

    # -- saving ------------------------------------------------------------------------------

    def _save(self) -> None:
        if not self.note.text().strip():
            self.error.setText(self.tr("Say what changed and why (the note is required)."))
            self.note.setFocus()
            return
        author = self._author()
        if author is None:
            return
        try:
            done: RubricEdit = rubrics.edit(
                self.ws,
                self.criterion_name,
                note=self.note.text(),
                author=author,
                rubric=self.rubric.toPlainText(),
                guidelines=self.guidelines.toPlainText(),
            )
        except (RubricError, WorkspaceError) as exc:
            self.error.setText(str(exc))
            return
        self._applied(done.changes)
        self.load()
        new = done.versions[0].version
        self.show_versions(new - 1, new)
        self.error.setText("")
        self.current.setText(shown(done.describe()))
