"""Fields of a file that no mapping reads and that look like ratings or a judge's output: an
import that leaves them out says so, for a label left behind is a figure quietly wrong."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_LOOKS_RATED = re.compile(
    r"(^|_)(annotat\w*|human\w*|rater\w*|labell?er\w*|worker\w*|judge\w*|judg(e)?ment\w*"
    r"|verdicts?|labels?|ratings?|scores?|grades?|preferences?|winner|results?|votes?"
    r"|rationale|explanation|reasoning|critique)($|_)"
)
"""Folded names of fields that hold a label, a verdict or a judge's reasons."""


def _fold(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


def looks_rated(field: str) -> bool:
    """Whether the field's name (its last part) looks like a rating or a judge's output:
    ``annotator1``, ``human_2``, ``gpt4_result``, ``verdict``, ``preference``, ``explanation``."""
    return bool(_LOOKS_RATED.search(_fold(field.rpartition(".")[2])))


def ignored_fields(fields: Sequence[str], used: Iterable[str]) -> list[str]:
    """The ``fields`` (dotted paths of sample records) that look rated and that none of the
    ``used`` sources reads: not one of them, a part of a join (``a+b``), under one or above
    one. In the fields' order."""
    sources = {part.strip() for source in used for part in source.split("+") if part.strip()}
    sources |= {s for s in (src.strip() for src in used) if s}

    def read(field: str) -> bool:
        return any(
            field == s or field.startswith(s + ".") or s.startswith(field + ".") for s in sources
        )

    return [f for f in fields if looks_rated(f) and not read(f)]
