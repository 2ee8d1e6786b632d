"""Label values per source (--labels), their counts and warnings before anything lands, no
verdict counted apart, ignored fields, --replace, and a --map that names no field."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.label_counts import LabelCounts, label_counts, table
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.formats.sources import check_sources, file_fields
from annotator.formats.values import NoVerdict, ValueMap
from annotator.services.import_report import ImportUnconfirmed, warnings
from annotator.services.importer import import_file
from annotator.services.reimport import ImportWouldReplace
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl

PANDALM_MAP = FieldMapping.parse(
    [
        "id=idx",
        "input=instruction+input",
        "judge.label=pandalm_result",
        "ratings.annotator1=annotator1",
        "ratings.annotator2=annotator2",
        "ratings.annotator3=annotator3",
    ]
)
GARBAGE = (5, 50, 77)


def pandalm(path: Path, n: int = 120, seed: int = 1) -> Path:
    """PandaLM's test set as published: people write 0 (tie), 1, 2; the judge "1", "2",
    "Tie", and sometimes an unparseable "garbage"."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        truth = rng.choice([0, 1, 2])
        people = [truth if rng.random() < 0.8 else rng.choice([0, 1, 2]) for _ in range(3)]
        judge = {0: "Tie", 1: "1", 2: "2"}[truth] if rng.random() < 0.8 else rng.choice("12")
        rows.append(
            {
                "idx": i,
                "instruction": f"Which answer is better? ({i})",
                "input": "",
                "response1": "one",
                "response2": "two",
                "annotator1": people[0],
                "annotator2": people[1],
                "annotator3": people[2],
                "pandalm_result": "garbage" if i in GARBAGE else judge,
            }
        )
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return path


SUGGESTED = ValueMap.parse(["judge:garbage=", "ratings:0=Tie"])


def _items(reader: CaseReader) -> list[ParsedCase | LineProblem]:
    return list(reader)


# -- the value mapping ---------------------------------------------------------------------------


def test_labels_options_are_read_and_written_back() -> None:
    values = ValueMap.parse(["judge:Tie=tie,garbage=", "ratings:0=tie,1=A,2=B", "ratings.bob:x=y"])
    assert values.target("judge", "Tie") == "tie"
    assert values.target("judge", "TIE") == "tie"  # without regard to case
    assert values.target("judge", "garbage") == ""  # no verdict
    assert values.target("ratings.alice", "0") == "tie"
    assert values.target("ratings.bob", "x") == "y"
    assert values.target("ratings.bob", "1") == "A"  # a rater's own rules, then everyone's
    assert values.target("judge", "0") is None  # not the judge's value
    assert ValueMap.parse(values.specs()) == values
    escaped = ValueMap.parse([r"ratings:a\,b=c\=d,e\:f=g"])
    assert escaped.target("ratings.x", "a,b") == "c=d"
    assert escaped.target("ratings.x", "e:f") == "g"
    assert ValueMap.parse(escaped.specs()) == escaped


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("judges:Tie=tie", "unknown source 'judges'"),
        ("Tie=tie", "expected SOURCE:VALUE=LABEL"),
        ("judge:Tie", "'Tie' has no '='"),
        ("judge:Tie=a,Tie=b", "value 'Tie' is mapped twice"),
        ("judge:=a", "maps an empty value"),
        ("ratings.:0=a", "unknown source"),
    ],
)
def test_a_bad_labels_option_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ValueMap.parse([spec])


def test_values_are_mapped_after_the_field_mapping_and_no_verdict_is_apart(tmp_path: Path) -> None:
    path = pandalm(tmp_path / "pandalm.json")
    values = ValueMap.parse(["judge:Tie=tie,garbage=", "ratings:0=tie", "ratings.annotator3:2=B"])
    items = _items(CaseReader(path, PANDALM_MAP, values=values, strict=True))
    parsed = [i for i in items if isinstance(i, ParsedCase)]
    none = [i for i in items if isinstance(i, NoVerdict)]
    assert [n.case_id for n in none] == [str(i) for i in GARBAGE]
    assert {n.value for n in none} == {"garbage"}
    assert len(parsed) == 117  # --strict is not refused by a case without a verdict
    judged = {c.case.judge.label for c in parsed}
    assert judged == {"1", "2", "tie"}
    assert {r.label for c in parsed for r in c.case.ratings if r.rater != "annotator3"} <= {
        "1",
        "2",
        "tie",
    }
    assert {r.label for c in parsed for r in c.case.ratings if r.rater == "annotator3"} <= {
        "1",
        "B",
        "tie",
    }


def test_a_raters_value_mapped_to_nothing_is_an_abstention(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case("c1", "pass", {"a": "pass", "b": "n/a"})])
    (item,) = _items(CaseReader(path, values=ValueMap.parse(["ratings:n/a="])))
    assert isinstance(item, ParsedCase)
    assert [(r.rater, r.label) for r in item.case.ratings] == [("a", "pass")]


def test_values_are_mapped_in_long_format_with_the_judges_own_rows(tmp_path: Path) -> None:
    from annotator.formats.long import LongFormat

    rows = [
        {"q": 1, "prompt": "p", "who": "gpt4", "winner": "tie"},
        {"q": 1, "prompt": "p", "who": "ann", "winner": 0},
        {"q": 2, "prompt": "p2", "who": "gpt4", "winner": "junk"},
        {"q": 2, "prompt": "p2", "who": "ann", "winner": 1},
    ]
    path = write_jsonl(tmp_path / "long.jsonl", rows)
    mapping = FieldMapping.parse(["id=q", "input=prompt", "ratings=winner"])
    values = ValueMap.parse(["judge:junk=", "ratings:0=tie"])
    reader = CaseReader(path, mapping, long=LongFormat("who", "gpt4"), values=values)
    items = _items(reader)
    assert isinstance(items[0], ParsedCase)
    assert items[0].case.judge.label == "tie"
    assert items[0].case.ratings[0].label == "tie"
    assert isinstance(items[1], NoVerdict) and items[1].case_id == "2"
    assert reader.label_counts.counts("", "judge") == {"tie": 1, "junk": 1}
    assert reader.label_counts.counts("", "ratings.ann") == {"0": 1, "1": 1}


# -- counts and warnings -------------------------------------------------------------------------


def test_pandalm_counts_per_source_and_its_warnings(tmp_path: Path) -> None:
    path = pandalm(tmp_path / "pandalm.json")
    counts = label_counts(CaseReader(path, PANDALM_MAP))
    assert counts.sources("") == [
        "judge",
        "ratings",
        "ratings.annotator1",
        "ratings.annotator2",
        "ratings.annotator3",
    ]
    judge = counts.counts("", "judge")
    assert judge["garbage"] == 3 and set(judge) == {"1", "2", "Tie", "garbage"}
    assert counts.counts("", "ratings").total() == 360
    assert sum(counts.counts("", f"ratings.annotator{i}").total() for i in (1, 2, 3)) == 360
    kinds = {w.kind: set(w.labels) for w in counts.warnings()}
    assert kinds == {"judge_only": {"Tie", "garbage"}, "raters_only": {"0"}}
    assert counts.suggested() == SUGGESTED
    text = table(counts)
    assert "ratings.annotator1" in text and "garbage" in text


def test_the_suggested_mapping_leaves_no_warning(tmp_path: Path) -> None:
    path = pandalm(tmp_path / "pandalm.json")
    counts = label_counts(CaseReader(path, PANDALM_MAP, values=SUGGESTED))
    assert counts.warnings() == []
    assert counts.mapped("", "ratings").keys() == counts.mapped("", "judge").keys()
    assert ("garbage", "no verdict") in [
        (v, "no verdict" if t == "" else t) for v, t, _ in counts.rows("")
    ]


def _scale_counts(seed: int, n: int = 100) -> LabelCounts:
    rng = random.Random(seed)
    counts = LabelCounts()
    for i in range(n):
        truth = rng.randint(1, 10)
        near = [min(10, max(1, truth + rng.choice((-1, 0, 0, 1)))) for _ in range(4)]
        counts.add({"id": i, "judge": near[0], "ratings": near[1:]})
    return counts


@pytest.mark.parametrize("seed", range(20))
def test_a_normal_scale_of_one_to_ten_warns_of_nothing(seed: int) -> None:
    assert _scale_counts(seed).warnings() == []


def test_a_few_cases_where_judge_and_rater_differ_are_disagreements_not_vocabularies() -> None:
    counts = LabelCounts()
    for i in range(4):
        counts.add({"id": i, "judge": "pass", "ratings": {"a": "fail"}})
    assert counts.warnings() == []


def test_a_rare_label_among_many_is_warned_of() -> None:
    counts = LabelCounts()
    for i in range(60):
        label = "Tei" if i < 2 else ("tie" if i % 3 else "A")
        counts.add({"id": i, "judge": label, "ratings": {"a": label, "b": "A"}})
    (warning,) = counts.warnings()
    assert warning.kind == "rare" and warning.labels == ("Tei",)
    assert "fewer than 5 times among 180" in warning.message


def test_labels_a_header_declares_are_never_warned_of(tmp_path: Path) -> None:
    rows = [case(f"c{i}", "pass" if i % 2 else "maybe", {"a": "pass"}) for i in range(30)]
    path = write_jsonl(tmp_path / "c.jsonl", rows, {"labels": ["pass", "maybe"]})
    assert label_counts(CaseReader(path)).warnings() == []


def test_counts_are_per_criterion() -> None:
    counts = LabelCounts()
    for i in range(40):
        counts.add({"id": i, "criterion": "pref", "judge": "Tie", "ratings": [0, 0]})
        counts.add({"id": i, "criterion": "ok", "judge": "pass", "ratings": ["pass"]})
    (warning, other) = counts.warnings()
    assert warning.criterion == other.criterion == "pref"
    assert warning.message.startswith("criterion 'pref': the judge uses labels no rater uses")
    assert counts.suggested() == ValueMap.parse(["ratings:0=Tie"])


# -- the import ----------------------------------------------------------------------------------


def _ws(tmp_path: Path, name: str = "w.annotator") -> Workspace:
    return Workspace.open(tmp_path / name)


def test_an_unconfirmed_import_with_warnings_is_rolled_back(tmp_path: Path) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", [case("x1")])
    path = pandalm(tmp_path / "pandalm.json")
    ws = _ws(tmp_path)
    try:
        import_file(ws, other)
        with pytest.raises(ImportUnconfirmed) as refused:
            import_file(ws, path, PANDALM_MAP, confirmed=False)
        assert ws.case_count() == 1  # as it was
        assert not ws.imported_from(path)
        assert len(refused.value.warnings) == 2
        assert refused.value.report.labels is not None
        assert refused.value.report.labels.suggested() == SUGGESTED
        assert "to import as it is, add --yes" in refused.value.explain()
        report = import_file(ws, path, PANDALM_MAP, values=SUGGESTED, confirmed=False)
    finally:
        ws.close()
    assert (report.added, report.skipped, report.no_verdict.cases) == (117, 0, 3)
    assert report.no_verdict.first_ids == ["5", "50", "77"]
    assert report.no_verdict.describe() == (
        "3 cases where the judge gave no verdict: values 'garbage' x3; first ids 5, 50, 77"
    )
    data = json.loads(report.to_json(None, 118))
    assert data["no_verdict"] == {
        "cases": 3,
        "values": {"garbage": 3},
        "first_ids": ["5", "50", "77"],
    }
    assert data["skipped_lines"] == 0 and data["warnings"] == []
    assert data["labels"]["counts"][""]["judge"]["garbage"] == 3


def test_a_confirmed_import_goes_on_and_keeps_the_warnings(tmp_path: Path) -> None:
    path = pandalm(tmp_path / "pandalm.json")
    ws = _ws(tmp_path)
    try:
        report = import_file(ws, path, PANDALM_MAP)
    finally:
        ws.close()
    assert report.added == 120
    assert len(warnings(report)) == 2


def test_fields_left_out_are_listed_and_every_case_unrated_asks(tmp_path: Path) -> None:
    path = pandalm(tmp_path / "pandalm.json")
    partial = FieldMapping.parse(["id=idx", "input=instruction", "judge.label=pandalm_result"])
    ws = _ws(tmp_path)
    try:
        with pytest.raises(ImportUnconfirmed) as refused:
            import_file(ws, path, partial, confirmed=False)
        assert ws.case_count() == 0
    finally:
        ws.close()
    report = refused.value.report
    assert report.ignored == ["annotator1", "annotator2", "annotator3"]
    assert refused.value.warnings == [
        "labels given fewer than 5 times among 120: 'garbage' x3",
        "no case has a rating, so none can disagree with the judge "
        "(fields not mapped: annotator1, annotator2, annotator3)",
    ]
    assert "ignored fields" in report.describe(None)


def test_a_file_in_our_names_with_no_ratings_does_not_ask(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case(f"c{i}", raters={}) for i in range(5)])
    ws = _ws(tmp_path)
    try:
        assert import_file(ws, path, confirmed=False).added == 5
    finally:
        ws.close()


def test_most_lines_skipped_asks(tmp_path: Path) -> None:
    rows = [case(f"c{i}") if i < 2 else {"id": f"c{i}", "input": "x"} for i in range(6)]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    ws = _ws(tmp_path)
    try:
        with pytest.raises(ImportUnconfirmed, match="4 of 6 records are skipped"):
            import_file(ws, path, confirmed=False)
        assert ws.case_count() == 0
    finally:
        ws.close()


# -- --replace -----------------------------------------------------------------------------------


def _reimported(tmp_path: Path) -> tuple[Path, FieldMapping]:
    path = pandalm(tmp_path / "pandalm.json", n=30)
    return path, PANDALM_MAP


def test_a_reimport_with_another_mapping_offers_to_replace(tmp_path: Path) -> None:
    path, mapping = _reimported(tmp_path)
    ws = _ws(tmp_path)
    try:
        import_file(ws, path, mapping)
        again = FieldMapping(mapping.pairs[:-1])  # one rater fewer
        with pytest.raises(ImportWouldReplace) as offered:
            import_file(ws, path, again)
        assert offered.value.can_replace and offered.value.cases == 30
        assert "add --replace" in str(offered.value)
        report = import_file(ws, path, again, values=SUGGESTED, replace=True)
        assert (report.replaced, report.added, ws.case_count()) == (30, 29, 29)
        labels = ws.project().schemes[""].labels
        assert "0" not in labels and "garbage" not in labels  # the old import's, gone
        assert import_file(ws, path, again, values=SUGGESTED).present == 29  # the same again
    finally:
        ws.close()


def test_the_same_file_changed_says_that_it_can_be_replaced(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case("c1", "pass"), case("c2")])
    ws = _ws(tmp_path)
    try:
        import_file(ws, path)
        write_jsonl(path, [case("c1", "fail"), case("c2")])
        with pytest.raises(FileRefused, match="--replace replaces that import with this one"):
            import_file(ws, path)
        assert import_file(ws, path, replace=True).replaced == 2
    finally:
        ws.close()


def test_a_replacement_that_fails_leaves_the_earlier_import(tmp_path: Path) -> None:
    path, mapping = _reimported(tmp_path)
    ws = _ws(tmp_path)
    try:
        import_file(ws, path, mapping)
        broken = FieldMapping.parse(["id=idx", "input=nothing", "judge.label=pandalm_result"])
        with pytest.raises(FileRefused, match="no valid cases"):
            import_file(ws, path, broken, replace=True)
        assert ws.case_count() == 30 and ws.imported_from(path)
    finally:
        ws.close()


def test_a_reimport_over_decisions_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    path, mapping = _reimported(tmp_path)
    ws = _ws(tmp_path)
    try:
        import_file(ws, path, mapping)
        review = ReviewService(ws, "ana")
        review.decide(review.row_id("1") or 0, "1", "Answer one is right.")
        for replace in (False, True):
            with pytest.raises(ImportWouldReplace) as refused:
                import_file(ws, path, mapping, values=SUGGESTED, replace=replace)
            assert not refused.value.can_replace
            message = str(refused.value)
            assert "1 decided or skipped" in message
            assert "annotator export" in message and "--workspace NEW.annotator" in message
        assert ws.case_count() == 30
    finally:
        ws.close()


# -- a mapping never points at nothing -----------------------------------------------------------


def _refusal(path: Path, specs: list[str], rater_field: str | None = None) -> str:
    with pytest.raises(FileRefused) as refused:
        check_sources(path, FieldMapping.parse(specs), file_fields(path), rater_field=rater_field)
    return str(refused.value)


def test_a_column_that_does_not_exist_names_the_nearest(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("id,input,judge,relevance_61102,relevance_57e2b\n1,q,3,3,4\n")
    message = _refusal(path, ["ratings.61102=relevence_61102", "criterion=fluency"])
    assert "relevence_61102: no such column; did you mean relevance_61102" in message
    assert "fluency: no such column (--map criterion=fluency)" in message
    assert message.endswith("Columns found: id, input, judge, relevance_61102, relevance_57e2b")
    check_sources(path, FieldMapping.parse(["ratings.61102=relevance_61102"]), file_fields(path))


def test_a_json_field_absent_from_every_sampled_record(tmp_path: Path) -> None:
    path = pandalm(tmp_path / "pandalm.json", n=10)
    message = _refusal(path, ["input=instrction+input", "judge.label=pandalm_result"])
    assert "instrction: no such field in the first 10 records; did you mean instruction?" in message
    assert "(--map input=instrction+input)" in message
    assert "Fields found: idx, instruction, input" in message
    assert "rater: no such field" in _refusal(path, ["id=idx"], rater_field="rater")
    check_sources(path, PANDALM_MAP, file_fields(path))


def test_a_field_some_records_have_and_a_dotted_path_are_found(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"uid": 1, "q": "x", "llm": {"verdict": "a"}},
        {"uid": 2, "q": "y", "llm": {"verdict": "b"}, "notes": "late"},
        {"uid": 3, "conv": [{"content": "hi"}], "llm": {"verdict": "b"}},
    ]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    specs = ["id=uid", "input=conv.0.content", "judge.label=llm.verdict", "meta.notes=notes"]
    check_sources(path, FieldMapping.parse(specs), file_fields(path))
    assert "llm.verdikt: no such field" in _refusal(path, ["judge.label=llm.verdikt"])


def test_a_replacement_takes_its_own_header(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case("c1", "pass")], {"labels": ["pass", "fail"]})
    ws = _ws(tmp_path)
    try:
        import_file(ws, path)
        rows = [case("c1", "good", {"alice": "bad"})]
        write_jsonl(path, rows, {"labels": ["good", "bad"]})
        assert import_file(ws, path, replace=True).replaced == 1
        assert ws.project().schemes[""].labels == ("good", "bad")
    finally:
        ws.close()


def test_the_table_says_what_each_value_becomes() -> None:
    counts = LabelCounts(ValueMap.parse(["judge:Tie=tie,junk=", "ratings:n/a="]))
    for i in range(3):
        counts.add({"id": i, "judge": ["Tie", "junk", "A"][i], "ratings": {"x": "n/a", "y": "A"}})
    text = table(counts)
    assert "→ tie" in text and "→ no verdict" in text and "→ (abstains)" in text


def test_a_labels_rule_that_maps_nothing_is_warned_of(tmp_path: Path) -> None:
    path = pandalm(tmp_path / "pandalm.json")
    values = SUGGESTED.merged(
        ValueMap.parse(["judge:Tei=tie", "ratings.annotater1:0=tie", "ratings.annotator1:7=x"])
    )
    messages = [
        w.message for w in label_counts(CaseReader(path, PANDALM_MAP, values=values)).warnings()
    ]
    assert messages == [
        "--labels judge:Tei=tie: the judge never gives 'Tei'",
        "--labels ratings.annotater1:0=tie: no rater is named 'annotater1'",
        "--labels ratings.annotator1:7=x: rater 'annotator1' never gives '7'",
    ]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["id", "criterion", "judge", "ratings", "input"]), _JSON),
    st.sampled_from(["", "4", "true", "a"]),
)
def test_any_record_is_counted_and_mapped_without_an_error(
    record: dict[str, Any], value: str
) -> None:
    values = ValueMap.parse([f"judge:{value or 'x'}=", f"ratings:{value or 'x'}=y"])
    counts = LabelCounts(values)
    counts.add(record)
    mapped, none = values.apply(record)
    assert isinstance(mapped, dict) and (none is None or isinstance(none, str))
    counts.warnings()
    counts.suggested()
    table(counts)


def test_counts_stay_bounded_and_say_so() -> None:
    from annotator.formats.label_counts import OTHERS
    from annotator.formats.values import MAX_VALUES

    counts = LabelCounts(ValueMap.parse(["judge:never=x"]))
    for i in range(MAX_VALUES + 50):
        counts.add({"id": i, "judge": f"free text {i}", "ratings": {"a": "x"}})
    judge = counts.counts("", "judge")
    assert len(judge) == MAX_VALUES + 1 and judge[OTHERS] == 50
    assert not [w for w in counts.warnings() if w.kind == "unused"]  # (not known)


def test_a_stray_judge_value_in_a_big_file_is_suggested_as_no_verdict() -> None:
    counts = LabelCounts()
    for i in range(1000):
        judge = "garbage" if i == 7 else ("A" if i % 2 else "B")
        counts.add({"id": i, "judge": judge, "ratings": {"x": "A", "y": "B", "z": "A"}})
    (warning,) = counts.warnings()
    assert warning.kind == "rare" and warning.labels == ("garbage",)
    assert counts.suggested() == ValueMap.parse(["judge:garbage="])
