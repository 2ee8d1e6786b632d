"""Every folder the app uses, named once.

``ANNOTATOR_BASEDIR`` (or ``--basedir`` on the command line) redirects all of them under one folder,
for tests and portable installs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from annotator import APP_NAME

BASEDIR_ENV = "ANNOTATOR_BASEDIR"


def _base() -> Path | None:
    value = os.environ.get(BASEDIR_ENV)
    return Path(value) if value else None


def data_dir() -> Path:
    base = _base()
    path = base / "data" if base else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    base = _base()
    path = (
        base / "config" if base else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    """Where the app writes what the developers need to see after a bug (the crash log)."""
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def crash_log() -> Path:
    """The crash log: the traceback of every internal error, newest last."""
    return log_dir() / "crash.log"


def workspaces_dir() -> Path:
    path = data_dir() / "workspaces"
    path.mkdir(parents=True, exist_ok=True)
    return path


def resource_path(*parts: str) -> Path:
    """A file under ``resources/``, from a source checkout, an installed wheel or a frozen build."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = [Path(frozen) / "resources"] if frozen else []
    here = Path(__file__).resolve().parent
    candidates += [here.parent / "resources", here / "resources"]
    for root in candidates:
        if root.is_dir():
            return root.joinpath(*parts)
    return candidates[-1].joinpath(*parts)


def sample_file() -> Path:
    return resource_path("sample", "sample.jsonl")
