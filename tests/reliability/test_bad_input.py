"""Bad input: every case of corpus/cases.py ends in one clear line and an unchanged store."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.corpus.cases import CASES, MODULES, Case
from tests.reliability.helpers import (
    CORPUS,
    assert_clean_error,
    cli_env,
    corpus_module,
    fingerprint_dir,
    make_project,
    put_pointer_file,
    put_version_files,
    run_cli,
    write_file,
)
from tests.reliability.hostile import benign_class_pickle, evil_pointer

HASHES = {
    "G1": "abcdef01" + "1" * 56,
    "G2": "abcdef02" + "2" * 56,
    "O1": "0" * 63 + "1",
    "L1": "1abc" * 16,
    "M1": "deadbeef" * 8,  # stored nowhere
}
CLASS_OF = {"G1": "Good", "G2": "Good", "O1": "Other", "L1": "Lab", "M1": "Good"}


def _build_base_store(root: Path) -> None:
    put_version_files(root, "Good", HASHES["G1"], benign_class_pickle("Good", 1))
    put_version_files(root, "Good", HASHES["G2"], benign_class_pickle("Good", 2))
    put_pointer_file(root, "Good", HASHES["G2"])
    put_version_files(root, "Other", HASHES["O1"], benign_class_pickle("Other", 3))
    put_pointer_file(root, "Other", HASHES["O1"])
    put_version_files(root, "Lab", HASHES["L1"], benign_class_pickle("Lab", 4), meta=None)
    write_file(root, "plugins/Lab/latest.json", pickle.dumps({"hash": HASHES["L1"], "class_name": "Lab"}))


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base") / "store"
    _build_base_store(root)
    return root


def _pkl(root: Path, ref: str) -> Path:
    return root / "plugins" / CLASS_OF[ref] / f"{HASHES[ref]}.pkl"


def apply(damage: tuple[Any, ...], root: Path, canary: Path) -> None:
    """Break the store the way one ``damage`` entry of the corpus says."""
    op, *args = damage
    if op in ("truncate", "empty", "flip"):
        p = _pkl(root, args[0])
        data = p.read_bytes()
        if op == "truncate":
            data = data[: len(data) // 2]
        elif op == "empty":
            data = b""
        else:
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0x40]) + data[mid + 1 :]
        p.write_bytes(data)
    elif op == "meta_bytes":
        _pkl(root, args[0]).with_suffix(".meta.json").write_bytes(args[1])
    elif op == "meta_field":
        m = _pkl(root, args[0]).with_suffix(".meta.json")
        meta = json.loads(m.read_text())
        meta[args[1]] = args[2]
        m.write_text(json.dumps(meta))
    elif op == "big_pkl":  # 50 MB, valid pickle, digest no longer matches the metadata
        _pkl(root, args[0]).write_bytes(pickle.dumps(bytes(50 * 2**20), protocol=4))
    elif op == "big_pkl_nometa":  # 50 MB of many small objects, the last bytes cut off
        blob = pickle.dumps([os.urandom(1024) for _ in range(50 * 1024)], protocol=4)
        _pkl(root, args[0]).write_bytes(blob[:-100])
    elif op == "pointer":
        shutil.copyfile(CORPUS / "pointers" / args[1], root / "plugins" / args[0] / "latest.json")
    elif op == "pointer_to":
        put_pointer_file(root, args[0], HASHES[args[1]])
    elif op == "pointer_evil":
        write_file(root, f"plugins/{args[0]}/latest.json", evil_pointer(canary, args[0]))
    else:
        raise AssertionError(f"unknown damage {op!r}")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: The corpus cases the quick suite runs: at least one of each kind of bad input
#: (a damaged .pkl, sidecar, pointer, argument, module, URL, credentials).  The
#: others are variations of those and run with the slow suites (.ci/run runs both),
#: so the test command stays quick enough to run before every commit.
QUICK = frozenset(
    {
        "pkl_truncated_verify", "pkl_bitflip_pull", "meta_wrong_digest_pull", "big_pkl_digest_pull",
        "ptr_garbage_verify", "ptr_pickled_global_inspect", "ptr_traversal_inspect",
        "ptr_missing_version_pull", "arg_hash_nonhex", "arg_class_traversal", "arg_prefix_ambiguous",
        "mod_syntax_error", "mod_raises_status", "url_ftp", "url_missing_bucket",
        "s3_wrong_credentials", "s3_unknown_profile",
    }
)  # fmt: skip


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.slow] if case.slow or case.id not in QUICK else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert QUICK <= {c.id for c in CASES}  # a renamed case must not drop out of the quick suite


@pytest.mark.parametrize("case", _params())
def test_bad_input(
    case: Case,
    base_store: Path,
    tmp_path: Path,
    canary: Path,
    request: pytest.FixtureRequest,
    reliability_stats: dict[str, Any],
) -> None:
    store = tmp_path / "store"
    shutil.copytree(base_store, store)
    project = make_project(tmp_path / "project")
    for mod in MODULES:
        corpus_module(mod, project)
    for damage in case.damage:
        apply(damage, store, canary)
    fields = {**HASHES, "store": str(store), "closed_port": str(_closed_port())}
    argv = [a.format(**fields) for a in case.argv]
    if case.target == "local":
        argv += ["--storage", str(store)]
    elif case.target in ("aws", "s3", "s3-denied"):
        request.getfixturevalue("aws_env")
    if case.target == "s3":
        argv += ["--endpoint-url", request.getfixturevalue("s3_endpoint")]
    elif case.target == "s3-denied":
        argv += ["--endpoint-url", request.getfixturevalue("fault_proxy")(rates={"forbidden": 1.0}).url]
    before = fingerprint_dir(store)

    env = cli_env(
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),  # never the developer's real AWS setup
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    if case.target in ("none", "local"):
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            env.pop(var, None)
    res = run_cli(*argv, cwd=project, env=env, timeout=case.timeout + 60)

    line = assert_clean_error(res, case.exit)
    assert fingerprint_dir(store) == before, f"{case.id} changed the store"
    assert list(canary.iterdir()) == [], f"{case.id}: a pickle ran code"
    reliability_stats["bad_inputs"] += 1
    reliability_stats.setdefault("bad_input_lines", {})[case.id] = line


def test_listing_survives_a_broken_class(base_store: Path, tmp_path: Path, canary: Path) -> None:
    """One broken class must not hide the others: ls still lists them, and says what is wrong."""
    store = tmp_path / "store"
    shutil.copytree(base_store, store)
    apply(("pointer", "Good", "garbage.bin"), store, canary)
    apply(("pointer_evil", "Lab"), store, canary)
    apply(("truncate", "O1"), store, canary)
    write_file(store, "plugins/Données/" + "e" * 64 + ".pkl", benign_class_pickle("Données", 5))
    write_file(store, "plugins/bad name!/latest.json", b"{}")
    write_file(store, "plugins/Good/.latest.json.0123.tmp", b"half a poin")
    write_file(store, "plugins/Other/history/20261127T000000000000Z-" + HASHES["O1"] + ".json", b"{garbage")
    undecodable = os.fsencode(store / "plugins") + b"/Bad\xff\xfeName"  # not UTF-8: a name from another OS
    os.makedirs(undecodable)
    with open(undecodable + b"/latest.json", "wb") as fh:
        fh.write(b"{}")
    before = fingerprint_dir(store)

    res = run_cli("ls", "--json", "--storage", str(store), cwd=tmp_path)

    assert "Traceback" not in res.err, str(res)
    assert res.rc in (0, 4), str(res)
    names = {c["name"] for c in res.json()}
    assert {"Good", "Other", "Lab", "Données"} <= names, str(res)
    for argv in (("ls",), ("verify",), ("log", "Other", "--json")):
        res = run_cli(*argv, "--storage", str(store), cwd=tmp_path)
        assert "Traceback" not in res.err and res.rc in (0, 4), str(res)
    assert res.rc == 0  # a garbled history record is skipped by log (verify warns about it)
    assert fingerprint_dir(store) == before
    assert list(canary.iterdir()) == []


def test_module_printing_megabytes_still_hashes(tmp_path: Path) -> None:
    """User code that floods stdout must not break the agent protocol nor our --json."""
    project = make_project(tmp_path / "project")
    corpus_module("prints_megabytes", project)

    res = run_cli("hash", "--json", "--module", "prints_megabytes", cwd=project)

    assert res.rc == 0, str(res)
    entries = res.json()
    assert [e["name"] for e in entries] == ["Chatty"]
    assert len(entries[0]["hash"]) == 64
