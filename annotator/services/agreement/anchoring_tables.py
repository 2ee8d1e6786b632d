"""The anchoring section (``domain.anchoring``) as the renderers, the summary and the window
show it: one table, its notes, and the line shown when there are no blind-first decisions (its
JSON: ``to_json.anchoring_json``)."""

from __future__ import annotations

from annotator.domain.anchoring import STATISTICS, Anchoring, Rate, ReviewerAnchoring
from annotator.services.agreement import glossary as g
from annotator.services.agreement.tables import Cell, Piece, Section, as_is, figure_row

TITLE = "Anchoring"
NO_BLIND = (
    "No blind-first decisions: turn on View › Blind first to record each reviewer's first "
    "label before the judge and the raters are shown, and measure how far the reveal moves it."
)
NOT_FROM_FILES = (
    "Anchoring is read from a workspace: give the workspace (annotator agreement WORKSPACE)."
)
OWN_TRUTH = (
    "No reviewers' files are merged into this workspace: a case's final label is your own "
    "decision, so final labels are right by definition and first labels are right where "
    "they did not change. A lead's workspace (or the merged file) measures both against the "
    "adjudicated truth."
)
EVERYONE = "everyone"

HEADERS = ("figure", "reviewer", "value", "95% interval", "n", "count")


def _people(a: Anchoring) -> tuple[ReviewerAnchoring, ...]:
    """The reviewers, then everyone (only where there are two or more)."""
    if a.overall is None:
        return ()
    return a.reviewers + ((a.overall,) if len(a.reviewers) > 1 else ())


def who(r: ReviewerAnchoring) -> str:
    return r.reviewer if r.reviewer else EVERYONE


def rates(r: ReviewerAnchoring) -> tuple[tuple[str, Rate], ...]:
    return (
        (g.ANCHOR_CHANGED, r.changed),
        (g.ANCHOR_TO_JUDGE, r.to_judge),
        (g.ANCHOR_TO_CONSENSUS, r.to_consensus),
        (g.ANCHOR_ELSEWHERE, r.elsewhere),
        (g.ANCHOR_FIRST_RIGHT, r.first_right),
        (g.ANCHOR_FINAL_RIGHT, r.final_right),
    )


def anchoring_section(a: Anchoring) -> Section:
    """Each rate of every reviewer (then of everyone), with its interval, n and count; by
    figure, so that reviewers compare line by line (a name alone in its cell, raw)."""
    rows: list[tuple[Cell, ...]] = []
    people = _people(a)
    for k in range(len(STATISTICS)):
        for r in people:
            name, rate = rates(r)[k]
            value, interval, n = figure_row(name, rate.figure, rate.interval, "rate")[1:]
            rows.append((name, who(r), value, interval, n, str(rate.count)))
    return Section(TITLE, HEADERS, tuple(rows), (False, False, True, True, True, True))


def anchoring_notes(a: Anchoring | None, piece: Piece = as_is) -> list[str]:
    """What the table does not say: the moves to a label the judge and the consensus share,
    and how many decisions are on open conflicts; or why there is no table. A reviewer's name,
    joined with other text, goes through ``piece`` (the window isolates it)."""
    if a is None:
        return [NOT_FROM_FILES]
    if not a.any:
        return [NO_BLIND]
    notes = [OWN_TRUTH] if a.own_truth else []
    for r in _people(a):
        open_ = r.decisions - r.settled
        notes.append(
            f"{piece(who(r))}: {r.decisions} blind-first decision(s), {r.changed.count} changed "
            f"after the reveal, {r.to_judge.count} to the judge's label "
            f"({r.to_judge_and_consensus} of them a label the raters' consensus shares), "
            f"{open_} on open conflicts "
            "(not in the accuracies)."
        )
    return notes
