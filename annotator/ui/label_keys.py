"""Which label a digit key picks: on a scale of whole numbers, the number typed (digits typed in
quick succession make one number: 1 then 0 is 10); on any other scale, the n-th label (1-9)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

POSITION_KEYS = 9
"""Labels picked by their position (1-9) on a scale that is not one of whole numbers."""
PAUSE = 1.0
"""Seconds within which a second digit continues the number typed (1, 0: 10)."""


def typed(labels: Sequence[str]) -> bool:
    """Whether every label is a whole number written in digits: then its key is itself."""
    return bool(labels) and all(x.isascii() and x.isdigit() for x in labels)


def key_of(labels: Sequence[str], index: int) -> str:
    """The keys that choose ``labels[index]`` ("" when none do)."""
    if typed(labels):
        return labels[index]
    return str(index + 1) if index < POSITION_KEYS else ""


class LabelKeys:
    """Turns digit keys into a label's index, remembering the number being typed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._typed = ""
        self._at = float("-inf")

    def reset(self) -> None:
        """Forget the number being typed (another case is shown)."""
        self._typed = ""
        self._at = float("-inf")

    def pick(self, labels: Sequence[str], digit: int) -> int | None:
        """The index of the label ``digit`` chooses now, or None if no label is chosen."""
        if not typed(labels):
            self.reset()
            return digit - 1 if 1 <= digit <= min(len(labels), POSITION_KEYS) else None
        now = self._clock()
        number = self._typed + str(digit) if now - self._at <= PAUSE else str(digit)
        self._at = now
        index = _number_index(labels, number)
        if index is None and len(number) > 1:  # not a label: this digit starts a new number
            number = str(digit)
            index = _number_index(labels, number)
        self._typed = number
        return index


def _number_index(labels: Sequence[str], number: str) -> int | None:
    value = int(number)
    return next((i for i, x in enumerate(labels) if int(x) == value), None)
