"""The window with a hung S3 endpoint: cancellable while it hangs, one line within --timeout.

The endpoint is a real TCP server that accepts and never answers (see
tests/test_storage_timeout.py); the window is the real MainWindow.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QTimer

from petbrowser import cli
from tests.test_storage_timeout import HungEndpoint

WAIT = 30000


@pytest.fixture()
def hung_endpoint():
    server = HungEndpoint()
    yield server
    server.close()


@pytest.mark.timeout(90)
@pytest.mark.usefixtures("aws_env")
def test_window_reports_a_hung_endpoint_within_the_users_timeout(
    qtbot: Any, window: Any, hung_endpoint: HungEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from petbrowser.gui.open_target import OpenTarget

    monkeypatch.setenv("PETBROWSER_TIMEOUT", "3")  # what `petbrowser --timeout 3` sets
    errors: list[BaseException] = []
    window.error_shown.connect(errors.append)
    window.open_target(OpenTarget(storage="s3://stuck-bucket/x", endpoint_url=hung_endpoint.url))
    qtbot.waitUntil(lambda: len(hung_endpoint.accepted) >= 1, timeout=WAIT)  # hanging right now
    assert window.actions.cancel.isEnabled()  # the user can stop it
    ran: list[bool] = []
    QTimer.singleShot(0, lambda: ran.append(True))
    qtbot.keyClicks(window.filter_edit, "Any")
    qtbot.waitUntil(lambda: bool(ran), timeout=WAIT)  # the UI thread is not blocked
    assert window.filter_edit.text() == "Any" and not errors
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    message = window.message_bar.text_label.text()
    assert "did not answer within 3 s" in message and "\n" not in message.strip()
    assert type(errors[0]).__name__ == "StoreUnreachableError"


@pytest.mark.timeout(90)
@pytest.mark.usefixtures("aws_env")
def test_cancel_while_the_endpoint_hangs(
    qtbot: Any, window: Any, hung_endpoint: HungEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from petbrowser.gui.open_target import OpenTarget

    monkeypatch.setenv("PETBROWSER_TIMEOUT", "4")
    errors: list[BaseException] = []
    window.error_shown.connect(errors.append)
    window.open_target(OpenTarget(storage="s3://stuck-bucket/x", endpoint_url=hung_endpoint.url))
    qtbot.waitUntil(lambda: len(hung_endpoint.accepted) >= 1, timeout=WAIT)
    window.actions.cancel.trigger()
    qtbot.waitUntil(lambda: not window.actions.cancel.isEnabled(), timeout=WAIT)
    # the worker ends within the budget; a cancelled open reports nothing
    assert window.runner.shutdown(15000)
    qtbot.wait(200)
    assert not errors


def test_gui_timeout_flag_reaches_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """``petbrowser --timeout 2.5`` sets the budget every store the window opens will use."""
    seen: dict[str, Any] = {}

    def fake_run_gui(args: Any) -> int:
        import os

        seen["env"] = os.environ.get("PETBROWSER_TIMEOUT")
        seen["timeout"] = args.timeout
        return 0

    import petbrowser.gui.app as app

    monkeypatch.setattr(app, "run_gui", fake_run_gui)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("PETBROWSER_TIMEOUT", "")  # recorded, so the value main() sets is undone
    assert cli.main(["--timeout", "2.5"]) == 0
    assert seen == {"env": "2.5", "timeout": 2.5}
    from petbrowser.core.storage import open_storage

    assert open_storage("s3://b/p", endpoint_url="http://127.0.0.1:9").timeout == 2.5
