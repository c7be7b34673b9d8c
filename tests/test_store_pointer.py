"""latest.json parsing (JSON and LabChain's pickled dict), names and key layout."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timezone

import pytest

from petbrowser.core import layout
from petbrowser.core.errors import CorruptPointerError, InvalidNameError
from petbrowser.core.models import Pointer
from petbrowser.core.names import validate_class_name, validate_hash
from petbrowser.core.pointer import encode_pointer, parse_pointer, written_by_petbrowser

H1 = "1" * 64
H2 = "2" * 64


class _Canary:
    """Pickles to "call os.system(touch <path>)" when loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.path}",))


def test_json_pointer_round_trip():
    ptr = parse_pointer(json.dumps({"hash": H1, "class_name": "A", "note": "x"}).encode(), "A")
    assert (ptr.hash, ptr.encoding, ptr.extra) == (H1, "json", {"note": "x"})
    moved = Pointer(H2, "A", "json", updated_at="t", updated_by="u@h", previous=H1, extra=ptr.extra)
    again = parse_pointer(encode_pointer(moved), "A")
    assert (again.hash, again.previous, again.updated_by, again.extra) == (
        H2,
        H1,
        "u@h",
        {"note": "x"},
    )


def test_labchain_pickled_dict_pointer_is_read_and_written_as_a_plain_dict_of_strings():
    data = pickle.dumps({"hash": H1, "class_name": "A"})
    ptr = parse_pointer(data, "A")
    assert (ptr.hash, ptr.encoding) == (H1, "pickle")
    assert not written_by_petbrowser(ptr)  # LabChain's bare pointer
    moved = Pointer(H2, "A", ptr.encoding, updated_at="t", updated_by="u@h", extra={"action": "push"})
    out = encode_pointer(moved)
    # what LabChain reads (plain pickle.loads): text only, no None for the missing 'previous'
    assert pickle.loads(out) == {
        "hash": H2, "class_name": "A", "updated_at": "t", "updated_by": "u@h", "action": "push"
    }  # fmt: skip
    again = parse_pointer(out, "A")
    assert (again.encoding, again.updated_by, again.extra) == ("pickle", "u@h", {"action": "push"})
    assert written_by_petbrowser(again)


def test_pickled_pointer_with_a_global_is_refused_without_running_it(tmp_path):
    canary = tmp_path / "canary"
    for payload in (_Canary(str(canary)), {"hash": _Canary(str(canary)), "class_name": "A"}):
        with pytest.raises(CorruptPointerError, match="needs code to load"):
            parse_pointer(pickle.dumps(payload), "A")
    assert not canary.exists()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"garbage \x00\x01", "neither JSON nor a plain pickled dict"),
        (b"", "neither JSON"),
        (b"[1, 2]", "is a list"),
        (json.dumps({"hash": 5}).encode(), "no 'hash'"),
        (json.dumps({"class_name": "A"}).encode(), "no 'hash'"),
        (json.dumps({"hash": "zz"}).encode(), "hash 'zz' is not 64 hex"),
        (json.dumps({"hash": "AB" * 32}).encode(), "not 64 hex"),
        (json.dumps({"hash": H1, "class_name": "B"}).encode(), "names another class"),
        (json.dumps({"hash": H1, "previous": 3}).encode(), "'previous' is a int"),
        (pickle.dumps({"hash": H1, "n": 3}), "int for 'n'"),
        (pickle.dumps([H1]), "is a list"),
        (pickle.dumps({"hash": H1})[:-3], "neither JSON"),
        (b"x" * 70000, "too big"),
    ],
)
def test_bad_pointers_name_the_class_and_why(data, why):
    with pytest.raises(CorruptPointerError, match=why) as err:
        parse_pointer(data, "A")
    assert "'A'" in str(err.value)


@pytest.mark.parametrize(
    "name", ["", "a/b", "a\\b", "..", "..x", ".hidden", "a\x00b", "a b", "1abc", "a.b"]
)
def test_invalid_class_names(name):
    with pytest.raises(InvalidNameError):
        validate_class_name(name)


def test_valid_names_and_hashes():
    assert validate_class_name("MyFilter_2") == "MyFilter_2"
    assert validate_hash(H1) == H1
    for bad in ("a" * 63, "A" * 64, "g" * 64, None):
        with pytest.raises(InvalidNameError):
            validate_hash(bad)


def test_layout_keys_round_trip():
    at = datetime(2026, 11, 27, 2, 30, 0, 123456, tzinfo=timezone.utc)
    assert layout.version_key("A", H1) == f"plugins/A/{H1}.pkl"
    assert layout.meta_key("A", H1) == f"plugins/A/{H1}.meta.json"
    assert layout.latest_key("A") == "plugins/A/latest.json"
    hkey = layout.history_key("A", at, H2)
    assert hkey == f"plugins/A/history/20261127T023000123456Z-{H2}.json"
    assert layout.parse_key(layout.version_key("A", H1)) == ("A", "pkl", H1)
    assert layout.parse_key(layout.meta_key("A", H1)) == ("A", "meta", H1)
    assert layout.parse_key("plugins/A/latest.json") == ("A", "latest", None)
    assert layout.parse_key(hkey) == ("A", "history", H2)
    assert layout.parse_key("plugins/A/notes.txt") == ("A", "other", None)
    assert layout.parse_key("plugins/A/history/junk.json") == ("A", "other", None)
    assert layout.parse_key("elsewhere/A/latest.json") is None
    with pytest.raises(InvalidNameError):
        layout.version_key("../A", H1)
    later = layout.history_key("A", at.replace(microsecond=123457), H1)
    assert sorted([later, hkey]) == [hkey, later]  # keys sort by time
