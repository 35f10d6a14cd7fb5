"""A stand-in for Alpaca's REST servers on 127.0.0.1, for the real alpaca-trade-api client (3.2.0).

It answers what the client's ``REST.get_bars`` / ``get_bars_iter`` (single and multi-symbol, with
``next_page_token`` paging) and ``get_account`` request, in the JSON shapes the client parses,
from the recorded daily bars in ``bars.py``. The client finds it through ``APCA_API_BASE_URL`` and
``APCA_API_DATA_URL``; nothing reaches Alpaca.

Any date range is answered. A window outside the recording (2015-2021), such as "the 30 days before
now", is replayed: the recording is moved by whole 52-week steps onto the asked dates
(``bars.replay_offset``), so the same request always gets the same real prices, and the server lists
every replayed window in ``replayed`` for the run record.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, time, timedelta

from werkzeug.wrappers import Request, Response

from ..loopback_server import LoopbackServer
from .bars import NEW_YORK, SYNTHETIC, Bar, daily_bars, replay_offset

# What course notebooks load with python-dotenv. Both key names in use are set, so notebooks that
# read ALPACA_API_KEY and ones that rely on the client's APCA_* defaults both find a key.
_ENV_FILE_TEXT = """\
# Placeholder Alpaca keys written by the offline grader: NOT real credentials.
# The market-data stub on 127.0.0.1 accepts any non-empty key; nothing reaches Alpaca.
ALPACA_API_KEY=PLACEHOLDER-OFFLINE-KEY-ID
ALPACA_SECRET_KEY=PLACEHOLDER-OFFLINE-SECRET-KEY
APCA_API_KEY_ID=PLACEHOLDER-OFFLINE-KEY-ID
APCA_API_SECRET_KEY=PLACEHOLDER-OFFLINE-SECRET-KEY
"""

DEFAULT_LIMIT = 1000  # Alpaca's page size when the request gives no limit
MAX_LIMIT = 10000
_TIMEFRAME = re.compile(r"(\d+)(Min|T|Hour|H|Day|D|Week|W|Month|M)")
_AMOUNTS = {"Min": range(1, 60), "T": range(1, 60), "Hour": range(1, 24), "H": range(1, 24),
            "Day": (1,), "D": (1,), "Week": (1,), "W": (1,),
            "Month": (1, 2, 3, 4, 6, 12), "M": (1, 2, 3, 4, 6, 12)}
_SINGLE_SYMBOL_BARS = re.compile(r"/v2/stocks/([^/]+)/bars")
# A paper account as a freshly opened one looks; get_account() is all a notebook asks of trading.
_ACCOUNT = {"id": "00000000-0000-4000-8000-000000000000", "account_number": "PAOFFLINE01",
            "status": "ACTIVE", "currency": "USD", "cash": "100000", "portfolio_value": "100000",
            "equity": "100000", "last_equity": "100000", "buying_power": "100000", "multiplier": "1",
            "pattern_day_trader": False, "trading_blocked": False, "transfers_blocked": False,
            "account_blocked": False, "shorting_enabled": False, "created_at": "2021-01-04T14:30:00Z"}


class _ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(body["message"])
        self.status, self.body = status, body


def _invalid(message: str) -> _ApiError:
    """Alpaca's answer to a bad parameter: 422 with its generic code."""
    return _ApiError(422, {"code": 42210000, "message": message})


def _check_daily(timeframe: str | None) -> None:
    match = _TIMEFRAME.fullmatch(timeframe or "")
    if not match or int(match.group(1)) not in _AMOUNTS[match.group(2)]:
        raise _invalid("invalid timeframe")
    if match.group(2) not in ("Day", "D"):
        raise _invalid(f"offline Alpaca stub: only daily bars are recorded, not {timeframe} bars")


def _instant(text: str | None, name: str, default: datetime) -> datetime:
    """RFC-3339 or YYYY-MM-DD (midnight New York, so the day's bar is included); naive means UTC."""
    if not text:
        return default
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), NEW_YORK)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(f"invalid {name}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _limit(text: str | None) -> int:
    if not text:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise _invalid("invalid limit")
    return int(text)


def _token(symbol: str, bar: Bar) -> str:
    return base64.b64encode(f"{symbol}|{bar.timestamp.isoformat()}".encode()).decode()


def _bar_json(bar: Bar) -> dict:
    return {"t": bar.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"), "o": bar.open, "h": bar.high,
            "l": bar.low, "c": bar.close, "v": bar.volume, "n": bar.trade_count, "vw": bar.vwap}


def _bars_page(symbols: list[str], args) -> tuple[dict[str, list[dict]], str | None, dict | None]:
    """One page of bars, symbol by symbol; ``limit`` caps the page's total across symbols, as at Alpaca.
    The third value describes the replay when the window lies outside the recording, else None."""
    _check_daily(args.get("timeframe"))
    now = datetime.now(UTC)
    start = _instant(args.get("start"), "start",
                     datetime.combine(now.astimezone(NEW_YORK).date(), time(), NEW_YORK))
    end = _instant(args.get("end"), "end", now)
    if end < start:
        raise _invalid("end should not be before start")
    limit = _limit(args.get("limit"))
    order = args.get("sort") or "asc"
    if order not in ("asc", "desc"):
        raise _invalid("invalid sort")
    first_day, last_day = start.astimezone(NEW_YORK).date(), end.astimezone(NEW_YORK).date()
    offset = replay_offset(first_day, last_day)
    items = [(symbol, moved) for symbol in sorted(set(symbols))
             for bar in (reversed(daily_bars(symbol)) if order == "desc" else daily_bars(symbol))
             for moved in [bar.moved(offset) if offset else bar] if start <= moved.timestamp <= end]
    first = 0
    if args.get("page_token"):
        try:
            first = [_token(*item) for item in items].index(args["page_token"])
        except ValueError:
            raise _invalid("invalid page token") from None
    page: dict[str, list[dict]] = {}
    for symbol, bar in items[first:first + limit]:
        page.setdefault(symbol, []).append(_bar_json(bar))
    rest = items[first + limit:first + limit + 1]
    replay = None
    if offset:
        served_from = [first_day - timedelta(days=offset), last_day - timedelta(days=offset)]
        replay = {"asked": f"{first_day}..{last_day}", "served_from": f"{served_from[0]}..{served_from[1]}",
                  "offset_days": offset, "symbols": sorted(set(symbols))}
    return page, _token(*rest[0]) if rest else None, replay


def _authorised(request: Request) -> bool:
    keys = request.headers.get("APCA-API-KEY-ID") and request.headers.get("APCA-API-SECRET-KEY")
    return bool(keys) or request.headers.get("Authorization", "").startswith("Bearer ")


def _respond(request: Request) -> tuple[dict, int, dict | None]:
    """The JSON body, how many bars it holds and the replay (if any); raises _ApiError for what
    Alpaca would refuse."""
    data_api = request.path.startswith("/v2/stocks/")
    if not _authorised(request):
        if data_api:
            raise _ApiError(403, {"message": "forbidden"})
        raise _ApiError(401, {"code": 40110000, "message": "request is not authorized"})
    single = _SINGLE_SYMBOL_BARS.fullmatch(request.path)
    if request.method == "GET" and request.path == "/v2/stocks/bars":
        symbols = [symbol for symbol in request.args.get("symbols", "").split(",") if symbol]
        if not symbols:
            raise _invalid("missing symbols")
        page, token, replay = _bars_page(symbols, request.args)
        return {"bars": page, "next_page_token": token}, sum(map(len, page.values())), replay
    if request.method == "GET" and single:
        page, token, replay = _bars_page([single.group(1)], request.args)
        found = page.get(single.group(1), [])
        return {"bars": found, "symbol": single.group(1), "next_page_token": token}, len(found), replay
    if request.method == "GET" and request.path == "/v2/account":
        return _ACCOUNT, 0, None
    raise _ApiError(404,
                    {"message": f"not served by the offline Alpaca stub: {request.method} {request.path}"})


def env_file_text() -> str:
    """The ``.env`` file course notebooks read their Alpaca keys from, with placeholder keys."""
    return _ENV_FILE_TEXT


class MarketDataServer:
    """Start it, give a notebook ``client_environment()`` and a ``.env`` file with ``env_file_text()``.

    >>> with MarketDataServer() as server:
    ...     env = server.client_environment()
    """

    def __init__(self, port: int = 0):
        self.log: list[dict] = []  # one entry per request: method, path, query, status, bars
        self.replayed: list[dict] = []  # each window served from other recorded dates, once
        self._port = port
        self._http: LoopbackServer | None = None

    @property
    def url(self) -> str:
        return self._http.url

    @property
    def app(self):
        """The WSGI app, for serving it elsewhere (a sandboxed run's own socket) instead of start()."""
        return self._wsgi

    @property
    def synthetic(self) -> bool:
        """Whether the bars served are invented (False: recorded market prices)."""
        return SYNTHETIC

    def client_environment(self, url: str | None = None) -> dict[str, str]:
        """Where alpaca-trade-api sends trading and data requests (this server's URL unless it is
        reached at `url`); keys come from the .env file."""
        url = url or self.url
        return {"APCA_API_BASE_URL": url, "APCA_API_DATA_URL": url}

    def start(self) -> MarketDataServer:
        self._http = LoopbackServer(self._wsgi, self._port, "market-data")
        self._http.start()
        return self

    def stop(self) -> None:
        if self._http:
            self._http.stop()

    def __enter__(self) -> MarketDataServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            (body, served, replay), status = _respond(request), 200
        except _ApiError as error:
            body, served, replay, status = error.body, 0, None, error.status
        if replay and replay not in self.replayed:
            self.replayed.append(replay)
        self.log.append({"method": request.method, "path": request.path, "query": request.args.to_dict(),
                         "status": status, "bars": served})
        return Response(json.dumps(body), status, mimetype="application/json")(environ, start_response)
