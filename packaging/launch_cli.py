"""Entry point of the frozen command-line executable."""

from annotator.cli import main

raise SystemExit(main())
