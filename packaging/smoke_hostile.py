"""The frozen command line on the hostile sample (tests/data/hostile/): packaging/smoke_test.py's
``hostile`` check, also run against the source tree by tests/test_hostile.py.

It imports the sample as JSON Lines and as CSV, summarizes, exports both formats, merges the
reviewers' files (one of them exported as CSV) against the workspace and reports on the merge,
and checks what a hostile file must not get through: no escape sequence or bidirectional
control printed to the terminal raw, no JSON line cut by ``str.splitlines()``, no CSV cell that
a spreadsheet runs as a formula, no tag or link in the HTML report, every id exported as it was
imported.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "data" / "hostile"
RAW = ("\x1b", "\x07", "\u202e", "\u2067", "\u2069")
"""What a terminal or a bidirectional display would act on."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class HostileFailed(Exception):
    pass


Command = Sequence[str | Path]


def _run(cli: Command, *args: str | Path) -> str:
    done = subprocess.run(
        [*map(str, cli), *map(str, args)],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
        check=False,
    )
    shown = done.stdout + done.stderr
    if done.returncode != 0:
        raise HostileFailed(f"{' '.join(map(str, args[:2]))} exited {done.returncode}: {shown}")
    if any(ch in shown for ch in RAW):
        raise HostileFailed(f"{' '.join(map(str, args[:2]))} printed a raw control character")
    return done.stdout


def _lines(path: Path) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if len(lines) != text.count("\n"):
        raise HostileFailed(f"{path.name}: str.splitlines() cuts a record in two")
    return [json.loads(line) for line in lines]


def _cells(path: Path) -> list[list[str]]:
    csv.field_size_limit(1 << 26)
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def check_hostile(cli: Command, tmp: Path) -> str:
    """Run ``cli`` (the frozen ``[annotator-cli]``, or ``[python, -m, annotator]``) on the
    sample. Raise :class:`HostileFailed` at the first thing that got through; else say what was
    done."""
    base: list[str | Path] = ["--basedir", tmp / "hostile-data"]
    source = HOSTILE / "cases.jsonl"
    ids = [json.loads(line)["id"] for line in source.read_text(encoding="utf-8").split("\n")[1:-1]]
    ws = tmp / "hostile.annotator"
    for case_file, target in ((source, ws), (HOSTILE / "cases.csv", tmp / "hostile-csv.annotator")):
        counts = json.loads(_run(cli, "import", case_file, "-w", target, "--json", *base))
        if counts["cases"] != len(ids) or counts["skipped_lines"]:
            raise HostileFailed(f"import of {case_file.name}: {counts}")
    _run(cli, "summary", ws, *base)
    jsonl, guarded, raw = tmp / "h.jsonl", tmp / "h.csv", tmp / "h-raw.csv"
    _run(cli, "export", ws, "-o", jsonl, "--all", *base)
    if [r["id"] for r in _lines(jsonl)] != ids:
        raise HostileFailed("export: the ids are not those imported, byte for byte")
    _run(cli, "export", ws, "-o", guarded, "--all", *base)
    _run(cli, "export", ws, "-o", raw, "--all", "--no-formula-guard", *base)
    if any(cell.startswith(FORMULA_START) for row in _cells(guarded) for cell in row):
        raise HostileFailed("CSV export: a cell begins a spreadsheet formula")
    if not any(cell.startswith(FORMULA_START) for row in _cells(raw) for cell in row):
        raise HostileFailed("CSV export --no-formula-guard: the formulas were guarded anyway")
    merged = tmp / "h-merged.jsonl"
    reviews = [HOSTILE / "reviews" / "ana.jsonl", HOSTILE / "reviews" / "ben.csv"]
    _run(cli, "merge", *reviews, "-o", merged, "--workspace", ws, *base)
    cases = _lines(merged)
    if len(cases) != len(ids):
        raise HostileFailed(f"merge wrote {len(cases)} cases, not {len(ids)}")
    page, md = tmp / "h.html", tmp / "h.md"
    report = _run(cli, "agreement", merged, "--json", "--html", page, "--markdown", md, *base)
    if report.splitlines() != report.split("\n")[:-1] or "criteria" not in json.loads(report):
        raise HostileFailed("agreement --json: not whole JSON lines")
    html = page.read_text(encoding="utf-8")
    for bad in ("<script", "<img", "<a ", "<style>*", *RAW, "\u2028"):
        if bad in html:
            raise HostileFailed(f"agreement --html: {bad!r} got through")
    if any(ch in md.read_text(encoding="utf-8") for ch in RAW):
        raise HostileFailed("agreement --markdown: a raw control character got through")
    return f"{len(ids)} hostile cases imported (JSON Lines, CSV), exported, merged, reported"
