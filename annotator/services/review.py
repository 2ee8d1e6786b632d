"""Reviewing: reading a case, deciding it, skipping, undo and redo, progress.

Every change is committed at once, with an entry in the ``history`` table so that it can be
undone, even after the app was closed and opened again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from annotator.domain.disagreement import classify, who_was_right
from annotator.domain.merge import Review
from annotator.domain.model import (
    Case,
    Classification,
    Confidence,
    Decision,
    Kind,
    LabelScheme,
    Status,
    WhoRight,
)
from annotator.domain.queue import DISAGREEMENTS
from annotator.domain.rubric_versions import RUBRIC_GAP
from annotator.domain.serialize import case_from_dict
from annotator.domain.split import DEFAULT_FRACTION, DEFAULT_SEED, Part, part_of
from annotator.services.changes import NOTHING, RECLASSIFIED, Changes
from annotator.services.classification import change_threshold, check_threshold
from annotator.services.workspace import Clock, Workspace, now_iso
from annotator.storage import cases, decisions, reveals, rubric_versions, schemes
from annotator.storage.db import writing
from annotator.storage.decisions import MissingCase, State
from annotator.storage.queue import severity_condition
from annotator.storage.reviews import reviews_of
from annotator.storage.shown import shown

DEFAULT_TAGS = (
    "judge missed fact",
    "judge hallucinated",
    "rater error",
    "rubric ambiguous",
    "needs expert",
    "reference wrong",
    RUBRIC_GAP,
)


class ReviewError(ValueError):
    """A decision that cannot be saved; the message says why, for the user."""


class ChangedElsewhere(ReviewError):
    """The case was changed by another window or program since it was read (its
    :attr:`CaseDetail.version` no longer matches): nothing was written."""


@dataclass(frozen=True)
class FirstLabel:
    """A first label under blind-first review, committed before the judge and the raters
    were shown."""

    label: str
    revealed_at: str
    reviewer: str = ""


@dataclass(frozen=True)
class CaseDetail:
    row_id: int
    case: Case
    scheme: LabelScheme
    classification: Classification
    status: Status
    decision: Decision | None
    line: int
    source: str
    reviews: tuple[Review, ...] = ()
    """Reviewers' decisions merged in by a lead, in reviewer order (empty for a reviewer)."""
    draft: dict[str, Any] | None = None
    """What was typed on the case and not saved (``save_draft``), read with the case."""
    version: str = ""
    """The state's fingerprint when read: pass it as ``expected`` to a change, and the change
    is refused (:class:`ChangedElsewhere`) if someone else changed the case meanwhile."""
    merged_at: str | None = None
    """When the newest of ``reviews`` was merged: a decision taken before is the lead's own
    review, which settles nothing until it is saved again."""
    first: FirstLabel | None = None
    """The reviewer's first label, committed under blind-first review
    (:meth:`ReviewService.reveal`); None when not committed."""
    blind: bool = False
    """Shown blind: the project is reviewed blind first and the case is neither revealed nor
    decided. The window then shows no judge's verdict, rating or reviewer's decision."""

    rubric_version: int = 1
    """The current version of the case's criterion's rubric (``services/rubrics.py``)."""
    part: Part | None = None
    """A decided case's part of the held-out split, under the project's settings (None: not
    decided; a lead's case is decided by the lead's decision or the reviewers' unanimous
    label)."""
    other_runs: bool = True
    """The project has judge runs besides the imported one: the window reads their verdicts
    on the case (False: there are none to read)."""

    @property
    def stale_rubric(self) -> int | None:
        """The older rubric version the decision was taken under (None: decided under the
        current one, or undecided)."""
        decided = self.decision.rubric_version if self.decision is not None else None
        return decided if decided is not None and decided < self.rubric_version else None

    @property
    def own_review(self) -> bool:
        """The decision was taken before the reviews were merged (a lead's own review)."""
        return (
            self.decision is not None
            and self.merged_at is not None
            and self.decision.decided_at < self.merged_at
        )


@dataclass(frozen=True)
class Progress:
    total: int
    """Cases in review scope (disagreements, plus agreements when they are included)."""
    decided: int
    skipped: int
    all_cases: int
    all_decided: int

    @property
    def remaining(self) -> int:
        return self.total - self.decided


@dataclass(frozen=True)
class Change:
    """What an undo or redo did, so the UI can show it."""

    row_id: int
    ext_id: str
    action: str
    """``decide``, ``skip`` or ``clear``."""

    def describe(self) -> str:
        return f"{self.what} on {self.ext_id}"

    @property
    def what(self) -> str:
        """What was undone or redone, in a word: ``decision``, ``skip``, ``clearing``."""
        return {"decide": "decision", "skip": "skip", "clear": "clearing"}.get(
            self.action, self.action
        )

    @property
    def changes(self) -> Changes:
        return Changes.of_case(self.row_id)


class ReviewService:
    """Reading, deciding, skipping, clearing, undo and redo on one workspace.

    ``clock`` gives the time each change is stamped with (:func:`now_iso`; tests and scripts
    pass a clock of their own)."""

    def __init__(self, ws: Workspace, reviewer: str = "", *, clock: Clock = now_iso) -> None:
        self.ws = ws
        self.reviewer = reviewer
        self.clock = clock
        self._tags: list[str] | None = None
        """The tag vocabulary, read once: only this service adds to it (``decide``)."""
        self._ensure_tags()

    # -- reading ------------------------------------------------------------

    def case(self, row_id: int) -> CaseDetail:
        with self.ws.engine.connect() as conn:
            try:
                got = shown(conn, row_id)  # (one statement: the reviewer's most frequent read)
            except MissingCase:
                raise ReviewError(f"no case with row id {row_id}") from None
            reviews = reviews_of(conn, row_id) if got.has_reviews else ()
        row = got.record
        decision = _decision_of(got.decision)
        merged = got.merged_at if reviews else None
        fraction = DEFAULT_FRACTION if got.heldout_fraction is None else got.heldout_fraction
        seed = DEFAULT_SEED if got.split_seed is None else got.split_seed
        case = case_from_dict(json.loads(row.data))
        scheme = LabelScheme(
            tuple(json.loads(row.labels or "[]")),
            bool(row.ordinal),
            row.threshold or 0.0,
            row.rubric or "",
        )
        return CaseDetail(
            row_id,
            case,
            scheme,
            classify(case.judge.label, [r.label for r in case.ratings], scheme),
            Status(row.status),
            decision,
            row.line,
            row.path,
            reviews,
            got.draft,
            decisions.state_version({"status": row.status, "decision": got.decision}),
            merged,
            _first_of(got.reveal),
            got.blind_first and got.reveal is None and row.status != Status.DECIDED,
            rubric_version=got.rubric_version,
            part=_part(case.id, decision, reviews, merged, (fraction, seed)),
            other_runs=got.other_runs,
        )

    def row_id(self, ext_id: str) -> int | None:
        with self.ws.engine.connect() as conn:
            return cases.row_id(conn, ext_id)

    def progress(self, include_agreements: bool = False) -> Progress:
        kinds = set(DISAGREEMENTS)
        if include_agreements:
            kinds.add(Kind.AGREEMENT)
        with self.ws.engine.connect() as conn:
            counts = cases.status_counts(conn, severity_condition(kinds, "severity"))
        return Progress(
            counts.in_scope, counts.decided, counts.skipped, counts.all_cases, counts.all_decided
        )

    def last_row_id(self) -> int:
        """The largest row id a case has had: how large the workspace is, at once (counting
        its cases walks an index)."""
        with self.ws.engine.connect() as conn:
            return decisions.last_row_id(conn)

    def vocabulary(self) -> dict[str, list[str]]:
        """Distinct criteria, raters and labels, for filter menus."""
        with self.ws.engine.connect() as conn:
            return {
                "criteria": schemes.criteria(conn),
                "raters": cases.raters(conn),
                "labels": schemes.all_labels(conn),
            }

    def tags(self) -> list[str]:
        """Every tag offered, oldest first: the defaults, then those reviewers added."""
        if self._tags is None:
            with self.ws.engine.connect() as conn:
                self._tags = decisions.tags(conn)
        return list(self._tags)

    # -- changing ------------------------------------------------------------

    def decide(
        self,
        row_id: int,
        label: str,
        rationale: str,
        *,
        who_right: WhoRight | None = None,
        tags: tuple[str, ...] | list[str] = (),
        confidence: Confidence | None = None,
        expected: str | None = None,
    ) -> Changes:
        """Save (or replace) the decision on a case. A rationale is required. ``expected``:
        the :attr:`CaseDetail.version` the decision was made on (see :class:`ChangedElsewhere`).
        """
        detail = self.case(row_id)
        canonical = detail.scheme.canonical(label) if detail.scheme.labels else label
        if canonical is None:
            raise ReviewError(
                f"'{label}' is not a label of this case; "
                f"choose one of: {', '.join(detail.scheme.labels)}"
            )
        if not rationale.strip():
            raise ReviewError("Write a rationale: a decision cannot be saved without one.")
        if detail.blind:
            raise ReviewError(
                "This project is reviewed blind first: commit your first label (reveal) "
                "before deciding the case."
            )
        derived = who_was_right(
            canonical,
            detail.case.judge.label,
            [r.label for r in detail.case.ratings],
            detail.scheme,
        )
        clean_tags = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
        decision = Decision(
            label=canonical,
            rationale=rationale.strip(),
            who_right=who_right or derived,
            who_right_overridden=who_right is not None and who_right != derived,
            tags=clean_tags,
            confidence=confidence,
            reviewer=self.reviewer,
            decided_at=self.clock(),
        )
        offered = self.tags()
        with writing(self.ws.engine) as conn:
            decisions.add_tags(conn, [(tag, self.clock()) for tag in clean_tags])
            # taken under the criterion's rubric as it is now (an older decision confirmed
            # unchanged is stamped with it too: it is no longer stale)
            current = rubric_versions.current_version(conn, detail.case.criterion)
            decision = replace(decision, rubric_version=current)
            self._change(
                conn,
                row_id,
                "decide",
                {"status": int(Status.DECIDED), "decision": _decision_dict(decision)},
                expected,
            )
        new_tag = not set(clean_tags) <= set(offered)
        if new_tag:
            self._tags = None  # read the vocabulary again, in its order
        return Changes.of_case(row_id, vocabulary=new_tag)

    def skip(self, row_id: int, expected: str | None = None) -> Changes:
        """Mark an undecided case as skipped, to come back to it later."""
        with writing(self.ws.engine) as conn:
            now = _state(conn, row_id)
            _check_version(conn, row_id, now, expected)
            if now["status"] != Status.UNDECIDED:
                return NOTHING
            skipped = {"status": int(Status.SKIPPED), "decision": None}
            self._change(conn, row_id, "skip", skipped)
        return Changes.of_case(row_id)

    def clear(self, row_id: int, expected: str | None = None) -> Changes:
        """Remove the decision on a case (undoable)."""
        with writing(self.ws.engine) as conn:
            now = _state(conn, row_id)
            _check_version(conn, row_id, now, expected)
            if now["status"] == Status.UNDECIDED:
                return NOTHING
            undecided = {"status": int(Status.UNDECIDED), "decision": None}
            self._change(conn, row_id, "clear", undecided)
        return Changes.of_case(row_id)

    def reveal(self, row_id: int, label: str, expected: str | None = None) -> Changes:
        """Commit the first label of a case under blind-first review, with the time, in a
        transaction of its own: the judge's and the raters' labels are shown after it. Undo
        takes the reveal back together with its first label. A case already revealed keeps
        its first label (nothing is written)."""
        detail = self.case(row_id)
        if detail.first is not None:
            return NOTHING
        if not detail.blind:
            raise ReviewError(
                f"{detail.case.id} is not shown blind (the project is not reviewed blind first, "
                "or the case is decided): there is no first label to keep."
            )
        canonical = detail.scheme.canonical(label) if detail.scheme.labels else label
        if canonical is None or not canonical.strip():
            raise ReviewError(
                f"'{label}' is not a label of this case; "
                f"choose one of: {', '.join(detail.scheme.labels)}"
            )
        with writing(self.ws.engine) as conn:
            now = _state(conn, row_id)
            _check_version(conn, row_id, now, expected)
            if reveals.reveal(conn, row_id) is not None:  # (revealed meanwhile, elsewhere)
                return NOTHING
            first = {
                "blind_label": canonical,
                "revealed_at": self.clock(),
                "reviewer": self.reviewer,
            }
            reveals.set_reveal(conn, row_id, first)
            decisions.delete_draft(conn, row_id)  # the draft's label became the first label
            decisions.record(
                conn,
                [(row_id, "reveal", {**now, "reveal": None}, {**now, "reveal": first})],
                self.clock(),
            )
        return Changes.of_case(row_id)

    def save_draft(self, row_id: int, draft: dict[str, Any]) -> None:
        """Keep unsaved input on a case, so that a crash or a restart does not lose it."""
        with writing(self.ws.engine) as conn:
            decisions.save_draft(conn, row_id, draft, self.clock())

    def draft(self, row_id: int) -> dict[str, Any] | None:
        with self.ws.engine.connect() as conn:
            return decisions.draft(conn, row_id)

    def discard_draft(self, row_id: int) -> None:
        with writing(self.ws.engine) as conn:
            decisions.delete_draft(conn, row_id)

    def _change(
        self,
        conn: Connection,
        row_id: int,
        action: str,
        after: State,
        expected: str | None = None,
    ) -> None:
        before = _state(conn, row_id)
        _check_version(conn, row_id, before, expected)
        decisions.apply_state(conn, row_id, after)
        if action == "decide":  # the draft became the decision
            decisions.delete_draft(conn, row_id)
        decisions.record(conn, [(row_id, action, before, after)], self.clock())

    def undo(self) -> Change | None:
        return self._step(undo=True)

    def redo(self) -> Change | None:
        return self._step(undo=False)

    def peek(self, undo: bool) -> Change | None:
        with self.ws.engine.connect() as conn:
            step = decisions.next_step(conn, undo)
        return Change(step.case_id, step.ext_id, step.action) if step else None

    def _step(self, undo: bool) -> Change | None:
        with writing(self.ws.engine) as conn:
            step = decisions.next_step(conn, undo)
            if step is None:
                return None
            # The case must still be as the step left it: a change made since (in another
            # window, or by a merge) is never overwritten by an undo.
            now = _state(conn, step.case_id)
            left = step.after if undo else step.before
            if "reveal" in left:  # a reveal's entry: the first label must be as it left it too
                now["reveal"] = reveals.reveal(conn, step.case_id)
            if decisions.state_version(now) != decisions.state_version(left) or (
                "reveal" in left and not _same_reveal(now["reveal"], left["reveal"])
            ):
                verb = "undo" if undo else "redo"
                raise ChangedElsewhere(
                    f"Cannot {verb} the {step.action} on {step.ext_id}: the case was changed "
                    "since, in another window or program. Nothing was changed."
                )
            decisions.apply_state(conn, step.case_id, step.before if undo else step.after)
            decisions.mark_step(conn, step.seq, undone=undo)
        return Change(step.case_id, step.ext_id, step.action)

    def set_threshold(self, criterion: str, threshold: float) -> Changes:
        """Change an ordinal scale's disagreement threshold and reclassify its cases.

        Decisions whose "who was right" was derived follow the new scale.
        """
        try:
            check_threshold(threshold)
        except ValueError as exc:
            raise ReviewError(str(exc)) from None
        with writing(self.ws.engine) as conn:
            change_threshold(conn, criterion, threshold)
        return RECLASSIFIED

    def _ensure_tags(self) -> None:
        with self.ws.engine.connect() as conn:
            if decisions.has_tags(conn) or self.ws.read_only:
                return
        with writing(self.ws.engine) as conn:
            if decisions.has_tags(conn):
                return
            stamp = self.clock()
            decisions.add_tags(conn, [(t, f"{stamp}#{i:02d}") for i, t in enumerate(DEFAULT_TAGS)])


def _check_version(conn: Connection, row_id: int, now: State, expected: str | None) -> None:
    if expected is None or decisions.state_version(now) == expected:
        return
    ext_id = cases.ext_id(conn, row_id) or str(row_id)
    status = Status(now["status"]).name.lower()
    decision = now["decision"]
    what = (
        f"decided '{decision['label']}' by {decision['reviewer'] or 'someone'}"
        if decision is not None
        else status
    )
    raise ChangedElsewhere(
        f"Not saved: {ext_id} was changed in another window or program since it was shown "
        f"(it is now {what}). It is shown again as it is now; what you typed is kept."
    )


def _state(conn: Connection, row_id: int) -> State:
    try:
        return decisions.state(conn, row_id)
    except MissingCase:
        raise ReviewError(f"no case with row id {row_id}") from None


def _same_reveal(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    return all((a.get(k) or "") == (b.get(k) or "") for k in reveals.COLUMNS)


def _first_of(row: dict[str, Any] | None) -> FirstLabel | None:
    if row is None:
        return None
    return FirstLabel(row["blind_label"], row["revealed_at"], row["reviewer"] or "")


def _decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "label": d.label,
        "rationale": d.rationale,
        "who_right": d.who_right.value,
        "who_right_overridden": d.who_right_overridden,
        "tags": list(d.tags),
        "confidence": d.confidence.value if d.confidence else None,
        "reviewer": d.reviewer,
        "decided_at": d.decided_at,
        "rubric_version": d.rubric_version,
    }


def _decision_of(d: dict[str, Any] | None) -> Decision | None:
    if d is None:
        return None
    return Decision(
        label=d["label"],
        rationale=d["rationale"],
        who_right=WhoRight(d["who_right"]),
        who_right_overridden=bool(d["who_right_overridden"]),
        tags=tuple(d["tags"]),
        confidence=Confidence(d["confidence"]) if d["confidence"] else None,
        reviewer=d["reviewer"],
        decided_at=d["decided_at"],
        rubric_version=int(d.get("rubric_version") or 1),
    )


def _part(
    case_id: str,
    decision: Decision | None,
    reviews: tuple[Review, ...],
    merged: str | None,
    split: tuple[float, int],
) -> Part | None:
    """The case's part of the held-out split, if it has a final label (as
    ``storage.split.DECIDED`` says in SQL, and ``domain.merge.MergedCase.final_label``): a
    decision that settles it (not a lead's own review, taken before the reviewers' files
    were merged, that they disagree with), or the reviewers' unanimous label."""
    own = decision is not None and merged is not None and decision.decided_at < merged
    labels = {r.label for r in reviews} | ({decision.label} if own and decision else set())
    settled = decision is not None and (not own or len(labels) == 1)
    if not settled and not (reviews and len(labels) == 1):
        return None
    fraction, seed = split
    return part_of(seed, case_id, fraction)
