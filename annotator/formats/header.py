"""The optional project header: title, guidelines and the label scheme of each criterion."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from annotator.domain.model import DEFAULT_CRITERION, LabelScheme, Project
from annotator.formats.errors import FileRefused, open_binary
from annotator.formats.jsontext import JsonError, loads
from annotator.formats.normalize import Invalid, kind_of, to_label

_SCHEME_KEYS = ("labels", "ordinal", "threshold", "rubric")
_REVIEW_KEYS = ("blind_first", "random_order")
"""How a lead's review pack is reviewed (``services/blind.py``)."""
_PROJECT_KEYS = ("title", "guidelines", "criteria", *_SCHEME_KEYS, *_REVIEW_KEYS)


def is_header(record: Any) -> bool:
    """A header is an object with a "project" object and no "id"."""
    return (
        isinstance(record, dict) and isinstance(record.get("project"), dict) and "id" not in record
    )


def parse_header(
    record: dict[str, Any], path: Path, line: int | None, title: str | None = None
) -> Project:
    """The Project a header describes (``title`` when it names none). FileRefused if malformed."""
    try:
        return _project(record["project"], title or path.stem)
    except Invalid as e:
        raise FileRefused(path, f"bad project header: {e}", line) from None


SIDECAR_LIMIT = 1 << 24
"""Largest project file read (16 MB): a header is a few kilobytes."""


def load_sidecar(path: Path) -> Project | None:
    """The project in ``<stem>.project.json`` next to ``path``, if there is one."""
    sidecar = path.with_name(f"{path.stem}.project.json")
    if not sidecar.is_file():
        return None
    with open_binary(sidecar) as fh:
        try:
            data = fh.read(SIDECAR_LIMIT + 1)
        except OSError as e:
            raise FileRefused(sidecar, f"cannot read the project file: {e.strerror}") from None
    if len(data) > SIDECAR_LIMIT:
        raise FileRefused(sidecar, "the project file is too large (over 16 MB)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise FileRefused(sidecar, "the project file is not valid UTF-8", line) from None
    try:
        record = loads(text)
    except JsonError as e:
        raise FileRefused(sidecar, f"invalid JSON: {e}", e.line) from None
    if not isinstance(record, dict):
        raise FileRefused(sidecar, f"bad project header: expected an object, not {kind_of(record)}")
    return parse_header(
        record if "project" in record else {"project": record}, sidecar, None, path.stem
    )


def _project(spec: Any, default_title: str) -> Project:
    spec = _object(spec, "'project'", _PROJECT_KEYS)
    schemes: dict[str, LabelScheme] = {}
    if any(k in spec for k in _SCHEME_KEYS):
        schemes[DEFAULT_CRITERION] = _scheme(spec, "")
    criteria = spec.get("criteria", {})
    if not isinstance(criteria, dict):
        raise Invalid(f"'criteria' must be an object, not {kind_of(criteria)}")
    for name, sub in criteria.items():
        if not name.strip():
            raise Invalid("criterion names must not be empty")
        schemes[name] = _scheme(_object(sub, f"criterion '{name}'", _SCHEME_KEYS), name)
    return Project(
        title=_text(spec.get("title"), "title") or default_title,
        guidelines=_text(spec.get("guidelines"), "guidelines"),
        schemes=schemes,
        blind_first=_switch(spec.get("blind_first"), "blind_first"),
        random_order=_switch(spec.get("random_order"), "random_order"),
    )


def _switch(value: Any, key: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise Invalid(f"'{key}' must be true or false, not {kind_of(value)}")


def _object(value: Any, what: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{what} must be an object, not {kind_of(value)}")
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise Invalid(f"unknown key '{unknown[0]}' in {what}; expected: {', '.join(keys)}")
    return value


def _text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "\n".join(value)
    if not isinstance(value, str):
        raise Invalid(f"'{key}' must be a string, not {kind_of(value)}")
    return value


def _scheme(spec: dict[str, Any], name: str) -> LabelScheme:
    where = f" of criterion '{name}'" if name else ""
    labels = spec.get("labels")
    if not isinstance(labels, list) or not labels:
        raise Invalid(f"'labels'{where} must be a non-empty list")
    seen: dict[str, str] = {}
    for value in labels:
        label = to_label(value, f"a label{where}")
        if label is None:
            raise Invalid(f"empty label in 'labels'{where}")
        if label.casefold() in seen:
            raise Invalid(f"label '{label}' appears twice in 'labels'{where}")
        seen[label.casefold()] = label
    ordinal = spec.get("ordinal", False)
    if not isinstance(ordinal, bool):
        raise Invalid(f"'ordinal'{where} must be true or false")
    threshold = _threshold(spec.get("threshold", 0), where)
    if threshold and not ordinal:
        raise Invalid(f"'threshold'{where} needs \"ordinal\": true")
    rubric = _text(spec.get("rubric"), "rubric")
    return LabelScheme(tuple(seen.values()), ordinal, threshold, rubric)


def _threshold(value: Any, where: str) -> float:
    """A threshold: a finite number, not negative (NaN, 1e999 and too large an integer are
    refused here as in every reader, so that none reaches the workspace)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"'threshold'{where} must be a number >= 0")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise Invalid(f"'threshold'{where} must be a finite number >= 0")
    if number < 0:
        raise Invalid(f"'threshold'{where} must be a number >= 0")
    return number
