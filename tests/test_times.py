"""Moments people name: ISO 8601 in local time unless it says otherwise, or relative."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from petbrowser.core.errors import UsageError
from petbrowser.core.times import format_age, parse_when

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture()
def berlin(monkeypatch: pytest.MonkeyPatch):
    """This machine in Central European Time (UTC+1 in November)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-20T14:00", "2026-11-20T13:00:00+00:00"),  # local (UTC+1)
        ("2026-11-20 14:00:30", "2026-11-20T13:00:30+00:00"),
        ("2026-11-20", "2026-11-19T23:00:00+00:00"),  # local midnight
        ("2026-11-20T14:00Z", "2026-11-20T14:00:00+00:00"),  # says UTC
        ("2026-11-20T14:00:00+05:00", "2026-11-20T09:00:00+00:00"),
        ("2026-07-01T14:00", "2026-07-01T12:00:00+00:00"),  # summer time: UTC+2
    ],
)
def test_iso_is_local_unless_it_says_otherwise(berlin, text, utc):
    assert parse_when(text).isoformat() == utc


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("3d", "2026-11-17T12:00:00+00:00"),
        ("2h", "2026-11-20T10:00:00+00:00"),
        ("1d12h", "2026-11-19T00:00:00+00:00"),
        ("90m ago", "2026-11-20T10:30:00+00:00"),
        ("1w", "2026-11-13T12:00:00+00:00"),
        ("now", "2026-11-20T12:00:00+00:00"),
    ],
)
def test_relative_times_count_back_from_now(text, utc):
    assert parse_when(text, now=NOW).isoformat() == utc


@pytest.mark.parametrize("text", ["", "tuesday", "3 days", "2026-13-01", "-2h", "3y"])
def test_anything_else_is_a_usage_error_that_names_the_forms(text):
    with pytest.raises(UsageError, match="ISO 8601") as exc:
        parse_when(text)
    assert exc.value.exit_code == 2


def test_format_age():
    assert [format_age(s) for s in (12, 300, 7200, 86400 * 3)] == [
        "12 s ago", "5 min ago", "2 h ago", "3 days ago",
    ]  # fmt: skip
