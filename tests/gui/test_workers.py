"""TaskRunner: results, errors and partial batches arrive on the UI thread;
cancelled tasks deliver nothing."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from petbrowser.core.errors import ConflictError, PetBrowserError
from petbrowser.gui.workers import TaskRunner

WAIT = 10000


def test_result_and_partials_arrive_on_the_ui_thread(qtbot):
    runner = TaskRunner()
    ui_thread = QThread.currentThread()
    seen: dict = {"partials": [], "threads": set()}

    def work(ctx):
        seen["worker"] = threading.get_ident()
        for i in range(500):
            ctx.partial(i)
        return "done"

    def on_partial(batch):
        seen["threads"].add(QThread.currentThread() is ui_thread)
        seen["partials"].extend(batch)

    def on_result(value):
        seen["threads"].add(QThread.currentThread() is ui_thread)
        seen["result"] = value

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda label: label == "", timeout=WAIT):
        runner.submit(work, label="counting", on_partial=on_partial, on_result=on_result)
    assert seen["result"] == "done"
    assert seen["partials"] == list(range(500))  # all of them, in order
    assert seen["threads"] == {True}
    assert seen["worker"] != threading.get_ident()


def test_typed_errors_pass_through_and_bugs_become_messages(qtbot):
    runner = TaskRunner()
    errors = []

    def conflict(ctx):
        raise ConflictError("moved", expected="a", actual="b")

    def bug(ctx):
        return {}["missing"]

    for fn in (conflict, bug):
        with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda label: label == "", timeout=WAIT):
            runner.submit(fn, label="x", on_error=errors.append)
    assert isinstance(errors[0], ConflictError) and errors[0].actual == "b"
    assert isinstance(errors[1], PetBrowserError)
    assert errors[1].message.startswith("unexpected error: KeyError")
    assert "Traceback" in errors[1].detail


def test_a_cancelled_task_delivers_nothing(qtbot):
    runner = TaskRunner()
    go = threading.Event()
    got = []

    def work(ctx):
        go.wait(5)
        ctx.partial(1)  # a checkpoint: raises Cancelled
        return "late"

    task = runner.submit(work, label="slow", on_result=got.append, on_partial=got.append, on_error=got.append)
    assert runner.is_busy()
    runner.cancel_all()
    assert not runner.is_busy() and runner.current_label() == ""
    go.set()
    qtbot.waitUntil(lambda: not runner.active, timeout=WAIT)
    assert task.cancelled and got == []


def test_a_task_that_outlives_its_window_ends_quietly(qtbot):
    """Quit while a task runs: its thread finishes later, with the window (and the
    signals' Qt object) gone; it must end without a traceback on stderr."""
    import shiboken6

    from petbrowser.gui.workers import Task

    task = Task(lambda ctx: 42, "Checking local classes", cancellable=True)
    shiboken6.delete(task.signals)  # what closing the window did to it
    task.run()  # raised "Signal source has been deleted" in the worker before
    assert task.cancelled
