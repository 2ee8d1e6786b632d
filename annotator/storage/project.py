"""The project record (``project``: one row) and its fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from annotator.domain.serialize import canonical_json
from annotator.storage.db import writing

UNTITLED = "Untitled project"
"""The title of a project no file has named yet."""


@dataclass(frozen=True)
class ProjectRecord:
    title: str
    guidelines: str
    fingerprint: str


def ensure_project(engine: Engine, created_at: str, app_version: str) -> None:
    """Give a new workspace its project row (an existing one is left as it is)."""
    with engine.connect() as conn:
        if project(conn) is not None:
            return
    with writing(engine) as conn:
        conn.execute(
            text(
                "INSERT OR IGNORE INTO project "
                "(id, title, guidelines, fingerprint, created_at, app_version) "
                "VALUES (1, :title, '', '', :at, :version)"
            ),
            {"title": UNTITLED, "at": created_at, "version": app_version},
        )


def project(conn: Connection) -> ProjectRecord | None:
    row = conn.execute(text("SELECT title, guidelines, fingerprint FROM project WHERE id = 1"))
    found = row.first()
    return None if found is None else ProjectRecord(*found)


def set_title(conn: Connection, title: str, guidelines: str | None = None) -> None:
    """Name the project (and give its guidelines, when given)."""
    if guidelines is None:
        conn.execute(text("UPDATE project SET title = :t WHERE id = 1"), {"t": title})
    else:
        conn.execute(
            text("UPDATE project SET title = :t, guidelines = :g WHERE id = 1"),
            {"t": title, "g": guidelines},
        )


def store_fingerprint(conn: Connection) -> str:
    """Recompute and store the project fingerprint: the label schemes and every case's hash.

    Two reviewers' files with the same fingerprint were made from the same cases.
    """
    schemes = {
        crit: {"labels": json.loads(labels), "ordinal": bool(ordinal)}
        for crit, labels, ordinal in conn.execute(
            text("SELECT criterion, labels, ordinal FROM scheme ORDER BY criterion")
        )
    }
    digest = hashlib.sha256(canonical_json(schemes).encode("utf-8"))
    for (case_hash,) in conn.execute(text("SELECT content_hash FROM cases ORDER BY ext_id")):
        digest.update(case_hash.encode("ascii"))
    fingerprint = f"sha256:{digest.hexdigest()}"
    conn.execute(text("UPDATE project SET fingerprint = :f WHERE id = 1"), {"f": fingerprint})
    return fingerprint
