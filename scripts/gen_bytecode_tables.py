"""Regenerate ``petbrowser/core/bytecode/tables.py`` from real CPython interpreters.

petbrowser disassembles bytecode of CPython 3.8-3.13 without running any of
those interpreters' ``dis``: it needs each version's opcode tables.  They are
copied here from each interpreter's own ``opcode`` and ``dis`` modules (the
tables only: no code object is built or disassembled), so they are exactly
what that version's ``dis`` uses.

    python scripts/gen_bytecode_tables.py                  # every 3.8-3.13 under ~/.pyenv
    python scripts/gen_bytecode_tables.py --check          # compare, write nothing
    python scripts/gen_bytecode_tables.py PY38 PY39 ...    # explicit interpreters

``tests/test_bytecode_tables.py`` runs the check against every interpreter present.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pprint
import subprocess
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "petbrowser" / "core" / "bytecode" / "tables.py"
VERSIONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")

# Runs inside the interpreter whose tables we want; prints one JSON document.
DUMPER = r'''
import dis, json, opcode, platform, sys
v = sys.version_info[:2]
all_opname = list(getattr(dis, "_all_opname", opcode.opname))[:256]
base_opname = list(opcode.opname)[:256]
all_opmap = getattr(dis, "_all_opmap", opcode.opmap)
deoptmap = getattr(dis, "deoptmap", {})
def deop(op):
    name = all_opname[op]
    return all_opmap[deoptmap[name]] if name in deoptmap else op
def low(xs):
    return sorted(x for x in xs if x < 256)
ice = getattr(opcode, "_inline_cache_entries", None)
def caches(op):
    if ice is None:
        return 0
    if isinstance(ice, dict):  # 3.13: by name
        return ice.get(all_opname[op], 0)
    return ice[op]
hasarg_set = set(getattr(opcode, "hasarg", ()))
def has_arg(d):
    if v >= (3, 12):
        return d in hasarg_set
    return d >= opcode.HAVE_ARGUMENT
if v >= (3, 13):
    backward = [op for op in range(256) if base_opname[op] in ("JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT")]
else:
    backward = [op for op in range(256) if "JUMP_BACKWARD" in base_opname[op]]
specialized = [op for op in range(256) if deop(op) != op]
instrumented = [op for op in range(256) if op >= getattr(opcode, "MIN_INSTRUMENTED_OPCODE", 256)]
def effects_of(op):
    """dis.stack_effect over arguments 0..1023, without and with the jump taken."""
    rows = []
    for jump in (False, True):
        row = []
        for a in (range(1024) if has_arg(op) else (None,)):
            try:
                row.append(dis.stack_effect(op, a, jump=jump) if a is not None else dis.stack_effect(op, jump=jump))
            except (ValueError, TypeError):
                row.append(None)
        rows.append(row)
    return rows
effects = {}
for op in range(256):
    if all_opname[op].startswith("<") or deop(op) != op or op >= getattr(opcode, "MIN_INSTRUMENTED_OPCODE", 256):
        continue
    rows = effects_of(op)
    if any(x is not None for x in rows[0]):
        effects[str(op)] = rows
out = {
    "effects": effects,
    "patch": platform.python_version(),
    "opname": all_opname,
    "opmap": {n: o for n, o in opcode.opmap.items() if o < 256},
    "deopt": {str(op): deop(op) for op in specialized},
    "instrumented": instrumented,
    "have_argument": opcode.HAVE_ARGUMENT,
    "hasarg": [op for op in range(256) if has_arg(deop(op))],
    "caches": {str(op): caches(op) for op in range(256) if caches(op)},
    "hasconst": low(opcode.hasconst),
    "hasname": low(opcode.hasname),
    "hasjrel": low(opcode.hasjrel),
    "hasjabs": low(opcode.hasjabs),
    "haslocal": low(opcode.haslocal),
    "hasfree": low(opcode.hasfree),
    "hascompare": low(opcode.hascompare),
    "backward": backward,
    "cmp_op": list(opcode.cmp_op),
    "nb_ops": [r for _, r in getattr(opcode, "_nb_ops", ())],
    "intrinsic1": list(getattr(opcode, "_intrinsic_1_descs", ())),
    "intrinsic2": list(getattr(opcode, "_intrinsic_2_descs", ())),
}
print(json.dumps(out))
'''


def find_interpreters() -> list[str]:
    found = []
    for v in VERSIONS:
        hits = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{v}.*/bin/python3")))
        if hits:
            found.append(hits[-1])
    return found


def dump(python: str) -> tuple[str, dict]:
    text = subprocess.run(
        [python, "-I", "-c", DUMPER], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    data = json.loads(text)
    minor = ".".join(data["patch"].split(".")[:2])
    data["deopt"] = {int(k): v for k, v in data["deopt"].items()}
    data["caches"] = {int(k): v for k, v in data["caches"].items()}
    data["effects"] = {int(k): [_compact(r) for r in rows] for k, rows in data["effects"].items()}
    return minor, data


def _compact(row: list) -> list:
    """One stack-effect row (per argument 0..1023) as the smallest exact formula.

    ``["c", v]`` constant; ``["at", a, v, other]`` v for arg a, else other (BUILD_SLICE);
    ``["lin", e0, k]`` e0 + k*arg; ``["mask", m, values]``
    values[arg & m]; ``["hb", k, e0, k0]`` e0 + k0*(arg & 255) + k*(arg >> 8)
    (UNPACK_EX); ``["table", values]`` as given (None: an invalid argument).
    """
    if len(set(row)) == 1:
        return ["c", row[0]]
    values = sorted(set(row), key=row.count)
    if len(values) == 2 and row.count(values[0]) == 1:
        return ["at", row.index(values[0]), values[0], values[1]]
    if None not in row:
        k = row[1] - row[0]
        if all(row[a] == row[0] + k * a for a in range(len(row))):
            return ["lin", row[0], k]
    for m in (1, 3, 7, 15, 31, 63, 127, 255):
        if all(row[a] == row[a & m] for a in range(len(row))):
            return ["mask", m, row[: m + 1]]
    if None not in row:
        k = row[256] - row[0]
        if all(row[a] == row[a & 255] + k * (a >> 8) for a in range(len(row))):
            low = _compact(row[:256])
            if low[0] == "lin":
                return ["hb", k, low[1], low[2]]
    return ["table", row]


def render(tables: dict[str, dict]) -> str:
    head = (
        '"""Opcode tables of CPython 3.8-3.13, as each version\'s own ``opcode``/``dis`` define them.\n\n'
        "Generated by ``scripts/gen_bytecode_tables.py`` from the real interpreters\n"
        "(patch versions: "
        + ", ".join(t["patch"] for t in tables.values())
        + "); do not edit by hand.\n"
        '"""\n\n'
        "# fmt: off\n"
    )
    body = "TABLES: dict = " + pprint.pformat(tables, width=100, compact=True, sort_dicts=True) + "\n"
    return head + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pythons", nargs="*")
    ap.add_argument("--check", action="store_true", help="compare with the committed tables")
    args = ap.parse_args(argv)
    pythons = args.pythons or find_interpreters()
    fresh = dict(dump(p) for p in pythons)
    if args.check:
        sys.path.insert(0, str(TARGET.parents[3]))
        from petbrowser.core.bytecode.tables import TABLES

        bad = [v for v, t in fresh.items() if TABLES.get(v) != t]
        for v in fresh:
            print(f"{v}: {'differs' if v in bad else 'same'} ({fresh[v]['patch']})")
        return 1 if bad else 0
    missing = [v for v in VERSIONS if v not in fresh]
    if missing:
        print(f"missing interpreters for {', '.join(missing)}", file=sys.stderr)
        return 1
    TARGET.write_text(render({v: fresh[v] for v in VERSIONS}))
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
