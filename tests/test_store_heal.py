"""A pointer move whose history record was lost in a crash is recorded by the next move."""

from __future__ import annotations

import hashlib

import pytest

from petbrowser.core.store import Store


class _Killed(BaseException):
    """Stands for SIGKILL between the pointer's compare-and-swap and its history record."""


def _version(store: Store, name: str, n: int) -> str:
    data = f"version {n}".encode()
    h = hashlib.sha256(data).hexdigest()
    store.write_version(name, h, data, None)
    return h


def test_next_move_recovers_the_lost_history_record(any_storage, monkeypatch):
    store = Store(any_storage, user="alice@lab")
    h1, h2, h3 = (_version(store, "Model", n) for n in (1, 2, 3))
    store.move_latest("Model", h1, expected=None, action="push")

    def killed(*args, **kwargs):
        raise _Killed()

    with monkeypatch.context() as m:
        m.setattr(Store, "_record", killed)
        with pytest.raises(_Killed):
            store.move_latest("Model", h2, expected=h1, action="rollback")
    assert store.read_pointer("Model").hash == h2  # the move happened...
    assert [(e.from_hash, e.to_hash) for e in store.history("Model")] == [(None, h1)]  # ...unrecorded
    assert any("history" in i.message for i in store.verify().warnings)

    store.move_latest("Model", h3, expected=h2, action="push")

    moves = [(e.action, e.from_hash, e.to_hash, e.by) for e in store.history("Model")]
    assert moves == [
        ("push", None, h1, "alice@lab"),
        ("rollback", h1, h2, "alice@lab"),
        ("push", h2, h3, "alice@lab"),
    ]
    assert not any("history" in i.message for i in store.verify().issues)


def test_recorded_moves_are_not_duplicated(any_storage):
    store = Store(any_storage, user="bob@lab")
    h1, h2 = (_version(store, "Model", n) for n in (1, 2))
    store.move_latest("Model", h1, expected=None, action="push")
    store.move_latest("Model", h2, expected=h1, action="push")
    store.move_latest("Model", h1, expected=h2, action="rollback")
    store.move_latest("Model", h2, expected=h1, action="undo")
    assert [e.action for e in store.history("Model")] == ["push", "push", "rollback", "undo"]


def test_a_record_healed_before_the_mover_writes_it_is_not_duplicated(any_storage, monkeypatch):
    """Mover A swapped the pointer; B heals A's record before A writes it: one record."""
    store = Store(any_storage, user="carol@lab")
    h1, h2 = (_version(store, "Model", n) for n in (1, 2))
    store.move_latest("Model", h1, expected=None, action="push")
    real_record = Store._record

    def heal_first(self, name, at, action, frm, to):
        Store(any_storage, user="dave@lab")._heal_history(self.read_pointer(name))
        return real_record(self, name, at, action, frm, to)

    monkeypatch.setattr(Store, "_record", heal_first)
    store.move_latest("Model", h2, expected=h1, action="rollback")
    assert [(e.action, e.from_hash, e.to_hash) for e in store.history("Model")] == [
        ("push", None, h1),
        ("rollback", h1, h2),
    ]
