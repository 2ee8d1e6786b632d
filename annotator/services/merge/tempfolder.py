"""A merge's temporary folder, named after the merging process, and those of merges that died.

A merge that reads its files in worker processes gets their scans back through pickle files in
a folder of its own (``worker.py``), some 40 MB per file of 100,000 decisions. The merge
removes the folder when it ends, even on an error or Ctrl+C; but a merge killed outright
(SIGKILL, SIGTERM, a crash, the machine's power) cannot. So the folder is named
``annotator-merge-<pid>-<random>`` in the system's temporary folder, and every merge first
removes the folders of merges whose process is no longer running (:func:`sweep`): those of
this user that it can tell are dead, nothing else (``fileio.process_folder``, which adding a
judge run's stage uses too).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from annotator.fileio import folder_owner, process_alive, process_folder, sweep_folders

PREFIX = "annotator-merge-"

alive = process_alive
"""Whether process ``pid`` is running (when unsure: yes)."""


def new_folder() -> tempfile.TemporaryDirectory[str]:
    """The temporary folder of this merge (removed when the ``with`` block ends)."""
    return process_folder(PREFIX)


def sweep(base: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the temporary folders of merges that died, in ``base`` (by default the system's
    temporary folder); returns those removed. Never raises: a folder that cannot be removed
    now is tried again by the next merge."""
    return sweep_folders(PREFIX, base)


def owner_pid(name: str) -> int | None:
    """The process a merge's temporary folder is named after; None for any other name."""
    return folder_owner(PREFIX, name)
