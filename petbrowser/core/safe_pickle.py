"""Static inspection of a class pickle: what it holds and what loading it would run.

Unpickling is running code, so nothing here unpickles.  :func:`scan_pickle`
runs its own small stack machine over the opcodes ``pickletools.genops``
yields.  It never imports a module and never calls anything from the pickle:
a global is an inert :class:`Global` record that only remembers its name;
cloudpickle's reconstruction functions are mapped to safe re-implementations
that build inert records (a class skeleton becomes a :class:`ClassRecord`, not
a class); a code object is kept as its constructor's arguments
(:class:`bytecode.StaticCode`), never built, and read by ``core/bytecode``.

The verdict is **default-deny** (issue 13): a pickle is clean only when every
construct in it is one cloudpickle itself writes for a plain class, and none
of the paths by which loading reaches code chosen by the pickle is open:

- calls of anything beyond cloudpickle's machinery and a short allowlist of
  constructors, and allowlisted calls whose arguments could reach a dunder
  (``str(obj)``, ``list(map_obj)``, ``Optional[obj]``, ``re._compile(obj)``);
- NEWOBJ / ``copyreg`` instances of classes off the allowlist, and instances
  of by-value classes that define hooks (``__setstate__``, ``__getattr__``,
  ``__del__``, ``__hash__``...), BUILD on anything but those;
- class-building hooks: ``__init_subclass__`` of a by-value base,
  ``__set_name__`` / enum member hooks of values present when a class is
  created, ``__mro_entries__`` of a non-class base, metaclasses off the
  allowlist, ABC ``register`` reaching ``__subclasshook__``;
- hashing anything but plain data or classes (dict keys, set items);
- opcodes cloudpickle never writes (text protocol 0/1, extensions,
  persistent ids, out-of-band buffers) and any scan error: a pickle the
  scanner did not fully understand is never "nothing found".

Every finding is a line in :attr:`PickleReport.unsafe` naming what was found.

Why not fickling: it flags every cloudpickle class (``_make_skeleton_class``,
``_make_function`` ...) as "likely overtly malicious" and rebuilds no code
objects, so it can neither tell a LabChain class from an exploit nor show its
methods.  ``core/bytecode`` tells the Python version (3.8-3.13) from the bytecode
and disassembles it with that version's instruction set, in pure Python.
"""

from __future__ import annotations

import _compat_pickle
import pickletools
import re
from dataclasses import dataclass, field
from typing import Any

from petbrowser.core import bytecode
from petbrowser.core.agent import disasm
from petbrowser.core.agent.hashing import stable_repr
from petbrowser.core.models import ClassDescription, MethodInfo

__all__ = [
    "PickleReport",
    "scan_pickle",
    "wrapped_payload",
    "Global",
    "CLOUDPICKLE_FUNCTIONS",
    "CLOUDPICKLE_OPCODES",
    "HARMLESS_CALLABLES",
]

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
    }
)

#: Callables whose call we simulate as inert: constructors of plain data and
#: the descriptors cloudpickle rebuilds methods with.  Never called for real;
#: each has its own rule for which arguments keep it harmless (``_harmless``).
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
        "copyreg.__newobj_ex__",
        "collections.OrderedDict",
        "collections.defaultdict",
        "functools.partial",
        "_codecs.encode",
        "_operator.getitem",  # modelled: only on typing forms and builtin types
        "_functools.reduce",  # modelled: only reduce(operator.or_, types) -> X | Y
        "_operator.or_",
        "functools.reduce",  # the same under their protocol-2 names
        "operator.or_",
        "operator.getitem",
        "re._compile",
        "datetime.date",
        "datetime.datetime",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
    }
)

#: Every opcode a pickler of protocol 2-5 writes for a class (cloudpickle's and
#: the outer pickle LabChain wraps it in).  Anything else (protocol 0/1 text
#: opcodes, whose parsing differs between pickletools and the C unpickler,
#: extension codes, persistent ids, out-of-band buffers) makes a pickle unclean.
CLOUDPICKLE_OPCODES = frozenset(
    {
        "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK",
        "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1", "LONG4",
        "BINFLOAT", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
        "SHORT_BINBYTES", "BINBYTES", "BINBYTES8", "BYTEARRAY8",
        "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
        "EMPTY_LIST", "APPEND", "APPENDS", "EMPTY_DICT", "SETITEM", "SETITEMS",
        "EMPTY_SET", "ADDITEMS", "FROZENSET",
        "MEMOIZE", "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET",
        "GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "NEWOBJ", "NEWOBJ_EX",
    }
)  # fmt: skip

#: Metaclasses a class skeleton may be built with (a metaclass is *called*).
#: Enum metaclasses build members (calling the bases' hooks): only through
#: ``_make_skeleton_enum``, with its own checks.
_SAFE_METACLASSES = frozenset({"builtins.type", "abc.ABCMeta"})

#: Dunder names a by-value class may define and still have instances, or be
#: subclassed, in a clean pickle: nothing loading does (or the rebuild child
#: does afterwards) can call them.  Any other dunder is a hook.
_BENIGN_DUNDERS = frozenset(
    {
        "__module__", "__qualname__", "__doc__", "__firstlineno__", "__static_attributes__",
        "__annotations__", "__slots__", "__orig_bases__", "__parameters__", "__init__",
        "__type_params__", "__match_args__", "__abstractmethods__",
        "__dataclass_fields__", "__dataclass_params__", "__slotnames__",
        # comparisons run only on a hash collision, and hashing an instance is its own finding
        "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
    }
)  # fmt: skip
#: Hooks ``ABCMeta.register`` / ``issubclass`` reach on a class and its subclasses.
_ABC_HOOKS = frozenset({"__subclasshook__", "__subclasscheck__", "__instancecheck__", "register"})
#: Function attributes ``_function_setstate`` may set (type-checked setters, no code).
_FUNCTION_SLOTS = frozenset(
    {
        "__name__", "__qualname__", "__annotations__", "__kwdefaults__", "__defaults__",
        "__module__", "__doc__", "__globals__", "__closure__", "_cloudpickle_submodules",
        "__type_params__",
    }
)  # fmt: skip
#: Classes NEWOBJ / copyreg may instantiate from a global (their ``__new__`` and
#: BUILD are C code that stores data).
_INSTANTIABLE = frozenset(
    {
        "builtins.object", "collections.OrderedDict", "typing.ForwardRef", "functools.partial",
        # what a by-value dataclass carries in __dataclass_fields__ / __dataclass_params__
        "dataclasses.Field", "dataclasses._MISSING_TYPE", "dataclasses._DataclassParams",
        "dataclasses._HAS_DEFAULT_FACTORY_CLASS", "dataclasses._KW_ONLY_TYPE",
    }
)  # fmt: skip
#: Modules whose mere import has visible effects (a global naming one imports it).
_IMPORT_SIDE_EFFECTS = ("antigravity", "this", "__hello__", "__phello__", "idlelib", "turtledemo")

_SKIPPED = frozenset(
    {"__dict__", "__weakref__", "__module__", "__qualname__", "__doc__", "__firstlineno__"}
)
_MAX_DEPTH = 50
#: Bound on a container's size with shared references expanded (see ``_Machine._made``).
_MAX_EXPANDED = 1_000_000
#: Bound on how deeply containers and records nest: hashing or repr'ing a
#: 400,000-deep tuple overflows the C stack.  cloudpickle's classes nest < 30.
_MAX_NESTING = 200
#: Bound on the opcodes walked: 200 MB of NONE/POP is 200 M opcodes.
MAX_OPCODES = 500_000
#: Bound on the code bytes disassembled for one class (a 19 MB method is not read).
MAX_CODE_BYTES = 2_000_000


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

    def __init__(
        self, func: str, args: Any, *, inert: bool = False, instance_of: Any = None
    ) -> None:
        self.func = func
        self.args = args
        self.state: Any = None
        self.items: list[Any] = []
        #: built by an allowlisted constructor from plain data: hashing it runs no code
        self.inert = inert
        #: the by-value class (a ClassRecord) this is an instance of (NEWOBJ, copyreg)
        self.instance_of = instance_of

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
        #: ABC virtual subclasses ``_class_setstate`` would ``register`` (``_abc_impl``)
        self.registry: list[Any] = []

    @property
    def full(self) -> str:
        return f"{self.dict.get('__module__', '?')}.{self.dict.get('__qualname__', self.name)}"

    def __repr__(self) -> str:
        return self.full


# ------------------------------------------------------------------- report
@dataclass
class PickleReport:
    """What a pickle holds and what loading it would run, found without loading it.

    ``unsafe`` is the default-deny verdict: every construct that keeps the
    pickle from being clean, named.  Empty means clean.
    """

    class_name: str | None = None
    module: str | None = None
    qualname: str | None = None
    bases: list[str] = field(default_factory=list)
    by_reference: bool = False
    globals: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    #: the class as the walk found it (None: the pickle holds no class, or could not be read)
    describe: ClassDescription | None = None
    python_version: str | None = None
    truncated: bool = False
    error: str | None = None
    #: LabChain's ``persist_class`` form: an outer pickle holding the class pickle as bytes
    wrapped: bool = False
    #: a method holds nested code objects (lambdas, comprehensions, inner functions)
    nested_code: bool = False

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
            "wrapped": self.wrapped,
            "nested_code": self.nested_code,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], describe: dict[str, Any]) -> PickleReport:
        """The report a scan worker sent back (``to_json`` plus the describe dict):
        the one place a walked description is turned back into its type."""
        return cls(
            class_name=doc.get("class_name"),
            module=doc.get("module"),
            qualname=doc.get("qualname"),
            bases=list(doc.get("bases") or []),
            by_reference=bool(doc.get("by_reference")),
            globals=list(doc.get("globals") or []),
            unsafe=[str(u) for u in doc.get("unsafe") or []],
            describe=ClassDescription.from_json(describe) if isinstance(describe, dict) and describe else None,
            python_version=doc.get("python_version"),
            truncated=bool(doc.get("truncated")),
            error=doc.get("error"),
            wrapped=bool(doc.get("wrapped")),
            nested_code=bool(doc.get("nested_code")),
        )


# ------------------------------------------------------------- plain values
_SCALARS = (type(None), bool, int, float, complex, str, bytes, bytearray)
_PLAIN_VISITS = 100_000


def _plain(value: Any, *, hashable: bool = False) -> bool:
    """True when ``value`` is plain data: scalars and builtin containers of them.

    Iterating, hashing, comparing or converting plain data runs no code from
    the pickle.  ``hashable``: also accept what hashes without user code
    (classes with an allowlisted metaclass, functions, globals, inert records).
    Iterative and bounded, so a crafted structure cannot exhaust the stack.
    """
    stack = [value]
    seen: set[int] = set()
    while stack:
        v = stack.pop()
        if isinstance(v, _SCALARS) or v is Ellipsis:
            continue
        if id(v) in seen:
            continue
        seen.add(id(v))
        if len(seen) > _PLAIN_VISITS:
            return False
        if isinstance(v, (tuple, list, set, frozenset)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif hashable and _hash_safe_record(v):
            continue
        else:
            return False
    return True


def _hash_safe_record(v: Any) -> bool:
    if isinstance(v, (Global, FunctionRecord, BuiltinTypeRecord, ExprRecord, ModuleRecord)):
        return True
    if isinstance(v, ClassRecord):
        return isinstance(v.metaclass, Global) and v.metaclass.full in _SAFE_METACLASSES | {
            "enum.EnumMeta",
            "enum.EnumType",
        }
    return isinstance(v, CallRecord) and v.inert


def _typeish(value: Any) -> bool:
    """What a typing subscription or ``X | Y`` may take without reaching a dunder of the pickle."""
    if value is None or value is Ellipsis or isinstance(value, str):
        return True
    if isinstance(value, (Global, ExprRecord, BuiltinTypeRecord)):
        return True
    if isinstance(value, ClassRecord):
        return _hash_safe_record(value)
    if isinstance(value, CallRecord):
        return value.inert or (value.func == "builtins.type" and value.args == (None,))
    if isinstance(value, (tuple, list)):
        return all(_typeish(v) for v in value)
    return False


def _by_value_mro(cls: ClassRecord) -> tuple[list[ClassRecord], list[Any]]:
    """(by-value classes, other bases) reachable from ``cls`` through its bases, bounded."""
    records: list[ClassRecord] = []
    others: list[Any] = []
    stack: list[Any] = [cls]
    seen: set[int] = set()
    while stack and len(seen) < 10_000:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        if isinstance(c, ClassRecord):
            records.append(c)
            stack.extend(c.bases)
        else:
            others.append(c)
    return records, others


def _hooks(cls: ClassRecord, names: frozenset[str] | None = None) -> list[str]:
    """``Class.__hook__`` texts for the hooks ``cls`` or a by-value ancestor defines.

    ``names``: those hooks only; None: every dunder not in :data:`_BENIGN_DUNDERS`.
    """
    found = []
    for c in _by_value_mro(cls)[0]:
        for key in c.dict:
            if not isinstance(key, str):
                continue
            if names is not None:
                hit = key in names
            else:
                hit = key.startswith("__") and key.endswith("__") and key not in _BENIGN_DUNDERS
                hit = hit and not (key == "__hash__" and c.dict[key] is None)
            if hit:
                found.append(f"{c.full}.{key}")
    return found


def wrapped_payload(data: bytes) -> bytes | None:
    """The inner pickle of LabChain's ``persist_class`` form, or None.

    That form is an outer pickle whose only object is one ``bytes`` (the
    cloudpickle bytes): only framing, memo and one bytes opcode, then STOP.
    Read opcode by opcode; nothing is loaded.
    """
    payload: bytes | None = None
    try:
        for n, (op, arg, _pos) in enumerate(pickletools.genops(data)):
            if n > 16:
                return None
            if op.name in ("SHORT_BINBYTES", "BINBYTES", "BINBYTES8"):
                if payload is not None:
                    return None
                payload = arg
            elif op.name == "STOP":
                # A pickle of protocol 2-5 ending at its STOP: random bytes almost never are.
                # Whatever does not qualify is sent to the rebuild child as the outer
                # pickle (which loads as bytes, never as the inner pickle).
                ok = payload and payload[:1] == b"\x80" and payload[1:2] in (b"\x02", b"\x03",
                                                                           b"\x04", b"\x05")
                return payload if ok and payload.endswith(b".") else None
            elif op.name not in ("PROTO", "FRAME", "MEMOIZE", "BINPUT", "LONG_BINPUT"):
                return None
    except Exception:  # noqa: BLE001 - garbage is simply not a wrapper
        return None
    return None


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
        # id -> (object, expanded size, nesting depth)
        self.weights: dict[int, tuple[Any, int, int]] = {}
        # What the end-of-walk checks look at (class dicts may fill in later).
        self.instances: list[tuple[ClassRecord, str]] = []
        self.subclassed: list[tuple[ClassRecord, ClassRecord]] = []
        self.enum_bases: list[tuple[ClassRecord, str]] = []
        self.classes: list[ClassRecord] = []

    # -- helpers ----------------------------------------------------------
    def _flag(self, what: str) -> None:
        if what not in self.unsafe:
            self.unsafe.append(what)

    def _name(self, value: Any) -> str:
        if isinstance(value, (Global, AttrRecord, ClassRecord)):
            return value.full
        if isinstance(value, (CallRecord, BuiltinTypeRecord, ModuleRecord)):
            return repr(value)
        if isinstance(value, FunctionRecord):
            return f"function {value.name}"
        return f"<{type(value).__name__} object>"

    def _weight(self, obj: Any) -> int:
        if isinstance(obj, (str, bytes, bytearray)):
            return 1 + len(obj) // 64
        got = self.weights.get(id(obj))
        return got[1] if got is not None and got[0] is obj else 1

    def _depth(self, obj: Any) -> int:
        got = self.weights.get(id(obj))
        return got[2] if got is not None and got[0] is obj else 0

    def _check(self, weight: int, depth: int = 0) -> None:
        if weight > _MAX_EXPANDED:
            raise ValueError(
                f"its data would expand to more than {_MAX_EXPANDED} items "
                "(shared or cyclic containers): refused to walk it"
            )
        if depth > _MAX_NESTING:
            raise ValueError(f"its data nests more than {_MAX_NESTING} levels deep")

    def _made(self, build: Any, items: list[Any]) -> Any:
        """A container from ``items``, after checking how big and deep it is once expanded.

        Memo references let a small pickle describe a container that is
        exponentially large when hashed or repr'd, and a chain of TUPLE1s one
        that overflows the C stack when hashed; this bounds both.
        """
        weight = 1 + sum(self._weight(i) for i in items)
        depth = 1 + max((self._depth(i) for i in items), default=0)
        self._check(weight, depth)
        obj = build(items)
        self.weights[id(obj)] = (obj, weight, depth)
        return obj

    def _grew(self, target: Any, items: list[Any]) -> Any:
        weight = self._weight(target) + sum(self._weight(i) for i in items)
        depth = max(self._depth(target), 1 + max((self._depth(i) for i in items), default=0))
        self._check(weight, depth)
        self.weights[id(target)] = (target, weight, depth)
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
        if not (module + name).isascii() or not module or not name:
            self._flag(f"a global with a non-ASCII or empty name ({module[:40]!r} {name[:40]!r})")
        top = module.split(".")[0]
        if top in _IMPORT_SIDE_EFFECTS:
            self._flag(f"import of {top} (importing it has side effects)")
        g = Global(module, name)
        if g.full not in self.globals:
            self.globals.append(g.full)
        return g

    # -- calls (REDUCE, NEWOBJ) --------------------------------------------
    def call(self, func: Any, args: Any, kwargs: Any = None) -> Any:
        if not isinstance(args, tuple):
            self._flag(f"call of {self._name(func)} with arguments that are not a tuple")
            args = (args,)
        result = self._call(func, args, kwargs)
        depth = 1 + self._depth(args)
        self._check(0, depth)
        self.weights[id(result)] = (result, 1 + self._weight(args), depth)
        return result

    def _call(self, func: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
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
        if t.name == "MappingProxyType" and len(args) == 1 and isinstance(args[0], dict):
            return dict(args[0])
        if t.name == "ModuleType" and args and all(isinstance(a, str) for a in args):
            return ModuleRecord(args[0])
        if t.name == "CellType" and len(args) <= 1:
            return CellRecord(args[0], False) if args else CellRecord()
        if t.name == "GenericAlias" and len(args) == 2 and _typeish(args[0]) and _typeish(args[1]):
            params = args[1] if isinstance(args[1], tuple) else (args[1],)
            return ExprRecord(f"{_ann(args[0])}[{', '.join(_ann(p) for p in params)}]")
        if t.name == "MethodType" and len(args) == 2:
            return CallRecord("types.MethodType", args)
        if (
            t.name == "FunctionType"
            and len(args) >= 2
            and isinstance(args[0], bytecode.StaticCode)
            and isinstance(args[1], dict)
        ):
            return FunctionRecord(*(list(args) + [None] * 5)[:5])
        self._flag(f"call of types.{t.name}{' with these arguments' if t.name in _TYPES_OK else ''}")
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
            if len(args) != 1 or not isinstance(args[0], str):
                self._flag("cloudpickle._builtin_type of something that is not a name")
            return BuiltinTypeRecord(str(args[0]) if args else "?")
        if name == "_make_skeleton_class":
            return self._skeleton_class(args)
        if name == "_make_skeleton_enum":
            return self._skeleton_enum(args)
        if name == "_class_setstate":
            return self._class_setstate(args)
        if name == "_make_function":
            code, glob, fname, argdefs, closure = (list(args) + [None] * 5)[:5]
            if not (
                isinstance(code, bytecode.StaticCode)
                and isinstance(glob, dict)
                and (fname is None or isinstance(fname, str))
                and (argdefs is None or isinstance(argdefs, tuple))
                and (closure is None or isinstance(closure, tuple))
                and len(args) == 5
            ):
                self._flag("cloudpickle._make_function with arguments it never writes")
            return FunctionRecord(code, glob, fname, argdefs, closure)
        if name == "_function_setstate":
            obj, state = (list(args) + [None, None])[:2]
            ok = (
                len(args) == 2
                and isinstance(obj, FunctionRecord)
                and isinstance(state, tuple)
                and len(state) == 2
                and isinstance(state[0], dict)
                and isinstance(state[1], dict)
                and all(isinstance(k, str) for k in state[0])
                and all(k in _FUNCTION_SLOTS for k in state[1])
                and isinstance(state[1].get("__globals__", {}), dict)
            )
            if not ok:
                self._flag("cloudpickle._function_setstate on something it never writes")
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
            mod = args[0] if args else None
            if not isinstance(mod, str) or (
                name == "dynamic_subimport" and not (len(args) == 2 and isinstance(args[1], dict))
            ):
                self._flag(f"cloudpickle.{name} with arguments it never writes")
                mod = str(mod)
            elif mod.split(".")[0] in _IMPORT_SIDE_EFFECTS:
                self._flag(f"import of {mod} (importing it has side effects)")
            if mod not in self.globals:
                self.globals.append(mod)
            return ModuleRecord(mod)
        if name in ("_make_dict_keys", "_make_dict_values", "_make_dict_items"):
            if not args or not _plain(args[0], hashable=True):
                self._flag(f"cloudpickle.{name} of something that is not plain data")
            if name == "_make_dict_items":
                return dict(args[0]) if args and isinstance(args[0], dict) else {}
            return list(args[0]) if args and isinstance(args[0], (list, tuple)) else []
        if name == "_make_typevar":
            tname, bound, constraints = (list(args) + [None] * 3)[:3]
            tracker = args[5] if len(args) > 5 else None
            if not (
                isinstance(tname, str)
                and _typeish(bound)
                and _typeish(constraints if constraints is not None else ())
                and (tracker is None or isinstance(tracker, str))
            ):
                self._flag("cloudpickle._make_typevar with arguments that are not types")
            return ExprRecord(f"~{tname}")
        if name == "_get_dataclass_field_type_sentinel":
            if not (len(args) == 1 and isinstance(args[0], str)):
                self._flag(f"cloudpickle.{name} with arguments it never writes")
            return CallRecord(f"cloudpickle.{name}", args, inert=True)
        self._flag(f"cloudpickle.{name}")
        return CallRecord(f"cloudpickle.{name}", args)

    def _skeleton_class(self, args: tuple[Any, ...]) -> ClassRecord:
        meta, cname, bases, kwargs = (list(args) + [None] * 4)[:4]
        tracker = args[4] if len(args) > 4 else None
        if not (isinstance(meta, Global) and meta.full in _SAFE_METACLASSES):
            self._flag(f"metaclass {self._name(meta)}")
        if not isinstance(cname, str):
            self._flag("a class whose name is not text")
        if tracker is not None and not isinstance(tracker, str):
            self._flag("a class tracker id that is not text (hashed while loading)")
        if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
            self._flag("class keywords that are not a plain dict of names")
        elif not _plain(kwargs):
            bad = sorted(k for k, v in kwargs.items() if not _plain(v))
            self._flag(
                f"class {cname!s:.60} is created with {', '.join(bad)[:120]} in its namespace "
                "(__set_name__ and __init_subclass__ run then)"
            )
        rec = ClassRecord(cname, bases, meta, kwargs)
        self._check_bases(rec, bases)
        self.classes.append(rec)
        return rec

    def _check_bases(self, rec: ClassRecord, bases: Any) -> None:
        if not isinstance(bases, tuple):
            self._flag(f"bases of {rec.name} that are not a tuple")
            return
        for b in bases:
            if isinstance(b, ClassRecord):
                self.subclassed.append((b, rec))
            elif not isinstance(b, (Global, ExprRecord)):
                self._flag(
                    f"base {self._name(b)} of {rec.name} is not a class "
                    "(its __mro_entries__ runs while loading)"
                )

    def _skeleton_enum(self, args: tuple[Any, ...]) -> ClassRecord:
        bases, cname, qualname, members, module = (list(args) + [None] * 5)[:5]
        tracker = args[5] if len(args) > 5 else None
        if not (
            isinstance(cname, str)
            and isinstance(qualname, str)
            and isinstance(module, str)
            and (tracker is None or isinstance(tracker, str))
            and isinstance(bases, tuple)
            and bases
        ):
            self._flag("cloudpickle._make_skeleton_enum with arguments it never writes")
        if not isinstance(members, dict) or not _plain(members):
            self._flag(
                f"enum {cname!s:.60} has members that are not plain data "
                "(their hooks run while the enum is built)"
            )
        rec = ClassRecord(cname, bases, Global("enum", "EnumMeta"), {})
        rec.dict.update({"__qualname__": qualname, "__module__": module})
        if isinstance(members, dict):
            rec.dict.update(members)
        if isinstance(bases, tuple):
            for b in bases:
                if isinstance(b, ClassRecord):
                    self.enum_bases.append((b, rec.name))
                elif not isinstance(b, Global):
                    self._flag(f"base {self._name(b)} of enum {rec.name} is not a class")
        self.classes.append(rec)
        return rec

    def _class_setstate(self, args: tuple[Any, ...]) -> Any:
        obj, state = (list(args) + [None, None])[:2]
        ok = (
            len(args) == 2
            and isinstance(obj, ClassRecord)
            and isinstance(state, tuple)
            and len(state) == 2
            and isinstance(state[0], dict)
            and (state[1] is None or isinstance(state[1], dict))
            and all(isinstance(k, str) for k in state[0])
        )
        if not ok:
            self._flag("cloudpickle._class_setstate on something it never writes")
        if isinstance(obj, ClassRecord) and isinstance(state, tuple) and state:
            if isinstance(state[0], dict):
                registry = state[0].get("_abc_impl")
                if registry is not None:
                    if not isinstance(registry, (list, tuple)):
                        self._flag(f"an ABC registry of {obj.name} that is not a list")
                    else:
                        obj.registry.extend(registry)
                obj.dict.update({k: v for k, v in state[0].items() if k != "_abc_impl"})
        return obj

    def _instantiate(self, cls: Any, args: Any, kwargs: Any, how: str) -> Any:
        """``cls.__new__(cls, *args)`` (NEWOBJ, NEWOBJ_EX, copyreg): an instance, no ``__init__``."""
        plain_args = _plain(args) and (kwargs is None or _plain(kwargs))
        if isinstance(cls, ClassRecord):
            if not plain_args:
                self._flag(f"{how} of {cls.full} with arguments that are not plain data")
            self.instances.append((cls, how))
            return CallRecord(f"{cls.full}.__new__", args, instance_of=cls)
        if isinstance(cls, Global) and cls.full in _INSTANTIABLE:
            if not plain_args:
                self._flag(f"{how} of {cls.full} with arguments that are not plain data")
            return CallRecord(f"{cls.full}.__new__", args, inert=plain_args)
        self._flag(f"{how} of {self._name(cls)} (not a class cloudpickle instantiates)")
        return CallRecord(f"{self._name(cls)}.__new__", args)

    def _harmless(self, full: str, args: tuple[Any, ...], kwargs: Any) -> Any:
        if full == "builtins.getattr":
            return self._getattr(args)
        if full in ("builtins.staticmethod", "builtins.classmethod"):
            if len(args) != 1 or not isinstance(args[0], (FunctionRecord, Global)):
                self._flag(f"{full} of {self._name(args[0]) if args else 'nothing'}")
            return DescriptorRecord(full.split(".")[1], args[:1])
        if full == "builtins.property":
            funcs = (list(args) + [None] * 4)[:4]
            if len(args) > 4 or not all(
                f is None or isinstance(f, (FunctionRecord, Global)) for f in funcs[:3]
            ) or not (funcs[3] is None or isinstance(funcs[3], str)):
                self._flag("builtins.property of something that is not a function")
            return DescriptorRecord("property", tuple(funcs[:3]))
        if full in ("_operator.getitem", "operator.getitem"):
            return self._subscript(args)
        if full in ("_functools.reduce", "functools.reduce", "_operator.or_", "operator.or_"):
            return self._union(full, args)
        if full == "re._compile":
            pattern, flags = (list(args) + [None, 0])[:2]
            if len(args) > 2 or not isinstance(pattern, (str, bytes)) or type(flags) is not int:
                self._flag("re._compile of something that is not a pattern string")
                return CallRecord(full, args)
            return ExprRecord(_pattern_repr(pattern, flags))
        if full == "functools.partial":
            if not args or not isinstance(args[0], (Global, FunctionRecord)):
                self._flag(f"functools.partial of {self._name(args[0]) if args else 'nothing'}")
                return CallRecord(full, args)
            return CallRecord(f"functools.partial({self._name(args[0])}, ...)", args, inert=True)
        if full == "builtins.type":
            if len(args) != 1:
                self._flag("builtins.type (creating a class)")
            return CallRecord(full, args, inert=True)
        if full in ("copyreg._reconstructor",):
            cls, base, state = (list(args) + [None] * 3)[:3]
            if not (isinstance(base, Global) and base.full == "builtins.object") or state is not None:
                self._flag(f"copyreg._reconstructor with base {self._name(base)}")
            return self._instantiate(cls, (), None, "copyreg._reconstructor")
        if full == "copyreg.__newobj__":
            return self._instantiate(args[0] if args else None, args[1:], None, full)
        if full == "copyreg.__newobj_ex__":
            cls, a, kw = (list(args) + [None] * 3)[:3]
            return self._instantiate(cls, a, kw, full)
        if full == "collections.defaultdict":
            if len(args) > 1 or not (
                not args or args[0] is None or isinstance(args[0], (Global, FunctionRecord))
            ):
                self._flag("collections.defaultdict with a factory that is not a function")
            return CallRecord(full, args, inert=True)
        if full == "_codecs.encode":
            if not (1 <= len(args) <= 2 and all(isinstance(a, str) for a in args)):
                self._flag("_codecs.encode of something that is not text")
                return CallRecord(full, args)
            try:
                return args[0].encode(args[1] if len(args) > 1 else "utf-8")
            except (LookupError, UnicodeError):
                self._flag("_codecs.encode with an encoding that fails")
                return CallRecord(full, args)
        # Constructors of plain data: harmless only on plain data (list(map(...)),
        # str(obj), OrderedDict(obj) and set(obj) reach the pickle's dunders).
        if full.startswith("datetime."):  # timezone(timedelta(...)), datetime(..., tz)
            args_ok = all(_plain(a) or (isinstance(a, CallRecord) and a.inert
                                        and a.func.startswith("datetime.")) for a in args)
        else:
            args_ok = _plain(args)
        if not args_ok or (kwargs is not None and not _plain(kwargs)):
            self._flag(f"{full} of {', '.join(self._name(a) for a in args if not _plain(a))[:120]}")
            return CallRecord(full, args)
        if full in ("builtins.set", "builtins.frozenset", "builtins.list", "builtins.tuple"):
            try:
                return {"builtins.set": set, "builtins.frozenset": frozenset}.get(
                    full, list if full == "builtins.list" else tuple
                )(args[0] if args else ())
            except TypeError:
                self._flag(f"{full} of something it cannot take")
                return CallRecord(full, args)
        return CallRecord(full, args, inert=True)

    def _getattr(self, args: tuple[Any, ...]) -> Any:
        owner, attr = (list(args) + [None, None])[:2]
        if len(args) != 2 or not isinstance(attr, str):
            self._flag("builtins.getattr with a computed name")
            return CallRecord("builtins.getattr", args)
        if isinstance(owner, ModuleRecord):
            return AttrRecord(owner.name, attr)
        if isinstance(owner, (Global, BuiltinTypeRecord)):
            return AttrRecord(self._name(owner), attr)
        if isinstance(owner, ClassRecord) and isinstance(
            owner.dict.get(attr), (FunctionRecord, DescriptorRecord)
        ):
            value = owner.dict[attr]
            if not isinstance(value, DescriptorRecord) or value.kind != "property":
                return AttrRecord(owner.full, attr)
        self._flag(f"builtins.getattr on {self._name(owner)} (its __getattr__ or descriptors run)")
        return AttrRecord(self._name(owner), attr)

    def _subscript(self, args: tuple[Any, ...]) -> Any:
        """``X[Y]`` on a typing form or a builtin type: how annotations are pickled."""
        container, key = (list(args) + [None, None])[:2]
        typed = isinstance(container, ExprRecord) or (
            isinstance(container, Global) and container.module in _TYPING_MODULES
        )
        if not typed or len(args) != 2:
            self._flag(f"_operator.getitem on {self._name(container)}")
            return CallRecord("_operator.getitem", args)
        if not _typeish(key):
            self._flag(
                f"_operator.getitem: {_ann(container)}[...] of something that is not a type "
                "(typing hashes and inspects it)"
            )
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
            ok = (
                len(args) == 2
                and isinstance(func, Global)
                and func.full in ("_operator.or_", "operator.or_")
                and isinstance(items, tuple)
            )
        else:
            func, items, ok = None, args, len(args) == 2
        if not ok or not all(
            isinstance(i, (Global, ExprRecord, ClassRecord, type(None)))
            or (isinstance(i, CallRecord) and _ann(i) == "None")
            for i in items
        ) or not all(_typeish(i) for i in items):
            self._flag(full)
            return CallRecord(full, args)
        return ExprRecord(" | ".join(_ann(i) for i in items))

    # -- what loading would do once every class is complete ------------------
    def final_checks(self) -> None:
        """Hooks found in the class dicts as they end up (a dict may fill in after use)."""
        for cls, how in self.instances:
            hooks = _hooks(cls)
            if hooks:
                self._flag(
                    f"an instance of {cls.full} ({how}) whose class defines "
                    f"{', '.join(hooks[:4])} (runs while loading or rebuilding)"
                )
            others = [b for b in _by_value_mro(cls)[1] if not _is_object(b)]
            if others:
                self._flag(
                    f"an instance of {cls.full} ({how}), a subclass of "
                    f"{', '.join(self._name(b) for b in others[:3])} (not allowlisted)"
                )
        for base, sub in self.subclassed:
            hooks = _hooks(base, frozenset({"__init_subclass__", "__set_name__"}))
            if hooks:
                self._flag(f"{', '.join(hooks[:3])} runs when {sub.full} is built")
        for base, sub_name in self.enum_bases:
            # members are built by calling the bases' __new__ / __init__
            hooks = _hooks(base) + _hooks(base, frozenset({"__init__"})) + [
                f"{c.full}.{k}"
                for c in _by_value_mro(base)[0]
                for k in c.dict
                if isinstance(k, str) and k.startswith("_") and k.endswith("_")
                and not k.startswith("__") and k not in ("_member_names_",)
            ]
            if hooks:
                self._flag(f"enum {sub_name} is built on {', '.join(hooks[:3])} (runs while loading)")
        abc_hooks = [h for c in self.classes for h in _hooks(c, _ABC_HOOKS)]
        for cls in self.classes:
            if not cls.registry:
                continue
            bad = [r for r in cls.registry if not isinstance(r, (Global, ClassRecord))]
            if bad:
                self._flag(f"ABC register of {self._name(bad[0])} on {cls.full}")
            if abc_hooks:
                self._flag(
                    f"ABC register on {cls.full} runs {', '.join(sorted(set(abc_hooks))[:3])}"
                )
            if not (isinstance(cls.metaclass, Global) and cls.metaclass.full == "abc.ABCMeta"):
                self._flag(f"register() called on {cls.full}, which is not an ABC")

    # -- the opcode loop ------------------------------------------------------
    def run(self, data: bytes) -> None:
        stack_ops = _build_dispatch()
        for n, (op, arg, _pos) in enumerate(pickletools.genops(data)):
            if n >= MAX_OPCODES:
                raise ValueError(f"more than {MAX_OPCODES:,} opcodes: not a class snapshot")
            if op.name not in CLOUDPICKLE_OPCODES:
                self._flag(f"opcode {op.name} (cloudpickle never writes it)")
            handler = stack_ops.get(op.name)
            if handler is None:
                raise ValueError(f"unsupported pickle opcode {op.name}")
            handler(self, arg)
            if self.done:
                return


_TYPES_OK = frozenset({"CodeType", "MappingProxyType", "ModuleType", "CellType", "GenericAlias",
                       "MethodType", "FunctionType"})  # fmt: skip


def _is_object(base: Any) -> bool:
    return isinstance(base, Global) and base.full in ("builtins.object", "typing.Generic", "abc.ABC")
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
        _check_keys(m, items[0::2], "a dict key")
        m.stack.append(m._made(_pairs_to_dict, items))

    d["DICT"] = dict_

    def frozenset_(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        _check_keys(m, items, "a frozenset item")
        m.stack.append(m._made(_safe_frozenset, items))

    d["FROZENSET"] = frozenset_

    def append(m: _Machine, a: Any) -> None:
        value = m.stack.pop()
        _check_target(m, m.stack[-1], list, "APPEND")
        _extend(m._grew(m.stack[-1], [value]), [value])

    def appends(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        _check_target(m, m.stack[-1], list, "APPENDS")
        _extend(m._grew(m.stack[-1], items), items)

    d["APPEND"] = append
    d["APPENDS"] = appends

    def setitem(m: _Machine, a: Any) -> None:
        value = m.stack.pop()
        key = m.stack.pop()
        _check_target(m, m.stack[-1], dict, "SETITEM")
        _check_keys(m, [key], "a dict key")
        _setitems(m._grew(m.stack[-1], [key, value]), [key, value])

    def setitems(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        _check_target(m, m.stack[-1], dict, "SETITEMS")
        _check_keys(m, items[0::2], "a dict key")
        _setitems(m._grew(m.stack[-1], items), items)

    d["SETITEM"] = setitem
    d["SETITEMS"] = setitems

    def additems(m: _Machine, a: Any) -> None:
        items = m._pop_mark()
        _check_target(m, m.stack[-1], set, "ADDITEMS")
        _check_keys(m, items, "a set item")
        target = m._grew(m.stack[-1], items)
        if isinstance(target, set):
            for item in items:
                try:
                    target.add(item)
                except TypeError:  # unhashable: loading would fail here
                    m._flag("an unhashable set item")

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
        m._flag("a persistent id (persistent_load)")
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
        m.stack.append(m._instantiate(cls, args, None, "NEWOBJ"))

    def newobj_ex(m: _Machine, a: Any) -> None:
        kwargs = m.stack.pop()
        args = m.stack.pop()
        cls = m.stack.pop()
        m.stack.append(m._instantiate(cls, args, kwargs, "NEWOBJ_EX"))

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
        _check_build(m, target, state)
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


def _check_keys(m: _Machine, keys: list[Any], what: str) -> None:
    """Hashing a key runs its ``__hash__`` (and ``__eq__`` on a collision)."""
    for key in keys:
        if not _plain(key, hashable=True):
            m._flag(f"hashing {m._name(key)} as {what} (runs its __hash__)")
            return


def _check_target(m: _Machine, target: Any, kind: type, op: str) -> None:
    """APPENDS / SETITEMS / ADDITEMS on anything but a builtin container call its methods."""
    if isinstance(target, kind):
        return
    if isinstance(target, CallRecord) and target.inert:
        if kind is dict and target.func.startswith(("collections.OrderedDict", "collections.defaultdict")):
            return
    m._flag(f"{op} on {m._name(target)} (calls its methods)")


def _check_build(m: _Machine, target: Any, state: Any) -> None:
    """BUILD calls ``__setstate__`` or sets attributes: only on what cloudpickle builds."""
    shape_ok = (
        isinstance(state, dict) and all(isinstance(k, str) for k in state)
    ) or (
        isinstance(state, tuple)
        and len(state) == 2
        and (state[0] is None or isinstance(state[0], dict))
        and isinstance(state[1], dict)
        and all(isinstance(k, str) for d in state if isinstance(d, dict) for k in d)
    )
    if isinstance(target, CallRecord) and (target.instance_of is not None or target.inert):
        if target.func.startswith("functools.partial(") and isinstance(state, tuple):
            return  # partial.__setstate__ is C code storing (func, args, kwds, dict)
        if not shape_ok:
            m._flag(f"BUILD of {m._name(target)} with a state that is not plain attributes")
        return
    if isinstance(target, FunctionRecord):
        slots = state[1] if isinstance(state, tuple) and len(state) == 2 else {}
        if not shape_ok or not all(k in _FUNCTION_SLOTS for k in slots):
            m._flag(f"BUILD of {m._name(target)} with attributes it never has")
        return
    m._flag(f"BUILD on {m._name(target)} (its __setstate__ or attributes)")


def _safe_frozenset(items: list[Any]) -> frozenset[Any]:
    try:
        return frozenset(items)
    except TypeError:  # unhashable: loading would fail here
        return frozenset()


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


def _code_size(codes: list[Any]) -> int:
    total = 0
    for c in codes:
        raw = c.code if isinstance(c, bytecode.StaticCode) else b""
        total += len(raw) if isinstance(raw, (bytes, bytearray)) else 0
    return total


def _identity(report: PickleReport, **found: Any) -> ClassDescription:
    """The class the report names, with what the walk ``found`` (methods, attributes...)."""
    return ClassDescription(
        class_name=report.class_name,
        module=report.module,
        qualname=report.qualname,
        bases=tuple(report.bases),
        **found,
    )


def _describe_class(rec: ClassRecord, m: _Machine, report: PickleReport) -> ClassDescription:
    codes: list[Any] = []
    for value in rec.dict.values():
        funcs = value.funcs if isinstance(value, DescriptorRecord) else (value,)
        for f in funcs:
            f = _unwrap(f)
            if isinstance(f, FunctionRecord):
                walked = _walk_codes(f.code)
                codes.extend(walked)
                report.nested_code = report.nested_code or len(walked) > 1
    size = _code_size(codes)
    too_big = size > MAX_CODE_BYTES
    try:  # reading the version walks every instruction: not for a 19 MB method
        version = _version_guess(m, codes) if not too_big else "unknown"
    except Exception:  # malformed bytecode: treat as foreign
        version = "unknown"
    version_ok = version == disasm.python_tag()
    methods: dict[str, dict[str, Any]] = {}
    attributes: dict[str, str] = {}

    def entries(key: str, kind: str, f: Any) -> dict[str, dict[str, Any]]:
        if isinstance(f, FunctionRecord) and f.state.get("__isabstractmethod__") is True:
            kind = f"abstract {kind}"  # as disasm.abstract_kind reads a live function
        if too_big:  # a 19 MB method is not walked instruction by instruction
            note = f"<{size:,} bytes of bytecode: more than the {MAX_CODE_BYTES:,} shown>"
            return {key: {"kind": kind, "signature": None, "disassembly": note}}
        return _entries(key, kind, f, version_ok, version)

    for name, value in sorted(rec.dict.items(), key=lambda kv: str(kv[0])):
        if not isinstance(name, str):
            continue
        if isinstance(value, DescriptorRecord):
            if value.kind == "property":
                fget, fset, fdel = (list(value.funcs) + [None] * 3)[:3]
                for key, f in ((name, fget), (f"{name}.setter", fset), (f"{name}.deleter", fdel)):
                    if f is not None:
                        methods.update(entries(key, "property", f))
            else:
                methods.update(entries(name, value.kind, value.funcs[0] if value.funcs else None))
        elif isinstance(value, FunctionRecord):
            methods.update(entries(name, "function", value))
        elif name in _SKIPPED or (name.startswith("__") and name.endswith("__")):
            continue
        else:
            attributes[name] = _value_repr(value)
    report.python_version = version
    deps = sorted(g for g in m.globals if not g.startswith(("cloudpickle", "builtins.")))
    return _identity(
        report,
        python_version=version,
        methods={k: MethodInfo.from_json(v) for k, v in methods.items()},
        attributes=attributes,
        globals=tuple(deps),
    )


def _value_repr(value: Any) -> str:
    if isinstance(value, _Record):
        return repr(value)
    try:
        return stable_repr(value)[:10_000]
    except Exception:  # records nested in containers: still one stable line
        return f"<{type(value).__name__}>"


# ------------------------------------------------------------------ public
def scan_pickle(data: bytes) -> PickleReport:
    """Walk a class pickle without loading it.  Never raises on bad input.

    ``unsafe`` is the default-deny verdict: everything that keeps the pickle
    from being clean (see the module docstring), named; a scan that could not
    finish is one of them.  ``globals`` lists every name it references.  A
    wrapped pickle (LabChain's ``persist_class``) is unwrapped and its inner
    pickle scanned; ``wrapped`` says so.
    """
    data = bytes(data)
    inner = wrapped_payload(data)
    if inner is not None:
        report = scan_pickle(inner) if wrapped_payload(inner) is None else PickleReport(
            error="a wrapped pickle that wraps another wrapper", unsafe=["a doubly wrapped pickle"]
        )
        report.wrapped = True
        return report
    report = PickleReport()
    m = _Machine()
    try:
        m.run(data)
        if not m.done:
            report.truncated = True
            report.error = "the pickle ends before its STOP opcode (truncated)"
    except RecursionError:
        report.error = "the pickle nests too deeply to inspect"
    except MemoryError:
        report.error = "the pickle needs too much memory to inspect"
    except Exception as exc:  # noqa: BLE001 - any failure on crafted input is a finding
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if any(w in msg for w in ("remain", "at end of", "truncated", "not enough data", "EOF")):
            report.truncated = True
            report.error = f"truncated pickle: {msg}"
        else:
            report.error = f"not a readable pickle: {msg}"
    try:
        m.final_checks()
    except Exception as exc:  # noqa: BLE001 - never "nothing found" because a check broke
        m._flag(f"the safety checks could not finish ({type(exc).__name__})")
    result = m.result
    if report.error:
        m._flag(f"the scan could not finish: {report.error}")
    report.globals = list(m.globals)
    if isinstance(result, Global):
        report.by_reference = True
        report.module = result.module
        report.qualname = result.name
        report.class_name = result.name.rsplit(".", 1)[-1]
        report.describe = _identity(report, globals=(result.full,), by_reference=True)
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
            report.describe = _identity(report, globals=())
    elif report.error is None and m.done:
        report.error = f"the pickle does not hold a class (it holds {_value_repr(result)[:200]})"
    report.unsafe = list(m.unsafe)
    return report


def _base_name(base: Any, m: _Machine) -> str:
    if isinstance(base, (Global, ClassRecord, AttrRecord)):
        return base.full
    return m._name(base)
