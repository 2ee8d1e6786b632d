"""Merging reviewers' labelled files: into one merged file, or into the lead's workspace.

Two ways in, one set of rules (``domain/merge.py``) and one reader (``formats/labelled/``):

- ``merge_files`` reads labelled files and writes the merged file; ``merge_to_file`` does the
  same without building the merged cases as objects (``annotator merge``): ``files.py``.
- ``merge_into_workspace`` stores the reviewers' decisions in the workspace the pack was made
  from, so that the lead settles the conflicts in the review window; ``export_merged`` then
  writes the merged file with the lead's decisions: ``workspace.py`` (its SQL is
  ``storage/reviews.py``'s).

Inside: ``reading.py`` reads the files (in worker processes, ``worker.py``, for large inputs;
:class:`ReadOptions` says how; their temporary folder is ``tempfolder.py``'s), ``collect.py``
adds them up, ``checks.py`` checks them and ``members.py`` checks what they say of each case,
``writing.py`` writes the merged file (``formats/merged.py``), ``report.py`` says what was done.

Properties the lead relies on (tests/test_merge.py, test_merge_promises.py and
test_merge_kill.py check each):

- Nothing partial: every file is read and checked before anything is written; a problem
  raises :class:`MergeError` and leaves no output (and an unchanged workspace); so does
  cancelling (:class:`MergeCancelled`) and Ctrl+C (KeyboardInterrupt, raised again).
- Order-independent: the same files in any order give byte-identical output (cases in id
  order, reviews in reviewer order, ties between equal times broken on content), or the merge
  is refused: every file must say the same of a case as the others (criterion, judge label,
  rater labels, kind), and, against a workspace, as the workspace.
- Idempotent: the same file given twice (by content) counts once.
- One decision per reviewer and case: the newer one is kept, and the report says so.
- Nothing left running: the worker processes end with the merge, however it ends, and a
  killed merge's temporary files are removed by the next merge.

The worker processes import ``worker.py``, and with it this module: what needs the workspace
(SQLAlchemy, the files and workspace functions) is imported here only when first asked for, so
that a worker starts in a tenth of the time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from annotator.services.merge.reading import (
    MAX_WORKERS,
    PARALLEL_MIN_BYTES,
    WORKERS_VARIABLE,
    ReadOptions,
)
from annotator.services.merge.report import (
    MergeCancelled,
    MergeError,
    MergeReport,
    Progress,
    Source,
    Superseded,
)

if TYPE_CHECKING:
    from annotator.formats.merged import write_merged
    from annotator.services.merge.files import merge_files, merge_to_file, merged_cases
    from annotator.services.merge.workspace import (
        conflict_progress,
        export_merged,
        has_reviews,
        load_merged,
        merge_into_workspace,
    )
    from annotator.storage.reviews import reviews_of

_LATER = {
    "merge_files": "annotator.services.merge.files",
    "merge_to_file": "annotator.services.merge.files",
    "merged_cases": "annotator.services.merge.files",
    "merge_into_workspace": "annotator.services.merge.workspace",
    "export_merged": "annotator.services.merge.workspace",
    "load_merged": "annotator.services.merge.workspace",
    "has_reviews": "annotator.services.merge.workspace",
    "conflict_progress": "annotator.services.merge.workspace",
    "reviews_of": "annotator.storage.reviews",
    "write_merged": "annotator.formats.merged",
}


def __getattr__(name: str) -> Any:
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "MAX_WORKERS",
    "PARALLEL_MIN_BYTES",
    "WORKERS_VARIABLE",
    "MergeCancelled",
    "MergeError",
    "MergeReport",
    "Progress",
    "ReadOptions",
    "Source",
    "Superseded",
    "conflict_progress",
    "export_merged",
    "has_reviews",
    "load_merged",
    "merge_files",
    "merge_into_workspace",
    "merge_to_file",
    "merged_cases",
    "reviews_of",
    "write_merged",
]
