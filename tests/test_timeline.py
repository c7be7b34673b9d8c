"""The merged timeline and pointer-at-T, on both backends: ties, clock skew between
writers, classes created after T, classes without history."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from petbrowser.core.store import Store
from petbrowser.core.timeline import build_timeline, causal_order, pointer_at
from petbrowser.core.times import parse_utc
from tests.timetravel_helpers import moves, set_pointer, slow_clock_chain, version


def utc(text: str) -> datetime:
    at = parse_utc(text)
    assert at is not None
    return at


@pytest.fixture()
def store(any_storage) -> Store:
    return Store(any_storage, user="tester@lab", max_workers=4)


def test_pointer_at_follows_the_records_and_counts_a_move_at_exactly_t(store):
    a1, a2, a3 = (version(store, "Scaler", n) for n in (1, 2, 3))
    moves(
        store, "Scaler",
        ("2026-03-02T10:00:00.000000Z", "push", None, a1, "alice@lab"),
        ("2026-03-03T12:00:00.000000Z", "push", a1, a2, "bob@lab"),
        ("2026-03-05T14:00:00.000000Z", "rollback", a2, a3, "carol@lab"),
    )  # fmt: skip
    hist = store.history("Scaler")
    assert pointer_at(hist, utc("2026-03-02T09:59:59Z")) is None  # before it existed
    assert pointer_at(hist, utc("2026-03-02T11:00:00Z")).to_hash == a1
    assert pointer_at(hist, utc("2026-03-03T12:00:00Z")).to_hash == a2  # a move at T counts
    assert pointer_at(hist, utc("2026-03-03T11:59:59.999999Z")).to_hash == a1
    assert pointer_at(hist, utc("2026-04-01T00:00:00Z")).to_hash == a3


def test_two_moves_stamped_the_same_microsecond_keep_their_chain_order(store):
    # The second move's target sorts before the first's by hash, so key order
    # (time, then hash) alone would put the later move first.
    a, b, c = (version(store, "Tie", n) for n in range(3))
    first_to, second_to = max(b, c), min(b, c)
    same = "2026-03-03T12:00:00.000000Z"
    moves(
        store, "Tie",
        ("2026-03-01T08:00:00.000000Z", "push", None, a, "alice@lab"),
        (same, "push", a, first_to, "alice@lab"),
        (same, "rollback", first_to, second_to, "bob@lab"),
    )  # fmt: skip
    hist = store.history("Tie")
    assert [(e.from_hash, e.to_hash) for e in hist] == [
        (None, a), (a, first_to), (first_to, second_to),
    ]  # fmt: skip
    assert pointer_at(hist, utc(same)).to_hash == second_to == store.read_pointer("Tie").hash


def test_a_writer_with_a_slow_clock_does_not_reorder_the_chain(store):
    """carol's clock is 5 minutes slow: her move after bob's is stamped before it."""
    a1, a2, a3 = slow_clock_chain(store, "Skewed")
    hist = store.history("Skewed")
    assert [e.by for e in hist] == ["alice@lab", "bob@lab", "carol@lab"]
    # After both moves the pointer is a3, as it really is (time order alone says a2).
    assert pointer_at(hist, utc("2026-03-02T13:00:00Z")).to_hash == a3
    assert pointer_at(hist, utc("2026-03-02T11:00:00Z")).to_hash == a1
    timeline = build_timeline(store)
    assert [e.by for e in timeline.entries] == ["carol@lab", "bob@lab", "alice@lab"]


def test_causal_order_does_not_let_a_much_later_move_jump_a_gap():
    """A lost record leaves a gap; a move a day later must not be pulled ahead of it."""
    from petbrowser.core.models import HistoryEntry

    a, b, c = "a" * 64, "b" * 64, "c" * 64
    es = [
        HistoryEntry("2026-03-01T10:00:00Z", "push", None, a, "x", "K", "k1"),
        # (a -> b unrecorded)
        HistoryEntry("2026-03-01T11:00:00Z", "rollback", b, a, "x", "K", "k2"),
        HistoryEntry("2026-03-02T11:00:00Z", "push", a, c, "x", "K", "k3"),
    ]
    assert [e.key for e in causal_order(es)] == ["k1", "k2", "k3"]


def test_timeline_merges_every_class_newest_first_and_names_classes_without_history(store):
    a1, a2 = version(store, "Alpha", 1), version(store, "Alpha", 2)
    b1 = version(store, "Beta", 1)
    lc = version(store, "LabChainOnly", 1)
    set_pointer(store, "LabChainOnly", lc)
    moves(
        store, "Alpha",
        ("2026-03-01T10:00:00.000000Z", "push", None, a1, "alice@lab"),
        ("2026-03-04T10:00:00.000000Z", "push", a1, a2, "alice@lab"),
    )  # fmt: skip
    moves(store, "Beta", ("2026-03-02T10:00:00.000000Z", "push", None, b1, "bob@lab"))
    t = build_timeline(store)
    assert [(e.class_name, e.at[:10]) for e in t.entries] == [
        ("Alpha", "2026-03-04"), ("Beta", "2026-03-02"), ("Alpha", "2026-03-01"),
    ]  # fmt: skip
    assert t.without_history == ("LabChainOnly",)
    assert t.first_record_at.startswith("2026-03-01T10:00:00")
    assert t.to_json()[0] == {
        "at": "2026-03-04T10:00:00.000000Z", "action": "push", "from": a1, "to": a2,
        "by": "alice@lab", "class": "Alpha",
    }  # fmt: skip

    since = build_timeline(store, since=utc("2026-03-02T00:00:00Z"))
    assert [e.class_name for e in since.entries] == ["Alpha", "Beta"]
    assert since.without_history == ("LabChainOnly",)  # Alpha's older record still counts


def test_since_reads_no_record_older_than_the_moment(store):
    """--since skips old records by their key (a record's key starts with its time)."""
    a1, a2 = version(store, "Alpha", 1), version(store, "Alpha", 2)
    moves(
        store, "Alpha",
        ("2026-03-01T10:00:00.000000Z", "push", None, a1, "alice@lab"),
        ("2026-03-04T10:00:00.000000Z", "push", a1, a2, "alice@lab"),
    )  # fmt: skip
    reads: list[str] = []
    real_read = store.storage.read

    def counting_read(key: str) -> bytes:
        reads.append(key)
        return real_read(key)

    real_token_read = store.storage.read_with_token

    def counting_token_read(key: str) -> tuple[bytes, str]:  # S3 keeps a record under its read's ETag
        reads.append(key)
        return real_token_read(key)

    store.storage.read = counting_read  # type: ignore[method-assign]
    store.storage.read_with_token = counting_token_read  # type: ignore[method-assign]
    t = build_timeline(store, since=datetime(2026, 3, 3, tzinfo=timezone.utc))
    assert [e.to_hash for e in t.entries] == [a2]
    assert [k for k in reads if "/history/" in k] == [t.entries[0].key]
