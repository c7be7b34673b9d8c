"""Inspect and diff stored versions without unpickling anything.

A version's ``.meta.json`` (when there is one) says what the class looked like
when pushed; the ``.pkl`` is what loading would actually run.  So the pickle
is ALWAYS walked statically (:func:`safe_pickle.scan_pickle`, in the worker
process of :mod:`petbrowser.core.scan_worker`), even when the metadata is there: ``unsafe`` must never depend on a sidecar anyone could
edit, and a digest that does not match the metadata is reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from petbrowser.core.diff import diff_describe
from petbrowser.core.errors import ProjectError
from petbrowser.core.models import ClassDescription, ClassDiff, InspectResult, short_hash
from petbrowser.core.safe_pickle import PickleReport
from petbrowser.core.scan_worker import scan_one
from petbrowser.core.structs import replace

if TYPE_CHECKING:
    from petbrowser.core.manager import PetClassManager
    from petbrowser.core.store import Store

__all__ = [
    "LOCAL",
    "DescribedRef",
    "InspectResult",
    "describe_ref",
    "diff_refs",
    "digest_mismatch",
    "inspect_version",
]

LOCAL = "local"


def digest_mismatch(data: bytes, meta: dict[str, Any] | None) -> str | None:
    """Why ``data`` is not the ``.pkl`` its sidecar recorded (None: it is, or nothing was recorded)."""
    recorded = (meta or {}).get("pkl_sha256")
    if not recorded:
        return None
    actual = hashlib.sha256(data).hexdigest()
    if actual == recorded:
        return None
    return f"the .pkl digest {short_hash(actual)} does not match its metadata ({short_hash(str(recorded))})"


def _describe_from(name: str, meta: dict[str, Any] | None, report: PickleReport) -> ClassDescription:
    """The sidecar's description when it has one (with the names the walk found), else the walk's."""
    walked = report.describe
    if meta and isinstance(meta.get("methods"), dict):
        found = walked.globals if walked is not None else None
        described = replace(ClassDescription.from_json(meta), globals=found or ())
        return _abstract_marks(described, walked) if walked is not None else described
    return walked if walked is not None else ClassDescription(class_name=name)


def _abstract_marks(described: ClassDescription, walked: ClassDescription) -> ClassDescription:
    """The sidecar's methods with the ``abstract`` marks the pickle's walk found.

    Sidecars written before methods were marked (``disasm.abstract_kind``) say
    ``function`` for an abstract one: compared with today's description of the
    same code, the mark alone would look like a change.  Only a mark the
    pickle itself carries is added; nothing else of the sidecar is touched.
    """
    methods = dict(described.methods)
    changed = False
    for key, info in methods.items():
        seen = walked.methods.get(key)
        if seen is not None and info.kind and seen.kind == f"abstract {info.kind}":
            methods[key] = replace(info, kind=seen.kind)
            changed = True
    return replace(described, methods=methods) if changed else described


def inspect_version(store: Store, name: str, full_hash: str) -> InspectResult:
    """Read a version's pickle (and metadata) and inspect it statically."""
    data = store.read_pkl(name, full_hash)
    meta = store.read_meta(name, full_hash)
    report = scan_one(data)  # in a short-lived, limited worker process
    problems = [p for p in (report.error, digest_mismatch(data, meta)) if p]
    by_reference = report.by_reference or (
        report.error is not None and bool((meta or {}).get("by_reference"))
    )
    scheme = (meta or {}).get("hash_scheme") if meta is not None else "labchain"
    cloudpickle = (meta or {}).get("cloudpickle_version")
    return InspectResult(
        name=name,
        hash=full_hash,
        describe=_describe_from(name, meta, report),
        report=report,
        by_reference=by_reference,
        unsafe=tuple(report.unsafe),
        problems=tuple(problems),
        has_meta=meta is not None,
        hash_scheme=scheme if isinstance(scheme, str) else None,
        cloudpickle_version=str(cloudpickle) if cloudpickle else None,
    )


@dataclass(frozen=True)
class DescribedRef:
    """One side of a comparison: its description, the label it is shown with, and
    what must be said about it besides the code (unsafe, problems, by reference)."""

    describe: ClassDescription
    label: str
    notes: tuple[str, ...] = ()


def describe_ref(
    manager: PetClassManager, name: str, ref: str, *, modules: Sequence[str] | None = None
) -> DescribedRef:
    """The description of ``ref`` (hash, prefix, ``latest`` or ``local``) and a label for it."""
    if ref == LOCAL:
        local = [c for c in manager.scan(modules or None) if c.name == name]
        if not local:
            raise ProjectError(f"class '{name}' is not defined in the project's local module(s)")
        return DescribedRef(local[0].describe, LOCAL)
    full = manager.resolve(name, ref)
    result = inspect_version(manager.store, name, full)
    label = f"latest ({short_hash(full)})" if ref == "latest" else short_hash(full)
    return DescribedRef(result.describe, label, tuple(result.notes(label)))


def diff_refs(
    manager: PetClassManager,
    name: str,
    a: str,
    b: str | None = None,
    *,
    modules: Sequence[str] | None = None,
) -> ClassDiff:
    """Diff two refs of a class (``a`` old, ``b`` new).

    ``b`` defaults to ``local`` when the project names modules to scan (and
    ``a`` is not ``local`` itself), else ``latest``.
    """
    if b is None:
        has_local = manager.project is not None and (bool(modules) or manager.has_modules)
        b = LOCAL if has_local and a != LOCAL else "latest"
    side_a = describe_ref(manager, name, a, modules=modules)
    side_b = describe_ref(manager, name, b, modules=modules)
    return diff_describe(
        side_a.describe,
        side_b.describe,
        a_label=side_a.label,
        b_label=side_b.label,
        notes=side_a.notes + side_b.notes,
    )
