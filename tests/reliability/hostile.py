"""Pickles whose loading would run code, built without running any of it.

Each payload, if it were ever unpickled, would create one canary file named
after the payload, so a test proves "nothing ran" by finding the canary
folder empty.  They are written opcode by opcode (or by ``pickle.dumps`` of an
object whose ``__reduce__`` names the callable: dumping never calls it), and
cover the ways a pickle reaches code: GLOBAL and STACK_GLOBAL, REDUCE, INST,
OBJ, NEWOBJ, callables reached through ``getattr`` or ``functools.partial``,
and a real cloudpickle class snapshot with a call hidden in its class dict.
"""

from __future__ import annotations

import builtins
import os
import pickle
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import cloudpickle

PROTO2 = b"\x80\x02"
PROTO4 = b"\x80\x04"
MARK, STOP, REDUCE, TUPLE, TUPLE1, TUPLE2 = b"(", b".", b"R", b"t", b"\x85", b"\x86"
EMPTY_TUPLE, EMPTY_LIST, APPENDS, STACK_GLOBAL = b")", b"]", b"e", b"\x93"
EMPTY_DICT, SETITEMS, BUILD, OBJ, NEWOBJ = b"}", b"u", b"b", b"o", b"\x81"


def _glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _touch_cmd(canary: Path) -> str:
    return f"touch '{canary}'"


def _py_touch(canary: Path) -> str:
    return f"open({str(canary)!r}, 'w').close()"


class _Reduce:
    """Pickles as ``callable(*args)``; dumping it calls nothing."""

    def __init__(self, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple[object, ...]:
        return (self.fn, self.args)


def os_system(c: Path) -> bytes:
    return PROTO2 + _glob("os", "system") + _str(_touch_cmd(c)) + TUPLE1 + REDUCE + STOP


def posix_system_stack_global(c: Path) -> bytes:
    return PROTO4 + _str("posix") + _str("system") + STACK_GLOBAL + _str(_touch_cmd(c)) + TUPLE1 + REDUCE + STOP


def builtins_exec(c: Path) -> bytes:
    return PROTO2 + _glob("builtins", "exec") + _str(_py_touch(c)) + TUPLE1 + REDUCE + STOP


def reduce_eval(c: Path) -> bytes:
    """A ``__reduce__`` returning eval: how such pickles are made in practice."""
    code = f"__import__('os').system({_touch_cmd(c)!r})"
    return pickle.dumps(_Reduce(builtins.eval, (code,)), protocol=4)


def subprocess_popen(c: Path) -> bytes:
    return pickle.dumps(_Reduce(subprocess.Popen, (["touch", str(c)],)), protocol=2)


def subprocess_check_call(c: Path) -> bytes:
    args = EMPTY_LIST + MARK + _str("touch") + _str(str(c)) + APPENDS
    return PROTO2 + _glob("subprocess", "check_call") + args + TUPLE1 + REDUCE + STOP


def inst_opcode(c: Path) -> bytes:
    """Protocol 0 INST: the class and the call in one opcode, no REDUCE at all."""
    return MARK + _str(_touch_cmd(c)) + b"ios\nsystem\n" + STOP


def obj_opcode(c: Path) -> bytes:
    args = EMPTY_LIST + MARK + _str("touch") + _str(str(c)) + APPENDS
    return PROTO2 + MARK + _glob("subprocess", "Popen") + args + OBJ + STOP


def getattr_chain(c: Path) -> bytes:
    """``getattr(__import__('os'), 'system')(cmd)``: no dangerous name appears as a global."""
    imp = _glob("builtins", "__import__") + _str("os") + TUPLE1 + REDUCE
    fn = _glob("builtins", "getattr") + imp + _str("system") + TUPLE2 + REDUCE
    return PROTO2 + fn + _str(_touch_cmd(c)) + TUPLE1 + REDUCE + STOP


def partial_call(c: Path) -> bytes:
    """``functools.partial(os.system, cmd)()``: the dangerous call made by a harmless-looking one."""
    part = _glob("functools", "partial") + _glob("os", "system") + _str(_touch_cmd(c)) + TUPLE2 + REDUCE
    return PROTO2 + part + EMPTY_TUPLE + REDUCE + STOP


def cloudpickle_subimport(c: Path) -> bytes:
    """cloudpickle's own ``subimport`` fetches ``os``; ``getattr`` does the rest."""
    mod = _glob("cloudpickle.cloudpickle", "subimport") + _str("os") + TUPLE1 + REDUCE
    fn = _glob("builtins", "getattr") + mod + _str("system") + TUPLE2 + REDUCE
    return PROTO2 + fn + _str(_touch_cmd(c)) + TUPLE1 + REDUCE + STOP


def newobj_setstate(c: Path) -> bytes:
    """A harmless NEWOBJ followed by BUILD whose state comes from a call to os.system."""
    obj = _glob("builtins", "object") + EMPTY_TUPLE + NEWOBJ
    state = _glob("os", "system") + _str(_touch_cmd(c)) + TUPLE1 + REDUCE
    return PROTO2 + obj + EMPTY_DICT + MARK + _str("x") + state + SETITEMS + BUILD + STOP


def cloudpickle_class_with_hook(c: Path) -> bytes:
    """A genuine by-value cloudpickle class snapshot with an os.system call in its class dict."""

    def predict(self, x):  # noqa: ANN001 - the user's method, as written
        return x * 2

    cls = type("Evil", (), {"predict": predict, "hook": _Reduce(os.system, (_touch_cmd(c),))})
    cls.__module__ = "evil_project_not_importable"
    cls.__qualname__ = "Evil"
    return cloudpickle.dumps(cls, protocol=5)


def evil_pointer(c: Path, class_name: str = "Lab") -> bytes:
    """A LabChain-style pickled ``latest.json`` whose 'hash' is the result of os.system."""
    call = os_system(c / "evil_pointer")[len(PROTO2) : -len(STOP)]
    return PROTO2 + EMPTY_DICT + MARK + _str("hash") + call + _str("class_name") + _str(class_name) + SETITEMS + STOP


#: name -> builder(canary_path) -> pickle bytes
PAYLOADS: dict[str, Callable[[Path], bytes]] = {
    f.__name__: f
    for f in (
        os_system,
        posix_system_stack_global,
        builtins_exec,
        reduce_eval,
        subprocess_popen,
        subprocess_check_call,
        inst_opcode,
        obj_opcode,
        getattr_chain,
        partial_call,
        cloudpickle_subimport,
        newobj_setstate,
        cloudpickle_class_with_hook,
    )
}


def benign_class_pickle(name: str = "Plain", factor: int = 2) -> bytes:
    """A harmless by-value cloudpickle class snapshot (what petbrowser itself pushes)."""
    ns: dict[str, object] = {}
    exec(  # noqa: S102 - builds a class with no importable module, so cloudpickle keeps it by value
        f"class {name}:\n    factor = {factor}\n    def predict(self, x):\n        return x * self.factor\n",
        ns,
    )
    cls = ns[name]
    cls.__module__ = "plain_project_not_importable"  # type: ignore[attr-defined]
    return cloudpickle.dumps(cls, protocol=5)
