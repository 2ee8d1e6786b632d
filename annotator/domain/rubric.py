"""What a criterion's rubric says each label means, where it gives a line per label."""

from __future__ import annotations

from annotator.domain.model import LabelScheme

_SEPARATORS = ("—", "–", "-", ":", "=", ")")
_BULLETS = ("- ", "* ", "• ")


def label_descriptions(scheme: LabelScheme) -> dict[str, str]:
    """Each label's line of the rubric, by label: a line that starts with the label and a
    separator ("5 — fully answers the question", "pass: every claim is supported", "- 1) wrong"),
    the first such line for each label. Labels the rubric does not describe are left out."""
    found: dict[str, str] = {}
    by_length = sorted(scheme.labels, key=len, reverse=True)  # "10" before "1"
    for raw in scheme.rubric.splitlines():
        line = raw.strip()
        for bullet in _BULLETS:
            if line.startswith(bullet):
                line = line[len(bullet) :].lstrip()
        folded = line.casefold()
        for label in by_length:
            if not label or not folded.startswith(label.casefold()):
                continue
            rest = line[len(label) :].lstrip()
            separator = next((s for s in _SEPARATORS if rest.startswith(s)), None)
            if separator is None:
                continue
            text = rest[len(separator) :].strip()
            if text and label not in found:
                found[label] = text
            break
    return found
