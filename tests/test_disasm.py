"""Normalized disassembly: stable across formatting and processes, sensitive to code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

from petbrowser.core.agent import disasm


def table_of(src: str, name: str = "A", filename: str = "/some/where/mod.py") -> dict:
    ns: dict = {"__name__": "pb_disasm_test"}
    exec(compile(textwrap.dedent(src), filename, "exec"), ns)
    return disasm.method_table(ns[name])


RICH = """
class A:
    limit = 3

    def predict(self, x, k=2):
        \"\"\"Docstring.\"\"\"
        try:
            ys = [v * k for v in x if v > self.limit]
        except (ValueError, KeyError) as e:
            raise RuntimeError("bad") from e
        f = lambda z: z + 1
        g = lambda z: z + 2
        while x:
            x = x[1:]
            if not x:
                break
        return f, g, ys, "a" in {"b", "a", "c"}

    @property
    def value(self):
        return 1

    @value.setter
    def value(self, v):
        self.limit = v

    @value.deleter
    def value(self):
        pass

    @staticmethod
    def clip(a, lo=0):
        return max(a, lo)

    @classmethod
    def make(cls):
        return cls()
"""

RICH_REFORMATTED = """
# a comment that shifts every line


class A:
    limit   =   3   # same value

    def predict(self,   x,  k=2):
        \"\"\"Docstring.\"\"\"
        # comment inside
        try:

            ys = [v * k
                  for v in x
                  if v > self.limit]
        except (ValueError,
                KeyError) as e:
            raise RuntimeError("bad") from e
        f = lambda z: z + 1
        g = lambda z: z + 2
        while x:
            x = x[1:]

            if not x:
                break
        return (f, g, ys,
                "a" in {"b", "a", "c"})

    @property
    def value(self):
        return 1

    @value.setter
    def value(self, v):
        self.limit = v

    @value.deleter
    def value(self):
        pass

    @staticmethod
    def clip(a, lo=0):
        return max(a, lo)

    @classmethod
    def make(cls):   return cls()
"""


def test_keys_and_kinds() -> None:
    t = table_of(RICH)
    assert {k: v["kind"] for k, v in t.items()} == {
        "clip": "staticmethod",
        "make": "classmethod",
        "predict": "function",
        "predict/<listcomp>": "code",
        "predict/<lambda>": "code",
        "predict/<lambda>#2": "code",
        "value": "property",
        "value.setter": "property",
        "value.deleter": "property",
    }
    assert t["predict"]["signature"] == "(self, x, k=2)"
    assert t["predict/<lambda>"]["signature"] is None


def test_formatting_comments_and_line_positions_do_not_matter() -> None:
    assert table_of(RICH) == table_of(RICH_REFORMATTED, filename="/elsewhere/other.py")


def test_no_offsets_addresses_line_numbers_or_paths() -> None:
    t = table_of(RICH, filename="/very/unique/path_xyz.py")
    for entry in t.values():
        text = entry["disassembly"]
        assert "0x" not in text
        assert "path_xyz" not in text and "code object" not in text
        for line in text.splitlines():
            assert not re.match(r"\s*\d", line), line  # no offset or line-number column
    pred = t["predict"]["disassembly"]
    assert "LOAD_CONST <code predict/<lambda>>" in pred
    assert "LOAD_CONST <code predict/<lambda>#2>" in pred
    assert "LOAD_CONST <code predict/<listcomp>>" in pred
    assert "ExceptionTable:" in pred


def test_jumps_are_labels_defined_before_their_target() -> None:
    text = table_of(RICH)["predict"]["disassembly"]
    lines = text.splitlines()
    defined = [ln[:-1] for ln in lines if re.fullmatch(r"L\d+:", ln)]
    assert defined == [f"L{i}" for i in range(1, len(defined) + 1)]
    used = set(re.findall(r"to (L\d+)", text))
    assert used and used <= set(defined)


def test_frozenset_constants_are_sorted() -> None:
    text = table_of(RICH)["predict"]["disassembly"]
    assert "LOAD_CONST frozenset({'a', 'b', 'c'})" in text


def test_a_constant_change_shows() -> None:
    a = table_of("class A:\n    def f(self):\n        return 1\n")
    b = table_of("class A:\n    def f(self):\n        return 2\n")
    assert a["f"]["disassembly"] != b["f"]["disassembly"]
    assert "LOAD_CONST 2" in b["f"]["disassembly"]


def test_decorated_methods_show_the_wrapped_code() -> None:
    src = """
    import functools
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            return fn(*a, **k)
        return wrapper
    class A:
        @deco
        def f(self, x):
            return x + 41
    """
    t = table_of(src)
    assert "LOAD_CONST 41" in t["f"]["disassembly"]
    assert t["f"]["signature"] == "(self, x)"


def test_python_tag() -> None:
    assert disasm.python_tag() == f"{sys.version_info[0]}.{sys.version_info[1]}"


PROBE = """
import json, sys, textwrap
from petbrowser.core.agent import disasm
ns = {"__name__": "probe"}
exec(compile(textwrap.dedent(sys.argv[1]), "p.py", "exec"), ns)
print(json.dumps(disasm.method_table(ns["A"])))
"""


def test_same_text_in_processes_with_different_hash_seeds() -> None:
    """frozenset iteration order follows PYTHONHASHSEED; the rendering must not."""
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, RICH],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1] == json.loads(json.dumps(table_of(RICH)))
