"""CodeView and its highlighter: what a reader of source or bytecode relies on."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontDatabase, QFontInfo

from petbrowser.gui.code_view import CodeView
from petbrowser.gui.highlighter import syntax_colors
from petbrowser.gui.theme import is_dark

SOURCE = '''@dataclass
class Shifter(Base):
    """A docstring
    over two lines with def inside"""
    limit = 10  # a comment with 'quotes'

    def apply(self, x):
        return "def" + str(x + 0x1F)
'''

DIS = """  RESUME 0
  LOAD_CONST <code apply/<lambda>>
  POP_JUMP_FORWARD_IF_FALSE to L1
  LOAD_CONST 'big'
L1:
  LOAD_FAST x"""


@pytest.fixture()
def code_view(qtbot) -> CodeView:
    v = CodeView()
    qtbot.addWidget(v)
    v.resize(600, 300)
    v.show()
    return v


def _colour_at(view: CodeView, line: int, needle: str, nth: int = 0):
    """Foreground the highlighter gave to the first char of ``needle`` on ``line``."""
    block = view.document().findBlockByNumber(line)
    col = -1
    for _ in range(nth + 1):
        col = block.text().index(needle, col + 1)
    for fr in block.layout().formats():
        if fr.start <= col < fr.start + fr.length:
            return fr.format.foreground().color()
    return None


def test_read_only_monospace(code_view: CodeView) -> None:
    code_view.set_code(SOURCE, "python")
    assert code_view.isReadOnly()
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    assert QFontInfo(code_view.font()).family() == QFontInfo(fixed).family()
    assert code_view.toPlainText() == SOURCE.rstrip("\n") or code_view.toPlainText() == SOURCE
    assert code_view.gutter_width() > 0


def test_python_tokens_are_coloured(code_view: CodeView) -> None:
    code_view.set_code(SOURCE, "python")
    c = syntax_colors(is_dark(code_view.palette()))
    assert _colour_at(code_view, 0, "@dataclass") == c["decorator"]
    assert _colour_at(code_view, 1, "class") == c["keyword"]
    assert _colour_at(code_view, 1, "Shifter") == c["defname"]
    # A keyword inside a multi-line docstring is string-coloured, not keyword-coloured.
    assert _colour_at(code_view, 3, "def") == c["string"]
    assert _colour_at(code_view, 4, "10") == c["number"]
    assert _colour_at(code_view, 4, "# a comment") == c["comment"]
    assert _colour_at(code_view, 4, "'quotes'") == c["comment"]
    assert _colour_at(code_view, 7, '"def"') == c["string"]
    assert _colour_at(code_view, 7, "0x1F") == c["number"]
    assert _colour_at(code_view, 6, "self") == c["self"]


def test_disassembly_tokens_are_coloured(code_view: CodeView) -> None:
    code_view.set_code(DIS, "dis")
    c = syntax_colors(is_dark(code_view.palette()))
    assert _colour_at(code_view, 0, "RESUME") == c["opname"]
    assert _colour_at(code_view, 1, "<code") == c["coderef"]
    assert _colour_at(code_view, 1, ">>") == c["coderef"]
    assert _colour_at(code_view, 2, "L1") == c["label"]
    assert _colour_at(code_view, 3, "'big'") == c["string"]
    assert _colour_at(code_view, 4, "L1:") == c["label"]
    assert _colour_at(code_view, 5, "x") == c["name"]


def test_custom_line_numbers_and_scrolling(code_view: CodeView) -> None:
    text = "\n".join(f"line {i}" for i in range(200))
    code_view.set_code(text, "text", line_numbers=[None if i % 5 == 0 else i for i in range(200)])
    assert code_view.gutter_width() >= code_view.fontMetrics().horizontalAdvance("199")
    code_view.scroll_to_row(100, context=3)
    assert code_view.top_row() == 97
