"""What a rubric says each label means."""

from __future__ import annotations

from annotator.domain.model import LabelScheme
from annotator.domain.rubric import label_descriptions


def test_lines_that_start_with_a_label_describe_it() -> None:
    rubric = (
        "How helpful is it?\n"
        "5 — fully answers the question\n"
        "- 4: answers it, minor omissions\n"
        "1. Correctness first (a numbered point, not label 1)\n"
        "10 = perfect\n"
        "1) harmful or wrong\n"
        "5 — a second line for 5 is ignored\n"
        "3 partly helpful (no separator)\n"
    )
    scheme = LabelScheme(("1", "3", "4", "5", "10"), ordinal=True, rubric=rubric)
    assert label_descriptions(scheme) == {
        "5": "fully answers the question",
        "4": "answers it, minor omissions",
        "10": "perfect",
        "1": "harmful or wrong",
    }


def test_words_match_whatever_their_case() -> None:
    scheme = LabelScheme(("pass", "fail"), rubric="PASS — correct\nFail: anything else")
    assert label_descriptions(scheme) == {"pass": "correct", "fail": "anything else"}
    assert label_descriptions(LabelScheme(("a", "b"))) == {}
