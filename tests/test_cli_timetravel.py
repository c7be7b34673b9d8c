"""log --all, restore, undo, redo, blame and watch as a user runs them: output and exit codes."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from petbrowser import cli
from petbrowser.core import layout
from petbrowser.core.manager import PetClassManager
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store
from tests.test_cli_store import fails, run
from tests.timetravel_helpers import moves, set_pointer, version

DATA = Path(__file__).parent / "data" / "labchain_stores"


@pytest.fixture()
def week(tmp_path: Path) -> tuple[str, dict[str, list[str]]]:
    """A local store: Scaler and Filter moved after Tuesday 2026-03-03, Legacy has no records."""
    root = tmp_path / "store"
    store = Store(open_storage(root), user="dana@lab")
    v = {n: [version(store, n, i) for i in range(3)] for n in ("Scaler", "Filter", "Legacy")}
    moves(
        store, "Scaler",
        ("2026-03-02T09:00:00.000000Z", "push", None, v["Scaler"][0], "alice@lab"),
        ("2026-03-05T10:00:00.000000Z", "push", v["Scaler"][0], v["Scaler"][1], "carol@lab"),
    )  # fmt: skip
    moves(
        store, "Filter",
        ("2026-03-02T09:30:00.000000Z", "push", None, v["Filter"][0], "alice@lab"),
        ("2026-03-06T16:00:00.000000Z", "push", v["Filter"][0], v["Filter"][1], "bob@lab"),
    )  # fmt: skip
    set_pointer(store, "Legacy", v["Legacy"][0])
    return str(root), v


def _latest(root: str, name: str) -> str:
    return pickle.loads((Path(root) / layout.latest_key(name)).read_bytes())["hash"]


def test_log_all_is_one_timeline_newest_first(tmp_path, week):
    root, v = week
    out = run(tmp_path, "log", "--all", "--storage", root, "--json")
    assert out.returncode == 0, out.stderr
    entries = json.loads(out.stdout)
    assert [(e["class"], e["by"]) for e in entries] == [
        ("Filter", "bob@lab"), ("Scaler", "carol@lab"), ("Filter", "alice@lab"), ("Scaler", "alice@lab"),
    ]  # fmt: skip
    assert set(entries[0]) == {"at", "action", "from", "to", "by", "class"}

    since = json.loads(run(tmp_path, "log", "--all", "--since", "2026-03-04T00:00Z", "--storage", root, "--json").stdout)
    assert [e["class"] for e in since] == ["Filter", "Scaler"]
    text = run(tmp_path, "log", "--all", "--storage", root, env={"TZ": "UTC"}).stdout
    assert text.splitlines()[0] == "Fri 2026-03-06"
    assert "16:00:00  Filter  push" in text and "no records for Legacy" in text
    one = json.loads(run(tmp_path, "log", "Scaler", "--since", "2026-03-04T00:00Z", "--storage", root, "--json").stdout)
    assert [e["by"] for e in one["history"]] == ["carol@lab"]
    fails(run(tmp_path, "log", "--storage", root), 2)  # neither CLASS nor --all
    fails(run(tmp_path, "log", "--all", "--since", "last tuesday", "--storage", root), 2)


def test_restore_dry_run_then_for_real(tmp_path, week):
    root, v = week
    out = run(tmp_path, "restore", "--at", "2026-03-03T18:00Z", "--dry-run", "--storage", root)
    assert out.returncode == 0, out.stderr
    assert "Scaler" in out.stdout and f"{v['Scaler'][1][:12]} -> {v['Scaler'][0][:12]}" in out.stdout
    assert "left alone:" in out.stdout and "Legacy" in out.stdout and "dry run" in out.stdout
    assert _latest(root, "Scaler") == v["Scaler"][1]  # nothing moved

    out = run(tmp_path, "restore", "--at", "2026-03-03T18:00Z", "--storage", root, "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)["result"]
    assert {o["class"]: o["status"] for o in result["outcomes"]} == {"Scaler": "moved", "Filter": "moved"}
    assert _latest(root, "Scaler") == v["Scaler"][0] and _latest(root, "Filter") == v["Filter"][0]
    log = json.loads(run(tmp_path, "log", "Scaler", "--storage", root, "--json").stdout)
    assert log["history"][-1]["action"] == "restore"

    # one class named: only it moves
    run(tmp_path, "undo", "Scaler", "--storage", root)
    run(tmp_path, "undo", "Filter", "--storage", root)
    out = run(tmp_path, "restore", "--at", "2026-03-03T18:00Z", "Filter", "--storage", root)
    assert out.returncode == 0 and "Scaler" not in out.stdout
    assert _latest(root, "Scaler") == v["Scaler"][1] and _latest(root, "Filter") == v["Filter"][0]


def test_restore_with_a_conflict_exits_3_and_moves_the_others(tmp_path, week, monkeypatch, capsys):
    root, v = week
    real = PetClassManager.plan_restore

    def plan_then_teammate_moves(self, at, classes=None):
        plan = real(self, at, classes)
        Store(open_storage(root), user="erin@lab").move_latest(
            "Filter", v["Filter"][2], expected=v["Filter"][1], action="push"
        )
        return plan

    monkeypatch.setattr(PetClassManager, "plan_restore", plan_then_teammate_moves)
    code = cli.main(["restore", "--at", "2026-03-03T18:00Z", "--storage", root])
    out, err = capsys.readouterr()
    assert code == 3
    assert err.strip().splitlines() == ["petbrowser: Filter moved since the plan was made; left as they are"]
    assert "Scaler: restored" in out and "Filter: conflict:" in out
    assert _latest(root, "Scaler") == v["Scaler"][0] and _latest(root, "Filter") == v["Filter"][2]


def test_restore_explains_a_store_without_records_and_a_moment_before_them(tmp_path, week):
    root, _ = week
    line = fails(run(tmp_path, "restore", "--at", "2026-03-01T00:00Z", "--storage", root), 1)
    assert "records exist from" in line and "2026-03-02" in line
    fails(run(tmp_path, "restore", "--at", "tuesday", "--storage", root), 2)
    fails(run(tmp_path, "restore", "--at", "1d", "Nope", "--storage", root), 1)

    labchain = tmp_path / "lc"
    shutil.copytree(DATA / "by_value", labchain)
    line = fails(run(tmp_path, "restore", "--at", "1d", "--storage", str(labchain)), 1)
    assert "no pointer moves are recorded" in line and "no record to restore from" in line


def test_undo_redo_exit_codes(tmp_path, week):
    root, v = week
    out = run(tmp_path, "undo", "Scaler", "--storage", root)
    assert out.returncode == 0, out.stderr
    assert "undid the push" in out.stdout and "carol@lab" in out.stdout
    assert _latest(root, "Scaler") == v["Scaler"][0]
    line = fails(run(tmp_path, "undo", "Scaler", "--storage", root), 1)
    assert "first recorded move created the pointer" in line
    out = run(tmp_path, "redo", "Scaler", "--storage", root, "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["action"] == "redo"
    assert _latest(root, "Scaler") == v["Scaler"][1]
    assert "nothing to redo" in fails(run(tmp_path, "redo", "Scaler", "--storage", root), 1)

    set_pointer(Store(open_storage(root)), "Filter", v["Filter"][2])  # moved, unrecorded
    line = fails(run(tmp_path, "undo", "Filter", "--storage", root), 3)
    assert "nothing changed" in line
    assert _latest(root, "Filter") == v["Filter"][2]
    fails(run(tmp_path, "undo", "Nope", "--storage", root), 1)


def test_blame_text_json_and_errors(tmp_path):
    root = tmp_path / "lc"
    shutil.copytree(DATA / "by_value", root)
    scaler = root / "plugins" / "Scaler"
    for h, t in (("98d201d8", 1_700_000_000), ("bb955877", 1_700_086_400)):
        [pkl] = scaler.glob(f"{h}*.pkl")
        os.utime(pkl, (t, t))
    out = run(tmp_path, "blame", "Scaler", "--storage", str(root))
    assert out.returncode == 0, out.stderr
    assert "predict\n  ~ bb955877f6bf" in out.stdout
    data = json.loads(run(tmp_path, "blame", "Scaler", "predict", "--storage", str(root), "--json").stdout)
    assert [m["name"] for m in data["methods"]] == ["predict"]
    assert [c["change"] for c in data["methods"][0]["changes"]] == ["changed", "added"]
    assert "no method 'nope'" in fails(run(tmp_path, "blame", "Scaler", "nope", "--storage", str(root)), 1)
    fails(run(tmp_path, "blame", "Nope", "--storage", str(root)), 1)


def _interruptible() -> None:
    """In the child: Ctrl+C as in a terminal.  A suite started in the background
    by a shell without job control inherits SIGINT ignored, and so would the
    child, which then could not be interrupted at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _watch(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "petbrowser", "watch", "--interval", "0.2", *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_interruptible,
    )  # fmt: skip
    assert proc.stderr is not None
    first = proc.stderr.readline()  # after the baseline listing
    assert first.startswith("petbrowser: watching "), first
    return proc


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str, int]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return out, err, proc.returncode


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_watch_prints_changes_others_make_until_interrupted(tmp_path, backend, request):
    if backend == "local":
        url, extra, storage = str(tmp_path / "store"), [], open_storage(tmp_path / "store")
    else:
        endpoint, url = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_url")
        extra, storage = ["--endpoint-url", endpoint], open_storage(url, endpoint_url=endpoint)
    store = Store(storage, user="alice@lab")
    h1, h2 = version(store, "Tagger", 1), version(store, "Tagger", 2)
    store.move_latest("Tagger", h1, expected=None, action="push")

    proc = _watch(tmp_path, "--storage", url, "--json", *extra)
    try:
        store.move_latest("Tagger", h2, expected=h1, action="rollback")
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
    finally:
        out, err, code = _stop(proc)
    assert (line["kind"], line["class"], line["hash"], line["from"], line["by"], line["action"]) == (
        "latest_moved", "Tagger", h2, h1, "alice@lab", "rollback",
    )  # fmt: skip
    assert line["text"].startswith(f"Tagger: latest moved to {h2[:12]}")
    assert code == 0 and "Traceback" not in err


def test_watch_text_lines_and_a_bad_interval(tmp_path):
    root = tmp_path / "store"
    store = Store(open_storage(root), user="bob@lab")
    h1, h2 = version(store, "Scaler", 1), version(store, "Scaler", 2)
    store.move_latest("Scaler", h1, expected=None, action="push")
    proc = _watch(tmp_path, "--storage", str(root))
    try:
        store.move_latest("Scaler", h2, expected=h1, action="push")
        assert proc.stdout is not None
        line = proc.stdout.readline()
    finally:
        _stop(proc)
    assert f"Scaler: latest moved to {h2[:12]} (was {h1[:12]}) by bob@lab (push)" in line
    fails(run(tmp_path, "watch", "--interval", "0", "--storage", str(root)), 2)
    fails(run(tmp_path, "watch", "--storage", str(tmp_path / "missing")), 1)
