"""Recorded daily bars for SPY and AGG, read from package data (see bars/SOURCE.md)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
SYMBOLS = ("AGG", "SPY")
# Recorded market prices, not a random walk: a run record can say which it got.
SYNTHETIC = False


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
        return datetime.combine(self.day, time(), NEW_YORK).astimezone(timezone.utc)


def _optional(text: str, kind):
    return kind(text) if text else None


@lru_cache(maxsize=None)
def daily_bars(symbol: str) -> tuple[Bar, ...]:
    """All recorded bars of a symbol, oldest first; empty for a symbol we have no recording of."""
    if symbol not in SYMBOLS:
        return ()
    with (resources.files(__package__) / "bars" / f"{symbol}.csv").open(newline="") as handle:
        return tuple(Bar(date.fromisoformat(row["date"]), float(row["open"]), float(row["high"]),
                         float(row["low"]), float(row["close"]), int(row["volume"]),
                         _optional(row["trade_count"], int), _optional(row["vwap"], float))
                     for row in csv.DictReader(handle))

