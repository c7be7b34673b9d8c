"""Plain data the core hands to the CLI and the GUI.

Frozen dataclasses with JSON-ready ``to_json()``: field names follow the JSON
contract of DESIGN.md so the CLI's ``--json`` output is ``to_json()`` as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only: models stay importable without the diff engine
    from petbrowser.core.diff import ClassDiff, Row


@dataclass(frozen=True)
class ObjectInfo:
    """One object of a listing: its key relative to the store root."""

    key: str
    size: int
    modified: float | None = None  # POSIX seconds, when the backend knows it
    etag: str | None = None


@dataclass(frozen=True)
class Pointer:
    """A parsed ``latest.json``.

    ``encoding`` is ``"json"`` or ``"pickle"`` (LabChain's pickled dict) and is
    kept when the pointer moves.  ``token`` is the backend's compare-and-swap
    token (ETag on S3, a content digest on disk).
    """

    hash: str
    class_name: str
    encoding: str = "json"
    token: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    previous: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionInfo:
    """One stored version of a class, known from the listing plus its sidecar."""

    class_name: str
    hash: str
    size: int
    has_meta: bool
    by_reference: bool | None = None  # None: not known yet (no meta, not sniffed)
    pushed_at: str | None = None  # ISO 8601 UTC, from meta or the object's mtime
    pushed_by: str | None = None
    python_version: str | None = None
    hash_scheme: str | None = None
    meta: dict[str, Any] | None = None  # the parsed .meta.json, when fetched

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "pushed_at": self.pushed_at,
            "pushed_by": self.pushed_by,
            "python_version": self.python_version,
            "size": self.size,
            "has_meta": self.has_meta,
            "by_reference": self.by_reference,
            "hash_scheme": self.hash_scheme,
        }


@dataclass(frozen=True)
class ClassInfo:
    """A class of the store: its versions (newest first) and its pointer."""

    name: str
    versions: tuple[VersionInfo, ...]
    latest: str | None  # hash the pointer names, None when there is no pointer
    pointer: Pointer | None = None
    problems: tuple[str, ...] = ()  # e.g. a corrupt pointer, reported, not raised

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "latest": self.latest,
            "versions": [v.to_json() for v in self.versions],
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One pointer move, as recorded under ``<Class>/history/``."""

    at: str  # ISO 8601 UTC
    action: str  # push | rollback | undo | redo
    from_hash: str | None
    to_hash: str
    by: str  # user@host
    class_name: str = ""
    key: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "action": self.action,
            "from": self.from_hash,
            "to": self.to_hash,
            "by": self.by,
        }


# -------------------------------------------------------------- time travel
# Results of core/timeline.py, core/restore.py, core/undo.py, core/blame.py
# and core/watch.py: what ``log --all``, ``restore``, ``undo``/``redo``,
# ``blame`` and ``watch`` print, and what the window lists.


@dataclass(frozen=True)
class Timeline:
    """Every recorded pointer move of the store, newest first.

    Within one class the order is the order the moves really happened in
    (each move starts where the one before it ended), even when the writers'
    clocks disagree; classes are merged by recorded time.
    """

    entries: tuple[HistoryEntry, ...]
    classes: tuple[str, ...]  # every class of the store
    without_history: tuple[str, ...]  # classes with no record at all (LabChain's)
    first_record_at: str | None  # the store's earliest record, ISO 8601 UTC
    since: str | None = None

    def to_json(self) -> list[dict[str, Any]]:
        """The contract's ``log --all --json``: one object per move with its ``class``."""
        return [{**e.to_json(), "class": e.class_name} for e in self.entries]


@dataclass(frozen=True)
class CodeChanges:
    """What moving a pointer changes in the class, read from metadata or a static walk."""

    methods: tuple[tuple[str, str], ...] = ()  # (method, added | removed | changed)
    attributes: tuple[tuple[str, str], ...] = ()  # (attribute, added | removed | changed)
    note: str | None = None  # why the list may be incomplete ("no code captured", ...)

    @property
    def empty(self) -> bool:
        return not self.methods and not self.attributes

    def summary(self) -> str:
        """One line: ``~fit, +inverse, -apply; attributes ~threshold``."""
        mark = {"added": "+", "removed": "-", "changed": "~"}
        parts = [", ".join(mark[s] + n for n, s in self.methods)] if self.methods else []
        if self.attributes:
            parts.append("attributes " + ", ".join(mark[s] + n for n, s in self.attributes))
        text = "; ".join(parts) or "no code change"
        return f"{text} ({self.note})" if self.note else text

    def to_json(self) -> dict[str, Any]:
        return {
            "methods": [{"name": n, "status": s} for n, s in self.methods],
            "attributes": [{"name": n, "status": s} for n, s in self.attributes],
            "note": self.note,
        }


@dataclass(frozen=True)
class RestoreStep:
    """One class of a restore plan: its pointer now, and where it was at the moment."""

    class_name: str
    now: str | None  # the pointer as read while planning: the move's CAS expectation
    then: str  # the pointer at the moment
    changes: CodeChanges | None = None  # None when nothing moves

    @property
    def moves(self) -> bool:
        return self.now != self.then

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.class_name,
            "now": self.now,
            "then": self.then,
            "moves": self.moves,
            "changes": self.changes.to_json() if self.changes is not None else None,
        }


@dataclass(frozen=True)
class RestoreSkip:
    """A class a restore leaves alone, and why.

    ``reason``: ``no_history`` (no record at all), ``created_after`` (its first
    record, which created the pointer, is after the moment), ``no_record_before``
    (records start after the moment), ``unreadable`` (pointer or records).
    """

    class_name: str
    reason: str
    message: str
    first_record_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.class_name,
            "reason": self.reason,
            "message": self.message,
            "first_record_at": self.first_record_at,
        }


@dataclass(frozen=True)
class RestorePlan:
    """Every class's pointer at ``at``, computed from the recorded history."""

    at: str  # ISO 8601 UTC
    steps: tuple[RestoreStep, ...]
    skipped: tuple[RestoreSkip, ...]
    first_record_at: str | None  # the store's earliest record (None: no records at all)

    @property
    def moves(self) -> tuple[RestoreStep, ...]:
        return tuple(s for s in self.steps if s.moves)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "first_record_at": self.first_record_at,
            "steps": [s.to_json() for s in self.steps],
            "skipped": [s.to_json() for s in self.skipped],
        }


@dataclass(frozen=True)
class MoveOutcome:
    """What happened to one class in a batch of pointer moves.

    ``status``: ``moved``, ``conflict`` (the pointer was not ``from_hash``:
    nothing changed; ``actual`` says where it is), or ``failed`` (``message``).
    """

    class_name: str
    from_hash: str | None
    to_hash: str
    status: str
    message: str = ""
    actual: str | None = None
    entry: HistoryEntry | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.class_name,
            "from": self.from_hash,
            "to": self.to_hash,
            "status": self.status,
            "message": self.message,
            "actual": self.actual,
        }


@dataclass(frozen=True)
class MoveBatch:
    """A set of pointer moves made as one step (a restore, or its undo or redo).

    Undoing a batch moves every ``moved`` pointer back by compare-and-swap:
    see ``core.restore.reverse_batch``.
    """

    action: str  # restore | undo | redo
    outcomes: tuple[MoveOutcome, ...]
    at: str | None = None  # the moment a restore went back to

    @property
    def moved(self) -> tuple[MoveOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "moved")

    @property
    def conflicts(self) -> tuple[MoveOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "conflict")

    @property
    def failed(self) -> tuple[MoveOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "at": self.at,
            "outcomes": [o.to_json() for o in self.outcomes],
        }


@dataclass(frozen=True)
class UndoState:
    """Where ``undo``/``redo`` of one class would go, from its recorded history.

    ``undo`` is the move the next undo reverts (None: nothing to undo),
    ``redo`` the move the next redo re-applies (None: nothing to redo).
    """

    class_name: str
    undo: HistoryEntry | None
    redo: HistoryEntry | None

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.class_name,
            "undo": self.undo.to_json() if self.undo else None,
            "redo": self.redo.to_json() if self.redo else None,
        }


@dataclass(frozen=True)
class MethodChange:
    """One version in which a method's normalized bytecode (or signature, kind) changed.

    ``change``: ``added``, ``changed``, ``renamed`` (``old_name`` says from
    what; ``what`` is empty when only the name changed) or ``removed``.
    """

    hash: str
    pushed_at: str | None
    pushed_by: str | None
    change: str
    name: str  # the method's name in this version (removed: the name it had)
    old_name: str | None = None
    what: tuple[str, ...] = ()  # bytecode | signature | kind | python
    previous: str | None = None  # the version compared against: diff previous..hash

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "previous": self.previous,
            "pushed_at": self.pushed_at,
            "pushed_by": self.pushed_by,
            "change": self.change,
            "name": self.name,
            "old_name": self.old_name,
            "what": list(self.what),
        }


@dataclass(frozen=True)
class MethodHistory:
    """One method through every version of its class, followed across renames."""

    name: str  # its name in the newest version that has it
    present: bool  # still in the newest version
    names: tuple[str, ...]  # every name it had, newest first
    changes: tuple[MethodChange, ...]  # newest first

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "present": self.present,
            "names": list(self.names),
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Blame:
    """``blame CLASS``: per method, the versions in which it changed."""

    class_name: str
    versions: tuple[str, ...]  # the versions read, oldest pushed first
    methods: tuple[MethodHistory, ...]
    notes: tuple[str, ...] = ()  # versions skipped, Python changes

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.class_name,
            "versions": list(self.versions),
            "methods": [m.to_json() for m in self.methods],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class StoreChange:
    """One change ``watch`` saw another writer make.

    ``kind``: ``latest_moved`` (``hash`` is where latest points now, ``from_hash``
    where it was; ``recorded`` when a history record backs it), ``version_added``,
    ``version_removed``, ``pointer_removed`` or ``class_removed``.  ``at`` and
    ``by`` are what the writer recorded (None when it recorded nothing).
    """

    kind: str
    class_name: str
    hash: str | None = None
    from_hash: str | None = None
    by: str | None = None
    at: str | None = None
    action: str | None = None
    recorded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "class": self.class_name,
            "hash": self.hash,
            "from": self.from_hash,
            "by": self.by,
            "at": self.at,
            "action": self.action,
            "recorded": self.recorded,
        }


@dataclass(frozen=True)
class StatusEntry:
    """A local class against the store (status values of DESIGN.md)."""

    name: str
    status: str  # synced | behind | out_of_sync | untracked | remote_only
    local_hash: str | None
    latest: str | None
    module: str | None = None
    hash_scheme: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "local_hash": self.local_hash,
            "latest": self.latest,
            "status": self.status,
            "hash_scheme": self.hash_scheme,
        }


@dataclass(frozen=True)
class VerifyIssue:
    """One finding of ``verify``: ``level`` is ``problem`` (exit 4) or ``warning``."""

    level: str
    key: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "key": self.key, "message": self.message}


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    issues: tuple[VerifyIssue, ...]

    @property
    def problems(self) -> list[VerifyIssue]:
        return [i for i in self.issues if i.level == "problem"]

    @property
    def warnings(self) -> list[VerifyIssue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "problems": [i.to_json() for i in self.problems],
            "warnings": [i.to_json() for i in self.warnings],
        }


# ------------------------------------------------------------------ shown to people
#: How many hex characters of a hash people see: in the CLI, the window and messages.
SHORT_HASH = 12


def short_hash(h: str | None) -> str:
    """The form of a hash shown to people ("" for none): one rule everywhere."""
    return (h or "")[:SHORT_HASH]


@dataclass(frozen=True)
class VersionFlags:
    """What a static walk of one version's pickle tells the tree without a selection:
    unsafe to load, pickled by reference, and the Python read from its bytecode."""

    class_name: str
    hash: str
    unsafe: bool
    by_reference: bool
    python: str | None = None


@dataclass(frozen=True)
class LocalStatus:
    """The local classes against the store, and the files that answer depends on.

    ``files`` are the module files the scan imported plus the configured module
    paths (so a module that fails to import is still watched for the fix).
    """

    entries: tuple[StatusEntry, ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class MethodRows:
    """One method's bytecode, side by side: what the diff's bytecode mode lists."""

    name: str
    header_a: str  # "" when the method is absent on that side
    header_b: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class DiffResult:
    """Two versions of one class compared, with the rows a side-by-side view paints.

    ``a`` and ``b`` are the describe dicts (docs/internals.md) of the old and the
    new side; ``notes`` say what the code alone does not (unsafe, by reference,
    digest mismatch).  Rows are computed with the comparison, off the UI thread.
    """

    class_name: str
    a_label: str
    b_label: str
    a: dict[str, Any]
    b: dict[str, Any]
    class_diff: ClassDiff
    notes: tuple[str, ...]
    source_rows: tuple[Row, ...]
    bytecode: tuple[MethodRows, ...]
