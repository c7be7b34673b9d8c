"""The window names the Python of versions without metadata, read from their bytecode.

A LabChain-style store (pickled pointers, no sidecars) holding the Probe
class as CPython 3.8 and 3.12 pushed it, and LabChain's own 3.11 Scaler: the
tree's Python column shows each version's Python as soon as the background
scan reads it (nobody selects anything), and the Overview says where it
came from.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from petbrowser.gui.class_tree import Col, Role  # noqa: E402
from petbrowser.gui.open_target import OpenTarget  # noqa: E402
from tests.gui.conftest import isolated_settings  # noqa: E402, F401 (autouse: private QSettings)
from tests.gui.helpers import open_and_wait  # noqa: E402

from .interpreters import REPO  # noqa: E402

FIXTURES = REPO / "tests" / "data" / "pyver"
SCALER = REPO / "tests" / "data" / "labchain_stores" / "by_value" / "plugins" / "Scaler"


@pytest.fixture()
def window(qtbot):
    from petbrowser.gui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.runner.shutdown(10000)


def _labchain_store(root: Path) -> dict[str, str]:
    """Probe from 3.8 and 3.12 without metadata, LabChain's Scaler; minor -> hash."""
    probe = root / "plugins" / "Probe"
    probe.mkdir(parents=True)
    hashes = {}
    for minor in ("3.8", "3.12"):
        data = (FIXTURES / f"{minor}.pkl").read_bytes()
        h = hashlib.sha256(data).hexdigest()
        (probe / f"{h}.pkl").write_bytes(data)
        hashes[minor] = h
    pointer = {"hash": hashes["3.12"], "class_name": "Probe"}
    (probe / "latest.json").write_bytes(pickle.dumps(pointer, protocol=5))
    shutil.copytree(SCALER, root / "plugins" / "Scaler")
    hashes["3.11"] = "bb955877f6bf78976308991be77fc6af20e517938085170d38052d19ea82ec37"
    return hashes


def _python_cell(w, name: str, h: str) -> tuple[str, str]:
    idx = w.model.version_index(name, h).siblingAtColumn(Col.PYTHON)
    return idx.data(Qt.ItemDataRole.DisplayRole), idx.data(Qt.ItemDataRole.ToolTipRole)


def test_the_tree_and_overview_show_the_python_read_from_the_bytecode(
    window, qtbot, tmp_path
) -> None:
    hashes = _labchain_store(tmp_path / "store")
    open_and_wait(qtbot, window, OpenTarget(storage=str(tmp_path / "store")), statuses=False)
    assert not window.tree.selectionModel().hasSelection()
    qtbot.waitUntil(lambda: _python_cell(window, "Probe", hashes["3.8"])[0] == "3.8", timeout=30000)
    qtbot.waitUntil(
        lambda: _python_cell(window, "Probe", hashes["3.12"])[0] == "3.12", timeout=30000
    )
    qtbot.waitUntil(
        lambda: _python_cell(window, "Scaler", hashes["3.11"])[0] == "3.11", timeout=30000
    )
    assert _python_cell(window, "Probe", hashes["3.12"])[1] == (
        "No metadata: Python 3.12, read from the bytecode"
    )
    with qtbot.waitSignal(
        window.details_updated, check_params_cb=lambda k: k == "version", timeout=30000
    ):
        window.select_index(window.model.version_index("Probe", hashes["3.8"]))
    overview = window.details.overview.toPlainText()
    assert "3.8 — No metadata: Python 3.8, read from the bytecode" in overview
    bytecode = window.details.bytecode.toPlainText()
    assert "COMPARE_OP in" in bytecode  # 3.8's membership test, read with 3.8's table
    assert window.model.version_index("Probe", hashes["3.8"]).data(Role.HASH) == hashes["3.8"]
