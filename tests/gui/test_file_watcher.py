"""The window re-checks the local statuses on every save of a module (issue 12, GUI part).

Editors save in place or by writing a temporary file and renaming it over the
module; ``QFileSystemWatcher`` loses the file after a rename.  What the tree
shows after the last save must be what ``petbrowser status`` prints for the
bytes on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from petbrowser.gui.file_watcher import ModuleWatcher
from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import class_rows, open_and_wait, store_dir

WAIT = 30000


def _save_by_rename(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_the_watcher_hears_an_in_place_save_after_a_rename_save(qtbot, tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("x = 1\n")
    watcher = ModuleWatcher(debounce_ms=50)
    watcher.set_files([str(module)])
    # Someone (the editor, an indexer, a running import) still has the old file open:
    # the rename then reports a change to the old inode but does not delete it, and
    # Qt keeps listing the path while watching the dead inode.
    with open(module) as _held:
        with qtbot.waitSignal(watcher.changed, timeout=5000):
            _save_by_rename(module, "x = 2\n")
        with qtbot.waitSignal(watcher.changed, timeout=5000):
            module.write_text("x = 3\n")  # same size, same second, the new inode
    snap = watcher.snapshot()
    assert not watcher.changed_since(snap)
    module.write_text("x = 4\n")
    assert watcher.changed_since(snap)


def _status_json(project: Path, store: Path) -> dict[str, dict]:
    """``petbrowser status --json`` for a clean copy of the project (no cached bytecode)."""
    copy = project.parent / "status-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run(
        [sys.executable, "-m", "petbrowser", "status", "--json", "--project", str(copy), "--storage", str(store)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return {e["name"]: e for e in json.loads(out.stdout)}


def _shown(window) -> dict[str, tuple]:
    return {
        name: (window.model.status_entry(name).status, window.model.status_entry(name).local_hash)
        for name in window.model.class_names()
        if window.model.status_entry(name) is not None
    }


def _printed(entries: dict[str, dict]) -> dict[str, tuple]:
    return {name: (e["status"], e["local_hash"]) for name, e in entries.items()}


def _check_started(window, qtbot) -> None:
    qtbot.waitUntil(
        lambda: any(t.label == "Checking local classes" for t in window.runner.active), timeout=WAIT
    )


def test_a_save_in_place_after_a_rename_save_is_rechecked(window, demo, qtbot):
    """A rename-save, its check, then a save in place: the tree ends on the last bytes."""
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    module = demo / "demo_filters.py"
    original = module.read_text()
    first = original.replace("/ self.std for v", "/ (self.std) for v")  # sizes change: no cached
    second = first.replace("(v - self.mean)", "(v - self.mean - 0)")  # bytecode can hide these
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _save_by_rename(module, first)
    module.write_text(second)
    printed = _printed(_status_json(demo, store_dir(demo)))
    assert printed["Normalizer"][0] == "out_of_sync"
    qtbot.waitUntil(lambda: _shown(window) == printed, timeout=WAIT)
    assert class_rows(window)["Normalizer"]["status"] == "out_of_sync"


def test_a_save_after_a_rename_is_heard_while_the_old_file_is_still_open(window, demo, qtbot):
    """Qt keeps listing a renamed-over file whose old inode is still open, and hears
    nothing more from it: the watch must be re-armed on every change."""
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    module = demo / "demo_filters.py"
    original = module.read_text()
    first = original.replace("/ self.std for v", "/ (self.std) for v")
    second = first.replace("(v - self.mean)", "(v - self.mean - 0)")
    with open(module) as _held:  # an editor or indexer holding the file it loaded
        with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
            _save_by_rename(module, first)
        shown_first = _shown(window)["Normalizer"]
        module.write_text(second)
        printed = _printed(_status_json(demo, store_dir(demo)))
        assert printed["Normalizer"] != shown_first
        qtbot.waitUntil(lambda: _shown(window) == printed, timeout=WAIT)


def test_a_save_during_a_check_is_rechecked_even_if_no_event_comes(window, demo, qtbot):
    """A folder that sends no change events (a network share, an exhausted inotify
    limit): a save that lands while the check runs is still caught by its end."""
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    module = demo / "demo_filters.py"
    edited = module.read_text().replace("(v - self.mean)", "(v - self.mean - 0)")
    window.session.watcher._watcher.blockSignals(True)  # no events from this folder
    manager = window.manager
    real, saved = manager.local_status, []

    def local_status(*args, **kwargs):
        answer = real(*args, **kwargs)  # the child has read the module...
        if not saved:
            module.write_text(edited)  # ...and the user saves right then
            saved.append(True)
        return answer

    manager.local_status = local_status
    window.session.refresh_status()
    qtbot.waitUntil(lambda: bool(saved), timeout=WAIT)
    printed = _printed(_status_json(demo, store_dir(demo)))
    assert printed["Normalizer"][0] == "out_of_sync"
    qtbot.waitUntil(lambda: _shown(window) == printed, timeout=WAIT)


def test_two_same_size_saves_within_one_second_end_on_what_status_prints(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    module = demo / "demo_filters.py"
    original = module.read_text()
    first = original.replace("/ self.std for v", "* self.std for v")  # same size as the original
    second = first.replace("(v - self.mean)", "(v + self.mean)")  # same size again
    assert len(first) == len(second) == len(original)
    _save_by_rename(module, first)
    _check_started(window, qtbot)
    module.write_text(second)  # within one second of the first save, keeping the size
    printed = _printed(_status_json(demo, store_dir(demo)))
    qtbot.waitUntil(lambda: _shown(window) == printed, timeout=WAIT)
