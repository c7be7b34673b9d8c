"""Class snapshots: scan, status, push and pull (LabChain's PetClassManager verbs).

User classes never enter this process: hashing, pickling and rebuilding all
run in a child of the project's interpreter (``petbrowser.core.child``).  This
module decides what to ask the child, what to write to the store, and what a
status means.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from petbrowser.core.child import run_agent
from petbrowser.core.errors import (
    AlreadyExistsError,
    ConfigError,
    ConflictError,
    IntegrityError,
    NotFoundError,
    PetBrowserError,
    ProjectError,
    StoreNotFoundError,
    UnsafePickleError,
    UsageError,
)
from petbrowser.core.models import (
    ClassDescription,
    ClassInfo,
    LocalClass,
    PullResult,
    PushResult,
    PushResults,
    SchemeChoice,
    StatusEntry,
    VersionInfo,
    short_hash,
)
from petbrowser.core.pointer import written_by_petbrowser
from petbrowser.core.store.common import FATAL_ERRORS
from petbrowser.core.structs import replace
from petbrowser.core.times import parse_utc

__all__ = [
    "LocalClass",
    "PushResult",
    "PushResults",
    "PullResult",
    "SchemeChoice",
    "choose_scheme",
    "scan",
    "get_class_hash",
    "check_status",
    "persist_class",
    "push",
    "pull",
    "build_meta",
]

META_FORMAT = 1
#: The module of a class defined in a script run as ``python train.py``.
SCRIPT_MODULE = "__main__"


# --------------------------------------------------------------------- helpers
def _modules(project: Any, modules: Sequence[str] | None) -> list[str]:
    mods = list(modules or project.modules or [])
    if not mods:
        raise ConfigError(
            "no module to scan: pass --module M or set 'modules' in [tool.petbrowser]"
        )
    return mods


def _timeout(project: Any) -> float | None:
    return getattr(project, "timeout", None)


def _user(store: Any) -> str:
    user = getattr(store, "user", None)
    if isinstance(user, str) and user:
        return user
    try:
        name = getpass.getuser()
    except Exception:  # no login name in some containers
        name = "unknown"
    return f"{name}@{socket.gethostname()}"


def _now() -> str:
    """UTC ISO 8601 with milliseconds: versions pushed in one second still sort."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _version_scheme(v: VersionInfo) -> str | None:
    """The scheme a stored version's hash was computed with; None when unknown.

    A version without metadata was written by LabChain: its hash is LabChain's.
    """
    if not v.has_meta:
        return "labchain"
    if v.hash_scheme:
        return v.hash_scheme
    if v.meta and v.meta.get("hash_scheme"):
        return str(v.meta["hash_scheme"])
    return None


def _scheme_of(local: LocalClass, v: VersionInfo) -> str | None:
    """The version's scheme; when its sidecar was not read, the scheme under
    which the local class hashes to it (None if it does not)."""
    scheme = _version_scheme(v)
    if scheme is None:
        for hashes in (local.hashes, local.main_hashes):
            scheme = next((s for s, h in hashes.items() if h == v.hash), None)
            if scheme is not None:
                break
    return scheme


def _matches(local: LocalClass, v: VersionInfo) -> bool:
    """The local class is this version: under the version's scheme, as its own
    module or, for a .py script, as ``__main__`` (the hash covers the module
    name, so a match under ``main_hashes`` means the version says ``__main__``)."""
    scheme = _version_scheme(v)
    for hashes in (local.hashes, local.main_hashes):
        if scheme is None:
            if v.hash in hashes.values():
                return True
        elif hashes.get(scheme) == v.hash:
            return True
    return False


def listing_evidence(listing: Sequence[ClassInfo], store: Any = None) -> str | None:
    """Why a listed store looks written by LabChain too (as ``Store.labchain_evidence``).

    A version listed without a sidecar that is young may be one another
    petbrowser is pushing right now: with ``store``, its sidecar is waited
    for (``Store.sidecar_coming``) before the version counts as LabChain's.
    """
    for info in listing:
        for v in info.versions:
            if v.has_meta:
                continue
            if store is not None:
                when = parse_utc(v.pushed_at) if v.pushed_at else None
                if store.sidecar_coming(info.name, v.hash, when.timestamp() if when else None):
                    continue
            return f"version {short_hash(v.hash)} of {info.name} has no petbrowser metadata"
    for info in listing:
        if info.pointer is not None and not written_by_petbrowser(info.pointer):
            return f"latest.json of {info.name} was written by LabChain"
    return None


def choose_scheme(
    store: Any,
    project: Any,
    explicit: str | None = None,
    listing: Sequence[ClassInfo] | None = None,
    *,
    for_push: bool = False,
) -> SchemeChoice:
    """The scheme that names new versions (DESIGN.md, "hash schemes").

    ``explicit`` (``--hash-scheme``), else the project's ``hash_scheme`` when
    set, else ``labchain`` for a store LabChain also writes (so LabChain's own
    ``check_status`` agrees after a push), else ``pb1``.  ``listing`` (a
    listing with pointers the caller already has) saves reading the store.
    ``for_push``: a version seen without its sidecar that another petbrowser
    may be pushing right now is waited for (``listing_evidence``) -- a push
    that took it for LabChain's would store its class a second time; a
    status or a hash only reports, and never waits.
    """
    if explicit is not None:
        _check_scheme(explicit)
        scheme: str | None = explicit
    elif getattr(project, "hash_scheme_set", False):
        scheme = project.hash_scheme
    else:
        scheme = None
    if scheme == "labchain":
        return SchemeChoice("labchain", explicit=True)
    if listing is not None:
        evidence = listing_evidence(listing, store if for_push else None)
    else:
        evidence = store.labchain_evidence(wait=for_push)
    if scheme is None:
        return SchemeChoice("labchain" if evidence else "pb1", explicit=False, labchain_store=evidence)
    return SchemeChoice(scheme, explicit=True, labchain_store=evidence)


def _check_scheme(scheme: str) -> None:
    if scheme not in ("pb1", "labchain"):
        raise UsageError(f"unknown hash scheme {scheme!r} (choose pb1 or labchain)")


# ------------------------------------------------------------------------ scan
def scan(project: Any, modules: Sequence[str] | None = None) -> list[LocalClass]:
    """Every class defined in the module(s), hashed in the project's interpreter
    from the modules' source as it is on disk now (no bytecode cache is read
    or written: an edit within the same second is seen, the project untouched)."""
    mods = _modules(project, modules)
    answer = run_agent(
        {"op": "scan", "modules": mods},
        python=project.python,
        cwd=project.root,
        timeout=_timeout(project),
    )
    scheme = getattr(project, "hash_scheme", "pb1")
    return [
        LocalClass(
            name=c["name"],
            module=c["module"],
            qualname=c["qualname"],
            file=c.get("file"),
            hash=c["hashes"][scheme],
            hashes=dict(c["hashes"]),
            describe=ClassDescription.from_json(c.get("describe") or {}),
            spec=c.get("spec"),
            main_hashes=dict(c.get("main_hashes") or {}),
        )
        for c in answer["classes"]
    ]


def _find(classes: Sequence[LocalClass], name: str, mods: Sequence[str]) -> LocalClass:
    for c in classes:
        if c.name == name:
            return c
    raise NotFoundError(f"class '{name}' is not defined in module(s) {', '.join(mods)}")


def get_class_hash(project: Any, name: str, modules: Sequence[str] | None = None) -> str:
    """The local class's hash under the project's scheme (LabChain's ``get_class_hash``)."""
    mods = _modules(project, modules)
    return _find(scan(project, mods), name, mods).hash


# ---------------------------------------------------------------------- status
def _status_of(
    local: LocalClass,
    info: ClassInfo | None,
    default_scheme: str,
    pushed_at: Callable[[VersionInfo], datetime | None] | None = None,
) -> StatusEntry:
    if info is None or (not info.versions and info.latest is None):
        return StatusEntry(
            name=local.name,
            status="untracked",
            local_hash=local.hashes.get(default_scheme, local.hash),
            latest=None,
            module=local.module,
            hash_scheme=default_scheme,
        )
    by_hash = {v.hash: v for v in info.versions}
    latest_v = by_hash.get(info.latest) if info.latest else None
    # The scheme to report: the one the latest version used, else LabChain's for
    # a store without any metadata, else the project's.
    scheme = _scheme_of(local, latest_v) if latest_v is not None else None
    if scheme is None:
        scheme = default_scheme if any(v.has_meta for v in info.versions) else "labchain"
    if latest_v is not None and _matches(local, latest_v):
        status, local_hash = "synced", latest_v.hash
    else:
        match = next((v for v in info.versions if _matches(local, v)), None)
        if match is not None:
            status = "ahead" if _pushed_after(match, latest_v, pushed_at) else "behind"
            local_hash = match.hash
            scheme = _scheme_of(local, match) or scheme
        else:
            status, local_hash = "out_of_sync", local.hashes.get(scheme, local.hash)
    return StatusEntry(
        name=local.name,
        status=status,
        local_hash=local_hash,
        latest=info.latest,
        module=local.module,
        hash_scheme=scheme,
    )


def _pushed_after(
    v: VersionInfo,
    latest: VersionInfo | None,
    pushed_at: Callable[[VersionInfo], datetime | None] | None = None,
) -> bool:
    """True when ``v`` was pushed after ``latest`` (typical after a rollback: ``ahead``)."""
    if latest is None:
        return False
    when = pushed_at or (lambda x: parse_utc(x.pushed_at))
    at, latest_at = when(v), when(latest)
    return at is not None and latest_at is not None and at > latest_at


def _sidecar_time(known: dict[tuple[str, str], str | None]) -> Callable[[VersionInfo], datetime | None]:
    """When a version was pushed, to the millisecond: its sidecar's ``pushed_at``.

    A listing without sidecars only knows object times, to the second on S3
    (and as listed on disk), so two pushes within one second would tie; the
    sidecars are read (``known``, all at once) only for the two versions each
    ahead/behind answer compares.
    """

    def when(v: VersionInfo) -> datetime | None:
        stamp = v.meta.get("pushed_at") if v.meta is not None else known.get((v.class_name, v.hash))
        return parse_utc(str(stamp or "")) or parse_utc(v.pushed_at)

    return when


def _compared_versions(local: LocalClass, info: ClassInfo | None) -> list[VersionInfo]:
    """The versions whose push times decide ``ahead`` or ``behind`` for ``local``."""
    if info is None or not info.versions:
        return []
    by_hash = {v.hash: v for v in info.versions}
    latest_v = by_hash.get(info.latest) if info.latest else None
    if latest_v is None or _matches(local, latest_v):
        return []
    match = next((v for v in info.versions if _matches(local, v)), None)
    return [] if match is None else [v for v in (match, latest_v) if v.meta is None and v.has_meta]


def check_status(
    store: Any,
    project: Any,
    modules: Sequence[str] | None = None,
    classes: Sequence[ClassInfo] | None = None,
    scanned: Sequence[LocalClass] | None = None,
    hash_scheme: str | None = None,
) -> list[StatusEntry]:
    """Every local class against the store, plus the store's classes not found locally.

    Each class is compared under the scheme its stored versions used, so a
    LabChain-written store (no metadata) is judged with LabChain's hash;
    ``hash_scheme`` (else :func:`choose_scheme`) names the local hash of a
    class the store does not hold yet.
    ``classes`` lets a caller that already listed the store skip the listing.
    """
    local = list(scanned) if scanned is not None else scan(project, modules)  # scanned: no 2nd child
    # Hashes and pointers decide a status: the sidecars are not read (a
    # version with one is still known as such from the listing).
    listing = list(classes) if classes is not None else store.list_classes(with_meta=False)
    by_name = {c.name: c for c in listing}
    # An untracked class shows the hash a push would name it by.
    scheme = choose_scheme(store, project, hash_scheme, listing=listing).scheme
    when = _sidecar_time(
        store.pushed_times(
            (v.class_name, v.hash) for lc in local for v in _compared_versions(lc, by_name.get(lc.name))
        )
    )
    entries = []
    seen = set()
    for lc in local:
        if lc.name in seen:
            continue
        seen.add(lc.name)
        entries.append(_status_of(lc, by_name.get(lc.name), scheme, when))
    for info in listing:
        if info.name not in seen:
            entries.append(
                StatusEntry(
                    name=info.name, status="remote_only", local_hash=None, latest=info.latest
                )
            )
    return entries


# ------------------------------------------------------------------------ push
def build_meta(item: dict[str, Any], pkl: bytes, scheme: str, user: str) -> dict[str, Any]:
    """The ``<hash>.meta.json`` of docs/internals.md for one dumped class."""
    meta = dict(item.get("describe") or {})
    meta.update(
        {
            "format": META_FORMAT,
            "hash": item["hashes"][scheme],
            "hash_scheme": scheme,
            "hashes": dict(item["hashes"]),
            "cloudpickle_version": item.get("cloudpickle_version"),
            "pushed_at": _now(),
            "pushed_by": user,
            "pkl_sha256": hashlib.sha256(pkl).hexdigest(),
            "pkl_size": len(pkl),
            "by_reference": False,
        }
    )
    return meta


def _dump(
    project: Any, locals_: Sequence[LocalClass], as_main: Collection[str] = ()
) -> list[dict[str, Any]]:
    """Pickle the classes by value, one child per module (and per ``as_main``:
    the classes named there are pickled and hashed as ``__main__``)."""
    items: list[dict[str, Any]] = []
    by_module: dict[tuple[str, bool], list[LocalClass]] = {}
    for lc in locals_:
        by_module.setdefault((lc.spec or lc.module, lc.name in as_main), []).append(lc)
    for (spec, main), group in by_module.items():
        request: dict[str, Any] = {"op": "dump", "module": spec, "classes": [c.name for c in group]}
        if main:
            request["as_main"] = True
        answer = run_agent(request, python=project.python, cwd=project.root, timeout=_timeout(project))
        items.extend(answer["items"])
    return items


def _only(lc: LocalClass, *, main: bool) -> LocalClass:
    """``lc`` with only its ``__main__`` hashes (or only its own), for :func:`_matches`."""
    return replace(lc, hashes=lc.main_hashes if main else lc.hashes, main_hashes={})


def _stored_module(store: Any, info: ClassInfo) -> str | None:
    """The module the class's latest (else newest) version was pickled under, read from
    its sidecar or, for LabChain's (no sidecar), from the pickle statically."""
    known = {v.hash for v in info.versions}
    h = info.latest if info.latest in known else info.versions[0].hash
    try:
        meta = store.read_meta(info.name, h)
        if meta is not None:
            module = meta.get("module")
            return module if isinstance(module, str) else None
        from petbrowser.core.inspection import inspect_version

        return inspect_version(store, info.name, h).describe.module or None
    except FATAL_ERRORS:
        raise
    except PetBrowserError:
        return None  # unreadable: the class is pushed under its own module, as before


def _says_main(store: Any, lc: LocalClass) -> bool | None:
    """Do the stored versions of script class ``lc`` say ``__main__``?  None: the
    store holds none.  Status's rule first (a version *is* the class hashed as
    ``__main__``, or as its own module); for a class edited since, the module
    its latest version names."""
    try:
        info = store.get_class(lc.name)
    except (NotFoundError, StoreNotFoundError):
        return None
    if not info.versions:
        return None
    if any(_matches(_only(lc, main=True), v) for v in info.versions):
        return True
    if any(_matches(_only(lc, main=False), v) for v in info.versions):
        return False
    return _stored_module(store, info) == SCRIPT_MODULE


def _push_as_main(store: Any, chosen: Sequence[LocalClass], local: Sequence[LocalClass]) -> set[str]:
    """The ``chosen`` script classes a push pickles and names as ``__main__``.

    A class defined in a ``.py`` script LabChain ran (``python train.py``) is
    module ``__main__`` in its versions; imported by path it is module
    ``train``.  Pushed as ``train``, its version would not be what LabChain
    pushes, and status would not call it synced.  So a class whose versions
    say ``__main__`` is pushed as ``__main__``, and a class the store does not
    hold yet follows the other classes of its script.
    """
    wanted = [lc for lc in chosen if lc.main_hashes]  # only scripts have __main__ hashes
    says = {lc.name: _says_main(store, lc) for lc in wanted}
    main_specs: set[str | None] = set()
    for spec in {lc.spec for lc in wanted if says[lc.name] is None}:
        siblings = [c for c in local if c.spec == spec and c.main_hashes]
        for c in siblings:
            if c.name not in says:
                says[c.name] = _says_main(store, c)
        if any(says[c.name] for c in siblings):
            main_specs.add(spec)
    return {
        lc.name
        for lc in wanted
        if says[lc.name] or (says[lc.name] is None and lc.spec in main_specs)
    }


def _version_exists(store: Any, name: str, h: str) -> bool:
    from petbrowser.core import layout

    try:
        return bool(store.storage.exists(layout.version_key(name, h)))
    except StoreNotFoundError:
        return False


def _store_one(
    store: Any, name: str, h: str, item: dict[str, Any] | None, *, move: bool, scheme: str
) -> PushResult:
    """Write the dumped version (if any), then move ``latest`` by compare-and-swap."""
    try:
        pointer = store.read_pointer(name)
    except StoreNotFoundError:
        pointer = None  # a new store: this push creates it
    created = False
    if item is not None:
        pkl = base64.b64decode(item["pkl"])
        try:
            created = bool(
                store.write_version(name, h, pkl, build_meta(item, pkl, scheme, _user(store)))
            )
        except IntegrityError:
            if not _version_exists(store, name, h):
                raise
            # Another push stored this hash a moment ago: cloudpickle's bytes differ
            # between processes, the hash is the class, and the stored snapshot stays.
            created = False
    from_hash = pointer.hash if pointer is not None else None
    moved = False
    if move and from_hash != h:
        try:
            store.move_latest(name, h, expected=from_hash, action="push")
            moved = True
        except ConflictError as exc:
            if exc.actual != h:
                raise
            # The same race: another push of this very version moved latest here first.
    if moved:
        status = "pushed" if created else "moved"
    else:
        status = "repaired" if created else "unchanged"
    return PushResult(
        name=name,
        hash=h,
        created=created,
        moved=moved,
        from_hash=from_hash,
        status=status,
        hash_scheme=scheme,
    )


def _persist(
    store: Any,
    project: Any,
    chosen: Sequence[LocalClass],
    *,
    move: bool,
    scheme: str,
    local: Sequence[LocalClass] = (),
) -> list[PushResult]:
    """Dump only the versions the store lacks: cloudpickle output differs run to run,
    and a stored version is immutable, so an existing one is never rewritten.
    Each version is named by its hash under ``scheme``; a script class whose
    versions say ``__main__`` is pickled and named as ``__main__`` (``local``:
    the rest of the scan, for a new class of such a script)."""
    as_main = _push_as_main(store, chosen, local or chosen)

    def hashes(lc: LocalClass) -> dict[str, str]:
        return lc.main_hashes if lc.name in as_main else lc.hashes

    missing = [lc for lc in chosen if not _version_exists(store, lc.name, hashes(lc)[scheme])]
    dumped = {item["name"]: item for item in (_dump(project, missing, as_main) if missing else [])}
    results = []
    for lc in chosen:
        item = dumped.get(lc.name)
        # the dump's own hash: the module may have changed since the scan
        h = item["hashes"][scheme] if item is not None else hashes(lc)[scheme]
        results.append(_store_one(store, lc.name, h, item, move=move, scheme=scheme))
    return results


def persist_class(
    store: Any,
    project: Any,
    name: str,
    modules: Sequence[str] | None = None,
    hash_scheme: str | None = None,
) -> str:
    """Store the class's current version if absent; ``latest`` does not move."""
    mods = _modules(project, modules)
    local = scan(project, mods)
    lc = _find(local, name, mods)
    scheme = choose_scheme(store, project, hash_scheme, for_push=True).scheme
    return _persist(store, project, [lc], move=False, scheme=scheme, local=local)[0].hash


def push(
    store: Any,
    project: Any,
    names: Sequence[str] | None = None,
    modules: Sequence[str] | None = None,
    all_: bool = False,
    hash_scheme: str | None = None,
) -> PushResults:
    """Store each class's current version and move its ``latest`` to it (compare-and-swap).

    ``all_`` adds every class of the module(s) that is not synced.  A pointer
    that moved since it was read raises ConflictError (exit 3), changing nothing.
    New versions are named under :func:`choose_scheme`'s scheme; pushing pb1
    names into a store LabChain also writes adds one warning to the results.
    """
    names = list(names or [])
    if not names and not all_:
        raise UsageError("name the class(es) to push, or pass --all")
    if hash_scheme is not None:
        _check_scheme(hash_scheme)
    mods = _modules(project, modules)
    local = scan(project, mods)
    chosen = [_find(local, n, mods) for n in dict.fromkeys(names)]
    if all_:
        try:
            classes = store.list_classes()
        except StoreNotFoundError:
            classes = []  # a new store: everything is untracked, the push creates it
        choice = choose_scheme(store, project, hash_scheme, listing=classes, for_push=True)
        listing = {c.name: c for c in classes}
        picked = {c.name for c in chosen}
        for lc in local:
            if lc.name in picked:
                continue
            if _status_of(lc, listing.get(lc.name), choice.scheme).status != "synced":
                chosen.append(lc)
                picked.add(lc.name)
    else:
        choice = choose_scheme(store, project, hash_scheme, for_push=True)
    if not chosen:
        return PushResults(hash_scheme=choice.scheme)
    results = _persist(store, project, chosen, move=True, scheme=choice.scheme, local=local)
    warning = choice.warning
    return PushResults(tuple(results), hash_scheme=choice.scheme, warnings=(warning,) if warning else ())


# ------------------------------------------------------------------------ pull
@dataclass(frozen=True)
class _Safety:
    verified: bool
    clean: bool
    report: Any
    box: Any
    warnings: list[str]


def _check_safety(
    name: str, h: str, pkl: bytes, meta: dict[str, Any] | None, allow_unsafe: bool
) -> _Safety:
    """Digest, default-deny scan and sandbox, before anything is loaded.

    Refused (``IntegrityError``): a digest that does not match its metadata,
    whatever the caller says.  Refused without ``allow_unsafe`` (the explicit
    yes; ``UnsafePickleError`` naming every reason): a scan that is not clean,
    and a machine with no sandbox to rebuild in.  A version without metadata
    (LabChain's) has no digest to check: when its scan is clean and a sandbox
    is there it proceeds, with a warning saying so.
    """
    from petbrowser.core import sandbox
    from petbrowser.core.inspection import digest_mismatch
    from petbrowser.core.scan_worker import scan_one

    warnings: list[str] = []
    mismatch = digest_mismatch(pkl, meta)
    if mismatch is not None:
        raise IntegrityError(f"version {short_hash(h)} of {name}: {mismatch}; nothing was loaded")
    verified = bool((meta or {}).get("pkl_sha256"))
    report = scan_one(pkl)
    unsafe = [str(u) for u in report.unsafe]
    box = sandbox.sandbox()
    reasons: list[str] = []
    if unsafe:
        reasons.append(f"loading it would call or run: {'; '.join(unsafe[:6])}")
    if not box.available:
        reasons.append(f"there is no sandbox to rebuild it in ({box.reason})")
    if reasons and not allow_unsafe:
        raise UnsafePickleError(
            f"version {short_hash(h)} of {name} was not loaded: {' and '.join(reasons)}; "
            "pass --allow-unsafe to load it anyway",
            offending=unsafe + ([f"no sandbox: {box.reason}"] if not box.available else []),
        )
    if unsafe:
        warnings.append(f"loaded although it would run: {'; '.join(unsafe[:6])} (--allow-unsafe)")
    if not box.available:
        warnings.append(f"rebuilt WITHOUT a sandbox ({box.reason}) because --allow-unsafe was given")
    if not verified:
        warnings.append(
            "no digest could be checked: this version has no metadata (written by LabChain or "
            "an older tool), so nothing proves these are the bytes that were pushed"
            + ("; its static scan is clean" if not unsafe else "")
        )
    return _Safety(verified, not unsafe, report, box, warnings)


def _mismatch_warning(
    scheme: str, rebuilt: str, h: str, nested_code: bool
) -> str:
    """Why a rebuilt class can hash to another name than its version's."""
    if scheme == "labchain" and nested_code:
        return (
            f"the rebuilt class hashes to {short_hash(rebuilt)}, not {short_hash(h)}: expected for this class, "
            "because LabChain's hash includes repr(co_consts), which holds the memory address "
            "of every nested code object (its lambdas, comprehensions or inner functions), "
            "so it changes from one process to the next"
        )
    return (
        f"the rebuilt class hashes to {short_hash(rebuilt)}, not {short_hash(h)} "
        "(pushed from another Python version, or the pickle does not hold what its name says)"
    )


def _write_new(path: Path, text: str, force: bool) -> None:
    """Write atomically; never replace an existing file unless forced."""
    if path.exists() and not force:
        raise AlreadyExistsError(f"{path} already exists: pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # create-only, even if a file appeared meanwhile
            except FileExistsError:
                raise AlreadyExistsError(
                    f"{path} already exists: pass --force to overwrite it"
                ) from None
            except OSError:
                os.replace(tmp, path)  # filesystems without hard links
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def pull(
    store: Any,
    project: Any,
    name: str,
    code_hash: str | None = None,
    *,
    restore_dir: str | Path | None = None,
    force: bool = False,
    allow_unsafe: bool = False,
) -> PullResult:
    """Check a version, rebuild it in a sandboxed child process, optionally restore its source.

    The class is loaded only in a throwaway child of the project's interpreter
    (or this Python's, without a project), boxed by :mod:`petbrowser.core.sandbox`;
    this process never unpickles it.  A wrapped (``persist_class``) version is
    unwrapped statically and only the inner pickle reaches the child.  The
    source for ``--restore`` comes from the metadata and is written here, by
    the parent, never by the child.
    """
    from petbrowser.core.safe_pickle import wrapped_payload
    from petbrowser.core.sandbox import wrap_command

    h = store.resolve(name, code_hash or "latest")
    pkl = store.read_pkl(name, h)
    meta = store.read_meta(name, h)
    # Safety first: a refused pickle is the answer, whatever else was asked.
    safety = _check_safety(name, h, pkl, meta, allow_unsafe)
    warnings = list(safety.warnings)
    inner = wrapped_payload(pkl)
    target: Path | None = None
    source: str | None = None
    if restore_dir is not None:
        source = (meta or {}).get("source")
        if not source:
            raise ProjectError(f"version {short_hash(h)} of {name} has no source to restore")
        target = Path(restore_dir).expanduser() / f"{name}_{short_hash(h)}.py"
        if target.exists() and not force:
            raise AlreadyExistsError(f"{target} already exists: pass --force to overwrite it")

    if project is not None:
        python, timeout = project.python, _timeout(project)
        cwd_ctx: Any = None
        cwd: str | Path = project.root
    else:
        python, timeout = sys.executable, None
        cwd_ctx = tempfile.TemporaryDirectory(prefix="petbrowser-pull-")
        cwd = cwd_ctx.name
    from petbrowser.core.child import DEFAULT_TIMEOUT

    limit = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    try:
        answer = run_agent(
            {"op": "rebuild", "pkl": base64.b64encode(inner or pkl).decode("ascii")},
            python=python,
            cwd=cwd,
            timeout=timeout,
            wrap=lambda argv, work: wrap_command(
                argv, work, cwd=Path(cwd).resolve(), box=safety.box, timeout=limit
            ),
        )
    finally:
        if cwd_ctx is not None:
            cwd_ctx.cleanup()

    hash_matches: bool | None = None
    scheme = (meta or {}).get("hash_scheme") if meta is not None else "labchain"
    rebuilt = answer.get("hashes") or {}
    if scheme in rebuilt:
        hash_matches = rebuilt[scheme] == h
        if not hash_matches:
            warnings.append(
                _mismatch_warning(str(scheme), rebuilt[scheme], h, safety.report.nested_code)
            )
    if target is not None and source is not None:
        _write_new(target, source, force)
    return PullResult(
        name=answer.get("class_name", name),
        hash=h,
        methods=dict(answer.get("methods") or {}),
        restored_path=target,
        verified=safety.verified,
        hash_matches=hash_matches,
        warnings=warnings,
        clean=safety.clean,
        sandbox=safety.box.kind,
        wrapped=inner is not None,
    )
