"""verify: every object of the store checked, nothing unpickled."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from petbrowser.core import layout
from petbrowser.core.errors import (
    IntegrityError,
    PetBrowserError,
)
from petbrowser.core.models import (
    HistoryEntry,
    Pointer,
    VerifyIssue,
    VerifyReport,
)
from petbrowser.core.names import is_class_name
from petbrowser.core.store.base import StoreBase
from petbrowser.core.store.common import SNIFF_LIMIT, short
from petbrowser.core.store.records import group_objects, parse_history
from petbrowser.core.store.sniff import sniff_by_reference
from petbrowser.core.timeline import causal_order

#: A 0.1.0 pointer: LabChain's pickle.load fails on it ("invalid load key, '{'").
JSON_POINTER_WARNING = (
    "LabChain cannot read this pointer (JSON, written by petbrowser 0.1.0): "
    "'petbrowser repair' rewrites it"
)


class VerifyMixin(StoreBase):
    """verify: every object of the store checked, nothing unpickled."""

    # ------------------------------------------------------------- verify
    def verify(self, on_progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Check every object under ``plugins/`` without unpickling anything.

        Problems: a pointer that does not parse or points nowhere, metadata
        that does not parse or does not match its pickle (size, sha256, hash),
        a truncated or unreadable pickle or object, a pickle whose loading would
        call something beyond cloudpickle's rebuilding (safe_pickle; never
        loaded).  Warnings: by-reference
        pickles, versions without metadata, metadata without a pickle, stray
        temporary/lock files, unexpected objects, unreadable history records,
        a pointer that moved without a history record.
        """
        objects = list(self.storage.list(layout.PLUGINS))
        groups = group_objects(objects)
        issues: list[VerifyIssue] = []
        checked = sum(1 for o in objects if layout.parse_key(o.key) is not None)

        def problem(key: str, msg: str) -> None:
            issues.append(VerifyIssue("problem", key, msg))

        def warning(key: str, msg: str) -> None:
            issues.append(VerifyIssue("warning", key, msg))

        list_internal = getattr(self.storage, "list_internal", None)
        if list_internal is not None:
            for obj in list_internal(layout.PLUGINS):
                checked += 1
                warning(obj.key, "stray temporary or lock file (left by an interrupted write)")
        list_skipped = getattr(self.storage, "list_skipped", None)
        if list_skipped is not None:  # FIFOs, devices, sockets, symlinks out of the root
            for key, why in list_skipped(layout.PLUGINS):
                checked += 1
                warning(key, why)

        jobs: list[tuple[Any, Callable[[], Any]]] = []
        last_moves: dict[str, list[HistoryEntry]] = defaultdict(list)
        for name, g in sorted(groups.items()):
            if not is_class_name(name):
                warning(f"plugins/{name}/", "not a valid class name; its objects are not read")
                continue
            for obj in g.other:
                warning(obj.key, "unexpected object in a class folder")
            for h in g.metas.keys() - g.pkls.keys():
                warning(g.metas[h].key, "metadata without its .pkl (an interrupted push?)")
            if g.latest is not None:
                jobs.append(((name, "pointer", g.latest.key), lambda n=name: self.read_pointer(n)))
            for h, obj in g.pkls.items():
                jobs.append(
                    (
                        (name, "pkl", obj.key),
                        lambda n=name, h=h, g=g: self._check_version(n, h, h in g.metas),
                    )
                )
            for obj in g.history:
                jobs.append(
                    (
                        (name, "history", obj.key),
                        lambda n=name, o=obj: parse_history(self.storage.read(o.key), o, n),
                    )
                )

        total = len(jobs)
        done = 0
        pointers: dict[str, Pointer | None] = {}
        pending: list[tuple[str, bytes]] = []

        def scan_pending() -> None:
            """Pickles are judged in batches by the scan worker (nothing loads here)."""
            if not pending:
                return
            from petbrowser.core.scan_worker import scan_many

            reports = scan_many([data for _key, data in pending])
            for (key, _data), report in zip(pending, reports, strict=True):
                for level, msg in _scan_findings(report):
                    issues.append(VerifyIssue(level, key, msg))
            pending.clear()

        def on_done(tag: tuple[str, str, str], result: Any, error: PetBrowserError | None) -> None:
            nonlocal done
            name, kind, key = tag
            done += 1
            if kind == "pointer":
                if error is not None:
                    problem(key, error.message)
                else:
                    pointers[name] = result
                    if result is not None and result.hash not in groups[name].pkls:
                        problem(key, f"points to {short(result.hash)}, which is not in the store")
                    if result is not None and result.encoding == "json":
                        warning(key, JSON_POINTER_WARNING)
            elif kind == "pkl":
                if error is not None:
                    problem(key, error.message)
                else:
                    found, data = result
                    for level, msg in found:
                        issues.append(VerifyIssue(level, key, msg))
                    pending.append((key, data))
                    if len(pending) >= 64 or sum(len(d) for _k, d in pending) > 64 << 20:
                        scan_pending()
            elif kind == "history":
                if error is not None:
                    warning(key, error.message)
                else:
                    last_moves[name].append(result)
            if on_progress is not None:
                on_progress(done, total)

        self._run(jobs, on_done)
        scan_pending()
        for name, moves in last_moves.items():
            ptr = pointers.get(name)
            last = causal_order(moves)[-1]  # the order history() gives: a skewed clock cannot reorder it
            if ptr is not None and ptr.hash != last.to_hash:
                warning(
                    layout.latest_key(name),
                    f"latest moved to {short(ptr.hash)} without a history record "
                    f"(last record: {short(last.to_hash)}; moved by another tool, or interrupted)",
                )
        issues.sort(key=lambda i: (i.level != "problem", i.key))
        return VerifyReport(checked=checked, issues=tuple(issues))

    def _check_version(self, name: str, h: str, has_meta: bool) -> tuple[list[tuple[str, str]], bytes]:
        """(level, message) findings for one version's pickle against its metadata,
        and the bytes, for the scan worker."""
        found: list[tuple[str, str]] = []
        data = self.read_pkl(name, h)
        meta: dict[str, Any] | None = None
        if has_meta:
            try:
                meta = self.read_meta(name, h)
            except IntegrityError as exc:
                found.append(("problem", exc.message))
        if meta is not None:
            size, digest = meta.get("pkl_size"), meta.get("pkl_sha256")
            if size is not None and size != len(data):
                found.append(("problem", f"size {len(data)} does not match the recorded {size}"))
            if digest is not None and digest != hashlib.sha256(data).hexdigest():
                found.append(("problem", "sha256 does not match the recorded digest"))
            if meta.get("hash") not in (None, h):
                found.append(
                    ("problem", f"metadata is for another hash ({str(meta.get('hash'))[:80]})")
                )
        elif not has_meta:
            found.append(("warning", "no metadata (written by LabChain or an older tool)"))
        by_ref = meta.get("by_reference") if meta is not None else None
        if by_ref is None and len(data) < SNIFF_LIMIT:
            by_ref = sniff_by_reference(data)
        if by_ref is True:
            found.append(("warning", "pickled by reference: names the class, no code captured"))
        return found, data


def _scan_findings(report: Any) -> list[tuple[str, str]]:
    """verify's findings from one static report: unreadable, or not clean (default-deny)."""
    found: list[tuple[str, str]] = []
    if report.error and not str(report.error).startswith("could not be inspected"):
        if "does not hold a class" not in str(report.error):
            found.append(("problem", f"truncated or unreadable pickle ({str(report.error)[:160]})"))
    rest = [u for u in report.unsafe if not u.startswith("the scan could not finish")]
    if rest:
        found.append(("problem", "unsafe pickle: loading it would call " + "; ".join(rest[:5])))
    if report.wrapped:
        found.append(("warning", "wrapped pickle (LabChain's persist_class form): inspected inside"))
    return found
