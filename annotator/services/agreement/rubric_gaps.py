"""The rubric-gap section: the cases someone tagged "rubric gap" (the rubric did not decide
them), per criterion, with who tagged them, their label and rationale, as candidate rubric
edits (Edit > Rubric…, ``annotator rubric``). Lines the renderers escape as they escape any
other text; and the section's JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from annotator.domain.rubric_versions import RUBRIC_GAP
from annotator.services.agreement.report import AgreementReport, RubricGap

TITLE = "Rubric gaps"
NONE = f'No case is tagged "{RUBRIC_GAP}": tag a case the rubric did not decide, to list it here.'
INTRO = (
    f'Cases tagged "{RUBRIC_GAP}", with the rationales of those who tagged them: candidate '
    "edits of the rubric (Edit › Rubric…)."
)


def gap_entries(report: AgreementReport, limit: int | None) -> list[tuple[str, list[str], int]]:
    """Per criterion with gaps: its heading, a line per case (at most ``limit``; None: all)
    and how many more there are."""
    found = []
    for c in report.criteria:
        if not c.rubric_gaps:
            continue
        shown = c.rubric_gaps if limit is None else c.rubric_gaps[:limit]
        name = c.criterion or "(default criterion)"
        heading = f"{name}: {len(c.rubric_gaps)} case{'s' if len(c.rubric_gaps) != 1 else ''}"
        found.append((heading, [gap_line(g) for g in shown], len(c.rubric_gaps) - len(shown)))
    return found


def gap_line(gap: RubricGap, part: Callable[[str], str] = str) -> str:
    """One case: its id, final label and each note; ``part`` shows each piece of untrusted
    text (the window isolates them: ``plain.piece``)."""
    final = f"final {part(gap.final_label)}" if gap.final_label is not None else "not settled"
    notes = "; ".join(
        f"{part(who) if who else '?'} [{part(label)}]: {part(why) if why else '(no rationale)'}"
        for who, label, why in gap.notes
    )
    return f"{part(gap.case_id)} ({final}) — {notes}"


def gaps_json(report: AgreementReport) -> list[dict[str, Any]]:
    return [
        {
            "criterion": c.criterion,
            "case_id": g.case_id,
            "final_label": g.final_label,
            "tagged_by": [
                {"reviewer": who, "label": label, "rationale": why} for who, label, why in g.notes
            ],
        }
        for c in report.criteria
        for g in c.rubric_gaps
    ]
