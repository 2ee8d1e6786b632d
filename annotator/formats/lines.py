"""Opening a text file: its encoding, and its physical lines, streamed with exact line numbers."""

from __future__ import annotations

import codecs
import io
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from annotator.formats.errors import FileRefused, open_binary

HEAD_BYTES = 8192
"""How much of the file is read at open to detect its encoding and format."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8_HINT = "save it as UTF-8 (Excel: 'CSV UTF-8') or pass --encoding cp1252"


@dataclass(frozen=True)
class TextEncoding:
    codec: str
    """A Python codec name."""
    bom: int
    """Length of a UTF-8 byte order mark to skip (UTF-16/32 decoders skip their own)."""

    @property
    def bytewise(self) -> bool:
        """Whether lines can be split on the byte 0x0A before decoding (ASCII-compatible)."""
        return codecs.lookup(self.codec).name not in _WIDE

    @property
    def title(self) -> str:
        name = codecs.lookup(self.codec).name
        return name.upper() if name.startswith("utf") else name


_WIDE = {codecs.lookup(n).name for n in ("utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                          "utf-32-le", "utf-32-be")}  # fmt: skip


@dataclass(frozen=True)
class OpenedFile:
    path: Path
    size: int
    encoding: TextEncoding
    head: str
    """The decoded start of the file (at most HEAD_BYTES bytes, BOM removed)."""


def open_text(path: Path, requested: str | None) -> OpenedFile:
    """Check that ``path`` is a readable, non-empty text file and find its encoding."""
    with open_binary(path) as fh:
        try:
            size = path.stat().st_size
            head = fh.read(HEAD_BYTES)
        except OSError as e:
            raise FileRefused(path, f"cannot read the file: {e.strerror or e}") from None
    if size == 0 or not head:
        raise FileRefused(path, "the file has no cases")
    encoding = _encoding(path, head, requested)
    if encoding.bytewise and b"\x00" in head:
        hint = "" if requested else " (if it is UTF-16 without a byte order mark, pass --encoding)"
        raise FileRefused(path, f"not a text file{hint}")
    text = _decode_head(path, head, encoding, complete=size <= HEAD_BYTES)
    return OpenedFile(path, size, encoding, text)


def _encoding(path: Path, head: bytes, requested: str | None) -> TextEncoding:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return TextEncoding(codec, len(bom) if codec == "utf-8" else 0)
    if requested is None:
        return TextEncoding("utf-8", 0)
    try:
        name = codecs.lookup(requested).name
    except LookupError:
        raise FileRefused(path, f"unknown encoding '{requested}'") from None
    return TextEncoding("utf-8" if name == "utf-8-sig" else name, 0)


def _decode_head(path: Path, head: bytes, encoding: TextEncoding, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding.codec)()
    data = head[encoding.bom :]
    try:
        return decoder.decode(data, final=complete)
    except UnicodeDecodeError as e:
        if not encoding.bytewise:
            raise FileRefused(path, f"not valid {encoding.title}") from None
        before = data[: e.start]
        column = e.start - before.rfind(b"\n")
        line = before.count(b"\n") + 1
        raise _not_decodable(path, encoding, data[e.start], column, line) from None


def _not_decodable(
    path: Path, encoding: TextEncoding, byte: int, column: int, line: int | None
) -> FileRefused:
    where = f": byte 0x{byte:02x} at position {column}"
    hint = _UTF8_HINT if encoding.codec == "utf-8" else "pass the file's --encoding"
    return FileRefused(path, f"not valid {encoding.title}{where}; {hint}", line)


class Lines:
    """The physical lines of a file, decoded, each with its line ending; streamed.

    Lines end at "\\n" only. ``bytes_read`` counts the bytes consumed so far (exact for
    ASCII-compatible encodings, to the read buffer for UTF-16/32).
    """

    def __init__(self, opened: OpenedFile) -> None:
        self.opened = opened
        self.bytes_read = 0
        self.line = 0
        """Number of the line last yielded."""

    def __iter__(self) -> Generator[str, None, None]:
        self.bytes_read = 0
        self.line = 0
        if self.opened.encoding.bytewise:
            return self._bytewise()
        return self._wide()

    def _bytewise(self) -> Generator[str, None, None]:
        opened = self.opened
        decode = codecs.getdecoder(opened.encoding.codec)
        with opened.path.open("rb") as fh:
            for raw in fh:
                start = opened.encoding.bom if self.bytes_read == 0 else 0
                self.bytes_read += len(raw)
                self.line += 1
                try:
                    text = decode(raw[start:])[0]
                except UnicodeDecodeError as e:
                    column = e.start + 1
                    raise _not_decodable(
                        opened.path, opened.encoding, raw[start + e.start], column, self.line
                    ) from None
                yield text

    def _wide(self) -> Generator[str, None, None]:
        opened = self.opened
        with opened.path.open("rb") as fh:
            text = io.TextIOWrapper(fh, encoding=opened.encoding.codec, newline="\n")
            try:
                for line in text:
                    self.line += 1
                    self.bytes_read = fh.tell()
                    yield line
            except UnicodeDecodeError:
                message = f"not valid {opened.encoding.title} after line {self.line}"
                raise FileRefused(opened.path, message) from None
            finally:
                text.detach()
            self.bytes_read = opened.size
