"""Blind-first review and the random queue order: the project's settings, and each reviewer's
seed.

Under blind first, a reviewer commits a first label on a case before its judge's verdict and
the raters' labels are shown (``ReviewService.reveal``); the queue may also be in a random
order, seeded per reviewer, so that the order cases come in does not sway them either. Both
are settings of the project (its row in the workspace), so that a lead sets them in the review
pack they send out (the case file's header: docs/formats.md) and they travel with it.
"""

from __future__ import annotations

import hashlib

from annotator.services.changes import Changes
from annotator.services.workspace import Workspace
from annotator.storage import project
from annotator.storage.db import writing
from annotator.storage.project import BlindSettings

__all__ = ["BlindSettings", "blind_settings", "order_seed", "set_blind"]

ORDER_CHANGED = Changes(queue=True, counts=True)
"""What the window reads again when a setting changes: the queue (its order, its columns)
and the case shown."""


def blind_settings(ws: Workspace) -> BlindSettings:
    with ws.engine.connect() as conn:
        return project.blind_settings(conn)


def set_blind(
    ws: Workspace, *, blind_first: bool | None = None, random_order: bool | None = None
) -> Changes:
    """Turn blind-first review or the random order on or off (None: left as it is)."""
    with writing(ws.engine) as conn:
        project.set_blind_settings(conn, blind_first, random_order)
    return ORDER_CHANGED


def order_seed(ws: Workspace, reviewer: str) -> int:
    """The seed of ``reviewer``'s random queue order on this project: from their name and the
    project's fingerprint, so it is the same on every run and machine, and differs from one
    reviewer (and one pack) to the next."""
    fingerprint = ws.project().fingerprint
    digest = hashlib.sha256(f"{fingerprint}\n{reviewer.strip()}".encode()).digest()
    return int.from_bytes(digest[:7], "big")
