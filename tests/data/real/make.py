"""Write the real-shaped case files: small files in the shapes public eval datasets publish.

    python -m tests.data.real.make

- ``alpaca_eval_annotations.json``: an AlpacaEval annotations file (a pretty-printed JSON
  array of pairwise comparisons: ``instruction``, ``output_1``/``generator_1``,
  ``output_2``/``generator_2``, the judge's ``annotator`` and ``preference`` 1 or 2, its
  ``raw_completion`` and costs), with Alpaca's optional ``input`` (the context of an
  instruction, empty for most) and three people's preferences in columns ``human_1`` to
  ``human_3`` (empty where one did not rate), and an index ``idx``.
- ``mt_bench_human_judgments.jsonl``: MT-Bench's human judgments in long format, one row per
  judge and comparison, as in the lmsys ``mt_bench_human_judgments`` dataset: ``question_id``,
  ``model_a``, ``model_b``, ``winner`` (``model_a``, ``model_b`` or ``tie``), ``judge``
  (``author_0``, ``expert_3``, ...), ``conversation_a``/``conversation_b`` (the chat, both
  turns for turn 2), ``turn``; GPT-4's pairwise verdicts are rows too, with judge
  ``gpt4_pair``. The rows are sorted by judge, so a case's rows are far apart.

- ``mt_bench_human.jsonl`` and ``mt_bench_gpt4_pair.jsonl``: the same judgments as the
  dataset publishes them, in its two splits: ``human`` (people's rows) and ``gpt4_pair``
  (GPT-4's), each with the same columns, joined by question, models and turn.
- ``pandalm_testset.json`` and ``pandalm_judge.jsonl``: PandaLM's human-annotated test set (a
  pretty-printed JSON array: ``idx``, ``motivation_app``, ``instruction``, Alpaca's optional
  ``input``, ``response1``, ``response2``, three people's labels ``annotator1`` to
  ``annotator3``: 0 a tie, 1 or 2 the better response) and, in a file of its own, the judge's
  verdicts by ``idx`` (``result``: ``"1"``, ``"2"``, ``"Tie"``, once an unparseable
  ``"garbage"``). As in the published files, the judge's file misses one case of the test set
  (it cannot be imported: no verdict) and has one id the test set lacks.
- ``summeval_wide.jsonl``: a study shaped like SummEval's as a table (one row per summary:
  ``id``, the source ``text``, the summary ``decoded``, ``model_id``), three people's 1-5
  scores on four criteria in columns ``{criterion}_{rater}`` (``coherence_57e2b``,
  ``relevance_61102``, ...) and GPT-4's in ``gpt4_{criterion}``: once a half point (4.5),
  once no score (the row's case of that criterion has no judge's label), once a person's score
  missing (an abstention).

docs/formats.md ("Real files") gives the command that imports each, and
tests/test_real_files.py checks the counts it prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def alpaca_eval() -> list[dict[str, Any]]:
    rows = [
        ("Give three tips for staying healthy.", "", "Eat vegetables, sleep, exercise.",
         "Be healthy.", 1, [1, 1, None]),
        ("Translate the sentence into French.", "The cat sleeps on the sofa.",
         "Le chat dort sur le canapé.", "Le chien mange.", 1, [1, 1, 1]),
        ("Write a haiku about autumn.", "", "Red leaves drift and fall / ...",
         "Autumn is a season.", 2, [1, 1, 2]),
        ("Summarize the text in one sentence.", "Sales rose 4% in Q3, driven by exports.",
         "Sales grew.", "Q3 sales rose 4%, thanks to exports.", 2, [2, 2, None]),
        ("What is the capital of Australia?", "", "Sydney.", "Canberra.", 1, [2, 2, 2]),
        ("Classify the sentiment.", "I loved every minute of it!", "Positive.",
         "Positive — enthusiastic.", 2, [1, 2, None]),
    ]  # fmt: skip
    out = []
    for idx, (instruction, context, out1, out2, judge, humans) in enumerate(rows):
        record: dict[str, Any] = {
            "idx": idx,
            "instruction": instruction,
            "input": context,
            "output_1": out1,
            "generator_1": "gpt4_1106_preview",
            "output_2": out2,
            "generator_2": "alpaca-7b",
            "annotator": "alpaca_eval_gpt4",
            "preference": judge,
            "raw_completion": f"Output ({'a' if judge == 1 else 'b'})",
            "price_per_example": 0.0132,
            "time_per_example": 1.41,
        }
        for n, label in enumerate(humans, start=1):
            record[f"human_{n}"] = label
        out.append(record)
    return out


Q = {
    81: ("Compose an engaging travel blog post about a recent trip to Hawaii.",
         "Rewrite your previous response. Start every sentence with the letter A."),
    82: ("Draft a professional email seeking your supervisor's feedback on a report.",
         "Take a moment to evaluate and critique your own response."),
    83: ("Compare two smartphone models in a blog post outline of under 200 words.",
         "Take your previous response and rephrase it as a limerick."),
}  # fmt: skip


def _conversation(question: int, turn: int, model: str) -> list[dict[str, str]]:
    messages = []
    for t in range(turn):
        messages.append({"content": Q[question][t], "role": "user"})
        messages.append({"content": f"({model}'s answer to turn {t + 1})", "role": "assistant"})
    return messages


MT_BENCH = [  # (question, model_a, model_b, turn): [(judge, winner), ...]; gpt4_pair is the LLM
    ((81, "alpaca-13b", "gpt-3.5-turbo", 1),
     [("author_0", "model_b"), ("expert_3", "model_b"), ("gpt4_pair", "model_b")]),
    ((81, "alpaca-13b", "gpt-3.5-turbo", 2),
     [("author_0", "model_b"), ("expert_3", "tie"), ("gpt4_pair", "model_a")]),
    ((82, "claude-v1", "vicuna-13b-v1.2", 1),
     [("author_2", "model_a"), ("expert_7", "model_a"), ("author_0", "model_b"),
      ("gpt4_pair", "model_a")]),
    ((82, "claude-v1", "vicuna-13b-v1.2", 2), [("author_2", "tie"), ("gpt4_pair", "model_b")]),
    ((83, "gpt-4", "llama-13b", 1), [("expert_3", "model_a")]),  # no verdict of GPT-4
    ((83, "gpt-4", "alpaca-13b", 1),
     [("author_2", "model_a"), ("expert_7", "model_a"), ("gpt4_pair", "model_a")]),
]  # fmt: skip


def mt_bench(table: list[Any] | None = None) -> list[dict[str, Any]]:
    """The rows of ``table`` (default: :data:`MT_BENCH`), sorted by judge."""
    rows = []
    for (question, model_a, model_b, turn), verdicts in table or MT_BENCH:
        for judge, winner in verdicts:
            rows.append({
                "question_id": question, "model_a": model_a, "model_b": model_b,
                "winner": winner, "judge": judge,
                "conversation_a": _conversation(question, turn, model_a),
                "conversation_b": _conversation(question, turn, model_b), "turn": turn,
            })  # fmt: skip
    return sorted(rows, key=lambda r: r["judge"])  # (stable: a judge's rows in case order)


PANDALM = [  # (app, instruction, context, response1, response2, people, judge or None)
    ("Grammarly", "Correct the grammar.", "She go to school every days.",
     "She goes to school every day.", "She go to school.", [1, 1, 1], "1"),
    ("Google Translate", "Translate to German.", "Good morning!", "Guten Morgen!",
     "Gute Nacht!", [1, 1, 0], "1"),
    ("Wikipedia", "Who wrote 'Pride and Prejudice'?", "", "Charlotte Brontë.",
     "Jane Austen.", [2, 2, 2], "1"),
    ("Gmail", "Write a short thank-you note.", "To a colleague who covered my shift.",
     "Thanks so much for covering my shift!", "Thank you for your help with the shift, "
     "it meant a lot.", [0, 0, 2], "Tie"),
    ("Goodreads", "Summarize the plot in one sentence.", "Moby-Dick", "A whale.",
     "Captain Ahab hunts the white whale that took his leg.", [2, 2, 2], "2"),
    ("Yelp", "Classify the review as positive or negative.", "The soup was cold.",
     "Negative.", "Negative.", [0, 0, 0], "garbage"),
    ("Spotify", "Suggest a playlist name for a rainy day.", "", "Rainy Day Jazz",
     "Drizzle & Chill", [0, 1, 2], None),  # no verdict: not in the judge's file
    ("Duolingo", "Give the plural of 'mouse'.", "", "Mouses.", "Mice.", [2, 2, 2], "2"),
]  # fmt: skip
PANDALM_EXTRA_IDX = 999
"""An id in the judge's file that the test set does not have."""


def pandalm() -> list[dict[str, Any]]:
    out = []
    for idx, (app, instruction, context, r1, r2, people, _) in enumerate(PANDALM):
        record: dict[str, Any] = {"idx": idx, "motivation_app": app,
                                  "instruction": instruction, "input": context,
                                  "response1": r1, "response2": r2}  # fmt: skip
        for n, label in enumerate(people, start=1):
            record[f"annotator{n}"] = label
        out.append(record)
    return out


def pandalm_judge() -> list[dict[str, Any]]:
    rows = [{"idx": idx, "result": row[-1]} for idx, row in enumerate(PANDALM) if row[-1]]
    return [*rows, {"idx": PANDALM_EXTRA_IDX, "result": "2"}]


def mt_bench_split(judge: bool) -> list[dict[str, Any]]:
    """The rows of MT-Bench's ``gpt4_pair`` split (``judge``), or of its ``human`` split."""
    return [r for r in mt_bench() if (r["judge"] == "gpt4_pair") == judge]


SUMMEVAL_CRITERIA = ("coherence", "consistency", "fluency", "relevance")
SUMMEVAL_RATERS = ("57e2b", "61102", "8a3c4")
SUMMEVAL: list[tuple[str, str, list[tuple[float | None, ...]]]] = [
    # id, model; per criterion (coherence, consistency, fluency, relevance): the three
    # people's scores and GPT-4's
    ("dm-001", "M8", [(4, 4, 5, 4), (5, 5, 5, 5), (5, 5, 5, 5), (4, 3, 4, 4)]),
    ("dm-002", "M11", [(2, 3, 2, 3), (5, 4, 5, 5), (4, 4, 5, 5), (3, 3, 2, 4)]),
    ("dm-003", "M17", [(3, 3, 3, 2), (1, 2, 1, 4), (5, 4, 5, 4.5), (3, 3, 3, 3)]),
    ("dm-004", "M20", [(5, 4, 4, 5), (5, 5, 5, 5), (5, 5, 5, 5), (4, 5, 5, 5)]),
    ("dm-005", "M8", [(1, 2, 2, None), (4, 5, 5, 5), (3, 3, 4, 5), (2, 2, 3, 2)]),
    ("dm-006", "M11", [(4, 4, 4, 4), (5, 5, 4, 5), (5, 5, 5, 5), (5, 4, None, 3)]),
]
"""Six summaries: 24 cases, one of them without GPT-4's score."""


def summeval_wide() -> list[dict[str, Any]]:
    out = []
    for n, (doc, model, scores) in enumerate(SUMMEVAL, start=1):
        record: dict[str, Any] = {
            "id": doc,
            "text": f"(CNN) Article {n}: the news of the day.",
            "decoded": f"Summary {n} of the article.",
            "model_id": model,
        }
        for crit, (*people, _) in zip(SUMMEVAL_CRITERIA, scores, strict=True):
            for rater, score in zip(SUMMEVAL_RATERS, people, strict=True):
                if score is not None:
                    record[f"{crit}_{rater}"] = score
        for crit, (*_, gpt4) in zip(SUMMEVAL_CRITERIA, scores, strict=True):
            if gpt4 is not None:
                record[f"gpt4_{crit}"] = gpt4
        out.append(record)
    return out


def main() -> None:
    (HERE / "alpaca_eval_annotations.json").write_text(
        json.dumps(alpaca_eval(), indent=4, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mt_bench())
    (HERE / "mt_bench_human_judgments.jsonl").write_text(lines, encoding="utf-8")
    for name, judge in (("mt_bench_human.jsonl", False), ("mt_bench_gpt4_pair.jsonl", True)):
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mt_bench_split(judge))
        (HERE / name).write_text(lines, encoding="utf-8")
    (HERE / "pandalm_testset.json").write_text(
        json.dumps(pandalm(), indent=4, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pandalm_judge())
    (HERE / "pandalm_judge.jsonl").write_text(lines, encoding="utf-8")
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in summeval_wide())
    (HERE / "summeval_wide.jsonl").write_text(lines, encoding="utf-8")
    print(f"wrote 7 files to {HERE}")


if __name__ == "__main__":
    main()
