"""The offline Alpaca stub, driven by the real alpaca-trade-api client and by the course's
Monte Carlo notebook."""

import io
import os
import shutil
from datetime import date
from pathlib import Path

import alpaca_trade_api as tradeapi
import nbformat
import pandas as pd
import pytest
import requests
from alpaca_trade_api.rest import APIError, Sort, TimeFrame
from dotenv import dotenv_values
from nbclient import NotebookClient

from grader.market_data import MarketDataServer, env_file_text, explain_missing_method
from grader.market_data.bars import SYMBOLS, daily_bars

ACTIVITY = Path(__file__).resolve().parents[1] / "activities" / "sagemaker-notebook"
START = pd.Timestamp("2019-01-01", tz="America/New_York").isoformat()
END = pd.Timestamp("2020-12-31", tz="America/New_York").isoformat()


@pytest.fixture(scope="module")
def server():
    with MarketDataServer() as running:
        yield running


@pytest.fixture
def alpaca(server, monkeypatch):
    """The real client, finding the stub the way a notebook's client does: through the environment."""
    server.log.clear()
    for name, value in server.client_environment().items():
        monkeypatch.setenv(name, value)
    return tradeapi.REST("PLACEHOLDER-KEY-ID", "PLACEHOLDER-SECRET", api_version="v2")


def recorded(symbol: str, first: date, last: date) -> list:
    return [bar for bar in daily_bars(symbol) if first <= bar.day <= last]


def test_recording_is_real_daily_bars_over_the_course_windows(server):
    assert server.synthetic is False
    days = [bar.day for bar in daily_bars("SPY")]
    assert (days[0], days[-1], len(days)) == (date(2015, 1, 2), date(2021, 12, 31), 1763)
    assert days == [bar.day for bar in daily_bars("AGG")]
    spy = {bar.day: bar for bar in daily_bars("SPY")}
    assert (spy[date(2019, 1, 2)].close, spy[date(2020, 3, 16)].close) == (250.18, 239.85)
    assert daily_bars("TSLA") == ()


def test_multi_symbol_bars_page_through_and_are_the_recorded_ones(alpaca, server):
    df = alpaca.get_bars(["SPY", "AGG"], TimeFrame.Day, START, END).df

    assert set(df.columns) == {"open", "high", "low", "close", "volume", "trade_count", "vwap", "symbol"}
    for symbol in SYMBOLS:
        bars = recorded(symbol, date(2019, 1, 1), date(2020, 12, 31))
        rows = df[df["symbol"] == symbol]
        assert len(rows) == len(bars) == 505
        assert list(rows.index) == [bar.timestamp for bar in bars]
        assert list(rows["close"]) == [bar.close for bar in bars]
        assert list(rows["volume"]) == [bar.volume for bar in bars]
    # 1,010 bars: Alpaca's default page of 1,000, then the rest behind next_page_token
    assert [entry["bars"] for entry in server.log] == [1000, 10]
    assert "page_token" not in server.log[0]["query"] and server.log[1]["query"]["page_token"]


def test_single_symbol_bars_page_through_the_whole_recording(alpaca, server):
    bars = alpaca.get_bars("AGG", "1D", "2015-01-01", "2021-12-31")

    assert [bar.c for bar in bars] == [bar.close for bar in daily_bars("AGG")]
    assert len(server.log) == 2 and server.log[1]["query"]["page_token"]


def test_limit_caps_the_total_across_symbols_as_at_alpaca(alpaca):
    df = alpaca.get_bars(["SPY", "AGG"], "1Day", START, END, limit=600).df

    assert df.groupby("symbol").size().to_dict() == {"AGG": 505, "SPY": 95}
    first_ten = alpaca.get_bars("SPY", "1Day", START, END, limit=10)
    assert [bar.c for bar in first_ten] == [
        bar.close for bar in recorded("SPY", date(2019, 1, 1), date(2019, 1, 15))]
    last_three = alpaca.get_bars("SPY", "1Day", START, END, limit=3, sort=Sort.Desc)
    newest_first = recorded("SPY", date(2020, 12, 29), date(2020, 12, 31))[::-1]
    assert [bar.c for bar in last_three] == [bar.close for bar in newest_first]


def test_a_window_inside_the_recording_is_served_as_recorded(alpaca, server):
    df = alpaca.get_bars("SPY", "1Day", "2021-12-01", "2021-12-31").df

    assert len(df) == 22 and df.index[-1] == pd.Timestamp("2021-12-31T05:00:00Z")
    assert server.replayed == []


def test_any_other_window_is_replayed_from_recorded_days_deterministically(alpaca, server):
    server.replayed.clear()
    end = pd.Timestamp("2026-12-01T16:30:00", tz="America/New_York")
    start = end - pd.Timedelta(days=30)
    df = alpaca.get_bars(["SPY", "AGG"], "1Day", start.isoformat(), end.isoformat()).df
    again = alpaca.get_bars(["SPY", "AGG"], "1Day", start.isoformat(), end.isoformat()).df

    # 2021-11-08..12-07, Thanksgiving off
    assert df.equals(again) and df.groupby("symbol").size().to_dict() == {"AGG": 21, "SPY": 21}
    assert df.index.min() >= start and df.index.max() <= end
    assert set(df.index.dayofweek) <= {0, 1, 2, 3, 4}   # 52-week steps keep weekdays: no weekend bars
    offset = server.replayed[0]["offset_days"]
    assert offset % 364 == 0 and server.replayed == [{"asked": "2026-11-01..2026-12-01",
                                                      "offset_days": offset,
                                                      "served_from": "2021-11-07..2021-12-07",
                                                      "symbols": ["AGG", "SPY"]}]
    spy = df[df["symbol"] == "SPY"]
    recorded_days = {bar.day: bar.close for bar in daily_bars("SPY")}
    assert all(recorded_days[(stamp - pd.Timedelta(days=offset)).date()] == close
               for stamp, close in zip(spy.index.tz_convert("America/New_York"), spy["close"]))


@pytest.mark.parametrize("first, last", [("2023-01-03", "2023-12-29"), ("2010-05-03", "2010-06-01"),
                                         ("2021-06-01", "2022-06-30")])
def test_windows_after_before_or_across_the_recording_all_get_bars(alpaca, first, last):
    df = alpaca.get_bars("SPY", "1Day", first, last).df

    assert len(df) > 15 and df.index.min() >= pd.Timestamp(first, tz="America/New_York")
    assert df.index.max() <= pd.Timestamp(last, tz="America/New_York") + pd.Timedelta(days=1)


def test_unknown_symbols_get_no_bars(alpaca):
    assert len(alpaca.get_bars("TSLA", "1Day", START, END)) == 0
    df = alpaca.get_bars(["TSLA", "SPY"], "1Day", START, END).df
    assert set(df["symbol"]) == {"SPY"}


def test_only_daily_bars_are_served_and_bad_parameters_are_refused_like_alpaca(alpaca):
    with pytest.raises(APIError) as hourly:
        alpaca.get_bars("SPY", TimeFrame.Hour, START, END)
    assert hourly.value.status_code == 422 and "only daily bars" in str(hourly.value)
    with pytest.raises(APIError, match="invalid timeframe"):
        alpaca.get_bars("SPY", "day", START, END)
    with pytest.raises(APIError, match="end should not be before start"):
        alpaca.get_bars("SPY", "1Day", END, START)


def test_requests_without_keys_are_refused(server):
    data = requests.get(f"{server.url}/v2/stocks/SPY/bars", params={"timeframe": "1Day", "start": START},
                        timeout=10)
    trading = requests.get(f"{server.url}/v2/account", timeout=10)

    assert (data.status_code, data.json()) == (403, {"message": "forbidden"})
    assert trading.status_code == 401 and trading.json()["code"] == 40110000


def test_account_and_unserved_endpoints(alpaca):
    assert alpaca.get_account().status == "ACTIVE"
    with pytest.raises(APIError) as clock:
        alpaca.get_clock()
    assert clock.value.status_code == 404 and "GET /v2/clock" in str(clock.value)


def test_removed_client_methods_are_explained():
    with pytest.raises(AttributeError) as missing:
        _ = tradeapi.REST("PLACEHOLDER-KEY-ID", "PLACEHOLDER-SECRET", api_version="v2").get_barset
    note = explain_missing_method("AttributeError", str(missing.value))

    assert note.startswith("The installed alpaca-trade-api 3.2.0 has no REST.get_barset")
    assert "removed in alpaca-trade-api 2.0.0" in note
    assert "get_bars(symbols, TimeFrame.Day, start, end).df" in note
    last_trade = explain_missing_method("AttributeError", "'REST' object has no attribute 'get_last_trade'")
    assert "REST.get_latest_trade(symbol)" in last_trade
    assert explain_missing_method("AttributeError", "'REST' object has no attribute 'get_bar'") is None
    assert explain_missing_method("AttributeError",
                                  "'DataFrame' object has no attribute 'get_barset'") is None
    assert explain_missing_method("KeyError", "'REST' object has no attribute 'get_barset'") is None


def test_env_file_gives_both_key_names_placeholder_values():
    values = dotenv_values(stream=io.StringIO(env_file_text()))

    assert set(values) == {"ALPACA_API_KEY", "ALPACA_SECRET_KEY", "APCA_API_KEY_ID", "APCA_API_SECRET_KEY"}
    assert all(value.startswith("PLACEHOLDER-") for value in values.values())


def run_notebook(kind: str, server, tmp_path) -> nbformat.NotebookNode:
    """Run the activity's notebook in a fresh kernel whose whole environment is PATH, HOME and
    the stub's URLs."""
    (tmp_path / ".env").write_text(env_file_text())
    (tmp_path / "home").mkdir()
    # the helper module the course hands out
    shutil.copy(ACTIVITY / "helpers" / "MCForecastTools.py", tmp_path)
    notebook = nbformat.read(ACTIVITY / kind / "monte_carlo.ipynb", as_version=4)
    assert notebook.metadata.kernelspec.name == "conda_python3"  # as on a SageMaker notebook instance
    # conda_python3 exists only on SageMaker; here the same code runs in this environment's python3
    client = NotebookClient(notebook, kernel_name="python3", timeout=60, startup_timeout=60,
                            allow_errors=True, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(tmp_path)}})
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), **server.client_environment()}
    client.execute(env=env)
    return notebook


def cell_errors(notebook) -> list[tuple[str, str]]:
    return [(cell.source.splitlines()[0], output.ename) for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


@pytest.mark.slow
def test_solution_notebook_runs_with_no_failing_cell(server, tmp_path):
    server.log.clear()
    notebook = run_notebook("solution", server, tmp_path)

    assert cell_errors(notebook) == []
    printed = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    assert printed.startswith("There is a 95% chance that an initial investment of $10,000")
    assert [entry["status"] for entry in server.log] == [200]  # one page of bars: the last 30 days, replayed
    assert server.replayed[-1]["symbols"] == ["AGG", "SPY"]

