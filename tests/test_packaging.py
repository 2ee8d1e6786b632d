"""What ``pip install .`` installs: every package of annotator. The tests import the source tree
(pytest's ``pythonpath``), so a package missing from pyproject.toml's list would pass them all
and leave a new user's ``pip install . && annotator`` failing on its first import; .ci/run also
runs the installed program from outside the tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_of_annotator_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "annotator").rglob("__init__.py")
    }
    assert packages - listed == set()
    assert listed - packages == {"annotator.resources"}  # (resources/, mapped in package-dir)
