"""Write resources/guide.md, the window's Help > Guide, from the README's sections for
reviewers and leads (images left out: the guide is read offline, inside the app).

    python scripts/make_guide.py

tests/test_gui_fit.py checks that the guide is the README's, so run this after editing them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("Reviewing", "For leads", "Closing the loop")


def guide(readme: str) -> str:
    """The README's ``SECTIONS``, in order, without their images."""
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in readme.splitlines():
        if line.startswith("## "):
            current = (
                parts.setdefault(line[3:].strip(), []) if line[3:].strip() in SECTIONS else None
            )
        if current is not None and not line.startswith("!["):
            current.append(line)
    body = "\n".join("\n".join(parts[name]).strip() for name in SECTIONS if name in parts)
    return "# annotator: the guide\n\n" + body.replace("\n## ", "\n\n## ") + "\n"


def main() -> int:
    text = guide((ROOT / "README.md").read_text(encoding="utf-8"))
    (ROOT / "resources" / "guide.md").write_text(text, encoding="utf-8")
    print("wrote resources/guide.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
