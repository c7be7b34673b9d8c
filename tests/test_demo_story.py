"""The demo tells a story: three weeks, three authors, a rollback and a restore, made of
real pushes (child processes) with only the recorded times and authors set by the demo."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from petbrowser.core.demo import create_demo
from petbrowser.core.manager import PetClassManager
from petbrowser.core.storage import open_storage
from petbrowser.core.times import parse_utc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> PetClassManager:
    project = create_demo(tmp_path_factory.mktemp("story"), python=sys.executable)
    return PetClassManager(open_storage(Path(project).parent / "store"), user="viewer@lab")


def test_the_timeline_spans_weeks_with_three_authors_a_rollback_and_a_restore(demo):
    t = demo.timeline()
    assert {e.by for e in t.entries} == {"alice@lab", "bob@lab", "carol@lab"}
    assert {"push", "rollback", "restore"} <= {e.action for e in t.entries}
    times = [parse_utc(e.at) for e in t.entries]
    now = datetime.now(timezone.utc)
    assert max(times) < now - timedelta(days=6)  # all in the past
    assert max(times) - min(times) >= timedelta(days=13)  # Mon week 1 to Mon week 3
    assert t.without_history == ()
    # every version is dated by its step, not "just now", and by its author
    versions = [v for c in demo.list_classes() for v in c.versions]
    assert len({v.pushed_at[:10] for v in versions}) >= 5
    assert {v.pushed_by for v in versions} == {"alice@lab", "bob@lab", "carol@lab"}
    assert demo.verify().ok  # retimed sidecars and records still check out


def test_restore_to_tuesday_has_something_to_show(demo, tmp_path):
    restore = next(e for e in demo.timeline().entries if e.action == "restore")
    friday = parse_utc(restore.at).astimezone()
    assert friday.strftime("%a") == "Fri"
    tuesday = (friday - timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)
    plan = demo.plan_restore(tuesday)
    [move] = plan.moves  # Normalizer was rolled back after Tuesday
    assert move.class_name == "Normalizer" and dict(move.changes.methods) == {
        "fit": "changed", "transform": "changed",
    }  # fmt: skip
    before_restore = demo.plan_restore(friday - timedelta(minutes=1))
    assert {s.class_name for s in before_restore.moves} == {"Normalizer", "LinearModel", "Clipper"}


def test_method_history_shows_a_rename(demo):
    b = demo.blame("Clipper")
    clip = next(m for m in b.methods if m.name == "clip")
    assert clip.names == ("clip", "apply")
    assert [(c.change, c.pushed_by) for c in clip.changes] == [
        ("renamed", "bob@lab"), ("added", "alice@lab"),
    ]  # fmt: skip
    fit = next(m for m in demo.blame("ThresholdFilter").methods if m.name == "apply")
    assert [(c.change, c.pushed_by) for c in fit.changes] == [
        ("changed", "bob@lab"), ("added", "alice@lab"),
    ]  # fmt: skip
