"""User settings: a small typed object saved as JSON in the config folder (no Qt needed)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from annotator import paths
from annotator.fileio import atomic_write
from annotator.untrusted import json_safe

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
    export_with_source: bool = False
    """Whether the last export wrote the source records with the decisions."""
    calibration_examples: int = 8
    """File › Export calibration pack…'s examples per criterion, as last chosen (at first
    ``services.calibration.DEFAULT_EXAMPLES``, as ``annotator calibrate``)."""
    text_scale: float = 1.0
    """Zoom of the case text (View › Larger text)."""
    appearance: str = "system"
    """View › Appearance: ``system``, ``light`` or ``dark``."""
    queue_views: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each recent workspace's search and queue filters (``QueuePanel.view_state``), by path:
    they belong to the workspace, and come back with it."""

    def keep_view(self, path: Path, view: dict[str, str]) -> None:
        """Remember the search and filters of the workspace at ``path`` (of the recent ones
        only: the others' are let go)."""
        self.queue_views[str(path)] = dict(view)
        recent = {str(path), *self.recent}
        self.queue_views = {k: v for k, v in self.queue_views.items() if k in recent and v}

    def add_recent(self, path: Path) -> None:
        text = str(path)
        self.recent = [text] + [p for p in self.recent if p != text]
        del self.recent[MAX_RECENT:]

    @classmethod
    def file(cls) -> Path:
        return paths.config_dir() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        """The saved settings; the defaults for what is missing, corrupt or of the wrong type
        (a damaged settings file never stops the app from starting)."""
        try:
            data: Any = json.loads(cls.file().read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # (RecursionError: nested too deeply)
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        settings = cls()
        for key, value in data.items():
            if key in known:
                checked = _checked(value, getattr(settings, key))
                if checked is not None:
                    setattr(settings, key, checked)
        return settings

    def save(self) -> str | None:
        """Write the settings. A config folder that cannot be written (read-only, full) keeps
        them for this session only: the reason is returned, in one line for the user, rather
        than raised (no setting is worth stopping the work for)."""
        try:
            with atomic_write(self.file()) as fh:
                fh.write(json_safe(json.dumps(asdict(self), indent=2, ensure_ascii=False)))
        except OSError as exc:
            where = exc.filename or paths.config_dir()
            return f"Settings not saved ({exc.strerror or exc}: {where}); they last this session."
        return None


def _checked(value: Any, default: Any) -> Any:
    """``value`` if it is of the type of ``default`` (a whole number for a float; a finite
    float; a list of strings for a list), else None."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:
            return None
    if not isinstance(value, type(default)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        return None
    if isinstance(value, dict):  # (queue_views: text by text, by path)
        return {
            k: {n: t for n, t in v.items() if isinstance(n, str) and isinstance(t, str)}
            for k, v in value.items()
            if isinstance(k, str) and isinstance(v, dict)
        }
    return value
