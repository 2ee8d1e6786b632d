"""The project record (``project``: one row) and its fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from annotator.domain.serialize import canonical_json
from annotator.domain.split import DEFAULT_FRACTION, DEFAULT_SEED
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


def set_guidelines(conn: Connection, guidelines: str) -> None:
    """Replace the reviewer guidelines (a rubric edit: ``services/rubrics.py``)."""
    conn.execute(text("UPDATE project SET guidelines = :g WHERE id = 1"), {"g": guidelines})


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


def split_settings(conn: Connection) -> tuple[float, int]:
    """The held-out split's ``(fraction, seed)`` (``domain.split``; the defaults without a
    project row)."""
    found = conn.execute(
        text("SELECT heldout_fraction, split_seed FROM project WHERE id = 1")
    ).first()
    if found is None:
        return DEFAULT_FRACTION, DEFAULT_SEED
    return float(found[0]), int(found[1])


def set_split_settings(conn: Connection, fraction: float, seed: int) -> None:
    conn.execute(
        text("UPDATE project SET heldout_fraction = :f, split_seed = :s WHERE id = 1"),
        {"f": fraction, "s": seed},
    )


@dataclass(frozen=True)
class BlindSettings:
    """How the project is reviewed: blind first (a first label before the judge and raters
    are shown) and in a seeded random order per reviewer (``project.blind_first`` and
    ``project.random_order``, schema 3)."""

    blind_first: bool = False
    random_order: bool = False


def blind_settings(conn: Connection) -> BlindSettings:
    row = conn.execute(text("SELECT blind_first, random_order FROM project WHERE id = 1")).first()
    return BlindSettings() if row is None else BlindSettings(bool(row[0]), bool(row[1]))


def set_blind_settings(
    conn: Connection, blind_first: bool | None = None, random_order: bool | None = None
) -> None:
    """Set either setting (None: left as it is)."""
    for column, value in (("blind_first", blind_first), ("random_order", random_order)):
        if value is not None:
            conn.execute(text(f"UPDATE project SET {column} = :v WHERE id = 1"), {"v": int(value)})
