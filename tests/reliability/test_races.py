"""Races: concurrent pointer moves through the CLI, concurrent pushes of one version.

Six ``petbrowser rollback C --to H --expect E`` processes start at once, some
expecting the pointer every one of them saw, some expecting where another
one would move it; whatever the interleaving, every move that reported
success is in the history, the history is one continuous chain ending at the
final pointer, and every other process got exit 3.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.helpers import (
    HERE,
    PYTHON,
    cli_env,
    put_pointer_file,
    put_version_files,
    s3_client,
    sha256,
)

CLASS = "Racer"
N_VERSIONS = 10
PROCS = 6


def _versions() -> list[tuple[str, bytes]]:
    out = []
    for i in range(N_VERSIONS):
        data = f"fake class snapshot {i}".encode() * 50
        out.append((sha256(data + b"racer"), data))
    return out


def _seed_local(root: Path) -> list[str]:
    versions = _versions()
    for h, data in versions:
        put_version_files(root, CLASS, h, data)
    put_pointer_file(root, CLASS, versions[0][0])
    return [h for h, _ in versions]


def _seed_s3(endpoint: str, bucket: str, prefix: str, tmp: Path) -> list[str]:
    staging = tmp / "staging"
    hashes = _seed_local(staging)
    client = s3_client(endpoint)
    for p in staging.rglob("*"):
        if p.is_file():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{p.relative_to(staging).as_posix()}", Body=p.read_bytes())
    return hashes


def _open_store(url: str, endpoint: str | None) -> Any:
    from petbrowser.core.storage import open_storage
    from petbrowser.core.store import Store

    return Store(open_storage(url, endpoint_url=endpoint))


def _race_round(
    url: str, endpoint: str | None, hashes: list[str], current: str, rng: random.Random, cwd: Path
) -> list[tuple[str, str, int, str]]:
    """One round: PROCS rollbacks at once. Returns (expect, to, rc, stderr) per process."""
    targets = rng.sample([h for h in hashes if h != current], PROCS)
    # Half expect the pointer everyone saw; the others expect where a rival would move it.
    expects = [current if i % 2 == 0 else targets[i - 1] for i in range(PROCS)]
    extra = ["--endpoint-url", endpoint] if endpoint else []
    procs = [
        subprocess.Popen(
            [PYTHON, "-m", "petbrowser", "rollback", CLASS, "--to", to, "--expect", exp, "--storage", url, *extra],
            cwd=cwd,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        for exp, to in zip(expects, targets, strict=True)
    ]
    out = []
    for p, exp, to in zip(procs, expects, targets, strict=True):
        _, err = p.communicate(timeout=120)
        out.append((exp, to, p.returncode, err.decode("utf-8", "replace")))
    return out


def _check_history_chain(store: Any, start: str, successes: list[tuple[str, str]]) -> None:
    history = store.history(CLASS)  # oldest first
    moves = [(e.from_hash, e.to_hash) for e in history]
    assert sorted(moves) == sorted(successes), "history and reported successes disagree"
    assert moves[0][0] == start, f"the chain does not start at the first pointer: {moves[:3]}"
    for (_, to), (frm, _) in zip(moves, moves[1:], strict=False):
        assert to == frm, f"history chain breaks between {to[:12]} and {frm[:12]}"
    assert store.read_pointer(CLASS).hash == moves[-1][1], "final pointer is not the end of the chain"
    assert all(e.action == "rollback" for e in history)


def _run_races(url: str, endpoint: str | None, hashes: list[str], rounds: int, cwd: Path, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    store = _open_store(url, endpoint)
    start = current = store.read_pointer(CLASS).hash
    successes: list[tuple[str, str]] = []
    conflicts = 0
    for _ in range(rounds):
        results = _race_round(url, endpoint, hashes, current, rng, cwd)
        won = [(exp, to) for exp, to, rc, _ in results if rc == 0]
        for exp, to, rc, err in results:
            assert "Traceback" not in err, err
            assert rc in (0, 3), f"rollback --expect {exp[:8]} --to {to[:8]} -> {rc}: {err}"
            if rc == 3:
                conflicts += 1
                assert len(err.strip().splitlines()) == 1, err
        assert won, "nobody won the round, though the pointer was what half of them expected"
        successes += won
        current = store.read_pointer(CLASS).hash
    _check_history_chain(store, start, successes)
    return {"moves": rounds * PROCS, "won": len(successes), "conflicts": conflicts}


def test_racing_rollbacks_local(tmp_path: Path, reliability_stats: dict[str, Any]) -> None:
    root = tmp_path / "store"
    hashes = _seed_local(root)
    n = _run_races(str(root), None, hashes, rounds=5, cwd=tmp_path, seed=1)
    reliability_stats["race_local"] = n


@pytest.mark.slow  # 54 racing processes against S3, ~10 s: .ci/run runs it with the slow suites
def test_racing_rollbacks_s3(
    s3_endpoint: str, s3_bucket: str, tmp_path: Path, reliability_stats: dict[str, Any]
) -> None:
    hashes = _seed_s3(s3_endpoint, s3_bucket, "race", tmp_path)
    n = _run_races(f"s3://{s3_bucket}/race", s3_endpoint, hashes, rounds=4, cwd=tmp_path, seed=2)
    reliability_stats["race_s3"] = n


# ------------------------------------------------------------- same-version pushes
def _concurrent_same_write(url: str, endpoint: str | None, data_file: Path, h: str, cwd: Path) -> list[tuple[int, str]]:
    """Two writer processes, released together, write the same version."""
    procs = [
        subprocess.Popen(
            [PYTHON, str(HERE / "crash_writer.py"), "--write-once", url, endpoint or "-", CLASS, h, str(data_file)],
            cwd=cwd,
            env=cli_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for p in procs:  # both are ready (imports done, store open) before either writes
        assert p.stdout is not None and p.stdout.readline().strip() == b"ready", p.stderr.read() if p.stderr else ""
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(b"go\n")
        p.stdin.flush()
    out = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        out.append((p.returncode, err.decode("utf-8", "replace")))
    return out


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_same_version_pushed_twice_at_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, reliability_stats: dict[str, Any]
) -> None:
    if backend == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        url = f"s3://{request.getfixturevalue('s3_bucket')}/same"
    else:
        endpoint, url = None, str(tmp_path / "store")
    store = _open_store(url, endpoint)
    for i in range(4):
        data = sys.version.encode() + f"{backend} {i}".encode() * 20000  # ~0.4 MB: writes overlap
        h = sha256(data)
        data_file = tmp_path / f"v{i}.pkl"
        data_file.write_bytes(data)

        results = _concurrent_same_write(url, endpoint, data_file, h, tmp_path)

        for rc, err in results:
            assert rc == 0, f"a writer of identical bytes failed: {err}"
        read = store.storage.read(f"plugins/{CLASS}/{h}.pkl")
        assert read == data
        versions = [v.hash for v in store.get_class(CLASS).versions]
        assert versions.count(h) == 1
    reliability_stats[f"same_version_pairs_{backend}"] = 4


def test_same_class_pushed_by_three_processes_at_once(tmp_path: Path, reliability_stats: dict[str, Any]) -> None:
    """Three researchers push the same class at the same moment (``petbrowser push``).

    cloudpickle's bytes differ from process to process, but the hash is the
    class: all three must succeed, one version stored, latest on it, one
    history record for the move, verify clean.
    """
    from tests.reliability.helpers import corpus_module, make_project

    store = tmp_path / "store"
    store.mkdir()
    pushes = 0
    for trial in range(3):
        project = make_project(tmp_path / f"project{trial}", storage=str(store), modules=["good_module"])
        corpus_module("good_module", project)
        with (project / "good_module.py").open("a") as fh:
            fh.write(f"\n\nclass Shared{trial}:\n    def run(self):\n        return {trial}\n")
        procs = [
            subprocess.Popen(
                [PYTHON, "-m", "petbrowser", "push", f"Shared{trial}"], cwd=project, env=cli_env(),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            )
            for _ in range(3)
        ]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, f"a concurrent push of the same class failed: {err.decode()}"
            pushes += 1
        s = _open_store(str(store), None)
        info = s.get_class(f"Shared{trial}")
        assert len(info.versions) == 1 and info.latest == info.versions[0].hash
        assert [(e.from_hash, e.to_hash) for e in s.history(f"Shared{trial}")] == [(None, info.latest)]
        assert s.verify().ok
    reliability_stats["same_class_concurrent_pushes"] = pushes
