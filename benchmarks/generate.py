"""Synthetic projects, deterministic from a seed (reviewers' files made from them: reviewers.py).

A project looks like a real evaluation run: a header with three criteria (``correctness``
pass/fail, ``helpfulness`` an ordinal 1-5 scale, ``preference`` a pairwise A/B/tie comparison),
about 1 KB of text per case (input, output or two candidate outputs, sometimes a reference, the
judge's rationale), three raters per case out of a pool of 24, some rater comments, and every
kind of disagreement. Some words are planted at known rates so that the search benchmarks know
what they should find.

The same seed and size always give the same bytes, so a file generated once can be reused
(``ensure_project`` checks a small stamp file beside it).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 2
"""Bump when the generated content changes, so that cached files are made again."""

RARE_WORD = "zebrafish"
"""In the input of one case in 1,000: a search that finds few cases."""
RARE_EVERY = 1000
RATERS = [f"rater{i:02d}" for i in range(1, 25)]
RATERS_PER_CASE = 3

_WORD_TEXT = (
    "the a of to and in is that for it with as on be at by this from or an are not have was "
    "but which can all your more if will one about their what has there when so would who "
    "patient dose tablet symptoms doctor advice refund order delivery account password reset "
    "invoice contract clause tenant landlord deposit notice warranty repair engine battery "
    "charge screen update install error message server timeout request response policy claim "
    "insurance premium cover excess travel booking flight cancel delay compensation hotel "
    "recipe oven minutes flour sugar butter bake temperature summary paragraph essay argument "
    "evidence source citation quote translate sentence grammar tense formal informal tone"
)
WORDS = _WORD_TEXT.split()

CRITERIA: dict[str, dict[str, Any]] = {
    "correctness": {"labels": ["pass", "fail"], "rubric": "pass: correct and complete"},
    "helpfulness": {
        "labels": ["1", "2", "3", "4", "5"],
        "ordinal": True,
        "threshold": 0,
        "rubric": "5: solves the problem; 1: no help at all",
    },
    "preference": {"labels": ["A", "B", "tie"], "rubric": "the better answer, or tie"},
}
HEADER = {
    "project": {
        "title": "Benchmark project",
        "guidelines": "Decide what a careful expert would answer.",
        "criteria": CRITERIA,
    }
}


def project_path(folder: Path, cases: int, seed: int) -> Path:
    return folder / f"project-{cases}-s{seed}.jsonl"


def ensure_project(folder: Path, cases: int, seed: int) -> Path:
    """The case file for ``cases`` and ``seed``, generated unless an identical one exists."""
    folder.mkdir(parents=True, exist_ok=True)
    path = project_path(folder, cases, seed)
    stamp = path.with_suffix(".stamp")
    expected = f"{GENERATOR_VERSION} {cases} {seed}"
    if path.exists() and stamp.exists() and stamp.read_text().strip() == expected:
        return path
    stamp.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    write_project(tmp, cases, seed)
    tmp.replace(path)
    stamp.write_text(expected + "\n")
    return path


def ensure_json_array(folder: Path, cases: int, seed: int) -> Path:
    """The same project as a JSON array, pretty-printed (two spaces, one key a line) as most
    tools export JSON; the header is its first item. Made from the JSON Lines file."""
    source = ensure_project(folder, cases, seed)
    path = source.with_suffix(".json")
    stamp = path.with_suffix(".json-stamp")
    expected = f"{GENERATOR_VERSION} {cases} {seed}"
    if path.exists() and stamp.exists() and stamp.read_text().strip() == expected:
        return path
    stamp.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    with source.open(encoding="utf-8") as lines, tmp.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for n, line in enumerate(lines):
            item = json.dumps(json.loads(line), indent=2, ensure_ascii=False)
            fh.write(("," if n else "") + "\n  " + item.replace("\n", "\n  "))
        fh.write("\n]\n")
    tmp.replace(path)
    stamp.write_text(expected + "\n")
    return path


def ensure_joined(folder: Path, cases: int, seed: int) -> tuple[Path, Path]:
    """The same project as two files joined by id (``import CASES --judge JUDGE``): the cases
    without their judge, and the judge's verdicts in a file of their own, in another order
    (every other case's, then the rest's: as if written by another program). Made from the
    JSON Lines file, in two passes over it."""
    source = ensure_project(folder, cases, seed)
    paths = source.with_suffix(".cases.jsonl"), source.with_suffix(".judge.jsonl")
    stamp = source.with_suffix(".joined-stamp")
    expected = f"{GENERATOR_VERSION} {cases} {seed}"
    if all(p.exists() for p in paths) and stamp.exists() and stamp.read_text().strip() == expected:
        return paths
    stamp.unlink(missing_ok=True)
    tmp_cases, tmp_judge = (p.with_suffix(".tmp") for p in paths)
    with tmp_cases.open("w", encoding="utf-8") as out, tmp_judge.open("w", encoding="utf-8") as fh:
        for odd in (False, True):
            with source.open(encoding="utf-8") as lines:
                for n, line in enumerate(lines):
                    record = json.loads(line)
                    if not odd:
                        out.write(json.dumps({k: v for k, v in record.items() if k != "judge"},
                                             ensure_ascii=False) + "\n")  # fmt: skip
                    if "judge" in record and n % 2 == odd:
                        verdict = {"id": record["id"], "judge": record["judge"]}
                        fh.write(json.dumps(verdict, ensure_ascii=False) + "\n")
    tmp_cases.replace(paths[0])
    tmp_judge.replace(paths[1])
    stamp.write_text(expected + "\n")
    return paths


def write_project(path: Path, cases: int, seed: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(HEADER) + "\n")
        for case in cases_of(cases, seed):
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")


def cases_of(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """The ``n`` cases of a project, one dict each in our case file format."""
    rng = random.Random(seed)
    pool = [_sentence(rng) for _ in range(5000)]
    for i in range(n):
        roll = rng.random()
        crit = "correctness" if roll < 0.45 else "helpfulness" if roll < 0.8 else "preference"
        labels: list[str] = CRITERIA[crit]["labels"]
        judge, rater_labels = _labels(rng, labels)
        raters = rng.sample(RATERS, RATERS_PER_CASE)
        ratings: list[dict[str, Any]] = []
        for rater, label in zip(raters, rater_labels, strict=True):
            rating: dict[str, Any] = {"rater": rater, "label": label}
            if rng.random() < 0.15:
                rating["comment"] = _text(rng, rng.randint(30, 120), pool)
            ratings.append(rating)
        inp = _text(rng, _length(rng, 280), pool)
        if i % RARE_EVERY == 7:
            inp += f" Does the {RARE_WORD} study apply here?"
        case: dict[str, Any] = {
            "id": f"case-{i:07d}",
            "criterion": crit,
            "input": inp,
            "judge": {
                "label": judge,
                "rationale": _text(rng, rng.randint(100, 260), pool),
                "score": round(rng.random(), 3),
                "model": "judge-v2",
            },
            "ratings": ratings,
            "meta": {"source": rng.choice(("tickets", "forum", "synthetic")), "batch": i // 5000},
        }
        if crit == "preference":
            case["outputs"] = {
                "A": _text(rng, _length(rng, 220), pool),
                "B": _text(rng, _length(rng, 220), pool),
            }
        else:
            case["output"] = _text(rng, _length(rng, 340), pool)
        if rng.random() < 0.3:
            case["reference"] = _text(rng, rng.randint(80, 250), pool)
        yield case


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
    return " ".join(words).capitalize() + rng.choice(".!?.")


def _text(rng: random.Random, chars: int, pool: list[str]) -> str:
    parts: list[str] = []
    size = 0
    while size < chars:
        sentence = rng.choice(pool)
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts)


def _length(rng: random.Random, base: int) -> int:
    """Around ``base`` characters; one text in 25 is eight times longer."""
    n = rng.randint(base * 2 // 3, base * 4 // 3)
    return n * 8 if rng.random() < 0.04 else n


def _labels(rng: random.Random, labels: list[str]) -> tuple[str, list[str]]:
    """A judge label and three rater labels with a realistic mix of (dis)agreement."""
    judge = rng.choice(labels)
    others = [x for x in labels if x != judge]
    roll = rng.random()
    if roll < 0.55:  # agreement
        return judge, [judge] * RATERS_PER_CASE
    if roll < 0.72:  # the judge against every rater
        other = rng.choice(others)
        return judge, [other] * RATERS_PER_CASE
    if roll < 0.88:  # the judge against the majority
        other = rng.choice(others)
        raters = [other, other, judge]
        rng.shuffle(raters)
        return judge, raters
    return judge, [rng.choice(labels) for _ in range(RATERS_PER_CASE)]  # raters split (or not)
