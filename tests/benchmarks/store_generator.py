"""Writes a synthetic class store in the layout LabChain and petbrowser share.

Every class gets ``versions`` versions, each with a ``.pkl`` (a real
cloudpickle by-value snapshot, shared by the versions of one class: nothing
here reads it), a ``.meta.json`` sidecar of realistic size (source plus a
normalized disassembly per method), one history object per pointer move, and
a JSON ``latest.json`` naming the newest version.  Written straight to disk,
not through petbrowser, so the benchmark does not depend on what it measures.
"""

from __future__ import annotations

import dis
import hashlib
import json
import os
import re
import types
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cloudpickle

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
BASE_TIME = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class StoreSpec:
    classes: int
    versions: int

    @property
    def objects(self) -> int:
        """Keys the store holds: per class one pointer, and per version pkl + meta + history."""
        return self.classes * (1 + 3 * self.versions)


def class_name(i: int) -> str:
    return f"Filter{i:04d}"


def version_hash(name: str, v: int) -> str:
    return hashlib.sha256(f"{name}/{v}".encode()).hexdigest()


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def history_stamp(t: datetime) -> str:
    """The ``<time>`` part of ``history/<time>-<hash>.json``: sortable, no colons."""
    return t.strftime("%Y%m%dT%H%M%S") + f"{t.microsecond:06d}Z"


_TEMPLATE = '''
class {name}:
    threshold = {k}

    def __init__(self, alpha: float = {k}.5, beta: int = 2):
        self.alpha = alpha
        self.beta = beta
        self._mean = 0.0

    def fit(self, x, y=None):
        total = 0.0
        for i, v in enumerate(x):
            total += v * self.alpha + i * {k}
        self._mean = total / max(len(x), 1)
        return self

    def predict(self, x):
        return [v - self._mean for v in x if v > self.threshold]

    def score(self, x, y):
        err = sum((a - b) ** 2 for a, b in zip(self.predict(x), y))
        return -err / {k}.0
'''


def _describe(name: str, k: int) -> tuple[dict, bytes]:
    """A describe dict and a by-value pickle for one generated class."""
    source = _TEMPLATE.format(name=name, k=k)
    ns: dict = {"__name__": "bench_generated_store"}
    exec(compile(source, f"<{name}>", "exec"), ns)  # our own generated text
    cls = ns[name]
    methods = {}
    for attr, value in sorted(vars(cls).items()):
        if isinstance(value, types.FunctionType):
            text = "\n".join(
                _ADDRESS.sub("", f"{ins.opname} {ins.argrepr}").rstrip()
                for ins in dis.get_instructions(value)
            )
            methods[attr] = {"kind": "function", "signature": "(self, ...)", "disassembly": text}
    describe = {
        "class_name": name,
        "module": "filters",
        "qualname": name,
        "bases": ["builtins.object"],
        "python_version": "3.11.7",
        "source": source,
        "methods": methods,
        "attributes": {"threshold": str(k)},
    }
    return describe, cloudpickle.dumps(cls)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def write_class(root: Path, name: str, hashes: list[str], latest: str | None, k: int = 0) -> None:
    """One class folder: a version per hash (oldest first), history, and a pointer to ``latest``."""
    folder = root / "plugins" / name
    (folder / "history").mkdir(parents=True, exist_ok=True)
    describe, pkl = _describe(name, k)
    pkl_sha = hashlib.sha256(pkl).hexdigest()
    previous = None
    for v, h in enumerate(hashes):
        at = BASE_TIME + timedelta(days=v, seconds=k)
        meta = dict(describe)
        meta.update(
            format=1,
            hash=h,
            hash_scheme="pb1",
            hashes={"pb1": h, "labchain": version_hash(name, -v - 1)},
            cloudpickle_version=cloudpickle.__version__,
            pushed_at=_iso(at),
            pushed_by="bench@localhost",
            pkl_sha256=pkl_sha,
            pkl_size=len(pkl),
            by_reference=False,
        )
        _write(folder / f"{h}.pkl", pkl)
        _write(folder / f"{h}.meta.json", json.dumps(meta, indent=1).encode())
        entry = {"at": _iso(at), "action": "push", "from": previous, "to": h, "by": "bench@localhost"}
        _write(folder / "history" / f"{history_stamp(at)}-{h}.json", json.dumps(entry).encode())
        os.utime(folder / f"{h}.pkl", (at.timestamp(), at.timestamp()))
        previous = h
    if latest is not None:
        pointer = {
            "hash": latest,
            "class_name": name,
            "updated_at": _iso(BASE_TIME + timedelta(days=len(hashes) - 1, seconds=k)),
            "updated_by": "bench@localhost",
            "previous": hashes[-2] if len(hashes) > 1 else None,
        }
        _write(folder / "latest.json", json.dumps(pointer).encode())


def write_store(root: Path, spec: StoreSpec) -> None:
    """``spec.classes`` classes of ``spec.versions`` versions each, latest = newest."""
    for i in range(spec.classes):
        name = class_name(i)
        hashes = [version_hash(name, v) for v in range(spec.versions)]
        write_class(root, name, hashes, hashes[-1], i)


def raw_scandir_keys(root: Path) -> list[tuple[str, int, float]]:
    """Baseline: every key under ``plugins/`` with its size and time, by an ``os.scandir`` walk.

    Nothing more than a listing needs (the ``stat`` gives sizes and times) and
    nothing petbrowser-specific: the floor any local listing stands on.
    """
    keys: list[tuple[str, int, float]] = []
    base = len(str(root)) + 1
    stack = [str(root / "plugins")]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    st = entry.stat()
                    keys.append((entry.path[base:], st.st_size, st.st_mtime))
    return keys
