"""What the first-paint probe records, shared by its two halves (no Qt here)."""

from __future__ import annotations

import json
import os
import resource
import sys
from typing import Any

_state: dict[str, Any] = {"spawned": 0}
_options: dict[str, int] = {}


def _finish(result: dict[str, Any]) -> None:
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    sys.stdout.write("BENCH_RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip teardown: it is not part of start-up


def _result() -> dict[str, Any]:
    return {k: v for k, v in _state.items() if k not in ("window", "probe")}
