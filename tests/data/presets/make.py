"""Write the preset fixtures: small files in the shapes the tools write, from their own docs.

    python -m tests.data.presets.make

- ``label_studio_export.json``: Label Studio's JSON export (https://labelstud.io/guide/
  task_format): tasks with ``data`` (a prompt, a response, a reference and an id of the
  team's own), ``annotations`` (``completed_by`` a user id, or the user object some exports
  write; a ``choices`` region and a ``textarea`` comment; one cancelled) and ``predictions``
  (``model_version``, ``score``, a ``choices`` region and a ``textarea`` rationale). The last
  task has no prediction.
- ``alpaca_eval_annotations.json``: AlpacaEval's annotations (tatsu-lab/alpaca_eval): an
  automatic annotator's rows (``weighted_alpaca_eval_gpt4_turbo``: ``preference`` a float
  between 1 and 2, 1.5 a tie, null where it gave no verdict; ``raw_completion``, costs) and,
  in the same array, the human cross-annotations of the same pairs (``annotator_index`` 0 to
  3, ``preference`` 1, 2 or 1.5), as ``jq -s add`` joins the two files.
- ``mt_bench_human_judgments.jsonl``: lmsys/mt_bench_human_judgments, both splits (``human``
  and ``gpt4_pair``) in one file, rows sorted by judge; people's ``tie (bothbad)`` and GPT-4's
  ``tie (inconsistent)``.
- ``promptfoo_results.json``: ``promptfoo eval -o results.json`` (v3 results: ``evalId``,
  ``results.results[]`` with ``gradingResult.componentResults``; an ``llm-rubric`` assertion,
  ``contains``, a rating given in the viewer as a component of type ``human``; a provider
  error with no grading).
- ``inspect_log.json`` and ``inspect_log.eval``: an Inspect AI eval log (``version``,
  ``status``, ``eval``, ``plan``, ``results``, ``stats``, then ``samples`` with ``id``,
  ``epoch``, ``input``, ``target``, ``output.choices``, ``scores``), and the same log as a
  ``.eval`` zip archive (``header.json``, ``samples/ID_epoch_N.json``, ``summaries.json``).

docs/formats.md ("Presets") gives the command that imports each, and tests/test_presets.py
checks the counts it prints.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from tests.data.real import make as real

HERE = Path(__file__).resolve().parent


def _choice(name: str, label: str) -> dict[str, Any]:
    return {"from_name": name, "to_name": "response", "type": "choices",
            "value": {"choices": [label]}, "origin": "manual", "id": f"r-{label}"}  # fmt: skip


def _note(name: str, text: str) -> dict[str, Any]:
    return {"from_name": name, "to_name": "response", "type": "textarea",
            "value": {"text": [text]}, "id": "n1"}  # fmt: skip


def _annotation(n: int, user: Any, label: str, note: str = "", cancelled: bool = False) -> dict:
    result = [_choice("verdict", label)] + ([_note("comment", note)] if note else [])
    return {"id": n, "completed_by": user, "result": result, "was_cancelled": cancelled,
            "ground_truth": False, "created_at": "2025-03-02T10:00:00.000000Z",
            "updated_at": "2025-03-02T10:00:00.000000Z", "lead_time": 12.5, "task": n // 10,
            "prediction": {}, "result_count": 0, "parent_prediction": None,
            "parent_annotation": None}  # fmt: skip


def label_studio() -> list[dict[str, Any]]:
    tasks = [  # (uid, prompt, response, judge, judge's rationale, [annotations])
        ("q-101", "How do I reset my password?", "Click 'Forgot password'.", "pass",
         "Correct and complete.", [(1, "pass", ""), (2, "pass", "")]),
        ("q-102", "What is the refund window?", "Refunds within 90 days.", "fail",
         "The policy says 30 days.", [(1, "pass", ""), (2, "pass", "90 is right for EU.")]),
        ("q-103", "Can I change my e-mail?", "Yes, in Settings.", "pass",
         "Matches the help page.", [(1, "pass", ""), (2, "fail", "Needs re-verification."),
                                    (3, "pass", "CANCELLED")]),
        ("q-104", "Do you ship to Canada?", "No.", "fail", "We do ship to Canada.",
         [({"id": 7, "first_name": "Ana", "last_name": "Lee", "email": "ana@example.org"},
           "fail", "")]),
        ("q-105", "Is there a phone line?", "Yes: 0800 123.", None, "", [(1, "pass", "")]),
    ]  # fmt: skip
    out = []
    for n, (uid, prompt, response, judge, why, people) in enumerate(tasks, start=1):
        anns = [_annotation(n * 10 + i, user, label, "" if note == "CANCELLED" else note,
                            cancelled=note == "CANCELLED")
                for i, (user, label, note) in enumerate(people)]  # fmt: skip
        predictions = []
        if judge is not None:
            predictions.append({
                "id": n, "model_version": "gpt-4o-judge-v2", "created_ago": "3 hours",
                "score": 0.9 if judge == "pass" else 0.3,
                "result": [_choice("verdict", judge), _note("rationale", why)],
                "cluster": None, "neighbors": None, "mislabeling": 0.0,
                "created_at": "2025-03-01T09:00:00.000000Z",
                "updated_at": "2025-03-01T09:00:00.000000Z", "task": n, "project": 4,
            })  # fmt: skip
        out.append({
            "id": n, "annotations": anns, "file_upload": "support.json", "drafts": [],
            "predictions": predictions,
            "data": {"uid": uid, "prompt": prompt, "response": response},
            "meta": {}, "created_at": "2025-03-01T08:00:00.000000Z",
            "updated_at": "2025-03-02T10:00:00.000000Z", "inner_id": n,
            "total_annotations": len(anns), "cancelled_annotations": 0,
            "total_predictions": len(predictions), "comment_count": 0,
            "unresolved_comment_count": 0, "last_comment_updated_at": None, "project": 4,
            "updated_by": 1, "comment_authors": [],
        })  # fmt: skip
    return out


ALPACA = [  # (instruction, input, output_1, output_2, judge's preference, people's preferences)
    ("Give three tips for staying healthy.", "", "Eat vegetables, sleep, exercise.",
     "Be healthy.", 1.0000021, [1, 1, 2, 1]),
    ("Write a haiku about autumn.", "", "Red leaves drift and fall / ...",
     "Autumn is a season.", 1.9999, [1, 1, 1, 2]),
    ("What is the capital of Australia?", "", "Canberra.", "Canberra, since 1913.",
     1.5, [1.5, 1.5, 2, 1]),
    ("Name a prime number.", "", "7", "9", None, [1, 1]),
    ("Translate the sentence into French.", "The cat sleeps on the sofa.",
     "Le chien mange.", "Le chat dort sur le canapé.", 2, [2, 2]),
]  # fmt: skip


def alpaca_eval() -> list[dict[str, Any]]:
    judge_rows, human_rows = [], []
    for instruction, context, out1, out2, judge, humans in ALPACA:
        judge_rows.append({
            "instruction": instruction, "input": context, "output_1": out1,
            "generator_1": "gpt4_1106_preview", "dataset": "helpful_base", "output_2": out2,
            "generator_2": "alpaca-7b", "annotator": "weighted_alpaca_eval_gpt4_turbo",
            "preference": judge, "time_per_example": 0.83, "price_per_example": 0.0139,
            "raw_completion": {"logprobs": "m"} if judge is not None else None,
        })  # fmt: skip
        for index, preference in enumerate(humans):
            human_rows.append({
                "instruction": instruction, "input": context, "output_1": out1,
                "output_2": out2, "preference": preference, "annotator_index": index,
                "dataset": "helpful_base", "datasplit": "eval",
            })  # fmt: skip
    return human_rows + judge_rows


MT_BENCH = [  # (question, model_a, model_b, turn): [(judge, winner), ...]
    ((81, "alpaca-13b", "gpt-3.5-turbo", 1),
     [("author_0", "model_b"), ("expert_3", "model_b"), ("gpt4_pair", "model_b")]),
    ((81, "alpaca-13b", "gpt-3.5-turbo", 2),
     [("author_0", "model_b"), ("expert_3", "tie (bothbad)"),
      ("gpt4_pair", "tie (inconsistent)")]),
    ((82, "claude-v1", "vicuna-13b-v1.2", 1),
     [("author_2", "model_a"), ("expert_7", "model_a"), ("author_0", "model_b"),
      ("gpt4_pair", "model_b")]),
    ((83, "gpt-4", "llama-13b", 1), [("expert_3", "model_a")]),  # no verdict of GPT-4
    ((83, "gpt-4", "alpaca-13b", 1), [("author_2", "model_a"), ("gpt4_pair", "model_b")]),
]  # fmt: skip


def mt_bench() -> list[dict[str, Any]]:
    return real.mt_bench(MT_BENCH)


def _component(kind: str, passed: bool, reason: str, **extra: Any) -> dict[str, Any]:
    return {"pass": passed, "score": 1 if passed else 0, "reason": reason,
            "assertion": {"type": kind, **extra.pop("assertion", {})}, **extra}  # fmt: skip


PROMPTFOO = [  # (question, answer, [components], error)
    ("What is 2 + 2?", "4",
     [_component("llm-rubric", True, "Correct arithmetic.", assertion={"value": "is correct"}),
      _component("human", True, "Manual result (overrides all other grading results)",
                 comment="")], None),
    ("Name the largest planet.", "Saturn",
     [_component("llm-rubric", False, "Jupiter is the largest.",
                 assertion={"value": "is correct"}),
      _component("contains", True, "Assertion passed", assertion={"value": "a"})], None),
    ("Who wrote Hamlet?", "Shakespeare, in 1850.",
     [_component("llm-rubric", True, "Names Shakespeare.", assertion={"value": "is correct"}),
      _component("human", False, "Manual result (overrides all other grading results)",
                 comment="The date is wrong.")], None),
    ("Spell 'necessary'.", "necessary",
     [_component("contains", True, "Assertion passed", assertion={"value": "ss"})], None),
    ("What is the boiling point of water at sea level?", "90 °C",
     [_component("llm-rubric", False, "It is 100 °C.",
                 assertion={"value": "is correct", "provider": "openai:gpt-4o"}),
      _component("human", False, "Manual result (overrides all other grading results)",
                 comment="")], None),
    ("Translate 'cat' to German.", None, [], "Request timed out"),
]  # fmt: skip


def promptfoo() -> dict[str, Any]:
    results = []
    for n, (question, answer, components, error) in enumerate(PROMPTFOO):
        humans = [c for c in components if c["assertion"]["type"] == "human"]
        passed = humans[-1]["pass"] if humans else all(c["pass"] for c in components)
        record: dict[str, Any] = {
            "id": f"5b1c0e7a-{n:04d}", "promptIdx": 0, "testIdx": n,
            "testCase": {"vars": {"question": question},
                         "assert": [c["assertion"] for c in components if
                                    c["assertion"]["type"] != "human"]},
            "promptId": "8f2d", "provider": {"id": "openai:gpt-4o-mini", "label": ""},
            "prompt": {"raw": f"Answer briefly: {question}",
                       "label": "Answer briefly: {{question}}"},
            "vars": {"question": question},
            "response": {"output": answer, "tokenUsage": {"total": 20, "prompt": 12,
                                                          "completion": 8}}
            if error is None else {"error": error},
            "error": error, "failureReason": 0 if passed else (2 if error else 1),
            "success": passed and error is None, "score": 1 if passed else 0,
            "latencyMs": 512, "namedScores": {}, "cost": 0.00002, "metadata": {},
            "gradingResult": None if error else {
                "pass": passed, "score": 1 if passed else 0,
                "reason": humans[-1]["reason"] if humans else "All assertions passed",
                "namedScores": {}, "tokensUsed": {"total": 80}, "componentResults": components,
            },
        }  # fmt: skip
        results.append(record)
    return {
        "evalId": "eval-Xb4-2025-03-04T10:12:08",
        "results": {
            "version": 3, "timestamp": "2025-03-04T10:12:08.000Z",
            "prompts": [{"raw": "Answer briefly: {{question}}", "label": "Answer briefly",
                         "provider": "openai:gpt-4o-mini", "metrics": {"score": 3}}],
            "results": results,
            "stats": {"successes": 2, "failures": 4, "errors": 1,
                      "tokenUsage": {"total": 100}},
        },
        "config": {"description": "Trivia with a rubric", "providers": ["openai:gpt-4o-mini"],
                   "defaultTest": {"options": {"provider": "openai:gpt-4o"}}},
        "shareableUrl": None,
        "metadata": {"promptfooVersion": "0.107.0"},
    }  # fmt: skip


INSPECT = [  # (id, epoch, question, target, answer, judge's value, expert's value)
    (1, 1, "What is the capital of France?", "Paris", "Paris.", "C", "C"),
    (2, 1, "How many legs does a spider have?", "8", "Eight legs.", "I", "C"),
    (3, 1, "Name two noble gases.", ["helium", "neon"], "Helium and argon.", "P", "P"),
    ("four", 1, "Who painted the Mona Lisa?", "Leonardo da Vinci", "Da Vinci.", "C", None),
    (1, 2, "What is the capital of France?", "Paris", "Lyon.", "C", "I"),
    (5, 1, "What is 12 x 12?", "144", None, None, None),
]  # fmt: skip


def _sample(sample_id: Any, epoch: int, question: str, target: Any, answer: str | None,
            judge: str | None, expert: str | None) -> dict[str, Any]:  # fmt: skip
    scores: dict[str, Any] = {}
    if judge is not None:
        scores["model_graded_fact"] = {
            "value": judge, "answer": answer,
            "explanation": f"GRADE: {judge}. The answer {'matches' if judge == 'C' else 'misses'}.",
            "metadata": {},
        }  # fmt: skip
    if expert is not None:
        scores["expert"] = {"value": expert, "answer": answer,
                            "explanation": "Checked against the key."}  # fmt: skip
    messages = [{"id": "m1", "content": question, "source": "input", "role": "user"}]
    output: dict[str, Any] = {"model": "openai/gpt-4o-mini", "choices": [], "completion": ""}
    if answer is not None:
        message = {"id": "m2", "content": answer, "source": "generate", "role": "assistant"}
        messages.append(message)
        output["choices"] = [{"message": message, "stop_reason": "stop"}]
        output["completion"] = answer
    sample: dict[str, Any] = {
        "id": sample_id, "epoch": epoch, "input": question, "target": target,
        "messages": messages, "output": output, "scores": scores, "metadata": {},
        "store": {}, "events": [], "model_usage": {}, "uuid": f"u-{sample_id}-{epoch}",
    }  # fmt: skip
    if answer is None:
        sample["error"] = {"message": "RateLimitError", "traceback": "...",
                           "traceback_ansi": "..."}  # fmt: skip
    return sample


def inspect_header() -> dict[str, Any]:
    return {
        "version": 2, "status": "success",
        "eval": {"eval_id": "eQ7", "run_id": "rX2", "created": "2025-03-05T14:00:00+00:00",
                 "task": "trivia_qa", "task_id": "tB9", "task_version": 0,
                 "dataset": {"name": "trivia", "samples": 5},
                 "model": "openai/gpt-4o-mini", "config": {"epochs": 2}},
        "plan": {"name": "plan", "steps": [{"solver": "generate", "params": {}}]},
        "results": {"total_samples": 6, "completed_samples": 5,
                    "scores": [{"name": "model_graded_fact", "scorer": "model_graded_fact",
                                "metrics": {"accuracy": {"name": "accuracy", "value": 0.6}}}]},
        "stats": {"started_at": "2025-03-05T14:00:00+00:00",
                  "completed_at": "2025-03-05T14:03:00+00:00", "model_usage": {}},
    }  # fmt: skip


def inspect_samples() -> list[dict[str, Any]]:
    return [_sample(*row) for row in INSPECT]


def inspect_log() -> dict[str, Any]:
    return {**inspect_header(), "samples": inspect_samples(),
            "reductions": [{"scorer": "model_graded_fact", "samples": []}]}  # fmt: skip


def write_eval_zip(path: Path) -> None:
    """The log as Inspect's ``.eval`` archive (fixed member times: the same bytes each run)."""
    members = [("header.json", inspect_header())]
    members += [(f"samples/{s['id']}_epoch_{s['epoch']}.json", s) for s in inspect_samples()]
    members.append(("summaries.json", [{"id": s["id"], "epoch": s["epoch"]}
                                       for s in inspect_samples()]))  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in members:
            info = zipfile.ZipInfo(name, date_time=(2025, 3, 5, 14, 3, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, json.dumps(value, ensure_ascii=False))


def main() -> None:
    def pretty(name: str, value: Any) -> None:
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")

    pretty("label_studio_export.json", label_studio())
    pretty("alpaca_eval_annotations.json", alpaca_eval())
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mt_bench())
    (HERE / "mt_bench_human_judgments.jsonl").write_text(lines, encoding="utf-8")
    pretty("promptfoo_results.json", promptfoo())
    pretty("inspect_log.json", inspect_log())
    write_eval_zip(HERE / "inspect_log.eval")
    print(f"wrote 6 files to {HERE}")


if __name__ == "__main__":
    main()
