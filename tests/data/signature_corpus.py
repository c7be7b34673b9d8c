"""Functions whose signatures are easy to print wrong: tests/test_hashing_speed.py
compares petbrowser's fast signature text and pb1 bytes with inspect's and the
reference encoder's on them (and on the standard library), on Python 3.8+."""

import functools
import typing
from typing import Dict, List, Optional

SENTINEL = object()


def deco(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


class Corpus:
    """Every parameter kind, default and annotation form."""

    limit = 3
    names = ("a", "b")

    def plain(self, a, b, c):
        return a + b + c

    def defaults(self, a, b=1, c="x", d=None, e=(1, 2), f=1.5, g=-0.0, h=b"\x00"):
        return a

    def posonly(self, a, b=2, /, c=3, *, d, e=5):
        return a

    def only_posonly(self, a, /):
        return a

    def posonly_all_defaults(self, a=1, b=2, /):
        return a

    def kwonly(self, *, a, b=2):
        return a

    def star(self, *args):
        return args

    def star_kw(self, a, *args, b, **kwargs):
        return a

    def only_kwargs(self, **kw):
        return kw

    def annotated(self, a: int, b: "str" = "s", *args: float, c: Optional[int] = None, **kw: Dict[str, List[int]]) -> bool:
        return True

    def typing_forms(self, a: typing.Any, b: typing.Callable[[int], str], c: "Corpus", d: type = int) -> typing.Tuple[int, ...]:
        return (1,)

    def builtin_types(self, a: list, b: dict = {}, c: "list[int]" = []) -> None:  # noqa: B006
        return None

    def object_default(self, a=SENTINEL, b=print, c=len):
        return a

    def lambda_default(self, f=lambda x: x + 1):
        return f

    def repr_with_address(self, a: object = SENTINEL) -> object:
        return a

    @deco
    def decorated(self, a, b=2):
        return a

    @functools.lru_cache(maxsize=8)
    def cached(self, a):
        return a

    @staticmethod
    def static(a, b=1, *, c):
        return a

    @classmethod
    def klass(cls, *args, **kwargs):
        return cls

    @property
    def prop(self) -> int:
        return self.limit

    @prop.setter
    def prop(self, value: int) -> None:
        pass

    def with_closure(self):
        limit = self.limit

        def inner(x, *, y=limit):
            return x + y

        return inner

    def comprehension(self, xs):
        return [x * self.limit for x in xs if x]

    as_lambda = lambda self, x=1: x  # noqa: E731

    def with_signature_attr(self, a):
        return a

    with_signature_attr.__signature__ = None

    def with_attribute(self, a, b=1):
        return a

    with_attribute.marker = True


def changed_annotations(a, b=1):
    return a


changed_annotations.__annotations__ = {"a": "changed", "return": int}
Corpus.changed = changed_annotations
