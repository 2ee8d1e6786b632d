"""Text from files and people on screen: shown literally, inert, and kept to itself.

Case files, reviewers' files and the reviewer's name may hold markup, bidirectional controls,
``&`` and ``[*]`` (which Qt reads in menus and titles), escape sequences and lines of any
length. The rules (``annotator/untrusted.py`` holds the text functions):

- A QLabel that shows such text is plain text (``widgets.plain_label``); a tooltip is
  escaped (:func:`safe_tooltip`); a message box is plain text (``dialogs.message``); a window
  title escapes ``[*]`` (:func:`window_title`); a menu, button or tab text escapes ``&``
  (:func:`mnemonic`, :func:`action_text`). tests/test_hostile_gui.py walks every page and
  dialog with the hostile sample loaded and fails on any label or tooltip that is not.
- A piece joined with other text has its controls shown as marks and, if it holds
  right-to-left text, is a directional isolate (:func:`piece`): a right-to-left override or
  an Arabic name in a rater's name cannot reverse the label beside it.
- The case view shows control characters as marks (``⟨RLO⟩``, ``⟨ESC⟩``), styled, in the copy on
  screen only: :func:`set_marked` fills a text view, and :func:`stored_selection` gives back the
  stored text of a selection (what the view copies).
"""

from __future__ import annotations

import html
import re

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextDocument, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

from annotator.untrusted import Shown, bidi_piece, one_line, stored_text, visible_controls

TOOLTIP_LIMIT = 2000
"""Characters a tooltip shows at most (a line of 200,000 would cover the screen)."""


def shown(text: str) -> str:
    """``text`` as the review shows it: control characters as visible marks."""
    return visible_controls(text).text


def piece(text: str) -> str:
    """``text`` to join with other text: its controls as marks, then isolated if it holds
    right-to-left text (``untrusted.bidi_piece``)."""
    return bidi_piece(visible_controls(text).text)


def mnemonic(text: str) -> str:
    """``text`` for a menu, button, tab or group box title: ``&`` shown, not a shortcut."""
    return text.replace("&", "&&")


def action_text(words: str, data: str, limit: int = 40) -> str:
    """A menu text of our ``words`` (with their ``&`` shortcut) and then ``data`` from a file:
    ``&Undo decision on`` and a case id. ``data`` is put on one line, cut to ``limit``
    characters, isolated (:func:`piece`) and its ``&`` escaped."""
    return f"{words} {mnemonic(piece(one_line(data, limit)))}"


def window_title(title: str, suffix: str = "", limit: int = 120) -> str:
    """A window title showing ``title`` from a file, then our ``suffix``: one line, cut,
    isolated, and ``[*]`` (Qt's modified-marker placeholder, removed from a title) doubled,
    which Qt shows as ``[*]``."""
    return piece(one_line(title, limit)).replace("[*]", "[*][*]") + suffix


def safe_tooltip(text: str) -> str:
    """A tooltip showing ``text`` literally: Qt renders tooltip text that looks like HTML,
    so it is HTML, escaped (at most :data:`TOOLTIP_LIMIT` characters)."""
    if len(text) > TOOLTIP_LIMIT:
        text = text[:TOOLTIP_LIMIT] + "…"
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


# -- case text with visible marks -----------------------------------------------------------------

TextView = QTextEdit | QPlainTextEdit


LONG_RUN = re.compile(r"\S{2000}")
"""A run of text with no space long enough that wrapping it at word boundaries is slow."""
_ANYWHERE = "annotatorWrapsAnywhere"


def set_marked(view: TextView, text: str) -> Shown:
    """Fill ``view`` with ``text``, control characters as marks in a colour of their own;
    returns what is shown (for :func:`stored_selection`)."""
    marked = visible_controls(text)
    _wrap_for(view, marked.text)
    view.setPlainText(marked.text)
    if marked.marks:
        _style_marks(view.document(), marked)
    return marked


def _wrap_for(view: TextView, text: str) -> None:
    """A view that wraps at word boundaries or anywhere wraps anywhere while it shows a very
    long run without a space (a model's 200,000 repeated letters, a base64 blob): Qt looks for
    a word boundary all along such a run at every line, which took seconds per case; the next
    text wraps at word boundaries again."""
    word_or_anywhere = QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere
    switched = bool(view.property(_ANYWHERE))
    if not switched and view.wordWrapMode() != word_or_anywhere:
        return  # (a view that wraps otherwise, or not at all, is left as it is)
    long_run = len(text) >= 2000 and LONG_RUN.search(text) is not None
    if long_run != switched:
        if switched:  # (the long run out first: laid out again at word boundaries it is slow)
            view.setPlainText("")
        view.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere if long_run else word_or_anywhere)
        view.setProperty(_ANYWHERE, long_run)


def _style_marks(document: QTextDocument, marked: Shown) -> None:
    look = QTextCharFormat()
    look.setForeground(QColor("#b3261e"))
    look.setBackground(QColor(179, 38, 30, 40))
    cursor = QTextCursor(document)
    text, at, at16 = marked.text, 0, 0
    for start, end, original in marked.marks:
        if original == "\r\n":
            continue  # a line break, not a mark
        at16 += _utf16_len(text[at:start])
        end16 = at16 + _utf16_len(text[start:end])
        cursor.setPosition(at16)
        cursor.setPosition(end16, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(look)
        at, at16 = end, end16


def stored_selection(view: TextView, marked: Shown) -> str:
    """The stored text behind the selection in ``view`` (filled by :func:`set_marked`)."""
    cursor = view.textCursor()
    text = marked.text
    start = _index(text, cursor.selectionStart())
    end = _index(text, cursor.selectionEnd())
    return stored_text(marked, start, end)


def _utf16_len(text: str) -> int:
    """How many UTF-16 code units (Qt's positions) ``text`` takes."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _index(text: str, position: int) -> int:
    """The index in ``text`` of Qt's ``position`` (counted in UTF-16 code units)."""
    if text.isascii():
        return min(position, len(text))
    units = text.encode("utf-16-le")[: 2 * position]
    return len(units.decode("utf-16-le", errors="ignore"))
