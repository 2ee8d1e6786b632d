"""Fuzzing every reader: any bytes either parse or are refused with the app's own error.

The properties (:data:`READERS`) and the inputs (random bytes, and valid files with things
inserted: deep nesting, NaN, numbers too large, wrong types, quotes, byte order marks, NULs)
are shared by ``tests/test_fuzz_readers.py`` (a few seconds per reader, in every test run) and
by this script, which runs them for longer before a release::

    python -m tests.fuzz --minutes 10            # every reader, in turn, for 10 minutes
    python -m tests.fuzz --minutes 2 --reader csv
    python -m tests.fuzz --replay fuzz-crashes/csv-1a2b3c.csv --reader csv

A crash is printed with its traceback and written to ``fuzz-crashes/`` (``--out``) as a
reproducer file, with the command that replays it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.domain.merge import MergedCase, Review, Scale
from annotator.domain.model import Status
from annotator.domain.serialize import case_hash, case_to_dict
from annotator.formats import presets
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.labelled import labelled_record, scan_labelled
from annotator.formats.labelled.careful import Shared, other_line
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.merged import merged_record, read_merged
from annotator.formats.reader import CaseReader, ParsedCase, sample_records
from annotator.formats.versioned import file_format
from annotator.settings import Settings
from tests.fuzz_inputs import inputs

# -- valid files, the seeds of the mutations ----------------------------------------------------


def labelled_line(**changes: Any) -> dict[str, Any]:
    """A decided line of a labelled file, as annotator exports it, with ``changes``."""
    record = labelled_record(
        case_id="c1", case_hash="sha256:ab12", criterion="", status=Status.DECIDED,
        label="fail", rationale="It invents a figure.", who_right="raters",
        who_right_overridden=False, tags=["judge missed fact"], confidence="high",
        reviewer="Ana", decided_at="2026-01-02T03:04:05Z", judge_label="pass",
        rater_labels={"alice": "fail", "bob": "fail"}, kind="judge_vs_all",
        labels=["fail", "pass"], ordinal=False, project="sha256:9f00", project_title="Pack",
        app_version="0.1.0",
    )  # fmt: skip
    record.update(changes)
    return record


def merged_line(**changes: Any) -> dict[str, Any]:
    """A line of a merged file (two reviewers in conflict), with ``changes``."""
    reviews = (
        Review("Ana", "fail", "Invented.", ("judge missed fact",), "high", "raters", "2026-01-02"),
        Review("Ben", "pass", "Fine.", (), None, "judge", "2026-01-03T00:00:00Z"),
    )
    case = MergedCase(
        "c1", "sha256:ab12", "", Scale(("fail", "pass")), "pass",
        (("alice", "fail"), ("bob", "fail")), "judge_vs_all", reviews,
    )  # fmt: skip
    record = merged_record(case, "sha256:9f00", "Pack", "0.1.0")
    record.update(changes)
    return record


def _jsonl(*records: Any) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


CASES_JSONL = _jsonl(
    {"project": {"labels": ["pass", "fail"], "criteria": {"s": {"labels": [1, 2, 3],
                                                                "ordinal": True, "threshold": 1}}}},
    {"id": "c1", "input": "q", "output": "a", "judge": {"label": "pass", "score": 0.5},
     "ratings": [{"rater": "alice", "label": "fail", "comment": "no"}], "meta": {"k": [1, {}]}},
    {"id": 2, "criterion": "s", "input": [{"role": "user", "content": "hi"}], "judge": 3,
     "ratings": {"bob": 2, "cy": {"label": 1}}, "outputs": ["x", "y"]},
)  # fmt: skip
CASES_CSV = (
    b"id,input,output.A,judge.label,judge.score,rating.alice,comment.alice,ratings,meta\r\n"
    b'c1,"two\r\nlines","say ""hi""",pass,0.5,fail,"a, b",,"{""k"": 1}"\r\n'
    b'c2,q,,fail,,,,"{""bob"": ""pass""}",plain\r\n'
)
CASES_JSON = json.dumps(  # a pretty-printed array: its header first, a long record, a bad item
    [json.loads(line) for line in CASES_JSONL.splitlines()] + [[1], {"id": "c3", "input": "x"}],
    indent=2,
).encode()
LONG = _jsonl(
    {"q": 1, "p": "q", "rater": "ann", "l": "pass"}, {"q": 2, "p": "r", "rater": "gpt", "l": "x"},
    {"q": 1, "p": "q", "rater": "gpt", "l": "fail", "why": {"k": [1]}},
    {"q": 2, "p": "r", "rater": "bob", "l": None}, {"q": 1, "rater": "", "l": 3},
)  # fmt: skip
SIDECAR = b'{"project": {"labels": ["pass", "fail"], "guidelines": ["a", "b"], "rubric": "r"}}'
LABELLED = _jsonl(
    labelled_line(),
    labelled_line(id="c2", label="pass", confidence=None, who_right="judge", tags=[]),
    labelled_line(id="c3", status="undecided", label=None, decided_at=None),
    {k: v for k, v in labelled_line(id="c4").items() if k not in ("labels", "ordinal")},
)
MERGED = _jsonl(merged_line(), merged_line(id="c2", lead=merged_line()["reviews"][0]))
PRESET_FILES = Path(__file__).resolve().parent / "data" / "presets"
PRESET_SEEDS = tuple(
    (PRESET_FILES / name).read_bytes()
    for name in ("promptfoo_results.json", "inspect_log.json", "label_studio_export.json",
                 "alpaca_eval_annotations.json", "mt_bench_human_judgments.jsonl")
)  # fmt: skip
"""A file of each tool (tests/data/presets), as it writes it."""
SETTINGS = json.dumps({"reviewer": "Ana", "recent": ["a.annotator"], "text_scale": 1.5}).encode()

# -- the properties -----------------------------------------------------------------------------


def _named(message: str, *paths: Path) -> None:
    assert any(p.name in message for p in paths), f"the message names no file: {message!r}"


def _read_cases(reader: CaseReader) -> None:
    """Every item of a case file, and what the importer does with a case next."""
    for item in reader:
        if isinstance(item, LineProblem):
            _named(item.describe(reader.path), reader.path)
            continue
        assert isinstance(item, ParsedCase)
        case_hash(item.case)  # canonical JSON, encoded as UTF-8
        json.dumps(case_to_dict(item.case), allow_nan=False).encode("utf-8")
        item.raw.encode("utf-8")


def _case_file(path: Path, option: Any) -> None:
    encoding, fmt = option
    try:
        _read_cases(CaseReader(path, encoding=encoding, fmt=fmt))
    except FileRefused as e:
        _named(str(e), path, path.with_name(f"{path.stem}.project.json"))


def _long(path: Path, option: Any) -> None:
    """A long file, its rows grouped (in memory, or sorted in runs of a few rows)."""
    mapping = FieldMapping.parse(["id=q", "input=p+why", "ratings=l", "judge.rationale=why"])
    try:
        _read_cases(CaseReader(path, mapping, long=LongFormat("rater", option)))
    except FileRefused as e:
        _named(str(e), path)


def _sample(path: Path, option: Any) -> None:
    try:
        sample_records(path, encoding=option)
    except FileRefused as e:
        _named(str(e), path)


def _preset(path: Path, option: Any) -> None:
    """A tool's export read with a preset (any of them), and detected."""
    presets.detect(path)
    try:
        _read_cases(CaseReader(path, preset=presets.preset(option)))
    except FileRefused as e:
        _named(str(e), path)


def _sidecar(path: Path, option: Any) -> None:
    cases = path.with_name("cases.csv")
    cases.write_bytes(CASES_CSV)
    sidecar = path.with_name("cases.project.json")
    path.rename(sidecar)
    try:
        _read_cases(CaseReader(cases))
    except FileRefused as e:
        _named(str(e), sidecar, cases)


def _labelled(path: Path, option: Any) -> None:
    scan = scan_labelled(path)
    if scan.error is not None:
        _named(scan.error, path)
    for review in scan.reviews:
        orjson.loads(b"{" + review + b"}")
    for info in scan.case_info:
        if info:
            orjson.loads(b"{" + info + b"}")
    _fast_and_careful_agree(path)


def _fast_and_careful_agree(path: Path) -> None:
    """Each line alone: the scanner (fast path or not) accepts it exactly when the careful
    reader does, with the same values, and refuses it with the same message."""
    for n, raw in enumerate(path.read_bytes().split(b"\n")[:20], start=1):
        try:
            record = orjson.loads(raw)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        one = path.with_name("one.jsonl")
        one.write_bytes(raw + b"\n")
        scan = scan_labelled(one)
        try:
            line = other_line(one, 1, record, Shared())
            careful = None
        except FileRefused as e:
            line, careful = None, str(e)
        assert scan.error == careful, f"line {n}: scanner {scan.error!r}, careful {careful!r}"
        if line is not None:
            (_, _, _, _, _, _, judge, raters, kind, *decision) = line
            fields = ("reviewer", "label", "rationale", "tags", "confidence", "who_right")
            review = dict(zip((*fields, "decided_at"), decision, strict=True))
            # then the members the careful reader checks apart, as the line has them
            for extra in ("rubric_version", "rubric_hash", "blind_label", "revealed_at"):
                review[extra] = record.get(extra)
            assert scan.reviews == [orjson.dumps(review)[1:-1]], f"line {n}"
            info = {"judge_label": judge, "rater_labels": raters, "kind": kind}
            assert scan.case_info == [orjson.dumps(info)[1:-1]], f"line {n}"


def _merged(path: Path, option: Any) -> None:
    try:
        cases = list(read_merged(path))
    except FileRefused as e:
        _named(str(e), path)
        return
    for case in cases:
        assert all(isinstance(r, Review) for r in case.reviews)
        json.dumps(merged_record(case, "p", "t", "v"), allow_nan=False)


def _first_line(path: Path, option: Any) -> None:
    assert file_format(path) is None or isinstance(file_format(path), str)


def _settings(path: Path, option: Any) -> None:
    target = Settings.file()
    shutil.copyfile(path, target)
    loaded = Settings.load()
    assert all(isinstance(x, str) for x in loaded.recent)
    assert isinstance(loaded.text_scale, float) and loaded.text_scale == loaded.text_scale


ENCODINGS = [None, "utf-8", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-32", "utf-7",
             "unicode_escape", "idna", "punycode", "rot13", "hex", "base64", "nope"]  # fmt: skip


@dataclass(frozen=True)
class Reader:
    name: str
    suffix: str
    seeds: tuple[bytes, ...]
    check: Callable[[Path, Any], None]
    options: st.SearchStrategy[Any] = st.none()


READERS = {
    r.name: r
    for r in (
        Reader("jsonl", ".jsonl", (CASES_JSONL,), _case_file, st.just((None, None))),
        Reader("csv", ".csv", (CASES_CSV,), _case_file, st.just((None, None))),
        Reader("json", ".json", (CASES_JSON,), _case_file, st.just((None, None))),
        Reader("long", ".jsonl", (LONG, CASES_JSON), _long, st.sampled_from([None, "gpt"])),
        Reader(
            "case-file",
            ".txt",
            (CASES_JSONL, CASES_CSV),
            _case_file,
            st.tuples(st.sampled_from(ENCODINGS), st.sampled_from([None, "jsonl", "csv"])),
        ),
        Reader("sample", ".csv", (CASES_CSV, CASES_JSONL), _sample, st.sampled_from(ENCODINGS)),
        Reader("sidecar", ".json", (SIDECAR,), _sidecar),
        Reader("preset", ".json", PRESET_SEEDS, _preset, st.sampled_from(presets.names())),
        Reader(
            "preset-eval",
            ".eval",
            ((PRESET_FILES / "inspect_log.eval").read_bytes(),),
            _preset,
            st.just("inspect"),
        ),
        Reader("labelled", ".jsonl", (LABELLED,), _labelled),
        Reader("merged", ".jsonl", (MERGED, LABELLED), _merged),
        Reader("first-line", ".jsonl", (MERGED, LABELLED), _first_line),
        Reader("settings", ".json", (SETTINGS,), _settings),
    )
}

# -- running a property -------------------------------------------------------------------------


@contextmanager
def _folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="annotator-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_one(reader: Reader, data: bytes, option: Any) -> None:
    """Give ``data`` to ``reader`` as a file; raises whatever it raised but its own errors."""
    with _folder() as folder:
        path = folder / f"input{reader.suffix}"
        path.write_bytes(data)
        reader.check(path, option)


def fuzz(reader: Reader, examples: int, failures: list[tuple[bytes, Any]] | None = None) -> None:
    """Run ``reader``'s property on ``examples`` inputs (hypothesis; it shrinks a failure, and
    the last input in ``failures`` is then the smallest that fails)."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs(reader.seeds), reader.options)
    def prop(data: bytes, option: Any) -> None:
        try:
            run_one(reader, data, option)
        except BaseException:
            if failures is not None:
                failures.append((data, option))
            raise

    prop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to run (default 1)")
    parser.add_argument("--reader", choices=sorted(READERS), action="append", help="(repeatable)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-crashes"), help="reproducers")
    parser.add_argument("--replay", type=Path, help="run the reader on this file once")
    parser.add_argument("--option", default="null", help="with --replay: the option, as JSON")
    args = parser.parse_args(argv)
    names = args.reader or sorted(READERS)
    os.environ.setdefault("ANNOTATOR_BASEDIR", tempfile.mkdtemp(prefix="annotator-fuzz-base-"))
    if args.replay is not None:
        option = json.loads(args.option)
        run_one(READERS[names[0]], args.replay.read_bytes(), tuple(option) if isinstance(
            option, list) else option)  # fmt: skip
        print("no crash")
        return 0
    end = time.monotonic() + args.minutes * 60
    crashes = rounds = 0
    while time.monotonic() < end:
        for name in names:
            failures: list[tuple[bytes, Any]] = []
            try:
                fuzz(READERS[name], 200, failures)
            except Exception:
                crashes += 1
                if not failures:  # (the inputs' own code failed: a bug of this script)
                    raise
                _report(name, failures[-1], args.out)
        rounds += 1
    print(f"{rounds} rounds of {', '.join(names)}: {crashes} crash(es)")
    return 1 if crashes else 0


def _report(name: str, failure: tuple[bytes, Any], out: Path) -> None:
    data, option = failure
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{hashlib.sha256(data).hexdigest()[:12]}{READERS[name].suffix}"
    path.write_bytes(data)
    traceback.print_exc()
    replay = f"python -m tests.fuzz --replay {path} --reader {name}"
    if option is not None:
        replay += f" --option '{json.dumps(option)}'"
    print(f"\nCRASH in {name}: reproducer {path}\n  {replay}\n", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
