"""Shared pieces of the reliability suite: running the CLI, fingerprinting stores.

The suite drives petbrowser the way users do (the ``petbrowser`` command in a
child process) and judges it from the outside: exit code, stderr, and a
before/after fingerprint of every stored byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
REPO = HERE.parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class CliResult:
    argv: tuple[str, ...]
    rc: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"petbrowser {' '.join(self.argv)} -> {self.rc}\nstdout: {self.out[-2000:]}\nstderr: {self.err[-2000:]}"

    def json(self) -> Any:
        return json.loads(self.out)


def cli_env(base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a CLI child: the test's own, minus overrides that would leak in."""
    env = dict(os.environ if base is None else base)
    env.pop("PETBROWSER_STORAGE", None)
    env.pop("PETBROWSER_DEBUG", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra)
    return env


def run_cli(
    *argv: str,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> CliResult:
    """Run ``python -m petbrowser ARGV`` and capture everything it says."""
    proc = subprocess.run(
        [PYTHON, "-m", "petbrowser", *argv],
        cwd=str(cwd) if cwd else None,
        env=env if env is not None else cli_env(),
        capture_output=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CliResult(
        tuple(argv),
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def assert_clean_error(res: CliResult, code: int) -> str:
    """Exit ``code``, exactly one non-empty stderr line starting 'petbrowser:', no traceback."""
    assert "Traceback" not in res.err and "Traceback" not in res.out, str(res)
    assert res.rc == code, str(res)
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line:\n{res}"
    assert lines[0].startswith("petbrowser: "), str(res)
    assert len(lines[0]) < 600, f"error line too long to be 'one clear line':\n{res}"
    return lines[0]


def assert_no_traceback(res: CliResult) -> None:
    assert "Traceback" not in res.err and "Traceback" not in res.out, str(res)


# ---------------------------------------------------------------- fingerprints
def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint_dir(root: Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file, plus every folder (so a new empty one shows)."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        out[rel + "/"] = "dir"
        for name in filenames:
            p = Path(dirpath, name)
            out[os.path.relpath(p, root)] = sha256(p.read_bytes())
        dirnames.sort()
    return out


def fingerprint_bucket(client: Any, bucket: str, prefix: str = "") -> dict[str, str]:
    """``key -> sha256`` of every object under ``prefix``."""
    out: dict[str, str] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            out[obj["Key"]] = sha256(body)
    return out


def s3_client(endpoint: str) -> Any:
    import boto3
    import botocore.config

    cfg = botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"})
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=cfg)


# ------------------------------------------------------------- store building
def fake_meta(name: str, h: str, data: bytes, **extra: Any) -> dict[str, Any]:
    """A ``<hash>.meta.json`` for fake versions: what verify checks, nothing more."""
    meta: dict[str, Any] = {
        "format": 1,
        "class_name": name,
        "module": "fake_mod",
        "qualname": name,
        "bases": [],
        "python_version": "3.11.7",
        "source": None,
        "methods": {},
        "attributes": {},
        "hash": h,
        "hash_scheme": "pb1",
        "hashes": {"pb1": h},
        "cloudpickle_version": "3.1.3",
        "pushed_at": "2026-11-27T02:30:00Z",
        "pushed_by": "reliability@test",
        "pkl_sha256": sha256(data),
        "pkl_size": len(data),
        "by_reference": False,
    }
    meta.update(extra)
    return meta


def write_file(root: Path, key: str, data: bytes) -> Path:
    p = root / key
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def put_version_files(
    root: Path, name: str, h: str, data: bytes, *, meta: dict[str, Any] | None | bool = True
) -> None:
    """Lay a version down as plain files (the way LabChain or a broken tool would)."""
    write_file(root, f"plugins/{name}/{h}.pkl", data)
    if meta is True:
        meta = fake_meta(name, h, data)
    if isinstance(meta, dict):
        write_file(root, f"plugins/{name}/{h}.meta.json", json.dumps(meta).encode())


def put_pointer_file(root: Path, name: str, h: str) -> None:
    write_file(root, f"plugins/{name}/latest.json", json.dumps({"hash": h, "class_name": name}).encode())


def corpus_module(name: str, dest: Path, as_name: str | None = None) -> Path:
    """Copy ``corpus/modules/<name>.py.txt`` into a project folder as a .py file."""
    src = CORPUS / "modules" / f"{name}.py.txt"
    target = dest / f"{as_name or name}.py"
    target.write_text(src.read_text())
    return target


def make_project(root: Path, storage: str | None = None, modules: list[str] | None = None) -> Path:
    """A project folder with a pyproject.toml carrying ``[tool.petbrowser]``."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[project]", 'name = "reliability-project"', "", "[tool.petbrowser]"]
    if storage:
        lines.append(f"storage = {json.dumps(storage)}")
    if modules:
        lines.append(f"modules = {json.dumps(modules)}")
    lines.append(f"python = {json.dumps(PYTHON)}")
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return root


def run_many(commands: list[tuple[str, ...]], *, cwd: str | Path | None = None, env: dict[str, str] | None = None,
             workers: int = 3, timeout: float = 120) -> list[CliResult]:
    """Run several CLI commands concurrently (independent, read-only ones): same order back."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_cli, *argv, cwd=cwd, env=env, timeout=timeout) for argv in commands]
        return [f.result() for f in futures]
