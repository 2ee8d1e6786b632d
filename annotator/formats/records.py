"""One record as a format reader sees it, before mapping and normalization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawRecord:
    line: int
    """Where the record starts (1-based physical line)."""
    raw: str
    """The record verbatim (JSONL: the line; CSV: the row as a JSON object)."""
    data: dict[str, Any] | None
    """The record in nested form, or None when it could not be read (see ``problem``)."""
    problem: str | None = None
    flat: dict[str, str] | None = None
    """CSV only: the row by column name."""
    where: str = ""
    """Where the record is, besides its line, for messages: "item [12]" in a JSON array."""
