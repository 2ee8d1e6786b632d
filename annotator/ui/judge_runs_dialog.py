"""The judge runs' dialogs: File › Add judge run… names the run and shows the fields its file
is read with (:class:`AddRunDialog`); File › Judge runs… lists the runs, with Rename, Remove
and Undo (:class:`JudgeRunsDialog`). Both only lay out and emit what the user asks for;
``judge_run_flow`` calls the services."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QBrush, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.formats.mapping import FieldMapping
from annotator.services.judge_runs import JudgeRun
from annotator.ui import theme
from annotator.ui.plain import action_text, piece, safe_tooltip, shown
from annotator.ui.widgets import plain_label, set_muted

_FIELDS = {"judge.label": "label", "judge.rationale": "rationale", "judge.score": "score",
           "judge.model": "model", "judge": "label"}  # fmt: skip


def mapping_lines(mapping: FieldMapping, key: str = "id") -> str:
    """The fields a run's file is read with, one per line: ``label ← verdict``."""
    lines = [f"case id ← {key}"]
    lines += [f"{_FIELDS.get(ours, ours)} ← {theirs}" for ours, theirs in mapping.pairs]
    if not mapping.pairs:
        lines.append("label ← judge (as named)")
    return "\n".join(lines)


def _row(form: QFormLayout, text: str, widget: QWidget) -> None:
    """A form row whose label is plain text (its ``&`` still the buddy's key)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setBuddy(widget)
    form.addRow(label, widget)


class AddRunDialog(QDialog):
    """The new run's name and model, and the fields its file will be read with."""

    def __init__(
        self, parent: QWidget | None, path: Path, mapping: FieldMapping, name: str
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add judge run"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                self.tr(
                    "Add the verdicts in {0} as a judge run: another judge's labels on this "
                    "project's cases, to compare with the first on the alignment page."
                ).format(piece(path.name))
            )
        )
        form = QFormLayout()
        self.name = QLineEdit(name)
        self.name.setMaxLength(200)
        self.name.setToolTip(self.tr("Unique in the project; the case view names its verdicts so"))
        _row(form, self.tr("&Name:"), self.name)
        self.model = QLineEdit()
        self.model.setPlaceholderText(self.tr("as the file says"))
        self.model.setToolTip(self.tr("The judge's model, if the file does not name it"))
        _row(form, self.tr("&Model:"), self.model)
        fields = plain_label(mapping_lines(mapping))
        fields.setObjectName("runFields")
        _row(form, self.tr("Fields read:"), fields)
        layout.addLayout(form)
        note = plain_label(
            self.tr(
                "Fields are guessed from their names (on the command line: --map label=FIELD). "
                "A case id the project lacks, a duplicate id, a label off the scale or a record "
                "without a label refuses the whole file."
            )
        )
        set_muted(note)
        layout.addWidget(note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Add run"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))
        ok.setEnabled(bool(name.strip()))
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())

    def chosen(self) -> tuple[str, str | None]:
        """(the name, the model or None: the file's)."""
        return self.name.text().strip(), self.model.text().strip() or None


NAME_WIDTH = 240
"""The widest the Name column of File › Judge runs… starts (a longer name is cut in its middle;
its tooltip has it whole, and the column can be widened)."""


class JudgeRunsDialog(QDialog):
    """The runs, the current (newest) last and marked, then the removed runs greyed (the last
    removed first); Rename, Remove, Restore (a removed run) and Undo."""

    renameRequested = Signal(object)
    """A :class:`JudgeRun` to rename (the flow asks for the new name)."""
    removeRequested = Signal(object)
    restoreRequested = Signal(object)
    """A removed :class:`JudgeRun` to bring back."""
    undoRequested = Signal()

    COLUMNS = ("Name", "Model", "Cases", "Added", "File")

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Judge runs"))
        self.runs: list[JudgeRun] = []
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                self.tr(
                    "The judges of this project: the one its cases were imported with, then "
                    "each run added (File › Add judge run…). The newest is the current run. "
                    "Removed runs are listed greyed, below, until restored."
                )
            )
        )
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # A long run name (names come from files and the command line) is cut in its middle,
        # keeping "(current)", rather than pushing the model, cases and date out of sight.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.rename = QPushButton(self.tr("&Rename…"))
        self.rename.clicked.connect(lambda: self._ask(self.renameRequested))
        self.remove = QPushButton(self.tr("Re&move"))
        self.remove.clicked.connect(lambda: self._ask(self.removeRequested))
        self.restore = QPushButton(self.tr("Re&store"))
        self.restore.clicked.connect(lambda: self._ask(self.restoreRequested))
        self.undo = QPushButton(self.tr("&Undo"))
        self.undo.clicked.connect(self.undoRequested)
        self.undo.setToolTip(self.tr("Undo the last rename, removal or restore (Ctrl+Z)"))
        # Ctrl+Z as well as Alt+U, as everywhere else an undo is offered (Edit › Undo).
        undo_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        undo_key.activated.connect(self._undo_key)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        for button in (self.rename, self.remove, self.restore, self.undo):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.resize(760, 300)

    def set_runs(
        self, runs: list[JudgeRun], undo: str = "", removed: list[JudgeRun] | None = None
    ) -> None:
        """Show ``runs`` (in order), then the ``removed`` runs greyed; ``undo``: what Undo
        would undo ("": nothing)."""
        selected = self.selected()
        gone = list(removed or [])
        self.runs = list(runs) + gone
        self.table.setRowCount(len(self.runs))
        muted = QBrush(theme.muted_color())
        for n, run in enumerate(self.runs):
            current = n == len(runs) - 1 and len(runs) > 1
            name = shown(run.name) + (self.tr("  (current)") if current else "")
            if run.removed_at is not None:
                name += self.tr("  (removed)")
            file = self.tr("imported with the cases") if run.imported else Path(run.path).name
            cells = (name, shown(run.model) or "–", str(run.cases), _when(run.added_at),
                     shown(file))  # fmt: skip
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(safe_tooltip(run.path if column == 4 else text))
                if column == 0 and run.removed_at is not None:
                    tip = self.tr("{0}, removed {1}").format(text, _when(run.removed_at))
                    item.setToolTip(safe_tooltip(tip))
                if column == 2:
                    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    item.setTextAlignment(right)
                if run.removed_at is not None:
                    item.setForeground(muted)
                self.table.setItem(n, column, item)
            if selected is not None and run.id == selected.id:
                self.table.selectRow(n)
        if self.selected() is None and runs:
            self.table.selectRow(len(runs) - 1)
        self.table.setColumnWidth(0, min(self.table.sizeHintForColumn(0), NAME_WIDTH))
        self.undo.setEnabled(bool(undo))
        self.undo.setText(action_text(self.tr("&Undo"), undo) if undo else self.tr("&Undo"))
        self._enable()

    def selected(self) -> JudgeRun | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.runs[rows[0].row()] if rows and rows[0].row() < len(self.runs) else None

    def _enable(self) -> None:
        run = self.selected()
        listed = run is not None and run.removed_at is None
        self.rename.setEnabled(listed)
        self.remove.setEnabled(listed)
        self.restore.setEnabled(run is not None and run.removed_at is not None)

    def _undo_key(self) -> None:
        if self.undo.isEnabled():
            self.undoRequested.emit()

    def _ask(self, signal: SignalInstance) -> None:
        run = self.selected()
        if run is not None:
            signal.emit(run)


def _when(iso: str) -> str:
    """A stored time (``2026-12-01T10:00:00Z``) as the dialog shows it."""
    return iso.replace("T", " ").removesuffix("Z")
