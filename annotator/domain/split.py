"""The held-out split: every decided case is in the *examples* or in the *held-out* part.

A case's part is a pure function of the split's seed and the case's id: SHA-256 of the two gives
the case a position in [0, 1), and a case whose position is below the held-out fraction is held
out. Nothing else counts (not the case's label, not the other cases, not the project fingerprint,
which changes whenever a case is added), so a case never moves when more decisions arrive, when
a decision is changed, or when cases are added; it moves only if the seed or the fraction is
changed, and raising the fraction only moves cases from the examples to the held-out part.

Stratification is therefore by expectation, not by rank: within each criterion x final label,
each case is held out with the same probability, so every stratum is split in the fraction on
average, and :func:`strata` reports how far each actually is. Splitting each stratum exactly (by
ranking its cases) would move cases whenever a decision arrives or a label changes; the promise
that a case never moves is kept absolutely instead (docs/alignment.md, "The split").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

DEFAULT_FRACTION = 0.5
"""The share of decided cases held out."""
DEFAULT_SEED = 0

_SPAN = float(2**64)


class Part(StrEnum):
    EXAMPLES = "examples"
    HELDOUT = "heldout"


def check_fraction(fraction: float) -> float:
    """``fraction`` if it is a share of the cases (0 to 1), else ValueError."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"the held-out fraction must be between 0 and 1, not {fraction}")
    return fraction


def position(seed: int, case_id: str) -> float:
    """Where the case falls in [0, 1): the first 8 bytes of SHA-256 of the seed and the case id
    (UTF-8, joined by a unit separator, U+001F), big-endian, as a fraction of 2**64."""
    key = f"{seed}\x1f{case_id}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / _SPAN


def part_of(seed: int, case_id: str, fraction: float) -> Part:
    """The case's part: held out when its position is below ``fraction``."""
    return parts(seed, fraction)(case_id)


@lru_cache(maxsize=16)
def parts(seed: int, fraction: float) -> Callable[[str], Part]:
    """:func:`part_of` for one seed and fraction, made once: an export asks it of a million
    cases. ``position < fraction`` is decided as ``float(n) < fraction * 2**64`` (``n`` the
    hash's first 8 bytes): the same comparison, scaled by a power of two, without dividing."""
    prefix = f"{seed}\x1f".encode()
    limit = fraction * _SPAN
    sha256 = hashlib.sha256
    held, examples = Part.HELDOUT, Part.EXAMPLES

    def part(case_id: str) -> Part:
        n = int.from_bytes(sha256(prefix + case_id.encode()).digest()[:8], "big")
        return held if float(n) < limit else examples

    return part


@dataclass(frozen=True)
class Stratum:
    """One criterion x final label, and how its cases fell."""

    criterion: str
    label: str
    examples: int
    heldout: int

    @property
    def total(self) -> int:
        return self.examples + self.heldout

    @property
    def heldout_share(self) -> float:
        return self.heldout / self.total if self.total else 0.0

    def to_json(self) -> dict[str, str | int | float]:
        """As the pack's manifest and ``annotator split --json`` give it."""
        return {
            "criterion": self.criterion,
            "final_label": self.label,
            "examples": self.examples,
            "heldout": self.heldout,
            "heldout_share": round(self.heldout_share, 6),
        }


class Strata:
    """How the cases of each criterion x final label fell, counted one case at a time."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], list[int]] = {}

    def add(self, criterion: str, label: str, part: Part) -> None:
        pair = self._counts.setdefault((criterion, label), [0, 0])
        pair[part is Part.HELDOUT] += 1

    def rows(self) -> list[Stratum]:
        """Per criterion x final label, sorted."""
        return [Stratum(c, lab, e, h) for (c, lab), (e, h) in sorted(self._counts.items())]


def strata(assigned: Iterable[tuple[str, str, Part]]) -> list[Stratum]:
    """:meth:`Strata.rows` of (criterion, final label, part) triples."""
    tally = Strata()
    for criterion, label, part in assigned:
        tally.add(criterion, label, part)
    return tally.rows()
