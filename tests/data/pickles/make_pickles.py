"""Regenerate the hand-made hostile pickles of this folder (never loads any of them).

Each file would, if loaded, try to create ``/tmp/PETBROWSER_CANARY``; tests
call :func:`build` with a per-test canary path instead.  Run: ``python make_pickles.py``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

HERE = Path(__file__).resolve().parent
CANARY = "/tmp/PETBROWSER_CANARY"


def _op_str(s: str) -> bytes:
    data = s.encode()
    return b"\x8c" + bytes([len(data)]) + data  # SHORT_BINUNICODE


def stack_global(module: str, name: str) -> bytes:
    return _op_str(module) + _op_str(name) + b"\x93"  # STACK_GLOBAL


def build(canary: str = CANARY) -> dict[str, bytes]:
    """The hostile pickles, each creating ``canary`` if it were ever loaded."""
    cmd = f"touch {canary}"
    return {
        # os.system via GLOBAL (protocol 0 text): pickle names it posix.system on Linux
        "os_system_p0.pkl": f"cposix\nsystem\n(S'{cmd}'\ntR.".encode(),
        # builtins.exec of Python source that creates the file
        "builtins_exec.pkl": b"\x80\x04"
        + stack_global("builtins", "exec")
        + _op_str(f"open({canary!r}, 'w').close()")
        + b"\x85R.",
        # builtins.eval
        "builtins_eval.pkl": b"\x80\x04"
        + stack_global("builtins", "eval")
        + _op_str(f"open({canary!r}, 'w')")
        + b"\x85R.",
        # subprocess.Popen(["touch", canary])
        "subprocess_popen.pkl": b"\x80\x04"
        + stack_global("subprocess", "Popen")
        + b"]"
        + _op_str("touch")
        + b"a"
        + _op_str(canary)
        + b"a"
        + b"\x85R.",
        # getattr(__import__("os"), "system")(cmd): the callee is computed, not named
        "getattr_import_system.pkl": b"\x80\x04"
        + stack_global("builtins", "getattr")
        + stack_global("builtins", "__import__")
        + _op_str("os")
        + b"\x85R"
        + _op_str("system")
        + b"\x86R"
        + _op_str(cmd)
        + b"\x85R.",
        # protocol 0 INST: calls posix.system(cmd) while "building an instance"
        "inst_system.pkl": f"(S'{cmd}'\niposix\nsystem\n.".encode(),
        # a cloudpickle-looking class whose metaclass is posix.system
        "metaclass_system.pkl": b"\x80\x04"
        + stack_global("cloudpickle.cloudpickle", "_make_skeleton_class")
        + b"("
        + stack_global("posix", "system")
        + _op_str(cmd)
        + b")}NNtR.",  # (meta, name, bases=(), type_kwargs={}, tracker=None, extra=None)
    }


def main() -> None:
    for name, data in build().items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
