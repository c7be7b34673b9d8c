"""Secrets: S3 credentials never reach output, error messages, the store or settings files.

The fake keys of tests/conftest.py are distinctive; every CLI command here,
succeeding or failing (with and without PETBROWSER_DEBUG), is grepped for
them, and so is every object of the bucket (history records included) and
every file written under the test's XDG folders and project folder.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAKE_KEY_ID, FAKE_SECRET
from tests.reliability.helpers import (
    CliResult,
    cli_env,
    corpus_module,
    make_project,
    run_cli,
    s3_client,
)

NEEDLES = (FAKE_KEY_ID, FAKE_SECRET, FAKE_SECRET.split("/")[1])  # the key, the secret, a fragment


def _leaks(text: str) -> list[str]:
    return [n for n in NEEDLES if n in text]


def _grep_tree(root: Path) -> list[str]:
    found = []
    for p in root.rglob("*"):
        if p.is_file() and not p.name.startswith("aws-"):  # the fake AWS config files themselves
            data = p.read_bytes().decode("utf-8", "replace")
            found += [f"{p}: {n}" for n in _leaks(data)]
    return found


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.usefixtures("aws_env")
def test_credentials_never_leak(
    s3_endpoint: str,
    s3_bucket: str,
    fault_proxy: Any,
    tmp_path: Path,
    isolated_dirs: Path,
    reliability_stats: dict[str, Any],
) -> None:
    url = f"s3://{s3_bucket}/team"
    project = make_project(tmp_path / "project", storage=url, modules=["good_module"])
    corpus_module("good_module", project)
    # The same keys through a profile as well: a credentials file, no AWS_* variables.
    creds = tmp_path / "aws-credentials"
    creds.write_text(f"[pbtest]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n")
    denied = fault_proxy(rates={"forbidden": 1.0})
    broken = fault_proxy(rates={"error500": 1.0})
    e = ("--endpoint-url", s3_endpoint)
    commands: list[tuple[tuple[str, ...], int | None]] = [
        (("push", "--all", *e), 0),
        (("ls", *e), 0),
        (("ls", "--json", *e), 0),
        (("log", "Plain", *e), 0),
        (("status", *e), 0),
        (("verify", "--json", *e), 0),
        (("inspect", "Plain", *e), 0),
        (("ls", "--profile", "pbtest", *e), 0),
        (("rollback", "Plain", "--to", "0" * 64, *e), 1),
        (("rollback", "Plain", "--to", "latest", "--expect", "1" * 64, *e), None),
        (("ls", "--storage", "s3://pb-no-such-bucket-leak/x", *e), 1),
        (("ls", "--endpoint-url", denied.url), 1),
        (("push", "--all", "--endpoint-url", denied.url), 1),
        (("ls", "--endpoint-url", broken.url), 1),
        (("ls", "--endpoint-url", f"http://127.0.0.1:{_closed_port()}"), 1),
        (("ls", "--endpoint-url", f"http://{FAKE_KEY_ID}:{FAKE_SECRET.replace('/', '%2F')}@127.0.0.1:{_closed_port()}"), 1),
        (("ls", "--storage", f"s3://{FAKE_KEY_ID}:{FAKE_SECRET}@{s3_bucket}/team", *e), 1),
        (("ls", "--profile", "no-such-profile", *e), 1),
    ]
    runs = []
    for argv, expected in commands:
        for debug in (False, True):
            env = cli_env(PETBROWSER_DEBUG="1") if debug else cli_env()
            env["AWS_SHARED_CREDENTIALS_FILE"] = str(creds)
            runs.append((argv, expected, env))
    # The push comes first, alone: later commands read what it wrote.
    results: list[CliResult] = [run_cli(*runs[0][0], cwd=project, env=runs[0][2])]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results += list(pool.map(lambda r: run_cli(*r[0], cwd=project, env=r[2]), runs[1:]))
    leaked: list[str] = []
    for (_argv, expected, _env), res in zip(runs, results, strict=True):
        assert "Traceback" not in res.err, str(res)
        if expected is not None:
            assert res.rc == expected, str(res)
        if _leaks(res.out + res.err):
            leaked.append(str(res))
    assert not leaked, "credentials in the output of:\n" + "\n".join(leaked)

    client = s3_client(s3_endpoint)
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket):
        for obj in page.get("Contents", []):
            keys.append(obj["Key"])
            body = client.get_object(Bucket=s3_bucket, Key=obj["Key"])["Body"].read().decode("utf-8", "replace")
            assert not _leaks(body), f"credentials stored in {obj['Key']}"
    assert any("/history/" in k for k in keys), "push wrote no history record: the test checked less than it says"
    assert not _grep_tree(isolated_dirs), "credentials in a settings/cache file"
    assert not _grep_tree(project), "credentials in a file of the project"
    reliability_stats["secret_commands"] = len(results)
    reliability_stats["secret_objects_checked"] = len(keys)
