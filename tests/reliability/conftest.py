"""Fixtures of the reliability suite (issue #6).

Every test here runs with its own config/data/cache folders, so nothing it
does reaches the real home folder and the secrets test can read every
settings file written.  ``reliability_stats`` collects the numbers of a run
(kills, racing moves, injected faults...); set ``PETBROWSER_RELIABILITY_REPORT``
to a path to get them as JSON for docs/reliability.md.
"""

from __future__ import annotations

import collections
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.fault_proxy import FaultProxy


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG folders in the test's temp dir: QSettings and platformdirs write there."""
    home = tmp_path / "xdg"
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = home / var.lower()
        d.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(d))
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)
    monkeypatch.delenv("PETBROWSER_DEBUG", raising=False)
    return home


@pytest.fixture()
def canary(tmp_path: Path) -> Path:
    """A folder hostile payloads would write into if they ever ran."""
    d = tmp_path / "canary"
    d.mkdir()
    return d


@pytest.fixture()
def fault_proxy(s3_endpoint: str) -> Iterator[Callable[..., FaultProxy]]:
    """Factory: ``fault_proxy(rates={...}, seed=...)`` -> a started proxy in front of moto."""
    started: list[FaultProxy] = []

    def make(**kwargs: Any) -> FaultProxy:
        proxy = FaultProxy(s3_endpoint, **kwargs).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


# moto's server logs every request through werkzeug; thousands of lines cost real time here.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

_STATS: dict[str, Any] = collections.defaultdict(int)


@pytest.fixture(scope="session")
def reliability_stats() -> Iterator[dict[str, Any]]:
    """Numbers of this run, written as JSON to $PETBROWSER_RELIABILITY_REPORT at the end."""
    yield _STATS
    target = os.environ.get("PETBROWSER_RELIABILITY_REPORT")
    if target:
        Path(target).write_text(json.dumps(dict(_STATS), indent=2, sort_keys=True, default=str) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than ~20 s on a busy 2-core machine (crash loops, fault storms)")
