"""The decided cases a calibration pack is made of, with their final labels and critiques.

In a reviewer's workspace, its own decisions. In a lead's workspace with reviewers' files merged
in, every case the merge settles (``services/merge``, ``load_merged``): the lead's decision, or
the reviewers' label when they all chose the same one (their rationales, each after its
reviewer's name, are the critique; their tags together are the tags); an open conflict is not
decided and is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from annotator.domain.merge import MergedCase
from annotator.services.merge import has_reviews, load_merged
from annotator.services.workspace import Workspace
from annotator.storage import cases, decisions


class Decided(NamedTuple):
    case_id: str
    criterion: str
    judge_label: str
    final_label: str
    critique: str
    tags: tuple[str, ...]
    data: dict[str, Any]
    """The normalized case (``domain.serialize.case_to_dict``)."""


def decided_cases(ws: Workspace) -> Iterator[Decided]:
    """Every decided case of ``ws``, read a few thousand at a time."""
    if has_reviews(ws):
        yield from _merged(ws)
        return
    with ws.engine.connect() as conn:
        for row in decisions.calibration_rows(conn):
            tags = tuple(json.loads(row[5])) if row[5] else ()
            yield Decided(row[0], row[1], row[2], row[3], row[4], tags, json.loads(row[6]))


def _merged(ws: Workspace) -> Iterator[Decided]:
    with ws.engine.connect() as conn:
        for merged in load_merged(ws):
            final = merged.final_label
            row_id = cases.row_id(conn, merged.id)
            if final is None or row_id is None:
                continue
            data = json.loads(cases.case_record(conn, row_id).data)
            critique, tags = _critique(merged)
            yield Decided(
                merged.id, merged.criterion, merged.judge_label, final, critique, tags, data
            )


def _critique(merged: MergedCase) -> tuple[str, tuple[str, ...]]:
    if merged.lead is not None:
        return merged.lead.rationale, tuple(merged.lead.tags)
    critique = "\n".join(f"{r.reviewer}: {r.rationale}" for r in merged.reviews if r.rationale)
    tags = tuple(dict.fromkeys(tag for r in merged.reviews for tag in r.tags))
    return critique, tags
