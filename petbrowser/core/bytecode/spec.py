"""One CPython minor version's instruction set, as its own ``dis`` sees it.

:data:`SPECS` holds a :class:`Spec` for each of 3.8-3.13, built from the
generated :mod:`.tables` (copied from each interpreter's ``opcode`` and
``dis`` modules).  Where ``dis`` itself changed between versions (how an
argument is unpacked, how a jump target or an argument's text is computed),
:class:`Spec` carries a flag, so :mod:`.decode` follows that version's rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tables import TABLES

__all__ = ["Spec", "SPECS", "VERSIONS", "version_key"]


def version_key(version: str) -> tuple[int, int]:
    """``"3.10"`` -> ``(3, 10)``: versions sort as numbers, not text."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


#: Every version petbrowser can read, oldest first.
VERSIONS: tuple[str, ...] = tuple(sorted(TABLES, key=version_key))


@dataclass(frozen=True)
class Spec:
    """Opcode tables and ``dis`` rules of one Python minor version."""

    version: str
    patch: str
    minor: int
    opname: tuple[str, ...]
    opmap: dict[str, int]
    deopt: dict[int, int]
    have_argument: int
    hasarg: frozenset[int]
    caches: dict[int, int]
    hasconst: frozenset[int]
    hasname: frozenset[int]
    hasjrel: frozenset[int]
    hasjabs: frozenset[int]
    haslocal: frozenset[int]
    hasfree: frozenset[int]
    hascompare: frozenset[int]
    backward: frozenset[int]
    cmp_op: tuple[str, ...]
    nb_ops: tuple[str, ...]
    intrinsic1: tuple[str, ...]
    intrinsic2: tuple[str, ...]
    #: opcodes a code object's ``co_code`` can hold (specialized, instrumented,
    #: placeholder and CACHE opcodes never appear outside the interpreter).
    genuine: frozenset[int]
    #: ``dis.stack_effect`` of each opcode without and with its jump taken, as
    #: compact formulas (see ``scripts/gen_bytecode_tables.py``)
    effects: dict[int, tuple[tuple, tuple]]

    def stack_effect(self, opcode: int, arg: int | None, jump: bool) -> int | None:
        """``dis.stack_effect(opcode, arg, jump=jump)`` of this version; None if it has none."""
        rows = self.effects.get(opcode)
        if rows is None:
            return None
        f = rows[1 if jump else 0]
        kind = f[0]
        a = arg or 0
        if kind == "c":
            return f[1]
        if kind == "lin":
            return f[1] + f[2] * a
        if kind == "mask":
            return f[2][a & f[1]]
        if kind == "at":
            return f[2] if a == f[1] else f[3]
        if kind == "hb":
            return f[2] + f[3] * (a & 255) + f[1] * (a >> 8)
        values = f[1]
        return values[a] if a < len(values) else None

    def op(self, name: str) -> int:
        """The opcode called ``name`` in this version, -1 when it has none."""
        return self.opmap.get(name, -1)

    @property
    def has_exception_table(self) -> bool:
        return self.minor >= 11


def _spec(version: str) -> Spec:
    t = TABLES[version]
    minor = version_key(version)[1]
    opname = tuple(t["opname"])
    deopt = {int(k): int(v) for k, v in t["deopt"].items()}
    instrumented = set(t["instrumented"])
    base = {name: op for name, op in t["opmap"].items()}
    never = {base.get("CACHE", -1), base.get("ENTER_EXECUTOR", -1), base.get("RESERVED", -1)}
    genuine = frozenset(
        op
        for op in range(256)
        if not opname[op].startswith("<")
        and op not in deopt
        and op not in instrumented
        and op not in never
    )
    return Spec(
        version=version,
        patch=t["patch"],
        minor=minor,
        opname=opname,
        opmap=base,
        deopt=deopt,
        have_argument=int(t["have_argument"]),
        hasarg=frozenset(t["hasarg"]),
        caches={int(k): int(v) for k, v in t["caches"].items()},
        hasconst=frozenset(t["hasconst"]),
        hasname=frozenset(t["hasname"]),
        hasjrel=frozenset(t["hasjrel"]),
        hasjabs=frozenset(t["hasjabs"]),
        haslocal=frozenset(t["haslocal"]),
        hasfree=frozenset(t["hasfree"]),
        hascompare=frozenset(t["hascompare"]),
        backward=frozenset(t["backward"]),
        cmp_op=tuple(t["cmp_op"]),
        nb_ops=tuple(t["nb_ops"]),
        intrinsic1=tuple(t["intrinsic1"]),
        intrinsic2=tuple(t["intrinsic2"]),
        genuine=genuine,
        effects={int(k): (tuple(v[0]), tuple(v[1])) for k, v in t["effects"].items()},
    )


SPECS: dict[str, Spec] = {v: _spec(v) for v in VERSIONS}
