"""The held-out split in the window (docs/alignment.md, "The split"): the queue's Split column
and filter, the case's pill, and File > Held-out split... with its warning before cases move."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from annotator.domain.split import Part, part_of
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.split import SplitSettings, set_split_settings, split_settings
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE

pytestmark = pytest.mark.gui


def _sample(tmp_path: Path, every: int = 2) -> tuple[Path, set[str]]:
    """The sample with every ``every``-th case decided; the decided ids."""
    ws_path = tmp_path / "s.annotator"
    ws = Workspace.open(ws_path)
    import_file(ws, SAMPLE)
    review = ReviewService(ws, "expert")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[1:]
    decided = set()
    for i, line in enumerate(lines):
        if i % every == 0:
            cid = json.loads(line)["id"]
            row = review.row_id(cid) or 0
            review.decide(row, review.case(row).scheme.labels[0], f"critique of {cid}")
            decided.add(cid)
    ws.close()
    return ws_path, decided


def _shown(window: Any) -> dict[str, str]:
    """Case id -> what the Split column shows, for every row of the queue."""
    from annotator.ui.queue_model import COLUMNS

    model = window.queue.model
    split = [name for name, _t, _k in COLUMNS].index("split")
    return {model.index(r, 0).data(): model.index(r, split).data() for r in range(model.rowCount())}


def test_the_split_column_and_filter(make_window: Any, qtbot: QtBot, tmp_path: Path) -> None:
    ws_path, decided = _sample(tmp_path)
    window = make_window(ws_path)
    queue = window.queue
    queue.scope.setCurrentIndex(queue.scope.findText("All cases"))
    qtbot.waitUntil(lambda: not queue.model.loading)
    shown = _shown(window)
    assert set(shown) == {json.loads(x)["id"] for x in SAMPLE.read_text().splitlines()[1:]}
    for cid, text in shown.items():
        if cid in decided:
            part = part_of(0, cid, 0.5)
            assert text == ("held-out" if part is Part.HELDOUT else "examples")
        else:
            assert text == ""
    # The filter, chosen as a user does: click the box, pick with the keyboard.
    for name, part in (("Held-out part", Part.HELDOUT), ("Examples part", Part.EXAMPLES)):
        queue.split.setCurrentIndex(queue.split.findText(name))
        qtbot.waitUntil(lambda: not queue.model.loading)
        want = {c for c in decided if part_of(0, c, 0.5) is part}
        assert set(_shown(window)) == want
    queue.split.setCurrentIndex(0)
    qtbot.waitUntil(lambda: not queue.model.loading)
    assert len(_shown(window)) == len(shown)


def test_the_case_shows_its_part(make_window: Any, qtbot: QtBot, tmp_path: Path) -> None:
    ws_path, decided = _sample(tmp_path)
    window = make_window(ws_path)
    queue = window.queue
    queue.scope.setCurrentIndex(queue.scope.findText("All cases"))
    qtbot.waitUntil(lambda: not queue.model.loading)
    pills = window.view._pills
    seen = {True: 0, False: 0}
    for row in range(queue.model.rowCount()):
        queue.select_row(row)
        cid = queue.model.index(row, 0).data()
        texts = [p.text() for p in pills._pills if p.isVisibleTo(window.view)]
        assert "decided" in texts or cid not in decided
        if cid in decided:
            part = part_of(0, cid, 0.5)
            assert ("held-out" if part is Part.HELDOUT else "examples") in texts
        else:
            assert "held-out" not in texts and "examples" not in texts
        seen[cid in decided] += 1
    assert seen[True] and seen[False]


def _type_share(qtbot: QtBot, flow: Any, share: str) -> None:
    """Type ``share`` in the open split dialog, press OK, wait for the confirmation."""
    from PySide6.QtWidgets import QDialogButtonBox

    dialog = flow.dialog
    dialog.fraction.setFocus()
    dialog.fraction.selectAll()
    qtbot.keyClicks(dialog.fraction, share)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, _left())
    qtbot.waitUntil(lambda: flow.confirm is not None and flow.confirm.isVisible(), timeout=10000)


def test_changing_the_split_warns_how_many_move(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMenu

    ws_path, decided = _sample(tmp_path, every=1)
    window = make_window(ws_path)
    action = window.actions_by_id["split"]
    file_menu = next(m for m in window.menuBar().findChildren(QMenu) if "File" in m.title())
    assert action in file_menu.actions() and action.isEnabled()
    action.trigger()
    flow = window.split_flow
    qtbot.waitUntil(lambda: flow.dialog is not None and flow.dialog.isVisible(), timeout=10000)
    dialog = flow.dialog
    held = sum(part_of(0, c, 0.5) is Part.HELDOUT for c in decided)
    assert f"{len(decided)} decided cases, {len(decided) - held} examples" in dialog.now.text()
    assert dialog.fraction.value() == 0.5 and dialog.seed.value() == 0
    _type_share(qtbot, flow, "0.8")
    moved = sum(part_of(0, c, 0.5) is not part_of(0, c, 0.8) for c in decided)
    assert moved > 0
    text = flow.confirm.text()
    assert f"{moved} decided cases would move from the examples to the held-out part" in text
    # Nothing is saved before the answer.
    ws = Workspace.open(ws_path)
    assert split_settings(ws) == SplitSettings(0.5, 0)
    ws.close()
    change = next(b for b in flow.confirm.buttons() if b.text() == "Change the split")
    qtbot.mouseClick(change, _left())
    qtbot.waitUntil(lambda: not window.queue.model.loading)
    ws = Workspace.open(ws_path)
    assert split_settings(ws) == SplitSettings(0.8, 0)
    ws.close()
    assert f"{moved} decided cases moved" in window.statusBar().currentMessage()
    shown = _shown(window)
    assert shown and all(
        text == ("held-out" if part_of(0, cid, 0.8) is Part.HELDOUT else "examples")
        for cid, text in shown.items()
    )


def test_a_cancelled_change_saves_nothing(make_window: Any, qtbot: QtBot, tmp_path: Path) -> None:
    ws_path, _decided = _sample(tmp_path)
    ws = Workspace.open(ws_path)
    set_split_settings(ws, SplitSettings(0.3, 4))
    ws.close()
    window = make_window(ws_path)
    window.actions_by_id["split"].trigger()
    flow = window.split_flow
    qtbot.waitUntil(lambda: flow.dialog is not None and flow.dialog.isVisible(), timeout=10000)
    assert (flow.dialog.fraction.value(), flow.dialog.seed.value()) == (0.3, 4)
    flow.dialog.seed.setValue(5)
    flow.dialog.accept()
    qtbot.waitUntil(lambda: flow.confirm is not None and flow.confirm.isVisible(), timeout=10000)
    assert "would change part" in flow.confirm.text()
    flow.confirm.reject()
    ws = Workspace.open(ws_path)
    assert split_settings(ws) == SplitSettings(0.3, 4)
    ws.close()


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_the_warning_names_the_calibration_examples_that_would_be_held_out(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    """A pack written under share 0.5: raising the share to 0.8 holds out some of its
    examples, and the confirmation says how many before anything changes."""
    from annotator.services.calibration import write_pack

    ws_path, _decided = _sample(tmp_path, every=1)
    ws = Workspace.open(ws_path)
    write_pack(ws, tmp_path / "pack")
    ws.close()
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text(encoding="utf-8"))
    leaked = sum(part_of(0, c, 0.8) is Part.HELDOUT for c in manifest["ids"]["examples"])
    assert leaked > 0
    window = make_window(ws_path)
    window.actions_by_id["split"].trigger()
    flow = window.split_flow
    qtbot.waitUntil(lambda: flow.dialog is not None and flow.dialog.isVisible(), timeout=10000)
    _type_share(qtbot, flow, "0.8")
    assert (
        f"Under these settings, {leaked} held-out cases were given as examples in a calibration "
        "pack" in flow.confirm.text()
    )
