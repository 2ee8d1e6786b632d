"""Entry point of the frozen GUI executable."""

import multiprocessing

# A merge reads large files in worker processes ('spawn'): in the frozen app each worker is
# this executable started again, and freeze_support() turns it into the worker (then exits)
# before anything else runs (no window, no Qt).
multiprocessing.freeze_support()

from annotator.cli import gui_main  # noqa: E402

raise SystemExit(gui_main())
