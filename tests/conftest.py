"""Test setup: Qt offscreen, and every app folder redirected away from the real user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Keep the user's data, config and settings out of every test."""
    base = tmp_path_factory.mktemp("basedir")
    monkeypatch.setenv("ANNOTATOR_BASEDIR", str(base))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(base / var.lower()))
    return base


REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "resources" / "sample" / "sample.jsonl"
