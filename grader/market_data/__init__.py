"""Offline Alpaca for the course's Monte Carlo notebook: recorded bars behind the real client."""

from .compat import explain_missing_method
from .server import MarketDataServer, env_file_text

__all__ = ["MarketDataServer", "env_file_text", "explain_missing_method"]
