"""Recorded daily bars for SPY and AGG, read from package data (see bars/SOURCE.md)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
SYMBOLS = ("AGG", "SPY")
# Recorded market prices, not a random walk: a run record can say which it got.
SYNTHETIC = False
REPLAY_STEP_DAYS = 364   # 52 weeks: a window moved by whole steps keeps its weekdays
REPLAY_SLACK = timedelta(days=7)   # a window this little outside the recording is served as recorded


@dataclass(frozen=True)
class Bar:
    day: date
    open: float
    high: float
    low: float
    close: float
    volume: int
    trade_count: int | None
    vwap: float | None

    @property
    def timestamp(self) -> datetime:
        """Alpaca stamps a daily bar with midnight New York time (05:00 or 04:00 UTC)."""
        return datetime.combine(self.day, time(), NEW_YORK).astimezone(UTC)

    def moved(self, days: int) -> Bar:
        return replace(self, day=self.day + timedelta(days=days))


def _optional(text: str, kind):
    return kind(text) if text else None


@cache
def daily_bars(symbol: str) -> tuple[Bar, ...]:
    """All recorded bars of a symbol, oldest first; empty for a symbol we have no recording of."""
    if symbol not in SYMBOLS:
        return ()
    with (resources.files(__package__) / "bars" / f"{symbol}.csv").open(newline="") as handle:
        return tuple(Bar(date.fromisoformat(row["date"]), float(row["open"]), float(row["high"]),
                         float(row["low"]), float(row["close"]), int(row["volume"]),
                         _optional(row["trade_count"], int), _optional(row["vwap"], float))
                     for row in csv.DictReader(handle))



def recorded_span() -> tuple[date, date]:
    """First and last recorded day (the same for every symbol)."""
    bars = daily_bars(SYMBOLS[0])
    return bars[0].day, bars[-1].day


def replay_offset(first: date, last: date) -> int:
    """Days to move the recording by so that the asked window [first, last] falls on recorded days:
    0 inside the recording (give or take a week, e.g. a start on the New Year holiday); otherwise whole
    52-week steps (weekdays kept), the fewest that bring the window's end (for a window after the
    recording) or its start (before it) into the recording.
    Deterministic: the same window always gets the same bars."""
    recorded_first, recorded_last = recorded_span()
    if recorded_first - REPLAY_SLACK <= first and last <= recorded_last + REPLAY_SLACK:
        return 0
    if last > recorded_last:
        return REPLAY_STEP_DAYS * math.ceil((last - recorded_last).days / REPLAY_STEP_DAYS)
    if first < recorded_first:
        return -REPLAY_STEP_DAYS * math.ceil((recorded_first - first).days / REPLAY_STEP_DAYS)
    return 0
