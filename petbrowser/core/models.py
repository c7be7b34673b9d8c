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
