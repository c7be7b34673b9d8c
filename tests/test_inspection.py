"""inspect_version / describe_ref / diff_refs on real stores (a folder and S3 on moto)."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import boto3
import cloudpickle
import pytest

from petbrowser.core import inspection
from petbrowser.core.agent import disasm
from petbrowser.core.errors import ProjectError
from petbrowser.core.manager import PetClassManager
from petbrowser.core.models import ClassDescription, LocalClass
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store

V1 = """
class Scaler:
    factor = 2

    def apply(self, x, k=1):
        return x * self.factor + k
"""


def dynamic_class(src: str, name: str = "Scaler") -> type:
    """A class from a module that is not importable, so cloudpickle pickles it by value."""
    ns: dict = {"__name__": "pb_inspect_dyn"}
    exec(compile(textwrap.dedent(src), "scaler.py", "exec"), ns)
    return ns[name]


def hexhash(tag: str) -> str:
    return hashlib.sha256(tag.encode()).hexdigest()


def write_version(root: Path, name: str, h: str, pkl: bytes, meta: dict | None = None) -> None:
    d = root / "plugins" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{h}.pkl").write_bytes(pkl)
    if meta is not None:
        (d / f"{h}.meta.json").write_text(json.dumps(meta))
    (d / "latest.json").write_text(json.dumps({"hash": h, "class_name": name}))


def evil_pickle(canary: Path) -> bytes:
    return f"cposix\nsystem\n(S'touch {canary}'\ntR.".encode()


def test_meta_less_version_is_described_from_its_pickle(tmp_path: Path) -> None:
    cls = dynamic_class(V1)
    h = hexhash("v1")
    write_version(tmp_path, "Scaler", h, cloudpickle.dumps(cls))
    res = inspection.inspect_version(Store(open_storage(tmp_path)), "Scaler", h)
    assert not res.has_meta and res.safe and res.ok and not res.by_reference
    assert res.describe.to_json()["methods"] == disasm.method_table(cls)
    assert res.describe.attributes == {"factor": "2"}
    data = json.loads(json.dumps(res.to_json()))
    assert data["has_meta"] is False and data["unsafe"] == [] and data["safe"] is True


def test_unsafe_is_from_the_pickle_even_when_meta_looks_harmless(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    cls = dynamic_class(V1)
    h = hexhash("evil")
    pkl = evil_pickle(canary)
    meta = {
        "class_name": "Scaler",
        "module": "pb_inspect_dyn",
        "qualname": "Scaler",
        "bases": ["builtins.object"],
        "python_version": "3.11.7",
        "source": None,
        "methods": disasm.method_table(cls),
        "attributes": {"factor": "2"},
        "pkl_sha256": hashlib.sha256(pkl).hexdigest(),
    }
    write_version(tmp_path, "Scaler", h, pkl, meta)
    res = inspection.inspect_version(Store(open_storage(tmp_path)), "Scaler", h)
    assert res.describe.to_json()["methods"] == meta["methods"]  # browsing uses the sidecar...
    assert "posix.system" in res.unsafe and not res.safe  # ...safety uses the bytes
    assert not canary.exists()


def test_digest_mismatch_is_a_problem(tmp_path: Path) -> None:
    cls = dynamic_class(V1)
    h = hexhash("tampered")
    pkl = cloudpickle.dumps(cls)
    meta = {"methods": {}, "pkl_sha256": hashlib.sha256(b"something else").hexdigest()}
    write_version(tmp_path, "Scaler", h, pkl, meta)
    res = inspection.inspect_version(Store(open_storage(tmp_path)), "Scaler", h)
    assert res.safe and not res.ok
    assert any("digest" in p for p in res.problems)


class LocalManager(PetClassManager):
    """A manager whose project scan is a given list (the child-process scan is tested elsewhere)."""

    def __init__(self, storage: Any, local: list[LocalClass]) -> None:
        super().__init__(storage, project=type("P", (), {"modules": ["lib"]})())
        self._local = local

    def scan(self, modules: Any = None) -> list[LocalClass]:
        return self._local


def local_class(cls: type) -> LocalClass:
    desc = {
        "class_name": cls.__name__,
        "module": cls.__module__,
        "qualname": cls.__qualname__,
        "bases": [f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__],
        "python_version": disasm.python_tag(),
        "source": None,
        "methods": disasm.method_table(cls),
        "attributes": {"factor": "2"},
    }
    return LocalClass(
        cls.__name__, cls.__module__, cls.__qualname__, None, "0" * 64, {}, ClassDescription.from_json(desc)
    )


def test_diff_refs_between_versions_and_local(tmp_path: Path) -> None:
    v1 = dynamic_class(V1)
    v2 = dynamic_class(V1.replace("k=1", "k=5"))
    h1, h2 = hexhash("one"), hexhash("two")
    write_version(tmp_path, "Scaler", h1, cloudpickle.dumps(v1))
    write_version(tmp_path, "Scaler", h2, cloudpickle.dumps(v2))  # latest -> h2
    mgr = LocalManager(open_storage(tmp_path), [local_class(v1)])

    d = inspection.diff_refs(mgr, "Scaler", h1[:8], "latest")
    assert (d.a_label, d.b_label) == (h1[:12], f"latest ({h2[:12]})")
    (m,) = d.changed_methods
    assert m.name == "apply" and m.signature_change == ("(self, x, k=1)", "(self, x, k=5)")

    d = inspection.diff_refs(mgr, "Scaler", h1)  # b defaults to local with a project
    assert d.b_label == "local" and not d.has_changes

    side = inspection.describe_ref(mgr, "Scaler", "local")
    assert side.label == "local" and side.describe.to_json()["methods"] == disasm.method_table(v1)
    with pytest.raises(ProjectError):
        inspection.describe_ref(mgr, "Missing", "local")


def test_diff_refs_flags_an_unsafe_side(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    h1, h2 = hexhash("good"), hexhash("bad")
    write_version(tmp_path, "Scaler", h1, cloudpickle.dumps(dynamic_class(V1)))
    write_version(tmp_path, "Scaler", h2, evil_pickle(canary))
    mgr = PetClassManager(open_storage(tmp_path))
    d = inspection.diff_refs(mgr, "Scaler", h1, "latest")  # no project: b would be latest anyway
    assert any("unsafe" in n and "posix.system" in n for n in d.notes)
    assert "removed" in {m.status for m in d.methods}
    assert not canary.exists()


def test_inspect_on_s3(s3_url: str, s3_bucket: str, s3_endpoint: str) -> None:
    cls = dynamic_class(V1)
    h = hexhash("s3")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    prefix = "team-store/plugins/Scaler"
    client.put_object(Bucket=s3_bucket, Key=f"{prefix}/{h}.pkl", Body=cloudpickle.dumps(cls))
    client.put_object(
        Bucket=s3_bucket,
        Key=f"{prefix}/latest.json",
        Body=json.dumps({"hash": h, "class_name": "Scaler"}).encode(),
    )
    mgr = PetClassManager(open_storage(s3_url, endpoint_url=s3_endpoint))
    res = mgr.inspect("Scaler", "latest")
    assert res.hash == h and res.safe
    assert res.describe.methods["apply"].signature == "(self, x, k=1)"
