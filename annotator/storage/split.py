"""The held-out split in SQL: which cases are decided, their final labels and their parts.

A case's part is computed by ``split_position(seed, ext_id)``, the SQL function the connection
registers (``db._on_connect``: :func:`annotator.domain.split.position`), so that the queue
filters on it in SQL and a change of the settings is counted without reading the cases into
Python. Only decided cases are in a part: a decision of the workspace's own, or (a lead's
workspace) the reviewers' unanimous label.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, text

from annotator.domain.merge import ReviewState
from annotator.domain.split import Part
from annotator.storage.reviews import still_open

DECIDED = f"(c.review_state = {int(ReviewState.UNANIMOUS)} OR NOT {still_open('c')})"
"""SQL true for a decided case of ``cases c`` (with ``decision d`` joined, for its label): one
with a final label, a decision that settles it (not a lead's own review that the reviewers
disagree with: ``reviews.still_open``) or the reviewers' unanimous label."""
FINAL_LABEL = "COALESCE(d.label, (SELECT v.label FROM review v WHERE v.case_id = c.id LIMIT 1))"
"""A decided case's final label: the workspace's decision, else the reviewers' (unanimous)."""
_SETTINGS = "(SELECT {column} FROM project WHERE id = 1)"


_DECIDED_IDS = (
    "c.id IN (SELECT case_id FROM decision "
    f"UNION ALL SELECT id FROM cases WHERE review_state = {int(ReviewState.UNANIMOUS)})"
)
"""The decided cases as a list SQLite reads first (from the decision table and an index),
so that the part is computed for them only: a condition on ``c`` alone, as ``split_position``
is, would be checked on every case before the join (a call into Python for each of a
million cases)."""


def held_out(seed: str, fraction: str) -> str:
    """SQL true for a held-out case, given SQL for the seed and the fraction."""
    return f"split_position({seed}, c.ext_id) < {fraction}"


def _project_held_out() -> str:
    # The settings are uncorrelated subqueries: SQLite reads them once per query.
    return held_out(
        _SETTINGS.format(column="split_seed"), _SETTINGS.format(column="heldout_fraction")
    )


def _when_decided(condition: str) -> str:
    """``condition`` for a decided case, NULL (false) for another; CASE keeps SQLite from
    checking ``condition`` before it has joined the decision."""
    return f"(CASE WHEN {DECIDED} THEN {condition} END)"


def part_condition(part: Part, first_rows: bool = False) -> str:
    """SQL true for the decided cases of ``part`` under the project's settings.

    ``first_rows``: checked case by case as the queue index is walked in order (the first
    screen of the queue); else the decided cases are listed first and sorted after."""
    held = _project_held_out()
    condition = _when_decided(held if part is Part.HELDOUT else f"NOT ({held})")
    return condition if first_rows else f"({_DECIDED_IDS} AND {condition})"


def decided_rows(conn: Connection) -> Iterator[Any]:
    """Every decided case's ``(ext_id, criterion, final label)``, a few thousand at a time."""
    query = text(
        f"SELECT c.ext_id, c.criterion, {FINAL_LABEL} FROM cases c "
        f"LEFT JOIN decision d ON d.case_id = c.id WHERE {_DECIDED_IDS} AND {DECIDED}"
    )
    yield from conn.execution_options(yield_per=5000).execute(query)


def moving(conn: Connection, before: tuple[float, int], after: tuple[float, int]) -> int:
    """How many decided cases change part when the settings go from ``before`` to ``after``
    (each ``(fraction, seed)``)."""
    changed = f"({held_out(':seed0', ':fraction0')}) != ({held_out(':seed1', ':fraction1')})"
    query = text(
        "SELECT count(*) FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
        f"WHERE {_DECIDED_IDS} AND {_when_decided(changed)}"
    )
    params = {
        "fraction0": before[0],
        "seed0": before[1],
        "fraction1": after[0],
        "seed1": after[1],
    }
    return int(conn.execute(query, params).scalar_one())


def part_counts(conn: Connection, fraction: float, seed: int) -> tuple[int, int]:
    """``(examples, held-out)``: the decided cases in each part under ``fraction`` and
    ``seed``."""
    query = text(
        f"SELECT count(*), coalesce(sum({held_out(':seed', ':fraction')}), 0) FROM cases c "
        f"LEFT JOIN decision d ON d.case_id = c.id WHERE {_DECIDED_IDS} AND {DECIDED}"
    )
    decided, held = conn.execute(query, {"seed": seed, "fraction": fraction}).one()
    return int(decided) - int(held), int(held)


def examples_held_out(conn: Connection, fraction: float, seed: int) -> int:
    """How many decided cases held out under ``fraction`` and ``seed`` a calibration pack
    recorded in the workspace gave as examples (``calibration_example``): a judge run whose
    prompt came from that pack may have seen them."""
    query = text(
        f"SELECT count(*) FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
        f"WHERE c.id IN (SELECT case_id FROM calibration_example) AND {DECIDED} "
        f"AND {held_out(':seed', ':fraction')}"
    )
    return int(conn.execute(query, {"seed": seed, "fraction": fraction}).scalar_one())
