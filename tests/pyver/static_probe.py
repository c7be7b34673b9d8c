"""Runs petbrowser's static inspection under ANOTHER CPython (3.10+), standard library only.

    python -I static_probe.py REPO_ROOT FILE.pkl...

Prints one JSON list: for each pickle, what ``scan_pickle`` found (detected
Python version, method listings and signatures), with no sidecar involved.
A LabChain ``persist_class`` pickle (a pickle holding one bytes object) is
unwrapped with ``pickletools``, statically, first.
"""

import json
import pickletools
import sys


def unwrap(data):
    """The inner pickle of a pickle whose only content is one bytes object, else ``data``."""
    try:
        ops = [(op.name, arg) for op, arg, _ in pickletools.genops(data)]
    except Exception:
        return data
    names = [n for n, _ in ops if n not in ("PROTO", "FRAME", "MEMOIZE", "BINPUT", "STOP")]
    if names in (["BINBYTES"], ["SHORT_BINBYTES"], ["BINBYTES8"]):
        return next(a for n, a in ops if n == names[0])
    return data


def main():
    sys.path.insert(0, sys.argv[1])
    from petbrowser.core.safe_pickle import scan_pickle

    out = []
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            report = scan_pickle(unwrap(f.read()))
        methods = report.describe.methods if report.describe is not None else {}
        out.append(
            {
                "file": path,
                "class_name": report.class_name,
                "python_version": report.python_version,
                "error": report.error,
                "unsafe": report.unsafe,
                "methods": {
                    k: {"disassembly": m.disassembly, "signature": m.signature}
                    for k, m in methods.items()
                },
            }
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
