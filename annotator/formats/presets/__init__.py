"""Presets: the exports of the tools people use, read as cases by name (``--preset NAME``) and
recognised from a file's start (the import dialog offers the one it finds).

    from annotator.formats import presets
    found = presets.detect(path)          # a Preset, or None
    if found is not None:
        ask(found.question)               # "Looks like a Label Studio JSON export: use ..."
    reader = CaseReader(path, mapping, preset=found)   # the preset's mapping, ``mapping`` over it

Each preset (``presets/<name>.py``) says where its format is documented (``doc_url``) and
what it makes of it (``description``); docs/formats.md ("Presets") has the same, with the
command for each.
"""

from __future__ import annotations

import codecs
import shlex
import zipfile
from pathlib import Path

from annotator.formats.presets import alpaca_eval, inspect_ai, label_studio, mt_bench, promptfoo
from annotator.formats.presets.base import KEY, Preset, Sniff
from annotator.formats.presets.zipped import ZIP_ERRORS

__all__ = ["KEY", "PRESETS", "Preset", "Sniff", "detect", "names", "preset", "sniff", "suggestion"]

PRESETS: tuple[Preset, ...] = (
    label_studio.PRESET,
    alpaca_eval.PRESET,
    mt_bench.PRESET,
    promptfoo.PRESET,
    inspect_ai.PRESET,
)
"""Every preset, in the order the dialog lists them."""
_DETECTION = (promptfoo.PRESET, inspect_ai.PRESET, label_studio.PRESET, alpaca_eval.PRESET,
              mt_bench.PRESET)  # fmt: skip
"""The order :func:`detect` tries them: the exports that are one object first (their records'
fields, seen in the file's start too, could look like another tool's)."""

SNIFF_BYTES = 64 << 10
"""How much of a file :func:`detect` reads."""
_ZIP = b"PK\x03\x04"
_PARQUET = b"PAR1"


def names() -> tuple[str, ...]:
    return tuple(p.name for p in PRESETS)


def preset(name: str) -> Preset:
    """The preset called ``name`` (case and ``_`` for ``-`` ignored); ValueError naming the
    presets there are."""
    wanted = name.strip().casefold().replace("_", "-")
    for p in PRESETS:
        if p.name == wanted or p.name.replace("-", "") == wanted.replace("-", ""):
            return p
    raise ValueError(f"unknown preset '{name}'; the presets are: {', '.join(names())}")


def detect(path: Path | str) -> Preset | None:
    """The preset whose format ``path`` looks like, from its start (at most
    :data:`SNIFF_BYTES`, a zip's member names, a Parquet file's columns); None when none
    fits or the file cannot be read."""
    found = sniff(Path(path))
    if found is None:
        return None
    return next((p for p in _DETECTION if p.recognise(found)), None)


def suggestion(path: Path | str) -> str:
    """For a file refused when read without a preset: ``; it looks like TITLE: annotator import
    PATH --preset NAME`` when it looks like a tool's export, else ``""``."""
    found = detect(path)
    if found is None:
        return ""
    return f"; it looks like {found.title}: {found.command(shlex.quote(str(path)))}"


def sniff(path: Path) -> Sniff | None:
    """What :func:`detect` looks at; None for a file that cannot be read."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
        if head.startswith(_ZIP):
            with zipfile.ZipFile(path) as archive:
                return Sniff("", members=tuple(archive.namelist()[:10_000]))
        if head.startswith(_PARQUET):
            return Sniff("", columns=_parquet_columns(path))
    except ZIP_ERRORS:  # (OSError among them)
        return None
    return Sniff(_decoded(head))


def _decoded(head: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if head.startswith(bom):
            return head.decode(codec, errors="replace")
    return head.decode("utf-8", errors="replace")


def _parquet_columns(path: Path) -> tuple[str, ...]:
    try:
        import pyarrow.parquet as pq  # the optional extra; without it, no Parquet preset
    except ImportError:
        return ()
    try:
        return tuple(str(n) for n in pq.read_schema(path).names)
    except Exception:  # pyarrow's ArrowInvalid and the like: not a file we read
        return ()
