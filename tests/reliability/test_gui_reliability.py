"""The window under the same abuse: hostile pickles, bad stores, a failing network, secrets.

Driven through the real MainWindow with pytest-qt: selections, inspection
and diffs of hostile versions run nothing; bad input and network failures
show one clear message in the message bar and leave the window usable; the
QSettings the window writes hold no credentials.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication, QSettings, QTimer  # noqa: E402

from petbrowser.gui.commands import PullCommand  # noqa: E402
from tests.conftest import FAKE_KEY_ID, FAKE_SECRET  # noqa: E402
from tests.reliability.helpers import put_pointer_file, put_version_files  # noqa: E402
from tests.reliability.hostile import PAYLOADS, benign_class_pickle  # noqa: E402
from tests.reliability.test_hostile_store import build_hostile_store  # noqa: E402

WAIT = 60000


@pytest.fixture()
def settings_dir(qapp: Any, tmp_path: Path) -> Any:
    """QSettings in the test's temp folder, under a throwaway organization name."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, str(folder / "system"))
    old = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QCoreApplication.setOrganizationName(f"petbrowser-rel-{uuid.uuid4().hex[:8]}")
    QCoreApplication.setApplicationName("petbrowser-rel")
    yield folder
    QCoreApplication.setOrganizationName(old[0])
    QCoreApplication.setApplicationName(old[1])


@pytest.fixture()
def window(qtbot: Any, settings_dir: Path) -> Any:
    from petbrowser.gui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.runner.shutdown(10000)


class _Outcome:
    """Whichever comes first of 'details shown' and 'error shown'."""

    def __init__(self, window: Any) -> None:
        self.details: list[str] = []
        self.errors: list[BaseException] = []
        window.details_updated.connect(self.details.append)
        window.error_shown.connect(self.errors.append)

    def count(self) -> int:
        return len(self.details) + len(self.errors)


def _open(qtbot: Any, window: Any, **target: Any) -> list[BaseException]:
    """Open a target and wait for the listing or an error; returns the errors shown."""
    from petbrowser.gui.open_target import OpenTarget

    errors: list[BaseException] = []
    window.error_shown.connect(errors.append)
    done: list[bool] = []
    window.listing_finished.connect(lambda: done.append(True))
    window.open_target(OpenTarget(**target))
    qtbot.waitUntil(lambda: bool(done or errors), timeout=WAIT)
    return errors


def _assert_one_clear_line(window: Any, exc: BaseException) -> None:
    from petbrowser.core.errors import PetBrowserError

    assert isinstance(exc, PetBrowserError), repr(exc)
    text = window.message_bar.text_label.text()
    assert text and "Traceback" not in text, text
    assert window.message_bar.isVisible()


def test_gui_browses_a_hostile_store_without_running_it(
    qtbot: Any, window: Any, tmp_path: Path, canary: Path, reliability_stats: dict[str, Any]
) -> None:
    store = tmp_path / "store"
    hashes = build_hostile_store(store, canary)
    assert not _open(qtbot, window, storage=str(store))
    outcome = _Outcome(window)
    for h in hashes["Evil"].values():
        before = outcome.count()
        window.select_index(window.model.version_index("Evil", h))
        qtbot.waitUntil(lambda before=before: outcome.count() > before, timeout=WAIT)
    liar = list(hashes["Liar"].values())
    for a, b in (
        (hashes["Evil"]["os_system"], hashes["Evil"]["cloudpickle_class_with_hook"]),
        (hashes["Evil"]["reduce_eval"], hashes["Evil"]["getattr_chain"]),
    ):
        before = outcome.count()
        window.select_index(window.model.version_index("Evil", a))
        window.select_index(window.model.version_index("Evil", b), extend=True)
        window.compare_selected()
        qtbot.waitUntil(lambda before=before: "diff" in outcome.details[before:] or len(outcome.errors) > 0,
                        timeout=WAIT)
    before = outcome.count()
    window.select_index(window.model.version_index("Liar", liar[0]))
    qtbot.waitUntil(lambda: outcome.count() > before, timeout=WAIT)
    for exc in outcome.errors:
        _assert_one_clear_line(window, exc)
    assert sorted(p.name for p in canary.iterdir()) == [], "the window ran code from the store"
    reliability_stats["gui_hostile_versions_selected"] = len(hashes["Evil"]) + 1
    reliability_stats["gui_hostile_diffs"] = 2


def test_gui_pull_refuses_hostile_and_corrupt(qtbot: Any, window: Any, tmp_path: Path, canary: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Pull from the window: an unsafe pickle needs an explicit yes (declined here), a corrupt one fails."""
    store = tmp_path / "store"
    hashes = build_hostile_store(store, canary)
    assert not _open(qtbot, window, storage=str(store))
    asked: list[str] = []
    monkeypatch.setattr(window.prompts, "confirm_unsafe", lambda name, h, exc: asked.append(h) or False)
    errors: list[BaseException] = []
    window.error_shown.connect(errors.append)
    finished: list[str] = []
    window.operation_finished.connect(finished.append)

    def pull(name: str, h: str) -> None:
        before = len(errors) + len(finished) + len(asked)
        window.run(PullCommand(name, h))
        qtbot.waitUntil(lambda: len(errors) + len(finished) + len(asked) > before, timeout=WAIT)

    pull("Liar", hashes["Liar"]["os_system"])  # digest right, content evil
    assert asked == [hashes["Liar"]["os_system"]] or (errors and "system" in str(errors[-1])), (asked, errors)
    asked.clear()
    errors.clear()
    pull("Plain", hashes["Plain"])  # digest wrong: no question, an integrity error
    assert errors and type(errors[-1]).__name__ == "IntegrityError", errors
    _assert_one_clear_line(window, errors[-1])
    assert not asked
    assert list(canary.iterdir()) == []


@pytest.mark.parametrize(
    "target",
    [
        {"storage": "ftp://x"},
        {"storage": "s3://"},
        {"storage": "/nonexistent/petbrowser/store"},
    ],
    ids=["ftp", "s3-empty", "missing-folder"],
)
def test_gui_shows_bad_input_errors(qtbot: Any, window: Any, target: dict[str, str], tmp_path: Path) -> None:
    errors = _open(qtbot, window, **target)
    assert errors, "no error shown"
    _assert_one_clear_line(window, errors[0])
    # Still usable: a healthy store opens right after.
    store = tmp_path / "ok"
    data = benign_class_pickle("Fine", 1)
    put_version_files(store, "Fine", "f" * 64, data)
    put_pointer_file(store, "Fine", "f" * 64)
    assert not _open(qtbot, window, storage=str(store))
    assert window.model.rowCount() == 1


@pytest.mark.usefixtures("aws_env")
def test_gui_network_failure_shows_error_and_stays_responsive(
    qtbot: Any, window: Any, fault_proxy: Any, s3_bucket: str, tmp_path: Path
) -> None:
    """While S3 hangs, the window keeps handling events; when it fails, one clear message."""
    from petbrowser.gui.open_target import OpenTarget

    proxy = fault_proxy(rates={"forbidden": 1.0})  # no retries: the test is about the hang, then the message
    proxy.hold()
    errors: list[BaseException] = []
    window.error_shown.connect(errors.append)
    window.open_target(OpenTarget(storage=f"s3://{s3_bucket}/x", endpoint_url=proxy.url))
    qtbot.waitUntil(lambda: proxy.held >= 1, timeout=WAIT)  # a request is hanging right now
    ran: list[bool] = []
    QTimer.singleShot(0, lambda: ran.append(True))
    qtbot.keyClicks(window.filter_edit, "Fine")
    qtbot.waitUntil(lambda: bool(ran), timeout=WAIT)  # the UI thread is not blocked by the network
    assert window.filter_edit.text() == "Fine" and not errors
    window.filter_edit.clear()
    proxy.release()
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    _assert_one_clear_line(window, errors[0])
    assert type(errors[0]).__name__ == "AccessDeniedError"
    store = tmp_path / "ok"
    put_version_files(store, "Fine", "f" * 64, benign_class_pickle("Fine", 1))
    assert not _open(qtbot, window, storage=str(store))


@pytest.mark.usefixtures("aws_env")
def test_gui_settings_hold_no_credentials(
    qtbot: Any, window: Any, settings_dir: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    port = s3_endpoint.rsplit(":", 1)[1]
    secret = FAKE_SECRET.replace("/", "%2F")
    leaks = []
    for target in (
        {"storage": f"s3://{s3_bucket}/team", "endpoint_url": s3_endpoint},
        {"storage": f"s3://{s3_bucket}/team", "endpoint_url": f"http://{FAKE_KEY_ID}:{secret}@127.0.0.1:{port}"},
        {"storage": f"s3://{FAKE_KEY_ID}:{FAKE_SECRET}@{s3_bucket}/team", "endpoint_url": s3_endpoint},
    ):
        _open(qtbot, window, **target)
        shown = window.message_bar.text_label.text() + window.windowTitle()
        leaks += [f"shown: {shown}" for n in (FAKE_KEY_ID, "DoNotLeak") if n in shown]
    window.save_settings()
    QSettings().sync()
    for p in settings_dir.rglob("*"):
        if p.is_file():
            text = p.read_text("utf-8", "replace")
            leaks += [f"settings file {p.name}: {n}" for n in (FAKE_KEY_ID, FAKE_SECRET, "DoNotLeak") if n in text]
    assert not leaks, "\n".join(leaks)


def test_payload_count() -> None:
    assert len(PAYLOADS) >= 10
