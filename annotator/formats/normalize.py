"""Turn one record (a dict in the canonical shape, or an accepted variant) into a Case."""

from __future__ import annotations

import json
import math
from typing import Any

from annotator.domain.model import DEFAULT_CRITERION, Case, LabelScheme, Project, Rating, Verdict


class Invalid(ValueError):
    """The record can't be read as a case; the message says why (it becomes a LineProblem)."""


def normalize(record: dict[str, Any], project: Project | None = None) -> Case:
    """The normalized case, with labels in the header's spelling. Raises Invalid."""
    case_id = _id(record.get("id"))
    criterion = _criterion(record.get("criterion"), project)
    text = to_text(record.get("input"))
    if text is None:
        raise Invalid("missing input")
    if not text.strip():
        raise Invalid("empty input")
    judge = _judge(record.get("judge"))
    ratings = _ratings(record.get("ratings"))
    if project is not None and project.schemes:
        judge, ratings = _check_labels(judge, ratings, project.scheme(criterion))
    return Case(
        id=case_id,
        input=text,
        judge=judge,
        ratings=ratings,
        output=to_text(record.get("output")),
        outputs=_outputs(record.get("outputs")),
        reference=to_text(record.get("reference")),
        criterion=criterion,
        meta=_meta(record.get("meta")),
    )


# -- values --------------------------------------------------------------------------------------


def to_text(value: Any) -> str | None:
    """Text as shown to the reviewer: strings verbatim, chat messages as blocks, else JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if _is_chat(value):
        return "\n\n".join(f"{m['role']}: {_content(m['content'])}" for m in value)
    return json.dumps(value, indent=2, ensure_ascii=False)


def _is_chat(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and "role" in m and "content" in m for m in value)
    )


def _content(content: Any) -> str:
    """A chat message's content: a string, or a list of parts (text parts joined)."""
    if isinstance(content, list):
        parts = [p["text"] if isinstance(p, dict) and isinstance(p.get("text"), str) else p
                 for p in content]  # fmt: skip
        return "\n".join(p if isinstance(p, str) else json.dumps(p, ensure_ascii=False)
                         for p in parts)  # fmt: skip
    text = to_text(content)
    return "" if text is None else text


def to_label(value: Any, whose: str = "label") -> str | None:
    """A label as text: stripped; true/false; 4.0 -> "4". None when absent or empty."""
    if type(value) is str:  # (the common case first)
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid(f"{whose} must be a finite number")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | str):
        return str(value).strip() or None
    raise Invalid(f"{whose} must be a string or a number, not {kind_of(value)}")


def kind_of(value: Any) -> str:
    """How a JSON value is named in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def canonical_label(scheme: LabelScheme, label: str) -> str | None:
    """The scheme's spelling of ``label``, case-insensitively; on a number scale 4.0 matches 4."""
    found = scheme.canonical(label)
    if found is not None or not scheme.numeric:
        return found
    try:
        value = float(label)
    except ValueError:
        return None
    return next((known for known in scheme.labels if float(known) == value), None)


# -- fields --------------------------------------------------------------------------------------


def case_id(value: Any) -> str:
    """A case id as text (a number as its text). Raises Invalid when missing or empty."""
    return _id(value)


def _id(value: Any) -> str:
    if value is None:
        raise Invalid("missing id")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Invalid(f"id must be a string or a number, not {kind_of(value)}")
    case_id = to_label(value, "id")
    if case_id is None:
        raise Invalid("empty id")
    return case_id


def _criterion(value: Any, project: Project | None) -> str:
    name = to_label(value, "criterion") or DEFAULT_CRITERION
    if project is None or all(c == DEFAULT_CRITERION for c in project.schemes):
        return name
    if name not in project.schemes:
        known = ", ".join(c for c in project.schemes if c != DEFAULT_CRITERION)
        if name == DEFAULT_CRITERION:
            raise Invalid(f"missing criterion; expected one of: {known}")
        raise Invalid(f"unknown criterion '{name}'; expected one of: {known}")
    return name


def verdict(value: Any) -> Verdict:
    """A judge's verdict (a label, or an object with ``label``, ``rationale``, ``score``,
    ``model``) as a case's judge is read; Invalid without a label."""
    return _judge(value)


def _judge(value: Any) -> Verdict:
    if not isinstance(value, dict):
        if isinstance(value, list):
            raise Invalid("judge must be an object with a label, not an array")
        value = {"label": value}
    label = to_label(value.get("label"), "judge label")
    if label is None:
        raise Invalid("missing judge label")
    return Verdict(
        label=label,
        rationale=to_text(value.get("rationale")) or "",
        score=_score(value.get("score")),
        model=to_text(value.get("model")) or "",
    )


def _score(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Invalid(f"judge score must be a number, not {kind_of(value)}")
    try:
        score = float(value)
    except ValueError:
        raise Invalid(f"judge score must be a number (got '{str(value)[:40]}')") from None
    except OverflowError:  # an integer beyond any float
        score = math.inf
    if not math.isfinite(score):
        raise Invalid(f"judge score must be a finite number (got '{str(value)[:40]}')")
    return score


def _ratings(value: Any) -> tuple[Rating, ...]:
    """Ratings from a list (of objects or bare labels) or an object keyed by rater."""
    if value is None or value == "":
        return ()
    items: list[tuple[str | None, Any]]
    if isinstance(value, dict):
        items = [(str(rater), v) for rater, v in value.items()]
    elif isinstance(value, list):
        items = [(None, v) for v in value]
    else:
        raise Invalid(f"ratings must be a list or an object, not {kind_of(value)}")
    ratings: list[Rating] = []
    seen: set[str] = set()
    for n, (key, item) in enumerate(items, start=1):
        rater, label, comment = _rating(n, key, item)
        if rater in seen:
            raise Invalid(f"rater '{rater}' appears twice in ratings")
        seen.add(rater)
        if label is not None:
            ratings.append(Rating(rater, label, comment))
    return tuple(ratings)


def _rating(n: int, key: str | None, item: Any) -> tuple[str, str | None, str]:
    if isinstance(item, dict):
        if "label" not in item:
            raise Invalid(f"rating {n} has no 'label' (use null when the rater abstained)")
        rater = key if key is not None else to_text(item.get("rater"))
        label, comment = item["label"], to_text(item.get("comment")) or ""
    elif isinstance(item, list):
        raise Invalid(f"rating {n} must be a label or an object, not an array")
    else:
        rater, label, comment = key, item, ""
    rater = (rater or "").strip() or f"rater {n}"
    if type(label) is str:  # (as to_label reads it, without its message made for nothing)
        return rater, label.strip() or None, comment
    return rater, to_label(label, f"the label of rater '{rater}'"), comment


def _outputs(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = {_letters(i): v for i, v in enumerate(value)}
    if not isinstance(value, dict):
        raise Invalid(f"outputs must be an object or a list, not {kind_of(value)}")
    out = {str(name): text for name, v in value.items() if (text := to_text(v)) is not None}
    return out or None


def _letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(ord("A") + r) + name
    return name


def _meta(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def _check_labels(
    judge: Verdict, ratings: tuple[Rating, ...], scheme: LabelScheme
) -> tuple[Verdict, tuple[Rating, ...]]:
    """Labels in the scheme's own spelling; Invalid for a label the scheme doesn't know."""
    if not scheme.labels:
        return judge, ratings

    def unknown(label: str, whose: str) -> Invalid:
        expected = ", ".join(scheme.labels)
        return Invalid(f"unknown label '{label}' for {whose}; expected one of: {expected}")

    label = canonical_label(scheme, judge.label)
    if label is None:
        raise unknown(judge.label, "judge")
    if label != judge.label:
        judge = Verdict(label, judge.rationale, judge.score, judge.model)
    fixed = list(ratings)
    for n, r in enumerate(ratings):
        label = canonical_label(scheme, r.label)
        if label is None:
            raise unknown(r.label, f"rater '{r.rater}'")
        if label != r.label:  # (a label spelled as the scheme spells it is kept as it is)
            fixed[n] = Rating(r.rater, label, r.comment)
    return judge, tuple(fixed)
