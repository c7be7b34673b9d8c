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
import types
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cloudpickle

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
                f"{ins.opname} {ins.argrepr}".rstrip() for ins in dis.get_instructions(value)
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


def write_store(root: Path, spec: StoreSpec, *, first: int = 0) -> None:
    """Write classes ``first .. first+spec.classes-1`` under ``root/plugins``."""
    plugins = root / "plugins"
    for i in range(first, first + spec.classes):
        name = class_name(i)
        folder = plugins / name
        (folder / "history").mkdir(parents=True, exist_ok=True)
        describe, pkl = _describe(name, i)
        pkl_sha = hashlib.sha256(pkl).hexdigest()
        previous = None
        for v in range(spec.versions):
            h = version_hash(name, v)
            at = BASE_TIME + timedelta(days=v, seconds=i)
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
        assert previous is not None
        pointer = {
            "hash": previous,
            "class_name": name,
            "updated_at": _iso(BASE_TIME + timedelta(days=spec.versions - 1, seconds=i)),
            "updated_by": "bench@localhost",
            "previous": version_hash(name, spec.versions - 2) if spec.versions > 1 else None,
        }
        _write(folder / "latest.json", json.dumps(pointer).encode())


def raw_scandir_keys(root: Path) -> list[str]:
    """Baseline: every key under ``plugins/`` by an ``os.scandir`` walk, nothing more."""
    keys: list[str] = []
    base = len(str(root)) + 1
    stack = [str(root / "plugins")]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    keys.append(entry.path[base:])
    return keys
