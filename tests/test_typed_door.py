"""One typed door into core (issue 14, core and CLI): typed results that lose nothing of
the describe dict, a manager that returns no ``Any``, one fan-out for code outside the
store, verify in history's causal order, and the CLI writing sizes and times by core's rules."""

from __future__ import annotations

import hashlib
import json
import pickle
import textwrap
import typing
from collections import OrderedDict
from pathlib import Path

import cloudpickle
import pytest

from petbrowser.core import manager as manager_module
from petbrowser.core import snapshots
from petbrowser.core.agent.describe import describe_class
from petbrowser.core.errors import ConfigError, IntegrityError, StoreUnreachableError
from petbrowser.core.manager import PetClassManager
from petbrowser.core.models import ClassDescription, InspectResult, format_size, local_time
from petbrowser.core.project import Project
from petbrowser.core.safe_pickle import scan_pickle
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store
from petbrowser.core.watch import StoreWatcher
from tests.test_cli_store import run
from tests.timetravel_helpers import moves, slow_clock_chain, version

SRC = """
class Scaler:
    factor = 2

    @property
    def size(self):
        return self.factor

    def apply(self, x, k=1):
        return [v * self.factor + k for v in x]
"""


def _dynamic(src: str = SRC, name: str = "Scaler") -> type:
    ns: dict = {"__name__": "pb_typed_dyn"}
    exec(compile(textwrap.dedent(src), "scaler.py", "exec"), ns)
    return ns[name]


# ------------------------------------------------------- the describe dict, typed once
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: describe_class(_dynamic()), id="agent"),
        pytest.param(lambda: scan_pickle(cloudpickle.dumps(_dynamic())).describe.to_json(), id="walked"),
        pytest.param(lambda: scan_pickle(pickle.dumps(OrderedDict)).describe.to_json(), id="by-reference"),
    ],
)
def test_every_describe_dict_survives_its_one_conversion_unchanged(make) -> None:
    """What the agent, the scan worker and a sidecar carry converts to ClassDescription and back
    key for key: the JSON the CLI prints and the sidecar a push writes do not change."""
    doc = json.loads(json.dumps(make()))
    typed = ClassDescription.from_json(doc)
    assert typed.to_json() == doc
    assert list(typed.to_json()) == list(doc)  # the same keys, in the same order


def test_the_three_producers_agree_on_one_shape() -> None:
    """A live class, its walked pickle and a by-reference pickle: one key set, plus the
    walk's ``globals`` and the by-reference flag where (and only where) they apply."""
    live = describe_class(_dynamic())
    walked = scan_pickle(cloudpickle.dumps(_dynamic())).describe.to_json()
    named = scan_pickle(pickle.dumps(OrderedDict)).describe.to_json()
    assert set(walked) == set(live) | {"globals"}
    assert set(named) == set(live) | {"globals", "by_reference"}
    assert walked["methods"] == live["methods"] and walked["attributes"] == live["attributes"]


def test_a_hostile_sidecar_converts_without_raising() -> None:
    """A .meta.json is data anyone could edit: wrong types read as absent, never a traceback."""
    doc = {"class_name": 7, "bases": "x", "methods": {"f": 5, "g": {"kind": ["?"]}},
           "attributes": {"a": 1}, "globals": "no", "by_reference": "yes"}  # fmt: skip
    d = ClassDescription.from_json(doc)
    assert (d.class_name, d.bases, d.globals, d.by_reference) == (None, (), None, False)
    assert d.methods["f"].disassembly is None and d.methods["g"].kind is None
    assert d.attributes == {"a": "1"}


# ------------------------------------------------------------------ the manager's types
def test_the_manager_returns_no_any() -> None:
    """Every public call of the facade names its result type (STYLE: the type is the doc)."""
    from petbrowser.core import diff, inspection, models

    ns = {**vars(diff), **vars(inspection), **vars(snapshots), **vars(models), **vars(manager_module)}
    ns.update(Project=Project, StoreWatcher=StoreWatcher)
    untyped = []
    for name, member in vars(PetClassManager).items():
        if name.startswith("_"):
            continue
        fn = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        if not callable(fn):
            continue
        hints = typing.get_type_hints(fn, globalns=ns)
        if "return" not in hints or "Any" in repr(hints["return"]):
            untyped.append(name)
    assert untyped == []


def test_inspect_answers_in_typed_fields(tmp_path: Path) -> None:
    cls = _dynamic()
    pkl = cloudpickle.dumps(cls)
    h = hashlib.sha256(b"typed").hexdigest()
    store = Store(open_storage(tmp_path), user="ana@lab")
    meta = {**describe_class(cls), "hash": h, "hash_scheme": "pb1", "cloudpickle_version": "3.1.1",
            "pkl_sha256": hashlib.sha256(pkl).hexdigest(), "pkl_size": len(pkl)}  # fmt: skip
    store.write_version("Scaler", h, pkl, meta)
    store.move_latest("Scaler", h, None, action="push")
    res = PetClassManager(open_storage(tmp_path)).inspect("Scaler")
    assert isinstance(res, InspectResult) and isinstance(res.describe, ClassDescription)
    assert (res.has_meta, res.hash_scheme, res.cloudpickle_version) == (True, "pb1", "3.1.1")
    assert res.describe.methods["apply"].signature == "(self, x, k=1)"
    assert res.describe.globals is not None  # the walk's names, beside the sidecar's methods


def test_pull_refuses_a_digest_mismatch_with_short_hashes(tmp_path: Path) -> None:
    """Pull and inspect share one digest check; both say it with the one short-hash rule."""
    h = hashlib.sha256(b"tampered").hexdigest()
    folder = tmp_path / "plugins" / "Scaler"
    folder.mkdir(parents=True)
    (folder / f"{h}.pkl").write_bytes(cloudpickle.dumps(_dynamic()))
    (folder / f"{h}.meta.json").write_text(json.dumps({"methods": {}, "pkl_sha256": "f" * 64}))
    store = Store(open_storage(tmp_path), user="ana@lab")
    with pytest.raises(IntegrityError) as err:
        snapshots.pull(store, None, "Scaler", h)
    assert err.value.message.startswith(f"version {h[:12]} of Scaler: the .pkl digest ")
    assert f"({'f' * 12}); nothing was loaded" in err.value.message


# ------------------------------------------------------------ the store's public fan-out
class _Unreachable:
    """A storage whose every read fails as a dead endpoint does."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def read_with_token(self, key):
        raise StoreUnreachableError("endpoint went away")


def test_gather_gives_each_result_or_its_error_and_stops_on_a_dead_store(any_storage) -> None:
    store = Store(any_storage, user="ana@lab", max_workers=4)
    a = version(store, "Alpha", 1)
    moves(store, "Alpha", ("2026-03-02T10:00:00.000000Z", "push", None, a, "ana@lab"))
    got = store.gather((n, lambda n=n: store.read_pointer(n)) for n in ("Alpha", "Missing", "bad/name"))
    assert got["Alpha"].hash == a and got["Missing"] is None
    assert "bad/name" in str(got["bad/name"].message)  # that one object's error, not an exception
    dead = Store(_Unreachable(any_storage), user="ana@lab")
    with pytest.raises(StoreUnreachableError):
        dead.gather([("Alpha", lambda: dead.read_pointer("Alpha"))])


# ---------------------------------------------------- verify reads history causally
def test_verify_takes_the_last_move_in_causal_order_under_a_skewed_clock(any_storage) -> None:
    """carol's clock is 5 minutes slow: her move after bob's sorts first by key.  Her record
    is the last move (the one history() ends with), so nothing moved without a record; when
    LabChain then moves the pointer, the warning names her record as the last one."""
    from tests.timetravel_helpers import set_pointer

    store = Store(any_storage, user="tester@lab")
    _, _, a3 = slow_clock_chain(store, "Skewed")
    a4 = version(store, "Skewed", 4)
    assert store.history("Skewed")[-1].to_hash == a3 == store.read_pointer("Skewed").hash
    assert not [w for w in store.verify().warnings if "without a history record" in w.message]
    set_pointer(store, "Skewed", a4)  # LabChain moves it: no record
    (warn,) = [w for w in store.verify().warnings if "without a history record" in w.message]
    assert f"moved to {a4[:12]}" in warn.message and f"last record: {a3[:12]}" in warn.message


# ------------------------------------------------------- the CLI writes by core's rules
def test_cli_log_writes_sizes_and_times_as_the_window_does(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store(open_storage(root), user="ana@lab")
    data = pickle.dumps({"pad": "x" * 3000}, protocol=4)  # over a KB: "2.9 KB", not "3018 B"
    h = hashlib.sha256(data).hexdigest()
    store.write_version("Alpha", h, data, None)
    moves(store, "Alpha", ("2026-03-02T10:00:00.000000Z", "push", None, h, "ana@lab"))
    size = store.get_class("Alpha").versions[0].size
    out = run(tmp_path, "log", "Alpha", "--storage", str(root))
    assert out.returncode == 0, out.stderr
    (line,) = [ln for ln in out.stdout.splitlines() if ln.startswith(f"* {h[:12]}")]
    assert format_size(size) in line and "KB" in format_size(size)
    stamp = "2026-03-02T10:00:00.000000Z"
    out = run(tmp_path, "log", "--all", "--storage", str(root))
    assert local_time(stamp, "%a %Y-%m-%d") in out.stdout
    assert local_time(stamp, "%H:%M:%S") in out.stdout


def test_hashing_needs_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``hash`` opens the project without a store (``require_store=False``) and says so;
    every store call of such a manager says what opening with a store would have said."""
    (tmp_path / "mod.py").write_text(SRC)
    (tmp_path / "pyproject.toml").write_text('[tool.petbrowser]\nmodules = ["mod"]\n')
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)
    manager = PetClassManager.open(tmp_path, require_store=False)
    found = manager.local_hashes()
    assert ([c.name for c in found.classes], found.scheme, found.why) == (["Scaler"], "pb1", "no store configured")
    with pytest.raises(ConfigError, match="no store configured"):
        manager.list_classes()
    out = run(tmp_path, "hash")
    assert out.returncode == 0, out.stderr
    assert "hash scheme in effect: pb1 (no store configured)" in out.stdout
    assert "Scaler" in out.stdout and out.stderr == ""
    out = run(tmp_path, "ls")  # the store commands still need one
    assert out.returncode == 1 and "no store configured" in out.stderr
