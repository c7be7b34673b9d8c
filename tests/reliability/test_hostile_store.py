"""Hostile stores: browsing pickles that would run code must never run it.

The store holds every payload of hostile.py, LabChain-style (no metadata, so
inspection has to walk the pickle itself) and behind metadata that lies
(digest right, content evil).  Every read-only command is run over it; a
canary folder proves nothing ran.  Pull refuses all of them, and refuses a
.pkl whose digest does not match its metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.helpers import (
    CliResult,
    assert_clean_error,
    assert_no_traceback,
    corpus_module,
    fake_meta,
    fingerprint_dir,
    make_project,
    put_pointer_file,
    put_version_files,
    run_cli,
    run_many,
    sha256,
)
from tests.reliability.hostile import (
    PAYLOADS,
    benign_class_pickle,
    cloudpickle_class_with_hook,
    evil_pointer,
    os_system,
)

#: Every payload again, behind metadata whose digest matches: pull's digest check
#: passes, so only the safety scan stands between the pickle and the child.
LIARS = tuple(PAYLOADS)


def _hash(tag: str) -> str:
    return sha256(tag.encode())


def build_hostile_store(root: Path, canary: Path) -> dict[str, Any]:
    """Lay the hostile store down; returns ``{"Evil": {payload: hash}, "Liar": {...}, ...}``."""
    evil: dict[str, str] = {}
    for name, build in PAYLOADS.items():
        h = _hash("evil:" + name)
        put_version_files(root, "Evil", h, build(canary / name), meta=None)
        evil[name] = h
    put_pointer_file(root, "Evil", evil["os_system"])
    liar: dict[str, str] = {}
    for name in LIARS:
        h = _hash("liar:" + name)
        data = PAYLOADS[name](canary / f"liar_{name}")
        put_version_files(root, "Liar", h, data, meta=fake_meta("Liar", h, data))
        liar[name] = h
    put_pointer_file(root, "Liar", liar["cloudpickle_class_with_hook"])
    # A harmless version whose bytes no longer match its metadata.
    plain_h = _hash("plain")
    good = benign_class_pickle("Plain", 2)
    tampered = good.replace(b"predict", b"pREDICT")
    put_version_files(root, "Plain", plain_h, tampered, meta=fake_meta("Plain", plain_h, good))
    put_pointer_file(root, "Plain", plain_h)
    return {"Evil": evil, "Liar": liar, "Plain": plain_h}


@pytest.fixture()
def hostile(tmp_path: Path, canary: Path) -> dict[str, Any]:
    store = tmp_path / "store"
    hashes = build_hostile_store(store, canary)
    project = make_project(tmp_path / "project", storage=str(store), modules=["good_module"])
    corpus_module("good_module", project)
    return {"store": store, "project": project, "hashes": hashes}


def _check_read_only(res: CliResult) -> None:
    """A read-only command over a hostile store: succeeds, or fails with one clear line."""
    assert_no_traceback(res)
    if res.rc != 0:
        assert_clean_error(res, res.rc)
        assert res.rc in (1, 4), str(res)


@pytest.mark.slow  # the whole corpus, ~10-20 s: .ci/run runs it with the slow suites
def test_browsing_a_hostile_store_runs_nothing(
    hostile: dict[str, Any], canary: Path, reliability_stats: dict[str, Any]
) -> None:
    store, project, hashes = hostile["store"], hostile["project"], hostile["hashes"]
    evil, liar = hashes["Evil"], hashes["Liar"]
    before = fingerprint_dir(store)
    ev = list(evil.values())
    commands: list[tuple[str, ...]] = [
        ("ls",),
        ("ls", "--json"),
        ("log", "Evil"),
        ("log", "Liar", "--json"),
        ("verify",),
        ("verify", "--json"),
        ("status",),
        ("status", "--json", "--module", "good_module"),
        ("inspect", "Liar"),
        ("inspect", "Evil"),
    ]
    commands += [("inspect", "Evil", h, "--json") for h in ev]
    commands += [("inspect", "Liar", h) for h in liar.values()]
    commands += [("diff", "Evil", a, b) for a, b in zip(ev, ev[1:], strict=False)]
    commands += [
        ("diff", "Liar", liar["os_system"], liar["cloudpickle_class_with_hook"], "--bytecode"),
        ("diff", "Liar", "latest", "local", "--module", "good_module"),
        ("diff", "Evil", evil["cloudpickle_class_with_hook"], "local", "--source"),
    ]

    results = run_many(commands, cwd=project)

    for res in results:
        _check_read_only(res)
    by_cmd = {r.argv: r for r in results}
    flagged = {name: by_cmd[("inspect", "Evil", h, "--json")] for name, h in evil.items()}
    unflagged = [name for name, r in flagged.items() if r.rc != 4 or "unsafe" not in r.err]
    assert not unflagged, f"inspect did not flag these payloads as unsafe: {unflagged}"
    assert sorted(p.name for p in canary.iterdir()) == [], "browsing ran code from the store"
    assert fingerprint_dir(store) == before
    # Inspection names what loading would call, without calling it.
    shown = by_cmd[("inspect", "Evil", evil["os_system"], "--json")].out
    assert "system" in shown, "inspect does not name os.system as what the pickle would call"
    reliability_stats["hostile_pickles"] = len(PAYLOADS) + len(LIARS)
    reliability_stats["hostile_read_only_commands"] = len(commands)


@pytest.mark.slow  # the whole corpus, ~10-20 s: .ci/run runs it with the slow suites
def test_pull_refuses_every_hostile_pickle(hostile: dict[str, Any], canary: Path) -> None:
    store, project, hashes = hostile["store"], hostile["project"], hostile["hashes"]
    before = fingerprint_dir(store)
    commands = [("pull", "Evil", "--hash", h) for h in hashes["Evil"].values()]
    commands += [("pull", "Liar", "--hash", h) for h in hashes["Liar"].values()]
    commands += [("pull", "Liar", "--hash", hashes["Liar"]["os_system"], "--restore", str(project / "restored"))]

    results = run_many(commands, cwd=project)

    for res in results:
        line = assert_clean_error(res, 4)
        if res.argv[1] == "Liar":  # digest fine: refused for what it would call
            assert "would call" in line, line
    assert sorted(p.name for p in canary.iterdir()) == [], "pull ran a refused pickle"
    assert fingerprint_dir(store) == before
    assert not (project / "restored").exists() or not any((project / "restored").iterdir())


def test_pull_refuses_a_digest_mismatch(hostile: dict[str, Any]) -> None:
    project = hostile["project"]
    res = run_cli("pull", "Plain", cwd=project)
    assert_clean_error(res, 4)
    res = run_cli("pull", "Plain", "--allow-unsafe", cwd=project)
    assert_clean_error(res, 4)  # --allow-unsafe is about what a pickle calls, not about corrupt bytes


def test_canary_does_catch_a_pickle_that_runs(tmp_path: Path, canary: Path) -> None:
    """The control: the same payloads really do run when loaded, so an empty canary means something."""
    import subprocess
    import sys

    payloads = tmp_path / "payloads"
    payloads.mkdir()
    (payloads / "a").write_bytes(os_system(canary / "os_system"))
    (payloads / "b").write_bytes(cloudpickle_class_with_hook(canary / "hook"))
    (payloads / "c").write_bytes(evil_pointer(canary))  # writes canary/evil_pointer
    code = (
        "import pickle, sys, pathlib\n"
        "for p in sorted(pathlib.Path(sys.argv[1]).iterdir()):\n"
        "    pickle.loads(p.read_bytes())\n"
    )
    subprocess.run([sys.executable, "-c", code, str(payloads)], check=True, capture_output=True)
    assert sorted(p.name for p in canary.iterdir()) == ["evil_pointer", "hook", "os_system"]


def test_hostile_pointer_is_never_loaded(tmp_path: Path, canary: Path) -> None:
    """A LabChain-style pickled latest.json that would call os.system: reported, never run."""
    store = tmp_path / "store"
    data = benign_class_pickle("Lab", 1)
    h = _hash("lab")
    put_version_files(store, "Lab", h, data, meta=None)
    (store / "plugins" / "Lab" / "latest.json").write_bytes(evil_pointer(canary))
    commands = [("ls", "--json"), ("log", "Lab"), ("verify",), ("inspect", "Lab"), ("pull", "Lab")]
    results = run_many([(*argv, "--storage", str(store)) for argv in commands], cwd=tmp_path)
    for res in results:
        _check_read_only(res)
    assert list(canary.iterdir()) == []
    assert json.loads(results[0].out)[0]["name"] == "Lab"
