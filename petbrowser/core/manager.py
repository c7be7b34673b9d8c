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
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

# Every result type the facade returns is a dataclass of core.models (imported
# here at run time, so ``from petbrowser.core.manager import X`` names them too).
from petbrowser.core.models import (
    Blame,
    ClassDescription,
    ClassDiff,
    ClassInfo,
    DiffResult,
    HistoryEntry,
    InspectResult,
    LocalClass,
    LocalHashes,
    LocalStatus,
    MoveBatch,
    PullResult,
    PushResult,
    PushResults,
    RestorePlan,
    Row,
    SchemeChoice,
    StatusEntry,
    Timeline,
    UndoState,
    VerifyReport,
    VersionFlags,
    VersionInfo,
)
from petbrowser.core.storage.base import Storage
from petbrowser.core.store import ANY, Store

if TYPE_CHECKING:
    from petbrowser.core.project import Project
    from petbrowser.core.watch import StoreWatcher

__all__ = [
    "ANY",
    "Blame",
    "ClassDescription",
    "ClassDiff",
    "ClassInfo",
    "DiffResult",
    "HistoryEntry",
    "InspectResult",
    "LocalClass",
    "LocalHashes",
    "LocalStatus",
    "MoveBatch",
    "Opening",
    "PetClassManager",
    "PullResult",
    "PushResult",
    "PushResults",
    "RestorePlan",
    "Row",
    "SchemeChoice",
    "StatusEntry",
    "Timeline",
    "UndoState",
    "VerifyReport",
    "VersionFlags",
    "VersionInfo",
]


def _module_files(project: Project, scanned: Sequence[str]) -> tuple[str, ...]:
    """The files a status depends on: what the scan imported, plus the configured
    module paths (so a module that currently fails to import is still watched)."""
    files = {str(Path(f).resolve()) for f in scanned if f}
    root = Path(project.root)
    for spec in project.modules or []:
        if spec.endswith(".py"):
            candidates = [root / spec]
        else:
            rel = Path(*spec.split("."))
            candidates = [root / f"{rel}.py", root / rel / "__init__.py", root / "src" / f"{rel}.py"]
        files.update(str(c.resolve()) for c in candidates if c.is_file())
    return tuple(sorted(files))


def _no_store() -> Exception:
    """The error of a store call on a manager opened without one: what opening would have said."""
    from petbrowser.core.errors import ConfigError
    from petbrowser.core.storage import NO_STORE_MESSAGE

    return ConfigError(NO_STORE_MESSAGE)


@dataclass(frozen=True)
class Opening:
    """What opening a project or store found: a ready manager, or the stores to pick from.

    A project that names no store is loaded once; :meth:`choose` opens the
    picked store for that same loaded project (no second walk of the folder).
    """

    manager: PetClassManager | None
    project: Project | None = None
    stores: tuple[str, ...] = ()
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None

    def choose(self, store: str) -> PetClassManager:
        """The manager of ``store`` (one of :attr:`stores`, or any URL) for this project."""
        from petbrowser.core.storage import open_storage

        st = open_storage(store, endpoint_url=self.endpoint_url, profile=self.profile, region=self.region)
        project = replace(self.project, storage_url=store) if self.project is not None else None
        return PetClassManager(st, project)


class PetClassManager:
    """Browse and steer one store, optionally against one local project.

    Without a store (``open(..., require_store=False)`` on a project that
    configures none) the local side still works (``scan``, ``local_hashes``);
    anything that reads the store raises the ConfigError opening would have.
    """

    def __init__(
        self, storage: Storage | None, project: Project | None = None, *, user: str | None = None
    ) -> None:
        self._storage = storage
        self._store = Store(storage, user=user) if storage is not None else None
        self.project = project

    @property
    def storage(self) -> Storage:
        """The byte-level store (a folder or an S3 prefix)."""
        if self._storage is None:
            raise _no_store()
        return self._storage

    @property
    def store(self) -> Store:
        """Classes, versions, pointers and history on top of :attr:`storage`."""
        if self._store is None:
            raise _no_store()
        return self._store

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
        hash_scheme: str | None = None,
        require_store: bool = True,
    ) -> PetClassManager:
        """Open the project's store, flags overriding the project's settings.

        ``require_store=False``: a project that configures no store still opens,
        for what needs only its classes (``local_hashes``).
        """
        from petbrowser.core.project import Project
        from petbrowser.core.storage import open_storage

        project = Project.load(
            project_dir,
            storage=storage,
            modules=modules,
            python=python,
            timeout=timeout,
            hash_scheme=hash_scheme,
        )
        if project.storage_url is None and not require_store:
            return cls(None, project)
        st = open_storage(
            project.storage_url,
            endpoint_url=endpoint_url,
            profile=profile,
            region=region,
            timeout=project.storage_timeout,
        )
        return cls(st, project)

    @classmethod
    def open_target(
        cls,
        project_dir: str | Path | None = None,
        *,
        storage: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        region: str | None = None,
    ) -> Opening:
        """Open a project and/or a store, walking the project folder once.

        A project with no store configured anywhere is not an error here: the
        answer lists the local stores found inside it (DESIGN: "offers what it
        finds") and :meth:`Opening.choose` opens the one picked.
        """
        from petbrowser.core.storage import open_storage

        where = {"endpoint_url": endpoint_url, "profile": profile, "region": region}
        if project_dir is None:
            if not storage:
                from petbrowser.core.errors import ConfigError

                raise ConfigError("nothing to open: name a project folder or a store")
            return Opening(cls(open_storage(storage, **where), None), **where)
        from petbrowser.core.project import Project

        project = Project.load(project_dir, storage=storage)
        if project.storage_url is None:
            stores = tuple(str(p) for p in project.find_local_stores())
            return Opening(None, project, stores, **where)
        return Opening(cls(open_storage(project.storage_url, **where), project), project, **where)

    @staticmethod
    def check_store(
        url: str, *, endpoint_url: str | None = None, profile: str | None = None, region: str | None = None
    ) -> str:
        """Check that a store exists and can be read; returns its URL (credentials stripped)."""
        from petbrowser.core.storage import open_storage

        st = open_storage(url, endpoint_url=endpoint_url, profile=profile, region=region)
        st.check()
        return st.url

    @staticmethod
    def demo_dir() -> Path:
        """Where the demo lives unless told otherwise: the user data folder."""
        from platformdirs import user_data_dir

        return Path(user_data_dir("petbrowser", "petbrowser")) / "demo"

    @staticmethod
    def create_demo(dest: str | Path | None = None) -> Path:
        """Create (once) the demo project and store under ``dest`` (default :meth:`demo_dir`);
        its project folder."""
        from petbrowser.core.demo import create_demo

        return create_demo(Path(dest) if dest is not None else PetClassManager.demo_dir())

    # ------------------------------------------------------------ naming
    @property
    def name(self) -> str:
        """What a title bar calls this: the project's name, else the store's URL."""
        if self.project is not None and self.project.name:
            return self.project.name
        return self.store_url

    @property
    def store_url(self) -> str:
        """The store's URL as shown to people (credentials stripped)."""
        return self._storage.url if self._storage is not None else ""

    @property
    def project_root(self) -> Path | None:
        return Path(self.project.root) if self.project is not None else None

    @property
    def has_modules(self) -> bool:
        """Whether there are local classes to hash: a project naming its module(s)."""
        return self.project is not None and bool(self.project.modules)

    @staticmethod
    def parse_stamp(text: str | None) -> datetime | None:
        """A store timestamp (ISO 8601 UTC, as versions and history record it) as a datetime."""
        from petbrowser.core.times import parse_utc

        return parse_utc(text)

    def check(self) -> None:
        """Raise unless the store exists and can be read: reading a missing store is an error
        (DESIGN), while a push may create it."""
        self.storage.check()

    # ------------------------------------------------------ storage side
    def _get_remote_latest_meta(self, class_name: str) -> dict[str, str] | None:
        """LabChain's call: ``{"hash", "class_name"}`` of the pointer, or None."""
        ptr = self.store.read_pointer(class_name)
        if ptr is None:
            return None
        return {"hash": ptr.hash, "class_name": ptr.class_name}

    def list_classes(
        self,
        on_class: Callable[[ClassInfo], None] | None = None,
        *,
        provisional: bool = False,
        before_reads: Callable[[], None] | None = None,
    ) -> list[ClassInfo]:
        """Every class of the store; ``on_class`` streams them as they complete
        (``provisional``: also each class as the listing alone knows it, before its
        reads, and ``before_reads`` then runs before the first read)."""
        return self.store.list_classes(on_class=on_class, provisional=provisional, before_reads=before_reads)

    def class_info(self, name: str) -> ClassInfo:
        """One class of the store: its versions (newest first), pointer and problems."""
        return self.store.get_class(name)

    def list_versions(self, name: str) -> list[VersionInfo]:
        return list(self.class_info(name).versions)

    def history(self, name: str) -> list[HistoryEntry]:
        return self.store.history(name)

    def move_latest(
        self, name: str, to_hash: str, expected: str | None | object = ANY, action: str = "rollback"
    ) -> HistoryEntry:
        return self.store.move_latest(name, to_hash, expected, action=action)

    def resolve(self, name: str, ref: str) -> str:
        return self.store.resolve(name, ref)

    # ------------------------------------------------ LabChain round trip
    def pointers_to_repair(self) -> list[str]:
        """Classes whose ``latest.json`` LabChain cannot read (petbrowser 0.1.0's JSON)."""
        return [
            c.name
            for c in self.store.list_classes(with_meta=False)
            if c.pointer is not None and c.pointer.encoding == "json"
        ]

    def repair_pointer(self, name: str, expected: str | None | object = ANY) -> HistoryEntry:
        """Rewrite ``name``'s JSON pointer as LabChain's pickled dict (CAS, action ``repair``).

        ``key == ""`` in the result: the pointer already was readable, nothing written.
        """
        return self.store.repair_pointer(name, expected)

    def hash_scheme(self, explicit: str | None = None) -> SchemeChoice:
        """The scheme that names new versions in this store, and why (``snapshots.choose_scheme``)."""
        from petbrowser.core import snapshots

        return snapshots.choose_scheme(self.store, self._require_project(), explicit)

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
    def _require_project(self) -> Project:
        if self.project is None:
            from petbrowser.core.errors import ConfigError

            raise ConfigError("this needs a project folder (use --project DIR)")
        return self.project

    def scan(self, modules: Sequence[str] | None = None) -> list[LocalClass]:
        """The local classes of the project's module(s), hashed in a child process."""
        from petbrowser.core import snapshots

        return snapshots.scan(self._require_project(), modules)

    def get_class_hash(self, class_name: str, modules: Sequence[str] | None = None) -> str:
        """The local class's hash under the project's scheme (pb1 by default)."""
        from petbrowser.core import snapshots

        return snapshots.get_class_hash(self._require_project(), class_name, modules)

    def local_hashes(self, modules: Sequence[str] | None = None) -> LocalHashes:
        """The local classes hashed under both schemes, and the scheme a push would name
        them by now, with why.  Hashing needs no store: one that cannot be read only
        costs the answer its scheme (pb1, with a warning)."""
        from petbrowser.core.errors import PetBrowserError

        project = self._require_project()
        classes = tuple(self.scan(modules))
        if project.hash_scheme_set:
            why = "chosen by --hash-scheme or the project's hash_scheme"
            return LocalHashes(classes, project.hash_scheme, why)
        if self._storage is None:
            return LocalHashes(classes, "pb1", "no store configured")
        try:
            choice = self.hash_scheme()
        except PetBrowserError as exc:
            warning = f"the store could not be read ({exc.message}); showing pb1"
            return LocalHashes(classes, "pb1", "the store could not be read", warning)
        if choice.labchain_store:
            return LocalHashes(classes, choice.scheme, f"a store LabChain also writes: {choice.labchain_store}")
        return LocalHashes(classes, choice.scheme, "a store only petbrowser writes")

    def check_status(
        self,
        modules: Sequence[str] | None = None,
        classes: Sequence[ClassInfo] | None = None,
        hash_scheme: str | None = None,
    ) -> list[StatusEntry]:
        from petbrowser.core import snapshots

        return snapshots.check_status(
            self.store, self._require_project(), modules, classes, hash_scheme=hash_scheme
        )

    def local_status(self, classes: Sequence[ClassInfo] | None = None) -> LocalStatus:
        """Statuses plus the files they were computed from, in one scan (one child process)."""
        from petbrowser.core import snapshots

        project = self._require_project()
        scanned = snapshots.scan(project)
        entries = snapshots.check_status(self.store, project, classes=classes, scanned=scanned)
        return LocalStatus(tuple(entries), _module_files(project, [c.file or "" for c in scanned]))

    def module_files(self) -> tuple[str, ...]:
        """The configured module files that exist (what to watch when a scan failed)."""
        return _module_files(self._require_project(), [])

    def persist_class(self, class_name: str, modules: Sequence[str] | None = None) -> str:
        """Upload the class's version if absent; does not move ``latest``."""
        from petbrowser.core import snapshots

        return snapshots.persist_class(self.store, self._require_project(), class_name, modules)

    def push(
        self,
        names: Sequence[str] | None = None,
        modules: Sequence[str] | None = None,
        all_: bool = False,
        hash_scheme: str | None = None,
    ) -> PushResults:
        """One result per class, plus ``warnings`` said once (e.g. pb1 into LabChain's store)."""
        from petbrowser.core import snapshots

        return snapshots.push(
            self.store, self._require_project(), names, modules, all_=all_, hash_scheme=hash_scheme
        )

    def pull(
        self,
        class_name: str,
        code_hash: str | None = None,
        *,
        restore_dir: str | Path | None = None,
        force: bool = False,
        allow_unsafe: bool = False,
    ) -> PullResult:
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

    def recover_class(self, class_name: str, code_hash: str) -> PullResult:
        return self.pull(class_name, code_hash)

    # -------------------------------------------------- inspection, diff
    def inspect(self, class_name: str, ref: str = "latest") -> InspectResult:
        """What a version holds, from its metadata or a static walk of its pickle."""
        from petbrowser.core import inspection

        return inspection.inspect_version(self.store, class_name, self.resolve(class_name, ref))

    def diff(
        self, class_name: str, a: str, b: str | None = None, *, modules: Sequence[str] | None = None
    ) -> ClassDiff:
        """Structural diff between two refs (hash, prefix, ``latest``, ``local``); ``b``
        defaults to ``local`` when there are local classes, else ``latest``."""
        from petbrowser.core import inspection

        return inspection.diff_refs(self, class_name, a, b, modules=modules)

    def compare(self, class_name: str, a: str, b: str) -> DiffResult:
        """Two refs compared (``a`` the old side) with the rows a side-by-side view paints."""
        from petbrowser.core.compare import compare_refs

        return compare_refs(self, class_name, a, b)

    @staticmethod
    def compare_describes(
        a: ClassDescription, b: ClassDescription, a_label: str = "A", b_label: str = "B"
    ) -> DiffResult:
        """Two descriptions compared, as :meth:`compare` does for stored versions."""
        from petbrowser.core.compare import compare_describes

        return compare_describes(a, b, a_label, b_label)

    @staticmethod
    def compare_texts(a_text: str | None, b_text: str | None) -> tuple[Row, ...]:
        """Two plain texts paired line by line (changed pairs with character spans)."""
        from petbrowser.core.compare import text_rows

        return text_rows(a_text, b_text)

    def check_pickles(
        self,
        versions: Sequence[tuple[str, str]],
        on_flags: Callable[[VersionFlags], None] | None = None,
    ) -> list[VersionFlags]:
        """Walk the pickles of ``(class, hash)`` statically, for the tree's badges and
        Python column.  A version that cannot be read is skipped (its own inspection
        reports why)."""
        from petbrowser.core.errors import PetBrowserError

        out = []
        for name, h in versions:
            try:
                result = self.inspect(name, h)
            except PetBrowserError:
                continue
            flags = VersionFlags(
                name, h, bool(result.unsafe), result.by_reference, result.describe.python_version
            )
            out.append(flags)
            if on_flags is not None:
                on_flags(flags)
        return out
