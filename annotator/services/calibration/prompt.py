"""prompt.md of a calibration pack: per criterion, the rubric, the examples as plain text
blocks to paste into a judge's prompt, and where the judge goes wrong.

Case text is untrusted: every block of it is fenced with a backtick fence longer than any run
of backticks inside, and every short value (a label, a tag, a case id) is written as inline code
on one line the same way, so nothing in a case can end a block or start a heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from annotator.domain.model import LabelScheme
from annotator.services.calibration.picking import Counted, Example, Mistakes

_BACKTICKS = re.compile(r"`+")


def fence(body: str) -> str:
    """``body`` in a fenced block whose fence is longer than any backtick run in it."""
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}text\n{body}\n{marks}"


def inline(value: str) -> str:
    """``value`` as inline code on one line, whatever backticks or line breaks it holds."""
    flat = " ".join(value.split()) or " "
    longest = max((len(m) for m in _BACKTICKS.findall(flat)), default=0)
    marks = "`" * (longest + 1)
    return f"{marks} {flat} {marks}"


@dataclass(frozen=True)
class CriterionPart:
    """What prompt.md says of one criterion."""

    criterion: str
    scheme: LabelScheme | None
    examples: list[Example]
    mistakes: Mistakes


def render(title: str, header: str, parts: Iterable[CriterionPart]) -> str:
    lines = [f"# Calibration pack: {' '.join(title.split()) or 'Untitled project'}", "", header]
    for part in parts:
        lines += ["", f"## Criterion {inline(part.criterion)}", ""]
        lines += _scale(part.scheme)
        lines += ["", "### Rubric", ""]
        rubric = part.scheme.rubric if part.scheme else ""
        lines.append(fence(rubric) if rubric.strip() else "(no rubric in the workspace)")
        lines += ["", "### Examples", ""]
        if not part.examples:
            lines += [
                "(no examples asked for: --examples 0)"
                if part.mistakes.decided
                else "(no decided case of this criterion in the examples part)",
                "",
            ]
        for number, example in enumerate(part.examples, 1):
            verdict = "right" if example.judge_right else "wrong"
            lines += [
                f"#### Example {number}: case {inline(example.case_id)}; the judge said "
                f"{inline(example.judge_label)} ({verdict})",
                "",
            ]
            lines += [fence(example_block(example)), ""]
        lines += ["### Where the judge goes wrong", ""]
        lines += _mistakes(part.mistakes)
    return "\n".join(lines).rstrip() + "\n"


def example_block(example: Example) -> str:
    """The plain text block of an example, to paste into a judge's prompt."""
    out = [f"Input:\n{example.input}"]
    if example.outputs:
        out += [f"Output {name}:\n{text}" for name, text in example.outputs.items()]
    if example.output is not None:
        out.append(f"Output:\n{example.output}")
    if example.reference is not None:
        out.append(f"Reference:\n{example.reference}")
    out.append(f"Verdict: {example.final_label}")
    out.append(f"Critique:\n{example.critique}")
    return "\n\n".join(out)


def _scale(scheme: LabelScheme | None) -> list[str]:
    if scheme is None:
        return ["Scale: not known."]
    labels = ", ".join(inline(label) for label in scheme.labels)
    if not scheme.ordinal:
        return [f"Labels: {labels}."]
    return [f"Labels, in order: {labels}; one within {scheme.threshold:g} of the final label "
            "counts as right."]  # fmt: skip


def _mistakes(mistakes: Mistakes) -> list[str]:
    lines = [
        f"The judge was wrong on {mistakes.wrong} of the {mistakes.decided} decided cases of "
        "the examples part (held-out cases are not counted here).",
    ]
    if not mistakes.wrong:
        return lines
    lines += ["", "By confusion cell (final label, judge's label):", ""]
    for (final, judge), counted in mistakes.cells_by_count():
        lines.append(f"- final {inline(final)}, judge {inline(judge)}: {_counted(counted)}")
    lines += ["", "By tag:", ""]
    for tag, counted in mistakes.tags_by_count():
        lines.append(f"- {inline(tag)}: {_counted(counted)}")
    return lines + [""]


def _counted(counted: Counted) -> str:
    ids = ", ".join(inline(case_id) for case_id in counted.ids)
    more = counted.count - len(counted.ids)
    rest = f" and {more} more" if more else ""
    return f"{counted.count} (cases {ids}{rest})"
