"""Building stores with a history written at chosen times, as other writers would.

A history record carries its writer's clock; tests that are about time write
records with the times (and skews) they need, exactly as another petbrowser
with that clock would have, and move pointers the way LabChain does (a plain
pickled dict, no record) where a test needs a move nobody recorded.
"""

from __future__ import annotations

import hashlib
import pickle

from petbrowser.core import layout
from petbrowser.core.errors import NotFoundError
from petbrowser.core.store import Store
from petbrowser.core.store.records import history_body
from petbrowser.core.times import parse_utc


def version(store: Store, name: str, n: int) -> str:
    """Store a small well-formed pickle as a version of ``name``; its hash."""
    data = pickle.dumps({"version": n, "pad": "x" * 300}, protocol=4)
    h = hashlib.sha256(data).hexdigest()
    store.write_version(name, h, data, None)
    return h


def record(store: Store, name: str, at: str, action: str, frm: str | None, to: str, by: str) -> None:
    """A history record exactly as a writer whose clock said ``at`` writes it."""
    when = parse_utc(at)
    assert when is not None
    doc = {"at": at, "action": action, "from": frm, "to": to, "by": by, "class_name": name}
    store.storage.create(layout.history_key(name, when, to), history_body(doc))


def set_pointer(store: Store, name: str, h: str) -> None:
    """Point ``latest`` at ``h`` the way LabChain does: a pickled dict, no history record."""
    key = layout.latest_key(name)
    try:
        _, token = store.storage.read_with_token(key)
    except NotFoundError:
        token = None
    store.storage.replace(key, pickle.dumps({"hash": h, "class_name": name}, protocol=4), token)


def moves(store: Store, name: str, *steps: tuple[str, str, str | None, str, str]) -> None:
    """Record ``(at, action, from, to, by)`` moves and leave the pointer at the last ``to``."""
    for at, action, frm, to, by in steps:
        record(store, name, at, action, frm, to, by)
    set_pointer(store, name, steps[-1][3])


def slow_clock_chain(store: Store, name: str) -> tuple[str, str, str]:
    """Three pushes of ``name`` where carol's clock is 5 minutes slow: her move after
    bob's is stamped before it (key order alone puts it second).  The three versions."""
    a1, a2, a3 = (version(store, name, n) for n in (1, 2, 3))
    moves(
        store, name,
        ("2026-03-02T10:00:00.000000Z", "push", None, a1, "alice@lab"),
        ("2026-03-02T12:00:00.000000Z", "push", a1, a2, "bob@lab"),
        ("2026-03-02T11:57:00.000000Z", "push", a2, a3, "carol@lab"),  # really 12:02
    )  # fmt: skip
    return a1, a2, a3
