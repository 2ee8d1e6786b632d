"""A calibration pack: the experts' decided cases, split into examples for the judge's prompt
and held-out cases to measure the next judge on (docs/alignment.md; the files' formats in
docs/formats.md, "Calibration pack").

One pass over the decided cases (``decided.py``: a reviewer's decisions, or what a lead's merge
settles): a held-out case goes straight into
heldout.jsonl (without any label); a case of the examples part is offered to its criterion's
:class:`Picker` and counted in its :class:`Mistakes`. Each file is written atomically,
manifest.json last, so a pack with a manifest is whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from annotator import __version__
from annotator.domain.merge import Scale
from annotator.domain.model import DEFAULT_CRITERION, LabelScheme
from annotator.domain.split import (
    Part,
    Strata,
    Stratum,
    check_fraction,
    part_of,
)
from annotator.fileio import atomic_write
from annotator.services.calibration.decided import Decided, decided_cases
from annotator.services.calibration.picking import Example, Mistakes, Picker
from annotator.services.calibration.prompt import CriterionPart, render
from annotator.services.exporter import refuse_precious
from annotator.services.split import split_settings
from annotator.services.workspace import Workspace, now_iso
from annotator.storage import calibration, schemes
from annotator.storage import project as stored_project
from annotator.storage.db import writing

if TYPE_CHECKING:
    from annotator.services.agreement.report import Rule

DEFAULT_EXAMPLES = 8
"""Examples per criterion."""
PACK_FORMAT = "annotator calibration pack"
PACK_VERSION = 1
FILES = ("examples.jsonl", "prompt.md", "heldout.jsonl", "manifest.json")


@dataclass(frozen=True)
class PackWritten:
    """What :func:`write_pack` wrote."""

    folder: Path
    decided: int
    examples_part: int
    heldout: int
    examples: int
    """Lines of examples.jsonl."""
    strata: list[Stratum]

    def describe(self) -> str:
        said = (
            f"Wrote a calibration pack to {self.folder}: {self.examples} examples from the "
            f"{self.examples_part} decided cases of the examples part, and {self.heldout} "
            f"held-out cases (of {self.decided} decided)."
        )
        if not self.decided:
            said += (
                " No case is decided yet, so the pack is empty: decide cases first (a lead: "
                "merge the reviewers' files, File › Merge reviewer files…)."
            )
        return said


def write_pack(
    ws: Workspace,
    folder: Path,
    *,
    k: int = DEFAULT_EXAMPLES,
    fraction: float | None = None,
    seed: int | None = None,
) -> PackWritten:
    """Write the calibration pack of ``ws``'s decided cases into ``folder`` (made if need be).

    ``fraction`` and ``seed``: this pack's split, by default the project's
    (``services.split``). Once every file is written, the pack and the cases it gave as
    examples are recorded in the workspace (``calibration_pack``, ``calibration_example``), so
    that a judge run scored on one of them can be warned of."""
    project_split = split_settings(ws)
    fraction = project_split.fraction if fraction is None else fraction
    seed = project_split.seed if seed is None else seed
    check_fraction(fraction)
    if k < 0:
        raise ValueError(f"the number of examples cannot be negative ({k})")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file; the calibration pack needs a folder")
    for name in FILES:
        refuse_precious(ws, folder / name)
    folder.mkdir(parents=True, exist_ok=True)
    with ws.engine.connect() as conn:
        record = stored_project.project(conn)
        stored = {c: s.scheme for c, s in schemes.schemes(conn).items()}
        scales = schemes.scales(conn)
    title, fingerprint = (record.title, record.fingerprint) if record else ("", "")
    guidelines = record.guidelines if record else ""
    ids: dict[Part, list[str]] = {Part.EXAMPLES: [], Part.HELDOUT: []}
    tally = Strata()
    pickers: dict[str, Picker] = {}
    mistakes: dict[str, Mistakes] = {}
    # (imported here: the command line's parser reads DEFAULT_EXAMPLES from this module)
    from annotator.services.agreement.report import Rule

    rules = {c: Rule.of(scale, scale.threshold) for c, scale in scales.items()}
    with atomic_write(folder / "heldout.jsonl") as held:
        _line(held, {"project": _header(title, guidelines, stored)})
        for case in decided_cases(ws):
            part = part_of(seed, case.case_id, fraction)
            ids[part].append(case.case_id)
            tally.add(case.criterion, case.final_label, part)
            if part is Part.HELDOUT:
                _line(held, _unlabelled(case.data, case.criterion))
                continue
            rule = rules.get(case.criterion) or Rule.of(Scale(()), None)
            example = _example(case, rule)
            pickers.setdefault(case.criterion, Picker(k)).offer(example)
            mistakes.setdefault(case.criterion, Mistakes()).add(example)
    criteria = sorted(set(stored) | set(pickers))
    picked = {c: pickers[c].picked() if c in pickers else [] for c in criteria}
    with atomic_write(folder / "examples.jsonl") as fh:
        for criterion in criteria:
            for example in picked[criterion]:
                _line(fh, example.to_json())
    parts = [
        CriterionPart(c, stored.get(c), picked[c], mistakes.get(c, Mistakes())) for c in criteria
    ]
    header = (
        f"Project fingerprint {fingerprint or '(none)'}; split seed {seed}, held-out fraction "
        f"{fraction:g}. Made by annotator {__version__} from the examples part only: no "
        "held-out case is shown or counted here."
    )
    with atomic_write(folder / "prompt.md") as fh:
        fh.write(render(title, header, parts))
    counted = tally.rows()
    written = PackWritten(
        folder,
        decided=len(ids[Part.EXAMPLES]) + len(ids[Part.HELDOUT]),
        examples_part=len(ids[Part.EXAMPLES]),
        heldout=len(ids[Part.HELDOUT]),
        examples=sum(len(p) for p in picked.values()),
        strata=counted,
    )
    manifest = _manifest(written, title, fingerprint, seed, fraction, k, ids, picked)
    with atomic_write(folder / "manifest.json") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    shown = [e.case_id for examples in picked.values() for e in examples]
    with writing(ws.engine) as conn:
        calibration.record_pack(conn, str(folder.resolve()), now_iso(), seed, fraction, shown)
    return written


def _line(fh: IO[str], value: dict[str, Any]) -> None:
    fh.write(json.dumps(value, ensure_ascii=False))
    fh.write("\n")


def _header(title: str, guidelines: str, stored: dict[str, LabelScheme]) -> dict[str, Any]:
    """The case file's project header: the title, guidelines and every criterion's scale and
    rubric, so that the judge is re-run against the same rubric."""
    header: dict[str, Any] = {"title": f"{title} (held out)", "guidelines": guidelines}
    criteria = {name: _scale(scheme) for name, scheme in sorted(stored.items()) if name}
    if DEFAULT_CRITERION in stored:  # cases that name no criterion
        header |= _scale(stored[DEFAULT_CRITERION])
    if criteria:
        header["criteria"] = criteria
    return header


def _scale(scheme: LabelScheme) -> dict[str, Any]:
    return {
        "labels": list(scheme.labels),
        "ordinal": scheme.ordinal,
        "threshold": scheme.threshold if scheme.ordinal else 0,
        "rubric": scheme.rubric,
    }


def _unlabelled(data: dict[str, Any], criterion: str) -> dict[str, Any]:
    """A held-out case as a case file's line, without any label, rating or rationale."""
    line: dict[str, Any] = {"id": data["id"]}
    if criterion != DEFAULT_CRITERION:
        line["criterion"] = criterion
    line["input"] = data["input"]
    for key in ("outputs", "output", "reference"):
        if data.get(key) is not None:
            line[key] = data[key]
    return line


def _example(case: Decided, rule: Rule) -> Example:
    data = case.data
    return Example(
        case_id=case.case_id,
        criterion=case.criterion,
        input=data["input"],
        output=data.get("output"),
        outputs=data.get("outputs"),
        reference=data.get("reference"),
        final_label=case.final_label,
        critique=case.critique,
        judge_label=case.judge_label,
        judge_rationale=data.get("judge", {}).get("rationale", ""),
        judge_right=not rule.wrong(case.final_label, case.judge_label),
        tags=case.tags,
    )


def _manifest(
    written: PackWritten,
    title: str,
    fingerprint: str,
    seed: int,
    fraction: float,
    k: int,
    ids: dict[Part, list[str]],
    picked: dict[str, list[Example]],
) -> dict[str, Any]:
    return {
        "format": PACK_FORMAT,
        "version": PACK_VERSION,
        "app_version": __version__,
        "project": {"title": title, "fingerprint": fingerprint},
        "split": {
            "seed": seed,
            "heldout_fraction": fraction,
            "rule": "held out when the first 8 bytes of SHA-256 of '<seed>\\u001f<case id>' "
            "(UTF-8), read big-endian, divided by 2**64, are below heldout_fraction",
            "stratified": "by expectation: every case is held out with the same chance, so "
            "each criterion x final label is split in the fraction on average; 'strata' "
            "says how each actually fell (an exact split by rank would move cases)",
        },
        "examples_per_criterion": k,
        "files": list(FILES),
        "counts": {
            "decided": written.decided,
            "examples_part": written.examples_part,
            "heldout": written.heldout,
            "examples": written.examples,
            "examples_by_criterion": {c: len(e) for c, e in picked.items()},
        },
        "strata": [s.to_json() for s in written.strata],
        "ids": {
            "examples": [e.case_id for examples in picked.values() for e in examples],
            "examples_part": ids[Part.EXAMPLES],
            "heldout": ids[Part.HELDOUT],
        },
    }
