"""File › Held-out split…: the project's held-out share and split seed (docs/alignment.md, "The
split").

:class:`SplitFlow` counts the decided cases in each part (off the GUI thread: at a million
cases that is a second), shows :class:`SplitDialog`, and when the settings change counts the
cases that would move and asks before it saves them: a case that moves from the examples to the
held-out part may already be in a judge's prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.split import Part
from annotator.services.changes import Changes
from annotator.services.split import (
    SplitSettings,
    examples_held_out,
    leak_words,
    moves,
    part_counts,
    set_split_settings,
    split_settings,
)
from annotator.services.workspace import Workspace, WorkspaceError
from annotator.ui import dialogs
from annotator.ui.workers import TaskRunner

SEED_MAX = 2**31 - 1


class SplitDialog(QDialog):
    """The held-out share and the split seed, with how the decided cases fall now."""

    def __init__(
        self, parent: QWidget | None, settings: SplitSettings, counts: tuple[int, int]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Held-out split"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Every decided case is in the examples part (a calibration pack's examples "
                "come from it) or in the held-out part (the next judge is measured on it). A "
                "case's part depends only on the seed and its id."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.fraction = QDoubleSpinBox()
        self.fraction.setRange(0.0, 1.0)
        self.fraction.setDecimals(2)
        self.fraction.setSingleStep(0.05)
        self.fraction.setValue(settings.fraction)
        self.fraction.setToolTip(self.tr("The share of decided cases held out (0 to 1)"))
        form.addRow(self.tr("Held-out &share:"), self.fraction)
        self.seed = QSpinBox()
        self.seed.setRange(0, SEED_MAX)
        self.seed.setValue(min(max(settings.seed, 0), SEED_MAX))
        self.seed.setToolTip(self.tr("Another seed places every case afresh"))
        form.addRow(self.tr("Split s&eed:"), self.seed)
        layout.addLayout(form)
        examples, heldout = counts
        self.now = QLabel(
            self.tr("Now: {0} decided cases, {1} examples and {2} held out.").format(
                examples + heldout, examples, heldout
            )
        )
        layout.addWidget(self.now)
        warning = QLabel(
            self.tr(
                "Change them only to start a new measurement: cases move between the parts, "
                "and a judge measured on the held-out part may have seen some as examples."
            )
        )
        warning.setWordWrap(True)
        layout.addWidget(warning)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for wrapped in (intro, warning):  # (a wrapped label asks for little width)
            wrapped.setMinimumWidth(wrapped.fontMetrics().averageCharWidth() * 64)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetFixedSize)

    def chosen(self) -> SplitSettings:
        return SplitSettings(round(self.fraction.value(), 2), self.seed.value())


def moved_text(before: SplitSettings, after: SplitSettings, moved: int) -> str:
    """What changing the settings does to the decided cases, in a sentence."""
    cases = f"{moved} decided case{'' if moved == 1 else 's'}"
    to = before.moving_to(after)
    if to is None:
        return f"{cases} would change part (a new seed places every case afresh)."
    if to is Part.HELDOUT:
        return f"{cases} would move from the examples to the held-out part."
    return f"{cases} would move from the held-out part to the examples."


class SplitFlow(QObject):
    """Count, ask, confirm, save: the window's side of the split settings."""

    message = Signal(str)

    def __init__(
        self,
        window: QWidget,
        runner: TaskRunner,
        current: Callable[[], Workspace | None],
        write: Callable[[Callable[[], Changes]], Changes],
        apply: Callable[[Changes], None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.current = current
        self.write = write
        self.apply = apply
        self.dialog: SplitDialog | None = None
        self.confirm: QMessageBox | None = None

    def start(self) -> None:
        ws = self.current()
        if ws is None:
            return

        def job(_progress: Any, _cancelled: Any) -> tuple[SplitSettings, tuple[int, int]]:
            settings = split_settings(ws)
            return settings, part_counts(ws, settings)

        self.runner.run(
            self.tr("Counting the decided cases…"), job, self._ask, self._failed, cancellable=False
        )

    def _ask(self, found: tuple[SplitSettings, tuple[int, int]]) -> None:
        before, counts = found
        self.dialog = SplitDialog(self.window, before, counts)
        self.dialog.accepted.connect(lambda: self._chosen(before))
        self.dialog.open()

    def _chosen(self, before: SplitSettings) -> None:
        assert self.dialog is not None
        after = self.dialog.chosen()
        ws = self.current()
        if after == before or ws is None:
            return
        self.runner.run(
            self.tr("Counting the cases that would move…"),
            lambda _p, _c: (moves(ws, after), examples_held_out(ws, after)),
            lambda found: self._confirm(ws, before, after, *found),
            self._failed,
            cancellable=False,
        )

    def _confirm(
        self, ws: Workspace, before: SplitSettings, after: SplitSettings, moved: int, leaked: int
    ) -> None:
        if not moved:
            self._save(ws, after, moved)
            return
        warning = (
            self.tr("\n\nUnder these settings, {0}").format(leak_words(leaked)) if leaked else ""
        )
        box = dialogs.plain_box(
            self.window,
            QMessageBox.Icon.Warning,
            self.tr("Change the held-out split?"),
            self.tr("{0}{3}\n\nChange the split to held-out share {1:g}, seed {2}?").format(
                moved_text(before, after, moved), after.fraction, after.seed, warning
            ),
        )
        change = box.addButton(self.tr("Change the split"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda _r: self._save(ws, after, moved) if box.clickedButton() is change else None
        )
        self.confirm = box
        box.open()

    def _save(self, ws: Workspace, after: SplitSettings, moved: int) -> None:
        if ws is not self.current():
            return
        try:
            changes = self.write(lambda: set_split_settings(ws, after))
        except WorkspaceError as exc:
            dialogs.error(self.window, self.tr("Split not changed"), str(exc))
            return
        self.apply(changes)
        self.message.emit(
            self.tr("Held-out split: share {0:g}, seed {1}; {2} decided cases moved.").format(
                after.fraction, after.seed, moved
            )
        )

    def _failed(self, exc: BaseException) -> None:
        dialogs.error(self.window, self.tr("Held-out split"), str(exc))
