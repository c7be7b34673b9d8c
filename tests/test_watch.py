"""watch: what others change, noticed by polling; an unchanged store costs one listing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from petbrowser.core.manager import PetClassManager
from petbrowser.core.store import Store
from petbrowser.core.watch import change_lines, describe_change
from tests.test_store_classes import meta, pkl
from tests.timetravel_helpers import record, set_pointer, version


class Requests:
    """Counts what a storage is asked: S3 API calls on boto3's event system, or
    the Storage methods of a local store."""

    def __init__(self, storage) -> None:
        self.calls: list[str] = []
        client = getattr(storage, "_client", None)
        if client is not None:
            client.meta.events.register(
                "before-call.s3", lambda model, **kw: self.calls.append(model.name)
            )
        else:
            for name in ("list", "read", "read_with_token", "exists"):
                real = getattr(storage, name)

                def counted(*a, _real=real, _name=name, **kw):
                    self.calls.append(_name)
                    return _real(*a, **kw)

                setattr(storage, name, counted)

    def take(self) -> list[str]:
        out, self.calls = self.calls, []
        return out


@pytest.fixture()
def store(any_storage) -> Store:
    return Store(any_storage, user="dana@lab")


def test_an_unchanged_store_costs_one_listing_per_poll(store, any_storage):
    h = version(store, "Tagger", 1)
    store.move_latest("Tagger", h, expected=None, action="push")
    watcher = PetClassManager(any_storage, user="dana@lab").watcher()
    count = Requests(any_storage)
    assert watcher.poll() == []  # the baseline
    count.take()
    for _ in range(3):
        assert watcher.poll() == []
        assert count.take() == (["ListObjectsV2"] if hasattr(any_storage, "_client") else ["list"])


def test_a_push_by_someone_else_is_seen_with_who_and_what(store, any_storage):
    h1, h2 = version(store, "Tagger", 1), version(store, "Tagger", 2)
    store.move_latest("Tagger", h1, expected=None, action="push")
    watcher = PetClassManager(any_storage).watcher()
    watcher.poll()

    alice = Store(any_storage, user="alice@lab")
    h3 = version(alice, "Tagger", 3)
    alice.move_latest("Tagger", h3, expected=h1, action="push")
    changes = watcher.poll()
    assert [(c.kind, c.hash) for c in changes] == [("version_added", h3), ("latest_moved", h3)]
    moved = changes[1]
    assert (moved.from_hash, moved.by, moved.action, moved.recorded) == (h1, "alice@lab", "push", True)
    lines = change_lines(changes, datetime.now(timezone.utc))
    assert len(lines) == 1  # the new version is said once, by the push that made it latest
    assert lines[0].startswith(f"Tagger: latest moved to {h3[:12]} (was {h1[:12]}) by alice@lab (push), ")
    assert lines[0].endswith(" s ago")

    alice.move_latest("Tagger", h2, expected=h3, action="rollback")
    [c] = watcher.poll()
    assert (c.kind, c.hash, c.from_hash, c.action) == ("latest_moved", h2, h3, "rollback")
    assert watcher.poll() == []


def test_a_move_without_a_record_and_a_late_record(store, any_storage):
    h1, h2 = version(store, "Scaler", 1), version(store, "Scaler", 2)
    store.move_latest("Scaler", h1, expected=None, action="push")
    watcher = PetClassManager(any_storage).watcher()
    watcher.poll()

    set_pointer(store, "Scaler", h2)  # LabChain, or a mover between its CAS and its record
    [c] = watcher.poll()
    assert (c.kind, c.hash, c.recorded) == ("latest_moved", h2, False)
    assert "without a history record" in describe_change(c)

    # the record lands a poll later: the move is not reported twice
    record(store, "Scaler", "2026-03-03T10:00:00.000000Z", "rollback", h1, h2, "bob@lab")
    assert watcher.poll() == []


def test_a_new_class_and_a_removed_class(tmp_path):
    from petbrowser.core.storage import open_storage

    storage = open_storage(tmp_path / "store")
    store = Store(storage, user="erin@lab")
    version(store, "Old", 1)
    watcher = PetClassManager(storage).watcher()
    watcher.poll()
    data = pkl(7)
    n = hashlib.sha256(data).hexdigest()
    store.write_version("Fresh", n, data, meta(n, data, "2026-03-03T10:00:00Z"))
    store.move_latest("Fresh", n, expected=None, action="push")
    for p in sorted((tmp_path / "store" / "plugins" / "Old").rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    changes = watcher.poll()
    assert [(c.kind, c.class_name) for c in changes] == [
        ("version_added", "Fresh"), ("latest_moved", "Fresh"), ("class_removed", "Old"),
    ]  # fmt: skip
    assert (changes[0].by, changes[0].at) == ("ana@lab", "2026-03-03T10:00:00Z")  # from its meta


def test_a_petbrowser_move_waits_one_poll_for_its_record(store, any_storage, monkeypatch):
    """The mover writes the pointer, then the record: a poll in between tells the move
    once, from the record, a poll later; if the record never comes, from the pointer."""
    h1, h2, h3 = (version(store, "Model", n) for n in (1, 2, 3))
    store.move_latest("Model", h1, expected=None, action="push")
    watcher = PetClassManager(any_storage).watcher()
    watcher.poll()

    with monkeypatch.context() as m:
        m.setattr(Store, "_record", lambda self, name, at, action, frm, to: None)
        store.move_latest("Model", h2, expected=h1, action="rollback")  # record not yet written
    assert watcher.poll() == []  # pending: the record is on its way
    at = store.read_pointer("Model").updated_at  # the mover's record carries the pointer's time
    record(store, "Model", at, "rollback", h1, h2, "dana@lab")
    [c] = watcher.poll()
    assert (c.hash, c.from_hash, c.action, c.recorded, c.by) == (h2, h1, "rollback", True, "dana@lab")

    with monkeypatch.context() as m:
        m.setattr(Store, "_record", lambda self, name, at, action, frm, to: None)
        store.move_latest("Model", h3, expected=h2, action="push")  # the mover died: no record
    assert watcher.poll() == []
    [c] = watcher.poll()
    assert (c.hash, c.from_hash, c.recorded, c.by) == (h3, h2, False, "dana@lab")
    assert watcher.poll() == []
