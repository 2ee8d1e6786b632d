"""What the readers report: a refused file, or one skipped line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO


class FileRefused(Exception):
    """The whole file is refused; nothing of it may be imported."""

    def __init__(
        self, path: Path, message: str, line: int | None = None, *, unit: str = "line"
    ) -> None:
        self.path = Path(path)
        self.message = message
        self.line = line
        self.unit = unit
        """What ``line`` counts: "line", or "row" for a file without lines (Parquet)."""
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f", {self.unit} {self.line}" if self.line is not None else ""
        return f"{self.path.name}{where}: {self.message}"


@dataclass(frozen=True)
class LineProblem:
    """One record that was skipped, and why."""

    line: int
    """1-based physical line number (for CSV and JSON: the line where the record starts; for
    Parquet: the row number)."""
    message: str
    unit: str = "line"
    """What ``line`` counts: "line", or "row" (Parquet)."""
    file: Path | None = field(default=None, kw_only=True)
    """The file the line is in when it is not the one read (a joined file's)."""

    def describe(self, path: Path) -> str:
        return f"{Path(self.file or path).name}, {self.unit} {self.line}: {self.message}"


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, or refuse it saying why in words for the user."""
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise FileRefused(path, "file not found") from None
    except IsADirectoryError:
        raise FileRefused(path, "this is a folder, not a file") from None
    except OSError as e:
        raise FileRefused(path, f"cannot read the file: {e.strerror or e}") from None
