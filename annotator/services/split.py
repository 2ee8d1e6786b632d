"""The project's held-out split (docs/alignment.md, "The split"): its settings, and how the
decided cases fall under them.

The settings (``project.heldout_fraction`` and ``project.split_seed``) are the project's: the
queue's Split column and filter, the exports' ``split`` field and the calibration pack all use
them. Changing them moves cases between the parts (:func:`moves` counts how many first).
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.domain.split import Part, Strata, Stratum, check_fraction, part_of
from annotator.services.changes import Changes
from annotator.services.workspace import Workspace
from annotator.storage import project as stored_project
from annotator.storage import split as stored_split
from annotator.storage.db import writing

SPLIT_CHANGED = Changes(queue=True, alignment=True)
"""The settings changed: the queue's Split column and filter, and the case's part, are read
again."""


@dataclass(frozen=True)
class SplitSettings:
    """The share of decided cases held out, and the seed of the hash that places them."""

    fraction: float
    seed: int

    def moving_to(self, after: SplitSettings) -> Part | None:
        """Where the cases that move go when the settings change to ``after``: every case is
        placed afresh by a new seed (None); a larger share moves cases only to the held-out
        part, a smaller one only to the examples."""
        if after.seed != self.seed:
            return None
        return Part.HELDOUT if after.fraction > self.fraction else Part.EXAMPLES

    def part(self, case_id: str) -> Part:
        """The part of a decided case (``domain.split.part_of``)."""
        return part_of(self.seed, case_id, self.fraction)

    def describe(self) -> str:
        return f"held-out share {self.fraction:g}, split seed {self.seed}"


@dataclass(frozen=True)
class SplitCounts:
    """How the decided cases fall under some settings."""

    settings: SplitSettings
    examples: int
    heldout: int
    strata: list[Stratum]
    """Per criterion x final label."""

    @property
    def decided(self) -> int:
        return self.examples + self.heldout


def split_settings(ws: Workspace) -> SplitSettings:
    with ws.engine.connect() as conn:
        fraction, seed = stored_project.split_settings(conn)
    return SplitSettings(fraction, seed)


def set_split_settings(ws: Workspace, settings: SplitSettings) -> Changes:
    """Save the project's split settings (ValueError for a fraction outside 0 to 1)."""
    check_fraction(settings.fraction)
    with writing(ws.engine) as conn:
        stored_project.set_split_settings(conn, settings.fraction, settings.seed)
    return SPLIT_CHANGED


def part_counts(ws: Workspace, settings: SplitSettings | None = None) -> tuple[int, int]:
    """``(examples, held-out)``: how many decided cases each part holds under ``settings``
    (default: the project's), counted in SQL."""
    settings = settings or split_settings(ws)
    with ws.engine.connect() as conn:
        return stored_split.part_counts(conn, settings.fraction, settings.seed)


def split_counts(ws: Workspace, settings: SplitSettings | None = None) -> SplitCounts:
    """How the decided cases fall under ``settings`` (default: the project's), per part and
    per criterion x final label. Reads every decided case once."""
    settings = settings or split_settings(ws)
    tally = Strata()
    parts = {Part.EXAMPLES: 0, Part.HELDOUT: 0}
    with ws.engine.connect() as conn:
        for case_id, criterion, label in stored_split.decided_rows(conn):
            part = settings.part(case_id)
            parts[part] += 1
            tally.add(criterion, label, part)
    return SplitCounts(settings, parts[Part.EXAMPLES], parts[Part.HELDOUT], tally.rows())


def moves(ws: Workspace, new: SplitSettings) -> int:
    """How many decided cases would change part if the project's settings became ``new``."""
    check_fraction(new.fraction)
    old = split_settings(ws)
    if old == new:
        return 0
    with ws.engine.connect() as conn:
        return stored_split.moving(conn, (old.fraction, old.seed), (new.fraction, new.seed))


def examples_held_out(ws: Workspace, settings: SplitSettings | None = None) -> int:
    """How many held-out cases under ``settings`` (default: the project's) a calibration pack
    written earlier gave as examples (the split changed since): the Alignment page warns of
    them, and ``annotator split`` says so before a judge is measured on them."""
    settings = settings or split_settings(ws)
    with ws.engine.connect() as conn:
        return stored_split.examples_held_out(conn, settings.fraction, settings.seed)


def leak_words(leaked: int) -> str:
    """What it means that ``leaked`` held-out cases were a calibration pack's examples (the
    command line says it after "Warning: ", the window's split dialog after "Under these
    settings, ")."""
    s, were = ("", "was") if leaked == 1 else ("s", "were")
    return (
        f"{leaked} held-out case{s} {were} given as examples in a calibration pack written "
        "under other split settings: a judge run whose prompt came from that pack may have "
        "seen them, and the Alignment page's held-out figures count them (keep the settings "
        "the pack was written with to measure the runs fairly)."
    )
