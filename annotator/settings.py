"""User settings: a small typed object saved as JSON in the config folder (no Qt needed)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from annotator import paths
from annotator.fileio import atomic_write

MAX_RECENT = 10


@dataclass
class Settings:
    reviewer: str = ""
    recent: list[str] = field(default_factory=list)
    """Recently opened workspaces, newest first."""
    include_agreements: bool = False
    show_queue: bool = True
    export_dir: str = ""
    """Where the last labelled file was written."""
    text_scale: float = 1.0
    """Zoom of the case text (View › Larger text)."""

    def add_recent(self, path: Path) -> None:
        text = str(path)
        self.recent = [text] + [p for p in self.recent if p != text]
        del self.recent[MAX_RECENT:]

    @classmethod
    def file(cls) -> Path:
        return paths.config_dir() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        try:
            data: Any = json.loads(cls.file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        settings = cls()
        for key, value in data.items():
            default = getattr(settings, key, None)
            if (
                isinstance(default, float)
                and isinstance(value, int)
                and not isinstance(value, bool)
            ):
                value = float(value)
            if key in known and isinstance(value, type(default)):
                setattr(settings, key, value)
        return settings

    def save(self) -> None:
        with atomic_write(self.file()) as fh:
            json.dump(asdict(self), fh, indent=2, ensure_ascii=False)
