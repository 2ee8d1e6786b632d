"""A case file imported again: its earlier imports, what reviewers did on their cases, and
their removal when a new import replaces them (``annotator import --replace``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, text

from annotator.domain.model import Status


class EarlierImport(NamedTuple):
    import_id: int
    mapping: dict[str, str]
    """The field mapping it was imported with (``{}``: none)."""
    cases: int
    """Its cases still in the workspace."""


def earlier_imports(conn: Connection, path: str) -> list[EarlierImport]:
    """The imports of ``path`` (a resolved path, as recorded) that left cases, oldest first."""
    rows = conn.execute(
        text(
            "SELECT i.id, i.mapping, (SELECT count(*) FROM cases c WHERE c.import_id = i.id) "
            "FROM import_batch i WHERE i.path = :p ORDER BY i.id"
        ),
        {"p": path},
    )
    found = []
    for import_id, mapping, n in rows:
        try:
            pairs = json.loads(mapping or "{}")
        except ValueError:
            pairs = {}
        if n:
            found.append(EarlierImport(int(import_id), pairs if isinstance(pairs, dict) else {}, n))
    return found


class Held(NamedTuple):
    """What reviewers did on some cases: a replacement would lose it."""

    decided: int
    """Cases decided or skipped."""
    drafts: int
    reviews: int
    """Reviewers' decisions merged from their files."""

    @property
    def any(self) -> bool:
        return bool(self.decided or self.drafts or self.reviews)


def held(conn: Connection, import_ids: Sequence[int]) -> Held:
    """What reviewers did on the cases of ``import_ids``."""
    ids = {"ids": list(import_ids)}

    def count(sql: str) -> int:
        statement = text(sql).bindparams(bindparam("ids", expanding=True))
        return int(conn.execute(statement, ids).scalar() or 0)

    mine = "SELECT id FROM cases WHERE import_id IN :ids"
    return Held(
        count(
            f"SELECT count(*) FROM cases WHERE import_id IN :ids AND status != {Status.UNDECIDED:d}"
        ),
        count(f"SELECT count(*) FROM draft WHERE case_id IN ({mine})"),
        count(f"SELECT count(*) FROM review WHERE case_id IN ({mine})"),
    )


def remove_imports(conn: Connection, import_ids: Sequence[int]) -> int:
    """Delete the imports ``import_ids`` with their cases (their text, ratings and history
    go with them), and the label sets of criteria no case is left in (the import that
    replaces them declares or infers its own); how many cases went."""
    ids = {"ids": list(import_ids)}

    def run(sql: str) -> int:
        statement = text(sql).bindparams(bindparam("ids", expanding=True))
        return int(conn.execute(statement, ids).rowcount or 0)

    removed = run("DELETE FROM cases WHERE import_id IN :ids")
    run("DELETE FROM import_batch WHERE id IN :ids")
    conn.execute(
        text("DELETE FROM scheme WHERE criterion NOT IN (SELECT DISTINCT criterion FROM cases)")
    )
    return removed
