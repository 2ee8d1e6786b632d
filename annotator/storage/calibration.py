"""The calibration packs written from a workspace (``calibration_pack``) and the cases each
gave as examples (``calibration_example``): a judge run scored on any of them was shown them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text


def record_pack(
    conn: Connection,
    path: str,
    written_at: str,
    seed: int,
    fraction: float,
    example_ids: Iterable[str],
) -> int:
    """Record a pack and its examples (by case id; an id the workspace does not hold is left
    out); returns the pack's row id."""
    found = conn.execute(
        text(
            "INSERT INTO calibration_pack (path, written_at, seed, fraction) "
            "VALUES (:path, :at, :seed, :fraction) RETURNING id"
        ),
        {"path": path, "at": written_at, "seed": seed, "fraction": fraction},
    ).scalar_one()
    pack_id = int(found)
    rows = [{"pack": pack_id, "ext": ext_id} for ext_id in dict.fromkeys(example_ids)]
    if rows:
        conn.execute(
            text(
                "INSERT OR IGNORE INTO calibration_example (pack_id, case_id) "
                "SELECT :pack, id FROM cases WHERE ext_id = :ext"
            ),
            rows,
        )
    return pack_id


def pack_examples(conn: Connection) -> list[tuple[int, str, str, int, float, list[str]]]:
    """Every pack recorded, oldest first: ``(id, path, written_at, seed, fraction, example
    case ids)``."""
    packs = conn.execute(
        text("SELECT id, path, written_at, seed, fraction FROM calibration_pack ORDER BY id")
    ).all()
    found: list[tuple[int, str, str, int, float, list[str]]] = []
    for pack_id, path, written_at, seed, fraction in packs:
        ids = conn.execute(
            text(
                "SELECT c.ext_id FROM calibration_example e JOIN cases c ON c.id = e.case_id "
                "WHERE e.pack_id = :pack ORDER BY c.position"
            ),
            {"pack": pack_id},
        ).scalars()
        found.append((pack_id, path, written_at, seed, fraction, list(ids)))
    return found
