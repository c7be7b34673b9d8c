"""Static pickle inspection: hostile pickles are named, never run; real classes are read."""

from __future__ import annotations

import importlib.util
import json
import pickle
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import cloudpickle
import pytest

from petbrowser.core.agent import disasm
from petbrowser.core.safe_pickle import scan_pickle

PICKLES = Path(__file__).resolve().parent / "data" / "pickles"


def _hostile(canary: Path) -> dict[str, bytes]:
    spec = importlib.util.spec_from_file_location("make_pickles", PICKLES / "make_pickles.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build(str(canary))


EXPECTED_UNSAFE = {
    "os_system_p0.pkl": "posix.system",
    "builtins_exec.pkl": "builtins.exec",
    "builtins_eval.pkl": "builtins.eval",
    "subprocess_popen.pkl": "subprocess.Popen",
    "getattr_import_system.pkl": "builtins.__import__",
    "inst_system.pkl": "posix.system",
    "metaclass_system.pkl": "metaclass posix.system",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_UNSAFE))
def test_hostile_pickle_is_named_and_never_run(name: str, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    data = _hostile(canary)[name]
    report = scan_pickle(data)
    assert EXPECTED_UNSAFE[name] in report.unsafe
    assert not report.safe
    assert not canary.exists()


def test_getattr_trick_flags_the_computed_callee_too(tmp_path: Path) -> None:
    report = scan_pickle(_hostile(tmp_path / "CANARY")["getattr_import_system.pkl"])
    assert "builtins.__import__" in report.unsafe
    assert any("system" in u for u in report.unsafe if u != "builtins.__import__")


def test_checked_in_hostile_files_match_the_generator() -> None:
    """The .pkl files beside make_pickles.py are what it builds (for the GUI and humans)."""
    for name, data in _hostile(Path("/tmp/PETBROWSER_CANARY")).items():
        assert (PICKLES / name).read_bytes() == data, name


def test_unsafe_call_hidden_in_a_class_attribute_is_flagged(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"

    class Payload:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {canary}",))

    ns: dict = {"__name__": "pb_dynamic_mod"}
    exec("class Carrier:\n    def run(self):\n        return 1\n", ns)
    carrier = ns["Carrier"]
    carrier.payload = Payload()
    report = scan_pickle(cloudpickle.dumps(carrier))
    assert report.class_name == "Carrier"
    assert "posix.system" in report.unsafe
    assert "run" in report.describe.methods
    assert not canary.exists()


def test_by_reference_pickle() -> None:
    report = scan_pickle(pickle.dumps(OrderedDict))
    assert report.by_reference
    assert (report.module, report.qualname, report.class_name) == (
        "collections",
        "OrderedDict",
        "OrderedDict",
    )
    assert report.describe.methods == {}
    assert report.unsafe == []


def test_truncated_and_garbage_pickles_report_instead_of_raising() -> None:
    ns: dict = {"__name__": "pb_dynamic_mod"}
    exec("class T:\n    def f(self, x=1):\n        return [x] * 3\n", ns)
    data = cloudpickle.dumps(ns["T"])
    cut = scan_pickle(data[: len(data) // 2])
    assert cut.truncated and cut.error
    junk = scan_pickle(b"\x00not a pickle at all")
    assert junk.error and junk.class_name is None
    empty = scan_pickle(b"")
    assert empty.error


def test_in_process_class_round_trips_its_method_table() -> None:
    src = textwrap.dedent(
        """
        import math
        class Shifter:
            limit = 10
            def __init__(self, offset: int = 3, *, scale=1.5):
                self.offset = offset
            def shift(self, xs):
                f = lambda v: v + self.offset
                return [f(x) for x in xs if x < self.limit] + [math.sqrt(2)]
            @property
            def value(self):
                return self.offset
            @value.setter
            def value(self, v):
                self.offset = v
            @staticmethod
            def clip(a, lo=0):
                return max(a, lo)
            @classmethod
            def make(cls):
                return cls()
        """
    )
    ns: dict = {"__name__": "pb_dynamic_mod"}
    exec(compile(src, "shifter.py", "exec"), ns)
    cls = ns["Shifter"]
    report = scan_pickle(cloudpickle.dumps(cls))
    assert report.python_version == disasm.python_tag()
    assert report.describe.to_json()["methods"] == disasm.method_table(cls)
    assert report.describe.attributes == {"limit": "10"}
    assert "math" in report.describe.globals
    assert report.unsafe == []


LABCHAIN_BASE = """
class BaseFilter:
    def fit(self, x, y=None):
        return None

    def predict(self, x):
        raise NotImplementedError
"""

LABCHAIN_USER = """
import json, sys
import cloudpickle
from labchain.base import BaseFilter
from petbrowser.core.agent import disasm

def scale_of(x):
    return x * 2

class MyFilter(BaseFilter):
    threshold = 0.5

    def __init__(self, k: int = 3):
        self.k = k

    def fit(self, x, y=None):
        self.mean_ = sum(x) / len(x)
        return self

    def predict(self, x):
        return [scale_of(v) for v in x if v > self.threshold * self.k]

open(sys.argv[1], "wb").write(cloudpickle.dumps(MyFilter))
open(sys.argv[2], "w").write(json.dumps(disasm.method_table(MyFilter)))
"""


def test_labchain_style_pickle_is_read_where_labchain_is_absent(tmp_path: Path) -> None:
    pkg = tmp_path / "fake" / "labchain"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text(LABCHAIN_BASE)
    script = tmp_path / "user_main.py"
    script.write_text(LABCHAIN_USER)
    pkl, table = tmp_path / "MyFilter.pkl", tmp_path / "table.json"
    import os

    env = dict(os.environ, PYTHONPATH=str(tmp_path / "fake"))
    subprocess.run(
        [sys.executable, str(script), str(pkl), str(table)],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    import shutil

    shutil.rmtree(tmp_path / "fake")  # the base's source is gone
    assert importlib.util.find_spec("labchain") is None

    report = scan_pickle(pkl.read_bytes())
    assert "labchain" not in sys.modules
    assert report.class_name == "MyFilter" and report.module == "__main__"
    assert not report.by_reference
    assert report.bases == ["labchain.base.BaseFilter"]
    assert "labchain.base.BaseFilter" in report.globals
    assert "labchain.base.BaseFilter" in report.describe.globals
    assert report.unsafe == []
    live = json.loads(table.read_text())
    assert report.describe.to_json()["methods"] == live
    assert (
        "LOAD_GLOBAL NULL + scale_of"
        in report.describe.methods["predict/<listcomp>"].disassembly
    )
    assert report.describe.methods["__init__"].signature == "(self, k: int = 3)"


def test_pickle_from_python_310_is_read_with_310s_instruction_set() -> None:
    report = scan_pickle((PICKLES / "foreign_py310.pkl").read_bytes())
    assert report.class_name == "Foo" and report.unsafe == [] and report.error is None
    assert report.python_version == "3.10"
    methods = report.describe.methods
    assert set(methods) == {"f", "f/<listcomp>", "g"}
    assert "CALL_FUNCTION 1" in methods["f"].disassembly.splitlines()[-2]
    assert "  JUMP_ABSOLUTE to L1" in methods["f/<listcomp>"].disassembly
    assert methods["f"].signature == "(self, x, k=2)"
    assert methods["g"].disassembly == "  LOAD_FAST a\n  RETURN_VALUE"


def test_pickle_from_python_312_is_read_with_312s_instruction_set() -> None:
    report = scan_pickle((PICKLES / "foreign_py312.pkl").read_bytes())
    assert report.class_name == "Foo" and report.unsafe == []
    assert report.python_version == "3.12"  # on every Python petbrowser runs on
    assert set(report.describe.methods) == {"f", "g"}  # 3.12 inlines comprehensions
    f = report.describe.methods["f"].disassembly
    assert "  LOAD_FAST_AND_CLEAR v" in f and "  END_FOR" in f and "ExceptionTable:" in f
    assert report.describe.methods["g"].disassembly == "  RESUME 0\n  LOAD_FAST a\n  RETURN_VALUE"


ANNOTATED = """
import re
from typing import Callable, Dict, List, Optional, Tuple, Union

class Typed:
    PAT = re.compile("a+", re.I)

    def f(self, x: Optional[int], y: list[int], z: Dict[str, "Typed"] = None,
          w: int | None = None) -> Union[int, str]:
        return 1

    def g(self, a: List[Tuple[int, ...]], b: Callable[[int], str], c: "Typed"):
        return None
"""


def test_type_annotations_and_regexes_are_not_unsafe_and_render_like_inspect() -> None:
    """Annotations pickle as operator.getitem / functools.reduce calls: modelled, not flagged."""
    ns: dict = {"__name__": "pb_dynamic_mod"}
    exec(compile(ANNOTATED, "typed.py", "exec"), ns)
    cls = ns["Typed"]
    report = scan_pickle(cloudpickle.dumps(cls))
    assert report.unsafe == []
    live = disasm.method_table(cls)
    for name in ("f", "g"):
        assert report.describe.methods[name].signature == live[name]["signature"]
    assert report.describe.attributes["PAT"] == repr(cls.PAT)


def test_getitem_and_reduce_outside_annotations_are_flagged() -> None:
    from pickle import STACK_GLOBAL as SG

    def glob(module: str, name: str) -> bytes:
        return (
            b"\x8c"
            + bytes([len(module)])
            + module.encode()
            + b"\x8c"
            + bytes([len(name)])
            + name.encode()
            + SG
        )

    getitem_env = (
        b"\x80\x04" + glob("_operator", "getitem") + glob("os", "environ") + b"\x8c\x04HOME\x86R."
    )
    assert "_operator.getitem on os.environ" in scan_pickle(getitem_env).unsafe
    reduce_exec = (
        b"\x80\x04" + glob("_functools", "reduce") + glob("builtins", "exec")
        + b"\x8c\x01x\x8c\x01y\x86\x86R."
    )  # fmt: skip
    assert "_functools.reduce" in scan_pickle(reduce_exec).unsafe


def test_python2_names_are_resolved_as_pickle_would() -> None:
    """Protocol < 3: ``commands.Popen`` loads as subprocess.Popen (pickle's fix_imports)."""
    p2 = b"\x80\x02ccommands\nPopen\nq\x00X\x04\x00\x00\x00trueq\x01\x85R."
    assert scan_pickle(p2).unsafe == ["subprocess.Popen"]
    p0 = b"c__builtin__\nset\n(]tR."  # a harmless constructor under its Python 2 name
    assert scan_pickle(p0).unsafe == []


def test_partial_names_the_callable_it_wraps() -> None:
    import functools
    import os

    data = pickle.dumps(functools.partial(os.system, "true"), protocol=2)
    report = scan_pickle(data + b"")
    assert report.unsafe == []  # building a partial calls nothing...
    called = b"\x80\x02" + data[2:-1] + b")R."  # ...calling it does
    assert scan_pickle(called).unsafe == ["call of functools.partial(posix.system, ...)"]


def test_memo_bombs_are_refused_instead_of_hanging() -> None:
    """A few hundred bytes whose shared tuples would take 2**60 steps to hash or repr."""
    body = b"\x80\x04K\x01"  # the int 1
    for i in range(60):
        body += b"\x94" + b"h" + bytes([i]) + b"\x86"  # MEMOIZE; BINGET i; TUPLE2 -> (t, t)
    shared_key = body + b"\x94\x91."  # FROZENSET needs every element hashed (MARK first below)
    bomb = b"\x80\x04(" + shared_key[2:]
    for data in (body + b".", bomb):
        report = scan_pickle(data)
        assert report.error and "expand" in report.error

    big = "x" * 1_000_000
    strings = b"\x80\x04(\x8d" + len(big).to_bytes(8, "little") + big.encode() + b"\x94"
    strings += b"h\x00" * 100_000 + b"l."  # one string, referenced 100,000 times in a list
    assert "expand" in (scan_pickle(strings).error or "")
