"""AlpacaEval's annotation files: a JSON array of pairwise comparisons.

https://github.com/tatsu-lab/alpaca_eval (``results/<model>/<annotator>/annotations.json``,
and the human cross-annotations ``alpaca_farm_human_crossannotations``): each record is
``{instruction, output_1, generator_1, output_2, generator_2, annotator, preference,
raw_completion, ...}``; ``preference`` is 1 (the first output wins), 2 (the second), 1.5 or 0
for a tie (AlpacaEval maps 0 to 1.5), a number in between from a weighted annotator, or null
when the annotator gave no verdict. Human cross-annotations repeat a pair once per person,
told apart by ``annotator_index``: the file is long, grouped by instruction and outputs
(``Analyzer(keys=("instruction", "output_1", "output_2"))``).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid
from annotator.formats.presets.base import KEY, Preset, Sniff, number_text, text

JUDGE = "judge"
"""The rater of the rows of an automatic annotator (no ``annotator_index``)."""
TIE = "tie"
"""The label of a preference of 1.5 (or 0)."""


def label_of(preference: Any) -> str | None:
    """A preference as a label: ``1``, ``2`` or ``tie``; a weighted annotator's number in
    between is its nearer side (1.5 exactly a tie); None for null. Invalid for anything else."""
    if preference is None or preference == "":
        return None
    if isinstance(preference, str):
        folded = preference.strip().casefold()
        if folded in (TIE, "draw"):
            return TIE
        try:
            preference = float(folded)
        except ValueError:
            raise Invalid(f"preference {preference!r} is not 1, 2 or 1.5") from None
    if isinstance(preference, bool) or not isinstance(preference, int | float):
        raise Invalid(f"preference must be a number, not {type(preference).__name__}")
    value = float(preference)
    if value == 0 or value == 1.5:
        return TIE
    if not math.isfinite(value) or not 1 <= value <= 2:
        raise Invalid(f"preference {number_text(preference)} is not between 1 and 2")
    return "1" if value < 1.5 else "2"


def case_key(instruction: Any, output_1: Any, output_2: Any) -> str:
    """A short id for a pair: the same instruction and outputs give the same id."""
    parts = [text(x) or "" for x in (instruction, output_1, output_2)]
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"ae-{digest[:12]}"


def derive(record: dict[str, Any]) -> dict[str, Any]:
    for field in ("instruction", "output_1", "output_2"):
        if field not in record:
            raise Invalid(f"an AlpacaEval annotation has no '{field}'")
    human = record.get("annotator_index")
    label = label_of(record.get("preference"))
    out: dict[str, Any] = {
        "id": case_key(record["instruction"], record["output_1"], record["output_2"]),
        "outputs": {"1": record["output_1"], "2": record["output_2"]},
        "label": label,
    }
    if human is not None and human != "":
        out["rater"] = f"human {number_text(human)}"
    else:
        out["rater"] = JUDGE
        out["judge"] = {
            "model": text(record.get("annotator")),
            "rationale": text(record.get("raw_completion")),
        }
        # (the judge's rows name the generators; people's rows leave them out, as a row of a
        # case may: their meta would differ)
        meta = {k: record[k] for k in ("generator_1", "generator_2", "dataset") if k in record}
        if meta:
            out["meta"] = meta
    return out


def recognise(sniff: Sniff) -> bool:
    keys = sniff.keys
    pair = {"instruction", "output_1", "output_2"} <= keys
    return pair and bool(keys & {"preference", "annotator", "annotator_index"})


PRESET = Preset(
    name="alpaca-eval",
    title="an AlpacaEval annotation file",
    description=(
        "AlpacaEval's annotations (a JSON array of {instruction, output_1, output_2, "
        "generator_1, generator_2, annotator, preference}): one case per instruction and pair "
        "of outputs, its id a short hash of them, the candidates named 1 and 2. The rows of an "
        "automatic annotator are the judge (annotator as its model, raw_completion as its "
        "rationale); the rows of people (human cross-annotations, with annotator_index) are "
        "ratings by 'human N'. Preference 1 and 2 are the labels 1 and 2; 1.5 (or 0) is 'tie'; "
        "a weighted annotator's number in between is its nearer side; null is no verdict."
    ),
    doc_url="https://github.com/tatsu-lab/alpaca_eval#data-release",
    mapping=FieldMapping(
        (
            ("id", f"{KEY}.id"),
            ("input", "instruction+input"),
            ("outputs", f"{KEY}.outputs"),
            ("judge.model", f"{KEY}.judge.model"),
            ("judge.rationale", f"{KEY}.judge.rationale"),
            ("ratings", f"{KEY}.label"),
            ("meta", f"{KEY}.meta"),
        )
    ),
    derive=derive,
    recognise=recognise,
    long=LongFormat(f"{KEY}.rater", JUDGE),
)
