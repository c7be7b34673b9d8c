"""Pull from the window (verify, rebuild in a child, restore source), the
informed confirmation for hostile pickles, and the connect dialog."""

from __future__ import annotations

import json
import pickle

from petbrowser.core.errors import UnsafePickleError
from petbrowser.gui.class_tree import Role
from petbrowser.gui.connect_dialog import ConnectDialog
from petbrowser.gui.open_target import OpenTarget
from petbrowser.gui.recent import recent_stores
from tests.conftest import FAKE_SECRET
from tests.gui.helpers import class_rows, open_and_wait, store_dir

WAIT = 30000
EVIL_HASH = "e" * 64


class _Touch:
    """Unpickling this calls os.system: the test's canary."""

    def __init__(self, cmd: str) -> None:
        self.cmd = cmd

    def __reduce__(self):
        import os

        return (os.system, (self.cmd,))


def _plant_hostile_version(demo, canary) -> None:
    """A LabChain-style version (no metadata) whose pickle would run a command."""
    folder = store_dir(demo) / "plugins" / "Evil"
    folder.mkdir(parents=True)
    (folder / f"{EVIL_HASH}.pkl").write_bytes(pickle.dumps(_Touch(f"touch {canary}"), protocol=4))
    (folder / "latest.json").write_text(json.dumps({"hash": EVIL_HASH, "class_name": "Evil"}))


def test_pull_verifies_rebuilds_and_restores_source(window, demo, qtbot, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    h = class_rows(window)["Clipper"]["latest"]
    restore = tmp_path / "review"
    restore.mkdir()
    monkeypatch.setattr(window.prompts, "ask_pull_options", lambda name, hh: (True, str(restore)))
    window.select_index(window.model.version_index("Clipper", h))
    with qtbot.waitSignal(window.operation_finished, timeout=WAIT):
        window.actions.pull.trigger()
    text = window.message_bar.text
    assert "Pulled Clipper" in text and "digest verified" in text
    [written] = list(restore.iterdir())
    assert "class Clipper" in written.read_text()


def test_hostile_version_needs_an_informed_yes_and_is_never_loaded(window, demo, qtbot, tmp_path, monkeypatch):
    canary = tmp_path / "canary"
    _plant_hostile_version(demo, canary)
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    # browsing it flags it, without running it
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "version", timeout=WAIT):
        window.select_index(window.model.version_index("Evil", EVIL_HASH))
    badges = window.model.version_index("Evil", EVIL_HASH).data(Role.BADGES)
    assert "unsafe" in badges and "no-metadata" in badges
    assert "system" in window.details.overview.toPlainText()

    asked = []
    monkeypatch.setattr(window.prompts, "ask_pull_options", lambda name, h: (True, None))
    monkeypatch.setattr(window.prompts, "confirm_unsafe", lambda name, h, exc: asked.append(exc) or False)
    with qtbot.waitSignal(window.error_shown, timeout=WAIT) as blocker:
        window.actions.pull.trigger()
    assert len(asked) == 1 and isinstance(asked[0], UnsafePickleError)
    assert isinstance(blocker.args[0], UnsafePickleError)
    assert "was not loaded" in window.message_bar.hint_label.text()
    assert not canary.exists()


def test_connect_dialog_tests_a_store_and_remembers_no_secret(qtbot, demo, tmp_path, aws_env, isolated_settings):
    from petbrowser.gui.workers import TaskRunner

    runner = TaskRunner()
    dlg = ConnectDialog(runner)
    qtbot.addWidget(dlg)
    dlg.path_edit.setText(str(store_dir(demo)))
    dlg.test_connection()
    qtbot.waitUntil(lambda: dlg.result_label.property("ok") is not None, timeout=WAIT)
    assert dlg.result_label.property("ok") is True

    dlg.path_edit.setText(str(tmp_path / "missing"))
    dlg.result_label.setProperty("ok", None)
    dlg.test_connection()
    qtbot.waitUntil(lambda: dlg.result_label.property("ok") is not None, timeout=WAIT)
    assert dlg.result_label.property("ok") is False
    assert "does not exist" in dlg.result_label.text()

    dlg.s3_radio.setChecked(True)
    dlg.bucket_edit.setText("team-bucket")
    dlg.prefix_edit.setText("/stores/a/")
    dlg.profile_edit.setText("research")
    dlg.endpoint_edit.setText("http://127.0.0.1:9")
    assert dlg.target() == OpenTarget(
        storage="s3://team-bucket/stores/a", endpoint_url="http://127.0.0.1:9", profile="research"
    )
    dlg.buttons.accepted.emit()
    assert recent_stores()[0].storage == "s3://team-bucket/stores/a"
    for f in isolated_settings.rglob("*"):
        if f.is_file():
            assert FAKE_SECRET not in f.read_text(errors="replace")
    runner.shutdown()


def test_a_clean_version_without_digest_pulls_with_a_warning(window, demo, qtbot, monkeypatch):
    """Issue 11/13: a clean LabChain version (no metadata) is rebuilt in the sandbox
    without asking, and the window says plainly that no digest could be checked."""
    # a LabChain-style copy of a harmless version: same pickle, no .meta.json
    src = store_dir(demo) / "plugins" / "Clipper"
    h = pickle.loads((src / "latest.json").read_bytes())["hash"]  # what LabChain reads
    legacy = store_dir(demo) / "plugins" / "Legacy"
    legacy.mkdir()
    (legacy / f"{h}.pkl").write_bytes((src / f"{h}.pkl").read_bytes())
    (legacy / "latest.json").write_text(json.dumps({"hash": h, "class_name": "Legacy"}))
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    window.select_index(window.model.version_index("Legacy", h))
    asked = []
    monkeypatch.setattr(window.prompts, "ask_pull_options", lambda name, hh: (True, None))
    monkeypatch.setattr(window.prompts, "confirm_unsafe", lambda name, hh, exc: asked.append(exc) or True)
    with qtbot.waitSignal(window.operation_finished, timeout=WAIT):
        window.actions.pull.trigger()
    assert asked == []  # clean and sandboxed: no question
    assert "Pulled Legacy" in window.message_bar.text
    assert "no digest could be checked" in window.message_bar.text
    assert window.message_bar.level == "warning"  # loaded without a digest: said so


def test_declining_the_move_confirmation_changes_nothing(window, demo, qtbot, monkeypatch):
    from tests.gui.helpers import fresh_manager

    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    rows = class_rows(window)["Normalizer"]
    target = next(h for h, _ in rows["versions"] if h != rows["latest"])
    before = fresh_manager(demo).history("Normalizer")
    shown = []
    monkeypatch.setattr(window.prompts, "confirm_move", lambda dialog: shown.append(dialog) or False)
    window.select_index(window.model.version_index("Normalizer", target))
    window.actions.make_latest.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT)
    qtbot.waitUntil(lambda: not window.runner.active, timeout=WAIT)
    assert fresh_manager(demo).history("Normalizer") == before
    assert fresh_manager(demo).resolve("Normalizer", "latest") == rows["latest"]
    assert not window.actions.undo.isEnabled()


def test_error_details_open_without_blocking_the_window(window, tmp_path, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    with qtbot.waitSignal(window.error_shown, timeout=WAIT):
        window.open_target(OpenTarget(storage=str(tmp_path / "missing")))
    with qtbot.waitSignal(window.error_shown, timeout=WAIT):
        window.open_target(OpenTarget(storage=str(tmp_path / "missing-too")))
    assert window.message_bar.details_button.isVisible()  # two messages: history on demand
    qtbot.mouseClick(window.message_bar.details_button, Qt.MouseButton.LeftButton)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and boxes[0].windowModality() == Qt.WindowModality.NonModal
    assert "missing" in boxes[0].detailedText()
    # the window still takes input while the details are open
    qtbot.keyClicks(window.filter_edit, "abc")
    assert window.filter_edit.text() == "abc"
    boxes[0].close()
