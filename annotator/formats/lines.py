"""Opening a text file: its encoding, and its physical lines, streamed with exact line numbers."""

from __future__ import annotations

import codecs
import io
import re
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
        info = codecs.lookup(requested)
    except (LookupError, ValueError, TypeError):  # (ValueError: a name with a NUL)
        raise FileRefused(path, f"unknown encoding '{requested}'") from None
    if not info._is_text_encoding:  # rot13, hex, base64, zlib: not a way to write text
        raise FileRefused(
            path, f"'{requested}' is not a text encoding (try utf-8, cp1252 or utf-16)"
        )
    name = info.name
    return TextEncoding("utf-8" if name == "utf-8-sig" else name, 0)


def _decode_head(path: Path, head: bytes, encoding: TextEncoding, complete: bool) -> str:
    data = head[encoding.bom :]
    try:
        decoder = codecs.getincrementaldecoder(encoding.codec)()
        text: str = decoder.decode(data, final=complete)
    except UnicodeDecodeError as e:
        if not encoding.bytewise:
            raise FileRefused(path, f"not valid {encoding.title}") from None
        before = data[: e.start]
        column = e.start - before.rfind(b"\n")
        line = before.count(b"\n") + 1
        byte = data[e.start] if e.start < len(data) else None
        raise _not_decodable(path, encoding, byte, column, line) from None
    except _CODEC_ERRORS as e:
        raise _undecodable(path, encoding, e, None) from None
    _refuse_surrogates(path, encoding, text, None)
    return text


_CODEC_ERRORS = (UnicodeError, ValueError, TypeError, LookupError)
"""What a codec may raise on bytes it cannot decode (idna and punycode raise UnicodeError)."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_surrogates(path: Path, encoding: TextEncoding, text: str, line: int | None) -> None:
    """A codec such as utf-7 or unicode_escape can decode to a lone surrogate, which is not a
    character (no UTF-8 file or database holds it); UTF-8, UTF-16 and UTF-32 refuse it."""
    if encoding.codec != "utf-8" and _SURROGATE.search(text):
        raise FileRefused(path, f"not valid {encoding.title}: a lone surrogate", line)


def _not_decodable(
    path: Path, encoding: TextEncoding, byte: int | None, column: int, line: int | None
) -> FileRefused:
    where = f": byte 0x{byte:02x} at position {column}" if byte is not None else ""
    hint = _UTF8_HINT if encoding.codec == "utf-8" else "pass the file's --encoding"
    return FileRefused(path, f"not valid {encoding.title}{where}; {hint}", line)


def _undecodable(
    path: Path, encoding: TextEncoding, error: Exception, line: int | None
) -> FileRefused:
    if "does not start with BOM" in str(error):  # UTF-16/32 asked for, without a BOM
        bare = encoding.codec.replace("_", "-")
        return FileRefused(
            path,
            f"cannot be read as {encoding.title}: it does not start with a byte order mark; "
            f"pass --encoding {bare}-le (or {bare}-be)",
            line,
        )
    return FileRefused(path, f"cannot be read as {encoding.title} ({error})", line)


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
        check = opened.encoding.codec != "utf-8"
        with open_binary(opened.path) as fh:
            try:
                for raw in fh:
                    start = opened.encoding.bom if self.bytes_read == 0 else 0
                    self.bytes_read += len(raw)
                    self.line += 1
                    try:
                        text = decode(raw[start:])[0]
                    except UnicodeDecodeError as e:
                        at = start + e.start
                        byte = raw[at] if at < len(raw) else None
                        raise _not_decodable(
                            opened.path, opened.encoding, byte, e.start + 1, self.line
                        ) from None
                    except _CODEC_ERRORS as e:
                        raise _undecodable(opened.path, opened.encoding, e, self.line) from None
                    if check:
                        _refuse_surrogates(opened.path, opened.encoding, text, self.line)
                    yield text
            except OSError as e:  # a disk or network failure while reading
                raise _unreadable(opened.path, e, self.line) from None

    def _wide(self) -> Generator[str, None, None]:
        opened = self.opened
        with open_binary(opened.path) as fh:
            text = io.TextIOWrapper(fh, encoding=opened.encoding.codec, newline="\n")
            try:
                for line in text:
                    self.line += 1
                    self.bytes_read = fh.tell()
                    yield line
            except UnicodeError:
                message = f"not valid {opened.encoding.title} after line {self.line}"
                raise FileRefused(opened.path, message) from None
            except OSError as e:
                raise _unreadable(opened.path, e, self.line) from None
            finally:
                text.detach()
            self.bytes_read = opened.size


def _unreadable(path: Path, error: OSError, after: int | None) -> FileRefused:
    where = f" after line {after}" if after else ""
    return FileRefused(path, f"cannot read the file{where}: {error.strerror or error}")


class TextReader:
    """The decoded text of a file, read in pieces of a size the caller asks for, with the same
    checks as :class:`Lines` (the encoding, lone surrogates, read errors). For readers that
    are not line by line (a JSON array). Use as a context manager; ``bytes_read`` counts the
    bytes read so far."""

    def __init__(self, opened: OpenedFile) -> None:
        self.opened = opened
        self.bytes_read = 0
        self._fh = open_binary(opened.path)
        self._decoder = codecs.getincrementaldecoder(opened.encoding.codec)()
        self._line = 1
        """The line at the end of the text returned so far (for messages)."""
        self._done = False

    def __enter__(self) -> TextReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def read(self, size: int) -> str:
        """At least one character of text unless the file has ended (then "")."""
        while not self._done:
            text = self._decode(self._read_bytes(size))
            if text:
                return text
        return ""

    def _read_bytes(self, size: int) -> bytes:
        opened = self.opened
        try:
            data = self._fh.read(size)
        except OSError as e:  # a disk or network failure while reading
            raise _unreadable(opened.path, e, self._line) from None
        self._done = not data
        skip = opened.encoding.bom if self.bytes_read == 0 else 0
        self.bytes_read += len(data)
        return data[skip:]

    def _decode(self, data: bytes) -> str:
        opened = self.opened
        encoding = opened.encoding
        try:
            text: str = self._decoder.decode(data, final=self._done)
        except UnicodeDecodeError as e:
            if not encoding.bytewise:
                message = f"not valid {encoding.title} after line {self._line}"
                raise FileRefused(opened.path, message) from None
            raw = e.object if isinstance(e.object, bytes) else data
            line = self._line + raw.count(b"\n", 0, e.start)
            column = e.start - raw.rfind(b"\n", 0, e.start)
            byte = raw[e.start] if e.start < len(raw) else None
            raise _not_decodable(opened.path, encoding, byte, column, line) from None
        except _CODEC_ERRORS as e:
            raise _undecodable(opened.path, encoding, e, self._line) from None
        if encoding.codec != "utf-8":
            _refuse_surrogates(opened.path, encoding, text, self._line)
        self._line += text.count("\n")
        return text
