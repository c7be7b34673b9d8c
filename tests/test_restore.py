"""Restore a moment on both backends: the plan, a conflict on one class, undo and redo."""

from __future__ import annotations

import pickle

import pytest

from petbrowser.core import layout
from petbrowser.core.errors import NotFoundError
from petbrowser.core.manager import PetClassManager
from petbrowser.core.store import Store
from petbrowser.core.times import parse_utc
from tests.timetravel_helpers import moves, set_pointer, version

TUESDAY = parse_utc("2026-03-03T18:00:00Z")


@pytest.fixture()
def manager(any_storage) -> PetClassManager:
    return PetClassManager(any_storage, user="dana@lab")


def _latest(store: Store, name: str) -> str:
    return pickle.loads(store.storage.read(layout.latest_key(name)))["hash"]


def _week(store: Store) -> dict[str, list[str]]:
    """Scaler and Filter moved after Tuesday; Model did not; New was created after;
    Legacy (LabChain's) has no records; Adopted's records start on Thursday."""
    names = ("Scaler", "Filter", "Model", "New", "Legacy", "Adopted")
    v = {n: [version(store, n, i) for i in range(3)] for n in names}
    s, f, m, n, lg, ad = (v[k] for k in ("Scaler", "Filter", "Model", "New", "Legacy", "Adopted"))
    moves(
        store, "Scaler",
        ("2026-03-02T09:00:00.000000Z", "push", None, s[0], "alice@lab"),
        ("2026-03-03T11:00:00.000000Z", "push", s[0], s[1], "bob@lab"),
        ("2026-03-05T10:00:00.000000Z", "push", s[1], s[2], "carol@lab"),
    )  # fmt: skip
    moves(
        store, "Filter",
        ("2026-03-02T09:00:00.000000Z", "push", None, f[0], "alice@lab"),
        ("2026-03-06T16:00:00.000000Z", "push", f[0], f[1], "bob@lab"),
    )  # fmt: skip
    moves(store, "Model", ("2026-03-02T09:00:00.000000Z", "push", None, m[0], "alice@lab"))
    moves(store, "New", ("2026-03-04T09:00:00.000000Z", "push", None, n[0], "carol@lab"))
    set_pointer(store, "Legacy", lg[1])
    set_pointer(store, "Adopted", ad[0])
    moves(store, "Adopted", ("2026-03-05T09:00:00.000000Z", "rollback", ad[0], ad[1], "bob@lab"))
    return v


def test_plan_lists_each_class_then_and_now_and_why_others_are_left_alone(manager):
    v = _week(manager.store)
    plan = manager.plan_restore(TUESDAY)
    steps = {s.class_name: s for s in plan.steps}
    assert (steps["Scaler"].now, steps["Scaler"].then) == (v["Scaler"][2], v["Scaler"][1])
    assert (steps["Filter"].now, steps["Filter"].then) == (v["Filter"][1], v["Filter"][0])
    assert not steps["Model"].moves and steps["Model"].changes is None
    assert [s.class_name for s in plan.moves] == ["Filter", "Scaler"]
    reasons = {s.class_name: s.reason for s in plan.skipped}
    assert reasons == {"New": "created_after", "Legacy": "no_history", "Adopted": "no_record_before"}
    assert plan.first_record_at.startswith("2026-03-02T09:00:00")
    # these versions are plain pickles without metadata: described statically, no crash
    assert steps["Scaler"].changes is not None
    assert [s["class"] for s in plan.to_json()["steps"]] == ["Filter", "Model", "Scaler"]


def test_restore_with_a_conflict_on_one_class_moves_the_others(manager, any_storage):
    v = _week(manager.store)
    plan = manager.plan_restore(TUESDAY)
    # between the plan and the restore, someone else pushes Filter again
    teammate = PetClassManager(any_storage, user="erin@lab")
    teammate.move_latest("Filter", v["Filter"][2], expected=v["Filter"][1], action="push")

    batch = manager.execute_restore(plan)
    out = {o.class_name: o for o in batch.outcomes}
    assert out["Scaler"].status == "moved" and out["Filter"].status == "conflict"
    assert out["Filter"].actual == v["Filter"][2]
    assert _latest(manager.store, "Scaler") == v["Scaler"][1]  # LabChain's plain pickle.loads
    assert _latest(manager.store, "Filter") == v["Filter"][2]  # the teammate's push stands
    last = manager.history("Scaler")[-1]
    assert (last.action, last.from_hash, last.to_hash, last.by) == (
        "restore", v["Scaler"][2], v["Scaler"][1], "dana@lab",
    )  # fmt: skip
    assert manager.history("Filter")[-1].by == "erin@lab"  # nothing recorded for the loser
    for name in ("Model", "New", "Legacy", "Adopted"):  # left alone
        assert name not in out


def test_undo_of_a_restore_moves_every_moved_pointer_back_and_redo_again(manager, any_storage):
    v = _week(manager.store)
    batch = manager.execute_restore(manager.plan_restore(TUESDAY))
    assert {o.class_name for o in batch.moved} == {"Scaler", "Filter"}

    undone = manager.reverse_moves(batch, "undo")
    assert {o.class_name: o.status for o in undone.outcomes} == {"Scaler": "moved", "Filter": "moved"}
    assert _latest(manager.store, "Scaler") == v["Scaler"][2]
    assert _latest(manager.store, "Filter") == v["Filter"][1]
    assert manager.history("Scaler")[-1].action == "undo"

    redone = manager.reverse_moves(undone, "redo")
    assert not redone.conflicts and _latest(manager.store, "Scaler") == v["Scaler"][1]
    assert manager.history("Filter")[-1].action == "redo"

    # someone moves Scaler; undoing the redo now conflicts for Scaler only
    PetClassManager(any_storage, user="erin@lab").move_latest(
        "Scaler", v["Scaler"][0], expected=v["Scaler"][1]
    )
    again = manager.reverse_moves(redone, "undo")
    assert {o.class_name: o.status for o in again.outcomes} == {
        "Scaler": "conflict", "Filter": "moved",
    }  # fmt: skip
    assert _latest(manager.store, "Scaler") == v["Scaler"][0]
    assert _latest(manager.store, "Filter") == v["Filter"][1]


def test_named_classes_only_and_an_unknown_name(manager):
    v = _week(manager.store)
    plan = manager.plan_restore(TUESDAY, ["Scaler"])
    assert [s.class_name for s in plan.steps] == ["Scaler"] and not plan.skipped
    batch = manager.execute_restore(plan)
    assert [o.class_name for o in batch.moved] == ["Scaler"]
    assert _latest(manager.store, "Filter") == v["Filter"][1]
    with pytest.raises(NotFoundError, match="Nope"):
        manager.plan_restore(TUESDAY, ["Nope"])


def test_store_without_history_has_nothing_to_restore_from(manager):
    h = version(manager.store, "Legacy", 1)
    set_pointer(manager.store, "Legacy", h)
    plan = manager.plan_restore(TUESDAY)
    assert plan.steps == () and plan.first_record_at is None
    assert [s.reason for s in plan.skipped] == ["no_history"]
