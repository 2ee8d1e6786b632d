"""``annotator blind WS [on|off] [--random-order on|off] [--json]``: blind-first review and
the random queue order of a project (services/blind.py; README, "Blind-first review")."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotator import console
from annotator.services.blind import BlindSettings, blind_settings, set_blind
from annotator.services.workspace import Workspace

Common = Callable[..., None]
Opener = Callable[[Path, argparse.Namespace], Workspace]
SWITCH = ("on", "off")


def blind_parser(sub: Any, common: Common) -> None:
    """The ``blind`` command (``common``: --basedir, --wait...)."""
    p = sub.add_parser(
        "blind",
        help="show (or set) blind-first review and the random queue order of a project",
        description="Under blind-first review a reviewer commits a first label on each case "
        "before the judge's verdict and the raters' labels are shown (Ctrl+Space, 'Reveal'); "
        "the labelled file carries it (blind_label, revealed_at). With --random-order on, "
        "each reviewer gets the queue in a random order of their own, the same every time. "
        "Set them in the workspace or case file you send out: a case file's header sets "
        'them too ("blind_first": true, "random_order": true; docs/formats.md).',
    )
    p.add_argument("workspace", type=Path, help="a workspace, or the case file it was made from")
    p.add_argument("state", nargs="?", choices=SWITCH, help="turn blind-first review on or off")
    p.add_argument("--random-order", choices=SWITCH, help="turn the random queue order on or off")
    p.add_argument("--json", action="store_true", help="print JSON")
    common(p, sub=True)


def blind_command(args: argparse.Namespace, open_existing: Opener) -> int:
    ws = open_existing(args.workspace, args)
    try:
        if args.state is not None or args.random_order is not None:
            set_blind(
                ws,
                blind_first=None if args.state is None else args.state == "on",
                random_order=None if args.random_order is None else args.random_order == "on",
            )
        settings = blind_settings(ws)
    finally:
        ws.close()
    if args.json:
        console.show(console.json_text(as_json(settings)))
    else:
        console.show(describe(settings, ws.name))
    return 0


def as_json(settings: BlindSettings) -> dict[str, Any]:
    return {"blind_first": settings.blind_first, "random_order": settings.random_order}


def describe(settings: BlindSettings, name: str) -> str:
    blind = "on" if settings.blind_first else "off"
    order = "random, per reviewer" if settings.random_order else "most severe first"
    return f"{name}: blind first {blind}; queue order {order}.\n"
