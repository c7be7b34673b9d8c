"""Class hashes: pb1 stability and sensitivity, LabChain compatibility."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from petbrowser.core.agent.describe import describe_class
from petbrowser.core.agent.hashing import labchain_hash, pb1_hash, stable_repr

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent

BASE = '''
import functools


def deco(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


class Base:
    pass


class Other:
    pass


class Model(Base):
    """A model."""

    limit = 10

    def __init__(self, factor=2):
        self.factor = factor

    def predict(self, xs):
        scale = lambda v: v * self.factor
        return [scale(x) for x in xs if x not in {"skip", "drop", "nan", "none"}]

    def nested(self):
        def inner(z):
            return z + 1

        return inner(3)

    @property
    def value(self):
        return self.factor

    @value.setter
    def value(self, v):
        self.factor = v

    @staticmethod
    def clip(v):
        return min(v, 10)

    @classmethod
    def make(cls):
        return cls()

    @deco
    def run(self, y):
        return y * 2

    @functools.lru_cache(maxsize=8)
    def cached(self, n):
        return n + 1
'''

REFORMATTED = '''
import functools
# a comment at the top



def deco(f):
    @functools.wraps(f)
    def wrapper(*args,   **kwargs):  # spacing
        return f(*args, **kwargs)
    return wrapper
class Base:
    pass
class Other:
    pass



class Model(Base):
    """A model, documented differently: docstrings are not code."""
    limit  =  10
    def __init__(self, factor = 2):
        # set it
        self.factor = factor
    def predict(self, xs):
        scale = lambda v: (v * self.factor)
        return [scale(x)
                for x in xs
                if x not in {"skip", "drop", "nan", "none"}]
    def nested(self):
        def inner(z):

            return z + 1
        return inner(3)
    @property
    def value(self):
        return self.factor
    @value.setter
    def value(self, v):
        self.factor = v
    @staticmethod
    def clip(v): return min(v, 10)
    @classmethod
    def make(cls):
        """Build one."""
        return cls()
    @deco
    def run(self, y): return y * 2
    @functools.lru_cache(maxsize = 8)
    def cached(self, n): return n + 1
'''


def _model_hash(source: str, module: str = "hmod") -> str:
    mod = types.ModuleType(module)
    exec(compile(source, f"{module}.py", "exec", dont_inherit=True), mod.__dict__)
    return pb1_hash(mod.Model)


def _variant(old: str, new: str) -> str:
    assert old in BASE, old
    out = BASE.replace(old, new, 1)
    assert out != BASE
    return out


def test_pb1_same_in_fresh_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    (tmp_path / "hmod.py").write_text(BASE)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import hmod\n"
        "from petbrowser.core.agent.hashing import pb1_hash\n"
        "print(pb1_hash(hmod.Model))\n"
    )
    hashes = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONDONTWRITEBYTECODE": "1"}
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        hashes.add(out.stdout.strip())
    assert len(hashes) == 1
    (h,) = hashes
    assert len(h) == 64
    # ...and the in-process hash (yet another seed) agrees.
    assert _model_hash(BASE) == h


def test_pb1_ignores_formatting_comments_docstrings_and_line_numbers() -> None:
    assert _model_hash(REFORMATTED) == _model_hash(BASE)
    assert _model_hash("\n\n\n" + BASE) == _model_hash(BASE)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("return min(v, 10)", "return min(v, 11)", id="constant"),
        pytest.param("return min(v, 10)", "return max(v, 10)", id="name"),
        pytest.param("factor=2", "factor=3", id="default"),
        pytest.param("class Model(Base):", "class Model(Other):", id="base"),
        pytest.param("return y * 2", "return y * 3", id="decorated-method"),
        pytest.param(
            "return f(*args, **kwargs)", "return f(*args, **kwargs) or None", id="decorator"
        ),
        pytest.param("limit = 10", "limit = 11", id="class-attribute"),
        pytest.param("v * self.factor", "v * self.factor + 1", id="lambda"),
        pytest.param('"nan", "none"}', '"nan", "null"}', id="comprehension-frozenset"),
        pytest.param("return z + 1", "return z + 2", id="nested-function"),
        pytest.param("self.factor = v", "self.factor = -v", id="property-setter"),
        pytest.param("return cls()", "return cls(3)", id="classmethod"),
        pytest.param("def predict(self, xs):", "def predict(self, xs, /):", id="signature"),
        pytest.param("return n + 1", "return n + 2", id="lru-cached-method"),
        pytest.param("maxsize=8", "maxsize=16", id="decorator-argument"),
    ],
)
def test_pb1_changes_with_the_code(old: str, new: str) -> None:
    assert _model_hash(_variant(old, new)) != _model_hash(BASE)


def test_pb1_depends_on_module_and_qualname() -> None:
    assert _model_hash(BASE, "hmod") != _model_hash(BASE, "other_mod")
    renamed = BASE.replace("class Model(Base):", "class Model2(Base):") + "\nModel = Model2\n"
    assert _model_hash(renamed) != _model_hash(BASE)


def test_stable_repr_sorts_sets_and_drops_addresses() -> None:
    assert stable_repr({"b", "a"}) == stable_repr({"a", "b"}) == "set({'a', 'b'})"
    assert " at 0x" not in stable_repr(object())


def test_describe_lists_methods_attributes_and_bases() -> None:
    mod = types.ModuleType("hmod")
    exec(compile(BASE, "hmod.py", "exec", dont_inherit=True), mod.__dict__)
    d = describe_class(mod.Model)
    assert d["class_name"] == "Model" and d["module"] == "hmod"
    assert d["bases"] == ["hmod.Base"]
    assert d["attributes"] == {"limit": "10"}
    m = d["methods"]
    assert m["__init__"]["kind"] == "function"
    assert m["__init__"]["signature"] == "(self, factor=2)"
    assert m["value"]["kind"] == "property" and "value.setter" in m
    assert m["clip"]["kind"] == "staticmethod" and m["make"]["kind"] == "classmethod"
    assert any(k.startswith("predict/") for k in m)  # the lambda and the comprehension
    json.dumps(d)  # it goes into .meta.json as is


def _load_vectors_module() -> types.ModuleType:
    path = DATA / "labchain_hash_vectors" / "vectors_mod.py"
    spec = importlib.util.spec_from_file_location("vectors_mod", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_labchain_hash_matches_labchain_vectors() -> None:
    vectors = json.loads((DATA / "labchain_hash_vectors" / "vectors.json").read_text())
    minor = ".".join(vectors["python"].split(".")[:2])
    if f"{sys.version_info[0]}.{sys.version_info[1]}" != minor:
        pytest.skip(f"vectors were computed on Python {minor}; bytecode differs on this version")
    mod = _load_vectors_module()
    assert vectors["hashes"]  # not vacuous
    for name, expected in vectors["hashes"].items():
        assert labchain_hash(getattr(mod, name)) == expected, name


def test_labchain_hash_falls_back_when_a_signature_is_unavailable() -> None:
    import hashlib

    class Odd:
        pass

    def f(self):
        return 1

    f.__signature__ = "not a signature"  # inspect.signature raises TypeError on this
    Odd.f = f
    expected = hashlib.sha256(f"{Odd.__module__}.{Odd.__qualname__}".encode()).hexdigest()
    assert labchain_hash(Odd) == expected
