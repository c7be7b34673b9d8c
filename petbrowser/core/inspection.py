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
from dataclasses import dataclass, field
from typing import Any

from petbrowser.core.diff import ClassDiff, diff_describe
from petbrowser.core.errors import ProjectError
from petbrowser.core.safe_pickle import PickleReport
from petbrowser.core.scan_worker import scan_one

__all__ = ["InspectResult", "inspect_version", "describe_ref", "diff_refs", "LOCAL"]

LOCAL = "local"
_DESCRIBE_KEYS = (
    "class_name",
    "module",
    "qualname",
    "bases",
    "python_version",
    "source",
    "methods",
    "attributes",
)


@dataclass
class InspectResult:
    """What one stored version holds, and whether loading it would be safe."""

    name: str
    hash: str
    meta: dict[str, Any] | None
    report: PickleReport
    describe: dict[str, Any]
    by_reference: bool
    unsafe: list[str]
    problems: list[str] = field(default_factory=list)  # digest mismatch, unreadable pickle

    @property
    def safe(self) -> bool:
        """Loading would call nothing beyond cloudpickle's machinery and the allowlist."""
        return not self.unsafe

    @property
    def ok(self) -> bool:
        return self.safe and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hash": self.hash,
            "has_meta": self.meta is not None,
            "by_reference": self.by_reference,
            "safe": self.safe,
            "unsafe": list(self.unsafe),
            "problems": list(self.problems),
            "globals": list(self.report.globals),
            "python_version": self.describe.get("python_version"),
            "pickle": self.report.to_json(),
            "describe": self.describe,
        }


def _describe_from(meta: dict[str, Any] | None, report: PickleReport) -> dict[str, Any]:
    if meta and isinstance(meta.get("methods"), dict):
        desc = {k: meta.get(k) for k in _DESCRIBE_KEYS}
        desc["globals"] = list(report.describe.get("globals") or [])
        return desc
    return dict(report.describe)


def inspect_version(store: Any, name: str, full_hash: str) -> InspectResult:
    """Read a version's pickle (and metadata) and inspect it statically."""
    data = store.read_pkl(name, full_hash)
    meta = store.read_meta(name, full_hash)
    report = scan_one(data)  # in a short-lived, limited worker process
    problems: list[str] = []
    if report.error:
        problems.append(report.error)
    if meta and meta.get("pkl_sha256"):
        actual = hashlib.sha256(data).hexdigest()
        if actual != meta["pkl_sha256"]:
            problems.append(
                f"the .pkl digest {actual[:12]} does not match its metadata "
                f"({str(meta['pkl_sha256'])[:12]})"
            )
    describe = _describe_from(meta, report)
    if not describe:
        describe = {"class_name": name, "methods": {}, "attributes": {}, "bases": []}
    by_reference = report.by_reference or (
        report.error is not None and bool((meta or {}).get("by_reference"))
    )
    return InspectResult(
        name=name,
        hash=full_hash,
        meta=meta,
        report=report,
        describe=describe,
        by_reference=by_reference,
        unsafe=list(report.unsafe),
        problems=problems,
    )


def describe_ref(
    manager: Any, name: str, ref: str, *, modules: Sequence[str] | None = None
) -> tuple[dict[str, Any], str]:
    """The describe dict of ``ref`` (hash, prefix, ``latest`` or ``local``) and a label for it."""
    if ref == LOCAL:
        local = [c for c in manager.scan(modules or None) if c.name == name]
        if not local:
            raise ProjectError(f"class '{name}' is not defined in the project's local module(s)")
        return dict(local[0].describe), LOCAL
    full = manager.resolve(name, ref)
    result = inspect_version(manager.store, name, full)
    label = f"latest ({full[:12]})" if ref == "latest" else full[:12]
    desc = dict(result.describe)
    notes = [f"{label} is flagged unsafe: loading it would call {'; '.join(result.unsafe[:6])}"]
    notes = notes if result.unsafe else []
    notes += [f"{label}: {p}" for p in result.problems]
    if result.by_reference:
        notes.append(f"{label} is pickled by reference: no code captured")
    if notes:
        desc["_notes"] = notes
    return desc, label


def diff_refs(
    manager: Any,
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
        project = getattr(manager, "project", None)
        has_local = project is not None and bool(modules or getattr(project, "modules", None))
        b = LOCAL if has_local and a != LOCAL else "latest"
    desc_a, label_a = describe_ref(manager, name, a, modules=modules)
    desc_b, label_b = describe_ref(manager, name, b, modules=modules)
    result = diff_describe(desc_a, desc_b, a_label=label_a, b_label=label_b)
    result.notes.extend(desc_a.get("_notes", []))
    result.notes.extend(n for n in desc_b.get("_notes", []) if n not in result.notes)
    return result
