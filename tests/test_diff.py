"""The structural diff: each kind of change shows up as exactly that change."""

from __future__ import annotations

import json
import textwrap

import pytest

from petbrowser.core import diff as diff_mod
from petbrowser.core.agent import disasm
from petbrowser.core.diff import diff_describe, method_sources, side_by_side
from petbrowser.core.models import ClassDescription

BASE_MODULE = """
class Base:
    pass

class Other:
    pass
"""


def describe(src: str, name: str = "Model", python_version: str = "3.11.7") -> ClassDescription:
    """The description of a real class compiled from ``src``."""
    src = textwrap.dedent(src)
    ns: dict = {"__name__": "pb_diff_test"}
    exec(compile(BASE_MODULE + src, "model.py", "exec"), ns)
    cls = ns[name]
    attrs = {
        k: repr(v)
        for k, v in sorted(cls.__dict__.items())
        if not k.startswith("__")
        and not callable(v)
        and not isinstance(v, (property, staticmethod, classmethod))
    }
    return ClassDescription.from_json({
        "class_name": name,
        "module": cls.__module__,
        "qualname": cls.__qualname__,
        "bases": [f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__],
        "python_version": python_version,
        "source": src,
        "methods": disasm.method_table(cls),
        "attributes": attrs,
    })  # fmt: skip


V1 = """
class Model(Base):
    limit = 10

    def fit(self, x, k=2):
        return [v * k for v in x]

    def predict(self, x):
        return x + 1

    @property
    def size(self):
        return self.limit
"""


def only_changed(d) -> dict[str, str]:
    return {m.name: m.status for m in d.methods if m.status != "unchanged"}


def test_constant_change_is_one_changed_method() -> None:
    d = diff_describe(describe(V1), describe(V1.replace("x + 1", "x + 2")))
    assert only_changed(d) == {"predict": "changed"}
    m = next(m for m in d.methods if m.name == "predict")
    assert m.signature_change is None
    assert "-  LOAD_CONST 1" in m.bytecode_diff and "+  LOAD_CONST 2" in m.bytecode_diff
    assert any(line.startswith("+") and "x + 2" in line for line in m.source_diff)
    assert not any("def fit" in line for line in m.source_diff)  # only its own source
    assert d.bases_changed is None and not d.attributes_changed
    assert d.has_changes


def test_added_method() -> None:
    v2 = V1 + "\n    def score(self, x, y):\n        return 0.0\n"
    d = diff_describe(describe(V1), describe(v2))
    assert only_changed(d) == {"score": "added"}
    m = next(m for m in d.methods if m.name == "score")
    assert m.signature_change == (None, "(self, x, y)")
    assert any(line.startswith("+") and "RETURN_VALUE" in line for line in m.bytecode_diff)
    assert any("def score" in line for line in m.source_diff)


def test_removed_method() -> None:
    v2 = V1.replace("    def predict(self, x):\n        return x + 1\n", "")
    d = diff_describe(describe(V1), describe(v2))
    assert only_changed(d) == {"predict": "removed"}


def test_changed_default_is_a_signature_change() -> None:
    d = diff_describe(describe(V1), describe(V1.replace("k=2", "k=3")))
    assert only_changed(d) == {"fit": "changed"}
    m = next(m for m in d.methods if m.name == "fit")
    assert m.signature_change == ("(self, x, k=2)", "(self, x, k=3)")
    assert m.bytecode_diff == []  # defaults live outside the code object
    assert "signature: (self, x, k=2) -> (self, x, k=3)" in d.format_text()


def test_changed_base_is_a_base_change_only() -> None:
    d = diff_describe(describe(V1), describe(V1.replace("Model(Base)", "Model(Other)")))
    assert d.bases_changed == (["pb_diff_test.Base"], ["pb_diff_test.Other"])
    assert only_changed(d) == {}
    assert not (d.attributes_changed or d.attributes_added or d.attributes_removed)
    assert "bases: (pb_diff_test.Base) -> (pb_diff_test.Other)" in d.format_text()


def test_attribute_change() -> None:
    d = diff_describe(describe(V1), describe(V1.replace("limit = 10", "limit = 11")))
    assert d.attributes_changed == {"limit": ("10", "11")}
    assert only_changed(d) == {}


def test_whitespace_only_change_is_no_changes() -> None:
    v2 = V1.replace("return x + 1", "return   x+1   # comment").replace(
        "    def fit", "\n\n    # a comment\n    def fit"
    )
    d = diff_describe(describe(V1), describe(v2))
    assert not d.has_changes
    assert only_changed(d) == {}
    assert d.source_diff  # the text did change...
    assert "no changes" in d.format_text()  # ...but not the code


def test_python_mismatch_is_explained() -> None:
    d = diff_describe(
        describe(V1, python_version="3.10.4"),
        describe(V1),
        a_label="abc123",
        b_label="local",
    )
    assert d.python_mismatch == (
        "abc123 was made by Python 3.10, local by 3.11: bytecode differs for that reason alone"
    )
    assert (
        diff_describe(describe(V1), describe(V1, python_version="3.11.2")).python_mismatch is None
    )


def test_json_and_text_views() -> None:
    d = diff_describe(
        describe(V1), describe(V1.replace("x + 1", "x + 2")), a_label="A1", b_label="B2"
    )
    data = json.loads(json.dumps(d.to_json()))
    assert data["has_changes"] is True and data["a"] == "A1" and data["b"] == "B2"
    assert [m["name"] for m in data["methods"] if m["status"] == "changed"] == ["predict"]
    full = d.format_text()
    assert "~ function predict (changed)" in full and "LOAD_CONST 2" in full and "x + 2" in full
    assert "LOAD_CONST" not in d.format_text(bytecode=False)
    assert "x + 2" not in d.format_text(source=False)


def test_method_sources_include_decorators_and_accessor_keys() -> None:
    src = textwrap.dedent(
        """
        class P:
            @property
            def v(self):
                return 1

            @v.setter
            def v(self, x):
                pass
        """
    )
    got = method_sources(src)
    assert got["v"].startswith("@property\ndef v(self):")
    assert got["v.setter"].startswith("@v.setter\ndef v(self, x):")
    assert method_sources("class Broken(:\n") == {}
    assert method_sources(None) == {}


def test_side_by_side_rows_and_spans() -> None:
    rows = side_by_side(["same", "LOAD_CONST 1", "gone"], ["same", "LOAD_CONST 2", "new", "extra"])
    assert [r.kind for r in rows] == ["equal", "replace", "replace", "insert"]
    changed = rows[1]
    assert (changed.left, changed.right) == ("LOAD_CONST 1", "LOAD_CONST 2")
    assert changed.left_spans == [(11, 12)] and changed.right_spans == [(11, 12)]
    assert rows[3].left is None and rows[3].right_spans == [(0, 5)]
    only_left = side_by_side(["a", "b"], ["a"])
    assert [r.kind for r in only_left] == ["equal", "delete"]


def test_only_changed_methods_are_diffed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeps a 200-method class fast: unchanged methods never reach difflib."""
    methods = "\n".join(f"    def m{i}(self, x):\n        return x * {i}\n" for i in range(200))
    v1 = f"class Big:\n{methods}"
    v2 = v1.replace("return x * 7\n", "return x * 7000\n")
    a, b = describe(v1, "Big"), describe(v2, "Big")
    calls: list[str] = []
    real = diff_mod._udiff

    def counting(x, y, la, lb):
        calls.append(la)
        return real(x, y, la, lb)

    monkeypatch.setattr(diff_mod, "_udiff", counting)
    d = diff_describe(a, b)
    assert only_changed(d) == {"m7": "changed"}
    method_calls = [c for c in calls if c.startswith("m")]
    assert sorted(set(method_calls)) == ["m7 (A)"]


def test_unparsable_python_versions_still_explain_a_mismatch() -> None:
    d = diff_describe(describe(V1, python_version="3.11+ (not 3.11)"), describe(V1))
    assert d.python_mismatch and "3.11+ (not 3.11)" in d.python_mismatch


def test_versions_read_from_bytecode_say_as_much_as_is_known() -> None:
    """Static inspection may name a range ("3.11 or 3.12"); the diff is as sure as that."""

    def mismatch(a: str, b: str) -> str | None:
        return diff_describe(describe(V1, python_version=a), describe(V1, python_version=b),
                             a_label="A", b_label="B").python_mismatch  # fmt: skip

    assert mismatch("3.11", "3.12") == (
        "A was made by Python 3.11, B by 3.12: bytecode differs for that reason alone"
    )
    assert mismatch("3.8 or 3.9", "3.12.1") == (
        "A was made by Python 3.8 or 3.9, B by 3.12: bytecode differs for that reason alone"
    )
    assert mismatch("3.11 or 3.12", "3.11.7") == (
        "A was made by Python 3.11 or 3.12, B by 3.11: they may come from different "
        "Pythons, whose bytecode differs"
    )
    assert mismatch("3.11", "3.11.7") is None
    assert mismatch("3.11 or 3.12", "3.11 or 3.12") is None
    assert mismatch("unknown", "3.12") is None


def test_abstract_methods_are_marked_alike_live_and_in_the_pickle() -> None:
    """``@abstractmethod`` leaves the bytecode alone; the kind says it, read the same way
    from the live class (the agent) and from its pickle (the static walk)."""
    import cloudpickle

    from petbrowser.core.safe_pickle import scan_pickle

    src = textwrap.dedent(
        """
        import abc

        class Model(abc.ABC):
            @abc.abstractmethod
            def fit(self, x):
                return x

            @property
            @abc.abstractmethod
            def size(self):
                return 1

            @classmethod
            @abc.abstractmethod
            def make(cls):
                return cls

            def plain(self):
                return 2
        """
    )
    ns: dict = {"__name__": "pb_abstract_test"}
    exec(compile(src, "model.py", "exec"), ns)
    cls = ns["Model"]
    want = {
        "fit": "abstract function",
        "size": "abstract property",
        "make": "abstract classmethod",
        "plain": "function",
    }
    assert {k: v["kind"] for k, v in disasm.method_table(cls).items()} == want
    walked = scan_pickle(cloudpickle.dumps(cls)).describe
    assert walked is not None
    assert {k: m.kind for k, m in walked.methods.items()} == want
    assert cls.__abstractmethods__ == {"fit", "size", "make"}
