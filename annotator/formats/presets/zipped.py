"""Records that are the ``.json`` members of one folder of a zip archive: Inspect AI's ``.eval``
logs keep each sample in ``samples/ID_epoch_N.json``. Read with the standard library's
``zipfile``, one member at a time (in natural order of their names: ``2_epoch_1`` before
``10_epoch_1``), so memory holds one sample, not the log."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Generator
from pathlib import Path

from annotator.formats.errors import FileRefused, open_binary
from annotator.formats.jsontext import JsonError, loads
from annotator.formats.long import natural
from annotator.formats.normalize import kind_of
from annotator.formats.records import RawRecord

MAX_MEMBER = 512 << 20
"""A member larger than this (uncompressed) is skipped, not read into memory."""
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
                  OSError, ValueError)  # fmt: skip
"""What reading one member raises when it cannot be read: a bad CRC or deflate stream, a
compression or encryption zipfile does not read, a member cut short."""
UNIT = "sample"
"""What a problem's number counts: the member's place in the folder, from 1."""


def is_zip(path: Path) -> bool:
    try:
        with open_binary(path) as fh:
            return fh.read(4) == b"PK\x03\x04"
    except (FileRefused, OSError):
        return False


class ZipRecords:
    """The ``.json`` members of ``folder`` in the archive ``path``, checked at open."""

    def __init__(self, path: Path, folder: str) -> None:
        self.path = path
        self.folder = folder
        self.bytes_read = 0
        try:
            self.size = path.stat().st_size
            with zipfile.ZipFile(path) as archive:
                infos = archive.infolist()
        except ZIP_ERRORS as e:
            raise FileRefused(path, f"not a readable zip archive ({e})") from None
        self.members = sorted(
            (i for i in infos if i.filename.startswith(folder) and i.filename.endswith(".json")),
            key=lambda i: natural(i.filename),
        )
        if not self.members:
            raise FileRefused(path, f"the archive has no {folder}*.json: it has no cases")
        self._total = sum(i.compress_size for i in self.members) or 1

    def records(self) -> Generator[RawRecord, None, None]:
        self.bytes_read = 0
        done = 0
        try:
            with zipfile.ZipFile(self.path) as archive:
                for n, info in enumerate(self.members, start=1):
                    yield self._record(archive, n, info)
                    done += info.compress_size
                    self.bytes_read = self.size * done // self._total
        except ZIP_ERRORS as e:
            raise FileRefused(self.path, f"cannot read the archive: {e}") from None

    def _record(self, archive: zipfile.ZipFile, n: int, info: zipfile.ZipInfo) -> RawRecord:
        where = info.filename
        if info.file_size > MAX_MEMBER:
            too_big = f"larger than {MAX_MEMBER >> 20} MB uncompressed: not read"
            return RawRecord(n, "", None, too_big, where=where)
        try:
            raw = archive.read(info)
        except ZIP_ERRORS as e:  # a damaged, encrypted or unknown member: skipped
            return RawRecord(n, "", None, f"cannot be read from the archive ({e})", where=where)
        try:
            text = raw.decode("utf-8")
            data = loads(text)
        except UnicodeDecodeError as e:
            return RawRecord(n, "", None, f"not valid UTF-8 (byte {e.start})", where=where)
        except JsonError as e:
            return RawRecord(n, text, None, f"invalid JSON: {e}", where=where)
        if not isinstance(data, dict):
            return RawRecord(
                n, text, None, f"not a JSON object (found {kind_of(data)})", where=where
            )
        return RawRecord(n, text, data, where=where)
