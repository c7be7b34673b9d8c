"""PetClassManager: the one facade the CLI and the GUI call.

It mirrors LabChain's ``PetClassManager`` (``get_class_hash``,
``check_status``, ``persist_class``, ``push``, ``pull``, ``recover_class``,
``_get_remote_latest_meta``) but never holds a user class in this process:
classes are named, and everything that needs them runs in a child process of
the project's interpreter (``petbrowser.core.child``).  Every method is a
single blocking call, safe to run on a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from petbrowser.core.models import ClassInfo, HistoryEntry, StatusEntry, VerifyReport, VersionInfo
from petbrowser.core.storage.base import Storage
from petbrowser.core.store import ANY, Store

if TYPE_CHECKING:
    from datetime import datetime

    from petbrowser.core.models import Blame, MoveBatch, RestorePlan, Timeline, UndoState
    from petbrowser.core.watch import StoreWatcher

__all__ = ["PetClassManager", "ANY"]


class PetClassManager:
    """Browse and steer one store, optionally against one local project."""

    def __init__(self, storage: Storage, project: Any | None = None, *, user: str | None = None) -> None:
        self.storage = storage
        self.store = Store(storage, user=user)
        self.project = project

    # ------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        project_dir: str | Path | None = None,
        *,
        storage: str | None = None,
        modules: Sequence[str] | None = None,
        python: str | None = None,
        timeout: float | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        region: str | None = None,
    ) -> PetClassManager:
        """Open the project's store, flags overriding the project's settings."""
        from petbrowser.core.project import Project
        from petbrowser.core.storage import open_storage

        project = Project.load(
            project_dir, storage=storage, modules=modules, python=python, timeout=timeout
        )
        st = open_storage(
            project.storage_url, endpoint_url=endpoint_url, profile=profile, region=region
        )
        return cls(st, project)

    # ------------------------------------------------------ storage side
    def _get_remote_latest_meta(self, class_name: str) -> dict[str, str] | None:
        """LabChain's call: ``{"hash", "class_name"}`` of the pointer, or None."""
        ptr = self.store.read_pointer(class_name)
        if ptr is None:
            return None
        return {"hash": ptr.hash, "class_name": ptr.class_name}

    def list_classes(self, on_class: Callable[[ClassInfo], None] | None = None) -> list[ClassInfo]:
        return self.store.list_classes(on_class=on_class)

    def list_versions(self, name: str) -> list[VersionInfo]:
        return list(self.store.get_class(name).versions)

    def history(self, name: str) -> list[HistoryEntry]:
        return self.store.history(name)

    def move_latest(
        self, name: str, to_hash: str, expected: str | None | object = ANY, action: str = "rollback"
    ) -> HistoryEntry:
        return self.store.move_latest(name, to_hash, expected, action=action)

    def resolve(self, name: str, ref: str) -> str:
        return self.store.resolve(name, ref)

    def verify(self, on_progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        return self.store.verify(on_progress=on_progress)

    # -------------------------------------------------------- time travel
    @staticmethod
    def parse_time(text: str) -> datetime:
        """A moment a person named: ISO 8601 (local unless it says otherwise) or ``3d``/``2h``."""
        from petbrowser.core.times import parse_when

        return parse_when(text)

    def timeline(self, since: datetime | None = None, classes: Sequence[str] | None = None) -> Timeline:
        """Every recorded pointer move of the store, newest first (``log --all``)."""
        from petbrowser.core.timeline import build_timeline

        return build_timeline(self.store, since=since, classes=classes)

    def plan_restore(self, at: datetime, classes: Sequence[str] | None = None) -> RestorePlan:
        """Where each class's latest was at ``at`` and what moving it back changes; moves nothing."""
        from petbrowser.core.restore import plan_restore

        return plan_restore(self.store, at, classes)

    def execute_restore(self, plan: RestorePlan) -> MoveBatch:
        """Move every pointer of ``plan`` back (compare-and-swap each, action ``restore``)."""
        from petbrowser.core.restore import execute_restore

        return execute_restore(self.store, plan)

    def reverse_moves(self, batch: MoveBatch, action: str = "undo") -> MoveBatch:
        """Take a batch (a restore, or its undo) back as one step: ``undo`` or ``redo``."""
        from petbrowser.core.restore import reverse_batch

        return reverse_batch(self.store, batch, action)

    def undo_state(self, name: str) -> UndoState:
        """What ``undo_latest``/``redo_latest`` of ``name`` would move, from its history."""
        from petbrowser.core.undo import undo_state

        return undo_state(name, self.store.history(name))

    def undo_latest(self, name: str) -> HistoryEntry:
        """Revert the last not-yet-undone move of ``name`` (CAS, recorded ``undo``)."""
        from petbrowser.core.undo import undo_class

        return undo_class(self.store, name)

    def redo_latest(self, name: str) -> HistoryEntry:
        """Re-apply the move the last undo of ``name`` reverted (CAS, recorded ``redo``)."""
        from petbrowser.core.undo import redo_class

        return redo_class(self.store, name)

    def blame(self, name: str, method: str | None = None) -> Blame:
        """Per method, the versions in which its normalized bytecode changed."""
        from petbrowser.core.blame import blame

        return blame(self.store, name, method)

    def watcher(self) -> StoreWatcher:
        """A poller of this store's changes: one listing per ``poll()`` when nothing changed."""
        from petbrowser.core.watch import StoreWatcher

        return StoreWatcher(self.store)

    # -------------------------------------------------------- class side
    def _require_project(self) -> Any:
        if self.project is None:
            from petbrowser.core.errors import ConfigError

            raise ConfigError("this needs a project folder (use --project DIR)")
        return self.project

    def scan(self, modules: Sequence[str] | None = None) -> list[Any]:
        """The local classes of the project's module(s), hashed in a child process."""
        from petbrowser.core import snapshots

        return snapshots.scan(self._require_project(), modules)

    def get_class_hash(self, class_name: str, modules: Sequence[str] | None = None) -> str:
        """The local class's hash under the project's scheme (pb1 by default)."""
        from petbrowser.core import snapshots

        return snapshots.get_class_hash(self._require_project(), class_name, modules)

    def check_status(
        self, modules: Sequence[str] | None = None, classes: Sequence[ClassInfo] | None = None
    ) -> list[StatusEntry]:
        from petbrowser.core import snapshots

        return snapshots.check_status(self.store, self._require_project(), modules, classes)

    def persist_class(self, class_name: str, modules: Sequence[str] | None = None) -> str:
        """Upload the class's version if absent; does not move ``latest``."""
        from petbrowser.core import snapshots

        return snapshots.persist_class(self.store, self._require_project(), class_name, modules)

    def push(
        self, names: Sequence[str] | None = None, modules: Sequence[str] | None = None, all_: bool = False
    ) -> list[Any]:
        from petbrowser.core import snapshots

        return snapshots.push(self.store, self._require_project(), names, modules, all_=all_)

    def pull(
        self,
        class_name: str,
        code_hash: str | None = None,
        *,
        restore_dir: str | Path | None = None,
        force: bool = False,
        allow_unsafe: bool = False,
    ) -> Any:
        from petbrowser.core import snapshots

        return snapshots.pull(
            self.store,
            self.project,
            class_name,
            code_hash,
            restore_dir=restore_dir,
            force=force,
            allow_unsafe=allow_unsafe,
        )

    def recover_class(self, class_name: str, code_hash: str) -> Any:
        return self.pull(class_name, code_hash)

    # -------------------------------------------------- inspection, diff
    def inspect(self, class_name: str, ref: str = "latest") -> Any:
        """What a version holds, from its metadata or a static walk of its pickle."""
        from petbrowser.core import inspection

        return inspection.inspect_version(self.store, class_name, self.resolve(class_name, ref))

    def diff(self, class_name: str, a: str, b: str | None = None) -> Any:
        """Structural diff between two refs (hash, prefix, ``latest``, ``local``)."""
        from petbrowser.core import inspection

        return inspection.diff_refs(self, class_name, a, b)
