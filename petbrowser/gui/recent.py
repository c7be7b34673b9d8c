"""Recently opened projects and stores: one list under one settings key.

The welcome view, File ▸ Open recent and the connect dialog's "Recent
stores" all read this list (the dialog shows its store-only entries), so a
store opened one way is offered the other ways too.  Entries are
``OpenTarget`` dicts, which cannot hold a secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu

from petbrowser.gui.open_target import OpenTarget

__all__ = ["LAST_KEY", "MAX_RECENT", "RECENT_KEY", "fill_menu", "last_target", "recent_stores", "recent_targets", "remember"]

RECENT_KEY = "recent/targets"
LAST_KEY = "recent/last"
MAX_RECENT = 10
#: The connect dialog's own list before 0.2; merged into RECENT_KEY once, then removed.
_OLD_STORES_KEY = "stores/recent"


def _read(s: QSettings, key: str) -> list[OpenTarget]:
    try:
        items = json.loads(str(s.value(key, "[]")))
    except ValueError:
        return []
    out = [OpenTarget.from_dict(d) for d in items] if isinstance(items, list) else []
    return [t for t in out if t is not None]


def _migrate(s: QSettings) -> None:
    if not s.contains(_OLD_STORES_KEY):
        return
    merged = _read(s, RECENT_KEY)
    merged += [t for t in _read(s, _OLD_STORES_KEY) if t.storage and t not in merged]
    s.setValue(RECENT_KEY, json.dumps([t.to_dict() for t in merged[:MAX_RECENT]]))
    s.remove(_OLD_STORES_KEY)


def recent_targets(settings: QSettings | None = None) -> list[OpenTarget]:
    """Most recent first."""
    s = settings or QSettings()
    _migrate(s)
    return _read(s, RECENT_KEY)


def recent_stores(settings: QSettings | None = None) -> list[OpenTarget]:
    """The entries that are a store alone (what the connect dialog offers)."""
    return [t for t in recent_targets(settings) if t.storage and not t.project_dir]


def remember(target: OpenTarget, settings: QSettings | None = None, *, last: bool = True) -> None:
    """Put ``target`` first (no secret: OpenTarget has no field for one, and
    ``to_dict`` strips credentials typed into a URL); ``last``: reopen it at start."""
    s = settings or QSettings()
    items = [t for t in recent_targets(s) if t != target]
    items.insert(0, target)
    s.setValue(RECENT_KEY, json.dumps([t.to_dict() for t in items[:MAX_RECENT]]))
    if last:
        s.setValue(LAST_KEY, json.dumps(target.to_dict()))


def last_target(settings: QSettings | None = None) -> OpenTarget | None:
    """What was open when the window last opened something."""
    s = settings or QSettings()
    try:
        return OpenTarget.from_dict(json.loads(str(s.value(LAST_KEY, "null"))))
    except ValueError:
        return None


def fill_menu(menu: QMenu, targets: list[OpenTarget], open_target: Callable[[OpenTarget], None]) -> None:
    """File ▸ Open recent: one entry per target, most recent first."""
    menu.clear()
    for t in targets:
        act = menu.addAction(t.label)
        act.setToolTip(t.description)
        act.setStatusTip(t.description)
        act.triggered.connect(lambda _=False, t=t: open_target(t))
    menu.setEnabled(bool(targets))
