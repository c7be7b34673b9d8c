"""A store that accepts connections and never answers (issue 15, item 6).

"Test connection" is stoppable from the dialog, closing the dialog stops it,
the dialog keeps what was typed, and quitting the real app while a request
hangs exits within 2 s (the hung call is abandoned on a daemon thread).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from petbrowser.gui.connect_dialog import ConnectDialog

WAIT = 30000


class HungServer:
    """A TCP server on loopback that accepts and never sends a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.sock.settimeout(0.1)
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture()
def hung() -> Iterator[HungServer]:
    server = HungServer()
    yield server
    server.close()


def _s3_dialog(window, hung: HungServer) -> ConnectDialog:
    dlg = ConnectDialog(window.runner, window)
    dlg.s3_radio.setChecked(True)
    dlg.bucket_edit.setText("team-bucket")
    dlg.endpoint_edit.setText(hung.url)
    return dlg


def test_test_connection_to_a_hung_store_stops_from_the_dialog(window, qtbot, hung, aws_env):
    dlg = _s3_dialog(window, hung)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.mouseClick(dlg.test_button, Qt.MouseButton.LeftButton)
    assert dlg.testing() and not dlg.test_button.isEnabled()
    assert dlg.result_label.text() == "Testing…"
    assert "c62828" not in dlg.result_label.styleSheet() and "ef9a9a" not in dlg.result_label.styleSheet()
    qtbot.waitUntil(lambda: bool(hung.conns), timeout=WAIT)  # the request reached the hung store
    assert dlg.stop_button.isVisible()
    qtbot.mouseClick(dlg.stop_button, Qt.MouseButton.LeftButton)
    assert not dlg.testing() and dlg.test_button.isEnabled() and not dlg.stop_button.isVisible()
    assert "stopped" in dlg.result_label.text()
    assert dlg.isVisible()  # stopping the test does not close the dialog
    assert not window.runner.is_busy()  # the hung call is abandoned, nothing counts as running


def test_esc_stops_the_test_first_then_closing_the_dialog_stops_it_too(window, qtbot, hung, aws_env):
    dlg = _s3_dialog(window, hung)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.test_connection()
    qtbot.waitUntil(lambda: bool(hung.conns), timeout=WAIT)
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert not dlg.testing() and dlg.isVisible()
    dlg.test_connection()
    assert dlg.testing()
    dlg.reject()  # Cancel / the window's close button
    assert not dlg.testing() and not window.runner.is_busy()


def test_the_connect_dialog_keeps_what_was_typed(window, qtbot, hung, monkeypatch):
    """File ▸ Open store…, type, close: the next dialog starts from what was typed."""
    typed = []

    def type_and_close(dlg):
        if not typed:
            dlg.s3_radio.setChecked(True)
            dlg.bucket_edit.setText("team-bucket")
            dlg.prefix_edit.setText("half/typed")
            dlg.endpoint_edit.setText(hung.url)
        typed.append((dlg.s3_radio.isChecked(), dlg.bucket_edit.text(), dlg.prefix_edit.text(), dlg.endpoint_edit.text()))
        return 0  # rejected: closed without opening

    monkeypatch.setattr(ConnectDialog, "exec", type_and_close)
    window.ask_open_store()
    window.ask_open_store()
    assert typed[1] == (True, "team-bucket", "half/typed", hung.url)


def test_a_failed_test_is_red_and_the_next_testing_is_not(window, qtbot, tmp_path):
    dlg = ConnectDialog(window.runner, window)
    qtbot.addWidget(dlg)
    dlg.path_edit.setText(str(tmp_path / "no-store-here"))
    dlg.test_connection()
    qtbot.waitUntil(lambda: dlg.test_button.isEnabled(), timeout=WAIT)
    assert dlg.result_label.text().startswith("✖") and "color" in dlg.result_label.styleSheet()
    dlg.test_connection()
    assert dlg.result_label.text() == "Testing…" and dlg.result_label.styleSheet() == ""
    qtbot.waitUntil(lambda: dlg.test_button.isEnabled(), timeout=WAIT)


def test_quitting_the_real_app_while_a_request_hangs_exits_within_2s(hung, tmp_path):
    """The real ``petbrowser`` process, opening a store whose endpoint hangs; SIGTERM
    closes the window like Ctrl+Q does (app.run_gui) and the process must be gone in 2 s."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        AWS_ACCESS_KEY_ID="AKIAPETBROWSERTESTKEY",
        AWS_SECRET_ACCESS_KEY="pbTestSecret/DoNotLeak/0123456789abcdefXYZ",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.pop("AWS_PROFILE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "petbrowser", "--storage", "s3://team-bucket/store", "--endpoint-url", hung.url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not hung.conns and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert hung.conns, "the app never reached the store"
        time.sleep(0.5)  # the request is now waiting on the hung socket
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the app was still running 10 s after it was asked to quit")
        took = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    assert proc.returncode == 0, stderr[-2000:]
    assert "Traceback" not in stderr
    assert took < 2.0, f"quit took {took:.2f} s"
