"""A ``repair`` record (a JSON pointer rewritten in LabChain's form, same hash) moves nothing.

Undo and redo step over it to the last real move, a restore never takes it
for where the pointer was, verify does not take it for the last move, and
the timeline still shows it.  The interesting case is a repair whose
writer's clock ran ahead: its record is stamped after moves that really
followed it, and time order alone puts it last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from petbrowser.core.manager import PetClassManager
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store
from tests.timetravel_helpers import moves, record, set_pointer, version

REPO = Path(__file__).resolve().parent.parent


def _late_repair(store: Store) -> dict[str, str]:
    """push a, push b, repair b (clock 40 minutes ahead: stamped 11:50, really ~11:05),
    push c.  The pointer is at c."""
    a, b, c = (version(store, "K", n) for n in (1, 2, 3))
    moves(
        store, "K",
        ("2026-03-02T10:00:00.000000Z", "push", None, a, "ana@lab"),
        ("2026-03-02T11:00:00.000000Z", "push", a, b, "ana@lab"),
        ("2026-03-02T11:50:00.000000Z", "repair", b, b, "rui@lab"),
        ("2026-03-02T11:10:00.000000Z", "push", b, c, "ana@lab"),
    )  # fmt: skip
    return {"a": a, "b": b, "c": c}


def _late_repair_then_a_gap(store: Store) -> dict[str, str]:
    """:func:`_late_repair`, then LabChain moves c -> x (no record), and petbrowser
    records x -> y, a rollback y -> b and a push b -> z.  The pointer is at z."""
    h = _late_repair(store)
    x, y, z = (version(store, "K", n) for n in (4, 5, 6))
    set_pointer(store, "K", x)
    moves(
        store, "K",
        ("2026-03-02T12:00:00.000000Z", "push", x, y, "ana@lab"),
        ("2026-03-02T12:10:00.000000Z", "rollback", y, h["b"], "ana@lab"),
        ("2026-03-02T12:20:00.000000Z", "push", h["b"], z, "ana@lab"),
    )  # fmt: skip
    return {**h, "x": x, "y": y, "z": z}


@pytest.fixture()
def manager(any_storage) -> PetClassManager:
    return PetClassManager(any_storage, user="dana@lab")


def _latest(manager: PetClassManager) -> str:
    return manager.store.read_pointer("K").hash


def test_undo_and_redo_step_over_a_late_repair_to_the_last_real_move(manager):
    h = _late_repair_then_a_gap(manager.store)
    history = manager.history("K")
    assert history[-1].action == "push" and history[-1].to_hash == h["z"]
    assert manager.undo_state("K").undo.to_hash == h["z"]

    e = manager.undo_latest("K")  # takes back the push b -> z (not the rollback, not the repair)
    assert (e.action, e.from_hash, e.to_hash) == ("undo", h["z"], h["b"]) and _latest(manager) == h["b"]
    e = manager.redo_latest("K")
    assert (e.action, e.from_hash, e.to_hash) == ("redo", h["b"], h["z"]) and _latest(manager) == h["z"]


def test_a_repair_at_the_end_of_the_history_is_stepped_over(manager):
    h = _late_repair(manager.store)
    record(manager.store, "K", "2026-03-02T11:20:00.000000Z", "repair", h["c"], h["c"], "rui@lab")
    assert manager.history("K")[-1].action == "repair"  # honest clock: it is the last record
    assert manager.undo_latest("K").to_hash == h["b"]
    assert manager.undo_latest("K").to_hash == h["a"]  # the repairs of b and c are no steps
    assert manager.redo_latest("K").to_hash == h["b"]
    assert manager.redo_latest("K").to_hash == h["c"]


def test_restore_never_takes_a_repair_for_where_the_pointer_was(manager):
    h = _late_repair(manager.store)
    at = datetime(2026, 3, 2, 11, 55, tzinfo=timezone.utc)  # after c's push and the repair's stamp
    plan = manager.plan_restore(at)
    (step,) = plan.steps
    assert (step.now, step.then) == (h["c"], h["c"]) and not plan.moves
    plan = manager.plan_restore(datetime(2026, 3, 2, 11, 5, tzinfo=timezone.utc))
    assert [(s.now, s.then) for s in plan.moves] == [(h["c"], h["b"])]


def test_a_late_repair_is_not_taken_for_a_move_nobody_recorded(manager):
    _late_repair(manager.store)
    report = manager.verify()
    assert not [i for i in report.issues if "without a history record" in i.message], report.issues


def test_cli_undo_log_and_restore_over_a_late_repair(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "store")
    h = _late_repair_then_a_gap(Store(storage))
    (tmp_path / "proj").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "petbrowser", *args, "--storage", str(tmp_path / "store"),
             "--project", str(tmp_path / "proj")],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip

    got = cli("log", "--all", "--json")
    assert got.returncode == 0, got.stderr
    assert [e["action"] for e in json.loads(got.stdout)].count("repair") == 1

    got = cli("restore", "--at", "2026-03-02T11:55Z", "--dry-run", "--json")
    assert got.returncode == 0, got.stderr
    (step,) = json.loads(got.stdout)["plan"]["steps"]
    assert step["then"] == h["c"]

    got = cli("undo", "K")
    assert got.returncode == 0, got.stderr
    assert "undid the push" in got.stdout and "Traceback" not in got.stderr
    assert Store(storage).read_pointer("K").hash == h["b"]
