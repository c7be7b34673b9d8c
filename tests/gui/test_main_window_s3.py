"""The real main window against S3: boto3 talking HTTP to the moto server.

The demo store is copied object by object into a fresh bucket, then the
window opens the demo project with that bucket as its store.
"""

from __future__ import annotations

import pytest

from petbrowser.core.storage import open_storage
from petbrowser.gui.open_target import OpenTarget
from tests.conftest import FAKE_KEY_ID, FAKE_SECRET
from tests.gui.helpers import (
    accept_pushes,
    class_rows,
    fresh_manager,
    make_older_latest,
    open_and_wait,
    store_dir,
)

WAIT = 30000


@pytest.fixture()
def s3_demo(demo, s3_url, s3_endpoint):
    """The demo project, its store copied to S3; returns (project, target)."""
    local = open_storage(str(store_dir(demo)))
    remote = open_storage(s3_url, endpoint_url=s3_endpoint)
    for obj in local.list("plugins/"):
        remote.create(obj.key, local.read(obj.key))
    return demo, OpenTarget(project_dir=str(demo), storage=s3_url, endpoint_url=s3_endpoint)


def test_tree_fills_from_s3(window, s3_demo, qtbot):
    demo, target = s3_demo
    open_and_wait(qtbot, window, target)
    rows = class_rows(window)
    assert rows["Normalizer"]["status"] == "synced"
    assert rows["LinearModel"]["status"] == "out_of_sync"
    assert rows["Clipper"]["status"] == "remote_only"
    assert len(rows["Normalizer"]["versions"]) == 2
    assert target.storage in window.summary_label.text()


def test_rollback_and_undo_on_s3(window, s3_demo, qtbot, monkeypatch):
    demo, target = s3_demo
    open_and_wait(qtbot, window, target)
    old_latest, to = make_older_latest(window, qtbot, monkeypatch, "ThresholdFilter")
    check = fresh_manager(demo, storage=target.storage, endpoint_url=target.endpoint_url)
    assert check.resolve("ThresholdFilter", "latest") == to
    assert check.history("ThresholdFilter")[-1].action == "rollback"
    assert class_rows(window)["ThresholdFilter"]["status"] == "synced"  # local was the older one
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.undo.trigger()
    assert check.resolve("ThresholdFilter", "latest") == old_latest
    assert check.history("ThresholdFilter")[-1].action == "undo"


def test_push_from_the_ui_lands_in_the_bucket(window, s3_demo, qtbot, monkeypatch):
    demo, target = s3_demo
    open_and_wait(qtbot, window, target)
    accept_pushes(window, monkeypatch)
    local_hash = window.model.status_entry("MovingAverage").local_hash
    window.select_index(window.model.class_index("MovingAverage"))
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.push.trigger()
    check = fresh_manager(demo, storage=target.storage, endpoint_url=target.endpoint_url)
    assert check.resolve("MovingAverage", "latest") == local_hash
    assert class_rows(window)["MovingAverage"]["status"] == "synced"


def test_missing_bucket_is_a_clear_error_without_secrets(window, s3_endpoint, aws_env, qtbot, isolated_settings):
    target = OpenTarget(storage="s3://no-such-bucket-pb/x", endpoint_url=s3_endpoint)
    with qtbot.waitSignal(window.error_shown, timeout=WAIT):
        window.open_target(target)
    text = window.message_bar.text + window.message_bar.detail + window.message_bar.hint_label.text()
    assert "no-such-bucket-pb" in text
    assert FAKE_SECRET not in text and FAKE_KEY_ID not in text
    window.save_settings()
    for f in isolated_settings.rglob("*"):
        if f.is_file():
            data = f.read_text(errors="replace")
            assert FAKE_SECRET not in data and FAKE_KEY_ID not in data


def test_unreachable_endpoint_is_an_error_not_a_hang(window, aws_env, qtbot):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = OpenTarget(storage="s3://bucket/x", endpoint_url=f"http://127.0.0.1:{port}")
    with qtbot.waitSignal(window.error_shown, timeout=60000) as blocker:
        window.open_target(target)
    from petbrowser.core.errors import StorageError

    assert isinstance(blocker.args[0], StorageError)
    assert window.message_bar.isVisible()
