"""Store.verify: problems (exit 4) vs warnings, on both backends, never unpickling."""

from __future__ import annotations

import json
import pickle

from petbrowser.core import layout
from petbrowser.core.storage import LocalStorage
from petbrowser.core.store import Store
from tests.test_store_classes import H1, H2, H3, meta, pkl, push


def _by_key(report, level):
    return {(i.key, i.message) for i in report.issues if i.level == level}


def _keys(report, level):
    return {i.key for i in report.issues if i.level == level}


def test_clean_store_verifies_ok(any_storage):
    store = Store(any_storage, user="ana@lab")
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", H2, 2, "2026-02-01T00:00:00Z")
    store.move_latest("Alpha", H1, None, action="push")
    store.move_latest("Alpha", H2, H1, action="push")
    progress = []
    report = store.verify(on_progress=lambda done, total: progress.append((done, total)))
    assert report.ok and report.issues == ()
    assert report.checked == 7  # 2 pkl, 2 meta, the pointer, 2 history records
    assert progress[-1][0] == progress[-1][1] and len(progress) == progress[-1][1]
    assert report.to_json()["ok"] is True


def test_every_kind_of_damage_is_found(any_storage, tmp_path):
    canary = tmp_path / "canary"

    class Canary:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {canary}",))

    store = Store(any_storage, user="ana@lab")
    put = any_storage.create
    # digest mismatch: the meta records other bytes
    data = pkl(1)
    put(layout.version_key("Digest", H1), data)
    put(
        layout.meta_key("Digest", H1), json.dumps(meta(H1, pkl(9), "2026-01-01T00:00:00Z")).encode()
    )
    # truncated pickle
    put(layout.version_key("Truncated", H1), pkl(2)[:-40])
    # meta that does not parse
    put(layout.version_key("BadMeta", H1), pkl(3))
    put(layout.meta_key("BadMeta", H1), b"{not json")
    # pointer that does not parse / points nowhere
    push(store, "BadPointer", H1, 4, "2026-01-01T00:00:00Z")
    put(layout.latest_key("BadPointer"), b"\x00garbage")
    push(store, "Dangling", H1, 5, "2026-01-01T00:00:00Z")
    put(layout.latest_key("Dangling"), json.dumps({"hash": H3, "class_name": "Dangling"}).encode())
    # a pickle that would run code if loaded: verify walks it, never loads it
    put(layout.version_key("Evil", H1), pickle.dumps(Canary()))
    # warnings: LabChain by-reference version without meta, meta without pkl,
    # corrupt history record, a move made outside petbrowser
    put(layout.version_key("Legacy", H1), pickle.dumps(json.JSONDecoder))
    push(store, "Moved", H1, 6, "2026-01-01T00:00:00Z")
    push(store, "Moved", H2, 7, "2026-02-01T00:00:00Z")
    store.move_latest("Moved", H1, None)
    put(layout.meta_key("Moved", H3), json.dumps({"hash": H3}).encode())
    any_storage.replace(
        layout.latest_key("Moved"),
        pickle.dumps({"hash": H2, "class_name": "Moved"}),
        store.read_pointer("Moved").token,
    )
    put(layout.history_prefix("Moved") + "20260101T000000000000Z-" + H2 + ".json", b"nope")

    report = store.verify()
    problems = _keys(report, "problem")
    assert problems == {
        layout.version_key("Digest", H1),
        layout.version_key("Truncated", H1),
        layout.version_key("BadMeta", H1),
        layout.latest_key("BadPointer"),
        layout.latest_key("Dangling"),
        layout.version_key("Evil", H1),  # would call os.system if loaded
    }
    messages = " | ".join(i.message for i in report.problems)
    assert "sha256 does not match" in messages and "truncated or unreadable" in messages
    assert "points to" in messages and "neither JSON" in messages
    warnings = _keys(report, "warning")
    assert layout.version_key("Legacy", H1) in warnings
    assert layout.meta_key("Moved", H3) in warnings
    assert layout.latest_key("Moved") in warnings  # moved without a history record
    assert any("history" in k for k in warnings)
    assert layout.version_key("Evil", H1) in warnings  # no metadata
    legacy = {m for k, m in _by_key(report, "warning") if k == layout.version_key("Legacy", H1)}
    assert any("by reference" in m for m in legacy) and any("no metadata" in m for m in legacy)
    assert not report.ok
    assert not canary.exists()


def test_stray_temp_and_lock_files_are_warnings(tmp_path):
    st = LocalStorage(tmp_path)
    store = Store(st)
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    (tmp_path / f"plugins/Alpha/.{H1}.pkl.0123abcd.tmp").write_bytes(b"partial")
    (tmp_path / "plugins/Alpha/.latest.json.lock").write_bytes(b"")
    report = store.verify()
    assert report.ok
    assert _keys(report, "warning") == {
        f"plugins/Alpha/.{H1}.pkl.0123abcd.tmp",
        "plugins/Alpha/.latest.json.lock",
    }


def test_a_pickle_that_would_run_code_is_a_problem_and_never_runs(any_storage, tmp_path):
    canary = tmp_path / "canary"

    class Hostile:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {canary}",))

    store = Store(any_storage, user="ana@lab")
    any_storage.create(layout.version_key("Evil", H1), pickle.dumps(Hostile()))
    any_storage.create(layout.version_key("Fine", H2), pickle.dumps({"plain": [1, 2]}))
    report = store.verify()
    problems = _by_key(report, "problem")
    assert any(
        k == layout.version_key("Evil", H1) and "unsafe" in m and "system" in m for k, m in problems
    ), problems
    assert not any(k == layout.version_key("Fine", H2) for k, _ in problems)
    assert not canary.exists()
