"""Hostile stores, round two (issue 13): nothing runs on pull without a yes.

Every payload of ``hostile2.py`` really runs when loaded (the control test),
is flagged by the default-deny scan, is refused by ``inspect``/``verify``
(exit 4) and by ``pull`` even behind metadata whose digest matches, by the
window's Pull and by a pull from S3: the canary folder stays empty.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from petbrowser.core.safe_pickle import scan_pickle
from tests.reliability.helpers import (
    assert_clean_error,
    fake_meta,
    fingerprint_dir,
    put_pointer_file,
    put_version_files,
    run_many,
    sha256,
)
from tests.reliability.hostile2 import LOADER, ROUND_TWO


def _h(tag: str) -> str:
    return sha256(tag.encode())


def test_round_two_controls_really_run_when_loaded(tmp_path: Path, canary: Path) -> None:
    """The control: loaded the way the rebuild child loads, every payload touches its canary."""
    files = []
    for name, build in ROUND_TWO.items():
        p = tmp_path / f"{name}.pkl"
        p.write_bytes(build(canary / name))
        files.append(str(p))
    assert list(canary.iterdir()) == [], "building a payload ran it"
    subprocess.run([sys.executable, "-c", LOADER, *files], cwd=tmp_path, check=True, timeout=120)
    assert sorted(p.name for p in canary.iterdir()) == sorted(ROUND_TWO)


@pytest.mark.parametrize("name", sorted(ROUND_TWO))
def test_round_two_scan_is_not_clean_and_names_what(name: str, canary: Path) -> None:
    report = scan_pickle(ROUND_TWO[name](canary / name))
    assert report.unsafe, f"{name} passed the scan as clean"
    assert all(len(u) < 600 for u in report.unsafe)
    assert list(canary.iterdir()) == []


def _store(root: Path, canary: Path) -> dict[str, dict[str, str]]:
    """Each payload twice: behind matching metadata (Liar2) and without any (Lab2)."""
    out: dict[str, dict[str, str]] = {"Liar2": {}, "Lab2": {}}
    for name, build in ROUND_TWO.items():
        data = build(canary / name)
        h = _h("liar2:" + name)
        put_version_files(root, "Liar2", h, data, meta=fake_meta("Liar2", h, data))
        out["Liar2"][name] = h
        h2 = _h("lab2:" + name)
        put_version_files(root, "Lab2", h2, data, meta=None)
        out["Lab2"][name] = h2
    put_pointer_file(root, "Liar2", out["Liar2"]["class_attr_with_setstate"])
    put_pointer_file(root, "Lab2", out["Lab2"]["init_subclass_of_base"])
    return out


@pytest.mark.slow  # the whole corpus, ~10-20 s: .ci/run runs it with the slow suites
def test_inspect_verify_and_pull_refuse_every_round_two_payload(
    tmp_path: Path, canary: Path, reliability_stats: dict[str, Any]
) -> None:
    store = tmp_path / "store"
    hashes = _store(store, canary)
    before = fingerprint_dir(store)
    s = ("--storage", str(store))
    commands: list[tuple[str, ...]] = [("verify", *s)]
    commands += [("inspect", "Lab2", h, *s) for h in hashes["Lab2"].values()]
    commands += [("pull", "Liar2", "--hash", h, *s) for h in hashes["Liar2"].values()]
    commands += [("pull", "Lab2", "--hash", h, *s) for h in hashes["Lab2"].values()]
    results = run_many(commands, cwd=tmp_path, timeout=180)
    for res in results:
        line = assert_clean_error(res, 4) if res.argv[0] != "verify" else None
        if res.argv[0] == "verify":
            assert res.rc == 4 and "Traceback" not in res.err, str(res)
        elif res.argv[0] == "pull":
            assert line is not None and "would call or run" in line, line
        else:
            assert line is not None and "unsafe" in line, line
    assert list(canary.iterdir()) == [], "a refused pickle ran"
    assert fingerprint_dir(store) == before
    verify_out = results[0].out
    flagged = sum(1 for h in hashes["Lab2"].values() if f"{h}.pkl" in verify_out)
    assert flagged == len(ROUND_TWO), verify_out[-2000:]
    reliability_stats["round_two_payloads"] = len(ROUND_TWO)
    reliability_stats["round_two_cli_runs"] = len(commands)


@pytest.mark.slow  # the whole corpus again, over S3: .ci/run runs it with the slow suites
def test_pull_from_s3_refuses_every_round_two_payload(
    s3_url: str, s3_endpoint: str, canary: Path
) -> None:
    from petbrowser.core import layout
    from petbrowser.core.errors import UnsafePickleError
    from petbrowser.core.manager import PetClassManager
    from petbrowser.core.storage import open_storage

    storage = open_storage(s3_url, endpoint_url=s3_endpoint)
    for name, build in ROUND_TWO.items():
        data = build(canary / name)
        h = _h("s3:" + name)
        storage.create(layout.version_key("S3Evil", h), data)
        meta = json.dumps(fake_meta("S3Evil", h, data)).encode()
        storage.create(layout.meta_key("S3Evil", h), meta)
    manager = PetClassManager(storage)
    versions = manager.list_versions("S3Evil")
    assert len(versions) == len(ROUND_TWO)
    for v in versions:
        with pytest.raises(UnsafePickleError):
            manager.pull("S3Evil", v.hash)
    assert list(canary.iterdir()) == []


def test_window_pull_asks_and_a_no_loads_nothing(qtbot: Any, tmp_path: Path, canary: Path) -> None:
    """The window's Pull on a payload behind matching metadata: the informed question comes
    up naming what was found; declining it runs nothing."""
    pytest.importorskip("PySide6")
    from petbrowser.gui.main_window import MainWindow
    from petbrowser.gui.open_target import OpenTarget

    store = tmp_path / "store"
    hashes = _store(store, canary)
    w = MainWindow()
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.store_opened, timeout=60_000):
        w.open_target(OpenTarget(storage=str(store)))
    asked: list[Any] = []
    # the window asks through its Prompts (issue 14): answer there, or a modal dialog waits forever
    w.prompts.ask_pull_options = lambda name, h: (True, None)  # type: ignore[method-assign]
    w.prompts.confirm_unsafe = lambda name, h, exc: asked.append(exc) or False  # type: ignore[method-assign]
    picks = ["class_attr_with_setstate", "int_hex_differential", "abc_register_subclasshook"]
    for name in picks:
        h = hashes["Liar2"][name]
        qtbot.waitUntil(lambda h=h: w.model.version_index("Liar2", h).isValid(), timeout=60_000)
        w.select_index(w.model.version_index("Liar2", h))
        n = len(asked)
        w.actions.pull.trigger()
        qtbot.waitUntil(lambda n=n: len(asked) > n, timeout=60_000)
        qtbot.waitUntil(lambda: not w.runner.active, timeout=60_000)
    assert len(asked) == len(picks)
    assert all(exc.offending for exc in asked), "the question does not name what was found"
    assert list(canary.iterdir()) == []
    w.close()
