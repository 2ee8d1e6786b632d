"""The project's held-out split (docs/alignment.md, "The split"): its settings and
``annotator split``, the queue's Split column and filter (in SQL, equal to ``domain.split``),
the ``split`` field of every export, and the calibration packs a workspace records."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from annotator.cli import main
from annotator.domain.queue import QueueFilter
from annotator.domain.split import Part, part_of, position
from annotator.formats.merged import read_merged
from annotator.services.calibration import write_pack
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import export_merged, merge_into_workspace, merge_to_file
from annotator.services.queue import QueueLoad, queue_ids, queue_rows
from annotator.services.review import ReviewService
from annotator.services.split import (
    SplitSettings,
    moves,
    part_counts,
    set_split_settings,
    split_counts,
    split_settings,
)
from annotator.services.with_source import export_with_source
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl

N = 240


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A generated project: N cases (two criteria), every third one left undecided."""
    rows = [
        case(f"case-{i:04d}", criterion="tone" if i % 2 else "facts", judge="pass")
        for i in range(N)
    ]
    header = {**PASS_FAIL, "criteria": {c: {"labels": ["fail", "pass"]} for c in ("tone", "facts")}}
    source = write_jsonl(tmp_path / "cases.jsonl", rows, header)
    ws = Workspace.open(tmp_path / "w.annotator")
    import_file(ws, source)
    review = ReviewService(ws, "expert")
    for i in range(N):
        if i % 3:
            row = review.row_id(f"case-{i:04d}") or 0
            review.decide(row, "fail" if i % 5 else "pass", f"because {i}")
    ws.close()
    return tmp_path / "w.annotator"


def _decided(ws: Workspace) -> list[str]:
    with ws.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT c.ext_id FROM cases c JOIN decision d ON d.case_id = c.id "
                    "ORDER BY c.position"
                )
            ).scalars()
        )


def _ids(ws: Workspace, flt: QueueFilter) -> set[str]:
    rows = queue_rows(ws, list(queue_ids(ws, flt)))
    return {r.ext_id for r in rows.values()}


# -- settings -----------------------------------------------------------------------------------


def test_settings_default_and_round_trip(project: Path) -> None:
    ws = Workspace.open(project)
    assert split_settings(ws) == SplitSettings(0.5, 0)
    set_split_settings(ws, SplitSettings(0.3, 7))
    ws.close()
    again = Workspace.open(project)
    assert split_settings(again) == SplitSettings(0.3, 7)
    with pytest.raises(ValueError, match="between 0 and 1"):
        set_split_settings(again, SplitSettings(1.5, 7))
    assert split_settings(again) == SplitSettings(0.3, 7)
    again.close()


def test_counts_are_the_domain_split_of_the_decided_cases(project: Path) -> None:
    ws = Workspace.open(project)
    set_split_settings(ws, SplitSettings(0.4, 3))
    decided = _decided(ws)
    held = [i for i in decided if part_of(3, i, 0.4) is Part.HELDOUT]
    counts = split_counts(ws)
    assert (counts.examples, counts.heldout) == (len(decided) - len(held), len(held))
    assert part_counts(ws) == (counts.examples, counts.heldout)
    assert sum(s.total for s in counts.strata) == len(decided)
    assert {(s.criterion, s.label) for s in counts.strata} == {
        (c, lab) for c in ("facts", "tone") for lab in ("fail", "pass")
    }
    ws.close()


@pytest.mark.parametrize(("before", "after"), [(0.3, 0.6), (0.6, 0.3), (0.5, 0.5)])
def test_changing_the_fraction_moves_only_one_way(
    project: Path, before: float, after: float
) -> None:
    ws = Workspace.open(project)
    set_split_settings(ws, SplitSettings(before, 0))
    decided = _decided(ws)
    old = {i: part_of(0, i, before) for i in decided}
    new = {i: part_of(0, i, after) for i in decided}
    moved = [i for i in decided if old[i] is not new[i]]
    assert moves(ws, SplitSettings(after, 0)) == len(moved)
    if after > before:
        assert moved and all(old[i] is Part.EXAMPLES for i in moved)
    elif after < before:
        assert moved and all(old[i] is Part.HELDOUT for i in moved)
    else:
        assert not moved
    # A new seed moves cases both ways.
    reseeded = [i for i in decided if part_of(9, i, before) is not old[i]]
    assert moves(ws, SplitSettings(before, 9)) == len(reseeded) > 0
    ws.close()


def test_the_split_command_shows_and_sets(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["split", str(project)]) == 0
    out = capsys.readouterr().out
    assert "held-out share 0.5, split seed 0" in out
    ws = Workspace.open(project)
    decided = _decided(ws)
    ws.close()
    held = sum(part_of(0, i, 0.5) is Part.HELDOUT for i in decided)
    assert f"{len(decided)} decided cases: {len(decided) - held} examples, {held} held-out" in out
    assert "criterion" in out and "facts" in out and "tone" in out

    grown = sum(part_of(0, i, 0.5) is not part_of(0, i, 0.8) for i in decided)
    assert main(["split", str(project), "--fraction", "0.8"]) == 0
    out = capsys.readouterr().out
    assert f"{grown} decided cases move from examples to held-out" in out
    assert "held-out share 0.8, split seed 0" in out

    assert main(["split", str(project), "--seed", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["heldout_fraction"], data["seed"]) == (0.8, 4)
    assert data["changed_from"]["seed"] == 0
    assert data["decided"] == len(decided) == data["examples"] + data["heldout"]
    assert sum(s["examples"] + s["heldout"] for s in data["strata"]) == len(decided)

    assert main(["split", str(project), "--fraction", "2"]) == 1
    assert "between 0 and 1" in capsys.readouterr().err
    ws = Workspace.open(project)
    assert split_settings(ws) == SplitSettings(0.8, 4)
    ws.close()


# -- the queue ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fraction", "seed"), [(0.5, 0), (0.25, 11)])
def test_the_queue_filter_is_the_domain_split(project: Path, fraction: float, seed: int) -> None:
    ws = Workspace.open(project)
    set_split_settings(ws, SplitSettings(fraction, seed))
    decided = _decided(ws)
    expected = {part: {i for i in decided if part_of(seed, i, fraction) is part} for part in Part}
    for part in Part:
        flt = QueueFilter(kinds=None, split=part)
        assert _ids(ws, flt) == expected[part]
        # The first rows (a walk of the queue index) admit the same cases, in the same order.
        load = QueueLoad(ws, flt, page=10_000, page_seconds=60)
        assert list(load.run()) == list(queue_ids(ws, flt))
    # With another filter too.
    tone = _ids(ws, QueueFilter(kinds=None, split=Part.HELDOUT, criterion="tone"))
    assert tone == {i for i in expected[Part.HELDOUT] if int(i[-4:]) % 2}
    ws.close()


def test_the_split_column_of_each_row(project: Path) -> None:
    ws = Workspace.open(project)
    set_split_settings(ws, SplitSettings(0.5, 2))
    rows = queue_rows(ws, list(queue_ids(ws, QueueFilter(kinds=None))))
    assert len(rows) == N
    for row in rows.values():
        if row.final_label is None:
            assert row.part is None
        else:
            assert row.part is part_of(2, row.ext_id, 0.5)
    ws.close()


def test_a_leads_unanimous_cases_are_decided(tmp_path: Path) -> None:
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    merge_into_workspace(lead, files)
    review = ReviewService(lead, "lee")
    review.decide(review.row_id("c2") or 0, "fail", "lee settles c2")
    # c1, c4, c6 unanimous; c2 the lead's; c3 an open conflict; c5 nobody's.
    both = set()
    for part in Part:
        found = _ids(lead, QueueFilter(kinds=None, split=part))
        assert all(part_of(0, i, 0.5) is part for i in found)
        both |= found
    assert both == {"c1", "c2", "c4", "c6"}
    assert review.case(review.row_id("c3") or 0).part is None
    assert review.case(review.row_id("c4") or 0).part is part_of(0, "c4", 0.5)
    out = tmp_path / "merged.jsonl"
    export_merged(lead, out)
    lead.close()
    splits = {line["id"]: line["split"] for line in _lines(out)}
    assert splits["c3"] == ""
    assert all(splits[i] == part_of(0, i, 0.5).value for i in ("c1", "c2", "c4", "c6"))


# -- exports ------------------------------------------------------------------------------------


def test_every_export_carries_the_split(project: Path, tmp_path: Path) -> None:
    ws = Workspace.open(project)
    set_split_settings(ws, SplitSettings(0.6, 5))

    def want(line: dict[str, Any]) -> str:
        if line["status"] != "decided":
            return ""
        return part_of(5, line["id"], 0.6).value

    export_decisions(ws, tmp_path / "all.jsonl", include_undecided=True)
    lines = _lines(tmp_path / "all.jsonl")
    assert len(lines) == N
    assert {line["split"] for line in lines} == {"", "examples", "heldout"}
    assert all(line["split"] == want(line) for line in lines)

    export_decisions(ws, tmp_path / "d.csv", "csv")
    with (tmp_path / "d.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["split"] == want(r) for r in rows)

    export_with_source(ws, tmp_path / "src.jsonl", include_undecided=True)
    lines = [line for line in _lines(tmp_path / "src.jsonl") if "project" not in line]
    assert len(lines) == N
    assert all(line["annotator"]["split"] == want(line["annotator"]) for line in lines)
    ws.close()


def test_export_all_of_a_leads_workspace_gives_every_settled_case_its_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``annotator export --all`` of a lead's workspace: the cases the reviewers settled (their
    unanimous label, no decision of the lead's) carry their part as the lead's settled
    conflicts do, as the queue, ``annotator split`` and the merged file place them; an open
    conflict (the lead's own review before the merge settles nothing) and a case nobody
    decided carry none."""
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead_ws = tmp_path / "lead.annotator"
    assert main(["import", str(pack), "--workspace", str(lead_ws), "-q"]) == 0
    assert main(["split", str(lead_ws), "--seed", "3", "--fraction", "0.5"]) == 0
    lead = Workspace.open(lead_ws)
    own = ReviewService(lead, "lee", clock=lambda: "2026-01-01T09:00:00Z")  # (before the merge)
    own.decide(own.row_id("c2") or 0, "fail", "lee's own review, before the files")
    lead.close()
    assert main(["merge", *map(str, files), "--into", str(lead_ws), "-q"]) == 0
    lead = Workspace.open(lead_ws)
    review = ReviewService(lead, "lee")
    review.decide(review.row_id("c3") or 0, "pass", "lee settles c3")
    placed = {
        r.ext_id: r.part
        for r in queue_rows(lead, list(queue_ids(lead, QueueFilter(kinds=None)))).values()
    }
    lead.close()
    settled = {"c1", "c3", "c4", "c6"}  # unanimous (c4: ana alone), and the lead's c3
    assert {i for i, part in placed.items() if part is not None} == settled
    capsys.readouterr()

    for name in ("all.jsonl", "all.csv"):
        assert main(["export", str(lead_ws), "--all", "-o", str(tmp_path / name), "-q"]) == 0
    lines = _lines(tmp_path / "all.jsonl")
    with (tmp_path / "all.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert main(["export", str(lead_ws), "--merged", "-o", str(tmp_path / "m.jsonl"), "-q"]) == 0
    merged = {line["id"]: line["split"] for line in _lines(tmp_path / "m.jsonl")}
    want = {
        f"c{i}": part_of(3, f"c{i}", 0.5).value if f"c{i}" in settled else "" for i in range(1, 7)
    }
    assert {line["id"]: line["split"] for line in lines} == want
    assert {row["id"]: row["split"] for row in rows} == want
    assert {i: p for i, p in merged.items()} == {i: want[i] for i in merged}
    assert {line["id"]: line["status"] for line in lines if line["id"] in ("c1", "c2")} == {
        "c1": "undecided",  # the reviewers' label, not the lead's decision
        "c2": "decided",  # the lead's own review of an open conflict: no part yet
    }


def test_a_merge_of_files_uses_the_default_split(tmp_path: Path) -> None:
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    out = tmp_path / "merged.jsonl"
    merge_to_file(files, out)
    lines = _lines(out)
    # c2 and c3 are conflicts (no lead in a merge of files), c5 nobody decided.
    assert {line["id"]: line["split"] for line in lines if line["label"] is None} == {
        "c2": "",
        "c3": "",
    }
    decided = [line for line in lines if line["label"] is not None]
    assert decided and all(line["split"] == part_of(0, line["id"], 0.5) for line in decided)
    assert len(list(read_merged(out))) == len(lines)  # the reader takes the field


# -- calibration packs --------------------------------------------------------------------------


def _packs(ws: Workspace) -> list[Any]:
    with ws.engine.connect() as conn:
        packs = conn.execute(
            text("SELECT id, path, seed, fraction, written_at FROM calibration_pack ORDER BY id")
        ).all()
        examples = conn.execute(
            text(
                "SELECT e.pack_id, c.ext_id FROM calibration_example e "
                "JOIN cases c ON c.id = e.case_id"
            )
        ).all()
    return [(p, {ext for pack, ext in examples if pack == p[0]}) for p in packs]


def test_a_pack_is_recorded_with_its_examples(project: Path, tmp_path: Path) -> None:
    ws = Workspace.open(project)
    set_split_settings(ws, SplitSettings(0.3, 8))
    written = write_pack(ws, tmp_path / "pack")
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["split"]["seed"] == 8 and manifest["split"]["heldout_fraction"] == 0.3
    [(pack, examples)] = _packs(ws)
    assert pack[1] == str((tmp_path / "pack").resolve())
    assert (pack[2], pack[3]) == (8, 0.3) and pack[4]
    assert examples == set(manifest["ids"]["examples"]) and len(examples) == written.examples
    assert not examples & set(manifest["ids"]["heldout"])
    # This pack only: the project's settings stay.
    write_pack(ws, tmp_path / "other", fraction=0.9, seed=1)
    assert split_settings(ws) == SplitSettings(0.3, 8)
    [_, (second, _)] = _packs(ws)
    assert (second[2], second[3]) == (1, 0.9)
    ws.close()


def test_calibrate_uses_the_projects_split(project: Path, tmp_path: Path) -> None:
    assert main(["split", str(project), "--fraction", "0.2", "--seed", "6"]) == 0
    assert main(["calibrate", str(project), "-o", str(tmp_path / "a")]) == 0
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["split"]["seed"], manifest["split"]["heldout_fraction"]) == (6, 0.2)
    assert main(["calibrate", str(project), "-o", str(tmp_path / "b"), "--heldout", "0.7"]) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["split"]["seed"], manifest["split"]["heldout_fraction"]) == (6, 0.7)
    # Each command takes the other's name for the share too.
    assert main(["calibrate", str(project), "-o", str(tmp_path / "c"), "--fraction", "0.4"]) == 0
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["split"]["heldout_fraction"] == 0.4
    ws = Workspace.open(project)
    assert split_settings(ws) == SplitSettings(0.2, 6)
    assert [p[0][3] for p in _packs(ws)] == [0.2, 0.7, 0.4]
    ws.close()
    assert main(["split", str(project), "--heldout", "0.25"]) == 0
    ws = Workspace.open(project)
    assert split_settings(ws) == SplitSettings(0.25, 6)
    ws.close()


def test_the_split_command_warns_of_examples_now_held_out(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pack written, then the seed changed: the held-out cases that were its examples are
    counted (equal to a plain recount of the manifest's examples against the new split) and
    warned of, in text and in JSON; set back, no warning."""
    ws = Workspace.open(project)
    write_pack(ws, tmp_path / "pack")
    ws.close()
    manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text(encoding="utf-8"))
    assert main(["split", str(project)]) == 0
    assert "Warning" not in capsys.readouterr().out
    leaked = sum(part_of(3, i, 0.5) is Part.HELDOUT for i in manifest["ids"]["examples"])
    assert leaked > 0
    assert main(["split", str(project), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert f"Warning: {leaked} held-out cases were given as examples in a calibration" in out
    assert main(["split", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["heldout_examples"] == leaked
    assert main(["split", str(project), "--seed", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["heldout_examples"] == 0


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.text(min_size=0, max_size=30),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_the_fast_part_is_the_position_against_the_fraction(
    seed: int, case_id: str, fraction: float
) -> None:
    held = position(seed, case_id) < fraction
    assert part_of(seed, case_id, fraction) is (Part.HELDOUT if held else Part.EXAMPLES)
    # On the edge: a fraction equal to the case's own position holds it out no more.
    at = position(seed, case_id)
    assert part_of(seed, case_id, at) is Part.EXAMPLES
    assert part_of(seed, case_id, math.nextafter(at, 2.0)) is Part.HELDOUT


def test_a_leads_own_review_before_the_merge_settles_no_conflict(tmp_path: Path) -> None:
    """The queue, the case view and the pack agree on what is decided: a decision the lead
    took before the reviewers' files came in is the lead's own review, and settles nothing
    where they disagree (c3); where it agrees with them all, the case is unanimous (c1)."""
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    review = ReviewService(lead, "lee")
    review.decide(review.row_id("c1") or 0, "fail", "lee's own review of c1")
    review.decide(review.row_id("c3") or 0, "pass", "lee's own review of c3")
    merge_into_workspace(lead, files, clock=lambda: "2999-01-01T00:00:00Z")  # (later)
    queued = set().union(*(_ids(lead, QueueFilter(kinds=None, split=p)) for p in Part))
    written = write_pack(lead, tmp_path / "out", fraction=0.0)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert queued == set(manifest["ids"]["examples_part"]) == {"c1", "c4", "c6"}
    assert written.decided == 3
    assert review.case(review.row_id("c3") or 0).part is None
    assert review.case(review.row_id("c1") or 0).part is part_of(0, "c1", 0.5)
    assert split_counts(lead).decided == 3
    lead.close()
