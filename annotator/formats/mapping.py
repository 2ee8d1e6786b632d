"""Reading other people's field names as ours: ``--map ours=theirs`` and the GUI's guesses."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.formats.normalize import to_text

TARGETS: tuple[str, ...] = (
    "id",
    "criterion",
    "input",
    "output",
    "outputs",
    "reference",
    "judge",
    "judge.label",
    "judge.rationale",
    "judge.score",
    "judge.model",
    "ratings",
    "meta",
)
"""Our fields a source field can be mapped to."""

_PREFIXES = {"ratings": "ratings", "rating": "ratings", "outputs": "outputs", "output": "outputs",
             "meta": "meta"}  # fmt: skip
"""Also mappable: ``ratings.<rater>`` (one rater's label), ``outputs.<name>``, ``meta.<key>``."""

_MISSING = object()

COMPOSABLE = ("id", "criterion", "input", "output", "reference", "judge.rationale", "judge.model")
"""Text fields that can be built from several source fields (``input=instruction+input``);
also ``outputs.<name>`` and ``meta.<key>``."""
JOINED_BY = "\n\n"
"""Between the parts of a composed text field: a blank line."""
ID_JOINED_BY = "|"
"""Between the parts of a composed id (``id=question_id+model_a+model_b``)."""


def composable(ours: str) -> bool:
    """Whether our field ``ours`` (in its one spelling) may be built from several fields."""
    return ours in COMPOSABLE or ours.startswith(("outputs.", "meta."))


def normalize_target(ours: str) -> str:
    """Our field name in its one spelling; ValueError when it is not a field we know."""
    ours = ours.strip()
    if ours in TARGETS:
        return ours
    head, dot, rest = ours.partition(".")
    if dot and rest and head in _PREFIXES:
        return f"{_PREFIXES[head]}.{rest}"
    raise ValueError(
        f"unknown field '{ours}' in --map; expected one of: {', '.join(TARGETS)} "
        "(or ratings.<rater>, outputs.<name>, meta.<key>)"
    )


@dataclass(frozen=True)
class FieldMapping:
    """Pairs of (our field, their source path)."""

    pairs: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        pairs = tuple((normalize_target(ours), theirs.strip()) for ours, theirs in self.pairs)
        seen: set[str] = set()
        for ours, theirs in pairs:
            if not theirs:
                raise ValueError(f"--map {ours}= names no source field")
            if ours in seen:
                raise ValueError(f"field '{ours}' is mapped twice in --map")
            seen.add(ours)
        object.__setattr__(self, "pairs", pairs)

    @classmethod
    def parse(cls, specs: Iterable[str]) -> FieldMapping:
        """Build from command-line strings ``ours=theirs``."""
        pairs = []
        for spec in specs:
            ours, eq, theirs = spec.partition("=")
            if not eq or not ours.strip() or not theirs.strip():
                raise ValueError(f"bad --map '{spec}'; expected ours=theirs, e.g. input=prompt")
            pairs.append((ours, theirs))
        return cls(tuple(pairs))

    def as_dict(self) -> dict[str, str]:
        return dict(self.pairs)

    def apply(
        self, record: dict[str, Any], flat: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A new record in our field names.

        ``flat`` is a CSV row by column name: a source is looked up there first (column names
        may contain dots), then as an exact key of ``record``, then as a dotted path into it.
        A mapped field whose source is missing is left absent.
        """
        out = dict(record)
        for ours, theirs in sorted(self.pairs, key=lambda p: p[0].count(".")):
            if composable(ours):
                value = _composed(ours, record, theirs, flat)
            else:
                value = lookup(record, theirs, flat)
            if value is _MISSING:
                _delete_path(out, ours)
            else:
                _set_path(out, ours, value)
        return out

    def targets(self) -> set[str]:
        """Our fields the mapping sets, and their first parts (``judge`` for ``judge.label``)."""
        return {ours for ours, _ in self.pairs} | {o.split(".")[0] for o, _ in self.pairs}


def _composed(
    ours: str, record: Mapping[str, Any], theirs: str, flat: Mapping[str, Any] | None
) -> Any:
    """The value of ``theirs``; or, when no field has that name and it joins names with "+",
    their texts joined (by a blank line; an id's by "|"), parts missing or empty left out
    (an id keeps its empty parts in place). Missing when every part is."""
    value = lookup(record, theirs, flat)
    if value is not _MISSING or "+" not in theirs:
        return value
    texts = [_part_text(lookup(record, part.strip(), flat)) for part in theirs.split("+")]
    if all(t is None for t in texts):
        return _MISSING
    if ours == "id":
        return ID_JOINED_BY.join(t or "" for t in texts)
    kept = [t for t in texts if t is not None and t.strip()]
    return JOINED_BY.join(kept) if kept else ""


def _part_text(value: Any) -> str | None:
    if value is _MISSING:
        return None
    return to_text(value)


MISSING = _MISSING
"""What :func:`lookup` returns for a path the record does not have."""


def lookup(record: Mapping[str, Any], path: str, flat: Mapping[str, Any] | None = None) -> Any:
    """The value at ``path`` in ``record``: a CSV column of ``flat`` (an empty cell is
    missing), a key, or a dotted path (a number in it indexes a list, from 0:
    ``conversation.0.content``). :data:`MISSING` when there is none."""
    if flat is not None and path in flat:
        return flat[path] if flat[path] != "" else _MISSING
    if path in record:
        return record[path]
    node: Any = record
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdecimal() and len(part) < 10:
            if int(part) >= len(node):
                return _MISSING
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _set_path(record: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path, copying (or creating) the dicts on the way so the source is untouched."""
    *parents, last = path.split(".")
    node = record
    for part in parents:
        child = node.get(part)
        child = dict(child) if isinstance(child, dict) else {}
        node[part] = child
        node = child
    node[last] = value


def _delete_path(record: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node = record
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            return
        child = dict(child)
        node[part] = child
        node = child
    node.pop(last, None)


def source_fields(record: Mapping[str, Any]) -> list[str]:
    """Dotted paths of a sample record: each object and each value under it (not into lists)."""
    fields: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            fields.append(path)
            if isinstance(value, dict):
                walk(value, path + ".")

    walk(record, "")
    return fields


_GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "uid", "uuid", "guid", "example_id", "qid", "case_id", "item_id", "sample_id",
           "question_id", "record_id", "row_id", "_id", "idx", "index", "pair_id", "prompt_id"),
    "criterion": ("criterion", "criteria", "metric", "aspect", "dimension"),
    "input": ("input", "prompt", "question", "query", "instruction", "task", "user_input",
              "input_text", "request", "question_body"),
    "output": ("output", "response", "completion", "answer", "generation", "model_output",
               "output_text", "prediction", "model_response", "model_answer"),
    "outputs": ("outputs", "candidates", "responses", "completions"),
    "reference": ("reference", "gold", "ground_truth", "expected", "expected_output",
                  "expected_answer", "gold_answer", "reference_answer", "target"),
    "judge.label": ("judge_label", "verdict", "llm_label", "judge_verdict", "llm_verdict",
                    "judgment", "judgement", "judge_decision", "llm_judgment", "judge_output",
                    "judge_result", "llm_result", "*_result", "winner", "preference"),
    "judge.rationale": ("judge_rationale", "explanation", "reasoning", "rationale", "critique",
                        "judge_reasoning", "judge_explanation", "llm_rationale",
                        "llm_explanation", "reason", "judge_reason"),
    "judge.score": ("judge_score", "llm_score"),
    "judge.model": ("judge_model", "llm_model", "evaluator_model", "grader_model"),
    "ratings": ("ratings", "human_labels", "annotations", "human_ratings", "human_label",
                "human_annotations", "rater_labels", "raters"),
    "meta": ("meta", "metadata", "info", "extra"),
}  # fmt: skip
"""Our field by the names (folded: lower case, ``_`` for other characters) that real exports
give it, best first; ``*_result`` stands for any name ending so (``gpt4_result``)."""

_PAIRED: tuple[tuple[str, str, str], ...] = (
    ("outputs", "response1", "response2"),
    ("outputs", "response_1", "response_2"),
    ("outputs", "response_a", "response_b"),
    ("outputs", "output_1", "output_2"),
    ("outputs", "output_a", "output_b"),
    ("outputs", "answer_a", "answer_b"),
    ("outputs", "answer1", "answer2"),
    ("outputs", "completion_a", "completion_b"),
    ("meta", "model_a", "model_b"),
    ("meta", "generator_1", "generator_2"),
    ("meta", "model_1", "model_2"),
)
"""Two fields side by side (pairwise comparisons), each kept under its own name:
``outputs.output_1=output_1``, ``meta.model_a=model_a``."""

_RATER = re.compile(r"(annotator|human|rater|labell?er|worker|annotation)_?([0-9]+|[a-z])")
"""A field holding one rater's label: ``annotator1``, ``human_2``, ``rater_a``."""


_COMPOSED_GUESSES: dict[str, tuple[str, ...]] = {
    "input": ("instruction", "input"),  # Alpaca and AlpacaEval: "input" is optional context
}
"""Fields guessed as one text joined from several: a file with both names has the input in
both. (Checked before the single-name guesses.)"""


def _found(name: str, by_fold: Mapping[str, str], used: set[str]) -> str | None:
    """The unused source field ``name`` (a folded name, or ``*_suffix``) stands for."""
    if name.startswith("*"):
        for folded, field in by_fold.items():
            if folded.endswith(name[1:]) and folded != name[1:] and field not in used:
                return field
        return None
    found = by_fold.get(name)
    return found if found is not None and found not in used else None


def _fold(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


def first_named(names: Sequence[str], fields: Sequence[str], used: set[str]) -> str | None:
    """The first of ``fields`` not in ``used`` named as one of ``names`` (folded, best first;
    ``*_suffix`` stands for any name ending so), or None."""
    by_fold: dict[str, str] = {}
    for f in fields:
        by_fold.setdefault(_fold(f), f)
    for name in names:
        found = _found(name, by_fold, used)
        if found is not None:
            return found
    return None


def rater_fields(fields: Sequence[str], used: set[str]) -> list[str]:
    """The fields named like one rater's label (``annotator1``, ``human_2``, ``rater_a``)."""
    return [f for f in fields if _RATER.fullmatch(_fold(f)) and f not in used]


def named_like_ours(target: str, fields: Sequence[str]) -> bool:
    """Whether the source already holds ``target`` under our own name."""
    prefixes = [target + "."] + {"ratings": ["rating."], "outputs": ["output."]}.get(target, [])
    if any(f == target or f.startswith(tuple(prefixes)) for f in fields):
        return True
    bare_judge = "judge" in fields and not any(f.startswith("judge.") for f in fields)
    return target == "judge.label" and bare_judge


REQUIRED = ("id", "input", "judge.label")


def uses_our_names(records: Sequence[Mapping[str, Any]]) -> bool:
    """True when sample records hold every required field under our names (no mapping needed)."""
    fields: list[str] = []
    for record in records:
        fields += source_fields(record)
    return bool(records) and all(named_like_ours(t, fields) for t in REQUIRED)


def guess_mapping(source_fields: Sequence[str]) -> FieldMapping:
    """Guess which source fields hold ours, from common names; fields named like ours are kept."""
    fields = list(source_fields)
    by_fold: dict[str, str] = {}
    for f in fields:
        by_fold.setdefault(_fold(f), f)
    used: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for target, parts in _COMPOSED_GUESSES.items():
        sources = [by_fold[name] for name in parts if name in by_fold]
        if len(sources) == len(parts):
            pairs.append((target, "+".join(sources)))
            used.update(sources)
    for target, names in _GUESSES.items():
        if named_like_ours(target, fields) or any(ours == target for ours, _ in pairs):
            continue
        for name in names:
            found = _found(name, by_fold, used)
            if found is not None:
                pairs.append((target, found))
                used.add(found)
                break
    pairs += _guess_per_field(fields, by_fold, used, {ours for ours, _ in pairs})
    return FieldMapping(tuple(pairs))


def _guess_per_field(
    fields: Sequence[str], by_fold: Mapping[str, str], used: set[str], mapped: set[str]
) -> list[tuple[str, str]]:
    """A column per rater (``ratings.human_1=human_1``) and pairs of outputs and of models."""
    pairs: list[tuple[str, str]] = []
    for prefix, *names in _PAIRED:
        sources = [by_fold.get(n) for n in names]
        if prefix in mapped or named_like_ours(prefix, fields) or None in sources:
            continue
        for source in sources:
            assert source is not None
            if source not in used and f"{prefix}.{source}" not in mapped:
                pairs.append((f"{prefix}.{source}", source))
                used.add(source)
    if "ratings" in mapped or named_like_ours("ratings", fields):
        return pairs
    raters = [f for fold, f in by_fold.items() if _RATER.fullmatch(fold) and f not in used]
    if raters:
        pairs += [(f"ratings.{f}", f) for f in raters]
        used.update(raters)
    return pairs


def map_line(path: str, mapping: FieldMapping) -> str:
    """The command that imports ``path`` with ``mapping``, quoted for a POSIX shell:
    ``annotator import FILE --map id=question_id --map input=instruction+input``."""
    maps = " ".join(f"--map {shlex.quote(f'{ours}={theirs}')}" for ours, theirs in mapping.pairs)
    return f"annotator import {shlex.quote(path)}" + (f" {maps}" if maps else "")


def refusal_hint(
    path: str, fields: Sequence[str], given: FieldMapping | None = None, *, kind: str = "fields"
) -> str:
    """For a file refused for a missing id, input or judge label: the ``kind`` (fields,
    columns) it has, and the import with the mapping the guesser proposes, ``given`` kept."""
    shown = ", ".join(fields) or "none"
    hint = f"; {kind} found: {shown}"
    pairs = list(given.pairs) if given is not None else []
    ours = {o for o, _ in pairs}
    theirs = {t for _, t in pairs}
    for o, t in guess_mapping(fields).pairs:
        if o not in ours and o.split(".")[0] not in ours and t not in theirs:
            pairs.append((o, t))
    if pairs and (given is None or len(pairs) > len(given.pairs)):
        hint += f"; the guessed mapping: {map_line(path, FieldMapping(tuple(pairs)))}"
    return hint
