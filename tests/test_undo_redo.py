"""undo/redo of one class along its recorded history (compare-and-swap), both backends."""

from __future__ import annotations

import pytest

from petbrowser.core.errors import ConflictError, NotFoundError
from petbrowser.core.manager import PetClassManager
from tests.timetravel_helpers import set_pointer, version


@pytest.fixture()
def manager(any_storage) -> PetClassManager:
    return PetClassManager(any_storage, user="dana@lab")


def _three(manager: PetClassManager) -> tuple[str, str, str]:
    """push v1, push v2, roll back to v1: the demo's Normalizer story."""
    v1, v2, v3 = (version(manager.store, "Norm", n) for n in (1, 2, 3))
    manager.move_latest("Norm", v1, expected=None, action="push")
    manager.move_latest("Norm", v2, expected=v1, action="push")
    manager.move_latest("Norm", v1, expected=v2, action="rollback")
    return v1, v2, v3


def _latest(manager: PetClassManager) -> str:
    return manager.store.read_pointer("Norm").hash


def test_undo_steps_back_one_move_at_a_time_and_redo_steps_forward(manager):
    v1, v2, _ = _three(manager)
    state = manager.undo_state("Norm")
    assert (state.undo.action, state.redo) == ("rollback", None)

    e = manager.undo_latest("Norm")  # undo the rollback
    assert (e.action, e.from_hash, e.to_hash) == ("undo", v1, v2) and _latest(manager) == v2
    e = manager.undo_latest("Norm")  # undo of an undo steps further back: the second push
    assert (e.action, e.to_hash) == ("undo", v1) and _latest(manager) == v1
    with pytest.raises(NotFoundError, match="first recorded move created the pointer"):
        manager.undo_latest("Norm")

    state = manager.undo_state("Norm")
    assert state.redo.action == "push" and state.redo.to_hash == v2
    e = manager.redo_latest("Norm")  # redo re-applies the last undone: the push
    assert (e.action, e.to_hash) == ("redo", v2) and _latest(manager) == v2
    e = manager.redo_latest("Norm")  # then the rollback
    assert (e.action, e.to_hash) == ("redo", v1) and _latest(manager) == v1
    with pytest.raises(NotFoundError, match="nothing to redo"):
        manager.redo_latest("Norm")
    assert manager.undo_state("Norm").undo.action == "rollback"  # the redone move is undoable again


def test_a_new_move_after_an_undo_discards_the_redo(manager):
    v1, v2, v3 = _three(manager)
    manager.undo_latest("Norm")
    assert manager.undo_state("Norm").redo is not None
    manager.move_latest("Norm", v3, expected=v2, action="push")
    assert manager.undo_state("Norm").redo is None
    with pytest.raises(NotFoundError, match="nothing to redo"):
        manager.redo_latest("Norm")
    assert manager.undo_latest("Norm").to_hash == v2  # undo takes back the new push


def test_undo_after_a_move_nobody_recorded_is_a_conflict_and_changes_nothing(manager):
    v1, v2, v3 = _three(manager)
    set_pointer(manager.store, "Norm", v3)  # LabChain moved it: no record
    before = len(manager.history("Norm"))
    with pytest.raises(ConflictError, match="nothing changed") as exc:
        manager.undo_latest("Norm")
    assert exc.value.exit_code == 3 and exc.value.actual == v3
    assert _latest(manager) == v3 and len(manager.history("Norm")) == before


def test_undo_of_a_class_without_history(manager):
    h = version(manager.store, "Legacy", 1)
    set_pointer(manager.store, "Legacy", h)
    with pytest.raises(NotFoundError, match="no recorded pointer move"):
        manager.undo_latest("Legacy")
