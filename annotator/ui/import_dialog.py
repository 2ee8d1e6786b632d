"""The import dialog: match a foreign case file's fields to ours, preview the result, pick options.

Everything read from the file is shown as plain text: case text is untrusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

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
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import DEFAULT_CRITERION, Project
from annotator.formats.errors import FileRefused
from annotator.formats.ignored import ignored_fields
from annotator.formats.join import Join
from annotator.formats.long import LongFormat
from annotator.formats.mapping import (
    MISSING,
    FieldMapping,
    composable,
    guess_mapping,
    lookup,
    source_fields,
)
from annotator.formats.presets import KEY as PRESET_KEY
from annotator.formats.presets import Preset, detect
from annotator.formats.reader import CaseReader, sample_records
from annotator.formats.rounding import Rounding
from annotator.formats.values import ValueMap
from annotator.formats.wide import WideLayout
from annotator.services.import_report import ImportUnconfirmed
from annotator.services.reimport import ImportWouldReplace
from annotator.ui.case_preview import WARNING_STYLE, CasePreview, named_label
from annotator.ui.criteria_box import CriteriaBox
from annotator.ui.import_survey import Reading, Survey, Surveyor
from annotator.ui.join_fields import JOIN, JoinFieldsDialog, offer_joins, present, settle_join
from annotator.ui.join_files import JoinFilesBox
from annotator.ui.long_format_box import LongFormatBox
from annotator.ui.plain import piece, shown
from annotator.ui.preset_banner import PresetBanner
from annotator.ui.rater_columns import RaterColumns, rater_pairs
from annotator.ui.value_table import ValueTable
from annotator.untrusted import one_line

W = TypeVar("W", bound=QWidget)
SAMPLE_LIMIT = 20
PREVIEW_RECORDS = 5
PREVIEW_ROWS = 2000  # rows of a long file grouped for the preview (an import: all)
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".json": "json", ".parquet": "parquet"}
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
    join: Join | None = None
    values: ValueMap | None = None
    confirmed: bool = True
    """False: an import that finds label values that do not match (or every case unrated,
    most lines skipped) is refused, saying so (services/import_report.py's ``warnings``)."""
    replace: bool = False
    """An earlier import of the file (with other choices) is replaced (services/reimport.py)."""
    preset: Any = None
    """A tool's export (formats/presets), read as it says."""
    wide: WideLayout | None = None
    """Many criteria in one row (formats/wide.py)."""
    rounding: Rounding | None = None
    """Scores between a scale's labels rounded (formats/rounding.py)."""

    def import_options(self) -> dict[str, Any]:
        """The keyword arguments of ``import_file`` these choices give (only those set)."""
        out: dict[str, Any] = {"strict": self.strict, "encoding": self.encoding, "long": self.long}
        for key in ("join", "values", "preset", "wide", "rounding"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if not self.confirmed:
            out["confirmed"] = False
        if self.replace:
            out["replace"] = True
        return out


Settle = Callable[[BaseException | str | None], None]
"""Called when a submitted import ends: None when it went through, else why it was refused
(the exception the import raised, or a message)."""
Submit = Callable[[ImportChoice, Settle], None]
"""Starts the import of a choice (the dialog stays open until it is settled)."""


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _named(widget: W, name: str) -> W:
    widget.setObjectName(name)
    return widget


def _scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area of no frame, scrolled up and down only."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    return area


def _plain_label(name: str, text: str = "", style: str = "") -> QLabel:
    """A word-wrapped label that never interprets its text as HTML, selectable by mouse."""
    label = named_label(name, text, style)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ImportDialog(QDialog):
    """Shown before a case file is imported; the main window reads its choices."""

    def __init__(
        self, path: Path, parent: QWidget | None = None, *, submit: Submit | None = None
    ) -> None:
        """``submit``: starts the import when Import is pressed, the dialog staying open (with
        its choices) until the import is settled; without it, Import only accepts."""
        super().__init__(parent)
        self._path = Path(path)
        self._submit = submit
        self._fields: list[str] = []
        self._samples: list[dict[str, object]] = []
        self._load_error = ""
        self._readable = False  # whether the preview read a case
        self._ignored_now: list[str] = []  # fields that look rated and that nothing reads
        self._refused: tuple[ImportChoice, str] | None = None  # the last refusal, and of what
        self._busy = False
        self._shown_survey: Survey | None = None
        self._found = detect(self._path)  # a tool's export, offered to be read as such
        self._preset: Preset | None = None
        self._chosen: dict[str, object] = {}  # each field's choice, for a join cancelled
        self.ask_join = JoinFieldsDialog.ask  # (tests replace it)
        self.setWindowTitle(self.tr("Import cases"))
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        self._build_header(layout)
        body = QHBoxLayout()
        self._tabs = _named(QTabWidget(), "importTabs")
        body.addWidget(self._tabs, 3)
        layout.addLayout(body, 1)
        self._build_mapping()
        self._raters.changed.connect(self._raters_changed)
        self._raters.suggest = lambda: self._ignored_now  # a rater's column left out first
        self._long = LongFormatBox.below(self._mapping_box, self._missing, self._refresh)
        self._join = JoinFilesBox()
        self._join.changed.connect(self._refresh)
        self._tabs.addTab(_scrolled(self._join), self.tr("Files to &join"))
        self._values = ValueTable()
        self._values.changed.connect(self._refresh)
        self._tabs.addTab(self._values, self.tr("&Label values"))
        self._criteria = CriteriaBox()
        self._criteria.changed.connect(self._refresh)
        self._tabs.addTab(_scrolled(self._criteria), self.tr("Criteri&a"))
        self._surveyor = Surveyor(self)
        self._surveyor.done.connect(self._surveyed)
        self._build_preview(body)
        self._build_options(layout)
        self._set_tab_order()
        self._load()
        scrollbar = self._fields_page.verticalScrollBar().sizeHint().width()
        inner = self._mapping_box.parentWidget() or self._mapping_box
        self._fields_page.setMinimumWidth(inner.minimumSizeHint().width() + scrollbar)
        (self._encoding if self._load_error else self._combos["id"]).setFocus()
        self._fit_screen()

    def _set_tab_order(self) -> None:
        order: list[QWidget] = [self._tabs, *(self._combos[ours] for ours, _ in FIELDS)]
        order += [*self._raters.widgets(), *self._long.combos()]
        order += [*self._join.widgets(), *self._values.widgets(), *self._criteria.widgets()]
        order += [self._preview, self._encoding, self._strict, self._replace, self._confirm]
        order += [self._import]
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def _raters_changed(self) -> None:
        self._set_tab_order()  # (rows come and go)
        self._refresh()

    def _fit_screen(self) -> None:
        """Wide enough for the fields beside the preview, within the screen (1280x720 too)."""
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1180, 660
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
        self.resize(max(width, self.minimumSizeHint().width()), height)

    # --- public API -------------------------------------------------------------------------

    def mapping(self) -> FieldMapping | None:
        """The chosen mapping, or None when every field is read under its own name."""
        pairs = []
        named = {"ratings"} if self._long.rater_field() else set()  # each row's label, named
        wide = self._criteria.active()  # (the criterion, judge's label and ratings: its columns)
        for ours, combo in self._combos.items():
            if wide and ours in ("criterion", "judge.label", "ratings"):
                continue
            source = combo.currentData()
            own = source == ours and ours not in named  # read under its own name: no pair
            chosen = isinstance(source, str) and source not in (_NONE, JOIN) and not own
            if ours == "judge.label" and self._join.judge_file() is not None:
                continue  # (the judge file's)
            if chosen and (ours != "ratings" or self._maps_present(ours)):
                pairs.append((ours, str(source)))
        if not named and not wide and not self._raters.problem():  # (long: each row's label)
            pairs += self._raters.pairs()
        return FieldMapping(tuple(pairs)) if pairs else None

    def choice(self) -> ImportChoice:
        """What Import would import."""
        return ImportChoice(
            self._path, self.mapping(), self.strict(), self.encoding(), self.long(),
            join=self._join.join(), values=self._values.values(),
            confirmed=self._confirm.isChecked(),
            replace=self._replace.isChecked() and not self._replace.isHidden(),
            preset=self._preset, wide=self._criteria.layout_for(self.mapping())[0],
            rounding=self._criteria.rounding(),
        )  # fmt: skip

    def _reading(self) -> Reading:
        """What a read of the whole file is of (the choices but the value mapping)."""
        c = self.choice()
        return Reading(c.path, c.mapping, c.encoding, c.long, c.join, c.preset, c.wide, c.rounding)

    def long(self) -> LongFormat | None:
        """The long format chosen (rows grouped by id), or None: one record per case."""
        return self._long.format_for(self.mapping())

    def strict(self) -> bool:
        return self._strict.isChecked()

    def encoding(self) -> str | None:
        value = self._encoding.currentData()
        return value if isinstance(value, str) and value else None

    @staticmethod
    def ask(
        path: Path, parent: QWidget | None = None, submit: Submit | None = None
    ) -> ImportChoice | None:
        """Show the dialog; the user's choices, or None if cancelled. With ``submit``, the
        import is run from the dialog, which stays open with its choices if it is refused."""
        dialog = ImportDialog(path, parent, submit=submit)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.choice()

    def refused(self, message: str) -> None:
        """Show why an import of the current choices was refused (plain text); the dialog
        stays open with them."""
        self._refused = (self.choice(), message)
        self._refresh()

    def reject(self) -> None:
        if not self._busy:  # (an import under way ends first: its progress has a Cancel)
            super().reject()

    # --- building ---------------------------------------------------------------------------

    def _field_names(self) -> dict[str, str]:
        return {
            "id": self.tr("Case id"), "criterion": self.tr("Criterion"),
            "input": self.tr("Input / prompt"), "output": self.tr("Output"),
            "outputs": self.tr("Candidates (pairwise)"), "reference": self.tr("Reference"),
            "judge.label": self.tr("Judge label"), "judge.rationale": self.tr("Judge rationale"),
            "judge.score": self.tr("Judge score"), "judge.model": self.tr("Judge model"),
            "ratings": self.tr("Ratings, one field"), "meta": self.tr("Meta"),
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
        for w in (self._title, self._details, self._project):
            layout.addWidget(w)
        self._banner = PresetBanner(self._found)
        self._banner.toggled.connect(self._toggle_preset)
        layout.addWidget(self._banner)
        layout.addWidget(self._error)

    def _toggle_preset(self) -> None:
        """Read the file as the preset says (its fields, mapping, long format), or not."""
        self._preset = self._banner.preset()
        self._fields = []  # (the choices made are of other fields: guessed afresh)
        self._load()
        if self._preset is not None and self._preset.long is not None:
            self._long.choose(self._preset.long.rater_field, self._preset.long.judge_rater)

    def _with_preset(self) -> dict[str, Any]:
        """The keyword arguments of a reader of the file as the preset says."""
        return {"preset": self._preset} if self._preset is not None else {}

    def _build_mapping(self) -> None:
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
        self._raters = RaterColumns()
        grid.addWidget(self._raters, half + 1, 0, 1, 5)
        self._missing = _plain_label("missingLabel", style=WARNING_STYLE)
        grid.addWidget(self._missing, half + 2, 0, 1, 5)
        self._mapping_box.setFlat(True)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self._mapping_box)
        column.addStretch(1)
        self._fields_page = page = _scrolled(inner)
        self._tabs.addTab(page, self.tr("&Fields"))

    def _build_preview(self, layout: QHBoxLayout) -> None:
        self._preview_box = CasePreview()
        self._preview = self._preview_box.text
        layout.addWidget(self._preview_box, 2)

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
        options.addSpacing(24)
        self._replace = _named(
            QCheckBox(self.tr("Re&place the earlier import of this file")), "replaceCheck"
        )
        self._confirm = _named(QCheckBox(self.tr("Import despite the &warnings")), "confirmCheck")
        for check in (self._replace, self._confirm):
            check.hide()  # (shown when the import or the values ask for it)
            check.toggled.connect(self._refresh)
            options.addWidget(check)
        options.addStretch(1)
        layout.addLayout(options)
        bottom = QHBoxLayout()
        self._blocked = _plain_label("blockedLabel", style=WARNING_STYLE)
        bottom.addWidget(self._blocked, 1)
        buttons = QDialogButtonBox()
        self._import = _named(QPushButton(self.tr("&Import")), "importButton")
        self._import.setDefault(True)
        buttons.addButton(self._import, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._import_pressed)
        buttons.rejected.connect(self.reject)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)

    def _import_pressed(self) -> None:
        if not self._import.isEnabled():
            return  # (Enter in a field while Import is off)
        if self._submit is None:
            self.accept()
            return
        self._set_busy(True)
        self._submit(self.choice(), self._settle)

    def _settle(self, outcome: BaseException | str | None) -> None:
        self._set_busy(False)
        if outcome is None:
            self.accept()
            return
        if isinstance(outcome, ImportUnconfirmed):  # the user's word asked
            self._confirm.show()
            self._confirm.setChecked(False)
            self._tabs.setCurrentWidget(self._values)  # (the counts, to map them)
            lines = "\n".join("• " + shown(str(w)) for w in outcome.warnings)
            self.refused(
                self.tr(
                    "{0}\nLook at the label values, map them, or tick “Import despite the "
                    "warnings”."
                ).format(lines)
            )
            return
        if isinstance(outcome, ImportWouldReplace) and outcome.can_replace:  # nobody reviewed
            self._replace.show()
            self.refused(
                self.tr(
                    "{0} was imported into this workspace before, with other choices ({1} "
                    "cases). No reviewer has worked on them yet: tick “Replace the earlier "
                    "import of this file” to import it again in their place."
                ).format(shown(one_line(self._path.name)), outcome.cases)
            )
            return
        self.refused(str(outcome))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in (self._tabs, self._encoding, self._strict, self._replace, self._confirm):
            w.setEnabled(not busy)
        self._import.setEnabled(not busy)

    # --- loading and live update ------------------------------------------------------------

    def _load(self) -> None:
        """(Re)read the sample records with the chosen encoding and refill the field choices."""
        self._load_error, fields, self._samples = "", [], []
        try:
            self._samples = sample_records(
                self._path, encoding=self.encoding(), limit=SAMPLE_LIMIT, **self._with_preset()
            )
            for record in self._samples:
                fields += [f for f in source_fields(record) if f not in fields]
        except FileRefused as e:
            self._load_error = str(e)
            if "encoding" in e.message.lower():
                hint = self.tr("Try another Encoding below (Excel often saves as cp1252).")
                self._load_error += "\n" + hint
        # Keep the user's choices across an encoding change, unless there was nothing to choose.
        previous = {ours: c.currentData() for ours, c in self._combos.items() if self._fields}
        raters = self._raters.current() if self._fields else None
        self._fields = fields
        self._criteria.set_fields(self._path, fields)
        guess = self._preset.mapping if self._preset is not None else guess_mapping(fields)
        guessed = guess.as_dict()
        self._raters.set_fields(
            fields, rater_pairs(list(guess.pairs)) if raters is None else raters
        )
        self._set_tab_order()
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
                if combo.findData(choice) < 0:  # (a preset's field the sample lacks)
                    choice = _NONE if combo.findData(_NONE) >= 0 else ours
                combo.setCurrentIndex(max(combo.findData(choice), 0))
                self._chosen[ours] = combo.currentData()
        self._mapping_box.setEnabled(not self._load_error)
        self._long.set_source(
            self._path, self.encoding(), fields, enabled=not self._load_error, preset=self._preset
        )
        self._refresh()

    def _field_changed(self, ours: str) -> None:
        combo, title = self._combos[ours], self._field_names()[ours]
        settle_join(combo, self._chosen.get(ours), self._fields, title, self.ask_join, self)
        source = combo.currentData()
        if ours == "ratings" and self._one_label(source) and not self._long.rater_field():
            with QSignalBlocker(combo):  # one rater's column: a rater of its own
                combo.setCurrentIndex(max(combo.findData(_NONE), 0))
            self._raters.add(str(source))
        self._chosen[ours] = combo.currentData()
        self._refresh()

    def _one_label(self, source: object) -> bool:
        """Whether ``source`` holds one label in the sample records (a column per rater), not
        ratings (a list, or raters by name)."""
        if not isinstance(source, str) or source in (_NONE, JOIN, "ratings"):
            return False
        values = [lookup(r, source) for r in self._samples]
        values = [v for v in values if v is not MISSING and v not in (None, "")]
        return bool(values) and all(not isinstance(v, dict | list) for v in values)

    def _refresh(self) -> None:
        names = self._field_names()
        required = self._long.required([ours for ours, needed in FIELDS if needed])
        judged = self._join.judge_file() is not None  # the judge's label: the judge file's
        if judged or self._criteria.active():  # (the judge file's, or the judge's columns)
            required = [ours for ours in required if ours != "judge.label"]
        self._combos["judge.label"].setEnabled(not judged)
        self._combos["judge.label"].setToolTip(
            self.tr("From the judge file (Files to join)") if judged else ""
        )
        key = self._combos["id"].currentData()
        key = key if isinstance(key, str) and key not in (_NONE, JOIN) else "id"
        self._join.set_case_key(key, self.encoding())
        if self._long.rater_field() is not None:  # (the label of ratings says which it is)
            names["ratings"] = self.tr("Rating label")
        for ours in ("ratings", "judge.label"):  # long format changes what they are
            if (label := self.findChild(QLabel, f"fieldLabel:{ours}")) is not None:
                label.setText(names[ours] + (" *" if ours in required else ""))
        missing = [names[ours] for ours in required if not self._maps_present(ours)]
        notes = []
        if missing:
            notes.append(
                self.tr(
                    "Required, but not found in your file: {0}. Choose the field that holds it."
                ).format(", ".join(missing))
            )
            if "judge.label" in required and not self._maps_present("judge.label"):
                notes.append(
                    self.tr(
                        "The judge's verdicts in a file of their own? Add it in “Files to join”."
                    )
                )
        long = self._long.rater_field() is not None
        self._raters.setVisible(not long)
        raters = "" if long else self._raters_problem()
        raters = self._criteria.layout_for(self.mapping())[1] or raters
        if raters:
            notes.append(raters)
        self._missing.setText("\n".join(notes))
        self._missing.setVisible(bool(notes) and not self._load_error)
        if self._load_error:
            self._preview_box.clear()
            self._show_header(None)
        self._ask_survey(bool(self._load_error or missing or raters))
        error = self._load_error or self._join.problem() or self._show_preview(bool(missing))
        refused = self._refusal()
        if refused:
            text = self.tr("Nothing was imported:\n{0}").format(refused)
        else:
            text = self.tr("This file can't be imported as it is:\n{0}").format(error)
        self._error.setText(text)
        self._error.setVisible(bool(error or refused))
        self._preview_box.setEnabled(not self._load_error)
        self._show_ignored()
        blocked = self._blocked_reason(error, bool(missing), raters)
        self._blocked.setText(self.tr("Import is off: {0}").format(blocked))
        self._blocked.setVisible(bool(blocked))
        self._import.setEnabled(not blocked and not self._busy)

    def _refusal(self) -> str:
        """Why the import of the current choices was refused ("" if it was not); the answers
        to its questions (import despite warnings, replace) make no other choices."""
        if self._refused is None:
            return ""
        refused, message = self._refused
        answered = replace(self.choice(), confirmed=refused.confirmed, replace=refused.replace)
        return message if answered == refused else ""

    def _raters_problem(self) -> str:
        problem = self._raters.problem()
        if not problem and self._raters.pairs() and self._maps_present("ratings"):
            return self.tr(
                "Ratings come from one field or from a column per rater, not both: set "
                "“Ratings, one field” to (none), or remove the raters."
            )
        return problem

    def _blocked_reason(self, error: str, missing: bool, raters: str) -> str:
        """Why Import is off ("" when it is on)."""
        if error:
            return self.tr("the file can't be read as it is (see above).")
        if missing:
            return self.tr("a required field is not chosen.")
        if raters:
            return raters
        if self._join.join() is not None and self._survey() is None:
            return self.tr("the files to join are being read…")
        if not self._readable:
            return self.tr(
                "no case of the first records can be read with these choices (see the preview)."
            )
        return ""

    def _survey(self) -> Survey | None:
        """The read of the whole file with the current choices, once it is done."""
        last = self._surveyor.last
        return last if last is not None and last.reading == self._reading() else None

    def _ask_survey(self, cannot: bool) -> None:
        """Have the whole file read for the current choices (unless they ``cannot`` be read),
        and show its counts in the Label values tab (and the join's in its tab)."""
        survey = None if cannot else self._survey()
        if not cannot and survey is None:
            self._surveyor.ask(self._reading())
        if survey is self._shown_survey and survey is not None:
            return  # (the table as it is: a value just mapped keeps its cell)
        self._shown_survey = survey
        if cannot:
            status = self.tr("The values are counted once the fields are chosen.")
        elif survey is None:
            status = self.tr("Counting the label values in the whole file…")
        elif survey.error:
            status = self.tr("The file can't be read with these choices (see above).")
        else:
            status = self.tr(
                "Label values of the {0} cases read ({1} skipped). Choose what each maps to."
            ).format(survey.cases, survey.problems)
        self._values.set_counts(survey.counts if survey and not survey.error else None, status)
        self._criteria.show_counts(survey.counts if survey and not survey.error else None)
        self._criteria.layout_for(self.mapping())  # (the counts shown)
        self._set_tab_order()  # (the table's "maps to" come and go)
        joined = survey.join.describe(self._path.name) if survey and survey.join else []
        self._join.show_counts(shown("\n".join(joined)))  # (ids and names from the files)

    def _surveyed(self, survey: Survey) -> None:
        if survey.reading == self._reading():
            self._refresh()

    def done(self, result: int) -> None:
        self._surveyor.stop()
        super().done(result)

    def _show_ignored(self) -> None:
        """Fields that look like ratings or a judge's output and that nothing reads."""
        used = [c.currentData() for c in self._combos.values()]
        if self._combos["ratings"].currentData() == "ratings":  # ours, also as CSV columns
            used += ["rating", "comment"]  # (rating.<rater>, comment.<rater>)
        if self._combos["outputs"].currentData() == "outputs":
            used.append("output")
        used += [column for _, column in self._raters.pairs()]
        used += [self._long.rater_field()]
        fields = self._fields
        if self._preset is not None:  # (it reads the file's own fields: those it gives count)
            fields = [f for f in fields if f.startswith(f"{PRESET_KEY}.")]
        ignored = ignored_fields(fields, [u for u in used if isinstance(u, str) and u])
        self._ignored_now = ignored
        self._preview_box.show_ignored([] if self._load_error else ignored)

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
        self._preview_box.clear()
        if self._join.join() is not None:
            return self._show_joined(missing)
        reader: CaseReader | None = None
        try:
            long, rows = self.long(), PREVIEW_ROWS  # (a long file: cases of its first rows)
            reader = CaseReader(
                self._path, self.mapping(), encoding=self.encoding(), long=long, rows=rows,
                wide=self._criteria.layout_for(self.mapping())[0],
                rounding=self._criteria.rounding(), **self._with_preset(),
            )  # fmt: skip
            items = list(islice(reader, PREVIEW_RECORDS))  # the generator closes on release
        except FileRefused as e:
            self._show_header(reader)
            self._readable = False
            if missing:  # said above, in our words; the reader would speak of columns and --map
                self._preview_box.summary.setText(
                    self.tr("Choose the required fields to see a preview.")
                )
                return ""
            return str(e)
        self._show_header(reader)
        first = self.tr(" (Cases of the first {0} rows.)").format(PREVIEW_ROWS) if long else ""
        self._readable = self._preview_box.show_items(items, self._path, first, self.strict())
        return ""

    def _show_joined(self, missing: bool) -> str:
        """The preview of joined files: the first cases of the read of them all."""
        self._show_header(None)
        self._readable = False
        survey = self._survey()
        summary = self._preview_box.summary
        if missing:
            summary.setText(self.tr("Choose the required fields to see a preview."))
        elif survey is None:
            summary.setText(self.tr("Reading the files to join…"))
        elif survey.error:
            return survey.error
        else:
            self._readable = self._preview_box.show_items(
                survey.first, self._path, "", self.strict()
            )
            if survey.join is not None:
                self._preview_box.add_to_summary("\n".join(survey.join.describe(self._path.name)))
        return ""
