"""Choosing the hash scheme while another petbrowser is pushing (tests/reliability/test_races.py).

A push writes a version's ``.pkl``, then its ``.meta.json``.  A version seen
in between looked like LabChain's (no petbrowser metadata), so a concurrent
push chose LabChain's hash and stored the same class a second time.  A young
version's sidecar is now waited for, briefly; an old bare version is
LabChain's at once.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import time

from petbrowser.core import layout
from petbrowser.core.snapshots import listing_evidence
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store

H = hashlib.sha256(b"v").hexdigest()


def _bare_version(tmp_path, age_s: float) -> Store:
    store = Store(open_storage(str(tmp_path / "store")), cache=False)
    store.storage.create(layout.version_key("Model", H), pickle.dumps({"x": 1}))
    if age_s:
        path = tmp_path / "store" / layout.version_key("Model", H)
        then = time.time() - age_s
        os.utime(path, (then, then))
    return store


def test_an_old_version_without_metadata_is_labchains_at_once(tmp_path):
    store = _bare_version(tmp_path, age_s=3600)
    t0 = time.monotonic()
    assert "has no petbrowser metadata" in (store.labchain_evidence(wait=True) or "")
    assert "has no petbrowser metadata" in (listing_evidence(store.list_classes(), store) or "")
    assert time.monotonic() - t0 < store.SIDECAR_WAIT_S  # nothing waited for


def test_a_version_whose_sidecar_follows_is_not_evidence(tmp_path):
    store = _bare_version(tmp_path, age_s=0)
    listing = store.list_classes()  # taken between the .pkl and its sidecar
    assert not listing[0].versions[0].has_meta

    def write_sidecar() -> None:
        time.sleep(0.3)
        store.storage.create(layout.meta_key("Model", H), b'{"hash_scheme": "pb1"}')

    threading.Thread(target=write_sidecar).start()
    assert listing_evidence(listing, store) is None
    assert store.labchain_evidence(wait=True) is None
    # a status only reports: it never waits, and says what it sees
    (tmp_path / "store" / layout.meta_key("Model", H)).unlink()
    assert "has no petbrowser metadata" in (store.labchain_evidence() or "")
    assert "has no petbrowser metadata" in (listing_evidence(listing) or "")


def test_a_young_version_whose_sidecar_never_comes_is_labchains_after_the_wait(tmp_path, monkeypatch):
    store = _bare_version(tmp_path, age_s=0)
    monkeypatch.setattr(Store, "SIDECAR_WAIT_S", 0.3)
    t0 = time.monotonic()
    assert "has no petbrowser metadata" in (store.labchain_evidence(wait=True) or "")
    assert 0.3 <= time.monotonic() - t0 < 5
