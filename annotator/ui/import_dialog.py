"""The import dialog: match a foreign case file's fields to ours, preview the result, pick options.

Everything read from the file is shown as plain text: case text is untrusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import DEFAULT_CRITERION, Case, Project
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping, composable, guess_mapping, source_fields
from annotator.formats.reader import CaseReader, ParsedCase, sample_records
from annotator.ui.join_fields import JOIN, JoinFieldsDialog, offer_joins, present, settle_join
from annotator.ui.long_format_box import LongFormatBox
from annotator.ui.plain import piece, shown
from annotator.untrusted import one_line

W = TypeVar("W", bound=QWidget)
SAMPLE_LIMIT = 20
PREVIEW_RECORDS = 5
PREVIEW_ROWS = 2000  # rows of a long file grouped for the preview (an import: all)
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".json": "json", ".parquet": "parquet"}
PREVIEW_CHARS = 300
WARNING_STYLE = "color: #b3261e;"
ERROR_STYLE = "color: #b3261e; background: #fdecea; border: 1px solid #f1b0aa; border-radius: 4px;"
_NONE = ""
"""Combo data of "(none)"; every other choice holds a source path (our own name = as is)."""

FIELDS: tuple[tuple[str, bool], ...] = (
    ("id", True), ("criterion", False), ("input", True), ("output", False),
    ("outputs", False), ("reference", False), ("judge.label", True),
    ("judge.rationale", False), ("judge.score", False), ("judge.model", False),
    ("ratings", False), ("meta", False),
)  # fmt: skip
"""Our fields, in the order shown, and whether each is required."""


@dataclass(frozen=True)
class ImportChoice:
    path: Path
    mapping: FieldMapping | None
    strict: bool
    encoding: str | None
    long: LongFormat | None = None


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _clip(text: str, limit: int = PREVIEW_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _named(widget: W, name: str) -> W:
    widget.setObjectName(name)
    return widget


def _plain_label(name: str, text: str = "", style: str = "") -> QLabel:
    """A word-wrapped label that never interprets its text as HTML."""
    label = _named(QLabel(text), name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(style)
    return label


class ImportDialog(QDialog):
    """Shown before a case file is imported; the main window reads its choices."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = Path(path)
        self._fields: list[str] = []
        self._load_error = ""
        self._chosen: dict[str, object] = {}  # each field's choice, for a join cancelled
        self.ask_join = JoinFieldsDialog.ask  # (tests replace it)
        self.setWindowTitle(self.tr("Import cases"))
        self.setMinimumWidth(760)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self._build_header(layout)
        self._build_mapping(layout)
        self._long = LongFormatBox.below(self._mapping_box, self._missing, self._refresh)
        self._build_preview(layout)
        self._build_options(layout)
        order: list[QWidget] = [self._combos[ours] for ours, _ in FIELDS]
        order += [*self._long.combos(), self._preview, self._encoding, self._strict, self._import]
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)
        self._load()
        (self._encoding if self._load_error else self._combos["id"]).setFocus()

    # --- public API -------------------------------------------------------------------------

    def mapping(self) -> FieldMapping | None:
        """The chosen mapping, or None when every field is read under its own name."""
        pairs = []
        named = {"ratings"} if self._long.rater_field() else set()  # each row's label, named
        for ours, combo in self._combos.items():
            source = combo.currentData()
            own = source == ours and ours not in named  # read under its own name: no pair
            if isinstance(source, str) and source not in (_NONE, JOIN) and not own:
                pairs.append((ours, source))
        return FieldMapping(tuple(pairs)) if pairs else None

    def long(self) -> LongFormat | None:
        """The long format chosen (rows grouped by id), or None: one record per case."""
        return self._long.format_for(self.mapping())

    def strict(self) -> bool:
        return self._strict.isChecked()

    def encoding(self) -> str | None:
        value = self._encoding.currentData()
        return value if isinstance(value, str) and value else None

    @staticmethod
    def ask(path: Path, parent: QWidget | None = None) -> ImportChoice | None:
        """Show the dialog; the user's choices, or None if cancelled."""
        dialog = ImportDialog(path, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return ImportChoice(
            Path(path), dialog.mapping(), dialog.strict(), dialog.encoding(), dialog.long()
        )

    # --- building ---------------------------------------------------------------------------

    def _field_names(self) -> dict[str, str]:
        return {
            "id": self.tr("Case id"), "criterion": self.tr("Criterion"),
            "input": self.tr("Input / prompt"), "output": self.tr("Output"),
            "outputs": self.tr("Candidates (pairwise)"), "reference": self.tr("Reference"),
            "judge.label": self.tr("Judge label"), "judge.rationale": self.tr("Judge rationale"),
            "judge.score": self.tr("Judge score"), "judge.model": self.tr("Judge model"),
            "ratings": self.tr("Ratings"), "meta": self.tr("Meta"),
        }  # fmt: skip

    def _build_header(self, layout: QVBoxLayout) -> None:
        self._title = _plain_label("titleLabel", self._path.name)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self._title.setFont(font)
        self._details = _plain_label("detailsLabel")
        self._project = _plain_label("projectLabel")
        self._error = _plain_label("errorLabel", style=ERROR_STYLE)
        self._error.setContentsMargins(8, 6, 8, 6)
        for w in (self._title, self._details, self._project, self._error):
            layout.addWidget(w)

    def _build_mapping(self, layout: QVBoxLayout) -> None:
        self._mapping_box = QGroupBox(self.tr("Which field of your file holds each of these?"))
        grid = QGridLayout(self._mapping_box)
        grid.setHorizontalSpacing(10)
        grid.addWidget(_plain_label("", self.tr("Fields marked * are required.")), 0, 0, 1, 5)
        names = self._field_names()
        self._combos: dict[str, QComboBox] = {}
        half = (len(FIELDS) + 1) // 2
        for i, (ours, required) in enumerate(FIELDS):
            combo = _named(QComboBox(), f"field:{ours}")
            combo.setMinimumContentsLength(14)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.currentIndexChanged.connect(lambda _=0, o=ours: self._field_changed(o))
            label = _plain_label(f"fieldLabel:{ours}", names[ours] + (" *" if required else ""))
            label.setWordWrap(False)
            label.setBuddy(combo)
            row, col = 1 + i % half, (i // half) * 3
            grid.addWidget(label, row, col)
            grid.addWidget(combo, row, col + 1)
            self._combos[ours] = combo
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)
        grid.setColumnMinimumWidth(2, 14)
        self._missing = _plain_label("missingLabel", style=WARNING_STYLE)
        grid.addWidget(self._missing, half + 1, 0, 1, 5)
        layout.addWidget(self._mapping_box)

    def _build_preview(self, layout: QVBoxLayout) -> None:
        self._preview_box = QGroupBox(self.tr("Preview of the first case"))
        box = QVBoxLayout(self._preview_box)
        self._summary = _plain_label("summaryLabel")
        self._preview = _named(QPlainTextEdit(), "previewText")
        self._preview.setReadOnly(True)
        self._preview.setTabChangesFocus(True)
        self._preview.setMinimumHeight(140)
        self._problems = _plain_label("problemsLabel", style=WARNING_STYLE)
        for w in (self._summary, self._preview, self._problems):
            box.addWidget(w)
        layout.addWidget(self._preview_box, 1)

    def _build_options(self, layout: QVBoxLayout) -> None:
        options = QHBoxLayout()
        self._encoding = _named(QComboBox(), "encodingCombo")
        self._encoding.addItem(self.tr("Auto (UTF-8/UTF-16)"), "")  # not None: PySide6 bug
        self._encoding.addItem(self.tr("cp1252 (Windows/Excel)"), "cp1252")
        self._encoding.addItem(self.tr("latin-1"), "latin-1")
        self._encoding.currentIndexChanged.connect(self._load)
        encoding_label = QLabel(self.tr("&Encoding:"))
        encoding_label.setTextFormat(Qt.TextFormat.PlainText)  # (its "&" still works)
        encoding_label.setBuddy(self._encoding)
        options.addWidget(encoding_label)
        options.addWidget(self._encoding)
        options.addSpacing(24)
        self._strict = _named(
            QCheckBox(self.tr("&Refuse the whole file if any line is bad")), "strictCheck"
        )
        self._strict.toggled.connect(self._refresh)
        options.addWidget(self._strict)
        options.addStretch(1)
        layout.addLayout(options)
        buttons = QDialogButtonBox()
        self._import = _named(QPushButton(self.tr("&Import")), "importButton")
        self._import.setDefault(True)
        buttons.addButton(self._import, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # --- loading and live update ------------------------------------------------------------

    def _load(self) -> None:
        """(Re)read the sample records with the chosen encoding and refill the field choices."""
        self._load_error, fields = "", []
        try:
            for record in sample_records(self._path, encoding=self.encoding(), limit=SAMPLE_LIMIT):
                fields += [f for f in source_fields(record) if f not in fields]
        except FileRefused as e:
            self._load_error = str(e)
            if "encoding" in e.message.lower():
                hint = self.tr("Try another Encoding below (Excel often saves as cp1252).")
                self._load_error += "\n" + hint
        # Keep the user's choices across an encoding change, unless there was nothing to choose.
        previous = {ours: c.currentData() for ours, c in self._combos.items() if self._fields}
        self._fields = fields
        guessed = guess_mapping(fields).as_dict()
        for ours, combo in self._combos.items():
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItem(self.tr("(use '{0}')").format(ours), ours)
                if not present(ours, fields):
                    combo.addItem(self.tr("(none)"), _NONE)
                for f in fields:
                    if f != ours:  # a field name from the file: its controls as marks
                        combo.addItem(shown(one_line(f, 80)), f)
                choice = previous.get(ours)
                if composable(ours):  # joined fields: the guess, an earlier join, another
                    joins = [guessed.get(ours), choice if isinstance(choice, str) else None]
                    offer_joins(combo, joins, self.tr("Join several fields…"))
                if not isinstance(choice, str) or combo.findData(choice) < 0:
                    choice = guessed.get(ours, ours if present(ours, fields) else _NONE)
                combo.setCurrentIndex(max(combo.findData(choice), 0))
                self._chosen[ours] = combo.currentData()
        self._mapping_box.setEnabled(not self._load_error)
        self._long.set_source(self._path, self.encoding(), fields, enabled=not self._load_error)
        self._refresh()

    def _field_changed(self, ours: str) -> None:
        combo, title = self._combos[ours], self._field_names()[ours]
        settle_join(combo, self._chosen.get(ours), self._fields, title, self.ask_join, self)
        self._chosen[ours] = combo.currentData()
        self._refresh()

    def _refresh(self) -> None:
        names = self._field_names()
        required = self._long.required([ours for ours, needed in FIELDS if needed])
        if self._long.rater_field() is not None:  # (the label of ratings says which it is)
            names["ratings"] = self.tr("Rating label")
        for ours in ("ratings", "judge.label"):  # long format changes what they are
            if (label := self.findChild(QLabel, f"fieldLabel:{ours}")) is not None:
                label.setText(names[ours] + (" *" if ours in required else ""))
        missing = [names[ours] for ours in required if not self._maps_present(ours)]
        self._missing.setText(
            self.tr(
                "Required, but not found in your file: {0}. Choose the field that holds it."
            ).format(", ".join(missing))
        )
        self._missing.setVisible(bool(missing) and not self._load_error)
        if self._load_error:
            self._clear_preview()
            self._show_header(None)
        error = self._load_error or self._show_preview(bool(missing))
        self._error.setText(self.tr("This file can't be imported as it is:\n{0}").format(error))
        self._error.setVisible(bool(error))
        self._preview_box.setEnabled(not self._load_error)
        self._import.setEnabled(not error and not missing)

    def _maps_present(self, ours: str) -> bool:
        source = self._combos[ours].currentData()
        return isinstance(source, str) and self._long.present(source, self._fields)

    def _show_header(self, reader: CaseReader | None) -> None:
        fmt = reader.fmt if reader else _SUFFIXES.get(self._path.suffix.lower(), "jsonl")
        kind = {"csv": "CSV", "json": "JSON", "parquet": "Parquet"}.get(fmt, "JSON Lines")  # names
        try:
            size = _size(reader.size_bytes if reader else self._path.stat().st_size)
        except OSError:
            size = self.tr("size unknown")
        self._details.setText(self.tr("{0} · {1}").format(kind, size))
        project: Project | None = reader.project if reader else None
        lines = [self.tr("Project: {0}").format(piece(project.title))] if project else []
        for criterion, scheme in project.schemes.items() if project else ():
            name = piece(criterion) if criterion != DEFAULT_CRITERION else self.tr("Labels")
            labels = ", ".join(map(piece, scheme.labels))
            lines.append(self.tr("    {0}: {1}").format(name, labels))
        self._project.setText("\n".join(lines))
        self._project.setVisible(bool(lines))

    def _show_preview(self, missing: bool) -> str:
        """Fill the preview from the first records; the file's refusal message, if any."""
        self._clear_preview()
        reader: CaseReader | None = None
        try:
            long, rows = self.long(), PREVIEW_ROWS  # (a long file: cases of its first rows)
            reader = CaseReader(
                self._path, self.mapping(), encoding=self.encoding(), long=long, rows=rows
            )
            items = list(islice(reader, PREVIEW_RECORDS))  # the generator closes on release
        except FileRefused as e:
            self._show_header(reader)
            if missing:  # said above, in our words; the reader would speak of columns and --map
                self._summary.setText(self.tr("Choose the required fields to see a preview."))
                return ""
            return str(e)
        self._show_header(reader)
        cases = [item.case for item in items if isinstance(item, ParsedCase)]
        problems = [item for item in items if isinstance(item, LineProblem)]
        counts = self.tr("{0} of {1} sample records can be read.").format(len(cases), len(items))
        first = self.tr(" (Cases of the first {0} rows.)").format(PREVIEW_ROWS) if long else ""
        self._summary.setText(counts + first)
        self._preview.setPlainText(
            self._describe(cases[0])
            if cases
            else self.tr("No case could be read with these choices. Check the fields above.")
        )
        notes = [p.describe(self._path) for p in problems]
        if problems and self.strict():
            notes.append(self.tr("With “Refuse the whole file” on, this file would be refused."))
        self._problems.setText("\n".join(notes))
        self._problems.setVisible(bool(notes))
        return ""

    def _clear_preview(self) -> None:
        self._summary.clear()
        self._preview.clear()
        self._problems.hide()

    def _describe(self, case: Case) -> str:
        # Each piece from the file isolated, its controls as marks (plain.piece).
        lines = [self.tr("Case id: {0}").format(piece(case.id))]
        if case.criterion != DEFAULT_CRITERION:
            lines.append(self.tr("Criterion: {0}").format(piece(case.criterion)))
        lines.append(self.tr("Input: {0}").format(piece(_clip(case.input))))
        if case.output is not None:
            lines.append(self.tr("Output: {0}").format(piece(_clip(case.output))))
        for name, text in (case.outputs or {}).items():
            lines.append(self.tr("Candidate {0}: {1}").format(piece(name), piece(_clip(text))))
        lines.append(self.tr("Judge label: {0}").format(piece(case.judge.label)))
        if case.judge.rationale:
            rationale = piece(_clip(case.judge.rationale))
            lines.append(self.tr("Judge rationale: {0}").format(rationale))
        ratings = ", ".join(f"{piece(r.rater)}: {piece(r.label)}" for r in case.ratings)
        ratings = ratings or self.tr("(none)")
        lines.append(self.tr("Ratings: {0}").format(ratings))
        return "\n".join(lines)
