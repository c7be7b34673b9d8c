"""The demo: a real project and store where every status shows at once.

Built through the real push path (child processes, by-value pickles, pointer
compare-and-swap), so the demo is also a smoke test of the whole chain:

- ``Normalizer``: pushed twice, rolled back to the first version, local is
  the first version -> synced (its log shows a push, a push and a rollback)
- ``ThresholdFilter``: pushed twice, local is the first version -> behind
- ``LinearModel``: pushed once, then edited locally -> out_of_sync
- ``MovingAverage``: never pushed -> untracked
- ``Clipper``: pushed once, then removed from the module -> remote_only
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path

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
    from petbrowser.core import snapshots
    from petbrowser.core.project import Project
    from petbrowser.core.storage import open_storage
    from petbrowser.core.store import Store

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
        store = Store(open_storage(str(bstore)))

        _write_module(
            bproject,
            {"Normalizer": "v1", "ThresholdFilter": "v1", "LinearModel": "v1", "Clipper": "v1"},
        )
        first = {r.name: r.hash for r in snapshots.push(store, project, all_=True)}
        _write_module(
            bproject,
            {"Normalizer": "v2", "ThresholdFilter": "v2", "LinearModel": "v1", "Clipper": "v1"},
        )
        second = {
            r.name: r.hash
            for r in snapshots.push(store, project, ["Normalizer", "ThresholdFilter"])
        }
        store.move_latest(
            "Normalizer", first["Normalizer"], expected=second["Normalizer"], action="rollback"
        )
        _write_module(
            bproject,
            {
                "Normalizer": "v1",
                "ThresholdFilter": "v1",
                "LinearModel": "v2",
                "MovingAverage": "v1",
            },
        )
        shutil.move(str(bstore), str(dest / "store"))
        shutil.move(str(bproject), str(project_dir))  # last: its presence marks a finished demo
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return project_dir
