"""GUI fixtures: isolated QSettings, a demo project per test, the real window.

The demo (a real project + store built through the real push path) is built
once per session and copied per test, because tests move pointers and edit
the module.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path: Path):
    """QSettings in a temp folder under a throwaway organization name."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, str(folder / "system"))
    old_org, old_app = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QCoreApplication.setOrganizationName(f"petbrowser-test-{uuid.uuid4().hex[:8]}")
    QCoreApplication.setApplicationName("petbrowser-test")
    yield folder
    QCoreApplication.setOrganizationName(old_org)
    QCoreApplication.setApplicationName(old_app)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    from petbrowser.core.demo import create_demo

    dest = tmp_path_factory.mktemp("demo-template")
    create_demo(dest)
    return dest


@pytest.fixture()
def demo(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo; returns its project folder (store at ../store)."""
    dest = tmp_path / "demo"
    shutil.copytree(demo_template, dest, symlinks=True)
    return dest / "project"


@pytest.fixture()
def window(qtbot):
    from petbrowser.gui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.runner.shutdown(10000)
