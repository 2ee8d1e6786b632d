"""The label schemes of a workspace while a file is imported into it: what a file's header
declares, the labels each case uses, and the schemes inferred from the data.

A criterion's scheme is *declared* by a file's header (its labels in scale order, whether
they are ordinal, a threshold and a rubric) or *inferred* from the labels the cases use
(:func:`infer_scheme`). Labels are compared without regard to case: the workspace keeps one
spelling of each, the first it met.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Connection

from annotator.domain.model import LabelScheme, Rating, Verdict
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.reader import ParsedCase
from annotator.services.classification import change_threshold, reclassify
from annotator.storage import schemes
from annotator.storage.schemes import StoredScheme


def infer_scheme(labels: list[str]) -> LabelScheme:
    """A label set inferred from data: numbers make an ordinal scale, anything else is nominal."""
    try:
        numbers = sorted(labels, key=float)
    except ValueError:
        return LabelScheme(tuple(sorted(labels, key=str.casefold)))
    return LabelScheme(tuple(numbers), ordinal=True)


class ImportSchemes:
    """The schemes of the workspace ``conn`` writes to, reconciled with a file's, during the
    import of ``path``: declared from its header (:meth:`declare`), each case's labels
    spelled as the workspace spells them (:meth:`conform`), and the rest inferred at the
    end (:meth:`settle_inferred`).

    ``header_declares``: the file's header declares label sets, which its reader checks
    the cases against.
    """

    def __init__(self, conn: Connection, path: Path, *, header_declares: bool) -> None:
        self.conn = conn
        self.path = path
        self.header_declares = header_declares
        self.stored: dict[str, StoredScheme] = schemes.schemes(conn)
        self.spellings: dict[str, dict[str, str]] = {}
        """Per undeclared criterion: casefolded label -> the spelling first seen."""

    def reload(self) -> None:
        """Read the workspace's schemes again (an earlier import's cases were removed)."""
        self.stored = schemes.schemes(self.conn)
        self.spellings = {}

    def declare(self, crit: str, scheme: LabelScheme) -> None:
        """A file's header declares ``scheme`` for ``crit``: refused (:class:`FileRefused`)
        when it contradicts a declared one, or leaves out labels the workspace has."""
        old = self.stored.get(crit)
        name = f"criterion '{crit}'" if crit else "the label set"
        old_labels: tuple[str, ...] = old.scheme.labels if old else ()
        if old is not None and old.declared:
            same = [x.casefold() for x in old_labels] == [x.casefold() for x in scheme.labels]
            if not same or old.scheme.ordinal != scheme.ordinal:
                raise FileRefused(
                    self.path,
                    f"{name} is {list(scheme.labels)} here but {list(old_labels)} in the workspace",
                    1,
                )
            return  # labels that differ only in case: the workspace's spelling stays
        spelling = {x.casefold(): x for x in old_labels}
        stray = set(spelling) - {x.casefold() for x in scheme.labels}
        if stray:
            raise FileRefused(
                self.path,
                f"{name} {list(scheme.labels)} leaves out labels already in the workspace: "
                f"{sorted(spelling[x] for x in stray)}",
                1,
            )
        # Labels inferred earlier keep their spelling, so the cases already stored still match.
        labels = tuple(spelling.get(x.casefold(), x) for x in scheme.labels)
        scheme = replace(scheme, labels=labels)
        self._save(crit, scheme, declared=True)
        if old is not None:
            reclassify(self.conn, crit, scheme)

    def _save(self, crit: str, scheme: LabelScheme, *, declared: bool) -> None:
        self.stored[crit] = StoredScheme(scheme, declared)
        schemes.save_scheme(self.conn, crit, scheme, declared)

    def scheme_for(self, criterion: str) -> LabelScheme:
        stored = self.stored.get(criterion)
        return stored.scheme if stored is not None else LabelScheme(())

    def conform(self, item: ParsedCase) -> ParsedCase | LineProblem:
        """Give the case's labels the spelling of its criterion's label set.

        With a label set the workspace declares (a file's header declares its own first), an
        unknown label is a line problem and known ones take the workspace's spelling. Without
        one, labels that differ only in case are one label, spelled as first seen ("PASS",
        "pass").
        """
        case = item.case
        stored = self.stored.get(case.criterion)
        spell: Callable[[str], str | None]
        if stored is not None and stored.declared:
            # The workspace's spelling (the file's header, if any, was declared into it).
            spell = stored.scheme.canonical
        elif self.header_declares:
            return item  # the reader has checked the labels against the file's header
        else:
            spell = self.spelling(case.criterion)
        judge = spell(case.judge.label)
        if judge is None:
            return LineProblem(
                item.line, _unknown(case.judge.label, "judge", self.scheme_for(case.criterion))
            )
        respelled: list[Rating] | None = None  # (made only when a label is spelled otherwise)
        for n, r in enumerate(case.ratings):
            label = spell(r.label)
            if label is None:
                message = _unknown(r.label, f"rater '{r.rater}'", self.scheme_for(case.criterion))
                return LineProblem(item.line, message)
            if label != r.label:
                if respelled is None:
                    respelled = list(case.ratings)
                respelled[n] = Rating(r.rater, label, r.comment)
        if judge == case.judge.label and respelled is None:
            return item
        j = case.judge
        verdict = Verdict(judge, j.rationale, j.score, j.model)
        ratings = case.ratings if respelled is None else tuple(respelled)
        return replace(item, case=replace(case, judge=verdict, ratings=ratings))

    def spelling(self, criterion: str) -> Callable[[str], str]:
        """For a criterion with no declared labels: one spelling per label, ignoring case."""
        known = self.spellings.get(criterion)
        if known is None:
            old = self.stored.get(criterion)
            known = {x.casefold(): x for x in old.scheme.labels} if old else {}
            self.spellings[criterion] = known
        table = known

        def spell(label: str) -> str:
            return table.setdefault(label.casefold(), label)

        return spell

    def settle_inferred(self) -> None:
        """Give criteria without a declared label set one inferred from the labels seen."""
        for crit, spellings in self.spellings.items():
            old = self.stored.get(crit)
            if old is not None and old.declared:
                continue
            inferred = infer_scheme(list(spellings.values()))
            threshold = old.scheme.threshold if old else 0.0
            scheme = replace(inferred, threshold=threshold)
            self._save(crit, scheme, declared=False)
            if scheme.ordinal:
                reclassify(self.conn, crit, scheme)

    def set_threshold(self, threshold: float) -> None:
        """Make ``threshold`` the disagreement threshold of every ordinal criterion."""
        for crit, stored in list(self.stored.items()):
            if stored.scheme.ordinal and stored.scheme.threshold != threshold:
                change_threshold(self.conn, crit, threshold)


def _unknown(label: str, whose: str, scheme: LabelScheme) -> str:
    """Worded as the reader words it (annotator/formats/normalize.py)."""
    return f"unknown label '{label}' for {whose}; expected one of: {', '.join(scheme.labels)}"
