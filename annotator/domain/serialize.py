"""Canonical JSON form of a case, and its content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from json.encoder import encode_basestring
from typing import Any

import orjson

from annotator.domain.model import DEFAULT_CRITERION, Case, Rating, Verdict


def case_to_dict(case: Case) -> dict[str, Any]:
    """The case in the canonical JSON Lines shape (optional fields left out when empty)."""
    judge: dict[str, Any] = {"label": case.judge.label, "rationale": case.judge.rationale}
    if case.judge.score is not None:
        judge["score"] = case.judge.score
    if case.judge.model:
        judge["model"] = case.judge.model
    out: dict[str, Any] = {"id": case.id}
    if case.criterion != DEFAULT_CRITERION:
        out["criterion"] = case.criterion
    out["input"] = case.input
    if case.outputs is not None:
        out["outputs"] = dict(case.outputs)
    if case.output is not None:
        out["output"] = case.output
    if case.reference is not None:
        out["reference"] = case.reference
    out["judge"] = judge
    out["ratings"] = [_rating_dict(r) for r in case.ratings]
    if case.meta:
        out["meta"] = case.meta
    return out


def _rating_dict(rating: Rating) -> dict[str, str]:
    d = {"rater": rating.rater, "label": rating.label}
    if rating.comment:
        d["comment"] = rating.comment
    return d


def case_from_dict(data: dict[str, Any]) -> Case:
    """Inverse of :func:`case_to_dict` for already-normalized data (as stored in a workspace)."""
    j = data["judge"]
    return Case(
        id=data["id"],
        input=data["input"],
        judge=Verdict(j["label"], j.get("rationale", ""), j.get("score"), j.get("model", "")),
        ratings=tuple(
            Rating(r["rater"], r["label"], r.get("comment", "")) for r in data.get("ratings", [])
        ),
        output=data.get("output"),
        outputs=data.get("outputs"),
        reference=data.get("reference"),
        criterion=data.get("criterion", DEFAULT_CRITERION),
        meta=data.get("meta", {}),
    )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def case_hash(case: Case) -> str:
    """``sha256:<hex>`` of the canonical JSON of the normalized case.

    The same case gives the same hash whether it came from JSON Lines or CSV, whatever the key
    order or white space of the source.
    """
    return hash_of_canonical(canonical_json(case_to_dict(case)))


def canonical_case(case: Case) -> tuple[str, str]:
    """The canonical JSON of ``case`` and its content hash: exactly
    ``canonical_json(case_to_dict(case))`` and :func:`hash_of_canonical` of it, made with orjson
    (a third of the time) when every value in the case is one orjson writes byte for byte as the
    json module does (tests/test_serialize.py compares the two), else with the json module.

    Only the judge's score and ``meta`` hold anything but text (a case's other fields are made
    text by ``formats.normalize``); orjson writes floats with an exponent, NaN and integers
    beyond 64 bits otherwise, and refuses other types.
    """
    value = case_to_dict(case)
    if _orjson_exact(case.judge.score) and (not case.meta or _orjson_exact(case.meta)):
        try:
            encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # (nested too deep for it, say: json says why)
            pass
        else:
            return encoded.decode("utf-8"), f"sha256:{hashlib.sha256(encoded).hexdigest()}"
    canonical = canonical_json(value)
    return canonical, hash_of_canonical(canonical)


def _orjson_exact(value: Any) -> bool:
    """Whether orjson writes ``value`` exactly as ``json.dumps`` does (plain JSON types only:
    text, whole numbers within 64 bits, floats without an exponent, lists, objects)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return -(1 << 63) <= value < (1 << 64)
    if kind is float:  # (repr writes an exponent below 1e-4 and from 1e16 on)
        return value == 0 or 1e-4 <= abs(value) < 1e16
    if kind is dict:
        return all(type(k) is str and _orjson_exact(v) for k, v in value.items())
    if kind is list:
        return all(_orjson_exact(v) for v in value)
    return False


def rater_labels_json(ratings: Iterable[Rating]) -> str:
    """The ratings as a case's ``rater_labels`` column holds them: exactly
    ``json.dumps([[rater, label], ...], ensure_ascii=False)``, joined from the json module's own
    string encoder (what its encoder calls for each string) without making an encoder a case."""
    pairs = [f"[{encode_basestring(r.rater)}, {encode_basestring(r.label)}]" for r in ratings]
    return f"[{', '.join(pairs)}]"


def hash_of_canonical(canonical: str) -> str:
    """The content hash of a case from its canonical JSON (when that is at hand already)."""
    return f"sha256:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def search_text(case: Case) -> str:
    """What a reader sees of a case, case-folded, for text search (no JSON keys, no labels).

    The id, input, output(s), reference, the judge's rationale and model, each rater's name and
    comment, and the meta values, one per line.
    """
    parts = [case.id, case.input, case.output or "", case.reference or ""]
    parts += list((case.outputs or {}).values())
    parts += [case.judge.rationale, case.judge.model]
    for rating in case.ratings:
        parts += [rating.rater, rating.comment]
    parts += [_meta_text(v) for v in case.meta.values()]
    return "\n".join(p for p in parts if p).casefold()


def blind_search_text(data: dict[str, Any]) -> str:
    """What a reviewer sees of a case under blind-first review before its reveal, case-folded,
    from its canonical JSON form (:func:`case_to_dict`, as a workspace stores it: no
    :class:`Case` is built, for speed): :func:`search_text` without the judge's rationale and
    model and the raters' names and comments (the id, input, output(s), reference and meta
    values, one per line).

    Its lines are lines of :func:`search_text`, in the same order, so a text without a line
    break found here is found there too (the trigram index narrows a blind search).
    """
    parts = [data["id"], data["input"], data.get("output") or "", data.get("reference") or ""]
    parts += list((data.get("outputs") or {}).values())
    parts += [_meta_text(v) for v in (data.get("meta") or {}).values()]
    return "\n".join(p for p in parts if p).casefold()


def _meta_text(value: Any) -> str:
    """A meta value as text: itself, or ``json.dumps(value, ensure_ascii=False)`` (an integer's
    is its ``str``, as json writes it; the others through the same encoder dumps makes, made
    once)."""
    if isinstance(value, str):
        return value
    if type(value) is int:
        return str(value)
    return _META_ENCODER.encode(value)


_META_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""What ``json.dumps(value, ensure_ascii=False)`` makes for each call."""
