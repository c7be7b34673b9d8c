"""Every user action of the window is one command object (git-cola's ``cmds.py``).

A command is built on the UI thread with what the action needs (the class,
the hashes, the folder the user picked).  Its ``run`` makes one
``PetClassManager`` call and runs on a worker (``calls.CommandRunner``), never
on the UI thread; its ``do`` starts it and applies the answer to the
:class:`AppContext` (the session's model, the undo history, the message bar).
The menu, the toolbar, the context menu and the shortcut all trigger the same
``QAction``, whose slot builds the command and calls ``do``.

Commands that move ``latest`` (make latest, push) leave a
:class:`~petbrowser.gui.undo.Move` in the per-class undo history, so Ctrl+Z
moves the pointer back by compare-and-swap.  Questions (which store, pull
options, an informed yes) go through :class:`~petbrowser.gui.prompts.Prompts`,
which tests replace.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from petbrowser.core.errors import ConfigError, PetBrowserError, UnsafePickleError
from petbrowser.core.models import short_hash
from petbrowser.gui.calls import Command
from petbrowser.gui.open_target import OpenTarget
from petbrowser.gui.undo import Move
from petbrowser.gui.workers import Task, TaskContext

if TYPE_CHECKING:
    from petbrowser.core.manager import (
        Blame,
        ClassDiff,
        DiffResult,
        HistoryEntry,
        InspectResult,
        Opening,
        PetClassManager,
        PullResult,
        PushResults,
        RestorePlan,
        Timeline,
    )
    from petbrowser.gui.diff_layout import Layout
    from petbrowser.gui.prompts import Prompts
    from petbrowser.gui.session import Session
    from petbrowser.gui.undo import UndoHistory

__all__ = [
    "AppContext",
    "BlameCommand",
    "RestoreCommand",
    "TimelineCommand",
    "ChooseStoreCommand",
    "Command",
    "CompareCommand",
    "CreateDemoCommand",
    "HistoryCommand",
    "InspectCommand",
    "MakeLatestCommand",
    "OpenCommand",
    "PullCommand",
    "PushCommand",
    "PUSHABLE",
    "RefreshCommand",
    "RestoreSourceCommand",
    "demo_dir",
    "is_older",
]

class AppContext(QObject):
    """What commands act on, and how they report: one per window.

    ``message(text, level, detail)`` and ``error(exc, context)`` reach the
    message bar; ``finished(kind)`` says an operation ("push", "pull",
    "move") completed.
    """

    message = Signal(str, str, str)
    error = Signal(object, str)
    finished = Signal(str)

    def __init__(self, session: Session, history: UndoHistory, prompts: Prompts, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.history = history
        self.prompts = prompts
        session.error.connect(self.fail)  # one channel for every error the user sees
        history.failed.connect(lambda exc: self.fail(exc, "Moving latest"))
        history.conflict.connect(self._on_conflict)
        history.moved.connect(self._on_moved)

    def execute(self, cmd: Command, **callbacks: Any) -> Task | None:
        return self.session.commands.execute(cmd, **callbacks)

    def say(self, text: str, level: str = "info", detail: str = "") -> None:
        self.message.emit(text, level, detail)

    def fail(self, exc: BaseException, context: str = "") -> None:
        self.error.emit(exc, context)

    def _on_moved(self, _name: str, text: str) -> None:
        if text:
            self.say(text)
        self.finished.emit("move")
        self.session.refresh()

    def _on_conflict(self, exc: PetBrowserError) -> None:
        self.fail(exc, "Moving latest")
        self.session.refresh()


#: Statuses a push changes (a selected class in another status is not pushed).
PUSHABLE = ("out_of_sync", "untracked", "behind", "ahead")


# ------------------------------------------------------------------ opening
class OpenCommand(Command):
    """Open a project and/or a store (the project folder is walked once)."""

    needs_manager = False

    def __init__(self, target: OpenTarget) -> None:
        self.target = target
        self.label = f"Opening {target.label}"

    def run(self, manager: PetClassManager | None, ctx: TaskContext) -> Opening:
        from petbrowser.core.manager import PetClassManager

        t = self.target
        return PetClassManager.open_target(
            t.project_dir, storage=t.storage, endpoint_url=t.endpoint_url, profile=t.profile, region=t.region
        )

    def do(self, app: AppContext) -> None:
        app.execute(self, on_result=lambda o: self.opened(app, o), on_error=lambda e: app.fail(e, self.label))

    def opened(self, app: AppContext, opening: Opening) -> None:
        if opening.manager is not None:
            app.session.open(opening.manager, self.target)
            return
        if not opening.stores:  # DESIGN: no store configured -> offer the ones inside, if any
            app.fail(
                ConfigError(
                    f"{self.target.project_dir} sets no store and holds none: set 'storage' in "
                    "[tool.petbrowser] of its pyproject.toml, or use File ▸ Open store…"
                ),
                self.label,
            )
            return
        chosen = app.prompts.choose_store(str(self.target.project_dir), list(opening.stores))
        if chosen:
            ChooseStoreCommand(opening, chosen, self.target).do(app)


class ChooseStoreCommand(Command):
    """Open the store the user picked for a project already loaded."""

    needs_manager = False

    def __init__(self, opening: Opening, store: str, target: OpenTarget) -> None:
        self.opening, self.store = opening, store
        self.target = replace(target, storage=store)
        self.label = f"Opening {self.target.label}"

    def run(self, manager: PetClassManager | None, ctx: TaskContext) -> PetClassManager:
        return self.opening.choose(self.store)

    def do(self, app: AppContext) -> None:
        app.execute(
            self,
            on_result=lambda m: app.session.open(m, self.target),
            on_error=lambda e: app.fail(e, self.label),
        )


def demo_dir() -> Path:
    """Where ``--demo`` creates the demo (the user data folder, as ``petbrowser demo``)."""
    from petbrowser.core.manager import PetClassManager

    return PetClassManager.demo_dir()


class CreateDemoCommand(Command):
    """Create the demo (once) under ``dest``, then open it."""

    label = "Creating the demo"
    cancellable = False
    needs_manager = False

    def __init__(self, dest: Path) -> None:
        self.dest = dest

    def run(self, manager: PetClassManager | None, ctx: TaskContext) -> Path:
        from petbrowser.core.manager import PetClassManager

        return PetClassManager.create_demo(self.dest)

    def do(self, app: AppContext) -> None:
        app.execute(
            self,
            on_result=lambda project: OpenCommand(OpenTarget(project_dir=str(project))).do(app),
            on_error=lambda e: app.fail(e, self.label),
        )


# ------------------------------------------------------------------ reading
class RefreshCommand(Command):
    """Reload the listing (incrementally), then the local statuses (F5)."""

    label = "Refreshing"

    def do(self, app: AppContext) -> None:
        app.session.refresh()


class InspectCommand(Command):
    """What one version holds, without unpickling it."""

    def __init__(self, name: str, code_hash: str) -> None:
        self.name, self.hash = name, code_hash
        self.label = f"Inspecting {name} {short_hash(code_hash)}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> InspectResult:
        return manager.inspect(self.name, self.hash)


class HistoryCommand(Command):
    """Every recorded move of a class's latest pointer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.label = f"Reading the history of {name}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> list[HistoryEntry]:
        return manager.history(self.name)


class CompareCommand(Command):
    """Two refs of a class compared and laid out side by side, all on the worker."""

    def __init__(self, name: str, a: str, b: str) -> None:
        self.name, self.a, self.b = name, a, b
        self.label = f"Comparing {name}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> tuple[DiffResult, dict[str, Layout]]:
        from petbrowser.gui.diff_layout import build_layouts

        result = manager.compare(self.name, self.a, self.b)
        ctx.check()
        return result, build_layouts(result)


# ------------------------------------------------------------- pointer moves
def is_older(a: Any, b: Any) -> bool | None:
    """Whether version ``a`` was pushed before ``b`` (None: unknown or the same second)."""
    if a is None or b is None or not a.pushed_at or not b.pushed_at or a.pushed_at == b.pushed_at:
        return None
    return a.pushed_at < b.pushed_at


class MakeLatestCommand(Command):
    """Show what changes (the diff of the two versions), confirm, then move latest (undoable)."""

    def __init__(self, name: str, to_hash: str) -> None:
        self.name, self.to_hash = name, to_hash
        self.from_hash: str | None = None
        self.label = f"Comparing {name}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> ClassDiff:
        return manager.diff(self.name, str(self.from_hash), self.to_hash)

    def do(self, app: AppContext) -> None:
        info = app.session.model.class_info(self.name)
        self.from_hash = info.latest if info else None
        if self.from_hash == self.to_hash:
            app.say(f"{short_hash(self.to_hash)} is already the latest of {self.name}.")
            return
        if self.from_hash is None:
            self.confirm(app, None, "the class has no latest pointer yet")
            return
        app.execute(
            self,
            on_result=lambda d: self.confirm(app, d, None),
            on_error=lambda exc: self.confirm(app, None, exc.message),
        )

    def confirm(self, app: AppContext, class_diff: ClassDiff | None, error: str | None) -> None:
        from petbrowser.gui.confirm_move import ConfirmMoveDialog

        info = app.session.model.class_info(self.name)
        versions = {v.hash: v for v in (info.versions if info else ())}
        before, after = versions.get(self.from_hash or ""), versions.get(self.to_hash)
        backwards = is_older(after, before)
        dialog = ConfirmMoveDialog(
            self.name, self.from_hash, self.to_hash,
            from_version=before, to_version=after,
            class_diff=class_diff, diff_error=error, backwards=backwards, parent=app.prompts.parent,
        )  # fmt: skip
        if app.prompts.confirm_move(dialog):
            kind = {True: "roll back", False: "roll forward", None: "move"}[backwards]
            app.history.move(Move(self.name, self.from_hash, self.to_hash, kind))


class PushCommand(Command):
    """Push the named local classes, or every class that is not synced; each
    push that moved ``latest`` becomes an undoable move of that class."""

    cancellable = False

    def __init__(self, names: list[str]) -> None:
        self.names = list(dict.fromkeys(names))
        self.label = f"Pushing {', '.join(self.names) if self.names else 'every out-of-sync class'}"

    @classmethod
    def for_selection(cls, classes: list[str], session: Session) -> PushCommand:
        """The selected classes a push changes; none of them: every class not synced."""
        statuses = session.model.statuses()
        return cls([n for n in classes if statuses.get(n) in PUSHABLE])

    def run(self, manager: PetClassManager, ctx: TaskContext) -> PushResults:
        return manager.push(self.names or None, all_=not self.names)

    @staticmethod
    def moves(results: PushResults) -> list[Move]:
        """The pointer moves a push made that can be undone (a first push has nothing to go back to)."""
        return [Move(r.name, r.from_hash, r.hash, "push") for r in results.moved if r.from_hash]

    def do(self, app: AppContext) -> None:
        from petbrowser.gui.confirm_push import confirm_push

        statuses = app.session.model.statuses()
        names = self.names or [n for n, s in statuses.items() if s in PUSHABLE]
        if not names:
            app.say("Nothing to push: every local class is in the store.")
            return
        confirm_push(app, names, lambda chosen: self.start(app, chosen))

    def start(self, app: AppContext, names: list[str]) -> None:
        """Push exactly the classes the confirmation listed."""
        self.names, self.label = names, f"Pushing {', '.join(names)}"
        app.execute(self, on_result=lambda r: self.done(app, r), on_error=lambda e: self.failed(app, e))

    def done(self, app: AppContext, results: PushResults) -> None:
        for move in self.moves(results):
            app.history.record(move)
        parts = [f"{r.name} {r.status} {short_hash(r.hash)}" for r in results]
        undo = " (Ctrl+Z moves latest back)" if self.moves(results) else ""
        app.say(
            "Pushed: " + ("; ".join(parts) if parts else "nothing to do") + undo,
            "warning" if results.warnings else "info",
            "\n".join(results.warnings),  # e.g. pb1 pushed into a LabChain store
        )
        app.finished.emit("push")
        app.session.refresh()

    def failed(self, app: AppContext, exc: PetBrowserError) -> None:
        app.fail(exc, "Pushing")
        app.session.refresh()


# ---------------------------------------------------------------------- pull
class PullCommand(Command):
    """Verify a version and rebuild it in the project's interpreter (optionally
    writing its source into a folder); a flagged pickle needs an informed yes."""

    cancellable = False

    def __init__(self, name: str, code_hash: str, restore_dir: str | None = None, *, allow_unsafe: bool = False) -> None:
        self.name, self.hash, self.restore_dir, self.allow_unsafe = name, code_hash, restore_dir, allow_unsafe
        self.label = f"Pulling {name} {short_hash(code_hash)}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> PullResult:
        return manager.pull(self.name, self.hash, restore_dir=self.restore_dir, allow_unsafe=self.allow_unsafe)

    def do(self, app: AppContext) -> None:
        app.execute(self, on_result=lambda r: self.done(app, r), on_error=lambda e: self.failed(app, e))

    def done(self, app: AppContext, result: PullResult) -> None:
        lines = [f"Pulled {self.name} {short_hash(self.hash)}"]
        if result.verified:
            lines.append("digest verified")
        else:
            lines.append("no digest could be checked (no metadata)")
        lines.append(f"{len(result.methods)} methods rebuilt")
        if result.restored_path:
            lines.append(f"source written to {result.restored_path}")
        app.say(", ".join(lines), "warning" if result.warnings else "info", "\n".join(result.warnings))
        app.finished.emit("pull")

    def failed(self, app: AppContext, exc: PetBrowserError) -> None:
        if isinstance(exc, UnsafePickleError) and not self.allow_unsafe:
            if app.prompts.confirm_unsafe(self.name, self.hash, exc):
                type(self)(self.name, self.hash, self.restore_dir, allow_unsafe=True).do(app)
                return
        app.fail(exc, f"Pulling {self.name}")


class RestoreSourceCommand(PullCommand):
    """Pull a version and write its captured source into a folder of the project."""

    def __init__(self, name: str, code_hash: str, restore_dir: str, *, allow_unsafe: bool = False) -> None:
        super().__init__(name, code_hash, restore_dir, allow_unsafe=allow_unsafe)
        self.label = f"Restoring the source of {name} {short_hash(code_hash)}"


# ---------------------------------------------------------------- time travel
class TimelineCommand(Command):
    """Every recorded pointer move of the store, newest first (the Timeline dock)."""

    label = "Reading the store's timeline"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> Timeline:
        return manager.timeline()


class RestoreCommand(Command):
    """Plan putting every class's latest back where it was at a moment (on a worker),
    show the plan, and on yes restore: one undo step (``UndoHistory.restore``)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.label = "Planning the restore"

    @classmethod
    def right_after(cls, entry: HistoryEntry) -> RestoreCommand:
        """The store as it was right after a recorded move (that move included)."""
        from petbrowser.core.manager import PetClassManager

        at = PetClassManager.parse_stamp(entry.at)
        if at is None:
            raise ConfigError(f"the move of {entry.class_name} has no readable time ({entry.at!r})")
        return cls(at)

    def run(self, manager: PetClassManager, ctx: TaskContext) -> RestorePlan:
        return manager.plan_restore(self.at)

    def do(self, app: AppContext) -> None:
        app.execute(self, on_result=lambda plan: self.confirm(app, plan), on_error=lambda e: app.fail(e, self.label))

    def confirm(self, app: AppContext, plan: RestorePlan) -> None:
        from petbrowser.gui.format import moment_text
        from petbrowser.gui.restore_dialog import RestorePlanDialog

        def version(name: str, h: str | None) -> Any:
            info = app.session.model.class_info(name)
            return next((v for v in info.versions if v.hash == h), None) if info and h else None

        moment = moment_text(plan.at)
        dialog = RestorePlanDialog(plan, versions=version, moment=moment, parent=app.prompts.parent)
        if app.prompts.confirm_restore(dialog) and dialog.can_restore:
            app.history.restore(plan, moment)


class BlameCommand(Command):
    """The versions in which one method (under any name it had) changed."""

    def __init__(self, name: str, method: str) -> None:
        self.name, self.method = name, method
        self.label = f"Reading the history of {name}.{method}"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> Blame:
        return manager.blame(self.name, self.method)
