"""Plain data the core hands to the CLI and the GUI: every answer of ``PetClassManager``.

Records (``core.structs``: msgspec structs, frozen but for the diff a
comparison builds up) with JSON-ready ``to_json()``; the high-volume ones
(listing, history and status rows) are not tracked by the cyclic garbage
collector, as they hold only plain data.  Field names follow
the JSON contract of DESIGN.md so the CLI's ``--json`` output is
``to_json()`` as is.  The type is the documentation:
callers read attributes, never string keys (docs/internals.md, "Typed
results").  The last section holds the one rule each for how people read a
hash, a size and a time, shared by the CLI and the window.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from petbrowser.core.structs import Struct, asdict, field
from petbrowser.core.times import parse_utc

if TYPE_CHECKING:  # for annotations only: models stay importable without the pickle scanner
    from petbrowser.core.safe_pickle import PickleReport


class ObjectInfo(Struct, frozen=True, gc=False):
    """One object of a listing: its key relative to the store root."""

    key: str
    size: int
    modified: float | None = None  # POSIX seconds, when the backend knows it
    etag: str | None = None


class Pointer(Struct, frozen=True, gc=False):
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


class VersionInfo(Struct, frozen=True, gc=False):
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


class ClassInfo(Struct, frozen=True, gc=False):
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


class HistoryEntry(Struct, frozen=True, gc=False):
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


class Timeline(Struct, frozen=True):
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


class CodeChanges(Struct, frozen=True):
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


class RestoreStep(Struct, frozen=True):
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


class RestoreSkip(Struct, frozen=True):
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


class RestorePlan(Struct, frozen=True):
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


class MoveOutcome(Struct, frozen=True):
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


class MoveBatch(Struct, frozen=True):
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


class UndoState(Struct, frozen=True):
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


class MethodChange(Struct, frozen=True):
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


class MethodHistory(Struct, frozen=True):
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


class Blame(Struct, frozen=True):
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


class StoreChange(Struct, frozen=True):
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


class StatusEntry(Struct, frozen=True, gc=False):
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


class VerifyIssue(Struct, frozen=True):
    """One finding of ``verify``: ``level`` is ``problem`` (exit 4) or ``warning``."""

    level: str
    key: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "key": self.key, "message": self.message}


class VerifyReport(Struct, frozen=True):
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


class VersionFlags(Struct, frozen=True, gc=False):
    """What a static walk of one version's pickle tells the tree without a selection:
    unsafe to load, pickled by reference, and the Python read from its bytecode."""

    class_name: str
    hash: str
    unsafe: bool
    by_reference: bool
    python: str | None = None


class LocalStatus(Struct, frozen=True):
    """The local classes against the store, and the files that answer depends on.

    ``files`` are the module files the scan imported plus the configured module
    paths (so a module that fails to import is still watched for the fix).
    """

    entries: tuple[StatusEntry, ...]
    files: tuple[str, ...]


class MethodRows(Struct, frozen=True):
    """One method's bytecode, side by side: what the diff's bytecode mode lists."""

    name: str
    header_a: str  # "" when the method is absent on that side
    header_b: str
    rows: tuple[Row, ...]


class DiffResult(Struct, frozen=True):
    """Two versions of one class compared, with the rows a side-by-side view paints.

    ``a`` and ``b`` describe the old and the new side; ``notes`` say what the
    code alone does not (unsafe, by reference, digest mismatch).  Rows are
    computed with the comparison, off the UI thread.
    """

    class_name: str
    a_label: str
    b_label: str
    a: ClassDescription
    b: ClassDescription
    class_diff: ClassDiff
    notes: tuple[str, ...]
    source_rows: tuple[Row, ...]
    bytecode: tuple[MethodRows, ...]


# ------------------------------------------------------------ a class described
def _text(value: Any) -> str | None:
    """A field of untrusted JSON that should be text: the text, else None."""
    return value if isinstance(value, str) else None


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


class MethodInfo(Struct, frozen=True):
    """One entry of a description's method table.

    ``kind``: ``function``, ``property``, ``staticmethod``, ``classmethod``, or
    ``code`` for nested code (a lambda, a comprehension, an inner function)
    keyed ``parent/<name>``.  ``disassembly`` is normalized text (no line
    numbers or addresses), so equal text means equal code.
    """

    kind: str | None
    signature: str | None
    disassembly: str | None

    @classmethod
    def from_json(cls, doc: Any) -> MethodInfo:
        """Read leniently: a sidecar is data anyone could have edited."""
        if not isinstance(doc, Mapping):
            return cls(None, None, None)
        return cls(_text(doc.get("kind")), _text(doc.get("signature")), _text(doc.get("disassembly")))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "signature": self.signature, "disassembly": self.disassembly}

    def header(self, name: str) -> str:
        """``# name(signature)  [kind]``: the line shown above this method's bytecode."""
        return f"# {name}{self.signature or ''}  [{self.kind or 'function'}]"


class ClassDescription(Struct, frozen=True):
    """What a version of a class holds: the typed "describe" dict of docs/internals.md.

    Made once from the dict where it arrives (the agent's answer, the scan
    worker's report, a ``.meta.json``) by :meth:`from_json`; everything after
    that reads attributes, never string keys.  ``globals`` (the names a pickle
    references) is None unless the version was walked statically;
    ``by_reference`` says the pickle only names ``module.qualname``.
    """

    class_name: str | None = None
    module: str | None = None
    qualname: str | None = None
    bases: tuple[str, ...] = ()
    python_version: str | None = None
    source: str | None = None
    methods: Mapping[str, MethodInfo] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    globals: tuple[str, ...] | None = None
    by_reference: bool = False

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ClassDescription:
        """The description in a describe dict (or a sidecar that holds one); extra keys are ignored."""
        methods = doc.get("methods")
        attributes = doc.get("attributes")
        globals_ = doc.get("globals")
        return cls(
            class_name=_text(doc.get("class_name")),
            module=_text(doc.get("module")),
            qualname=_text(doc.get("qualname")),
            bases=_names(doc.get("bases")),
            python_version=_text(doc.get("python_version")),
            source=_text(doc.get("source")),
            methods={str(k): MethodInfo.from_json(v) for k, v in methods.items()}
            if isinstance(methods, Mapping)
            else {},
            attributes={str(k): v if isinstance(v, str) else str(v) for k, v in attributes.items()}
            if isinstance(attributes, Mapping)
            else {},
            globals=_names(globals_) if isinstance(globals_, list | tuple) else None,
            by_reference=doc.get("by_reference") is True,
        )

    def to_json(self) -> dict[str, Any]:
        """The describe dict, built by the agent's one builder (``agent.describe.describe_dict``)."""
        from petbrowser.core.agent.describe import describe_dict

        return describe_dict(
            class_name=self.class_name,
            module=self.module,
            qualname=self.qualname,
            bases=self.bases,
            python_version=self.python_version,
            source=self.source,
            methods={k: m.to_json() for k, m in self.methods.items()},
            attributes=dict(self.attributes),
            globals=self.globals,
            by_reference=self.by_reference,
        )

    @property
    def defined_as(self) -> str:
        """``module.qualname`` as far as known (``?`` for what is not)."""
        return f"{self.module or '?'}.{self.qualname or self.class_name or '?'}"


# ------------------------------------------------------------------------ diffs
class Row(Struct, frozen=True):
    """One row of a side-by-side view; spans are ``(start, end)`` character ranges."""

    kind: str  # equal | replace | insert | delete
    left: str | None
    right: str | None
    left_spans: list[tuple[int, int]] = field(default_factory=list)
    right_spans: list[tuple[int, int]] = field(default_factory=list)


class MethodDiff(Struct):
    """One method across the two sides."""

    name: str
    status: str  # added | removed | changed | unchanged
    kind: str | None
    kind_change: tuple[str | None, str | None] | None = None
    signature_change: tuple[str | None, str | None] | None = None
    bytecode_diff: list[str] = field(default_factory=list)
    source_diff: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "kind": self.kind,
            "kind_change": list(self.kind_change) if self.kind_change else None,
            "signature_change": list(self.signature_change) if self.signature_change else None,
            "bytecode_diff": list(self.bytecode_diff),
            "source_diff": list(self.source_diff),
        }


class ClassDiff(Struct):
    """What changed between two versions of a class; see ``core.diff.diff_describe``."""

    class_name: str | None
    a_label: str
    b_label: str
    python_mismatch: str | None = None
    identity_changes: list[str] = field(default_factory=list)  # module / qualname moves
    bases_changed: tuple[list[str], list[str]] | None = None
    attributes_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    attributes_added: dict[str, str] = field(default_factory=dict)
    attributes_removed: dict[str, str] = field(default_factory=dict)
    methods: list[MethodDiff] = field(default_factory=list)
    source_diff: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "B is flagged unsafe: ..."
    #: A side pickled by reference holds no code to compare: said in one line each.
    no_code: list[str] = field(default_factory=list)

    @property
    def changed_methods(self) -> list[MethodDiff]:
        return [m for m in self.methods if m.status != "unchanged"]

    @property
    def has_changes(self) -> bool:
        """True when the code differs; a source diff of formatting alone does not count."""
        return bool(
            self.identity_changes
            or self.bases_changed
            or self.attributes_changed
            or self.attributes_added
            or self.attributes_removed
            or self.changed_methods
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "class_name": self.class_name,
            "a": self.a_label,
            "b": self.b_label,
            "has_changes": self.has_changes,
            "python_mismatch": self.python_mismatch,
            "identity_changes": list(self.identity_changes),
            "bases_changed": (
                {"old": self.bases_changed[0], "new": self.bases_changed[1]}
                if self.bases_changed
                else None
            ),
            "attributes": {
                "changed": {
                    k: {"old": o, "new": n} for k, (o, n) in self.attributes_changed.items()
                },
                "added": dict(self.attributes_added),
                "removed": dict(self.attributes_removed),
            },
            "methods": [m.to_json() for m in self.methods],
            "source_diff": list(self.source_diff),
            "notes": list(self.notes),
            "no_code": list(self.no_code),
        }

    def format_text(self, source: bool = True, bytecode: bool = True) -> str:
        """Human-readable report; ``"no changes"`` when the code is the same."""
        out = [f"{self.class_name or '?'}: {self.a_label} -> {self.b_label}"]
        if self.python_mismatch:
            out.append(f"note: {self.python_mismatch}")
        if self.no_code:
            out.extend(f"note: {n}" for n in self.notes if "pickled by reference" not in n)
            out.extend(self.no_code)
            out.extend(f"changed: {c}" for c in self.identity_changes)
            return "\n".join(out)
        out.extend(f"note: {n}" for n in self.notes)
        if not self.has_changes:
            suffix = (
                " (the source differs only in formatting, comments or docstrings)"
                if self.source_diff
                else ""
            )
            out.append("no changes" + suffix)
            return "\n".join(out)
        out.extend(f"changed: {c}" for c in self.identity_changes)
        if self.bases_changed:
            old, new = self.bases_changed
            out.append(f"bases: ({', '.join(old)}) -> ({', '.join(new)})")
        for name, (old, new) in self.attributes_changed.items():
            out.append(f"~ attribute {name}: {old} -> {new}")
        out.extend(f"+ attribute {n} = {v}" for n, v in self.attributes_added.items())
        out.extend(f"- attribute {n} = {v}" for n, v in self.attributes_removed.items())
        for m in self.changed_methods:
            mark = {"added": "+", "removed": "-", "changed": "~"}[m.status]
            out.append(f"{mark} {m.kind or 'method'} {m.name} ({m.status})")
            if m.kind_change:
                out.append(f"    kind: {m.kind_change[0]} -> {m.kind_change[1]}")
            if m.signature_change:
                out.append(f"    signature: {m.signature_change[0]} -> {m.signature_change[1]}")
            if source and m.source_diff:
                out.append("    source:")
                out.extend("      " + line for line in m.source_diff)
            if bytecode and m.bytecode_diff:
                out.append("    bytecode:")
                out.extend("      " + line for line in m.bytecode_diff)
        if source and self.source_diff and not any(m.source_diff for m in self.methods):
            out.append("class source:")
            out.extend("  " + line for line in self.source_diff)
        return "\n".join(out)


# ------------------------------------------------------------------ inspection
class InspectResult(Struct, frozen=True):
    """What one stored version holds, and whether loading it would be safe.

    ``describe`` comes from the sidecar when there is one, else from the
    static walk; ``unsafe`` always comes from the walk (never from a sidecar
    anyone could edit).  ``problems``: a digest mismatch, an unreadable pickle.
    """

    name: str
    hash: str
    describe: ClassDescription
    report: PickleReport
    by_reference: bool
    unsafe: tuple[str, ...]
    problems: tuple[str, ...] = ()
    has_meta: bool = False
    #: the scheme that named the version: the sidecar's, ``labchain`` without one
    hash_scheme: str | None = None
    cloudpickle_version: str | None = None

    @property
    def safe(self) -> bool:
        """Loading would call nothing beyond cloudpickle's machinery and the allowlist."""
        return not self.unsafe

    @property
    def ok(self) -> bool:
        return self.safe and not self.problems

    def notes(self, label: str) -> list[str]:
        """What a diff against this version must say besides the code, ``label`` naming it."""
        notes = []
        if self.unsafe:
            notes.append(f"{label} is flagged unsafe: loading it would call {'; '.join(self.unsafe[:6])}")
        notes += [f"{label}: {p}" for p in self.problems]
        if self.by_reference:
            notes.append(f"{label} is pickled by reference: no code captured")
        return notes

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hash": self.hash,
            "has_meta": self.has_meta,
            "by_reference": self.by_reference,
            "safe": self.safe,
            "unsafe": list(self.unsafe),
            "problems": list(self.problems),
            "globals": list(self.report.globals),
            "python_version": self.describe.python_version,
            "pickle": self.report.to_json(),
            "describe": self.describe.to_json(),
        }


# -------------------------------------------------- local classes, push, pull
class LocalClass(Struct, frozen=True):
    """A class defined in one of the project's modules, hashed by the child."""

    name: str
    module: str
    qualname: str
    file: str | None
    hash: str  # under the project's hash scheme
    hashes: dict[str, str]
    describe: ClassDescription
    spec: str | None = None  # the module as configured (a name or a .py path)
    # a .py script's class hashed as LabChain's `python script.py` defines it (module __main__)
    main_hashes: dict[str, str] = field(default_factory=dict)

    def to_json(self, scheme: str | None = None) -> dict[str, Any]:
        """``hash`` is the hash under ``scheme`` (the one in effect), beside both schemes' hashes."""
        scheme = scheme or ("pb1" if "pb1" in self.hashes else next(iter(self.hashes), "pb1"))
        return {
            "name": self.name,
            "module": self.module,
            "hash": self.hashes.get(scheme),
            "hash_scheme": scheme,
            "pb1_hash": self.hashes.get("pb1"),
            "labchain_hash": self.hashes.get("labchain"),
            "qualname": self.qualname,
            "file": self.file,
        }


class SchemeChoice(Struct, frozen=True):
    """The hash scheme that names new versions, and why.

    ``labchain_store`` says why, when LabChain also writes the store (None
    otherwise); ``explicit`` is True when the user chose the scheme.
    """

    scheme: str
    explicit: bool
    labchain_store: str | None = None

    @property
    def warning(self) -> str | None:
        """What pushing under this scheme does to LabChain's view, when that is bad."""
        if self.scheme != "pb1" or self.labchain_store is None:
            return None
        return (
            f"pushing pb1-named versions into a store LabChain also writes ({self.labchain_store}): "
            "LabChain's check_status will call these classes out_of_sync, because its "
            "get_class_hash names them differently; push with --hash-scheme labchain "
            '(or hash_scheme = "labchain" in [tool.petbrowser]) to name them as LabChain does'
        )


class LocalHashes(Struct, frozen=True):
    """The project's local classes hashed (``hash``), and the scheme a push would use now.

    ``why`` says where the scheme comes from; ``warning`` is set when the
    store could not be read to decide (the scheme then is pb1).
    """

    classes: tuple[LocalClass, ...]
    scheme: str
    why: str
    warning: str | None = None

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json(self.scheme) for c in self.classes]


class PushResult(Struct, frozen=True):
    """What a push did for one class.

    ``status``: ``pushed`` (new version, latest moved), ``moved`` (version
    already stored, latest moved to it), ``unchanged`` (already latest),
    ``repaired`` (latest already named it but the object was missing).
    """

    name: str
    hash: str
    created: bool
    moved: bool
    from_hash: str | None
    status: str
    hash_scheme: str = "pb1"  # the scheme that named the version

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class PushResults(Struct, frozen=True):
    """The results of one push, one per class, plus what the whole push warns about.

    Iterating it gives the per-class results; ``warnings`` are said once per
    push, not once per class (e.g. pb1 names pushed into LabChain's store).
    """

    results: tuple[PushResult, ...] = ()
    hash_scheme: str = "pb1"
    warnings: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[PushResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> PushResult:
        return self.results[index]

    @property
    def moved(self) -> tuple[PushResult, ...]:
        """The results whose push moved ``latest``."""
        return tuple(r for r in self.results if r.moved)

    def to_json(self) -> list[dict[str, Any]]:
        """The contract's ``push --json``: one object per class."""
        return [r.to_json() for r in self.results]


class PullResult(Struct, frozen=True):
    """A version checked and rebuilt in a child process."""

    name: str
    hash: str
    methods: dict[str, str | None]
    restored_path: Path | None
    verified: bool  # the .pkl digest matched its metadata
    hash_matches: bool | None = None  # the rebuilt class hashes to the version's hash
    warnings: list[str] = field(default_factory=list)
    clean: bool = True  # the default-deny static scan found nothing
    sandbox: str | None = None  # what the rebuild ran in ("bubblewrap"), None: no sandbox
    wrapped: bool = False  # LabChain's persist_class form, unwrapped before rebuilding

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)  # shallow: the containers are copied for the caller
        d["methods"], d["warnings"] = dict(self.methods), list(self.warnings)
        d["restored_path"] = str(self.restored_path) if self.restored_path else None
        return d


# -------------------------------------------------------------- shown to people
#: How many hex characters of a hash people see: in the CLI, the window and messages.
SHORT_HASH = 12


def short_hash(h: str | None) -> str:
    """The form of a hash shown to people ("" for none): one rule everywhere."""
    return (h or "")[:SHORT_HASH]


def format_size(n: int | None) -> str:
    """``512 B``, ``1.2 KB``, ``3.4 MB``: a size as people read it ("" when unknown)."""
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


#: How ``local_time`` writes a moment unless told otherwise.
LOCAL_TIME = "%Y-%m-%d %H:%M:%S %Z"


def local_time(stamp: str | None, fmt: str = LOCAL_TIME) -> str:
    """A store timestamp (ISO 8601 UTC) in this machine's local time ("" when unreadable)."""
    at = parse_utc(stamp)
    return at.astimezone().strftime(fmt) if at else ""


def relative_time(stamp: str | None, now: datetime | None = None) -> str:
    """``3 h ago``: how long since a store timestamp, for a list scanned at a glance."""
    at = parse_utc(stamp)
    if at is None:
        return ""
    now = now or datetime.now(timezone.utc)
    secs = (now - at).total_seconds()
    if secs < 0:
        # clock skew between machines: a few minutes read as "just now";
        # beyond that the date says more than "in the future" (and fits a column)
        return "just now" if secs > -300 else at.astimezone().strftime("%Y-%m-%d")
    if secs < 60:
        return "just now"
    for limit, div, unit in ((3600, 60, "min"), (86400, 3600, "h"), (86400 * 30, 86400, "d")):
        if secs < limit:
            return f"{int(secs // div)} {unit} ago"
    if secs < 86400 * 365:
        return f"{int(secs // (86400 * 30))} mo ago"
    return at.astimezone().strftime("%Y-%m-%d")


def moment_text(stamp: str | None, now: datetime | None = None) -> str:
    """A moment as people name it, in local time: "Tue 14:00" within the last
    week, "Tue 17 Nov 14:00" before that (with the year when it is not this one)."""
    at = parse_utc(stamp)
    if at is None:
        return ""
    local = at.astimezone()
    today = (now or datetime.now(timezone.utc)).astimezone()
    if 0 <= (today.date() - local.date()).days < 7:
        return local.strftime("%a %H:%M")
    if local.year == today.year:
        return local.strftime("%a %d %b %H:%M")
    return local.strftime("%a %d %b %Y %H:%M")
