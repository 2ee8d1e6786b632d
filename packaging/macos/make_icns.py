"""Render resources/icons/annotator.svg into resources/icons/annotator.icns (the macOS app icon).

    python packaging/macos/make_icns.py

Runs anywhere PySide6 is installed (QtSvg draws the SVG); the .icns is committed, so the macOS
build does not need this. An .icns is a list of (type, PNG) entries, one per size.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
# Icon types of the PNG era, by pixel size (the @2x types share sizes with larger 1x ones).
TYPES = [
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
    (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256),
    (b"ic14", 512),
]  # fmt: skip


def png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 wants str
    return bytes(data.data())


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "annotator.svg"))
    if not renderer.isValid():
        raise SystemExit("make_icns: cannot read annotator.svg")
    rendered: dict[int, bytes] = {}
    body = b""
    for kind, size in TYPES:
        data = rendered.setdefault(size, png(renderer, size))
        body += kind + struct.pack(">I", 8 + len(data)) + data
    out = ICONS / "annotator.icns"
    out.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)
    print(f"make_icns: {out} ({out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
