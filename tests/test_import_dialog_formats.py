"""The import dialog with real files' shapes: a JSON array previewed, fields joined into one
(instruction + input), and long format (the rater field, the judge's rows), through to an
import in the window."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from annotator.formats.long import LongFormat  # noqa: E402
from annotator.ui.import_dialog import ImportDialog  # noqa: E402
from annotator.ui.join_fields import JOIN, JoinFieldsDialog  # noqa: E402

pytestmark = pytest.mark.gui
REAL = Path(__file__).parent / "data" / "real"


def find(dialog: Any, kind: type, name: str) -> Any:
    found = dialog.findChild(kind, name)
    assert found is not None, name
    return found


def choose(dialog: ImportDialog, ours: str, source: str) -> None:
    combo = find(dialog, QComboBox, f"field:{ours}")
    index = combo.findData(source)
    assert index >= 0, f"{source!r} not offered for {ours!r}"
    combo.setCurrentIndex(index)


def data(dialog: ImportDialog, name: str) -> Any:
    return find(dialog, QComboBox, name).currentData()


def preview(dialog: ImportDialog) -> str:
    return str(find(dialog, QPlainTextEdit, "previewText").toPlainText())


def can_import(dialog: ImportDialog) -> bool:
    return bool(find(dialog, QPushButton, "importButton").isEnabled())


def open_dialog(qtbot, path: Path) -> ImportDialog:
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    return dialog


@pytest.fixture
def alpaca(tmp_path: Path) -> Path:
    return Path(shutil.copy(REAL / "alpaca_eval_annotations.json", tmp_path))


@pytest.fixture
def mt_bench(tmp_path: Path) -> Path:
    return Path(shutil.copy(REAL / "mt_bench_human_judgments.jsonl", tmp_path))


def test_a_json_array_is_previewed_with_instruction_and_input_joined(qtbot, alpaca) -> None:
    dialog = open_dialog(qtbot, alpaca)
    assert find(dialog, QLabel, "detailsLabel").text().startswith("JSON · ")
    assert data(dialog, "field:input") == "instruction+input"  # guessed: both hold the input
    choose(dialog, "id", "idx")
    choose(dialog, "judge.label", "preference")
    assert can_import(dialog)
    assert "Input: Give three tips for staying healthy." in preview(dialog)
    assert find(dialog, QLabel, "summaryLabel").text() == "5 of 5 sample records can be read."
    mapping = dialog.mapping()
    assert mapping is not None and mapping.as_dict()["input"] == "instruction+input"


def test_join_several_fields_asks_which_and_in_what_order(qtbot, alpaca) -> None:
    dialog = open_dialog(qtbot, alpaca)
    choose(dialog, "id", "idx")
    choose(dialog, "judge.label", "preference")
    asked: list[tuple[list[str], str]] = []

    def ask(parent: Any, fields: list[str], chosen: list[str], title: str) -> list[str] | None:
        asked.append((chosen, title))
        return ["output_1", "output_2"] if len(asked) == 1 else None

    dialog.ask_join = ask
    choose(dialog, "output", JOIN)
    assert asked == [([], "Output")]
    assert data(dialog, "field:output") == "output_1+output_2"
    assert find(dialog, QComboBox, "field:output").currentText() == "output_1 + output_2"
    assert "Output: Eat vegetables, sleep, exercise. Be healthy." in preview(dialog).replace(
        "\n\n", " "
    ).replace("\n", " ")
    choose(dialog, "output", JOIN)  # cancelled: back to the join chosen before
    assert asked[1] == (["output_1", "output_2"], "Output")
    assert data(dialog, "field:output") == "output_1+output_2"


def test_the_join_dialog(qtbot) -> None:
    dialog = JoinFieldsDialog(["instruction", "input", "output"], ["input"], "Input")
    qtbot.addWidget(dialog)
    fields = find(dialog, QListWidget, "joinFieldsList")
    assert [fields.item(i).text() for i in range(3)] == ["input", "instruction", "output"]
    assert dialog.parts() == ["input"]
    fields.item(1).setCheckState(Qt.CheckState.Checked)
    assert dialog.parts() == ["input", "instruction"]
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    for i in (0, 1):
        fields.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.parts() == [] and not ok.isEnabled()


def test_long_format_rater_field_and_the_judges_rows(qtbot, mt_bench, monkeypatch) -> None:
    dialog = open_dialog(qtbot, mt_bench)
    raters = find(dialog, QComboBox, "raterFieldCombo")
    judges = find(dialog, QComboBox, "judgeRaterCombo")
    assert not judges.isEnabled()
    dialog.ask_join = lambda *a: ["question_id", "model_a", "model_b", "turn"]
    choose(dialog, "id", JOIN)
    choose(dialog, "input", "conversation_a")
    raters.setCurrentIndex(raters.findData("judge"))
    assert judges.isEnabled()
    found = [judges.itemData(i) for i in range(judges.count())]
    assert found == ["", "author_0", "author_2", "expert_3", "expert_7", "gpt4_pair"]
    assert find(dialog, QLabel, "fieldLabel:ratings").text() == "Rating label *"
    assert not can_import(dialog) and "Rating label" in find(dialog, QLabel, "missingLabel").text()
    choose(dialog, "ratings", "winner")
    judges.setCurrentIndex(judges.findData("gpt4_pair"))
    assert can_import(dialog)  # the judge's label: its rows
    text = preview(dialog)
    assert "Case id: 81|alpaca-13b|gpt-3.5-turbo|1" in text
    assert "Judge label: model_b" in text
    assert "Ratings: author_0: model_b, expert_3: model_b" in text
    assert "(Cases of the first 2000 rows.)" in find(dialog, QLabel, "summaryLabel").text()
    assert dialog.long() == LongFormat("judge", "gpt4_pair")
    judges.setCurrentIndex(0)  # no judge's rows: the judge's label is a field again
    assert not can_import(dialog)
    judges.setCurrentIndex(judges.findData("gpt4_pair"))
    monkeypatch.setattr(ImportDialog, "exec", lambda self: ImportDialog.DialogCode.Accepted)
    monkeypatch.setattr(ImportDialog, "__new__", lambda cls, *a, **k: dialog)
    monkeypatch.setattr(ImportDialog, "__init__", lambda self, *a, **k: None)
    choice = ImportDialog.ask(mt_bench)
    assert choice is not None and choice.long == LongFormat("judge", "gpt4_pair")
    assert choice.mapping is not None and choice.mapping.as_dict()["ratings"] == "winner"


def test_a_long_file_imports_in_the_window(make_window, qtbot, mt_bench, monkeypatch) -> None:
    from annotator.formats.mapping import FieldMapping
    from annotator.ui import files

    mapping = FieldMapping.parse([
        "id=question_id+model_a+model_b+turn",
        "input=conversation_a.0.content+conversation_a.2.content",
        "outputs.model_a=conversation_a", "outputs.model_b=conversation_b", "ratings=winner",
    ])  # fmt: skip
    choice = files.ImportChoice(mt_bench, mapping, False, None, LongFormat("judge", "gpt4_pair"))

    def ask(path: Path, parent: Any = None, submit: Any = None) -> files.ImportChoice:
        submit(choice, lambda refused: None)  # as Import pressed in the dialog
        return choice

    monkeypatch.setattr(files.ImportDialog, "ask", staticmethod(ask))
    window = make_window()
    window.open_path(mt_bench)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    assert window.ws is not None and window.ws.case_count() == 5
    detail = window.review.detail
    assert detail is not None and detail.case.judge.model == "gpt4_pair"


def label_studio_export(folder: Path) -> Path:
    """Two tasks as Label Studio's JSON export gives them (its task format's documentation):
    the text, a model's prediction (the judge), people's annotations."""

    def choice(label: str) -> dict[str, Any]:
        return {"from_name": "verdict", "to_name": "text", "type": "choices",
                "value": {"choices": [label]}}  # fmt: skip

    tasks = [
        {
            "id": n,
            "data": {"text": text},
            "annotations": [
                {"id": 10 + n, "completed_by": 1, "was_cancelled": False, "result": [choice(a)]},
                {"id": 20 + n, "completed_by": 2, "was_cancelled": False, "result": [choice(b)]},
            ],
            "predictions": [{"model_version": "judge-v1", "result": [choice(j)]}],
        }
        for n, (text, j, a, b) in enumerate(
            [
                ("Is the sky green?", "pass", "fail", "fail"),
                ("Is water wet?", "pass", "pass", "pass"),
            ],
            start=1,
        )
    ]
    path = folder / "project-1-at-2024.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    return path


def test_a_detected_preset_is_offered_and_used(qtbot, tmp_path: Path) -> None:
    path = label_studio_export(tmp_path)
    dialog = open_dialog(qtbot, path)
    banner = find(dialog, QWidget, "presetBanner")
    assert not banner.isHidden()
    assert find(dialog, QLabel, "presetLabel").text() == (
        "Looks like a Label Studio JSON export: use the label-studio preset?"
    )
    assert dialog.choice().preset is None
    qtbot.mouseClick(find(dialog, QPushButton, "usePreset"), Qt.MouseButton.LeftButton)
    choice = dialog.choice()
    assert choice.preset is not None and choice.preset.name == "label-studio"
    assert "Read as a Label Studio JSON export" in find(dialog, QLabel, "presetLabel").text()
    text = preview(dialog)
    assert "Input: Is the sky green?" in text and "Judge label: pass" in text
    assert "fail" in text.split("Ratings:")[1]
    assert can_import(dialog)
    assert choice.import_options()["preset"] is choice.preset
    qtbot.mouseClick(find(dialog, QPushButton, "usePreset"), Qt.MouseButton.LeftButton)
    assert dialog.choice().preset is None  # back to the file's own fields


def test_no_preset_is_offered_for_a_file_of_no_tool(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text('{"qid": "q1", "prompt": "Hi", "verdict": "pass"}\n', encoding="utf-8")
    dialog = open_dialog(qtbot, path)
    assert find(dialog, QWidget, "presetBanner").isHidden()


def test_an_alpaca_eval_file_is_offered_its_preset(qtbot, alpaca) -> None:
    dialog = open_dialog(qtbot, alpaca)
    assert "AlpacaEval" in find(dialog, QLabel, "presetLabel").text()
    qtbot.mouseClick(find(dialog, QPushButton, "usePreset"), Qt.MouseButton.LeftButton)
    long = dialog.choice().long  # a rating per row, the judge's among them
    assert long is not None and long.judge_rater == "judge"
    assert can_import(dialog)
