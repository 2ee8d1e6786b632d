"""The commands' progress bar (cli/progress.py): on stderr when it is a terminal (a real one: a
pseudo-terminal), nothing when it is a file or a pipe, nothing with --quiet; Ctrl+C with the
bar on screen still ends in one line, exit status 130, nothing written, no workspace made."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.services.importer import import_file
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals")

CASES = 6_000


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress")
    rows = [case(f"c{i:05}", judge="pass" if i % 3 else "fail") for i in range(CASES)]
    return write_jsonl(folder / "cases.jsonl", rows, PASS_FAIL)


@pytest.fixture(scope="module")
def workspace(cases_file: Path) -> Path:
    path = cases_file.parent / "made.annotator"
    ws = Workspace.open(path)
    import_file(ws, cases_file)
    ws.close()
    return path


class Terminal:
    """A command run with its stderr on a pseudo-terminal of 100 columns (stdout a pipe)."""

    def __init__(self, args: list[str], basedir: Path) -> None:
        main_fd, self.tty = pty.openpty()
        fcntl.ioctl(self.tty, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        self.fd = main_fd
        env = {**os.environ, "ANNOTATOR_BASEDIR": str(basedir)}
        env.pop("TQDM_DISABLE", None)
        env["TQDM_MININTERVAL"] = "0"  # every update drawn (tqdm's default: 0.1 s apart)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "annotator", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.tty,
            env=env,
        )
        os.close(self.tty)
        self.said = b""

    def read_until(self, wanted: bytes, timeout: float = 60) -> bool:
        """Read the terminal until ``wanted`` shows (True) or the command ends (False)."""
        end = time.monotonic() + timeout
        while wanted not in self.said and time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready and not self._read():
                return wanted in self.said
        return wanted in self.said

    def _read(self) -> bool:
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # (the command ended: the terminal is closed)
            return False
        self.said += data
        return bool(data)

    def finish(self) -> tuple[int, bytes]:
        """Wait for the end: exit status, stdout (everything on the terminal is in ``said``)."""
        out, _ = self.proc.communicate(timeout=120)
        while self._read():
            pass
        os.close(self.fd)
        return self.proc.returncode, out


def _lines(said: bytes) -> list[str]:
    """What stays on the terminal: each line as the last \\r (or erase line) left it."""
    text = said.decode().replace("\r\n", "\n").replace("\x1b[K", "\r")
    return [line.split("\r")[-1].rstrip() for line in text.split("\n")]


def test_no_bar_when_stderr_is_not_a_terminal(
    cases_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "w.annotator"
    assert main(["import", str(cases_file), "-w", str(ws)]) == 0
    assert main(["export", str(ws), "-o", str(tmp_path / "out.jsonl"), "--all"]) == 0
    said = capsys.readouterr()
    assert said.err == ""
    assert f"Wrote {CASES} cases" in said.out


@pytest.mark.parametrize("command", ["import", "export"])
def test_a_bar_on_a_terminal(
    command: str, cases_file: Path, workspace: Path, tmp_path: Path
) -> None:
    if command == "import":
        args = ["import", str(cases_file), "-w", str(tmp_path / "w.annotator")]
        shown = b"importing cases.jsonl"
    else:
        args = ["export", str(workspace), "-o", str(tmp_path / "out.jsonl"), "--all"]
        shown = b"writing out.jsonl"
    terminal = Terminal(args, tmp_path)
    status, out = terminal.finish()
    assert status == 0
    said = terminal.said
    assert shown in said
    if command == "import":
        assert b"B/s" in said  # bytes of the file read, with the rate
    else:
        assert b" cases/s" in said
        assert b"/6.00k" in said  # the count of the whole
    assert b"<" in said  # the time left
    # The bar goes when the command ends: its output (on stdout) stands alone.
    assert [line for line in _lines(said) if line] == []
    assert out.startswith(b"Imported" if command == "import" else b"Wrote 6000 cases")


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_turns_the_bar_off(
    where: str, cases_file: Path, workspace: Path, tmp_path: Path
) -> None:
    for command in (
        ["import", str(cases_file), "-w", str(tmp_path / "w.annotator")],
        ["export", str(workspace), "-o", str(tmp_path / "out.jsonl"), "--all"],
    ):
        args = ["--quiet", *command] if where == "before" else [*command, "-q"]
        terminal = Terminal(args, tmp_path)
        status, out = terminal.finish()
        assert status == 0, terminal.said
        assert terminal.said == b""
        assert out


def test_ctrl_c_with_the_bar_on_screen(cases_file: Path, tmp_path: Path) -> None:
    """One line, 130, no workspace made for the import, no temporary file."""
    made = tmp_path / "new.annotator"
    terminal = Terminal(["import", str(cases_file), "-w", str(made)], tmp_path)
    assert terminal.read_until(b"importing cases.jsonl"), terminal.said
    terminal.proc.send_signal(signal.SIGINT)
    status, out = terminal.finish()
    if status == 0:
        pytest.skip("the import ended before the signal came")  # (a very fast machine)
    if out.startswith(b"Imported"):  # committed: the signal came while indexing for search
        pytest.skip("the import was committed before the signal came (test_cli_search_index)")
    assert status == 130
    assert out == b""
    assert [line for line in _lines(terminal.said) if line] == ["annotator: interrupted"]
    assert not made.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_merge_and_agreement_bars(workspace: Path, tmp_path: Path) -> None:
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    files = [str(reviewer_file(pack, tmp_path / w, w, p)) for w, p in REVIEW_PLAN.items()]
    merging = Terminal(["merge", *files, "-o", str(tmp_path / "merged.jsonl")], tmp_path)
    status, out = merging.finish()
    assert status == 0 and b"cases:" in out
    for shown in (b"merging into merged.jsonl", b"3/3 ", b" files/s"):
        assert shown in merging.said
    agreement = Terminal(["agreement", str(workspace), "--resamples", "0"], tmp_path)
    status, out = agreement.finish()
    assert status == 0 and out
    for shown in (b"reading", b"/6.00k", b" cases/s"):
        assert shown in agreement.said
    assert [line for line in _lines(merging.said + agreement.said) if line] == []
