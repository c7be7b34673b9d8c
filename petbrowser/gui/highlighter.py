"""Syntax colouring for Python source and petbrowser's normalized disassembly.

Colours are derived from the palette (light or dark), never fixed, so code
stays readable in both themes; ``refresh_colors()`` re-derives them after a
theme switch.  Only foreground, weight and italics are set: backgrounds
belong to the diff tints, which must show through.
"""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)

from petbrowser.gui.refcount_guard import guard_none_refcount
from petbrowser.gui.theme import is_dark

guard_none_refcount()  # before any widget work: see refcount_guard.py

__all__ = ["LANGUAGES", "CodeHighlighter", "syntax_colors"]

LANGUAGES: tuple[str, ...] = ("python", "dis", "text")

_LIGHT = {
    "keyword": "#8b2fc9",
    "builtin": "#1f6fb2",
    "string": "#1a7f37",
    "comment": "#6e7781",
    "number": "#b35900",
    "decorator": "#9a6700",
    "defname": "#0550ae",
    "self": "#a3385d",
    "opname": "#0550ae",
    "label": "#8b2fc9",
    "name": "#24292f",
    "coderef": "#a3385d",
    "section": "#6e7781",
}
_DARK = {
    "keyword": "#c792ea",
    "builtin": "#82aaff",
    "string": "#a5d6a7",
    "comment": "#8b929c",
    "number": "#f4a261",
    "decorator": "#e5c07b",
    "defname": "#61afef",
    "self": "#f07fa6",
    "opname": "#61afef",
    "label": "#c792ea",
    "name": "#dfe1e5",
    "coderef": "#f07fa6",
    "section": "#8b929c",
}


def syntax_colors(dark: bool) -> dict[str, QColor]:
    """Foreground colours per token kind for a dark or a light background."""
    return {k: QColor(v) for k, v in (_DARK if dark else _LIGHT).items()}


_KEYWORDS = (
    r"\b(?:" + "|".join(sorted(keyword.kwlist + keyword.softkwlist, key=len, reverse=True)) + r")\b"
)
_BUILTINS = (
    r"\b(?:"
    + "|".join(sorted((n for n in dir(builtins) if not n.startswith("_")), key=len, reverse=True))
    + r")\b"
)

# Python rules, applied in order; strings and comments are handled separately
# because they hide everything inside them.
_PY_RULES: list[tuple[str, re.Pattern[str], int]] = [
    ("keyword", re.compile(_KEYWORDS), 0),
    ("builtin", re.compile(_BUILTINS), 0),
    ("self", re.compile(r"\b(?:self|cls)\b"), 0),
    (
        "number",
        re.compile(
            r"\b(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?j?)\b"
        ),
        0,
    ),
    ("decorator", re.compile(r"^\s*(@[\w.]+)"), 1),
    ("defname", re.compile(r"\b(?:def|class)\s+(\w+)"), 1),
]
_STRING_START = re.compile(r"""(?i)(?:(?<!\w)[rbuf]{1,2})?('''|\"\"\"|'|")""")
_COMMENT = re.compile(r"#")

# Disassembly: "  OPNAME arg", "L1:", "  L1 to L2 -> L3 [0]", "# method header".
# One match per line for the layout, one scan of the argument for its tokens:
# a 6000-line bytecode diff is coloured quickly enough to feel instant.
_DIS_LINE = re.compile(
    r"^(?P<labeldef>L\d+:)\s*$"
    r"|^(?P<section>ExceptionTable:.*|#.*)$"
    r"|^\s+(?P<op>(?!L\d+\b)[A-Z][A-Z0-9_]*)(?:\s+(?P<arg>.*))?$"
)
_DIS_TOKEN = re.compile(
    r"(?P<coderef><code (?:[^<>]|<[^<>]*>)*>)"
    r"""|(?P<string>[rbuf]{0,2}'(?:[^'\\]|\\.)*'|[rbuf]{0,2}"(?:[^"\\]|\\.)*")"""
    r"|(?P<label>\bL\d+\b)"
    r"|(?P<keyword>\b(?:None|True|False|NULL|Ellipsis)\b)"
    r"|(?P<number>(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?j?\b)"
)

# Block states for multi-line Python strings.
_NONE, _IN_TRIPLE_SINGLE, _IN_TRIPLE_DOUBLE = -1, 1, 2


class CodeHighlighter(QSyntaxHighlighter):
    """Colours one document as ``python``, ``dis`` (normalized disassembly) or plain ``text``."""

    def __init__(self, document: QTextDocument, language: str = "python") -> None:
        super().__init__(document)
        self._language = language if language in LANGUAGES else "text"
        self._formats: dict[str, QTextCharFormat] = {}
        self.refresh_colors(rehighlight=False)

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        """Switch the rules; re-colours only when the language really changes."""
        language = language if language in LANGUAGES else "text"
        if language != self._language:
            self._language = language
            self.rehighlight()

    def refresh_colors(self, palette: QPalette | None = None, rehighlight: bool = True) -> None:
        """Re-derive formats from ``palette`` (the app's by default), e.g. after a theme switch."""
        palette = palette or QGuiApplication.palette()
        colors = syntax_colors(is_dark(palette))
        formats: dict[str, QTextCharFormat] = {}
        for kind, colour in colors.items():
            fmt = QTextCharFormat()
            fmt.setForeground(colour)
            if kind in ("keyword", "defname", "opname", "label", "section"):
                fmt.setFontWeight(QFont.Weight.Bold)
            if kind in ("comment", "section"):
                fmt.setFontItalic(True)
            formats[kind] = fmt
        self._formats = formats
        if rehighlight:
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        if self._language == "python":
            self._highlight_python(text)
        elif self._language == "dis":
            self._highlight_dis(text)
        else:
            self.setCurrentBlockState(_NONE)

    # ------------------------------------------------------------ python
    def _highlight_python(self, text: str) -> None:
        for kind, pattern, group in _PY_RULES:
            for m in pattern.finditer(text):
                start, end = m.span(group)
                self.setFormat(start, end - start, self._formats[kind])
        self.setCurrentBlockState(_NONE)
        pos = 0
        state = self.previousBlockState()
        if state in (_IN_TRIPLE_SINGLE, _IN_TRIPLE_DOUBLE):
            quote = "'''" if state == _IN_TRIPLE_SINGLE else '"""'
            pos = self._string_to(text, 0, 0, quote)
            if pos < 0:
                return
        while pos < len(text):
            s = _STRING_START.search(text, pos)
            c = _COMMENT.search(text, pos)
            if c is not None and (s is None or c.start() < s.start()):
                self.setFormat(c.start(), len(text) - c.start(), self._formats["comment"])
                return
            if s is None:
                return
            pos = self._string_to(text, s.start(), s.end(), s.group(1))
            if pos < 0:
                return

    def _string_to(self, text: str, start: int, body: int, quote: str) -> int:
        """Colour a string from ``start``; return the index after it, or -1 if it runs on."""
        i = body
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                end = i + len(quote)
                self.setFormat(start, end - start, self._formats["string"])
                return end
            i += 1
        self.setFormat(start, len(text) - start, self._formats["string"])
        if len(quote) == 3:
            self.setCurrentBlockState(_IN_TRIPLE_SINGLE if quote == "'''" else _IN_TRIPLE_DOUBLE)
        return -1

    # ------------------------------------------------------------ dis
    def _highlight_dis(self, text: str) -> None:
        self.setCurrentBlockState(_NONE)
        m = _DIS_LINE.match(text)
        if m is None:  # exception-table rows and anything unforeseen: tokens only
            self._dis_tokens(text, 0)
            return
        kind = m.lastgroup
        if kind in ("labeldef", "section"):
            self.setFormat(
                m.start(kind),
                m.end(kind) - m.start(kind),
                self._formats["label" if kind == "labeldef" else "section"],
            )
            return
        self.setFormat(m.start("op"), m.end("op") - m.start("op"), self._formats["opname"])
        if m.group("arg"):
            start = m.start("arg")
            self.setFormat(start, len(text) - start, self._formats["name"])
            self._dis_tokens(text, start)

    def _dis_tokens(self, text: str, pos: int) -> None:
        formats = self._formats
        for t in _DIS_TOKEN.finditer(text, pos):
            kind = t.lastgroup
            self.setFormat(t.start(), t.end() - t.start(), formats[kind])
