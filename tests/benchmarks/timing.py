"""Medians over repeated runs, and the table row every benchmark reports.

Medians rather than means or minima because the machines are shared and noisy:
one slow run from a neighbour's job should not move the number.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measurement:
    """The samples of one measured operation (seconds) and what it returned last."""

    samples: list[float]
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def measure(fn: Callable[[], Any], runs: int, setup: Callable[[], Any] | None = None) -> Measurement:
    """Run ``fn`` ``runs`` times (``setup`` before each, untimed) and keep every sample."""
    samples: list[float] = []
    result: Any = None
    for _ in range(runs):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return Measurement(samples, result)


def measure_interleaved(calls: dict[str, tuple[Callable[[], Any], int]]) -> dict[str, Measurement]:
    """Measure several calls round-robin (``name -> (fn, runs)``).

    Interleaving puts a baseline and the things compared to it under the same
    background load: on a shared machine a burst from a neighbour then slows
    both sides of a ratio instead of one.
    """
    out = {name: Measurement([]) for name in calls}
    for i in range(max(runs for _, runs in calls.values())):
        for name, (fn, runs) in calls.items():
            if i >= runs:
                continue
            t0 = time.perf_counter()
            out[name].result = fn()
            out[name].samples.append(time.perf_counter() - t0)
    return out


@dataclass
class Row:
    """One line of the results table: a petbrowser number against its baseline.

    ``value``/``baseline`` are medians (seconds unless ``unit`` says otherwise).
    The goal is one of: ``max_ratio`` (value/baseline must stay at or under it),
    ``min_speedup`` (baseline/value must reach it) or ``max_value`` (an absolute
    ceiling in ``unit``).
    """

    bench: str
    case: str
    value: float | None
    baseline: float | None = None
    baseline_name: str = ""
    unit: str = "s"
    runs: int = 0
    max_ratio: float | None = None
    min_speedup: float | None = None
    max_value: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """value / baseline (under 1: petbrowser is faster)."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def goal(self) -> str:
        if self.max_ratio is not None:
            return f"<= {self.max_ratio:g}x"
        if self.min_speedup is not None:
            return f">= {self.min_speedup:g}x faster"
        if self.max_value is not None:
            return f"< {self.max_value:g} {self.unit}"
        return ""

    @property
    def verdict(self) -> str:
        """``ok``/``MISS`` against the goal, ``-`` when there is no goal or no number."""
        ratio = self.ratio
        if self.max_ratio is not None and ratio is not None:
            return "ok" if ratio <= self.max_ratio else "MISS"
        if self.min_speedup is not None and ratio:
            return "ok" if 1.0 / ratio >= self.min_speedup else "MISS"
        if self.max_value is not None and self.value is not None:
            return "ok" if self.value < self.max_value else "MISS"
        return "-"
