"""The bad-input corpus: every row of the table in docs/formats.md ("The bad-input corpus"),
run on the command line as a user would, on a file of tests/data/bad/.

The table is read from the docs, so that the docs and this test cannot drift apart. Each row
names a file, a command template (``{file}``: the file, copied into an empty folder with its
``.project.json`` sidecar; ``{out}``: a path in another empty folder), the exit status and a
fragment of the message expected on stderr (where ``{file}`` is that file's path, quoted).
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotator.cli import main

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "bad"
DOC = REPO / "docs" / "formats.md"
HEADER = "| file | command | exit | message |"
NOT_CORPUS = {"make.py"}


@dataclass(frozen=True)
class Row:
    file: str
    command: str
    exit: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.command}"


def _cell(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == "`" else text


def corpus_rows(doc: str) -> list[Row]:
    """The rows of the corpus table in the "Bad input" section of ``doc``."""
    section = doc.split("\n## Bad input\n", 1)[1].split("\n## ", 1)[0]
    table = section.split(HEADER + "\n", 1)[1]
    rows = []
    for line in table.splitlines()[1:]:  # (after the | --- | line)
        if not line.startswith("|"):
            break
        cells = [_cell(c) for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, f"a row of the corpus table needs 4 cells: {line}"
        file, command, status, message = cells
        rows.append(Row(file, command, int(status), message))
    return rows


ROWS = corpus_rows(DOC.read_text(encoding="utf-8"))


def test_the_table_is_found_and_every_corpus_file_has_a_row():
    assert len(ROWS) >= 40
    named = {row.file for row in ROWS}
    sidecars = {Path(name).stem + ".project.json" for name in named}
    files = {p.name for p in CORPUS.iterdir() if p.is_file()} - NOT_CORPUS
    assert files - named - sidecars == set(), "corpus files without a row in docs/formats.md"
    assert named - files == set(), "rows for files that are not in tests/data/bad"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_a_bad_input(row: Row, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    given, out_dir, base = tmp_path / "in", tmp_path / "out", tmp_path / "base"
    for folder in (given, out_dir, base):
        folder.mkdir()
    source = CORPUS / row.file
    shutil.copy(source, given / row.file)
    sidecar = source.with_name(f"{source.stem}.project.json")
    if sidecar.exists() and sidecar != source:
        shutil.copy(sidecar, given / sidecar.name)
    before = _snapshot(given)
    out = out_dir / f"output{Path(row.file).suffix}"
    command = row.command.format(file=given / row.file, out=out)
    try:
        status = main([*shlex.split(command), "--basedir", str(base)])
    except SystemExit as e:  # (argparse)
        status = e.code if isinstance(e.code, int) else 1
    err = capsys.readouterr().err
    assert status == row.exit, err
    assert row.message.replace("{file}", shlex.quote(str(given / row.file))) in err
    assert "Traceback" not in err
    assert _snapshot(given) == before, "the input was changed, or something written beside it"
    if row.exit != 0:
        assert not any(out_dir.iterdir()), "a refused command left output behind"
        left = [p for p in base.rglob("*") if p.is_file() and ".annotator" in p.name]
        assert not left, f"a refused command left a workspace behind: {left}"
