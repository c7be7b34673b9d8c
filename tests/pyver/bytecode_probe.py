"""Runs inside ANOTHER CPython (3.8-3.13): what its own ``dis`` says about code it compiled.

    python bytecode_probe.py AGENT_DIR OUT_DIR FILE.py...

Compiles each file with this interpreter, then writes, for every top-level
code object and every function or class body below it (each a "unit"):
``OUT_DIR/units.pkl`` (cloudpickle of the list of unit code objects, exactly
as a class pickle carries them) and ``OUT_DIR/expected.json`` (the agent's
normalized listing of each unit and its nested code, made by this
interpreter's ``dis`` through ``core/agent/disasm.py``).  Only test code: it
lets the tests compare petbrowser's pure-Python reading with the real thing.
"""

import importlib.util
import json
import os
import sys
import types


def load_disasm(agent_dir):
    spec = importlib.util.spec_from_file_location(
        "_probe_disasm", os.path.join(agent_dir, "disasm.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def units_of(code, limit):
    out = []
    stack = [code]
    while stack and len(out) < limit:
        c = stack.pop()
        out.append(c)
        stack.extend(x for x in c.co_consts if isinstance(x, types.CodeType))
    return out


def main():
    agent_dir, out_dir = sys.argv[1], sys.argv[2]
    limit = int(os.environ.get("PROBE_UNITS", "1000000"))
    import cloudpickle

    disasm = load_disasm(agent_dir)
    units, expected = [], []
    for path in sys.argv[3:]:
        try:
            with open(path, "rb") as f:
                code = compile(f.read(), os.path.basename(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        for c in units_of(code, limit - len(units)):
            key = f"{len(units)}:{c.co_name}"
            units.append(c)
            table = disasm.code_entries(key, "function", None, c)
            expected.append({k: v["disassembly"] for k, v in table.items()})
        if len(units) >= limit:
            break
    with open(os.path.join(out_dir, "units.pkl"), "wb") as f:
        f.write(cloudpickle.dumps(units, protocol=4))
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump({"python": "{}.{}".format(*sys.version_info[:2]), "units": expected}, f)


if __name__ == "__main__":
    main()
