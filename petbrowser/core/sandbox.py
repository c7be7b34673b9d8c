"""The box a pulled class is rebuilt in: no network, no writes outside a scratch folder,
memory and CPU limits.

Pull is the one operation that unpickles store bytes, so the child that does
it runs inside bubblewrap (``bwrap``) where the machine has it: every
namespace unshared (no network at all, its own PIDs), the whole filesystem
mounted read-only (``/tmp`` too), and only the agent's scratch folder
(where it writes its answer) writable.  Resource limits (address space, CPU
seconds, file size, no core dumps) are set on every rebuild, boxed or not, by
a tiny launcher that then ``exec``s the command.

Why bubblewrap: it is the unprivileged sandbox Flatpak is built on, a single
small binary in every distribution (``apt-get install bubblewrap``), and does
in one ``exec`` what namespaces + mounts by hand would need a privileged
helper for.  Where it is missing or cannot create namespaces, pull says so
and asks for an explicit yes even for clean versions.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["SandboxInfo", "sandbox", "wrap_command", "REBUILD_MEMORY", "NO_SANDBOX_HINT"]

#: Address space of the rebuilding child (the project's imports count too).
REBUILD_MEMORY = 4 * 1024 * 1024 * 1024
NO_SANDBOX_HINT = "install bubblewrap (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap)"

#: Sets the limits, then becomes the command (argv after ``--``).
_LAUNCHER = (
    "import os, resource, sys\n"
    "mem, cpu = int(sys.argv[1]), int(sys.argv[2])\n"
    "for which, value in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_CPU, cpu),\n"
    "                     (resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, 256 << 20)):\n"
    "    soft, hard = resource.getrlimit(which)\n"
    "    value = value if hard == resource.RLIM_INFINITY else min(value, hard)\n"
    "    resource.setrlimit(which, (value, hard))\n"
    "os.execvp(sys.argv[4], sys.argv[4:])\n"
)


class SandboxInfo:
    """Which sandbox a rebuild gets: ``kind`` is ``bubblewrap`` or None (none available)."""

    def __init__(self, kind: str | None, binary: str | None, reason: str) -> None:
        self.kind = kind
        self.binary = binary
        self.reason = reason

    @property
    def available(self) -> bool:
        return self.kind is not None


@functools.lru_cache(maxsize=1)
def _probe(binary: str) -> str | None:
    """None when ``bwrap`` can build the box here, else why not."""
    try:
        proc = subprocess.run(
            [binary, *_bwrap_args(Path("/"), Path("/tmp")), "--", "true"],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap does not start ({exc})"
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"bubblewrap cannot create its namespaces here ({err[-1] if err else proc.returncode})"
    return None


def sandbox() -> SandboxInfo:
    """The sandbox this machine offers for rebuilding a pulled class.

    ``PETBROWSER_SANDBOX=off`` pretends there is none (pull then asks for an
    explicit yes, as on a machine without bubblewrap).
    """
    if os.environ.get("PETBROWSER_SANDBOX", "").lower() in ("off", "none", "0"):
        return SandboxInfo(None, None, "the sandbox is switched off (PETBROWSER_SANDBOX=off)")
    if not sys.platform.startswith("linux"):
        return SandboxInfo(None, None, f"no sandbox on {sys.platform}")
    binary = shutil.which("bwrap")
    if binary is None:
        return SandboxInfo(None, None, f"bubblewrap is not installed: {NO_SANDBOX_HINT}")
    why = _probe(binary)
    if why is not None:
        return SandboxInfo(None, binary, why)
    return SandboxInfo("bubblewrap", binary, "bubblewrap: no network, read-only files, scratch folder")


def _bwrap_args(cwd: Path, scratch: Path) -> list[str]:
    return [
        "--die-with-parent",
        "--new-session",
        "--unshare-all",  # network, PIDs, IPC, UTS, cgroup (and user, where allowed)
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--bind", str(scratch), str(scratch),
        "--chdir", str(cwd),
    ]  # fmt: skip


def wrap_command(
    argv: list[str],
    scratch: Path,
    *,
    cwd: Path,
    box: SandboxInfo,
    timeout: float,
    memory: int = REBUILD_MEMORY,
) -> list[str]:
    """``argv`` run under resource limits, inside the sandbox when ``box`` has one.

    ``scratch`` is the only folder the command may write (the agent's answer goes there).
    """
    cpu = max(5, int(timeout) + 5)
    inner = list(argv)
    if box.kind == "bubblewrap" and box.binary:
        inner = [box.binary, *_bwrap_args(cwd, scratch), "--", *argv]
    return [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(memory), str(cpu), "--", *inner]
