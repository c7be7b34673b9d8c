"""The class every CPython 3.8-3.13 pushes in the version matrix (tests/pyver/test_matrix.py).

Written for 3.8 syntax and meant to use most of the instruction set: calls
with keywords and stars, comparisons, membership and identity tests, every
comprehension, closures, generators, coroutines, try/except/else/finally,
with, loops with break/continue/else, f-strings, slices, unpacking,
assert/del/global, lambdas, properties, static and class methods, a
decorated method, super().
"""

import functools

_SEEN = None


def _deco(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)

    return inner


class Base:
    def hello(self):
        return "base"


class Probe(Base):
    """A class that uses most of the instruction set."""

    limit = 3
    names = ("a", "b")

    def __init__(self, factor: float = 2.0, *, scale=1, **extra):
        super().__init__()
        self.factor = factor
        self.scale = scale
        self.extra = dict(extra)

    def hello(self):
        return super().hello() + "!"

    def keep(self, xs, lo=0, /, hi=10):
        return [x * self.factor for x in xs if lo <= x < hi and x not in self.names]

    def index(self, xs):
        return {k: v for k, v in enumerate(xs) if v is not None}

    def flags(self, xs):
        return {x for x in xs if x in {1, 2, 3}}

    def guarded(self, path):
        try:
            with open(path) as fh:
                data = fh.read()
        except (OSError, ValueError) as exc:
            return f"failed: {exc!r:>10}"
        else:
            return data.strip()
        finally:
            self.closed = True

    def loop(self, n):
        total = 0
        i = 0
        while True:
            i += 1
            if i % 2:
                continue
            if i > n:
                break
            total += i**2
        for j in range(n):
            total -= j
        else:
            total *= -1
        return total

    def closure(self, k):
        count = 0

        def bump(step=1):
            nonlocal count
            count += step * k
            return count

        return bump

    def gen(self, xs):
        for x in xs:
            yield x, (yield)
        yield from xs

    async def fetch(self, source):
        async with source as s:
            async for item in s:
                await item
        return [y async for y in source]

    def unpack(self, pair, *rest, **opts):
        a, *b, c = pair
        first, second = rest[:2] if len(rest) > 1 else (None, None)
        return {**opts, "a": a, **{"b": b}}, [*b, *rest], (c, first, second)

    def assertive(self, x):
        global _SEEN
        assert x, "x must be set"
        del self.extra
        _SEEN = x
        return not x and -x or ~x

    def slicing(self, xs):
        xs[1:2] = xs[::2]
        return xs[1:-1], xs[::-1], 1j, -0.5, b"\x00", frozenset({1})

    def lam(self):
        return sorted(self.names, key=lambda n: (len(n), n))

    @property
    def value(self):
        return self.factor * self.limit

    @value.setter
    def value(self, v):
        self.factor = v / self.limit

    @staticmethod
    def clip(a, lo=0, hi=1):
        return max(lo, min(a, hi))

    @classmethod
    def make(cls, *args):
        return cls(*args)

    @_deco
    def wrapped(self, x):
        return x if x else self.limit

    def fmt(self, x):
        return f"{x!s}-{x:>{self.limit}}-{x!a}" + "%s" % (x,)  # noqa: UP031 (BINARY_OP %)

    def compare(self, a, b):
        return a < b <= 10 != a, a is not b
