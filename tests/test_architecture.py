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


def test_the_window_reaches_the_workspace_only_through_the_services() -> None:
    """The UI never imports the database layer (SQLAlchemy, SQLModel, annotator.storage): it
    calls services, which raise the app's own errors (``WorkspaceBusy``, ``WorkspaceError``)."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in UI.rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in ("sqlalchemy", "sqlmodel") or name.startswith("annotator.storage")
    ]
    assert offenders == []


def test_the_layers_contract_names_every_module_of_the_package() -> None:
    """Every top-level module and package of annotator has its place in the layers."""
    import tomllib

    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    layered = {name.strip() for layer in contract["layers"] for name in layer.split("|")}
    modules = {
        f"annotator.{p.stem if p.is_file() else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and not p.name.startswith("__"))
        or (p.is_dir() and (p / "__init__.py").exists() and p.name != "resources")
    }
    assert modules - layered == set()


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
