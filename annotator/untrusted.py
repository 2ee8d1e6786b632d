"""Text annotator did not write, written and shown so that it cannot act.

Case files, reviewers' files and the reviewer's own name carry text from elsewhere: markup,
bidirectional controls, line separators, terminal escapes. annotator keeps that text as it is
(stored, hashed and exported byte for byte) and applies these rules where it leaves:

- **JSON text** (the labelled and merged files, reports): U+2028, U+2029 and U+0085 are
  written as ``\\u2028``, ``\\u2029``, ``\\u0085``, so that a consumer splitting lines with
  ``str.splitlines()`` sees whole records (:func:`json_safe`, :func:`json_safe_bytes`). The
  value is the same: only its spelling changes, and every JSON reader reads it back.
- **Joined for display** (``rater: label — comment``, a window title): each piece is a
  directional isolate (U+2068 … U+2069), so a right-to-left override in one piece cannot
  reverse the next (:func:`isolate`).
- **Shown as a case** (the case view): bidirectional and other control characters are drawn
  as visible marks (``⟨RLO⟩``, ``⟨ESC⟩``) in the copy on screen, never in the stored text
  (:func:`visible_controls`; :func:`stored_text` maps a selection back).
- **One line** (a menu item, a title): line breaks are spaces and a long text is cut
  (:func:`one_line`).
- **A terminal**: control characters are written as ``\\uXXXX`` (:func:`for_terminal`), so an
  escape sequence in a case id is printed, never obeyed by the terminal.

Pure functions of strings, for every layer (the window, the formats, the command line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- JSON text ------------------------------------------------------------------------------------

_LS, _PS, _NEL = "\u2028", "\u2029", "\x85"


def json_safe(text: str) -> str:
    """JSON ``text`` with U+2028, U+2029 and U+0085 escaped. They can only stand inside a JSON
    string (JSON's white space is space, tab, LF and CR), where the escape means the same."""
    if _LS in text or _PS in text or _NEL in text:
        return text.replace(_LS, "\\u2028").replace(_PS, "\\u2029").replace(_NEL, "\\u0085")
    return text


_LS_B, _PS_B, _NEL_B = _LS.encode(), _PS.encode(), _NEL.encode()


def json_safe_bytes(data: bytes) -> bytes:
    """:func:`json_safe` of UTF-8 JSON bytes (one line or many). In UTF-8 these byte sequences
    are those characters and nothing else. Cheap when there are none: a first look for their
    lead bytes runs at memory speed, and most text has no ``\\xc2`` and no ``\\xe2``."""
    if (b"\xe2" in data and (_LS_B in data or _PS_B in data)) or (
        b"\xc2" in data and _NEL_B in data
    ):
        data = data.replace(_LS_B, b"\\u2028").replace(_PS_B, b"\\u2029")
        return data.replace(_NEL_B, b"\\u0085")
    return data


# -- joined for display ---------------------------------------------------------------------------

FSI, PDI = "\u2068", "\u2069"
"""First strong isolate, pop directional isolate."""
_OPENERS = frozenset("\u2066\u2067\u2068")
_ISOLATE_CHARS = re.compile("[\u2066-\u2069]")
_PARAGRAPH_BREAK = re.compile("(\r\n|[\n\r\x1c-\x1e\x85\u2029])")
"""Unicode's paragraph separators (bidi class B): each ends every isolate and embedding."""


_DIRECTIONAL = re.compile(
    "[\u0590-\u08ff\u200f\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff\ufe70-\ufefe"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
"""Where every right-to-left letter (bidi classes R, AL), Arabic number (AN) and directional
control is (the blocks that hold them, whole: a few more characters than those)."""


def directional(text: str) -> bool:
    """Whether ``text`` can turn the direction of text beside it: it holds a right-to-left
    letter or number, or a directional control. Text of left-to-right letters, digits and
    punctuation cannot (in a left-to-right window, or beside other such text)."""
    return not text.isascii() and _DIRECTIONAL.search(text) is not None


def bidi_piece(text: str) -> str:
    """``text`` to join with other text for display: :func:`isolate`-d when it is
    :func:`directional`, else as it is (no invisible characters where none are needed: in
    what a reader copies, in what a screen reader reads)."""
    return isolate(text) if directional(text) else text


def isolate(text: str) -> str:
    """``text`` as a directional isolate: FSI, the text, PDI. Its direction is its own and
    cannot leak into what is shown beside it, whatever controls it holds: a PDI of its own
    that would close the isolate early is left out, an isolate it opens is closed, and each
    paragraph of a text with line breaks is isolated on its own (a break ends an isolate)."""
    if not text:
        return ""
    if _PARAGRAPH_BREAK.search(text) is None:
        return _isolate_paragraph(text)
    parts = _PARAGRAPH_BREAK.split(text)
    return "".join(part if i % 2 else _isolate_paragraph(part) for i, part in enumerate(parts))


def _isolate_paragraph(text: str) -> str:
    if not text:
        return ""
    if _ISOLATE_CHARS.search(text) is None:
        return FSI + text + PDI
    depth = 0
    kept = []
    for ch in text:
        if ch in _OPENERS:
            depth += 1
        elif ch == PDI:
            if depth == 0:
                continue  # would close our isolate, letting what follows leak out
            depth -= 1
        kept.append(ch)
    return FSI + "".join(kept) + PDI * depth + PDI


# -- shown as a case ------------------------------------------------------------------------------

BIDI_NAMES = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u061c": "ALM",
}
"""The bidirectional formatting characters, by their Unicode abbreviations."""
_SHOWN_CONTROLS = re.compile(
    "\r\n|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""What :func:`visible_controls` marks: the bidirectional controls, and the C0 and C1
controls but tab, line feed and carriage return (line breaks, as the view shows them). A CR
LF is shown as one line break, as Qt's text views hold it."""
C0_NAMES = ("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT",
            "FF", "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
            "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US")  # fmt: skip


def control_mark(ch: str) -> str:
    """How a control character is shown, by its name: ``⟨RLO⟩``, ``⟨ESC⟩``, ``⟨DEL⟩``,
    ``⟨NEL⟩``, or its code point (``⟨U+0091⟩``). (A CR LF: one line feed.) Names, not the
    Control Pictures block (``␛``): fonts that lack those show an empty box."""
    if ch == "\r\n":
        return "\n"
    name = BIDI_NAMES.get(ch)
    if name is not None:
        return f"⟨{name}⟩"
    code = ord(ch)
    if code < 0x20:
        return f"⟨{C0_NAMES[code]}⟩"
    return {0x7F: "⟨DEL⟩", 0x85: "⟨NEL⟩"}.get(code, f"⟨U+{code:04X}⟩")


@dataclass(frozen=True)
class Shown:
    """The copy of a text a view shows, with its control characters as visible marks."""

    text: str
    """What is shown."""
    marks: tuple[tuple[int, int, str], ...] = ()
    """Each mark: where it starts and ends in :attr:`text`, and the text it stands for (a
    character, or a CR LF)."""


def visible_controls(text: str) -> Shown:
    """The copy of ``text`` to show: every bidirectional control, and every other control
    character but tab and line breaks, replaced by a visible mark (:func:`control_mark`), so
    that it neither reorders nor hides the text around it. The text itself is unchanged."""
    if _SHOWN_CONTROLS.search(text) is None:
        return Shown(text)
    parts: list[str] = []
    marks: list[tuple[int, int, str]] = []
    at = last = 0
    for found in _SHOWN_CONTROLS.finditer(text):
        start = found.start()
        parts.append(text[last:start])
        at += start - last
        mark = control_mark(found.group())
        parts.append(mark)
        marks.append((at, at + len(mark), found.group()))
        at += len(mark)
        last = found.end()
    parts.append(text[last:])
    return Shown("".join(parts), tuple(marks))


def stored_text(shown: Shown, start: int, end: int) -> str:
    """The text behind ``shown.text[start:end]``: each mark in it (or partly in it) is the
    character it stands for again. What a view puts on the clipboard."""
    out: list[str] = []
    at = start
    for m_start, m_end, original in shown.marks:
        if m_end <= start:
            continue
        if m_start >= end:
            break
        if m_start > at:
            out.append(shown.text[at:m_start])
        out.append(original)
        at = m_end
    if at < end:
        out.append(shown.text[at:end])
    return "".join(out)


# -- one line -------------------------------------------------------------------------------------

_LINE_BREAKS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]")


def one_line(text: str, limit: int = 80) -> str:
    """``text`` on one line, for a menu item or a title: each tab or line break a space, and
    cut to ``limit`` characters with an ellipsis."""
    text = _LINE_BREAKS.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- a terminal -----------------------------------------------------------------------------------

_TERMINAL_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]"
)


def for_terminal(text: str) -> str:
    """``text`` to print: every control character but tab and line feed (C0, DEL, C1), every
    bidirectional control and U+2028/U+2029 written as ``\\uXXXX``. A terminal then shows an
    escape sequence from a file instead of obeying it. Inside a JSON string the escape means
    the same character, so JSON printed this way stays the same JSON."""
    if _TERMINAL_CONTROLS.search(text) is None:
        return text
    return _TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
