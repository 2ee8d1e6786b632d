"""What a case was, as each file says: the members the merged file copies from "the case".

A merged line takes its decisions from each reviewer and the rest from the case: its
criterion, judge label, rater labels and disagreement kind (``LabelledScan.case_info``), as the
first file that has the case says. Reviewers' files exported from one pack say the same of a
case, so a file that says otherwise was edited (or, for the kind, exported with another
threshold of an ordinal scale): the merge is refused rather than let the order of the files
decide. Against a workspace, every file is checked against the workspace's cases instead.

Only what differs is looked at here: every line's members are compared as bytes while the files
are collected (``collect.py``), and only a line whose bytes differ comes here. Members that are
the same but written otherwise (rater labels in another order) are the same case: the merged
file takes the smaller bytes, so that the order of the files does not choose.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from annotator.services.merge.report import MAX_LISTED, MergeError

if TYPE_CHECKING:
    from annotator.services.merge.collect import CaseSoFar


class CaseMembers(NamedTuple):
    """What a line (or the workspace) says the case was."""

    criterion: str
    judge_label: str
    rater_labels: dict[str, str]
    kind: str


MembersReader = Callable[[Collection[str]], Mapping[str, CaseMembers]]
"""The workspace's members of the cases with the given ids (``workspace.py``)."""


class Differing(NamedTuple):
    """A line whose members differ (as bytes) from those of the first line of its case."""

    case_id: str
    ref: int
    """The line, as a reference into the scans (``collect.py``)."""
    criterion: str
    info: bytes
    """Its members as the merged file would write them; empty when a worker left them out
    as the same as those of a line it read before (the criterion differs, then)."""


class Difference(NamedTuple):
    """The first member two lines (or a line and the workspace) disagree on, as shown."""

    member: str
    got: str
    expected: str


def members(criterion: str, info: bytes) -> CaseMembers:
    """A line's members, from its criterion and its ``case_info``."""
    d: dict[str, Any] = orjson.loads(b"{" + info + b"}")
    return CaseMembers(criterion, d["judge_label"], d["rater_labels"], d["kind"])


def difference(got: CaseMembers, expected: CaseMembers, *, kind: bool = True) -> Difference | None:
    """The first member that differs; None when the two say the same of the case. ``kind``
    False leaves the kind out (against a workspace: the kind follows an ordinal scale's
    threshold, which the lead may change after sending the pack, and the workspace's own
    kind is what a merge into it keeps)."""
    if got.criterion != expected.criterion:
        return Difference("criterion", repr(got.criterion), repr(expected.criterion))
    if got.judge_label != expected.judge_label:
        return Difference("judge label", repr(got.judge_label), repr(expected.judge_label))
    if dict(got.rater_labels) != dict(expected.rater_labels):
        return Difference("rater labels", _raters(got.rater_labels), _raters(expected.rater_labels))
    if kind and got.kind != expected.kind:
        return Difference("kind", repr(got.kind), repr(expected.kind))
    return None


def _raters(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{rater}: {label}" for rater, label in labels.items()) + "}"


def message(where: str, case_id: str, diff: Difference, other: str) -> str:
    """``b.jsonl, line 4: judge label 'fail' for case 'c7' differs from a.jsonl, line 2
    ('pass')``."""
    verb = "differ" if diff.member == "rater labels" else "differs"
    said = f"{diff.member} {diff.got} for case '{case_id}' {verb}"
    return f"{where}: {said} from {other} ({diff.expected})"


def check_members(
    cases: Mapping[str, CaseSoFar],
    differing: list[Differing],
    origin: Callable[[int], object],
    workspace: MembersReader | None,
) -> None:
    """Refuse the merge if, against a workspace, any line says otherwise than the workspace
    (the kind aside), or if the files say different things of a case (``differing``: the
    lines that differ from the first line of their case). The problems come in file order,
    then line order."""
    found: list[tuple[int, str]] = []

    def check(
        ref: int, case_id: str, got: CaseMembers, expected: CaseMembers, other: str, kind: bool
    ) -> None:
        diff = difference(got, expected, kind=kind)
        if diff is not None:
            found.append((ref, message(str(origin(ref)), case_id, diff, other)))

    if workspace is not None and cases:  # (none: every file was merged before)
        # Against the workspace, every line, but for the kind (see ``difference``).
        expected = workspace(cases)
        for case_id, case in cases.items():  # the first line of each case (and those alike)
            check(case.first, case_id, _first(case), expected[case_id], "the workspace", False)
        for d in differing:
            got = members(d.criterion, d.info or cases[d.case_id].info)
            check(d.ref, d.case_id, got, expected[d.case_id], "the workspace", False)
        _refuse(found, WORKSPACE_HEADER)
    # Among the files, every member (after the workspace's check, only the kind can differ):
    # the merged file copies them from the files.
    for d in differing:
        case = cases[d.case_id]
        got = members(d.criterion, d.info or case.info)
        check(d.ref, d.case_id, got, _first(case), str(origin(case.first)), True)
    _refuse(found, HEADER)


def _first(case: CaseSoFar) -> CaseMembers:
    return members(case.criterion, case.info)


HEADER = (
    "the files do not say the same of a case (its criterion, judge label, rater labels or "
    "disagreement kind), so their decisions cannot be merged. Was a file edited? (The kind "
    "also follows an ordinal scale's threshold: was it changed before a file was exported?)"
)
WORKSPACE_HEADER = (
    "the files do not say of a case what this workspace says (its criterion, judge label or "
    "rater labels), so their decisions cannot be merged. Was a file edited?"
)


def _refuse(found: list[tuple[int, str]], header: str) -> None:
    """Raise :class:`MergeError` listing the first ``MAX_LISTED`` problems, in file order."""
    if found:
        found.sort()
        more = len(found) - MAX_LISTED
        raise MergeError(
            header
            + "\n"
            + "\n".join(problem for _, problem in found[:MAX_LISTED])
            + (f"\n…and {more} more" if more > 0 else "")
        )
