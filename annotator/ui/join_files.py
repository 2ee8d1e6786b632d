"""The import dialog's joined files (formats/join.py): a judge file and ratings files whose
records are joined to the cases by a key, the case id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from annotator.formats.errors import FileRefused
from annotator.formats.join import Join, JoinKey, JudgeFile, RatingsFile
from annotator.formats.mapping import FieldMapping, source_fields
from annotator.formats.reader import sample_records
from annotator.ui.plain import shown
from annotator.untrusted import one_line

SAMPLE = 20
"""Records of each joined file read for its fields (to choose the key from)."""
_ROLE = Qt.ItemDataRole.UserRole
FileAsker = Callable[[QWidget, str], Path | None]
"""(parent, title) -> the file chosen, or None."""

CASE_FILES = "Case files (*.jsonl *.ndjson *.json *.csv *.tsv *.txt *.parquet);;All files (*)"


def ask_file(parent: QWidget, title: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, "", CASE_FILES)
    return Path(path) if path else None


def _label(text: str, buddy: QWidget | None = None) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # (its "&" still works)
    label.setWordWrap(buddy is None)  # (a field's name on one line)
    if buddy is not None:
        label.setBuddy(buddy)
    return label


def _file_text(path: Path) -> str:
    return shown(one_line(path.name, 80))


class JoinFilesBox(QWidget):
    """A judge file, ratings files and the key; ``changed`` when any changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ask_file: FileAsker = ask_file  # (tests replace it)
        self._judge: Path | None = None
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(10)
        note = _label(
            self.tr(
                "If the judge's verdicts or the raters' labels are in files of their own, add "
                "them here: their records are joined to the cases by the key (the case id)."
            )
        )
        grid.addWidget(note, 0, 0, 1, 4)
        self._judge_edit = QLineEdit()
        self._judge_edit.setObjectName("judgeFileEdit")
        self._judge_edit.setReadOnly(True)
        self._judge_edit.setPlaceholderText(self.tr("(none: the judge's label is a field)"))
        choose = QPushButton(self.tr("C&hoose…"))
        choose.setObjectName("chooseJudgeFile")
        choose.clicked.connect(self._choose_judge)
        clear = QPushButton(self.tr("No judge file"))
        clear.setObjectName("clearJudgeFile")
        clear.clicked.connect(lambda: self.set_judge(None))
        grid.addWidget(_label(self.tr("Judge &file:"), choose), 1, 0)
        grid.addWidget(self._judge_edit, 1, 1)
        grid.addWidget(choose, 1, 2)
        grid.addWidget(clear, 1, 3)
        self._name = QLineEdit()
        self._name.setObjectName("judgeNameEdit")
        self._name.setPlaceholderText(self.tr("e.g. pandalm-7b (the judge's model)"))
        self._name.textEdited.connect(lambda _t: self.changed.emit())
        grid.addWidget(_label(self.tr("Judge's &name:"), self._name), 2, 0)
        grid.addWidget(self._name, 2, 1)
        self._label_field = self._choice("judgeLabelCombo")
        judge_label = _label(self.tr("Its &label:"), self._label_field)
        grid.addWidget(judge_label, 2, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self._label_field, 2, 3)
        self._ratings = QListWidget()
        self._ratings.setObjectName("ratingFilesList")
        self._ratings.setMaximumHeight(72)
        add = QPushButton(self.tr("A&dd…"))
        add.setObjectName("addRatingFile")
        add.clicked.connect(self._add_ratings)
        remove = QPushButton(self.tr("Remove"))
        remove.setObjectName("removeRatingFile")
        remove.clicked.connect(self._remove_ratings)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        grid.addWidget(_label(self.tr("Ratings files:"), add), 3, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self._ratings, 3, 1)
        grid.addLayout(buttons, 3, 2, 1, 2, Qt.AlignmentFlag.AlignTop)
        self._key = QComboBox()
        self._key.setObjectName("joinKeyCombo")
        self._key.currentIndexChanged.connect(lambda _i: self.changed.emit())
        grid.addWidget(_label(self.tr("&Key in these files:"), self._key), 4, 0)
        grid.addWidget(self._key, 4, 1, 1, 3)
        self._rater_field = self._choice("ratingsRaterCombo")
        rater_label = _label(self.tr("&Rater field (a row per rating):"), self._rater_field)
        grid.addWidget(rater_label, 5, 0)
        grid.addWidget(self._rater_field, 5, 1)
        self._row_label = self._choice("ratingsLabelCombo")
        row_label = _label(self.tr("Each row's l&abel:"), self._row_label)
        grid.addWidget(row_label, 5, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self._row_label, 5, 3)
        self._counts = QLabel()
        self._counts.setObjectName("joinCountsLabel")
        self._counts.setTextFormat(Qt.TextFormat.PlainText)
        self._counts.setWordWrap(True)
        self._counts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self._counts, 6, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(7, 1)
        self._case_key = "id"
        self._encoding: str | None = None
        self._problem = ""
        self._tab_order = [self._judge_edit, choose, clear, self._name, self._label_field]
        self._tab_order += [self._ratings, add, remove, self._key, self._rater_field]
        self._tab_order.append(self._row_label)
        self._update_keys()

    # --- what was chosen --------------------------------------------------------------------

    def join(self) -> Join | None:
        """The join chosen (None: no file to join); its key is the case id's field."""
        ratings = self.rating_files()
        if self._judge is None and not ratings:
            return None
        side = self._key.currentData()
        key = JoinKey(self._case_key, side if isinstance(side, str) and side else self._case_key)
        name = self._name.text().strip() or None
        label = self._label_field.currentData()
        mapping = FieldMapping((("judge.label", label),)) if label else None
        judge = None
        if self._judge is not None:
            judge = JudgeFile(self._judge, mapping, encoding=self._encoding, name=name)
        rater = self._rater_field.currentData() or None
        row_label = self._row_label.currentData() if rater else None
        each = FieldMapping((("ratings", row_label),)) if row_label else None
        files = tuple(RatingsFile(p, each, self._encoding, rater_field=rater) for p in ratings)
        return Join(key, judge, files)

    def judge_file(self) -> Path | None:
        return self._judge

    def rating_files(self) -> list[Path]:
        items = (self._ratings.item(i) for i in range(self._ratings.count()))
        return [Path(item.data(_ROLE)) for item in items]

    def problem(self) -> str:
        """Why a joined file cannot be read ("" when each can)."""
        return self._problem

    def widgets(self) -> list[QWidget]:
        """In tab order."""
        return list(self._tab_order)

    # --- filling ----------------------------------------------------------------------------

    def set_case_key(self, field: str, encoding: str | None) -> None:
        """The case file's id field (the key on its side), and the files' encoding."""
        if (field, encoding) != (self._case_key, self._encoding):
            self._case_key, self._encoding = field, encoding
            self._update_keys()

    def set_judge(self, path: Path | None) -> None:
        self._judge = path
        self._judge_edit.setText(_file_text(path) if path else "")
        self._judge_edit.setToolTip(shown(str(path)) if path else "")
        self._update_keys()
        self.changed.emit()

    def add_ratings(self, path: Path) -> None:
        item = QListWidgetItem(_file_text(path))
        item.setData(_ROLE, str(path))
        self._ratings.addItem(item)
        self._update_keys()
        self.changed.emit()

    def show_counts(self, text: str) -> None:
        """How the files met (from a read of them all), or what is being read."""
        self._counts.setText(text)

    def choose_key(self, field: str) -> None:
        self._key.setCurrentIndex(max(self._key.findData(field), 0))

    # --- inside -----------------------------------------------------------------------------

    def _choose_judge(self) -> None:
        path = self.ask_file(self, self.tr("Judge file"))
        if path is not None:
            self.set_judge(path)

    def _add_ratings(self) -> None:
        path = self.ask_file(self, self.tr("Ratings file"))
        if path is not None:
            self.add_ratings(path)

    def _remove_ratings(self) -> None:
        row = self._ratings.currentRow()
        if row < 0 and self._ratings.count():
            row = self._ratings.count() - 1
        if row >= 0:
            self._ratings.takeItem(row)
            self._update_keys()
            self.changed.emit()

    def _choice(self, name: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setMinimumContentsLength(14)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        return combo

    def _fields(self, path: Path) -> list[str]:
        fields: list[str] = []
        try:
            for record in sample_records(path, encoding=self._encoding, limit=SAMPLE):
                fields += [f for f in source_fields(record) if f not in fields]
        except FileRefused as e:
            self._problem = str(e)
        return fields

    def _update_keys(self) -> None:
        """The fields offered: for the key, those the joined files share (the case id's name
        first); for the judge's label, the judge file's; for the rater, the ratings files'."""
        self._problem = ""
        judge = self._fields(self._judge) if self._judge is not None else None
        rated: list[str] | None = None
        for path in self.rating_files():
            fields = self._fields(path)
            rated = fields if rated is None else [f for f in rated if f in fields]
        common = [f for f in (judge or rated or []) if rated is None or f in rated]
        _fill(self._label_field, self.tr("(guessed from its name)"), judge or [])
        _fill(self._rater_field, self.tr("(none: a column per rater)"), rated or [])
        _fill(self._row_label, self.tr("(guessed from its name)"), rated or [])
        self._label_field.setEnabled(judge is not None)
        self._rater_field.setEnabled(rated is not None)
        self._row_label.setEnabled(rated is not None)
        current = self._key.currentData()
        with QSignalBlocker(self._key):
            self._key.clear()
            for field in sorted(common, key=lambda f: f != self._case_key):
                self._key.addItem(shown(one_line(field, 80)), field)
            if not common:
                self._key.addItem(self.tr("(the case id's name: {0})").format(self._case_key), "")
            found = self._key.findData(current)
            self._key.setCurrentIndex(found if found >= 0 and current else 0)


def _fill(combo: QComboBox, none: str, fields: list[str]) -> None:
    """``combo`` offering ``none`` and ``fields`` (a choice still there is kept)."""
    current = combo.currentData()
    with QSignalBlocker(combo):
        combo.clear()
        combo.addItem(none, "")
        for field in fields:  # a field name from the file: its controls as marks
            combo.addItem(shown(one_line(field, 80)), field)
        combo.setCurrentIndex(max(combo.findData(current), 0))
