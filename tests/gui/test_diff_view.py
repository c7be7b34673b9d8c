"""DiffView on the real descriptions of real classes (two versions of one module)."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor

from petbrowser.core.agent.describe import describe_class
from petbrowser.core.models import ClassDescription
from petbrowser.core.structs import replace
from petbrowser.gui.diff_view import DiffView, summary_text
from petbrowser.gui.theme import diff_colors, is_dark

V1 = '''
import math


class Shifter:
    """Shift values, then clip them."""

    limit = 10

    def __init__(self, offset: int = 3):
        self.offset = offset
        self.history = []

    def apply(self, x):
        # shift then clip
        y = x + self.offset
        return min(y, self.limit)

    def batch(self, xs):
        return [self.apply(x) for x in xs]

    @property
    def scale(self):
        return math.sqrt(self.offset)

    def reset(self):
        self.history.clear()
'''

V2 = '''
import math


class Shifter:
    """Shift values, then clip them."""

    limit = 10

    def __init__(self, offset: int = 5):
        self.offset = offset
        self.history = []

    def apply(self, x):
        # shift then clip
        y = x + self.offset * 2
        return min(y, self.limit)

    def batch(self, xs):
        return [self.apply(x) for x in xs]

    @property
    def scale(self):
        return math.sqrt(self.offset)

    def undo(self):
        return self.history.pop()
'''


def _describe(tmp_path: Path, tag: str, source: str) -> dict:
    """Import ``source`` as module ``shifter_mod`` from its own file and describe Shifter."""
    folder = tmp_path / tag
    folder.mkdir()
    path = folder / "shifter_mod.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location("shifter_mod", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["shifter_mod"] = module  # inspect.getsource looks the module up here
    try:
        spec.loader.exec_module(module)
        return ClassDescription.from_json(describe_class(module.Shifter))
    finally:
        sys.modules.pop("shifter_mod", None)


@pytest.fixture()
def describes(tmp_path: Path) -> tuple[ClassDescription, ClassDescription]:
    return _describe(tmp_path, "v1", V1), _describe(tmp_path, "v2", V2)


@pytest.fixture()
def view(qtbot) -> DiffView:
    w = DiffView()
    qtbot.addWidget(w)
    w.resize(900, 320)  # short: the source cannot fit, so navigation has to scroll
    w.show()
    qtbot.waitExposed(w)
    return w


def _row_of(code_view, needle: str) -> int:
    block = code_view.document().begin()
    while block.isValid():
        if needle in block.text():
            return block.blockNumber()
        block = block.next()
    raise AssertionError(f"{needle!r} not shown")


def _background_at(code_view, row: int, column: int) -> QColor:
    block = code_view.document().findBlockByNumber(row)
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + column + 1)  # format of the char before the cursor
    return cursor.charFormat().background().color()


def test_summary_and_changed_methods_first(view: DiffView, describes) -> None:
    a, b = describes
    view.set_describes(a, b, "abc123 (latest)", "local")
    assert view.summary_label.text() == "2 methods changed, 1 added, 1 removed"
    names = [
        view.method_list.item(i).data(Qt.ItemDataRole.UserRole + 1)
        for i in range(view.method_list.count())
    ]
    statuses = [
        view.method_list.item(i).data(Qt.ItemDataRole.UserRole + 2)
        for i in range(view.method_list.count())
    ]
    assert names[:4] == ["__init__", "apply", "undo", "reset"]
    assert statuses[:4] == ["changed", "changed", "added", "removed"]
    assert set(statuses[4:]) == {"unchanged"}
    assert "batch" in names[4:]
    assert view.left_label.text().endswith("abc123 (latest)")
    assert not view.header_label.isVisible()  # same Python, same bases


def test_summary_text_counts() -> None:
    assert (
        summary_text(["changed", "added", "unchanged", "changed"])
        == "2 methods changed, 1 added, 0 removed"
    )
    assert summary_text(["changed"]) == "1 method changed, 0 added, 0 removed"


def test_changed_characters_get_a_stronger_tint(view: DiffView, describes) -> None:
    a, b = describes
    view.set_describes(a, b, "A", "B")
    assert view.mode == "source"
    colors = diff_colors(is_dark(view.palette()))
    left_row = _row_of(view.left_view, "def __init__(self, offset: int = 3)")
    right_row = _row_of(view.right_view, "def __init__(self, offset: int = 5)")
    assert left_row == right_row  # aligned side by side
    col = view.left_view.document().findBlockByNumber(left_row).text().index("3)")
    assert _background_at(view.left_view, left_row, col) == colors["delete_span"]
    assert _background_at(view.right_view, right_row, col) == colors["insert_span"]
    # Unchanged characters of the same line carry no span tint.
    assert _background_at(view.left_view, left_row, col - 4) != colors["delete_span"]
    # The whole changed row is painted with the line tint, an unchanged one is not.
    view.left_view.scroll_to_row(0, context=0)
    image = view.left_view.viewport().grab().toImage()
    x = view.left_view.viewport().width() - 5
    changed_y = (
        view.left_view.cursorRect(
            QTextCursor(view.left_view.document().findBlockByNumber(left_row))
        )
        .center()
        .y()
    )
    plain_y = (
        view.left_view.cursorRect(QTextCursor(view.left_view.document().findBlockByNumber(0)))
        .center()
        .y()
    )
    assert image.pixelColor(x, changed_y) == colors["delete_line"]
    assert image.pixelColor(x, plain_y) != colors["delete_line"]


def test_next_and_previous_change_scroll_both_sides(view: DiffView, describes, qtbot) -> None:
    a, b = describes
    view.set_describes(a, b, "A", "B")
    left, right = view.left_view.verticalScrollBar(), view.right_view.verticalScrollBar()
    assert left.maximum() > 0, "the test needs a view too short for the text"
    assert view.change_count() >= 3
    positions = []
    while view.next_change():
        positions.append(left.value())
        assert right.value() == left.value()
    assert len(positions) == view.change_count()
    assert positions == sorted(positions) and positions[-1] > positions[0]
    assert view.current_change() == view.change_count() - 1
    assert not view.next_change()  # past the last one: nothing moves
    assert view.previous_change()
    assert view.current_change() == view.change_count() - 2
    assert left.value() <= positions[-1]


def test_navigation_shortcuts(view: DiffView, describes, qtbot) -> None:
    a, b = describes
    view.set_describes(a, b, "A", "B")
    view.activateWindow()
    view.left_view.setFocus()
    qtbot.waitUntil(lambda: view.left_view.hasFocus())
    qtbot.keyClick(view.left_view, Qt.Key.Key_F8)
    assert view.current_change() == 0
    qtbot.keyClick(view.left_view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert view.current_change() == 1
    qtbot.keyClick(view.left_view, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_change() == 0


def test_scrolling_is_synchronized(view: DiffView, describes) -> None:
    a, b = describes
    view.set_describes(a, b, "A", "B")
    left, right = view.left_view.verticalScrollBar(), view.right_view.verticalScrollBar()
    assert left.maximum() >= 3
    left.setValue(3)
    assert right.value() == 3
    right.setValue(1)
    assert left.value() == 1


def test_identical_versions_show_no_changes(view: DiffView, describes) -> None:
    a, _ = describes
    view.set_describes(a, replace(a), "A", "B")
    assert view.summary_label.text() == "No changes"
    assert "No changes" in view.empty_label.text()
    assert view.empty_label.isVisible()
    assert view.change_count() == 0
    assert not view.next_change()


def test_bytecode_mode_and_method_selection(view: DiffView, describes, qtbot) -> None:
    a, b = describes
    view.set_describes(a, b, "A", "B")
    view.set_mode("bytecode")
    assert view.bytecode_button.isChecked() and not view.source_button.isChecked()
    text = view.right_view.toPlainText()
    assert "# undo(self)" in text and "LOAD_ATTR" in text
    assert "# undo" not in view.left_view.toPlainText()  # added: the left side is filler
    assert view.left_view.language == "dis"
    row = _row_of(view.left_view, "# scale(self)")
    view.left_view.verticalScrollBar().setValue(0)
    with qtbot.waitSignal(view.methodSelected) as signal:
        assert view.select_method("scale")
    assert signal.args == ["scale"]
    assert (
        view.left_view.top_row() <= row < view.left_view.top_row() + view.left_view.visible_rows()
    )
    assert view.right_view.verticalScrollBar().value() == view.left_view.verticalScrollBar().value()


def test_python_mismatch_and_bases_are_announced(view: DiffView, describes) -> None:
    a, b = describes
    b = replace(b, python_version="3.12.1", bases=("shifter_mod.Base",))
    view.set_describes(a, b, "A", "B")
    text = view.header_label.text()
    assert "3.11" in text and "3.12" in text
    assert "shifter_mod.Base" in text
    assert view.header_label.isVisible()


def test_mode_text_is_built_once_per_mode(view: DiffView, monkeypatch) -> None:
    """A 200-method class: both modes are laid out once, with the comparison (on the
    compare command's worker in the window); switching modes recomputes nothing."""
    from petbrowser.core import diff

    def method(i: int, changed: bool) -> dict:
        dis = "\n".join(
            f"  LOAD_CONST {i + k + (1 if changed and k == 2 else 0)}" for k in range(12)
        )
        return {"kind": "function", "signature": "(self)", "disassembly": dis}

    base = {
        "class_name": "Big",
        "module": "big",
        "qualname": "Big",
        "bases": [],
        "python_version": "3.11.7",
    }
    a = ClassDescription.from_json(dict(base, methods={f"m{i:03}": method(i, False) for i in range(200)}))
    b = ClassDescription.from_json(dict(base, methods={f"m{i:03}": method(i, i % 10 == 0) for i in range(200)}))
    calls = []
    real = diff.side_by_side
    monkeypatch.setattr(diff, "side_by_side", lambda x, y: calls.append(1) or real(x, y))
    view.set_describes(a, b, "A", "B")
    assert view.mode == "bytecode"  # no source on either side
    assert view.summary_label.text() == "20 methods changed, 0 added, 0 removed"
    assert view.change_count() == 20
    built = len(calls)
    view.set_mode("source")
    view.set_mode("bytecode")
    view.set_mode("source")
    assert built == 201  # every method's bytecode and the source, once
    assert len(calls) == built  # switching modes diffs nothing again
    assert "No source captured" in view.header_label.text()


def test_texts_and_clear(view: DiffView) -> None:
    view.set_texts("a = 1\nb = 2\n", "a = 1\nb = 3\n", "old", "new")
    assert view.change_count() == 1
    assert not view.method_list.isVisible()
    view.clear()
    assert view.change_count() == 0
    assert view.left_view.toPlainText() == ""
    assert not view.next_change()


def test_first_change_on_the_first_line_is_visited(view: DiffView) -> None:
    view.set_texts("a = 1\nb = 2\n", "a = 2\nb = 2\n", "old", "new")
    assert view.next_change()
    assert view.current_change() == 0
    assert view.left_view.textCursor().blockNumber() == 0


def test_navigation_resumes_from_where_the_user_scrolled(view: DiffView) -> None:
    lines = [f"x{i} = {i}" for i in range(120)]
    changed = list(lines)
    for row in (5, 60, 110):
        changed[row] = changed[row] + "  # edited"
    view.set_texts("\n".join(lines), "\n".join(changed), "old", "new")
    assert view.change_count() == 3
    view.left_view.verticalScrollBar().setValue(50)  # the user scrolls past the first change
    assert view.next_change()
    assert view.current_change() == 1
    assert view.previous_change()
    assert view.current_change() == 0
