"""A smaller ICU data library for the Linux build (31 MB down to about 5 MB).

On Linux, PySide6's QtCore links ICU 7x, whose ``libicudata.so`` holds every ICU data item: break
dictionaries, transliterators, currency, unit and language names for every locale, 200 legacy
code pages. QtCore calls only four ICU services (``nm -D --undefined-only libQt6Core.so.6``):
case mapping (``u_strToUpper``, no data file), collation (``ucol_*``, for ``QCollator``: sorting
in file dialogs), time zones (``ucal_*``, for ``QTimeZone``) and converters (``ucnv_*``, for
encodings Qt does not implement itself; Qt 6 assumes UTF-8 on Unix and the app reads files with
Python's codecs).

This module copies the library's data package without the items none of those can reach and
links it into a new ``libicudata.so.NN`` with the C compiler (``cc``). It keeps every collation
tailoring, the time zone data with English and root names, the converter alias table, root and
English locale data and all of ICU's supplemental tables. A missing item is never fatal in ICU:
the lookup falls back to root. ``check()`` runs QtCore against the new library (collation in
German and Swedish, Turkish upper case, a time zone's name) and fails on any difference or Qt
warning, so a build with a broken ICU stops there.

Run by ``annotator.spec``; by hand: ``python packaging/icu_data.py LIBICUDATA OUTDIR [--list]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# Trees (folders of the package) kept whole, and the files kept from the zone tree.
KEEP_TREES = {"coll"}
KEEP_ZONE = {"root.res", "en.res", "pool.res", "res_index.res", "tzdbNames.res"}
# Top-level items dropped: legacy code pages, stringprep profiles, character names, confusables.
DROP_TOP = re.compile(r".*\.(cnv|spp|cfu)$|unames\.icu$")
LOCALE_BUNDLE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")
KEEP_LOCALES = {"root.res", "en.res"}

ELF_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
SECTION = struct.Struct("<IIQQQQIIQQ")
SYMBOL = struct.Struct("<IBBHQQ")
SHT_DYNSYM = 11


class IcuError(Exception):
    """The library cannot be slimmed (unknown layout, no compiler) or the result fails check()."""


def keep(item: str) -> bool:
    """Whether a package item ("icudt73l/coll/de.res") stays in the slim data."""
    parts = item.split("/")[1:]
    if len(parts) == 1:
        name = parts[0]
        if DROP_TOP.match(name):
            return False
        return name in KEEP_LOCALES or not LOCALE_BUNDLE.match(name)
    tree, name = parts[0], parts[-1]
    if tree in KEEP_TREES:
        return True
    return tree == "zone" and name in KEEP_ZONE


def read_symbol(lib: bytes) -> tuple[str, bytes]:
    """The name and bytes of the data symbol (``icudtNN_dat``) of an ELF64 little-endian library."""
    if lib[:4] != b"\x7fELF" or lib[4] != 2 or lib[5] != 1:
        raise IcuError("not an ELF64 little-endian library")
    header = ELF_HEADER.unpack_from(lib)
    shoff, shentsize, shnum = header[6], header[11], header[12]
    sections = [SECTION.unpack_from(lib, shoff + i * shentsize) for i in range(shnum)]
    for sh_type, sh_offset, sh_size, sh_link in ((s[1], s[4], s[5], s[6]) for s in sections):
        if sh_type != SHT_DYNSYM:
            continue
        strtab = sections[sh_link][4]
        for i in range(sh_size // SYMBOL.size):
            st_name, _info, _other, shndx, value, size = SYMBOL.unpack_from(
                lib, sh_offset + i * SYMBOL.size
            )
            name = lib[strtab + st_name : lib.index(b"\0", strtab + st_name)].decode()
            if re.fullmatch(r"icudt\d+_dat", name):
                addr, offset = sections[shndx][3], sections[shndx][4]
                start = value - addr + offset
                return name, lib[start : start + size]
    raise IcuError("no icudtNN_dat symbol")


def read_package(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The header and the (name, bytes) items of an ICU common data package ("CmnD")."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", blob)
    if (magic1, magic2) != (0xDA, 0x27) or blob[12:16] != b"CmnD":
        raise IcuError("not an ICU common data package")
    (count,) = struct.unpack_from("<I", blob, header_size)
    entries = [struct.unpack_from("<II", blob, header_size + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        start = header_size + name_offset
        name = blob[start : blob.index(b"\0", start)].decode("ascii")
        end = entries[i + 1][1] if i + 1 < count else len(blob) - header_size
        items.append((name, blob[header_size + data_offset : header_size + end]))
    return blob[:header_size], items


def _pad(data: bytearray, alignment: int = 16) -> None:
    data.extend(b"\0" * (-len(data) % alignment))


def write_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A package as ICU's icupkg writes one: header, table of contents, names, 16-aligned items."""
    items = sorted(items, key=lambda item: item[0].encode("ascii"))  # ICU searches by strcmp
    toc_size = 4 + 8 * len(items)
    names = bytearray()
    name_offsets = []
    for name, _data in items:
        name_offsets.append(toc_size + len(names))
        names += name.encode("ascii") + b"\0"
    body = bytearray(header)
    body += b"\0" * toc_size + names
    _pad(body)
    data_offsets = []
    for _name, data in items:
        data_offsets.append(len(body) - len(header))
        body += data
        _pad(body)
    struct.pack_into("<I", body, len(header), len(items))
    for i, (name_offset, data_offset) in enumerate(zip(name_offsets, data_offsets, strict=True)):
        struct.pack_into("<II", body, len(header) + 4 + 8 * i, name_offset, data_offset)
    return bytes(body)


def link_library(symbol: str, data: bytes, soname: str, out: Path) -> None:
    """Link DATA as the global object SYMBOL into a shared library with the C compiler."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise IcuError("no C compiler (cc) to link the slim ICU data library")
    with tempfile.TemporaryDirectory() as tmp:
        dat = Path(tmp) / "icudata.dat"
        dat.write_bytes(data)
        asm = Path(tmp) / "icudata.S"
        asm.write_text(
            "\t.section .rodata\n"
            f"\t.globl {symbol}\n"
            f"\t.type {symbol}, @object\n"
            "\t.balign 16\n"
            f"{symbol}:\n"
            f'\t.incbin "{dat}"\n'
            f"\t.size {symbol}, . - {symbol}\n"
            '\t.section .note.GNU-stack,"",@progbits\n'
        )
        command = [cc, "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", str(out), str(asm)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise IcuError(f"{' '.join(command)} failed:\n{done.stderr}")


def slim(lib: Path, out_dir: Path) -> Path:
    """Write the slim copy of LIB (a libicudata.so.NN) into OUT_DIR and return its path."""
    symbol, blob = read_symbol(lib.read_bytes())
    header, items = read_package(blob)
    kept = [item for item in items if keep(item[0])]
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / lib.name
    link_library(symbol, write_package(header, kept), lib.name, out)
    return out


# Run in a separate interpreter with the slim library preloaded in place of PySide6's own.
CHECK = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QCollator, QLocale, QTimeZone, qInstallMessageHandler

messages = []
qInstallMessageHandler(lambda _mode, _context, text: messages.append(text))
loaded = [line for line in Path("/proc/self/maps").read_text().splitlines() if "libicudata" in line]
assert loaded and all(sys.argv[1] in line for line in loaded), loaded
assert QCollator(QLocale("de_DE")).compare("\u00e4", "b") < 0, "German collation"
assert QCollator(QLocale("sv_SE")).compare("\u00e4", "z") > 0, "Swedish collation (tailoring)"
assert QCollator(QLocale("en_US")).compare("a", "B") < 0, "root collation"
assert QLocale("tr_TR").toUpper("i") == "\u0130", "Turkish case mapping"
zone = QTimeZone(b"Europe/Berlin")
assert zone.isValid(), "time zone"
name = zone.displayName(QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, QLocale("en"))
assert name, "time zone name"
assert not messages, messages
print("ICU data ok:", name)
"""


def check(slim_lib: Path, python: str = sys.executable) -> str:
    """Run QtCore's uses of ICU against SLIM_LIB; raise IcuError unless all behave as with ICU."""
    env = dict(os.environ, LD_PRELOAD=str(slim_lib), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [python, "-c", CHECK, str(slim_lib)], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise IcuError(f"the slim ICU data fails with QtCore:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lib", type=Path, help="libicudata.so.NN (PySide6/Qt/lib)")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--list", action="store_true", help="print the items kept and dropped")
    args = parser.parse_args(argv)
    if args.list:
        _symbol, blob = read_symbol(args.lib.read_bytes())
        for name, data in read_package(blob)[1]:
            print(f"{'keep' if keep(name) else 'drop'} {len(data):>9} {name}")
    out = slim(args.lib, args.out_dir)
    print(f"{args.lib.stat().st_size:,} -> {out.stat().st_size:,} bytes: {out}")
    print(check(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
