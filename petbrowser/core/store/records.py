"""The store's objects taken apart: a listing grouped per class folder, and
the sidecar and history documents parsed (never unpickled)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from petbrowser.core import layout
from petbrowser.core.bounded import load_json
from petbrowser.core.errors import (
    IntegrityError,
)
from petbrowser.core.models import (
    HistoryEntry,
    ObjectInfo,
)
from petbrowser.core.names import is_hash
from petbrowser.core.storage.local import weak_etag
from petbrowser.core.store.common import ACTIONS, short


@dataclass
class ClassObjects:
    """What one listing pass found in one ``plugins/<Class>/`` folder."""

    name: str
    pkls: dict[str, ObjectInfo] = field(default_factory=dict)
    #: None: a sidecar known by its name only (``group_folders``: not ``stat``'ed)
    metas: dict[str, ObjectInfo | None] = field(default_factory=dict)
    latest: ObjectInfo | None = None
    history: list[ObjectInfo] = field(default_factory=list)
    other: list[ObjectInfo] = field(default_factory=list)


def group_objects(objects: Iterable[ObjectInfo], folders: Iterable[str] = ()) -> dict[str, ClassObjects]:
    """A listing grouped per class folder (keys classified as ``layout.parse_key`` does).

    ``folders``: keys of folders whose objects were left out of the listing
    (``S3Storage.list_pruned``); read after ``objects``, each still makes its
    class exist, as its objects would have.

    The three kinds a class folder is made of (``<hash>.pkl``,
    ``<hash>.meta.json``, ``latest.json``) are recognised inline: going
    through ``parse_key`` for each of a big store's keys cost as much as the
    listing itself (docs/performance.md).  Anything else takes ``parse_key``.
    """
    groups: dict[str, ClassObjects] = {}
    version_file = _VERSION_FILE.fullmatch
    plugins = layout.PLUGINS
    cut = len(plugins)
    for obj in objects:
        key = obj.key
        if not key.startswith(plugins):
            continue
        cls, sep, name = key[cut:].partition("/")
        if not sep or not cls or not name:
            continue
        g = groups.get(cls)
        if g is None:
            g = groups[cls] = ClassObjects(cls)
        m = version_file(name)
        if m is not None:
            h, kind = m.groups()
            if kind == "pkl":
                g.pkls[h] = obj
            else:
                g.metas[h] = obj
        elif name == layout.LATEST:
            g.latest = obj
        else:
            parts = layout.parse_key(key)
            if parts is not None and parts.kind == "history":
                g.history.append(obj)
            else:
                g.other.append(obj)
    for key in folders:
        cls, sep, _ = key[cut:].partition("/") if key.startswith(plugins) else ("", "", "")
        if sep and cls and cls not in groups:
            groups[cls] = ClassObjects(cls)
    return groups


def group_folders(
    prefix: str,
    folders: Iterable[tuple[str, list[os.DirEntry[str]]]],
    *,
    stat_latest: bool,
) -> dict[str, ClassObjects]:
    """``group_objects`` for a local store's class folders (``LocalStorage.list_folders``).

    Only the three kinds a class folder is made of are kept (a listing of
    classes reads nothing else), and only what is needed is ``stat``'ed: every
    ``.pkl`` (size, time, validator) and, when asked, the pointer (else size
    -1, no time, no validator).  Sidecars are known by name only (None): the
    listing cache keys their facts by their ``.pkl``'s validator
    (``store/listing.py``).
    """
    groups: dict[str, ClassObjects] = {}
    version_file = _VERSION_FILE.fullmatch
    latest = layout.LATEST
    for cls, entries in folders:
        g = groups[cls] = ClassObjects(cls)
        base = f"{prefix}{cls}/"
        pkls, metas = g.pkls, g.metas
        for e in entries:
            name = e.name
            m = version_file(name)
            try:
                if m is not None:
                    h, kind = m.groups()
                    if kind == "pkl":
                        st = e.stat()
                        pkls[h] = ObjectInfo(base + name, st.st_size, st.st_mtime, weak_etag(st))
                    else:
                        metas[h] = None
                elif name == latest:
                    g.latest = _stat_info(base + name, e) if stat_latest else ObjectInfo(base + name, -1)
            except OSError:
                continue  # vanished between the folder listing and the stat
    return groups


#: ``<hash>.pkl`` or ``<hash>.meta.json`` (``layout``'s names; a hash is ``names.is_hash``).
_VERSION_FILE: Final = re.compile(r"([0-9a-f]{64})\.(pkl|meta\.json)")


def _stat_info(key: str, entry: os.DirEntry[str]) -> ObjectInfo:
    st = entry.stat()
    return ObjectInfo(key, st.st_size, st.st_mtime, weak_etag(st))


#: A sidecar holds source and disassembly: large for a big class, never this large.
MAX_META_BYTES = 32 * 1024 * 1024
#: One pointer move: a few hundred bytes.
MAX_HISTORY_BYTES = 64 * 1024


def parse_meta(data: bytes, name: str, h: str) -> dict[str, Any]:
    """A sidecar, parsed with size and depth bounds; IntegrityError if it is not one."""
    try:
        meta = load_json(data, MAX_META_BYTES)
    except ValueError as exc:
        raise IntegrityError(f"metadata of {name} {short(h)} is not readable JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise IntegrityError(f"metadata of {name} {short(h)} is not a JSON object")
    return meta


#: Sidecar fields a listing keeps: what the tree, the details pane and status
#: read of a version without inspecting it.  The rest (source, disassembly,
#: hashes, digests: most of every sidecar) is read again by ``Store.read_meta``
#: when one version is inspected.  Keeping whole sidecars for 20,000 versions
#: held ~130 MB in the GUI process (docs/performance.md).
LISTING_KEEPS: Final = (
    "pushed_at",
    "pushed_by",
    "python_version",
    "hash_scheme",
    "by_reference",
    "cloudpickle_version",
)


def listing_meta(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """A sidecar as a listing keeps it: the :data:`LISTING_KEEPS` fields it has."""
    if meta is None:
        return None
    return {k: meta[k] for k in LISTING_KEEPS if k in meta}


def listing_facts(data: bytes, name: str, h: str) -> tuple[dict[str, Any], str | None]:
    """A sidecar's bytes as a listing keeps them: :func:`split_listing_meta` of the document.

    Like :func:`parse_meta` (same bounds and messages for a garbled file), but
    the nesting of the rest is not walked: the listing keeps a few top-level
    text fields and drops the document at once, so no code ever descends
    into it -- and walking every sidecar's source and disassembly cost a
    quarter of a first listing (docs/performance.md).  ``json.loads`` itself
    turns a too-deep document into a RecursionError, reported as unreadable.
    """
    where = f"metadata of {name} {short(h)}"
    if len(data) > MAX_META_BYTES:
        raise IntegrityError(
            f"{where} is not readable JSON ({len(data):,} bytes is more than the {MAX_META_BYTES:,} allowed)"
        )
    try:
        doc = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise IntegrityError(f"{where} is not readable JSON (nests too deeply to read)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise IntegrityError(f"{where} is not readable JSON ({str(exc)[:120] or 'not JSON'})") from None
    if not isinstance(doc, dict):
        raise IntegrityError(f"{where} is not a JSON object")
    return split_listing_meta(doc)


def split_listing_meta(meta: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``(profile, pushed_at)``: a sidecar's listing fields but its time, and its time.

    Why apart: the time is the one field that differs from version to
    version; the rest (who pushed, with which Python, cloudpickle and hash
    scheme) is the same for most versions of a store, so one *profile* dict
    serves them all (``ListingCache.put_meta`` shares them): 20,000 versions
    hold a handful of dicts, and the cache file stores an index per version.
    A listing's ``VersionInfo.meta`` is that shared profile: read only.
    Only text values are kept (and a bool or None ``by_reference``): what the
    listing reads of them, flat, so a profile is never a nested structure.
    """
    kept = {
        k: v
        for k, v in (listing_meta(meta) or {}).items()
        if type(v) is str or (k == "by_reference" and (v is True or v is False or v is None))
    }
    pushed_at = kept.pop("pushed_at", None)
    return kept, pushed_at


def parse_history(data: bytes, obj: ObjectInfo, name: str) -> HistoryEntry:
    try:
        doc = load_json(data, MAX_HISTORY_BYTES)
    except ValueError:
        doc = None
    ok = (
        isinstance(doc, dict)
        and isinstance(doc.get("at"), str)
        and doc.get("action") in ACTIONS
        and is_hash(doc.get("to"))
        and (doc.get("from") is None or is_hash(doc.get("from")))
        and isinstance(doc.get("by", ""), str)
    )
    if not ok:
        raise IntegrityError(f"history record '{obj.key}' is not a valid pointer move")
    return HistoryEntry(
        at=doc["at"],
        action=doc["action"],
        from_hash=doc.get("from"),
        to_hash=doc["to"],
        by=doc.get("by", ""),
        class_name=name,
        key=obj.key,
    )


def history_body(doc: dict[str, Any]) -> bytes:
    """The bytes of one history record (one JSON document, as DESIGN.md's layout wants)."""
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")
