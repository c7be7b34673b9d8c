"""Static inspection of a class pickle: what it holds and what loading it would call.

Unpickling is running code, so nothing here unpickles.  :func:`scan_pickle`
runs its own small stack machine over the opcodes ``pickletools.genops``
yields.  It never imports a module and never calls anything from the pickle:
a global is an inert :class:`Global` record that only remembers its name;
cloudpickle's reconstruction functions are mapped to safe re-implementations
that build inert records (a class skeleton becomes a :class:`ClassRecord`, not
a class); a code object is kept as its constructor's arguments
(:class:`bytecode.StaticCode`), never built, and read by ``core/bytecode``.  A call to anything beyond
cloudpickle's machinery and a short allowlist of harmless constructors is
recorded in ``unsafe`` and yields an inert :class:`CallRecord`.

Why not fickling: it flags every cloudpickle class (``_make_skeleton_class``,
``_make_function`` ...) as "likely overtly malicious" and rebuilds no code
objects, so it can neither tell a LabChain class from an exploit nor show its
methods.  ``core/bytecode`` tells the Python version (3.8-3.13) from the bytecode
and disassembles it with that version's instruction set, in pure Python.
"""

from __future__ import annotations

import _compat_pickle
import io
import pickletools
import re
import types
from dataclasses import dataclass, field
from typing import Any

from petbrowser.core import bytecode
from petbrowser.core.agent import disasm
from petbrowser.core.agent.hashing import stable_repr

__all__ = ["PickleReport", "scan_pickle", "Global", "CLOUDPICKLE_FUNCTIONS", "HARMLESS_CALLABLES"]

_CP_MODULES = ("cloudpickle.cloudpickle", "cloudpickle.cloudpickle_fast", "cloudpickle")

#: cloudpickle's reconstruction functions (cloudpickle 2.x and 3.x), by bare name.
CLOUDPICKLE_FUNCTIONS = frozenset(
    {
        "_builtin_type",
        "_make_skeleton_class",
        "_make_skeleton_enum",
        "_class_setstate",
        "_function_setstate",
        "_make_function",
        "_make_cell",
        "_make_empty_cell",
        "subimport",
        "dynamic_subimport",
        "_make_dict_keys",
        "_make_dict_values",
        "_make_dict_items",
        "_make_typevar",
        "_get_dataclass_field_type_sentinel",
        "_file_reconstructor",
    }
)

#: Callables whose call we simulate as inert: constructors of plain data and
#: the descriptors cloudpickle rebuilds methods with.  Never called for real.
HARMLESS_CALLABLES = frozenset(
    {
        "builtins.set",
        "builtins.frozenset",
        "builtins.list",
        "builtins.tuple",
        "builtins.dict",
        "builtins.bytearray",
        "builtins.bytes",
        "builtins.str",
        "builtins.int",
        "builtins.float",
        "builtins.complex",
        "builtins.bool",
        "builtins.slice",
        "builtins.range",
        "builtins.object",
        "builtins.type",  # one argument only: type(None) and friends
        "builtins.property",
        "builtins.staticmethod",
        "builtins.classmethod",
        "builtins.getattr",  # modelled: yields a named record, never looks anything up
        "copyreg._reconstructor",  # only with builtins.object as base
        "copyreg.__newobj__",
        "collections.OrderedDict",
        "collections.defaultdict",
        "functools.partial",
        "_codecs.encode",
        "_operator.getitem",  # modelled: only on typing forms and builtin types
        "_functools.reduce",  # modelled: only reduce(operator.or_, types) -> X | Y
        "_operator.or_",
        "re._compile",
        "datetime.date",
        "datetime.datetime",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
    }
)

#: Metaclasses a class skeleton may be built with (a metaclass is *called*).
_SAFE_METACLASSES = frozenset({"builtins.type", "abc.ABCMeta", "enum.EnumMeta", "enum.EnumType"})

_SKIPPED = frozenset(
    {"__dict__", "__weakref__", "__module__", "__qualname__", "__doc__", "__firstlineno__"}
)
_MAX_DEPTH = 50
#: Bound on a container's size with shared references expanded (see ``_Machine._made``).
_MAX_EXPANDED = 1_000_000


# --------------------------------------------------------------- inert records
class _Record:
    """Base of every inert stand-in: identity-hashed, never callable for real."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class Global(_Record):
    """A global the pickle names (``module.name``); nothing is imported."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    @property
    def full(self) -> str:
        return f"{self.module}.{self.name}"

    def __repr__(self) -> str:  # as inspect.formatannotation renders a class
        return self.name if self.module == "builtins" else self.full


class ModuleRecord(_Record):
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<module {self.name}>"


class AttrRecord(_Record):
    """``getattr(obj, name)`` as loading would compute it; nothing is looked up."""

    def __init__(self, owner: str, name: str) -> None:
        self.full = f"{owner}.{name}"

    def __repr__(self) -> str:
        return self.full


class CallRecord(_Record):
    """What a call loading would make would have returned; the call is not made."""

    def __init__(self, func: str, args: Any) -> None:
        self.func = func
        self.args = args
        self.state: Any = None
        self.items: list[Any] = []

    def __repr__(self) -> str:
        return self.func if self.func.endswith(")") else f"{self.func}(...)"


class ExprRecord(_Record):
    """An inert value with known text: a type annotation (``Optional[int]``), a regex...

    ``typing_root``: the text starts with a ``typing`` form, so a signature
    shows it without the ``typing.`` prefix (as ``inspect.formatannotation`` does).
    """

    def __init__(self, text: str, typing_root: bool = False) -> None:
        self.text = text
        self.typing_root = typing_root

    def __repr__(self) -> str:
        return self.text.replace("typing.", "") if self.typing_root else self.text


_TYPING_MODULES = (
    "typing",
    "typing_extensions",
    "builtins",
    "collections",
    "collections.abc",
    "types",
)


def _ann(value: Any) -> str:
    """An annotation's text as ``typing`` renders one inside ``X[...]``."""
    if value is None:
        return "None"
    if value is Ellipsis:
        return "..."
    if isinstance(value, Global):
        if value.full == "builtins.Ellipsis":
            return "..."
        return value.name if value.module == "builtins" else value.full
    if isinstance(value, ExprRecord):
        return value.text
    if isinstance(value, CallRecord):
        if value.func == "builtins.type" and value.args == (None,):
            return "None"
        if value.func == "typing.ForwardRef.__new__":
            state = value.state
            slots = state[1] if isinstance(state, tuple) and len(state) == 2 else state
            if isinstance(slots, dict) and isinstance(slots.get("__forward_arg__"), str):
                return f"ForwardRef({slots['__forward_arg__']!r})"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_ann(v) for v in value) + "]"
    return repr(value)


def _pattern_repr(pattern: Any, flags: Any) -> str:
    """What ``repr(re.compile(pattern, flags))`` prints, without compiling anything."""
    if isinstance(flags, int) and isinstance(pattern, str):
        flags &= ~re.UNICODE  # implied for str patterns, not shown
    if not isinstance(flags, int) or not flags:
        return f"re.compile({pattern!r})"
    try:
        names = str(re.RegexFlag(flags))
    except ValueError:
        names = str(flags)
    return f"re.compile({pattern!r}, {names})"


class BuiltinTypeRecord(_Record):
    """``cloudpickle._builtin_type(name)``: a type of the ``types`` module."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"types.{self.name}"


class RawCode(_Record):
    """A code object of another Python version: its constructor arguments, unbuilt."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args
        self.co_name = next(
            (a for a in args[9:13] if isinstance(a, str) and not a.endswith(".py")), "?"
        )

    def __repr__(self) -> str:
        return f"<code {self.co_name}>"


class CellRecord(_Record):
    def __init__(self, value: Any = None, empty: bool = True) -> None:
        self.value = value
        self.empty = empty


class FunctionRecord(_Record):
    """``_make_function`` + ``_function_setstate``: a code object plus its state."""

    def __init__(self, code: Any, globals_: Any, name: Any, argdefs: Any, closure: Any) -> None:
        self.code = code
        self.globals = globals_ if isinstance(globals_, dict) else {}
        self.name = name if isinstance(name, str) else getattr(code, "co_name", "?")
        self.defaults = argdefs if isinstance(argdefs, tuple) else None
        self.closure = closure
        self.state: dict[str, Any] = {}
        self.slots: dict[str, Any] = {}

    def __repr__(self) -> str:
        qual = self.slots.get("__qualname__") or self.name
        return f"<function {self.slots.get('__module__', '?')}.{qual}>"


class DescriptorRecord(_Record):
    """``staticmethod(f)``, ``classmethod(f)`` or ``property(fget, fset, fdel, doc)``."""

    def __init__(self, kind: str, funcs: tuple[Any, ...]) -> None:
        self.kind = kind
        self.funcs = funcs

    def __repr__(self) -> str:
        return f"<{self.kind}>"


class ClassRecord(_Record):
    """``_make_skeleton_class`` + ``_class_setstate``: a class that is never created."""

    def __init__(self, name: Any, bases: Any, metaclass: Any, type_kwargs: Any) -> None:
        self.name = name if isinstance(name, str) else "?"
        self.bases = bases if isinstance(bases, tuple) else ()
        self.metaclass = metaclass
        self.dict: dict[str, Any] = dict(type_kwargs) if isinstance(type_kwargs, dict) else {}

    @property
    def full(self) -> str:
        return f"{self.dict.get('__module__', '?')}.{self.dict.get('__qualname__', self.name)}"

    def __repr__(self) -> str:
        return self.full


# ------------------------------------------------------------------- report
@dataclass
class PickleReport:
    """What a pickle holds and what loading it would call, found without loading it."""

    class_name: str | None = None
    module: str | None = None
    qualname: str | None = None
    bases: list[str] = field(default_factory=list)
    by_reference: bool = False
    globals: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    describe: dict[str, Any] = field(default_factory=dict)
    python_version: str | None = None
    truncated: bool = False
    error: str | None = None

    @property
    def safe(self) -> bool:
        return not self.unsafe

    def to_json(self) -> dict[str, Any]:
        return {
            "class_name": self.class_name,
            "module": self.module,
            "qualname": self.qualname,
            "bases": list(self.bases),
            "by_reference": self.by_reference,
            "globals": list(self.globals),
            "unsafe": list(self.unsafe),
            "python_version": self.python_version,
            "truncated": self.truncated,
            "error": self.error,
        }


# ------------------------------------------------------------- the machine
class _Machine:
    """A pickle VM whose every "call" is a record; see the module docstring."""

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.marks: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.globals: list[str] = []
        self.unsafe: list[str] = []
        self.code_arities: set[int] = set()
        self.result: Any = None
        self.done = False
        self.proto = 0  # until a PROTO opcode says otherwise, as in pickle itself
        self.weights: dict[int, tuple[Any, int]] = {}  # id -> (container, expanded size)

    # -- helpers ----------------------------------------------------------
    def _flag(self, what: str) -> None:
        if what not in self.unsafe:
            self.unsafe.append(what)

    def _name(self, value: Any) -> str:
        if isinstance(value, (Global, AttrRecord, ClassRecord)):
            return value.full
        if isinstance(value, (CallRecord, BuiltinTypeRecord, ModuleRecord)):
            return repr(value)
        return f"<{type(value).__name__} object>"

    def _weight(self, obj: Any) -> int:
        if isinstance(obj, (str, bytes, bytearray)):
            return 1 + len(obj) // 64
        got = self.weights.get(id(obj))
        return got[1] if got is not None and got[0] is obj else 1

    def _check(self, weight: int) -> None:
        if weight > _MAX_EXPANDED:
            raise ValueError(
                f"its data would expand to more than {_MAX_EXPANDED} items "
                "(shared or cyclic containers): refused to walk it"
            )

    def _made(self, build: Any, items: list[Any]) -> Any:
        """A container from ``items``, after checking how big it is once expanded.

        Memo references let a small pickle describe a container that is
        exponentially large when hashed or repr'd; this bounds that work.
        """
        weight = 1 + sum(self._weight(i) for i in items)
        self._check(weight)
        obj = build(items)
        self.weights[id(obj)] = (obj, weight)
        return obj

    def _grew(self, target: Any, items: list[Any]) -> Any:
        weight = self._weight(target) + sum(self._weight(i) for i in items)
        self._check(weight)
        self.weights[id(target)] = (target, weight)
        return target

    def _pop_mark(self) -> list[Any]:
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def _global(self, module: Any, name: Any) -> Global:
        if not isinstance(module, str) or not isinstance(name, str):
            raise ValueError("a global whose module or name is not text")
        if self.proto < 3:  # what pickle's find_class does for Python 2 names (fix_imports)
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        g = Global(module, name)
        if g.full not in self.globals:
            self.globals.append(g.full)
        return g

    # -- calls (REDUCE, NEWOBJ, INST, OBJ) -------------------------------------
    def call(self, func: Any, args: Any, kwargs: Any = None) -> Any:
        args = args if isinstance(args, tuple) else (args,)
        if isinstance(func, BuiltinTypeRecord):
            return self._call_builtin_type(func, args)
        if not isinstance(func, Global):
            self._flag(f"call of {self._name(func)}")
            return CallRecord(self._name(func), args)
        full = func.full
        if func.module in _CP_MODULES and func.name in CLOUDPICKLE_FUNCTIONS:
            return self._cloudpickle(func.name, args)
        if full in HARMLESS_CALLABLES:
            return self._harmless(full, args, kwargs)
        self._flag(full)
        return CallRecord(full, args)

    def _call_builtin_type(self, t: BuiltinTypeRecord, args: tuple[Any, ...]) -> Any:
        if t.name == "CodeType":
            return self._code(args)
        if t.name == "MappingProxyType" and args and isinstance(args[0], dict):
            return dict(args[0])
        if t.name == "ModuleType":
            return ModuleRecord(str(args[0]) if args else "?")
        if t.name in ("CellType",):
            return CellRecord(args[0], False) if args else CellRecord()
        if t.name == "GenericAlias" and len(args) == 2:  # list[int]
            params = args[1] if isinstance(args[1], tuple) else (args[1],)
            return ExprRecord(f"{_ann(args[0])}[{', '.join(_ann(p) for p in params)}]")
        if t.name in ("FunctionType", "MethodType", "SimpleNamespace", "GenericAlias", "UnionType"):
            return CallRecord(f"types.{t.name}", args)
        self._flag(f"types.{t.name}")
        return CallRecord(f"types.{t.name}", args)

    def _code(self, args: tuple[Any, ...]) -> Any:
        """A code object as data: never ``types.CodeType(*args)``, never this ``dis``."""
        self.code_arities.add(len(args))

        def plain(value: Any) -> Any:  # a complex constant arrives as a (recorded) call
            if (
                isinstance(value, CallRecord)
                and value.func in ("builtins.complex", "builtins.complex.__new__")
                and isinstance(value.args, tuple)
                and 1 <= len(value.args) <= 2
                and all(type(a) in (int, float) for a in value.args)
            ):
                return complex(*value.args)
            return value

        return bytecode.StaticCode(args, plain)

    def _cloudpickle(self, name: str, args: tuple[Any, ...]) -> Any:
        if name == "_builtin_type":
            return BuiltinTypeRecord(str(args[0]) if args else "?")
        if name == "_make_skeleton_class":
            meta, cname, bases, kwargs = (list(args) + [None] * 4)[:4]
            if not (isinstance(meta, Global) and meta.full in _SAFE_METACLASSES):
                self._flag(f"metaclass {self._name(meta)}")
            return ClassRecord(cname, bases, meta, kwargs)
        if name == "_make_skeleton_enum":
            bases, cname, qualname, members, module = (list(args) + [None] * 5)[:5]
            rec = ClassRecord(cname, bases, Global("enum", "EnumMeta"), {})
            rec.dict.update({"__qualname__": qualname, "__module__": module})
            if isinstance(members, dict):
                rec.dict.update(members)
            return rec
        if name == "_class_setstate":
            obj, state = (list(args) + [None, None])[:2]
            if isinstance(obj, ClassRecord) and isinstance(state, tuple) and state:
                if isinstance(state[0], dict):
                    obj.dict.update(state[0])
            return obj
        if name == "_make_function":
            code, glob, fname, argdefs, closure = (list(args) + [None] * 5)[:5]
            return FunctionRecord(code, glob, fname, argdefs, closure)
        if name == "_function_setstate":
            obj, state = (list(args) + [None, None])[:2]
            if isinstance(obj, FunctionRecord) and isinstance(state, tuple) and len(state) == 2:
                if isinstance(state[0], dict):
                    obj.state.update(state[0])
                if isinstance(state[1], dict):
                    obj.slots.update(state[1])
            return obj
        if name == "_make_cell":
            return CellRecord(args[0], False) if args else CellRecord()
        if name == "_make_empty_cell":
            return CellRecord()
        if name in ("subimport", "dynamic_subimport"):
            mod = str(args[0]) if args else "?"
            if mod not in self.globals:
                self.globals.append(mod)
            return ModuleRecord(mod)
        if name in ("_make_dict_keys", "_make_dict_values"):
            return list(args[0]) if args and isinstance(args[0], (list, tuple)) else []
        if name == "_make_dict_items":
            return dict(args[0]) if args and isinstance(args[0], dict) else {}
        return CallRecord(f"cloudpickle.{name}", args)

    def _harmless(self, full: str, args: tuple[Any, ...], kwargs: Any) -> Any:
        if full == "builtins.getattr":
            owner, attr = (list(args) + [None, None])[:2]
            if not isinstance(attr, str):
                self._flag("builtins.getattr with a computed name")
                return CallRecord(full, args)
            return AttrRecord(
                self._name(owner) if not isinstance(owner, ModuleRecord) else owner.name, attr
            )
        if full in ("builtins.staticmethod", "builtins.classmethod"):
            return DescriptorRecord(full.split(".")[1], args[:1])
        if full == "builtins.property":
            return DescriptorRecord("property", tuple(args[:3]) + (None,) * (3 - len(args[:3])))
        if full in ("_operator.getitem", "operator.getitem"):
            return self._subscript(args)
        if full in ("_functools.reduce", "functools.reduce", "_operator.or_", "operator.or_"):
            return self._union(full, args)
        if full == "re._compile":
            return ExprRecord(_pattern_repr(*(list(args) + [None, 0])[:2]))
        if full == "functools.partial" and args:
            return CallRecord(f"functools.partial({self._name(args[0])}, ...)", args)
        if full == "builtins.type":
            if len(args) != 1:
                self._flag("builtins.type (creating a class)")
            return CallRecord(full, args)
        if full == "copyreg._reconstructor":
            base = args[1] if len(args) > 1 else None
            if not (isinstance(base, Global) and base.full == "builtins.object"):
                self._flag(f"copyreg._reconstructor with base {self._name(base)}")
            return CallRecord(f"{self._name(args[0]) if args else '?'}", args)
        if full in ("builtins.set", "builtins.frozenset", "builtins.list", "builtins.tuple"):
            try:
                return {"builtins.set": set, "builtins.frozenset": frozenset}.get(
                    full, list if full == "builtins.list" else tuple
                )(args[0] if args else ())
            except TypeError:
                return CallRecord(full, args)
        return CallRecord(full, args)

    def _subscript(self, args: tuple[Any, ...]) -> Any:
        """``X[Y]`` on a typing form or a builtin type: how annotations are pickled."""
        container, key = (list(args) + [None, None])[:2]
        typed = isinstance(container, ExprRecord) or (
            isinstance(container, Global) and container.module in _TYPING_MODULES
        )
        if not typed:
            self._flag(f"_operator.getitem on {self._name(container)}")
            return CallRecord("_operator.getitem", args)
        params = list(key) if isinstance(key, tuple) else [key]
        base = _ann(container)
        texts = [_ann(p) for p in params]
        if base == "typing.Union" and len(texts) == 2 and "None" in texts:
            base, texts = "typing.Optional", [t for t in texts if t != "None"]
        typing_root = base.startswith("typing.") or (
            isinstance(container, ExprRecord) and container.typing_root
        )
        return ExprRecord(f"{base}[{', '.join(texts)}]", typing_root)

    def _union(self, full: str, args: tuple[Any, ...]) -> Any:
        """``int | None``: ``functools.reduce(operator.or_, (int, NoneType))``."""
        if full.endswith("reduce"):
            func, items = (list(args) + [None, None])[:2]
            ok = isinstance(func, Global) and func.name == "or_" and isinstance(items, tuple)
        else:
            func, items, ok = None, args, True
        typed = (Global, ExprRecord, CallRecord, type(None))
        if not ok or not all(isinstance(i, typed) for i in items):
            self._flag(full)
            return CallRecord(full, args)
        if any(isinstance(i, CallRecord) and _ann(i) != "None" for i in items):
            self._flag(full)
            return CallRecord(full, args)
        return ExprRecord(" | ".join(_ann(i) for i in items))

    # -- the opcode loop ------------------------------------------------------
    def run(self, data: bytes) -> None:
        stack_ops = _build_dispatch()
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            handler = stack_ops.get(op.name)
            if handler is None:
                raise ValueError(f"unsupported pickle opcode {op.name}")
            handler(self, arg)
            if self.done:
                return


def _build_dispatch() -> dict[str, Any]:
    d: dict[str, Any] = {}

    def push_arg(m: _Machine, arg: Any) -> None:
        m.stack.append(arg)

    for name in (
        "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "STRING",
        "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
        "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "FLOAT", "BINFLOAT",
        "BYTEARRAY8",
    ):  # fmt: skip
        d[name] = push_arg
    d["BYTEARRAY8"] = lambda m, a: m.stack.append(bytearray(a))
    d["NONE"] = lambda m, a: m.stack.append(None)
    d["NEWTRUE"] = lambda m, a: m.stack.append(True)
    d["NEWFALSE"] = lambda m, a: m.stack.append(False)
    d["FRAME"] = lambda m, a: None

    def proto(m: _Machine, a: Any) -> None:
        m.proto = int(a)

    d["PROTO"] = proto
    d["EMPTY_LIST"] = lambda m, a: m.stack.append([])
    d["EMPTY_DICT"] = lambda m, a: m.stack.append({})
    d["EMPTY_SET"] = lambda m, a: m.stack.append(set())
    d["EMPTY_TUPLE"] = lambda m, a: m.stack.append(())

    def mark(m: _Machine, a: Any) -> None:
        m.marks.append(m.stack)
        m.stack = []

    d["MARK"] = mark
    d["POP_MARK"] = lambda m, a: m._pop_mark()
    d["POP"] = lambda m, a: m.stack.pop() if m.stack else m._pop_mark()
    d["DUP"] = lambda m, a: m.stack.append(m.stack[-1])

    def tuple_(m: _Machine, a: Any) -> None:
        items = m._pop_mark()  # before touching m.stack: popping the mark swaps it
        m.stack.append(m._made(tuple, items))

    d["TUPLE"] = tuple_
    d["TUPLE1"] = lambda m, a: m.stack.append(m._made(tuple, [m.stack.pop()]))

    def tuple_n(n: int) -> Any:
        def h(m: _Machine, a: Any) -> None:
            items = m.stack[-n:]
            del m.stack[-n:]
            m.stack.append(m._made(tuple, items))

        return h

    d["TUPLE2"] = tuple_n(2)
    d["TUPLE3"] = tuple_n(3)

    def list_(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        m.stack.append(m._made(list, items))

    d["LIST"] = list_

    def dict_(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        m.stack.append(m._made(_pairs_to_dict, items))

    d["DICT"] = dict_

    def frozenset_(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        m.stack.append(m._made(frozenset, items))

    d["FROZENSET"] = frozenset_

    def append(m: _Machine, a: Any) -> None:
        value = m.stack.pop()
        _extend(m._grew(m.stack[-1], [value]), [value])

    def appends(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        _extend(m._grew(m.stack[-1], items), items)

    d["APPEND"] = append
    d["APPENDS"] = appends

    def setitem(m: _Machine, a: Any) -> None:
        value = m.stack.pop()
        key = m.stack.pop()
        _setitems(m._grew(m.stack[-1], [key, value]), [key, value])

    def setitems(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        _setitems(m._grew(m.stack[-1], items), items)

    d["SETITEM"] = setitem
    d["SETITEMS"] = setitems

    def additems(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        target = m._grew(m.stack[-1], items)
        if isinstance(target, set):
            target.update(items)

    d["ADDITEMS"] = additems

    # memo
    def memoize(m: _Machine, a: Any) -> None:
        m.memo[len(m.memo)] = m.stack[-1]

    def put(m: _Machine, a: Any) -> None:
        m.memo[int(a)] = m.stack[-1]

    def get(m: _Machine, a: Any) -> None:
        m.stack.append(m.memo[int(a)])

    d["MEMOIZE"] = memoize
    d["PUT"] = d["BINPUT"] = d["LONG_BINPUT"] = put
    d["GET"] = d["BINGET"] = d["LONG_BINGET"] = get

    # globals and calls
    def global_(m: _Machine, a: Any) -> None:
        module, _, name = str(a).partition(" ")
        m.stack.append(m._global(module, name))

    def stack_global(m: _Machine, a: Any) -> None:
        name = m.stack.pop()
        module = m.stack.pop()
        m.stack.append(m._global(module, name))

    d["GLOBAL"] = global_
    d["STACK_GLOBAL"] = stack_global

    def ext(m: _Machine, a: Any) -> None:
        m._flag(f"extension code {a}")
        m.stack.append(CallRecord(f"extension code {a}", ()))

    d["EXT1"] = d["EXT2"] = d["EXT4"] = ext

    def persid(m: _Machine, a: Any) -> None:
        if a is None:
            m.stack.pop()
        m.stack.append(CallRecord("persistent_load", ()))

    d["PERSID"] = d["BINPERSID"] = persid

    def reduce(m: _Machine, a: Any) -> None:
        args = m.stack.pop()
        func = m.stack.pop()
        m.stack.append(m.call(func, args))

    d["REDUCE"] = reduce

    def newobj(m: _Machine, a: Any) -> None:  # cls.__new__(cls, *args): an instance, no __init__
        args = m.stack.pop()
        cls = m.stack.pop()
        m.stack.append(CallRecord(f"{m._name(cls)}.__new__", args))

    def newobj_ex(m: _Machine, a: Any) -> None:
        m.stack.pop()
        args = m.stack.pop()
        cls = m.stack.pop()
        m.stack.append(CallRecord(f"{m._name(cls)}.__new__", args))

    d["NEWOBJ"] = newobj
    d["NEWOBJ_EX"] = newobj_ex

    def inst(m: _Machine, a: Any) -> None:  # protocol 0: calls module.name(*args)
        module, _, name = str(a).partition(" ")
        args = tuple(m._pop_mark())
        m.stack.append(m.call(m._global(module, name), args))

    def obj(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        if not items:
            raise ValueError("OBJ without a class")
        m.stack.append(m.call(items[0], tuple(items[1:])))

    d["INST"] = inst
    d["OBJ"] = obj

    def build(m: _Machine, a: Any) -> None:
        state = m.stack.pop()
        target = m.stack[-1]
        if isinstance(target, CallRecord):
            target.state = state
        elif isinstance(target, FunctionRecord) and isinstance(state, tuple) and len(state) == 2:
            if isinstance(state[0], dict):
                target.state.update(state[0])
            if isinstance(state[1], dict):
                target.slots.update(state[1])

    d["BUILD"] = build

    def next_buffer(m: _Machine, a: Any) -> None:
        raise ValueError("out-of-band buffers are not supported")

    d["NEXT_BUFFER"] = next_buffer
    d["READONLY_BUFFER"] = lambda m, a: None

    def stop(m: _Machine, a: Any) -> None:
        m.result = m.stack.pop()
        m.done = True

    d["STOP"] = stop
    return d


def _pairs_to_dict(items: list[Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for i in range(0, len(items) - 1, 2):
        try:
            out[items[i]] = items[i + 1]
        except TypeError:  # unhashable key: keep going, loading would fail anyway
            continue
    return out


def _extend(target: Any, items: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, CallRecord):
        target.items.extend(items)


def _setitems(target: Any, items: list[Any]) -> None:
    if isinstance(target, dict):
        target.update(_pairs_to_dict(items))
    elif isinstance(target, CallRecord):
        target.items.extend(items)


# ------------------------------------------------------------- the describe
def _version_guess(m: _Machine, codes: list[Any]) -> str | None:
    """The Python minor version(s) the pickle's bytecode fits ("3.11", "3.8 or 3.9"); None if none."""
    statics = [c for c in codes if isinstance(c, bytecode.StaticCode)]
    if not statics:
        return None
    return bytecode.detect(statics).text


def _walk_codes(code: Any) -> list[Any]:
    return [c for _, c in bytecode.walk_codes(code)]


def _unwrap(fn: Any) -> Any:
    seen = 0
    while isinstance(fn, FunctionRecord) and isinstance(
        fn.state.get("__wrapped__"), FunctionRecord
    ):
        fn = fn.state["__wrapped__"]
        seen += 1
        if seen > _MAX_DEPTH:
            break
    return fn


def _signature(fn: FunctionRecord) -> str | None:
    """The signature, from an inert ``FunctionType`` that is never called."""
    code = fn.code
    if not isinstance(code, types.CodeType):
        return None
    try:
        closure = tuple(types.CellType() for _ in code.co_freevars) or None
        f = types.FunctionType(code, {}, fn.name, None, closure)
        defaults = fn.slots.get("__defaults__", fn.defaults)
        if isinstance(defaults, tuple):
            f.__defaults__ = defaults
        kwdefaults = fn.slots.get("__kwdefaults__")
        if isinstance(kwdefaults, dict):
            f.__kwdefaults__ = kwdefaults
        annotations = fn.slots.get("__annotations__")
        if isinstance(annotations, dict):
            f.__annotations__ = annotations
        return disasm.signature_text(f)
    except Exception:  # odd defaults or annotations from the pickle: no signature
        return None


def _entries(
    key: str, kind: str, fn: Any, version_ok: bool, version: str | None
) -> dict[str, dict[str, Any]]:
    """Method-table entries read with the instruction set of ``version`` (whatever runs here)."""
    fn = _unwrap(fn)
    if not isinstance(fn, FunctionRecord):
        return {key: {"kind": kind, "signature": None, "disassembly": "<not a function>"}}
    signature = bytecode.signature_text(
        fn.code,
        defaults=fn.slots.get("__defaults__", fn.defaults),
        kwdefaults=fn.slots.get("__kwdefaults__"),
        annotations=fn.slots.get("__annotations__"),
    )
    return bytecode.code_entries(key, kind, signature, fn.code, bytecode.parse_versions(version))


def _describe_class(rec: ClassRecord, m: _Machine, report: PickleReport) -> dict[str, Any]:
    codes: list[Any] = []
    for value in rec.dict.values():
        funcs = value.funcs if isinstance(value, DescriptorRecord) else (value,)
        for f in funcs:
            f = _unwrap(f)
            if isinstance(f, FunctionRecord):
                codes.extend(_walk_codes(f.code))
    try:
        version = _version_guess(m, codes)
    except Exception:  # malformed bytecode: treat as foreign
        version = "unknown"
    version_ok = version == disasm.python_tag()
    methods: dict[str, dict[str, Any]] = {}
    attributes: dict[str, str] = {}
    for name, value in sorted(rec.dict.items(), key=lambda kv: str(kv[0])):
        if not isinstance(name, str):
            continue
        if isinstance(value, DescriptorRecord):
            if value.kind == "property":
                fget, fset, fdel = (list(value.funcs) + [None] * 3)[:3]
                for key, f in ((name, fget), (f"{name}.setter", fset), (f"{name}.deleter", fdel)):
                    if f is not None:
                        methods.update(_entries(key, "property", f, version_ok, version))
            else:
                methods.update(
                    _entries(
                        name,
                        value.kind,
                        value.funcs[0] if value.funcs else None,
                        version_ok,
                        version,
                    )
                )
        elif isinstance(value, FunctionRecord):
            methods.update(_entries(name, "function", value, version_ok, version))
        elif name in _SKIPPED or (name.startswith("__") and name.endswith("__")):
            continue
        else:
            attributes[name] = _value_repr(value)
    report.python_version = version
    deps = sorted(g for g in m.globals if not g.startswith(("cloudpickle", "builtins.")))
    return {
        "class_name": report.class_name,
        "module": report.module,
        "qualname": report.qualname,
        "bases": list(report.bases),
        "python_version": version,
        "source": None,
        "methods": methods,
        "attributes": attributes,
        "globals": deps,
    }


def _value_repr(value: Any) -> str:
    if isinstance(value, _Record):
        return repr(value)
    try:
        return stable_repr(value)
    except Exception:  # records nested in containers: still one stable line
        return f"<{type(value).__name__}>"


# ------------------------------------------------------------------ public
def scan_pickle(data: bytes) -> PickleReport:
    """Walk a class pickle without loading it.  Never raises on bad input.

    ``unsafe`` lists every callable loading would call beyond cloudpickle's
    machinery and :data:`HARMLESS_CALLABLES`; ``globals`` every name it
    references.  A truncated or malformed pickle sets ``error`` (and
    ``truncated``) and keeps whatever was found before the damage.
    """
    report = PickleReport()
    m = _Machine()
    try:
        m.run(bytes(data))
        if not m.done:
            report.truncated = True
            report.error = "the pickle ends before its STOP opcode (truncated)"
    except RecursionError:
        report.error = "the pickle nests too deeply to inspect"
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if any(w in msg for w in ("remain", "at end of", "truncated", "not enough data", "EOF")):
            report.truncated = True
            report.error = f"truncated pickle: {msg}"
        else:
            report.error = f"not a readable pickle: {msg}"
    report.globals = list(m.globals)
    report.unsafe = list(m.unsafe)
    result = m.result
    if isinstance(result, Global):
        report.by_reference = True
        report.module = result.module
        report.qualname = result.name
        report.class_name = result.name.rsplit(".", 1)[-1]
        report.describe = {
            "class_name": report.class_name,
            "module": report.module,
            "qualname": report.qualname,
            "bases": [],
            "python_version": None,
            "source": None,
            "methods": {},
            "attributes": {},
            "globals": [result.full],
            "by_reference": True,
        }
    elif isinstance(result, ClassRecord):
        report.class_name = result.name
        module = result.dict.get("__module__")
        qualname = result.dict.get("__qualname__", result.name)
        report.module = module if isinstance(module, str) else None
        report.qualname = qualname if isinstance(qualname, str) else result.name
        report.bases = [_base_name(b, m) for b in result.bases]
        try:
            report.describe = _describe_class(result, m, report)
        except Exception as exc:  # malformed code objects and the like: report, never raise
            report.error = f"could not describe the class: {type(exc).__name__}: {exc}"[:300]
            report.describe = {
                "class_name": report.class_name,
                "module": report.module,
                "qualname": report.qualname,
                "bases": list(report.bases),
                "python_version": None,
                "source": None,
                "methods": {},
                "attributes": {},
                "globals": [],
            }
    elif report.error is None and m.done:
        report.error = f"the pickle does not hold a class (it holds {_value_repr(result)})"
    return report


def _base_name(base: Any, m: _Machine) -> str:
    if isinstance(base, (Global, ClassRecord, AttrRecord)):
        return base.full
    return m._name(base)
