"""Inspect AI's eval logs: a ``.json`` log (one object, its records in ``samples``) or a
``.eval`` log (a zip archive, one ``samples/ID_epoch_N.json`` member per sample).

https://inspect.aisi.org.uk/eval-logs.html and ``inspect_ai.log`` (``EvalLog``,
``EvalSample``, ``Score``): a sample has ``id``, ``epoch``, ``input`` (a string or chat
messages), ``target`` (a string or a list), ``output`` (``completion``, ``choices``) and
``scores`` (``{scorer: {value, answer, explanation, metadata}}``); ``C``, ``I``, ``P`` and
``N`` are Inspect's CORRECT, INCORRECT, PARTIAL and NOANSWER.
"""

from __future__ import annotations

from typing import Any

from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid
from annotator.formats.presets.base import KEY, Preset, Sniff, number_text, text

VALUES = {"C": "correct", "I": "incorrect", "P": "partial", "N": "no answer"}
"""Inspect's letters, spelled out."""
JUDGE_WORDS = ("model_graded", "judge", "grader", "llm", "rubric")
"""A scorer whose name holds one of these is the judge (the first such; else the first)."""


def label_of(value: Any) -> str | None:
    """A score's value as a label: Inspect's letters spelled out, numbers as text."""
    if isinstance(value, str):
        return VALUES.get(value.strip(), value.strip()) or None
    if isinstance(value, dict | list):
        return None  # several values in one score: not one label
    return number_text(value)


def judge_scorer(names: list[str]) -> str | None:
    for name in names:
        if any(word in name.casefold() for word in JUDGE_WORDS):
            return name
    return names[0] if names else None


def _completion(output: Any) -> Any:
    if not isinstance(output, dict):
        return output
    if output.get("completion"):
        return output["completion"]
    choices = output.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return message.get("content")
    return None


def _target(target: Any) -> Any:
    if isinstance(target, list) and all(isinstance(t, str) for t in target):
        return "\n".join(target)
    return target


def derive(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("id") is None:
        raise Invalid("an Inspect sample has no 'id'")
    epoch = record.get("epoch")
    sample_id = number_text(record["id"]) or ""
    if epoch not in (None, 1):
        sample_id = f"{sample_id}|epoch {number_text(epoch)}"
    scores = record.get("scores")
    if scores is None and isinstance(record.get("score"), dict):  # (logs of Inspect 0.1)
        scores = {"score": record["score"]}
    scores = (
        {k: v for k, v in scores.items() if isinstance(v, dict)} if isinstance(scores, dict) else {}
    )
    judge = judge_scorer(list(scores))
    out: dict[str, Any] = {
        "id": sample_id,
        "output": _completion(record.get("output")),
        "reference": _target(record.get("target")),
    }
    if judge is not None:
        score = scores[judge]
        out["judge"] = {
            "label": label_of(score.get("value")),
            "rationale": text(score.get("explanation")),
            "model": judge,
        }
    out["ratings"] = {
        name: {"label": label_of(score.get("value")), "comment": text(score.get("explanation"))}
        for name, score in scores.items()
        if name != judge
    }
    return out


def recognise(sniff: Sniff) -> bool:
    if sniff.members:  # a zip archive: a .eval log
        return any(
            n == "header.json" or n.startswith(("samples/", "_journal/")) for n in sniff.members
        )
    keys = sniff.keys
    return (
        sniff.first == "{"
        and {"version", "eval"} <= keys
        and bool(keys & {"task", "run_id", "eval_id", "task_id"})
        and "evalId" not in keys
    )


PRESET = Preset(
    name="inspect",
    title="an Inspect AI eval log",
    description=(
        "Inspect AI's eval logs (a .json log, or a .eval log: a zip archive): one case per "
        "sample and epoch (its id the sample's id, with '|epoch N' after the first epoch). "
        "The input is the sample's input, the output the model's completion, the reference "
        "its target. The judge is the first scorer named like a model grader "
        "(model_graded_qa, model_graded_fact, or a name with judge, grader, llm or rubric; "
        "else the first scorer), its explanation the rationale; every other scorer is a rater "
        "named after it. Inspect's C, I, P and N are spelled correct, incorrect, partial and "
        "no answer."
    ),
    doc_url="https://inspect.aisi.org.uk/eval-logs.html",
    mapping=FieldMapping(
        (
            ("id", f"{KEY}.id"),
            ("input", "input"),
            ("output", f"{KEY}.output"),
            ("reference", f"{KEY}.reference"),
            ("judge.label", f"{KEY}.judge.label"),
            ("judge.rationale", f"{KEY}.judge.rationale"),
            ("judge.model", f"{KEY}.judge.model"),
            ("ratings", f"{KEY}.ratings"),
            ("meta", "metadata"),
        )
    ),
    derive=derive,
    recognise=recognise,
    inside="samples",
    zipped="samples/",
)
