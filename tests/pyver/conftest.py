"""Fixtures of the Python-version tests: interpreters and pusher venvs, made once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .interpreters import find_python, make_venv, missing_reason


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than ~20 s on a busy 2-core machine")


@pytest.fixture(scope="session")
def pusher_venv(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path | str]:
    """``pusher_venv("3.9")``: a venv of CPython 3.9 with cloudpickle, or why there is none."""
    made: dict[str, Path | str] = {}
    root = tmp_path_factory.mktemp("pyver-venvs")

    def get(minor: str) -> Path:
        if minor not in made:
            python = find_python(minor)
            if python is None:
                made[minor] = missing_reason(minor)
            else:
                try:
                    made[minor] = make_venv(python, root / minor)
                except Exception as exc:  # a broken interpreter: skip its cells, say why
                    made[minor] = f"could not make a venv of {python}: {exc}"
        return made[minor]

    return get
