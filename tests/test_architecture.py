"""Layering: nothing outside the UI package imports Qt, and the CLI works without it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "annotator"
UI = PACKAGE / "ui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_outside_ui() -> None:
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if UI not in path.parents
        and any(n.split(".")[0] in ("PySide6", "shiboken6") for n in _imports(path))
    ]
    assert offenders == []


def test_cli_commands_do_not_load_qt(tmp_path: Path) -> None:
    code = (
        "import sys, annotator.cli\n"
        "from annotator.cli import main\n"
        "try:\n    main(['summary', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_import_linter_contracts() -> None:
    """The layering contracts in pyproject.toml hold (domain, storage/formats, services, cli)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "importlinter.cli",
            "--config",
            str(PACKAGE.parent / "pyproject.toml"),
        ],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
    )
    if "No module named" in result.stderr:
        result = subprocess.run(
            ["lint-imports", "--config", str(PACKAGE.parent / "pyproject.toml")],
            capture_output=True,
            text=True,
            cwd=PACKAGE.parent,
        )
    assert result.returncode == 0, result.stdout + result.stderr
