"""Undo says what it undoes and only moves the class the user is looking at (issue 15, item 1).

Undo is per class: Ctrl+Z undoes the last move of the selected class; with
nothing selected it follows the class moved last and says so.  A push that
moved ``latest`` is undoable like a rollback.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import (
    accept_pushes,
    class_rows,
    fresh_manager,
    make_older_latest,
    open_and_wait,
)

WAIT = 30000


def _roll_back_threshold(window, demo, qtbot, monkeypatch) -> tuple[str, str]:
    old, target = make_older_latest(window, qtbot, monkeypatch, "ThresholdFilter")
    assert fresh_manager(demo).resolve("ThresholdFilter", "latest") == target
    return old, target


def _ctrl_z(window, qtbot) -> None:
    window.activateWindow()
    window.tree.setFocus()
    qtbot.keyClick(window.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def _moving(window) -> bool:
    """Whether a pointer move was started (a move is submitted the moment undo fires)."""
    return any(t.label.startswith("Moving latest") for t in window.runner.active)


def test_undo_names_the_move_in_the_menu_and_the_toolbar_tooltip(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    old, target = _roll_back_threshold(window, demo, qtbot, monkeypatch)
    undo = window.actions.undo
    assert undo.isEnabled()
    assert undo.text() == f"&Undo roll back of ThresholdFilter to {target[:12]}"
    assert undo.iconText() == "Undo"  # the toolbar button stays short...
    tip = undo.toolTip()  # ...and its tooltip says exactly what will move
    assert tip.startswith(f"Undo roll back of ThresholdFilter to {target[:12]}")
    assert f"latest of ThresholdFilter goes back to {old[:12]}" in tip and "(Ctrl+Z)" in tip
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert undo in edit.actions()

    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _ctrl_z(window, qtbot)
    assert fresh_manager(demo).resolve("ThresholdFilter", "latest") == old
    assert window.message_bar.text.startswith(f"Undid roll back of ThresholdFilter to {target[:12]}")
    assert window.actions.redo.text() == f"&Redo roll back of ThresholdFilter to {target[:12]}"
    assert not undo.isEnabled() and undo.text() == "&Undo"


def test_ctrl_z_never_moves_a_class_the_user_is_not_looking_at(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    _old, target = _roll_back_threshold(window, demo, qtbot, monkeypatch)
    window.select_index(window.model.class_index("Normalizer"))
    assert not window.actions.undo.isEnabled()
    assert "Nothing to undo for Normalizer" in window.actions.undo.toolTip()
    _ctrl_z(window, qtbot)
    assert not _moving(window)
    assert fresh_manager(demo).resolve("ThresholdFilter", "latest") == target  # untouched
    # back on ThresholdFilter (one of its versions), its move is undoable again
    window.select_index(window.model.version_index("ThresholdFilter", target))
    assert window.actions.undo.isEnabled()
    assert "ThresholdFilter" in window.actions.undo.text()


def test_a_push_is_undone_by_ctrl_z_not_an_earlier_move_of_another_class(window, demo, qtbot, monkeypatch):
    """The walk-through: after pushing (with the pushed class selected), Ctrl+Z rolled
    back *another* class silently.  Now it undoes the push, and says so."""
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    _old, threshold = _roll_back_threshold(window, demo, qtbot, monkeypatch)
    before = class_rows(window)["LinearModel"]["latest"]
    local = window.model.status_entry("LinearModel").local_hash
    window.select_index(window.model.class_index("LinearModel"))
    accept_pushes(window, monkeypatch)
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.push.trigger()
    check = fresh_manager(demo)
    assert check.resolve("LinearModel", "latest") == local
    assert window.actions.undo.text() == f"&Undo push of LinearModel to {local[:12]}"

    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _ctrl_z(window, qtbot)
    assert check.resolve("LinearModel", "latest") == before  # the push was undone...
    assert check.resolve("ThresholdFilter", "latest") == threshold  # ...and nothing else moved
    last = check.history("LinearModel")[-1]
    assert (last.action, last.from_hash, last.to_hash) == ("undo", local, before)
    assert window.message_bar.text.startswith(f"Undid push of LinearModel to {local[:12]}")
    assert "not selected" not in window.message_bar.text


def test_with_nothing_selected_undo_follows_the_last_move_and_says_so(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    old, target = _roll_back_threshold(window, demo, qtbot, monkeypatch)
    window.tree.clearSelection()
    assert window.selected() == []
    assert window.actions.undo.text() == f"&Undo roll back of ThresholdFilter to {target[:12]}"
    assert "nothing is selected" in window.actions.undo.toolTip()
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.undo.trigger()
    assert fresh_manager(demo).resolve("ThresholdFilter", "latest") == old
    assert "ThresholdFilter was not selected" in window.message_bar.text


def test_undo_is_in_the_context_menu_of_the_class(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    _roll_back_threshold(window, demo, qtbot, monkeypatch)
    offered = window.actions.for_context_menu(window.selection())
    assert window.actions.undo in offered and window.actions.make_latest in offered
