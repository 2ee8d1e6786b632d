"""The export dialog: where to write the labelled file, as JSON Lines or CSV, and whether to
write the source records with the decisions instead (``export --with-source``).

A save dialog of Qt's own (a native one cannot hold a check box) with one more row. With the
box ticked the format is the source's (``services.with_source.source_format``): the name
takes its ending and the filter shows it; a workspace whose cases come from files that cannot
share one file has the box disabled, its tooltip saying why.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QFileDialog, QGridLayout, QLineEdit, QWidget

from annotator.ui.plain import safe_tooltip

LABELLED_FILTERS = ("JSON Lines (*.jsonl)", "CSV (*.csv)")
SOURCE_FILTERS = {
    ".jsonl": "JSON Lines (*.jsonl)",
    ".json": "JSON array (*.json)",
    ".csv": "CSV (*.csv)",
    ".parquet": "Parquet (*.parquet)",
}


class ExportDialog(QFileDialog):
    """Ask where to write; :attr:`with_source` is the check box."""

    def __init__(
        self,
        parent: QWidget,
        default: Path,
        *,
        with_source: bool,
        source_suffix: str | None,
        why_not: str = "",
    ) -> None:
        super().__init__(parent, "", str(default.parent))
        self.setWindowTitle(self.tr("Export labelled file"))
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.setFileMode(QFileDialog.FileMode.AnyFile)
        self.source_suffix = source_suffix
        self.stem = default.stem
        self.with_source = QCheckBox(
            self.tr("With the source records (each case's record as imported, in its own format)")
        )
        self.with_source.setToolTip(
            safe_tooltip(
                why_not
                or self.tr(
                    "Writes each case's original record in the source's field names and "
                    "format, with the decision added (JSON: under 'annotator'; CSV: "
                    "annotator_label, annotator_rationale, … columns)."
                )
            )
        )
        self.with_source.setEnabled(source_suffix is not None)
        self.with_source.setChecked(with_source and source_suffix is not None)
        layout = self.layout()
        if isinstance(layout, QGridLayout):
            layout.addWidget(self.with_source, layout.rowCount(), 0, 1, layout.columnCount())
        self._show_format(self.with_source.isChecked())
        self.with_source.toggled.connect(self._show_format)
        self.filterSelected.connect(self._name_ending)

    def _show_format(self, with_source: bool) -> None:
        """The filters of the format that will be written, and the name's ending."""
        if with_source and self.source_suffix is not None:
            self.setNameFilters([SOURCE_FILTERS[self.source_suffix]])
        else:
            self.setNameFilters(list(LABELLED_FILTERS))
            if self._name().lower().endswith(".csv"):
                self.selectNameFilter(LABELLED_FILTERS[1])
        self._name_ending(self.selectedNameFilter())

    def _name_ending(self, name_filter: str) -> None:
        """Give the name the ending of the format ``name_filter`` stands for."""
        if self.with_source.isChecked() and self.source_suffix is not None:
            suffix = self.source_suffix
        else:
            suffix = ".csv" if name_filter.startswith("CSV") else ".jsonl"
        name = self._name()
        self.setDefaultSuffix(suffix[1:])
        self.selectFile((Path(name).stem if name else self.stem) + suffix)

    def _name(self) -> str:
        """The name typed (Qt's own dialog names its line edit so)."""
        edit = self.findChild(QLineEdit, "fileNameEdit")
        return edit.text().strip() if edit is not None else ""

    def chosen(self) -> tuple[Path, str] | None:
        """The file chosen and the filter, once accepted."""
        files = self.selectedFiles()
        return (Path(files[0]), self.selectedNameFilter()) if files else None
