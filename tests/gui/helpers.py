"""Small helpers the GUI tests share (opening and waiting, reading the store)."""

from __future__ import annotations

from pathlib import Path

from petbrowser.gui.class_tree import Role

OPEN_TIMEOUT_MS = 30000


def open_and_wait(qtbot, window, target, *, statuses: bool = True) -> None:
    """Open ``target`` and wait for the listing (and the local statuses)."""
    signal = window.statuses_updated if statuses else window.listing_finished
    with qtbot.waitSignal(signal, timeout=OPEN_TIMEOUT_MS):
        window.open_target(target)


def store_dir(project_dir: Path) -> Path:
    return project_dir.parent / "store"


def fresh_manager(project_dir: Path, **kwargs):
    """A manager independent of the window's, to check what really landed."""
    from petbrowser.core.manager import PetClassManager

    return PetClassManager.open(project_dir, **kwargs)


def class_rows(window) -> dict[str, dict]:
    """What the tree model shows: name -> status, latest, version hashes, badges."""
    model = window.model
    out = {}
    for r in range(model.rowCount()):
        idx = model.index(r, 0)
        name = idx.data(Role.CLASS_NAME)
        versions = []
        for c in range(model.rowCount(idx)):
            v = model.index(c, 0, idx)
            versions.append((v.data(Role.HASH), v.data(Role.BADGES)))
        out[name] = {"status": idx.data(Role.STATUS), "latest": idx.data(Role.HASH), "versions": versions}
    return out


def move_store_inside(demo: Path, monkeypatch) -> Path:
    """Make the demo a project that names no store but holds one (``storage/``)."""
    import shutil

    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)
    shutil.move(store_dir(demo), demo / "storage")
    pyproject = demo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('storage = "../store"\n', ""))
    return (demo / "storage").resolve()


def make_older_latest(window, qtbot, monkeypatch, name: str) -> tuple[str, str]:
    """Through the window (confirmation accepted): make a non-latest version of ``name``
    latest and wait for the statuses; returns (old latest, new latest)."""
    rows = class_rows(window)[name]
    old = rows["latest"]
    target = next(h for h, _ in rows["versions"] if h != old)
    monkeypatch.setattr(window.prompts, "confirm_move", lambda dialog: True)
    with qtbot.waitSignal(window.statuses_updated, timeout=OPEN_TIMEOUT_MS):
        window.select_index(window.model.version_index(name, target))
        window.actions.make_latest.trigger()
    return old, target


def accept_pushes(window, monkeypatch) -> list:
    """Answer yes to the push confirmation; returns the dialogs shown (their text)."""
    seen: list = []

    def accept(dialog):
        seen.append(dialog.summary.text())
        return True

    monkeypatch.setattr(window.prompts, "confirm_push", accept)
    return seen
