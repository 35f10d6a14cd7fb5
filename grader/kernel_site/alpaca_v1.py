"""REST.get_barset for the course's 2020 Monte Carlo notebooks, in graded kernels only.

alpaca-trade-api 2.0.0 removed the market-data v1 methods (Alpaca retired that API on 2021-09-26),
so on today's client `api.get_barset(...)` is an AttributeError. Here it is served again through the
client's own `get_bars` (v2, which reaches the grader's market-data stub): the same daily prices, in
v1's shapes (a BarSet of per-symbol Bars with `t o h l c v`; `.df` with one column group per symbol,
indexed by New York time) and with v1's `limit` (default 100, at most 1000, counted back from the
end). The first call leaves a note in the run record. Standard library at import; pandas when called.
"""

V1_TIMEFRAMES = {"day": "1Day", "1D": "1Day", "minute": "1Min", "1Min": "1Min", "5Min": "5Min",
                 "15Min": "15Min"}
V1_DEFAULT_LIMIT = 100
V1_MAX_LIMIT = 1000
NEW_YORK = "America/New_York"
NOTE = ("REST.get_barset (market data v1) was removed in alpaca-trade-api 2.0.0; the grader served it "
        "through REST.get_bars (v2) in get_barset's layout: the same daily prices, limit "
        "counted back from the end")
_noted = []


class Bar:
    """One v1 bar: t (New York time), o, h, l, c, v."""

    def __init__(self, row, timestamp):
        self.t, self.o, self.h, self.l, self.c, self.v = (timestamp, row["open"], row["high"], row["low"],
                                                          row["close"], row["volume"])

    def __repr__(self):
        return f"Bar(t={self.t}, o={self.o}, h={self.h}, l={self.l}, c={self.c}, v={self.v})"


class Bars(list):
    """A symbol's bars, oldest first; `.df` is v1's frame (open high low close volume, index `time`)."""

    def __init__(self, frame):
        super().__init__(Bar(row, timestamp) for timestamp, row in frame.iterrows())
        self.df = frame


class BarSet(dict):
    """symbol -> Bars; `.df` has one column group per symbol, as v1's BarSet.df."""

    @property
    def df(self):
        import pandas as pd

        frames = {symbol: bars.df for symbol, bars in self.items()}
        return pd.concat(frames, axis=1) if frames else pd.DataFrame()


def get_barset(self, symbols, timeframe, limit=None, start=None, end=None, after=None, until=None):
    import pandas as pd

    symbols = [s.strip() for s in symbols.split(",")] if isinstance(symbols, str) else list(symbols)
    if timeframe not in V1_TIMEFRAMES:
        raise ValueError(
            f"invalid timeframe {timeframe!r} for get_barset; v1 took one of {', '.join(V1_TIMEFRAMES)}")
    limit = min(int(limit), V1_MAX_LIMIT) if limit else V1_DEFAULT_LIMIT
    last = pd.Timestamp(end or until) if (end or until) else pd.Timestamp.now(tz=NEW_YORK)
    first = pd.Timestamp(start or after) if (start or after) else last - pd.Timedelta(days=2 * limit + 7)
    bars = self.get_bars(symbols, V1_TIMEFRAMES[timeframe], start=first.isoformat(), end=last.isoformat()).df
    barset = BarSet()
    for symbol in symbols:
        rows = bars[bars["symbol"] == symbol] if len(bars) else bars
        frame = rows.reindex(columns=["open", "high", "low", "close", "volume"]).tail(limit)
        frame.index = pd.DatetimeIndex(frame.index).tz_convert(NEW_YORK) if len(frame) else frame.index
        frame.index.name = "time"
        barset[symbol] = Bars(frame)
    if not _noted:
        _noted.append(True)
        import grader_ipython

        grader_ipython.note(NOTE)
    return barset


def install(module):
    """Give alpaca_trade_api.rest.REST its get_barset back (unless a client still has one)."""
    if not hasattr(module.REST, "get_barset"):
        module.REST.get_barset = get_barset
