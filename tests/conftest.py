"""Shared fixtures: a real S3 server (moto's ThreadedMotoServer) on loopback.

S3 code is tested through boto3 against this HTTP endpoint, never through
in-process patches.  Credentials are fake and distinctive so leak tests can
grep for them.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# petbrowser's caches (the listing cache, the agent's code cache) follow platformdirs:
# never the real ~/.cache, not even from session fixtures set up before any test's own.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="petbrowser-test-cache-")

#: Variants that join the slow suites (``.ci/run`` runs them after the quick run):
#: the other backend's variant of each, or a test of the same promise, stays quick.
SLOW_VARIANTS = frozenset(
    {
        # the local variant stays quick
        "tests/test_labchain_roundtrip.py::test_round_trip_every_pointer_is_one_labchain_reads[s3]",
        "tests/reliability/test_races.py::test_same_version_pushed_twice_at_once[s3]",
        # [forbidden] stays quick: one failing network, one line and exit 1
        "tests/reliability/test_faulty_network.py::test_cli_exit_1_when_the_network_fails[slowdown]",
        "tests/reliability/test_faulty_network.py::test_cli_exit_1_when_the_network_fails[error500]",
        "tests/reliability/test_faulty_network.py::test_cli_exit_1_when_the_network_fails[reset]",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid in SLOW_VARIANTS:
            item.add_marker(pytest.mark.slow)


FAKE_KEY_ID = "AKIAPETBROWSERTESTKEY"
FAKE_SECRET = "pbTestSecret/DoNotLeak/0123456789abcdefXYZ"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh user cache folder per test (XDG_CACHE_HOME: what platformdirs reads)."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a moto S3 server on 127.0.0.1, shared by the session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Fake credentials in the environment, isolated from any real AWS config."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture()
def s3_bucket(s3_endpoint: str, aws_env: None) -> str:
    """A fresh, empty bucket on the moto server; returns its name."""
    import boto3

    name = f"pb-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture()
def s3_url(s3_bucket: str) -> str:
    """``s3://`` URL of a fresh bucket with a prefix, for ``open_storage``."""
    return f"s3://{s3_bucket}/team-store"


@pytest.fixture(params=["local", "s3"])
def any_storage(request: pytest.FixtureRequest, tmp_path):
    """A fresh, empty store on each backend: a local folder, or a bucket prefix on moto."""
    from petbrowser.core.storage import open_storage

    if request.param == "local":
        return open_storage(tmp_path / "store")
    return open_storage(
        request.getfixturevalue("s3_url"), endpoint_url=request.getfixturevalue("s3_endpoint")
    )
