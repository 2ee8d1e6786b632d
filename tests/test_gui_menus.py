"""Every menu of the window can be walked by keyboard: within a menu, no two entries share an
access key (Qt then only cycles between them, and Enter is needed to choose: the second entry
cannot be reached with its letter alone)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMenu

from tests.conftest import SAMPLE


def _access_key(text: str) -> str | None:
    i = text.replace("&&", "").find("&")
    return text.replace("&&", "")[i + 1].casefold() if i >= 0 else None


def test_no_menu_has_two_entries_with_one_access_key(make_window: Any) -> None:
    window = make_window(SAMPLE)
    # (the menus as the menu bar's children: QAction.menu() can give a wrapper of a QMenu
    # already deleted on PySide6 6.6)
    bar = window.menuBar().actions()
    menus = [m for m in window.menuBar().findChildren(QMenu) if m.menuAction() in bar]
    assert len(menus) >= 5
    for menu in menus:
        assert isinstance(menu, QMenu)
        seen: dict[str, str] = {}
        for action in menu.actions():
            if action.isSeparator():
                continue
            key = _access_key(action.text())
            assert key is not None, f"{menu.title()}: '{action.text()}' has no access key"
            assert key not in seen, (
                f"{menu.title()}: '{action.text()}' and '{seen[key]}' share the key '{key}'"
            )
            seen[key] = action.text()
