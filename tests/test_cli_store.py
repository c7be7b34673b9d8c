"""The store commands as a user runs them: ls, log, rollback, verify (exit codes 0-4)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest

from petbrowser.core import layout
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store
from tests.conftest import FAKE_KEY_ID, FAKE_SECRET
from tests.test_store_classes import H1, H2, push


def run(cwd, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "petbrowser", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


def fails(out: subprocess.CompletedProcess[str], code: int) -> str:
    """Assert the one-line, traceback-free failure of the CLI contract; return the line."""
    assert out.returncode == code, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("petbrowser: ")
    return lines[0]


@pytest.fixture()
def local_store(tmp_path):
    root = tmp_path / "store"
    store = Store(open_storage(root), user="ana@lab")
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", H2, 2, "2026-02-01T00:00:00Z")
    store.move_latest("Alpha", H1, None, action="push")
    store.move_latest("Alpha", H2, H1, action="push")
    return str(root)


def test_ls_and_log(tmp_path, local_store):
    out = run(tmp_path, "ls", "--storage", local_store, "--json")
    assert out.returncode == 0, out.stderr
    (alpha,) = json.loads(out.stdout)
    assert (alpha["name"], alpha["latest"], len(alpha["versions"])) == ("Alpha", H2, 2)
    assert set(alpha["versions"][0]) >= {"hash", "pushed_at", "size", "has_meta", "by_reference"}
    text = run(tmp_path, "ls", env={"PETBROWSER_STORAGE": local_store})
    assert text.returncode == 0 and "Alpha" in text.stdout and H2[:12] in text.stdout

    out = run(tmp_path, "log", "Alpha", "--storage", local_store, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["name"] == "Alpha" and doc["latest"] == H2
    assert [v["hash"] for v in doc["versions"]] == [H2, H1]
    assert [(e["action"], e["from"], e["to"]) for e in doc["history"]] == [
        ("push", None, H1),
        ("push", H1, H2),
    ]
    text = run(tmp_path, "log", "Alpha", "--storage", local_store)
    assert f"* {H2[:12]}" in text.stdout and "pointer history" in text.stdout


def test_rollback_and_conflict(tmp_path, local_store):
    out = run(
        tmp_path,
        "rollback",
        "Alpha",
        "--to",
        H1[:8],
        "--expect",
        H2[:8],
        "--storage",
        local_store,
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["to"] == H1
    # the same command again: latest is no longer H2
    line = fails(
        run(
            tmp_path,
            "rollback",
            "Alpha",
            "--to",
            H1[:8],
            "--expect",
            H2[:8],
            "--storage",
            local_store,
        ),
        3,
    )
    assert "moved" in line
    log = json.loads(run(tmp_path, "log", "Alpha", "--storage", local_store, "--json").stdout)
    assert log["latest"] == H1 and log["history"][-1]["action"] == "rollback"


def test_usage_errors_exit_2(tmp_path, local_store):
    fails(run(tmp_path, "rollback", "Alpha", "--to", "a1a", "--storage", local_store), 2)
    fails(run(tmp_path, "log", "../etc", "--storage", local_store), 2)
    fails(run(tmp_path, "rollback", "Alpha", "--storage", local_store), 2)  # --to missing


def test_errors_exit_1(tmp_path, local_store):
    assert "does not exist" in fails(run(tmp_path, "ls", "--storage", str(tmp_path / "nope")), 1)
    assert not (tmp_path / "nope").exists()
    assert "no store configured" in fails(run(tmp_path, "ls"), 1)
    assert "not in store" in fails(run(tmp_path, "log", "Gamma", "--storage", local_store), 1)


def test_verify_exit_codes(tmp_path, local_store):
    out = run(tmp_path, "verify", "--storage", local_store, "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["ok"] is True
    open_storage(local_store).create(
        layout.version_key("Legacy", H1), pickle.dumps(json.JSONDecoder)
    )
    assert run(tmp_path, "verify", "--storage", local_store).returncode == 0  # warnings only
    open_storage(local_store).create(layout.latest_key("Broken"), b"\x00garbage")
    out = run(tmp_path, "verify", "--storage", local_store, "--json")
    assert "verify found 1 problem in" in fails(out, 4)
    report = json.loads(out.stdout)
    assert [p["key"] for p in report["problems"]] == ["plugins/Broken/latest.json"]
    assert {w["key"] for w in report["warnings"]} == {layout.version_key("Legacy", H1)}
    text = run(tmp_path, "verify", "--storage", local_store)
    assert text.returncode == 4 and "PROBLEM  plugins/Broken/latest.json" in text.stdout


def test_s3_cli(tmp_path, s3_url, s3_endpoint):
    store = Store(open_storage(s3_url, endpoint_url=s3_endpoint), user="ana@lab")
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    store.move_latest("Alpha", H1, None, action="push")
    out = run(tmp_path, "ls", "--storage", s3_url, "--endpoint-url", s3_endpoint, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["latest"] == H1
    missing = "s3://pb-no-such-bucket-cli/x"
    line = fails(run(tmp_path, "ls", "--storage", missing, "--endpoint-url", s3_endpoint), 1)
    assert "bucket 'pb-no-such-bucket-cli' does not exist" in line
    assert FAKE_KEY_ID not in line and FAKE_SECRET not in line
