"""A draft: what the reviewer has entered in the decision panel and not saved yet.

The controller keeps it in the workspace (as JSON) as the reviewer types, and gives it back to
the panel when they return to the case, so moving away, closing the app or a crash never loses
it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotator.domain.model import Confidence, WhoRight


@dataclass(frozen=True)
class Draft:
    """What the reviewer has entered so far."""

    label: str | None
    rationale: str
    who_right: WhoRight | None
    """None: derive it from the label."""
    tags: tuple[str, ...]
    confidence: Confidence | None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "rationale": self.rationale,
            "who_right": self.who_right.value if self.who_right else None,
            "tags": list(self.tags),
            "confidence": self.confidence.value if self.confidence else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        who, conf = str(data.get("who_right")), str(data.get("confidence"))
        return cls(
            label=data.get("label"),
            rationale=str(data.get("rationale", "")),
            who_right=WhoRight(who) if who in set(WhoRight) else None,
            tags=tuple(str(t) for t in data.get("tags", [])),
            confidence=Confidence(conf) if conf in set(Confidence) else None,
        )
