"""Help > Guide: the README's sections for reviewers and leads, read offline in the app
(``resources/guide.md``, written from the README by ``scripts/make_guide.py``)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from annotator import paths


def guide_dialog(parent: QWidget | None) -> QDialog:
    """The guide, as Markdown rendered by Qt; nothing is fetched and no link is followed (the
    text is the app's own, shipped with it)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(dialog.tr("Guide"))
    dialog.resize(760, 640)
    layout = QVBoxLayout(dialog)
    view = QTextBrowser()
    view.setOpenLinks(False)
    view.setOpenExternalLinks(False)
    try:
        text = paths.resource_path("guide.md").read_text(encoding="utf-8")
    except OSError as exc:
        view.setPlainText(dialog.tr("The guide is not installed ({0}).").format(exc))
    else:
        view.setMarkdown(text)
    layout.addWidget(view, 1)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout.addWidget(buttons)
    return dialog
