"""A store writer that the crash test kills with SIGKILL at random moments.

Run as a script (``python crash_writer.py URL ENDPOINT LOG SEED MAX_SIZE``): it
opens the store, prints ``ready``, then loops forever pushing versions (random
bytes, wrapped as a pickle so verify can walk them, standing in for a class
snapshot; metadata carries their sha256 and size)
and moving ``latest`` with compare-and-swap, through ``petbrowser.core``
directly.  It appends to LOG, with one unbuffered ``write`` each, only AFTER
the core call returned:

    wrote <class> <hash>                      write_version returned
    moved <class> <from|-> <to> <action>      move_latest returned

so the test can hold the store to everything the writer was told had happened.

``--zygote`` mode imports everything once and forks one writer per ``go
SEED`` line read on stdin (printing ``pid N``, then ``dead N STATUS`` when it
has been reaped): imports cost 0.3-0.8 s on a busy machine, which would
otherwise be most of each kill cycle.  Every writer is still its own
process, killed with SIGKILL.  ``--write-once`` writes one version when told
``go`` on stdin: the same-version race of test_races.py.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import sys

CLASSES = ("Alpha", "Beta", "Gamma")


def open_store(url: str, endpoint: str):  # noqa: ANN201 - Store, imported lazily
    from petbrowser.core.store import Store

    if url.startswith("s3://"):
        from petbrowser.core.storage.s3 import S3Storage

        bucket, _, prefix = url[len("s3://") :].partition("/")
        storage = S3Storage(bucket, prefix, endpoint_url=endpoint if endpoint != "-" else None,
                            read_timeout=5, max_attempts=3)
    else:
        from petbrowser.core.storage.local import LocalStorage

        storage = LocalStorage(url)
    return Store(storage, user="crash-writer@test")


def _meta(name: str, h: str, data: bytes) -> dict:
    return {
        "format": 1,
        "class_name": name,
        "module": "crash_mod",
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
        "pushed_at": "2026-11-27T03:00:00Z",
        "pushed_by": "crash-writer@test",
        "pkl_sha256": hashlib.sha256(data).hexdigest(),
        "pkl_size": len(data),
        "by_reference": False,
    }


def known_versions(log_path: str) -> dict[str, list[str]]:
    """Versions earlier writers were told exist (from the log)."""
    known: dict[str, list[str]] = {c: [] for c in CLASSES}
    try:
        with open(log_path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 3 and parts[0] == "wrote" and parts[1] in known:
                    known[parts[1]].append(parts[2])
    except FileNotFoundError:
        pass
    return known


def write_loop(store, log_path: str, seed: int, max_size: int) -> None:  # noqa: ANN001
    from petbrowser.core.errors import AlreadyExistsError

    rng = random.Random(seed)
    known = known_versions(log_path)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(1, b"ready\n")  # one write: a zygote shares this pipe with its writers
    while True:
        name = rng.choice(CLASSES)
        ptr = store.read_pointer(name)
        current = ptr.hash if ptr is not None else None
        if not known[name] or rng.random() < 0.6:
            # Random bytes wrapped as a pickle: verify walks every .pkl's opcodes.
            data = pickle.dumps(rng.randbytes(rng.randint(1, max_size)), protocol=4)
            h = hashlib.sha256(name.encode() + data).hexdigest()
            try:
                store.write_version(name, h, data, _meta(name, h, data))
            except AlreadyExistsError:
                pass  # same bytes already stored: fine, that is what content addressing means
            os.write(log, f"wrote {name} {h}\n".encode())
            known[name].append(h)
            action = "push"
        else:
            h = rng.choice(known[name])
            action = "rollback"
        if h == current:
            continue
        store.move_latest(name, h, current, action=action)
        os.write(log, f"moved {name} {current or '-'} {h} {action}\n".encode())


def zygote(url: str, endpoint: str, log_path: str, max_size: int) -> None:
    store = open_store(url, endpoint)
    import petbrowser.core.errors  # noqa: F401 - imported before fork, not after

    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd != "go":
            break
        pid = os.fork()
        if pid == 0:  # the writer
            try:
                sys.stdin.close()
                write_loop(store, log_path, int(arg), max_size)
            except BaseException as exc:  # noqa: BLE001 - report and die, never return to the loop
                sys.stderr.write(f"writer failed: {type(exc).__name__}: {exc}\n")
                sys.stderr.flush()
                os._exit(1)
        os.write(1, f"pid {pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        os.write(1, f"dead {pid} {status}\n".encode())


def write_once(url: str, endpoint: str, name: str, h: str, data_file: str) -> None:
    """Open the store, say ready, wait for 'go', write one version: the same-version race."""
    store = open_store(url, endpoint)
    with open(data_file, "rb") as fh:
        data = fh.read()
    meta = _meta(name, h, data)
    print("ready", flush=True)
    sys.stdin.readline()
    store.write_version(name, h, data, meta)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--write-once":
        write_once(*argv[1:6])
        return
    if argv and argv[0] == "--zygote":
        url, endpoint, log_path, max_size = argv[1:5]
        zygote(url, endpoint, log_path, int(max_size))
        return
    url, endpoint, log_path, seed, max_size = argv[:5]
    write_loop(open_store(url, endpoint), log_path, int(seed), int(max_size))


if __name__ == "__main__":
    main(sys.argv[1:])
