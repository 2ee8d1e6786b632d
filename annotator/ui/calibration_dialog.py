"""File › Export calibration pack…: the folder, the examples per criterion, the project's split
(read only: File › Held-out split… changes it) and the four files Export writes
(docs/alignment.md). The dialog only lays out and hands back what the user chose;
``files.Files.calibrate_to`` writes the pack on the window's task runner."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.services.calibration import FILES
from annotator.services.split import SplitSettings
from annotator.ui.widgets import plain_label, set_muted

MAX_EXAMPLES = 1000
"""The spin box's top: more examples than this per criterion is no longer a prompt."""

_WHAT = {
    "prompt.md": "per criterion, the rubric and up to {k} decided examples, for the judge's prompt",
    "examples.jsonl": "the same examples as data, with the judge's own label and rationale",
    "heldout.jsonl": "the held-out cases without any label, to run the next judge on",
    "manifest.json": "the project, the split and the ids of each part",
}


class CalibrationDialog(QDialog):
    """Where to write the pack and how many examples per criterion; Export or Cancel."""

    def __init__(
        self, parent: QWidget | None, folder: Path, examples: int, split: SplitSettings
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export calibration pack"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        intro = plain_label(
            self.tr(
                "A calibration pack gives a judge decided cases as examples, and keeps the "
                "held-out cases apart to measure the next judge on (docs: alignment)."
            )
        )
        layout.addWidget(intro)
        form = QFormLayout()
        row = QHBoxLayout()
        self.folder = QLineEdit(str(folder))
        self.folder.setToolTip(
            self.tr("The folder the pack's files are written in (made if need be)")
        )
        self.folder.textChanged.connect(self._update)
        browse = QPushButton(self.tr("&Browse…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        folder_label = QLabel(self.tr("&Folder:"))
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, row)
        self.examples = QSpinBox()
        self.examples.setRange(0, MAX_EXAMPLES)
        self.examples.setMaximumWidth(self.examples.fontMetrics().averageCharWidth() * 12)
        self.examples.setValue(min(max(examples, 0), MAX_EXAMPLES))
        self.examples.setToolTip(
            self.tr("At most this many decided cases of each criterion, from the examples part")
        )
        self.examples.valueChanged.connect(self._update)
        form.addRow(self.tr("E&xamples per criterion:"), self.examples)
        share = round(split.fraction * 100, 1)
        self.split = plain_label(
            self.tr("{0}% of the decided cases held out, seed {1}").format(
                f"{share:g}", split.seed
            ),
            wrap=False,
        )
        self.split.setToolTip(self.tr("The project's split; File › Held-out split… changes it"))
        form.addRow(self.tr("Held-out split:"), self.split)
        pointer = plain_label(
            self.tr("the project's: File › Held-out split… changes it"), wrap=False
        )
        set_muted(pointer)
        form.addRow("", pointer)
        layout.addLayout(form)
        layout.addWidget(plain_label(self.tr("Export writes, in the folder:")))
        self.files = plain_label(wrap=False)
        layout.addWidget(self.files)
        self.replaces = plain_label()
        set_muted(self.replaces)
        layout.addWidget(self.replaces)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export = buttons.addButton(self.tr("&Export"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        browse.setAutoDefault(False)  # (Enter exports, wherever the focus is)
        self.export.setDefault(True)  # (once in the dialog: a button box's is not its own)
        for wrapped in (intro, self.replaces):  # (a wrapped label asks for little width)
            wrapped.setMinimumWidth(wrapped.fontMetrics().averageCharWidth() * 80)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetFixedSize)
        self._update()
        self.folder.setFocus()
        self.folder.selectAll()

    def chosen(self) -> tuple[Path, int] | None:
        """The folder and the examples per criterion; None without a folder."""
        text = self.folder.text().strip()
        return (Path(text).expanduser(), self.examples.value()) if text else None

    def _browse(self) -> None:
        start = self.folder.text().strip()
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Folder for the calibration pack"), start or str(Path.home())
        )
        if folder:
            self.folder.setText(folder)

    def _update(self) -> None:
        k = self.examples.value()
        self.files.setText(
            "\n".join(f"{name}: {self.tr(_WHAT[name]).format(k=k)}" for name in FILES)
        )
        chosen = self.chosen()
        there = [n for n in FILES if chosen is not None and (chosen[0] / n).exists()]
        self.replaces.setText(
            self.tr("The folder already holds {0}: Export replaces them.").format(", ".join(there))
            if there
            else ""
        )
        self.replaces.setVisible(bool(there))
        self.export.setEnabled(chosen is not None)
