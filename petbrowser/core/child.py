"""Run the agent in a child process of the project's interpreter.

Why a child: the project's dependencies need not be installed beside
petbrowser, a crashing or hanging import cannot take the browser down, and
bytecode comes from the Python that will run it.  The answer travels through
a file in a private temp folder, so user code printing to stdout (megabytes of
it) cannot corrupt it; the child's stdout and stderr share one pipe that a
thread drains, keeping only a tail for error messages.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from petbrowser.core.errors import ChildTimeoutError, ProjectError

__all__ = ["AGENT_DIR", "BOOTSTRAP", "DEFAULT_TIMEOUT", "code_cache_dir", "run_agent"]

AGENT_DIR = Path(__file__).resolve().parent / "agent"
DEFAULT_TIMEOUT = 60.0
OUTPUT_TAIL = 64 * 1024

#: Loads petbrowser/core/agent/ as the package ``_petbrowser_agent`` and runs it.
#: ``os._exit`` so threads or atexit hooks left by user code cannot hold the child.
#: The child runs ``python -I -B``: ``-I`` keeps the user's environment out,
#: ``-B`` writes no bytecode from the first import on (``-I`` ignores
#: PYTHONDONTWRITEBYTECODE); the agent then compiles the project's modules
#: from their source bytes (agent/source_loader.py), so nothing is read from
#: or written into the project.
BOOTSTRAP = (
    "import importlib.util as u, os, sys\n"
    "d = sys.argv[1]\n"
    "s = u.spec_from_file_location('_petbrowser_agent', os.path.join(d, '__init__.py'),"
    " submodule_search_locations=[d])\n"
    "m = u.module_from_spec(s); sys.modules['_petbrowser_agent'] = m; s.loader.exec_module(m)\n"
    "from _petbrowser_agent.main import run\n"
    "rc = run(sys.argv[2:])\n"
    "sys.stderr.flush()\n"
    "os._exit(rc)\n"
)


class _Tail:
    """Drains a pipe on a thread, keeping the last ``limit`` bytes."""

    def __init__(self, stream: Any, limit: int = OUTPUT_TAIL) -> None:
        self.data = bytearray()
        self.limit = limit
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream: Any) -> None:
        read = getattr(stream, "read1", stream.read)
        try:
            while chunk := read(65536):
                self.data += chunk
                if len(self.data) > 2 * self.limit:
                    del self.data[: len(self.data) - self.limit]
        except (OSError, ValueError):
            pass

    def text(self) -> str:
        return bytes(self.data[-self.limit :]).decode("utf-8", "replace")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def run_agent(
    request: dict[str, Any],
    *,
    python: str,
    cwd: str | Path,
    timeout: float | None = None,
    wrap: Callable[[list[str], Path], list[str]] | None = None,
) -> dict[str, Any]:
    """Send one request to a fresh agent and return its answer (``ok`` removed).

    Raises ``ChildTimeoutError`` naming what the child was doing when the
    timeout hit, and ``ProjectError`` with the child's one-line reason for
    everything else (import errors, a missing cloudpickle, a crash).
    ``wrap(argv, work_dir)`` may rewrite the command (the pull sandbox).
    """
    timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if os.sep in python or (os.altsep and os.altsep in python):
        python = os.path.abspath(python)  # relative to our cwd, not the child's
    work = Path(tempfile.mkdtemp(prefix="petbrowser-agent-"))
    request = {"root": str(Path(cwd).resolve()), "code_cache": code_cache_dir(), **request}
    kwargs: dict[str, Any] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True  # its own process group: we kill it whole
    else:
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    try:
        argv = [python, "-I", "-B", "-c", BOOTSTRAP, str(AGENT_DIR), str(work)]
        try:
            proc = subprocess.Popen(
                wrap(argv, work) if wrap is not None else argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=str(cwd),
                **kwargs,
            )
        except OSError as exc:
            raise ProjectError(
                f"the project's interpreter {python} cannot be started: {exc.strerror or exc}"
            ) from None
        tail = _Tail(proc.stdout)
        payload = json.dumps(request).encode("utf-8")

        def feed() -> None:
            try:
                assert proc.stdin is not None
                proc.stdin.write(payload)
                proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            stage = _read_text(work / "stage") or "starting the project's interpreter"
            raise ChildTimeoutError(
                f"{stage} did not finish within {timeout:g} s", detail=tail.text()
            ) from None
        else:
            _kill(proc)  # leftovers: processes user code started in the child's group
        finally:
            writer.join(timeout=5)
            tail.thread.join(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
        answer_text = _read_text(work / "answer.json")
        if answer_text is None:
            reason = _last_line(tail.text()) or f"exit code {proc.returncode}"
            raise ProjectError(
                f"the project's interpreter {python} stopped before answering: {reason}",
                detail=tail.text(),
            )
        answer = json.loads(answer_text)
        if not answer.pop("ok", False):
            if answer.get("kind") == "no_cloudpickle":  # name the interpreter as configured
                raise ProjectError(
                    f"the project's interpreter {python} has no cloudpickle: "
                    "pip install cloudpickle there"
                )
            detail = "\n".join(x for x in (answer.get("detail"), tail.text()) if x)
            raise ProjectError(answer.get("error") or "the agent failed", detail=detail or None)
        return answer
    finally:
        shutil.rmtree(work, ignore_errors=True)


def code_cache_dir() -> str | None:
    """Where the agent keeps the project's compiled code: petbrowser's own cache
    folder, keyed by the source bytes (agent/source_loader.py), never the project."""
    try:
        import platformdirs

        return str(platformdirs.user_cache_path("petbrowser") / "code")
    except Exception:  # no usable home folder: compile every time
        return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def default_python() -> str:
    """The interpreter running petbrowser: used when there is no project."""
    return sys.executable
