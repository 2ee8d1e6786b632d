"""promptfoo's JSON results (``promptfoo eval -o results.json``): one object, its records in
``results.results``.

https://www.promptfoo.dev/docs/configuration/outputs/ (and ``src/types`` of promptfoo/promptfoo,
``EvaluateResult``): each record has ``testIdx``, ``promptIdx``, ``prompt`` (``raw``,
``label``), ``vars``, ``provider`` (``id``, ``label``), ``response.output`` and
``gradingResult`` (``pass``, ``score``, ``reason``, ``componentResults``: one per assertion,
each with its own ``pass``, ``score``, ``reason`` and ``assertion.type``). A rating given in
promptfoo's viewer is a component of type ``human`` (with its ``comment``), and it overrides
the record's overall ``pass``.
"""

from __future__ import annotations

from typing import Any

from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid
from annotator.formats.presets.base import KEY, Preset, Sniff, number_text, objects, text

MODEL_GRADED = frozenset({
    "llm-rubric", "model-graded-closedqa", "model-graded-factuality", "factuality", "g-eval",
    "answer-relevance", "context-faithfulness", "context-recall", "context-relevance",
    "conversation-relevance", "select-best", "search-rubric", "pi", "classifier",
})  # fmt: skip
"""Assertion types graded by a model: the first of them in a record is the judge."""
HUMAN = "human"
"""promptfoo's assertion type of a rating given by hand in its viewer."""


def _verdict(passed: Any) -> str | None:
    if isinstance(passed, bool):
        return "pass" if passed else "fail"
    return None


def _type(component: dict[str, Any]) -> str:
    assertion = component.get("assertion")
    kind = assertion.get("type") if isinstance(assertion, dict) else None
    return kind if isinstance(kind, str) else ""


def _grader(component: dict[str, Any]) -> str:
    """The judge's model: the assertion's provider, else ``promptfoo TYPE``."""
    assertion = component.get("assertion")
    provider = assertion.get("provider") if isinstance(assertion, dict) else None
    if isinstance(provider, dict):
        provider = provider.get("id") or provider.get("label")
    return text(provider) or f"promptfoo {_type(component) or 'assertions'}"


def derive(record: dict[str, Any]) -> dict[str, Any]:
    grading = record.get("gradingResult")
    grading = grading if isinstance(grading, dict) else {}
    components = objects(grading.get("componentResults"))
    humans = [c for c in components if _type(c) == HUMAN]
    graded = [c for c in components if _type(c) in MODEL_GRADED]
    judge: dict[str, Any] | None = None
    if graded:
        judge = graded[0]
    elif grading and not humans:  # the overall result, when no person overrode it
        judge = {**grading, "assertion": {"type": "assertions"}}
    out: dict[str, Any] = {"id": _id(record), "output": _output(record)}
    if judge is not None:
        out["judge"] = {
            "label": _verdict(judge.get("pass")),
            "score": judge.get("score") if isinstance(judge.get("score"), int | float) else None,
            "rationale": text(judge.get("reason")),
            "model": _grader(judge),
        }
    out["ratings"] = {}
    if humans:  # (promptfoo keeps one, replaced when rated again)
        rating = humans[-1]
        out["ratings"][HUMAN] = {
            "label": _verdict(rating.get("pass")),
            "comment": text(rating.get("comment")) or "",
        }
    provider = record.get("provider")
    if isinstance(provider, dict):
        provider = provider.get("label") or provider.get("id")
    out["provider"] = text(provider)
    prompt = record.get("prompt")
    out["input"] = text(prompt.get("raw")) if isinstance(prompt, dict) else text(prompt)
    return out


def _id(record: dict[str, Any]) -> str:
    test = record.get("testIdx")
    if test is None:
        if record.get("id") is None:
            raise Invalid("a promptfoo result has no 'testIdx' or 'id'")
        return str(record["id"])
    provider = record.get("provider")
    if isinstance(provider, dict):
        provider = provider.get("id") or provider.get("label")
    parts = [number_text(test), number_text(record.get("promptIdx")), text(provider)]
    return "|".join(p or "" for p in parts)


def _output(record: dict[str, Any]) -> Any:
    response = record.get("response")
    if isinstance(response, dict):
        if response.get("output") is not None:
            return response["output"]
        return response.get("error")
    return None


def recognise(sniff: Sniff) -> bool:
    """The results file (one object), or its records one after another (``jq`` or the
    records written back with their decisions)."""
    keys = sniff.keys
    marks = {"evalId", "promptIdx", "testIdx", "gradingResult", "shareableUrl", "promptfooVersion"}
    whole = "results" in keys and bool(keys & marks)
    records = {"testIdx", "promptIdx"} <= keys and bool(keys & {"gradingResult", "response"})
    return sniff.first in ("[", "{") and (whole or records)


PRESET = Preset(
    name="promptfoo",
    title="promptfoo JSON results",
    description=(
        "promptfoo's results (promptfoo eval -o results.json): one case per record of "
        "results.results, its id 'testIdx|promptIdx|provider'. The input is the rendered "
        "prompt, the output the response; the judge is the first model-graded assertion "
        "(llm-rubric, factuality, g-eval, ...: pass or fail, its score and reason, its "
        "provider as the model), else the record's overall result; a rating given by hand in "
        "promptfoo's viewer (an assertion of type 'human') is the rater 'human'. The test's "
        "vars and the provider are kept as the case's meta."
    ),
    doc_url="https://www.promptfoo.dev/docs/configuration/outputs/",
    mapping=FieldMapping(
        (
            ("id", f"{KEY}.id"),
            ("input", f"{KEY}.input"),
            ("output", f"{KEY}.output"),
            ("judge.label", f"{KEY}.judge.label"),
            ("judge.rationale", f"{KEY}.judge.rationale"),
            ("judge.score", f"{KEY}.judge.score"),
            ("judge.model", f"{KEY}.judge.model"),
            ("ratings", f"{KEY}.ratings"),
            ("meta.vars", "vars"),
            ("meta.provider", f"{KEY}.provider"),
            ("meta.description", "testCase.description"),
        )
    ),
    derive=derive,
    recognise=recognise,
    inside="results.results",
)
