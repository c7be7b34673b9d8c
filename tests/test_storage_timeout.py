"""S3 timeouts are the user's: ``--timeout`` bounds a whole store operation (issue 18).

A hung endpoint here is a real TCP server on loopback that accepts every
connection and never answers, reached through the real boto3 client.  The
tests assert outcomes (exit code, one line, what was retried), never timings;
the CLI test records its wall time for the report (``-s`` prints it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from petbrowser.core.errors import ConfigError, StoreUnreachableError
from petbrowser.core.manager import PetClassManager
from petbrowser.core.project import Project
from petbrowser.core.storage import DEFAULT_STORAGE_TIMEOUT, open_storage
from tests.reliability.fault_proxy import FaultProxy


class HungEndpoint:
    """A server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # held open, never read, never answered

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture()
def hung_endpoint() -> Iterator[HungEndpoint]:
    server = HungEndpoint()
    yield server
    server.close()


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "petbrowser", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return proc, time.monotonic() - start


@pytest.mark.slow  # the quick run keeps the same promise: reliability/test_stalled_endpoint.py[flag]
@pytest.mark.timeout(60)  # without the budget: 5 attempts x 15 s read timeout, far beyond
def test_hung_endpoint_ends_with_one_line_and_exit_1(hung_endpoint: HungEndpoint, aws_env: None) -> None:
    proc, elapsed = _cli(
        "ls", "--storage", "s3://stuck-bucket/store", "--endpoint-url", hung_endpoint.url, "--timeout", "5"
    )
    print(f"\nhung endpoint, --timeout 5: petbrowser ls ended after {elapsed:.2f} s (exit {proc.returncode})")
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines == [
        f"petbrowser: {hung_endpoint.url} did not answer within 5 s "
        "(while trying to open s3://stuck-bucket/store); --timeout SECONDS sets how long to wait"
    ]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.slow  # the same budget through two other doors; the hung-endpoint test stays quick
@pytest.mark.timeout(60)
def test_timeout_from_the_environment_and_the_project_file(
    hung_endpoint: HungEndpoint, aws_env: None, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "petbrowser.toml").write_text(
        'storage = "s3://stuck-bucket"\nstorage_timeout = 3\n'
    )
    proc, _ = _cli("ls", "--project", str(project), "--endpoint-url", hung_endpoint.url)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1].endswith(
        "did not answer within 3 s (while trying to open s3://stuck-bucket); --timeout SECONDS sets how long to wait"
    ), proc.stderr
    # PETBROWSER_TIMEOUT overrides the file, as PETBROWSER_STORAGE does
    proc, _ = _cli(
        "ls", "--project", str(project), "--endpoint-url", hung_endpoint.url, env={"PETBROWSER_TIMEOUT": "2"}
    )
    assert proc.returncode == 1 and "did not answer within 2 s" in proc.stderr, proc.stderr


@pytest.mark.slow  # adversarial (a hung endpoint, several budgets in a row)
@pytest.mark.timeout(60)
def test_every_operation_has_its_own_budget(hung_endpoint: HungEndpoint, aws_env: None) -> None:
    storage = open_storage("s3://stuck/p", endpoint_url=hung_endpoint.url, timeout=2)
    for call, doing in (
        (lambda: storage.read("plugins/A/latest.json"), "read 'plugins/A/latest.json' in s3://stuck/p"),
        (lambda: storage.exists("plugins/A/latest.json"), "look up 'plugins/A/latest.json' in s3://stuck/p"),
        (lambda: storage.create("plugins/A/x.pkl", b"x"), "write 'plugins/A/x.pkl' in s3://stuck/p"),
        (lambda: list(storage.list("plugins/")), "list s3://stuck/p"),
    ):
        with pytest.raises(StoreUnreachableError) as info:
            call()
        assert info.value.message.startswith(f"{hung_endpoint.url} did not answer within 2 s (while trying to {doing})")


@pytest.mark.slow  # adversarial (a stalling endpoint)
@pytest.mark.timeout(60)
def test_a_stall_is_retried_within_the_budget(s3_endpoint: str, s3_bucket: str) -> None:
    """The first request stalls; the retry, inside the same budget, gets the object."""
    storage = open_storage(f"s3://{s3_bucket}/p", endpoint_url=s3_endpoint)
    storage.create("plugins/A/latest.json", b"pointer")
    with FaultProxy(s3_endpoint, stall_seconds=60) as proxy:
        proxy.script(["stall"])
        via_proxy = open_storage(f"s3://{s3_bucket}/p", endpoint_url=proxy.url, timeout=6)
        assert via_proxy.read("plugins/A/latest.json") == b"pointer"
        assert proxy.counts["stall"] == 1


def test_timeout_settings_resolve_flag_then_environment_then_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PETBROWSER_TIMEOUT", raising=False)
    (tmp_path / "petbrowser.toml").write_text("timeout = 90\nstorage_timeout = 12\n")
    p = Project.load(tmp_path)
    assert (p.timeout, p.storage_timeout) == (90.0, 12.0)
    monkeypatch.setenv("PETBROWSER_TIMEOUT", "7")
    p = Project.load(tmp_path)
    assert (p.timeout, p.storage_timeout) == (7.0, 7.0)
    p = Project.load(tmp_path, timeout=4)  # the --timeout flag
    assert (p.timeout, p.storage_timeout) == (4.0, 4.0)
    monkeypatch.delenv("PETBROWSER_TIMEOUT")
    (tmp_path / "petbrowser.toml").write_text("")
    p = Project.load(tmp_path)
    assert p.storage_timeout == DEFAULT_STORAGE_TIMEOUT == 30.0


def test_the_manager_opens_s3_with_the_project_timeout(tmp_path: Path, aws_env: None) -> None:
    (tmp_path / "petbrowser.toml").write_text('storage = "s3://some-bucket/x"\nstorage_timeout = 9\n')
    manager = PetClassManager.open(tmp_path, endpoint_url="http://127.0.0.1:9")
    assert manager.storage.timeout == 9.0


@pytest.mark.parametrize("bad", ["storage_timeout = 0", "storage_timeout = -3", 'storage_timeout = "x"'])
def test_a_bad_storage_timeout_is_a_config_error(tmp_path: Path, bad: str) -> None:
    (tmp_path / "petbrowser.toml").write_text(bad + "\n")
    with pytest.raises(ConfigError, match="'storage_timeout' must be a positive number of seconds"):
        Project.load(tmp_path)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_a_bad_timeout_flag_or_variable_is_one_line(value: str, tmp_path: Path) -> None:
    proc, _ = _cli("ls", "--storage", str(tmp_path), "--timeout", value)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "--timeout" in proc.stderr
    proc, _ = _cli("ls", "--storage", str(tmp_path), env={"PETBROWSER_TIMEOUT": value})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        f"petbrowser: PETBROWSER_TIMEOUT must be a positive number of seconds, not {value!r}"
    ]
