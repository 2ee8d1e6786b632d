"""The import dialog: guessed field mapping, live preview, refused files, plain-text display."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QToolButton,
)

from annotator.ui.import_dialog import ImportChoice, ImportDialog  # noqa: E402

pytestmark = pytest.mark.gui

FOREIGN = [
    {
        "qid": "q1",
        "prompt": "What is the capital of France?",
        "response": "Paris.",
        "verdict": "pass",
        "grade": "fail",
        "human_labels": {"alice": "pass", "bob": "fail"},
    },
    {
        "qid": "q2",
        "prompt": "Is aspirin an anticoagulant?",
        "response": "No, it is an antiplatelet.",
        "verdict": "fail",
        "grade": "pass",
        "human_labels": {"alice": "pass"},
    },
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def combo(dialog: ImportDialog, ours: str) -> QComboBox:
    found = dialog.findChild(QComboBox, f"field:{ours}")
    assert found is not None
    return found


def label(dialog: ImportDialog, name: str) -> QLabel:
    found = dialog.findChild(QLabel, name)
    assert found is not None
    return found


def import_button(dialog: ImportDialog) -> QPushButton:
    found = dialog.findChild(QPushButton, "importButton")
    assert found is not None
    return found


def preview(dialog: ImportDialog) -> str:
    found = dialog.findChild(QPlainTextEdit, "previewText")
    assert found is not None
    return found.toPlainText()


def choose(dialog: ImportDialog, ours: str, source: str) -> None:
    box = combo(dialog, ours)
    index = box.findData(source)
    assert index >= 0, f"{source!r} not offered for {ours!r}"
    box.setCurrentIndex(index)


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "export.jsonl", FOREIGN)


def open_dialog(qtbot, path: Path) -> ImportDialog:
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    return dialog


def test_guesses_foreign_fields(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    mapping = dialog.mapping()
    assert mapping is not None
    chosen = mapping.as_dict()
    assert chosen["id"] == "qid"
    assert chosen["input"] == "prompt"
    assert chosen["output"] == "response"
    assert chosen["judge.label"] == "verdict"
    assert chosen["ratings"] == "human_labels"
    assert import_button(dialog).isEnabled()
    assert "JSON Lines" in label(dialog, "detailsLabel").text()
    assert label(dialog, "titleLabel").text() == foreign.name


def test_offers_every_source_field(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    box = combo(dialog, "judge.label")
    offered = [box.itemData(i) for i in range(box.count())]
    assert offered[:2] == ["judge.label", ""]  # "(use 'judge.label')", "(none)"
    for field in ("qid", "prompt", "response", "verdict", "grade", "human_labels"):
        assert field in offered
    assert box.itemText(0) == "(use 'judge.label')"
    assert box.itemText(1) == "(none)"


def test_preview_shows_first_case(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    text = preview(dialog)
    assert "q1" in text
    assert "What is the capital of France?" in text
    assert "Paris." in text
    assert "Judge label: pass" in text
    assert "alice: pass" in text and "bob: fail" in text
    assert "2 of 2 sample records can be read" in label(dialog, "summaryLabel").text()


def test_changing_a_field_updates_mapping_and_preview(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    choose(dialog, "judge.label", "grade")
    mapping = dialog.mapping()
    assert mapping is not None
    assert mapping.as_dict()["judge.label"] == "grade"
    assert "Judge label: fail" in preview(dialog)


def test_missing_required_field_disables_import(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    choose(dialog, "id", "")
    missing = label(dialog, "missingLabel")
    assert not missing.isHidden()
    assert "Case id" in missing.text()
    assert not import_button(dialog).isEnabled()
    choose(dialog, "id", "qid")
    assert missing.isHidden()
    assert import_button(dialog).isEnabled()


def test_own_field_names_need_no_mapping(qtbot, tmp_path: Path) -> None:
    record = {
        "id": "c1",
        "input": "Hello",
        "output": "Hi",
        "judge": {"label": "pass", "rationale": "fine"},
        "ratings": [{"rater": "alice", "label": "pass"}],
    }
    dialog = open_dialog(qtbot, write_jsonl(tmp_path / "ours.jsonl", [record]))
    assert combo(dialog, "id").currentData() == "id"
    assert combo(dialog, "judge.label").currentData() == "judge.label"
    assert dialog.mapping() is None
    assert import_button(dialog).isEnabled()
    assert "alice: pass" in preview(dialog)


def test_csv_file(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "qid,prompt,response,verdict\nq1,Hello there,General Kenobi,pass\n", encoding="utf-8"
    )
    dialog = open_dialog(qtbot, path)
    assert "CSV" in label(dialog, "detailsLabel").text()
    mapping = dialog.mapping()
    assert mapping is not None
    assert mapping.as_dict()["id"] == "qid"
    assert "General Kenobi" in preview(dialog)


def test_empty_file_is_refused(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    dialog = open_dialog(qtbot, path)
    error = label(dialog, "errorLabel")
    assert not error.isHidden()
    assert "empty.jsonl" in error.text()
    assert not import_button(dialog).isEnabled()


def test_encoding_choice_retries_a_refused_file(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("qid,prompt,verdict\nq1,caf\xe9 \x93quoted\x94,pass\n".encode("latin-1"))
    dialog = open_dialog(qtbot, path)
    error = label(dialog, "errorLabel")
    assert not error.isHidden()
    assert "excel.csv" in error.text()
    assert not import_button(dialog).isEnabled()
    encoding = dialog.findChild(QComboBox, "encodingCombo")
    encoding.setCurrentIndex(encoding.findData("cp1252"))
    assert error.isHidden()
    assert import_button(dialog).isEnabled()
    assert dialog.encoding() == "cp1252"
    assert "café “quoted”" in preview(dialog)


def test_bad_lines_are_listed(qtbot, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", FOREIGN)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    dialog = open_dialog(qtbot, path)
    problems = label(dialog, "problemsLabel")
    assert not problems.isHidden()
    assert "line 3" in problems.text()
    assert "2 of 3 sample records can be read" in label(dialog, "summaryLabel").text()
    assert import_button(dialog).isEnabled()


def test_case_text_is_plain(qtbot, tmp_path: Path) -> None:
    record = dict(FOREIGN[0], prompt="<b>x</b> <img src='http://example.com/a.png'>")
    dialog = open_dialog(qtbot, write_jsonl(tmp_path / "html.jsonl", [record]))
    assert "<b>x</b>" in preview(dialog)
    for found in dialog.findChildren(QLabel):
        if found.objectName():
            assert found.textFormat() == Qt.TextFormat.PlainText


def test_options(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    assert dialog.strict() is False
    assert dialog.encoding() is None
    strict = dialog.findChild(QCheckBox, "strictCheck")
    strict.setChecked(True)
    assert dialog.strict() is True


def test_ask_returns_choice_or_none(qtbot, foreign: Path, monkeypatch) -> None:
    monkeypatch.setattr(ImportDialog, "exec", lambda self: ImportDialog.DialogCode.Rejected)
    assert ImportDialog.ask(foreign) is None
    monkeypatch.setattr(ImportDialog, "exec", lambda self: ImportDialog.DialogCode.Accepted)
    choice = ImportDialog.ask(foreign)
    assert isinstance(choice, ImportChoice)
    assert choice.path == foreign
    assert choice.mapping is not None and choice.mapping.as_dict()["id"] == "qid"
    assert choice.strict is False and choice.encoding is None


def test_project_header_is_shown(qtbot, tmp_path: Path) -> None:
    header = {
        "project": {
            "title": "Discharge summaries",
            "criteria": {
                "factuality": {"labels": ["correct", "incorrect"]},
                "safety": {"labels": ["safe", "unsafe"]},
            },
        }
    }
    records = [dict(FOREIGN[0], metric="safety", verdict="safe", human_labels={"a": "unsafe"})]
    dialog = open_dialog(qtbot, write_jsonl(tmp_path / "proj.jsonl", [header, *records]))
    project = label(dialog, "projectLabel")
    assert not project.isHidden()
    assert "Discharge summaries" in project.text()
    assert "factuality: correct, incorrect" in project.text()
    assert "safety: safe, unsafe" in project.text()
    assert combo(dialog, "criterion").currentData() == "metric"
    assert "Criterion: safety" in preview(dialog)


def test_foreign_csv_missing_required_column_is_explained_in_our_words(qtbot, tmp_path) -> None:
    path = tmp_path / "partial.csv"
    path.write_text("prompt,verdict\nHello,pass\n", encoding="utf-8")
    dialog = open_dialog(qtbot, path)
    missing = label(dialog, "missingLabel")
    assert not missing.isHidden()
    assert "Case id" in missing.text()
    assert label(dialog, "errorLabel").isHidden()  # no "--map" jargon from the reader
    assert not import_button(dialog).isEnabled()


def test_none_is_not_offered_for_a_field_the_file_holds_by_our_name(qtbot, tmp_path) -> None:
    record = dict(FOREIGN[0], reference="Paris")
    dialog = open_dialog(qtbot, write_jsonl(tmp_path / "ref.jsonl", [record]))
    box = combo(dialog, "reference")
    assert box.currentData() == "reference"
    assert box.findData("") < 0
    assert combo(dialog, "output").findData("") >= 0  # "(none)" for a field it lacks


def test_strict_mode_warns_when_sample_lines_are_bad(qtbot, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", FOREIGN)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    dialog = open_dialog(qtbot, path)
    dialog.findChild(QCheckBox, "strictCheck").setChecked(True)
    assert "would be refused" in label(dialog, "problemsLabel").text()


def test_keyboard_defaults(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    assert import_button(dialog).isDefault()
    assert dialog.focusWidget() is combo(dialog, "id")
    dialog.show()
    qtbot.waitExposed(dialog)
    # Tab walks our fields in the order shown, the raters (none here: "Add a rater"), the rater
    # field (the judge's rows are off until it is chosen), then on to the preview, options and
    # buttons.
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is combo(dialog, "criterion")
    combo(dialog, "meta").setFocus()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.findChild(QPushButton, "addRater")
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.findChild(QComboBox, "raterFieldCombo")
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.findChild(QPlainTextEdit, "previewText")
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.findChild(QComboBox, "encodingCombo")


def test_import_is_off_while_no_case_can_be_read(qtbot, foreign: Path) -> None:
    dialog = open_dialog(qtbot, foreign)
    choose(dialog, "judge.label", "human_labels")  # an object: no case reads
    blocked = label(dialog, "blockedLabel")
    assert not import_button(dialog).isEnabled()
    assert not blocked.isHidden() and "no case" in blocked.text()
    choose(dialog, "judge.label", "verdict")
    assert import_button(dialog).isEnabled() and blocked.isHidden()


HUMANS = [
    {"idx": i, "question": f"q{i}", "verdict": v, "human_1": a, "human_2": b, "human_3": c}
    for i, (v, a, b, c) in enumerate([("A", "A", "B", "A"), ("B", "B", "B", "A")])
]


def test_one_column_per_rater(qtbot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, write_jsonl(tmp_path / "humans.jsonl", HUMANS))
    names = [dialog.findChild(QLineEdit, f"raterName:{i}") for i in range(3)]
    assert [n.text() for n in names] == ["human_1", "human_2", "human_3"]  # guessed
    assert "Ratings: human_1: A, human_2: B, human_3: A" in preview(dialog)
    qtbot.keyClicks(names[0], "-alice")  # a name of the user's own
    assert "Ratings: human_1-alice: A, human_2: B" in preview(dialog)
    remove = dialog.findChild(QToolButton, "raterRemove:2")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert dialog.findChild(QLineEdit, "raterName:2") is None
    assert "Ratings: human_1-alice: A, human_2: B\n" in preview(dialog) + "\n"
    mapping = dialog.mapping()
    assert mapping is not None
    assert [p for p in mapping.pairs if p[0].startswith("ratings")] == [
        ("ratings.human_1-alice", "human_1"),
        ("ratings.human_2", "human_2"),
    ]
    assert "human_3" in label(dialog, "ignoredLabel").text()  # a rater's column left out
    qtbot.mouseClick(dialog.findChild(QPushButton, "addRater"), Qt.MouseButton.LeftButton)
    column = dialog.findChild(QComboBox, "raterColumn:2")
    assert column.currentData() == "human_3"  # the first column no rater reads
    assert label(dialog, "ignoredLabel").isHidden()
    name = dialog.findChild(QLineEdit, "raterName:2")
    name.setText("human_2")  # two raters of one name: Import waits for a rename
    name.textEdited.emit("human_2")
    assert not import_button(dialog).isEnabled()
    assert "Two raters are named human_2" in label(dialog, "blockedLabel").text()


def test_a_raters_column_chosen_as_ratings_becomes_a_rater(qtbot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, write_jsonl(tmp_path / "humans.jsonl", HUMANS))
    for i in (2, 1, 0):
        qtbot.mouseClick(
            dialog.findChild(QToolButton, f"raterRemove:{i}"), Qt.MouseButton.LeftButton
        )
    choose(dialog, "ratings", "human_1")  # one column of three: "ratings must be a list" before
    assert combo(dialog, "ratings").currentData() == ""
    assert dialog.findChild(QLineEdit, "raterName:0").text() == "human_1"
    assert "Ratings: human_1: A" in preview(dialog)
    assert import_button(dialog).isEnabled()


def test_a_refused_import_keeps_the_dialog_and_its_mapping(
    make_window, qtbot, tmp_path: Path
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    path = write_jsonl(tmp_path / "dups.jsonl", [HUMANS[0], HUMANS[0]])
    window = make_window()
    seen: dict[str, object] = {}

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ImportDialog)
        name = dialog.findChild(QLineEdit, "raterName:0")
        name.setText("alice")
        name.textEdited.emit("alice")
        qtbot.mouseClick(import_button(dialog), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
        seen["visible"] = dialog.isVisible()
        seen["error"] = label(dialog, "errorLabel").text()
        seen["rater"] = dialog.findChild(QLineEdit, "raterName:0").text()
        seen["enabled"] = import_button(dialog).isEnabled()
        dialog.reject()

    QTimer.singleShot(0, drive)
    window.open_path(path)
    assert seen["visible"] is True
    assert "Nothing was imported" in str(seen["error"])
    assert "dups.jsonl, line 2: duplicate id '0'" in str(seen["error"])
    assert seen["rater"] == "alice" and seen["enabled"] is True
    assert window.ws is None


def drive_dialog(qtbot, window, steps) -> dict[str, object]:
    """Run ``steps(dialog, seen)`` on the import dialog the window opens next (modal)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    seen: dict[str, object] = {}

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ImportDialog)
        try:
            steps(dialog, seen)
        except BaseException as e:  # (raised after the dialog, which is closed to go on)
            seen["error"] = e
            dialog.reject()

    QTimer.singleShot(0, drive)
    return seen


def test_importing_a_file_again_offers_to_replace_its_earlier_import(
    make_window, qtbot, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "humans.jsonl", HUMANS)
    window = make_window()

    def first(dialog: ImportDialog, seen: dict[str, object]) -> None:
        qtbot.mouseClick(import_button(dialog), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)

    seen = drive_dialog(qtbot, window, first)
    window.open_path(path)
    assert "error" not in seen, seen
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    assert window.ws is not None and window.ws.case_count() == 2

    def again(dialog: ImportDialog, seen: dict[str, object]) -> None:
        name = dialog.findChild(QLineEdit, "raterName:0")
        name.setText("alice")  # another mapping of the same file
        name.textEdited.emit("alice")
        qtbot.mouseClick(import_button(dialog), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
        replace = dialog.findChild(QCheckBox, "replaceCheck")
        seen["offered"] = not replace.isHidden()
        seen["message"] = label(dialog, "errorLabel").text()
        qtbot.mouseClick(replace, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(import_button(dialog), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)

    seen = drive_dialog(qtbot, window, again)
    window.files.ask_and_import(path, into_current=True)
    assert "error" not in seen, seen
    assert seen["offered"] is True
    assert str(seen["message"]).startswith("Nothing was imported:\nhumans.jsonl was imported")
    assert "(2 cases)" in str(seen["message"]) and "tick “Replace" in str(seen["message"])
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    detail = window.review.detail
    assert window.ws.case_count() == 2
    assert detail is not None and [r.rater for r in detail.case.ratings][0] == "alice"


def test_the_label_values_of_the_whole_file_are_counted_in_the_background(
    qtbot, tmp_path: Path
) -> None:
    records = [dict(HUMANS[i % 2], idx=i) for i in range(40)]
    dialog = open_dialog(qtbot, write_jsonl(tmp_path / "humans.jsonl", records))
    table = dialog.findChild(QTableWidget, "valueTable")
    qtbot.waitUntil(lambda: table.rowCount() > 0, timeout=10000)
    rows = {(table.item(r, 0).text(), table.item(r, 1).text()): table.item(r, 2).text()
            for r in range(table.rowCount())}  # fmt: skip
    assert rows == {
        ("judge", "A"): "20",
        ("judge", "B"): "20",
        ("raters", "B"): "60",
        ("raters", "A"): "60",
    }  # fmt: skip (all 40 cases, not the first 5)
    assert "40 cases read" in label(dialog, "valueStatus").text()
    dialog._values.choose("ratings", "A", "B")  # (what a "maps to" does)
    choice = dialog.choice()
    assert choice.values is not None and choice.values.rules == (("ratings", "A", "B"),)
    assert choice.import_options()["values"] is choice.values
