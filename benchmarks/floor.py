"""The import floor: what it costs just to parse a case file and store it, nothing more.

``python -m benchmarks.floor FILE DB`` reads FILE line by line, parses each line with the
standard library's ``json``, and inserts (id, line) into a bare SQLite table with one
``executemany`` in one transaction, with the workspace's durability settings (WAL,
``synchronous=FULL``). The import is compared with this: how much more than reading and
storing the file does everything else cost (checking, normalizing, hashing, classifying,
indexing for the queue and for text search)?
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def floor(source: Path, target: Path) -> int:
    """Store every case line of ``source`` in a new database ``target``; returns the count."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE cases (id TEXT, record TEXT)")
    count = 0

    def rows() -> Iterator[tuple[str, str]]:
        nonlocal count
        with source.open(encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                if "project" in record:  # the header
                    continue
                count += 1
                yield record["id"], line

    db.execute("BEGIN")
    db.executemany("INSERT INTO cases VALUES (?, ?)", rows())
    db.execute("COMMIT")
    db.close()
    return count


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    n = floor(Path(argv[0]), Path(argv[1]))
    print(f"{n} cases in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
