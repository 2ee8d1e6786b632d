"""MT-Bench's human judgments (lmsys ``mt_bench_human_judgments``): pairwise, long format.

https://huggingface.co/datasets/lmsys/mt_bench_human_judgments: one row per
(question_id, model_a, model_b, turn, judge) with ``winner`` (``model_a``, ``model_b``,
``tie``; people also wrote ``tie (bothbad)``, and GPT-4's two orderings that disagree give
``tie (inconsistent)``), ``judge`` naming the rater (``author_N``, ``expert_N``; ``gpt4_pair``
for GPT-4, the LLM judge) and ``conversation_a``/``conversation_b`` (the chat of each model,
both turns for turn 2). The dataset publishes two splits, ``human`` and ``gpt4_pair``: the
preset reads them together (one file holding both).
"""

from __future__ import annotations

from typing import Any

from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid
from annotator.formats.presets.base import KEY, Preset, Sniff, number_text, text

JUDGE = "gpt4_pair"
"""The rater whose rows are GPT-4's verdicts."""
TIE = "tie"


def label_of(winner: Any) -> str | None:
    """``model_a``, ``model_b``, or ``tie`` for every kind of tie."""
    label = text(winner)
    if label is None:
        return None
    label = label.strip()
    return TIE if label.casefold().startswith(TIE) else label


def _asked(conversation: Any) -> str | None:
    """The user's turns of a chat, joined by a blank line."""
    if not isinstance(conversation, list):
        return text(conversation)
    turns = [
        text(m.get("content"))
        for m in conversation
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    return "\n\n".join(t for t in turns if t) or None


def derive(record: dict[str, Any]) -> dict[str, Any]:
    parts = [record.get(f) for f in ("question_id", "model_a", "model_b", "turn")]
    if parts[0] is None:
        raise Invalid("an MT-Bench judgment has no 'question_id'")
    return {
        "id": "|".join(number_text(p) or "" for p in parts),
        "input": _asked(record.get("conversation_a")) or _asked(record.get("conversation_b")),
        "label": label_of(record.get("winner")),
    }


def recognise(sniff: Sniff) -> bool:
    return {"question_id", "model_a", "model_b", "winner", "judge"} <= sniff.keys


PRESET = Preset(
    name="mt-bench",
    title="MT-Bench human judgments",
    description=(
        "MT-Bench's pairwise judgments (lmsys/mt_bench_human_judgments): one row "
        "per question, pair of models, turn and judge. The rows of one question_id, "
        "model_a, model_b and turn are one case (its id the four joined by '|'); the input "
        "is the user's turns, the candidates model_a and model_b each model's conversation. "
        "The rows of judge gpt4_pair are the LLM judge; every other judge (author_N, "
        "expert_N) is a rater. Every kind of tie ('tie (bothbad)', 'tie (inconsistent)') is "
        "'tie'."
    ),
    doc_url="https://huggingface.co/datasets/lmsys/mt_bench_human_judgments",
    mapping=FieldMapping(
        (
            ("id", f"{KEY}.id"),
            ("input", f"{KEY}.input"),
            ("outputs.model_a", "conversation_a"),
            ("outputs.model_b", "conversation_b"),
            ("ratings", f"{KEY}.label"),
            ("meta.model_a", "model_a"),
            ("meta.model_b", "model_b"),
            ("meta.turn", "turn"),
        )
    ),
    derive=derive,
    recognise=recognise,
    long=LongFormat("judge", JUDGE),
)
