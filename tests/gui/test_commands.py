"""Each command object, done (and undone where it applies) without a window.

The context is the real one a window builds — a task runner, the session
(manager + tree model), the per-class undo history — with the questions
answered by a recording stand-in instead of modal dialogs.  What landed in
the store is checked with an independent manager.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from petbrowser.core.errors import ConflictError, UnsafePickleError
from petbrowser.gui import calls
from petbrowser.gui import commands as cmds
from petbrowser.gui.open_target import OpenTarget
from petbrowser.gui.session import Session
from petbrowser.gui.undo import Move, UndoHistory
from petbrowser.gui.workers import TaskRunner
from tests.gui.helpers import fresh_manager, move_store_inside

WAIT = 30000


class AnswersFor:
    """Prompts that record each question and give scripted answers."""

    parent = None

    def __init__(self) -> None:
        self.asked: list[tuple] = []
        self.store_choice: str | None = None
        self.move_ok = True
        self.unsafe_ok = False

    def choose_store(self, project_dir, stores):
        self.asked.append(("choose_store", project_dir, list(stores)))
        return self.store_choice or stores[0]

    def confirm_move(self, dialog):
        self.asked.append(("confirm_move", dialog.summary.text()))
        return self.move_ok

    def confirm_push(self, dialog):
        self.asked.append(("confirm_push", dialog.summary.text()))
        return self.move_ok

    def confirm_unsafe(self, name, h, exc):
        self.asked.append(("confirm_unsafe", name, h, exc))
        return self.unsafe_ok


@pytest.fixture()
def app(qtbot):
    tasks = TaskRunner()
    session = Session(tasks)
    history = UndoHistory(session.commands)
    ctx = cmds.AppContext(session, history, AnswersFor())
    ctx.said: list[tuple] = []  # type: ignore[misc]
    ctx.failures: list[tuple] = []  # type: ignore[misc]
    ctx.message.connect(lambda *a: ctx.said.append(a))
    ctx.error.connect(lambda exc, what: ctx.failures.append((exc, what)))
    yield ctx
    tasks.shutdown(10000)


def _opened(qtbot, app, target: OpenTarget) -> None:
    """OpenCommand, then the listing and the statuses."""
    with qtbot.waitSignal(app.session.statuses_updated, timeout=WAIT):
        cmds.OpenCommand(target).do(app)


def _latest(demo: Path, name: str) -> str:
    return fresh_manager(demo).resolve(name, "latest")


def _run(qtbot, app, cmd):
    """Run one command's worker half through the runner and return its answer."""
    out: list = []
    with qtbot.waitSignal(app.session.commands.tasks.busy_changed, timeout=WAIT, check_params_cb=lambda s: s == ""):
        app.execute(cmd, on_result=out.append, on_error=out.append)
    return out[0]


# ------------------------------------------------------------------ opening
def test_open_command_lists_the_project_and_its_statuses(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    assert app.session.manager is not None and app.session.name == "petbrowser-demo"
    assert app.session.model.statuses()["LinearModel"] == "out_of_sync"
    assert str((demo / "demo_filters.py").resolve()) in app.session.watcher.files()


def test_opening_a_project_without_a_store_walks_it_once(qtbot, app, demo, monkeypatch):
    inside = move_store_inside(demo, monkeypatch)
    from petbrowser.core.project import Project

    loads = []
    real = Project.load.__func__
    monkeypatch.setattr(Project, "load", classmethod(lambda cls, *a, **k: loads.append(a) or real(cls, *a, **k)))
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    assert app.prompts.asked == [("choose_store", str(demo), [str(inside)])]
    assert len(loads) == 1  # the project was read once: the chosen store reuses it
    assert app.session.target.storage == str(inside)
    assert app.session.model.statuses()["Normalizer"] == "synced"  # the project came along


def test_create_demo_command_opens_the_demo(qtbot, app, demo_template, tmp_path):
    dest = tmp_path / "copy"
    shutil.copytree(demo_template, dest, symlinks=True)  # create_demo keeps an existing demo
    with qtbot.waitSignal(app.session.listing_finished, timeout=WAIT):
        cmds.CreateDemoCommand(dest).do(app)
    assert app.session.target == OpenTarget(project_dir=str((dest / "project").resolve()))
    assert "Normalizer" in app.session.model.class_names()


def test_open_command_reports_a_missing_store(qtbot, app, tmp_path):
    with qtbot.waitSignal(app.error, timeout=WAIT):
        cmds.OpenCommand(OpenTarget(storage=str(tmp_path / "none"))).do(app)
    exc, what = app.failures[-1]
    assert "does not exist" in exc.message and what in ("Opening " + str(tmp_path / "none"), "Listing the store")


# ------------------------------------------------------------------ reading
def test_reading_commands_answer_without_unpickling(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    latest = _latest(demo, "Normalizer")
    classes = _run(qtbot, app, calls.ListClassesCommand())
    assert {c.name for c in classes} >= {"Normalizer", "Clipper"}
    status = _run(qtbot, app, calls.LocalStatusCommand(classes))
    assert {e.name: e.status for e in status.entries}["ThresholdFilter"] == "behind"
    assert any(f.endswith("demo_filters.py") for f in status.files)
    result = _run(qtbot, app, cmds.InspectCommand("Normalizer", latest))
    assert result.hash == latest and "fit" in result.describe.methods
    history = _run(qtbot, app, cmds.HistoryCommand("Normalizer"))
    assert [e.action for e in history] == ["push", "push", "rollback"]


def test_local_status_scans_once(qtbot, app, demo, monkeypatch):
    """Statuses and the files to watch come from one child process, not two."""
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    from petbrowser.core import snapshots

    scans = []
    real = snapshots.scan
    monkeypatch.setattr(snapshots, "scan", lambda *a, **k: scans.append(1) or real(*a, **k))
    with qtbot.waitSignal(app.session.statuses_updated, timeout=WAIT):
        app.session.refresh_status()
    assert len(scans) == 1


def test_compare_command_lays_out_both_modes_on_the_worker(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    older, newer = [v.hash for v in reversed(app.session.model.class_info("Normalizer").versions)]
    result, layouts = _run(qtbot, app, cmds.CompareCommand("Normalizer", older, newer))
    assert result.class_diff.has_changes and set(layouts) == {"source", "bytecode", "source/unified", "bytecode/unified"}
    assert layouts["source"].changes and "fit" in layouts["bytecode"].method_rows
    assert result.a_label == older[:12]


def test_check_pickles_command_flags_an_unsafe_version(qtbot, app, demo, tmp_path):
    from tests.gui.test_pull_and_dialogs import EVIL_HASH, _plant_hostile_version

    canary = tmp_path / "canary"
    _plant_hostile_version(demo, canary)
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    flags = _run(qtbot, app, calls.CheckPicklesCommand([("Evil", EVIL_HASH)]))
    assert [(f.class_name, f.hash, f.unsafe, f.by_reference) for f in flags] == [("Evil", EVIL_HASH, True, False)]
    assert not canary.exists()


# ------------------------------------------------------------- pointer moves
def test_make_latest_command_confirms_moves_and_undoes(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    old = _latest(demo, "ThresholdFilter")
    target = next(v.hash for v in app.session.model.class_info("ThresholdFilter").versions if v.hash != old)
    with qtbot.waitSignal(app.finished, timeout=WAIT):
        cmds.MakeLatestCommand("ThresholdFilter", target).do(app)
    assert app.prompts.asked[0][0] == "confirm_move" and "apply" in app.prompts.asked[0][1]
    assert _latest(demo, "ThresholdFilter") == target
    assert fresh_manager(demo).history("ThresholdFilter")[-1].action == "rollback"
    assert app.history.undo_text() == f"Undo roll back of ThresholdFilter to {target[:12]}"

    with qtbot.waitSignal(app.finished, timeout=WAIT):
        app.history.undo()
    last = fresh_manager(demo).history("ThresholdFilter")[-1]
    assert (last.action, last.from_hash, last.to_hash) == ("undo", target, old)
    assert app.history.redo_text() == f"Redo roll back of ThresholdFilter to {target[:12]}"
    with qtbot.waitSignal(app.finished, timeout=WAIT):
        app.history.redo()
    assert _latest(demo, "ThresholdFilter") == target
    assert fresh_manager(demo).history("ThresholdFilter")[-1].action == "redo"


def test_declined_make_latest_moves_nothing(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    old = _latest(demo, "Normalizer")
    target = next(v.hash for v in app.session.model.class_info("Normalizer").versions if v.hash != old)
    app.prompts.move_ok = False
    cmds.MakeLatestCommand("Normalizer", target).do(app)
    qtbot.waitUntil(lambda: bool(app.prompts.asked), timeout=WAIT)
    qtbot.waitUntil(lambda: not app.session.commands.tasks.active, timeout=WAIT)
    assert _latest(demo, "Normalizer") == old
    assert not app.history.can_undo()


def test_push_command_pushes_and_its_move_is_undoable(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    before = _latest(demo, "LinearModel")
    local = app.session.model.status_entry("LinearModel").local_hash
    with qtbot.waitSignal(app.session.statuses_updated, timeout=WAIT):
        cmds.PushCommand(["LinearModel"]).do(app)
    assert _latest(demo, "LinearModel") == local
    assert app.session.model.statuses()["LinearModel"] == "synced"
    assert "Ctrl+Z" in app.said[-1][0]
    assert app.history.undo_text() == f"Undo push of LinearModel to {local[:12]}"

    with qtbot.waitSignal(app.session.statuses_updated, timeout=WAIT):
        app.history.undo()
    assert _latest(demo, "LinearModel") == before  # the version stays stored; latest went back
    last = fresh_manager(demo).history("LinearModel")[-1]
    assert (last.action, last.from_hash, last.to_hash) == ("undo", local, before)
    assert app.session.model.statuses()["LinearModel"] in ("ahead", "behind")  # local is the undone push
    with qtbot.waitSignal(app.session.statuses_updated, timeout=WAIT):
        app.history.redo()
    assert _latest(demo, "LinearModel") == local


def test_push_for_a_selection_pushes_what_a_push_changes(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    chosen = ["Normalizer", "LinearModel", "Clipper", "MovingAverage"]  # synced, ..., remote only
    assert cmds.PushCommand.for_selection(chosen, app.session).names == ["LinearModel", "MovingAverage"]
    assert cmds.PushCommand.for_selection(["Normalizer"], app.session).names == []  # = every out-of-sync


def test_an_ahead_class_is_pushable_and_the_summary_counts_it(qtbot, app, demo):
    # Push LinearModel, then roll it back: the local class is the version pushed after latest.
    manager = fresh_manager(demo)
    before = _latest(demo, "LinearModel")
    (pushed,) = manager.push(["LinearModel"])
    manager.move_latest("LinearModel", before, expected=pushed.hash)
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    assert app.session.model.statuses()["LinearModel"] == "ahead"
    assert cmds.PushCommand.for_selection(["LinearModel"], app.session).names == ["LinearModel"]
    assert "1 ahead" in app.session.summary()


def test_a_first_push_leaves_nothing_to_undo(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    with qtbot.waitSignal(app.session.statuses_updated, timeout=WAIT):
        cmds.PushCommand(["MovingAverage"]).do(app)  # untracked: no pointer to go back to
    assert app.session.model.statuses()["MovingAverage"] == "synced"
    assert not app.history.can_undo()


def test_move_latest_command_is_a_compare_and_swap(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    versions = [v.hash for v in app.session.model.class_info("Normalizer").versions]
    current = _latest(demo, "Normalizer")
    other = next(h for h in versions if h != current)
    answer = _run(qtbot, app, calls.MoveLatestCommand("Normalizer", other, expected=other, action="rollback"))
    assert isinstance(answer, ConflictError)  # it expected the pointer elsewhere: nothing moved
    assert _latest(demo, "Normalizer") == current
    entry = _run(qtbot, app, calls.MoveLatestCommand("Normalizer", other, expected=current, action="rollback"))
    assert (entry.from_hash, entry.to_hash) == (current, other)


def test_undo_that_lost_the_race_keeps_the_stack(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    old = _latest(demo, "Normalizer")
    target = next(v.hash for v in app.session.model.class_info("Normalizer").versions if v.hash != old)
    with qtbot.waitSignal(app.finished, timeout=WAIT):
        app.history.move(Move("Normalizer", old, target, "roll forward"))
    fresh_manager(demo).move_latest("Normalizer", old, expected=target)  # a teammate moves it back
    with qtbot.waitSignal(app.error, timeout=WAIT):
        app.history.undo()
    assert isinstance(app.failures[-1][0], ConflictError)
    assert app.history.can_undo()  # nothing happened, so the move is still there to undo


# ---------------------------------------------------------------------- pull
def test_pull_and_restore_source_commands(qtbot, app, demo, tmp_path):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    h = _latest(demo, "Clipper")
    with qtbot.waitSignal(app.finished, timeout=WAIT):
        cmds.PullCommand("Clipper", h).do(app)
    assert app.said[-1][0].startswith(f"Pulled Clipper {h[:12]}, digest verified")
    review = tmp_path / "review"
    review.mkdir()
    with qtbot.waitSignal(app.finished, timeout=WAIT):
        cmds.RestoreSourceCommand("Clipper", h, str(review)).do(app)
    [written] = review.iterdir()
    assert "class Clipper" in written.read_text()
    assert f"source written to {written}" in app.said[-1][0]


def test_pull_command_asks_before_loading_an_unsafe_pickle(qtbot, app, demo, tmp_path):
    from tests.gui.test_pull_and_dialogs import EVIL_HASH, _plant_hostile_version

    canary = tmp_path / "canary"
    _plant_hostile_version(demo, canary)
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    with qtbot.waitSignal(app.error, timeout=WAIT):
        cmds.PullCommand("Evil", EVIL_HASH).do(app)
    [(kind, name, h, exc)] = app.prompts.asked
    assert (kind, name, h) == ("confirm_unsafe", "Evil", EVIL_HASH) and isinstance(exc, UnsafePickleError)
    assert isinstance(app.failures[-1][0], UnsafePickleError)
    assert not canary.exists()


def test_refresh_command_relists(qtbot, app, demo):
    _opened(qtbot, app, OpenTarget(project_dir=str(demo)))
    assert app.session.model.class_info("MovingAverage") is None
    fresh_manager(demo).push(["MovingAverage"])  # a teammate pushes behind the window's back
    with qtbot.waitSignal(app.session.statuses_updated, timeout=WAIT):
        cmds.RefreshCommand().do(app)
    assert len(app.session.model.class_info("MovingAverage").versions) == 1
    assert app.session.model.statuses()["MovingAverage"] == "synced"
