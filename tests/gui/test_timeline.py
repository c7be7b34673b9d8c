"""The Timeline dock and "Restore the store to this moment" (issue 17, window part).

Every pointer move of the demo's three weeks, newest first and grouped by
day; selecting a move selects its version in the tree; a restore shows its
plan, moves every pointer on a worker, and is ONE undo step that Ctrl+Z takes
back by compare-and-swap.  All against the real demo store, checked with a
manager of its own.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt

from petbrowser.core.times import parse_utc
from petbrowser.gui.format import moment_text
from petbrowser.gui.open_target import OpenTarget
from petbrowser.gui.restore_dialog import RestorePlanDialog
from petbrowser.gui.timeline_view import TimelineRole, day_text
from tests.gui.helpers import fresh_manager, open_and_wait

WAIT = 30000
DATA = Path(__file__).resolve().parents[1] / "data" / "labchain_stores"


def day_label(at: str) -> str:
    """The group a move belongs to: its local day (core's parser, the dock's wording)."""
    return day_text(parse_utc(at).astimezone().date())


def _open(window, qtbot, demo) -> None:
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    wait_timeline(window, qtbot)


def wait_timeline(window, qtbot) -> None:
    dock = window.time_travel.dock
    qtbot.waitUntil(lambda: dock.model.timeline is not None and not window.time_travel._loading, timeout=WAIT)


def _ctrl_z(window, qtbot, redo: bool = False) -> None:
    window.activateWindow()
    window.tree.setFocus()
    mods = Qt.KeyboardModifier.ControlModifier | (Qt.KeyboardModifier.ShiftModifier if redo else Qt.KeyboardModifier.NoModifier)
    qtbot.keyClick(window.tree, Qt.Key.Key_Z, mods)


def _latest(demo) -> dict[str, str]:
    m = fresh_manager(demo)
    return {c.name: c.latest for c in m.list_classes()}


def _entry(window, name: str, action: str):
    return next(e for e in window.time_travel.dock.model.entries() if e.class_name == name and e.action == action)


# ------------------------------------------------------------------ timeline
def test_the_timeline_is_read_after_the_listing_not_beside_it(window, demo, qtbot, monkeypatch):
    """Both walk the whole store; side by side they shared one interpreter and the
    tree of a 20,000-version store appeared a second later (issue 16)."""
    import time as _time

    from petbrowser.gui.calls import ListClassesCommand
    from petbrowser.gui.commands import TimelineCommand

    events: list[str] = []
    listing_run, timeline_run = ListClassesCommand.run, TimelineCommand.run

    def slow_listing(self, manager, ctx):
        try:
            return listing_run(self, manager, ctx)
        finally:
            _time.sleep(0.4)  # a long listing: a timeline started beside it starts first
            events.append("listing ended")

    def timeline(self, manager, ctx):
        events.append("timeline started")
        return timeline_run(self, manager, ctx)

    monkeypatch.setattr(ListClassesCommand, "run", slow_listing)
    monkeypatch.setattr(TimelineCommand, "run", timeline)
    _open(window, qtbot, demo)
    assert events[:2] == ["listing ended", "timeline started"]
    assert len(window.time_travel.dock.model.entries()) == 11


def test_the_timeline_lists_every_move_newest_first_grouped_by_day(window, demo, qtbot):
    _open(window, qtbot, demo)
    dock = window.time_travel.dock
    assert dock.isVisible()  # on first launch: the story is on screen
    truth = fresh_manager(demo).timeline()
    assert [e.key for e in dock.model.entries()] == [e.key for e in truth.entries]
    assert len(truth.entries) == 11  # the demo's three weeks
    model = dock.model
    days = [model.index(r, 0) for r in range(model.rowCount())]
    assert [d.data(TimelineRole.KIND) for d in days] == ["day"] * len(days)
    # one group per local day, newest first, each holding exactly that day's moves
    expected_days = list(dict.fromkeys(day_label(e.at) for e in truth.entries))
    assert [d.data(TimelineRole.FILTER_TEXT) for d in days] == expected_days
    for d in days:
        moves = [model.index(i, 0, d).data(TimelineRole.ENTRY) for i in range(model.rowCount(d))]
        assert {day_label(e.at) for e in moves} == {d.data(TimelineRole.FILTER_TEXT)}
        n = len(moves)
        assert f"{n} move{'s' if n != 1 else ''}: " in d.data(Qt.ItemDataRole.DisplayRole)
    # the columns of a move: when, class, action, from -> to, by
    restore = _entry(window, "Clipper", "restore")
    idx = model.entry_index(restore.key)
    row = [idx.siblingAtColumn(c).data(Qt.ItemDataRole.DisplayRole) for c in range(model.columnCount())]
    assert row[1] == "Clipper" and row[3] == f"{restore.from_hash[:12]} → {restore.to_hash[:12]}"
    assert row[4] == "alice@lab" and row[0] == moment_text(restore.at)[-5:]
    assert idx.siblingAtColumn(2).data(TimelineRole.FILTER_TEXT).split()[1] == "restore"
    # the move that set each pointer as it is now is marked (bold)
    current = {e.class_name for e in model.entries() if model.entry_index(e.key).data(TimelineRole.CURRENT)}
    assert current == {"Clipper", "LinearModel", "Normalizer", "ThresholdFilter"}
    assert "records exist from" in dock.info.text() and "11 moves of 4 classes" in dock.info.text()


def test_the_filter_box_keeps_matching_moves_and_their_days(window, demo, qtbot):
    _open(window, qtbot, demo)
    dock = window.time_travel.dock
    dock.filter_edit.setText("restore")
    shown = []
    for r in range(dock.model.rowCount()):
        day = dock.model.index(r, 0)
        shown += [dock.model.index(i, 0, day).data(TimelineRole.ENTRY) for i in range(dock.model.rowCount(day))]
    assert sorted(e.class_name for e in shown) == ["Clipper", "LinearModel"]
    assert all(e.action == "restore" for e in shown)
    dock.filter_edit.setText("carol")
    assert dock.model.rowCount() == 3  # carol worked on three days
    dock.filter_edit.setText("")
    assert len(dock.model.entries()) == 11


def test_selecting_a_move_selects_that_class_and_version_in_the_tree(window, demo, qtbot):
    _open(window, qtbot, demo)
    dock = window.time_travel.dock
    push = _entry(window, "LinearModel", "push")
    with qtbot.waitSignal(window.details_updated, timeout=WAIT, check_params_cb=lambda k: k == "version"):
        assert dock.select_entry(push.key)
    assert window.selection().one_version == ("LinearModel", push.to_hash)
    # hidden by the tree's filter: the filter is cleared so the version can be shown
    window.filter_edit.setText("Normalizer")
    rollback = _entry(window, "ThresholdFilter", "push")
    dock.select_entry(rollback.key)
    assert window.filter_edit.text() == ""
    assert window.selection().one_version == ("ThresholdFilter", rollback.to_hash)


def test_show_what_a_move_changed_opens_its_diff(window, demo, qtbot):
    _open(window, qtbot, demo)
    dock = window.time_travel.dock
    first = next(e for e in dock.model.entries() if e.from_hash is None)
    dock.select_entry(first.key)
    assert not dock.show_change_action.isEnabled()  # a first push has nothing before it
    push = _entry(window, "Clipper", "push")
    dock.select_entry(push.key)
    with qtbot.waitSignal(window.details_updated, timeout=WAIT, check_params_cb=lambda k: k == "diff"):
        dock.show_change_action.trigger()
    result = window.details.diff.view.result
    assert result.class_name == "Clipper"
    assert (result.a_label[:12], result.b_label[:12]) == (push.from_hash[:12], push.to_hash[:12])


# ------------------------------------------------------------------- restore
def _restore(window, qtbot, monkeypatch, entry, before_yes=None) -> RestorePlanDialog:
    shown: dict = {}

    def answer(dialog):
        shown["dialog"] = dialog
        if before_yes is not None:
            before_yes()
        return True

    monkeypatch.setattr(window.prompts, "confirm_restore", answer)
    window.time_travel.dock.select_entry(entry.key)
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.time_travel.restore_action.trigger()
    return shown["dialog"]


def test_restore_shows_the_plan_then_one_ctrl_z_puts_every_pointer_back(window, demo, qtbot, monkeypatch):
    _open(window, qtbot, demo)
    before = _latest(demo)
    moment = _entry(window, "LinearModel", "push")  # Thursday of week 2, right after carol's push
    plan = fresh_manager(demo).plan_restore(window.manager.parse_stamp(moment.at))
    then = {s.class_name: s.then for s in plan.steps}

    dialog = _restore(window, qtbot, monkeypatch, moment)
    # the plan: class, now -> then, what changes; the class already there is left alone, and says so
    assert dialog.moving_classes() == ["Clipper", "LinearModel", "Normalizer"]
    assert dialog.change_lines("LinearModel") == ["method score — added"]
    assert "method apply — removed" in dialog.change_lines("Clipper")
    assert "ThresholdFilter" in dialog.left_alone.text() and "already at" in dialog.left_alone.text()
    assert dialog.restore_button.text() == "Restore 3 classes"

    after = _latest(demo)
    assert {n: after[n] for n in ("Clipper", "LinearModel", "Normalizer")} == {
        n: then[n] for n in ("Clipper", "LinearModel", "Normalizer")
    }
    assert after["ThresholdFilter"] == before["ThresholdFilter"]
    m = fresh_manager(demo)
    assert {m.history(n)[-1].action for n in ("Clipper", "LinearModel", "Normalizer")} == {"restore"}
    assert window.message_bar.text.startswith("Restored Clipper, LinearModel and Normalizer to ")
    # the timeline shows the restore at the top
    wait_timeline(window, qtbot)
    assert window.time_travel.dock.model.entries()[0].action == "restore"

    # ONE undo step, named, whichever of the three classes is selected
    label = f"restore of 3 classes to {moment_text(moment.at)}"
    window.select_index(window.model.class_index("Normalizer"))
    assert window.actions.undo.text() == f"&Undo {label}"
    assert "latest of Clipper, LinearModel and Normalizer go back to where they were" in window.actions.undo.toolTip()
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _ctrl_z(window, qtbot)
    assert _latest(demo) == before
    m = fresh_manager(demo)
    assert {m.history(n)[-1].action for n in ("Clipper", "LinearModel", "Normalizer")} == {"undo"}
    assert window.message_bar.text.startswith(f"Undid {label}")
    window.select_index(window.model.class_index("Clipper"))
    assert window.actions.redo.text() == f"&Redo {label}"
    assert not window.actions.undo.isEnabled()
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _ctrl_z(window, qtbot, redo=True)
    assert {n: _latest(demo)[n] for n in ("Clipper", "LinearModel", "Normalizer")} == {
        n: then[n] for n in ("Clipper", "LinearModel", "Normalizer")
    }


def test_a_class_moved_by_someone_else_is_named_and_the_others_still_move(window, demo, qtbot, monkeypatch):
    _open(window, qtbot, demo)
    before = _latest(demo)
    moment = _entry(window, "LinearModel", "push")
    other = fresh_manager(demo)
    versions = {v.hash for v in other.list_versions("Normalizer")}
    elsewhere = next(iter(versions - {before["Normalizer"]}))

    def someone_moves_normalizer() -> None:  # between the plan and the yes
        other.move_latest("Normalizer", elsewhere, expected=before["Normalizer"])

    _restore(window, qtbot, monkeypatch, moment, before_yes=someone_moves_normalizer)
    after = _latest(demo)
    assert after["Normalizer"] == elsewhere  # not overwritten
    assert after["Clipper"] != before["Clipper"] and after["LinearModel"] != before["LinearModel"]
    text = window.message_bar.text
    assert "Restored Clipper and LinearModel to" in text
    assert "Normalizer was moved by someone else" in text and "left as it is" in text
    # the undo step covers what moved
    window.select_index(window.model.class_index("Clipper"))
    assert window.actions.undo.text().startswith("&Undo restore of 2 classes to ")
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _ctrl_z(window, qtbot)
    assert _latest(demo) == {**before, "Normalizer": elsewhere}


def test_undo_of_a_restore_names_a_class_moved_since_and_moves_the_others_back(window, demo, qtbot, monkeypatch):
    _open(window, qtbot, demo)
    before = _latest(demo)
    _restore(window, qtbot, monkeypatch, _entry(window, "LinearModel", "push"))
    restored = _latest(demo)
    other = fresh_manager(demo)
    other.move_latest("Clipper", before["Clipper"], expected=restored["Clipper"])  # someone else, meanwhile
    window.select_index(window.model.class_index("LinearModel"))
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _ctrl_z(window, qtbot)
    now = _latest(demo)
    assert now["LinearModel"] == before["LinearModel"] and now["Normalizer"] == before["Normalizer"]
    assert now["Clipper"] == before["Clipper"]  # where the other writer put it
    text = window.message_bar.text
    assert "Clipper was moved by someone else" in text
    assert fresh_manager(demo).history("Clipper")[-1].action == "rollback"  # nothing written over it


def test_a_later_move_of_one_restored_class_is_undone_before_the_restore(window, demo, qtbot, monkeypatch):
    _open(window, qtbot, demo)
    _restore(window, qtbot, monkeypatch, _entry(window, "LinearModel", "push"))
    info = window.model.class_info("Clipper")
    other = next(v.hash for v in info.versions if v.hash != info.latest)
    monkeypatch.setattr(window.prompts, "confirm_move", lambda dialog: True)
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.select_index(window.model.version_index("Clipper", other))
        window.actions.make_latest.trigger()
    window.select_index(window.model.class_index("LinearModel"))
    assert not window.actions.undo.isEnabled()
    assert "first needs the later move of Clipper undone" in window.actions.undo.toolTip()
    window.select_index(window.model.class_index("Clipper"))
    assert window.actions.undo.text().startswith("&Undo roll")  # Clipper's own move comes first


# ------------------------------------------------------------ without history
def test_a_store_without_history_says_there_is_no_record_to_restore_from(window, qtbot, tmp_path):
    store = tmp_path / "labchain"
    shutil.copytree(next(p for p in sorted(DATA.iterdir()) if p.is_dir()), store)
    open_and_wait(qtbot, window, OpenTarget(storage=str(store)), statuses=False)
    wait_timeline(window, qtbot)
    dock = window.time_travel.dock
    assert dock.model.rowCount() == 0
    assert "no record to restore from" in dock.info.text()
    assert not window.time_travel.restore_action.isEnabled()

    m = fresh_manager_for_store(store)
    plan = m.plan_restore(m.parse_time("now"))
    dialog = RestorePlanDialog(plan)
    qtbot.addWidget(dialog)
    assert not dialog.can_restore
    assert "there is no record to restore from" in dialog.record_note.text()
    assert dialog.headline.text() == "There is no record to restore from."


def test_a_moment_before_the_first_record_says_from_when_records_exist(window, demo, qtbot):
    m = fresh_manager(demo)
    first = m.timeline().first_record_at
    plan = m.plan_restore(m.parse_stamp(first) - timedelta(days=1))
    dialog = RestorePlanDialog(plan)
    qtbot.addWidget(dialog)
    assert not dialog.can_restore
    assert dialog.record_note.text().startswith("Records exist from ")
    assert "created after that moment" in dialog.left_alone.text()


def fresh_manager_for_store(store: Path):
    from petbrowser.core.manager import PetClassManager

    return PetClassManager.open_target(None, storage=str(store)).manager


def test_an_unchanged_timeline_is_not_rebuilt_and_the_filter_matches_days(qtbot):
    """Every relisting reloads the timeline; the view is rebuilt only when a move came."""
    from datetime import datetime, timezone

    from petbrowser.core.models import HistoryEntry, Timeline
    from petbrowser.gui.timeline_view import TimelineDock

    now = datetime.now().astimezone().replace(hour=12, minute=0)  # noon: "today" all day long

    def entry(i: int, days_ago: int) -> HistoryEntry:
        at = (now - timedelta(days=days_ago, minutes=i)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return HistoryEntry(at, "push", None, f"{i:064x}", "ann@lab", f"C{i}", key=f"k{i}")

    moves = (entry(1, 0), entry(2, 1), entry(3, 9))
    dock = TimelineDock()
    qtbot.addWidget(dock)
    resets: list[int] = []
    dock.model.modelReset.connect(lambda: resets.append(1))
    dock.set_timeline(Timeline(moves, ("C1", "C2", "C3"), (), moves[-1].at))
    assert len(resets) == 1 and dock.model.rowCount() == 3
    labels = [dock.model.index(r, 0).data(TimelineRole.FILTER_TEXT) for r in range(3)]
    assert labels[0].startswith("Today · ") and labels[1].startswith("Yesterday · ")
    dock.select_entry("k2")
    dock.set_timeline(Timeline(moves, ("C1", "C2", "C3", "D"), ("D",), moves[-1].at))  # same moves
    assert len(resets) == 1 and dock.selected_entry().key == "k2"
    assert "No record for D" in dock.info.text()
    dock.filter_edit.setText("yesterday")
    assert [e.key for e in dock.model.entries()] == ["k2"]
    dock.filter_edit.setText("c3")
    assert [e.key for e in dock.model.entries()] == ["k3"]
    assert dock.select_entry("k1")  # hidden by the filter: the filter is cleared to show it
    assert dock.filter_edit.text() == "" and len(dock.model.entries()) == 3
    newer = (entry(0, 0), *moves)
    dock.set_timeline(Timeline(newer, ("C0", "C1", "C2", "C3"), (), moves[-1].at))
    assert len(resets) > 1 and dock.model.entries()[0].key == "k0"
    assert dock.selected_entry().key == "k1"  # the selected move stays selected
