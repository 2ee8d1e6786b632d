"""The import dialog's Criteria tab: a SummEval-shaped table (a column per criterion and rater)
imported with all its criteria, GPT-4's half point rounded, as --columns, --judge-columns and
--round do on the command line."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton  # noqa: E402

from annotator.services.import_report import ImportUnconfirmed  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402
from annotator.ui.import_dialog import ImportDialog  # noqa: E402
from tests.data.real.make import SUMMEVAL_CRITERIA, summeval_wide  # noqa: E402
from tests.helpers import write_jsonl  # noqa: E402
from tests.test_import_dialog_join import find, go_to_tab, text  # noqa: E402

pytestmark = pytest.mark.gui


def _choose(dialog: ImportDialog, ours: str, source: str) -> None:
    box = find(dialog, QComboBox, f"field:{ours}")
    index = box.findData(source)
    assert index >= 0, source
    box.setCurrentIndex(index)


def test_a_wide_table_imports_with_all_its_criteria(
    qtbot: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = write_jsonl(tmp_path / "study.jsonl", summeval_wide())
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    dialog.resize(1180, 620)
    qtbot.waitExposed(dialog)
    _choose(dialog, "input", "text")
    _choose(dialog, "output", "decoded")
    importer = find(dialog, QPushButton, "importButton")
    assert not importer.isEnabled()  # no judge's label: not a field of this file
    go_to_tab(qtbot, dialog, "Criteria")
    qtbot.keyClicks(find(dialog, QLineEdit, "judgeColumnsEdit"), "GPT4_{criterion}")
    qtbot.keyClicks(find(dialog, QLineEdit, "raterColumnsEdit"), "{criterion}_{rater}")
    found = text(dialog, "criteriaFound")
    assert "--judge-columns 'GPT4_{criterion}' matches no column" in found
    assert "gpt4_relevance" in found  # (without regard to case)
    assert not importer.isEnabled()
    judge = find(dialog, QLineEdit, "judgeColumnsEdit")
    judge.clear()
    qtbot.keyClicks(judge, "gpt4_{criterion}")
    found = text(dialog, "criteriaFound")
    assert found.startswith("4 criteria, a case each per row:")
    assert "• fluency: judge gpt4_fluency; raters 57e2b (fluency_57e2b)" in found
    choice = dialog.choice()
    assert choice.wide is not None and choice.wide.criteria == SUMMEVAL_CRITERIA
    assert choice.mapping is not None and choice.mapping.as_dict() == {
        "input": "text",
        "output": "decoded",
    }
    preview = find(dialog, QLabel, "summaryLabel").text()
    assert "of 5 sample records can be read" in preview
    qtbot.waitUntil(importer.isEnabled, timeout=10000)
    qtbot.waitUntil(lambda: "In the whole file" in text(dialog, "criteriaFound"), timeout=10000)
    found = text(dialog, "criteriaFound")
    assert "    coherence: 5 judge's labels, 18 ratings" in found  # (one row has no judge's)
    assert "    relevance: 6 judge's labels, 17 ratings" in found
    dialog.grab().save(str(tmp_path / "criteria.png"))

    ws = Workspace.open(tmp_path / "w.annotator")
    try:
        with pytest.raises(ImportUnconfirmed, match="1 score falls between"):
            import_file(ws, path, choice.mapping, **choice.import_options())
        rounding = find(dialog, QComboBox, "roundCombo")
        rounding.setCurrentIndex(rounding.findData("half-up"))
        choice = dialog.choice()
        report = import_file(ws, path, choice.mapping, **choice.import_options())
        assert (report.added, report.skipped) == (23, 1)
        assert ws.case_count() == 23
    finally:
        ws.close()
