"""Label Studio's JSON export: a JSON array of tasks, each with its ``data``, the people's
``annotations`` and the models' ``predictions``.

https://labelstud.io/guide/task_format and https://labelstud.io/guide/export#JSON: a task is
``{"id", "data": {...}, "annotations": [{"completed_by", "was_cancelled", "result": [...]}],
"predictions": [{"model_version", "score", "result": [...]}]}``; a result region is
``{"from_name", "to_name", "type", "value"}`` with ``value.choices`` (a list) for ``choices``,
``value.rating`` for ``rating``, ``value.text`` (a list) for ``textarea``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from annotator.formats.mapping import FieldMapping, guess_mapping
from annotator.formats.normalize import Invalid
from annotator.formats.presets.base import (
    KEY,
    Preset,
    Sniff,
    need_object,
    number_text,
    objects,
    text,
)

LABEL_TYPES = ("choices", "rating", "labels", "taxonomy", "number")
"""Result types whose value is a label (the first of them in a task is the label)."""


def _user(completed_by: Any, n: int) -> str:
    """An annotator's name: the e-mail of an exported user object, else ``user N``."""
    if isinstance(completed_by, dict):
        for key in ("email", "username"):
            if isinstance(completed_by.get(key), str) and completed_by[key].strip():
                return str(completed_by[key]).strip()
        names = [completed_by.get(k) for k in ("first_name", "last_name")]
        full = " ".join(x for x in names if isinstance(x, str) and x.strip())
        if full:
            return full
        completed_by = completed_by.get("id")
    if isinstance(completed_by, int | str) and not isinstance(completed_by, bool):
        return f"user {completed_by}"
    return f"annotator {n}"


def _value_label(region: dict[str, Any]) -> str | None:
    kind = region.get("type")
    value = region.get("value")
    if not isinstance(value, dict):
        return None
    found = value.get(kind) if isinstance(kind, str) else None
    if found is None:
        found = next((value[k] for k in LABEL_TYPES if k in value), None)
    if isinstance(found, list):
        labels = [number_text(x) for x in found if x is not None]
        return ", ".join(x for x in labels if x) or None
    return number_text(found) if not isinstance(found, dict) else None


def _text_of(regions: list[Any]) -> str | None:
    """What a ``textarea`` says (its lines joined)."""
    parts = []
    for region in regions:
        if isinstance(region, dict) and region.get("type") == "textarea":
            value = region.get("value")
            lines = value.get("text") if isinstance(value, dict) else None
            if isinstance(lines, list):
                parts += [str(x) for x in lines if x not in (None, "")]
            elif isinstance(lines, str):
                parts.append(lines)
    return "\n".join(parts) or None


def _control(results: list[list[Any]]) -> str | None:
    """The ``from_name`` of the first label-giving region: the control that is the label."""
    for regions in results:
        for region in regions:
            if isinstance(region, dict) and region.get("type") in LABEL_TYPES:
                name = region.get("from_name")
                return name if isinstance(name, str) else ""
    return None


def _label(regions: list[Any], control: str | None) -> str | None:
    for region in regions:
        label_giving = isinstance(region, dict) and region.get("type") in LABEL_TYPES
        if label_giving and (control is None or region.get("from_name", "") == control):
            return _value_label(region)
    return None


def _regions(item: Any) -> list[Any]:
    result = item.get("result") if isinstance(item, dict) else None
    return result if isinstance(result, list) else []


def derive(record: dict[str, Any]) -> dict[str, Any]:
    data = need_object(record, "data", "a Label Studio task")
    annotations = objects(record.get("annotations"))
    annotations = [a for a in annotations if not a.get("was_cancelled")]
    predictions = objects(record.get("predictions"))
    control = _control([_regions(p) for p in predictions] + [_regions(a) for a in annotations])
    out: dict[str, Any] = {"data": _data_fields(data)}
    if predictions:
        first = predictions[0]
        out["judge"] = {
            "label": _label(_regions(first), control),
            "rationale": _text_of(_regions(first)),
            "score": first.get("score"),
            "model": text(first.get("model_version")),
        }
    ratings: dict[str, dict[str, Any]] = {}
    for n, annotation in enumerate(annotations, start=1):
        regions = _regions(annotation)
        rater = _user(annotation.get("completed_by"), n)
        if rater in ratings:
            raise Invalid(f"{rater} annotated the task twice")
        ratings[rater] = {"label": _label(regions, control), "comment": _text_of(regions) or ""}
    out["ratings"] = ratings
    return out


def _data_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The task's input, output(s) and reference by the names its ``data`` gives them, as the
    import dialog guesses them (``instruction+input`` joined; a lone text field, or ``text``,
    is the input)."""
    fields = [k for k in data if isinstance(k, str)]
    wanted = ("input", "output", "outputs", "reference")
    guessed = _guessed(tuple(fields))
    mapped = guessed.apply(data) if guessed.pairs else data
    out = {k: mapped[k] for k in wanted if mapped.get(k) not in (None, "")}
    if "input" not in out:
        used = {part for _, theirs in guessed.pairs for part in theirs.split("+")}
        texts = [k for k in fields if isinstance(data[k], str) and k not in used]
        name = "text" if "text" in data else (texts[0] if texts else None)
        if name is not None:
            out["input"] = data[name]
    return out


@lru_cache(maxsize=256)
def _guessed(fields: tuple[str, ...]) -> FieldMapping:
    """The guessed mapping of a task's data fields onto our texts (the tasks of an export
    share their fields: guessed once)."""
    return FieldMapping(
        tuple(
            (ours, theirs)
            for ours, theirs in guess_mapping(fields).pairs
            if ours in ("input", "output", "reference") or ours.startswith("outputs.")
        )
    )


def recognise(sniff: Sniff) -> bool:
    keys = sniff.keys
    task = "data" in keys and ("annotations" in keys or "predictions" in keys)
    marks = {"completed_by", "from_name", "to_name", "was_cancelled", "inner_id",
             "total_annotations", "model_version", "lead_time"}  # fmt: skip
    return sniff.first == "[" and task and bool(keys & marks)


PRESET = Preset(
    name="label-studio",
    title="a Label Studio JSON export",
    description=(
        "Label Studio's JSON export (Export > JSON): one case per task. The input, output and "
        "reference are the task's data fields, guessed by name (a lone field, or 'text', is "
        "the input); each annotation is a rating by the user who completed it (its first "
        "choices or rating region is the label, a textarea its comment; cancelled annotations "
        "are left out); the first prediction is the judge: its label, model_version as its "
        "model, score, and a textarea as its rationale."
    ),
    doc_url="https://labelstud.io/guide/task_format",
    mapping=FieldMapping(
        (
            ("id", "id"),
            ("input", f"{KEY}.data.input"),
            ("output", f"{KEY}.data.output"),
            ("outputs", f"{KEY}.data.outputs"),
            ("reference", f"{KEY}.data.reference"),
            ("judge.label", f"{KEY}.judge.label"),
            ("judge.rationale", f"{KEY}.judge.rationale"),
            ("judge.score", f"{KEY}.judge.score"),
            ("judge.model", f"{KEY}.judge.model"),
            ("ratings", f"{KEY}.ratings"),
        )
    ),
    derive=derive,
    recognise=recognise,
)
