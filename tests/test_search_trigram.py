"""A search of three characters is one trigram: the index's list of cases is the answer, read
without checking each case's text (``storage/queue.py``, ``_indexed``). It finds exactly what a
plain substring check of the folded text finds, whatever the characters: quotes, FTS5's own
syntax, spaces, letters that fold to others, letters outside ASCII."""

from __future__ import annotations

import pytest

from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.search_index import build_search_index
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl
from tests.test_search_index import substring_matches

TEXTS = [
    'She said "yes" to the plan',
    "Straße, STRASSE and strasse; ß,s",
    "ΣΊΣΥΦΟΣ and σίσυφος",
    "ᏣᎳᎩ ꮳꮃꭹ text",
    "a*b^c(x) AND OR NOT near",
    "İstanbul and ıi",
    "tab\there, two  spaces",
    'quote"ye and e"y',
    "the end of the line",
    "emoji 🙂🙂🙂 here",
    "ﬁne ligature and fine",
]
NEEDLES = ['"ye', 'yes', 'The', 'SS,', 'ß,s', 'ΣΟΣ', 'ος∙', 'ꮳꮃꭹ', 'ᏣᎳᎩ', 'a*b', '^c(', 'AND',
           '(x)', 'İst', 'ıi', 'b\th', 'o s', '🙂🙂🙂', 'ﬁne', 'fin', 'zzz', 'e"y']  # fmt: skip
"""(The search box's text is stripped: no needle starts or ends with a space.)"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder = tmp_path_factory.mktemp("trigram")
    rows = [case(f"c{n}", input=t, output=TEXTS[-1 - n]) for n, t in enumerate(TEXTS)]
    ws = Workspace.open(folder / "w.annotator")
    import_file(ws, write_jsonl(folder / "c.jsonl", rows))
    build_search_index(ws)
    return ws


@pytest.mark.parametrize("needle", NEEDLES)
def test_three_characters_find_what_a_substring_check_finds(ws: Workspace, needle: str) -> None:
    got = sorted(queue_ids(ws, QueueFilter(kinds=None, text=needle)))
    assert got == substring_matches(ws, needle)


def test_the_needles_are_three_characters_and_some_are_found(ws: Workspace) -> None:
    folded = [n.casefold() for n in NEEDLES]
    assert sum(len(f) == 3 for f in folded) >= len(NEEDLES) * 3 // 4  # (ß, İ, ﬁ fold longer)
    assert sum(bool(substring_matches(ws, n)) for n in NEEDLES) >= len(NEEDLES) // 2
