"""Method history across real pushed versions (child processes, both backends):
changed, renamed and removed methods; and versions without metadata (LabChain's)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from petbrowser.core import snapshots
from petbrowser.core.errors import NotFoundError
from petbrowser.core.manager import PetClassManager
from petbrowser.core.project import Project
from petbrowser.core.storage import open_storage

V1 = '''
class Model:
    def fit(self, xs):
        self.mean = sum(xs) / len(xs)
        return self

    def helper(self, v):
        return [x * 2 for x in v]

    def predict(self, xs):
        return [self.mean for _ in xs]
'''
# fit changes; helper is renamed _helper (same body, comprehension included); predict stays
V2 = V1.replace("sum(xs) / len(xs)", "sum(xs) / max(1, len(xs))").replace("def helper", "def _helper")
# predict removed; score added
V3 = V2.replace(
    "    def predict(self, xs):\n        return [self.mean for _ in xs]\n",
    "    def score(self, xs):\n        return -abs(sum(xs) - self.mean)\n",
)

DATA = Path(__file__).parent / "data" / "labchain_stores"


def _write(root: Path, text: str) -> None:
    (root / "models.py").write_text(text)
    shutil.rmtree(root / "__pycache__", ignore_errors=True)


@pytest.fixture()
def pushed(tmp_path: Path, any_storage) -> tuple[PetClassManager, list[str]]:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.petbrowser]\nmodules = ["models"]\n')
    project = Project.load(root, python=sys.executable)
    hashes = []
    for user, text in (("alice@lab", V1), ("bob@lab", V2), ("carol@lab", V3)):
        manager = PetClassManager(any_storage, project, user=user)
        _write(root, text)
        [res] = snapshots.push(manager.store, project, ["Model"])
        assert res.moved
        hashes.append(res.hash)
    return PetClassManager(any_storage, project, user="dana@lab"), hashes


def test_blame_follows_changes_renames_and_removals(pushed):
    manager, (h1, h2, h3) = pushed
    b = manager.blame("Model")
    assert b.versions == (h1, h2, h3)
    by_name = {m.name: m for m in b.methods}
    assert [m.name for m in b.methods] == ["_helper", "fit", "score", "predict"]  # present first

    fit = by_name["fit"]
    assert [(c.change, c.hash, c.pushed_by) for c in fit.changes] == [
        ("changed", h2, "bob@lab"), ("added", h1, "alice@lab"),
    ]  # fmt: skip
    assert fit.changes[0].what == ("bytecode",) and fit.changes[0].pushed_at
    assert (fit.changes[0].previous, fit.changes[1].previous) == (h1, None)  # the step to diff

    helper = by_name["_helper"]
    assert helper.names == ("_helper", "helper")
    assert [(c.change, c.old_name, c.what) for c in helper.changes] == [
        ("renamed", "helper", ()), ("added", None, ()),
    ]  # fmt: skip

    predict = by_name["predict"]
    assert not predict.present
    assert [(c.change, c.hash) for c in predict.changes] == [("removed", h3), ("added", h1)]
    assert [(c.change, c.hash) for c in by_name["score"].changes] == [("added", h3)]


def test_blame_of_one_method_under_its_old_name_and_an_unknown_method(pushed):
    manager, (h1, h2, _) = pushed
    b = manager.blame("Model", "helper")
    assert [m.name for m in b.methods] == ["_helper"]
    with pytest.raises(NotFoundError, match="no method 'nope' in any version of Model"):
        manager.blame("Model", "nope")


def test_restore_plan_names_the_methods_that_change(pushed):
    manager, (h1, _, h3) = pushed
    from petbrowser.core.restore import code_changes

    changes = code_changes(manager.store, "Model", h3, h1)
    assert dict(changes.methods) == {
        "fit": "changed", "helper": "added", "_helper": "removed",
        "predict": "added", "score": "removed",
    }  # fmt: skip
    assert "~fit" in changes.summary() and "-score" in changes.summary()


def test_blame_of_labchain_versions_without_metadata(tmp_path: Path):
    """No sidecars: the versions are walked statically and ordered by their object time."""
    v1, v2 = "98d201d866a6d8920003a210eb5de86321390cb5b50f27a612601010f5ea3acc", (
        "bb955877f6bf78976308991be77fc6af20e517938085170d38052d19ea82ec37"
    )
    store_dir = tmp_path / "by_value"
    shutil.copytree(DATA / "by_value", store_dir)
    for h, t in ((v1, 1_700_000_000), (v2, 1_700_086_400)):
        os.utime(store_dir / "plugins" / "Scaler" / f"{h}.pkl", (t, t))
    b = PetClassManager(open_storage(store_dir)).blame("Scaler")
    assert b.versions == (v1, v2)
    by_name = {m.name: m for m in b.methods}
    assert [(c.change, c.hash) for c in by_name["predict"].changes] == [("changed", v2), ("added", v1)]
    assert [c.change for c in by_name["__init__"].changes] == ["added"]

    by_ref = tmp_path / "by_reference"
    shutil.copytree(DATA / "by_reference", by_ref)
    b = PetClassManager(open_storage(by_ref)).blame("Scaler")
    assert b.methods == () and len(b.notes) == 2 and "by reference" in b.notes[0]
