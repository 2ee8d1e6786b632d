"""Entry point of the frozen GUI executable."""

from annotator.cli import gui_main

raise SystemExit(gui_main())
