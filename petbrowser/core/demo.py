"""The demo: a real project and store where every status shows at once, with a story.

Built through the real push path (child processes, by-value pickles, pointer
compare-and-swap, a real ``restore``), so the demo is also a smoke test of the
whole chain.  Only the *recorded* times and authors are the demo's: three
people push over three weeks, so the timeline, "restore to Tuesday" and
method history have something to show (times relative to today, local time):

- week 1 Mon 10:05, alice: the first push of Normalizer, ThresholdFilter,
  LinearModel and Clipper
- week 1 Wed 14:30, bob: ThresholdFilter v2 (inclusive, threshold 0.75)
- week 1 Thu 11:10, carol: Normalizer v2 (min-max scaling)
- week 2 Tue: the results are good
- week 2 Wed 10:20, bob: Clipper v2 (``apply`` renamed ``clip``, plus ``__call__``)
- week 2 Thu 15:45, carol: LinearModel v1b (adds ``score``)
- week 2 Fri 17:05, alice: ``restore --at`` week 2 Tue 18:00: Clipper and
  LinearModel back to v1
- week 3 Mon 09:30, carol: rolls Normalizer back to v1

Week 3 is last week, so everything is in the past.  What the local module
holds then gives every status:

- ``Normalizer``: local is v1 == latest -> synced (its last move a rollback)
- ``ThresholdFilter``: local is v1, latest v2 -> behind
- ``LinearModel``: local is a v2 never pushed -> out_of_sync
- ``MovingAverage``: never pushed -> untracked
- ``Clipper``: pushed, then removed from the module -> remote_only
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from petbrowser.core.errors import ConfigError

__all__ = ["create_demo", "DEMO_MODULE"]

DEMO_MODULE = "demo_filters"

_HEADER = '''"""Small signal filters: the petbrowser demo project."""

import math

'''

_CLASSES: dict[str, dict[str, str]] = {
    "Normalizer": {
        "v1": '''
class Normalizer:
    """Scales values to zero mean and unit variance."""

    def fit(self, values):
        n = len(values)
        self.mean = sum(values) / n
        var = sum((v - self.mean) ** 2 for v in values) / n
        self.std = math.sqrt(var) or 1.0
        return self

    def transform(self, values):
        return [(v - self.mean) / self.std for v in values]
''',
        "v2": '''
class Normalizer:
    """Scales values into [0, 1]."""

    def fit(self, values):
        self.low = min(values)
        self.span = (max(values) - self.low) or 1.0
        return self

    def transform(self, values):
        return [(v - self.low) / self.span for v in values]
''',
    },
    "ThresholdFilter": {
        "v1": '''
class ThresholdFilter:
    """Keeps the values above a threshold."""

    threshold = 0.5

    def __init__(self, threshold=None):
        if threshold is not None:
            self.threshold = threshold

    def apply(self, values):
        return [v for v in values if v > self.threshold]
''',
        "v2": '''
class ThresholdFilter:
    """Keeps the values above a threshold (inclusive)."""

    threshold = 0.75

    def __init__(self, threshold=None):
        if threshold is not None:
            self.threshold = threshold

    def apply(self, values):
        return [v for v in values if v >= self.threshold]
''',
    },
    "LinearModel": {
        "v1": '''
class LinearModel:
    """Least-squares line through (x, y) points."""

    def __init__(self):
        self.slope = 0.0
        self.intercept = 0.0

    def fit(self, xs, ys):
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs) or 1.0
        self.slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
        self.intercept = my - self.slope * mx
        return self

    def predict(self, xs):
        return [self.slope * x + self.intercept for x in xs]
''',
        "v1b": '''
class LinearModel:
    """Least-squares line through (x, y) points, with a fit score."""

    def __init__(self):
        self.slope = 0.0
        self.intercept = 0.0

    def fit(self, xs, ys):
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs) or 1.0
        self.slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
        self.intercept = my - self.slope * mx
        return self

    def predict(self, xs):
        return [self.slope * x + self.intercept for x in xs]

    def score(self, xs, ys):
        my = sum(ys) / len(ys)
        total = sum((y - my) ** 2 for y in ys) or 1.0
        resid = sum((y - p) ** 2 for y, p in zip(ys, self.predict(xs)))
        return 1.0 - resid / total
''',
        "v2": '''
class LinearModel:
    """Least-squares line through (x, y) points, with optional ridge penalty."""

    def __init__(self, ridge: float = 0.0):
        self.ridge = ridge
        self.slope = 0.0
        self.intercept = 0.0

    def fit(self, xs, ys):
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs) + self.ridge or 1.0
        self.slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
        self.intercept = my - self.slope * mx
        return self

    def predict(self, xs):
        return [self.slope * x + self.intercept for x in xs]

    @property
    def params(self):
        return {"slope": self.slope, "intercept": self.intercept}
''',
    },
    "MovingAverage": {
        "v1": '''
class MovingAverage:
    """Mean over a sliding window."""

    def __init__(self, window: int = 3):
        self.window = window

    def apply(self, values):
        w = self.window
        return [sum(values[i - w + 1 : i + 1]) / w for i in range(w - 1, len(values))]
''',
    },
    "Clipper": {
        "v1": '''
class Clipper:
    """Clamps values into [low, high]."""

    def __init__(self, low=0.0, high=1.0):
        self.low, self.high = low, high

    def apply(self, values):
        return [min(max(v, self.low), self.high) for v in values]
''',
        "v2": '''
class Clipper:
    """Clamps values into [low, high]; call it like a function."""

    def __init__(self, low=0.0, high=1.0):
        self.low, self.high = low, high

    def clip(self, values):
        return [min(max(v, self.low), self.high) for v in values]

    def __call__(self, values):
        return self.clip(values)
''',
    },
}


def _module_text(versions: dict[str, str]) -> str:
    return _HEADER + "\n".join(_CLASSES[name][v] for name, v in versions.items())


def _write_module(project_dir: Path, versions: dict[str, str]) -> None:
    (project_dir / f"{DEMO_MODULE}.py").write_text(_module_text(versions), encoding="utf-8")
    # A rewrite within the same second could otherwise reuse a stale .pyc.
    shutil.rmtree(project_dir / "__pycache__", ignore_errors=True)


def _pyproject(python: str | None) -> str:
    lines = [
        "[project]",
        'name = "petbrowser-demo"',
        'version = "0.1.0"',
        "",
        "[tool.petbrowser]",
        'storage = "../store"',
        f'modules = ["{DEMO_MODULE}"]',
    ]
    if python:
        lines.append(f"python = {json.dumps(python)}")  # a JSON string is a TOML basic string
    return "\n".join(lines) + "\n"


def create_demo(dest: Path, *, python: str | None = None) -> Path:
    """Create (once) the demo under ``dest`` and return its project folder."""
    from petbrowser.core.project import Project

    dest = Path(dest).expanduser().resolve()
    project_dir = dest / "project"
    if (project_dir / "pyproject.toml").is_file():
        return project_dir
    if (dest / "store").exists():
        raise ConfigError(
            f"{dest} holds a 'store' but no demo project: remove it or pick another folder"
        )
    if python is not None and not Path(python).exists():
        raise ConfigError(f"the interpreter {python} does not exist")
    dest.mkdir(parents=True, exist_ok=True)
    build = dest / f".demo-{uuid.uuid4().hex[:8]}"
    try:
        bproject, bstore = build / "project", build / "store"
        bproject.mkdir(parents=True)
        bstore.mkdir()
        (bproject / "pyproject.toml").write_text(_pyproject(python), encoding="utf-8")
        project = Project.load(bproject, python=python or sys.executable)
        _tell_story(bproject, bstore, project)
        shutil.move(str(bstore), str(dest / "store"))
        shutil.move(str(bproject), str(project_dir))  # last: its presence marks a finished demo
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return project_dir


# ------------------------------------------------------------------ the story
AUTHORS = ("alice@lab", "bob@lab", "carol@lab")


def _week1_monday(now: datetime | None = None) -> datetime:
    """Local midnight of the Monday three weeks before this week's Monday."""
    today = (now or datetime.now().astimezone()).astimezone()
    monday = today.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=today.weekday())
    return monday - timedelta(weeks=3)


def _tell_story(bproject: Path, bstore: Path, project: Any) -> None:
    """Push, roll back and restore as three people would, then date each step."""
    from petbrowser.core import snapshots
    from petbrowser.core.restore import execute_restore, plan_restore
    from petbrowser.core.storage import open_storage
    from petbrowser.core.store import Store

    storage = open_storage(str(bstore))
    alice, bob, carol = (Store(storage, user=u) for u in AUTHORS)
    w1 = _week1_monday()

    def at(week: int, day: int, hh: int, mm: int) -> datetime:
        return w1 + timedelta(weeks=week - 1, days=day, hours=hh, minutes=mm)

    def step(when: datetime, module: dict[str, str] | None, action: Callable[[], Any]) -> Any:
        if module is not None:
            _write_module(bproject, module)
        before = _keys(bstore)
        result = action()
        _date_step(bstore, before, when)
        return result

    mod = {"Normalizer": "v1", "ThresholdFilter": "v1", "LinearModel": "v1", "Clipper": "v1"}
    first = step(at(1, 0, 10, 5), mod, lambda: snapshots.push(alice, project, all_=True))
    first = {r.name: r.hash for r in first}
    mod["ThresholdFilter"] = "v2"
    step(at(1, 2, 14, 30), mod, lambda: snapshots.push(bob, project, ["ThresholdFilter"]))
    mod["Normalizer"] = "v2"
    [n2] = step(at(1, 3, 11, 10), mod, lambda: snapshots.push(carol, project, ["Normalizer"]))
    mod["Clipper"] = "v2"
    step(at(2, 2, 10, 20), mod, lambda: snapshots.push(bob, project, ["Clipper"]))
    mod["LinearModel"] = "v1b"
    step(at(2, 3, 15, 45), mod, lambda: snapshots.push(carol, project, ["LinearModel"]))
    tuesday = at(2, 1, 18, 0)
    step(at(2, 4, 17, 5), None, lambda: execute_restore(alice, plan_restore(alice, tuesday)))
    step(
        at(3, 0, 9, 30),
        None,
        lambda: carol.move_latest("Normalizer", first["Normalizer"], expected=n2.hash, action="rollback"),
    )
    _write_module(
        bproject,
        {"Normalizer": "v1", "ThresholdFilter": "v1", "LinearModel": "v2", "MovingAverage": "v1"},
    )


def _keys(root: Path) -> set[str]:
    base = root / "plugins"
    return {p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file()} if base.is_dir() else set()


def _iso_ms(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _date_step(root: Path, before: set[str], when: datetime) -> None:
    """Give what one step wrote the step's time: sidecars' ``pushed_at``, history
    records' ``at`` (and key), and the pointers' ``updated_at``.

    Only the demo's own build folder is touched, before anyone can open it;
    records of one step are spread a few seconds apart, in the order written.
    """
    from petbrowser.core import layout
    from petbrowser.core.pointer import encode_pointer, parse_pointer
    from petbrowser.core.store.common import iso_utc
    from petbrowser.core.structs import replace

    new = sorted(_keys(root) - before)
    for key in new:
        if key.endswith(".meta.json"):
            path = root / key
            meta = json.loads(path.read_text(encoding="utf-8"))
            meta["pushed_at"] = _iso_ms(when)
            path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    records = sorted(k for k in new if (p := layout.parse_key(k)) is not None and p.kind == "history")
    moved: dict[str, datetime] = {}
    for i, key in enumerate(records):
        path = root / key
        doc = json.loads(path.read_text(encoding="utf-8"))
        t = when + timedelta(seconds=3 * i)
        doc["at"] = iso_utc(t)
        path.unlink()
        target = root / layout.history_key(doc["class_name"], t, doc["to"])
        target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        moved[doc["class_name"]] = t
    for name, t in moved.items():
        path = root / layout.latest_key(name)
        ptr = parse_pointer(path.read_bytes(), name)
        if ptr.updated_at is not None:
            path.write_bytes(encode_pointer(replace(ptr, updated_at=iso_utc(t))))
