"""Failures a user can cause at the storage level: each is a typed, secret-free error."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from petbrowser.core.errors import (
    AccessDeniedError,
    StorageError,
    StoreNotFoundError,
    StoreUnreachableError,
)
from petbrowser.core.storage import LocalStorage, S3Storage, open_storage
from petbrowser.core.store import Store
from tests.conftest import FAKE_KEY_ID, FAKE_SECRET

_DENIED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>'
    b"<Message>The AWS Access Key Id you provided does not exist in our records.</Message>"
    b"</Error>"
)


class _Deny(http.server.BaseHTTPRequestHandler):
    """An S3 look-alike that refuses every request like AWS does for a bad key."""

    def _deny(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        body = b"" if self.command == "HEAD" else _DENIED_XML
        self.send_header("Content-Length", str(len(_DENIED_XML)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_POST = _deny

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def denying_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Deny)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens


def _no_secrets(exc: BaseException) -> None:
    text = f"{exc} {getattr(exc, 'detail', '')}"
    assert FAKE_KEY_ID not in text and FAKE_SECRET not in text


def test_missing_bucket(s3_endpoint, aws_env):
    st = open_storage("s3://pb-no-such-bucket/x", endpoint_url=s3_endpoint)
    with pytest.raises(StoreNotFoundError, match="bucket 'pb-no-such-bucket' does not exist"):
        st.check()
    with pytest.raises(StoreNotFoundError):
        Store(st).list_classes()


def test_bad_credentials_are_access_denied(denying_endpoint, aws_env):
    st = S3Storage("pb-bucket", "p", endpoint_url=denying_endpoint, max_attempts=1)
    for call in (
        st.check,
        lambda: st.read("plugins/A/latest.json"),
        lambda: list(st.list("plugins/")),
    ):
        with pytest.raises(AccessDeniedError) as err:
            call()
        _no_secrets(err.value)
    with pytest.raises(AccessDeniedError, match="InvalidAccessKeyId"):
        st.create("plugins/A/v.pkl", b"x")


def test_endpoint_that_does_not_answer(aws_env):
    st = S3Storage(
        "pb-bucket",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        connect_timeout=1,
        read_timeout=1,
        max_attempts=1,
    )
    with pytest.raises(StoreUnreachableError, match="does not answer") as err:
        st.check()
    _no_secrets(err.value)
    with pytest.raises(StoreUnreachableError):
        Store(st).list_classes()


def test_missing_local_store_is_an_error_for_reading(tmp_path):
    st = LocalStorage(tmp_path / "nope")
    with pytest.raises(StoreNotFoundError, match="does not exist"):
        st.check()
    with pytest.raises(StoreNotFoundError):
        Store(st).list_classes()
    with pytest.raises(StoreNotFoundError):
        st.read("plugins/A/latest.json")
    assert not (tmp_path / "nope").exists()  # reading created nothing


def test_unreadable_object_is_a_storage_error(tmp_path):
    # Tests run as root, where chmod 000 does not stop reads: a folder where a
    # file is expected is unreadable for everyone.
    st = LocalStorage(tmp_path)
    (tmp_path / "plugins/A/latest.json").mkdir(parents=True)
    with pytest.raises(StorageError, match="a folder is where a file should be"):
        st.read("plugins/A/latest.json")
    with pytest.raises(StorageError):
        Store(st).read_pointer("A")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_mode(tmp_path):
    st = LocalStorage(tmp_path)
    st.create("plugins/A/latest.json", b"{}")
    (tmp_path / "plugins/A/latest.json").chmod(0)
    with pytest.raises(StorageError, match="cannot read"):
        st.read("plugins/A/latest.json")


def test_local_store_does_not_import_boto3(tmp_path):
    LocalStorage(tmp_path).create("plugins/A/" + "a" * 64 + ".pkl", b"\x80\x04N.")
    code = (
        "import sys\n"
        "from petbrowser.core.storage import open_storage\n"
        "from petbrowser.core.store import Store\n"
        f"print(len(Store(open_storage({str(tmp_path)!r})).list_classes()))\n"
        "print('boto3' in sys.modules, 'botocore' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "False", "False"]


class _Busy(_Deny):
    """Answers every write like S3 does when two conditional writes collide."""

    def _busy(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<Error><Code>ConditionalRequestConflict</Code><Message>busy</Message></Error>"
        self.send_response(409)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = _busy


@pytest.mark.slow  # a race against a busy S3 endpoint, retried until it gives up
def test_conditional_write_collision_is_a_conflict(aws_env):
    from petbrowser.core.errors import ConflictError

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        st = S3Storage(
            "pb-bucket", endpoint_url=f"http://127.0.0.1:{server.server_address[1]}", max_attempts=1
        )
        with pytest.raises(ConflictError):
            st.replace("plugins/A/latest.json", b"x", '"etag"')
        with pytest.raises(ConflictError):
            st.create("plugins/A/v.pkl", b"x")
    finally:
        server.shutdown()
        server.server_close()


def test_no_credentials_and_unknown_profile(s3_endpoint, aws_env, monkeypatch):
    from petbrowser.core.errors import ConfigError

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    st = S3Storage("pb-bucket", endpoint_url=s3_endpoint, max_attempts=1)
    with pytest.raises(AccessDeniedError, match="no usable AWS credentials"):
        st.check()
    with pytest.raises(ConfigError, match="profile 'nobody'"):
        S3Storage("pb-bucket", profile="nobody", endpoint_url=s3_endpoint)
