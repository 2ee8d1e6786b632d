"""The decisions of a merge kept in a temporary file, not in memory, until the merge writes them.

Each decision is read as the JSON the merged file (or the workspace) takes of it (a "fragment",
``LabelledScan.reviews``): some 290 bytes, a million of them for 10 files of 100,000. Held as
bytes objects they were most of a merge's memory (about 320 of its 540 MB); once a file's
decisions are added to the cases (``collect.add_scan``) they go into one temporary file, and
the merge reads each back when it writes it. The file has no name on Linux (``O_TMPFILE``) and
is deleted when closed on Windows, so a merge that is killed leaves nothing behind; it lives
in the system's temporary folder, in its page cache mostly.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Sequence
from typing import IO, overload

_pread = getattr(os, "pread", None)  # (not on Windows: a seek and a read there)

READ_AHEAD = 64 * 1024
"""What a read of a file's fragments in their own order takes at once (``Spilled``)."""


class Spill:
    """One merge's temporary file of fragments; :meth:`keep` adds a file's."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0

    def keep(self, fragments: Sequence[bytes]) -> Spilled:
        """Write ``fragments`` to the file; what reads each back, by its row."""
        if self._file is None:
            # (open for the merge's life: closed with the merge's Collected, or by close())
            self._file = tempfile.TemporaryFile(prefix="annotator-merge-")  # noqa: SIM115
        offsets = array("Q", [self._end])
        end = self._end
        for fragment in fragments:
            end += len(fragment)
            offsets.append(end)
        self._file.seek(self._end)
        self._file.writelines(fragments)  # (not joined first: that would be a file's worth more)
        self._file.flush()
        self._end = end
        return Spilled(self, offsets)

    def read(self, start: int, end: int) -> bytes:
        assert self._file is not None
        if _pread is not None:
            return _pread(self._file.fileno(), end - start, start)
        self._file.seek(start)
        return self._file.read(end - start)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Spilled(Sequence[bytes]):
    """A file's fragments in the spill, by row (``scan.reviews`` as it was)."""

    def __init__(self, spill: Spill, offsets: array[int]) -> None:
        self._spill, self._offsets = spill, offsets
        # Read ahead while the fragments are read in their own order (the merge writes the
        # cases in id order, most often the files' order): one read of 64 KB for some 200
        # fragments, where each was a system call. Out of order, each is read by itself.
        self._next = -1
        self._buffer = b""
        self._buffer_start = 0

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, row: int) -> bytes: ...

    @overload
    def __getitem__(self, row: slice) -> Sequence[bytes]: ...

    def __getitem__(self, row: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        offsets = self._offsets
        if row < 0:
            row += len(self)
        start, end = offsets[row], offsets[row + 1]
        in_order, self._next = row == self._next, row + 1
        at = start - self._buffer_start
        if at >= 0 and end - self._buffer_start <= len(self._buffer):
            return self._buffer[at : at + end - start]
        if not in_order:
            return self._spill.read(start, end)
        last = offsets[-1]
        self._buffer = self._spill.read(start, min(last, max(end, start + READ_AHEAD)))
        self._buffer_start = start
        return self._buffer[: end - start]
