"""Which judge the agreement figures are of, said in one sentence wherever they are: the
terminal's report, its Markdown and HTML, and the Agreement page (its JSON has the same as
fields, ``to_json``).

The judge of every "judge" figure is the one imported with the cases, which the queue's Judge
column, the kinds and "who was right" are about; a run added later (``services.judge_runs``)
is measured by the alignment report instead. Run names are untrusted text: the sentence cuts
each to one line, and each renderer escapes it its own way (``name``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from annotator.untrusted import one_line

OTHERS_NAMED = 3
"""Runs added later that the sentence names (then "and N more"; the JSON lists them all)."""
NAME_LIMIT = 60
"""Characters of the measured run's name (and of its model) the sentence keeps."""
OTHER_LIMIT = 40
"""Characters of each other run's name the sentence keeps."""
FROM_FILES = (
    "Judge: the verdicts the files carry, those imported with the cases (a workspace's judge "
    "runs added later are not in its labelled files)."
)
"""The sentence of a report read from labelled or merged files (no runs to name)."""
NO_RUN_YET = "no run yet: the imported judge's run is made when runs are first listed or added"
"""Why the JSON's ``run`` is null (a workspace no run was added to, its runs never listed)."""
NO_MODEL = "the imported cases do not all name the same judge model"
"""Why the JSON's ``model`` is null."""


@dataclass(frozen=True)
class MeasuredJudge:
    """The judge the agreement figures measure, as the queue's Judge column, the kinds and
    "who was right" are about it: the verdicts imported with the cases. The runs added since
    are not in those figures (the alignment report compares them)."""

    name: str | None
    """The imported run's name (its model, or ``IMPORTED_NAME``); None before its row was
    made, when there is no other run either."""
    model: str
    others: tuple[str, ...]
    """The other runs, not removed, in the order they were added."""
    own_name: bool = True
    """Whether ``name`` is worth saying: False for the run's default name (``IMPORTED_NAME``,
    given when the cases name more than one model) and when there is no name."""


def _same(text: str) -> str:
    return text


def judge_sentence(
    judge: MeasuredJudge | None,
    *,
    name: Callable[[str], str] = _same,
    words: Callable[[str], str] = _same,
) -> str:
    """Which judge the figures are of, in one sentence: "Judge: run 'gpt-4 baseline' (model
    gpt-4), the verdicts imported with the cases. Runs added later ('prompt v2') are not in
    these figures: …". ``judge`` None: a report read from files (:data:`FROM_FILES`).

    Each name and the model, put on one line and cut, goes through ``name`` (the renderer's
    escape of untrusted text: marks for controls, isolated, Markdown or HTML escaped); the
    sentence's own words through ``words`` (HTML escaping, say)."""
    if judge is None:
        return words(FROM_FILES)
    model = (
        words(" (model ") + name(one_line(judge.model, NAME_LIMIT)) + words(")")
        if judge.model and judge.model != judge.name
        else ""
    )
    if judge.name is None or not judge.own_name:  # (the default name is not said twice)
        said = words("Judge: the verdicts imported with the cases") + model + words(".")
    else:
        said = (
            words("Judge: run '")
            + name(one_line(judge.name, NAME_LIMIT))
            + words("'")
            + model
            + words(", the verdicts imported with the cases.")
        )
    if not judge.others:
        return said
    names = words(", ").join(
        words("'") + name(one_line(n, OTHER_LIMIT)) + words("'")
        for n in judge.others[:OTHERS_NAMED]
    )
    more = len(judge.others) - OTHERS_NAMED
    if more > 0:
        names += words(f" and {more} more")
    return (
        said
        + words(" Runs added later (")
        + names
        + words(
            ") are not in these figures: the alignment report compares them (View › Alignment "
            "of judge runs…, annotator alignment)."
        )
    )
