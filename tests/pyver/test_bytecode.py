"""core/bytecode: the Python version and listing of pickled bytecode, read as data.

These run on any Python petbrowser supports and need no other interpreter:
tests/data/pyver/ holds matrix_mod.Probe as petbrowser's push wrote it from
each CPython 3.8-3.13 (``make_fixtures.py``), sidecar included.
"""

from __future__ import annotations

import dis
import json
import subprocess
import sys
import textwrap
import types

import cloudpickle
import pytest

from petbrowser.core import bytecode
from petbrowser.core.agent import disasm
from petbrowser.core.bytecode import SPECS, StaticCode, detect
from petbrowser.core.bytecode import verdict as verdict_module
from petbrowser.core.bytecode.decode import Inconsistent, TooLarge, decode
from petbrowser.core.safe_pickle import scan_pickle

from .interpreters import MINORS, REPO, find_python

FIXTURES = REPO / "tests" / "data" / "pyver"
LABCHAIN = REPO / "tests" / "data" / "labchain_stores" / "by_value" / "plugins"
RUNNING = "{}.{}".format(*sys.version_info[:2])


def _fixture(minor: str) -> tuple[bytes, dict]:
    return (FIXTURES / f"{minor}.pkl").read_bytes(), json.loads(
        (FIXTURES / f"{minor}.meta.json").read_text()
    )


@pytest.mark.parametrize("minor", MINORS)
def test_each_versions_push_reads_as_that_version_with_its_own_listing(minor: str) -> None:
    data, meta = _fixture(minor)
    assert meta["python_version"].startswith(minor + ".")
    report = scan_pickle(data)
    assert report.error is None and report.unsafe == []
    assert report.python_version == minor
    assert report.describe.to_json()["methods"] == meta["methods"]  # kind, signature, listing


def test_a_diff_between_versions_of_two_pythons_shows_both_and_says_so() -> None:
    from petbrowser.core.diff import diff_describe

    a = scan_pickle(_fixture("3.11")[0]).describe
    b = scan_pickle(_fixture("3.12")[0]).describe
    d = diff_describe(a, b, a_label="fa5dd54e", b_label="958409e1")
    assert d.python_mismatch == (
        "fa5dd54e was made by Python 3.11, 958409e1 by 3.12: bytecode differs for that reason alone"
    )
    hello = next(m for m in d.methods if m.name == "hello")
    text = "\n".join(hello.bytecode_diff)
    assert "-  PRECALL 0" in text and "-  LOAD_METHOD hello" in text  # 3.11's instructions
    assert (
        "+  LOAD_SUPER_ATTR NULL|self + hello" in text
    )  # 3.12's (3.13 writes "hello + NULL|self")


def test_reading_never_builds_a_code_object_nor_runs_this_pythons_dis(monkeypatch) -> None:
    """A crafted code object corrupts CPython 3.11's heap through dis: neither may run."""
    import petbrowser.core.safe_pickle as safe_pickle

    reached: list[str] = []

    def refuse(name: str):
        def call(*args, **kwargs):
            reached.append(name)
            raise RuntimeError(f"store bytecode reached {name}")

        return call

    class NoCode:  # isinstance(x, types.CodeType) still works; building one is recorded
        def __new__(cls, *args, **kwargs):
            return refuse("types.CodeType")()

    guarded = types.SimpleNamespace(
        **{k: getattr(types, k) for k in dir(types) if not k.startswith("__")}
    )
    guarded.CodeType = NoCode
    # safe_pickle no longer imports types at all; should it again, it gets the guarded one
    monkeypatch.setattr(safe_pickle, "types", guarded, raising=False)
    for name in ("get_instructions", "Bytecode", "_get_instructions_bytes", "_unpack_opargs",
                 "findlabels", "_parse_exception_table", "stack_effect"):  # fmt: skip
        if hasattr(dis, name):
            monkeypatch.setattr(dis, name, refuse(f"dis.{name}"))
    versions = [scan_pickle(_fixture(minor)[0]).python_version for minor in MINORS]
    versions += [
        scan_pickle(p.read_bytes()).python_version for p in sorted(LABCHAIN.glob("Scaler/*.pkl"))
    ]
    assert reached == []
    assert versions == [*MINORS, "3.11", "3.11"]


def _static(args: tuple) -> StaticCode:
    return StaticCode(tuple(args))


def _args_311(code: bytes, linetable: bytes, *, stacksize=1, exceptiontable=b"", consts=(None,)):
    return (1, 0, 0, 1, stacksize, 3, code, consts, (), ("self",), "m.py", "f", "f", 3,
            linetable, exceptiontable, (), ())  # fmt: skip


# ``def f(self): return self`` as 3.11 (and 3.12, byte for byte) compile it
RETURN_SELF = _args_311(bytes.fromhex("97007c005300"), bytes.fromhex("80009804901b"))


def test_bytecode_two_versions_compile_alike_is_named_as_both() -> None:
    code = _static(RETURN_SELF)
    verdict = detect([code])
    assert verdict.versions == ("3.11", "3.12") and verdict.text == "3.11 or 3.12"
    assert verdict.reasons["3.13"] == "f: opcode 151 (BINARY_OP_ADD_INT) at byte 0"
    assert verdict.reasons["3.8"] == "f: 18 constructor arguments"
    assert (
        bytecode.describe_static(code, verdict.versions, "f")
        == "  RESUME 0\n  LOAD_FAST self\n  RETURN_VALUE"
    )
    # 3.8/3.9: byte-identical code is common for short methods: both are named
    old = (1, 0, 0, 1, 1, 67, bytes.fromhex("7c005300"), (None,), (), ("self",), "m.py", "f", 3,
           b"\x00\x01", (), ())  # fmt: skip
    assert detect([_static(old)]).text == "3.8 or 3.9"
    assert bytecode.format_versions(("3.8", "3.9", "3.10")) == "3.8, 3.9 or 3.10"
    assert bytecode.parse_versions("3.8, 3.9 or 3.10") == ("3.8", "3.9", "3.10")
    assert bytecode.parse_versions("3.11.7") == ("3.11",)


def test_a_classs_methods_together_decide_its_version() -> None:
    """One method reads as 3.11 or 3.12; another only as 3.11: the class is 3.11."""
    calls = _args_311(  # return print(self) on 3.11: PRECALL exists only there
        bytes.fromhex("97007401000000000000000000007c00a6010000ab0100000000000000005300"),
        bytes.fromhex("800095459824914b944bd00d1f"),
        stacksize=3,
    )
    calls = calls[:8] + (("print",),) + calls[9:]
    one = _static(RETURN_SELF)
    two = _static(calls)
    assert detect([one]).text == "3.11 or 3.12"
    assert detect([two]).versions == ("3.11",), detect([two]).reasons
    assert detect([one, two]).text == "3.11"


def test_the_last_instruction_without_its_inline_caches_is_refused_not_read_past() -> None:
    # RESUME; LOAD_FAST self; LOAD_ATTR 0 -- and the code ends where its 4 caches should be
    code = _static(_args_311(bytes.fromhex("97007c006a00"), b"\xfa"))  # 3 units, no positions
    with pytest.raises(Inconsistent, match="lacks its inline caches"):
        decode(code, SPECS["3.11"])
    verdict = detect([code])
    assert verdict.versions == ()
    text = bytecode.describe_static(code, verdict.versions, "f")
    assert text.startswith("<not disassembled: not bytecode of Python 3.8-3.13")
    assert "lacks its inline caches" in text


@pytest.mark.parametrize(
    "table",
    [
        b"\xff\xff\xff\xff\xff\xff\xff\xff\x3f",  # one 54-bit number, nine bytes
        b"\x80\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x00",  # a length of 2**42 code units
        b"\x80\x01\x00\x00" * 2,  # two entries at one place
    ],
)
def test_a_small_exception_table_that_makes_dis_loop_is_refused_at_once(table: bytes) -> None:
    code = _static(
        _args_311(
            bytes.fromhex("97007c005300"), bytes.fromhex("80009804901b"), exceptiontable=table
        )
    )
    assert detect([code]).versions == ()
    assert bytecode.describe_static(code, (), "f").startswith("<not disassembled")


def test_ten_million_instructions_are_not_decoded(monkeypatch) -> None:
    nops = _static(_args_311(b"\x09\x00" * 10_000_000, b""))  # 20 MB of NOP
    with pytest.raises(TooLarge):
        decode(nops, SPECS["3.11"])
    verdict = detect([nops])  # no evidence either way
    assert verdict.text == "3.11, 3.12 or 3.13"
    assert bytecode.describe_static(nops, verdict.versions, "f") == (
        "<not disassembled: 10,000,000 instructions (the limit is 100,000)>"
    )


def test_a_class_is_read_within_its_instruction_budget(monkeypatch) -> None:
    monkeypatch.setattr(verdict_module, "MAX_TOTAL_UNITS", 1_000)
    body = bytes.fromhex("9700") + b"\x09\x00" * 300 + bytes.fromhex("7c005300")
    no_locations = b"\xff" * 37 + b"\xfe"  # 37 x 8 + 7 = 303 code units without a position
    codes = [_static(_args_311(body, no_locations)) for _ in range(3)]
    verdict = detect(codes)
    assert verdict.versions  # the first code objects decided
    assert [c.skipped is not None for c in codes] == [False, True, True]
    assert bytecode.describe_static(codes[2], verdict.versions, "f").startswith(
        "<not decoded: the class holds more than 1,000 instructions"
    )


def test_nesting_and_wrong_arguments_are_bounded_and_named() -> None:
    inner = RETURN_SELF
    for _ in range(400):  # a code object nested 400 deep
        inner = inner[:7] + ((_static(inner),),) + inner[8:]
    deep = _static(inner)
    walked = bytecode.walk_codes(deep, "m")
    assert len(walked) == bytecode.MAX_NESTING + 1
    assert walked[-1][0].count("/") == bytecode.MAX_NESTING
    odd = _static(RETURN_SELF[:6] + ("not bytes",) + RETURN_SELF[7:])
    assert odd.problem == "its code is a str, not what a code object holds"
    assert detect([odd]).text == "unknown"
    assert bytecode.describe_static(odd, (), "f").startswith(
        "<not a code object of Python 3.8-3.13"
    )
    assert _static(RETURN_SELF[:15]).problem.startswith("a code object of 15 constructor arguments")


SIGNATURES = """
class Sigs:
    def a(self, x, /, y=1, *args, z, w=2, **kw) -> int: ...
    def b(self, p: "List[int]" = (), *, q: float = 1.5): ...
    def c(*args, **kwargs): ...
    def d(self, a=None, b=..., c=-1, d="x"): ...
    @staticmethod
    def e(): ...
    async def f(self, n: int, /) -> None: ...
"""


def test_signatures_are_rebuilt_from_data_as_inspect_prints_them() -> None:
    ns: dict = {"__name__": "pb_sig_mod"}
    exec(compile(SIGNATURES, "sigs.py", "exec", dont_inherit=True), ns)
    cls = ns["Sigs"]
    report = scan_pickle(cloudpickle.dumps(cls))
    live = disasm.method_table(cls)
    for key in live:
        assert report.describe.methods[key].signature == live[key]["signature"], key
    assert live["a"]["signature"] == "(self, x, /, y=1, *args, z, w=2, **kw) -> int"


def test_a_complex_constant_reads_as_the_literal_not_as_a_call() -> None:
    src = "class K:\n    def m(self):\n        return 1j, (2+3j, -0.0)\n"
    ns: dict = {"__name__": "pb_cplx_mod"}
    exec(compile(src, "k.py", "exec", dont_inherit=True), ns)
    report = scan_pickle(cloudpickle.dumps(ns["K"]))
    assert report.describe.to_json()["methods"] == disasm.method_table(ns["K"])
    assert "LOAD_CONST (1j, ((2+3j), -0.0))" in report.describe.methods["m"].disassembly


def test_the_opcode_tables_are_what_each_interpreter_says() -> None:
    """tables.py equals a fresh dump from every CPython 3.8-3.13 present (the running one at least)."""
    pythons = [p for p in (find_python(m) for m in MINORS) if p]
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_bytecode_tables.py"), "--check", *pythons],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checked = {line.split(":")[0] for line in proc.stdout.splitlines()}
    assert RUNNING in checked and checked <= set(MINORS)


def test_the_running_pythons_own_classes_still_read_exactly() -> None:
    src = textwrap.dedent(
        """
        import math
        class Local:
            def f(self, xs):
                try:
                    return [math.sqrt(x) for x in xs if x is not None]
                except ValueError as exc:
                    raise RuntimeError(f"bad {exc!r}") from exc
        """
    )
    ns: dict = {"__name__": "pb_local_mod"}
    exec(compile(src, "local.py", "exec", dont_inherit=True), ns)
    report = scan_pickle(cloudpickle.dumps(ns["Local"]))
    assert report.python_version == RUNNING
    assert report.describe.to_json()["methods"] == disasm.method_table(ns["Local"])
