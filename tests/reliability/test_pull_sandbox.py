"""Pull's rebuild runs boxed (issue 13) and LabChain versions pull without metadata (issue 11).

- a clean version without metadata (LabChain's, also in its wrapped
  ``persist_class`` form) pulls with a warning that no digest was checked;
- with no sandbox, pull asks for the explicit yes even for a clean version;
- with the explicit yes, a payload runs inside bubblewrap, where it can
  neither write outside the scratch folder nor reach the network (the
  control: the same payload with the sandbox off does write its canary).
"""

from __future__ import annotations

import builtins
import pickle
import socket
import threading
from pathlib import Path

import pytest

from petbrowser.core.sandbox import sandbox
from tests.reliability.helpers import (
    assert_clean_error,
    cli_env,
    put_pointer_file,
    put_version_files,
    run_cli,
    sha256,
)
from tests.reliability.hostile import _Reduce, benign_class_pickle

needs_box = pytest.mark.skipif(
    not sandbox().available, reason=f"no sandbox on this machine: {sandbox().reason}"
)


def _lab_store(root: Path) -> dict[str, str]:
    plain = benign_class_pickle("Lab", 3)
    hashes = {"plain": sha256(b"lab-plain"), "wrapped": sha256(b"lab-wrapped")}
    put_version_files(root, "Lab", hashes["plain"], plain, meta=None)
    put_version_files(root, "Lab", hashes["wrapped"], pickle.dumps(plain, protocol=4), meta=None)
    put_pointer_file(root, "Lab", hashes["plain"])
    return hashes


@needs_box
def test_a_clean_version_without_metadata_pulls_with_a_warning(tmp_path: Path) -> None:
    hashes = _lab_store(tmp_path / "store")
    for h in hashes.values():
        res = run_cli("pull", "Lab", "--hash", h, "--storage", str(tmp_path / "store"), "--json")
        assert res.rc == 0, str(res)
        assert "no digest could be checked" in res.err, res.err
        doc = res.json()
        assert doc["name"] == "Lab" and "predict" in doc["methods"]
        assert doc["sandbox"] == "bubblewrap" and doc["clean"] and not doc["verified"]
        assert doc["wrapped"] == (h == hashes["wrapped"])


def test_without_a_sandbox_even_a_clean_version_needs_the_explicit_yes(tmp_path: Path) -> None:
    hashes = _lab_store(tmp_path / "store")
    env = cli_env(PETBROWSER_SANDBOX="off")
    res = run_cli("pull", "Lab", "--hash", hashes["plain"], "--storage", str(tmp_path / "store"), env=env)
    line = assert_clean_error(res, 4)
    assert "no sandbox" in line and "--allow-unsafe" in line
    res = run_cli(
        "pull", "Lab", "--hash", hashes["plain"], "--storage", str(tmp_path / "store"),
        "--allow-unsafe", env=env,
    )  # fmt: skip
    assert res.rc == 0 and "WITHOUT a sandbox" in res.err, str(res)


def _escape_payload(canary: Path, port: int) -> bytes:
    """Writes a file outside the scratch folder and connects to a port on 127.0.0.1."""
    code = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'out')\n"
        "except OSError:\n"
        "    pass\n"
        f"open({str(canary)!r}, 'w').close()\n"
    )
    return pickle.dumps(_Reduce(builtins.exec, (code,)), protocol=4)


def _listener() -> tuple[socket.socket, list[bytes]]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.5)
    got: list[bytes] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            got.append(conn.recv(16))
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return srv, got


@needs_box
def test_with_the_explicit_yes_the_payload_runs_boxed(tmp_path: Path, canary: Path) -> None:
    srv, got = _listener()
    try:
        port = srv.getsockname()[1]
        store = tmp_path / "store"
        h = sha256(b"escape")
        put_version_files(store, "Esc", h, _escape_payload(canary / "boxed", port), meta=None)
        res = run_cli("pull", "Esc", "--hash", h, "--storage", str(store), "--allow-unsafe")
        assert "Traceback" not in res.err
        assert res.rc != 0  # the payload failed in the box: no class came back
        assert list(canary.iterdir()) == [], "the boxed child wrote outside its scratch folder"
        assert got == [], "the boxed child reached the network"
        # control: the same payload with the box switched off does both
        h2 = sha256(b"escape-unboxed")
        put_version_files(store, "Esc", h2, _escape_payload(canary / "unboxed", port), meta=None)
        run_cli(
            "pull", "Esc", "--hash", h2, "--storage", str(store), "--allow-unsafe",
            env=cli_env(PETBROWSER_SANDBOX="off"),
        )  # fmt: skip
        assert [p.name for p in canary.iterdir()] == ["unboxed"]
        assert got == [b"out"]
    finally:
        srv.close()


def test_restore_writes_the_source_from_the_parent(tmp_path: Path) -> None:
    """--restore: the file is written by petbrowser itself (the boxed child cannot write there)."""
    from tests.reliability.helpers import fake_meta

    store = tmp_path / "store"
    data = benign_class_pickle("Src", 2)
    h = sha256(b"src")
    put_version_files(store, "Src", h, data, meta=fake_meta("Src", h, data, source="class Src: ...\n"))
    out = tmp_path / "review"
    out.mkdir()
    res = run_cli("pull", "Src", "--hash", h, "--storage", str(store), "--restore", str(out))
    if not sandbox().available:
        assert_clean_error(res, 4)
        return
    assert res.rc == 0, str(res)
    assert (out / f"Src_{h[:12]}.py").read_text() == "class Src: ...\n"
