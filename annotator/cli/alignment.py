"""``annotator alignment WS [--json] [--markdown OUT] [--html OUT]``: every judge run against
the final labels, on the held-out cases and on all decided cases (docs/alignment.md)."""

from __future__ import annotations

import argparse

from annotator import console
from annotator.fileio import atomic_write
from annotator.services.alignment import (
    alignment_report,
    render_html,
    render_markdown,
    render_text,
    report_to_json_text,
)
from annotator.services.exporter import refuse_precious
from annotator.services.workspace import Workspace


def alignment_command(ws: Workspace, args: argparse.Namespace) -> None:
    """Print the report (text or JSON) and write the files asked for, each atomically; a file
    that would replace the workspace or a case file imported into it is refused (ValueError)
    before anything is computed."""
    outs = [out for out in (args.markdown, args.html) if out is not None]
    for out in outs:
        refuse_precious(ws, out)
    report = alignment_report(ws, seed=args.seed, resamples=args.resamples)
    for out, render in ((args.markdown, render_markdown), (args.html, render_html)):
        if out is not None:
            with atomic_write(out) as fh:
                fh.write(render(report))
    console.show(report_to_json_text(report) if args.json else render_text(report))
    for out in outs:
        console.say(f"wrote {out}")
