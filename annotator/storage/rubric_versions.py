"""The rubric versions of each criterion (``rubric_version``) and which decisions are stale.

A criterion without rows is at version 1: its rubric is ``scheme.rubric`` and its guidelines
``project.guidelines``, as imported. The first edit writes that version 1 before its own
(:func:`ensure_first`), so a workspace from before rubric versions needs no migration of data.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from annotator.domain.rubric_versions import FIRST_NOTE, RubricVersion

_COLUMNS = "criterion, version, rubric, guidelines, created_at, author, note"


def current_of(case_criterion: str) -> str:
    """SQL: the current rubric version of the criterion ``case_criterion`` (a column's SQL):
    its newest row's, 1 without rows (one seek in the table's primary key)."""
    return (
        "coalesce((SELECT max(rv.version) FROM rubric_version rv "
        f"WHERE rv.criterion = {case_criterion}), 1)"
    )


def stale(decision: str, case: str) -> str:
    """SQL: the decision ``decision`` (an alias of ``decision``) on the case ``case`` (an alias
    of ``cases``) was taken under an older rubric version than its criterion's current one."""
    return f"{decision}.rubric_version < {current_of(case + '.criterion')}"


STALE_IDS = (
    "SELECT s.case_id FROM (SELECT criterion, max(version) AS current FROM rubric_version "
    "GROUP BY criterion) v JOIN cases sc ON sc.criterion = v.criterion "
    "JOIN decision s ON s.case_id = sc.id WHERE s.rubric_version < v.current"
)
"""SQL: the row ids of the stale decisions' cases, the decisions joined against the current
version of each criterion that has versions (one without is at 1, where nothing is older)."""


def current_versions(conn: Connection) -> dict[str, int]:
    """The current version of every criterion (those without rows: 1)."""
    return {
        criterion: int(version)
        for criterion, version in conn.execute(
            text(f"SELECT s.criterion, {current_of('s.criterion')} FROM scheme s")
        )
    }


def current_version(conn: Connection, criterion: str) -> int:
    value = conn.execute(text(f"SELECT {current_of(':c')}"), {"c": criterion}).scalar()
    return int(value or 1)


def version_of_case(conn: Connection, row_id: int) -> int:
    """The current version of the rubric of the case with row id ``row_id``'s criterion."""
    query = text(f"SELECT {current_of('c.criterion')} FROM cases c WHERE c.id = :id")
    return int(conn.execute(query, {"id": row_id}).scalar() or 1)


def versions(conn: Connection, criterion: str) -> list[RubricVersion]:
    """Every version of ``criterion``, oldest first: its rows, or the version 1 it would have
    (:func:`first_version`) when it has none."""
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM rubric_version WHERE criterion = :c ORDER BY version"),
        {"c": criterion},
    )
    found = [RubricVersion(*row) for row in rows]
    if found:
        return found
    first = first_version(conn, criterion)
    return [] if first is None else [first]


def first_version(conn: Connection, criterion: str) -> RubricVersion | None:
    """Version 1 of a criterion without rows: its scheme's rubric, the project's guidelines and
    the project's creation time (None: no such criterion)."""
    row = conn.execute(
        text(
            "SELECT s.rubric, coalesce(p.guidelines, ''), coalesce(p.created_at, '') "
            "FROM scheme s LEFT JOIN project p ON p.id = 1 WHERE s.criterion = :c"
        ),
        {"c": criterion},
    ).first()
    if row is None:
        return None
    return RubricVersion(criterion, 1, row[0] or "", row[1], row[2], "", FIRST_NOTE)


def ensure_first(conn: Connection, criterion: str) -> None:
    """Write a criterion's version 1 (:func:`first_version`) if it has no rows."""
    has = conn.execute(
        text("SELECT 1 FROM rubric_version WHERE criterion = :c LIMIT 1"), {"c": criterion}
    ).first()
    first = None if has else first_version(conn, criterion)
    if first is not None:
        add_version(conn, first)


def add_version(conn: Connection, version: RubricVersion) -> None:
    conn.execute(
        text(
            f"INSERT INTO rubric_version ({_COLUMNS}) VALUES "
            "(:criterion, :version, :rubric, :guidelines, :created_at, :author, :note)"
        ),
        {
            "criterion": version.criterion,
            "version": version.version,
            "rubric": version.rubric,
            "guidelines": version.guidelines,
            "created_at": version.created_at,
            "author": version.author,
            "note": version.note,
        },
    )


def hashes(conn: Connection) -> dict[tuple[str, int], str]:
    """Every stored version's hash, by (criterion, version), with each criterion's version 1
    (stored or not): what the labelled and merged files write beside a decision."""
    found: dict[tuple[str, int], str] = {}
    for (criterion,) in conn.execute(text("SELECT criterion FROM scheme")):
        for version in versions(conn, criterion):
            found[(criterion, version.version)] = version.hash
    return found


def stale_count(conn: Connection, criterion: str | None = None) -> int:
    """How many decisions (of ``criterion``, or of all) were taken under an older rubric."""
    where = "" if criterion is None else "AND sc.criterion = :c"
    query = text(f"SELECT count(*) FROM ({STALE_IDS} {where})")
    return int(conn.execute(query, {"c": criterion}).scalar() or 0)
