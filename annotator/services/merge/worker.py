"""What a merge's worker process runs: read and check one reviewer's file, hand the result back.

``reading.py`` starts the workers (fresh interpreters: 'spawn'), so this module imports as
little as it can: the reader and the standard library, not the workspace and SQLAlchemy. (A
worker imports this package's ``__init__`` first, which is why that one loads the rest of the
merge only when asked.)

The result goes back through a file in a private temporary folder rather than through the
worker's pipe: a file of 100,000 decisions pickles to some 40 MB, which a pipe carries in 64 kB
pieces, gathered again on the other side; a file takes half the time on both sides.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Container
from pathlib import Path

from annotator.formats.labelled import CHUNK, LabelledScan, scan_labelled

_seen: tuple[str, dict[str, bytes]] = ("", {})
"""The merge this worker reads for (its folder), and the case members it handed back for it,
by case id."""


def scan_into(path: Path, folder: str, skip_hashes: Container[str] = (), chunk: int = CHUNK) -> str:
    """Read and check ``path`` (:func:`scan_labelled`); pickle the scan into a new file in
    ``folder`` and return that file's name, for :func:`load_scan`.

    The merge checks every line's case members (judge, raters, kind: ``case_info``) against
    those of the first line of the case, but what a worker handed back already need not
    travel again: a line whose members are the same as those of a line this worker read for
    the same merge has them left out (empty). A worker takes the files in the order the
    merge gives them, so that line comes earlier, and the merge checked it. Not so for a
    file the merge passes over (``skip_hashes``: merged before): its lines are not
    remembered.
    """
    global _seen
    if _seen[0] != folder:
        _seen = (folder, {})
    seen = _seen[1]
    scan = scan_labelled(path, chunk=chunk)
    if scan.sha256 not in skip_hashes:  # (no lines when the file was refused)
        infos = scan.case_info
        for row, case_id in enumerate(scan.ids):
            info = infos[row]
            before = seen.setdefault(case_id, info)
            if before is not info and before == info:
                infos[row] = b""
    fd, name = tempfile.mkstemp(prefix="scan-", suffix=".pickle", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(scan, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return name


def load_scan(name: str) -> LabelledScan:
    """The scan :func:`scan_into` wrote to ``name``; the file goes."""
    try:
        with open(name, "rb") as fh:
            scan: LabelledScan = pickle.load(fh)
    finally:
        os.unlink(name)
    return scan
