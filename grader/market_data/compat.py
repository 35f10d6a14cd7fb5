"""Notes for notebook errors caused by alpaca-trade-api methods that newer releases removed.

The course's notebooks (2019-2021) call market-data v1 methods of the client. Alpaca deprecated
that API on 2021-09-26 and alpaca-trade-api 2.0.0 dropped the methods, so on the installed
client such a cell fails with an AttributeError that says nothing about why. Graded kernels serve
`get_barset` again (grader/kernel_site/alpaca_v1.py); the others get this explanation, and so does
get_barset wherever the kernel patches are not loaded (your own Jupyter).
"""

from __future__ import annotations

import re
from importlib import metadata

# method -> (release that removed it, what to call instead)
_REMOVED = {
    "get_barset": ("2.0.0", "REST.get_bars(symbols, TimeFrame.Day, start, end).df, whose DataFrame is one "
                            "long table with a 'symbol' column instead of "
                            "get_barset's column group per symbol"),
    "get_aggs": ("2.0.0", "REST.get_bars(symbol, TimeFrame(amount, unit), start, end)"),
    "get_last_trade": ("2.0.0", "REST.get_latest_trade(symbol)"),
    "get_last_quote": ("2.0.0", "REST.get_latest_quote(symbol)"),
}
_NO_ATTRIBUTE = re.compile(r"'REST' object has no attribute '(\w+)'")


def _installed_version() -> str:
    try:
        return metadata.version("alpaca-trade-api")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def explain_missing_method(ename: str, evalue: str) -> str | None:
    """A precise note for a cell error that is a removed alpaca-trade-api method; None otherwise."""
    match = _NO_ATTRIBUTE.search(evalue or "") if ename == "AttributeError" else None
    if not match or match.group(1) not in _REMOVED:
        return None
    method = match.group(1)
    removed_in, replacement = _REMOVED[method]
    return (f"The installed alpaca-trade-api {_installed_version()} has no REST.{method}: it was removed in "
            f"alpaca-trade-api {removed_in} together with the other market-data v1 methods (Alpaca "
            f"deprecated that API on 2021-09-26). The replacement is {replacement}.")
