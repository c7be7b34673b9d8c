"""Run by tests/test_hashing_speed.py under each interpreter found (Python 3.8+):
petbrowser's fast signature text and pb1 against inspect and the reference
encoder, over the corpus module and the standard library.  Prints one JSON line."""

import importlib
import importlib.util
import json
import pkgutil
import sys
import types
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main():
    warnings.simplefilter("ignore")
    fast = load("pb_fast_hashing", REPO / "petbrowser" / "core" / "agent" / "hashing.py")
    ref = load("pb_reference_hashing", HERE / "pb1_reference.py")
    sys.path.insert(0, str(HERE))
    modules = [importlib.import_module("signature_corpus")]
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 10**9
    skip = ("test", "idlelib", "tkinter", "turtle", "antigravity", "this", "_", "lib2to3", "ensurepip")
    stdlib = str(Path(importlib.import_module("os").__file__).parent)
    for info in sorted(pkgutil.iter_modules([stdlib]), key=lambda m: m.name):
        if len(modules) > limit:
            break
        if info.name.startswith(skip) or info.name in ("signature_corpus", "pb1_compare"):
            continue
        try:
            modules.append(importlib.import_module(info.name))
        except BaseException:  # noqa: BLE001 - a module that does not import here is not hashed
            continue
    classes = functions = 0
    diffs = []
    seen = set()
    for module in modules:
        for name, value in sorted(vars(module).items()):
            if not isinstance(value, type) or id(value) in seen:
                continue
            seen.add(id(value))
            classes += 1
            got = []
            for impl in (ref, fast):
                try:
                    got.append(impl.pb1_hash(value))
                except Exception as exc:  # noqa: BLE001 - both must fail alike
                    got.append(type(exc).__name__)
            if got[0] != got[1]:
                diffs.append(f"pb1 {module.__name__}.{name}")
            for attr, fn in sorted(vars(value).items()):
                try:
                    inner = [getattr(fn, a, None) for a in ("__func__", "fget", "fset")]
                except BaseException:  # noqa: BLE001 - a lazy attribute that fails to load
                    inner = []
                for f in (fn, *inner):
                    if isinstance(f, types.FunctionType):
                        functions += 1
                        want = ref._signature(f, follow_wrapped=False)
                        have = fast._plain_signature(f)
                        if want != have:
                            diffs.append(f"signature {module.__name__}.{name}.{attr}: {want!r} != {have!r}")
    print(json.dumps({"python": sys.version.split()[0], "classes": classes, "functions": functions, "diffs": diffs[:20]}))


if __name__ == "__main__":
    main()
