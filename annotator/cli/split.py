"""``annotator split WS [--fraction F] [--seed N] [--json]``: the project's held-out split."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from annotator import console
from annotator.domain.split import Part, check_fraction
from annotator.services.split import (
    SplitCounts,
    SplitSettings,
    examples_held_out,
    leak_words,
    moves,
    set_split_settings,
    split_counts,
    split_settings,
)
from annotator.services.workspace import Workspace


def split_command(ws: Workspace, fraction: float | None, seed: int | None, as_json: bool) -> str:
    """Set the settings given (ValueError for a fraction outside 0 to 1), then the split as
    text or JSON."""
    before = split_settings(ws)
    after = before
    if fraction is not None:
        after = replace(after, fraction=check_fraction(fraction))
    if seed is not None:
        after = replace(after, seed=seed)
    moved = moves(ws, after)
    if after != before:
        set_split_settings(ws, after)
    counts = split_counts(ws, after)
    leaked = examples_held_out(ws, after)
    if as_json:
        return console.json_text(_json(counts, before, moved, leaked))
    return _text(counts, before, moved, leaked)


def moved_words(before: SplitSettings, after: SplitSettings, moved: int) -> str:
    """Which way ``moved`` decided cases go when the settings change from ``before``."""
    cases = f"{moved} decided case{'' if moved == 1 else 's'}"
    to = before.moving_to(after)
    if to is None:
        return f"{cases} change part"
    if to is Part.HELDOUT:
        return f"{cases} move from examples to held-out"
    return f"{cases} move from held-out to examples"


def _text(counts: SplitCounts, before: SplitSettings, moved: int, leaked: int) -> str:
    settings = counts.settings
    lines = []
    if settings != before:
        lines.append(f"Was {before.describe()}; {moved_words(before, settings, moved)}.")
    lines.append(f"Held-out split: {settings.describe()}.")
    lines.append(
        f"{counts.decided} decided cases: {counts.examples} examples, {counts.heldout} held-out."
    )
    if leaked:
        lines.append(f"Warning: {leak_words(leaked)}")
    if counts.strata:
        rows = [("criterion", "final label", "examples", "held-out", "held-out share")]
        rows += [
            (
                s.criterion or "-",
                s.label,
                str(s.examples),
                str(s.heldout),
                f"{s.heldout_share:.2f}",
            )
            for s in counts.strata
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines.append("")
        for row in rows:
            left = [cell.ljust(widths[i]) for i, cell in enumerate(row[:2])]
            right = [cell.rjust(widths[i + 2]) for i, cell in enumerate(row[2:])]
            lines.append("  ".join(left + right).rstrip())
    return "\n".join(lines) + "\n"


def _json(counts: SplitCounts, before: SplitSettings, moved: int, leaked: int) -> dict[str, Any]:
    return {
        "heldout_fraction": counts.settings.fraction,
        "seed": counts.settings.seed,
        "changed_from": None
        if counts.settings == before
        else {"heldout_fraction": before.fraction, "seed": before.seed, "moved": moved},
        "decided": counts.decided,
        "examples": counts.examples,
        "heldout": counts.heldout,
        "heldout_examples": leaked,
        "strata": [s.to_json() for s in counts.strata],
    }
