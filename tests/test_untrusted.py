"""The rules for text from files and people (annotator/untrusted.py), as properties."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from annotator.untrusted import (
    BIDI_NAMES,
    FSI,
    PDI,
    bidi_piece,
    directional,
    for_terminal,
    isolate,
    json_safe,
    json_safe_bytes,
    one_line,
    stored_text,
    visible_controls,
)

NASTY = "\u2028\u2029\x85\u202e\u202d\u2066\u2067\u2068\u2069\u200f\x1b\r\n\t\x00\x7f\x9b&<"
"""Characters the rules are about, mixed into generated text far more often than chance."""
texts = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(NASTY), max_size=60)
SPLITTERS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""What ``str.splitlines()`` splits at."""


@given(texts)
def test_json_safe_text_is_one_line_to_splitlines_and_means_the_same(text: str) -> None:
    dumped = json_safe(json.dumps({"v": text}, ensure_ascii=False))
    assert dumped.splitlines() == [dumped]
    assert json.loads(dumped) == {"v": text}
    assert json_safe_bytes(json.dumps({"v": text}, ensure_ascii=False).encode()) == dumped.encode()


def test_json_safe_spells_the_three_separators_as_escapes() -> None:
    assert json_safe('"a\u2028b\u2029c\x85d"') == '"a\\u2028b\\u2029c\\u0085d"'
    assert json_safe_bytes('"a\u2028b\u2029c\x85d"'.encode()) == b'"a\\u2028b\\u2029c\\u0085d"'
    plain = '"an em dash \u2014, \u201cquotes\u201d, \u00e9"'.encode()
    assert json_safe_bytes(plain) is plain  # untouched, not copied


def _stack_ok(shown: str) -> bool:
    """Whether every isolate in each paragraph of ``shown`` is closed in it, and no PDI closes
    more than was opened (UAX #9, X5a-X6a)."""
    for paragraph in _paragraphs(shown):
        depth = 0
        for ch in paragraph:
            if ch in "\u2066\u2067\u2068":
                depth += 1
            elif ch == PDI:
                if depth == 0:
                    return False
                depth -= 1
        if depth:
            return False
    return True


def _paragraphs(text: str) -> list[str]:
    out, current = [], []
    for ch in text:
        if unicodedata.bidirectional(ch) == "B":
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    return [*out, "".join(current)]


@given(texts)
def test_an_isolated_piece_is_balanced_in_every_paragraph(text: str) -> None:
    shown = isolate(text)
    assert _stack_ok(shown)
    for paragraph in _paragraphs(shown):  # each starts and ends its own isolate
        assert not paragraph or (paragraph[0] == FSI and paragraph[-1] == PDI)
    # Nothing but isolate marks was added or taken away.
    assert shown.replace(FSI, "").replace(PDI, "") == text.replace(FSI, "").replace(PDI, "")


def test_isolate_closes_what_the_text_opens_and_drops_a_pdi_that_would_close_ours() -> None:
    assert isolate("pass") == f"{FSI}pass{PDI}"
    assert isolate("a\u2069\u202eb") == f"{FSI}a\u202eb{PDI}"  # the stray PDI is gone
    assert isolate("\u2067ab") == f"{FSI}\u2067ab{PDI}{PDI}"  # its RLI is closed first
    assert isolate("x\ny") == f"{FSI}x{PDI}\n{FSI}y{PDI}"
    assert isolate("") == ""


@given(texts, st.data())
def test_the_shown_copy_maps_back_to_the_stored_text(text: str, data: st.DataObject) -> None:
    shown = visible_controls(text)
    assert stored_text(shown, 0, len(shown.text)) == text
    assert not any(ch in BIDI_NAMES for ch in shown.text)
    assert not any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in shown.text)
    start = data.draw(st.integers(0, len(shown.text)))
    end = data.draw(st.integers(start, len(shown.text)))
    assert stored_text(shown, start, end) in text


def test_marks_name_what_they_stand_for() -> None:
    shown = visible_controls("\u202eab\u202c \x1b[31mred\x7f \x91 \x85")
    assert shown.text == "⟨RLO⟩ab⟨PDF⟩ ⟨ESC⟩[31mred⟨DEL⟩ ⟨U+0091⟩ ⟨NEL⟩"
    assert stored_text(shown, 0, 5) == "\u202e"  # the whole mark is its character
    assert stored_text(shown, 2, 7) == "\u202eab"  # a selection inside a mark takes it whole
    plain = "no controls here — only an em dash"
    assert visible_controls(plain).text is plain


@given(texts)
def test_one_line_is_one_line(text: str) -> None:
    line = one_line(text, 20)
    assert len(line) <= 20
    assert not any(ch in SPLITTERS + "\t" for ch in line)


@given(texts)
def test_for_terminal_leaves_no_control_and_json_stays_the_same_json(text: str) -> None:
    printed = for_terminal(json.dumps({"v": text}, ensure_ascii=False))
    assert json.loads(printed) == {"v": text}
    assert not any(
        unicodedata.category(ch) == "Cc" and ch not in "\t\n" or ch in BIDI_NAMES
        for ch in for_terminal(text)
    )
    assert for_terminal("\x1b[31mred") == "\\u001b[31mred"


def test_every_character_that_can_turn_direction_is_directional() -> None:
    """bidi_piece isolates a piece when it holds one: every right-to-left letter, Arabic number
    and directional control of the Unicode database Python carries."""
    turning = {"R", "AL", "AN", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
    missed = [
        f"U+{code:04X}"
        for code in range(0x80, 0x110000)
        if unicodedata.bidirectional(chr(code)) in turning and not directional(chr(code))
    ]
    assert missed == []
    assert bidi_piece("pass — ok 5") == "pass — ok 5"  # left-to-right text: as it is
    assert bidi_piece("שרה") == f"{FSI}שרה{PDI}"
    assert bidi_piece("\u202epass") == f"{FSI}\u202epass{PDI}"
